"""``hfc bench e2e``: the whole pipeline in a fresh data dir, stage by stage, with wall time and peak memory.

How it measures (docs/operations.md, "Speed and memory"):

- Each part runs as a child process of this one (``hfc synth``, then ``hfc demo`` on the county it wrote), through
  :func:`child_main`, which runs the ``hfc`` command unchanged and, with ``--profile``, samples the main thread's
  Python stack every 10 ms (a sampling profiler: timestamped, so any stage's profile can be cut out of one run).
- Stages come from Dagster's event log of the run (step start and end per asset, per run), not from what
  ``hfc demo`` prints: ingest and gate (``raw/<feed>``), de-identification and pseudonymisation (``pseudonymised/
  <feed>``: the asset's ``deid_seconds`` metadata separates the two), linkage (spine, opt-out, person keys, truth
  labels), drift, the dbt build (up to its last streamed model or test result) and the disclosure protection and
  publish that follow it in the same step, the release; before the first run is the child's start-up (imports, the
  definitions, dbt parse) and after the last one the closing reports (summary, leak scan, estimates); the rest is
  Dagster's own time around steps and between runs.
- Memory: a thread reads ``/proc`` every 0.2 s and sums the RSS of the child's whole process tree (dbt included;
  shared pages count once per process, so the sum can overstate); each sample is charged to the stage running at
  its moment. ``resource.getrusage(RUSAGE_CHILDREN)`` gives the largest single process as a cross-check.
- A fixed CPU micro-workload is timed before and after, so a slow result on a shared machine can be told from a
  slow pipeline.

Nothing here reads or prints a value from a record: times, byte counts, row counts, step names, function names.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.settings import REPO_ROOT

BENCHMARKS_MD = REPO_ROOT / "docs" / "benchmarks.md"
DEFAULT_OUT = REPO_ROOT / "data" / "reports" / "bench_e2e"
SECTION = "## The whole pipeline, stage by stage (`hfc bench e2e`)"

# Stage names, in pipeline order (the table's rows).
SYNTH = "synth"
STARTUP = "start-up (imports, definitions, dbt parse)"
INGEST = "ingest and gate"
DEID = "de-identification"
PSEUDO = "pseudonymisation"
RETRY = "per-delivery retry of blocked ranges"
LINKAGE = "linkage (spine, opt-out, person keys, truth labels)"
DRIFT = "drift"
DBT = "dbt build"
PROTECT = "protection + publish"
RELEASE = "release"
REPORTS = "reports (summary, estimates; the leak scan when not timed apart)"
LEAK = "reports: leak scan"
OVERHEAD = "Dagster around steps and between runs"
OTHER = "other steps"
STAGE_ORDER = [SYNTH, STARTUP, INGEST, DEID, PSEUDO, RETRY, LINKAGE, DRIFT, DBT, PROTECT, RELEASE, REPORTS, LEAK]
STAGE_ORDER += [OVERHEAD, OTHER]

LINKAGE_STEPS = ("identity__", "pseudonymised__person_keys", "pseudonymised__programme_rollout", "synth_truth")
DEID_METADATA = "deid_seconds"
SAMPLE_EVERY = 0.2  # seconds between /proc memory samples
PROFILE_EVERY = 0.01  # seconds between stack samples


# --------------------------------------------------------------------------------------------------------------
# The plain records the accounting works on (from Dagster's event log, or made up in a test)


@dataclass
class Step:
    key: str  # Dagster's step key (the op name: raw__police_incidents, warehouse_dbt_assets, ...)
    start: float  # epoch seconds
    end: float
    ok: bool = True
    metadata: dict[str, float] = field(default_factory=dict)  # numeric metadata of the step's result (largest)
    last_output: float | None = None  # when its last materialisation or check result was logged


@dataclass
class Run:
    run_id: str
    start: float
    end: float
    ok: bool
    steps: list[Step] = field(default_factory=list)
    partition_range: tuple[str, str] | None = None


@dataclass
class Interval:
    stage: str
    start: float
    end: float


@dataclass
class StageTable:
    seconds: dict[str, float]
    intervals: list[Interval]  # when each stage ran (de-identification shares pseudonymisation's intervals)
    runs: int
    steps: dict[str, float]  # seconds per step key, summed over runs
    retried_feeds: list[str] = field(default_factory=list)


def feed_of(step_key: str) -> str | None:
    for prefix in ("raw__", "pseudonymised__", "drift__"):
        if step_key.startswith(prefix):
            return step_key[len(prefix) :]
    return None


def stage_of(step_key: str) -> str:
    if step_key.startswith(LINKAGE_STEPS) or "synth_truth" in step_key:
        return LINKAGE
    if step_key.startswith("raw__"):
        return INGEST
    if step_key.startswith("pseudonymised__"):
        return PSEUDO
    if step_key.startswith("drift__"):
        return DRIFT
    if "dbt" in step_key:
        return DBT
    if step_key.startswith("release__"):
        return RELEASE
    return OTHER


def account(
    runs: Sequence[Run],
    process: tuple[float, float] | None = None,
    leak_scan: tuple[float, float] | None = None,
) -> StageTable:
    """Seconds per stage from the runs' steps.

    ``process`` is the child's (start, end): before the first run is start-up, after the last the closing reports,
    and whatever the steps leave of the runs' span is Dagster's own. A feed's ingest runs after one of its runs
    failed, one delivery each, are the per-delivery retry. The dbt step is split at its last streamed result: dbt
    up to there, the disclosure protection and publish after. Pseudonymisation steps carry the seconds their
    de-identification took as metadata.
    """
    ordered = sorted(runs, key=lambda r: r.start)
    seconds: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    intervals: list[Interval] = []
    failed_feeds: set[str] = set()
    retried: list[str] = []
    for run in ordered:
        feeds = {feed_of(s.key) for s in run.steps if s.key.startswith("raw__")} - {None}
        single = run.partition_range is not None and run.partition_range[0] == run.partition_range[1]
        retry = bool(feeds & failed_feeds) and single
        for step in run.steps:
            took = max(0.0, step.end - step.start)
            steps[step.key] += took
            stage = RETRY if retry and stage_of(step.key) in (INGEST, PSEUDO) else stage_of(step.key)
            if stage == PSEUDO:
                deid = min(took, float(step.metadata.get(DEID_METADATA, 0.0)))
                seconds[DEID] += deid
                seconds[PSEUDO] += took - deid
                intervals.append(Interval(PSEUDO, step.start, step.end))
            elif stage == DBT and step.last_output is not None and step.start < step.last_output <= step.end:
                seconds[DBT] += step.last_output - step.start
                seconds[PROTECT] += step.end - step.last_output
                intervals.append(Interval(DBT, step.start, step.last_output))
                intervals.append(Interval(PROTECT, step.last_output, step.end))
            else:
                seconds[stage] += took
                intervals.append(Interval(stage, step.start, step.end))
        if not run.ok:
            failed_feeds |= {f for f in feeds if f}
        if retry:
            retried.extend(sorted(f for f in feeds if f and f not in retried))
    if ordered:
        first, last = ordered[0].start, max(r.end for r in ordered)
        in_steps = sum(max(0.0, s.end - s.start) for r in ordered for s in r.steps)
        seconds[OVERHEAD] += max(0.0, (last - first) - in_steps)
        if process is not None:
            seconds[STARTUP] += max(0.0, first - process[0])
            intervals.append(Interval(STARTUP, process[0], first))
            tail = max(0.0, process[1] - last)
            leak = 0.0
            if leak_scan is not None and last <= leak_scan[0] <= leak_scan[1] <= process[1]:
                leak = leak_scan[1] - leak_scan[0]
                seconds[LEAK] += leak
                intervals.append(Interval(LEAK, leak_scan[0], leak_scan[1]))
            seconds[REPORTS] += tail - leak
            intervals.append(Interval(REPORTS, last, process[1]))
    return StageTable(
        seconds={k: v for k, v in seconds.items() if v > 0 or k in (DBT, INGEST)},
        intervals=intervals,
        runs=len(ordered),
        steps=dict(steps),
        retried_feeds=retried,
    )


def stage_at(intervals: Sequence[Interval], t: float) -> str:
    """The stage running at ``t`` (the most specific interval: the shortest that holds it)."""
    holding = [i for i in intervals if i.start <= t <= i.end]
    if not holding:
        return OVERHEAD
    return min(holding, key=lambda i: i.end - i.start).stage


def peak_by_stage(samples: Iterable[tuple[float, int]], intervals: Sequence[Interval]) -> dict[str, int]:
    peaks: dict[str, int] = {}
    for t, rss in samples:
        stage = stage_at(intervals, t)
        peaks[stage] = max(peaks.get(stage, 0), rss)
    if PSEUDO in peaks:  # de-identification runs inside the pseudonymisation steps
        peaks.setdefault(DEID, peaks[PSEUDO])
    return peaks


# --------------------------------------------------------------------------------------------------------------
# Dagster's event log -> runs


def read_runs(dagster_home: Path, until: float | None = None) -> list[Run]:
    """Every run in the instance at ``dagster_home`` with its steps' start and end (finished or not: a step or run
    with no end yet ends at ``until``, when the process was last seen, else at its last event)."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        return runs_of(instance, until)
    finally:
        instance.dispose()


