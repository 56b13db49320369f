"""``hfc demo``: the whole pipeline on the embedded synthetic default, as ``make run`` does it.

It generates the synthetic county into the landing zone when that is empty, registers a delivery
partition for every file found, and materialises every asset through the same Dagster instance
the UI reads (``$HFC_DATA_DIR/dagster``), stage by stage, so the runs appear in ``make ui``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.ops.audit import record as audit_record
from pipelines.ops.progress import DbtTally, Progress, RunLog, listen, log_path
from pipelines.settings import REPO_ROOT, Zones, disclosure_threshold, mode, release_dir, warehouse_path, zones

log = logging.getLogger(__name__)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# The full event stream goes to the instance (see `make ui`) and to the run's log file (pipelines.ops.progress);
# Dagster's console logger says nothing: the terminal shows stages, blocked deliveries and failures only.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class DemoSummary:
    generated: bool
    feeds: dict[str, dict[str, int]] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    warehouse: Path | None = None
    blocked: list[str] = field(default_factory=list)  # deliveries stopped by a blocking check ("<feed> <period>")
    linkage: dict[str, object] = field(default_factory=dict)
    blocked_lines: list[str] = field(default_factory=list)  # one line each: which check, why, rows held
    log: Path | None = None  # the run's log file: every event, dbt's output, the stack traces


def prepare_dagster_home(zone: Zones) -> Path:
    """Point Dagster at the data root, with our instance settings (telemetry off)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(zone.dagster_home)))
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def landing_is_empty(zone: Zones) -> bool:
    from pipelines.feeds import FEED_SPECS
    from pipelines.ingest.load import delivery_files

    return not any(delivery_files(spec, zone) for spec in FEED_SPECS.values())


def run_demo(people: int = 20_000, months: int = 24, seed: int = 42, out: Output | None = None) -> DemoSummary:
    zone = zones()
    out = out or Output.open(zone)
    generated = False
    if landing_is_empty(zone):
        from pipelines.synth import generate

        log.info("landing zone is empty: generating the synthetic county (%d people, %d months)", people, months)
        with out.progress.stage(f"synth ({people} people, {months} months)"):
            generate(zone.root, people=people, months=months, seed=seed)
        generated = True
    prepare_dagster_home(zone)
    summary = materialize_everything(zone, out=out)
    summary.generated = generated
    return summary


