"""The sidebar filters: each one changes what is shown, they are mirrored in the URL, and unknown values fall back
to the defaults. A period selects months; it never adds them up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.dashboards.dash_helpers import PAGES, page_html, run_page

DEFAULTS = {"from": "2024-01", "to": "2024-06", "programme": "all", "area": "all", "cohort": "NHSE_HIU_YEAR"}


def tables(html: str) -> list[str]:
    return re.findall(r'<table class="hfc-table".*?</table>', html, re.S)


def months_shown(table: str) -> set[str]:
    return set(re.findall(r"<td>(2024-\d\d)</td>", table))


def test_defaults_are_written_to_the_url_and_drawn_in_the_sidebar(use_warehouse: Path) -> None:
    at = run_page("overview")
    assert at.query_params == DEFAULTS
    widgets = {box.key: box.value for box in at.sidebar.selectbox}
    assert widgets == {f"hfc_filter_{key}": value for key, value in DEFAULTS.items()}


def test_a_link_sets_the_filters(use_warehouse: Path) -> None:
    query = {
        "from": "2024-02",
        "to": "2024-03",
        "programme": "street_triage",
        "area": "LOC1",
        "cohort": "TOP1PCT_LOCAL",
    }
    at = run_page("overview", query)
    assert at.query_params == query
    assert {box.key: box.value for box in at.sidebar.selectbox} == {f"hfc_filter_{k}": v for k, v in query.items()}


def test_unknown_values_fall_back_to_the_defaults(use_warehouse: Path) -> None:
    at = run_page("overview", {"from": "1999-01", "to": "not-a-month", "programme": "x", "area": "LOC9", "cohort": "?"})
    assert at.query_params == DEFAULTS
    assert not at.exception and not at.error


def test_period_selects_months(use_warehouse: Path) -> None:
    whole = tables(page_html(run_page("overview")))[0]
    narrow = tables(page_html(run_page("overview", {"from": "2024-02", "to": "2024-03"})))[0]
    assert months_shown(whole) == {f"2024-0{m}" for m in range(1, 7)}
    assert months_shown(narrow) == {"2024-02", "2024-03"}
    # the same published cells, not new totals: every narrow row is a row of the whole period's table
    whole_rows = set(re.findall(r"<tr>.*?</tr>", whole))
    assert set(re.findall(r"<tr>.*?</tr>", narrow)) <= whole_rows


def test_from_after_to_shows_the_months_between(use_warehouse: Path) -> None:
    at = run_page("overview", {"from": "2024-04", "to": "2024-02"})
    assert months_shown(tables(page_html(at))[0]) == {"2024-02", "2024-03", "2024-04"}
    assert at.sidebar.warning


def test_area_shows_that_localitys_rows(use_warehouse: Path) -> None:
    county = tables(page_html(run_page("overview")))[0]
    loc1 = tables(page_html(run_page("overview", {"area": "LOC1"})))[0]
    loc2 = tables(page_html(run_page("overview", {"area": "LOC2"})))[0]
    assert len({county, loc1, loc2}) == 3
    assert "area LOC1" in loc1


def test_cohort_definition_changes_the_cohort_chart(use_warehouse: Path) -> None:
    hiu = page_html(run_page("overview"))
    top = page_html(run_page("overview", {"cohort": "TOP1PCT_LOCAL"}))
    assert "NHSE_HIU_YEAR cohort by month" in hiu and "TOP1PCT_LOCAL" not in tables(hiu)[1]
    assert "TOP1PCT_LOCAL cohort by month" in top
    assert tables(hiu)[1] != tables(top)[1]


def test_programme_filters_outcomes_equality_and_evaluation(use_warehouse: Path) -> None:
    for page, table_index in (("outcomes", 0), ("evaluation", 0), ("equality", -1)):
        every = tables(page_html(run_page(page)))[table_index]
        one = tables(page_html(run_page(page, {"programme": "street_triage"})))[table_index]
        assert "High intensity team" in every and "Street triage" in every, page
        assert "High intensity team" not in one and "Street triage" in one, page


@pytest.mark.parametrize(
    ("key", "value", "page"),
    [
        ("from", "2024-04", "overview"),
        ("to", "2024-02", "overview"),
        ("area", "LOC2", "overview"),
        ("cohort", "TOP1PCT_LOCAL", "overview"),
        ("programme", "street_triage", "outcomes"),
    ],
)
def test_each_sidebar_filter_changes_the_page_and_the_url(use_warehouse: Path, key: str, value: str, page: str) -> None:
    at = run_page(page)
    before = tables(page_html(at))
    at.sidebar.selectbox(key=f"hfc_filter_{key}").set_value(value).run()
    assert not at.exception
    assert at.query_params[key] == value
    assert tables(page_html(at)) != before


def test_filters_follow_the_reader_from_page_to_page(use_warehouse: Path) -> None:
    at = run_page("overview")
    at.sidebar.selectbox(key="hfc_filter_programme").set_value("street_triage").run()
    at.switch_page(PAGES["evaluation"]).run()
    assert at.query_params["programme"] == "street_triage"
    assert at.sidebar.selectbox(key="hfc_filter_programme").value == "street_triage"
    assert "High intensity team" not in tables(page_html(at))[0]