def runs_of(instance: Any, until: float | None = None) -> list[Run]:
    """The runs of a Dagster instance, oldest first, each with its steps from the event log."""
    from dagster import DagsterEventType

    runs: list[Run] = []
    for record in instance.get_run_records():
        run = record.dagster_run
        entries = instance.all_logs(run.run_id)
        starts: dict[str, float] = {}
        steps: dict[str, Step] = {}
        finished: set[str] = set()
        run_start = record.start_time
        run_end = record.end_time
        for entry in entries:
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type
            key = entry.step_key
            if kind == DagsterEventType.RUN_START and run_start is None:
                run_start = entry.timestamp
            elif kind in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE) and run_end is None:
                run_end = entry.timestamp
            if key is None:
                continue
            if kind == DagsterEventType.STEP_START:
                starts[key] = entry.timestamp
                steps[key] = Step(key, entry.timestamp, entry.timestamp, ok=False)
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE) and key in steps:
                finished.add(key)
                steps[key].end = entry.timestamp
                steps[key].ok = kind == DagsterEventType.STEP_SUCCESS
            elif kind in (DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION):
                if key in steps:
                    steps[key].last_output = entry.timestamp
                    steps[key].end = max(steps[key].end, entry.timestamp)
                if kind == DagsterEventType.ASSET_MATERIALIZATION and key in steps:
                    for name, value in event.step_materialization_data.materialization.metadata.items():
                        number = getattr(value, "value", None)
                        if isinstance(number, int | float) and not isinstance(number, bool):
                            # a range step repeats its one result's metadata for every partition: the largest
                            steps[key].metadata[name] = max(steps[key].metadata.get(name, 0.0), float(number))
        if run_start is None:
            continue
        last = max([s.end for s in steps.values()] + [run_start])
        if run_end is None and until is not None and until > last:  # under way (or killed) when last seen
            for key, step in steps.items():
                if key not in finished:
                    step.end = until
            last = until
        tags = run.tags or {}
        start_key, end_key = (
            tags.get("dagster/asset_partition_range_start"),
            tags.get("dagster/asset_partition_range_end"),
        )
        runs.append(
            Run(
                run_id=run.run_id,
                start=float(run_start),
                end=float(run_end if run_end is not None else last),
                ok=run.status.value == "SUCCESS",
                steps=sorted(steps.values(), key=lambda s: s.start),
                partition_range=(start_key, end_key) if start_key and end_key else None,
            )
        )
    return sorted(runs, key=lambda r: r.start)


