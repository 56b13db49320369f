"""The estimates' Poisson fits on arrays agree with pyfixest's `fepois` (what they replace) on the same designs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from pipelines.evaluation.estimates import _long, _poisson
from pipelines.evaluation.fepois import fepois


def _design(seed: int, units: int = 300, effect: float = 0.7) -> pd.DataFrame:
    """Treated and comparison units in matched sets (comparisons repeat across sets), pre and post windows of
    3 months or fewer at the period's edges, some units observed in one window only (singletons)."""
    rng = np.random.default_rng(seed)
    treated = (np.arange(units) % 4 == 0).astype(np.int64)
    match_set = np.arange(units) // 4
    person = np.where(treated == 1, np.arange(units), units + rng.integers(0, units // 3, units))
    unit = np.array([f"{'T' if t else 'C'}|{s}|{p}" for t, s, p in zip(treated, match_set, person, strict=True)])
    pre_months = rng.choice([0, 1, 2, 3, 3, 3], units)
    post_months = rng.choice([0, 1, 3, 3, 3], units)
    rate = np.exp(rng.normal(-0.5, 0.6, units))
    sums = {
        "pre": rng.poisson(rate * pre_months * 1.5).astype(float),
        "pre_months": pre_months,
        "post": rng.poisson(rate * post_months * np.where(treated == 1, effect, 1.0)).astype(float),
        "post_months": post_months,
    }
    cols = {
        "unit": unit,
        "match_set": match_set,
        "person": np.array([f"k{p}" for p in person]),
        "treated": treated,
        "w": np.where(treated == 1, 1.0, rng.choice([1 / 3, 1 / 2, 1.0], units)),
        "log_contacts_m1": rng.normal(1, 0.5, units),
        "police_share_m3": rng.random(units),
    }
    return pd.DataFrame(_long(cols, sums, adjust=True))


def _pyfixest(d: pd.DataFrame, formula: str, cluster: str, weighted: bool) -> pd.DataFrame:
    d = d[d.groupby("unit")["y"].transform("sum") > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = "w" if weighted else None
        model = pf.fepois(formula, data=d, vcov={"CRV1": cluster}, offset="log_months", weights=weights)
    return model.tidy(alpha=0.05)


MODELS = [
    ("y ~ post | unit", "unit", False),
    ("y ~ post + treated_post | unit", "match_set+person", True),
    ("y ~ post + treated_post + post_x_log_contacts_m1 + post_x_police_share_m3 | unit", "match_set+person", True),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("formula", "cluster", "weighted"), MODELS)
def test_the_array_fit_gives_pyfixest_s_estimates(seed: int, formula: str, cluster: str, weighted: bool) -> None:
    d = _design(seed)
    if "treated_post" not in formula:
        d = d[d["treated"].eq(1)]
    names = [v.strip() for v in formula.split("~")[1].split("|")[0].split("+")]
    ref = _pyfixest(d, formula, cluster, weighted)
    d = d[d.groupby("unit")["y"].transform("sum") > 0]
    fit = fepois(
        d["y"].to_numpy(),
        np.column_stack([d[v].to_numpy(dtype=float) for v in names]),
        d["unit"].to_numpy(),
        d["log_months"].to_numpy(),
        d["w"].to_numpy() if weighted else None,
        {c: d[c].to_numpy() for c in cluster.split("+")},
    )
    assert fit is not None
    for got, column in ((fit.coef, "Estimate"), (fit.se, "Std. Error"), (fit.p, "Pr(>|t|)")):
        np.testing.assert_allclose(got, ref[column].to_numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fit.low, ref["2.5%"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fit.high, ref["97.5%"].to_numpy(), rtol=1e-12)


def test_poisson_gives_pyfixest_s_row_and_declines_what_pyfixest_cannot_fit() -> None:
    d = _design(4)
    fit = _poisson(d, MODELS[1][0], "treated_post", "match_set+person", weighted=True)
    ref = _pyfixest(d, MODELS[1][0], "match_set+person", True).loc["treated_post"]
    assert fit is not None
    np.testing.assert_allclose(
        [fit.coef, fit.se, fit.low, fit.high, fit.p],
        ref[["Estimate", "Std. Error", "2.5%", "97.5%", "Pr(>|t|)"]].to_numpy(dtype=float),
        rtol=1e-12,
    )
    # a regressor collinear with the fixed effect: the array fit declines, pyfixest drops it, the row has no estimate
    collinear = d.assign(treated_post=d["treated"])
    assert fepois(
        collinear["y"].to_numpy(),
        collinear[["post", "treated_post"]].to_numpy(dtype=float),
        collinear["unit"].to_numpy(),
        collinear["log_months"].to_numpy(),
        None,
        {"unit": collinear["unit"].to_numpy()},
    ) is None  # fmt: skip
    assert _poisson(collinear, MODELS[1][0], "treated_post", "match_set+person", weighted=True) is None
    # no event in the comparisons' post windows: separation, not estimable
    separated = d.assign(y=np.where(d["treated"].eq(0) & d["post"].eq(1), 0.0, d["y"]))
    assert _poisson(separated, MODELS[1][0], "treated_post", "match_set+person", weighted=True) is None
