"""Complementary suppression on a small county: a finding no cell beside it can protect is protected from further
out (through suppressed cells and "at most" relations); one no withheld number can protect is withheld with its small
group; and the protected tables pass the audit when read back."""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.disclosure.audit import audit, read_release
from pipelines.disclosure.check import COMPLEMENTARY, GROUPED, PRIMARY, disclosure_failures
from pipelines.disclosure.relations import Cell, TableSpec
from pipelines.disclosure.secondary import apply, load, protect

T, BASE = 7, 5
COUNTS = (
    "people",
    "people_with_change",
    "people_improved",
    "people_no_reliable_change",
    "people_deteriorated",
    "people_change_not_classified",
    "people_clinically_significant",
)
CHANGE = {
    "coordinates": {"measure_code": "measure_code", "intervention_code": "intervention_code"},
    "counts": {
        "people": {"measure": "people_with_scores"},
        "people_with_change": {"measure": "people_with_change", "within": "people"},
        "people_improved": {"measure": "people_improved"},
        "people_no_reliable_change": {"measure": "people_no_reliable_change"},
        "people_deteriorated": {"measure": "people_deteriorated"},
        "people_change_not_classified": {"measure": "people_change_not_classified"},
        "people_clinically_significant": {"measure": "people_clinically_significant", "within": "people_improved"},
    },
    "parts": {
        "people_with_change": [
            "people_improved",
            "people_no_reliable_change",
            "people_deteriorated",
            "people_change_not_classified",
        ]
    },
}


def change_row(intervention: str, *values: int | None) -> dict[str, Any]:
    """A published row of the clinical change table (None: suppressed by the rule)."""
    row: dict[str, Any] = {"measure_code": "HONOS", "intervention_code": intervention}
    for name, value in zip(COUNTS, values, strict=True):
        row[name] = value
        row[f"{name}_suppression"] = PRIMARY if value is None else None
    return row


# the shape a 5,000-person county produced: improved and deteriorated are suppressed, so with_change minus
# no_reliable_change leaves each at most 3, and clinically significant (at most improved) with them. The
# clinically significant cell is in no sum at all: the only cells that can protect it are two relations away.
SMALL_ROW = change_row("street_triage", 20, 15, None, 15, None, 0, None)


def test_a_cell_whose_only_relation_is_at_most_a_suppressed_one_is_protected_from_further_out() -> None:
    specs = {"dash_clinical_change": TableSpec.from_json("dash_clinical_change", CHANGE)}
    published = read_release(specs, {"dash_clinical_change": [SMALL_ROW]}, T, BASE)
    findings = {f.cell.measure for f in audit(published).findings}
    assert findings == {"people_improved", "people_deteriorated", "people_clinically_significant"}
    protection = protect(published)
    assert protection.audit.passed
    # one cell protects both: a published part of the sum the suppressed ones are in
    key = (("intervention_code", "street_triage"), ("measure_code", "HONOS"))
    assert protection.withheld == [Cell("people_no_reliable_change", key)]


def test_the_greedy_step_past_its_rounds_withholds_all_that_bears_on_a_finding_and_passes() -> None:
    specs = {"dash_clinical_change": TableSpec.from_json("dash_clinical_change", CHANGE)}
    published = read_release(specs, {"dash_clinical_change": [SMALL_ROW]}, T, BASE)
    protection = protect(published, max_rounds=0)
    assert protection.audit.passed
    # everything published that a chain of unknown cells ties to the findings (the 0 is exact and stays)
    assert {c.measure for c in protection.withheld} == {
        "people_with_change",
        "people_no_reliable_change",
        "people_with_scores",
    }


