"""A full disk (ENOSPC injected at the writer): a clear error naming the file, the old file kept, nothing
half-written left beside it, the reconciliation still holding, and a re-run giving what a clean run gives."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import accepted_path, audit_path, load_period
from pipelines.linkage.opt_out import OptOut, published_path
from pipelines.linkage.opt_out import audit_path as opt_out_counts_path
from pipelines.ops.atomic import WriteFailed, append_csv, write_csv, write_parquet, write_text
from pipelines.privacy.keys import PseudonymisationKey
from pipelines.pseudonymisation import Reference, publish_period
from pipelines.settings import Zones
from pipelines.warehouse.publish import PublishFailed, publish
from tests.feed_rows import write_delivery

POLICE = FEED_SPECS["police_incidents"]
OTHERS = tuple(FEED_SPECS.values())
KEY = PseudonymisationKey(b"k" * 40)
REFERENCE = Reference(postcode_lsoa={}, lsoa_imd={})
PERIOD = "2024-01"
CORRECTED = POLICE.file_pattern.replace("*", f"{PERIOD}_v2")

_real_to_parquet = pd.DataFrame.to_parquet


def _full_disk_at(monkeypatch: pytest.MonkeyPatch, match: Callable[[Path], bool]) -> list[Path]:
    """``to_parquet`` into a path that ``match``es writes a few bytes, then fails as a full disk does."""
    hits: list[Path] = []

    def to_parquet(frame: pd.DataFrame, path: object, *args: object, **kwargs: object) -> None:
        target = Path(str(path))
        if match(target):
            hits.append(target)
            target.write_bytes(b"PAR1\x00\x00half a file")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _real_to_parquet(frame, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    return hits


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name)


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).drop(columns=["loaded_at"], errors="ignore")


@pytest.mark.parametrize(
    "write",
    [
        lambda target: write_parquet(pd.DataFrame({"n": [2]}), target),
        lambda target: write_csv(pd.DataFrame({"n": [2]}), target),
        lambda target: append_csv(pd.DataFrame({"n": [2]}), target),
        lambda target: write_text(target, "new"),
    ],
    ids=["parquet", "csv", "append_csv", "text"],
)
def test_a_full_disk_mid_write_keeps_the_old_file_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Callable[[Path], None]
) -> None:
    target = tmp_path / "zone" / "file.out"
    target.parent.mkdir()
    target.write_bytes(b"n\n1\n")

    def full(path: object, *args: object, **kwargs: object) -> None:
        Path(str(path)).write_bytes(b"n\n1\n2 half a li")  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", lambda self, path, *a, **k: full(path))
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, path, *a, **k: full(path))
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: full(self))
    with pytest.raises(WriteFailed) as caught:
        write(target)
    message = str(caught.value)
    assert str(target) in message and "ENOSPC" in message and "previous file is kept" in message
    assert caught.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"n\n1\n"
    assert _leftovers(tmp_path) == []


def test_a_full_disk_while_loading_keeps_the_previous_delivery_and_a_rerun_loads_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = Zones(tmp_path / "run")
    write_delivery(POLICE, zones.landing / POLICE.name, n=20, period=PERIOD)
    first = load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    before_rows = _frame(accepted_path(zones, POLICE.name, PERIOD))
    before_audit = _frame(audit_path(zones, POLICE.name, PERIOD))

    # a corrected delivery arrives (more rows, newer); the disk fills while its accepted rows are written
    corrected = write_delivery(POLICE, zones.landing / POLICE.name, n=30, period=PERIOD, name=CORRECTED)
    os.utime(corrected, (corrected.stat().st_atime + 60, corrected.stat().st_mtime + 60))
    hits = _full_disk_at(monkeypatch, lambda p: "_accepted" in p.parts)
    with pytest.raises(WriteFailed) as caught:
        load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    assert hits and "ENOSPC" in str(caught.value)
    assert str(accepted_path(zones, POLICE.name, PERIOD)) in str(caught.value)
    # nothing lost, nothing half-written: the previous delivery's rows and audit stand and still reconcile
    pd.testing.assert_frame_equal(_frame(accepted_path(zones, POLICE.name, PERIOD)), before_rows)
    audit = _frame(audit_path(zones, POLICE.name, PERIOD))
    pd.testing.assert_frame_equal(audit, before_audit)
    row = audit.iloc[0]
    assert row["rows_received"] == row["rows_loaded"] + row["rows_quarantined"] + row["rows_excluded"]
    assert row["rows_received"] == first.rows_received
    assert _leftovers(zones.root) == []

    # the disk has room again: the re-run loads the corrected delivery as a clean run does
    monkeypatch.undo()
    again = load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    clean = Zones(tmp_path / "clean")
    write_delivery(POLICE, clean.landing / POLICE.name, n=30, period=PERIOD, name=CORRECTED)
    expected = load_period(POLICE, PERIOD, clean, OTHERS, validate=False)
    assert (again.status, again.rows_received, again.rows_loaded, again.reasons) == (
        expected.status,
        expected.rows_received,
        expected.rows_loaded,
        expected.reasons,
    )
    pd.testing.assert_frame_equal(
        _frame(accepted_path(zones, POLICE.name, PERIOD)), _frame(accepted_path(clean, POLICE.name, PERIOD))
    )


def test_a_full_disk_while_writing_the_load_audit_leaves_the_previous_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = Zones(tmp_path)
    write_delivery(POLICE, zones.landing / POLICE.name, n=12, period=PERIOD)
    load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    before = _frame(audit_path(zones, POLICE.name, PERIOD))
    _full_disk_at(monkeypatch, lambda p: "_load_audit" in p.parts)
    with pytest.raises(WriteFailed, match="_load_audit"):
        load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    pd.testing.assert_frame_equal(_frame(audit_path(zones, POLICE.name, PERIOD)), before)
    assert _leftovers(zones.root) == []


def test_a_full_disk_while_publishing_a_partition_keeps_the_old_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = Zones(tmp_path)
    write_delivery(POLICE, zones.landing / POLICE.name, n=15, period=PERIOD)
    load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    publish_period(POLICE, zones, PERIOD, KEY, REFERENCE, OptOut.load(zones.identity))
    partition = published_path(zones, POLICE.name, PERIOD)
    before, counts = pd.read_parquet(partition), _frame(opt_out_counts_path(zones, POLICE.name, PERIOD))

    corrected = write_delivery(POLICE, zones.landing / POLICE.name, n=25, period=PERIOD, name=CORRECTED)
    os.utime(corrected, (corrected.stat().st_atime + 60, corrected.stat().st_mtime + 60))
    load_period(POLICE, PERIOD, zones, OTHERS, validate=False)
    _full_disk_at(monkeypatch, lambda p: p.parent == partition.parent)
    with pytest.raises(WriteFailed, match="period=2024-01"):
        publish_period(POLICE, zones, PERIOD, KEY, REFERENCE, OptOut.load(zones.identity))
    pd.testing.assert_frame_equal(pd.read_parquet(partition), before)  # the old partition, whole
    pd.testing.assert_frame_equal(
        _frame(opt_out_counts_path(zones, POLICE.name, PERIOD)).drop(columns="applied_at"),
        counts.drop(columns="applied_at"),
    )
    assert _leftovers(zones.pseudonymised) == []
    monkeypatch.undo()
    assert publish_period(POLICE, zones, PERIOD, KEY, REFERENCE, OptOut.load(zones.identity)).rows == len(
        pd.read_parquet(accepted_path(zones, POLICE.name, PERIOD))
    )


def _build(path: Path, contacts: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema restricted")
        con.execute(f"create table marts.fct_contacts as select 'k1' as contact_key, {contacts} as contacts")
        con.execute("create table restricted.notes as select 'k1' as contact_key, 'a narrative' as narrative")
    return path


def _contacts(published: Path) -> int:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select contacts from marts.fct_contacts").fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize("where", ["copy", "swap"])
def test_a_full_disk_while_publishing_the_warehouse_keeps_the_previous_one_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    import pipelines.warehouse.publish as publishing

    published = tmp_path / "warehouse" / "outcomes.duckdb"
    publish(_build(tmp_path / "old.duckdb", 5), published)
    new = _build(tmp_path / "new.duckdb", 10)
    if where == "copy":  # DuckDB's own write of the new file fails
        real_copy = publishing._copy

        def copy(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], source: str, target: str) -> None:
            real_copy(con, tables[:1], source, target)
            raise duckdb.IOException('Could not write file "x": No space left on device')

        monkeypatch.setattr(publishing, "_copy", copy)
    else:  # the swap itself
        real_replace = os.replace

        def replace(src: object, dst: object) -> None:
            if Path(str(dst)) == published:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_replace(src, dst)  # type: ignore[arg-type]

        monkeypatch.setattr(publishing.os, "replace", replace)
    with pytest.raises(PublishFailed) as caught:
        publish(new, published)
    message = str(caught.value)
    assert str(published) in message and "ENOSPC" in message and "previous warehouse is still published" in message
    assert _contacts(published) == 5
    assert sorted(p.name for p in published.parent.iterdir()) == ["outcomes.duckdb"]
    monkeypatch.undo()
    publish(new, published)
    assert _contacts(published) == 10


def test_a_writer_killed_mid_write_leaves_a_partial_file_the_next_write_removes(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "data.parquet"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".data.parquet.writing-{int(dead.stdout)}"
    stale.write_bytes(b"half")  # what a SIGKILL mid-write leaves
    live = tmp_path / f".data.parquet.writing-{os.getppid()}"  # another writer still at work: left alone
    live.write_bytes(b"busy")
    write_text(target, "whole")
    assert target.read_text() == "whole" and not stale.exists() and live.exists()


def test_a_leftover_whose_pid_was_recycled_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pid in the name is running, but that process started after the file was last written: not its writer
    (the check is ``pipelines.ops.recovery.process_alive``, shared with crash recovery)."""
    import time

    from pipelines.ops import recovery

    target = tmp_path / "data.parquet"
    recycled = tmp_path / f".data.parquet.writing-{os.getppid()}"
    recycled.write_bytes(b"half")
    real = recovery.process_start_time
    monkeypatch.setattr(  # as if the parent had been started a minute from now, under the dead writer's pid
        recovery, "process_start_time", lambda pid: time.time() + 60 if pid == os.getppid() else real(pid)
    )
    write_text(target, "whole")
    assert target.read_text() == "whole" and not recycled.exists()


