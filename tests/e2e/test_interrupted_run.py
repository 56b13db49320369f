"""A run killed in the middle of a load, then re-run, gives the same warehouse as a clean run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.linkage.opt_out import OPT_OUT_FILE

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: several whole runs

VOLATILE = {"loaded_at", "linkage_run_id", "evaluated_at"}  # when a load (or a drift test) ran, not what it did


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HFC_PSEUDONYMISATION", "HFC_MODE"))}
    env.update(
        HFC_DATA_DIR=str(root / "data"),
        HFC_WAREHOUSE_PATH=str(root / "warehouse" / "outcomes.duckdb"),
        DAGSTER_HOME=str(root / "data" / "dagster"),
    )
    return env


def _snapshot(path: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        out = {}
        for schema, table in tables:
            frame = con.execute(f'select * from "{schema}"."{table}"').df()
            frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE])
            out[f"{schema}.{table}"] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out


def test_kill_mid_load_then_rerun_matches_a_clean_run(demo_run, tmp_path: Path) -> None:
    shutil.copytree(demo_run.data_dir / "landing", tmp_path / "data" / "landing", ignore=shutil.ignore_patterns("_*"))
    shutil.copytree(demo_run.data_dir / "synth_truth", tmp_path / "data" / "synth_truth")
    (tmp_path / "data" / "identity").mkdir()
    shutil.copy2(demo_run.data_dir / "identity" / OPT_OUT_FILE, tmp_path / "data" / "identity" / OPT_OUT_FILE)
    hfc = str(Path(sys.executable).parent / "hfc")
    env = _env(tmp_path)
    proc = subprocess.Popen(
        [hfc, "demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    accepted = tmp_path / "data" / "landing" / "_accepted"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if accepted.exists() and any(accepted.rglob("*.parquet")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "warehouse" / "outcomes.duckdb").exists()

    rerun = subprocess.run([hfc, "demo"], env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    clean, recovered = _snapshot(demo_run.warehouse), _snapshot(tmp_path / "warehouse" / "outcomes.duckdb")
    assert sorted(clean) == sorted(recovered)
    for table, frame in clean.items():
        pd.testing.assert_frame_equal(frame, recovered[table], check_dtype=False, obj=table)
