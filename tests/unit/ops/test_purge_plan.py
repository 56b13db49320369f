"""Retention without Dagster: a tiny county loaded, published and linked by the library calls the assets make, then
purged. What is removed, what is kept and why, and that what re-reads accepted rows afterwards (ingest, publication,
the spine's input, the opt-out) neither loses nor changes anything."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.defs.linkage.assets import SPINE_FILE, accepted_person_records
from pipelines.feeds import FEED_SPECS
from pipelines.ingest import load
from pipelines.ingest.load import accepted_path, deliveries_by_period, load_period
from pipelines.ingest.load import audit_path as load_audit_path
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.opt_out import OPT_OUT_FILE, OptOut, excluded_records, published_path
from pipelines.linkage.spine import build_spine
from pipelines.ops import audit, retention
from pipelines.privacy.keys import load_key
from pipelines.pseudonymisation import Reference, publish_period
from pipelines.settings import Zones
from pipelines.synth import generate

pytestmark = pytest.mark.slow  # a tiny county loaded, published and linked (Splink): about 10 s on a quiet machine

FEEDS = ("police_incidents", "council_contacts", "ed_attendances")
OLD, NEW = "2024-01", "2024-02"


def _link(zone: Zones) -> None:
    records = accepted_person_records(zone)
    result = build_spine(records, zone.identity, LinkageSettings.from_env())
    result.mapping[["source", "record_id", "person_id", "person_id_strict", "person_id_lenient"]].to_parquet(
        zone.identity / SPINE_FILE, index=False
    )


def _publish(zone: Zones, feed: str, period: str) -> None:
    publish_period(
        FEED_SPECS[feed], zone, period, load_key({}), Reference.load(zone.reference), OptOut.load(zone.identity)
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county loaded, linked and published, never purged: copied by the fixtures below."""
    root = tmp_path_factory.mktemp("purge") / "data"
    generate(root, people=60, months=2, seed=11)
    zone = Zones(root)
    for feed in FEED_SPECS:  # only three feeds loaded: the rest have landing files and no load audit
        if feed not in FEEDS:
            continue
        for period in (OLD, NEW):
            load_period(FEED_SPECS[feed], period, zone, validate=False)
    _link(zone)
    for feed in FEEDS:
        for period in (OLD, NEW):
            _publish(zone, feed, period)
    return root


