"""What a killed run leaves behind, cleaned up by the next run (docs/operations.md, "Crash consistency").

A process killed with SIGKILL (out of memory, a reboot, ``kill -9``, a container stopped) runs no ``finally``
block, so it leaves:

- the dbt build's working copy of the full warehouse, ``outcomes_full.duckdb.building-<run>`` and its ``.wal``,
  beside the full build in the restricted zone (a whole warehouse per crash);
- the files a writer stages before its atomic rename: ``*.tmp`` / ``*.parquet.tmp`` in the accepted rows, the
  pseudonymised zone, the identity zone and the reports, ``.<name>.writing-<pid>`` (``pipelines.ops.atomic``) there,
  in quarantine and beside the key rotation's journal (``ops/``), an older rotation's ``<file>.rotating`` in the
  pseudonymised zone (removed only when no rotation holds its lock), ``.outcomes.duckdb.publishing`` (and ``.wal``)
  beside the published warehouse and the restricted copy, ``.release.staging`` beside the release;
- dagster-dbt's per-invocation target folder, ``dbt_project/target/warehouse_dbt_assets-<run>-<hash>`` (20-30 MB of
  compiled SQL and a manifest copy; dagster-dbt leaves one behind after every build, finished or killed);
- its Dagster runs STARTED (or NOT_STARTED/STARTING) in the run storage for good: the UI shows them in progress.

:func:`recover` runs at the start of ``hfc demo`` / ``hfc backfill`` and of the dbt asset. A run counts as alive
when its status is in progress and the process that ran it is alive (the pid Dagster stamps on every event, checked
against ``/proc`` with the process's start time, so a recycled pid is not mistaken for the run). A dead run is
marked failed with Dagster's own API (``instance.report_run_failed``), and its files removed; a live run's building
file is kept, and a staged file is only removed when it is older than every live run. Runs launched by the daemon
are also covered by Dagster's run monitoring (``run_monitoring`` in ``dagster.yaml``: start and cancel timeouts).
The lock files (``identity/locks/*.lock``, ``landing/_locks/*.lock``, ``ops/key_rotation.lock``) are ``flock``
locks, released by the kernel when their holder dies: they are left in place, because removing a lock file another
process has open would let two writers in.

Only file names, run ids and counts are logged or audited.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.settings import Zones, release_dir, restricted_publish_path, restricted_warehouse_path, warehouse_path

log = logging.getLogger(__name__)

DEAD_PROCESS = "the process running it died"
BUILDING_INFIX = ".building-"
# A run launched and never started by anything (no process stamped an event) is given this long before it is failed.
START_TIMEOUT_SECONDS = 180.0
# A dbt target folder untouched for this long belongs to no build still running (dbt writes its log per node). The
# folders are shared by every data directory that runs this checkout's dbt project, so age is the test, not run ids.
DBT_TARGET_IDLE_SECONDS = 3600.0
DBT_TARGET_PREFIX = "warehouse_dbt_assets-"
# A QUEUED run waits for the daemon's run coordinator; with no daemon heartbeat for this long, nothing will run it.
QUEUE_TIMEOUT_SECONDS = 600.0


@dataclass
class Recovered:
    runs_failed: list[str] = field(default_factory=list)  # run ids
    files_removed: list[str] = field(default_factory=list)  # file names (no directories)
    files_kept: list[str] = field(default_factory=list)  # leftovers of a run that is still alive
    dbt_targets_removed: int = 0  # dagster-dbt's target folders of builds long finished (not a crash's doing alone)

    def __bool__(self) -> bool:
        return bool(self.runs_failed or self.files_removed or self.dbt_targets_removed)


@dataclass(frozen=True)
class RunState:
    run_id: str
    status: str
    pid: int | None
    started: float | None  # epoch seconds of the run's first event
    alive: bool


# -- processes ---------------------------------------------------------------------------------------------------------


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def process_start_time(pid: int) -> float | None:
    """When ``pid`` started (epoch seconds), from ``/proc``; None when it is not running (or is a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    if fields[0] in ("Z", "X"):  # a zombie has died: only its exit status is left
        return None
    boot = _boot_time()
    if boot is None:
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, not_after: float | None = None) -> bool:
    """Is ``pid`` running, and (given ``not_after``, when the run began or its file was written) did it start before
    that moment? A process that started later has only been given a recycled pid. The one liveness check: dead runs
    here, and the files a killed writer left aside (``pipelines.ops.atomic.remove_stale``)."""
    if pid <= 0:
        return False
    if Path("/proc").is_dir():
        started = process_start_time(pid)
        if started is None:
            return False
        return not_after is None or started <= not_after + 2.0  # clock ticks and the event's own timestamp
    try:  # no /proc: signal 0 checks existence only
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- Dagster runs ------------------------------------------------------------------------------------------------------


