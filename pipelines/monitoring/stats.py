"""The drift statistics, in plain numpy/scipy: a rate test and the population stability index (PSI).

Both are built not to cry wolf on a small delivery (docs/monitoring.md):

- **rates and missing shares**: Cohen's h, the difference of the variance-stabilised proportions
  ``2 asin(sqrt p)``, whose sampling variance is ``1/n + 1/m`` whatever the rate. A shift is flagged when
  ``|h|`` exceeds both a practical floor (``H_FLOOR``) and the sampling noise at ``ALPHA`` (``z * sqrt(1/n + 1/m)``),
  and the current delivery holds at least ``MIN_EXCESS`` more (or fewer) records than the reference rate predicts.
- **code mixes and distributions**: PSI over bins with minimum counts (rare codes merged), with smoothed shares, so
  that a code absent from the reference does not divide by zero. Under no change ``PSI / (1/n + 1/m)`` is close to
  chi-square with ``k - 1`` degrees of freedom, so a shift is flagged when PSI exceeds both ``PSI_FLOOR`` and that
  chi-square's ``1 - ALPHA`` quantile times ``1/n + 1/m``: on a 50-row month the noise threshold, not the floor,
  decides.

Every test needs ``MIN_ROWS`` rows in the delivery and in the reference window; below that it is not run
(``tested`` false, never drifted). Where records come in clusters that share what is tested (the questionnaires of
one sitting, the events of one programme episode), each sample size is divided by its design effect (records per
cluster, Kish's ``sum(m^2) / sum(m)``: ``Profile.design_effect``): 40 items of 5 questionnaires filled in at one
sitting are not 200 independent answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

# per test: Bonferroni over a county's two years of about 4,500 tests (0.05 / 4,500), so about one county in twenty
# has a false alarm where the noise decides; more feeds or years need a smaller one (docs/monitoring.md)
ALPHA = 1e-5
H_FLOOR = 0.2  # Cohen's "small" effect: 43% -> 33%, 10% -> 4.5%, 93% -> 86%, 2% -> 0.1%
PSI_FLOOR = 0.25  # the conventional "major shift" (0.1-0.25 "moderate")
MIN_ROWS = 30  # rows in the delivery (and in the reference window) below which nothing is tested
MIN_EXCESS = 10  # records more (or fewer) than the reference rate predicts, for a rate to be flagged
MIN_BIN = 10  # a code (or bin) rarer than this in both the reference and the delivery is merged with others
NEW_CODE_SHARE = 0.01  # share of the delivery in codes never seen in the reference window, to be flagged
SMOOTHING = 0.5  # added to every bin's count before shares are taken (Jeffreys)


@dataclass(frozen=True)
class TestResult:
    """One metric's verdict. ``statistic`` and ``threshold`` are what was compared (``is_drifted``: the first is
    larger, in absolute value); ``current`` and ``reference`` are the values compared (rates, or None)."""

    statistic: float | None
    threshold: float | None
    tested: bool
    is_drifted: bool
    current: float | None = None
    reference: float | None = None


NOT_TESTED = TestResult(None, None, False, False)


def z_critical(alpha: float = ALPHA) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def rate_test(
    successes: int,
    rows: int,
    ref_successes: int,
    ref_rows: int,
    *,
    alpha: float = ALPHA,
    floor: float = H_FLOOR,
    min_rows: int = MIN_ROWS,
    min_excess: int = MIN_EXCESS,
    design: tuple[float, float] = (1.0, 1.0),
) -> TestResult:
    """Has the rate ``successes / rows`` moved from the reference window's ``ref_successes / ref_rows``?

    ``design``: the design effects of the delivery and of the reference (records per independent cluster, such as
    a questionnaire sitting), which divide each sample size: clustered records count for less."""
    d, dr = design
    if rows / d < min_rows or ref_rows / dr < min_rows:
        return NOT_TESTED
    p1, p0 = successes / rows, ref_successes / ref_rows
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0))
    threshold = max(floor, z_critical(alpha) * math.sqrt(d / rows + dr / ref_rows))
    excess = abs(successes - rows * p0)
    return TestResult(h, threshold, True, abs(h) > threshold and excess >= min_excess, p1, p0)


def merge_bins(
    reference: Mapping[str, float], current: Mapping[str, float], min_bin: float = MIN_BIN
) -> list[list[str]]:
    """Group codes into bins: a code with fewer than ``min_bin`` records in both the reference and the delivery is
    merged into one ``other`` bin, which is itself merged into the smallest remaining bin the reference knows while
    it is still that rare. Returns the bins as lists of codes."""
    codes = sorted(set(reference) | set(current), key=lambda c: (reference.get(c, 0) + current.get(c, 0), c))
    rare = [c for c in codes if reference.get(c, 0) < min_bin and current.get(c, 0) < min_bin]
    bins = [[c] for c in codes if c not in rare]
    if rare:
        if sum(reference.get(c, 0) for c in rare) < min_bin and sum(current.get(c, 0) for c in rare) < min_bin and bins:
            # into the smallest bin the reference knows, so a frequent new code keeps a bin of its own
            known = [i for i, b in enumerate(bins) if any(reference.get(c, 0) for c in b)] or [0]
            bins[known[0]] = bins[known[0]] + rare
        else:
            bins.append(rare)
    return bins


def _counts(bins: Sequence[Sequence[str]], counts: Mapping[str, int]) -> np.ndarray:
    return np.array([sum(counts.get(c, 0) for c in b) for b in bins], dtype=float)


def psi(reference: np.ndarray, current: np.ndarray, smoothing: float = SMOOTHING) -> float:
    """Population stability index of two vectors of bin counts, with ``smoothing`` added to every bin."""
    r = (reference + smoothing) / (reference.sum() + smoothing * len(reference))
    c = (current + smoothing) / (current.sum() + smoothing * len(current))
    return float(np.sum((c - r) * np.log(c / r)))


def psi_threshold(
    rows: int,
    ref_rows: int,
    bins: int,
    alpha: float = ALPHA,
    floor: float = PSI_FLOOR,
    design: tuple[float, float] = (1.0, 1.0),
) -> float:
    noise = float(stats.chi2.ppf(1 - alpha, max(bins - 1, 1))) * (design[0] / rows + design[1] / ref_rows)
    return max(floor, noise)


def mix_test(
    reference: Mapping[str, int],
    current: Mapping[str, int],
    *,
    alpha: float = ALPHA,
    floor: float = PSI_FLOOR,
    min_rows: int = MIN_ROWS,
    min_bin: int = MIN_BIN,
    design: tuple[float, float] = (1.0, 1.0),
) -> TestResult:
    """Has the mix of codes (bin -> records) moved from the reference window's? ``design`` as for
    :func:`rate_test`."""
    rows, ref_rows = sum(current.values()), sum(reference.values())
    if rows / design[0] < min_rows or ref_rows / design[1] < min_rows:
        return NOT_TESTED
    # minimum counts in independent clusters: a bin 10 people would fill is not 10 x 4 questionnaires' worth
    bins = merge_bins(
        {c: n / design[1] for c, n in reference.items()}, {c: n / design[0] for c, n in current.items()}, min_bin
    )
    if len(bins) < 2:
        return TestResult(0.0, floor, True, False)
    value = psi(_counts(bins, reference), _counts(bins, current))
    threshold = psi_threshold(rows, ref_rows, len(bins), alpha, floor, design)
    return TestResult(value, threshold, True, value > threshold)


def new_code_test(
    reference: Mapping[str, int],
    current: Mapping[str, int],
    *,
    min_rows: int = MIN_ROWS,
    min_count: int = MIN_BIN,
    share: float = NEW_CODE_SHARE,
) -> TestResult:
    """Share of the delivery carrying codes never seen in the reference window; flagged from ``min_count`` records
    and ``share`` of the delivery (the threshold is the larger of the two, as a share)."""
    rows, ref_rows = sum(current.values()), sum(reference.values())
    if rows < min_rows or ref_rows < min_rows:
        return NOT_TESTED
    new = sum(n for code, n in current.items() if reference.get(code, 0) == 0)
    threshold = max(share, min_count / rows)
    return TestResult(new / rows, threshold, True, new / rows >= threshold, new / rows, 0.0)


def quantile_edges(reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """Inner bin edges of a numeric column: the reference window's deciles, ties removed."""
    values = reference[~np.isnan(reference)]
    if values.size == 0:
        return np.array([])
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))


def binned(values: np.ndarray, edges: np.ndarray) -> dict[str, int]:
    """Counts per bin (``b0``, ``b1``, ... by ``edges``; ``missing`` for NaN)."""
    missing = np.isnan(values)
    idx = np.searchsorted(edges, values[~missing], side="right")
    out = {f"b{i:02d}": int(n) for i, n in zip(*np.unique(idx, return_counts=True), strict=True)}
    if missing.any():
        out["missing"] = int(missing.sum())
    return out
