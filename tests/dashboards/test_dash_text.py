"""The page text the browser scan reads (issue #19): the disclosure rule's own statements are marked
``data-hfc-rule`` (the scan skips them, so they must hold nothing but the rule), reference values of a ratio are in
words (a bare "1" reads as a count), and a programme with no estimates gets a sentence, not "None"."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboards.components import reason_text, rule_text
from pipelines.dashboard.scan import count_like_numbers
from tests.dashboards.conftest import BASE, REASONS, THRESHOLD
from tests.dashboards.dash_helpers import page_html, run_page

_RULE = re.compile(r"<(p|ul) class=\"hfc-note\" data-hfc-rule>(.*?)</\1>", re.S)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def test_rule_statements_are_marked_and_hold_only_the_rule(use_warehouse: Path) -> None:
    html = page_html(run_page("data-quality")) + page_html(run_page("equality"))
    marked = _RULE.findall(html)
    assert marked, "no rule statement is marked data-hfc-rule"
    allowed = {_text(rule_text()), *(f"{r}: {_text(reason_text(r))}" for r in REASONS)}
    for tag, inner in marked:
        if tag == "p":
            assert _text(inner) == _text(rule_text())
        else:
            items = [_text(i) for i in re.findall(r"<li>(.*?)</li>", inner, re.S)]
            assert items and set(items) <= allowed, items
    # the complementary reason states the threshold: unmarked, the scan would read it as a count
    assert count_like_numbers(reason_text("suppressed_complementary"), THRESHOLD, BASE)
    assert 'data-hfc-rule><li><span class="hfc-reason">' in html


def test_evaluation_text_has_no_bare_reference_numbers(use_warehouse: Path) -> None:
    html = page_html(run_page("evaluation"))
    assert "rate ratio (one = no change; below one = fewer)" in html
    outside_tables = re.sub(r"<table.*?</table>|<[^>]+data-hfc-rule>.*?</(?:p|ul)>", "", html, flags=re.S)
    assert count_like_numbers(_text(outside_tables), THRESHOLD, BASE) == []


@pytest.fixture()
def no_street_triage_estimates(dash_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture warehouse with no evaluation estimates for street triage (a programme the filter still knows)."""
    copy = tmp_path / "outcomes.duckdb"
    shutil.copy(dash_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from dashboards.dash_evaluation_estimates where intervention_code = 'street_triage'")
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(copy))
    monkeypatch.delenv("HFC_DISCLOSURE_THRESHOLD", raising=False)
    monkeypatch.delenv("HFC_DISCLOSURE_ROUNDING_BASE", raising=False)
    return copy


def test_evaluation_for_a_programme_without_estimates(no_street_triage_estimates: Path) -> None:
    at = run_page("evaluation", {"programme": "street_triage"})
    assert not at.exception and not at.error
    assert at.query_params["programme"] == "street_triage"  # the filter kept the programme
    html = page_html(at)
    assert "None" not in html and "None" not in " ".join(i.value for i in at.info)
    assert any("No published estimates for Street triage" in i.value for i in at.info)
    assert '<div id="hfc-page-complete" data-charts="0"></div>' in html
    assert not at.get("vega_lite_chart")
