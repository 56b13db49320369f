"""``raw/<feed>``: one asset per feed, partitioned by delivery period.

Each partition reads the newest delivery for its period, splits it into accepted rows (kept in the
identifiable zone for linkage and pseudonymisation) and quarantined rows or files (each with a
reason), and records the reconciliation as metadata: rows received = loaded + quarantined + excluded,
a file held whole counted with the rows it holds. Asset checks say what a person must see: the gate
(files held whole), the agency's control totals (a shortfall blocks by default), ingest warnings
(an encoding other than the declared one, a header and no rows, event dates far from the period,
files in the folder that are not this feed's deliveries) and the suite's warnings.
Metadata holds counts, reason codes and file names only, never a value from the file.

Counts in messages: a count this asset puts in a log line says 1 to the disclosure threshold as "fewer than N", as
``hfc demo`` does on screen (``pipelines.ops.progress.safe_count``); the exact counts are in the asset's and its
checks' metadata, for the reconciliation. Nothing here reaches an alert sink with a count: ``pipelines.ops.alerts``
forwards only the message of an exception our code raised (this asset raises none with a count), and a blocked
delivery by the names of its checks.
"""

import fcntl
import json

import dagster as dg

from pipelines.defs.partitions import delivery_partitions
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import FeedSpec
from pipelines.ingest.errors import Alert
from pipelines.ingest.landing import stray_files
from pipelines.ingest.load import LoadResult, load_period
from pipelines.ops.audit import record
from pipelines.ops.progress import safe_count
from pipelines.ops.runs import ingest_pool, retry_transient
from pipelines.settings import Zones, control_total_shortfall, disclosure_threshold


def _metadata(results: list[LoadResult]) -> dict[str, object]:
    received = sum(r.rows_received for r in results)
    loaded = sum(r.rows_loaded for r in results)
    quarantined = sum(r.rows_quarantined for r in results)
    excluded = sum(r.rows_excluded for r in results)
    reasons: dict[str, int] = {}
    for r in results:
        for reason, n in r.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    alerts: dict[str, int] = {}
    for r in results:
        for code in r.alert_codes:
            alerts[code] = alerts.get(code, 0) + 1
    return {
        "rows_received": dg.MetadataValue.int(received),
        "rows_loaded": dg.MetadataValue.int(loaded),
        "rows_quarantined": dg.MetadataValue.int(quarantined),
        "rows_excluded_opt_out": dg.MetadataValue.int(excluded),
        "reconciles": dg.MetadataValue.bool(received == loaded + quarantined + excluded),
        "files_rejected": dg.MetadataValue.int(sum(r.status == "rejected_file" for r in results)),
        "rows_held_in_rejected_files": dg.MetadataValue.int(
            sum(r.rows_quarantined for r in results if r.status == "rejected_file")
        ),
        "quarantine_reasons": dg.MetadataValue.json(reasons),
        "warnings": dg.MetadataValue.json(alerts),
        "deliveries": dg.MetadataValue.md(
            "| period | file | status | received | loaded | quarantined | excluded (opt-out) | control total |\n"
            "|---|---|---|---|---|---|---|---|\n"
            + "\n".join(
                f"| {r.period} | {r.file or '-'} | {r.status} | {r.rows_received} | {r.rows_loaded} | "
                f"{r.rows_quarantined} | {r.rows_excluded} | "
                f"{r.control_total if r.control_total is not None else '-'} |"
                for r in results
            )
        ),
    }


GATE_CHECK = "great_expectations_gate"
WARNINGS_CHECK = "great_expectations_warnings"
RECONCILIATION_CHECK = "rows_reconcile"
CONTROL_TOTAL_CHECK = "control_total"
INGEST_WARNINGS_CHECK = "ingest_warnings"
# Alerts with a check of their own: the control total's
CONTROL_ALERTS = frozenset({"control_total_shortfall", "control_total_excess", "control_total_missing"})