def contiguous_ranges(ordered: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """Group the wanted keys into ranges that are contiguous in the partitions' own order.

    Dynamic partitions keep the order they were added in (a late delivery for an old month comes
    last), so a range run must never span a key that was not asked for.
    """
    ranges: list[tuple[str, str]] = []
    current: list[str] = []
    for key in ordered:
        if key in wanted:
            current.append(key)
        elif current:
            ranges.append((current[0], current[-1]))
            current = []
    if current:
        ranges.append((current[0], current[-1]))
    return ranges


@dataclass
class Blocked:
    """A delivery its gate stopped: which blocking checks failed, the reason codes and the rows held (counts only)."""

    feed: str
    period: str
    checks: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rows_held: int = 0
    failure: str | None = None  # a run that failed for another reason than a blocking check: the error's first line

    def line(self, descriptions: dict[tuple[str, str], str], threshold: int) -> str:
        if self.failure is not None:
            return f"{self.feed} {self.period}: FAILED (not a check): {self.failure}"
        from pipelines.ops.progress import safe_count

        said = []
        for check in self.checks:
            about = _short(descriptions.get((self.feed, check), ""))
            said.append(f"{check} failed" + (f" ({about})" if about else ""))
        text = f"{self.feed} {self.period}: blocked, " + "; ".join(said or ["a blocking check failed"])
        if self.reasons:
            text += f"; reason {', '.join(self.reasons)}"
        return text + f"; rows held in quarantine: {safe_count(self.rows_held, threshold)}"


def _short(description: str) -> str:
    """A check's description up to its first colon or semicolon: what it checks, not the whole policy."""
    return re.split(r": |; ", description, maxsplit=1)[0].strip()


class RunFailed(RuntimeError):
    """A run that must succeed (linkage, the dbt build, the release) failed; what failed is on screen and in the log."""


@dataclass
class Output:
    """Where a run's output goes: stages on screen, everything else in the log file."""

    progress: Progress
    log: RunLog

    @classmethod
    def open(cls, zone: Zones) -> Output:
        return cls(Progress(), RunLog(log_path(zone.root)))


class Runner:
    """``dg.materialize`` for a selection, with every event of the run written to the log and shown as progress."""

    def __init__(self, instance: Any, out: Output) -> None:
        from pipelines.definitions import defs

        self.instance = instance
        self.assets = list(defs.assets or [])
        self.resources = dict(defs.resources or {})
        self.out = out
        self.on_event: Callable[[Any], None] | None = None
        self.runs = 0

    def event(self, entry: Any) -> None:
        self.out.log.event(entry)
        if self.on_event is not None:
            self.on_event(entry)

    def __call__(self, selection: list[str], partition_range: tuple[str, str] | None = None) -> Any:
        import dagster as dg

        tags = {RANGE_START: partition_range[0], RANGE_END: partition_range[1]} if partition_range else {}
        self.out.log.write(
            f"materialising {', '.join(selection) if len(selection) < 8 else 'the dbt project'}"
            + (f" for deliveries {partition_range[0]}..{partition_range[1]}" if partition_range else "")
        )
        self.runs += 1
        return dg.materialize(
            self.assets,
            instance=self.instance,
            resources=self.resources,
            selection=selection,
            tags=tags,
            run_config=QUIET,
            raise_on_error=False,
        )

    def must(self, selection: list[str], stage: str) -> Any:
        """Run a selection that has to succeed; on failure, say what failed (first lines) and stop."""
        result = self(selection)
        if not result.success:
            for line in failure_lines(result):
                self.out.progress.say(line)
            self.out.progress.say(f"the full output and stack traces: {self.out.log.path}")
            raise RunFailed(f"{stage} failed")
        return result


def failure_lines(result: Any, lines: int = 3) -> list[str]:
    """Each failed step of a run, with the first lines of its error (messages hold no values in this codebase)."""
    said = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = getattr(event.event_specific_data, "error", None)
        while error is not None and error.cause is not None and error.cls_name == "DagsterExecutionStepExecutionError":
            error = error.cause  # Dagster's wrapper: the asset's own error is its cause
        message = (error.message if error is not None else event.message or "").strip().splitlines()[:lines]
        said.append(f"FAILED {event.step_key}: " + " | ".join(m.strip() for m in message if m.strip()))
    return said or ["FAILED: the run failed before any step (see the log)"]


def _value(metadata: dict[str, Any], key: str, default: Any = None) -> Any:
    entry = metadata.get(key)
    return default if entry is None else getattr(entry, "value", entry)


def blocked_deliveries(result: Any, feed: str) -> list[Blocked] | None:
    """The deliveries of a failed ingest run that its blocking checks stopped, from the run's own events.

    Each delivery has an observation of its own (``files_rejected``, ``quarantine_reasons``); each failed check lists
    the periods it failed in its ``details``. None when the run failed for something else than a blocking check (an
    exception): then nothing says which deliveries are at fault.
    """
    failed: dict[str, str] = {}
    observed: dict[str, dict[str, Any]] = {}
    for event in result.all_events:
        kind = event.event_type_value
        data = event.event_specific_data
        if kind == "STEP_FAILURE":
            error = getattr(data, "error", None)
            if error is None or error.cls_name != "DagsterAssetCheckFailedError":
                return None
        elif kind == "ASSET_CHECK_EVALUATION" and data.asset_key.path == ["raw", feed] and not data.passed:
            if data.severity.value == "ERROR":
                failed[data.check_name] = str(_value(data.metadata, "details", ""))
        elif kind == "ASSET_OBSERVATION":
            observation = data.asset_observation
            if observation.asset_key.path == ["raw", feed] and observation.partition:
                observed[observation.partition] = dict(observation.metadata)
    blocked = []
    for period, metadata in observed.items():
        if int(_value(metadata, "files_rejected", 0) or 0) == 0:
            continue
        named = re.compile(rf"^- {re.escape(period)}[ :]", re.MULTILINE)
        checks = [name for name, details in failed.items() if named.search(details)] or sorted(failed)
        reasons = sorted(_value(metadata, "quarantine_reasons", {}) or {})
        rows = int(_value(metadata, "rows_held_in_rejected_files", 0) or 0)
        blocked.append(Blocked(feed, period, checks, reasons, rows))
    return blocked if failed else None


def check_descriptions() -> dict[tuple[str, str], str]:
    """(feed, check name) -> the check's description, for the blocked-delivery lines."""
    from pipelines.defs.ingest.assets import raw_assets

    said: dict[tuple[str, str], str] = {}
    for asset in raw_assets:
        for spec in asset.check_specs:
            said[(spec.asset_key.path[-1], spec.name)] = spec.description or ""
    return said


def ingest_feed(
    run: Runner, feed: str, feed_ranges: list[tuple[str, str]], ordered: list[str], retry: str = "targeted"
) -> list[Blocked]:
    """Gate and publish one feed's deliveries, range by range, as the landing sensor's ingest_<feed> job does.

    A blocking check that fails anywhere in a range stops publishing for all of it. ``retry="targeted"`` (the
    default) runs the range again without the deliveries the failed run's events name as blocked (each contiguous
    rest as one run); ``retry="each"`` runs every delivery of the range alone. A range run that failed for another
    reason, or a targeted retry that fails again, falls back to one delivery at a time.
    """
    progress = run.out.progress
    selection = [f"raw/{feed}", f"pseudonymised/{feed}"]

    def members(partition_range: tuple[str, str]) -> list[str]:
        return ordered[ordered.index(partition_range[0]) : ordered.index(partition_range[1]) + 1]

    def counted(entry: Any) -> None:
        event = entry.dagster_event
        if event is not None and event.event_type_value == "ASSET_OBSERVATION":
            observation = event.event_specific_data.asset_observation
            if observation.asset_key.path == ["raw", feed]:
                progress.advance()

    def each(keys: list[str]) -> list[Blocked]:
        found: list[Blocked] = []
        for key in keys:
            result = run(selection, (key, key))
            if not result.success:
                named = blocked_deliveries(result, feed)
                failure = " ".join(failure_lines(result, lines=1))
                found.extend(named if named else [Blocked(feed, key, failure=failure)])
        return found

    blocked: list[Blocked] = []
    progress.start(f"ingest and gate {feed}", sum(len(members(r)) for r in feed_ranges), "deliveries")
    run.on_event = counted
    try:
        for partition_range in feed_ranges:
            result = run(selection, partition_range)
            if result.success:
                continue
            run.on_event = None  # the bar counts each delivery once
            keys = members(partition_range)
            named = blocked_deliveries(result, feed) if retry == "targeted" else None
            if not named:
                progress.update(progress.done, detail=f"retrying {len(keys)} deliveries one by one")
                blocked.extend(each(keys))
                continue
            stopped = {b.period for b in named}
            progress.update(progress.done, detail=f"{len(stopped)} blocked; publishing the rest")
            found = list(named)
            for rest in contiguous_ranges(keys, set(keys) - stopped):
                if not run(selection, rest).success:  # should not happen: the rest passed their gate
                    found = [b for b in found if b.period not in set(members(rest))] + each(members(rest))
            blocked.extend(found)
    finally:
        run.on_event = None
    progress.finish(f"{len(blocked)} blocked" if blocked else "")
    return blocked


def register_deliveries(
    instance: Any, zone: Zones, feeds: list[str] | None, start: str | None = None, end: str | None = None
) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[str]]]:
    """Add a partition for every delivery found; each feed's ranges to run, and its partitions in their order."""
    from pipelines.feeds import FEED_SPECS
    from pipelines.ingest.load import deliveries_by_period
    from pipelines.privacy.keys import production_preflight

    production_preflight()  # production mode: a missing or unsafe key stops the run before anything runs

    ranges: dict[str, list[tuple[str, str]]] = {}
    ordered: dict[str, list[str]] = {}
    for feed in feeds or list(FEED_SPECS):
        spec = FEED_SPECS[feed]
        keys = sorted(
            k for k in deliveries_by_period(spec, zone) if (start is None or k >= start) and (end is None or k <= end)
        )
        name = f"{feed}_deliveries"
        if keys:
            instance.add_dynamic_partitions(name, keys)
        ordered[feed] = list(instance.get_dynamic_partitions(name))
        ranges[feed] = contiguous_ranges(ordered[feed], set(keys))
    return ranges, ordered


