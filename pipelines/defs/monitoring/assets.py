"""``drift/<feed>``: each delivery compared with its reference window, as soon as it is published.

One asset per feed, partitioned by delivery like the feed. Each run profiles the deliveries it covers (and their
reference windows) from the pseudonymised zone only, writes one row per metric to
``pseudonymised/_drift/<feed>/<period>.parquet`` (dbt's ``source('drift', <feed>)``: ``marts.drift_flags``) and an
offline Evidently report to ``reports/drift/<feed>/<period>.html``, linked from the checks' metadata.

Four asset checks say what drifted, by kind of metric: key rates, missing values, code mix (and new codes), numeric
distributions. A drifted metric fails its check as a warning, unless ``config/drift.yaml`` (``HFC_DRIFT_CONFIG``)
makes it ``block``: then the check is blocking and fails as an error, which stops the warehouse build downstream.
Metadata holds metric names, statistics, thresholds and file names only, never a value from a record.
"""

import dagster as dg
import numpy as np
import pandas as pd

from pipelines.defs.partitions import delivery_partitions
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.monitoring.config import Severity, load_severity
from pipelines.monitoring.drift import evaluate, load_profiles, metrics, read_delivery, reference_window, write_results
from pipelines.ops.runs import retry_transient
from pipelines.settings import Zones

CHECKS: dict[str, tuple[tuple[str, ...], str]] = {
    "drift_key_rates": (
        ("rate",),
        "Key rates against the reference window (rate test: Cohen's h beyond its floor and its noise): the "
        "agency's mental-health tag and our classifier's rate side by side, NHS-number coverage, conveyance, hear "
        "and treat, self-harm share, questionnaire completion, quarantine rate.",
    ),
    "drift_missing_values": (("missing",), "Each column's missing share against the reference window (rate test)."),
    "drift_code_mix": (
        ("mix", "new_codes"),
        "Each coded column's mix (PSI over bins with minimum counts) and codes unseen in the reference window.",
    ),
    "drift_distributions": (("dist",), "Each numeric column over the reference window's deciles (PSI)."),
}


def check_kinds(check: str) -> tuple[str, ...]:
    return CHECKS[check][0]


def is_blocking(feed: str, check: str, severity: Severity) -> bool:
    return any(severity.of(feed, m.name) == "block" for m in metrics(feed) if m.kind in check_kinds(check))


def _fmt(value: object) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value):.3f}"


def check_results(feed: str, results: pd.DataFrame, reports: dict[str, str]) -> list[dg.AssetCheckResult]:
    out = []
    for check, (kinds, _) in CHECKS.items():
        rows = results[results["metric_kind"].isin(kinds)]
        drifted = rows[rows["is_drifted"]]
        blocked = drifted[drifted["severity"] == "block"]
        lines = [
            f"- {r.delivery_period} `{r.metric}`: {_fmt(r.statistic)} beyond {_fmt(r.threshold)} "
            f"(reference {r.reference_periods}; {r.severity})"
            for r in drifted.itertuples()
        ]
        out.append(
            dg.AssetCheckResult(
                check_name=check,
                passed=drifted.empty,
                severity=dg.AssetCheckSeverity.ERROR if not blocked.empty else dg.AssetCheckSeverity.WARN,
                metadata={
                    "deliveries": len(set(rows["delivery_period"])),
                    "metrics_tested": int(rows["is_tested"].sum()),
                    "metrics_drifted": len(drifted),
                    "deliveries_drifted": dg.MetadataValue.json(sorted(set(drifted["delivery_period"]))),
                    "details": dg.MetadataValue.md("\n".join(lines) or "no drift"),
                    "reports": dg.MetadataValue.md(
                        "\n".join(f"- {p}: [{path}](file://{path})" for p, path in sorted(reports.items())) or "none"
                    ),
                },
            )
        )
    return out


