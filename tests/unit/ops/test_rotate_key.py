"""``hfc rotate-key``: a rotated zone is exactly what publishing with the new key would have written, every link kept;
it resumes when killed, works after the accepted rows are purged, and refuses what it cannot do safely."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pipelines import pseudonymisation
from pipelines.defs.linkage.assets import spine_path
from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import load_period
from pipelines.linkage.opt_out import OptOut, published_path
from pipelines.ops import rotate
from pipelines.ops.rotate import RotationError, journal_path, rotate_key, token_files
from pipelines.privacy.keys import (
    KeyMismatchError,
    PseudonymisationKey,
    ZoneKey,
    read_zone_key,
    zone_key_ids,
)
from pipelines.pseudonymisation import Reference, person_keys, publish_period
from pipelines.settings import Zones
from pipelines.truth_labels import truth_labels
from tests.feed_rows import write_delivery

OLD = PseudonymisationKey(b"o" * 40)
NEW = PseudonymisationKey(b"n" * 40)
OTHER = PseudonymisationKey(b"x" * 40)
REFERENCE = Reference(postcode_lsoa={}, lsoa_imd={})
FEEDS = [FEED_SPECS[f] for f in ("ambulance_calls", "mh_outcome_measures", "programme_caseload")]


def _county(root: Path, key: PseudonymisationKey) -> Zones:
    """Three feeds (two with a second keyed reference), a spine, person keys and truth labels, keyed with ``key``."""
    zones = Zones(root)
    spine = []
    for spec in FEEDS:
        write_delivery(spec, zones.landing / spec.name, n=6)
        assert load_period(spec, "2024-01", zones, validate=False).status == "loaded"
        accepted = pd.read_parquet(zones.landing / "_accepted" / spec.name / "2024-01.parquet")
        for i, rid in enumerate(accepted[spec.record_id].astype(str)):
            person = f"P{i % 4}"
            spine.append((spec.name, rid, person, f"{person}s{i % 2}", "P0"))
    zones.identity.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(spine, columns=["source", "record_id", "person_id", "person_id_strict", "person_id_lenient"])
    frame.to_parquet(spine_path(zones), index=False)
    for spec in FEEDS:
        publish_period(spec, zones, "2024-01", key, REFERENCE, OptOut.load(zones.identity))
    target = zones.pseudonymised / "person_keys" / "person_keys.parquet"
    target.parent.mkdir(parents=True)
    person_keys(frame, key).to_parquet(target, index=False)
    zones.synth_truth.mkdir()
    truth = pd.DataFrame({"feed": "ambulance_calls", "record_id": ["R000000", "R000001", "R999999"]})
    truth.assign(is_mental_health_related=["1", "0", "1"]).to_csv(zones.synth_truth / "records.csv", index=False)
    labels = zones.pseudonymised / "synth_truth_labels"
    labels.mkdir()
    for name, table in truth_labels(zones.synth_truth, key).items():
        table.to_parquet(labels / f"{name}.parquet", index=False)
    return zones


@pytest.fixture
def county(tmp_path: Path) -> tuple[Zones, Zones]:
    """The county keyed with OLD (to rotate) and the same county keyed with NEW (what rotation must give)."""
    return _county(tmp_path / "old", OLD), _county(tmp_path / "new", NEW)


def _files(zones: Zones) -> dict[str, pd.DataFrame]:
    return {spec.path: pd.read_parquet(zones.pseudonymised / spec.path) for spec in token_files(zones)}


def _assert_rotated(zones: Zones, expected: Zones) -> None:
    got, want = _files(zones), _files(expected)
    assert set(got) == set(want) and len(got) == 7  # 3 feeds, person keys, 3 truth label tables (2 empty)
    for path, frame in want.items():
        pd.testing.assert_frame_equal(got[path], frame, check_like=False, obj=path)
    assert set(zone_key_ids(zones.pseudonymised)) == {NEW.key_id}
    assert read_zone_key(zones.pseudonymised) == ZoneKey(NEW.key_id)
    assert not journal_path(zones).exists()


def test_a_rotated_zone_is_what_the_new_key_would_have_written(county: tuple[Zones, Zones]) -> None:
    zones, expected = county
    before = _files(zones)
    dry = rotate_key(zones, OLD, NEW, dry_run=True)
    assert dry.files == 7 and _files(zones).keys() == before.keys()
    assert all(pd.read_parquet(zones.pseudonymised / p).equals(f) for p, f in before.items())  # dry run: no change
    result = rotate_key(zones, OLD, NEW)
    assert (result.old_key_id, result.new_key_id, result.files) == (OLD.key_id, NEW.key_id, 7)
    _assert_rotated(zones, expected)
    after = _files(zones)
    for path, frame in before.items():  # every token differs; the links are the same links
        for column in [c for c in frame.columns if c.endswith("_key")]:
            old, new = frame[column].dropna(), after[path][column].dropna()
            assert len(old) == len(new) and not set(old) & set(new)
            assert pd.factorize(old)[0].tolist() == pd.factorize(new)[0].tolist()  # same rows share a token
    keys = after["person_keys/person_keys.parquet"]
    calls = after["ambulance_calls/period=2024-01/data.parquet"]
    joined = calls.merge(keys[keys["feed"] == "ambulance_calls"], on="record_key")
    assert len(joined) == len(calls) and joined["person_key"].nunique() == 4
    entry = json.loads((zones.root / "audit" / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "key.rotate" and (entry["old_key_id"], entry["new_key_id"]) == (OLD.key_id, NEW.key_id)
    assert entry["files"] == 7 and entry["tokens"] == result.tokens > 0
    spec = FEEDS[0]
    with pytest.raises(KeyMismatchError, match=f"{NEW.key_id}.*{OLD.key_id}"):  # the old key is refused from now on
        publish_period(spec, zones, "2024-01", OLD, REFERENCE, OptOut.load(zones.identity))
    publish_period(spec, zones, "2024-01", NEW, REFERENCE, OptOut.load(zones.identity))  # the new one publishes
    pd.testing.assert_frame_equal(pd.read_parquet(published_path(zones, spec.name, "2024-01")), calls)
    with pytest.raises(KeyMismatchError):
        rotate_key(zones, OLD, NEW)  # rotating again from the old key: the zone is no longer the old key's


@pytest.mark.parametrize("stage", ["renamed", "journaled"])
def test_a_rotation_killed_midway_resumes(
    county: tuple[Zones, Zones], monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    zones, expected = county
    seen: list[str] = []

    def kill(at: str, path: str) -> None:
        if at == stage:
            seen.append(path)
            if len(seen) == 3:
                raise KeyboardInterrupt("killed")

    monkeypatch.setattr(rotate, "_after_file", kill)
    with pytest.raises(KeyboardInterrupt):
        rotate_key(zones, OLD, NEW)
    monkeypatch.setattr(rotate, "_after_file", None)
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id, rotating_to=NEW.key_id)
    assert set(zone_key_ids(zones.pseudonymised)) == {OLD.key_id, NEW.key_id}  # half done
    for key in (OLD, NEW):  # nothing writes tokens into a half-rotated zone
        with pytest.raises(KeyMismatchError, match="rotation"):
            publish_period(FEEDS[0], zones, "2024-01", key, REFERENCE, OptOut.load(zones.identity))
    with pytest.raises(KeyMismatchError, match="under way"):
        rotate_key(zones, OLD, OTHER)  # only the same rotation may resume
    result = rotate_key(zones, OLD, NEW)
    assert result.files_resumed == 3 and result.files == 4
    _assert_rotated(zones, expected)
    entries = [json.loads(line) for line in (zones.root / "audit" / "audit.jsonl").read_text().splitlines()]
    assert [e["action"] for e in entries] == ["key.rotate"]


def test_rotation_needs_no_landing_files_once_the_identity_zone_keeps_the_values(county: tuple[Zones, Zones]) -> None:
    zones, expected = county
    shutil.rmtree(zones.landing)  # retention purged every landing file and accepted row; the identity zone stays
    rotate_key(zones, OLD, NEW)
    _assert_rotated(zones, expected)


def test_rotation_refuses_to_start_unless_every_token_is_the_old_keys_and_has_its_value(
    county: tuple[Zones, Zones],
) -> None:
    zones, _ = county
    before = _files(zones)
    with pytest.raises(KeyMismatchError, match=f"{OLD.key_id}.*{OTHER.key_id}"):
        rotate_key(zones, OTHER, NEW)  # the configured "old" key is not the one the tokens were made with
    with pytest.raises(Exception, match="nothing to rotate"):
        rotate_key(zones, OLD, OLD)
    stray = zones.pseudonymised / "police_incidents" / "period=2024-01" / "data.parquet"
    stray.parent.mkdir(parents=True)
    pd.DataFrame({"record_key": ["a" * 32], "key_id": [OTHER.key_id]}).to_parquet(stray)
    with pytest.raises(KeyMismatchError, match=OTHER.key_id):
        rotate_key(zones, OLD, NEW)
    pd.DataFrame({"record_key": ["a" * 32], "key_id": [OLD.key_id]}).to_parquet(stray)  # a token with no value behind
    with pytest.raises(RotationError, match=r"police_incidents/period=2024-01/data\.parquet") as exc:
        rotate_key(zones, OLD, NEW)
    assert "nothing was changed" in str(exc.value)
    stray.unlink()
    assert all(pd.read_parquet(zones.pseudonymised / p).equals(f) for p, f in before.items())
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id) and not journal_path(zones).exists()
    unknown = zones.pseudonymised / "somewhere" / "new_table.parquet"
    unknown.parent.mkdir()
    pd.DataFrame({"thing_key": ["b" * 32], "key_id": [OLD.key_id]}).to_parquet(unknown)
    with pytest.raises(RotationError, match=r"somewhere/new_table\.parquet"):
        rotate_key(zones, OLD, NEW)


def test_hfc_rotate_key_cli(
    county: tuple[Zones, Zones], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main

    zones, expected = county
    monkeypatch.setenv("HFC_DATA_DIR", str(zones.root))
    monkeypatch.setenv("HFC_PSEUDONYMISATION_KEY", "o" * 40)
    new_file = zones.root.parent / "new.key"
    new_file.write_text("n" * 40 + "\n")
    new_file.chmod(0o600)
    assert main(["rotate-key", "--new-key-file", str(new_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "Nothing was changed" in out and OLD.key_id in out
    assert main(["rotate-key", "--new-key-file", str(new_file), "--no-rebuild"]) == 0
    out = capsys.readouterr().out
    assert "re-keyed" in out and "n" * 40 not in out and "o" * 40 not in out
    _assert_rotated(zones, expected)
    assert main(["rotate-key", "--new-key-file", str(new_file), "--no-rebuild"]) == 0  # done: nothing to re-key
    assert f"already keyed with key id {NEW.key_id}" in capsys.readouterr().out
    other_file = zones.root.parent / "other.key"
    other_file.write_text("x" * 40)
    other_file.chmod(0o600)
    assert main(["rotate-key", "--new-key-file", str(other_file), "--dry-run"]) == 2  # the zone is not the old key's
    err = capsys.readouterr().err
    assert NEW.key_id in err and OLD.key_id in err


def test_a_rotation_killed_after_its_last_file_finishes_without_a_second_audit_entry(
    county: tuple[Zones, Zones],
) -> None:
    zones, expected = county
    rotate_key(zones, OLD, NEW)
    journal_path(zones).write_text(  # as left by a kill between recording the new key id and removing the journal
        json.dumps({"old_key_id": OLD.key_id, "new_key_id": NEW.key_id, "done": [], "audited": True})
    )
    result = rotate_key(zones, OLD, NEW)
    assert result.files + result.files_resumed == 7 and result.tokens == 0  # (files without tokens are rewritten)
    _assert_rotated(zones, expected)
    assert len((zones.root / "audit" / "audit.jsonl").read_text().splitlines()) == 1


def test_a_file_written_with_the_old_key_during_the_rotation_is_re_keyed_before_the_new_key_is_recorded(
    county: tuple[Zones, Zones], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that checked the zone's key just before the rotation marked it may still write after the files were
    listed (here: over a file already re-keyed). The rotation must not record the new key over old tokens."""
    zones, expected = county
    target = zones.pseudonymised / "ambulance_calls" / "period=2024-01" / "data.parquet"
    old_bytes = target.read_bytes()
    seen: list[str] = []

    def late_writer(at: str, path: str) -> None:
        if at == "journaled":
            seen.append(path)
            if len(seen) == 7:  # every file done: the late run's partition lands now
                target.write_bytes(old_bytes)

    monkeypatch.setattr(rotate, "_after_file", late_writer)
    with pytest.raises(RotationError, match=r"ambulance_calls/period=2024-01/data\.parquet") as exc:
        rotate_key(zones, OLD, NEW)
    assert OLD.key_id not in str(exc.value).split(":")[0] and "run hfc rotate-key again" in str(exc.value)
    monkeypatch.setattr(rotate, "_after_file", None)
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id, rotating_to=NEW.key_id)  # writers still refused
    assert not (zones.root / "audit" / "audit.jsonl").exists()
    result = rotate_key(zones, OLD, NEW)  # resumed: the journaled file is checked again, not skipped
    assert result.files == 1 and result.files_resumed == 6
    _assert_rotated(zones, expected)


