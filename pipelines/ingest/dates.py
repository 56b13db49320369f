"""Dates as an agency writes them: parsing, and telling a delivery whose date format changed from one with bad rows.

An agency that switches its date order for one delivery (day-first to month-first) does not produce a file of
invalid dates: every date whose day is 12 or less still parses, wrongly, and only the rest fail. Quarantining row
by row would load the first kind with the wrong date. So each date column of a delivery is profiled as a whole
(:class:`DateProfile`) and :func:`judge_dates` holds the whole file when

- the column's values stop parsing at a high rate (at least ``date_hold_rate()`` of its values and at least
  ``HOLD_MIN_VALUES`` of them): the format has changed; or
- the values that can tell the two orders apart (a "day" above 12) all say the order is swapped, even if most rows
  parse: "03/27/2024" fits month-first only, and no value fits day-first only; or
- the record's event date (the column that dates the record) is more than ``event_date_window_months()`` months from
  the delivery's period in a high share of rows: the dates are misread, or it is another period's extract.

The reason names the column, the format the feed declares and the format its values fit (``%m/%d/%Y`` when the
spec says ``%d/%m/%Y``), never a value. A few event dates far from the period are quarantined row by row
(``event_date_far_from_period``): in a monthly extract they are misread or mistyped dates, and loading them would
place a contact months from when it happened, which is what outcome and pre/post evaluation measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pipelines.feeds.base import Column, DType, FeedSpec
from pipelines.ingest.expectations import EARLIEST_EVENT, EVENT_CLOCK_SKEW

# Besides a feed's declared formats, dates in formats that cannot be misread are accepted too
# (ISO, month names). Ambiguous ones (is 03/04 March or April?) must be declared by the feed.
UNAMBIGUOUS_DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%Y%m%d")
UNAMBIGUOUS_DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ")

# A high failure rate needs at least this many failing values, so that one bad row in a three-row delivery is
# quarantined as a row, not taken for a change of format.
HOLD_MIN_VALUES = 3
SAMPLE_VALUES = 2000  # values kept per column (in memory only) to name the format they fit

# Formats agencies' systems write, to name the one a column's values fit when they do not fit the declared one.
_DATE_SHAPES = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d-%b-%y",
    "%b %d %Y",
    "%Y%m%d",
    "%d%m%Y",
)
_TIME_SHAPES = (" %H:%M", " %H:%M:%S", "T%H:%M:%S", "T%H:%M", "T%H:%M:%SZ", " %I:%M %p", " %H%M")
COMMON_DATE_FORMATS = _DATE_SHAPES
COMMON_DATETIME_FORMATS = tuple(d + t for d in _DATE_SHAPES for t in _TIME_SHAPES)
_EARLIEST_EVENT = datetime.fromisoformat(EARLIEST_EVENT).date()
_TOKEN = re.compile(r"%[a-zA-Z]")


def swapped_format(fmt: str) -> str | None:
    """The format with day and month exchanged (``%d/%m/%Y`` -> ``%m/%d/%Y``), if the two can be confused.

    Year-first formats are left alone: ``%Y-%d-%m`` is not a format anyone writes.
    """
    tokens = _TOKEN.findall(fmt)
    if "%d" not in tokens or "%m" not in tokens or tokens[0] in ("%Y", "%y"):
        return None
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def order_name(fmt: str) -> str:
    tokens = _TOKEN.findall(fmt)
    if "%d" in tokens and "%m" in tokens:
        return "day-first" if tokens.index("%d") < tokens.index("%m") else "month-first"
    return "unambiguous"


def accepted_formats(spec: FeedSpec, col: Column) -> tuple[str, ...]:
    if col.dtype is DType.DATE:
        return (*spec.date_formats, *UNAMBIGUOUS_DATE_FORMATS)
    return (*spec.datetime_formats, *UNAMBIGUOUS_DATETIME_FORMATS)


def parse(value: str, formats: tuple[str, ...]) -> tuple[datetime | None, str | None]:
    """The value parsed by the first format that fits, and that format; (None, None) if none does."""
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt), fmt
        except ValueError:
            continue
    return None, None


def months_from(day: date, period: str) -> int:
    """Calendar months from the delivery period ``YYYY-MM`` to ``day`` (negative before it)."""
    year, month = (int(x) for x in period.split("-"))
    return (day.year * 12 + day.month) - (year * 12 + month)


def plausible_event(day: date, today: date | None = None) -> bool:
    """Within the span an event date can have at all (not before 2000, not after tomorrow); dates outside it are
    the expectation suite's ``event_date_out_of_range`` to judge, so that a year of 1900 keeps that reason."""
    latest = (today or date.today()) + max(EVENT_CLOCK_SKEW, timedelta(days=1))
    return _EARLIEST_EVENT <= day <= latest