# --------------------------------------------------------------------------------------------------------------
# Memory: RSS of a process tree, from /proc


def _process_table() -> tuple[dict[int, list[int]], dict[int, float]]:
    """Every process's children, and its CPU seconds (own and its waited-for children's), from /proc/<pid>/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
            # the command name is in parentheses and may hold spaces: fields after the last ')'
            fields = stat[stat.rfind(b")") + 2 :].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick  # utime, stime, cutime, cstime
        except (OSError, IndexError, ValueError):
            continue
    return children, cpu


def tree_usage(root: int) -> tuple[int, float, int]:
    """(bytes of RSS summed over ``root`` and its descendants, their CPU seconds so far, number of processes)."""
    page = os.sysconf("SC_PAGE_SIZE")
    children, cpu = _process_table()
    total, seconds, count, todo = 0, 0.0, 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
            count += 1
            seconds += cpu.get(pid, 0.0)
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(children.get(pid, []))
    return total, seconds, count


def tree_rss(root: int) -> tuple[int, int]:
    """(bytes of RSS summed over ``root`` and all its descendants, number of processes)."""
    rss, _, count = tree_usage(root)
    return rss, count


def cpu_by_stage(samples: Sequence[Sequence[float]], intervals: Sequence[Interval]) -> dict[str, float]:
    """CPU seconds per stage from (time, CPU seconds so far, root pid) samples: each rise between two samples of one
    process tree goes to the stage running at the later one; a new tree's first sample counts from zero.

    On a machine shared with other work, wall time grows with the others' load and CPU time much less: beside the
    wall time it says what the pipeline itself spent.
    """
    spent: Counter[str] = Counter()
    previous: Sequence[float] | None = None
    for sample in samples:
        t, after, root = sample[0], sample[1], sample[2]
        before = previous[1] if previous is not None and previous[2] == root else 0.0
        if after > before:
            spent[stage_at(intervals, t)] += after - before
        previous = sample
    return dict(spent)


def split_deid_cpu(cpu: dict[str, float], seconds: dict[str, float]) -> dict[str, float]:
    """The pseudonymisation steps' CPU shared between de-identification and the rest in proportion to their wall
    time (both run in the one step, so the samples cannot tell them apart: an estimate)."""
    out = dict(cpu)
    both = seconds.get(DEID, 0.0) + seconds.get(PSEUDO, 0.0)
    if out.get(PSEUDO) and both > 0:
        share = seconds.get(DEID, 0.0) / both
        out[DEID] = out[PSEUDO] * share
        out[PSEUDO] = out[PSEUDO] * (1 - share)
    return out


class MemorySampler:
    """A thread sampling the RSS of a process tree every ``every`` seconds while a stage runs."""

    def __init__(self, every: float = SAMPLE_EVERY) -> None:
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self.cpu: list[tuple[float, float, int]] = []  # (time, CPU seconds of the tree so far, its root pid)
        self.root: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-memory", daemon=True)

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            root = self.root
            if root is None:
                continue
            rss, cpu, count = tree_usage(root)
            if count:
                now = time.time()
                self.samples.append((now, rss))
                self.cpu.append((now, cpu, root))


# --------------------------------------------------------------------------------------------------------------
# The child: an `hfc` command, with a sampling profile of its main thread and markers of the closing stages


class StackSampler:
    """Samples the main thread's Python stack every ``every`` seconds; frames and stacks interned."""

    def __init__(self, every: float = PROFILE_EVERY) -> None:
        self.every = every
        self.frames: dict[tuple[str, int, str], int] = {}
        self.stacks: dict[tuple[int, ...], int] = {}
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._main = threading.main_thread().ident
        self._thread = threading.Thread(target=self._loop, name="bench-profile", daemon=True)

    def start(self) -> StackSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            frame = sys._current_frames().get(self._main)
            stack: list[int] = []
            while frame is not None:
                code = frame.f_code
                where = (code.co_filename, code.co_firstlineno, code.co_name)
                stack.append(self.frames.setdefault(where, len(self.frames)))
                frame = frame.f_back
            key = tuple(reversed(stack))
            self.samples.append((time.time(), self.stacks.setdefault(key, len(self.stacks))))

    def dump(self, path: Path) -> None:
        frames = [list(k) for k, _ in sorted(self.frames.items(), key=lambda kv: kv[1])]
        stacks = [list(k) for k, _ in sorted(self.stacks.items(), key=lambda kv: kv[1])]
        path.write_text(json.dumps({"every": self.every, "frames": frames, "stacks": stacks, "samples": self.samples}))


