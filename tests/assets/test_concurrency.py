"""One warehouse writer at a time, one ingest per feed at a time, other feeds alongside (pipelines/ops/runs.py)."""

from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import PoolGranularity
from dagster._core.op_concurrency_limits_counter import GlobalOpConcurrencyLimitsCounter
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter
from dagster._core.utils import make_new_run_id

from pipelines.feeds import FEED_SPECS
from pipelines.ops.runs import WAREHOUSE_POOL, ingest_pool
from pipelines.settings import REPO_ROOT


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from pipelines.definitions import defs

    return defs


def _pools(defs: dg.Definitions) -> dict[str, str | None]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): graph.assets_def_for_key(key).op.pool
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }


def test_warehouse_writers_share_one_pool_and_each_feed_has_its_own(defs: dg.Definitions) -> None:
    pools = _pools(defs)
    writers = {k for k, pool in pools.items() if pool == WAREHOUSE_POOL}
    assert "release/dashboards" in writers
    assert {"marts/fct_contacts", "dashboards/dash_cohort_sizes", "staging/stg_identity__person_keys"} <= writers
    assert all(pools[k] == WAREHOUSE_POOL for k in pools if k.split("/")[0] in {"staging", "marts", "dashboards"})
    for feed in FEED_SPECS:
        assert pools[f"raw/{feed}"] == pools[f"pseudonymised/{feed}"] == ingest_pool(feed)
    # linkage, the opt-out and drift hold no pool: the publication lock orders their writes to a feed's partitions
    assert pools["identity/spine"] is None and pools["identity/opt_out"] is None


def _instance_config() -> dict:
    return yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())


def test_dagster_yaml_limits_every_pool_to_one_run(tmp_path: Path) -> None:
    with dg.instance_for_test(overrides=_instance_config(), temp_dir=str(tmp_path)) as instance:
        config = instance.get_concurrency_config()
        assert config.pool_config.pool_granularity == PoolGranularity.RUN
        assert config.pool_config.default_pool_limit == 1
        assert config.run_queue_config is not None and config.run_queue_config.max_concurrent_runs == 2
        assert config.run_queue_config.should_block_op_concurrency_limited_runs
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
        assert not instance.run_retries_retry_on_asset_or_op_failure  # a blocked delivery is not run again


@pytest.mark.slow  # plans two runs of the whole graph
def test_the_queue_holds_a_second_warehouse_run_and_lets_other_feeds_in(defs: dg.Definitions, tmp_path: Path) -> None:
    """The queue's own decision (the daemon's counter) on runs of the code location's jobs."""
    with dg.instance_for_test(overrides=_instance_config(), temp_dir=str(tmp_path)) as instance:

        def run(job: str, status: DagsterRunStatus) -> dg.DagsterRun:
            return instance.create_run_for_job(defs.resolve_job_def(job), status=status)

        refresh = run("daily_refresh", DagsterRunStatus.STARTED)
        police = run("ingest_police_incidents", DagsterRunStatus.STARTED)
        # a queued run needs a code location's origin; the counter reads only the runs' pools, so copies will do
        queued = {
            "refresh": refresh._replace(run_id=make_new_run_id(), status=DagsterRunStatus.NOT_STARTED),
            "police": police._replace(run_id=make_new_run_id(), status=DagsterRunStatus.NOT_STARTED),
            "ambulance": run("ingest_ambulance_calls", DagsterRunStatus.NOT_STARTED),
        }
        in_progress = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED]))

        def counter() -> GlobalOpConcurrencyLimitsCounter:
            storage = instance.event_log_storage
            return GlobalOpConcurrencyLimitsCounter(
                instance,
                list(queued.values()),
                in_progress,
                concurrency_keys=storage.get_concurrency_keys(),
                pool_limits=storage.get_pool_limits(),
                pool_granularity=PoolGranularity.RUN,
            )

        counter()  # the first pass gives the pools their default limit, as the daemon's first tick does
        blocked = {name for name, r in queued.items() if counter().is_blocked(r)}
    assert blocked == {"refresh", "police"}
