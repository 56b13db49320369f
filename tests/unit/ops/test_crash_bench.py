"""The crash bench's comparison: order-independent, blind to run-time columns, and it names what differs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ops import crash


def _parquet(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def test_row_checksums_ignore_order_and_run_time_columns_but_not_content(tmp_path: Path) -> None:
    a = pd.DataFrame({"k": [1, 2, 3], "x": [0.1, 0.2, 0.3], "loaded_at": pd.Timestamp("2024-01-01")})
    b = a.iloc[::-1].assign(loaded_at=pd.Timestamp("2025-06-01"))  # other order, other load time
    duplicated = pd.concat([a, a.iloc[:1]])  # a row written twice: a crash's classic
    changed = a.assign(x=[0.1, 0.2, 0.4])
    with duckdb.connect() as con:
        sums = {
            name: crash._file_state(con, _parquet(tmp_path / f"{name}.parquet", frame), by_name_only=False)
            for name, frame in {"a": a, "b": b, "dup": duplicated, "changed": changed}.items()
        }
    assert sums["a"] == sums["b"]
    assert sums["dup"][0] == 4 and sums["dup"] != sums["a"]
    assert sums["changed"] != sums["a"]


def test_differences_name_tables_and_files_only() -> None:
    clean = crash.Snapshot({"marts.a": (3, "1"), "marts.b": (2, "2")}, {"pseudonymised/x/2024-01.parquet": (3, "9")})
    other = crash.Snapshot({"marts.a": (3, "1"), "marts.b": (3, "5")}, {})
    assert crash.differences(clean, other) == ["table marts.b differs", "file pseudonymised/x/2024-01.parquet missing"]
    assert crash.differences(clean, clean) == []


def test_a_row_is_appended_to_the_crash_table(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Other\n\ntext\n")
    crash.write_row("| first |", doc)
    crash.write_row("| second |", doc)
    text = doc.read_text()
    assert text.count(crash.SECTION) == 1
    table = text[text.index(crash.MARKER) :].splitlines()
    assert table[-2:] == ["| first |", "| second |"]
    assert text.startswith("# Benchmarks\n\n## Other\n\ntext\n")
