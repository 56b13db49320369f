"""The drift statistics: silent on small noisy months, loud on a real shift, and safe bins in the report."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.monitoring import stats
from pipelines.monitoring.report import OTHER, safe_bins


def test_rate_test_is_silent_on_fifty_row_months_of_noise() -> None:
    rng = np.random.default_rng(0)
    alarms = 0
    for _ in range(2000):
        p = rng.uniform(0.02, 0.6)
        ref = rng.binomial(300, p)
        cur = rng.binomial(50, p)
        alarms += stats.rate_test(cur, 50, ref, 300).is_drifted
    assert alarms == 0


def test_rate_test_flags_a_halved_rate_and_not_below_the_minimum() -> None:
    assert stats.rate_test(215, 1000, 2580, 6000).is_drifted  # 43% -> 21.5%
    assert not stats.rate_test(10, 25, 2580, 6000).tested  # under MIN_ROWS
    halved_small = stats.rate_test(11, 50, 130, 300)  # 43% -> 22% on 50 rows: within the noise there
    assert halved_small.tested and not halved_small.is_drifted
    assert halved_small.threshold > stats.H_FLOOR


def test_rate_test_needs_the_minimum_excess_of_records() -> None:
    # 0% -> 12% on 60 rows is large in h, but 7 records: not enough to call it
    result = stats.rate_test(7, 60, 0, 3000)
    assert abs(result.statistic) > result.threshold and not result.is_drifted


def test_mix_test_is_silent_on_small_months_and_flags_a_swapped_code() -> None:
    rng = np.random.default_rng(1)
    codes = [f"C{i}" for i in range(12)]
    p = np.linspace(1, 0.1, 12)
    p /= p.sum()
    alarms = 0
    for _ in range(500):
        ref = dict(zip(codes, rng.multinomial(300, p).tolist(), strict=True))
        cur = dict(zip(codes, rng.multinomial(50, p).tolist(), strict=True))
        alarms += stats.mix_test(ref, cur).is_drifted
    assert alarms == 0
    ref = dict(zip(codes, (p * 6000).astype(int).tolist(), strict=True))
    cur = dict(zip(codes, (p * 1000).astype(int).tolist(), strict=True))
    cur["C0"], cur["NEW"] = 0, cur["C0"]  # the commonest code renamed
    assert stats.mix_test(ref, cur).is_drifted
    assert stats.new_code_test(ref, cur).is_drifted


def test_new_codes_need_the_minimum_count() -> None:
    ref = {"A": 500, "B": 500}
    assert not stats.new_code_test(ref, {"A": 100, "B": 100, "C": 5}).is_drifted
    assert stats.new_code_test(ref, {"A": 100, "B": 100, "C": 12}).is_drifted


def test_merge_bins_keeps_a_frequent_new_code_apart() -> None:
    bins = stats.merge_bins({"A": 100, "B": 3, "C": 2}, {"A": 90, "B": 1, "NEW": 30})
    assert ["NEW"] in bins  # the rare codes go with a code the reference knows
    assert sorted(map(sorted, bins)) == [["A", "B", "C"], ["NEW"]]


@pytest.mark.parametrize("seed", range(20))
def test_safe_bins_leave_no_label_with_one_to_threshold_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = [f"C{i}" for i in range(int(rng.integers(2, 15)))]
    ref = {c: int(n) for c, n in zip(codes, rng.integers(0, 40, len(codes)), strict=True)}
    cur = {c: int(n) for c, n in zip(codes, rng.integers(0, 20, len(codes)), strict=True)}
    labels = safe_bins(ref, cur, 7)
    for counts in (ref, cur):
        totals: dict[str, int] = {}
        for code, n in counts.items():
            if code in labels:
                totals[labels[code]] = totals.get(labels[code], 0) + n
        assert not [t for t in totals.values() if 1 <= t <= 7], (labels, counts)
    assert set(labels.values()) <= set(codes) | {OTHER}


def test_clustered_records_count_for_less() -> None:
    # 40% -> 28% on 1000 records: drift if independent, noise if they are 250 people's 4 records each
    independent = stats.rate_test(280, 1000, 2400, 6000)
    clustered = stats.rate_test(280, 1000, 2400, 6000, design=(4.0, 4.0))
    assert independent.is_drifted and not clustered.is_drifted
    assert clustered.threshold > independent.threshold
    assert not stats.rate_test(120, 100, 960, 2400, design=(4.0, 1.0)).tested  # 25 people: below MIN_ROWS