def _first_pid(instance: object, run_id: str) -> tuple[int | None, float | None]:
    """The pid of the process that ran ``run_id`` and when it started it, from the run's start event. (The events
    before it, the planned materialisations, are written by whoever created the run, without a pid: hundreds of them
    for the dbt project.)"""
    from dagster import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records  # type: ignore[attr-defined]
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is not None and event.pid is not None:
            return int(event.pid), float(entry.timestamp)
    return None, None


def _daemon_alive(instance: object, within: float) -> bool:
    try:
        beats = instance.get_daemon_heartbeats()  # type: ignore[attr-defined]
    except Exception:  # a storage without heartbeats: assume a daemon may be there
        return True
    now = time.time()
    return any(now - beat.timestamp < within for beat in beats.values())


def in_progress_runs(instance: object) -> list[RunState]:
    """Every run the storage says is not finished, with whether anything is still running it."""
    from dagster import DagsterRunStatus, RunsFilter

    waiting = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.QUEUED]
    statuses = [*waiting, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    states = []
    now = time.time()
    for record in instance.get_run_records(filters=RunsFilter(statuses=statuses)):  # type: ignore[attr-defined]
        run = record.dagster_run
        pid, started = _first_pid(instance, run.run_id)
        if pid is not None:
            alive = process_alive(pid, started)
        elif run.status == DagsterRunStatus.QUEUED:
            created = record.create_timestamp.timestamp()
            alive = now - created < QUEUE_TIMEOUT_SECONDS or _daemon_alive(instance, QUEUE_TIMEOUT_SECONDS)
        else:  # created, never started by any process yet: give a launcher its start timeout
            alive = now - record.create_timestamp.timestamp() < START_TIMEOUT_SECONDS
        states.append(RunState(run.run_id, run.status.value, pid, started, alive))
    return states


def fail_dead_runs(instance: object, states: Iterable[RunState]) -> list[str]:
    """Mark every dead run failed (Dagster's ``report_run_failed``), so the UI stops showing it in progress."""
    failed = []
    for state in states:
        if state.alive:
            continue
        run = instance.get_run_by_id(state.run_id)  # type: ignore[attr-defined]
        if run is None or run.is_finished:  # finished meanwhile (the process was only slow)
            continue
        pid = f" (pid {state.pid})" if state.pid is not None else ""
        instance.report_run_failed(run, f"{DEAD_PROCESS}{pid}: marked failed by the next run's recovery")  # type: ignore[attr-defined]
        failed.append(state.run_id)
    return failed


# -- files -------------------------------------------------------------------------------------------------------------


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return False
    return True


def building_leftovers(full: Path) -> list[Path]:
    """``<full>.building-<run>``, its ``.wal`` and DuckDB's spill folder ``.tmp/`` beside the full build."""
    if not full.parent.is_dir():
        return []
    return sorted(p for p in full.parent.iterdir() if p.name.startswith(full.name + BUILDING_INFIX))


def _building_run(path: Path, full: Path) -> str:
    rest = path.name[len(full.name + BUILDING_INFIX) :]
    return rest.removesuffix(".wal").removesuffix(".tmp")


def staged_leftovers(zone: Zones) -> list[Path]:
    """The files writers stage before an atomic rename. Landing deliveries themselves are never touched: an agency's
    upload may be named anything, so only the pipeline's own ``_accepted`` folder is searched there."""
    found: list[Path] = []
    for folder in (zone.landing / "_accepted", zone.pseudonymised, zone.identity, zone.reports, zone.restricted):
        if folder.is_dir():
            found.extend(p for p in folder.rglob("*.tmp") if p.is_file())
    targets = [warehouse_path(), restricted_warehouse_path()]
    restricted_copy = restricted_publish_path()
    if restricted_copy is not None:
        targets.append(restricted_copy)
    for target in targets:
        for name in (f".{target.name}.publishing", f".{target.name}.publishing.wal"):
            if (target.parent / name).exists():
                found.append(target.parent / name)
    release = release_dir()
    staging = release.with_name(f".{release.name}.staging")
    if staging.exists():
        found.append(staging)
    previous = release.with_name(f".{release.name}.previous")
    if previous.exists() and release.exists():  # the swap finished; only removing the old one was cut short
        found.append(previous)
    return sorted(set(found))


def aside_leftovers(zone: Zones) -> list[Path]:
    """What :mod:`pipelines.ops.atomic` wrote aside (``.<name>.writing-<pid>``) for a writer that is gone (killed
    mid-write). A later write of the same file removes it too, but an old period's file may never be written again,
    and the partial file holds the rows being written: identifiable ones in ``_accepted`` and quarantine, which
    ``hfc purge`` would otherwise never remove."""
    from pipelines.ops.atomic import writer_gone

    folders = (
        zone.landing / "_accepted",
        zone.landing / "_purged",
        zone.quarantine,
        zone.pseudonymised,
        zone.identity,
        zone.reports,
        zone.restricted,
        zone.root / "ops",  # the key rotation's journal
    )
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found.extend(p for p in folder.rglob(".*.writing-*") if p.is_file() and writer_gone(p))
    return sorted(found)


def rotation_leftovers(zone: Zones) -> list[Path]:
    """``<file>.rotating`` in the pseudonymised zone: what ``hfc rotate-key`` killed mid-write left before it wrote
    aside like the other writers (``.<name>.writing-<pid>``, :func:`aside_leftovers`). Not a run's file, so not judged
    by run start times: only when no rotation holds its lock (``pipelines.ops.rotate.rotation_running``)."""
    from pipelines.ops.rotate import LEGACY_STAGED_SUFFIX, rotation_running

    if not zone.pseudonymised.is_dir():
        return []
    found = sorted(p for p in zone.pseudonymised.rglob(f"*{LEGACY_STAGED_SUFFIX}") if p.is_file())
    if not found or rotation_running(zone):
        return []
    return found


def restore_release(live: list[RunState]) -> bool:
    """A run killed between the release swap's two renames (pipelines/disclosure/release.py) left the old release as
    ``.<name>.previous`` and none in its place: put the old one back, unless a live run may be in its swap now."""
    release = release_dir()
    previous = release.with_name(f".{release.name}.previous")
    if live or release.exists() or not previous.is_dir():
        return False
    previous.rename(release)
    log.warning("recovered from a crash: the release a killed run was replacing is back in %s", release.name)
    return True


def dbt_target_leftovers(target: Path, idle: float = DBT_TARGET_IDLE_SECONDS) -> list[Path]:
    """dagster-dbt's per-build target folders under ``target`` that no build has written to for ``idle`` seconds."""
    if not target.is_dir():
        return []
    now, found = time.time(), []
    for folder in target.iterdir():
        if not folder.is_dir() or not folder.name.startswith(DBT_TARGET_PREFIX):
            continue
        stamps = [p.stat().st_mtime for p in (folder, folder / "dbt.log", folder / "run_results.json") if p.exists()]
        if now - max(stamps) > idle:
            found.append(folder)
    return sorted(found)


def recover(zone: Zones, instance: object | None = None, current_run_id: str | None = None) -> Recovered:
    """Fail the runs whose process died and remove what they left (see the module's docstring).

    ``current_run_id`` is the run calling this (the dbt asset's), which is alive by definition.
    """
    if instance is None:
        import dagster as dg

        instance = dg.DagsterInstance.get()
    result = Recovered()
    states = [s for s in in_progress_runs(instance) if s.run_id != current_run_id]
    result.runs_failed = fail_dead_runs(instance, states)
    live = [s for s in states if s.alive]
    live_ids = [s.run_id for s in live] + ([current_run_id] if current_run_id else [])

    full = restricted_warehouse_path()
    for path in building_leftovers(full):
        prefix = _building_run(path, full)
        if any(run_id.startswith(prefix) for run_id in live_ids):
            result.files_kept.append(path.name)
        elif _remove(path):
            result.files_removed.append(path.name)

    # A staged file older than every live run cannot be one a live run is writing now.
    starts = [s.started for s in live if s.started is not None]
    oldest_live = min(starts) if starts else None
    if current_run_id is not None:
        pid_start = process_start_time(os.getpid())
        oldest_live = min(x for x in (oldest_live, pid_start, time.time()) if x is not None)
    restore_release(live)
    for path in staged_leftovers(zone):
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if oldest_live is not None and modified >= oldest_live:
            result.files_kept.append(path.name)
        elif _remove(path):
            result.files_removed.append(path.name)

    for path in aside_leftovers(zone):  # its writer's pid is checked itself: no need to compare with live runs
        if _remove(path):
            result.files_removed.append(path.name)
    for path in rotation_leftovers(zone):  # a rotation is not a run: its lock says whether one is alive
        if _remove(path):
            result.files_removed.append(path.name)

    from pipelines.settings import REPO_ROOT

    for folder in dbt_target_leftovers(REPO_ROOT / "dbt_project" / "target"):
        if _remove(folder):
            result.dbt_targets_removed += 1

    if result.runs_failed or result.files_removed:
        log.warning(
            "recovered from a crash: %d dead run(s) marked failed, %d leftover file(s) removed%s",
            len(result.runs_failed),
            len(result.files_removed),
            f" ({', '.join(sorted(set(result.files_removed))[:6])})" if result.files_removed else "",
        )
    if result:
        _audit(zone, result)
    return result


def _audit(zone: Zones, result: Recovered) -> None:
    try:
        from pipelines.ops.audit import record
    except ImportError:  # pragma: no cover - the audit trail is on main
        return
    record(
        "recovery",
        root=zone.root,
        runs_failed=len(result.runs_failed),
        files_removed=len(result.files_removed),
        building_files_removed=sum(BUILDING_INFIX in name for name in result.files_removed),
        dbt_targets_removed=result.dbt_targets_removed,
    )
