"""A later delivery that corrects a record's identifiers re-links it, and the change is recorded with its reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.spine import (
    CORRECTED,
    LINKS_FILE,
    RECORDS_FILE,
    build_spine,
    read_corrections,
    read_events,
    read_spine,
)
from tests.unit.linkage.linkage_people import people

SETTINGS = LinkageSettings()
NHS = "9434765919"
OTHER_NHS = "4010232137"

R1 = ("r1", "ed_attendances", NHS, "Kwame", "Mensah", "1970-05-17", "M", "SN1 1AA", "1 High Street")
R2 = ("r2", "ambulance_calls", NHS, "Kwame", "Mensah", "1970-05-17", "M", "", "")
R3 = ("r3", "police_incidents", "", "Dorota", "Zielinska", "1992-12-01", "F", "BA2 4QQ", "9 Canal Walk")


def _ids(identity_dir: Path) -> pd.Series:
    return read_spine(identity_dir).set_index("record_id")["person_id"]


def test_a_corrected_record_joins_the_person_it_belongs_to_and_the_merge_says_why(tmp_path: Path) -> None:
    wrong = ("r3", "police_incidents", "", "Kwame", "Menash", "", "M", "", "")
    build_spine(people([R1, wrong]), tmp_path, SETTINGS)
    before = _ids(tmp_path)
    assert before["r1"] != before["r3"]
    # the police correct their record: the NHS number, name and date of birth now filled in
    fixed = ("r3", "police_incidents", NHS, "Kwame", "Mensah", "1970-05-17", "M", "", "")
    result = build_spine(people([R1, fixed]), tmp_path, SETTINGS)
    after = _ids(tmp_path)
    assert after["r3"] == after["r1"] == before["r1"]
    assert (result.n_corrected, result.n_relinked, result.n_new_records) == (1, 1, 0)
    stored = read_spine(tmp_path).set_index("record_id")
    assert stored.loc["r3", "nhs_number"] == NHS  # the stored values are the corrected ones
    events = read_events(tmp_path)
    merges = events[events["event"] == "merge"]
    assert merges["reason"].tolist() == [CORRECTED]
    assert merges["other_person_id"].tolist() == [before["r3"]]
    corrections = read_corrections(tmp_path)
    assert corrections[["record_id", "person_id_before", "person_id_after"]].values.tolist() == [
        ["r3", before["r3"], before["r1"]]
    ]
    assert set(corrections["fields"].iloc[0].split("|")) == {"nhs_number", "family_name", "date_of_birth"}
    assert NHS not in (tmp_path / "spine_events.csv").read_text()  # events and corrections name fields, not values
    assert NHS not in (tmp_path / "spine_corrections.csv").read_text()


def test_a_record_corrected_away_from_a_person_splits_off_and_the_split_says_why(tmp_path: Path) -> None:
    build_spine(people([R1, R2]), tmp_path, SETTINGS)
    before = _ids(tmp_path)
    assert before["r1"] == before["r2"]
    # the ambulance service had keyed the wrong patient: a different person, different NHS number and birth date
    fixed = ("r2", "ambulance_calls", OTHER_NHS, "Kofi", "Boateng", "2001-02-09", "M", "", "")
    result = build_spine(people([R1, fixed]), tmp_path, SETTINGS)
    after = _ids(tmp_path)
    assert after["r1"] == before["r1"] and after["r2"] != before["r1"]
    assert (result.n_corrected, result.n_relinked) == (1, 1)
    events = read_events(tmp_path)
    assert events.loc[events["event"] == "split", "reason"].tolist() == [CORRECTED]
    relinks = events[events["event"] == "relink"]
    assert relinks[["person_id", "other_person_id"]].values.tolist() == [[after["r2"], before["r2"]]]


def test_a_resent_record_whose_spelling_alone_changed_is_not_a_correction(tmp_path: Path) -> None:
    build_spine(people([R1, R3]), tmp_path, SETTINGS)
    before = _ids(tmp_path)
    respelt = ("r3", "police_incidents", "", "DOROTA", " zielinska ", "1992-12-01", "F", "ba2 4qq", "9 Canal Walk")
    result = build_spine(people([R1, respelt]), tmp_path, SETTINGS)
    assert result.n_corrected == 0
    pd.testing.assert_series_equal(before, _ids(tmp_path))
    assert read_corrections(tmp_path).empty


def test_a_field_an_older_spine_did_not_store_is_filled_in_without_calling_it_a_correction(tmp_path: Path) -> None:
    build_spine(people([R1, R2, R3]), tmp_path, SETTINGS)
    stored = pd.read_parquet(tmp_path / RECORDS_FILE)
    stored.drop(columns=["local_patient_id"]).to_parquet(tmp_path / RECORDS_FILE, index=False)
    again = people([R1, R2, R3]).assign(local_patient_id=["MH0000001", "MH0000001", None])
    result = build_spine(again, tmp_path, SETTINGS)
    assert result.n_corrected == 0
    links = pd.read_parquet(tmp_path / LINKS_FILE)
    assert not links.duplicated(["key_l", "key_r"]).any()  # re-scored, r1-r2 is linked once, not twice
    assert read_spine(tmp_path).set_index("record_id").loc["r1", "local_patient_id"] == "MH0000001"
    assert read_corrections(tmp_path).empty
