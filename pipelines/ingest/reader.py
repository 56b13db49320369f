"""Read one delivery file of a feed into typed accepted rows and quarantined rows.

Every row received ends in exactly one of the two frames, so ``rows_received == len(accepted) +
len(rejected)`` always holds, and a row whose quoting is broken (a stray quote) is one row quarantined
(``broken_quoting``), never a field that swallows the rows after it (:func:`split_rows`). A file that
cannot be read as the feed at all raises :class:`DeliveryRejected` and is quarantined whole by the caller,
with the number of rows it holds: empty, not text (gzip, zip, UTF-16: :mod:`pipelines.ingest.encoding`
names what it is), in no encoding that fits, another feed's, required columns missing, or date columns
whose format has changed (:mod:`pipelines.ingest.dates`). What a person must see about a file that loads
(an encoding other than the declared one, a header and no rows) is an :class:`Alert`.

Errors and reasons name the feed, file, row, column and rule, never a value: the file is
identifiable, and reasons travel into asset metadata and the warehouse's ``load_audit`` table.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from pipelines.feeds.base import Column, DType, FeedSpec
from pipelines.ingest import dates
from pipelines.ingest.encoding import decode_delivery, inner_text, sniff_file_kind
from pipelines.ingest.errors import Alert, DeliveryRejected
from pipelines.settings import date_hold_rate, event_date_window_months

__all__ = ["Alert", "Delivery", "DeliveryRejected", "detect_other_feed", "header_fits", "period_of", "read_delivery"]

csv.field_size_limit(1 << 30)

PERIOD_RE = re.compile(r"(?<!\d)(\d{4})-?(0[1-9]|1[0-2])(?!\d)")
# Spreadsheet formula injection (OWASP CSV injection): "=...", "@SUM(...)", "+cmd|' /C calc'!A0", "-2+3+cmd|...".
FORMULA_RE = re.compile(r"^\s*=|^\s*[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*\(|^\s*[+\-@][^|]*\|.*!")
MAX_FIELD_CHARS = 100_000  # a narrative longer than this is not a narrative; quarantine the row
# Dates the typed frame (pandas' nanosecond timestamps: 1677-09-21 to 2262-04-11) can hold, in whole years; a date
# outside them (a year 1600 or 2300 typed by hand) quarantines its row rather than stopping the read.
FIRST_DAY, LAST_DAY = date(1678, 1, 1), date(2261, 12, 31)
# An integer as an agency's system writes one: ASCII digits (int() also reads "1_000" and other scripts' digits),
# within the typed frame's 64 bits (a longer one stopped the read with OverflowError).
INTEGER_RE = re.compile(r"[+-]?[0-9]+")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNAMBIGUOUS_DATE_FORMATS = dates.UNAMBIGUOUS_DATE_FORMATS
UNAMBIGUOUS_DATETIME_FORMATS = dates.UNAMBIGUOUS_DATETIME_FORMATS


@dataclass
class Delivery:
    feed: str
    file: Path
    period: str
    content_hash: str
    rows_received: int
    accepted: pd.DataFrame  # typed columns by native name, plus _source_row
    rejected: pd.DataFrame  # _source_row, reason, column, rule, and the raw row as text (identifiable)
    notes: list[str] = field(default_factory=list)  # batch-level observations, no values
    alerts: list[Alert] = field(default_factory=list)  # what a person must see about this delivery, no values

    @property
    def rows_loaded(self) -> int:
        return len(self.accepted)

    @property
    def rows_quarantined(self) -> int:
        return len(self.rejected)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def period_of(path: Path) -> str | None:
    """The delivery period ``YYYY-MM`` named in a file's name, or None."""
    match = PERIOD_RE.search(path.name)
    return f"{match.group(1)}-{match.group(2)}" if match else None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _match_header(spec: FeedSpec, header: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """Map spec columns to header positions, forgiving case, spaces and punctuation."""
    positions = {_key(h): i for i, h in enumerate(header)}
    mapping: dict[str, int] = {}
    for col in spec.columns:
        pos = positions.get(_key(col.name))
        if pos is not None:
            mapping[col.name] = pos
    missing = [c.name for c in spec.columns if c.name not in mapping]
    wanted = {_key(c.name) for c in spec.columns}
    extra = [h for h in header if _key(h) not in wanted]
    return mapping, missing, extra


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def split_rows(text: str, delimiter: str) -> tuple[list[list[str]], set[int]]:
    """The text's rows, and the positions of rows whose quoting is broken (each given as its one line, unsplit).

    A quote that opens a field and never closes properly (a stray ``"``, a cut mid-field) would make a CSV parser
    read the lines after it into that one field: the rows there would vanish into a value. So rows are read
    strictly, and where the quoting breaks, the line the broken row starts on is set apart as a row of its own and
    reading resumes on the next line: every line still belongs to exactly one row, and the rows after a damaged one
    are read as they are. (A well-formed file takes the first, fast, path.)
    """
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)), set()
    except csv.Error:
        return split_rows_resuming(text, delimiter)


