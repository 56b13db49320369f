"""A delivery is known by its content: identical re-sends change nothing, corrections are new."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.landing import new_deliveries, stray_files
from pipelines.settings import Zones
from tests.feed_rows import write_delivery

POLICE = FEED_SPECS["police_incidents"]


def test_new_files_are_found_once_and_identical_resends_are_ignored(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    write_delivery(POLICE, folder, n=3, period="2024-01")
    write_delivery(POLICE, folder, n=3, period="2024-02")
    found, seen = new_deliveries(POLICE, zones, {})
    assert sorted(d.period for d in found) == ["2024-01", "2024-02"]
    again, seen = new_deliveries(POLICE, zones, seen)
    assert again == []
    # the same content re-sent under another name matching the pattern
    write_delivery(POLICE, folder, n=3, period="2024-01", name="CAD_EXPORT_2024-01_resend.csv")
    resent, seen = new_deliveries(POLICE, zones, seen)
    assert resent == []


def test_a_corrected_redelivery_is_new(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    write_delivery(POLICE, folder, n=3, period="2024-01")
    _, seen = new_deliveries(POLICE, zones, {})
    write_delivery(POLICE, folder, n=4, period="2024-01", name="CAD_EXPORT_2024-01_v2.csv")
    found, _ = new_deliveries(POLICE, zones, seen)
    assert [(d.period, d.path.name) for d in found] == [("2024-01", "CAD_EXPORT_2024-01_v2.csv")]


def test_files_not_matching_the_feed_pattern_are_not_deliveries(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("hello")
    assert new_deliveries(POLICE, zones, {})[0] == []


def test_an_identical_resend_is_not_a_new_delivery_for_the_loader(tmp_path: Path) -> None:
    from pipelines.ingest.load import deliveries_by_period

    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    write_delivery(POLICE, folder, n=3, period="2024-01")
    write_delivery(POLICE, folder, n=3, period="2024-01", name="CAD_EXPORT_2024-01_copy.csv")
    assert [p.name for p in deliveries_by_period(POLICE, zones)["2024-01"]] == ["CAD_EXPORT_2024-01.csv"]


@pytest.mark.parametrize(
    "other", [s for s in FEED_SPECS.values() if s.name != "police_incidents"], ids=lambda s: s.name
)
def test_another_feeds_file_under_its_own_name_is_named_as_a_stray(other, tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    write_delivery(POLICE, folder, n=2, period="2024-01")
    (folder / "CAD_EXPORT_2024-01.csv.ctl").write_text("2\n")
    stray = write_delivery(other, folder, n=2, period="2024-01")
    (folder / f"{stray.name}.ctl").write_text("2\n")
    found = stray_files(POLICE, zones, FEED_SPECS.values())
    assert [(s.name, s.looks_like) for s in found] == [(stray.name, other.name)]
    alert = found[0].alert(POLICE)
    assert (
        alert.code == "stray_file" and f"landing/{other.name}/" in alert.message and "(and its .ctl)" in alert.message
    )


def test_unrecognised_files_are_named_by_what_their_header_says(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    write_delivery(POLICE, folder, n=2, name="police extract january.csv")  # this feed's, misnamed
    write_delivery(FEED_SPECS["feedback"], folder, n=2, name="responses.csv")  # another feed's, misnamed
    (folder / "notes.txt").write_text("call the council about March\n")
    write_delivery(POLICE, folder, n=2, name="CAD_EXPORT_final.csv")  # fits the pattern, carries no period
    (folder / "orphan.csv.ctl").write_text("3\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    found = {s.name: s for s in stray_files(POLICE, zones, FEED_SPECS.values())}
    assert set(found) == {
        "police extract january.csv",
        "responses.csv",
        "notes.txt",
        "CAD_EXPORT_final.csv",
        "orphan.csv.ctl",
    }
    assert found["police extract january.csv"].looks_like == "police_incidents"
    assert "rename" in found["police extract january.csv"].why
    assert found["responses.csv"].looks_like == "feedback"
    assert found["notes.txt"].looks_like is None
    assert "no delivery period" in found["CAD_EXPORT_final.csv"].why
    assert "council" not in " ".join(s.why for s in found.values())  # names and feeds, never what a file says


def test_a_folder_of_deliveries_only_has_no_strays(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    write_delivery(POLICE, zones.landing / POLICE.name, n=2)
    assert stray_files(POLICE, zones, FEED_SPECS.values()) == []
    assert stray_files(FEED_SPECS["feedback"], zones, FEED_SPECS.values()) == []  # no folder at all