def _marked(function: Callable[..., Any], name: str, markers: list[dict[str, Any]]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.time()
        try:
            return function(*args, **kwargs)
        finally:
            markers.append({"name": name, "start": started, "end": time.time()})

    return wrapper


def child_main(argv: Sequence[str]) -> int:
    """``python -m pipelines.ops.bench_e2e --child --markers F [--stacks F] -- <hfc args>``."""
    parser = argparse.ArgumentParser(prog="bench_e2e --child")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--markers", type=Path, required=True)
    parser.add_argument("--stacks", type=Path)
    parser.add_argument("hfc", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    hfc_args = [a for a in args.hfc if a != "--"]
    markers: list[dict[str, Any]] = [{"name": "process", "start": time.time(), "end": None}]
    with contextlib.suppress(Exception):  # the leak scan's own time, if `hfc demo` still calls it by this name
        import pipelines.demo as demo

        if hasattr(demo, "leak_scan"):
            demo.leak_scan = _marked(demo.leak_scan, "leak_scan", markers)
    sampler = StackSampler().start() if args.stacks else None
    code = 1
    try:
        from pipelines.cli import main

        code = main(hfc_args)
    finally:
        if sampler is not None:
            sampler.stop()
            sampler.dump(args.stacks)
        markers[0]["end"] = time.time()
        args.markers.write_text(json.dumps(markers))
    return code


# --------------------------------------------------------------------------------------------------------------
# Profiles of a stage, from the stack samples


def _frame_name(frame: Sequence[Any]) -> str:
    filename, line, name = str(frame[0]), int(frame[1]), str(frame[2])
    path = Path(filename)
    for anchor in ("site-packages", "pipelines", "dashboards"):
        if anchor in path.parts:
            index = path.parts.index(anchor)
            parts = path.parts[index + 1 :] if anchor == "site-packages" else path.parts[index:]
            return f"{'/'.join(parts)}:{line} {name}"
    return f"{path.name}:{line} {name}"


def stage_profile(stacks_file: Path, intervals: Sequence[Interval], stage: str, top: int = 20) -> dict[str, Any]:
    """Top functions by cumulative and by own share of the samples taken while ``stage`` ran."""
    data = json.loads(stacks_file.read_text())
    frames, stacks = data["frames"], data["stacks"]
    wanted = [i for i in intervals if i.stage == stage]
    chosen = [sid for t, sid in data["samples"] if any(i.start <= t <= i.end for i in wanted)]
    total = len(chosen)
    cumulative: Counter[int] = Counter()
    own: Counter[int] = Counter()
    for sid in chosen:
        stack = stacks[sid]
        for fid in set(stack):
            cumulative[fid] += 1
        if stack:
            own[stack[-1]] += 1

    def rows(counter: Counter[int], trunk: bool) -> list[dict[str, Any]]:
        out = []
        for fid, n in counter.most_common():
            share = n / total if total else 0.0
            if trunk and share > 0.97:  # the shared trunk (main, dagster's executor): in every sample
                continue
            out.append({"function": _frame_name(frames[fid]), "share": round(share, 4), "seconds": n * data["every"]})
            if len(out) >= top:
                break
        return out

    return {
        "stage": stage,
        "samples": total,
        "every": data["every"],
        "cumulative": rows(cumulative, True),
        "own": rows(own, False),
    }


def dbt_top_models(target_dir: Path, since: float, top: int = 10) -> dict[str, Any]:
    """dbt's own timing from the newest ``run_results.json`` under ``target_dir`` written after ``since``."""
    found = [p for p in target_dir.rglob("run_results.json") if p.stat().st_mtime >= since]
    if not found:
        return {}
    newest = max(found, key=lambda p: p.stat().st_mtime)
    results = json.loads(newest.read_text())
    nodes = [
        {"node": r["unique_id"], "seconds": round(float(r.get("execution_time") or 0.0), 2)}
        for r in results.get("results", [])
    ]
    by_kind: Counter[str] = Counter()
    for r in nodes:
        by_kind[r["node"].split(".")[0]] += r["seconds"]
    return {
        "elapsed": round(float(results.get("elapsed_time") or 0.0), 1),
        "nodes": len(nodes),
        "by_kind": {k: round(v, 1) for k, v in by_kind.most_common()},
        "top": sorted(nodes, key=lambda r: -r["seconds"])[:top],
    }


def profile_delivery(data_dir: Path, feed: str, period: str, out: Path, top: int = 25) -> dict[str, Any]:
    """cProfile of one delivery's pseudonymisation with de-identification in this process (one worker, so the
    profile sees the work), on accepted rows already in ``data_dir``; nothing is written but the profile.

    For a stage that a whole run cannot profile in time: ``--profile-delivery FEED:PERIOD --data-dir DIR``.
    """
    import cProfile
    import pstats

    import pandas as pd

    from pipelines.feeds import FEED_SPECS
    from pipelines.ingest.load import accepted_path
    from pipelines.linkage.opt_out import OptOut
    from pipelines.privacy.deid import Deidentifier
    from pipelines.privacy.keys import load_key
    from pipelines.pseudonymisation import Reference, pseudonymise_frame
    from pipelines.settings import Zones

    zone = Zones(data_dir)
    spec = FEED_SPECS[feed]
    accepted = pd.read_parquet(accepted_path(zone, feed, period))
    reasons = OptOut.load(zone.identity).reasons(spec, accepted)
    rows = accepted.loc[reasons.isna()]
    deidentifier = Deidentifier(n_process=1)
    model_started = time.process_time()
    _ = deidentifier.nlp  # the spaCy model loads once per process: timed apart, kept out of the profile
    model_cpu = time.process_time() - model_started
    key, reference = load_key(), Reference.load(zone.reference)
    # CPU time, not wall: on a machine shared with other work the wall clock measures the others too
    profiler = cProfile.Profile(time.process_time)
    started, cpu_started = time.perf_counter(), time.process_time()
    profiler.enable()
    pseudonymise_frame(spec, rows, key, reference, period, deidentifier.deidentify)
    profiler.disable()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    profiler.dump_stats(str(out.with_suffix(".prof")))
    stats = pstats.Stats(profiler)
    entries = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append({"function": _frame_name((filename, line, name)), "calls": calls, "own": own, "cum": cumulative})
    by_cum = sorted(entries, key=lambda e: -e["cum"])[:top]
    by_own = sorted(entries, key=lambda e: -e["own"])[:top]
    result = {
        "feed": feed,
        "period": period,
        "rows": len(rows),
        "seconds": took,
        "cpu_seconds": cpu,
        "model_load_cpu_seconds": model_cpu,
        "cumulative": by_cum,
        "own": by_own,
    }
    out.write_text(json.dumps(result, indent=1))
    return result


# --------------------------------------------------------------------------------------------------------------
# The machine and the baseline


def micro_workload() -> tuple[float, float]:
    """(wall, CPU) seconds of a fixed single-core workload (pure Python and hashing), to compare runs on a noisy
    machine: on an idle core the two agree; wall over CPU is how many others shared the core meanwhile."""
    started, cpu_started = time.perf_counter(), time.process_time()
    total = 0
    for i in range(2_000_000):
        total += (i * i) % 7
    digest = b"hfc"
    for _ in range(200_000):
        digest = hashlib.sha256(digest).digest()
    if total < 0:  # keeps the loop from looking dead
        raise AssertionError
    return time.perf_counter() - started, time.process_time() - cpu_started


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    return {
        "nproc": os.cpu_count() or 0,
        "cpu": cpu,
        "ram_gb": round(ram / 2**30, 1),
        "python": platform.python_version(),
    }


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"


# --------------------------------------------------------------------------------------------------------------
# One county, end to end


@dataclass
class ScaleResult:
    people: int
    months: int
    seed: int
    total_seconds: float
    seconds: dict[str, float]
    peak_rss: dict[str, int]
    peak_rss_total: int
    largest_process_rss: int
    runs: int
    exit_code: int
    baseline_before: float  # wall seconds of the micro-workload
    baseline_after: float
    load_before: str
    load_after: str
    retried_feeds: list[str] = field(default_factory=list)
    dbt: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    profile_file: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    source: str = "bench"
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU of the process tree per stage
    baseline_cpu: tuple[float, float] = (0.0, 0.0)  # CPU seconds of the micro-workload, before and after


def _child_command(markers: Path, stacks: Path | None, hfc_args: list[str]) -> list[str]:
    command = [sys.executable, "-m", "pipelines.ops.bench_e2e", "--child", "--markers", str(markers)]
    if stacks is not None:
        command += ["--stacks", str(stacks)]
    return [*command, "--", *hfc_args]


def _run_child(command: list[str], env: dict[str, str], log: Path, memory: MemorySampler) -> tuple[int, float, float]:
    started = time.time()
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT))
        memory.root = process.pid
        code = process.wait()
        memory.root = None
    return code, started, time.time()