def split_rows_resuming(text: str, delimiter: str) -> tuple[list[list[str]], set[int]]:
    """:func:`split_rows` line by line: where the quoting breaks, that row's first line is set apart, unsplit."""
    lines = [m.group(0) for m in _LINE.finditer(text) if m.group(0)]
    rows: list[list[str]] = []
    broken: set[int] = set()
    start = 0
    while start < len(lines):
        reader = csv.reader((lines[j] for j in range(start, len(lines))), delimiter=delimiter, strict=True)
        done = 0
        try:
            for row in reader:
                rows.append(row)
                done = reader.line_num
        except csv.Error:
            broken.add(len(rows))
            rows.append([lines[start + done].rstrip("\r\n")])
            start += done + 1
            continue
        break
    return rows, broken


def _sniff_rows(spec: FeedSpec, text: str, notes: list[str]) -> tuple[list[list[str]], set[int]]:
    """Split text into rows with the feed's delimiter, or another one if only that fits the header; and the
    positions of rows whose quoting is broken (:func:`split_rows`)."""
    first_line = text.split("\n", 1)[0]
    expected = {_key(c.name) for c in spec.columns}
    best = spec.delimiter
    best_hits = len(expected & {_key(h) for h in first_line.split(spec.delimiter)})
    for delimiter in (",", ";", "|", "\t"):
        hits = len(expected & {_key(h) for h in first_line.split(delimiter)})
        if hits > best_hits:
            best, best_hits = delimiter, hits
    if best != spec.delimiter:
        notes.append(f"delimiter {best!r} used instead of the feed's {spec.delimiter!r}")
    return split_rows(text, best)


def _parse_value(col: Column, spec: FeedSpec, raw: str) -> tuple[object, str | None]:
    """Return (typed value, rule broken or None). Empty strings are missing values."""
    value, rule, _ = _parse_field(col, spec, raw, dates.accepted_formats(spec, col))
    return value, rule


def _parse_field(
    col: Column, spec: FeedSpec, raw: str, formats: tuple[str, ...] = ()
) -> tuple[object, str | None, str | None]:
    """(typed value, rule broken or None, the date format that parsed it for date columns).

    ``formats`` are the date formats accepted for a date column (:func:`pipelines.ingest.dates.accepted_formats`).
    """
    value = raw.strip()
    if value == "":
        return None, ("required" if col.required else None), None
    if "\x00" in value:
        return None, "nul_byte", None
    if len(value) > MAX_FIELD_CHARS:
        return None, "field_too_long", None
    if FORMULA_RE.match(value) and col.dtype in (DType.STRING, DType.CODE):
        return None, "formula_injection", None
    try:
        if col.dtype is DType.CODE:
            if col.codes and value not in col.codes:
                return None, "unknown_code", None
            return value, None, None
        if col.dtype is DType.DATE:
            parsed, fmt = dates.parse(value, formats)
            if parsed is None:
                return None, "invalid_date", None
            day = parsed.date()
            if fmt is not None and "%y" in fmt and col.person_field == "date_of_birth" and day > date.today():
                # two-digit years: Python reads 00-68 as 20xx; a birth date cannot be in the future
                try:
                    day = day.replace(year=day.year - 100)
                except ValueError:  # 29 Feb 2000 -> 1900 was not a leap year
                    return None, "invalid_date", None
            if not FIRST_DAY <= day <= LAST_DAY:
                return None, "unrepresentable_date", None
            return day, None, fmt
        if col.dtype is DType.DATETIME:
            parsed, fmt = dates.parse(value, formats)
            if parsed is None:
                return None, "invalid_datetime", None
            if not FIRST_DAY <= parsed.date() <= LAST_DAY:
                return None, "unrepresentable_datetime", None
            return parsed, None, fmt
        if col.dtype is DType.INTEGER:
            number = int(value) if INTEGER_RE.fullmatch(value) else None
            if number is None or not INT64_MIN <= number <= INT64_MAX:
                return None, "invalid_integer", None
            return number, None, None
        if col.dtype is DType.FLOAT:
            return float(value), None, None
        if col.dtype is DType.BOOLEAN:
            if value in spec.true_values:
                return True, None, None
            if value in spec.false_values:
                return False, None, None
            return None, "invalid_boolean", None
    except ValueError:
        return None, f"invalid_{col.dtype.value}", None
    return value, None, None