@dataclass
class DateProfile:
    """One date column of one delivery, as a whole: counts, and raw values kept in memory only to name a format."""

    column: str
    dtype: DType
    declared: tuple[str, ...]  # the feed's own formats for this column
    is_event: bool
    values: int = 0  # non-empty values
    failed: int = 0  # values no accepted format parses
    declared_only: int = 0  # parsed by a declared day/month format with a day above 12: fits the declared order only
    far: int = 0  # event dates more than the window from the period (plausible dates only)
    failed_values: list[str] = field(default_factory=list, repr=False)
    sample: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._ambiguous = frozenset(f for f in self.declared if swapped_format(f) is not None)

    def add(self, raw: str, parsed: date | None, fmt: str | None, far: bool) -> None:
        self.values += 1
        if len(self.sample) < SAMPLE_VALUES:
            self.sample.append(raw)
        if parsed is None:
            self.failed += 1
            if len(self.failed_values) < SAMPLE_VALUES * 5:
                self.failed_values.append(raw)
            return
        if fmt in self._ambiguous and parsed.day > 12:
            self.declared_only += 1
        if far:
            self.far += 1

    @property
    def failure_rate(self) -> float:
        return self.failed / self.values if self.values else 0.0

    def swapped_only(self) -> int:
        """Failing values that fit a declared format with day and month exchanged."""
        swaps = tuple(s for s in (swapped_format(f) for f in self.declared) if s)
        if not swaps:
            return 0
        return sum(1 for v in self.failed_values if parse(v, swaps)[0] is not None)


@dataclass(frozen=True)
class DateVerdict:
    reason: str  # date_format_changed | event_dates_outside_period
    column: str
    message: str


def _fit_counts(values: list[str], fmt: str, period: str | None, is_event: bool, window: int) -> tuple[int, int]:
    parsed = in_window = 0
    for v in values:
        at, _ = parse(v, (fmt,))
        if at is None:
            continue
        parsed += 1
        if is_event and period is not None and abs(months_from(at.date(), period)) <= window:
            in_window += 1
    return parsed, in_window


def format_seen(profile: DateProfile, period: str | None, window: int) -> tuple[str, int, int] | None:
    """The format the column's values fit best, with how many of the sample it parses and how many of those fall
    in the period's window (event dates), or None if no known format fits half of them."""
    swaps = [s for s in (swapped_format(f) for f in profile.declared) if s]
    common = COMMON_DATE_FORMATS if profile.dtype is DType.DATE else COMMON_DATETIME_FORMATS
    candidates = list(dict.fromkeys([*profile.declared, *swaps, *common]))
    best: tuple[str, int, int] | None = None
    for fmt in candidates:
        parsed, in_window = _fit_counts(profile.sample, fmt, period, profile.is_event, window)
        score = (parsed + in_window, fmt in swaps)
        if best is None or score > (best[1] + best[2], best[0] in swaps):
            best = (fmt, parsed, in_window)
    if best is None or best[1] * 2 < len(profile.sample):
        return None
    return best


def _what_fits(p: DateProfile, seen: tuple[str, int, int] | None) -> str:
    declared = p.declared[0]
    if seen is None or seen[0] in p.declared:
        return "no common date format fits its values"
    fmt, parsed, _ = seen
    if order_name(fmt) != order_name(declared) and "unambiguous" not in (order_name(fmt), order_name(declared)):
        return (
            f"the feed declares {declared} ({order_name(declared)}), but its values are {order_name(fmt)}: {fmt} "
            f"fits {parsed} of {len(p.sample)} checked"
        )
    return f"its values fit {fmt} ({parsed} of {len(p.sample)} checked), not the declared {declared}"


def judge_dates(
    profiles: list[DateProfile], where: str, period: str | None, hold_rate: float, window: int
) -> DateVerdict | None:
    """The first date column whose evidence says the delivery must be held whole, or None."""
    for p in profiles:
        if not p.values:
            continue
        declared = p.declared[0]
        swapped_only = p.swapped_only()
        high_rate = p.failed >= HOLD_MIN_VALUES and p.failure_rate >= hold_rate
        swapped = swapped_only >= 1 and p.declared_only == 0
        if not (high_rate or swapped):
            continue
        if high_rate:
            why = f"{p.failed} of {p.values} values ({p.failure_rate:.0%}) do not parse as {declared}"
        else:
            why = (
                f"{swapped_only} of {p.values} values fit only {swapped_format(declared)} and none fits only {declared}"
            )
        fits = _what_fits(p, format_seen(p, period, window))
        return DateVerdict(
            "date_format_changed",
            p.column,
            f"{where}: date column {p.column} has changed format: {why}; {fits}. "
            f"Held whole, never half-loaded: ask the agency which format it sent and to re-send (or change the feed "
            f"spec if the change is for good)",
        )
    for p in profiles:
        if not (p.is_event and p.values and period is not None):
            continue
        if p.far >= HOLD_MIN_VALUES and p.far / p.values >= hold_rate:
            seen = format_seen(p, period, window)
            hint = ""
            if seen is not None and seen[0] not in p.declared and seen[2] >= 0.8 * len(p.sample):
                hint = f"; read as {seen[0]}, {seen[2]} of {len(p.sample)} checked fall within it"
            return DateVerdict(
                "event_dates_outside_period",
                p.column,
                f"{where}: {p.far} of {p.values} event dates in {p.column} ({p.far / p.values:.0%}) are more than "
                f"{window} month(s) from the delivery period {period}{hint}: misread dates, or another period's "
                f"extract. Held whole: ask the agency to check the extract and re-send",
            )
    return None
