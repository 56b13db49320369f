"""A tiny synthetic county, run once through the whole pipeline with ``hfc demo``, as a user would.

Shared by the end-to-end tests (``tests/e2e/``) and the real-browser tests (``tests/browser/``): one fixture
definition, so a worker running both builds the county once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

NETGUARD = Path(__file__).parent / "e2e" / "netguard"
PEOPLE, MONTHS = 800, 6  # long enough for a few step ups under selective enrolment (and their windows)


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    warehouse: Path
    network_log: Path
    stdout: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("county")
    data_dir, warehouse = root / "data", root / "warehouse" / "outcomes.duckdb"
    network_log = root / "network.log"
    env = {
        **os.environ,
        "HFC_DATA_DIR": str(data_dir),
        "HFC_WAREHOUSE_PATH": str(warehouse),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "HFC_NETWORK_LOG": str(network_log),
        "PYTHONPATH": os.pathsep.join([str(NETGUARD), os.environ.get("PYTHONPATH", "")]),
    }
    for var in ("HFC_PSEUDONYMISATION_KEY", "HFC_PSEUDONYMISATION_KEY_FILE", "HFC_MODE"):
        env.pop(var, None)
    hfc = Path(sys.executable).parent / "hfc"
    result = subprocess.run(
        [str(hfc), "demo", "--people", str(PEOPLE), "--months", str(MONTHS), "--seed", "7"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"hfc demo failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    return DemoRun(data_dir, warehouse, network_log, result.stdout)
