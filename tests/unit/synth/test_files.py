"""The deliveries look like the specs say: names, headers, encodings, control totals, unique ids."""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType
from pipelines.settings import FEEDS
from pipelines.synth import generate
from tests.unit.synth.conftest import MONTHS, PEOPLE, clean_files, read_feed, read_truth

PERIOD = re.compile(r"\d{4}-\d{2}")


def test_every_landing_file_matches_its_feed_pattern_and_names_a_period(county) -> None:
    root, _ = county
    # the one planted exception: another feed's file under its own name (fault kind misfiled_by_name)
    strays = {f["file"] for f in read_truth(root, "faults.csv") if f["expected_outcome"] == "flag_stray_file"}
    for feed in FEEDS:
        spec = FEED_SPECS[feed]
        files = [p for p in (root / "landing" / feed).iterdir() if not p.name.endswith(".ctl") and p.name not in strays]
        assert files
        for p in files:
            assert fnmatch.fnmatch(p.name, spec.file_pattern), p.name
            assert PERIOD.search(p.name), p.name
        assert len(clean_files(root, feed)) == MONTHS


def test_clean_headers_encodings_and_delimiters(county) -> None:
    root, _ = county
    for feed in FEEDS:
        spec = FEED_SPECS[feed]
        for path in clean_files(root, feed):
            raw = path.read_bytes()
            assert not raw.startswith(b"\xef\xbb\xbf")
            text = raw.decode(spec.encoding)  # strict: must decode in the declared encoding
            header = next(csv.reader([text.splitlines()[0]], delimiter=spec.delimiter))
            assert tuple(header) == spec.column_names


def test_council_feed_is_really_cp1252(county) -> None:
    root, _ = county
    raw = b"".join(p.read_bytes() for p in clean_files(root, "council_contacts"))
    assert b"\xa3" in raw  # the pound sign in cp1252
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_record_ids_unique_except_planted_duplicates(county) -> None:
    root, _ = county
    dupes = Counter(
        (m["feed"], m["record_id"]) for m in read_truth(root, "messiness.csv") if m["kind"] == "duplicate_row"
    )
    for feed in FEEDS:
        spec = FEED_SPECS[feed]
        counts = Counter(r[spec.record_id] for r in read_feed(root, feed))
        repeated = {(feed, rid): n - 1 for rid, n in counts.items() if n > 1}
        assert repeated == {k: v for k, v in dupes.items() if k[0] == feed}


def test_every_record_has_a_true_person(county) -> None:
    root, _ = county
    truth = {(r["feed"], r["record_id"]): r["person_id"] for r in read_truth(root, "records.csv")}
    people = {r["person_id"] for r in read_truth(root, "people.csv")}
    assert len(people) == PEOPLE
    for feed in FEEDS:
        spec = FEED_SPECS[feed]
        for row in read_feed(root, feed):
            assert truth[(feed, row[spec.record_id])] in people
    # and every person is known to at least one agency
    assert {r["person_id"] for r in read_truth(root, "records.csv")} == people


def test_control_totals_match_row_counts(county) -> None:
    root, _ = county
    for feed in FEEDS:
        spec = FEED_SPECS[feed]
        for path in clean_files(root, feed):
            ctl = path.with_name(path.name + ".ctl")
            if not spec.has_control_totals:
                assert not ctl.exists()
                continue
            with path.open(newline="", encoding=spec.encoding) as f:
                n = sum(1 for _ in csv.reader(f, delimiter=spec.delimiter)) - 1
            assert int(ctl.read_text()) == n


def test_codes_and_dates_parse_except_planted_messiness(county) -> None:
    from datetime import datetime

    root, _ = county
    mess = {(m["feed"], m["record_id"], m["kind"]) for m in read_truth(root, "messiness.csv")}
    for feed in FEEDS:
        spec = FEED_SPECS[feed]
        for row in read_feed(root, feed):
            rid = row[spec.record_id]
            for col in spec.columns:
                value = row[col.name]
                if col.dtype is DType.CODE and value and (feed, rid, "unknown_code") not in mess:
                    assert value in col.codes, (feed, col.name)
                if col.dtype is DType.DATE and value:
                    datetime.strptime(value, spec.date_formats[0])
                if col.dtype is DType.DATETIME and value:
                    datetime.strptime(value, spec.datetime_formats[0])
                if col.required and not value:
                    assert (feed, rid, "missing_required") in mess, (feed, col.name)
            event = row[spec.event_at]
            fmt = (
                spec.datetime_formats[0] if spec.column(spec.event_at).dtype is DType.DATETIME else spec.date_formats[0]
            )
            year = datetime.strptime(event, fmt).year
            if (feed, rid, "out_of_range_date") in mess:
                assert year in (1900, 2099, 1970, 2068)
            else:
                assert row["_file"].find(f"{year:04d}-") >= 0


def test_messiness_rates_are_near_the_documented_rates(county) -> None:
    from pipelines.synth import config

    root, _ = county
    n_records = len(read_truth(root, "records.csv"))
    kinds = Counter(m["kind"] for m in read_truth(root, "messiness.csv"))
    for kind, rate in config.MESSINESS.items():
        assert 0.3 * rate * n_records <= kinds[kind] <= 2.0 * rate * n_records, kind


def test_reference_files(county) -> None:
    root, _ = county
    ref = root / "landing" / "reference"
    with (ref / "lsoa_imd.csv").open() as f:
        imd = {r["lsoa_code"]: int(r["imd_decile"]) for r in csv.DictReader(f)}
    with (ref / "postcode_lsoa.csv").open() as f:
        pc = {r["postcode"]: r["lsoa_code"] for r in csv.DictReader(f)}
    assert set(imd.values()) == set(range(1, 11))
    assert all(re.fullmatch(r"E019\d{5}", code) for code in imd)
    assert set(pc.values()) <= set(imd)
    for person in read_truth(root, "people.csv"):
        assert pc[person["postcode"]] == person["lsoa_code"]
        assert imd[person["lsoa_code"]] == int(person["imd_decile"])


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, people=400, months=5, seed=3, faults=True)
    generate(b, people=400, months=5, seed=3, faults=True)
    generate(c, people=400, months=5, seed=4, faults=True)
    da, db, dc = _digest(a), _digest(b), _digest(c)
    assert len(da) > 8 * 5
    for truth in ("feedback_themes", "feedback_theme_decoys", "mh_signals", "mh_text"):
        assert f"synth_truth/{truth}.csv" in da
    assert da == db
    assert da.keys() == dc.keys()
    assert da != dc


def test_regenerating_replaces_the_previous_county(tmp_path: Path) -> None:
    generate(tmp_path, people=300, months=3, seed=1)
    generate(tmp_path, people=200, months=2, seed=1)
    assert len(clean_files(tmp_path, "police_incidents", months=2)) == 2
    assert len(list((tmp_path / "landing" / "police_incidents").glob("*.csv"))) == 2
    assert len(read_truth(tmp_path, "people.csv")) == 200


def test_generation_is_refused_in_production_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_MODE", "production")
    with pytest.raises(RuntimeError):
        generate(tmp_path, people=10, months=1)
    assert not (tmp_path / "landing").exists()
