"""No setting switches disclosure control off: dbt itself refuses a weaker threshold or rounding base, however
it is given (environment or --vars), so a run that bypasses pipelines/settings.py cannot publish small counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def _parse(tmp_path: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "HFC_WAREHOUSE_BUILD_PATH": ":memory:",
        "HFC_PSEUDONYMISED_DIR": str(tmp_path / "pseudonymised"),
        **env,
    }
    for name in ("HFC_DISCLOSURE_THRESHOLD", "HFC_DISCLOSURE_ROUNDING_BASE"):
        if name not in env:
            full_env.pop(name, None)
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [str(dbt), "parse", "--no-partial-parse", "--target-path", str(tmp_path / "target"), *extra],
        cwd=DBT_PROJECT_DIR,
        env=full_env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("env", "vars_", "said"),
    [
        ({"HFC_DISCLOSURE_THRESHOLD": "6"}, None, "disclosure_threshold is 6, below 7"),
        ({"HFC_DISCLOSURE_THRESHOLD": "0"}, None, "disclosure_threshold is 0, below 7"),
        ({"HFC_DISCLOSURE_THRESHOLD": "off"}, None, "cannot be switched off"),
        ({"HFC_DISCLOSURE_ROUNDING_BASE": "1"}, None, "disclosure_rounding_base is 1, below 5"),
        ({"HFC_DISCLOSURE_ROUNDING_BASE": "20"}, None, "would be published as 0"),
        ({}, "{disclosure_threshold: 3}", "disclosure_threshold is 3, below 7"),
    ],
)
def test_dbt_refuses_a_setting_that_weakens_control(tmp_path: Path, env: dict, vars_: str | None, said: str) -> None:
    result = _parse(tmp_path, env, *(["--vars", vars_] if vars_ else []))
    assert result.returncode != 0
    assert said in result.stdout


def test_dbt_accepts_a_stricter_setting(tmp_path: Path) -> None:
    result = _parse(tmp_path, {"HFC_DISCLOSURE_THRESHOLD": "9", "HFC_DISCLOSURE_ROUNDING_BASE": "10"})
    assert result.returncode == 0, result.stdout[-2000:]
