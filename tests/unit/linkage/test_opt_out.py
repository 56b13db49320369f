"""The national data opt-out covers people: every in-scope record of a person linked to an opted-out NHS number."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import audit_path as load_audit_path
from pipelines.ingest.load import load_period
from pipelines.linkage.opt_out import (
    EXCLUDED_FILE,
    OPT_OUT_FILE,
    REASON_RECORD,
    OptOut,
    apply_opt_out,
    audit_path,
    excluded_keys,
    opt_out_scope,
    published_path,
    read_opt_out_list,
    read_trail,
)
from pipelines.linkage.spine import RECORDS_FILE
from pipelines.privacy.keys import KEY_ID_FILE, KeyMismatchError, PseudonymisationKey, token
from pipelines.pseudonymisation import Reference, publish_period
from pipelines.settings import Zones
from tests.feed_rows import rows, valid_nhs_number, write_delivery

KEY = PseudonymisationKey(b"k" * 40)
REFERENCE = Reference(postcode_lsoa={}, lsoa_imd={})
ED, AMBULANCE = FEED_SPECS["ed_attendances"], FEED_SPECS["ambulance_calls"]
POLICE, COUNCIL = FEED_SPECS["police_incidents"], FEED_SPECS["council_contacts"]
FEEDS = [ED, AMBULANCE, POLICE, COUNCIL]
OPTED = valid_nhs_number(1)  # ED record R000001 carries it; the person's other records do not


def _deliver(zones: Zones) -> None:
    """Four feeds, one delivery each; the NHS number is blanked on every record but ED's."""
    for spec in FEEDS:
        body = rows(spec, 3)
        nhs = spec.person_columns().get("nhs_number")
        if spec is not ED and nhs is not None:
            for row in body:
                row[spec.column_names.index(nhs)] = ""
        write_delivery(spec, zones.landing / spec.name, body=body)
        assert load_period(spec, "2024-01", zones, validate=False).status == "loaded"


def _spine(zones: Zones, person_of: dict[tuple[str, str], str]) -> None:
    """A spine as linkage would leave it: person R000001 has records in every feed (council: both services)."""
    records = []
    for spec in FEEDS:
        accepted = pd.read_parquet(zones.landing / "_accepted" / spec.name / "2024-01.parquet")
        nhs = spec.person_columns().get("nhs_number")
        for _, row in accepted.iterrows():
            rid = str(row[spec.record_id])
            records.append(
                {
                    "source": spec.name,
                    "record_id": rid,
                    "nhs_number": row[nhs] if nhs else None,
                    "person_id": person_of.get((spec.name, rid), f"P-{spec.name}-{rid}"),
                }
            )
    zones.identity.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(records).to_parquet(zones.identity / RECORDS_FILE, index=False)


PERSON = {
    ("ed_attendances", "R000001"): "P1",
    ("ambulance_calls", "R000001"): "P1",
    ("police_incidents", "R000001"): "P1",
    ("council_contacts", "R000000"): "P1",  # HOUSING (codes cycle: HOUSING, ASC)
    ("council_contacts", "R000001"): "P1",  # ASC
}


def _publish_all(zones: Zones) -> None:
    opt_out = OptOut.load(zones.identity)
    for spec in FEEDS:
        publish_period(spec, zones, "2024-01", KEY, REFERENCE, opt_out)


def _published(zones: Zones, spec) -> set[str]:
    return set(pd.read_parquet(published_path(zones, spec.name, "2024-01"))["record_key"])


def _key(spec, rid: str) -> str:
    return token(KEY, rid, f"record:{spec.name}")


def _opt_out(zones: Zones, *numbers: str) -> None:
    zones.identity.mkdir(parents=True, exist_ok=True)
    (zones.identity / OPT_OUT_FILE).write_text("nhs_number\n" + "".join(f"{n[:3]} {n[3:6]} {n[6:]}\n" for n in numbers))


