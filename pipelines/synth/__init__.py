"""The synthetic county: agency feeds that look and misbehave like real ones, and their ground truth.

``generate(out_dir, ...)`` writes monthly deliveries to ``out_dir/landing/<feed>/`` and the truth to
``out_dir/synth_truth/``. Plain Python and numpy; no Dagster.
"""

from __future__ import annotations

from pipelines.synth.generate import SynthSummary, generate

__all__ = ["SynthSummary", "generate"]
