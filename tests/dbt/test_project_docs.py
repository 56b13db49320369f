"""The dbt docs are the evaluators' data dictionary: every model, seed and column a user can query is described."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
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
    return json.loads((target / "manifest.json").read_text())


def _documented(manifest: dict, kinds: tuple[str, ...]) -> list[dict]:
    return [
        n for n in manifest["nodes"].values() if n["resource_type"] in kinds and n["package_name"] == "hfc_outcomes"
    ]


def test_every_model_and_seed_has_a_description(manifest: dict) -> None:
    missing = [n["name"] for n in _documented(manifest, ("model", "seed")) if not n["description"].strip()]
    assert not missing, f"models or seeds without a description: {missing}"


def test_every_documented_column_has_a_description(manifest: dict) -> None:
    missing = [
        f"{n['name']}.{c}"
        for n in _documented(manifest, ("model", "seed"))
        for c, col in n["columns"].items()
        if not col["description"].strip()
    ]
    assert not missing, f"columns without a description: {missing}"


def test_every_mart_says_its_grain(manifest: dict) -> None:
    """STYLE: a model's description ends with its grain ('One row per ...')."""
    vague = [
        n["name"]
        for n in _documented(manifest, ("model",))
        if n["fqn"][1] in {"marts", "intermediate", "staging", "dashboards"}
        and "one row per" not in n["description"].lower()
    ]
    assert not vague, f"models whose description does not give the grain: {vague}"


def test_the_outcome_contract_tables_exist(manifest: dict) -> None:
    """Names other issues and checks rely on (issue 16's contract)."""
    names = {n["name"] for n in _documented(manifest, ("model",))}
    contract = {
        "dim_person",
        "fct_contacts",
        "fct_person_months",
        "mental_health_classification_quality",
        "fct_hfc_membership",
        "demand_concentration",
        "fct_questionnaire_scores",
        "fct_clinical_change",
        "fct_safety_events",
        "fct_feedback_themes",
        "feedback_theme_quality",
        "fct_intervention_episodes",
    }
    assert contract <= names, f"missing: {sorted(contract - names)}"


def test_every_dashboard_mart_is_checked_by_disclosure_safe(manifest: dict) -> None:
    """Dashboards read only dash_* models (issue 17): each must carry the disclosure rule's data test."""
    dashboards = {n["unique_id"] for n in _documented(manifest, ("model",)) if n["fqn"][1] == "dashboards"}
    checked = {
        n.get("attached_node")
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and (n.get("test_metadata") or {}).get("name") == "disclosure_safe"
    }
    assert dashboards, "no dashboards models"
    assert all(uid.split(".")[-1].startswith("dash_") for uid in dashboards)
    assert dashboards <= checked, sorted(dashboards - checked)
