"""``pseudonymised/synth_truth_<label>``: the synthetic truth's labels, keyed, so the warehouse can score itself.

Demo mode only: in production there is no truth, and the asset publishes empty tables (so the quality marts
say "not measured" rather than fail). Metadata holds row counts only.
"""

import dagster as dg

from pipelines.defs.ingest.assets import raw_assets
from pipelines.defs.resources import PseudonymisationKeyResource, ZonesResource
from pipelines.ops.atomic import write_parquet
from pipelines.ops.runs import retry_transient
from pipelines.privacy.keys import ensure_zone_key
from pipelines.settings import Zones, mode
from pipelines.truth_labels import LABEL_COLUMNS, empty_labels, truth_labels

DESCRIPTIONS = {
    "mental_health": "Which police, ambulance and ED records are truly mental-health related.",
    "feedback_themes": "The themes planted in each feedback comment.",
    "crisis_care_gaps": "Crisis contacts that ended without care, and whether a crisis plan was in force.",
}


def labels_dir(zones: Zones):
    return zones.pseudonymised / "synth_truth_labels"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["pseudonymised", f"synth_truth_{name}"],
            group_name="pseudonymise",
            deps=[a.key for a in raw_assets],
            kinds={"python", "parquet"},
            automation_condition=dg.AutomationCondition.eager(),
            tags={"zone": "pseudonymised"},
            description=f"Synthetic truth, keyed like the feeds: {DESCRIPTIONS[name]} Demo mode only; empty otherwise.",
        )
        for name in LABEL_COLUMNS
    ],
)
@retry_transient
def synth_truth_labels(
    context: dg.AssetExecutionContext, zones: ZonesResource, pseudonymisation_key: PseudonymisationKeyResource
):
    zone = zones.get()
    demo = mode() == "demo" and zone.synth_truth.is_dir()
    key = pseudonymisation_key.get()
    ensure_zone_key(zone.pseudonymised, key, "pseudonymised/synth_truth_labels")  # never mix key ids
    labels = truth_labels(zone.synth_truth, key) if demo else empty_labels()
    folder = labels_dir(zone)
    for name, frame in labels.items():
        write_parquet(frame, folder / f"{name}.parquet")
    context.log.info("synthetic truth labels: " + ", ".join(f"{n} {len(f)} rows" for n, f in labels.items()))
    for name, frame in labels.items():
        yield dg.MaterializeResult(
            asset_key=["pseudonymised", f"synth_truth_{name}"],
            metadata={"measured_against_truth": demo, "rows": dg.MetadataValue.int(len(frame))},
        )


defs = dg.Definitions(assets=[synth_truth_labels])
