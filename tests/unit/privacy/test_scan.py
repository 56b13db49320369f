import json
import pickle
import sqlite3

import duckdb
import pandas as pd
import pytest

from pipelines.privacy import cli
from pipelines.privacy.scan import KnownValues, load_known_values, mask_value, pattern_hits, scan_paths


def entities(findings):
    return sorted({(f.entity_type, f.source) for f in findings})


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("nhs 943 476 5919", "NHS_NUMBER"),
        ("nhs 9434765919", "NHS_NUMBER"),
        ("seen at SW1A 1AA", "UK_POSTCODE"),
        ("tel +44 7700 900123", "PHONE_NUMBER"),
        ("mail a.b@example.co.uk", "EMAIL_ADDRESS"),
        ("NI AB123456C", "NI_NUMBER"),
        ("DOB: 12/03/1985", "DATE_OF_BIRTH"),
    ],
)
def test_pattern_families(text, entity):
    assert entity in {e for e, _ in pattern_hits(text)}


@pytest.mark.parametrize(
    "text",
    [
        "run 1764070000 finished",  # epoch seconds that happen to pass the check digit are not NHS numbers
        "9434765918",  # wrong check digit
        "person_key 3f9a9434765919bc0d",  # inside a hex token
        "lsoa E01000001 imd 3",
        "age band 25-34 contact 2026-03-12",
        "[PERSON_1] called from [PHONE_NUMBER_1] at [UK_POSTCODE_1]",
        "SW1A",
    ],
)
def test_deidentified_values_scan_clean(text):
    assert list(pattern_hits(text)) == []


