"""HFC_ENGINE, the one setting that picks DuckDB or Spark (pipelines/engine.py). Runs without the spark extra."""

import pytest

from pipelines.engine import ENGINES, engine, missing_modules


def test_duckdb_is_the_default(monkeypatch):
    monkeypatch.delenv("HFC_ENGINE", raising=False)
    assert engine().name == "duckdb"
    assert engine().dbt_target == "local"
    monkeypatch.setenv("HFC_ENGINE", "  ")
    assert engine().name == "duckdb"


def test_spark_names_its_dbt_output_and_splink_backend(monkeypatch):
    monkeypatch.setenv("HFC_ENGINE", "Spark")
    chosen = engine()
    assert (chosen.name, chosen.dbt_target, chosen.splink_backend) == ("spark", "spark", "spark")


def test_an_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("HFC_ENGINE", "postgres")
    with pytest.raises(ValueError, match="HFC_ENGINE must be one of duckdb, spark"):
        engine()


def test_every_engine_names_an_output_of_the_dbt_profile():
    import yaml

    from pipelines.settings import REPO_ROOT

    profile = yaml.safe_load((REPO_ROOT / "dbt_project" / "profiles.yml").read_text())
    outputs = profile["hfc_outcomes"]["outputs"]
    assert {e.dbt_target for e in ENGINES.values()} <= set(outputs)
    assert outputs["spark"]["type"] == "spark" and outputs["local"]["type"] == "duckdb"


def test_missing_modules_names_what_the_extra_would_install():
    assert missing_modules(ENGINES["duckdb"]) == []
    absent = ENGINES["spark"].__class__("x", "x", "x", needs=("no_such_module_hfc", "no_such_parent_hfc.child"))
    assert missing_modules(absent) == ["no_such_module_hfc", "no_such_parent_hfc.child"]