def ingest(
    run: Runner, ranges: dict[str, list[tuple[str, str]]], ordered: dict[str, list[str]], retry: str = "targeted"
) -> list[Blocked]:
    """Every feed's stage of ingest and gate; one line on screen per blocked delivery, as it is found."""
    threshold = disclosure_threshold()
    descriptions = check_descriptions()
    blocked: list[Blocked] = []
    for feed, feed_ranges in ranges.items():
        found = ingest_feed(run, feed, feed_ranges, ordered[feed], retry=retry)
        for b in found:
            run.out.progress.say(b.line(descriptions, threshold))
        blocked.extend(found)
    return blocked


def materialize_everything(
    zone: Zones,
    feeds: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    out: Output | None = None,
    retry: str = "targeted",
) -> DemoSummary:
    """Load the chosen feeds' deliveries (default: all) between two periods, then re-link and rebuild.

    Each feed's deliveries run as single-run backfills, so one run covers many partitions; the
    spine, person keys and dbt project then run once over everything loaded. Stages and blocked deliveries go to
    ``out.progress`` (the screen); every event, dbt's output and the stack traces go to ``out.log``.
    """
    import dagster as dg

    out = out or Output.open(zone)
    instance = dg.DagsterInstance.get()
    from pipelines.ops.recovery import recover

    recover(zone, instance)  # what a killed run left: runs left STARTED, building files (docs/operations.md)
    run = Runner(instance, out)
    ranges, ordered = register_deliveries(instance, zone, feeds, start, end)
    with listen(instance, run.event):
        blocked = ingest(run, ranges, ordered, retry=retry)
        linkage = [
            "identity/spine",
            "identity/opt_out",
            "pseudonymised/person_keys",
            "pseudonymised/programme_rollout",
            *_truth_label_selection(),
        ]
        with out.progress.stage("linkage and person keys", len(linkage), "assets"):
            run.on_event = _count_steps(out.progress)
            run.must(linkage, "linkage")
        drift_runs = [(feed, r) for feed, feed_ranges in ranges.items() for r in feed_ranges]
        with out.progress.stage("drift", len(drift_runs), "runs"):  # each delivery against the earlier ones
            run.on_event = None
            for feed, partition_range in drift_runs:
                if not run([f"drift/{feed}"], partition_range).success:
                    out.progress.say(
                        f"drift {feed} {partition_range[0]}..{partition_range[1]}: a blocking drift check "
                        f"failed (drift reports: {zone.reports / 'drift'})"
                    )
                out.progress.advance()
        build_dbt(run)
        with out.progress.stage("release", 1, "assets"):
            run.on_event = _count_steps(out.progress)
            run.must(["release/dashboards"], "release")
        run.on_event = None

    summary = DemoSummary(generated=False, warehouse=warehouse_path())
    summary.blocked = [f"{b.feed} {b.period}" for b in blocked]
    summary.blocked_lines = [b.line(check_descriptions(), disclosure_threshold()) for b in blocked]
    summary.log = out.log.path
    summary.feeds = _load_counts(zone)
    summary.tables = _table_counts(warehouse_path())
    summary.linkage = _linkage_summary(warehouse_path())
    return summary


