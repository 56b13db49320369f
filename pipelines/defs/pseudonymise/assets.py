"""``pseudonymised/<feed>`` and ``pseudonymised/person_keys``: what dbt may read.

Each asset key equals the key dagster-dbt gives the matching dbt source, so the Python assets and
the dbt models form one lineage graph. Feed rows are written per delivery period under
``pseudonymised/<feed>/period=YYYY-MM/``; the record -> person key map is a separate table, so a
re-link re-keys people without re-reading (and re-de-identifying) every delivery.
"""

import dagster as dg
import pandas as pd

from pipelines.defs.linkage.assets import identity_spine, spine_path
from pipelines.defs.partitions import delivery_partitions
from pipelines.defs.resources import DeidentifierResource, PseudonymisationKeyResource, ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import FeedSpec, Role
from pipelines.ingest.load import accepted_path
from pipelines.pseudonymisation import Reference, person_keys, pseudonymise_frame
from pipelines.settings import Zones


def output_path(zones: Zones, feed: str, period: str):
    return zones.pseudonymised / feed / f"period={period}" / "data.parquet"


def _write_parquet(frame: pd.DataFrame, target) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(target)


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
    )
    def pseudonymised_feed(
        context: dg.AssetExecutionContext,
        zones: ZonesResource,
        pseudonymisation_key: PseudonymisationKeyResource,
        deidentifier: DeidentifierResource,
    ) -> dg.MaterializeResult:
        zone = zones.get()
        key = pseudonymisation_key.get()
        deidentify = deidentifier.get().deidentify if spec.by_role(Role.FREE_TEXT) else None
        reference = Reference.load(zone.reference)
        rows = 0
        for period in context.partition_keys:
            source = accepted_path(zone, spec.name, period)
            target = output_path(zone, spec.name, period)
            if not source.exists():  # the delivery was rejected whole or never came: nothing to publish
                target.unlink(missing_ok=True)
                continue
            frame = pseudonymise_frame(spec, pd.read_parquet(source), key, reference, period, deidentify)
            _write_parquet(frame, target)
            rows += len(frame)
        return dg.MaterializeResult(
            metadata={"rows": dg.MetadataValue.int(rows), "key_id": dg.MetadataValue.text(key.key_id)}
        )

    return pseudonymised_feed


@dg.asset(
    key=["pseudonymised", "person_keys"],
    group_name="pseudonymise",
    deps=[identity_spine.key],
    kinds={"python", "parquet"},
    tags={"zone": "pseudonymised"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Each agency record's keyed person key, from the identity spine. One row per agency record.",
)
def pseudonymised_person_keys(
    zones: ZonesResource, pseudonymisation_key: PseudonymisationKeyResource
) -> dg.MaterializeResult:
    zone = zones.get()
    key = pseudonymisation_key.get()
    frame = person_keys(pd.read_parquet(spine_path(zone)), key)
    _write_parquet(frame, zone.pseudonymised / "person_keys" / "person_keys.parquet")
    return dg.MaterializeResult(
        metadata={
            "records": dg.MetadataValue.int(len(frame)),
            "people": dg.MetadataValue.int(int(frame["person_key"].nunique())),
            "key_id": dg.MetadataValue.text(key.key_id),
        }
    )


pseudonymised_assets = [build_pseudonymised_asset(spec) for spec in FEED_SPECS.values()]

defs = dg.Definitions(assets=[*pseudonymised_assets, pseudonymised_person_keys])
