"""The real-browser tests: Debian's chromium driven by Playwright (``make browser`` installs it).

The county is the end-to-end one (``tests/conftest.py``'s ``demo_run``): the app is tested on its published
warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.dashboard.browser import chromium_path
from pipelines.settings import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
STAND_IN_APP = FIXTURES / "stand_in_app.py"


@pytest.fixture(scope="session", autouse=True)
def _chromium() -> None:
    if not os.access(chromium_path(), os.X_OK):
        pytest.fail(f"no chromium at {chromium_path()}: run `make browser` (the browser tests drive Debian's chromium)")


@pytest.fixture(scope="session")
def app_path() -> Path:
    """The dashboards app (``HFC_DASHBOARD_APP`` overrides ``dashboards/app.py``)."""
    return Path(os.environ.get("HFC_DASHBOARD_APP", REPO_ROOT / "dashboards" / "app.py"))
