"""The truth's questionnaire scoring follows each measure's published rules, at their boundaries."""

from __future__ import annotations

import pytest

from pipelines.feeds.mh_outcome_measures import MEASURE_BY_CODE
from pipelines.synth.scoring import CORE10_REVERSED, ITEMS, REQOL10_REVERSED, format_score, score


def test_core10_reverses_items_2_and_3() -> None:
    assert score("CORE10", [0] * 10).total == 8  # items 2 and 3 at "not at all" are the distressed answer
    assert score("CORE10", [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]).total == 0
    assert score("CORE10", [4, 0, 0, 4, 4, 4, 4, 4, 4, 4]).total == 40


def test_core10_prorates_one_blank_item_and_gives_up_at_two() -> None:
    nine = [None, 4, 3, 1, 1, 1, 1, 1, 1, 1]  # item 1 blank; scored (2 and 3 reversed) the rest sum to 8
    result = score("CORE10", nine)
    assert result.total == pytest.approx(8 * 10 / 9)
    assert result.items_answered == 9
    blank_reversed = [1, None, 4, 1, 1, 1, 1, 1, 1, 1]  # a blank reversed item prorates on the reversed scores
    assert score("CORE10", blank_reversed).total == pytest.approx(8 * 10 / 9)
    assert score("CORE10", [None, None, 4, 1, 1, 1, 1, 1, 1, 1]).total is None
    assert score("CORE10", [None] * 10).total is None


def test_swemwbs_raw_total_needs_every_item() -> None:
    assert score("SWEMWBS", [1] * 7).total == 7
    assert score("SWEMWBS", [5] * 7).total == 35
    assert score("SWEMWBS", [5] * 6 + [None]).total is None


def test_reqol10_reverses_negative_items_and_ignores_item_11() -> None:
    best = [0, 4, 0, 4, 4, 0, 4, 4, 0, 4]
    assert score("REQOL10", [*best, 4]).total == 40
    assert score("REQOL10", [*best, None]).total == 40  # item 11 (physical health) is not in the total
    assert score("REQOL10", [*best, 0]).total == 40
    worst = [4 - r for r in best]
    assert score("REQOL10", [*worst, 0]).total == 0
    assert score("REQOL10", [2] * 11).total == 20
    assert score("REQOL10", [None, *best[1:], 0]).total is None
    assert score("REQOL10", [*best, None]).items_answered == 10


def test_dialog_means_of_life_domains_and_treatment() -> None:
    result = score("DIALOG", [1, 2, 3, 4, 5, 6, 7, 4, 7, 7, 1])
    assert result.total == pytest.approx(4.0)
    assert result.secondary == pytest.approx(5.0)
    life_blank = score("DIALOG", [None, 2, 3, 4, 5, 6, 7, 4, 7, 7, 1])
    assert life_blank.total is None and life_blank.secondary == pytest.approx(5.0)
    assert score("DIALOG", [4] * 10 + [None]).secondary is None


def test_honos_counts_9_as_missing() -> None:
    assert score("HONOS", [4] * 12).total == 48
    assert score("HONOS", [0] * 12).total == 0
    with_unknown = score("HONOS", [9, 9, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    assert with_unknown.total == 20
    assert with_unknown.items_answered == 10
    assert score("HONOS", [9] * 12).total is None
    assert score("HONOS", [None, *([1] * 11)]).total == 11


def test_item_counts_are_checked() -> None:
    with pytest.raises(ValueError):
        score("CORE10", [1] * 9)
    with pytest.raises(ValueError):
        score("PHQ9", [1] * 9)


def test_scoring_rules_agree_with_the_feed_spec() -> None:
    """The scorer is written independently of the spec; the two must agree on which items are reversed."""
    assert {m: MEASURE_BY_CODE[m].items for m in ITEMS} == ITEMS
    assert set(MEASURE_BY_CODE["CORE10"].higher_is_better) == set(CORE10_REVERSED)
    assert set(MEASURE_BY_CODE["REQOL10"].lower_is_better) - {11} == set(REQOL10_REVERSED)


def test_format_score() -> None:
    assert format_score(None) == ""
    assert format_score(22.0) == "22"
    assert format_score(8 * 10 / 9) == "8.8889"
    assert format_score(0.0) == "0"
    assert format_score(4.5) == "4.5"
