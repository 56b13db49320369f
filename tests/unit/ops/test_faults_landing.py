"""A landing folder or file that cannot be read: a clear error naming it, the other feeds still load, nothing is marked
as seen (the landing sensor's cursor) or loaded that was not read, and it loads once it is readable again.

Tests may run as root, where ``chmod 000`` denies nothing: the denial is then injected where the pipeline reads
(``Path.iterdir`` for the folder; ``Path.open``/``Path.read_bytes`` for a file), and a real chmod is used otherwise.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.defs.automation import landing_sensor
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.ingest.landing import new_deliveries, stray_files
from pipelines.ingest.load import LandingUnreadable, accepted_path, audit_path, load_period
from pipelines.settings import Zones
from tests.feed_rows import write_delivery

POLICE = FEED_SPECS["police_incidents"]
ED = FEED_SPECS["ed_attendances"]
OTHERS = tuple(FEED_SPECS.values())
ROOT = os.geteuid() == 0


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """``deny(path)`` makes a folder or file unreadable to the pipeline; undone at the end of the test."""
    denied: set[Path] = set()
    chmodded: list[tuple[Path, int]] = []
    real_iterdir, real_open, real_read_bytes = Path.iterdir, Path.open, Path.read_bytes

    def refuse(path: Path) -> None:
        if path in denied or path.parent in denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    def iterdir(self: Path) -> Iterator[Path]:
        refuse(self)
        return real_iterdir(self)

    def open_(self: Path, *args: object, **kwargs: object):
        refuse(self)
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    def read_bytes(self: Path) -> bytes:
        refuse(self)
        return real_read_bytes(self)

    def add(path: Path) -> None:
        if ROOT:
            denied.add(path)
            monkeypatch.setattr(Path, "iterdir", iterdir)
            monkeypatch.setattr(Path, "open", open_)
            monkeypatch.setattr(Path, "read_bytes", read_bytes)
        else:
            chmodded.append((path, path.stat().st_mode))
            path.chmod(0)

    def lift() -> None:
        denied.clear()
        monkeypatch.undo()
        for path, mode in chmodded:
            path.chmod(mode)
        chmodded.clear()

    add.lift = lift  # type: ignore[attr-defined]
    yield add
    lift()


def _land(zones: Zones) -> None:
    for spec in (POLICE, ED):
        for period in ("2024-01", "2024-02"):
            write_delivery(spec, zones.landing / spec.name, n=12, period=period)


def _file(zones: Zones, spec=POLICE, period: str = "2024-02") -> Path:
    return zones.landing / spec.name / spec.file_pattern.replace("*", period)


def test_an_unreadable_landing_folder_names_the_folder_loads_nothing_of_it_and_other_feeds_load(
    tmp_path: Path, deny
) -> None:
    zones = Zones(tmp_path)
    _land(zones)
    deny(zones.landing / POLICE.name)
    with pytest.raises(LandingUnreadable) as caught:
        load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    message = str(caught.value)
    assert "landing/police_incidents: the folder cannot be read (EACCES" in message
    assert "nothing in it was loaded or marked as seen" in message
    assert not accepted_path(zones, POLICE.name, "2024-01").exists()
    assert not audit_path(zones, POLICE.name, "2024-01").exists()  # not "no delivery": nothing was decided
    assert load_period(ED, "2024-01", zones, OTHERS, validate=False).status == "loaded"  # another feed goes on
    with pytest.raises(LandingUnreadable):
        new_deliveries(POLICE, zones, {})  # the sensor's tick fails with the same message, its cursor unchanged

    deny.lift()  # type: ignore[attr-defined]
    again = load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    clean = Zones(tmp_path / "clean")
    _land(clean)
    expected = load_period(POLICE, "2024-01", clean, OTHERS, validate=False)
    assert (again.status, again.rows_received, again.rows_loaded) == (expected.status, 12, expected.rows_loaded)
    pd.testing.assert_frame_equal(
        pd.read_parquet(accepted_path(zones, POLICE.name, "2024-01")),
        pd.read_parquet(accepted_path(clean, POLICE.name, "2024-01")),
    )


def test_an_unreadable_delivery_file_is_named_and_nothing_of_the_feed_is_loaded_until_it_is_readable(
    tmp_path: Path, deny
) -> None:
    zones = Zones(tmp_path)
    _land(zones)
    load_period(POLICE, "2024-02", zones, OTHERS, validate=False)
    before = pd.read_parquet(accepted_path(zones, POLICE.name, "2024-02"))
    deny(_file(zones))
    with pytest.raises(LandingUnreadable) as caught:
        load_period(POLICE, "2024-02", zones, OTHERS, validate=False)
    assert f"landing/police_incidents/{_file(zones).name}: the file cannot be read" in str(caught.value)
    pd.testing.assert_frame_equal(pd.read_parquet(accepted_path(zones, POLICE.name, "2024-02")), before)
    strays = stray_files(POLICE, zones, OTHERS)
    assert all("cannot be read" not in s.why for s in strays)  # a delivery, not a stray: not reported twice
    deny.lift()  # type: ignore[attr-defined]
    assert load_period(POLICE, "2024-02", zones, OTHERS, validate=False).rows_loaded == len(before)


def test_the_landing_sensor_leaves_an_unreadable_file_out_of_its_cursor_and_launches_it_once_readable(
    tmp_path: Path, deny
) -> None:
    zones = Zones(tmp_path)
    _land(zones)
    sensor = landing_sensor(POLICE)
    resources = {"zones": ZonesResource(data_dir=str(tmp_path))}
    deny(_file(zones))
    with dg.build_sensor_context(resources=resources) as context:
        result = sensor(context)
    assert [r.partition_key for r in result.run_requests] == ["2024-01"]  # the readable delivery goes on
    cursor = json.loads(result.cursor)
    assert sorted(k.split(":")[0] for k in cursor) == ["2024-01"]  # the unreadable one is not marked as seen

    deny.lift()  # type: ignore[attr-defined]
    with dg.build_sensor_context(cursor=result.cursor, resources=resources) as context:
        later = sensor(context)
    assert [r.partition_key for r in later.run_requests] == ["2024-02"]
    assert sorted(k.split(":")[0] for k in json.loads(later.cursor)) == ["2024-01", "2024-02"]


def test_an_unreadable_folder_fails_the_sensor_tick_with_the_folder_named(tmp_path: Path, deny) -> None:
    zones = Zones(tmp_path)
    _land(zones)
    deny(zones.landing / POLICE.name)
    resources = {"zones": ZonesResource(data_dir=str(tmp_path))}
    failing = pytest.raises(Exception, match="landing/police_incidents: the folder cannot be read")
    with dg.build_sensor_context(resources=resources) as context, failing:
        landing_sensor(POLICE)(context)
