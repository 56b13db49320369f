"""The release-side check of the disclosure rule finds each kind of breach, and passes a table that keeps the rule."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from pipelines.disclosure.check import DASHBOARD_MODELS, declared_statistics, disclosure_failures

STATISTICS = {"dash_things": {"mean_score": "people"}}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("create schema dashboards")
    return con


def _table(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.execute(
        "create table dashboards.dash_things (thing varchar, people bigint, people_suppression varchar, "
        "mean_score double)"
    )
    con.executemany("insert into dashboards.dash_things values (?, ?, ?, ?)", rows)


def test_a_table_that_keeps_the_rule_passes(con: duckdb.DuckDBPyConnection) -> None:
    _table(con, [("a", 10, None, 2.5), ("b", None, "suppressed_1_to_threshold", None), ("c", 0, None, None)])
    assert disclosure_failures(con, 7, 5, STATISTICS) == []


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (("a", 5, None, None), "count between 1 and 7"),
        (("a", 12, None, None), "count not a multiple of 5"),
        (("a", None, None, None), "withheld without a reason"),
        (("a", 10, "suppressed_1_to_threshold", None), "withheld without a reason, or shown with one"),
        (("a", None, "suppressed_1_to_threshold", 3.0), "shown where people did not survive"),
        (("a", 0, None, 3.0), "shown where people did not survive"),
        (("a", None, "too_small", None), "a reason the rule does not define"),
    ],
)
def test_each_breach_is_found_and_named_without_its_value(
    con: duckdb.DuckDBPyConnection, row: tuple, rule: str
) -> None:
    _table(con, [("ok", 20, None, 1.0), row])
    failures = disclosure_failures(con, 7, 5, STATISTICS)
    assert len(failures) == 1 and rule in failures[0] and failures[0].startswith("dash_things.")
    assert "(1 rows)" in failures[0]


def test_a_stricter_setting_is_checked_as_set(con: duckdb.DuckDBPyConnection) -> None:
    _table(con, [("a", 10, None, None), ("b", 15, None, None)])
    assert disclosure_failures(con, 7, 5, STATISTICS) == []
    assert disclosure_failures(con, 10, 10, STATISTICS) == [
        "dash_things.people: count between 1 and 10 (1 rows)",
        "dash_things.people: count not a multiple of 10 (1 rows)",
    ]


def test_a_count_without_a_reason_column_or_an_undeclared_number_fails(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table dashboards.dash_loose (events bigint, share double)")
    assert disclosure_failures(con, 7, 5, {}) == [
        "dash_loose.events: count without a suppression column",
        "dash_loose.share: a number that is neither a count nor a declared statistic",
    ]


def test_every_dashboard_model_is_read_and_its_statistics_name_a_count() -> None:
    declared = declared_statistics()
    models = {p.stem for p in DASHBOARD_MODELS.glob("dash_*.sql")}
    assert models and set(declared) == models
    documented = {
        m["name"]: {c["name"] for c in m.get("columns", [])}
        for path in DASHBOARD_MODELS.glob("*.yml")
        for m in yaml.safe_load(path.read_text()).get("models", [])
    }
    for model, statistics in declared.items():
        for statistic, counts in statistics.items():
            assert counts, (model, statistic)
            for count in counts:
                assert {statistic, count, f"{count}_suppression"} <= documented[model], (model, statistic)
