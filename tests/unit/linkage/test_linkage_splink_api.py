"""Splink is driven through its public interface: a settings dictionary in, ``save_model_to_json`` out.

The model's corrections (prior cap, unobserved levels, u decontamination, household-evidence cap) are made on that
dictionary and loaded into a fresh linker. These tests pin the contract we rely on: if a Splink release stops
round-tripping parameters through the dictionary, they fail here, not silently in the link rates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.model import (
    DEFAULT_PRIOR,
    MAX_LOCATION_BAYES_FACTOR,
    MAX_PRIOR,
    _linker,
    _typed,
    cap_household_evidence,
    checked_prior,
    decontaminate_u,
    guard_probabilities,
    model_input,
    score_pairs,
    splink_settings,
)
from pipelines.linkage.normalise import normalise_records
from pipelines.linkage.spine import prepare_records
from tests.unit.linkage.linkage_people import CRAFTED, people


def _frame(rows: list[tuple] = CRAFTED) -> pd.DataFrame:
    records = prepare_records(people(rows))
    return model_input(normalise_records(records), pd.Series(np.ones(len(records), dtype=bool)), LinkageSettings())


def _parameters(model: dict) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    return {
        (c["output_column_name"], lvl["label_for_charts"]): (lvl.get("m_probability"), lvl.get("u_probability"))
        for c in model["comparisons"]
        for lvl in c["comparison_levels"]
        if not lvl.get("is_null_level")
    }


def test_parameters_round_trip_through_a_linker_built_from_the_dictionary() -> None:
    import duckdb
    from splink import DuckDBAPI

    frame = _frame()
    model = splink_settings(incremental=False, frame=frame)
    model["probability_two_random_records_match"] = 0.000321
    for i, comparison in enumerate(model["comparisons"]):
        for j, level in enumerate(comparison["comparison_levels"]):
            if not level.get("is_null_level"):
                level["m_probability"] = 0.01 + i / 100 + j / 1000
                level["u_probability"] = 0.02 + j / 10000
    with duckdb.connect(":memory:") as con:
        sdf = DuckDBAPI(con).register(_typed(frame), table_name="linkage_records")
        saved = _linker(sdf, model).misc.save_model_to_json()
    assert saved["probability_two_random_records_match"] == pytest.approx(0.000321)
    expected = {(*k, p): v for k, (m, u) in _parameters(model).items() for p, v in (("m", m), ("u", u))}
    observed = {(*k, p): v for k, (m, u) in _parameters(saved).items() for p, v in (("m", m), ("u", u))}
    assert observed == pytest.approx(expected)


def test_scoring_uses_the_adjusted_model() -> None:
    """The model that scored (saved from the scoring linker) carries the household-evidence cap."""
    scored = score_pairs(_frame(), LinkageSettings(), incremental=False)
    assert scored.model_json["probability_two_random_records_match"] == pytest.approx(0.0002)  # small input
    for (name, _label), (m, u) in _parameters(scored.model_json).items():
        assert m is not None and u is not None and m > 0 and u > 0
        if name in ("location", "contact"):
            assert m / u <= MAX_LOCATION_BAYES_FACTOR * (1 + 1e-9)


def test_household_evidence_cap_raises_u_only_where_the_bayes_factor_is_too_high() -> None:
    model = {
        "comparisons": [
            {
                "output_column_name": "location",
                "comparison_levels": [
                    {"sql_condition": "x", "label_for_charts": "null", "is_null_level": True},
                    {"sql_condition": "y", "label_for_charts": "home", "m_probability": 0.5, "u_probability": 1e-6},
                    {"sql_condition": "z", "label_for_charts": "area", "m_probability": 0.1, "u_probability": 0.05},
                ],
            },
            {
                "output_column_name": "name",
                "comparison_levels": [
                    {"sql_condition": "y", "label_for_charts": "exact", "m_probability": 0.9, "u_probability": 1e-7}
                ],
            },
        ]
    }
    capped = cap_household_evidence(model)
    home, area = capped["comparisons"][0]["comparison_levels"][1:]
    assert home["u_probability"] == pytest.approx(0.5 / MAX_LOCATION_BAYES_FACTOR)
    assert area["u_probability"] == 0.05
    assert capped["comparisons"][1]["comparison_levels"][0]["u_probability"] == 1e-7  # names are not capped
    assert model["comparisons"][0]["comparison_levels"][1]["u_probability"] == 1e-6  # the input is not changed


def test_prior_outside_a_probability_falls_back_and_an_implausible_one_is_capped() -> None:
    notes: list[str] = []
    assert checked_prior({"probability_two_random_records_match": math.nan})[
        "probability_two_random_records_match"
    ] == pytest.approx(DEFAULT_PRIOR)
    assert checked_prior({"probability_two_random_records_match": 0.3}, notes)[
        "probability_two_random_records_match"
    ] == pytest.approx(MAX_PRIOR)
    assert notes and "capped" in notes[0]
    assert checked_prior({"probability_two_random_records_match": 0.001})[
        "probability_two_random_records_match"
    ] == pytest.approx(0.001)


def test_a_level_never_observed_gets_its_expert_default() -> None:
    model = splink_settings(incremental=False)
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    exact = next(lvl for lvl in name["comparison_levels"] if lvl["label_for_charts"] == "exact")
    default_m = exact["m_probability"]
    del exact["m_probability"]  # Splink leaves an unobserved level's m out of the saved model
    exact["u_probability"] = 0.0
    guarded = guard_probabilities(model)
    level = next(
        lvl
        for c in guarded["comparisons"]
        if c["output_column_name"] == "name"
        for lvl in c["comparison_levels"]
        if lvl["label_for_charts"] == "exact"
    )
    assert level["m_probability"] == default_m and level["u_probability"] > 0


def test_u_decontamination_removes_the_matches_hidden_among_random_pairs() -> None:
    model = {
        "probability_two_random_records_match": 0.1,
        "comparisons": [
            {
                "output_column_name": "dob",
                "comparison_levels": [
                    {"sql_condition": "a", "label_for_charts": "exact", "m_probability": 0.9, "u_probability": 0.19},
                    {"sql_condition": "b", "label_for_charts": "other", "m_probability": 0.1, "u_probability": 0.81},
                ],
            }
        ],
    }
    exact, other = decontaminate_u(model)["comparisons"][0]["comparison_levels"]
    # observed u = 0.9 u + 0.1 m: 0.19 = 0.9 u + 0.09 -> u = 0.111..., 0.81 = 0.9 u + 0.01 -> u = 0.888...
    assert exact["u_probability"] == pytest.approx(1 / 9)
    assert other["u_probability"] == pytest.approx(8 / 9)
