"""The mental health trust's own patient number is deterministic evidence within the trust."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.feeds import FEED_SPECS
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.inputs import canonical_records
from pipelines.linkage.normalise import clean_local_id
from pipelines.linkage.spine import LINKS_FILE, build_spine
from tests.unit.linkage.linkage_people import COLUMNS

SETTINGS = LinkageSettings()


def _records(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*COLUMNS, "local_patient_id"])


def _person(result, record_id: str) -> str:
    return result.mapping.set_index("record_id").loc[record_id, "person_id"]


def test_the_same_trust_number_links_records_the_model_alone_would_not(tmp_path: Path) -> None:
    # a married name and a mistyped date of birth, no NHS number, no home: only the trust number says "same"
    rows = [
        ("m1", "mh_contacts", "", "Ayesha", "Khan", "1984-03-12", "F", "", "", "MH0012345"),
        ("m2", "programme_caseload", "", "Ayesha", "Begum", "1984-03-21", "F", "", "", "mh 001 2345"),
    ]
    without = build_spine(_records(rows).drop(columns="local_patient_id"), tmp_path / "without", SETTINGS)
    assert _person(without, "m1") != _person(without, "m2")
    linked = build_spine(_records(rows), tmp_path / "with", SETTINGS)
    assert _person(linked, "m1") == _person(linked, "m2")
    links = pd.read_parquet(tmp_path / "with" / LINKS_FILE)
    assert links["reason"].tolist() == ["local_patient_id"]


def test_a_shared_trust_number_that_everything_else_contradicts_is_not_enough(tmp_path: Path) -> None:
    # the number typed onto someone else's record: different names, dates of birth that cannot be the same person
    rows = [
        ("x1", "mh_contacts", "", "Ayesha", "Khan", "1984-03-12", "F", "", "", "MH0012345"),
        ("x2", "programme_caseload", "", "Derek", "Walsh", "1951-11-02", "M", "", "", "MH0012345"),
    ]
    result = build_spine(_records(rows), tmp_path, SETTINGS)
    assert _person(result, "x1") != _person(result, "x2")


def test_a_shared_trust_number_never_joins_two_valid_nhs_numbers(tmp_path: Path) -> None:
    rows = [
        ("y1", "mh_contacts", "4010232137", "Agnieszka", "Nowak", "1988-09-09", "F", "", "", "MH0000042"),
        ("y2", "mh_outcome_measures", "4010232145", "Agnieszka", "Nowak", "1988-09-09", "F", "", "", "MH0000042"),
    ]
    result = build_spine(_records(rows), tmp_path, SETTINGS)
    assert _person(result, "y1") != _person(result, "y2")
    assert result.n_links_refused >= 1


def test_many_records_with_one_number_are_linked_as_one_person_by_a_star(tmp_path: Path) -> None:
    items = [
        (f"q{i}", "mh_outcome_measures", "", "Lee", "Hart" if i % 2 else "Hartt", "", "", "", "", "MH0000777")
        for i in range(40)
    ]
    result = build_spine(_records(items), tmp_path, SETTINGS)
    assert result.n_people == 1
    links = pd.read_parquet(tmp_path / LINKS_FILE)
    assert len(links) < 40 * 39 // 2  # one link per record is enough, not one per pair


def test_trust_feeds_give_their_patient_number_to_linkage() -> None:
    for feed in ("mh_contacts", "mh_outcome_measures", "programme_caseload"):
        spec = FEED_SPECS[feed]
        rows = pd.DataFrame({c: ["x"] for c in spec.column_names}).assign(Local_Patient_ID="MH0000001")
        assert canonical_records(rows, spec)["local_patient_id"].tolist() == ["MH0000001"], feed
    police = FEED_SPECS["police_incidents"]
    rows = pd.DataFrame({c: ["x"] for c in police.column_names})
    assert canonical_records(rows, police)["local_patient_id"].isna().all()


def test_trust_numbers_are_cleaned_and_non_numbers_dropped() -> None:
    cleaned = clean_local_id(pd.Series(["mh 001-2345", "MH0012345", "", None, "N/A", "ab"]))
    assert cleaned.tolist()[:2] == ["MH0012345", "MH0012345"]
    assert all(v is None or pd.isna(v) for v in cleaned.tolist()[2:])
