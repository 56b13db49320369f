"""The end-to-end tests' warehouse comparison (tests/warehouse_snapshot.py), on two tiny DuckDB files."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_snapshot import REPO, VOLATILE, assert_same_warehouse, hfc_env, snapshot


def _warehouse(path: Path, rows: list[tuple[int, str, str]]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_x (n integer, code varchar, loaded_at varchar)")
        con.executemany("insert into marts.fct_x values (?, ?, ?)", rows)
        con.execute("create table main.empty (a integer)")
    return path


def test_a_snapshot_leaves_out_run_time_columns_and_ignores_row_order(tmp_path: Path) -> None:
    clean = _warehouse(tmp_path / "clean.duckdb", [(1, "a", "09:00"), (2, "b", "09:00")])
    rerun = _warehouse(tmp_path / "rerun.duckdb", [(2, "b", "10:30"), (1, "a", "10:31")])  # other times and order
    tables = snapshot(clean)
    assert sorted(tables) == ["main.empty", "marts.fct_x"]
    assert list(tables["marts.fct_x"].columns) == ["n", "code"] and "loaded_at" in VOLATILE
    assert tables["marts.fct_x"]["n"].tolist() == [1, 2]
    assert_same_warehouse(clean, rerun)


def test_a_changed_row_or_a_missing_table_is_a_difference(tmp_path: Path) -> None:
    clean = _warehouse(tmp_path / "clean.duckdb", [(1, "a", "09:00")])
    changed = _warehouse(tmp_path / "changed.duckdb", [(1, "z", "09:00")])
    with pytest.raises(AssertionError, match=r"marts\.fct_x"):
        assert_same_warehouse(clean, changed)
    with duckdb.connect(str(changed)) as con:
        con.execute("drop table main.empty")
    with pytest.raises(AssertionError):
        assert_same_warehouse(clean, changed)


def test_the_environment_runs_this_checkout_over_the_copied_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFC_PSEUDONYMISATION_KEY", "k" * 40)
    monkeypatch.setenv("HFC_MODE", "production")
    env = hfc_env(tmp_path)
    assert "HFC_PSEUDONYMISATION_KEY" not in env and "HFC_MODE" not in env  # the demo key and mode
    assert env["HFC_DATA_DIR"] == str(tmp_path / "data")
    assert env["DAGSTER_HOME"] == str(tmp_path / "data" / "dagster")
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(REPO) and (REPO / "pipelines").is_dir()
