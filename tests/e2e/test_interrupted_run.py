"""A run killed in the middle of a load, then re-run, gives the same warehouse as a clean run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.linkage.opt_out import OPT_OUT_FILE
from tests.warehouse_snapshot import assert_same_warehouse, hfc_env

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: several whole runs


def test_kill_mid_load_then_rerun_matches_a_clean_run(demo_run, tmp_path: Path) -> None:
    shutil.copytree(demo_run.data_dir / "landing", tmp_path / "data" / "landing", ignore=shutil.ignore_patterns("_*"))
    shutil.copytree(demo_run.data_dir / "synth_truth", tmp_path / "data" / "synth_truth")
    (tmp_path / "data" / "identity").mkdir()
    shutil.copy2(demo_run.data_dir / "identity" / OPT_OUT_FILE, tmp_path / "data" / "identity" / OPT_OUT_FILE)
    hfc = str(Path(sys.executable).parent / "hfc")
    env = hfc_env(tmp_path)
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

    assert_same_warehouse(demo_run.warehouse, tmp_path / "warehouse" / "outcomes.duckdb")
