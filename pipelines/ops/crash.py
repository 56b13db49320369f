"""``hfc bench crash --kills N``: crash consistency, measured (docs/operations.md, "Crash consistency").

A small synthetic county is generated once and run once to completion: the clean reference. Then, N times, its
landing state (deliveries, synthetic truth, opt-out list) is copied to a fresh data directory, ``hfc demo`` is
started in its own process group and the whole group is killed with SIGKILL at a seeded random moment inside a
chosen stage (the stages are taken in turn, so every one is hit: ingest, pseudonymisation with de-identification,
linkage, drift, the dbt build, the protection of the dash tables, the publish swap, the release); the run is then
started again and must finish, and what it leaves is compared with the clean reference:

- every table of the published warehouse and of the full build (row count and an order-independent checksum of
  every row, run-time columns excluded: ``VOLATILE``);
- the release (every file's rows, the manifest without its creation time and file hashes);
- every zone's files: parquet by an order-independent checksum of its rows, CSV by its distinct rows, JSON without
  its random ids, other files by content; the reports by name with timestamps masked (they carry timestamps), and
  the two append-only histories by name (``HISTORIES``: a killed run that got that far added its own rows);
- nothing the crash left: no ``.building-`` file, no staged file, no run left in progress in Dagster's storage, and
  an intact audit chain.

The stage a kill hit is read from the killed run's own Dagster event log (the step it had started and not finished)
and, inside the dbt step, from whether dbt was still running and whether the disclosure audit had passed.
Output is counts, stage names, file and table names only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.settings import REPO_ROOT

BENCHMARKS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Crash consistency (`hfc bench crash`)"
MARKER = "<!-- crash-bench-rows: `hfc bench crash --write` appends one row per run below -->"
HEADER = (
    "| date (UTC) | county | kills | consistent | kills by stage | clean run s | mean iteration s | total min "
    "| machine | command |\n| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |"
)
# When a load, a linkage run, an opt-out application, a drift test or a release ran, and under which run: not what
# it did. Excluded from every checksum.
VOLATILE = frozenset(
    {
        "loaded_at",
        "linkage_run_id",
        "first_run_id",
        "evaluated_at",
        "applied_at",
        "run_id",
        "created_at",
        "generated_at",
        "at",
    }
)
# A report's name may carry the moment it was made (Great Expectations' validation folders): that part is masked, and
# the reports are compared as a set of names, so a killed run's extra validation of the same delivery is no change.
TIMESTAMP = re.compile(r"\d{8}T\d{6}(\.\d+)?Z?")
# Splink's model file names its linker with a random id; the trained parameters are compared.
VOLATILE_JSON = frozenset({"linker_uid", "created_at"})
# Append-only histories: one row per application (opt-out) or linkage run, so a killed run that got that far adds
# rows a clean run does not have (with counts of what it did, e.g. nothing new to link on the re-run). The state they
# record (the spine, the exclusions, the published partitions) is compared in full; the histories by name.
HISTORIES = frozenset({"identity/opt_out_audit_trail.csv", "identity/spine_events.csv"})
STAGES = ("ingest", "pseudonymise", "linkage", "drift", "dbt build", "protection", "publish swap", "release")
DBT_STEP = "warehouse_dbt_assets"
AUDIT_PASSED = "disclosure audit passed"  # the dbt asset's log line between protection and publishing
PUBLISHED = "published "  # and after the swap
KILL_FILE = "kill.json"  # each kill's target, stage hit, timing and verdict, beside its data directory
BENCH_FILE = "bench.json"
IN_PROGRESS = ("NOT_STARTED", "STARTING", "STARTED", "QUEUED", "CANCELING")


# -- one run -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "outcomes.duckdb"

    @property
    def dagster(self) -> Path:
        return self.data / "dagster"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HFC_PSEUDONYMISATION", "HFC_MODE", "HFC_RELEASE", "HFC_RESTRICTED", "HFC_PUBLISH"))
        }
        env.update(
            HFC_DATA_DIR=str(self.data),
            HFC_WAREHOUSE_PATH=str(self.warehouse),
            DAGSTER_HOME=str(self.dagster),
            PYTHONPATH=str(REPO_ROOT),
        )
        return env


def demo_command() -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "demo"]


def start_demo(layout: Layout, log: Path) -> subprocess.Popen[bytes]:
    """``hfc demo`` in its own process group (so a kill reaches dbt and the de-identification workers too)."""
    handle = log.open("wb")
    try:
        return subprocess.Popen(
            demo_command(), env=layout.env(), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        handle.close()


def run_demo(layout: Layout, log: Path, timeout: float = 1800) -> float:
    started = time.monotonic()
    proc = start_demo(layout, log)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    # exit 1 is "some deliveries were blocked by their gate", an expected outcome of the synthetic county's faults
    if code not in (0, 1):
        raise RuntimeError(f"hfc demo exited {code}; its output is in {log}")
    return time.monotonic() - started


def seed_landing(source: Layout, target: Layout) -> None:
    """The landing state of a run that has not started: deliveries, the synthetic truth, the opt-out list."""
    from pipelines.linkage.opt_out import OPT_OUT_FILE

    if target.root.exists():
        shutil.rmtree(target.root)
    shutil.copytree(source.data / "landing", target.data / "landing", ignore=shutil.ignore_patterns("_*"))
    shutil.copytree(source.data / "synth_truth", target.data / "synth_truth")
    (target.data / "identity").mkdir(parents=True)
    shutil.copy2(source.data / "identity" / OPT_OUT_FILE, target.data / "identity" / OPT_OUT_FILE)


# -- where a run is ----------------------------------------------------------------------------------------------------


def _stage_of_step(step: str) -> str:
    if step.startswith("raw__"):
        return "ingest"
    if step.startswith("pseudonymised__") and not step.startswith(
        ("pseudonymised__person_keys", "pseudonymised__programme_rollout", "pseudonymised__synth_truth")
    ):
        return "pseudonymise"
    if step.startswith(("identity__", "pseudonymised__", "synth_truth")):
        return "linkage"
    if step.startswith("drift__"):
        return "drift"
    if step.startswith("release__"):
        return "release"
    if step == DBT_STEP or "dbt" in step:
        return "dbt build"
    return step


@dataclass(frozen=True)
class Position:
    stage: str  # one of STAGES, or "start" before the first step
    step: str | None
    since: float  # epoch seconds when that step (or sub-stage) began
    built: int = 0  # dbt models materialised so far in the dbt step


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)


def run_ids(dagster: Path) -> list[str]:
    """Every run in the storage, newest first."""
    index = dagster / "history" / "runs.db"
    if not index.exists():
        return []
    try:
        with contextlib.closing(_connect(index)) as con:
            return [r[0] for r in con.execute("select run_id from runs order by create_timestamp desc, id desc")]
    except sqlite3.Error:  # being created: ask again
        return []


def _latest_run(dagster: Path, ignore: frozenset[str] = frozenset()) -> str | None:
    return next((run_id for run_id in run_ids(dagster) if run_id not in ignore), None)


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()


def dbt_running(group: int) -> bool:
    """Is a ``dbt`` process alive in the process group?"""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != group or fields[0] == "Z":
                continue
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if any(part.endswith(b"/dbt") or part == b"dbt" for part in cmd[:2]) and b"build" in cmd:
            return True
    return False


def position(layout: Layout, group: int | None = None, ignore: frozenset[str] = frozenset()) -> Position:
    """Where the run in ``layout`` is now (or was when it died), from its latest Dagster run's event log; runs in
    ``ignore`` (those of an earlier, killed process) are passed over."""
    run_id = _latest_run(layout.dagster, ignore)
    if run_id is None:
        return Position("start", None, 0.0)
    events = layout.dagster / "history" / "runs" / f"{run_id}.db"
    if not events.exists():
        return Position("start", None, 0.0)
    try:
        with contextlib.closing(_connect(events)) as con:
            steps = con.execute(
                "select dagster_event_type, step_key, timestamp from event_logs "
                "where dagster_event_type in ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE') order by id"
            ).fetchall()
            notes = con.execute(
                "select event, timestamp from event_logs where dagster_event_type is null and step_key = ? order by id",
                [DBT_STEP],
            ).fetchall()
            (dbt_events,) = con.execute(
                "select count(*) from event_logs where step_key = ? and dagster_event_type = 'ASSET_MATERIALIZATION'",
                [DBT_STEP],
            ).fetchone()
    except sqlite3.Error:  # being written: ask again
        return Position("start", None, 0.0)
    started: dict[str, float] = {}
    for kind, step, stamp in steps:
        if kind == "STEP_START":
            started[step] = _epoch(stamp)
        else:
            started.pop(step, None)
    if not started:
        last = steps[-1] if steps else None
        if last is None:
            return Position("start", None, 0.0)
        return Position(_stage_of_step(last[1]), last[1], _epoch(last[2]))
    step, since = max(started.items(), key=lambda kv: kv[1])
    stage = _stage_of_step(step)
    if stage == "dbt build":
        passed = [_epoch(stamp) for event, stamp in notes if AUDIT_PASSED in event]
        if passed:
            stage, since = "publish swap", passed[-1]
        elif dbt_events and group is not None and not dbt_running(group):  # dbt has built and exited
            stage = "protection"
    return Position(stage, step, since, int(dbt_events))


def stage_windows(layout: Layout) -> dict[str, list[tuple[str, float]]]:
    """The clean run's steps by stage: (step, seconds) each, with the dbt step cut into build, protection, publish."""
    windows: dict[str, list[tuple[str, float]]] = {s: [] for s in STAGES}
    runs = sorted((layout.dagster / "history" / "runs").glob("*.db"))
    for db in runs:
        with contextlib.closing(_connect(db)) as con:
            rows = con.execute(
                "select dagster_event_type, step_key, timestamp, event from event_logs where step_key is not null "
                "order by id"
            ).fetchall()
        begun: dict[str, float] = {}
        last_dbt_event, passed = 0.0, 0.0
        for kind, step, stamp, event in rows:
            at = _epoch(stamp)
            if kind == "STEP_START":
                begun[step] = at
            elif kind in ("ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION") and step == DBT_STEP and not passed:
                last_dbt_event = at
            elif kind is None and step == DBT_STEP and AUDIT_PASSED in event:
                passed = at
            elif kind == "STEP_SUCCESS" and step in begun:
                stage = _stage_of_step(step)
                if stage == "dbt build" and passed:
                    windows["dbt build"].append((step, max(last_dbt_event - begun[step], 1.0)))
                    windows["protection"].append((step, max(passed - last_dbt_event, 0.2)))
                    windows["publish swap"].append((step, max(at - passed, 0.2)))
                elif stage in windows:
                    windows[stage].append((step, at - begun[step]))
    return windows


