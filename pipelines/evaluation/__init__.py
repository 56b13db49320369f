"""Independent evaluation (issue #18): matched comparison, balance and estimates on the evaluation marts.

`evaluate(person_months, episodes, scores)` takes the three person-level tables of schema `evaluation`
(`evaluation_person_months`, `evaluation_episodes`, `evaluation_scores`, or their truth twins from
`truth_panel.truth_panel`) and returns the `comparison_matches`, `balance` and `estimates` tables.
"""

from pipelines.evaluation.estimates import (
    EvaluationTables,
    balance_table,
    comparison_matches,
    estimate,
    estimates_table,
    evaluate,
)
from pipelines.evaluation.matching import match

__all__ = [
    "EvaluationTables",
    "balance_table",
    "comparison_matches",
    "estimate",
    "estimates_table",
    "evaluate",
    "match",
]