def test_scope_is_health_and_adult_social_care() -> None:
    covered = {name for name, spec in FEED_SPECS.items() if opt_out_scope(spec) is not None}
    assert covered == {
        "ambulance_calls",
        "ed_attendances",
        "mh_contacts",
        "mh_outcome_measures",
        "programme_caseload",
        "council_contacts",
    }
    assert all(opt_out_scope(s) is not None for s in FEED_SPECS.values() if s.subject_to_opt_out)
    council = opt_out_scope(COUNCIL)
    services = pd.DataFrame({"Service": ["ASC", "HOUSING", None]})
    assert council.native_mask(services).tolist() == [True, False, False]


def test_the_list_is_read_normalised_and_must_name_its_column(tmp_path: Path) -> None:
    assert read_opt_out_list(tmp_path) == frozenset()
    (tmp_path / OPT_OUT_FILE).write_text(f"nhs_number\n{OPTED[:3]}-{OPTED[3:6]}-{OPTED[6:]}\n1234567890\n\n")
    assert read_opt_out_list(tmp_path) == frozenset({OPTED})  # a number failing its check digit is nobody's
    (tmp_path / OPT_OUT_FILE).write_text(f"nhs\n{OPTED}\n")
    with pytest.raises(ValueError, match="nhs_number"):
        read_opt_out_list(tmp_path)