def _check_results(
    spec: FeedSpec, results: list[LoadResult], strays: list[Alert] | None = None, shortfall: str = "block"
) -> list[dg.AssetCheckResult]:
    """The verdicts on this run's deliveries, as Dagster asset checks.

    The gate is blocking: a delivery that fails a blocking expectation, or that the reader cannot load as this
    feed, is quarantined whole, and the check fails with severity ERROR so that nothing downstream of this run
    publishes. The control total check fails with severity ERROR for a shortfall (the delivery is held whole)
    unless ``HFC_CONTROL_TOTAL_SHORTFALL=warn``; an excess or a missing control total is a warning. Ingest
    warnings and the suite's warnings (row-count drift, identifier format rates) never block.
    """
    strays = strays or []
    validated = [r for r in results if r.validation is not None]
    blocked = [r for r in validated if not r.validation.blocking_success]  # type: ignore[union-attr]
    warned = [r for r in validated if r.validation.warnings]  # type: ignore[union-attr]
    rejected_by_reader = [
        r
        for r in results
        if r.status == "rejected_file" and r.validation is None and "control_total_shortfall" not in r.reasons
    ]

    def lines(items: list[LoadResult]) -> str:
        return "\n".join(
            f"- {r.period} {r.file}: {r.validation.message() if r.validation else r.message}" for r in items
        )

    def alert_lines(pairs: list[tuple[str, Alert]]) -> str:
        return "\n".join(f"- {period}: {a.message}" for period, a in pairs)

    control = [(r.period, a) for r in results for a in r.alerts if a.code in CONTROL_ALERTS]
    shortfalls = [(p, a) for p, a in control if a.code == "control_total_shortfall"]
    ingest = [(r.period, a) for r in results for a in r.alerts if a.code not in CONTROL_ALERTS]
    ingest += [("folder", a) for a in strays]
    gate_failed = blocked + rejected_by_reader
    with_totals = [r for r in results if r.control_total is not None]
    return [
        dg.AssetCheckResult(
            check_name=GATE_CHECK,
            passed=not gate_failed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "deliveries_validated": len(validated),
                "deliveries_quarantined_whole": len(gate_failed),
                "rows_held": sum(r.rows_quarantined for r in gate_failed),
                "details": dg.MetadataValue.md(lines(gate_failed) or "every delivery passed"),
            },
        ),
        dg.AssetCheckResult(
            check_name=CONTROL_TOTAL_CHECK,
            passed=not control,
            severity=(
                dg.AssetCheckSeverity.ERROR if shortfalls and shortfall == "block" else dg.AssetCheckSeverity.WARN
            ),
            metadata={
                "deliveries_with_control_totals": len(with_totals),
                "shortfalls": len(shortfalls),
                "rows_short": sum(-(r.control_difference or 0) for r in with_totals if (r.control_difference or 0) < 0),
                "on_shortfall": shortfall,
                "details": dg.MetadataValue.md(alert_lines(control) or "every control total matches"),
            },
        ),
        dg.AssetCheckResult(
            check_name=INGEST_WARNINGS_CHECK,
            passed=not ingest,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "warnings": len(ingest),
                "codes": dg.MetadataValue.json(sorted({a.code for _, a in ingest})),
                "details": dg.MetadataValue.md(alert_lines(ingest) or "no warnings"),
            },
        ),
        dg.AssetCheckResult(
            check_name=WARNINGS_CHECK,
            passed=not warned,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "deliveries_with_warnings": len(warned),
                "details": dg.MetadataValue.md(lines(warned) or "no warnings"),
            },
        ),
        dg.AssetCheckResult(
            check_name=RECONCILIATION_CHECK,
            passed=all(r.reconciles for r in results),
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_received": sum(r.rows_received for r in results),
                "rows_loaded": sum(r.rows_loaded for r in results),
                "rows_quarantined": sum(r.rows_quarantined for r in results),
                "rows_excluded_opt_out": sum(r.rows_excluded for r in results),
            },
        ),
    ]


def _write_validation_reports(zone: Zones, results: list[LoadResult]) -> None:
    """Counts-only validation results in the reports zone, and Data Docs rebuilt from them."""
    summaries = [r.validation for r in results if r.validation is not None]
    if not summaries:
        return
    from pipelines.ingest.data_docs import build_data_docs

    folder = zone.reports / "validations"
    for summary in summaries:
        target = folder / summary.feed / f"{summary.period}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(summary.as_dict(), indent=2, default=str), encoding="utf-8")
    docs = zone.reports / "data_docs"
    docs.mkdir(parents=True, exist_ok=True)
    with (docs / ".lock").open("w") as lock:  # runs of different feeds may build at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        build_data_docs(summaries, docs)


