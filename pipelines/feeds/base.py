"""How a feed is described: each column's native name, type, and privacy role, declared once.

Every stage reads these specs: the synthetic generator writes files in this shape, ingest parses
and gates them, pseudonymisation decides per column whether to key, generalise, de-identify, keep
or drop, and linkage reads the columns tagged with a ``person_field``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a column is, for privacy. Decides what pseudonymisation does with it."""

    RECORD_ID = "record_id"  # the agency's own record reference: replaced by a keyed token
    IDENTIFIER = "identifier"  # direct identifier (name, NHS number, DOB, address, phone, email): never leaves
    QUASI_IDENTIFIER = "quasi_identifier"  # generalised (DOB -> age band, postcode -> LSOA -> IMD decile)
    FREE_TEXT = "free_text"  # narrative: de-identified by Presidio before it leaves
    PLAIN = "plain"  # codes, dates of events, flags, scores: kept as they are


class DType(StrEnum):
    STRING = "string"
    CODE = "code"  # a value from ``Column.codes``
    DATE = "date"  # parsed with the feed's ``date_formats``
    DATETIME = "datetime"  # parsed with the feed's ``datetime_formats``
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"  # parsed with the feed's ``true_values`` / ``false_values``


# Canonical identity fields, the columns `hfc link` takes. A feed column that carries one of
# these declares it as ``person_field`` so linkage can read every feed the same way.
PERSON_FIELDS = (
    "nhs_number",
    "given_name",
    "family_name",
    "full_name",  # "SURNAME, Given" or "Given Surname" in one column: split by linkage
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "phone",
    "email",
    "lsoa",
)


@dataclass(frozen=True)
class Column:
    name: str  # the agency's own column name, exactly as in the file header
    dtype: DType
    role: Role
    description: str
    required: bool = False
    codes: tuple[str, ...] | None = None  # the agency's code list, for CODE columns
    person_field: str | None = None  # one of PERSON_FIELDS, for identity columns
    canonical: str | None = None  # our name for the column in pseudonymised output (snake_case)

    def __post_init__(self) -> None:
        if self.person_field is not None and self.person_field not in PERSON_FIELDS:
            raise ValueError(f"unknown person_field {self.person_field!r} on column {self.name!r}")
        if self.dtype is DType.CODE and not self.codes:
            raise ValueError(f"CODE column {self.name!r} needs a code list")

    @property
    def output_name(self) -> str:
        return self.canonical or self.name.lower()


@dataclass(frozen=True)
class FeedSpec:
    name: str  # e.g. "police_incidents": one name from landing folder to dashboard
    agency: str
    description: str  # one paragraph, ends with the grain: "One row per incident log."
    columns: tuple[Column, ...]
    record_id: str  # native name of the agency's unique record reference column
    event_at: str  # native name of the column that dates the record (delivery period comes from it)
    file_pattern: str  # glob within data/landing/<feed>/, e.g. "CAD_EXPORT_*.csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    datetime_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S",)
    true_values: tuple[str, ...] = ("Y", "Yes", "TRUE", "1")
    false_values: tuple[str, ...] = ("N", "No", "FALSE", "0")
    has_control_totals: bool = False  # agency sends a <file>.ctl with its own row count
    # confidential patient information from health services: the national data opt-out applies
    subject_to_opt_out: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)  # data-quality habits, for docs/feeds.md

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def by_role(self, role: Role) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role is role)

    def person_columns(self) -> dict[str, str]:
        """Canonical identity field -> native column name."""
        return {c.person_field: c.name for c in self.columns if c.person_field}