def test_a_token_that_lost_its_value_between_check_and_rewrite_is_named_not_quoted(county: tuple[Zones, Zones]) -> None:
    zones, _ = county
    (spec,) = [s for s in token_files(zones) if s.path.startswith("ambulance_calls/")]
    table = rotate.pq.read_table(zones.pseudonymised / spec.path)
    token = table.column("record_key")[0].as_py()
    with pytest.raises(RotationError, match="record_key") as exc:
        rotate._rewrite(spec, table, {}, NEW)
    assert token not in str(exc.value)


def test_a_rotation_finished_between_a_publications_key_check_and_its_write_is_refused_by_it(
    county: tuple[Zones, Zones], monkeypatch: pytest.MonkeyPatch
) -> None:
    """K1: the publication checked the zone's key (the old one), then a whole rotation ran while it pseudonymised;
    it must re-check under its feed's publication lock and refuse, not write the old key's tokens after it."""
    zones, _ = county
    spec = FEEDS[0]
    write_delivery(spec, zones.landing / spec.name, n=4, period="2024-02")
    assert load_period(spec, "2024-02", zones, validate=False).status == "loaded"
    pseudonymise = pseudonymisation.pseudonymise_frame

    def rotated_meanwhile(*args: object, **kwargs: object) -> pd.DataFrame:
        rotate_key(zones, OLD, NEW)
        return pseudonymise(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pseudonymisation, "pseudonymise_frame", rotated_meanwhile)
    with pytest.raises(KeyMismatchError, match=f"key id {NEW.key_id}.*key id {OLD.key_id}"):
        publish_period(spec, zones, "2024-02", OLD, REFERENCE, OptOut.load(zones.identity))
    assert not published_path(zones, spec.name, "2024-02").exists()
    assert set(zone_key_ids(zones.pseudonymised)) == {NEW.key_id}
    assert read_zone_key(zones.pseudonymised) == ZoneKey(NEW.key_id)


