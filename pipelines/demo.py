"""``hfc demo``: the whole pipeline on the embedded synthetic default, as ``make run`` does it.

It generates the synthetic county into the landing zone when that is empty, registers a delivery
partition for every file found, and materialises every asset through the same Dagster instance
the UI reads (``$HFC_DATA_DIR/dagster``), stage by stage, so the runs appear in ``make ui``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ops.audit import record as audit_record
from pipelines.settings import REPO_ROOT, Zones, mode, release_dir, warehouse_path, zones

log = logging.getLogger(__name__)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
# The full event stream goes to the instance (see `make ui`); the terminal gets warnings and errors only.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class DemoSummary:
    generated: bool
    feeds: dict[str, dict[str, int]] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    warehouse: Path | None = None
    blocked: list[str] = field(default_factory=list)  # deliveries stopped by a blocking check
    linkage: dict[str, object] = field(default_factory=dict)


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


def run_demo(people: int = 20_000, months: int = 24, seed: int = 42) -> DemoSummary:
    zone = zones()
    generated = False
    if landing_is_empty(zone):
        from pipelines.synth import generate

        log.info("landing zone is empty: generating the synthetic county (%d people, %d months)", people, months)
        generate(zone.root, people=people, months=months, seed=seed)
        generated = True
    prepare_dagster_home(zone)
    summary = materialize_everything(zone)
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


def materialize_everything(
    zone: Zones, feeds: list[str] | None = None, start: str | None = None, end: str | None = None
) -> DemoSummary:
    """Load the chosen feeds' deliveries (default: all) between two periods, then re-link and rebuild.

    Each feed's deliveries run as single-run backfills, so one run covers many partitions; the
    spine, person keys and dbt project then run once over everything loaded.
    """
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.feeds import FEED_SPECS
    from pipelines.ingest.load import deliveries_by_period

    instance = dg.DagsterInstance.get()
    assets = list(defs.assets or [])
    resources = dict(defs.resources or {})

    ranges: dict[str, list[tuple[str, str]]] = {}
    for feed in feeds or list(FEED_SPECS):
        spec = FEED_SPECS[feed]
        keys = sorted(
            k for k in deliveries_by_period(spec, zone) if (start is None or k >= start) and (end is None or k <= end)
        )
        name = f"{feed}_deliveries"
        if keys:
            instance.add_dynamic_partitions(name, keys)
        ranges[feed] = contiguous_ranges(list(instance.get_dynamic_partitions(name)), set(keys))

    def run(selection: list[str], partition_range: tuple[str, str] | None = None) -> bool:
        tags = {RANGE_START: partition_range[0], RANGE_END: partition_range[1]} if partition_range else {}
        log.info(
            "materialising %s%s",
            ", ".join(selection) if len(selection) < 8 else "the dbt project",
            f" for deliveries {partition_range[0]}..{partition_range[1]}" if partition_range else "",
        )
        result = dg.materialize(
            assets,
            instance=instance,
            resources=resources,
            selection=selection,
            tags=tags,
            run_config=QUIET,
            raise_on_error=partition_range is None,
        )
        return result.success

    blocked: list[str] = []
    for feed, feed_ranges in ranges.items():
        name = f"{feed}_deliveries"
        for partition_range in feed_ranges:  # as the landing sensor's ingest_<feed> job does: gate, then publish
            if run([f"raw/{feed}", f"pseudonymised/{feed}"], partition_range):
                continue
            # A blocking check failed somewhere in the range, which stopped publishing for all of it:
            # go delivery by delivery, so only the deliveries that fail their gate stay blocked.
            ordered = list(instance.get_dynamic_partitions(name))
            members = ordered[ordered.index(partition_range[0]) : ordered.index(partition_range[1]) + 1]
            for key in members:
                if not run([f"raw/{feed}", f"pseudonymised/{feed}"], (key, key)):
                    blocked.append(f"{feed} {key}")
                    log.warning("%s %s: blocked by its gate; the run's checks in `make ui` say why", feed, key)
    run(
        [
            "identity/spine",
            "identity/opt_out",
            "pseudonymised/person_keys",
            "pseudonymised/programme_rollout",
            *_truth_label_selection(),
        ]
    )
    for feed, feed_ranges in ranges.items():  # each delivery against the earlier ones (docs/monitoring.md)
        for partition_range in feed_ranges:
            run([f"drift/{feed}"], partition_range)
    run(_dbt_selection())
    run(["release/dashboards"])

    summary = DemoSummary(generated=False, warehouse=warehouse_path(), blocked=blocked)
    summary.feeds = _load_counts(zone)
    summary.tables = _table_counts(warehouse_path())
    summary.linkage = _linkage_summary(warehouse_path())
    return summary


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
        lines.extend(f"    {b}" for b in summary.blocked)
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
        "",
    ]
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


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("hfc %(asctime)s %(message)s", datefmt="%H:%M:%S"))
    package_log = logging.getLogger("pipelines")
    package_log.addHandler(handler)
    package_log.setLevel(logging.WARNING)  # per-delivery validation lines are in the UI, not the terminal
    for chatty in ("pipelines.ingest.expectations",):
        logging.getLogger(chatty).setLevel(logging.ERROR)
    for progress in ("pipelines.demo", "pipelines.synth"):
        logging.getLogger(progress).setLevel(logging.INFO)


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
    places = [warehouse_path(), zone.restricted, zone.pseudonymised, zone.reports, release_dir()]
    result = scan_truth(zone.synth_truth, zone.pseudonymised, places, load_key())
    lines = summary_lines(result)
    if result.clean:
        sys.stdout.write(f"  {lines[0]}\n\n")
        return 0
    banner = "hfc demo: LEAK CHECK FAILED: planted identifiers were found outside the identifiable zones"
    sys.stderr.write("\n".join(["", banner, *lines, "(where and what type only; values are never shown)", ""]))
    return 3


def main(args: argparse.Namespace) -> int:
    _log_to_stderr()
    summary = run_demo(people=args.people, months=args.months, seed=args.seed)
    sys.stdout.write(render_summary(summary))
    leaked = leak_scan(zones())
    if summary.warehouse is not None:  # the run ends with what it came for: did the programme work?
        sys.stdout.write("\n".join([*_estimate_lines(summary.warehouse, zones()), "", ""]))
    return leaked or (1 if summary.blocked else 0)


def backfill_main(args: argparse.Namespace) -> int:
    """``hfc backfill``: (re)load deliveries already in the landing zone, then re-link and rebuild."""
    from pipelines.feeds import FEED_SPECS

    _log_to_stderr()
    unknown = [f for f in args.feed or [] if f not in FEED_SPECS]
    if unknown:
        sys.stderr.write(f"hfc backfill: unknown feed(s): {', '.join(unknown)}; feeds are {', '.join(FEED_SPECS)}\n")
        return 2
    zone = zones()
    prepare_dagster_home(zone)
    summary = materialize_everything(zone, feeds=args.feed or None, start=args.start, end=args.end)
    audit_record("backfill", root=zone.root, feeds=",".join(args.feed or []) or "all", start=args.start, end=args.end)
    sys.stdout.write(render_summary(summary))
    return 1 if summary.blocked else 0
