"""What dbt may read: ``pseudonymised/<feed>``, ``identity/opt_out``, ``pseudonymised/person_keys``, the rollout.

``pseudonymised/programme_rollout`` copies the reference file ``programme_rollout.csv`` (no identifiers) as parquet.

Each asset key equals the key dagster-dbt gives the matching dbt source, so the Python assets and
the dbt models form one lineage graph. Feed rows are written per delivery period under
``pseudonymised/<feed>/period=YYYY-MM/``; the record -> person key map is a separate table, so a
re-link re-keys people without re-reading (and re-de-identifying) every delivery.

The national data opt-out is applied to people (``pipelines.linkage.opt_out``): as each delivery is
published, and again by ``identity/opt_out`` after every linkage run, which rewrites the published
partitions that hold a record of a person now known to have opted out (and reports those partitions
as materialised, so the warehouse rebuilds them). Person keys leave out every excluded record.
"""

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.defs.linkage.assets import identity_spine, spine_path
from pipelines.defs.partitions import delivery_partitions
from pipelines.defs.resources import DeidentifierResource, PseudonymisationKeyResource, ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import FeedSpec, Role
from pipelines.linkage.opt_out import (
    REASON_PERSON,
    REASON_RECORD,
    OptOut,
    append_trail,
    apply_opt_out,
    excluded_keys,
    new_run_id,
    opt_out_scope,
    publication_trail_row,
    published_path,
)
from pipelines.ops.atomic import write_parquet
from pipelines.ops.audit import record
from pipelines.ops.retention import is_purged
from pipelines.ops.runs import ingest_pool, retry_transient
from pipelines.privacy.keys import ensure_zone_key
from pipelines.pseudonymisation import (
    PROGRAMME_ROLLOUT_FILE,
    Deidentify,
    Reference,
    person_keys,
    programme_rollout,
    publish_period,
)
from pipelines.settings import Zones


def output_path(zones: Zones, feed: str, period: str):
    return published_path(zones, feed, period)


OPT_OUT_FEEDS = [spec for spec in FEED_SPECS.values() if opt_out_scope(spec) is not None]


def _write_parquet(frame: pd.DataFrame, target: Path) -> None:
    write_parquet(frame, target)


def _timed(deidentify: Deidentify, seconds: list[float]) -> Deidentify:
    """``deidentify`` adding its wall time to ``seconds[0]``."""

    def timed(texts: Sequence[str], known: Sequence[Mapping[str, str | None]]) -> list[str]:
        started = time.perf_counter()
        try:
            return deidentify(texts, known)
        finally:
            seconds[0] += time.perf_counter() - started

    return timed


def build_pseudonymised_asset(spec: FeedSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=["pseudonymised", spec.name],
        group_name="pseudonymise",
        partitions_def=delivery_partitions(spec.name),
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetKey(["raw", spec.name])],
        kinds={"python", "parquet"},
        tags={"zone": "pseudonymised"},
        description=f"{spec.agency}, pseudonymised. {spec.description}",
        pool=ingest_pool(spec.name),
    )
    @retry_transient
    def pseudonymised_feed(
        context: dg.AssetExecutionContext,
        zones: ZonesResource,
        pseudonymisation_key: PseudonymisationKeyResource,
        deidentifier: DeidentifierResource,
    ) -> dg.MaterializeResult:
        zone = zones.get()
        key = pseudonymisation_key.get()
        deidentify = deidentifier.get().deidentify if spec.by_role(Role.FREE_TEXT) else None
        deid_seconds = [0.0]  # `hfc bench e2e` separates de-identification from pseudonymisation by this
        if deidentify is not None:
            deidentify = _timed(deidentify, deid_seconds)
        reference = Reference.load(zone.reference)
        opt_out = OptOut.load(zone.identity)
        run_id = new_run_id()
        published = [
            publish_period(spec, zone, period, key, reference, opt_out, deidentify, run_id=run_id)
            for period in context.partition_keys
        ]
        reasons = [p.reasons for p in published if p.reasons is not None]
        for p in published:
            if p.reasons is None and is_purged(zone, spec.name, p.period):
                continue  # purged under retention: its partition was kept as it was
            record(
                "pseudonymise.publish" if p.reasons is not None else "pseudonymise.withdraw",
                root=zone.root,
                run_id=context.run_id,
                feed=spec.name,
                period=p.period,
                rows=p.rows,
                rows_excluded_opt_out=int(p.reasons.notna().sum()) if p.reasons is not None else 0,
                key_id=key.key_id,
            )
        if opt_out_scope(spec) is not None:
            append_trail(zone, [publication_trail_row(run_id, opt_out, spec.name, len(reasons), reasons)])
        return dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(sum(p.rows for p in published)),
                "rows_excluded_opt_out": dg.MetadataValue.int(sum(int(r.notna().sum()) for r in reasons)),
                "key_id": dg.MetadataValue.text(key.key_id),
                "deid_seconds": dg.MetadataValue.float(round(deid_seconds[0], 3)),
            }
        )

    return pseudonymised_feed


