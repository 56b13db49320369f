"""Read one delivery file of a feed into typed accepted rows and quarantined rows.

Every row received ends in exactly one of the two frames, so ``rows_received == len(accepted) +
len(rejected)`` always holds. A file that cannot be read as the feed at all (empty, wrong feed,
required columns missing) raises :class:`DeliveryRejected` and is quarantined whole by the caller.

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

csv.field_size_limit(1 << 30)

PERIOD_RE = re.compile(r"(?<!\d)(\d{4})-?(0[1-9]|1[0-2])(?!\d)")
# Spreadsheet formula injection (OWASP CSV injection): "=...", "@SUM(...)", "+cmd|' /C calc'!A0", "-2+3+cmd|...".
FORMULA_RE = re.compile(r"^\s*=|^\s*[+\-@]\s*[A-Za-z_][A-Za-z0-9_.]*\s*\(|^\s*[+\-@][^|]*\|.*!")
MAX_FIELD_CHARS = 100_000  # a narrative longer than this is not a narrative; quarantine the row
# Besides a feed's declared formats, dates in formats that cannot be misread are accepted too
# (ISO, month names). Ambiguous ones (is 03/04 March or April?) must be declared by the feed.
UNAMBIGUOUS_DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%Y%m%d")
UNAMBIGUOUS_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ")


class DeliveryRejected(Exception):
    """A whole file that cannot be loaded as this feed. ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


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


def _decode(spec: FeedSpec, data: bytes, notes: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        # a byte-order mark says UTF-8, whatever the feed usually sends
        notes.append("utf-8 byte-order mark removed")
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            data = data[3:]
    try:
        return data.decode(spec.encoding)
    except UnicodeDecodeError:
        pass
    for fallback in ("utf-8", "cp1252", "latin-1"):
        if fallback == spec.encoding:
            continue
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        notes.append(f"declared encoding {spec.encoding} failed; decoded as {fallback}")
        return text
    raise DeliveryRejected("undecodable", f"{spec.name}: file could not be decoded")  # latin-1 never fails


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


def _sniff_rows(spec: FeedSpec, text: str, notes: list[str]) -> list[list[str]]:
    """Split text into rows with the feed's delimiter, or another one if only that fits the header."""
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
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=best))


def _parse_value(col: Column, spec: FeedSpec, raw: str) -> tuple[object, str | None]:
    """Return (typed value, rule broken or None). Empty strings are missing values."""
    value = raw.strip()
    if value == "":
        return None, ("required" if col.required else None)
    if "\x00" in value:
        return None, "nul_byte"
    if len(value) > MAX_FIELD_CHARS:
        return None, "field_too_long"
    if FORMULA_RE.match(value) and col.dtype in (DType.STRING, DType.CODE):
        return None, "formula_injection"
    try:
        if col.dtype is DType.CODE:
            if col.codes and value not in col.codes:
                return None, "unknown_code"
            return value, None
        if col.dtype is DType.DATE:
            for fmt in (*spec.date_formats, *UNAMBIGUOUS_DATE_FORMATS):
                try:
                    parsed = datetime.strptime(value, fmt).date()
                except ValueError:
                    continue
                if "%y" in fmt and col.person_field == "date_of_birth" and parsed > date.today():
                    # two-digit years: Python reads 00-68 as 20xx; a birth date cannot be in the future
                    try:
                        parsed = parsed.replace(year=parsed.year - 100)
                    except ValueError:  # 29 Feb 2000 -> 1900 was not a leap year
                        return None, "invalid_date"
                return parsed, None
            return None, "invalid_date"
        if col.dtype is DType.DATETIME:
            for fmt in (*spec.datetime_formats, *UNAMBIGUOUS_DATETIME_FORMATS):
                try:
                    return datetime.strptime(value, fmt), None
                except ValueError:
                    continue
            return None, "invalid_datetime"
        if col.dtype is DType.INTEGER:
            return int(value), None
        if col.dtype is DType.FLOAT:
            return float(value), None
        if col.dtype is DType.BOOLEAN:
            if value in spec.true_values:
                return True, None
            if value in spec.false_values:
                return False, None
            return None, "invalid_boolean"
    except ValueError:
        return None, f"invalid_{col.dtype.value}"
    return value, None


def _header_hits(first_line: str, spec: FeedSpec) -> int:
    wanted = {_key(c.name) for c in spec.columns}
    return max(len(wanted & {_key(h) for h in first_line.split(d)}) for d in (",", ";", "|", "\t"))


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


def read_delivery(spec: FeedSpec, path: Path, other_specs: Iterable[FeedSpec] = ()) -> Delivery:
    """Read, split and type one delivery. Raises DeliveryRejected for a file-level failure."""
    data = path.read_bytes()
    digest = content_hash(data)
    period = period_of(path)
    where = f"{spec.name}/{path.name}"
    if period is None:
        raise DeliveryRejected("no_period_in_name", f"{where}: file name carries no delivery period YYYY-MM")
    if not data.strip(b"\x00\r\n\t "):
        raise DeliveryRejected("empty_file", f"{where}: file is empty")
    notes: list[str] = []
    text = _decode(spec, data, notes)
    if "\x00" in text.split("\n", 1)[0]:
        raise DeliveryRejected("nul_in_header", f"{where}: header line contains NUL bytes")
    other = detect_other_feed(text.split("\n", 1)[0].rstrip("\r"), other_specs, spec)
    if other is not None:
        raise DeliveryRejected("wrong_feed", f"{where}: header is the {other} feed's, not {spec.name}'s")
    rows = _sniff_rows(spec, text, notes)
    header, body = rows[0], rows[1:]
    mapping, missing, extra = _match_header(spec, header)
    missing_required = [c for c in missing if spec.column(c).required]
    if missing_required:
        raise DeliveryRejected(
            "missing_columns", f"{where}: required columns missing from header: {', '.join(missing_required)}"
        )
    if missing:
        notes.append(f"optional columns missing, loaded as empty: {', '.join(missing)}")
    if extra:
        # positions, not names: when a header line is missing or shifted, the "names" are a row of values
        positions = [str(i + 1) for i, h in enumerate(header) if h in extra]
        notes.append(f"{len(extra)} unexpected column(s) ignored, at position(s) {', '.join(positions)}")

    accepted: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    width = len(header)
    for offset, row in enumerate(body):
        source_row = offset + 2  # 1-based, counting the header as row 1
        if not row or (len(row) == 1 and row[0].strip() == ""):
            continue  # a blank line is not a row the agency sent
        if len(row) != width:
            rejected.append(_reject(source_row, row, "field_count", None))
            continue
        record: dict[str, object] = {"_source_row": source_row}
        failure: tuple[str, str] | None = None
        for col in spec.columns:
            raw = row[mapping[col.name]] if col.name in mapping else ""
            value, rule = _parse_value(col, spec, raw)
            if rule is not None:
                failure = (rule, col.name)
                break
            record[col.name] = value
        if failure is not None:
            rejected.append(_reject(source_row, row, failure[0], failure[1]))
            continue
        accepted.append(record)

    accepted_df = pd.DataFrame(accepted, columns=["_source_row", *spec.column_names])
    for col in spec.columns:
        accepted_df[col.name] = _as_dtype(accepted_df[col.name], col.dtype)
    rejected_df = pd.DataFrame(rejected, columns=["_source_row", "reason", "column", "raw_row"])
    return Delivery(
        feed=spec.name,
        file=path,
        period=period,
        content_hash=digest,
        rows_received=len(accepted) + len(rejected),
        accepted=accepted_df,
        rejected=rejected_df,
        notes=notes,
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
