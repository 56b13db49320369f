"""Splink's Spark backend on a local pyspark: the same model scores the same pairs as on DuckDB (issue 22).

Made-up records and a two-comparison model using the two string functions pipelines/linkage/model.py uses. On Spark
they come from Splink's similarity UDF jar under other names (`jaro_winkler`, not DuckDB's
`jaro_winkler_similarity`), so the model's SQL must be written per dialect. Needs the `spark` extra installed
without sqlglotc (`make test-spark`): Splink's Spark dialect subclasses sqlglot's, which the compiled sqlglot refuses.
"""

from pathlib import Path

import pytest

pytest.importorskip("pyspark")

import pandas as pd

RECORDS = pd.DataFrame(
    {
        "unique_id": [1, 2, 3, 4, 5],
        "token": ["alpha", "alpho", "bravo", "brave", "delta"],
        "code": ["2000-01-02", "2000-01-20", "1990-05-05", "1990-05-05", "1990-05-05"],
        "block": ["x", "x", "y", "y", "y"],
    }
)


def _settings(jaro_winkler: str) -> dict:
    def level(sql: str, m: float, u: float) -> dict:
        return {"sql_condition": sql, "m_probability": m, "u_probability": u}

    return {
        "link_type": "dedupe_only",
        "blocking_rules_to_generate_predictions": ["l.block = r.block"],
        "comparisons": [
            {
                "output_column_name": "token",
                "comparison_levels": [
                    {"sql_condition": "token_l IS NULL OR token_r IS NULL", "is_null_level": True},
                    level(f"{jaro_winkler}(token_l, token_r) >= 0.88", 0.9, 0.01),
                    level("ELSE", 0.1, 0.99),
                ],
            },
            {
                "output_column_name": "code",
                "comparison_levels": [
                    {"sql_condition": "code_l IS NULL OR code_r IS NULL", "is_null_level": True},
                    level("code_l = code_r", 0.7, 0.001),
                    level("damerau_levenshtein(code_l, code_r) <= 1", 0.2, 0.01),
                    level("ELSE", 0.1, 0.989),
                ],
            },
        ],
        "probability_two_random_records_match": 0.1,
    }


def _scored(db_api, jaro_winkler: str) -> pd.DataFrame:
    from splink import Linker

    linker = Linker(db_api.register(RECORDS), _settings(jaro_winkler))
    frame = linker.inference.predict().as_pandas_dataframe()
    columns = ["unique_id_l", "unique_id_r", "gamma_token", "gamma_code", "match_probability"]
    return frame[columns].sort_values(["unique_id_l", "unique_id_r"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    work: Path = tmp_path_factory.mktemp("splink_spark")
    session = (
        SparkSession.builder.master("local[1]")
        .config("spark.driver.memory", "1g")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.local.dir", str(work / "tmp"))
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config("spark.sql.catalogImplementation", "in-memory")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(work / "checkpoints"))
    yield session
    session.stop()


def test_splink_scores_the_same_pairs_on_spark_as_on_duckdb(spark):
    from splink import DuckDBAPI, SparkAPI

    on_duckdb = _scored(DuckDBAPI(), "jaro_winkler_similarity")
    on_spark = _scored(SparkAPI(spark_session=spark), "jaro_winkler")
    assert len(on_duckdb) == 4  # one pair in block x, three in block y
    pd.testing.assert_frame_equal(on_duckdb, on_spark, check_dtype=False, rtol=0, atol=1e-9)
