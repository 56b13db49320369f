"""Dagster objects only, one folder per stage. ``pipelines/definitions.py`` merges them."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Single-run backfills (BackfillPolicy) are marked beta; we rely on them knowingly, so keep logs quiet.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