def run_scale(
    people: int, months: int, seed: int, workdir: Path, out_dir: Path, profile: bool, keep: bool
) -> ScaleResult:
    root = Path(tempfile.mkdtemp(prefix=f"bench-e2e-{people}-", dir=str(workdir)))
    data = root / "data"
    env = {
        **os.environ,
        "HFC_DATA_DIR": str(data),
        "HFC_WAREHOUSE_PATH": str(root / "warehouse" / "outcomes.duckdb"),
        "DAGSTER_HOME": str(data / "dagster"),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    for unset in ("HFC_RELEASE_DIR", "HFC_RESTRICTED_WAREHOUSE_PATH", "HFC_PUBLISH_RESTRICTED_TO"):
        env.pop(unset, None)
    log = out_dir / f"e2e-{people}.log"
    log.write_bytes(b"")
    stacks = out_dir / f"e2e-{people}.stacks.json" if profile else None
    memory = MemorySampler().start()
    load_before = load_average()
    baseline_before = micro_workload()
    markers_file = root / "demo.markers.json"
    try:
        code, synth_start, synth_end = _run_child(
            _child_command(
                root / "synth.markers.json",
                None,
                ["synth", "--people", str(people), "--months", str(months), "--seed", str(seed), "--out", str(data)],
            ),
            env,
            log,
            memory,
        )
        if code != 0:
            raise RuntimeError(f"hfc synth failed (exit {code}); see {log}")
        code, demo_start, demo_end = _run_child(
            _child_command(
                markers_file, stacks, ["demo", "--people", str(people), "--months", str(months), "--seed", str(seed)]
            ),
            env,
            log,
            memory,
        )
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        baseline_after = micro_workload()
        memory.stop()
        raw = {
            "people": people,
            "months": months,
            "seed": seed,
            "root": str(root),
            "synth": [synth_start, synth_end],
            "demo": [demo_start, demo_end],
            "exit_code": code,
            "largest_process_rss": largest,
            "baseline": [baseline_before, baseline_after],
            "load": [load_before, load_average()],
            "memory": memory.samples,
            "cpu": memory.cpu,
            "markers": json.loads(markers_file.read_text()) if markers_file.exists() else [],
            "stacks": str(stacks) if stacks is not None else None,
        }
        raw_file = out_dir / f"e2e-{people}.raw.json"  # times and byte counts only: `--analyse` reads it again
        raw_file.write_text(json.dumps(raw))
        return analyse(raw, out_dir)
    finally:
        with contextlib.suppress(RuntimeError):
            memory.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def _clocks(value: Any) -> tuple[float, float]:
    """(wall, CPU) of a recorded baseline; a bare number is a wall time recorded without its CPU time."""
    if isinstance(value, int | float):
        return float(value), 0.0
    return float(value[0]), float(value[1])


def load_samples(path: Path) -> tuple[list[tuple[float, int]], list[tuple[float, float, int]]]:
    """(memory, CPU) samples from a ``--sample-tree`` file of JSON lines [time, RSS bytes, CPU seconds, root pid]."""
    memory: list[tuple[float, int]] = []
    cpu: list[tuple[float, float, int]] = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError, IndexError):
            t, rss, seconds, root = json.loads(line)
            memory.append((float(t), int(rss)))
            cpu.append((float(t), float(seconds), int(root)))
    return memory, cpu


