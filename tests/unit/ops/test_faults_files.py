"""Corrupt and locked files the warehouse build reads or replaces: a corrupt parquet file in the pseudonymised zone,
a corrupt or truncated warehouse file (the published one and the full build), a DuckDB file held by another
process. Each gives a clear error naming the file and the cause, keeps the published warehouse, and recovers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.ops.integrity import (
    CorruptZoneFile,
    WarehouseLocked,
    check_before_build,
    duckdb_problem,
    parquet_problems,
    require_readable_parquet,
    wait_until_unlocked,
)
from pipelines.warehouse.sql import SqlError, connect

RUN_ID = "abcdef1234567890"


def _warehouse(path: Path, rows: int = 50_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.fct_contacts as select range as n, 'k' || range as k from range({rows})")
    return path


def _zone(root: Path) -> Path:
    pseudonymised = root / "pseudonymised"
    for feed in ("police_incidents", "ed_attendances"):
        for period in ("2024-01", "2024-02"):
            target = pseudonymised / feed / f"period={period}" / "data.parquet"
            target.parent.mkdir(parents=True)
            pd.DataFrame({"record_key": ["a", "b"], "period": period}).to_parquet(target)
        audit = pseudonymised / "_load_audit" / feed / "2024-01.parquet"
        audit.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"rows_received": [5]}).to_parquet(audit)
    return pseudonymised


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "empty"])
def test_a_corrupt_parquet_file_is_named_with_the_backfill_that_rewrites_it(tmp_path: Path, damage: str) -> None:
    pseudonymised = _zone(tmp_path)
    bad = pseudonymised / "ed_attendances" / "period=2024-02" / "data.parquet"
    data = bad.read_bytes()
    bad.write_bytes({"truncated": data[: len(data) // 2], "random bytes": os.urandom(len(data)), "empty": b""}[damage])
    audit = pseudonymised / "_load_audit" / "police_incidents" / "2024-01.parquet"
    audit.write_bytes(audit.read_bytes()[:-10])
    (pseudonymised / "ed_attendances" / "period=2024-01" / ".data.parquet.writing-1").write_bytes(b"x")  # ignored
    found = parquet_problems(pseudonymised)
    assert [d.path for d in found] == [audit, bad]
    with pytest.raises(CorruptZoneFile) as caught:
        require_readable_parquet(pseudonymised)
    message = str(caught.value)
    assert "ed_attendances/period=2024-02/data.parquet" in message
    assert "hfc backfill --feed ed_attendances --from 2024-02 --to 2024-02" in message
    assert "hfc backfill --feed police_incidents --from 2024-01 --to 2024-01" in message
    assert "published one is unchanged" in message
    assert "record_key" not in message and "'a'" not in message  # no column content


def test_a_readable_zone_passes(tmp_path: Path) -> None:
    pseudonymised = _zone(tmp_path)
    require_readable_parquet(pseudonymised)
    assert parquet_problems(tmp_path / "missing") == []


@pytest.mark.parametrize(
    ("damage", "says"),
    [("truncated", "truncated"), ("random bytes", "not a DuckDB"), ("empty", "not a DuckDB"), ("header", "truncated")],
)
def test_a_corrupt_or_truncated_warehouse_file_is_detected(tmp_path: Path, damage: str, says: str) -> None:
    path = _warehouse(tmp_path / "w.duckdb")
    assert duckdb_problem(path) is None
    data = path.read_bytes()
    path.write_bytes(
        {
            "truncated": data[: len(data) // 2],
            "random bytes": os.urandom(len(data)),
            "empty": b"",
            "header": data[:4096],
        }[damage]
    )
    assert says in (duckdb_problem(path) or "")


def test_a_reader_of_a_corrupt_published_warehouse_is_told_the_next_run_rebuilds_it(tmp_path: Path) -> None:
    path = _warehouse(tmp_path / "outcomes.duckdb")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SqlError) as caught:
        connect(path)
    assert str(path) in str(caught.value) and "truncated" in str(caught.value)
    assert "rebuilds and republishes" in str(caught.value)


@pytest.fixture
def writer(tmp_path: Path):
    """Another process holding a DuckDB file open for writing, as a duckdb CLI or DBeaver session does."""
    holders: list[subprocess.Popen[str]] = []

    def hold(path: Path, read_only: bool = False) -> subprocess.Popen[str]:
        code = (
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(path)!r}, read_only={read_only})\n"
            "print('holding', flush=True)\n"
            "time.sleep(60)\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        holders.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        return proc

    yield hold
    for proc in holders:
        proc.kill()
        proc.wait()


def test_a_file_locked_by_a_writer_fails_after_a_short_wait_naming_the_file_and_pid(tmp_path: Path, writer) -> None:
    path = _warehouse(tmp_path / "outcomes_full.duckdb", rows=10)
    holder = writer(path)
    said: list[str] = []
    started = time.monotonic()
    with pytest.raises(WarehouseLocked) as caught:
        wait_until_unlocked(path, wait=1.0, poll=0.2, log=said.append)
    assert time.monotonic() - started >= 1.0  # it waited; that it gives up at all is what raising shows
    assert caught.value.pid == holder.pid
    message = str(caught.value)
    assert str(path) in message and f"process {holder.pid}" in message and "unchanged" in message
    assert said and "waiting" in said[0]
    holder.kill()
    holder.wait()
    assert wait_until_unlocked(path, wait=1.0, poll=0.2) is None  # released: the run goes on


def test_a_lock_released_while_waiting_lets_the_run_go_on(tmp_path: Path, writer) -> None:
    path = _warehouse(tmp_path / "outcomes_full.duckdb", rows=10)
    holder = writer(path)
    subprocess.Popen([sys.executable, "-c", f"import os, time; time.sleep(0.8); os.kill({holder.pid}, 9)"])
    assert wait_until_unlocked(path, wait=20.0, poll=0.2) is None


def test_readers_do_not_block_the_probe_and_a_publish_swap_does_not_block_readers(tmp_path: Path, writer) -> None:
    from pipelines.warehouse.publish import publish

    published = _warehouse(tmp_path / "warehouse" / "outcomes.duckdb", rows=10)
    writer(published, read_only=True)  # a dashboard or an evaluator's read-only session
    assert wait_until_unlocked(published, wait=0.5, poll=0.1) is None
    build = _warehouse(tmp_path / "build.duckdb", rows=20)
    publish(build, published)  # swapped in by a rename beside the open reader
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_contacts").fetchone() == (20,)


def test_a_corrupt_full_build_is_set_aside_and_the_build_starts_from_scratch(tmp_path: Path) -> None:
    published = _warehouse(tmp_path / "warehouse" / "outcomes.duckdb", rows=10)
    full = _warehouse(tmp_path / "restricted" / "outcomes_full.duckdb")
    full.write_bytes(full.read_bytes()[:5000])
    said: list[str] = []
    check_before_build(published, full, _zone(tmp_path), RUN_ID, said.append)
    assert not full.exists()
    aside = full.with_name("outcomes_full.duckdb.corrupt-abcdef12")
    assert aside.exists()
    assert any("set aside as outcomes_full.duckdb.corrupt-abcdef12" in line for line in said)
    assert duckdb_problem(published) is None  # untouched

    # a corrupt published file is only reported: publishing replaces it
    published.write_bytes(b"garbage")
    said.clear()
    check_before_build(published, full, _zone(tmp_path / "again"), RUN_ID, said.append)
    assert published.read_bytes() == b"garbage"
    assert any("this run publishes a new one" in line for line in said)


def test_a_corrupt_zone_file_stops_the_build_before_dbt(tmp_path: Path) -> None:
    published = _warehouse(tmp_path / "warehouse" / "outcomes.duckdb", rows=10)
    before = published.read_bytes()
    pseudonymised = _zone(tmp_path)
    (pseudonymised / "police_incidents" / "period=2024-02" / "data.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(CorruptZoneFile, match="police_incidents --from 2024-02 --to 2024-02"):
        check_before_build(published, tmp_path / "no_full.duckdb", pseudonymised, RUN_ID, lambda _: None)
    assert published.read_bytes() == before