def test_a_column_pyarrow_cannot_convert_is_named_and_its_value_never_quoted(tmp_path: Path) -> None:
    """pyarrow's own message quotes the cell (``Could not convert '<value>' with type str``); the run's log and an
    alert get the file and the column only, and the previous file is kept."""
    from pipelines.ops.atomic import WriteRefused

    target = tmp_path / "2024-01.parquet"
    write_parquet(pd.DataFrame({"nhs_number": ["old"]}), target)
    secret = "not-a-real-value-7f3a"
    with pytest.raises(WriteRefused, match="nhs_number") as caught:
        write_parquet(pd.DataFrame({"nhs_number": [12, secret]}), target)
    assert secret not in str(caught.value) and "previous file is kept" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # not printed with the traceback
    assert pd.read_parquet(target)["nhs_number"].tolist() == ["old"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _writers(tmp_path: Path) -> dict[str, Callable[[Path], None]]:
    from pipelines.ops.atomic import copy_file

    source = tmp_path / "source.txt"
    source.write_text("a\n1\n", encoding="utf-8")
    frame = pd.DataFrame({"a": [1, 2]})
    return {
        "write_parquet": lambda target: write_parquet(frame, target),
        "write_csv": lambda target: write_csv(frame, target),
        "write_text": lambda target: write_text(target, "text"),
        "copy_file": lambda target: copy_file(source, target),
        "append_csv": lambda target: append_csv(frame, target),
    }


@pytest.mark.parametrize("writer", ["write_parquet", "write_csv", "write_text", "copy_file", "append_csv"])
def test_every_writer_flushes_the_file_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    write = _writers(tmp_path)[writer]
    target = tmp_path / "zone" / "file.out"
    write(target)  # once, so that the second write replaces a file (append_csv then copies it first)
    events: list[tuple[str, ...]] = []
    fsync, replace = os.fsync, os.replace

    def recorded_fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def recorded_replace(src: object, dst: object) -> None:
        events.append(("replace", str(src), str(dst)))
        replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", recorded_fsync)
    monkeypatch.setattr(os, "replace", recorded_replace)
    write(target)
    aside = str(target.parent / f".{target.name}.writing-{os.getpid()}")
    assert events == [("fsync", aside), ("replace", aside, str(target)), ("fsync", str(target.parent))]


def test_a_file_that_cannot_be_flushed_is_not_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "zone" / "counts.txt"
    write_text(target, "old")
    fsync = os.fsync

    def failing(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(f".writing-{os.getpid()}"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(WriteFailed, match=r"counts\.txt: EIO: .*the previous file is kept"):
        write_text(target, "new")
    assert target.read_text() == "old" and sorted(p.name for p in target.parent.iterdir()) == ["counts.txt"]


@pytest.mark.parametrize("code", [errno.EIO, errno.EINVAL])
def test_a_folder_that_cannot_be_flushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """EINVAL: a file system that cannot flush a directory (nothing more to do there); EIO: said, as the new file is
    in place but its rename may not survive a power cut."""
    target = tmp_path / "zone" / "counts.txt"
    fsync = os.fsync

    def failing(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}") == str(target.parent):
            raise OSError(code, os.strerror(code))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", failing)
    if code == errno.EINVAL:
        write_text(target, "new")
    else:
        with pytest.raises(WriteFailed, match=r"counts\.txt, but its folder could not be flushed .*EIO"):
            write_text(target, "new")
    assert target.read_text() == "new" and sorted(p.name for p in target.parent.iterdir()) == ["counts.txt"]


def test_the_zone_key_record_and_the_token_values_are_flushed_as_zone_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.privacy.keys import KEY_ID_FILE, ZoneKey, read_zone_key, write_zone_key
    from pipelines.pseudonymisation import token_values_path

    zones = Zones(tmp_path / "data")
    write_delivery(POLICE, zones.landing / POLICE.name, n=3)
    assert load_period(POLICE, PERIOD, zones, OTHERS, validate=False).status == "loaded"
    flushed: list[str] = []
    fsync = os.fsync

    def recorded(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", recorded)
    write_zone_key(zones.pseudonymised, ZoneKey(KEY.key_id))
    publish_period(POLICE, zones, PERIOD, KEY, REFERENCE, OptOut.load(zones.identity))
    record, values = zones.pseudonymised / KEY_ID_FILE, token_values_path(zones, POLICE.name, PERIOD)
    for target in (record, values):
        assert str(target.parent / f".{target.name}.writing-{os.getpid()}") in flushed
        assert str(target.parent) in flushed
    assert read_zone_key(zones.pseudonymised) == ZoneKey(KEY.key_id)
    assert not [p for p in zones.root.rglob("*.tmp")]
