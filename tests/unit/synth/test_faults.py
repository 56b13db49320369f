"""--faults writes every documented malformed delivery, where ingest will find it."""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from datetime import datetime

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType
from pipelines.synth.faults import FAULT_KINDS
from tests.unit.synth.conftest import MONTHS, read_truth

PERIOD = re.compile(r"\d{4}-\d{2}")


def test_every_fault_kind_is_written_and_listed(county) -> None:
    root, summary = county
    listed = {f["fault_kind"]: f for f in read_truth(root, "faults.csv")}
    assert set(listed) == {k.kind for k in FAULT_KINDS}
    assert summary.fault_files == len(FAULT_KINDS)
    for kind in FAULT_KINDS:
        row = listed[kind.kind]
        path = root / "landing" / row["feed"] / row["file"]
        assert path.exists(), row["file"]
        if kind.outcome == "flag_stray_file":  # another feed's file under its own name, in this feed's folder
            assert not fnmatch.fnmatch(row["file"], FEED_SPECS[row["feed"]].file_pattern)
            assert any(fnmatch.fnmatch(row["file"], s.file_pattern) for s in FEED_SPECS.values())
        else:
            assert fnmatch.fnmatch(row["file"], FEED_SPECS[row["feed"]].file_pattern)
        assert row["expected_outcome"] == kind.outcome and row["expected_reason"] == kind.reason


def _file(root, kind: str) -> bytes:
    row = next(f for f in read_truth(root, "faults.csv") if f["fault_kind"] == kind)
    return (root / "landing" / row["feed"] / row["file"]).read_bytes()


def test_fault_contents(county) -> None:
    root, _ = county
    assert _file(root, "empty_file") == b""
    assert _file(root, "header_only").count(b"\n") == 1
    assert _file(root, "encoding_utf8_bom").startswith(b"\xef\xbb\xbf")
    cp = _file(root, "encoding_cp1252")
    try:
        cp.decode("utf-8")
        raise AssertionError("cp1252 fault file decodes as UTF-8")
    except UnicodeDecodeError:
        pass
    assert b"\x00" in _file(root, "nul_bytes")
    assert len(_file(root, "oversized_field")) > 10 * 1024 * 1024
    assert b"=HYPERLINK(" in _file(root, "formula_injection")
    assert not _file(root, "truncated_last_line").endswith(b"\n")
    assert _file(root, "wrong_delimiter").splitlines()[0].count(b",") > 5
    assert b"ChiefComplaint" not in _file(root, "missing_column").splitlines()[0]
    assert b"OPEN_CODE|" in _file(root, "renamed_column").splitlines()[0].replace(b",", b"|")
    assert _file(root, "misfiled_feed").startswith(b"CallID|")
    assert _file(root, "misfiled_by_name").startswith(b"CallID|")
    assert _file(root, "gzip_export").startswith(b"\x1f\x8b")
    assert _file(root, "utf16_export").startswith(b"\xff\xfe")
    upgraded = _file(root, "encoding_utf8_upgrade")
    assert not upgraded.startswith(b"\xef\xbb\xbf") and not upgraded.isascii()
    upgraded.decode("utf-8")  # valid UTF-8 with non-ASCII characters: what the reader must recognise
    mixed = _file(root, "encoding_mixed")
    with pytest.raises(UnicodeDecodeError):
        mixed.decode("utf-8")
    assert sum(1 for line in mixed.splitlines() if not line.isascii() and _is_utf8(line)) >= 2
    unknown = _file(root, "encoding_unknown")
    for codec in ("utf-8", "cp1252"):
        with pytest.raises(UnicodeDecodeError):
            unknown.decode(codec)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _rows(root, kind: str) -> tuple[dict, list[list[str]]]:
    row = next(f for f in read_truth(root, "faults.csv") if f["fault_kind"] == kind)
    spec = FEED_SPECS[row["feed"]]
    text = (root / "landing" / row["feed"] / row["file"]).read_text(encoding=spec.encoding)
    lines = list(csv.reader(io.StringIO(text), delimiter=spec.delimiter))
    return row, lines


