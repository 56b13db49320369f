"""The dbt project as Dagster assets (dagster-dbt), building ``warehouse/outcomes.duckdb``.

DuckDB allows one writer, and evaluators and dashboards hold the published file open read-only.
dbt builds into a copy of the full warehouse (kept in the restricted zone, because it holds the
de-identified free text of the ``restricted`` schema); only when ``dbt build`` passes is the
published file rewritten from it without that schema and swapped in with an atomic rename, so
readers never see a half-built warehouse and never see free text. Between the build and the swap, the
dash tables get their complementary suppression and must pass the differencing audit (docs/disclosure.md):
a build that cannot be protected is not published.
"""

import fcntl
import importlib.metadata
import os
import shutil
import signal
import sys
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError
from packaging import version

from pipelines.disclosure.secondary import Protection, protect_warehouse
from pipelines.ops.audit import record
from pipelines.ops.integrity import check_before_build
from pipelines.ops.recovery import recover
from pipelines.ops.runs import WAREHOUSE_POOL, retry_transient
from pipelines.privacy.keys import check_zone_consistent
from pipelines.settings import (
    REPO_ROOT,
    disclosure_rounding_base,
    disclosure_threshold,
    restricted_publish_path,
    restricted_warehouse_path,
    warehouse_path,
    zones,
)
from pipelines.warehouse.publish import publish

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# dbt is installed beside this interpreter (.venv/bin/dbt); dagster-dbt looks for it on PATH, which
# is not set when the venv is not activated (make, cron, a UI started by its full path).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for sub in ("models", "macros", "seeds", "tests"):
        watched.extend((DBT_PROJECT_DIR / sub).rglob("*"))
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


class OfflineDbtCliResource(DbtCliResource):
    """dagster-dbt learns dbt's version by running ``dbt --version``, which asks pypi.org for the
    latest release (a phone-home the end-to-end network test caught). The installed package knows."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def _parse() -> None:
    os.environ.setdefault("HFC_PSEUDONYMISED_DIR", str(zones().pseudonymised))
    OfflineDbtCliResource(project_dir=dbt_project).cli(["--quiet", "parse"], target_path=dbt_project.target_path).wait()


def prepare_dbt_project() -> None:
    """Parse the project into target/manifest.json when it is missing or older than the models.

    Under a lock: two processes importing the definitions at once (``pytest -n 2`` on a fresh clone, a UI beside a
    run) would otherwise both parse into the same target and leave a manifest with one write after the other.
    """
    if not _manifest_is_stale():
        return
    target = Path(dbt_project.target_path)
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _manifest_is_stale():  # another process may have parsed while this one waited
                _parse()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


prepare_dbt_project()


class HfcDbtTranslator(DagsterDbtTranslator):
    """dbt folders decide the Dagster group, so folder, schema and UI agree."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return dg.AutomationCondition.eager()


def dbt_environment() -> dict[str, str]:
    """What dbt reads from the environment; the disclosure settings are checked here first (a value that would
    weaken control fails the run before dbt starts) and again by dbt's own macros."""
    return {
        "HFC_PSEUDONYMISED_DIR": str(zones().pseudonymised),
        "HFC_DISCLOSURE_THRESHOLD": str(disclosure_threshold()),
        "HFC_DISCLOSURE_ROUNDING_BASE": str(disclosure_rounding_base()),
    }


def protect_dashboards(building: Path) -> Protection:
    """Complementary suppression of the built dash tables until the differencing audit passes (or the run fails)."""
    with duckdb.connect(str(building)) as con:
        return protect_warehouse(con, disclosure_threshold(), disclosure_rounding_base())


class DbtKilled(RuntimeError):
    """dbt's process was killed by a signal (the out-of-memory killer's SIGKILL, most often)."""


def require_not_killed(returncode: int) -> None:
    """Raise :class:`DbtKilled` if dbt's process ended by a signal, saying so in words (a SIGKILL is almost always
    the out-of-memory killer); a failed model or test is left to dagster-dbt's own error."""
    if returncode >= 0:
        return
    number = -returncode
    name = signal.Signals(number).name if number in {s.value for s in signal.Signals} else f"signal {number}"
    likely = ", probably by the out-of-memory killer (see `dmesg` or the system journal)" if name == "SIGKILL" else ""
    raise DbtKilled(
        f"dbt build was killed by {name}{likely}: nothing was published (the previous warehouse stands) and "
        f"the building copy is removed; free memory (fewer dbt threads, or a larger machine) and re-run"
    )


# one warehouse writer at a time (the pool's limit is in dagster.yaml); a DuckDB lock conflict is retried
@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=HfcDbtTranslator(), pool=WAREHOUSE_POOL)
@retry_transient
def warehouse_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    recover(zones(), context.instance, current_run_id=context.run_id)  # a killed build's copy, runs left STARTED
    published = warehouse_path()
    full = restricted_warehouse_path()
    full.parent.mkdir(parents=True, exist_ok=True)
    building = full.with_name(f"{full.name}.building-{context.run_id[:8]}")
    # files first (a corrupt partition is named, with the backfill that rewrites it), then their key ids
    check_before_build(published, full, zones().pseudonymised, context.run_id, context.log.warning)
    check_zone_consistent(zones().pseudonymised, "dbt build")  # one key id across what dbt reads, or no build
    if full.exists():
        shutil.copy2(full, building)
    env = {**dbt_environment(), "HFC_WAREHOUSE_BUILD_PATH": str(building)}
    os.environ.update(env)
    try:
        invocation = dbt.cli(["build"], context=context)
        try:
            yield from invocation.stream()
        except DagsterDbtCliRuntimeError:
            require_not_killed(invocation.process.wait())
            raise
        protection = protect_dashboards(building)
        context.log.info(
            f"disclosure audit passed: {protection.audit.suppressed} cells suppressed by the rule, "
            f"{len(protection.withheld)} more withheld to protect them"
        )
        result = publish(building, published, restricted_publish_path())
        os.replace(building, full)
        record(
            "warehouse.publish",
            root=zones().root,
            run_id=context.run_id,
            warehouse=published.name,
            tables=result.tables,
            restricted_tables_kept_back=result.restricted_tables,
            cells_suppressed=protection.audit.suppressed,
            cells_withheld_complementary=len(protection.withheld),
        )
        context.log.info(
            f"published {result.tables} tables to the warehouse; {result.restricted_tables} restricted tables kept back"
        )
    finally:
        for leftover in (building, building.with_name(building.name + ".wal")):
            if leftover.exists():
                leftover.unlink()


defs = dg.Definitions(
    assets=[warehouse_dbt_assets],
    resources={
        "dbt": OfflineDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(DBT_PROJECT_DIR),
        )
    },
)