def analyse(raw: dict[str, Any], out_dir: Path, samples_file: Path | None = None) -> ScaleResult:
    """The stage table of one county's run from what :func:`run_scale` recorded and the run's Dagster instance
    (``samples_file``: memory and CPU samples taken from outside, for a run recorded without them)."""
    synth_start, synth_end = raw["synth"]
    demo_start, demo_end = raw["demo"]
    markers = raw["markers"]
    process = next(((m["start"], m["end"]) for m in markers if m["name"] == "process"), (demo_start, demo_end))
    leak = next(((m["start"], m["end"]) for m in markers if m["name"] == "leak_scan"), None)
    runs = read_runs(Path(raw["root"]) / "data" / "dagster", until=demo_end)  # a killed run stays STARTED
    table = account(runs, process=process, leak_scan=leak)
    table.seconds[SYNTH] = synth_end - synth_start
    table.intervals.append(Interval(SYNTH, synth_start, synth_end))
    # the child's interpreter start before its first marker: start-up too
    table.seconds[STARTUP] = table.seconds.get(STARTUP, 0.0) + max(0.0, process[0] - demo_start)
    table.intervals.append(Interval(STARTUP, demo_start, process[0]))
    samples = [(float(t), int(rss)) for t, rss in raw["memory"]]
    cpu = [(float(t), float(c), int(root)) for t, c, root in raw.get("cpu", [])]
    if samples_file is not None:
        more, cpu = load_samples(samples_file)
        samples = sorted([*samples, *more])
    people = int(raw["people"])
    result = ScaleResult(
        people=people,
        months=int(raw["months"]),
        seed=int(raw["seed"]),
        total_seconds=(synth_end - synth_start) + (demo_end - demo_start),
        seconds=table.seconds,
        peak_rss=peak_by_stage(samples, table.intervals),
        peak_rss_total=max((rss for _, rss in samples), default=0),
        largest_process_rss=int(raw["largest_process_rss"]),
        runs=table.runs,
        exit_code=int(raw["exit_code"]),
        baseline_before=_clocks(raw["baseline"][0])[0],
        baseline_after=_clocks(raw["baseline"][1])[0],
        baseline_cpu=(_clocks(raw["baseline"][0])[1], _clocks(raw["baseline"][1])[1]),
        load_before=str(raw["load"][0]),
        load_after=str(raw["load"][1]),
        retried_feeds=table.retried_feeds,
        dbt=dbt_top_models(REPO_ROOT / "dbt_project" / "target", since=demo_start),
        steps=table.steps,
        cpu_seconds=split_deid_cpu(cpu_by_stage(cpu, table.intervals), table.seconds),
    )
    stacks = Path(raw["stacks"]) if raw.get("stacks") else None
    if stacks is not None and stacks.exists():
        slowest = slowest_stage(result.cpu_seconds or table.seconds)  # by CPU when sampled: wall is others' load too
        profile_stage = PSEUDO if slowest == DEID else slowest
        if profile_stage == SYNTH:  # the synth child is not sampled: take the slowest stage of the pipeline
            profile_stage = slowest_stage(
                {k: v for k, v in (result.cpu_seconds or table.seconds).items() if k not in (SYNTH, DEID)}
            )
        result.profile = stage_profile(stacks, table.intervals, profile_stage)
        result.profile["slowest"] = slowest
        profile_out = out_dir / f"e2e-{people}.profile.json"
        profiles = {s: stage_profile(stacks, table.intervals, s, top=40) for s in _profiled_stages(table.seconds)}
        profile_out.write_text(json.dumps(profiles, indent=1))
        result.profile_file = str(profile_out)
    return result


