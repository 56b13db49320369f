"""Pseudonymisation follows each column's declared role: identifiers never survive it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import Role
from pipelines.ingest.reader import read_delivery
from pipelines.privacy.keys import PseudonymisationKey
from pipelines.pseudonymisation import Reference, person_keys, programme_rollout, pseudonymise_frame
from tests.feed_rows import write_delivery

KEY = PseudonymisationKey(b"k" * 40)
REFERENCE = Reference(postcode_lsoa={"SN1 1AA": "E01900001"}, lsoa_imd={"E01900001": 3})


def _accepted(spec, tmp_path: Path, n: int = 6) -> pd.DataFrame:
    return read_delivery(spec, write_delivery(spec, tmp_path, n=n)).accepted


@pytest.mark.parametrize("feed", list(FEED_SPECS))
def test_no_identifier_or_free_text_value_survives(feed: str, tmp_path: Path) -> None:
    spec = FEED_SPECS[feed]
    accepted = _accepted(spec, tmp_path)
    out = pseudonymise_frame(spec, accepted, KEY, REFERENCE, "2024-01")
    assert len(out) == len(accepted)
    text = out.astype(str).to_csv()
    for col in spec.columns:
        if col.role in (Role.IDENTIFIER, Role.FREE_TEXT, Role.RECORD_ID, Role.QUASI_IDENTIFIER):
            for value in accepted[col.name].dropna().astype(str):
                assert value not in text, f"{feed}.{col.name} leaked"
            assert col.output_name not in out.columns or col.output_name.endswith("_key")


@pytest.mark.parametrize("feed", [f for f, s in FEED_SPECS.items() if "date_of_birth" in s.person_columns()])
def test_date_of_birth_becomes_an_age_band_and_postcode_an_imd_decile(feed: str, tmp_path: Path) -> None:
    spec = FEED_SPECS[feed]
    out = pseudonymise_frame(spec, _accepted(spec, tmp_path), KEY, REFERENCE, "2024-01")
    assert out["age_band"].notna().all()
    assert set(out["age_band"]) <= {"0-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"}
    if "imd_decile" in out:
        assert (out["imd_decile"] == 3).all()


def test_record_keys_are_keyed_per_feed_and_stable(tmp_path: Path) -> None:
    spec = FEED_SPECS["police_incidents"]
    accepted = _accepted(spec, tmp_path)
    a = pseudonymise_frame(spec, accepted, KEY, REFERENCE, "2024-01")
    b = pseudonymise_frame(spec, accepted, KEY, REFERENCE, "2024-01")
    other_key = pseudonymise_frame(spec, accepted, PseudonymisationKey(b"z" * 40), REFERENCE, "2024-01")
    assert list(a["record_key"]) == list(b["record_key"])
    assert a["record_key"].is_unique
    assert set(a["record_key"]).isdisjoint(other_key["record_key"])


def test_person_keys_match_feed_record_keys_and_group_people(tmp_path: Path) -> None:
    spec = FEED_SPECS["police_incidents"]
    accepted = _accepted(spec, tmp_path, n=3)
    feed_rows = pseudonymise_frame(spec, accepted, KEY, REFERENCE, "2024-01")
    spine = pd.DataFrame(
        {
            "source": "police_incidents",
            "record_id": list(accepted["INCIDENT_REF"]),
            "person_id": ["P1", "P1", "P2"],
        }
    )
    keys = person_keys(spine, KEY)
    assert list(keys["record_key"]) == list(feed_rows["record_key"])
    assert keys["person_key"].iloc[0] == keys["person_key"].iloc[1] != keys["person_key"].iloc[2]
    assert "P1" not in keys.to_csv()


def test_known_identifiers_are_handed_to_the_deidentifier(tmp_path: Path) -> None:
    spec = FEED_SPECS["police_incidents"]
    accepted = _accepted(spec, tmp_path, n=2)
    seen: list[dict] = []

    def fake_deid(texts, known):
        seen.extend(known)
        return ["[REDACTED]" for _ in texts]

    out = pseudonymise_frame(spec, accepted, KEY, REFERENCE, "2024-01", deidentify=fake_deid)
    assert list(out["narrative"]) == ["[REDACTED]", "[REDACTED]"]
    assert seen[0]["family_name"] == accepted["SUBJECT_SURNAME"].iloc[0]


def test_publishing_a_period_leaves_out_the_opt_out_and_a_withdrawn_delivery_unpublishes(tmp_path: Path) -> None:
    from pipelines.ingest.load import load_period
    from pipelines.linkage.opt_out import OPT_OUT_FILE, OptOut, audit_path, published_path
    from pipelines.pseudonymisation import publish_period
    from pipelines.settings import Zones

    zones = Zones(tmp_path)
    spec = FEED_SPECS["mh_contacts"]
    write_delivery(spec, zones.landing / spec.name, n=4)
    load_period(spec, "2024-01", zones, validate=False)
    accepted = pd.read_parquet(zones.landing / "_accepted" / spec.name / "2024-01.parquet")
    zones.identity.mkdir(parents=True)
    (zones.identity / OPT_OUT_FILE).write_text(f"nhs_number\n{accepted['NHS_Number'].iloc[0]}\n")
    published = publish_period(spec, zones, "2024-01", KEY, REFERENCE, OptOut.load(zones.identity))
    assert published.rows == 3 and len(pd.read_parquet(published_path(zones, spec.name, "2024-01"))) == 3
    assert pd.read_parquet(audit_path(zones, spec.name, "2024-01"))["rows_excluded_record"].tolist() == [1]

    (zones.landing / "_accepted" / spec.name / "2024-01.parquet").unlink()  # a later delivery was rejected whole
    assert publish_period(spec, zones, "2024-01", KEY, REFERENCE, OptOut.load(zones.identity)).reasons is None
    assert not published_path(zones, spec.name, "2024-01").exists()
    assert not audit_path(zones, spec.name, "2024-01").exists()


def _reference_folder(tmp_path: Path, locality: str | None) -> Path:
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "postcode_lsoa.csv").write_text("postcode,lsoa_code\nSN1 1AA,E01900001\nSN2 2BB,E01900002\n")
    (folder / "lsoa_imd.csv").write_text("lsoa_code,imd_decile\nE01900001,3\nE01900002,8\n")
    if locality is not None:
        (folder / "lsoa_locality.csv").write_text(locality)
    return folder


@pytest.mark.parametrize("feed", [f for f, s in FEED_SPECS.items() if {"postcode", "lsoa"} & set(s.person_columns())])
def test_the_home_lsoa_gives_a_locality_beside_the_imd_decile(feed: str, tmp_path: Path) -> None:
    spec = FEED_SPECS[feed]
    accepted = _accepted(spec, tmp_path).reset_index(drop=True)
    person = spec.person_columns()
    # row 0: LSOA placed in a locality; row 1: LSOA with an IMD decile but no locality; row 2: no LSOA at all
    for col in (person.get("lsoa"), person["postcode"]):
        if col is not None:
            accepted[col] = accepted[col].astype("object")
    if "lsoa" in person:
        accepted.loc[[0, 1, 2], person["lsoa"]] = [None, None, None]
    accepted.loc[[0, 1, 2], person["postcode"]] = ["SN1 1AA", "SN2 2BB", "ZZ9 9ZZ"]
    reference = Reference.load(_reference_folder(tmp_path, "lsoa_code,locality_code\nE01900001,LOC_NORTH\n"))
    assert reference.lsoa_locality == {"E01900001": "LOC_NORTH"}
    out = pseudonymise_frame(spec, accepted, KEY, reference, "2024-01")
    assert str(out["locality_code"].dtype) == "string"
    assert out.loc[0, "locality_code"] == "LOC_NORTH" and out.loc[0, "imd_decile"] == 3
    assert pd.isna(out.loc[1, "locality_code"]) and out.loc[1, "imd_decile"] == 8
    assert pd.isna(out.loc[2, "locality_code"]) and pd.isna(out.loc[2, "imd_decile"])


def test_without_the_locality_file_every_locality_is_null(tmp_path: Path) -> None:
    spec = FEED_SPECS["police_incidents"]
    reference = Reference.load(_reference_folder(tmp_path, None))
    assert reference.lsoa_locality == {}
    out = pseudonymise_frame(spec, _accepted(spec, tmp_path), KEY, reference, "2024-01")
    assert "locality_code" in out.columns and out["locality_code"].isna().all()
    assert (out["imd_decile"] == 3).any()


def test_the_rollout_is_copied_typed_and_an_absent_file_is_an_empty_table(tmp_path: Path) -> None:
    folder = _reference_folder(tmp_path, None)
    empty = programme_rollout(folder)
    assert list(empty.columns) == ["locality_code", "intervention", "go_live_date"] and empty.empty
    (folder / "programme_rollout.csv").write_text("")
    assert programme_rollout(folder).empty
    (folder / "programme_rollout.csv").write_text("locality_code,intervention,go_live_date\n")
    assert programme_rollout(folder).empty
    (folder / "programme_rollout.csv").write_text(
        "locality_code,intervention,go_live_date\n"
        "LOC_A,high_intensity_team,2024-03-01\n"
        "LOC_B,high_intensity_team,\n"
        "LOC_A,street_triage,2023-01-01\n"
    )
    rollout = programme_rollout(folder)
    assert rollout["go_live_date"].tolist()[0] == pd.Timestamp("2024-03-01")
    assert pd.isna(rollout["go_live_date"].iloc[1])
    assert str(rollout["go_live_date"].dtype) == "datetime64[ns]"
    path = tmp_path / "rollout.parquet"
    rollout.to_parquet(path, index=False)
    empty.to_parquet(tmp_path / "empty.parquet", index=False)
    assert pd.read_parquet(tmp_path / "empty.parquet").dtypes.to_dict() == pd.read_parquet(path).dtypes.to_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("locality_code,go_live_date\nLOC_A,2024-03-01\n", "missing column"),
        ("locality_code,intervention,go_live_date\nLOC_A,high_intensity_team,01/03/2024\n", r"line\(s\) \[2\]"),
        ("locality_code,intervention,go_live_date\n,high_intensity_team,2024-03-01\n", "required"),
        ("locality_code,intervention,go_live_date\nLOC_A,x,2024-03-01\nLOC_A,x,2024-04-01\n", "more than one row"),
    ],
)
def test_a_malformed_rollout_is_refused_by_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    folder = _reference_folder(tmp_path, None)
    (folder / "programme_rollout.csv").write_text(text)
    with pytest.raises(ValueError, match=message):
        programme_rollout(folder)
