"""A run killed (SIGKILL to its process group) in pseudonymisation, linkage and the publish swap, each time re-run,
ends with the same warehouse, release and zone files as a clean run, and nothing left behind.

The kills are chained in one data directory (each re-run is killed later than the one before, then the last one
finishes), so three kills cost about two and a half runs; the clean reference is the session's ``demo_run``. The
publish swap comes after the dbt build and the protection, with the build's working copy still beside the full
build, so that kill leaves both leftovers the next run must clean (the building file and a run left STARTED);
kills inside the dbt build itself are `hfc bench crash`'s (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.ops import crash
from pipelines.ops.recovery import BUILDING_INFIX

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: several whole runs

# (stage, step, seconds into it): de-identification of free text, the spine, between the audit and the swap
KILLS = [
    ("pseudonymise", "pseudonymised__ed_attendances", 0.5),
    ("linkage", "identity__spine", 0.5),
    ("publish swap", "warehouse_dbt_assets", 0.0),
]


def test_killed_runs_rerun_to_the_clean_result(demo_run, tmp_path: Path) -> None:
    clean = crash.Layout(demo_run.data_dir.parent)
    assert clean.warehouse == demo_run.warehouse
    run = crash.Layout(tmp_path / "county")
    crash.seed_landing(clean, run)
    hits = []
    for stage, step, delay in KILLS:
        hit, _ = crash.kill_once(run, stage, step, delay, timeout=900)
        hits.append(hit.stage)
    # the killed build's working copy is there for recovery to remove
    assert any(BUILDING_INFIX in p.name for p in (run.data / "restricted").iterdir())
    assert hits == [stage for stage, _, _ in KILLS], "a kill missed its stage (or the run ended first)"
    crash.run_demo(run, run.root / "rerun.log", timeout=900)

    assert crash.leftovers(run) == []
    assert crash.differences(crash.Snapshot.of(clean), crash.Snapshot.of(run)) == []