def _count_steps(progress: Progress) -> Callable[[Any], None]:
    def counted(entry: Any) -> None:
        event = entry.dagster_event
        if event is not None and event.event_type_value == "STEP_SUCCESS":
            progress.advance()

    return counted


def build_dbt(run: Runner) -> DbtTally:
    """The dbt build (its output to the log, its progress from dagster-dbt's streamed lines), then protection and
    publishing (the same step, after dbt's last line); a one-line summary and any failure on screen."""
    progress = run.out.progress
    tally = DbtTally()
    progress.start("dbt build", None, "nodes")

    def line(text: str) -> None:
        if tally.feed(text):
            if progress.total != tally.total:
                progress.set_total(tally.total, "nodes")
            progress.update(tally.finished)
        elif tally.done_line and progress.name == "dbt build":
            progress.finish()
            progress.say(tally.summary())
            progress.start("protection and publish")

    def logged(entry: Any) -> None:
        if progress.name == "protection and publish" and "disclosure audit passed" in (entry.user_message or ""):
            progress.update(0, detail="audit passed; publishing")

    run.on_event = logged
    try:
        with run.out.log.capture_stdout(line):
            result = run(_dbt_selection())
    finally:
        run.on_event = None
    if progress.name == "dbt build":  # dbt never reached its summary line
        progress.finish()
        progress.say(tally.summary())
    if not result.success:
        progress.finish()
        for failure in tally.failures[:5]:
            progress.say(f"dbt: {failure}")
        for text in failure_lines(result):
            progress.say(text)
        progress.say(f"dbt's full output and the stack traces: {run.out.log.path}")
        raise RunFailed("the dbt build failed")
    progress.finish()
    return tally


