"""A small simulated county where the truth is known: enrolment at a peak of crises (regression to the mean),
selection on the observed trajectory only, and a planted effect after the step-up month."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-74")


@dataclass(frozen=True)
class Simulated:
    person_months: pd.DataFrame
    episodes: pd.DataFrame
    scores: pd.DataFrame


def simulate(
    *,
    people: int = 6000,
    months: int = 24,
    rate_ratio: float = 0.7,
    score_shift: float = 2.0,
    enrol_probability: float = 0.35,
    seed: int = 1,
    intervention: str = "high_intensity_team",
) -> Simulated:
    """People whose contacts over 3 months first reach 6 are referred (with a fixed probability, else never) and
    enrolled the next month; the effect starts the month after."""
    rng = np.random.default_rng(seed)
    need = rng.normal(-1.6, 0.8, people)
    z = np.zeros((people, months))
    z[:, 0] = rng.normal(0, 0.7 / np.sqrt(1 - 0.6**2), people)
    for t in range(1, months):
        z[:, t] = 0.6 * z[:, t - 1] + rng.normal(0, 0.7, people)
    base = np.exp(need[:, None] + z)
    counts = np.zeros((people, months), dtype=int)
    step = np.full(people, -1)
    referable = rng.random(people) < enrol_probability  # the referrer's decision, independent of need
    crossed = np.zeros(people, dtype=bool)
    for t in range(months):
        treated = (step >= 0) & (t > step)
        counts[:, t] = rng.poisson(base[:, t] * np.where(treated, rate_ratio, 1.0))
        if 2 <= t < months - 1:
            recent = counts[:, t - 2 : t + 1].sum(axis=1)
            crossing = (recent >= 6) & ~crossed
            crossed |= crossing
            newly = (step < 0) & crossing & referable  # referred at the first crossing or never
            step[newly] = t + 1
    police = rng.binomial(counts, 0.3)
    s136 = rng.binomial(police, 0.15)
    person = np.array([f"p{i:05d}" for i in range(people)])
    sex = rng.choice(["F", "M"], people)
    band = rng.choice(BANDS, people)
    imd = rng.choice([1, 2, 3, 4, 5, None], people, p=[0.3, 0.25, 0.2, 0.12, 0.08, 0.05])
    eth = rng.choice(["White", "Asian or Asian British", "Not known"], people, p=[0.8, 0.15, 0.05])
    disabled = rng.random(people) < 0.2
    nd = rng.random(people) < 0.05
    pm = pd.DataFrame(
        {
            "linkage": "standard",
            "person_key": np.repeat(person, months),
            "month_index": np.tile(np.arange(months), people),
            "crisis_contacts": counts.ravel(),
            "police_contacts": police.ravel(),
            "s136_detentions": s136.ravel(),
            "sex": np.repeat(sex, months),
            "age_band": np.repeat(band, months),
            "imd_quintile": pd.array(np.repeat(imd, months), dtype="Int64"),
            "ethnicity_group": np.repeat(eth, months),
            "has_disability": np.repeat(disabled, months),
            "is_neurodivergent": np.repeat(nd, months),
            "first_step_up_month_index": pd.array(np.repeat(np.where(step >= 0, step, None), months), dtype="Int64"),
            "first_intervention": np.repeat(np.where(step >= 0, intervention, None), months),
        }
    )
    pm = pm[pm.groupby("person_key")["crisis_contacts"].transform("sum") > 0].reset_index(drop=True)
    known = set(pm["person_key"])
    enrolled = np.flatnonzero((step >= 0) & np.isin(person, list(known)))
    episodes = pd.DataFrame(
        {
            "linkage": "standard",
            "intervention_episode_key": [f"e{i:05d}" for i in enrolled],
            "person_key": person[enrolled],
            "intervention": intervention,
            "index_month_index": step[enrolled],
        }
    )
    # a wellbeing score, worse in a crisis (regression to the mean too), measured in half of all months
    score = 30 - 4 * z + rng.normal(0, 2, (people, months))
    score = score + np.where((step[:, None] >= 0) & (np.arange(months)[None, :] > step[:, None]), score_shift, 0)
    seen = rng.random((people, months)) < 0.5
    i, t = np.nonzero(seen)
    scores = pd.DataFrame(
        {
            "linkage": "standard",
            "person_key": person[i],
            "assessment_key": [f"a{j:07d}" for j in range(len(i))],
            "outcome": "swemwbs_total",
            "assessment_date": pd.Timestamp("2024-01-15") + pd.to_timedelta(t * 30, unit="D"),
            "month_index": t,
            "timepoint_code": "ROUTINE",
            "score": score[i, t],
        }
    )
    scores = scores[scores["person_key"].isin(known)].reset_index(drop=True)
    return Simulated(pm, episodes, scores)


@pytest.fixture(scope="session")
def simulated() -> Simulated:
    return simulate()


@pytest.fixture(scope="session")
def simulated_null() -> Simulated:
    return simulate(rate_ratio=1.0, score_shift=0.0, seed=2)