def test_mask_value_never_reprints():
    assert mask_value("9434765919") != "9434765919"
    assert "43476591" not in mask_value("9434765919")
    assert mask_value("Al") == "**"


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "out"
    (root / "dagster" / "storage").mkdir(parents=True)
    pd.DataFrame({"person_key": ["ab" * 16], "note": ["seen at SW1A 1AA"], "n": [9434765919]}).to_parquet(
        root / "p.parquet"
    )
    con = duckdb.connect(str(root / "w.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.t as select 'call 07700 900123' as x, 1764070000 as ts")
    con.close()
    con = sqlite3.connect(root / "dagster" / "runs.db")
    con.execute("create table event_logs(id int, event text)")
    con.execute("insert into event_logs values (1, ?)", (json.dumps({"msg": "Qwerlinda Vantablack was seen"}),))
    con.commit()
    con.close()
    (root / "a.csv").write_text("id,email\n1,j.smith@example.co.uk\n")
    (root / "b.html").write_text('<td data-v="AB123456C">x</td>')
    (root / "c.log").write_text("INFO fine\nWARN born 12/03/1985\n")
    (root / "d.jsonl").write_text(json.dumps({"text": "[PERSON_1] fine"}) + "\n")
    with (root / "dagster" / "storage" / "obj").open("wb") as handle:
        pickle.dump(pd.DataFrame({"n": ["Qwerlinda Vantablack"]}), handle)
    return root


def test_scan_every_format(tree):
    known = [("full_name", "Qwerlinda Vantablack")]
    findings = scan_paths([tree], known)
    where = {(f.path.rsplit("/", 1)[-1], f.entity_type) for f in findings}
    assert ("p.parquet", "UK_POSTCODE") in where
    assert ("p.parquet", "NHS_NUMBER") in where
    assert ("w.duckdb", "PHONE_NUMBER") in where
    assert ("runs.db", "full_name") in where
    assert ("obj", "full_name") in where
    assert ("a.csv", "EMAIL_ADDRESS") in where
    assert ("b.html", "NI_NUMBER") in where
    assert ("c.log", "DATE_OF_BIRTH") in where
    assert not any(f.path.endswith("d.jsonl") for f in findings)
    duck = next(f for f in findings if f.path.endswith("w.duckdb"))
    assert duck.location.startswith("marts.t.x")
    assert all("900123" not in f.masked and "Vantablack" not in f.masked for f in findings)


def test_known_values_rules():
    known = KnownValues(
        [
            ("given_name", "Will"),
            ("family_name", "Okonkwo"),
            ("nhs_number", "943 476 5919"),
            ("phone", "+44 7700 900456"),
            ("postcode", "sw1a 1aa"),
            ("date_of_birth", "1985-03-12"),
            ("address", "12 Oak Road, Ashford"),
            ("email", "A.B@example.com"),
        ]
    )
    found = lambda text: {entity for entity, _ in known.hits(text)}  # noqa: E731
    assert found("we will see") == set()  # an everyday word matches only as written
    assert found("Will was here") == {"given_name"}
    assert found("OKONKWO arrested") == {"family_name"}
    assert found("okonkwoville") == set()
    assert found("id 9434765919") == {"nhs_number"}
    assert found("ring 07700-900-456") == {"phone"}
    assert found("SW1A1AA") == {"postcode"}
    assert found("born 12/03/1985") == {"date_of_birth"}
    assert found("lives at 12 oak road") == {"address"}
    assert found("a.b@EXAMPLE.com") == {"email"}


def test_load_known_values_requires_columns(tmp_path):
    good = tmp_path / "k.csv"
    good.write_text("entity_type,value,extra\nfull_name,Ann Lee,x\n")
    assert load_known_values(good) == [("full_name", "Ann Lee")]
    bad = tmp_path / "bad.csv"
    bad.write_text("type,val\nx,y\n")
    with pytest.raises(ValueError):
        load_known_values(bad)


def test_cli_exit_codes_and_report(tree, tmp_path, capsys):
    import argparse

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.txt").write_text("[PERSON_1] was seen by the crisis team in 2026.\n")
    args = argparse.Namespace(paths=[clean], known_values=None, report=None, no_patterns=False, show=5)
    assert cli._scan(args) == 0
    report = tmp_path / "r.csv"
    args = argparse.Namespace(paths=[tree], known_values=None, report=report, no_patterns=False, show=5)
    assert cli._scan(args) == 1
    text = report.read_text()
    assert "masked_value" in text.splitlines()[0]
    assert "900123" not in text and "5919" not in text
    out = capsys.readouterr().out
    assert "findings" in out and "900123" not in out
    args = argparse.Namespace(paths=[tmp_path / "absent"], known_values=None, report=None, no_patterns=False, show=5)
    assert cli._scan(args) == 2


def test_unreadable_file_is_reported_not_clean(tmp_path):
    broken = tmp_path / "x.duckdb"
    broken.write_bytes(b"\x00" * 8 + b"DUCK" + b"\x00" * 100)
    errors = []
    assert scan_paths([tmp_path], errors=errors) == []
    assert len(errors) == 1 and errors[0].path.endswith("x.duckdb")


def test_media_files_are_searched_for_known_values_but_not_patterns(tmp_path) -> None:
    from pipelines.privacy.scan import scan_paths

    font = tmp_path / "static" / "font.otf"
    font.parent.mkdir()
    font.write_bytes(b"\x00\x01copyright amy@example.com S1 2ED\x00 Charlotte Cox\x00")
    assert scan_paths([tmp_path]) == []
    found = scan_paths([tmp_path], known_values=[("PERSON", "Charlotte Cox")])
    assert [f.entity_type for f in found] == ["PERSON"]


def test_sqlite_blobs_are_unpacked_not_read_as_noise(tmp_path) -> None:
    import random
    import sqlite3
    import zlib

    from pipelines.privacy.scan import scan_paths

    db = tmp_path / "runs.db"
    con = sqlite3.connect(db)
    con.execute("create table snapshots (snapshot_body blob)")
    rng = random.Random(3)
    noise = bytes(rng.getrandbits(8) for _ in range(200_000))  # compressed-looking bytes
    con.execute("insert into snapshots values (?)", (noise,))
    con.execute("insert into snapshots values (?)", (zlib.compress(b'{"note": "call 07700 900123"}'),))
    con.commit()
    con.close()
    found = scan_paths([db])
    assert [f.entity_type for f in found] == ["PHONE_NUMBER"]


def test_decimals_in_logs_are_not_phone_numbers(tmp_path) -> None:
    from pipelines.privacy.scan import scan_paths

    log = tmp_path / "events.log"
    log.write_text('{"duration_ms": 10411.08594400066, "ratio": 0.07700900123}\ncall 07700 900123\n')
    assert [f.entity_type for f in scan_paths([log])] == ["PHONE_NUMBER"]


def test_a_phone_after_an_abbreviation_dot_is_still_found(tmp_path) -> None:
    from pipelines.privacy.scan import scan_paths

    log = tmp_path / "note.txt"
    log.write_text("Tel.07700 900123 given\n")
    assert [f.entity_type for f in scan_paths([log])] == ["PHONE_NUMBER"]


def test_known_ni_numbers_and_compact_dates_of_birth() -> None:
    known = KnownValues([("NI_NUMBER", "AB 12 34 56 C"), ("DATE_OF_BIRTH", "1985-02-01"), ("WARD", "Bluebell Ward")])
    found = lambda text: {entity for entity, _ in known.hits(text)}  # noqa: E731
    assert found("nino ab123456c on file") == {"NI_NUMBER"}
    assert found("NI AB 12 34 56") == {"NI_NUMBER"}  # written without its suffix letter
    assert found("DOB 010285 confirmed") == {"DATE_OF_BIRTH"}
    assert found("ref 010285 closed") == set()  # a six-digit run is a date of birth only beside a cue
    assert found("moved to bluebell ward today") == {"WARD"}
    assert found("bluebell woods") == set()


def test_compact_dates_of_birth_are_a_pattern_family_beside_a_cue() -> None:
    assert {e for e, _ in pattern_hits("d.o.b 19850201")} == {"DATE_OF_BIRTH"}
    assert list(pattern_hits("batch 19850201 loaded")) == []
