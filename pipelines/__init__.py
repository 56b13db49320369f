"""hfc-outcomes: an anonymised multi-agency outcomes warehouse.

Importing the package switches off every tool's phone-home before any of them loads: Dagster
telemetry, Great Expectations analytics, dbt's anonymous usage statistics. Every entry point
(``hfc``, ``dagster dev -m pipelines.definitions``, the tests) imports this first.
"""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT: dict[str, str] = {
    "GX_ANALYTICS_ENABLED": "false",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "true",
    "HF_HUB_OFFLINE": "1",
    "TLDEXTRACT_CACHE_TIMEOUT": "0",
}


def apply_offline_environment() -> None:
    """Force the no-phone-home settings (a user cannot switch them back on by accident)."""
    os.environ.update(OFFLINE_ENVIRONMENT)


apply_offline_environment()
