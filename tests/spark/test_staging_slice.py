"""One staging model built from the same parquet on DuckDB and on Spark (issue 22's first slice).

`stg_ambulance_calls__calls` and its tests are built twice from a tiny made-up pseudonymised zone: by the `local`
(DuckDB) output and by the `spark` output (dbt-spark's session method, a local pyspark). The model is written once;
the cross_db macros dispatch what differs (the text type, QUALIFY, reading the source's parquet glob). Both
builds must pass their tests and give the same rows. Needs the `spark` extra (`make test-spark`); skipped where
pyspark is not installed, as in `make test`.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
pytest.importorskip("dbt.adapters.spark")

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
MODEL = "stg_ambulance_calls__calls"
DBT = Path(sys.executable).with_name("dbt")


def _calls(rows: list[dict], *, with_locality: bool) -> pa.Table:
    fields = [
        ("record_key", pa.string()),
        ("key_id", pa.string()),
        ("period", pa.string()),
        ("age_band", pa.string()),
        ("imd_decile", pa.int64()),
        ("locality_code", pa.string()),
        ("clinical_notes", pa.string()),
        # microseconds: Spark cannot read parquet's TIMESTAMP(NANOS), which pandas writes by default (docs/scale.md)
        ("call_received_at", pa.timestamp("us")),
        ("response_category", pa.string()),
        ("chief_complaint_code", pa.string()),
        ("call_outcome", pa.string()),
        ("destination_site_code", pa.string()),
        ("response_seconds", pa.int64()),
        ("is_mental_health_related", pa.bool_()),
        ("sex", pa.string()),
    ]
    if not with_locality:
        fields = [f for f in fields if f[0] != "locality_code"]
    schema = pa.schema(fields)
    return pa.Table.from_pylist([{name: row.get(name) for name, _ in fields} for row in rows], schema=schema)


def _call(key: str, period: str, outcome: str, notes: str | None, **extra) -> dict:
    return {
        "record_key": key,
        "key_id": "k1",
        "period": period,
        "age_band": "25-34",
        "imd_decile": 3,
        "locality_code": "LOC_A",
        "clinical_notes": notes,
        "call_received_at": dt.datetime(2024, int(period[-2:]), 5, 10, 30, 15),
        "response_category": "2",
        "chief_complaint_code": "PSYCH",
        "call_outcome": outcome,
        "destination_site_code": None,
        "response_seconds": 600,
        "is_mental_health_related": True,
        "sex": "Female",
        **extra,
    }


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    """Two deliveries: the first without locality_code (union by name), a call corrected in the second."""
    root = tmp_path_factory.mktemp("pseudonymised")
    first = [
        _call("call_a", "2024-01", "hear_and_treat", "made-up note"),
        _call("call_b", "2024-01", "see_and_treat", None, sex="Male"),
        _call("call_c", "2024-01", "see_and_convey", "   ", destination_site_code="RX101"),
    ]
    second = [
        _call("call_a", "2024-02", "see_and_convey", "", destination_site_code="RX201"),
        _call("call_d", "2024-02", "closed_without_assessment", "made-up note", imd_decile=None, sex=None),
    ]
    for period, rows, with_locality in (("2024-01", first, False), ("2024-02", second, True)):
        folder = root / "ambulance_calls" / f"period={period}"
        folder.mkdir(parents=True)
        pq.write_table(_calls(rows, with_locality=with_locality), folder / "data.parquet")
    return root


def _build(target: str, zone: Path, work: Path) -> None:
    env = {
        **os.environ,
        "HFC_PSEUDONYMISED_DIR": str(zone),
        "HFC_WAREHOUSE_BUILD_PATH": str(work / "outcomes.duckdb"),
        "HFC_SPARK_WAREHOUSE_DIR": str(work / "spark"),
        "HFC_SPARK_MASTER": "local[1]",
        "HFC_SPARK_CATALOG": "in-memory",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [str(DBT), "build", "--select", MODEL, "--target", target, "--project-dir", str(PROJECT)]
    args += ["--profiles-dir", str(PROJECT), "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    done = subprocess.run(args, env=env, cwd=work, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"dbt build on {target} failed:\n{done.stdout[-4000:]}"


def _rows(table: pa.Table) -> list[tuple]:
    columns = sorted(table.column_names)
    return sorted(tuple(row[c] for c in columns) for row in table.select(columns).to_pylist())


@pytest.fixture(scope="module")
def built(zone, tmp_path_factory) -> dict[str, pa.Table]:
    tables = {}
    duck = tmp_path_factory.mktemp("duckdb")
    _build("local", zone, duck)
    with duckdb.connect(str(duck / "outcomes.duckdb"), read_only=True) as con:
        tables["duckdb"] = con.sql(f"select * from staging.{MODEL}").to_arrow_table()
    spark = tmp_path_factory.mktemp("spark")
    _build("spark", zone, spark)
    # a managed table: parquet files in the warehouse folder, read here without a second Spark session
    files = sorted((spark / "spark" / "warehouse" / "staging.db" / MODEL).glob("*.parquet"))
    assert files, "the Spark build wrote no parquet for the model"
    tables["spark"] = pa.concat_tables(pq.read_table(f) for f in files)
    return tables


def test_both_engines_give_the_same_rows(built):
    assert sorted(built["duckdb"].column_names) == sorted(built["spark"].column_names)
    assert _rows(built["duckdb"]) == _rows(built["spark"])


def test_the_latest_delivery_of_a_record_wins_on_spark(built):
    rows = {r["call_key"]: r for r in built["spark"].to_pylist()}
    assert sorted(rows) == ["call_a", "call_b", "call_c", "call_d"]
    assert rows["call_a"]["call_outcome"] == "see_and_convey"
    assert rows["call_a"]["locality_code"] == "LOC_A"
    assert rows["call_b"]["locality_code"] is None  # the first delivery had no locality_code column
    assert [rows[k]["has_clinical_notes"] for k in ("call_a", "call_b", "call_c", "call_d")] == [
        False,
        False,
        False,
        True,
    ]
