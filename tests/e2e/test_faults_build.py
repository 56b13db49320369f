"""Faults met by the warehouse build, end to end on a copy of the demo county: a corrupt parquet file in the
pseudonymised zone, a truncated full build, and dbt killed for memory (SIGKILL) mid-build. Each fails clearly or is
recovered from, the published warehouse stays the previous one, nothing half-written remains, and the re-run gives
the same warehouse as the clean run."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: several whole runs

REPO = Path(__file__).resolve().parents[2]
VOLATILE = {"loaded_at", "linkage_run_id", "evaluated_at"}  # when a load ran, not what it did
BUILD = """
import sys
import dagster as dg
from pipelines.definitions import defs
from pipelines.demo import QUIET, _dbt_selection

result = dg.materialize(
    list(defs.assets), resources=dict(defs.resources), selection=_dbt_selection(),
    instance=dg.DagsterInstance.ephemeral(), run_config=QUIET, raise_on_error=False,
)
for event in result.all_events:
    if event.is_step_failure:
        print(event.event_specific_data.error.to_string(), flush=True)
print("BUILD OK" if result.success else "BUILD FAILED", flush=True)
sys.exit(0 if result.success else 1)
"""


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HFC_PSEUDONYMISATION", "HFC_MODE"))}
    env.update(
        HFC_DATA_DIR=str(root / "data"),
        HFC_WAREHOUSE_PATH=str(root / "warehouse" / "outcomes.duckdb"),
        DAGSTER_HOME=str(root / "data" / "dagster"),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    return env


def _build(root: Path, kill_dbt_after: float | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD], env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if kill_dbt_after is not None:  # as the OOM killer would: SIGKILL to dbt's process, mid-build
        building = root / "data" / "restricted"
        deadline = time.monotonic() + 300
        killed = False
        while not killed and time.monotonic() < deadline and proc.poll() is None:
            dbt = [p for p in psutil.Process(proc.pid).children(recursive=True) if _is_dbt_build(p)]
            if dbt and any(building.glob("*.building-*")):
                time.sleep(kill_dbt_after)
                for process in dbt:  # dbt and any process it forked
                    process.kill()
                killed = True
            time.sleep(0.05)
        assert killed, "dbt never started"
    out, _ = proc.communicate(timeout=900)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


def _is_dbt_build(process: psutil.Process) -> bool:
    try:
        return "build" in process.cmdline()[1:]
    except psutil.Error:
        return False


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(path: Path) -> dict[str, tuple[int, int]]:
    """Each table's row count and an order-independent checksum of its rows (run-time columns left out)."""
    out: dict[str, tuple[int, int]] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ?", [schema, table]
                ).fetchall()
                if c not in VOLATILE
            ]
            quoted = ", ".join('"' + c + '"' for c in columns)
            row_hash = f"hash({quoted})" if columns else "0"
            count, checksum = con.execute(
                f'select count(*), coalesce(sum({row_hash}::hugeint), 0) from "{schema}"."{table}"'
            ).fetchone()  # type: ignore[misc]
            out[f"{schema}.{table}"] = (int(count), int(checksum))
    return out


def test_warehouse_build_faults_keep_the_published_warehouse_and_a_rerun_rebuilds_it(demo_run, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_run.data_dir, data, ignore=shutil.ignore_patterns("dagster"))
    published = tmp_path / "warehouse" / "outcomes.duckdb"
    published.parent.mkdir()
    shutil.copy2(demo_run.warehouse, published)
    clean = _tables(published)
    before = _digest(published)
    full = data / "restricted" / "outcomes_full.duckdb"

    # 1. a corrupt partition: the build stops before dbt, naming it and the backfill that rewrites it
    partition = sorted((data / "pseudonymised" / "ed_attendances").glob("period=*/data.parquet"))[-1]
    period = partition.parent.name.removeprefix("period=")
    good = partition.read_bytes()
    partition.write_bytes(good[: len(good) // 3])
    failed = _build(tmp_path)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert f"ed_attendances/period={period}/data.parquet" in failed.stdout
    assert f"hfc backfill --feed ed_attendances --from {period} --to {period}" in failed.stdout
    assert _digest(published) == before
    partition.write_bytes(good)  # what the backfill does: rewrite it from the identifiable zone

    # 2. a truncated full build is set aside, and dbt is killed for memory mid-build: a clear error, nothing published
    full.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    killed = _build(tmp_path, kill_dbt_after=3.0)
    assert killed.returncode == 1, killed.stdout[-3000:]
    assert "dbt build was killed by SIGKILL, probably by the out-of-memory killer" in killed.stdout, killed.stdout[
        -4000:
    ]
    assert "set aside as outcomes_full.duckdb.corrupt-" in killed.stdout or any(
        data.joinpath("restricted").glob("outcomes_full.duckdb.corrupt-*")
    )
    assert _digest(published) == before
    leftovers = sorted(p.name for p in (data / "restricted").iterdir() if ".building-" in p.name)
    assert leftovers == []
    assert sorted(p.name for p in published.parent.iterdir()) == ["outcomes.duckdb"]

    # 3. the re-run builds from scratch and publishes what the clean run published
    again = _build(tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]
    assert full.exists() and _tables(published) == clean