def build_raw_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    others = tuple(s for s in FEED_SPECS.values() if s.name != spec.name)
    check_specs = [
        dg.AssetCheckSpec(
            GATE_CHECK,
            asset=["raw", spec.name],
            blocking=True,
            description=f"Blocking expectations of expectations/{spec.name}.json",
        ),
        dg.AssetCheckSpec(
            CONTROL_TOTAL_CHECK,
            asset=["raw", spec.name],
            blocking=True,
            description=(
                "Rows in each delivery against the agency's own control total (<file>.ctl): a shortfall holds the "
                "delivery and blocks (HFC_CONTROL_TOTAL_SHORTFALL=warn makes it a warning); an excess, or a missing "
                "control total where the agency sends them, warns."
            ),
        ),
        dg.AssetCheckSpec(
            INGEST_WARNINGS_CHECK,
            asset=["raw", spec.name],
            description=(
                "What ingest loaded but a person must see: an encoding other than the declared one, a header and no "
                "rows, event dates far from the period, files in the feed's folder that are not its deliveries."
            ),
        ),
        dg.AssetCheckSpec(
            WARNINGS_CHECK,
            asset=["raw", spec.name],
            description="Warning-level expectations: row-count drift, identifier format rates.",
        ),
        dg.AssetCheckSpec(
            RECONCILIATION_CHECK,
            asset=["raw", spec.name],
            blocking=True,
            description="Rows received = loaded + quarantined + excluded (opt-out), for every delivery.",
        ),
    ]

    @dg.asset(
        key=["raw", spec.name],
        group_name="ingest",
        partitions_def=delivery_partitions(spec.name),
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"python", "csv"},
        description=f"{spec.agency}: accepted rows of each delivery. {spec.description}",
        tags={"zone": "identifiable"},
        check_specs=check_specs,
        pool=ingest_pool(spec.name),
    )
    @retry_transient
    def raw_feed(context: dg.AssetExecutionContext, zones: ZonesResource) -> dg.MaterializeResult:
        zone = zones.get()
        shortfall = control_total_shortfall()
        threshold = disclosure_threshold()
        results = [load_period(spec, period, zone, others, shortfall=shortfall) for period in context.partition_keys]
        strays = [s.alert(spec) for s in stray_files(spec, zone, FEED_SPECS.values())]
        for alert in strays:
            context.log.warning(alert.message)
        for r in results:
            if r.status == "rejected_file":
                context.log.error(
                    f"{spec.name} {r.period} {r.file}: delivery quarantined whole "
                    f"({safe_count(r.rows_quarantined, threshold)} rows held): {r.message}"
                )
            elif r.validation is not None and r.validation.warnings:
                context.log.warning(r.validation.message())
            elif r.status == "no_delivery":
                context.log.warning(f"{spec.name} {r.period}: no delivery file")
            for note in r.notes:
                context.log.warning(f"{spec.name} {r.period} {r.file}: {note}")
            for alert in r.alerts:
                context.log.warning(alert.message)
            if not r.reconciles:  # cannot happen by construction; never let it pass silently
                raise RuntimeError(f"{spec.name} {r.period}: row counts do not reconcile")
            # One observation per partition, so the UI shows each delivery's reconciliation on its own.
            context.log_event(
                dg.AssetObservation(asset_key=context.asset_key, partition=r.period, metadata=_metadata([r]))
            )
        for r in results:
            if not r.purged:  # a purged period re-run changes nothing
                record(
                    "ingest.delivery",
                    root=zone.root,
                    run_id=context.run_id,
                    feed=spec.name,
                    period=r.period,
                    file=r.file,
                    status=r.status,
                    rows_received=r.rows_received,
                    rows_loaded=r.rows_loaded,
                    rows_quarantined=r.rows_quarantined,
                    rows_excluded=r.rows_excluded,
                    content_sha256=(r.content_hash or "")[:16] or None,
                    superseded_files=len(r.superseded_files),
                )
        _write_validation_reports(zone, results)
        return dg.MaterializeResult(
            metadata=_metadata(results), check_results=_check_results(spec, results, strays, shortfall)
        )

    return raw_feed


raw_assets = [build_raw_asset(spec) for spec in FEED_SPECS.values()]

defs = dg.Definitions(assets=raw_assets)
