"""The evaluation schema's SQL models keep the column names issue 18's contract gives them (the estimators, the
evaluation pack and docs/evaluation.md read them by name), and dbt enforces each model's columns at build time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
COUNTS = [
    "crisis_contacts",
    "police_contacts",
    "ambulance_contacts",
    "emergency_department_contacts",
    "mental_health_trust_contacts",
    "council_contacts",
    "s136_detentions",
]
CONTRACT = {
    "evaluation_person_months": [
        "linkage",
        "person_key",
        "month_start",
        "month_index",
        *COUNTS,
        "sex",
        "age_band",
        "imd_quintile",
        "locality_code",
        "ethnicity_group",
        "has_disability",
        "is_neurodivergent",
        "first_step_up_month_index",
        "first_intervention",
    ],
    "evaluation_episodes": [
        "linkage",
        "intervention_episode_key",
        "person_key",
        "intervention",
        "stepped_up_on",
        "index_month_index",
        "locality_code",
    ],
    "evaluation_scores": [
        "linkage",
        "person_key",
        "assessment_key",
        "outcome",
        "assessment_date",
        "month_index",
        "timepoint_code",
        "score",
    ],
    "episode_windows": [
        "intervention_episode_key",
        "person_key",
        "intervention",
        "index_month_index",
        "window_months",
        "outcome",
        "measure",
        "pre_value",
        "post_value",
        "pre_months",
        "post_months",
        "is_complete",
    ],
    "area_months": [
        "locality_code",
        "month_start",
        "month_index",
        "police_mental_health_incidents",
        "ambulance_calls",
        "ed_attendances",
        "crisis_contacts",
        "s136_detentions",
        "people_known",
        "intervention",
        "go_live_month_index",
        "is_live",
    ],
}


@pytest.fixture(scope="module")
def evaluation_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    target = tmp_path_factory.mktemp("dbt-target")
    env = {
        **os.environ,
        "HFC_WAREHOUSE_BUILD_PATH": ":memory:",
        "HFC_PSEUDONYMISED_DIR": str(target / "pseudonymised"),
    }
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "--quiet", "parse", "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"].values()
    return {n["name"]: n for n in nodes if n["resource_type"] == "model" and n["fqn"][1] == "evaluation"}


@pytest.mark.parametrize("model", sorted(CONTRACT))
def test_the_model_has_the_contract_columns_in_order(evaluation_models: dict[str, dict], model: str) -> None:
    assert model in evaluation_models, f"{model} is not in models/evaluation"
    assert list(evaluation_models[model]["columns"]) == CONTRACT[model]


@pytest.mark.parametrize("model", sorted(CONTRACT))
def test_dbt_enforces_the_columns_and_types(evaluation_models: dict[str, dict], model: str) -> None:
    node = evaluation_models[model]
    assert node["config"]["contract"]["enforced"], f"{model}: contract not enforced"
    untyped = [c for c, col in node["columns"].items() if not col.get("data_type")]
    assert not untyped, f"{model}: columns without a data_type: {untyped}"


def test_the_evaluation_models_are_tables_in_the_evaluation_schema(evaluation_models: dict[str, dict]) -> None:
    wrong = {n: (m["schema"], m["config"]["materialized"]) for n, m in evaluation_models.items()}
    assert all(v == ("evaluation", "table") for v in wrong.values()), wrong