@dg.asset(
    key=["identity", "opt_out"],
    group_name="pseudonymise",
    deps=[identity_spine.key, *(dg.AssetKey(["pseudonymised", spec.name]) for spec in OPT_OUT_FEEDS)],
    kinds={"python", "parquet"},
    tags={"zone": "identifiable"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "The national data opt-out re-applied to people after linkage: every published record of a person linked to "
        "an opted-out NHS number is removed from the pseudonymised zone, counted per delivery with its reason, and "
        "the application recorded in the identity zone's audit trail. One row per excluded record (identity zone)."
    ),
)
@retry_transient
def opt_out_applied(
    context: dg.AssetExecutionContext,
    zones: ZonesResource,
    pseudonymisation_key: PseudonymisationKeyResource,
    deidentifier: DeidentifierResource,
) -> dg.MaterializeResult:
    zone = zones.get()
    key = pseudonymisation_key.get()
    reference = Reference.load(zone.reference)

    def republish(spec: FeedSpec, period: str) -> None:
        deidentify = deidentifier.get().deidentify if spec.by_role(Role.FREE_TEXT) else None
        publish_period(spec, zone, period, key, reference, OptOut.load(zone.identity), deidentify)

    results, opt_out = apply_opt_out(zone, OPT_OUT_FEEDS, key, republish)
    for result in results:  # the partitions that changed: dbt's staging models rebuild from them
        for period in sorted({*result.rewritten, *result.republished, *result.removed}):
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=["pseudonymised", result.feed],
                    partition=period,
                    description="national data opt-out re-applied after linkage",
                    metadata={"rewritten_by": "identity/opt_out"},
                )
            )
    excluded = sum(r.rows_excluded for r in results)
    record(
        "opt_out.apply",
        root=zone.root,
        run_id=context.run_id,
        key_id=key.key_id,
        list_size=len(opt_out.numbers),
        people_opted_out=opt_out.people,
        rows_excluded=excluded,
        rows_excluded_record=sum(r.rows_excluded_record for r in results),
        rows_excluded_person=sum(r.rows_excluded_person for r in results),
        rows_newly_excluded=sum(r.rows_newly_excluded for r in results),
        rows_reinstated=sum(r.rows_reinstated for r in results),
        partitions_rewritten=sum(len(r.rewritten) for r in results),
        partitions_republished=sum(len(r.republished) for r in results),
        partitions_withdrawn=sum(len(r.removed) for r in results),
    )
    context.log.info(
        f"national data opt-out: {excluded} records excluded across {len(results)} feeds, "
        f"{sum(r.rows_newly_excluded for r in results)} newly, {sum(r.rows_reinstated for r in results)} reinstated"
    )
    return dg.MaterializeResult(
        metadata={
            "people_opted_out": dg.MetadataValue.int(opt_out.people),
            "rows_excluded": dg.MetadataValue.int(excluded),
            REASON_RECORD: dg.MetadataValue.int(sum(r.rows_excluded_record for r in results)),
            REASON_PERSON: dg.MetadataValue.int(sum(r.rows_excluded_person for r in results)),
            "rows_newly_excluded": dg.MetadataValue.int(sum(r.rows_newly_excluded for r in results)),
            "rows_reinstated": dg.MetadataValue.int(sum(r.rows_reinstated for r in results)),
            "partitions_rewritten": dg.MetadataValue.int(sum(len(r.rewritten) for r in results)),
            "partitions_republished": dg.MetadataValue.int(sum(len(r.republished) for r in results)),
            "by_feed": dg.MetadataValue.md(
                "| feed | deliveries | excluded (own NHS number) | excluded (linked person) | rewritten |\n"
                "|---|---|---|---|---|\n"
                + "\n".join(
                    f"| {r.feed} | {r.deliveries} | {r.rows_excluded_record} | {r.rows_excluded_person} | "
                    f"{len(r.rewritten)} |"
                    for r in results
                )
            ),
        }
    )


