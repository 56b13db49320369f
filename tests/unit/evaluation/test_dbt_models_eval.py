"""The dbt python models of schema evaluation are thin wrappers: run them with a stand-in for dbt."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from conftest import Simulated

from pipelines.evaluation.balance import BALANCE_COLUMNS
from pipelines.evaluation.estimates import ESTIMATE_COLUMNS
from pipelines.evaluation.matching import MATCH_COLUMNS

MODELS = Path(__file__).resolve().parents[3] / "dbt_project" / "models" / "evaluation"


class _Relation:
    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    def df(self) -> pd.DataFrame:
        return self._df


class _Dbt:
    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self.configured: dict[str, object] = {}

    def config(self, **kw: object) -> None:
        self.configured.update(kw)

    def ref(self, name: str) -> _Relation:
        return _Relation(self.tables[name])


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"evaluation_model_{name}", MODELS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_models_build_the_contract_tables(simulated: Simulated, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_DISCLOSURE_THRESHOLD", "10")
    few = simulated.episodes.head(60)
    dbt = _Dbt(
        {
            "evaluation_person_months": simulated.person_months,
            "evaluation_episodes": few,
            "evaluation_scores": simulated.scores,
            "area_months": pd.DataFrame(),
            "its_estimates": pd.DataFrame(),
        }
    )
    matches = _load("comparison_matches").model(dbt, None)
    assert dbt.configured["materialized"] == "table"
    assert list(matches.columns) == MATCH_COLUMNS and len(matches)
    dbt.tables["comparison_matches"] = matches
    bal = _load("balance").model(dbt, None)
    assert list(bal.columns) == BALANCE_COLUMNS and len(bal)
    est = _load("estimates").model(dbt, None)
    assert list(est.columns) == ESTIMATE_COLUMNS and len(est)
    n = est[["n_treated", "n_comparison"]].to_numpy(dtype=float)
    assert not ((n >= 1) & (n <= 10)).any()  # the threshold comes from HFC_DISCLOSURE_THRESHOLD
    assert est.loc[est["estimate"].notna(), "intervention"].eq("high_intensity_team").all()
    assert est.loc[est["intervention"].ne("high_intensity_team"), "note"].str.startswith("not estimated").all()
