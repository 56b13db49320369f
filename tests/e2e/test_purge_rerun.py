"""Retention end to end: the test county's oldest period purged, then ``hfc demo`` run again over what is left.

The purge removes the period's landing files, accepted rows and quarantine files; the re-run must neither lose nor
change anything (the warehouse equals the clean run's, table by table, as in the interrupted-run test), the audit
trail must verify and hold an entry for every stage that changed data, and no value of the synthetic truth may be
in it.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main as hfc_main
from pipelines.ingest.load import accepted_path
from pipelines.linkage.opt_out import published_path
from pipelines.ops import audit
from pipelines.privacy.truth_scan import anywhere_values
from pipelines.settings import Zones
from tests.warehouse_snapshot import REPO, assert_same_warehouse, hfc_env

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: several whole runs

OLDEST = "2024-01"
STAGES = {
    "ingest.delivery",
    "pseudonymise.publish",
    "linkage.run",
    "opt_out.apply",
    "pseudonymise.person_keys",
    "warehouse.publish",
    "release.write",
    "retention.purge",
}


def _files_of(folder: Path, period: str) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{period}*") if p.is_file()) if folder.is_dir() else []


def test_purge_the_oldest_period_then_rerun_changes_nothing(
    demo_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    zone = Zones(data)
    shutil.copytree(demo_run.data_dir, data, ignore=shutil.ignore_patterns("*.building-*", "*.wal"))
    (tmp_path / "warehouse").mkdir()
    shutil.copy2(demo_run.warehouse, tmp_path / "warehouse" / "outcomes.duckdb")
    for name, value in hfc_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    purge = ["purge", "--older-than", "1 month", "--as-of", "2024-03-01"]  # periods that ended before 2024-02-01

    assert hfc_main(purge) == 0  # a dry run by default
    dry = capsys.readouterr().out
    assert "dry run" in dry and f"purge  police_incidents {OLDEST}" in dry
    assert accepted_path(zone, "police_incidents", OLDEST).exists()  # nothing removed
    assert all(f" {OLDEST}:" in line for line in dry.splitlines() if line.startswith(("  purge", "  keep")))

    assert hfc_main([*purge, "--apply"]) == 0
    applied = capsys.readouterr().out
    purged = [line.split()[1] for line in applied.splitlines() if line.startswith("  purge")]
    kept = [line for line in applied.splitlines() if line.startswith("  keep")]
    assert "police_incidents" in purged and len(purged) >= 5
    assert all(": " in line and line.split(": ", 1)[1] for line in kept)  # every period kept says why
    for feed in purged:
        assert not _files_of(data / "landing" / feed, OLDEST)
        assert not _files_of(data / "quarantine" / feed, OLDEST)
        assert not accepted_path(zone, feed, OLDEST).exists()
        assert published_path(zone, feed, OLDEST).exists()

    rerun = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "demo"],
        env=hfc_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=1800,  # a loaded machine (the suite on 2 shared cores) has needed more than 900 s
        cwd=REPO,
    )
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    assert_same_warehouse(demo_run.warehouse, tmp_path / "warehouse" / "outcomes.duckdb")
    for feed in purged:  # still gone, and not re-created by the re-run
        assert not _files_of(data / "landing" / feed, OLDEST)
        assert not accepted_path(zone, feed, OLDEST).exists()

    trail = audit.audit_path(data)
    result = audit.verify(trail)
    assert result.ok, result.problems
    actions = {str(e["action"]) for e in audit.entries(trail)}
    assert actions >= STAGES, STAGES - actions
    entries = list(audit.entries(trail))
    assert {(e["feed"], e["period"]) for e in entries if e["action"] == "retention.purge"} == {
        (f, OLDEST) for f in purged
    }
    first_purge = next(i for i, e in enumerate(entries) if e["action"] == "retention.purge")
    reread = [e for e in entries[first_purge:] if e["action"] == "ingest.delivery" and e["period"] == OLDEST]
    assert not [e for e in reread if e["feed"] in purged]  # the re-run did not read a purged period again

    text = trail.read_text(encoding="utf-8")
    truth = data / "synth_truth"
    values = {v for _, v in anywhere_values(truth) if len(v) >= 4}
    with (truth / "records.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            values.update(v for v in (row.get("record_id"), row.get("person_id")) if v and len(v) >= 4)
    leaked = [v for v in values if v in text]
    assert not leaked, f"{len(leaked)} value(s) of the synthetic truth in the audit trail"
