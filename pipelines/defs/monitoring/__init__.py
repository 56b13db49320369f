"""Dagster assets and checks of drift monitoring (docs/monitoring.md)."""