def _header_hits(first_line: str, spec: FeedSpec) -> int:
    wanted = {_key(c.name) for c in spec.columns}
    return max(len(wanted & {_key(h) for h in first_line.split(d)}) for d in (",", ";", "|", "\t"))


def header_fits(first_line: str, spec: FeedSpec) -> bool:
    """Whether a header line holds at least half of the feed's column names (under any usual delimiter)."""
    return _header_hits(first_line, spec) >= max(1, len(spec.columns) // 2)


def detect_other_feed(first_line: str, specs: Iterable[FeedSpec], own: FeedSpec) -> str | None:
    """The name of another feed whose header this is, if it fits that feed better than its own."""
    own_hits = _header_hits(first_line, own)
    for other in specs:
        if other.name == own.name:
            continue
        hits = _header_hits(first_line, other)
        if hits > own_hits and hits >= len(other.columns) // 2:
            return other.name
    return None


def _count_rows(text: str, delimiter: str) -> int:
    """Data rows in a file's text (header and blank lines not counted), for a file held whole."""
    rows, _ = split_rows(text, delimiter)
    return sum(1 for row in rows[1:] if row and not (len(row) == 1 and row[0].strip() == ""))


def _advice_for(kind_reason: str) -> str:
    if kind_reason in ("utf16_file", "utf32_file"):
        return "ask the agency to export it in the feed's encoding, or re-encode it and drop the copy in landing"
    if kind_reason in ("gzip_file", "zip_file", "bzip2_file", "xz_file", "7z_file"):
        return "decompress it and drop the delivery itself in landing, or ask the agency to send it uncompressed"
    return "ask the agency to send the delimited text export the feed specifies"


def read_delivery(
    spec: FeedSpec,
    path: Path,
    other_specs: Iterable[FeedSpec] = (),
    *,
    hold_rate: float | None = None,
    window_months: int | None = None,
) -> Delivery:
    """Read, split and type one delivery. Raises DeliveryRejected for a file-level failure.

    ``hold_rate`` and ``window_months`` default to the settings ``HFC_DATE_HOLD_RATE`` and
    ``HFC_EVENT_DATE_WINDOW_MONTHS`` (see :mod:`pipelines.ingest.dates`).
    """
    hold_rate = date_hold_rate() if hold_rate is None else hold_rate
    window = event_date_window_months() if window_months is None else window_months
    other_specs = tuple(other_specs)
    data = path.read_bytes()
    digest = content_hash(data)
    period = period_of(path)
    where = f"{spec.name}/{path.name}"
    if period is None:
        raise DeliveryRejected("no_period_in_name", f"{where}: file name carries no delivery period YYYY-MM")
    if not data.strip(b"\x00\r\n\t "):
        raise DeliveryRejected("empty_file", f"{where}: file is empty")
    kind = sniff_file_kind(data)
    if kind is not None:
        inner = inner_text(data, kind)
        held = _count_rows(inner, spec.delimiter) if inner is not None else 0
        counted = f"{held} row(s) inside" if inner is not None else "its rows cannot be counted"
        raise DeliveryRejected(
            kind.reason,
            f"{where}: the file is {kind.what}, not {spec.encoding} delimited text as the feed specifies "
            f"({counted}); held whole: {_advice_for(kind.reason)}",
            held,
        )
    try:
        decoded = decode_delivery(data, spec.encoding, where)
    except DeliveryRejected as rejected:
        rejected.rows = _count_rows(data.decode("latin-1"), spec.delimiter)
        raise
    notes, alerts = decoded.notes, decoded.alerts
    text = decoded.text
    first_line = text.split("\n", 1)[0]
    if "\x00" in first_line:
        raise DeliveryRejected(
            "nul_in_header",
            f"{where}: header line contains NUL bytes: not text the feed could send (a binary or corrupted file)",
            _count_rows(text, spec.delimiter),
        )
    other = detect_other_feed(first_line.rstrip("\r"), other_specs, spec)
    if other is not None:
        other_delimiter = next(s.delimiter for s in other_specs if s.name == other)
        raise DeliveryRejected(
            "wrong_feed",
            f"{where}: header is the {other} feed's, not {spec.name}'s; move the file to landing/{other}/",
            _count_rows(text, other_delimiter),
        )
    if not text.strip("\x00\r\n\t \ufeff"):
        raise DeliveryRejected("empty_file", f"{where}: file is empty (as text: nothing but a byte-order mark)")
    rows, broken = _sniff_rows(spec, text, notes)
    header, body = rows[0], rows[1:]
    mapping, missing, extra = _match_header(spec, header)
    missing_required = [c for c in missing if spec.column(c).required]
    sent = sum(1 for row in body if row and not (len(row) == 1 and row[0].strip() == ""))
    if missing_required:
        raise DeliveryRejected(
            "missing_columns",
            f"{where}: required columns missing from header: {', '.join(missing_required)}",
            sent,
        )
    if missing:
        notes.append(f"optional columns missing, loaded as empty: {', '.join(missing)}")
    if extra:
        # positions, not names: when a header line is missing or shifted, the "names" are a row of values
        positions = [str(i + 1) for i, h in enumerate(header) if h in extra]
        notes.append(f"{len(extra)} unexpected column(s) ignored, at position(s) {', '.join(positions)}")

    date_columns = [c for c in spec.columns if c.dtype in (DType.DATE, DType.DATETIME) and c.name in mapping]
    profiles = {
        c.name: dates.DateProfile(
            c.name,
            c.dtype,
            spec.date_formats if c.dtype is DType.DATE else spec.datetime_formats,
            is_event=c.name == spec.event_at,
        )
        for c in date_columns
    }
    today = date.today()
    formats = {c.name: dates.accepted_formats(spec, c) for c in date_columns}
    period_year, period_month = (int(x) for x in period.split("-"))
    period_index = period_year * 12 + period_month
    accepted: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    width = len(header)
    for offset, row in enumerate(body):
        source_row = offset + 2  # 1-based, counting the header as row 1
        if not row or (len(row) == 1 and row[0].strip() == ""):
            continue  # a blank line is not a row the agency sent
        if offset + 1 in broken:
            rejected.append(_reject(source_row, row, "broken_quoting", None))
            continue
        if len(row) != width:
            rejected.append(_reject(source_row, row, "field_count", None))
            continue
        record: dict[str, object] = {"_source_row": source_row}
        failure: tuple[str, str] | None = None
        for col in spec.columns:
            raw = row[mapping[col.name]] if col.name in mapping else ""
            value, rule, fmt = _parse_field(col, spec, raw, formats.get(col.name, ()))
            profile = profiles.get(col.name)
            if profile is not None and rule in (None, "invalid_date", "invalid_datetime") and raw.strip():
                parsed = value if rule is None else None
                far = False
                if isinstance(parsed, date) and profile.is_event:
                    day = parsed.date() if isinstance(parsed, datetime) else parsed
                    away = day.year * 12 + day.month - period_index
                    far = abs(away) > window and dates.plausible_event(day, today)
                    if far:
                        rule = "event_date_far_from_period"
                profile.add(raw.strip(), parsed if isinstance(parsed, date) else None, fmt, far)
            if rule is not None and failure is None:
                failure = (rule, col.name)
            record[col.name] = value
        if failure is not None:
            rejected.append(_reject(source_row, row, failure[0], failure[1]))
            continue
        accepted.append(record)

    verdict = dates.judge_dates(list(profiles.values()), where, period, hold_rate, window)
    if verdict is not None:
        raise DeliveryRejected(verdict.reason, verdict.message, len(accepted) + len(rejected))
    if not accepted and not rejected:
        alerts.append(Alert("no_rows", f"{where}: the file has a header and no rows; loaded as a delivery of 0 rows"))

    accepted_df = pd.DataFrame(accepted, columns=["_source_row", *spec.column_names])
    for col in spec.columns:
        accepted_df[col.name] = _as_dtype(accepted_df[col.name], col.dtype)
    rejected_df = pd.DataFrame(rejected, columns=["_source_row", "reason", "column", "raw_row"])
    far = sum(1 for r in rejected if r["reason"] == "event_date_far_from_period")
    if far:
        alerts.append(
            Alert(
                "event_date_far_from_period",
                f"{where}: {far} row(s) have an event date ({spec.event_at}) more than {window} month(s) from the "
                f"delivery period {period}; quarantined",
            )
        )
    return Delivery(
        feed=spec.name,
        file=path,
        period=period,
        content_hash=digest,
        rows_received=len(accepted) + len(rejected),
        accepted=accepted_df,
        rejected=rejected_df,
        notes=notes,
        alerts=alerts,
    )


def _reject(source_row: int, row: list[str], reason: str, column: str | None) -> dict[str, object]:
    return {"_source_row": source_row, "reason": reason, "column": column, "raw_row": "\x1f".join(row)}


def _as_dtype(series: pd.Series, dtype: DType) -> pd.Series:
    if dtype is DType.INTEGER:
        return series.astype("Int64")
    if dtype is DType.FLOAT:
        return series.astype("Float64")
    if dtype is DType.BOOLEAN:
        return series.astype("boolean")
    if dtype is DType.DATE:
        return pd.to_datetime(series).dt.date if len(series) else series.astype("object")
    if dtype is DType.DATETIME:
        return pd.to_datetime(series)
    return series.astype("string")
