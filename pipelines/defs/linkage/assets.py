"""``identity/spine``: every agency record -> a stable person id, inside the identifiable zone.

Linkage needs readable identifiers, so it runs here, before pseudonymisation; only the stable
person id leaves, and only as a keyed HMAC ``person_key``. Metadata holds counts, never values.
"""

import dagster as dg
import pandas as pd

from pipelines.defs.ingest.assets import raw_assets
from pipelines.defs.resources import ZonesResource
from pipelines.identity_records import all_person_records
from pipelines.settings import Zones

SPINE_FILE = "record_person.parquet"


def spine_path(zones: Zones):
    return zones.identity / SPINE_FILE


def placeholder_person_ids(records: pd.DataFrame) -> pd.Series:
    """Deterministic stand-in for linkage: a valid NHS number, else folded name + date of birth."""
    from pipelines.privacy.normalise import fold_name, normalise_nhs_number

    ids = []
    for nhs, given, family, dob, rid in zip(
        records["nhs_number"],
        records["given_name"],
        records["family_name"],
        records["date_of_birth"],
        records["record_id"],
        strict=True,
    ):
        norm = normalise_nhs_number(nhs if isinstance(nhs, str) else None)
        if norm:
            ids.append(f"nhs:{norm}")
        elif isinstance(family, str) and isinstance(dob, str):
            ids.append(f"name:{fold_name(given) or ''}|{fold_name(family)}|{dob}")
        else:
            ids.append(f"record:{rid}")
    return pd.Series(ids, index=records.index, dtype="string")


@dg.asset(
    key=["identity", "spine"],
    group_name="linkage",
    deps=[a.key for a in raw_assets],
    kinds={"python", "splink"},
    automation_condition=dg.AutomationCondition.eager(),
    tags={"zone": "identifiable"},
    description="Identity spine: each agency record's stable person id. One row per agency record.",
)
def identity_spine(context: dg.AssetExecutionContext, zones: ZonesResource) -> dg.MaterializeResult:
    zone = zones.get()
    records = all_person_records(zone)
    spine = pd.DataFrame({"record_id": records["record_id"], "person_id": placeholder_person_ids(records)})
    path = spine_path(zone)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    spine.to_parquet(tmp, index=False)
    tmp.replace(path)
    people = spine["person_id"].nunique()
    context.log.info(f"identity spine: {len(spine)} records, {people} people")
    return dg.MaterializeResult(
        metadata={"records": dg.MetadataValue.int(len(spine)), "people": dg.MetadataValue.int(int(people))}
    )


defs = dg.Definitions(assets=[identity_spine])
