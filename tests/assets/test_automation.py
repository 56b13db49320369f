"""The landing sensor launches one run per new delivery and registers its partition."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.defs.automation import landing_sensor
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from tests.feed_rows import write_delivery

POLICE = FEED_SPECS["police_incidents"]


def test_landing_sensor_requests_a_run_per_new_delivery_and_adds_partitions(tmp_path: Path) -> None:
    write_delivery(POLICE, tmp_path / "landing" / POLICE.name, n=2, period="2024-03")
    sensor = landing_sensor(POLICE)
    resources = {"zones": ZonesResource(data_dir=str(tmp_path))}
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources)
        result = sensor(context)
        assert [r.partition_key for r in result.run_requests] == ["2024-03"]
        assert result.dynamic_partitions_requests[0].partition_keys == ["2024-03"]
        # the next tick, with the cursor, finds nothing new
        context = dg.build_sensor_context(instance=instance, resources=resources, cursor=result.cursor)
        assert sensor(context).run_requests == []
