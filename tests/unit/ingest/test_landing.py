"""A delivery is known by its content: identical re-sends change nothing, corrections are new."""

from __future__ import annotations

from pathlib import Path

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.landing import new_deliveries
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