# -- what a run leaves -------------------------------------------------------------------------------------------------


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _relation_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, str]:
    """(rows, order-independent checksum of every row) with ``VOLATILE`` columns out and doubles rounded."""
    columns = con.execute(f"describe select * from {relation}").fetchall()
    exprs = []
    for name, kind, *_ in columns:
        if name in VOLATILE:
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
            exprs.append(f"round({quoted}::double, 6)")
        else:
            exprs.append(f"{quoted}::varchar")
    if not exprs:
        (n,) = con.execute(f"select count(*) from {relation}").fetchone()
        return int(n), "-"
    row = f"hash({', '.join(exprs)})" if len(exprs) <= 64 else f"hash(concat_ws('\x1f', {', '.join(exprs)}))"
    n, total = con.execute(f"select count(*), coalesce(sum({row}::hugeint), 0)::varchar from {relation}").fetchone()
    return int(n), str(total)


def warehouse_state(path: Path) -> dict[str, tuple[int, str]]:
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
        return {f"{s}.{t}": _relation_checksum(con, f'"{s}"."{t}"') for s, t in tables}


def _rounded(value: object) -> object:
    """Floats to 9 significant digits, all the way down: Splink's trained m and u probabilities (model.json) differ
    in their last digits between two trainings on the same records (DuckDB's parallel sums)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _file_state(con: duckdb.DuckDBPyConnection, path: Path, by_name_only: bool) -> object:
    if by_name_only:
        return "present"
    if path.suffix == ".parquet":
        return _relation_checksum(con, f"read_parquet({_sql_path(path)})")
    if path.suffix == ".csv":
        if path.stat().st_size == 0:
            return (0, "-")
        # typed, so doubles are rounded like the warehouse's: a re-trained model's probabilities differ in their last
        # digits from run to run (DuckDB sums in parallel), as in clerical_review.csv
        relation = f"(select distinct * from read_csv({_sql_path(path)}, header = true))"
        return _relation_checksum(con, relation)
    if path.suffix == ".duckdb":
        return warehouse_state(path)
    if path.suffix == ".json":
        content = json.loads(path.read_text())
        if isinstance(content, dict):
            content = {k: v for k, v in content.items() if k not in VOLATILE_JSON}
        return hashlib.sha256(json.dumps(_rounded(content), sort_keys=True).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def zone_state(layout: Layout) -> dict[str, object]:
    """Every zone's files, each by what a crash must not change (see the module's docstring)."""
    state: dict[str, object] = {}
    zones = {
        "landing/_accepted": False,
        "pseudonymised": False,
        "identity": False,
        "quarantine": False,
        "restricted": False,
        "release": False,
        "reports": True,  # timestamps inside: by name
    }
    with duckdb.connect(":memory:") as con:
        con.execute("set enable_progress_bar = false")
        for zone, by_name in zones.items():
            folder = layout.data / zone
            if not folder.is_dir():
                continue
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = path.relative_to(layout.data).as_posix()
                if path.name.endswith(".lock"):  # flock files: present when a lock was ever taken
                    continue
                if zone == "release" and path.name == "manifest.json":  # the code version is the run's, not the data's
                    manifest = json.loads(path.read_text())
                    manifest["versions"] = {"data": manifest.get("versions", {}).get("data")}
                    state[rel] = json.dumps(
                        {k: v for k, v in manifest.items() if k not in ("created_at", "files")}, sort_keys=True
                    )
                    continue
                if by_name:
                    state[TIMESTAMP.sub("<time>", rel)] = "present"
                    continue
                state[rel] = _file_state(con, path, by_name or rel in HISTORIES)
    return state


def leftovers(layout: Layout) -> list[str]:
    """What a crash may leave that recovery must have removed: file names, and runs still in progress."""
    found = [p.name for p in (layout.data / "restricted").glob("*.building-*")]
    for folder in ("landing/_accepted", "pseudonymised", "identity", "reports", "restricted"):
        if (layout.data / folder).is_dir():
            found.extend(p.name for p in (layout.data / folder).rglob("*.tmp"))
    found.extend(p.name for p in layout.warehouse.parent.glob(".*.publishing*"))
    found.extend(p.name for p in layout.data.glob(".*.staging"))
    index = layout.dagster / "history" / "runs.db"
    if index.exists():
        with contextlib.closing(_connect(index)) as con:
            marks = ",".join("?" * len(IN_PROGRESS))
            rows = con.execute(f"select run_id, status from runs where status in ({marks})", IN_PROGRESS).fetchall()
        found.extend(f"run {run_id[:8]} {status}" for run_id, status in rows)
    audit = layout.data / "audit" / "audit.jsonl"
    if audit.exists():
        from pipelines.ops.audit import verify

        checked = verify(audit)
        if not getattr(checked, "ok", True):
            found.append("audit chain broken")
    return found


@dataclass
class Snapshot:
    warehouse: dict[str, tuple[int, str]]
    zones: dict[str, object]

    @classmethod
    def of(cls, layout: Layout) -> Snapshot:
        return cls(warehouse_state(layout.warehouse), zone_state(layout))


def differences(clean: Snapshot, other: Snapshot) -> list[str]:
    """What differs, by table or file name (never a value)."""
    out = []
    for kind, a, b in (("table", clean.warehouse, other.warehouse), ("file", clean.zones, other.zones)):
        for name in sorted(set(a) | set(b)):
            if name not in b:
                out.append(f"{kind} {name} missing")
            elif name not in a:
                out.append(f"{kind} {name} extra")
            elif a[name] != b[name]:
                if isinstance(a[name], dict) and isinstance(b[name], dict):  # a duckdb file: which tables
                    inner = sorted(t for t in set(a[name]) | set(b[name]) if a[name].get(t) != b[name].get(t))
                    out.append(f"{kind} {name} differs: {', '.join(inner[:5])}")
                else:
                    out.append(f"{kind} {name} differs")
    return out


# -- the loop ----------------------------------------------------------------------------------------------------------


@dataclass
class Kill:
    target: str
    hit: str
    step: str | None
    after: float  # seconds from the start of the run
    consistent: bool
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class CrashBench:
    people: int
    months: int
    seed: int
    clean_seconds: float
    kills: list[Kill] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def consistent(self) -> int:
        return sum(k.consistent for k in self.kills)

    def by_stage(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for kill in self.kills:
            n, ok = out.get(kill.hit, (0, 0))
            out[kill.hit] = (n + 1, ok + kill.consistent)
        order = {s: i for i, s in enumerate(("start", *STAGES))}
        return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], 99)))


def clean_reference(
    work: Path, people: int, months: int, seed: int, say: Callable[[str], None]
) -> tuple[Layout, float]:
    """The county and its clean run, built once per (people, months, seed) and reused."""
    layout = Layout(work / f"clean-{people}p-{months}m-s{seed}")
    done = layout.root / "done.json"
    if done.exists():
        say(f"reusing the clean reference in {layout.root}")
        return layout, float(json.loads(done.read_text())["seconds"])
    if layout.root.exists():
        shutil.rmtree(layout.root)
    from pipelines.synth import generate

    say(f"generating a county of {people} people, {months} months (seed {seed})")
    generate(layout.data, people=people, months=months, seed=seed)
    seed_copy = Layout(work / f"seed-{people}p-{months}m-s{seed}")
    seed_landing(layout, seed_copy)  # the untouched landing state every kill starts from
    layout.root.mkdir(parents=True, exist_ok=True)
    say("the clean run")
    seconds = run_demo(layout, layout.root / "demo.log")
    done.write_text(json.dumps({"seconds": seconds}) + "\n")
    return layout, seconds


def _choose(rng: random.Random, windows: dict[str, list[tuple[str, float]]], stage: str) -> tuple[str | None, float]:
    steps = windows.get(stage) or []
    if not steps:
        return None, 0.0
    step, seconds = rng.choice(steps)
    return step, rng.uniform(0.0, max(seconds, 0.05) * 0.9)


def kill_once(
    layout: Layout, stage: str, step: str | None, delay: float, timeout: float = 1800, built: bool = False
) -> tuple[Position, float]:
    """Start ``hfc demo`` and SIGKILL its process group ``delay`` seconds into ``step`` (of ``stage``); with
    ``built``, only once dbt has written a model (so its working copy of the warehouse exists)."""
    earlier = frozenset(run_ids(layout.dagster))
    started = time.monotonic()
    proc = start_demo(layout, layout.root / "killed.log")
    group = proc.pid
    armed_at: float | None = None
    try:
        while proc.poll() is None and time.monotonic() - started < timeout:
            where = position(layout, group, earlier)
            if armed_at is None:
                if where.stage == stage and (step is None or where.step == step) and (where.built or not built):
                    armed_at = time.monotonic()
            elif time.monotonic() - armed_at >= delay:
                break
            time.sleep(0.05)
        hit = position(layout, group, earlier) if proc.poll() is None else Position("finished", None, 0.0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        proc.wait()
    return hit, time.monotonic() - started


def iteration(
    seed_copy: Layout, run: Layout, reference: Snapshot, target: str, step: str | None, delay: float, stop_at: float
) -> Kill | None:
    """One kill: a fresh data directory from the landing state, a run killed in ``target``, a re-run, a comparison.
    None when the time budget ran out before it started."""
    if time.monotonic() > stop_at:
        return None
    t = time.monotonic()
    seed_landing(seed_copy, run)
    run.root.mkdir(parents=True, exist_ok=True)
    hit, after = kill_once(run, target, step, delay)
    problems: list[str] = []
    try:
        run_demo(run, run.root / "rerun.log")
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        problems.append(f"the re-run failed: {type(exc).__name__}")
    if not problems:
        problems = compare(reference, run)
    kill = Kill(target, hit.stage, hit.step, round(after, 1), not problems, problems, time.monotonic() - t)
    (run.root / KILL_FILE).write_text(json.dumps(asdict(kill)) + "\n")
    return kill


def compare(reference: Snapshot, run: Layout) -> list[str]:
    """What differs from the clean run, and what the crash left behind (names only)."""
    return differences(reference, Snapshot.of(run)) + [f"left: {x}" for x in leftovers(run)]


def recheck(work: Path, people: int, months: int, seed: int, say: Callable[[str], None]) -> CrashBench:
    """Compare again every kill kept in ``work`` (``inconsistent-*``, each with its ``kill.json``) with the clean
    reference: after a fix to the comparison itself (not to the pipeline), without re-running the kills. The
    consistent ones (``consistent-*``, data removed) keep their verdict."""
    clean = Layout(work / f"clean-{people}p-{months}m-s{seed}")
    reference = Snapshot.of(clean)
    result = CrashBench(people, months, seed, float(json.loads((clean.root / "done.json").read_text())["seconds"]))
    started = json.loads((work / BENCH_FILE).read_text()) if (work / BENCH_FILE).exists() else {}
    finished = []
    for folder in sorted([*work.glob("consistent-*"), *work.glob("inconsistent-*")]):
        if not (folder / KILL_FILE).exists():
            continue
        kill = Kill(**json.loads((folder / KILL_FILE).read_text()))
        if (folder / "data").is_dir() and not (kill.problems and kill.problems[0].startswith("the re-run failed")):
            kill.problems = compare(reference, Layout(folder))
            kill.consistent = not kill.problems
        say(f"{folder.name}: {kill.hit}: {'consistent' if kill.consistent else '; '.join(kill.problems[:8])}")
        result.kills.append(kill)
        finished.append((folder / "rerun.log").stat().st_mtime)
    if started.get("started_at") and finished:
        result.total_seconds = max(finished) - float(started["started_at"])
    return result


def bench(
    kills: int,
    people: int = 300,
    months: int = 3,
    seed: int = 42,
    work: Path | None = None,
    say: Callable[[str], None] = lambda _: None,
    stages: tuple[str, ...] = STAGES,
    jobs: int = 1,
    minutes: float | None = None,
) -> CrashBench:
    """``kills`` kills, ``jobs`` at a time (each in its own data directory), against one clean reference; with
    ``minutes``, no kill starts after that long (those running finish)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    work = work or Path(os.environ.get("TMPDIR", "/tmp")) / "hfc-bench-crash"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    (work / BENCH_FILE).write_text(json.dumps({"started_at": time.time(), "kills": kills, "jobs": jobs}) + "\n")
    clean, clean_seconds = clean_reference(work, people, months, seed, say)
    reference = Snapshot.of(clean)
    windows = stage_windows(clean)
    result = CrashBench(people, months, seed, clean_seconds)
    rng = random.Random(seed)
    order = list(stages)
    rng.shuffle(order)
    plans = []
    for i in range(kills):  # drawn up front, so the moments depend on the seed alone
        target = order[i % len(order)]
        plans.append((i, target, *_choose(rng, windows, target)))
    seed_copy = Layout(work / f"seed-{people}p-{months}m-s{seed}")
    stop_at = t0 + minutes * 60 if minutes is not None else float("inf")
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        futures = {
            pool.submit(iteration, seed_copy, Layout(work / f"kill-{i}"), reference, target, step, delay, stop_at): i
            for i, target, step, delay in plans
        }
        for future in as_completed(futures):
            i = futures[future]
            kill = future.result()
            if kill is None:
                continue
            result.kills.append(kill)
            verdict = "consistent" if kill.consistent else "INCONSISTENT: " + "; ".join(kill.problems[:8])
            say(
                f"kill {i + 1} ({len(result.kills)}/{kills} done): aimed at {kill.target}, hit {kill.hit} "
                f"({kill.step or '-'}) {kill.after:.1f}s in, {kill.seconds:.0f}s: {verdict}"
            )
            run = work / f"kill-{i}"
            if kill.consistent:  # its logs and verdict stay, its data goes
                shutil.rmtree(run / "data", ignore_errors=True)
                shutil.rmtree(run / "warehouse", ignore_errors=True)
            keep = work / f"{'consistent' if kill.consistent else 'inconsistent'}-{i + 1}"
            shutil.rmtree(keep, ignore_errors=True)
            run.rename(keep)
    result.total_seconds = time.monotonic() - t0
    return result