@pytest.fixture(scope="module")
def county(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Zones:
    """One copy shared by the module's tests, in order (each purges some of it)."""
    root = tmp_path_factory.mktemp("purge-shared") / "data"
    shutil.copytree(template, root)
    return Zones(root)


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Zones:
    """A copy of its own, nothing purged."""
    shutil.copytree(template, tmp_path / "data")
    return Zones(tmp_path / "data")


def test_only_loaded_published_and_linked_periods_past_the_cutoff_are_purged(county: Zones) -> None:
    zone = county
    when = retention.cutoff("2", today=date(2024, 4, 15))  # the cut-off 2024-02-15: only January has ended before
    assert when.covers(OLD) and not when.covers(NEW)
    items = {(i.feed, i.period): i for i in retention.plan(zone, when)}
    assert all(period == OLD for _, period in items)
    for feed in FEEDS:
        assert items[(feed, OLD)].purge, items[(feed, OLD)].reason
    kept = [i for i in items.values() if not i.purge]
    assert kept and all(i.reason == "not loaded (no load audit)" for i in kept)
    assert {i.feed for i in kept} == set(FEED_SPECS) - set(FEEDS)

    ed = FEED_SPECS["ed_attendances"]
    ed_old = pd.read_parquet(accepted_path(zone, ed.name, OLD))
    numbers = ed_old[ed.person_columns()["nhs_number"]].dropna().astype(str).head(2)
    (zone.identity / OPT_OUT_FILE).write_text("nhs_number\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    ed_before = excluded_records(zone, [ed], OptOut.load(zone.identity))
    assert (ed_before["period"] == OLD).sum() >= 2  # the opt-out covers records of the period to be purged
    accepted = pd.read_parquet(accepted_path(zone, "police_incidents", OLD))
    records_before = accepted_person_records(zone)
    audit_before = {f: load_audit_path(zone, f, OLD).stat().st_mtime_ns for f in FEEDS}
    partitions_before = {f: pd.read_parquet(published_path(zone, f, OLD)) for f in FEEDS}
    landing_old = [p for f in FEEDS for p in (zone.landing / f).iterdir() if OLD in p.name]
    assert landing_old

    retention.apply(zone, list(items.values()), when)

    for f in FEEDS:
        assert not accepted_path(zone, f, OLD).exists()
        assert accepted_path(zone, f, NEW).exists()
        assert retention.purge_state(zone, f, OLD) == "purged"
        assert not [p for p in (zone.quarantine / f).glob(f"*{OLD}*")] if (zone.quarantine / f).is_dir() else True
    assert not any(p.exists() for p in landing_old)
    assert deliveries_by_period(FEED_SPECS["mh_contacts"], zone)[OLD][-1].exists()  # kept: never loaded

    # re-read after the purge: nothing is lost or changed
    for f in FEEDS:
        result = load_period(FEED_SPECS[f], OLD, zone, validate=False)
        assert result.purged and result.status == "loaded"
        assert load_audit_path(zone, f, OLD).stat().st_mtime_ns == audit_before[f]  # not rewritten as "no delivery"
        _publish(zone, f, OLD)
        pd.testing.assert_frame_equal(pd.read_parquet(published_path(zone, f, OLD)), partitions_before[f])
    records_after = accepted_person_records(zone)
    key = ["source", "record_id"]
    assert set(map(tuple, records_after[key].to_numpy())) == set(map(tuple, records_before[key].to_numpy()))
    ed_after = excluded_records(zone, [ed], OptOut.load(zone.identity))
    pd.testing.assert_frame_equal(
        ed_before.sort_values(key).reset_index(drop=True), ed_after.sort_values(key).reset_index(drop=True)
    )

    trail = audit.audit_path(zone.root)
    assert audit.verify(trail).ok
    purges = [e for e in audit.entries(trail) if e["action"] == "retention.purge"]
    assert {(e["feed"], e["period"]) for e in purges} == {(f, OLD) for f in FEEDS}
    assert all(e["accepted_rows"] > 0 and e["landing_files"] >= 1 for e in purges)
    marker = json.loads(retention.purged_marker(zone, "police_incidents", OLD).read_text(encoding="utf-8"))
    assert marker["state"] == "purged" and marker["accepted_rows"] == len(accepted)


def test_a_newer_delivery_not_yet_loaded_and_an_unlinked_correction_are_kept(county: Zones, tmp_path: Path) -> None:
    zone = county
    when = retention.cutoff("1", today=date(2024, 4, 1))  # February too has ended
    spec = FEED_SPECS["police_incidents"]
    newest = deliveries_by_period(spec, zone)[NEW][-1]
    original = newest.read_bytes()
    newest.write_bytes(original.replace(b"\n", b"\r\n", 1))  # another content: a corrected file, not loaded yet
    try:
        item = next(i for i in retention.plan(zone, when, ["police_incidents"]) if i.period == NEW)
        assert not item.purge and "differs from the delivery the load audit recorded" in item.reason
    finally:
        newest.write_bytes(original)
    accepted = accepted_path(zone, "ed_attendances", NEW)
    rows = pd.read_parquet(accepted)
    saved = rows.copy()
    rows.loc[rows.index[0], FEED_SPECS["ed_attendances"].person_columns()["nhs_number"]] = "9434765919"
    rows.to_parquet(accepted, index=False)
    try:
        item = next(i for i in retention.plan(zone, when, ["ed_attendances"]) if i.period == NEW)
        assert not item.purge and item.reason.startswith("not linked yet")
    finally:
        saved.to_parquet(accepted, index=False)


def test_durations() -> None:
    assert retention.cutoff("24", today=date(2026, 12, 1)).on == date(2024, 12, 1)
    assert retention.cutoff("2 years", today=date(2026, 12, 1)).on == date(2024, 12, 1)
    assert retention.cutoff("31 days", today=date(2024, 3, 31)).on == date(2024, 2, 29)
    assert retention.cutoff("1 month", today=date(2024, 3, 31)).on == date(2024, 2, 29)
    assert retention.cutoff("24", today=date(2026, 12, 1)).covers("2024-11")
    assert not retention.cutoff("24", today=date(2026, 12, 1)).covers("2024-12")
    for bad in ("0", "soon", "-3"):
        with pytest.raises(ValueError):
            retention.cutoff(bad)
    assert retention.configured_older_than() == "24 months"


def test_a_purge_killed_half_way_is_finished_by_the_next(county: Zones) -> None:
    zone = county
    when = retention.cutoff("1", today=date(2024, 4, 1))
    spec = FEED_SPECS["police_incidents"]
    (item,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert item.purge, item.reason
    retention._write_marker(zone, item, "killed", "purging")  # what apply() does first, then the process died
    retention._write_records(zone, item)
    item.landing_files[0].unlink()
    result = load_period(spec, NEW, zone, validate=False)  # meanwhile ingest does not re-read what is left
    assert result.purged and accepted_path(zone, spec.name, NEW).exists()
    (again,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert again.purge, again.reason
    retention.apply(zone, [again], when)
    assert retention.purge_state(zone, spec.name, NEW) == "purged"
    assert not accepted_path(zone, spec.name, NEW).exists()
    assert not [p for p in (zone.landing / spec.name).iterdir() if NEW in p.name]
    assert retention.plan(zone, when, [spec.name]) == []  # nothing left to purge or to keep


def test_a_file_in_the_landing_folder_that_is_not_the_feeds_delivery_is_not_purged(county: Zones) -> None:
    zone = county
    when = retention.cutoff("1", today=date(2024, 4, 1))
    spec = FEED_SPECS["council_contacts"]
    folder = zone.landing / spec.name
    misplaced = folder / FEED_SPECS["ed_attendances"].file_pattern.replace("*", NEW)  # another feed's, never loaded
    arriving = folder / f".upload_{NEW}.csv.part"  # an upload still arriving under a hidden name
    copying = zone.quarantine / spec.name / f".{spec.file_pattern.replace('*', NEW)}.writing-{os.getppid()}"
    copying.parent.mkdir(parents=True, exist_ok=True)  # a live writer's copy into quarantine, written aside
    for stray in (misplaced, arriving, copying):
        stray.write_text("a,b\n1,2\n", encoding="utf-8")
    (item,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert item.purge, item.reason
    assert item.landing_files and misplaced not in item.landing_files and arriving not in item.landing_files
    assert copying not in item.quarantine_files
    retention.apply(zone, [item], when)
    assert misplaced.exists() and arriving.exists() and copying.exists()
    assert not any(p.exists() for p in item.landing_files)
    assert [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW] == []  # no period of strays


def test_a_delivery_landed_while_a_purge_was_killed_stays_and_is_loaded_after_it(county: Zones) -> None:
    zone = county
    when = retention.cutoff("1", today=date(2024, 4, 1))
    spec = FEED_SPECS["ed_attendances"]
    (item,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert item.purge, item.reason
    retention._write_marker(zone, item, "killed", "purging")  # then the process died
    retention._write_records(zone, item)
    newest = deliveries_by_period(spec, zone)[NEW][-1]
    corrected = newest.with_name(spec.file_pattern.replace("*", f"{NEW}_v2"))
    corrected.write_bytes(newest.read_bytes().replace(b"\n", b"\r\n", 1))  # the agency's correction, not loaded
    assert load_period(spec, NEW, zone, validate=False).purged  # ingest leaves a period being purged alone

    (again,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert again.purge, again.reason
    assert corrected not in again.landing_files
    retention.apply(zone, [again], when)
    assert corrected.exists() and retention.purge_state(zone, spec.name, NEW) == "purged"

    result = load_period(spec, NEW, zone, validate=False)  # the purge finished: the new delivery is loaded
    assert not result.purged and result.status == "loaded" and result.file == corrected.name
    (after,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert not after.purge  # not published from the new delivery yet


def test_a_purge_killed_before_it_marks_the_period_purged_has_its_audit_entry(
    county: Zones, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = county
    when = retention.cutoff("1", today=date(2024, 4, 1))
    spec = FEED_SPECS["ed_attendances"]
    _link(zone)  # the delivery loaded by the test before: linked and published, so purgeable again
    _publish(zone, spec.name, NEW)
    (item,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]
    assert item.purge, item.reason
    write_marker = retention._write_marker

    def killed_at_the_end(zones: Zones, item: retention.Period, purge_id: str, state: str) -> None:
        if state == "purged":
            raise KeyboardInterrupt("killed")
        write_marker(zones, item, purge_id, state)

    trail = audit.audit_path(zone.root)

    def purges() -> int:
        return sum(
            e["action"] == "retention.purge" and (e["feed"], e["period"]) == (spec.name, NEW)
            for e in audit.entries(trail)
        )

    before = purges()
    monkeypatch.setattr(retention, "_write_marker", killed_at_the_end)
    with pytest.raises(KeyboardInterrupt):
        retention.apply(zone, [item], when)
    monkeypatch.setattr(retention, "_write_marker", write_marker)
    assert purges() == before + 1  # what was removed is in the trail
    assert retention.purge_state(zone, spec.name, NEW) == "purging"
    (again,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == NEW]  # nothing left but the marker
    assert again.purge and not again.files, again.reason
    retention.apply(zone, [again], when)
    assert retention.purge_state(zone, spec.name, NEW) == "purged" and audit.verify(trail).ok


def test_a_purge_waits_for_an_ingest_of_the_feed_and_checks_the_period_again(
    fresh: Zones, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corrected delivery of a period planned for purging is being loaded when the purge is applied: the purge waits
    for the load (the feed's ingest lock), checks again and keeps the period, whose accepted rows are the new ones."""
    zone = fresh
    when = retention.cutoff("2", today=date(2024, 4, 15))
    spec = FEED_SPECS["police_incidents"]
    (item,) = [i for i in retention.plan(zone, when, [spec.name]) if i.period == OLD]
    assert item.purge, item.reason
    newest = deliveries_by_period(spec, zone)[OLD][-1]
    corrected = newest.with_name(spec.file_pattern.replace("*", f"{OLD}_v2"))
    corrected.write_bytes(newest.read_bytes().replace(b"\n", b"\r\n", 1))  # the agency's correction
    inside, go = threading.Event(), threading.Event()
    read = load.read_delivery

    def reading(*args: object, **kwargs: object) -> object:
        inside.set()
        assert go.wait(60)
        return read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "read_delivery", reading)
    done: dict[str, object] = {}

    def run(name: str, call: object) -> threading.Thread:
        def target() -> None:
            try:
                done[name] = call()  # type: ignore[operator]
            except BaseException as error:  # handed to the test's thread
                done[name] = error

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread

    ingest = run("ingest", lambda: load_period(spec, OLD, zone, validate=False))
    assert inside.wait(60)
    purge = run("purge", lambda: retention.apply(zone, [item], when))
    purge.join(timeout=2.0)
    assert purge.is_alive(), "the purge went ahead while an ingest of the feed was reading its delivery"
    go.set()
    ingest.join(60)
    purge.join(60)
    result = done["ingest"]
    assert isinstance(result, load.LoadResult) and result.status == "loaded" and result.file == corrected.name
    assert isinstance(done["purge"], str)
    assert not item.purge and "not published from this delivery" in item.reason  # checked again, kept
    assert retention.purge_state(zone, spec.name, OLD) is None
    assert accepted_path(zone, spec.name, OLD).exists() and corrected.exists() and newest.exists()


def test_hfc_purge_reports_a_period_kept_by_the_second_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("HFC_DATA_DIR", str(tmp_path))
    item = retention.Period("police_incidents", OLD, True, "loaded, published and linked")

    def checked_again(zones: Zones, items: list[retention.Period], when: retention.Cutoff) -> str:
        items[0].purge, items[0].reason = False, "not loaded yet: a newer file"
        return "purge-1"

    monkeypatch.setattr(retention, "plan", lambda zones, when, feeds: [item])
    monkeypatch.setattr(retention, "apply", checked_again)
    assert main(["purge", "--older-than", "2", "--as-of", "2024-04-15", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "keep   police_incidents 2024-01: not loaded yet: a newer file (checked again before removing)" in out
    assert "0 period(s) purged (purge purge-1" in out and "1 period(s) kept" in out