def test_the_protected_table_written_back_passes_the_audit_when_read_again() -> None:
    specs = {"dash_clinical_change": TableSpec.from_json("dash_clinical_change", CHANGE)}
    columns = ["measure_code", "intervention_code"]
    for name in COUNTS:
        columns += [name, f"{name}_suppression"]
    con = duckdb.connect(":memory:")
    con.execute("create schema dashboards")
    typed = ", ".join(
        f'"{c}" {"varchar" if c.endswith("_suppression") or c in columns[:2] else "bigint"}' for c in columns
    )
    con.execute(f"create table dashboards.dash_clinical_change ({typed})")
    rows = [SMALL_ROW, change_row("usual_care", 40, 35, 10, 25, 0, 0, None)]
    con.executemany(
        f"insert into dashboards.dash_clinical_change values ({', '.join('?' for _ in columns)})",
        [[r[c] for c in columns] for r in rows],
    )
    published = load(con, specs, T, BASE)
    assert not audit(published).passed
    protection = protect(published)
    assert apply(con, specs, published, protection.withheld) == len(protection.withheld)
    again = load(con, specs, T, BASE)
    assert audit(again).passed
    assert again.complementary == set(protection.withheld)
    reasons = con.execute(
        "select count(*) from dashboards.dash_clinical_change where people_no_reliable_change_suppression = ?",
        [COMPLEMENTARY],
    ).fetchone()
    assert reasons == (1,)


THINGS = {
    "coordinates": {"thing": "thing"},
    "counts": {"people": {"measure": "people", "additive_over": ["thing"]}},
}


def test_cells_the_reasons_alone_betray_are_withheld_with_their_small_group_and_pass_read_back() -> None:
    """A suppressed total of 1 to 7 with four suppressed parts: each part is 1 to 4 whatever else is withheld."""
    specs = {"dash_things": TableSpec.from_json("dash_things", THINGS)}
    con = duckdb.connect(":memory:")
    con.execute("create schema dashboards")
    con.execute("create table dashboards.dash_things (thing varchar, people bigint, people_suppression varchar)")
    rows = [(t, None, PRIMARY) for t in ("a", "b", "c", "d", "all")] + [("e", 0, None)]
    con.executemany("insert into dashboards.dash_things values (?, ?, ?)", rows)
    published = load(con, specs, T, BASE)
    # each part is 1 to 4, and the total at least 4
    assert {f.cell.key for f in audit(published).findings} == {()} | {(("thing", t),) for t in "abcd"}
    protection = protect(published)
    assert protection.audit.passed and protection.withheld == []
    # the zero goes with them, so a reader cannot tell which of the group are 0
    assert {c.key for c in protection.grouped} == {()} | {(("thing", t),) for t in "abcde"}
    apply(con, specs, published, protection.withheld, grouped=protection.grouped)
    assert con.execute("select distinct people, people_suppression from dashboards.dash_things").fetchall() == [
        (None, GROUPED)
    ]
    again = load(con, specs, T, BASE)
    assert again.grouped == set(protection.grouped) and audit(again).passed
    assert disclosure_failures(con, T, BASE, {}) == []


def test_a_group_that_leaves_a_cell_narrowed_is_caught_on_reading_back() -> None:
    """A cell withheld with its group is 0 to 7 to a reader: margins can still betray it, and the audit says so."""
    specs = {"dash_things": TableSpec.from_json("dash_things", THINGS)}
    tables = {
        "dash_things": [
            {"thing": "a", "people": 10, "people_suppression": None},
            {"thing": "b", "people": None, "people_suppression": GROUPED},
            {"thing": "c", "people": None, "people_suppression": PRIMARY},
            {"thing": "all", "people": 10, "people_suppression": None},
        ]
    }
    # b and c add up to 0 to 4, and c is at least 1: b is 0 to 3
    findings = [f.describe() for f in audit(read_release(specs, tables, T, BASE)).findings]
    assert "dash_things.people [thing=b]" in findings
    # a margin that pins a grouped cell to 0 tells a reader it is 0, which a release may show
    tables["dash_things"] = [
        {"thing": "b", "people": None, "people_suppression": GROUPED},
        {"thing": "all", "people": 0, "people_suppression": None},
    ]
    assert audit(read_release(specs, tables, T, BASE)).passed