def test_date_faults_swap_day_and_month_or_move_dates_out_of_the_period(county) -> None:
    row, lines = _rows(county[0], "date_order_swapped")
    spec = FEED_SPECS[row["feed"]]
    col = lines[0].index(spec.event_at)
    values = [r[col] for r in lines[1:]]
    month_first = spec.datetime_formats[0].replace("%d", "@").replace("%m", "%d").replace("@", "%m")
    for v in values:  # every event date fits the swapped order, and at least one fits only that order
        datetime.strptime(v, month_first)
    assert any(int(v.split("/")[1]) > 12 for v in values)

    row, lines = _rows(county[0], "date_order_swapped_subtle")
    spec = FEED_SPECS[row["feed"]]
    dated = [c.name for c in spec.columns if c.dtype in (DType.DATE, DType.DATETIME)]
    seconds = [int(r[lines[0].index(c)].split("/")[1]) for r in lines[1:] for c in dated if r[lines[0].index(c)]]
    assert 1 <= sum(d > 12 for d in seconds) <= 4  # most dates fit both orders; a few tell them apart
    assert len(lines) - 1 >= 10

    row, lines = _rows(county[0], "event_dates_far_from_period")
    spec = FEED_SPECS[row["feed"]]
    col = lines[0].index(spec.event_at)
    period = PERIOD.search(row["file"]).group(0)
    months = [r[col][:7] for r in lines[1:]]
    assert sum(m != period for m in months) == int(row["rows_affected"]) == 2


def test_control_total_faults(county) -> None:
    root, _ = county
    faults = {f["fault_kind"]: f for f in read_truth(root, "faults.csv")}
    for kind, short in (("truncated_extract", True), ("control_total_mismatch", True), ("control_total_excess", False)):
        fault = faults[kind]
        path = root / "landing" / fault["feed"] / fault["file"]
        counted = int(path.with_name(path.name + ".ctl").read_text())
        rows = path.read_bytes().count(b"\n") - 1
        assert (counted > rows) if short else (counted < rows), kind
        assert rows == int(fault["rows_affected"])


def test_duplicate_and_corrected_redeliveries(county) -> None:
    root, _ = county
    faults = {f["fault_kind"]: f for f in read_truth(root, "faults.csv")}
    dup = faults["duplicate_delivery"]
    spec = FEED_SPECS[dup["feed"]]
    period = dup["file"].removeprefix(spec.file_pattern.split("*")[0])[:7]
    original = root / "landing" / dup["feed"] / spec.file_pattern.replace("*", period)
    assert (root / "landing" / dup["feed"] / dup["file"]).read_bytes() == original.read_bytes()
    resend = faults["corrected_redelivery"]
    spec = FEED_SPECS[resend["feed"]]
    period = resend["file"].removeprefix(spec.file_pattern.split("*")[0])[:7]
    original = (root / "landing" / resend["feed"] / spec.file_pattern.replace("*", period)).read_bytes()
    new = (root / "landing" / resend["feed"] / resend["file"]).read_bytes()
    assert new != original and new.count(b"\n") == original.count(b"\n")


def test_row_level_fault_rows_have_new_ids_and_true_people(county) -> None:
    root, _ = county
    records = [r for r in read_truth(root, "records.csv") if r["identity_errors"] == "fault_copy"]
    assert records
    assert all(r["person_id"].startswith("P") and r["record_id"][-3:-2] == "S" for r in records)


def test_fault_files_do_not_replace_clean_months(county) -> None:
    """Ingest keeps the newest file per period: only the duplicate and the re-delivery share a clean period."""
    root, _ = county
    clean_periods = {f"2024-{m:02d}" for m in range(1, MONTHS + 1)}
    for f in read_truth(root, "faults.csv"):
        period = PERIOD.search(f["file"]).group(0)
        if f["fault_kind"] in {"duplicate_delivery", "corrected_redelivery"}:
            assert period in clean_periods
        else:
            assert period not in clean_periods, f["fault_kind"]
    copies = [r for r in read_truth(root, "records.csv") if r["identity_errors"] == "fault_copy"]
    for r in copies:
        if r["event_at"]:
            assert r["event_at"][:7] == PERIOD.search(r["file"]).group(0)
    assert sum(bool(r["event_at"]) for r in copies) > 0.8 * len(copies)