# -- reporting ---------------------------------------------------------------------------------------------------------


def render(result: CrashBench) -> str:
    lines = [
        f"hfc bench crash: {result.consistent} of {len(result.kills)} consistent "
        f"(county of {result.people} people, {result.months} months, seed {result.seed}; clean run "
        f"{result.clean_seconds:.0f}s; {result.total_seconds / 60:.1f} min in all)",
        "",
        f"  {'stage hit':<16}{'kills':>7}{'consistent':>12}",
    ]
    for stage, (n, ok) in result.by_stage().items():
        lines.append(f"  {stage:<16}{n:>7}{ok:>12}")
    bad = [k for k in result.kills if not k.consistent]
    for kill in bad:
        lines.append(f"  inconsistent after a kill in {kill.hit}: {'; '.join(kill.problems[:10])}")
    return "\n".join(lines) + "\n"


def row(result: CrashBench, command: str, machine: str) -> str:
    stages = ", ".join(f"{s} {n}" for s, (n, _) in result.by_stage().items())
    mean = sum(k.seconds for k in result.kills) / max(len(result.kills), 1)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return (
        f"| {date} | {result.people} people, {result.months} months, seed {result.seed} | {len(result.kills)} "
        f"| {result.consistent} of {len(result.kills)} | {stages} | {result.clean_seconds:.0f} | {mean:.0f} "
        f"| {result.total_seconds / 60:.1f} | {machine} | `{command}` |"
    )


