"""``hfc export-evaluation-pack``: the pack re-creates the published estimates from its own files and code alone.

The warehouse here is built from a generated county's truth panel with the evaluation's own functions (the same
calls the dbt python models make), so the test runs in seconds; the pack is then written, and its ``reproduce.py``
is run in a fresh interpreter, from another directory, with nothing of the repository on its path but what the
pack carries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.evaluation.estimates import balance_table, comparison_matches, estimates_table
from pipelines.evaluation.pack import QUASI_IDENTIFIERS, write_pack
from pipelines.evaluation.truth_panel import truth_panel
from pipelines.synth.generate import generate

THRESHOLD, MIN_K = 7, 5


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pack_county")
    generate(root, people=6000, months=24, seed=5)
    panel = truth_panel(root)
    matches = comparison_matches(panel.person_months, panel.episodes)
    tables = {
        "evaluation_person_months": panel.person_months,
        "evaluation_episodes": panel.episodes,
        "evaluation_scores": panel.scores,
        "comparison_matches": matches,
        "balance": balance_table(panel.person_months, panel.episodes, matches, threshold=THRESHOLD),
        "estimates": estimates_table(panel.person_months, panel.episodes, panel.scores, matches, threshold=THRESHOLD),
        "its_estimates": pd.DataFrame({"locality_code": ["all"], "outcome": ["crisis_contacts"]}),
        "area_months": pd.DataFrame({"locality_code": ["LOC1"], "month_index": [0], "crisis_contacts": [3]}),
    }
    path = root / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema evaluation")
        con.execute("create schema marts")
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create table evaluation.{name} as select * from frame")
            con.unregister("frame")
        con.execute(
            "create table marts.linkage_quality as select 'truth' as measured_by, 'overall' as scope, "
            "3 as records, 0.99 as pairwise_f1"
        )
        con.execute(
            "create table marts.load_audit as select 'police_incidents' as feed, '2024-01' as delivery_period, "
            "'loaded' as load_status, 'abc' as content_sha256"
        )
    return path


@pytest.fixture(scope="module")
def pack(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packs") / "pack"
    write_pack(warehouse, out, threshold=THRESHOLD, min_k=MIN_K)
    return out


def test_pack_holds_what_an_evaluator_needs_with_a_manifest(pack: Path) -> None:
    manifest = json.loads((pack / "manifest.json").read_text())
    for name in (
        "tables/estimates.parquet",
        "tables/balance.parquet",
        "analysis/person_months.parquet",
        "analysis/comparison_matches.parquet",
        "linkage_quality.parquet",
        "data_dictionary.md",
        "versions.json",
        "reproduce.py",
        "code/pipelines/evaluation/estimates.py",
    ):
        assert name in manifest["files"], name
    assert "locality_code" not in pd.read_parquet(pack / "analysis" / "person_months.parquet").columns
    assert manifest["risk"]["min_k"] == MIN_K and manifest["risk"]["k"] >= MIN_K
    # a count from 1 to the threshold is never shipped: the area table had one, so it is left out
    assert "tables/area_months.parquet" not in manifest["files"]
    assert any("area_months" in why for why in manifest["left_out"])
    quality = pd.read_parquet(pack / "linkage_quality.parquet")
    assert quality["records"].isna().all()


def test_pack_people_are_k_anonymous_and_rekeyed(pack: Path, warehouse: Path) -> None:
    months = pd.read_parquet(pack / "analysis" / "person_months.parquet")
    people = months[months["linkage"] == "standard"].groupby("person_key").tail(1)
    qis = [("age_band" if q == "age_group" else q) for q in QUASI_IDENTIFIERS]
    assert people.groupby(qis, dropna=False).size().min() >= MIN_K
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select distinct person_key from evaluation.evaluation_person_months").fetchall()
    keys = {r[0] for r in rows}
    assert not keys & set(months["person_key"])


def test_reproduce_recreates_the_published_estimates_from_the_pack_alone(pack: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "HFC_"))}
    result = subprocess.run(
        [sys.executable, str(pack / "reproduce.py"), "--verify"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((pack / "reproduction.json").read_text())
    assert report["passed"] and report["failed"] == []
    published = pd.read_parquet(pack / "tables" / "estimates.parquet")
    assert report["reproduced_exactly"] >= (published["subgroup"] == "all").sum() > 0
    assert published["estimate"].notna().any()


def test_reproduce_notices_a_changed_estimate(pack: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pack"
    import shutil

    shutil.copytree(pack, copy)
    published = pd.read_parquet(copy / "tables" / "estimates.parquet")
    row = published.index[published["estimate"].notna() & (published["subgroup"] == "all")][0]
    published.loc[row, "estimate"] = published.loc[row, "estimate"] * 1.01
    published.to_parquet(copy / "tables" / "estimates.parquet", index=False)
    result = subprocess.run([sys.executable, str(copy / "reproduce.py")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    tampered = subprocess.run(
        [sys.executable, str(copy / "reproduce.py"), "--verify"], capture_output=True, text=True, timeout=600
    )
    assert tampered.returncode == 1 and "SHA-256" in tampered.stderr
