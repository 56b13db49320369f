"""The demo's leak scan: every planted identifier, anywhere de-identified data rests, and in its own record."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.privacy.keys import load_key, token
from pipelines.privacy.truth_scan import anywhere_values, scan_truth, summary_lines

FIELDS = ["feed", "record_id", "file", "column", "entity_type", "value", "start", "end"]


@pytest.fixture()
def county(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    truth = root / "synth_truth"
    truth.mkdir(parents=True)
    narrative = "Grace Okafor called from 07700 900123. GRACE was upset."
    rows = [
        ["police_incidents", "CAD-1", "CAD_2024-01.csv", "SUBJECT_SURNAME", "PERSON", "Okafor", "", ""],
        ["police_incidents", "CAD-1", "CAD_2024-01.csv", "LOG_NARRATIVE", "PERSON", "Grace", "0", "5"],
        ["police_incidents", "CAD-1", "CAD_2024-01.csv", "LOG_NARRATIVE", "PERSON", "Okafor", "6", "12"],
        ["police_incidents", "CAD-1", "CAD_2024-01.csv", "LOG_NARRATIVE", "PHONE_NUMBER", "07700 900123", "25", "37"],
        ["police_incidents", "CAD-1", "CAD_2024-01.csv", "LOG_NARRATIVE", "PERSON", "GRACE", "39", "44"],
        ["police_incidents", "CAD-2", "CAD_2024-01.csv", "LOG_NARRATIVE", "PERSON", "Will", "0", "4"],
        ["police_incidents", "CAD-9", "CAD_2024-01.csv", "LOG_NARRATIVE", "PERSON", "Hope", "0", "4"],  # quarantined
        ["police_incidents", "CAD-1", "CAD_2024-01.csv", "SUBJECT_DOB", "DATE_OF_BIRTH", "1985-02-01", "", ""],
    ]
    assert narrative[39:44] == "GRACE"
    with (truth / "planted_identifiers.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    pd.DataFrame({"person_id": ["P1"], "given_name": ["Grace"], "family_name": ["Okafor"]}).to_csv(
        truth / "people.csv", index=False
    )
    key = load_key({})
    period = root / "pseudonymised" / "police_incidents" / "period=2024-01"
    period.mkdir(parents=True)
    pd.DataFrame(
        {
            "record_key": [token(key, rid, "record:police_incidents") for rid in ("CAD-1", "CAD-2")],
            "narrative": [
                "[PERSON_1] called from [PHONE_NUMBER_1]. [PERSON_1] was upset.",
                "[PERSON_1] will call back.",  # the everyday word "will" is not the name "Will"
            ],
        }
    ).to_parquet(period / "data.parquet")
    (root / "reports").mkdir()
    (root / "reports" / "note.html").write_text("<p>min_value 1985-02-01</p>", encoding="utf-8")  # no DOB cue
    warehouse = root / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create table t as select '[PERSON_1] called' as narrative, '3fa9bead0' as k")
    con.close()
    return root


def _scan(root: Path):
    places = [root / "warehouse.duckdb", root / "pseudonymised", root / "reports"]
    return scan_truth(root / "synth_truth", root / "pseudonymised", places, load_key({}))


def test_a_clean_county_scans_clean(county):
    result = _scan(county)
    assert result.clean, summary_lines(result)
    assert result.spans_in_record == 5 and result.records_not_published == 1
    assert ("PERSON", "Grace Okafor") in anywhere_values(county / "synth_truth")
    assert not any(v == "Grace" for _, v in anywhere_values(county / "synth_truth"))  # single names: own record


def test_a_name_left_in_its_own_record_is_found_and_not_shown(county):
    path = county / "pseudonymised" / "police_incidents" / "period=2024-01" / "data.parquet"
    frame = pd.read_parquet(path)
    frame.loc[0, "narrative"] = "[PERSON_1] called from [PHONE_NUMBER_1]. GRACE was upset."
    frame.to_parquet(path)
    result = _scan(county)
    found = [(f.location, f.entity_type, f.source) for f in result.findings]
    assert found == [("narrative row 0", "PERSON", "own record")]
    text = "\n".join(summary_lines(result))
    assert "GRACE" not in text and "Grace" not in text and "narrative row 0" in text


def test_a_full_name_or_a_number_anywhere_is_found(county):
    con = duckdb.connect(str(county / "warehouse.duckdb"))
    con.execute("insert into t values ('seen with grace okafor', 'x'), ('ring 07700-900-123', 'y')")
    con.close()
    (county / "reports" / "dob.txt").write_text("born 01/02/1985\n", encoding="utf-8")
    result = _scan(county)
    found = sorted((Path(f.path).name, f.entity_type) for f in result.findings)
    assert found == [("dob.txt", "DATE_OF_BIRTH"), ("warehouse.duckdb", "PERSON"), ("warehouse.duckdb", "PHONE_NUMBER")]
    assert all("okafor" not in f.masked.lower() and "900123" not in f.masked for f in result.findings)


def test_hfc_demo_fails_loudly_on_a_leak(county, monkeypatch, capsys):
    from pipelines import demo
    from pipelines.settings import Zones

    monkeypatch.setenv("HFC_MODE", "demo")
    monkeypatch.setattr(demo, "warehouse_path", lambda: county / "warehouse.duckdb")
    assert demo.leak_scan(Zones(county)) == 0
    assert "clean" in capsys.readouterr().out
    (county / "reports" / "leak.txt").write_text("Grace Okafor\n", encoding="utf-8")
    assert demo.leak_scan(Zones(county)) == 3
    err = capsys.readouterr().err
    assert "LEAK CHECK FAILED" in err and "leak.txt" in err and "Okafor" not in err
    monkeypatch.setenv("HFC_MODE", "production")
    assert demo.leak_scan(Zones(county)) == 0  # no truth is read outside demo mode


def test_the_scan_in_worker_processes_finds_what_one_process_finds(county, monkeypatch):
    import sqlite3

    from pipelines.privacy import scan

    if scan.scan_workers() < 2:
        pytest.skip("needs two cores and fork")
    con = duckdb.connect(str(county / "warehouse.duckdb"))
    con.execute("create table u as select 'ring 07700-900-123' as note union all select 'fine'")
    con.execute("insert into t values ('seen with grace okafor', 'x')")
    con.close()
    (county / "reports" / "leak.csv").write_text("id,who\n1,ok\n2,Grace Okafor\n", encoding="utf-8")
    (county / "reports" / "dob.log").write_text("INFO fine\nWARN born 01/02/1985\n", encoding="utf-8")
    con = sqlite3.connect(county / "reports" / "runs.db")
    con.execute("create table e (msg text)")
    con.execute("insert into e values ('Grace Okafor rang')")
    con.commit()
    con.close()
    parallel = _scan(county)
    monkeypatch.setattr(scan, "scan_workers", lambda: 1)
    serial = _scan(county)
    found = [(Path(f.path).name, f.location, f.entity_type, f.source) for f in parallel.findings]
    assert found == [(Path(f.path).name, f.location, f.entity_type, f.source) for f in serial.findings]
    assert {(name, entity) for name, _, entity, _ in found} == {
        ("warehouse.duckdb", "PERSON"),
        ("warehouse.duckdb", "PHONE_NUMBER"),
        ("leak.csv", "PERSON"),
        ("dob.log", "DATE_OF_BIRTH"),
        ("runs.db", "PERSON"),
    }
    assert parallel.errors == serial.errors == []
    assert (parallel.files, parallel.spans_in_record) == (serial.files, serial.spans_in_record)
