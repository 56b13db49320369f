"""Build valid and invalid delivery files for any feed from its spec, independent of the synthetic
county, so ingest tests say exactly which fault they plant."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pipelines.feeds.base import Column, DType, FeedSpec, Role
from pipelines.privacy.normalise import nhs_check_digit


def valid_nhs_number(seed: int) -> str:
    n = 400_000_000 + seed * 7
    while True:
        digits = f"{n:09d}"
        check = nhs_check_digit(digits)
        if check is not None:
            return digits + str(check)
        n += 1


def value_for(spec: FeedSpec, col: Column, i: int) -> str:
    if col.name == spec.record_id:
        return f"R{i:06d}"
    if col.person_field == "nhs_number":
        return valid_nhs_number(i)
    if col.person_field == "postcode":
        return "SN1 1AA"
    if col.person_field == "lsoa":
        return "E01900001"
    if col.dtype is DType.CODE:
        return col.codes[i % len(col.codes)]  # type: ignore[index]
    if col.dtype is DType.DATE and col.person_field == "date_of_birth":
        return date(1960 + i % 40, 1 + i % 12, 1 + i % 28).strftime(spec.date_formats[0])
    if col.dtype is DType.DATE:
        return date(2024, 1, 1 + i % 28).strftime(spec.date_formats[0])
    if col.dtype is DType.DATETIME:
        return datetime(2024, 1, 1 + i % 28, 10, 30).strftime(spec.datetime_formats[0])
    if col.dtype is DType.INTEGER:
        return str(1 + i % 4)
    if col.dtype is DType.FLOAT:
        return "1.5"
    if col.dtype is DType.BOOLEAN:
        return spec.true_values[0]
    if col.role is Role.FREE_TEXT:
        return "Seen at home, calm, plan agreed."
    return f"{col.name.lower()}{i}"


def rows(spec: FeedSpec, n: int) -> list[list[str]]:
    return [[value_for(spec, c, i) for c in spec.columns] for i in range(n)]


def write_delivery(
    spec: FeedSpec,
    folder: Path,
    n: int = 5,
    period: str = "2024-01",
    header: list[str] | None = None,
    body: list[list[str]] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    name: str | None = None,
) -> Path:
    """Write a delivery in the feed's own shape (or a distorted one) and return its path."""
    delimiter = delimiter or spec.delimiter
    lines = [header or list(spec.column_names), *(body if body is not None else rows(spec, n))]
    text = "\r\n".join(delimiter.join(_quote(v, delimiter) for v in line) for line in lines) + "\r\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or spec.file_pattern.replace("*", period))
    path.write_bytes(text.encode(encoding or spec.encoding))
    return path


def _quote(value: str, delimiter: str) -> str:
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value