def test_before_linkage_a_record_is_excluded_by_its_own_nhs_number_only(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    _deliver(zones)
    _opt_out(zones, OPTED)
    published = publish_period(ED, zones, "2024-01", KEY, REFERENCE, OptOut.load(zones.identity))
    assert published.reasons.tolist() == [None, REASON_RECORD, None]
    assert published.rows == 2
    assert _key(ED, "R000001") not in _published(zones, ED)
    counts = pd.read_parquet(audit_path(zones, ED.name, "2024-01")).iloc[0]
    assert (counts["rows_accepted"], counts["rows_excluded_record"], counts["rows_excluded_person"]) == (3, 1, 0)
    ingest = pd.read_parquet(load_audit_path(zones, ED.name, "2024-01")).iloc[0]
    assert counts["content_sha256"] == ingest["content_sha256"]  # the counts say which delivery they are for


def test_a_person_who_opts_out_later_disappears_from_every_published_health_and_care_feed(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    _deliver(zones)
    _spine(zones, PERSON)
    _publish_all(zones)
    assert _key(AMBULANCE, "R000001") in _published(zones, AMBULANCE)

    _opt_out(zones, OPTED)  # the person opts out after their records were published
    republished: list[tuple[str, str]] = []
    results, opt_out = apply_opt_out(zones, FEEDS, KEY, lambda spec, period: republished.append((spec.name, period)))
    assert opt_out.people == 1 and republished == []
    by_feed = {r.feed: r for r in results}
    assert set(by_feed) == {"ed_attendances", "ambulance_calls", "council_contacts"}  # police is not covered
    assert _key(ED, "R000001") not in _published(zones, ED)
    assert _key(AMBULANCE, "R000001") not in _published(zones, AMBULANCE)  # no NHS number: excluded by linkage
    assert _key(AMBULANCE, "R000000") in _published(zones, AMBULANCE)
    assert _key(POLICE, "R000001") in _published(zones, POLICE)  # police logs are not patient information
    council = _published(zones, COUNCIL)
    assert _key(COUNCIL, "R000001") not in council  # adult social care
    assert _key(COUNCIL, "R000000") in council  # housing options
    assert (by_feed["ed_attendances"].rows_excluded_record, by_feed["ed_attendances"].rows_excluded_person) == (1, 0)
    assert (by_feed["ambulance_calls"].rows_excluded_record, by_feed["ambulance_calls"].rows_excluded_person) == (0, 1)
    assert by_feed["council_contacts"].rows_excluded_person == 1
    assert by_feed["ambulance_calls"].rewritten == ["2024-01"] and by_feed["ambulance_calls"].rows_newly_excluded == 1

    # counted per delivery with the reason, so received = published + quarantined + excluded still holds
    counts = pd.read_parquet(audit_path(zones, AMBULANCE.name, "2024-01")).iloc[0]
    assert (counts["rows_accepted"], counts["rows_excluded_person"], counts["rows_published"]) == (3, 1, 2)
    assert len(pd.read_parquet(published_path(zones, AMBULANCE.name, "2024-01"))) == counts["rows_published"]

    # the audit trail: one row per covered feed, counts only
    trail = read_trail(zones)
    assert sorted(trail["feed"]) == sorted(by_feed)
    text = (zones.identity / "opt_out_audit_trail.csv").read_text()
    assert OPTED not in text and "P1" not in text and "R000001" not in text
    # the excluded records themselves stay in the identity zone, and nothing of the list leaves it
    assert (zones.identity / EXCLUDED_FILE).exists()
    outside = b"".join(p.read_bytes() for p in zones.pseudonymised.rglob("*") if p.is_file())
    assert OPTED.encode() not in outside

    # person keys leave out every excluded record
    dropped = excluded_keys(zones, FEEDS, KEY)
    assert set(zip(dropped["feed"], dropped["record_key"], strict=True)) == {
        ("ed_attendances", _key(ED, "R000001")),
        ("ambulance_calls", _key(AMBULANCE, "R000001")),
        ("council_contacts", _key(COUNCIL, "R000001")),
    }

    # applying it again changes nothing more
    again, _ = apply_opt_out(zones, FEEDS, KEY, lambda spec, period: None)
    assert all(not r.rewritten and r.rows_newly_excluded == 0 for r in again)
    assert len(read_trail(zones)) == 2 * len(by_feed)


def test_a_withdrawn_opt_out_publishes_the_person_again(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    _deliver(zones)
    _spine(zones, PERSON)
    _opt_out(zones, OPTED)
    _publish_all(zones)
    apply_opt_out(zones, FEEDS, KEY, lambda spec, period: None)
    assert _key(AMBULANCE, "R000001") not in _published(zones, AMBULANCE)

    _opt_out(zones)  # the person changes their mind

    def republish(spec, period: str) -> None:
        publish_period(spec, zones, period, KEY, REFERENCE, OptOut.load(zones.identity))

    results, _ = apply_opt_out(zones, FEEDS, KEY, republish)
    by_feed = {r.feed: r for r in results}
    assert by_feed["ambulance_calls"].republished == ["2024-01"] and by_feed["ambulance_calls"].rows_reinstated == 1
    assert _key(AMBULANCE, "R000001") in _published(zones, AMBULANCE)
    assert _key(ED, "R000001") in _published(zones, ED)
    counts = pd.read_parquet(audit_path(zones, AMBULANCE.name, "2024-01")).iloc[0]
    assert counts["rows_excluded_person"] == 0 and counts["rows_published"] == 3


def test_a_partition_keyed_with_another_key_stops_the_run_before_anything_is_rewritten(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    _deliver(zones)
    _spine(zones, PERSON)
    old_key = PseudonymisationKey(b"o" * 40)
    publish_period(AMBULANCE, zones, "2024-01", old_key, REFERENCE, OptOut.load(zones.identity))
    before = published_path(zones, AMBULANCE.name, "2024-01").read_bytes()
    _opt_out(zones, OPTED)
    seen: list[str] = []
    with pytest.raises(KeyMismatchError, match=f"{old_key.key_id}.*{KEY.key_id}"):
        apply_opt_out(zones, [AMBULANCE], KEY, lambda spec, period: seen.append(period))
    assert seen == [] and published_path(zones, AMBULANCE.name, "2024-01").read_bytes() == before
    (zones.pseudonymised / KEY_ID_FILE).unlink()  # without the zone's record, the partition's own key id still stops it
    with pytest.raises(KeyMismatchError, match=old_key.key_id):
        apply_opt_out(zones, [AMBULANCE], KEY, lambda spec, period: seen.append(period))
    assert seen == [] and not (zones.identity / EXCLUDED_FILE).exists()
