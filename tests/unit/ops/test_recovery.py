"""Crash recovery: a dead run's leftovers are removed and the run marked failed; a live run's are kept."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

from pipelines.ops import recovery
from pipelines.settings import zones


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("HFC_DATA_DIR", str(root))
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(tmp_path / "warehouse" / "outcomes.duckdb"))
    monkeypatch.delenv("HFC_RESTRICTED_WAREHOUSE_PATH", raising=False)
    monkeypatch.delenv("HFC_RELEASE_DIR", raising=False)
    monkeypatch.delenv("HFC_PUBLISH_RESTRICTED_TO", raising=False)
    (root / "restricted").mkdir(parents=True)
    return root


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as inst:  # in memory: the same run and event APIs, without sqlite setup
        yield inst


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _started_run(instance: dg.DagsterInstance, pid: int) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="__ASSET_JOB", run_id=run_id, status=DagsterRunStatus.NOT_STARTED))
    for _ in range(30):  # as a dbt run has hundreds: events from the run's creator, before the run starts, no pid
        note = DagsterEvent(
            event_type_value=DagsterEventType.ENGINE_EVENT.value,
            job_name="__ASSET_JOB",
            event_specific_data=EngineEventData(),
            pid=None,
        )
        instance.report_dagster_event(note, run_id=run_id)
    start = DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name="__ASSET_JOB", pid=pid)
    instance.report_dagster_event(start, run_id=run_id)
    assert instance.get_run_by_id(run_id).status == DagsterRunStatus.STARTED
    return run_id


def test_a_started_run_whose_process_died_is_marked_failed(data: Path, instance: dg.DagsterInstance) -> None:
    dead = _started_run(instance, _dead_pid())
    alive = _started_run(instance, os.getpid())
    result = recovery.recover(zones(), instance)
    assert result.runs_failed == [dead]
    assert instance.get_run_by_id(dead).status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive).status == DagsterRunStatus.STARTED
    failure = instance.get_records_for_run(dead, of_type=DagsterEventType.RUN_FAILURE).records
    assert recovery.DEAD_PROCESS in failure[0].event_log_entry.dagster_event.message
    assert recovery.recover(zones(), instance).runs_failed == []  # once only


def test_a_dead_runs_building_file_is_removed_and_a_live_runs_kept(data: Path, instance: dg.DagsterInstance) -> None:
    dead = _started_run(instance, _dead_pid())
    alive = _started_run(instance, os.getpid())
    restricted = data / "restricted"
    planted = [f"outcomes_full.duckdb.building-{dead[:8]}", f"outcomes_full.duckdb.building-{dead[:8]}.wal"]
    orphan = "outcomes_full.duckdb.building-0badc0de"  # no run at all
    kept = f"outcomes_full.duckdb.building-{alive[:8]}"
    for name in [*planted, orphan, kept, "outcomes_full.duckdb"]:
        (restricted / name).write_bytes(b"x")
    result = recovery.recover(zones(), instance)
    assert sorted(p.name for p in restricted.iterdir()) == sorted([kept, "outcomes_full.duckdb"])
    assert set(result.files_removed) == {*planted, orphan}
    assert result.files_kept == [kept]


def test_a_dead_builds_spill_folder_is_removed_and_a_live_builds_kept(data: Path, instance: dg.DagsterInstance) -> None:
    """DuckDB spills past its memory limit into ``<build file>.tmp/`` (profiles.yml): a killed build leaves it."""
    dead = _started_run(instance, _dead_pid())
    alive = _started_run(instance, os.getpid())
    restricted = data / "restricted"
    gone, kept = (restricted / f"outcomes_full.duckdb.building-{run[:8]}.tmp" for run in (dead, alive))
    for folder in (gone, kept):
        folder.mkdir(parents=True)
        (folder / "duckdb_temp_storage-0.tmp").write_bytes(b"x")
    result = recovery.recover(zones(), instance)
    assert not gone.exists() and (kept / "duckdb_temp_storage-0.tmp").exists()
    assert gone.name in result.files_removed and kept.name in result.files_kept


def test_staged_files_are_removed_but_not_a_landing_upload(data: Path, instance: dg.DagsterInstance) -> None:
    staged = [
        data / "pseudonymised" / "ed_attendances" / "2024-01.tmp",
        data / "landing" / "_accepted" / "ed_attendances" / "2024-01.parquet.tmp",
        data / "identity" / "spine.tmp",
        data / "reports" / "drift" / "x.tmp",
        Path(os.environ["HFC_WAREHOUSE_PATH"]).with_name(".outcomes.duckdb.publishing"),
        data / ".release.staging" / "dash_x.csv",
    ]
    upload = data / "landing" / "ed_attendances" / "delivery.csv.tmp"  # an agency's upload still arriving
    for path in [*staged, upload]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    result = recovery.recover(zones(), instance)
    assert not any(p.exists() for p in staged)
    assert upload.exists()
    assert len(result.files_removed) == len(staged)


def test_a_staged_file_newer_than_a_live_run_is_kept(data: Path, instance: dg.DagsterInstance) -> None:
    _started_run(instance, os.getpid())  # a live run in "another" process, started before the file was written
    staged = data / "pseudonymised" / "ed_attendances" / "2024-01.tmp"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"x")
    assert recovery.recover(zones(), instance).files_removed == []
    assert staged.exists()


def test_a_recycled_pid_is_not_taken_for_the_run() -> None:
    started = recovery.process_start_time(os.getpid())
    assert started is not None
    assert recovery.process_alive(os.getpid(), not_after=started + 60)
    assert not recovery.process_alive(os.getpid(), not_after=started - 3600)  # the run began before this process
    assert not recovery.process_alive(_dead_pid())


def test_idle_dbt_target_folders_are_found_and_a_busy_one_is_not(tmp_path: Path) -> None:
    old, busy, other = (tmp_path / n for n in ("warehouse_dbt_assets-0477f84-10fb5c5", "warehouse_dbt_assets-1", "x"))
    for folder in (old, busy, other):
        folder.mkdir()
        (folder / "dbt.log").write_text("")
    stale = 10_000.0
    for path in (old, old / "dbt.log", other):
        os.utime(path, (os.path.getmtime(path) - stale,) * 2)
    assert recovery.dbt_target_leftovers(tmp_path, idle=stale / 2) == [old]


def test_a_release_cut_between_its_two_renames_is_put_back(data: Path, instance: dg.DagsterInstance) -> None:
    release = data / "release"
    previous = data / ".release.previous"
    previous.mkdir(parents=True)
    (previous / "manifest.json").write_text("{}")
    recovery.recover(zones(), instance)
    assert (release / "manifest.json").exists() and not previous.exists()


def test_an_old_release_left_after_a_finished_swap_is_removed(data: Path, instance: dg.DagsterInstance) -> None:
    (data / "release").mkdir()
    (data / "release" / "manifest.json").write_text('{"new": 1}')
    (data / ".release.previous").mkdir()
    recovery.recover(zones(), instance)
    assert not (data / ".release.previous").exists()
    assert (data / "release" / "manifest.json").read_text() == '{"new": 1}'


def test_what_a_killed_writer_left_aside_is_removed_and_a_live_writers_kept(
    data: Path, instance: dg.DagsterInstance
) -> None:
    dead, live = _dead_pid(), os.getppid()  # the parent started before the files were written: a writer at work
    gone = [
        data / "landing" / "_accepted" / "ed_attendances" / f".2024-01.parquet.writing-{dead}",
        data / "quarantine" / "ed_attendances" / f".ED_2024-01.csv.writing-{dead}",
        data / "pseudonymised" / "ed_attendances" / "period=2024-01" / f".data.parquet.writing-{dead}",
    ]
    busy = data / "identity" / f".record_person.parquet.writing-{live}"
    for path in [*gone, busy]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    result = recovery.recover(zones(), instance)
    assert not any(p.exists() for p in gone) and busy.exists()
    assert sorted(result.files_removed) == sorted(p.name for p in gone)


def test_a_killed_rotations_leftovers_are_removed_only_when_no_rotation_runs(
    data: Path, instance: dg.DagsterInstance
) -> None:
    from pipelines.ops.rotate import rotation_lock

    legacy = data / "pseudonymised" / "ed_attendances" / "period=2024-01" / "data.parquet.rotating"  # older versions
    journal = data / "ops" / f".key_rotation.json.writing-{_dead_pid()}"
    for path in (legacy, journal):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    with rotation_lock(zones()):  # a rotation at work: its file is not a leftover
        result = recovery.recover(zones(), instance)
    assert legacy.exists() and legacy.name not in result.files_removed
    assert not journal.exists() and result.files_removed == [journal.name]  # its writer's pid is gone
    result = recovery.recover(zones(), instance)
    assert not legacy.exists() and result.files_removed == [legacy.name]
