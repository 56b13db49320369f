"""The dashboards in a real browser, on the end-to-end county: every page and a sample of filter combinations.

A page fails on an exception or error element, a console or page error, a request that leaves 127.0.0.1, a page
that never completes, a count the disclosure rules forbid (tables, text, charts, downloads), a planted identifier
of the synthetic truth, or a serious or critical axe-core violation. Screenshots go to a temporary folder, and to
``docs/images/dashboard/`` with ``HFC_SAVE_SCREENSHOTS=1``. A second test proves the harness catches each fault on
a stand-in app.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from pipelines.dashboard.browser import browser, page_url
from pipelines.dashboard.pages import filter_values, page_slug, sample_loads
from pipelines.dashboard.scan import planted_findings, planted_values, scan_page, warehouse_columns
from pipelines.dashboard.server import running
from pipelines.settings import REPO_ROOT, Zones, disclosure_rounding_base, disclosure_threshold
from tests.browser.conftest import STAND_IN_APP
from tests.conftest import NETGUARD

pytestmark = pytest.mark.slow
README_SHOTS = REPO_ROOT / "docs" / "images" / "dashboard"


def _local(line: str) -> bool:
    """A line of the network recorder (``tests/e2e/netguard``): loopback, a Unix socket, or nothing."""
    _, _kind, target = line.split("\t", 2)
    return bool(re.match(r"^\(?'?(127\.|::1|localhost|0\.0\.0\.0)|^'/|^b'|^None$", target.strip("()")))


def test_every_page_and_a_sample_of_filters_in_a_real_browser(demo_run, app_path: Path, tmp_path: Path) -> None:
    threshold, base = disclosure_threshold(), disclosure_rounding_base()
    columns = warehouse_columns(demo_run.warehouse)
    known = planted_values(Zones(demo_run.data_dir).synth_truth)
    loads = sample_loads(filter_values(demo_run.warehouse))
    shots = tmp_path / "screenshots"
    problems: list[str] = []
    network_log = tmp_path / "server_network.log"  # every connection the app's server process attempts
    guard = {
        "HFC_NETWORK_LOG": str(network_log),
        "PYTHONPATH": os.pathsep.join([str(NETGUARD), os.environ.get("PYTHONPATH", "")]),
    }
    with (
        running(app_path, demo_run.warehouse, tmp_path / "streamlit.log", env=guard) as server,
        browser() as chromium,
    ):
        for path, params in loads:
            shot = shots / f"{page_slug(path)}.png" if not params else None
            result = chromium.load(page_url(server.url, path, params), screenshot=shot)
            problems += [f"{result.url}: {p}" for p in result.problems()]
            problems += [str(f) for f in scan_page(result, threshold, base, columns)]
            problems += [str(f) for f in planted_findings(result, known)]
        log = server.log_tail()
    lines = network_log.read_text().splitlines() if network_log.exists() else []
    off = [line for line in lines if "network disabled" in line or not _local(line)]
    problems += [f"the app's server attempted a connection off the machine: {line}" for line in off]
    if os.environ.get("HFC_SAVE_SCREENSHOTS") == "1" and not problems:  # the README shows only pages that pass
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots.glob("*.png"):
            shutil.copy(shot, README_SHOTS / shot.name)
    assert not problems, "\n".join(problems[:60]) + f"\n--- streamlit log ---\n{log}"
    assert len(list(shots.glob("*.png"))) == 6


FAULTS = {
    "count": "a count-like number",
    "cell": "a count from 1 to the threshold",
    "download": "download 'contacts.csv'",
    "request": "request left the machine",
    "exception": "error element stException",
    "planted": "a planted PERSON",
}


def test_the_harness_catches_every_planted_fault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.privacy.scan import KnownValues

    monkeypatch.setenv("HFC_STAND_IN_PLANTED", "Zebedee Quillfeather")
    known = KnownValues([("PERSON", "Zebedee Quillfeather")])
    found: dict[str, list[str]] = {}
    with running(STAND_IN_APP, tmp_path / "no-warehouse.duckdb", tmp_path / "streamlit.log") as server, browser() as b:
        for leak in ["", *FAULTS]:
            result = b.load(page_url(server.url, "outcomes", {"leak": leak} if leak else None), axe=leak == "")
            found[leak] = [
                *result.problems(),
                *(str(f) for f in scan_page(result, 7, 5)),
                *(str(f) for f in planted_findings(result, known)),
            ]
            if leak == "":
                assert result.complete and result.charts_drawn == 1 and result.ms_to_last_chart
                assert len(result.downloads) == 1 and result.downloads[0].text.startswith("month,")
        log = server.log_tail()
    assert found[""] == [], "\n".join(found[""]) + log
    for leak, expected in FAULTS.items():
        assert any(expected in p for p in found[leak]), (leak, found[leak])
    # nothing the harness reports names a small count or the planted value
    for problems in found.values():
        assert not any("Zebedee" in p or "there were 3" in p for p in problems)