@dg.asset(
    key=["pseudonymised", "person_keys"],
    group_name="pseudonymise",
    deps=[identity_spine.key, opt_out_applied.key],
    kinds={"python", "parquet"},
    tags={"zone": "pseudonymised"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "Each agency record's keyed person key, from the identity spine, leaving out records the national data "
        "opt-out excludes, with its person under the strict and the lenient linkage (sensitivity analyses). One row "
        "per agency record."
    ),
)
@retry_transient
def pseudonymised_person_keys(
    context: dg.AssetExecutionContext, zones: ZonesResource, pseudonymisation_key: PseudonymisationKeyResource
) -> dg.MaterializeResult:
    zone = zones.get()
    key = pseudonymisation_key.get()
    ensure_zone_key(zone.pseudonymised, key, "pseudonymised/person_keys")  # never mix key ids
    frame = person_keys(pd.read_parquet(spine_path(zone)), key)
    excluded = excluded_keys(zone, OPT_OUT_FEEDS, key)
    drop = pd.MultiIndex.from_frame(frame[["feed", "record_key"]]).isin(
        pd.MultiIndex.from_frame(excluded[["feed", "record_key"]])
    )
    frame = frame.loc[~drop].reset_index(drop=True)
    _write_parquet(frame, zone.pseudonymised / "person_keys" / "person_keys.parquet")
    record(
        "pseudonymise.person_keys",
        root=zone.root,
        run_id=context.run_id,
        records=len(frame),
        people=int(frame["person_key"].nunique()),
        records_excluded_opt_out=int(drop.sum()),
        key_id=key.key_id,
    )
    return dg.MaterializeResult(
        metadata={
            "records": dg.MetadataValue.int(len(frame)),
            "people": dg.MetadataValue.int(int(frame["person_key"].nunique())),
            # the alternative linkages for sensitivity analyses: more people (strict) or fewer (lenient)
            "people_strict_linkage": dg.MetadataValue.int(int(frame["person_key_strict"].nunique())),
            "people_lenient_linkage": dg.MetadataValue.int(int(frame["person_key_lenient"].nunique())),
            "records_excluded_opt_out": dg.MetadataValue.int(int(drop.sum())),
            "key_id": dg.MetadataValue.text(key.key_id),
        }
    )


def rollout_path(zones: Zones) -> Path:
    return zones.pseudonymised / "reference" / "programme_rollout.parquet"


@dg.asset(
    key=["pseudonymised", "programme_rollout"],
    group_name="pseudonymise",
    kinds={"python", "parquet"},
    tags={"zone": "pseudonymised"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "The programme's rollout by locality (reference/programme_rollout.csv: locality_code, intervention, "
        "go_live_date; blank = not live): a commissioning fact without identifiers, copied as it is. An empty table "
        "when the file is not delivered. One row per locality and intervention."
    ),
)
@retry_transient
def pseudonymised_programme_rollout(zones: ZonesResource) -> dg.MaterializeResult:
    zone = zones.get()
    frame = programme_rollout(zone.reference)
    _write_parquet(frame, rollout_path(zone))
    return dg.MaterializeResult(
        metadata={
            "delivered": dg.MetadataValue.bool((zone.reference / PROGRAMME_ROLLOUT_FILE).exists()),
            "rows": dg.MetadataValue.int(len(frame)),
            "localities": dg.MetadataValue.int(int(frame["locality_code"].nunique())),
        }
    )


pseudonymised_assets = [build_pseudonymised_asset(spec) for spec in FEED_SPECS.values()]

defs = dg.Definitions(
    assets=[*pseudonymised_assets, opt_out_applied, pseudonymised_person_keys, pseudonymised_programme_rollout]
)
