"""Questionnaire totals by each measure's published scoring rules, for the synthetic county's truth.

Deliberately independent of how the generator draws responses and of the warehouse's dbt scoring: it takes the
response positions as the form numbers them (``mh_outcome_measures.Item_Response``) and applies the rules below, so
``synth_truth/questionnaires.csv`` and ``effects.csv`` can measure the warehouse's scoring instead of echoing it.

- CORE-10: items 2 and 3 are positively worded and reversed (4 - position); clinical score = sum, 0-40; one item
  blank: prorated, sum x 10 / 9; two or more blank: no score (CORE System Trust's "not more than 10% missing").
- SWEMWBS: raw total of the seven positions, 7-35; no score if any item is blank.
- ReQoL-10: items 1-10; the negatively worded items 1, 3, 6 and 9 are reversed (4 - position); total = sum, 0-40,
  higher is better; no score if any of items 1-10 is blank. Item 11 (physical health) is not in the total.
- DIALOG: subjective quality of life = mean of items 1-8, treatment satisfaction = mean of items 9-11 (1-7); a mean
  needs every item of its part answered (the published rule gives no missing-item rule; this is the strict reading).
- HoNOS: total = sum of the scales rated 0-4, 0-48; 9 ("not known") and blanks count as missing; no total if no
  scale is rated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Responses = Sequence[int | None]

CORE10_REVERSED = (2, 3)
REQOL10_REVERSED = (1, 3, 6, 9)
HONOS_NOT_KNOWN = 9
ITEMS = {"CORE10": 10, "SWEMWBS": 7, "REQOL10": 11, "DIALOG": 11, "HONOS": 12}


@dataclass(frozen=True)
class Score:
    """A questionnaire's scores: the total (or primary mean), a secondary score (DIALOG treatment satisfaction),
    and how many items carry a usable response (HoNOS 9s and blanks do not)."""

    total: float | None
    secondary: float | None
    items_answered: int


def score(measure: str, responses: Responses) -> Score:
    """Score one questionnaire from its response positions (item 1 first; ``None`` where the item is blank)."""
    if measure not in ITEMS:
        raise ValueError(f"unknown measure {measure!r}")
    if len(responses) != ITEMS[measure]:
        raise ValueError(f"{measure} has {ITEMS[measure]} items, got {len(responses)}")
    items = dict(enumerate(responses, start=1))
    if measure == "HONOS":
        rated = [r for r in responses if r is not None and r != HONOS_NOT_KNOWN]
        return Score(float(sum(rated)) if rated else None, None, len(rated))
    given = {k: r for k, r in items.items() if r is not None}
    answered = len(given)
    if measure == "CORE10":
        scored = [4 - r if k in CORE10_REVERSED else r for k, r in given.items()]
        if answered == 10:
            return Score(float(sum(scored)), None, answered)
        if answered == 9:
            return Score(sum(scored) * 10 / 9, None, answered)
        return Score(None, None, answered)
    if measure == "SWEMWBS":
        return Score(float(sum(given.values())) if answered == 7 else None, None, answered)
    if measure == "REQOL10":
        if any(k not in given for k in range(1, 11)):
            return Score(None, None, answered)
        total = sum(4 - given[k] if k in REQOL10_REVERSED else given[k] for k in range(1, 11))
        return Score(float(total), None, answered)
    return Score(_mean_if_complete(given, range(1, 9)), _mean_if_complete(given, range(9, 12)), answered)


def _mean_if_complete(given: dict[int, int], part: range) -> float | None:
    if any(k not in given for k in part):
        return None
    return sum(given[k] for k in part) / len(part)


def format_score(value: float | None) -> str:
    """A score as the truth files write it: blank when there is none, else rounded to 4 decimal places."""
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".")
