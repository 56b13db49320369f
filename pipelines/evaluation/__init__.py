"""Evaluation of the interventions: comparison cohorts, estimates, area-level demand.

`evaluate(person_months, episodes, scores)` takes the three person-level tables of schema `evaluation`
(`evaluation_person_months`, `evaluation_episodes`, `evaluation_scores`, or their truth twins from
`truth_panel.truth_panel`) and returns the `comparison_matches`, `balance` and `estimates` tables; the dbt python
models call `comparison_matches`, `balance_table` and `estimates_table`. Area-level designs are in `area`.

The names below load on first use, so importing `pipelines.evaluation.area` does not import pyfixest and statsmodels
through the estimators.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "EvaluationTables": "pipelines.evaluation.estimates",
    "balance_table": "pipelines.evaluation.estimates",
    "comparison_matches": "pipelines.evaluation.estimates",
    "estimate": "pipelines.evaluation.estimates",
    "estimates_table": "pipelines.evaluation.estimates",
    "evaluate": "pipelines.evaluation.estimates",
    "match": "pipelines.evaluation.matching",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pipelines.evaluation' has no attribute {name!r}")