def write_row(line: str, path: Path = BENCHMARKS) -> None:
    """Append ``line`` to the crash table of ``path`` (the section is created the first time)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if MARKER not in text:
        intro = (
            "`hfc bench crash --kills N` (`pipelines/ops/crash.py`) kills `hfc demo` on a small county with SIGKILL "
            "to its process group at a seeded random moment inside each stage in turn, re-runs it, and compares "
            "every warehouse table, the release and every zone's files with a clean run's, and checks that nothing "
            'was left behind (docs/operations.md, "Crash consistency").'
        )
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{intro}\n\n{MARKER}\n\n{HEADER}\n"
    lines = text.split("\n")
    at = lines.index(MARKER) + 1
    while at < len(lines) and not lines[at].startswith("|"):
        at += 1
    while at < len(lines) and lines[at].startswith("|"):
        at += 1
    lines.insert(at, line)
    path.write_text("\n".join(lines).rstrip("\n") + "\n")


def main(
    kills: int,
    people: int,
    months: int,
    seed: int,
    write: bool,
    work: Path | None,
    jobs: int = 1,
    minutes: float | None = None,
    again: bool = False,
) -> int:
    from pipelines.linkage.bench import machine_description

    def say(message: str) -> None:
        sys.stderr.write(f"hfc bench crash {datetime.now(UTC):%H:%M:%S} {message}\n")
        sys.stderr.flush()

    if again:
        result = recheck(work or Path(os.environ.get("TMPDIR", "/tmp")) / "hfc-bench-crash", people, months, seed, say)
    else:
        result = bench(kills, people, months, seed, work, say, jobs=jobs, minutes=minutes)
    sys.stdout.write(render(result))
    if write:
        command = f"hfc bench crash --kills {kills} --people {people} --months {months} --seed {seed} --jobs {jobs}"
        write_row(row(result, command, machine_description()))
    return 0 if result.kills and result.consistent == len(result.kills) else 1