def slowest_stage(seconds: dict[str, float]) -> str:
    measured = {k: v for k, v in seconds.items() if k not in (OVERHEAD, OTHER)}
    return max(measured, key=lambda k: measured[k]) if measured else OVERHEAD


def _profiled_stages(seconds: dict[str, float]) -> list[str]:
    return [s for s in STAGE_ORDER if s in seconds and s not in (SYNTH, DEID, OVERHEAD) and seconds[s] > 1.0]


def from_instance(dagster_home: Path, time_log: Path | None = None, samples_file: Path | None = None) -> ScaleResult:
    """Per-stage times of a run that already happened (or is under way), from a copy of its Dagster instance.

    The instance is copied to a temporary folder first, so a running pipeline's files are only read. With
    ``time_log`` (a log ending in ``/usr/bin/time -v``'s report), its peak RSS and elapsed time are reported too.
    """
    with tempfile.TemporaryDirectory(prefix="bench-e2e-instance-") as tmp:
        copy = Path(tmp) / "dagster"
        shutil.copytree(dagster_home, copy, ignore=shutil.ignore_patterns("*.lock"))
        if not (copy / "dagster.yaml").exists():
            shutil.copyfile(REPO_ROOT / "dagster.yaml", copy / "dagster.yaml")
        memory, cpu = load_samples(samples_file) if samples_file is not None else ([], [])
        runs = read_runs(copy, until=memory[-1][0] if memory else None)
    table = account(runs)
    total = (max(r.end for r in runs) - min(r.start for r in runs)) if runs else 0.0
    largest, elapsed = time_report(time_log) if time_log is not None else (0, None)
    return ScaleResult(
        people=0,
        months=0,
        seed=0,
        total_seconds=elapsed if elapsed is not None else total,
        seconds=table.seconds,
        peak_rss=peak_by_stage(memory, table.intervals),
        peak_rss_total=max((rss for _, rss in memory), default=0),
        largest_process_rss=largest,
        runs=table.runs,
        exit_code=0 if all(r.ok for r in runs) else 1,
        baseline_before=0.0,
        baseline_after=0.0,
        load_before=load_average(),
        load_after=load_average(),
        retried_feeds=table.retried_feeds,
        steps=table.steps,
        source=f"instance {dagster_home}",
        cpu_seconds=split_deid_cpu(cpu_by_stage(cpu, table.intervals), table.seconds),
    )


def time_report(log: Path) -> tuple[int, float | None]:
    """(maximum resident set size in bytes, elapsed seconds) from ``/usr/bin/time -v``'s report, when present."""
    largest, elapsed = 0, None
    if not log.exists():
        return largest, elapsed
    for line in log.read_text(errors="replace").splitlines():
        text = line.strip()
        if text.startswith("Maximum resident set size (kbytes):"):
            largest = int(text.rsplit(":", 1)[1]) * 1024
        elif text.startswith("Elapsed (wall clock) time"):
            clock = text.split("): ", 1)[-1].strip()
            parts = [float(p) for p in clock.split(":")]
            elapsed = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    return largest, elapsed


# --------------------------------------------------------------------------------------------------------------
# Output


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:04.1f} s" if minutes else f"{rest:.1f} s"


def _gb(value: int) -> str:
    return f"{value / 2**30:.2f} GB" if value else "n/a"


def render(result: ScaleResult) -> list[str]:
    total = result.total_seconds or 1.0
    lines = [
        "| stage | wall | share | CPU (process tree) | peak RSS (process tree) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for stage in STAGE_ORDER:
        if stage not in result.seconds:
            continue
        seconds = result.seconds[stage]
        peak = result.peak_rss.get(stage, 0)
        name = stage
        if stage == DEID:
            name += " (inside the pseudonymisation steps)"
        share = f"{seconds / total:.0%}"
        cpu = result.cpu_seconds.get(stage)
        spent = "" if cpu is None else _clock(cpu)
        lines.append(f"| {name} | {_clock(seconds)} | {share} | {spent} | {_gb(peak)} |")
    cpu_total = _clock(sum(result.cpu_seconds.values())) if result.cpu_seconds else ""
    lines.append(
        f"| **total** | **{_clock(result.total_seconds)}** | 100% | {cpu_total} | **{_gb(result.peak_rss_total)}** |"
    )
    return lines


def render_section(results: Sequence[ScaleResult], command: str, box: dict[str, Any]) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"### {stamp}: `{command}`",
        "",
        f"Machine: {box['nproc']} cores (nproc), {box['cpu']}, {box['ram_gb']} GB RAM, Python {box['python']}; "
        "shared with other work.",
        "",
    ]
    for r in results:
        county = f"{r.people:,} people, {r.months} months, seed {r.seed}" if r.people else r.source
        out += [f"**{county}**: {_clock(r.total_seconds)} end to end, {r.runs} Dagster runs, exit {r.exit_code}.", ""]
        out += render(r)
        out += [""]
        if r.baseline_before:
            cpu = (
                f" for {r.baseline_cpu[0]:.2f} s and {r.baseline_cpu[1]:.2f} s of CPU (wall over CPU: "
                f"{r.baseline_before / r.baseline_cpu[0]:.1f}× and {r.baseline_after / r.baseline_cpu[1]:.1f}×)"
                if all(r.baseline_cpu)
                else ""
            )
            out.append(
                f"Baseline (a fixed CPU micro-workload on one core): {r.baseline_before:.2f} s before, "
                f"{r.baseline_after:.2f} s after{cpu}; load average {r.load_before} before, {r.load_after} after."
            )
        out.append(
            f"Peak memory: {_gb(r.peak_rss_total)} summed over the process tree (sampled from /proc every "
            f"{SAMPLE_EVERY} s); the largest single process {_gb(r.largest_process_rss)} (getrusage)."
        )
        if r.retried_feeds:
            out.append(f"Feeds whose ingest was retried delivery by delivery: {', '.join(r.retried_feeds)}.")
        if r.dbt:
            top = ", ".join(f"{m['node'].split('.')[-1]} {m['seconds']} s" for m in r.dbt["top"][:5])
            out.append(f"dbt (run_results.json): {r.dbt['nodes']} nodes in {r.dbt['elapsed']} s; slowest: {top}.")
        if r.profile:
            p = r.profile
            out += [
                "",
                f"Profile of the slowest stage ({p.get('slowest')}; sampled: {p['stage']}, {p['samples']} stack "
                f"samples every {p['every'] * 1000:.0f} ms of the main thread): top functions by cumulative share",
                "",
                "| function | cumulative | own |",
                "| --- | ---: | ---: |",
            ]
            own = {row["function"]: row["share"] for row in p["own"]}
            for row in p["cumulative"][:12]:
                out.append(f"| `{row['function']}` | {row['share']:.0%} | {own.get(row['function'], 0.0):.0%} |")
        out.append("")
    return "\n".join(out)