def _truth_label_selection() -> list[str]:
    from pipelines.defs.pseudonymise.truth_labels import synth_truth_labels

    return [key.to_user_string() for key in synth_truth_labels.keys]


def _dbt_selection() -> list[str]:
    from pipelines.defs.transform.assets import warehouse_dbt_assets

    return [key.to_user_string() for key in warehouse_dbt_assets.keys]


def _load_counts(zone: Zones) -> dict[str, dict[str, int]]:
    import pandas as pd

    from pipelines.ingest.load import AUDIT_DIR
    from pipelines.linkage.opt_out import audit_path as opt_out_path

    counts: dict[str, dict[str, int]] = {}
    for path in sorted((zone.pseudonymised / AUDIT_DIR).glob("*/*.parquet")):
        row = pd.read_parquet(path).iloc[0]
        empty = {"deliveries": 0, "received": 0, "loaded": 0, "quarantined": 0, "excluded": 0}
        feed = counts.setdefault(str(row["feed"]), empty)
        # the national data opt-out's exclusions, counted when the delivery was published or re-linked
        opt_out, excluded_later = opt_out_path(zone, str(row["feed"]), str(row["period"])), 0
        if opt_out.exists():
            applied = pd.read_parquet(opt_out).iloc[0]
            if applied["content_sha256"] == row["content_sha256"]:
                excluded_later = int(applied["rows_excluded_record"]) + int(applied["rows_excluded_person"])
        feed["deliveries"] += 1
        feed["received"] += int(row["rows_received"])
        feed["loaded"] += int(row["rows_loaded"]) - excluded_later
        feed["quarantined"] += int(row["rows_quarantined"])
        feed["excluded"] += int(row.get("rows_excluded", 0) or 0) + excluded_later
    return counts


def _linkage_summary(path: Path) -> dict[str, object]:
    import duckdb

    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "select measured_by, pairwise_precision, pairwise_recall, pairwise_f1 "
            "from marts.linkage_quality where scope = 'overall' limit 1"
        ).fetchone()
        people = con.execute("select count(distinct person_key) from staging.stg_identity__person_keys").fetchone()
    if row is None:
        return {}
    return {"measured_by": row[0], "precision": row[1], "recall": row[2], "f1": row[3], "people": people[0]}


