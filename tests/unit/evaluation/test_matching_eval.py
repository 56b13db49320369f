"""Matching: exact cells, the caliper, the comparison pool's eligibility and balance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import Simulated

from pipelines.evaluation.balance import balance
from pipelines.evaluation.config import COUNT_OUTCOMES, MATCH_VARIABLES, age_group
from pipelines.evaluation.matching import MATCH_COLUMNS, MatchResult, build_panel, match


@pytest.fixture(scope="module")
def matched(simulated: Simulated) -> tuple[Simulated, MatchResult]:
    panel = build_panel(simulated.person_months, COUNT_OUTCOMES)
    return simulated, match(panel, simulated.episodes, linkage="standard", intervention="high_intensity_team")


def test_matches_are_exact_on_month_sex_imd_and_age_group(matched: tuple[Simulated, MatchResult]) -> None:
    sim, result = matched
    m = result.matches
    assert list(m.columns) == MATCH_COLUMNS and len(m) > 100
    people = sim.person_months.drop_duplicates("person_key").set_index("person_key")
    for col in ("sex", "imd_quintile"):
        t = people.loc[m["treated_person_key"], col].astype(str).to_numpy()
        c = people.loc[m["comparison_person_key"], col].astype(str).to_numpy()
        assert (t == c).all()
    t_age = people.loc[m["treated_person_key"], "age_band"].map(age_group).to_numpy()
    c_age = people.loc[m["comparison_person_key"], "age_band"].map(age_group).to_numpy()
    assert (t_age == c_age).all()
    index = sim.episodes.set_index("intervention_episode_key")["index_month_index"]
    assert (m["index_month_index"].to_numpy() == index.loc[m["match_set"]].to_numpy()).all()


def test_matches_respect_the_caliper_and_weights_sum_to_one(matched: tuple[Simulated, MatchResult]) -> None:
    _, result = matched
    m = result.matches
    assert (m["distance"] <= m["caliper"]).all()
    assert np.allclose(m.groupby("match_set")["weight"].sum(), 1.0)
    assert m.groupby("match_set").size().max() <= 3


def test_a_tighter_caliper_matches_fewer(simulated: Simulated) -> None:
    panel = build_panel(simulated.person_months, COUNT_OUTCOMES)
    loose = match(panel, simulated.episodes, linkage="standard", intervention="high_intensity_team", caliper=3.0)
    tight = match(panel, simulated.episodes, linkage="standard", intervention="high_intensity_team", caliper=0.5)
    assert tight.treated["matched"].sum() < loose.treated["matched"].sum()
    assert tight.matches["distance"].max() <= 0.5


def test_comparisons_were_not_stepped_up_by_the_index_and_were_in_contact(
    matched: tuple[Simulated, MatchResult],
) -> None:
    sim, result = matched
    m = result.matches
    pm = sim.person_months
    first = pm.drop_duplicates("person_key").set_index("person_key")["first_step_up_month_index"]
    f = first.loc[m["comparison_person_key"]].astype("Float64").to_numpy()
    s = m["index_month_index"].to_numpy()
    assert np.all(np.isnan(f.astype(float)) | (f.astype(float) > s))
    wide = pm.pivot(index="person_key", columns="month_index", values="crisis_contacts").fillna(0)
    grid = wide.loc[m["comparison_person_key"]].to_numpy()
    recent = [grid[j, i - 3 : i].sum() for j, i in enumerate(s)]
    assert min(recent) > 0


def test_treated_need_three_months_before(simulated: Simulated) -> None:
    panel = build_panel(simulated.person_months, COUNT_OUTCOMES)
    ep = simulated.episodes.assign(index_month_index=2)
    result = match(panel, ep, linkage="standard", intervention="high_intensity_team")
    assert result.matches.empty and result.treated.empty


def test_balance_improves_after_matching(matched: tuple[Simulated, MatchResult]) -> None:
    sim, result = matched
    panel = build_panel(sim.person_months, COUNT_OUTCOMES)
    b = balance(panel, result, linkage="standard", intervention="high_intensity_team", threshold=7).set_index(
        "variable"
    )
    assert set(MATCH_VARIABLES) <= set(b.index)
    trajectory = b.loc[list(MATCH_VARIABLES)]
    assert trajectory["smd_after"].abs().mean() < trajectory["smd_before"].abs().mean() / 2
    assert abs(b.loc["log_contacts_m1", "smd_after"]) < abs(b.loc["log_contacts_m1", "smd_before"]) / 2
    assert b["smd_before"].abs().max() > 0.5
    for v in ("sex_female", "index_month_index"):
        assert abs(b.loc[v, "smd_after"]) < 1e-9
    n = b[["n_treated", "n_pool", "n_matched"]].to_numpy(dtype=float)
    assert not ((n >= 1) & (n <= 7)).any()


def test_balance_of_too_few_treated_is_not_written(simulated: Simulated) -> None:
    panel = build_panel(simulated.person_months, COUNT_OUTCOMES)
    few = simulated.episodes[simulated.episodes["index_month_index"] >= 3].head(5)
    result = match(panel, few, linkage="standard", intervention="high_intensity_team")
    assert balance(panel, result, linkage="standard", intervention="high_intensity_team", threshold=7).empty
    assert isinstance(result.treated, pd.DataFrame)


def test_exact_matching_can_be_relaxed_to_month_and_sex(simulated: Simulated) -> None:
    panel = build_panel(simulated.person_months, COUNT_OUTCOMES)
    args = dict(linkage="standard", intervention="high_intensity_team")
    full = match(panel, simulated.episodes, **args)
    relaxed = match(panel, simulated.episodes, **args, exact=("index_month_index", "sex"))
    assert relaxed.treated["matched"].sum() > full.treated["matched"].sum()
    assert relaxed.matches["method"].iloc[0].startswith("exact(month,sex)+mahalanobis")
    assert full.matches["method"].iloc[0].startswith("exact(month,sex,imd_quintile,age_group,recent_contacts_band)+")
    with pytest.raises(ValueError, match="exact matching is on"):
        match(panel, simulated.episodes, **args, exact=("index_month_index", "ethnicity_group"))


def test_exact_cells_hold_the_recent_contacts_band(simulated: Simulated) -> None:
    panel = build_panel(simulated.person_months, COUNT_OUTCOMES)
    exact = ("index_month_index", "sex", "recent_contacts_band")
    result = match(panel, simulated.episodes, linkage="standard", intervention="high_intensity_team", exact=exact)
    m = result.matches
    assert m["method"].iloc[0].startswith("exact(month,sex,recent_contacts_band)+")
    wide = simulated.person_months.pivot(index="person_key", columns="month_index", values="crisis_contacts")
    s = m["index_month_index"].to_numpy()
    t = wide.loc[m["treated_person_key"]].to_numpy()
    c = wide.loc[m["comparison_person_key"]].to_numpy()
    bands = np.array([1, 6, 9, 12, 15])
    for j, i in enumerate(s):
        assert np.searchsorted(bands, t[j, i - 3 : i].sum(), "right") == np.searchsorted(
            bands, c[j, i - 3 : i].sum(), "right"
        )
