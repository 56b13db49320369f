"""``run_failure_alerts``: every failed run of this code location, as an alert (``pipelines.ops.alerts``).

It runs in the daemon (``make ui``, ``dagster dev``, a deployment's ``dagster-daemon``), like the landing sensors,
so it sees runs the sensors, schedules, automation and the UI launch. ``hfc demo`` and ``hfc backfill`` run their
assets in process, outside the code location's jobs, and report on the terminal instead.
"""

import dagster as dg

from pipelines.ops.alerts import alert_for_run, send


@dg.run_failure_sensor(
    name="run_failure_alerts",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Writes an alert for every failed run to the log, HFC_ALERT_FILE (JSON lines) and HFC_ALERT_WEBHOOK_URL "
        "(POST): job, run, failed steps, partition, error class and our own message only. A blocked delivery is a "
        "'delivery_blocked' warning; anything else a 'run_failed' error."
    ),
)
def run_failure_alerts(context: dg.RunFailureSensorContext) -> None:
    send(alert_for_run(context.instance, context.dagster_run), logger=context.log)


defs = dg.Definitions(sensors=[run_failure_alerts])
