"""``identity/spine``: every agency record -> a stable person id, inside the identifiable zone.

Linkage needs readable identifiers, so it runs here, before pseudonymisation (Splink on DuckDB,
``pipelines.linkage``); only the stable person id leaves, and only as a keyed HMAC ``person_key``.
Linkage quality (rates and counts, no identifiers) is published for evaluators as
``pseudonymised/linkage_quality``. Metadata holds counts, never values.
"""

import hashlib
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from pipelines.defs.ingest.assets import raw_assets
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import ACCEPTED_DIR
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.inputs import canonical_records
from pipelines.linkage.quality import QUALITY_COLUMNS
from pipelines.linkage.spine import LINKS_FILE, MODEL_FILE, build_spine, read_spine
from pipelines.ops.atomic import write_parquet
from pipelines.ops.audit import record
from pipelines.ops.retention import purged_records
from pipelines.ops.runs import retry_transient
from pipelines.settings import Zones, mode

SPINE_FILE = "record_person.parquet"


def spine_path(zones: Zones) -> Path:
    return zones.identity / SPINE_FILE


def quality_path(zones: Zones) -> Path:
    return zones.pseudonymised / "linkage_quality" / "linkage_quality.parquet"


def accepted_person_records(zones: Zones) -> pd.DataFrame:
    """Every accepted row of every feed as linkage input; a record re-sent in a later delivery counts once."""
    frames = []
    for feed, spec in FEED_SPECS.items():
        folder = zones.landing / ACCEPTED_DIR / feed
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            frames.append(canonical_records(pd.read_parquet(path), spec))
    kept = _purged_spine_records(zones)
    if len(kept):  # purged under retention: linked from the values the spine stored, so they are not "gone"
        frames.insert(0, kept)
    if not frames:
        return pd.DataFrame(columns=["record_id", "source"])
    records = concat_typed(frames)
    return records.drop_duplicates(["source", "record_id"], keep="last").reset_index(drop=True)


def concat_typed(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)`` with each column's dtype chosen explicitly, as pandas 2 chooses it.

    A feed without an identity field gives an all-None ``object`` column, where the others give ``string``; an empty
    period gives an empty frame. pandas 2 leaves such entries out when it picks the result's dtype (``string``), and
    warns that pandas 3 will not (``object``). So the dtype is taken from the frames with a value in the column, and
    every frame's column (a missing one too) is cast to it before the concat: the same frame, in any version."""
    columns: list[str] = []
    for frame in frames:
        columns.extend(c for c in frame.columns if c not in columns)
    dtypes = {}
    for column in columns:
        holding = [f[[column]].iloc[:0] for f in frames if column in f.columns and f[column].notna().any()]
        if holding:  # zero rows each: pandas' own common dtype of those columns, for the cost of nothing
            dtypes[column] = pd.concat(holding, ignore_index=True)[column].dtype
    aligned = []
    for frame in frames:
        frame = frame.reindex(columns=columns)  # a missing column: all NA, then cast as the others
        cast = {c: t for c, t in dtypes.items() if frame[c].dtype != t}
        aligned.append(frame.astype(cast) if cast else frame)
    return pd.concat(aligned, ignore_index=True)


def _purged_spine_records(zones: Zones) -> pd.DataFrame:
    """The spine's stored identity values of records whose accepted rows were purged (``hfc purge``)."""
    from pipelines.linkage.spine import IDENTITY_COLUMNS

    purged = pd.concat([purged_records(zones, feed) for feed in FEED_SPECS], ignore_index=True)
    if not len(purged):
        return pd.DataFrame(columns=["record_id", "source"])
    spine = read_spine(zones.identity)
    wanted = pd.MultiIndex.from_frame(purged[["source", "record_id"]].astype(str))
    have = pd.MultiIndex.from_frame(spine[["source", "record_id"]].astype(str))
    columns = ["record_id", "source", *(c for c in IDENTITY_COLUMNS if c in spine.columns)]
    return spine.loc[have.isin(wanted), columns].reset_index(drop=True)


