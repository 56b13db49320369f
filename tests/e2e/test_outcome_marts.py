"""The outcome warehouse on the tiny county: the contract marts are built, measured and documented, and no free
text reaches the published file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import REPO_ROOT

pytestmark = pytest.mark.slow

CONTRACT = {
    "marts.dim_person",
    "marts.fct_contacts",
    "marts.fct_person_months",
    "marts.mental_health_classification_quality",
    "marts.fct_hfc_membership",
    "marts.demand_concentration",
    "marts.fct_questionnaire_scores",
    "marts.fct_clinical_change",
    "marts.fct_safety_events",
    "marts.fct_feedback_themes",
    "marts.feedback_theme_quality",
    "marts.fct_intervention_episodes",
}


def _tables(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute("select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in names}


def test_the_contract_marts_are_published_with_rows(demo_run) -> None:
    tables = _tables(demo_run.warehouse)
    missing = CONTRACT - set(tables)
    assert not missing, f"missing marts: {sorted(missing)}"
    empty = [t for t in CONTRACT if tables[t] == 0]
    assert not empty, f"empty marts on the demo county: {empty}"


def test_free_text_is_kept_back_in_the_restricted_store(demo_run) -> None:
    from pipelines.warehouse.publish import free_text_columns

    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        columns = {r[0] for r in con.execute("select distinct column_name from duckdb_columns()").fetchall()}
    assert "restricted" not in schemas
    assert not (columns & free_text_columns()), columns & free_text_columns()
    full = _tables(demo_run.data_dir / "restricted" / "outcomes_full.duckdb")
    restricted = [t for t in full if t.startswith("restricted.")]
    assert "restricted.stg_police_incidents__narratives" in restricted
    assert full["restricted.stg_police_incidents__narratives"] > 0


def test_every_published_column_is_in_the_data_dictionary(demo_run, tmp_path: Path) -> None:
    """A column a user can query but the dbt docs do not describe fails (the yml and the SQL drifted)."""
    env = {**os.environ, "HFC_WAREHOUSE_BUILD_PATH": ":memory:", "HFC_PSEUDONYMISED_DIR": str(tmp_path)}
    dbt = Path(sys.executable).parent / "dbt"
    parsed = subprocess.run(
        [str(dbt), "--quiet", "parse", "--target-path", str(tmp_path / "target")],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
    )
    assert parsed.returncode == 0, parsed.stdout[-2000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    described = {
        (n["schema"], n["name"]): {c for c, col in n["columns"].items() if col["description"].strip()}
        for n in manifest["nodes"].values()
        if n["resource_type"] in {"model", "seed"}
    }
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where not internal and schema_name in ('staging', 'marts', 'reference', 'intermediate', 'dashboards')"
        ).fetchall()
    undocumented = [f"{s}.{t}.{c}" for s, t, c in columns if c not in described.get((s, t), set())]
    assert not undocumented, f"published columns the dbt docs do not describe: {undocumented[:40]}"


def test_quality_of_the_warehouse_own_classifiers_is_measured_every_demo_run(demo_run) -> None:
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        mh = con.execute(
            "select feed, method, records, precision, recall from marts.mental_health_classification_quality"
        ).df()
        themes = con.execute("select theme, responses, precision, recall from marts.feedback_theme_quality").df()
    assert set(mh["method"]) == {"agency_tag", "classifier", "combined"}
    assert set(mh["feed"]) == {"police_incidents", "ambulance_calls", "ed_attendances"}
    assert (mh["records"] > 0).all()
    police = mh[mh["feed"] == "police_incidents"].set_index("method")
    # the agency's tag misses about four in ten (docs/feeds.md); reading codes and narrative must do far better
    assert police.loc["classifier", "recall"] > police.loc["agency_tag", "recall"] + 0.2, police
    assert police.loc["combined", "recall"] >= 0.9 and police.loc["combined", "precision"] >= 0.9, police
    assert len(themes) >= 5 and (themes["responses"] > 0).all()
    # a codebook that codes nothing (or everything) fails here
    assert themes["recall"].mean() > 0.4 and themes["precision"].mean() > 0.5, themes


def test_make_docs_builds_an_offline_data_dictionary(demo_run, tmp_path: Path) -> None:
    env = {**os.environ, "HFC_DATA_DIR": str(demo_run.data_dir), "HFC_WAREHOUSE_PATH": str(demo_run.warehouse)}
    hfc = Path(sys.executable).parent / "hfc"
    out = tmp_path / "dbt_docs"
    result = subprocess.run([str(hfc), "docs", "--out", str(out)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "fct_contacts" in html and "dim_person" in html
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"'](https?:)?//", html, re.IGNORECASE)
    assert "Content-Security-Policy" in html
    assert str(out / "index.html") in result.stdout


def test_make_run_prints_the_headline_outcome_tables(demo_run) -> None:
    for table in ("marts.fct_contacts", "marts.fct_clinical_change", "marts.fct_hfc_membership"):
        assert table in demo_run.stdout
    assert "Outcomes" in demo_run.stdout
