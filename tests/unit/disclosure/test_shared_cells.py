"""A count that ignores some coordinates is one cell however many rows (and tables) show it: the audit links it
across tables, complementary suppression withholds every appearance with the statistics resting on it, and two
appearances that say different things stop the audit and fail the release check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

import pipelines.disclosure.audit as audit_module
from pipelines.disclosure.audit import Components, audit, read_release, still_narrowed
from pipelines.disclosure.check import COMPLEMENTARY, PRIMARY, STATISTIC_WITHHELD, disclosure_failures
from pipelines.disclosure.relations import Cell, DeclarationError, TableSpec
from pipelines.disclosure.release import ReleaseRefused, write_release
from pipelines.disclosure.secondary import apply, load, protect

T, BASE = 7, 5
BY_SEX = ["sex"]

EQUALITY = {
    "coordinates": {"dimension": {"names_dimension": True}, "dimension_value": {"dimension_from": "dimension"}},
    "counts": {"people_in_contact": {"measure": "people_in_contact", "additive_over": BY_SEX}},
}


def safety(linked: bool = True) -> dict[str, Any]:
    people_in_contact: dict[str, Any] = {"measure": "people_in_contact", "additive_over": BY_SEX}
    if linked:
        people_in_contact["ignores"] = ["event_type"]
    return {
        "coordinates": {
            "event_type": "event_type",
            "dimension": {"names_dimension": True},
            "dimension_value": {"dimension_from": "dimension"},
        },
        "counts": {
            "people": {"measure": "people_with_safety_events", "additive_over": BY_SEX, "within": "people_in_contact"},
            "people_in_contact": people_in_contact,
        },
    }


def specs(linked: bool = True) -> dict[str, TableSpec]:
    return {
        "dash_groups": TableSpec.from_json("dash_groups", EQUALITY),
        "dash_safety": TableSpec.from_json(
            "dash_safety", safety(linked), {"percent_of_people": ["people", "people_in_contact"]}
        ),
    }


def counts(**values: Any) -> dict[str, Any]:
    """A row: None for a count means suppressed by the rule."""
    out = dict(values)
    for name in ("people", "people_in_contact"):
        if name in values:
            out[f"{name}_suppression"] = PRIMARY if values[name] is None else None
    return out


def equality(value: str, people_in_contact: int | None) -> dict[str, Any]:
    return counts(dimension="sex", dimension_value=value, people_in_contact=people_in_contact)


def safety_row(event_type: str, value: str, people: int | None, people_in_contact: int | None) -> dict[str, Any]:
    row = counts(
        event_type=event_type,
        dimension="sex",
        dimension_value=value,
        people=people,
        people_in_contact=people_in_contact,
    )
    shown = people and people_in_contact
    row["percent_of_people"] = 100.0 * people / people_in_contact if shown else None
    row["percent_of_people_suppression"] = None if shown or people == 0 else STATISTIC_WITHHELD
    return row


# the women's people in contact are suppressed in dash_groups, which shows no total; dash_safety shows the
# total on each event type's row: 60 less 50 leaves the women 6 or 7
LINK_ATTACK = {
    "dash_groups": [equality("F", None), equality("M", 50)],
    "dash_safety": [safety_row("arrest", "all", 10, 60), safety_row("custody", "all", 0, 60)],
}
WOMEN = "dash_groups.people_in_contact [dimension=sex, dimension_value=F]"


def test_a_count_shown_on_every_event_type_row_is_one_cell() -> None:
    published = read_release(specs(), LINK_ATTACK, T, BASE)
    total = Cell("people_in_contact", ())
    assert [loc.describe() for loc in published.locations[total]] == [
        "dash_safety.people_in_contact [event_type=arrest, dimension=sex, dimension_value=all]",
        "dash_safety.people_in_contact [event_type=custody, dimension=sex, dimension_value=all]",
    ]
    assert (Cell("people_with_safety_events", (("event_type", "arrest"),)), total) in published.relations.at_most


def test_the_link_catches_a_withheld_count_recoverable_from_the_other_table() -> None:
    # without the link the two tables look unrelated, and the audit misses the leak
    assert audit(read_release(specs(linked=False), LINK_ATTACK, T, BASE)).passed
    published = read_release(specs(), LINK_ATTACK, T, BASE)
    result = audit(published)
    assert [f.describe() for f in result.findings] == [WOMEN]
    protection = protect(published)
    assert protection.audit.passed and protection.withheld


def _warehouse(con: duckdb.DuckDBPyConnection, tables: dict[str, list[dict[str, Any]]]) -> None:
    con.execute("create schema if not exists dashboards")
    con.execute(
        "create table dashboards.dash_groups (dimension varchar, dimension_value varchar, "
        "people_in_contact bigint, people_in_contact_suppression varchar)"
    )
    con.execute(
        "create table dashboards.dash_safety (event_type varchar, dimension varchar, dimension_value varchar, "
        "people bigint, people_suppression varchar, people_in_contact bigint, people_in_contact_suppression varchar, "
        "percent_of_people double, percent_of_people_suppression varchar)"
    )
    for table, rows in tables.items():
        names = list(rows[0])
        con.executemany(
            f"insert into dashboards.{table} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
            [[r[n] for n in names] for r in rows],
        )


def test_withholding_a_repeated_cell_withholds_it_everywhere_with_its_statistics() -> None:
    # women 1 to 7 beside men 50 and a total of 50 (shown in both tables): the women are 1 to 4. The total and the
    # men are the smallest cells beside them; the total goes, from every row of both tables
    tables = {
        "dash_groups": [equality("F", None), equality("M", 50), equality("all", 50)],
        "dash_safety": [safety_row("arrest", "all", 10, 50), safety_row("custody", "all", 0, 50)],
    }
    con = duckdb.connect(":memory:")
    _warehouse(con, tables)
    published = load(con, specs(), T, BASE)
    assert [f.describe() for f in audit(published).findings] == [WOMEN]
    protection = protect(published)
    assert protection.audit.passed
    assert protection.withheld == [Cell("people_in_contact", ())]
    changed = apply(con, specs(), published, protection.withheld)
    assert changed == 3
    assert con.execute(
        "select people_in_contact, people_in_contact_suppression from dashboards.dash_groups "
        "where dimension_value = 'all'"
    ).fetchall() == [(None, COMPLEMENTARY)]
    assert con.execute(
        "select event_type, people, people_in_contact, people_in_contact_suppression, percent_of_people, "
        "percent_of_people_suppression from dashboards.dash_safety order by event_type"
    ).fetchall() == [
        ("arrest", 10, None, COMPLEMENTARY, None, STATISTIC_WITHHELD),
        ("custody", 0, None, COMPLEMENTARY, None, STATISTIC_WITHHELD),
    ]
    # what was written reads back as one withheld cell, and passes
    assert audit(load(con, specs(), T, BASE)).passed


@pytest.mark.parametrize(
    "tables",
    [
        # two rows of one table
        {
            "dash_groups": [equality("M", 50)],
            "dash_safety": [safety_row("arrest", "M", 10, 50), safety_row("custody", "M", 10, 55)],
        },
        # two tables
        {"dash_groups": [equality("M", 50)], "dash_safety": [safety_row("arrest", "M", 10, 55)]},
        # shown in one, suppressed in the other
        {"dash_groups": [equality("M", None)], "dash_safety": [safety_row("arrest", "M", None, 10)]},
    ],
)
def test_two_appearances_of_one_cell_that_differ_are_a_false_declaration(tables: dict[str, Any]) -> None:
    with pytest.raises(DeclarationError, match="published differently") as caught:
        read_release(specs(), tables, T, BASE)
    message = str(caught.value)
    assert "people_in_contact [" in message and not any(n in message for n in ("10", "50", "55"))


def test_a_release_whose_copies_of_a_cell_differ_is_refused(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.load_audit as select 'police' as feed, '2025-01' as delivery_period, "
            "'loaded' as load_status, 'abc' as content_sha256"
        )
        _warehouse(con, {"dash_groups": [equality("M", 50)], "dash_safety": [safety_row("arrest", "M", 10, 55)]})
    with pytest.raises(ReleaseRefused):
        write_release(warehouse, tmp_path / "release", tmp_path / "reports", specs())
    problems = (tmp_path / "reports" / "release_check.md").read_text()
    assert "published differently" in problems


def test_a_statistic_backed_by_two_counts_needs_both_to_survive() -> None:
    con = duckdb.connect(":memory:")
    _warehouse(con, {"dash_groups": [equality("M", 50)], "dash_safety": [safety_row("arrest", "M", 10, 50)]})
    con.execute(
        "update dashboards.dash_safety set people_in_contact = null, people_in_contact_suppression = ?", [COMPLEMENTARY]
    )
    statistics = {t: dict(s.statistics) for t, s in specs().items()}
    assert disclosure_failures(con, T, BASE, statistics) == [
        "dash_safety.percent_of_people: shown where people_in_contact did not survive (1 rows)"
    ]


def test_ignores_must_name_a_coordinate_the_count_does_not_add_up_over() -> None:
    declared = safety()
    declared["counts"]["people_in_contact"]["ignores"] = ["month"]
    with pytest.raises(DeclarationError, match="not a coordinate"):
        TableSpec.from_json("dash_safety", declared)
    declared["counts"]["people_in_contact"]["ignores"] = ["dimension_value"]
    with pytest.raises(DeclarationError, match="not a coordinate"):
        TableSpec.from_json("dash_safety", declared)
    declared["counts"]["people_in_contact"] |= {"ignores": ["event_type"], "additive_over": ["event_type"]}
    with pytest.raises(DeclarationError, match="adds up over it"):
        TableSpec.from_json("dash_safety", declared)


def test_a_release_carries_ignores_and_every_count_behind_a_statistic() -> None:
    spec = specs()["dash_safety"]
    again = TableSpec.from_json("dash_safety", spec.to_json())
    assert again == spec
    assert again.count("people_in_contact").ignores == ("event_type",)
    assert again.statistics_behind("people_in_contact") == ("percent_of_people",)


def test_protection_builds_the_components_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = audit_module.components

    def counted(relations: Any) -> Any:
        calls.append(1)
        return real(relations)

    monkeypatch.setattr(audit_module, "components", counted)
    published = read_release(specs(), LINK_ATTACK, T, BASE)
    women = Cell("people_in_contact", (("sex", "F"),))
    groups = Components(published.relations)
    assert still_narrowed(published, women, groups) and still_narrowed(published, women)
    calls.clear()
    assert protect(published).audit.passed
    assert len(calls) == 1