def synthetic_truth(zones: Zones) -> pd.DataFrame | None:
    """Who is really who, for measuring linkage error on the synthetic county (demo mode only).

    Linking never sees it: it is passed to build_spine only to score the result it already made.
    """
    folder = zones.synth_truth
    if mode() != "demo" or not (folder / "records.csv").exists():
        return None
    records = pd.read_csv(folder / "records.csv", dtype=str, usecols=["feed", "record_id", "person_id"])
    people = pd.read_csv(folder / "people.csv", dtype=str, usecols=["person_id", "ethnicity_group"])
    return records.rename(columns={"feed": "source"}).merge(people, on="person_id", how="left")


@dg.asset(
    key=["identity", "spine"],
    group_name="linkage",
    deps=[a.key for a in raw_assets],
    kinds={"python", "splink"},
    automation_condition=dg.AutomationCondition.eager(),
    tags={"zone": "identifiable"},
    description="Identity spine: each agency record's stable person id. One row per agency record.",
)
@retry_transient
def identity_spine(context: dg.AssetExecutionContext, zones: ZonesResource) -> dg.MaterializeResult:
    zone = zones.get()
    records = accepted_person_records(zone)
    result = build_spine(records, zone.identity, LinkageSettings.from_env(), truth=synthetic_truth(zone))
    spine = result.mapping[["source", "record_id", "person_id", "person_id_strict", "person_id_lenient"]]
    write_parquet(spine, spine_path(zone))

    quality = result.quality if result.quality is not None else pd.DataFrame(columns=list(QUALITY_COLUMNS))
    # always written: an empty table says "no new records to measure"
    write_parquet(quality.assign(run_id=result.run_id).astype({"run_id": "string"}), quality_path(zone))
    overall = None
    if result.quality is not None and len(result.quality):
        overall = result.quality.loc[result.quality["scope"] == "overall"].head(1)
    links = zone.identity / LINKS_FILE
    model = zone.identity / MODEL_FILE
    record(
        "linkage.run",
        root=zone.root,
        run_id=context.run_id,
        spine_run_id=result.run_id,
        records=len(spine),
        people=int(result.n_people),
        new_records=int(result.n_new_records),
        records_corrected=int(result.n_corrected),
        records_relinked=int(result.n_relinked),
        merges=int(result.n_merges),
        splits=int(result.n_splits),
        links=pq.read_metadata(links).num_rows if links.exists() else 0,
        clerical_review_pairs=int(result.n_review_pairs),
        model_sha256=hashlib.sha256(model.read_bytes()).hexdigest()[:16] if model.exists() else None,
    )
    context.log.info(
        f"identity spine: {len(spine)} records, {result.n_people} people, {result.n_new_records} new, "
        f"{result.n_corrected} corrected ({result.n_relinked} re-linked), {result.n_merges} merges, "
        f"{result.n_splits} splits, {result.n_review_pairs} pairs for clerical review"
    )
    metadata: dict[str, object] = {
        "records": dg.MetadataValue.int(len(spine)),
        "people": dg.MetadataValue.int(int(result.n_people)),
        "new_records": dg.MetadataValue.int(int(result.n_new_records)),
        "merges": dg.MetadataValue.int(int(result.n_merges)),
        "splits": dg.MetadataValue.int(int(result.n_splits)),
        # records whose identifiers a later delivery corrected (re-scored), and those whose person changed
        "records_corrected": dg.MetadataValue.int(int(result.n_corrected)),
        "records_relinked": dg.MetadataValue.int(int(result.n_relinked)),
        "clerical_review_pairs": dg.MetadataValue.int(int(result.n_review_pairs)),
    }
    if overall is not None and len(overall):
        row = overall.iloc[0]
        metadata.update(
            {
                "quality_method": dg.MetadataValue.text(str(row["method"])),
                "pairwise_precision": dg.MetadataValue.float(float(row["precision"])),
                "pairwise_recall": dg.MetadataValue.float(float(row["recall"])),
                "pairwise_f1": dg.MetadataValue.float(float(row["f1"])),
            }
        )
    return dg.MaterializeResult(metadata=metadata)


defs = dg.Definitions(assets=[identity_spine])
