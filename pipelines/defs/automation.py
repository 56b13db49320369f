"""Schedules, sensors and jobs: how the pipeline runs without anyone pressing a button.

- one sensor per feed watches ``data/landing/<feed>/``; a new delivery (new content for a period)
  adds the period's partition and launches ``ingest_<feed>`` for it
- the identity spine, person keys and dbt models follow by declarative automation (eager)
- ``daily_refresh`` rebuilds the spine, person keys and warehouse every morning as a safety net
"""

import json

import dagster as dg

from pipelines.defs.partitions import delivery_partitions
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import FeedSpec
from pipelines.ingest.landing import new_deliveries
from pipelines.ingest.load import LandingUnreadable


def ingest_job(feed: str):
    return dg.define_asset_job(
        name=f"ingest_{feed}",
        selection=dg.AssetSelection.assets(["raw", feed], ["pseudonymised", feed]),
        partitions_def=delivery_partitions(feed),
        description=f"Load, gate and pseudonymise one {feed} delivery.",
    )


INGEST_JOBS = {feed: ingest_job(feed) for feed in FEED_SPECS}


def landing_sensor(spec: FeedSpec) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{spec.name}_landing",
        job=INGEST_JOBS[spec.name],
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Launches ingest_{spec.name} for each new delivery in data/landing/{spec.name}/.",
    )
    def _sensor(context: dg.SensorEvaluationContext, zones: ZonesResource) -> dg.SensorResult:
        seen = json.loads(context.cursor) if context.cursor else {}
        unreadable: list[LandingUnreadable] = []  # left out of the cursor: new again once readable
        found, updated = new_deliveries(spec, zones.get(), seen, unreadable)  # an unreadable folder fails the tick
        for error in unreadable:
            context.log.warning(str(error))
        periods = sorted({d.period for d in found})
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(partition_key=d.period, run_key=f"{spec.name}:{d.period}:{d.sha256[:16]}") for d in found
            ],
            dynamic_partitions_requests=[delivery_partitions(spec.name).build_add_request(periods)] if periods else [],
            cursor=json.dumps(updated, sort_keys=True),
        )

    return _sensor


refresh_job = dg.define_asset_job(
    name="daily_refresh",
    # the spine and everything after it, and every dbt model on the feeds: re-applying the opt-out after linkage
    # rewrites published partitions, so the feeds' staging tables must be rebuilt too
    # (not the drift assets: partitioned per feed like the feeds, they run per delivery, eagerly)
    selection=(
        dg.AssetSelection.assets(
            ["identity", "spine"], ["pseudonymised", "person_keys"], ["pseudonymised", "programme_rollout"]
        ).downstream()
        | dg.AssetSelection.key_prefixes(["pseudonymised"]).downstream(include_self=False)
    )
    - dg.AssetSelection.key_prefixes(["drift"]),
    description="Re-link, re-key and rebuild the warehouse from everything loaded so far.",
)

daily_refresh_schedule = dg.ScheduleDefinition(
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    name="pipeline_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the spine, person keys and dbt models when what they read has changed.",
)

defs = dg.Definitions(
    jobs=[*INGEST_JOBS.values(), refresh_job],
    sensors=[*(landing_sensor(spec) for spec in FEED_SPECS.values()), automation_sensor],
    schedules=[daily_refresh_schedule],
)
