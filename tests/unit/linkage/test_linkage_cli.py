"""``hfc link`` and ``hfc bench link`` end to end on tiny files."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from pipelines.linkage import cli
from pipelines.linkage.bench import ROWS_MARKER, SECTION, write_benchmark


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hfc")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    bench = sub.add_parser("bench")
    cli.register_bench(bench.add_subparsers(dest="bench", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


MESSY = """record_id,source,nhs_number,given_name,family_name,date_of_birth,sex,postcode,address
1,police,,  bob ,hargreaves,1980-04-03,m,sn1 1aa,1 High Street
2,ed,943 476 5919,Robert,HARGREAVES,03/04/1980,M,,
3,ambulance,9434765919,ROBERT,Hargreaves,not a date,,SN1 1AA,
4,police,,Aisha,Begum,1992-13-45,F,,
5,ed,,,,,,,
6,mh,,BEGUM,AISHA,1992,f,,
"""


def test_link_csv_end_to_end_with_empty_and_messy_values(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "people.csv"
    src.write_text(MESSY)
    out = tmp_path / "clusters.csv"
    assert _run(["link", "--in", str(src), "--out", str(out)]) == 0
    clusters = pd.read_csv(out, dtype=str)
    assert list(clusters.columns) == ["record_id", "person_key"]
    assert clusters["record_id"].tolist() == ["1", "2", "3", "4", "5", "6"]  # every row, input order
    assert clusters["person_key"].notna().all()
    keys = clusters.set_index("record_id")["person_key"]
    assert keys["1"] == keys["2"] == keys["3"]
    assert keys["4"] == keys["6"]  # swapped names, year-only date of birth
    assert keys["5"] not in {keys["1"], keys["4"]}  # an empty record is its own person
    err = capsys.readouterr().err
    assert "Hargreaves" not in err and "9434765919" not in err


def test_missing_column_is_named(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "people.csv"
    src.write_text("record_id,source,given_name,family_name\n1,ed,Ann,Lee\n")
    assert _run(["link", "--in", str(src), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "nhs_number" in err and "date_of_birth" in err and "Ann" not in err


def test_full_name_column_and_persistent_spine(tmp_path: Path) -> None:
    src = tmp_path / "people.csv"
    src.write_text(
        "record_id,source,nhs_number,full_name,date_of_birth,sex,postcode,address\n"
        'x1,police,,"OKAFOR, Chidi",1979-05-06,M,,\n'
        "x2,ed,,Chidi Okafor,1979-05-06,M,,\n"
    )
    identity = tmp_path / "identity"
    out1, out2 = tmp_path / "o1.csv", tmp_path / "o2.csv"
    assert _run(["link", "--in", str(src), "--out", str(out1), "--identity-dir", str(identity)]) == 0
    assert _run(["link", "--in", str(src), "--out", str(out2), "--identity-dir", str(identity)]) == 0
    first, second = pd.read_csv(out1), pd.read_csv(out2)
    assert first["person_key"].nunique() == 1
    pd.testing.assert_frame_equal(first, second)


def test_review_command_records_decisions(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "people.csv"
    src.write_text(
        "record_id,source,nhs_number,given_name,family_name,date_of_birth,sex,postcode,address\n"
        "a,ed,9434765919,Robert,Jones,1980-04-03,M,,\n"
        "b,police,,Robert,Jones,,M,SN1 1AA,1 High Street\n"
    )
    identity = tmp_path / "identity"
    out = tmp_path / "o.csv"
    assert _run(["link", "--in", str(src), "--out", str(out), "--identity-dir", str(identity)]) == 0
    assert pd.read_csv(out)["person_key"].nunique() == 2
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("record_id_l,record_id_r,decision\na,b,match\n")
    assert _run(["link", "review", "--decisions", str(decisions), "--identity-dir", str(identity)]) == 0
    assert "1 people" in capsys.readouterr().out
    assert _run(["link", "--in", str(src), "--out", str(out), "--identity-dir", str(identity)]) == 0
    assert pd.read_csv(out)["person_key"].nunique() == 1


def test_benchmark_write_touches_only_the_linkage_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    other = "## De-identification\n\nTheir prose.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n"
    path.write_text("# Benchmarks\n\n" + other)
    write_benchmark(path, "| row one |")
    write_benchmark(path, "| row two |")
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\n" + other)
    linkage = text[text.index(SECTION) :]
    assert ROWS_MARKER in linkage
    assert linkage.index("| row one |") < linkage.index("| row two |")
    # a section placed before another engineer's keeps theirs intact after it
    path.write_text("# Benchmarks\n\n" + SECTION + "\n\nprose\n\n" + ROWS_MARKER + "\n\n| h |\n| --- |\n\n" + other)
    write_benchmark(path, "| row three |")
    text = path.read_text()
    assert text.endswith(other)
    assert "| --- |\n| row three |" in text


def test_bench_link_writes_a_row(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "benchmarks.md"
    assert _run(["bench", "link", "--records", "300", "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Benchmarks") and SECTION in text
    row = next(line for line in text.splitlines() if "`hfc bench link --records 300`" in line)
    assert "| 300 |" in row and "cores" in row
    assert "written to" in capsys.readouterr().out