def _table_counts(path: Path) -> dict[str, int]:
    import duckdb

    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by table_schema, table_name"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


def render_summary(summary: DemoSummary) -> str:
    zone = zones()
    lines = ["", "hfc demo: done."]
    if summary.generated:
        lines.append(f"  Generated the synthetic county into {zone.landing} (truth in {zone.synth_truth}).")
    lines.append("")
    lines.append(f"  {'feed':<22}{'deliveries':>11}{'received':>10}{'loaded':>10}{'quarantined':>13}{'opted out':>11}")
    for feed, c in summary.feeds.items():
        lines.append(
            f"  {feed:<22}{c['deliveries']:>11}{c['received']:>10}{c['loaded']:>10}{c['quarantined']:>13}"
            f"{c['excluded']:>11}"
        )
    if summary.blocked:
        lines.append("")
        lines.append(f"  {len(summary.blocked)} deliveries were blocked by a blocking check and not published:")
        lines.extend(f"    {b}" for b in (summary.blocked_lines or summary.blocked))
        lines.append(f"  Their files and reasons are in {zone.quarantine}; the failed checks are in `make ui`.")
    if summary.linkage:
        lines.append("")
        lines.append(
            f"  Linkage ({summary.linkage['measured_by']}): {summary.linkage['people']} people; pairwise "
            f"precision {summary.linkage['precision']:.4f}, recall {summary.linkage['recall']:.4f}, "
            f"F1 {summary.linkage['f1']:.4f} (by agency pair and ethnicity: marts.linkage_quality)"
        )
    lines.append("")
    lines.append(f"  Warehouse: {summary.warehouse}")
    for table, n in summary.tables.items():
        lines.append(f"    {table:<55}{n:>10} rows")
    if summary.warehouse is not None:
        from pipelines.warehouse.headlines import render_headlines

        lines.extend(render_headlines(summary.warehouse))
    lines.extend(_release_lines(zone))
    lines += [
        "",
        "  Where to look next:",
        f"    quarantined rows and files, with reasons:  {zone.quarantine}",
        f"    query the warehouse:  .venv/bin/python -c \"import duckdb; duckdb.connect('{summary.warehouse}', "
        "read_only=True).sql('from marts.load_audit').show()\"",
        "    the commissioner dashboards (disclosure-controlled):  make dashboard   (http://127.0.0.1:8501)",
        f"    drift reports, per feed and delivery:  {zone.reports / 'drift'}",
        "    the asset graph, runs and partitions:  make ui   (http://127.0.0.1:3000)",
        "    the data dictionary (every table and column):  make docs",
        "    the evaluation (designs, worked queries, the pack):  docs/evaluation.md",
    ]
    if summary.log is not None:
        lines.append(f"    this run's full output (Dagster events, dbt, stack traces):  {summary.log}")
    lines.append("")
    return "\n".join(lines)


def _estimate_lines(warehouse: Path, zone: Zones) -> list[str]:
    """The headline estimates beside the naive ones; in demo mode, beside the synthetic county's truth too."""
    from pipelines.evaluation.headlines import read_truth, render_estimates

    truth = read_truth(zone.synth_truth) if mode() == "demo" else {}
    return render_estimates(warehouse, truth)


def _release_lines(zone: Zones) -> list[str]:
    """The release check's verdict, from its report (counts of cells only)."""
    report = zone.reports / "release" / "release_check.json"
    if not report.exists():
        return []
    checked = json.loads(report.read_text())
    audit = checked.get("differencing_audit") or {}
    verdict = "passed" if checked.get("passed") else "FAILED"
    return [
        "",
        f"  Release: {release_dir()} ({checked.get('tables')} dash tables, CSV and parquet, with a manifest)",
        f"    hfc check-release {verdict}: {audit.get('cells')} cells, {audit.get('suppressed_by_the_rule')} "
        f"suppressed by the rule, {audit.get('suppressed_complementary')} more to protect them; "
        f"report {report.with_suffix('.md')}",
    ]