def test_a_rotation_waits_for_a_publication_holding_its_feeds_lock_before_recording_the_new_key(
    county: tuple[Zones, Zones], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other half of K1: a publication that re-checked the key (still the old one) under its feed's lock, of a
    feed the rotation has no file of yet, is writing. The rotation must not record the new key id until it is done,
    and then sees its file; the next rotation re-keys it."""
    zones, _ = county
    police = FEED_SPECS["police_incidents"]
    write_delivery(police, zones.landing / police.name, n=4)
    assert load_period(police, "2024-01", zones, validate=False).status == "loaded"
    inside, go, at_the_end = threading.Event(), threading.Event(), threading.Event()
    write_values = pseudonymisation._write_token_values

    def paused(*args: object) -> None:
        inside.set()
        assert go.wait(60)
        write_values(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pseudonymisation, "_write_token_values", paused)
    errors: dict[str, BaseException] = {}

    def run(name: str, call: Callable[[], object]) -> threading.Thread:
        def target() -> None:
            try:
                call()
            except BaseException as error:  # handed to the test's thread
                errors[name] = error

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread

    publication = run(
        "publish", lambda: publish_period(police, zones, "2024-01", OLD, REFERENCE, OptOut.load(zones.identity))
    )
    assert inside.wait(60)
    journaled: list[str] = []

    def count(at: str, path: str) -> None:
        if at == "journaled":
            journaled.append(path)
            if len(journaled) == 7:
                at_the_end.set()

    monkeypatch.setattr(rotate, "_after_file", count)
    rotation = run("rotate", lambda: rotate_key(zones, OLD, NEW))
    assert at_the_end.wait(120)
    rotation.join(timeout=2.0)
    assert rotation.is_alive(), "the rotation recorded the new key id while a publication was writing old tokens"
    go.set()
    publication.join(60)
    rotation.join(60)
    assert "publish" not in errors
    assert isinstance(errors.get("rotate"), RotationError)
    assert "police_incidents/period=2024-01/data.parquet" in str(errors["rotate"])
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id, rotating_to=NEW.key_id)  # writers refused
    monkeypatch.setattr(rotate, "_after_file", None)
    rotate_key(zones, OLD, NEW)  # the next rotation re-keys it
    assert set(zone_key_ids(zones.pseudonymised)) == {NEW.key_id}
    assert read_zone_key(zones.pseudonymised) == ZoneKey(NEW.key_id)


_KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.ops import rotate
from pipelines.privacy.keys import PseudonymisationKey
from pipelines.settings import Zones

write, calls = pq.write_table, []


def dying(table, where, **kwargs):
    calls.append(where)
    if len(calls) == 3:  # the third file: half written, then SIGKILL (no finally, no clean-up)
        Path(where).write_bytes(b"PAR1 half a file")
        os.kill(os.getpid(), signal.SIGKILL)
    write(table, where, **kwargs)


rotate.pq.write_table = dying
rotate.rotate_key(Zones(Path(sys.argv[1])), PseudonymisationKey(b"o" * 40), PseudonymisationKey(b"n" * 40))
"""


def test_what_a_rotation_killed_mid_write_leaves_is_removed_by_recovery_and_the_rotation_resumes(
    county: tuple[Zones, Zones], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    import dagster as dg

    from pipelines.ops import recovery

    zones, expected = county
    repo = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    killed = subprocess.Popen([sys.executable, "-c", _KILLED_MID_WRITE, str(zones.root)], cwd=repo, env=env)
    assert killed.wait(300) == -signal.SIGKILL
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id, rotating_to=NEW.key_id)
    staged = [
        p for p in zones.pseudonymised.rglob("*") if p.is_file() and not p.name.endswith((".parquet", ".json", ".lock"))
    ]
    assert [p.name for p in staged] == [f".data.parquet.writing-{killed.pid}"]  # as every zone writer names it
    assert recovery.aside_leftovers(zones) == staged  # the writer is gone: what recovery removes

    monkeypatch.setenv("HFC_DATA_DIR", str(zones.root))
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(tmp_path / "warehouse" / "outcomes.duckdb"))
    for name in ("HFC_RESTRICTED_WAREHOUSE_PATH", "HFC_RELEASE_DIR", "HFC_PUBLISH_RESTRICTED_TO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(recovery, "dbt_target_leftovers", lambda target: [])  # the checkout's, not this test's
    with dg.DagsterInstance.ephemeral() as instance:
        result = recovery.recover(zones, instance)
    assert result.files_removed == [staged[0].name] and not staged[0].exists()
    rotate_key(zones, OLD, NEW)  # resumed from the journal
    _assert_rotated(zones, expected)


def test_a_second_rotation_is_refused_while_one_runs(county: tuple[Zones, Zones]) -> None:
    zones, _ = county
    assert not rotate.rotation_running(zones)
    with rotate.rotation_lock(zones):
        assert rotate.rotation_running(zones)
        with pytest.raises(RotationError, match="another hfc rotate-key is running"):
            rotate_key(zones, OLD, NEW)
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id)  # the refused one changed nothing
    rotate_key(zones, OLD, NEW)
