"""Publishing re-checks every published quote against the quote rule and the build, and refuses a file that breaks
it (pipelines/warehouse/publish.py, pipelines/disclosure/quotes.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.disclosure.quotes import QuoteRuleBroken
from pipelines.warehouse.publish import publish

GOOD = "Staff were really kind."
COMMENT = f"{GOOD} My name is [PERSON_1]."


def _build(path: Path, quotes: list[tuple[str, str, str]], responses: int = 9, extra: str = "") -> Path:
    """A build with ``responses`` responses coded to kindness, one comment holding GOOD, and the quote table."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema restricted; create schema dashboards")
        con.execute(
            "create table marts.fct_feedback_themes as select 'f' || i as feedback_key, "
            "'kindness_and_respect' as theme from range(?) t(i)",
            [responses],
        )
        con.execute(
            "create table restricted.stg_feedback__narratives as select 'f0' as feedback_key, ? as feedback_comment",
            [COMMENT],
        )
        con.execute(
            "create table dashboards.dash_feedback_quotes (theme varchar, theme_description varchar, "
            f"quote_id varchar, quote varchar, responses bigint, responses_suppression varchar{extra})"
        )
        for theme, quote_id, quote in quotes:
            con.execute(
                "insert into dashboards.dash_feedback_quotes (theme, theme_description, quote_id, quote, responses) "
                "values (?, 'kind staff', ?, ?, 10)",
                [theme, quote_id, quote],
            )
    return path


def _publish_fails(tmp_path: Path, build: Path, match: str) -> None:
    published = tmp_path / "outcomes.duckdb"
    published.write_bytes(b"old")
    with pytest.raises(QuoteRuleBroken, match=match) as raised:
        publish(build, published, threshold=7)
    assert published.read_bytes() == b"old"  # readers keep the previous file
    assert not list(tmp_path.glob(".outcomes.duckdb.publishing*"))
    assert "kind." not in str(raised.value) and "PERSON" not in str(raised.value)  # never the text


def test_a_quote_that_follows_the_rule_is_published(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb", [("kindness_and_respect", "kindness_and_respect-1", GOOD)])
    result = publish(build, tmp_path / "outcomes.duckdb", threshold=7)
    assert result.quotes == 1
    with duckdb.connect(str(tmp_path / "outcomes.duckdb"), read_only=True) as con:
        assert con.execute("select quote from dashboards.dash_feedback_quotes").fetchall() == [(GOOD,)]


def test_a_build_without_quotes_publishes_as_before(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "full.duckdb")) as con:
        con.execute("create schema marts; create table marts.t as select 1 as x")
    assert publish(tmp_path / "full.duckdb", tmp_path / "outcomes.duckdb", threshold=7).quotes == 0


def test_a_placeholder_in_a_quote_stops_the_publication(tmp_path: Path) -> None:
    build = _build(
        tmp_path / "full.duckdb", [("kindness_and_respect", "kindness_and_respect-1", "My name is [PERSON_1].")]
    )
    _publish_fails(tmp_path, build, r"kindness_and_respect-1: a placeholder or symbol")


def test_a_quote_that_is_not_from_a_response_coded_to_its_theme_stops_the_publication(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb", [("kindness_and_respect", "kindness_and_respect-1", "Staff were lovely.")])
    _publish_fails(tmp_path, build, r"not a sentence of a response coded to the theme")


def test_a_theme_at_the_threshold_stops_the_publication(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb", [("kindness_and_respect", "kindness_and_respect-1", GOOD)], responses=7)
    _publish_fails(tmp_path, build, r"the theme is not coded or has too few responses")


def test_a_date_beside_a_quote_stops_the_publication(tmp_path: Path) -> None:
    build = _build(
        tmp_path / "full.duckdb",
        [("kindness_and_respect", "kindness_and_respect-1", GOOD)],
        extra=", submitted_at timestamp",
    )
    _publish_fails(tmp_path, build, r"columns beside the quotes the rule does not allow: submitted_at")


def test_more_than_three_quotes_for_a_theme_stop_the_publication(tmp_path: Path) -> None:
    rows = [("kindness_and_respect", f"kindness_and_respect-{n}", GOOD) for n in range(1, 5)]
    _publish_fails(tmp_path, _build(tmp_path / "full.duckdb", rows), r"more quotes for theme kindness_and_respect")


def test_quotes_that_cannot_be_checked_against_the_build_are_not_published(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb", [("kindness_and_respect", "kindness_and_respect-1", GOOD)])
    with duckdb.connect(str(build)) as con:
        con.execute("drop table restricted.stg_feedback__narratives")
    _publish_fails(tmp_path, build, r"could not be checked against the build")
