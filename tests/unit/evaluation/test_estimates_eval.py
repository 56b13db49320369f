"""The estimators on simulated counties with a known effect and regression to the mean built in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import Simulated, simulate

from pipelines.evaluation import evaluate
from pipelines.evaluation.estimates import ESTIMATE_COLUMNS

THRESHOLD = 7


def _run(sim: Simulated, **kw: object) -> pd.DataFrame:
    out = evaluate(
        sim.person_months,
        sim.episodes,
        sim.scores,
        windows=(3,),
        threshold=THRESHOLD,
        interventions=("high_intensity_team",),
        subgroups=False,
        **kw,
    )
    return out.estimates.set_index(["outcome", "method"])


@pytest.fixture(scope="module")
def planted(simulated: Simulated) -> pd.DataFrame:
    return _run(simulated)


def test_did_matched_covers_the_planted_rate_ratio_and_naive_does_not(planted: pd.DataFrame) -> None:
    did = planted.loc[("crisis_contacts", "did_matched")]
    naive = planted.loc[("crisis_contacts", "naive_before_after")]
    assert did.ci_low <= 0.7 <= did.ci_high
    assert naive.ci_high < 0.7  # regression to the mean: the naive ratio overstates the benefit
    assert did.comparison_change < 0.9  # the comparison falls too, with no treatment
    assert did.measure == "rate_ratio" and not did.small_n
    assert did.mde > 1 and did.p_value < 0.05


def test_did_matched_covers_the_planted_score_shift_and_naive_does_not(planted: pd.DataFrame) -> None:
    did = planted.loc[("swemwbs_total", "did_matched")]
    naive = planted.loc[("swemwbs_total", "naive_before_after")]
    assert did.ci_low <= 2.0 <= did.ci_high
    assert naive.ci_low > 2.0
    assert did.measure == "mean_difference"


def test_no_effect_is_covered_and_naive_still_shows_a_fall(simulated_null: Simulated) -> None:
    est = _run(simulated_null)
    did = est.loc[("crisis_contacts", "did_matched")]
    assert did.ci_low <= 1.0 <= did.ci_high
    assert est.loc[("crisis_contacts", "naive_before_after")].ci_high < 0.8


def test_counts_below_the_threshold_are_never_written(planted: pd.DataFrame) -> None:
    for col in ("n_treated", "n_comparison"):
        n = planted[col].astype(float)
        assert not ((n >= 1) & (n <= THRESHOLD)).any()
    assert set(planted.reset_index().columns) == set(ESTIMATE_COLUMNS)


def test_subgroups_below_the_numbers_are_not_estimated() -> None:
    sim = simulate(people=2500, seed=5)
    out = evaluate(
        sim.person_months,
        sim.episodes,
        sim.scores,
        windows=(3,),
        threshold=THRESHOLD,
        interventions=("high_intensity_team",),
    ).estimates
    treated = sim.episodes.merge(
        sim.person_months.drop_duplicates("person_key")[["person_key", "is_neurodivergent", "sex"]], on="person_key"
    )
    assert treated["is_neurodivergent"].sum() < 30  # too few neurodivergent people to estimate
    assert not out["subgroup"].eq("is_neurodivergent:true").any()
    assert out["subgroup"].eq("is_neurodivergent:false").any()
    assert out["subgroup"].str.startswith("sex:").any()
    sub = out[out["subgroup"].ne("all")]
    assert (sub["n_treated"] >= 30).all()
    assert (sub.loc[sub["method"].eq("did_matched"), "n_comparison"] > THRESHOLD).all()
    n = out[["n_treated", "n_comparison"]].to_numpy(dtype=float)
    assert not ((n >= 1) & (n <= THRESHOLD)).any()


def test_a_higher_threshold_withholds_more() -> None:
    sim = simulate(people=1500, seed=6)
    few = sim.episodes.head(12)  # 12 treated episodes: published at 7, withheld at 15
    args = dict(windows=(3,), interventions=("high_intensity_team",), subgroups=False)
    at_7 = evaluate(sim.person_months, few, sim.scores, threshold=7, **args).estimates
    at_15 = evaluate(sim.person_months, few, sim.scores, threshold=15, **args).estimates
    naive = at_7[at_7["method"].eq("naive_before_after") & at_7["measure"].eq("rate_ratio")]
    assert len(naive) and np.isfinite(naive["estimate"]).all() and (naive["n_treated"] == 12).all()
    # at 15 nothing is estimated: the 'all' rows say why, with no estimate and no count
    assert len(at_15) and at_15["estimate"].isna().all()
    assert at_15["n_treated"].isna().all() and at_15["n_comparison"].isna().all()
    assert at_15["note"].str.startswith("not estimated").all()


def test_strict_and_lenient_linkage_give_the_all_estimates_only() -> None:
    sim = simulate(people=2500, seed=7)
    pm = pd.concat([sim.person_months.assign(linkage=v) for v in ("standard", "strict", "lenient")])
    ep = pd.concat([sim.episodes.assign(linkage=v) for v in ("standard", "strict", "lenient")])
    sc = pd.concat([sim.scores.assign(linkage=v) for v in ("standard", "strict", "lenient")])
    out = evaluate(pm, ep, sc, windows=(3,), threshold=THRESHOLD, interventions=("high_intensity_team",))
    est = out.estimates
    assert set(est["linkage"]) == {"standard", "strict", "lenient"}
    assert est.loc[est["linkage"].ne("standard"), "subgroup"].eq("all").all()
    assert est.loc[est["linkage"].eq("standard"), "subgroup"].ne("all").any()
    # the same people under every linkage: the same estimates
    key = ["outcome", "method"]
    a = est[est["linkage"].eq("standard") & est["subgroup"].eq("all")].set_index(key)["estimate"]
    b = est[est["linkage"].eq("lenient")].set_index(key)["estimate"]
    assert np.allclose(a.sort_index(), b.sort_index(), equal_nan=True)
    assert set(out.matches["linkage"]) == {"standard", "strict", "lenient"}
    assert set(out.balance["linkage"]) == {"standard", "strict", "lenient"}


def test_the_regression_adjusted_did_also_covers_the_planted_effect(simulated: Simulated) -> None:
    est = _run(simulated, adjust=True)
    did = est.loc[("crisis_contacts", "did_matched")]
    assert did.ci_low <= 0.7 <= did.ci_high
    score = est.loc[("swemwbs_total", "did_matched")]
    assert score.ci_low <= 2.0 <= score.ci_high
