"""The checked release: every dash table as files, written only when the release check passes.

``release/dashboards`` follows the dash tables by declarative automation, so every build that publishes also
produces a release in ``data/release/`` (``HFC_RELEASE_DIR``) that ``hfc check-release`` can verify on its own, and
its report in ``data/reports/release/``. Its metadata counts tables and cells, never a cell's value.
"""

import dagster as dg

from pipelines.defs.transform.assets import warehouse_dbt_assets
from pipelines.disclosure.release import ReleaseRefused, write_release
from pipelines.ops.audit import record
from pipelines.ops.runs import WAREHOUSE_POOL, retry_transient
from pipelines.settings import release_dir, warehouse_path, zones

# every dash model the dbt project builds: a new dash_* model joins the release without an edit here
DASHBOARD_KEYS = sorted((k for k in warehouse_dbt_assets.keys if k.path[0] == "dashboards"), key=lambda k: k.path)


@dg.asset(
    key=["release", "dashboards"],
    deps=DASHBOARD_KEYS,
    group_name="release",
    automation_condition=dg.AutomationCondition.eager(),
    description="Every dash_* table as CSV and parquet, with relations and a manifest, written only if it passes "
    "hfc check-release (docs/disclosure.md).",
    pool=WAREHOUSE_POOL,  # reads the published file while no build swaps it
)
@retry_transient
def release_dashboards(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    reports = zones().reports / "release"
    try:
        report = write_release(warehouse_path(), release_dir(), reports)
    except ReleaseRefused as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc  # a verdict, not a fault
    audit = report.audit
    assert audit is not None
    record(
        "release.write",
        root=zones().root,
        run_id=context.run_id,
        release=release_dir().name,
        tables=report.tables,
        cells=audit.cells,
        cells_suppressed=audit.suppressed,
        cells_suppressed_complementary=audit.complementary,
    )
    return dg.MaterializeResult(
        metadata={
            "release": dg.MetadataValue.path(str(release_dir())),
            "report": dg.MetadataValue.path(str(reports / "release_check.md")),
            "tables": report.tables,
            "cells": audit.cells,
            "cells_suppressed_by_the_rule": audit.suppressed,
            "cells_suppressed_complementary": audit.complementary,
        }
    )


defs = dg.Definitions(assets=[release_dashboards])