def append_section(text: str, path: Path = BENCHMARKS_MD) -> None:
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    if SECTION not in current:
        current = current.rstrip("\n") + "\n\n" + SECTION + "\n\n" + INTRO + "\n"
    path.write_text(current.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n")


INTRO = (
    "`hfc bench e2e` runs `hfc synth` and then `hfc demo` in a fresh temporary data dir and reads the stages from "
    'Dagster\'s event log of that run (docs/operations.md, "Speed and memory", says how). Targets (issue 21): the '
    "demo county end to end in under 5 minutes, ten times that county in under 30, peak memory under 8 GB, on 2 cores."
)


def main(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[ScaleResult] = []
    samples = Path(args.samples) if args.samples else None
    if args.profile_delivery:
        feed, period = args.profile_delivery.split(":", 1)
        out = out_dir / f"profile-{feed}-{period}.json"
        result = profile_delivery(Path(args.data_dir), feed, period, out)
        sys.stdout.write(
            f"{feed} {period}: {result['rows']} rows pseudonymised and de-identified in {result['cpu_seconds']:.1f} s "
            f"of CPU ({result['seconds']:.1f} s wall; one process, under cProfile, CPU clock; the spaCy model's load "
            f"before it {result['model_load_cpu_seconds']:.1f} s of CPU); {out}\n\n"
            "| function | calls | own CPU s | cumulative CPU s |\n| --- | ---: | ---: | ---: |\n"
        )
        for row in result["cumulative"]:
            sys.stdout.write(f"| `{row['function']}` | {row['calls']} | {row['own']:.1f} | {row['cum']:.1f} |\n")
        return 0
    if args.analyse:
        results.append(analyse(json.loads(Path(args.analyse).read_text()), out_dir, samples))
    elif args.from_instance:
        log = Path(args.time_log) if args.time_log else None
        results.append(from_instance(Path(args.from_instance), log, samples))
    else:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        for scale in [int(s) for s in str(args.scale).split(",") if s.strip()]:
            people = args.people * scale
            sys.stdout.write(f"hfc bench e2e: {people} people, {args.months} months (scale {scale})...\n")
            sys.stdout.flush()
            results.append(run_scale(people, args.months, args.seed, workdir, out_dir, args.profile, args.keep))
    for r in results:
        sys.stdout.write("\n".join(render(r)) + "\n")
        (out_dir / f"e2e-{r.people}.json").write_text(json.dumps(asdict(r), indent=1))
    command = "hfc bench e2e " + " ".join(args.argv_text) if args.argv_text else "hfc bench e2e"
    section = render_section(results, command.strip(), machine())
    sys.stdout.write("\n" + section + "\n")
    if args.write:
        append_section(section)
        sys.stdout.write(f"appended to {BENCHMARKS_MD}\n")
    return max((r.exit_code for r in results), default=0)


def sample_tree(pid: int, to: Path, every: float = SAMPLE_EVERY) -> None:
    """Append (time, RSS bytes, CPU seconds, root pid) of ``pid``'s process tree to ``to`` until it ends: for a run
    this module did not start (``--sample-tree PID --to FILE``)."""
    with to.open("a") as out:
        while True:
            rss, cpu, count = tree_usage(pid)
            if not count:
                return
            out.write(json.dumps([time.time(), rss, cpu, pid]) + "\n")
            out.flush()
            time.sleep(every)


if __name__ == "__main__":
    if "--child" in sys.argv[1:]:
        sys.exit(child_main(sys.argv[1:]))
    if "--sample-tree" in sys.argv[1:]:
        sample_tree(int(sys.argv[sys.argv.index("--sample-tree") + 1]), Path(sys.argv[sys.argv.index("--to") + 1]))
        sys.exit(0)
    sys.stderr.write("run `hfc bench e2e`; this module's own entry point is for its child processes\n")
    sys.exit(2)
