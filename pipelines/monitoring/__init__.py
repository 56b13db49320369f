"""Drift and recording-practice monitoring (issue #20): docs/monitoring.md."""