def _log_to_file(out: Output) -> None:
    """The package's log records go to the run's log file, not the terminal (which shows the stages)."""
    out.log.attach_logging("pipelines", logging.INFO)
    for chatty in ("pipelines.ingest.expectations",):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def leak_scan(zone: Zones) -> int:
    """Demo mode only: scan the warehouse, the restricted store (de-identified free text), the pseudonymised zone,
    the reports and the release for every identifier the synthetic
    truth planted (``hfc scan-pii --truth``). Returns 0 when clean, 3 (loudly, on stderr) when anything got out.
    """
    from pipelines.privacy.keys import load_key
    from pipelines.privacy.truth_scan import has_truth, scan_truth, summary_lines

    if mode() != "demo" or not has_truth(zone.synth_truth):
        return 0
    log.info(
        "scanning the warehouse, the restricted store, the pseudonymised zone, the reports and the release for planted "
        "identifiers"
    )
    # the run's log, the audit trail and the operations state (alerts, the rotation journal) are outputs too
    places = [warehouse_path(), zone.restricted, zone.pseudonymised, zone.reports, release_dir()]
    places += [zone.root / name for name in ("logs", "audit", "ops") if (zone.root / name).exists()]
    result = scan_truth(zone.synth_truth, zone.pseudonymised, places, load_key())
    lines = summary_lines(result)
    if result.clean:
        sys.stdout.write(f"  {lines[0]}\n\n")
        return 0
    banner = "hfc demo: LEAK CHECK FAILED: planted identifiers were found outside the identifiable zones"
    sys.stderr.write("\n".join(["", banner, *lines, "(where and what type only; values are never shown)", ""]))
    return 3


def main(args: argparse.Namespace) -> int:
    zone = zones()
    out = Output.open(zone)
    _log_to_file(out)
    try:
        summary = run_demo(people=args.people, months=args.months, seed=args.seed, out=out)
    except RunFailed as failed:
        sys.stderr.write(f"hfc demo: stopped: {failed}; the full output is in {out.log.path}\n")
        return 1
    finally:
        out.progress.finish()
    sys.stdout.write(render_summary(summary))
    scanned = io.StringIO()
    with out.progress.stage("leak scan and reports"), contextlib.redirect_stdout(scanned):
        leaked = leak_scan(zone)
        estimates = _estimate_lines(summary.warehouse, zone) if summary.warehouse is not None else []
    sys.stdout.write(scanned.getvalue())
    if estimates:  # the run ends with what it came for: did the programme work?
        sys.stdout.write("\n".join([*estimates, "", ""]))
    out.log.close()
    return leaked or (1 if summary.blocked else 0)


def backfill_main(args: argparse.Namespace) -> int:
    """``hfc backfill``: (re)load deliveries already in the landing zone, then re-link and rebuild."""
    from pipelines.feeds import FEED_SPECS

    unknown = [f for f in args.feed or [] if f not in FEED_SPECS]
    if unknown:
        sys.stderr.write(f"hfc backfill: unknown feed(s): {', '.join(unknown)}; feeds are {', '.join(FEED_SPECS)}\n")
        return 2
    zone = zones()
    out = Output.open(zone)
    _log_to_file(out)
    prepare_dagster_home(zone)
    try:
        summary = materialize_everything(zone, feeds=args.feed or None, start=args.start, end=args.end, out=out)
        audit_record(
            "backfill", root=zone.root, feeds=",".join(args.feed or []) or "all", start=args.start, end=args.end
        )
    except RunFailed as failed:
        sys.stderr.write(f"hfc backfill: stopped: {failed}; the full output is in {out.log.path}\n")
        return 1
    finally:
        out.progress.finish()
    sys.stdout.write(render_summary(summary))
    out.log.close()
    return 1 if summary.blocked else 0
