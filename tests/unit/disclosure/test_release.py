"""A release is written only when it passes its check; ``check_release`` needs nothing but the folder, and catches
a leaking release, a tampered file and a CSV that disagrees with its parquet."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.disclosure.relations import TableSpec
from pipelines.disclosure.release import ReleaseRefused, check_release, sha256, write_release

SPECS = {
    "dash_things": TableSpec.from_json(
        "dash_things",
        {"coordinates": {"thing": "thing"}, "counts": {"people": {"measure": "people", "additive_over": ["thing"]}}},
        {"mean_score": "people"},
    )
}


def _warehouse(path: Path, total: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema dashboards")
        con.execute("create schema marts")
        con.execute(
            "create table marts.load_audit as select 'police' as feed, '2025-01' as delivery_period, "
            "'loaded' as load_status, 'abc' as content_sha256"
        )
        con.execute(
            "create table dashboards.dash_things (thing varchar, people bigint, people_suppression varchar, "
            "mean_score double, mean_score_suppression varchar)"
        )
        con.executemany(
            "insert into dashboards.dash_things values (?, ?, ?, ?, ?)",
            [
                ("a", 50, None, 2.5, None),
                ("b", None, "suppressed_1_to_threshold", None, "count_suppressed"),
                ("all", total, None, 2.4, None),
            ],
        )
    return path


def test_a_safe_release_is_written_with_a_manifest_and_checks_on_its_own(tmp_path: Path) -> None:
    out = tmp_path / "release"
    report = write_release(_warehouse(tmp_path / "w.duckdb", 55), out, tmp_path / "reports", SPECS)
    assert report.passed
    names = sorted(p.name for p in out.iterdir())
    assert names == ["dash_things.csv", "dash_things.parquet", "manifest.json", "relations.json"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rule"]["threshold"] == 7 and manifest["rule"]["rounding_base"] == 5
    assert manifest["files"]["dash_things.csv"]["sha256"] == sha256(out / "dash_things.csv")
    assert manifest["versions"]["data"]["deliveries"] == 1
    assert (tmp_path / "reports" / "release_check.md").exists()
    assert check_release(out).passed


def test_a_leaking_release_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "release"
    with pytest.raises(ReleaseRefused):
        write_release(_warehouse(tmp_path / "w.duckdb", 60), out, tmp_path / "reports", SPECS)
    assert not out.exists()
    assert not any(p.name.startswith(".release") for p in tmp_path.iterdir())
    report = json.loads((tmp_path / "reports" / "release_check.json").read_text())
    assert report["differencing_audit"]["recoverable_cells"] == ["dash_things.people [thing=b]"]


def test_a_tampered_file_and_a_disagreeing_csv_fail_the_check(tmp_path: Path) -> None:
    out = tmp_path / "release"
    write_release(_warehouse(tmp_path / "w.duckdb", 55), out, tmp_path / "reports", SPECS)
    csv = out / "dash_things.csv"
    csv.write_text(csv.read_text().replace("a,50,", "a,45,"))
    problems = check_release(out).problems
    assert "dash_things.csv does not match its SHA-256 in the manifest" in problems
    assert "dash_things: the CSV and the parquet file differ" in problems


def test_a_release_cannot_weaken_the_rule_it_is_checked_against(tmp_path: Path) -> None:
    out = tmp_path / "release"
    write_release(_warehouse(tmp_path / "w.duckdb", 55), out, tmp_path / "reports", SPECS)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["rule"]["threshold"] = 3
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert check_release(out).threshold == 7


def test_a_new_release_replaces_the_old_one_whole_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "release"
    write_release(_warehouse(tmp_path / "w.duckdb", 55), out, tmp_path / "reports", SPECS)
    (out / "stale.txt").write_text("from the old release")
    write_release(_warehouse(tmp_path / "w2.duckdb", 55), out, tmp_path / "reports", SPECS)
    assert not (out / "stale.txt").exists()
    assert not any(p.name.startswith(".release") for p in tmp_path.iterdir())
    assert check_release(out).passed
