"""Complementary suppression on a small county: a finding no cell beside it can protect is protected from further
out (through suppressed cells and "at most" relations), and the protected tables pass the audit when read back."""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.disclosure.audit import audit, read_release
from pipelines.disclosure.check import COMPLEMENTARY, PRIMARY
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
