"""Helpers for the end-to-end tests that compare a warehouse with a clean run's (the interrupted run, purge and
re-run): a table-by-table snapshot without the run-time columns, the comparison, and the environment of an ``hfc``
subprocess over a copied data directory."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
# When a load (or a drift test, or a linkage run) ran, not what it did: they differ between two runs of the same data.
VOLATILE = frozenset({"loaded_at", "linkage_run_id", "evaluated_at"})


def snapshot(path: Path, volatile: frozenset[str] = VOLATILE) -> dict[str, pd.DataFrame]:
    """Every table of the DuckDB file at ``path`` (``schema.table`` -> its rows without the ``volatile`` columns,
    sorted on every column), read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        out = {}
        for schema, table in tables:
            frame = con.execute(f'select * from "{schema}"."{table}"').df()
            frame = frame.drop(columns=[c for c in frame.columns if c in volatile])
            out[f"{schema}.{table}"] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out


def assert_same_warehouse(clean: Path, other: Path) -> None:
    """The two warehouses hold the same tables with the same rows (dtypes aside), run-time columns left out."""
    want, got = snapshot(clean), snapshot(other)
    assert sorted(want) == sorted(got)
    for table, frame in want.items():
        pd.testing.assert_frame_equal(frame, got[table], check_dtype=False, obj=table)


def hfc_env(root: Path) -> dict[str, str]:
    """The environment of an ``hfc`` run over ``root/data`` and ``root/warehouse``: the demo key and mode (none of
    the caller's), and this checkout's code (the venv's own path may point at another checkout)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HFC_PSEUDONYMISATION", "HFC_MODE"))}
    env.update(
        HFC_DATA_DIR=str(root / "data"),
        HFC_WAREHOUSE_PATH=str(root / "warehouse" / "outcomes.duckdb"),
        DAGSTER_HOME=str(root / "data" / "dagster"),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    return env
