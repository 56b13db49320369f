"""The truth panel of a small generated county: the evaluation tables with perfect linkage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.evaluation import evaluate
from pipelines.evaluation.config import COUNT_OUTCOMES, SCORE_OUTCOMES
from pipelines.evaluation.truth_panel import TruthPanel, truth_panel
from pipelines.synth import generate

MONTHS = 12


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TruthPanel]:
    root = tmp_path_factory.mktemp("evalcounty")
    generate(root, people=1500, months=MONTHS, seed=11, faults=False)
    return root, truth_panel(root)


def test_person_months_are_dense_and_count_every_contact(county: tuple[Path, TruthPanel]) -> None:
    root, tp = county
    pm = tp.person_months
    assert set(COUNT_OUTCOMES) <= set(pm.columns)
    assert (pm.groupby("person_key").size() == MONTHS).all()
    assert pm["linkage"].eq("standard").all()
    records = pd.read_csv(root / "synth_truth" / "records.csv", usecols=["feed"])
    assert pm["police_contacts"].sum() == records["feed"].eq("police_incidents").sum()
    assert (
        pm["crisis_contacts"].sum()
        == records["feed"]
        .isin(["police_incidents", "ambulance_calls", "ed_attendances", "mh_contacts", "council_contacts"])
        .sum()
    )
    assert 0 < pm["s136_detentions"].sum() < pm["police_contacts"].sum()
    assert (pm["s136_detentions"] <= pm["police_contacts"]).all()


def test_episodes_are_the_step_ups(county: tuple[Path, TruthPanel]) -> None:
    root, tp = county
    people = pd.read_csv(root / "synth_truth" / "people.csv", usecols=["person_id", "intervention"])
    assert len(tp.episodes) == people["intervention"].notna().sum()
    first = tp.person_months.drop_duplicates("person_key").set_index("person_key")["first_step_up_month_index"]
    ep = tp.episodes.set_index("person_key")
    assert (first.loc[ep.index].to_numpy() == ep["index_month_index"].to_numpy()).all()
    assert ep["index_month_index"].between(0, MONTHS - 1).all()


def test_scores_carry_the_published_outcome_names(county: tuple[Path, TruthPanel]) -> None:
    _, tp = county
    assert set(tp.scores["outcome"]) <= set(SCORE_OUTCOMES)
    assert tp.scores["score"].notna().all()
    assert tp.scores["timepoint_code"].eq("BASELINE").any()


def test_the_truth_panel_evaluates(county: tuple[Path, TruthPanel]) -> None:
    _, tp = county
    out = evaluate(tp.person_months, tp.episodes, tp.scores, windows=(3,), threshold=7)
    est = out.estimates
    assert set(est["intervention"]) == {"high_intensity_team", "street_triage", "usual_care"}
    naive = est[
        est["method"].eq("naive_before_after") & est["outcome"].eq("crisis_contacts") & est["subgroup"].eq("all")
    ]
    assert naive["estimate"].notna().any()
    assert (naive["estimate"].dropna() < 1).all()  # enrolled at a peak: contacts fall whatever is done
    n = est[["n_treated", "n_comparison"]].to_numpy(dtype=float)
    assert not ((n >= 1) & (n <= 7)).any()
    assert (out.matches["distance"] <= out.matches["caliper"]).all()
