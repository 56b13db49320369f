"""The leak scan in worker processes finds what the one-process scan finds, and reports a worker's failure by file."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.privacy import scan
from pipelines.privacy.scan import ScanError, scan_paths

NAME = "Qwerlinda Vantablack"
PHONE = "07700 900123"
KNOWN = [("PERSON", NAME), ("PHONE_NUMBER", PHONE)]

needs_fork = pytest.mark.skipif(scan.scan_workers() < 2, reason="needs two cores and fork")


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """The name planted in every kind of file the scan reads, the phone in a few; a DuckDB file of several tables."""
    root = tmp_path / "out"
    (root / "part").mkdir(parents=True)
    pd.DataFrame({"k": ["ab" * 16, "cd" * 16, "ef" * 16], "note": ["fine", f"seen {NAME}", "fine"]}).to_parquet(
        root / "part" / "a.parquet"
    )
    pd.DataFrame({"note": [f"ring {PHONE}", "fine"]}).to_parquet(root / "part" / "b.parquet")
    con = duckdb.connect(str(root / "w.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.clean as select range as n, 'code ' || range as c from range(500)")
    con.execute(f"create table marts.leaky as select '{NAME}' as who, 'x' as y union all select 'ok', '{PHONE}'")
    con.execute("create table main.other as select 'fine' as z")
    con.execute(f"create view marts.v as select '{NAME}' as who")
    con.close()
    con = sqlite3.connect(root / "runs.db")
    con.execute("create table event_logs(id int, event text)")
    con.execute("insert into event_logs values (1, ?)", (json.dumps({"msg": f"{NAME} was seen"}),))
    con.commit()
    con.close()
    (root / "a.csv").write_text(f"id,who\n1,{NAME}\n2,ok\n", encoding="utf-8")
    (root / "b.json").write_text(json.dumps({"rows": [{"who": NAME}]}), encoding="utf-8")
    (root / "c.html").write_text(f"<td>{NAME}</td>\n<td data-v='{PHONE}'>x</td>\n", encoding="utf-8")
    (root / "d.log").write_text(f"INFO fine\nWARN {NAME} rang from {PHONE}\n", encoding="utf-8")
    (root / "e.jsonl.gz").write_bytes(gzip.compress((json.dumps({"t": NAME}) + "\n").encode()))
    (root / "f.txt").write_text("nothing here\n", encoding="utf-8")
    return root


def _where(findings) -> list[tuple[str, str, str, str, str]]:
    return [(Path(f.path).name, f.location, f.entity_type, f.source, f.masked) for f in findings]


@needs_fork
@pytest.mark.parametrize("patterns", [True, False])
def test_parallel_and_serial_scans_find_the_same(tree: Path, patterns: bool) -> None:
    serial_errors: list[ScanError] = []
    parallel_errors: list[ScanError] = []
    serial = scan_paths([tree], KNOWN, patterns=patterns, errors=serial_errors, workers=1)
    parallel = scan_paths([tree], KNOWN, patterns=patterns, errors=parallel_errors, workers=2)
    assert serial_errors == parallel_errors == []
    assert _where(parallel) == _where(serial)  # the same findings, in the same order
    files = {name for name, *_ in _where(serial)}
    assert files == {
        "a.parquet",
        "b.parquet",
        "w.duckdb",
        "runs.db",
        "a.csv",
        "b.json",
        "c.html",
        "d.log",
        "e.jsonl.gz",
    }
    duck = {loc.split(" row ")[0] for name, loc, *_ in _where(serial) if name == "w.duckdb"}
    assert duck == {"marts.leaky.who", "marts.leaky.y", "marts.v (view definition)"}
    assert all(NAME not in f.masked and "900123" not in f.masked for f in serial)


def test_one_process_when_asked(tree: Path, monkeypatch) -> None:
    def no_pool(*_args, **_kwargs):
        raise AssertionError("a pool was started")

    monkeypatch.setattr(scan, "_scan_parallel", no_pool)
    assert scan_paths([tree], KNOWN, workers=1)


def _leaky_reader(*_args, **_kwargs):
    raise ValueError(f"cannot parse {NAME!r} near {PHONE!r}")  # a built-in error that quotes the value


@needs_fork
def test_a_worker_error_is_a_scan_error_naming_the_file_never_the_value(tree: Path, monkeypatch, caplog) -> None:
    monkeypatch.setattr(scan, "_read_csv", _leaky_reader)  # forked workers inherit the patch
    errors: list[ScanError] = []
    findings = scan_paths([tree], KNOWN, errors=errors, workers=2)
    assert [(Path(e.path).name, e.reason) for e in errors] == [("a.csv", "ValueError: could not be read")]
    assert "a.csv" not in {Path(f.path).name for f in findings}
    assert "w.duckdb" in {Path(f.path).name for f in findings}  # the other files are still scanned
    told = " ".join([*(e.reason for e in errors), caplog.text])
    assert "Vantablack" not in told and "900123" not in told


@needs_fork
def test_a_worker_error_without_an_error_list_raises_as_in_one_process(tree: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan, "_read_parquet", _leaky_reader)
    with pytest.raises(ValueError):
        scan_paths([tree], KNOWN, workers=1)
    with pytest.raises(ValueError):
        scan_paths([tree], KNOWN, workers=2)


@needs_fork
def test_a_killed_worker_is_a_scan_error_not_a_clean_file(tree: Path, monkeypatch) -> None:
    import os
    import signal

    def killed(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # what the out-of-memory killer does

    monkeypatch.setattr(scan, "_read_html", killed)
    errors: list[ScanError] = []
    scan_paths([tree], KNOWN, errors=errors, workers=2)
    assert "c.html" in {Path(e.path).name for e in errors}
    assert {e.reason for e in errors} == {"BrokenProcessPool: could not be read"}


@needs_fork
def test_a_broken_duckdb_file_is_a_scan_error_in_both_paths(tmp_path: Path) -> None:
    (tmp_path / "x.duckdb").write_bytes(b"\x00" * 8 + b"DUCK" + b"\x00" * 100)
    (tmp_path / "ok.txt").write_text("fine\n", encoding="utf-8")
    for workers in (1, 2):
        errors: list[ScanError] = []
        assert scan_paths([tmp_path], KNOWN, errors=errors, workers=workers) == []
        assert [Path(e.path).name for e in errors] == ["x.duckdb"]
