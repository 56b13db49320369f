"""Delivery partitions: one per feed and monthly delivery period (``YYYY-MM``).

Dynamic, not calendar, partitions: a partition exists because an agency delivered that month, so
a late, missing or re-sent delivery is visible in the UI per feed. The landing sensor adds keys.
"""

from functools import cache

import dagster as dg


@cache
def delivery_partitions(feed: str) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{feed}_deliveries")
