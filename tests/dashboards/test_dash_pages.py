"""Every page renders on the fixture warehouse, under a sample of filter combinations, and obeys disclosure control:
every count shown (tables and text alternatives) is 0 or above the threshold and a multiple of the base, a withheld
cell reads "suppressed" with its reason and a note saying why, and every download keeps the same rule."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import streamlit

from tests.dashboards.conftest import BASE, REASONS, THRESHOLD
from tests.dashboards.dash_helpers import (
    PAGES,
    chart_count_problems,
    chart_frames,
    count_cells,
    disclosure_problems,
    page_html,
    run_page,
)

COMBINATIONS: list[dict[str, str]] = [
    {},
    {"from": "2024-02", "to": "2024-04", "programme": "street_triage", "area": "LOC2", "cohort": "TOP1PCT_LOCAL"},
    {"from": "2024-05", "to": "2024-06", "programme": "high_intensity_team", "area": "unknown"},
]
EXPECTED_CHARTS = {"overview": 3, "outcomes": 3, "equality": 5, "voices": 2, "evaluation": 2, "data-quality": 3}


@pytest.fixture()
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytes]]:
    """Record what every download button would give the reader."""
    seen: list[tuple[str, bytes]] = []
    original: Callable[..., Any] = streamlit.download_button

    def recording(label: str, data: bytes, *args: Any, **kwargs: Any) -> Any:
        seen.append((label, data))
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    return seen


def csv_problems(payload: bytes) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8"))))
    problems = []
    for row in rows:
        for column, value in row.items():
            sibling = row.get(f"{column}_suppression")
            if column.endswith("_suppression") or sibling is None:
                continue
            if sibling:
                if value:
                    problems.append(f"{column}: a withheld cell has a value")
                continue
            if re.fullmatch(r"-?\d+", value or "") and column not in ("window_months",):
                number = int(value)
                if 0 < number <= THRESHOLD or number % BASE:
                    problems.append(f"{column}: a count that breaks the rule")
    return problems


@pytest.mark.parametrize("query", COMBINATIONS, ids=["defaults", "narrow", "late"])
@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_and_obeys_disclosure(
    use_warehouse: Path, downloads: list[tuple[str, bytes]], page: str, query: dict[str, str]
) -> None:
    at = run_page(page, query)
    assert not at.exception, page
    assert not at.error, [e.value for e in at.error]
    html = page_html(at)

    # structure: one h1, then h2 sections; the page-complete marker counts the charts drawn
    assert len(at.title) == 1
    assert len(at.header) >= 1
    charts = at.get("vega_lite_chart")
    marker = re.search(r'<div id="hfc-page-complete" data-charts="(\d+)"></div>', html)
    assert marker, "page-complete marker missing"
    assert int(marker.group(1)) == len(charts) == EXPECTED_CHARTS[page]
    assert html.count('class="hfc-alt"') == len(charts)
    for chart in charts:
        spec = chart.proto.spec
        assert '"renderer": "svg"' in spec or '"renderer":"svg"' in spec

    # tables: accessible markup, counts marked
    assert html.count('<table class="hfc-table"') >= len(charts)
    assert html.count("<caption") == html.count('<table class="hfc-table"')
    assert "<th>" not in html and 'scope="col"' in html

    for frame in chart_frames(at):  # what marks and tooltips can show
        assert chart_count_problems(frame, THRESHOLD, BASE) == [], list(frame.columns)

    cells = count_cells(html)
    assert cells, "no counts shown"
    assert disclosure_problems(cells, THRESHOLD, BASE) == []
    for reason, _shown in cells:
        assert reason is None or reason in REASONS
    if any(reason for reason, _ in cells):
        assert 'Why cells read "suppressed"' in html

    assert downloads, "no download button"
    for label, payload in downloads:
        assert label.startswith("Download")
        assert csv_problems(payload) == [], label


def test_every_reason_is_labelled(use_warehouse: Path) -> None:
    """Across the pages, each kind of withheld cell reads "suppressed", carries its reason, and is explained."""
    html = page_html(run_page("overview")) + page_html(run_page("data-quality"))
    reasons = {reason for reason, shown in count_cells(html) if reason}
    reasons |= set(re.findall(r'data-kind="statistic" data-reason="([a-z_0-9]+)">suppressed<', html))
    assert reasons == set(REASONS)
    for reason in REASONS:
        assert f'<span class="hfc-reason">{reason}</span>' in html
    assert f"between 1 and {THRESHOLD}" in html
    assert f"nearest {BASE}" in html


def test_suppressed_cells_are_gaps_in_charts(use_warehouse: Path) -> None:
    """A withheld month is null in the chart's data (a gap), never 0."""
    at = run_page("overview", {"from": "2024-03", "to": "2024-03"})
    html = page_html(at)
    assert 'data-reason="suppressed_1_to_threshold">suppressed</td>' in html
    assert "Some monthly counts are suppressed and appear as gaps." in html
    contacts = chart_frames(at)[0].set_index("agency")["contacts"]
    assert contacts.isna()["council"] and contacts.notna()["police"]
