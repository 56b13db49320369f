"""A score estimate never depends on the order of pseudonymous keys: same-day scores count as their mean."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.evaluation.estimates import _score_changes


def _scores(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [0, 0, 0, 1, 1],
            "month_index": [5, 5, 9, 5, 10],
            "assessment_date": pd.to_datetime(["2024-06-03", "2024-06-03", "2024-10-01", "2024-06-10", "2024-11-02"]),
            "assessment_key": keys,
            "score": [10.0, 14.0, 20.0, 8.0, 9.0],
        }
    )


def test_same_day_scores_are_averaged_whatever_the_keys() -> None:
    units = pd.DataFrame({"row": [0, 1], "s": [5, 5]})
    one = _score_changes(units, _scores(["a", "b", "c", "d", "e"]), 6)
    other = _score_changes(units, _scores(["z", "y", "x", "w", "v"]), 6)
    np.testing.assert_array_equal(one, other)
    assert one[0] == 20.0 - 12.0 and one[1] == 1.0
