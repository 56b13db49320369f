"""The differencing audit catches planted attacks (a margin, two tables, months and their year, parts of a row) and
complementary suppression then protects them; a false declaration is caught as infeasible."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from pipelines.disclosure.audit import (
    InconsistentRelations,
    audit,
    protection_values,
    published_count,
    read_release,
    rounding_interval,
)
from pipelines.disclosure.check import COMPLEMENTARY, PRIMARY
from pipelines.disclosure.relations import Cell, DeclarationError, TableSpec
from pipelines.disclosure.secondary import apply, load, protect

T, BASE = 7, 5


def spec(table: str, declared: dict[str, Any], statistics: dict[str, str] | None = None) -> TableSpec:
    return TableSpec.from_json(table, declared, statistics)


def row(**values: Any) -> dict[str, Any]:
    """A published row: None for a count means suppressed by the rule (its reason is filled in)."""
    out = dict(values)
    for name, value in values.items():
        if name in {"people", "events", "contacts", "improved", "not_improved", "with_change"}:
            out[f"{name}_suppression"] = PRIMARY if value is None else None
    return out


PEOPLE_BY_THING = {
    "coordinates": {"thing": "thing"},
    "counts": {"people": {"measure": "people", "additive_over": ["thing"]}},
}


@pytest.mark.parametrize(
    ("value", "base", "interval"),
    [(0, 5, (0, 0)), (10, 5, (8, 12)), (15, 5, (13, 17)), (20, 10, (15, 24)), (10, 10, (8, 14))],
)
def test_a_published_count_stands_for_the_counts_that_round_to_it(
    value: int, base: int, interval: tuple[int, int]
) -> None:
    assert rounding_interval(value, T, base) == interval


@pytest.mark.parametrize(("threshold", "base"), [(7, 5), (9, 5), (7, 10), (9, 10)])
def test_every_count_lies_in_the_interval_its_published_value_stands_for(threshold: int, base: int) -> None:
    for count in range(0, 300):
        shown = published_count(count, threshold, base)
        if shown is None:
            assert 1 <= count <= threshold
        else:
            low, high = rounding_interval(shown, threshold, base)
            assert low <= count <= high and shown % base == 0
    assert published_count(15, 7, 10) == 20  # halves up, as the dbt macro does


def test_protection_is_the_values_a_rounded_count_carries_at_most_the_threshold() -> None:
    assert protection_values(7, 5) == 5
    assert protection_values(9, 10) == 9


def test_a_margin_that_betrays_one_cell_is_caught_and_named_without_a_number() -> None:
    specs = {"dash_things": spec("dash_things", PEOPLE_BY_THING)}
    tables = {"dash_things": [row(thing="a", people=50), row(thing="b", people=None), row(thing="all", people=60)]}
    result = audit(read_release(specs, tables, T, BASE))
    assert [f.cell for f in result.findings] == [Cell("people", (("thing", "b"),))]
    described = result.findings[0].describe()
    assert described == "dash_things.people [thing=b]"


def test_a_margin_that_leaves_room_passes() -> None:
    specs = {"dash_things": spec("dash_things", PEOPLE_BY_THING)}
    tables = {"dash_things": [row(thing="a", people=50), row(thing="b", people=None), row(thing="all", people=55)]}
    assert audit(read_release(specs, tables, T, BASE)).passed


def test_two_tables_whose_difference_betrays_a_cell_are_caught() -> None:
    by_ethnicity = {
        "coordinates": {"ethnicity": "ethnicity_group"},
        "counts": {"people": {"measure": "people_in_contact", "additive_over": ["ethnicity_group"]}},
    }
    by_sex = {
        "coordinates": {"sex": "sex"},
        "counts": {"people": {"measure": "people_in_contact", "additive_over": ["sex"]}},
    }
    specs = {"dash_a": spec("dash_a", by_ethnicity), "dash_b": spec("dash_b", by_sex)}
    tables = {
        "dash_a": [row(ethnicity="White", people=190), row(ethnicity="Other", people=None)],
        "dash_b": [row(sex="M", people=100), row(sex="F", people=100)],
    }
    published = read_release(specs, tables, T, BASE)
    result = audit(published)
    assert [f.describe() for f in result.findings] == ["dash_a.people [ethnicity=Other]"]
    # each table alone is safe: the leak is the difference
    assert audit(read_release({"dash_a": specs["dash_a"]}, {"dash_a": tables["dash_a"]}, T, BASE)).passed
    protection = protect(published)
    assert protection.audit.passed
    assert protection.withheld == [Cell("people_in_contact", (("ethnicity_group", "White"),))]


def test_months_and_their_year_are_related() -> None:
    monthly = {
        "coordinates": {"month": "month"},
        "counts": {"events": {"measure": "events", "additive_over": ["month"]}},
    }
    yearly = {"coordinates": {"year": "year"}, "counts": {"events": {"measure": "events", "additive_over": ["year"]}}}
    specs = {"dash_monthly": spec("dash_monthly", monthly), "dash_yearly": spec("dash_yearly", yearly)}
    months = [row(month=f"2025-{m:02d}-01", events=20) for m in range(1, 12)] + [row(month="2025-12-01", events=None)]
    tables = {"dash_monthly": months, "dash_yearly": [row(year="2025", events=20 * 11 + 5)]}
    found = audit(read_release(specs, tables, T, BASE)).findings
    # eleven months each known to within 5: the year's total leaves December wide open
    assert found == []
    tables["dash_monthly"] = [row(month="2025-11-01", events=20), row(month="2025-12-01", events=None)]
    tables["dash_yearly"] = [row(year="2025", events=30)]
    found = audit(read_release(specs, tables, T, BASE)).findings
    assert [f.describe() for f in found] == ["dash_monthly.events [month=2025-12-01]"]


def test_parts_of_a_row_betray_the_missing_part() -> None:
    declared = {
        "coordinates": {"measure": "measure_code"},
        "counts": {
            "with_change": {"measure": "with_change"},
            "improved": {"measure": "improved"},
            "not_improved": {"measure": "not_improved"},
        },
        "parts": {"with_change": ["improved", "not_improved"]},
    }
    specs = {"dash_change": spec("dash_change", declared)}
    tables = {"dash_change": [row(measure="X", with_change=35, improved=25, not_improved=None)]}
    result = audit(read_release(specs, tables, T, BASE))
    assert [f.describe() for f in result.findings] == ["dash_change.not_improved [measure=X]"]
    # two suppressed parts of a suppressed whole tell a reader only that each is at most 6: that passes
    tables = {"dash_change": [row(measure="X", with_change=None, improved=None, not_improved=None)]}
    assert audit(read_release(specs, tables, T, BASE)).passed


def test_a_declaration_the_numbers_contradict_is_caught() -> None:
    specs = {"dash_things": spec("dash_things", PEOPLE_BY_THING)}
    tables = {"dash_things": [row(thing="a", people=50), row(thing="b", people=None), row(thing="all", people=200)]}
    with pytest.raises(InconsistentRelations, match="declaration"):
        audit(read_release(specs, tables, T, BASE))


def test_a_stricter_threshold_asks_more_of_the_same_tables() -> None:
    specs = {"dash_things": spec("dash_things", PEOPLE_BY_THING)}
    # b is 1..7 under the default rule and 1..9 under a threshold of 9; the margin leaves b 7 to 11
    tables = {"dash_things": [row(thing="a", people=50), row(thing="b", people=None), row(thing="all", people=60)]}
    assert not audit(read_release(specs, tables, 9, BASE)).passed


def test_a_suppressed_total_equal_to_its_one_suppressed_cell_is_no_leak() -> None:
    specs = {"dash_things": spec("dash_things", PEOPLE_BY_THING)}
    tables = {"dash_things": [row(thing="a", people=0), row(thing="b", people=None), row(thing="all", people=None)]}
    # both stay 1..7
    assert audit(read_release(specs, tables, T, BASE)).passed


def test_a_false_declaration_stops_protection_too() -> None:
    specs = {"dash_things": spec("dash_things", PEOPLE_BY_THING)}
    tables = {"dash_things": [row(thing="a", people=50), row(thing="b", people=None), row(thing="all", people=200)]}
    with pytest.raises(InconsistentRelations, match="declaration"):
        protect(read_release(specs, tables, T, BASE))


def test_withheld_cells_and_their_statistics_are_nulled_in_the_warehouse() -> None:
    declared = {
        "coordinates": {"thing": "thing"},
        "counts": {"people": {"measure": "people", "additive_over": ["thing"]}},
    }
    specs = {"dash_things": spec("dash_things", declared, {"mean_score": "people"})}
    con = duckdb.connect(":memory:")
    con.execute("create schema dashboards")
    con.execute(
        "create table dashboards.dash_things (thing varchar, people bigint, people_suppression varchar, "
        "mean_score double, mean_score_suppression varchar)"
    )
    con.executemany(
        "insert into dashboards.dash_things values (?, ?, ?, ?, ?)",
        [("a", 50, None, 2.5, None), ("b", None, PRIMARY, None, "count_suppressed"), ("all", 60, None, 2.4, None)],
    )
    published = load(con, specs, T, BASE)
    protection = protect(published)
    assert protection.audit.passed
    apply(con, specs, published, protection.withheld)
    rows = con.execute("select * from dashboards.dash_things order by thing").fetchall()
    assert rows[0] == ("a", None, COMPLEMENTARY, None, "count_suppressed")
    assert rows[1][0:3] == ("all", 60, None)


def test_every_column_must_be_declared() -> None:
    declared = {"coordinates": {"thing": "thing"}, "counts": {"people": {}}}
    with pytest.raises(DeclarationError, match="without a disclosure declaration: extra"):
        spec("dash_things", declared).validate_columns(["thing", "people", "people_suppression", "extra"])
    with pytest.raises(DeclarationError, match="not a declared count"):
        spec("dash_things", {"coordinates": {}, "counts": {"people": {"within": "nobody"}}})