def run_drift(
    feed: str, zone: Zones, periods: list[str], severity: Severity, workers: int | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Evaluate, write the results and the reports of ``periods``; returns the results and period -> report path.

    Each delivery is read, and its key rates marked, once per run (a delivery is in the reference window of the six
    after it). The Evidently reports, pure Python and most of the time (plotly builds a figure per column), are
    built in ``workers`` forked processes (default: one per core, at most :data:`MAX_REPORT_WORKERS`); the pages are
    the same as in one process."""
    from pipelines.monitoring.report import UNITS, report_marks, save_report

    profiles = load_profiles(zone, feed, periods)
    frames = [evaluate(feed, profiles, period, severity) for period in periods]
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    write_results(zone, results)
    deliveries: dict[str, pd.DataFrame] = {}
    marked: dict[str, dict[str, np.ndarray]] = {}

    def delivery(p: str) -> pd.DataFrame:
        if p not in deliveries:
            deliveries[p] = read_delivery(zone, feed, p)
        return deliveries[p]

    def marks_of(p: str) -> dict[str, np.ndarray]:
        if p not in marked:
            marked[p] = report_marks(feed, delivery(p))
        return marked[p]

    per_unit = feed in UNITS  # a unit's marks are over its rows: the window's are computed on the window
    tasks: list[tuple] = []
    for period, rows in results.groupby("delivery_period"):
        tested = rows[rows["is_tested"]]
        if tested.empty:
            continue  # too few rows, or no reference window yet: nothing to compare
        ref_periods = reference_window([p for p, prof in profiles.items() if prof.rows > 0], str(period))
        current = delivery(str(period))
        reference = pd.concat([delivery(p) for p in ref_periods], ignore_index=True)
        marks = None
        if not per_unit:
            names = marks_of(str(period)).keys()
            marks = (
                marks_of(str(period)),
                {n: np.concatenate([marks_of(p)[n] for p in ref_periods]) for n in names},
            )
        thresholds = {r.column_name: r.threshold for r in tested.itertuples() if r.metric_kind in ("mix", "dist")}
        tasks.append((feed, str(period), current, reference, thresholds, str(rows["reference_periods"].iloc[0]), marks))
    reports: dict[str, str] = {}
    for period, html in zip([t[1] for t in tasks], _build_reports(tasks, workers), strict=True):
        reports[period] = str(save_report(zone, feed, period, html))
    return results, reports


MAX_REPORT_WORKERS = 4


def report_workers() -> int:
    """Processes for the reports: one per core, capped; 1 where a process cannot be forked, and then the reports are
    built in this process."""
    from pipelines.ops.workers import fork_workers

    return fork_workers(MAX_REPORT_WORKERS)


def _build_report(task: tuple) -> str:
    from pipelines.monitoring.report import build_report

    feed, period, current, reference, thresholds, reference_periods, marks = task
    return build_report(feed, period, current, reference, thresholds, reference_periods, marks)


def _build_reports(tasks: list[tuple], workers: int | None) -> list[str]:
    """Each task's report HTML, in order: in forked processes that inherit the imported Evidently (its import is
    17 s), or here for one task or one worker."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    import evidently  # noqa: F401  imported before forking, so no worker imports it again

    workers = report_workers() if workers is None else max(1, min(workers, report_workers()))
    if workers <= 1 or len(tasks) <= 1:
        return [_build_report(task) for task in tasks]
    try:
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_build_report, tasks))
    except BrokenProcessPool:  # a worker was killed (most often for memory): the reports are built here instead
        return [_build_report(task) for task in tasks]


def build_drift_asset(feed: str, severity: Severity | None = None) -> dg.AssetsDefinition:
    severity = severity or load_severity()
    key = ["drift", feed]
    check_specs = [
        dg.AssetCheckSpec(check, asset=key, blocking=is_blocking(feed, check, severity), description=description)
        for check, (_, description) in CHECKS.items()
    ]

    @dg.asset(
        key=key,
        group_name="monitoring",
        partitions_def=delivery_partitions(feed),
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetKey(["pseudonymised", feed])],
        kinds={"python", "parquet", "evidently"},
        tags={"zone": "pseudonymised"},
        check_specs=check_specs,
        automation_condition=dg.AutomationCondition.eager(),  # each delivery as soon as it is published
        description=(
            f"Drift of each {feed} delivery against the previous deliveries (key rates, missing values, code mix, "
            "numeric distributions), with an offline Evidently report per delivery. One row per delivery and metric."
        ),
    )
    @retry_transient
    def drift_feed(context: dg.AssetExecutionContext, zones: ZonesResource) -> dg.MaterializeResult:
        zone = zones.get()
        results, reports = run_drift(feed, zone, list(context.partition_keys), severity)  # as its checks declare
        for period, rows in results.groupby("delivery_period"):
            drifted = rows[rows["is_drifted"]]
            for r in drifted.itertuples():
                context.log.warning(
                    f"{feed} {period}: {r.metric} drifted ({_fmt(r.statistic)} beyond {_fmt(r.threshold)}, "
                    f"reference {r.reference_periods})"
                )
            metadata: dict[str, object] = {
                "metrics_tested": int(rows["is_tested"].sum()),
                "metrics_drifted": dg.MetadataValue.json(sorted(drifted["metric"])),
            }
            if str(period) in reports:
                metadata["report"] = dg.MetadataValue.path(reports[str(period)])
            context.log_event(
                dg.AssetObservation(asset_key=context.asset_key, partition=str(period), metadata=metadata)
            )
        return dg.MaterializeResult(
            metadata={
                "deliveries": len(set(results["delivery_period"])) if not results.empty else 0,
                "metrics_drifted": int(results["is_drifted"].sum()) if not results.empty else 0,
                "reports": dg.MetadataValue.json(reports),
            },
            check_results=check_results(feed, results, reports),
        )

    return drift_feed


drift_assets = [build_drift_asset(feed) for feed in FEED_SPECS]

defs = dg.Definitions(assets=drift_assets)
