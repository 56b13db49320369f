"""Zone parquet stores timestamps in microseconds: Spark refuses TIMESTAMP(NANOS), pandas' default."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ops.atomic import write_parquet


def test_timestamps_are_written_in_microseconds_and_read_back_equal(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "loaded_at": pd.to_datetime(["2024-03-01 10:15:00.000000", None, "2024-03-31 23:59:59.123456"]),
            "day": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"]).date,
        }
    )
    assert str(frame["loaded_at"].dtype) == "datetime64[ns]"
    write_parquet(frame, tmp_path / "t.parquet")
    field = pq.read_schema(tmp_path / "t.parquet").field("loaded_at")
    assert pa.types.is_timestamp(field.type) and field.type.unit == "us"
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert back["loaded_at"].astype("datetime64[ns]").equals(frame["loaded_at"])
    assert back["day"].tolist() == frame["day"].tolist()


def test_a_clock_reading_finer_than_a_microsecond_is_truncated_not_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"at": [pd.Timestamp("2024-03-01 10:15:00.123456789")]})
    write_parquet(frame, tmp_path / "t.parquet")
    assert pd.read_parquet(tmp_path / "t.parquet")["at"].iloc[0] == pd.Timestamp("2024-03-01 10:15:00.123456")
