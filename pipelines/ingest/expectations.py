"""Great Expectations suites for every feed, and a value-free validation of one delivery.

Each feed's suite is generated from its :class:`~pipelines.feeds.base.FeedSpec` by :func:`build_suite` and committed as
``expectations/<feed>.json`` (:func:`write_suites`), so the checks on a table are reviewed like code and a spec change
shows up as a suite diff (a unit test fails until the files are regenerated). At run time the committed file is what
gates a load (:func:`load_suite`).

What each expectation means for the pipeline is in its ``meta``:

- ``blocking``: a failure stops the load (schema, required fields, unique record ids). The ingest defs map these to a
  blocking Dagster asset check; the delivery is quarantined whole.
- ``level``: ``"row"`` when each failing row is a fault of that row (an unknown code, a date of birth in the future):
  :meth:`ValidationSummary.row_failures` gives their ``_source_row`` numbers so they can be quarantined with a reason;
  ``"batch"`` when the failure is about the delivery as a whole (row count drift, identifier error rates).
- ``rule``: a stable reason code, used in quarantine files, asset check metadata and the data docs.

Rows an extract repeats whole are not a reason to stop a load: :func:`split_exact_duplicates` sets the copies aside
(reason ``duplicate_row``) before validation, so the blocking unique-id check stops only conflicting records.

Privacy: deliveries are identifiable. Great Expectations puts sample failing values in its results by default; here
every validation runs with ``exclude_unexpected_values`` and ``partial_unexpected_count=0``, and the result is
sanitised again before anything leaves this module (failing values, row dumps, exception messages and tracebacks,
which can quote a value, and the batch fingerprint are removed). :class:`ValidationSummary` carries counts, percents
and row positions only. Errors name the feed, expectation, column and rule, never a value.

Great Expectations is imported on first use, not at import time (it takes seconds), and one ephemeral context with
one pandas data source is kept per process.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import statistics
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from pipelines.feeds.base import DType, FeedSpec, Role
from pipelines.privacy.normalise import POSTCODE_INWARD, POSTCODE_OUTWARD, nhs_number_is_valid
from pipelines.settings import REPO_ROOT

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult

logger = logging.getLogger(__name__)

SUITES_DIR = REPO_ROOT / "expectations"

# Bookkeeping columns the loader adds beside the agency's own. ``_source_row`` is validated with the batch (it is how
# GX reports failing rows); the other two are constant per delivery and dropped before validation.
SOURCE_ROW = "_source_row"
SOURCE_FILE = "_source_file"
PERIOD = "_period"
BOOKKEEPING_COLUMNS = (SOURCE_ROW, SOURCE_FILE, PERIOD)
# Row-level failures, ready for the quarantine: positions and names, never values.
ROW_FAILURE_COLUMNS = [SOURCE_FILE, SOURCE_ROW, "reason", "rule", "expectation", "column", "blocking"]

# Date windows. Events before EARLIEST_EVENT are typing errors in a warehouse that starts this century; a date of
# birth before EARLIEST_BIRTH is a placeholder (01/01/1800, 01/01/1900 is still allowed as a real if rare date).
EARLIEST_EVENT = "2000-01-01T00:00:00"
EARLIEST_BIRTH = "1900-01-01T00:00:00"
EVENT_CLOCK_SKEW = timedelta(days=1)  # agencies' clocks and time zones: an event up to a day "ahead" is not an error

# Row count against recent deliveries: between 50% and 200% of the median of the last three loaded periods.
ROW_COUNT_WINDOW = 3
ROW_COUNT_LOW = 0.5
ROW_COUNT_HIGH = 2.0

# Identifier formats. Agencies legitimately carry a small share of mistyped identifiers; these are warnings on the
# rate, and pseudonymisation normalises a bad identifier to missing rather than keying it.
NHS_NUMBER_REGEX = r"^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"
NHS_NUMBER_MOSTLY = 0.98
POSTCODE_REGEX = rf"(?i)^{POSTCODE_OUTWARD}\s*{POSTCODE_INWARD}$"
POSTCODE_MOSTLY = 0.95
LSOA_REGEX = r"^[EW]0[0-9]{7}$"
LSOA_MOSTLY = 0.95

# Parameters set per validation (GX's ``$PARAMETER`` syntax), so the committed suites stay date-free.
PARAM_LATEST_BIRTH = "latest_birth"
PARAM_LATEST_EVENT = "latest_event"
PARAM_ROW_COUNT_MIN = "row_count_min"
PARAM_ROW_COUNT_MAX = "row_count_max"

# What GX may check on pandas for each spec type (``ExpectColumnValuesToBeOfType``): the numpy scalar type behind the
# column's dtype. Nullable pandas dtypes (string, Int64, Float64, boolean) map to the same scalar types.
GX_TYPES: dict[DType, str] = {
    DType.STRING: "str",
    DType.CODE: "str",
    DType.DATE: "datetime64",  # dates are compared as timestamps: see _prepare
    DType.DATETIME: "datetime64",
    DType.INTEGER: "int64",
    DType.FLOAT: "float64",
    DType.BOOLEAN: "bool",
}

NHS_EXPECTATION_TYPE = "expect_column_values_to_be_valid_nhs_numbers"
_NHS_METRIC = "column_values.hfc_valid_nhs_number"

# What may stay in a GX result: counts and percents. Anything else (partial_unexpected_list, unexpected_list,
# unexpected_rows, partial_unexpected_counts, details) could carry a value and is dropped.
_COUNT_KEYS = (
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "missing_count",
    "missing_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
)
_WITHHELD = "withheld: exception messages can quote a value"

# Counts only (the summary) and row positions (to quarantine failing rows): never a value.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "exclude_unexpected_values": True,
    "unexpected_index_column_names": [SOURCE_ROW],
    "return_unexpected_index_query": False,
}


class ValidationError(Exception):
    """Great Expectations could not run a suite at all. The message names the feed and the error type only."""


# --------------------------------------------------------------------------------------------------------------------
# Great Expectations, imported once per process


@dataclass
class _GX:
    module: Any
    expectations: Any
    context: Any
    datasource: Any
    nhs_expectation: Any  # our ExpectColumnValuesToBeValidNhsNumbers class
    batch_definitions: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE: dict[str, _GX] = {}
_STATE_LOCK = threading.Lock()


def _gx() -> _GX:
    """The process's one ephemeral GX context, its pandas data source, and our custom expectation, made on first use."""
    state = _STATE.get("gx")
    if state is not None:
        return state
    with _STATE_LOCK:
        if "gx" not in _STATE:
            # ``pipelines`` (imported above, through pipelines.feeds) has switched GX analytics off already.
            import great_expectations as gx_module
            import great_expectations.expectations as gxe
            from great_expectations.data_context.types.base import ProgressBarsConfig

            nhs_expectation = _register_nhs_expectation()
            context = gx_module.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm noise in run logs
            datasource = context.data_sources.add_pandas("hfc_ingest")
            _STATE["gx"] = _GX(gx_module, gxe, context, datasource, nhs_expectation)
    return _STATE["gx"]


def _register_nhs_expectation() -> type:
    """Define (and so register with GX) the NHS number check-digit expectation, which GX lacks. Runs once."""
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import ColumnMapExpectation
    from great_expectations.expectations.metrics.map_metric_provider import (
        ColumnMapMetricProvider,
        column_condition_partial,
    )

    class ColumnValuesValidNhsNumber(ColumnMapMetricProvider):  # registered with GX by being defined
        """True where a value is ten digits whose last is the modulus-11 check digit of the first nine."""

        condition_metric_name = _NHS_METRIC

        @column_condition_partial(engine=PandasExecutionEngine)
        def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
            return column.map(nhs_number_is_valid).astype(bool)

    class ExpectColumnValuesToBeValidNhsNumbers(ColumnMapExpectation):
        """Expect NHS numbers (spaces and dashes allowed) to pass their modulus-11 check digit.

        A single mistyped digit always breaks the check, so the rate of failures is the rate of mistyped numbers;
        use ``mostly`` for the share an agency can be expected to get right.
        """

        map_metric = _NHS_METRIC
        success_keys = ("mostly",)
        args_keys = ("column",)
        library_metadata: ClassVar[dict[str, Any]] = {
            "maturity": "production",
            "tags": ["hfc-outcomes", "identifier"],
            "contributors": [],
        }

    return ExpectColumnValuesToBeValidNhsNumbers


def _batch_definition(feed: str) -> Any:
    state = _gx()
    definition = state.batch_definitions.get(feed)
    if definition is None:
        asset = state.datasource.add_dataframe_asset(name=feed)
        definition = asset.add_batch_definition_whole_dataframe("whole_delivery")
        state.batch_definitions[feed] = definition
    return definition


# --------------------------------------------------------------------------------------------------------------------
# Suites from specs


def _meta(rule: str, *, blocking: bool, level: str) -> dict[str, Any]:
    return {"blocking": blocking, "level": level, "rule": rule}


def build_suite(spec: FeedSpec) -> gx.ExpectationSuite:
    """The expectation suite a feed's spec implies. Every expectation's ``meta`` says whether it blocks the load.

    Generated rather than hand-written so that the spec stays the one place a column is declared; the committed JSON
    (see :func:`write_suites`) is what reviewers read and what runs.
    """
    state = _gx()
    gxe = state.expectations
    nhs_expectation = state.nhs_expectation
    critical, warning = "critical", "warning"
    items: list[Any] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[*spec.column_names, SOURCE_ROW],
            exact_match=True,
            description=f"{spec.name} has exactly its declared columns (plus the loader's {SOURCE_ROW}).",
            meta=_meta("schema_columns", blocking=True, level="batch"),
            severity=critical,
        )
    ]
    for col in spec.columns:
        items.append(
            gxe.ExpectColumnValuesToBeOfType(
                column=col.name,
                type_=GX_TYPES[col.dtype],
                description=f"{col.name} holds {GX_TYPES[col.dtype]} values (spec type: {col.dtype.value}).",
                meta=_meta("schema_type", blocking=True, level="batch"),
                severity=critical,
            )
        )
    for col in spec.columns:
        if col.required:
            items.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=col.name,
                    description=f"{col.name} is required.",
                    meta=_meta("required_missing", blocking=True, level="batch"),
                    severity=critical,
                )
            )
    items.append(
        gxe.ExpectColumnValuesToBeUnique(
            column=spec.record_id,
            description=f"{spec.record_id} identifies one record: no two rows of a delivery share it.",
            meta=_meta("duplicate_record_id", blocking=True, level="batch"),
            severity=critical,
        )
    )
    for col in spec.columns:
        if col.dtype is DType.CODE and col.codes:
            items.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=col.name,
                    value_set=list(col.codes),
                    description=f"{col.name} holds a code from the agency's code list.",
                    meta=_meta("unknown_code", blocking=False, level="row"),
                    severity=warning,
                )
            )
    for col in spec.columns:
        if col.dtype not in (DType.DATE, DType.DATETIME):
            continue
        if col.person_field == "date_of_birth":
            items.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=col.name,
                    min_value=EARLIEST_BIRTH,
                    max_value={"$PARAMETER": PARAM_LATEST_BIRTH},
                    description=f"{col.name} is not in the future and not before 1900.",
                    meta=_meta("date_of_birth_out_of_range", blocking=False, level="row"),
                    severity=warning,
                )
            )
        elif col.role is Role.PLAIN:
            items.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=col.name,
                    min_value=EARLIEST_EVENT,
                    max_value={"$PARAMETER": PARAM_LATEST_EVENT},
                    description=f"{col.name} is not before 2000 and not more than a day in the future.",
                    meta=_meta("event_date_out_of_range", blocking=False, level="row"),
                    severity=warning,
                )
            )
    items.append(
        gxe.ExpectTableRowCountToBeBetween(
            min_value={"$PARAMETER": PARAM_ROW_COUNT_MIN},
            max_value={"$PARAMETER": PARAM_ROW_COUNT_MAX},
            description=(
                f"Row count is between {ROW_COUNT_LOW:.0%} and {ROW_COUNT_HIGH:.0%} of the median of the last "
                f"{ROW_COUNT_WINDOW} loaded periods (not checked until a period has been loaded)."
            ),
            meta=_meta("row_count_drift", blocking=False, level="batch"),
            severity=warning,
        )
    )
    for col in spec.columns:
        if col.person_field == "nhs_number":
            items.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=col.name,
                    regex=NHS_NUMBER_REGEX,
                    mostly=NHS_NUMBER_MOSTLY,
                    description=f"{col.name} is written as ten digits (spaces or dashes allowed).",
                    meta=_meta("nhs_number_format", blocking=False, level="batch"),
                    severity=warning,
                )
            )
            items.append(
                nhs_expectation(
                    column=col.name,
                    mostly=NHS_NUMBER_MOSTLY,
                    description=f"{col.name} passes the NHS number modulus-11 check digit.",
                    meta=_meta("nhs_number_check_digit", blocking=False, level="batch"),
                    severity=warning,
                )
            )
        elif col.person_field == "postcode":
            items.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=col.name,
                    regex=POSTCODE_REGEX,
                    mostly=POSTCODE_MOSTLY,
                    description=f"{col.name} has the shape of a UK postcode (any case and spacing).",
                    meta=_meta("postcode_format", blocking=False, level="batch"),
                    severity=warning,
                )
            )
        elif col.person_field == "lsoa":
            items.append(
                gxe.ExpectColumnValuesToMatchRegex(
                    column=col.name,
                    regex=LSOA_REGEX,
                    mostly=LSOA_MOSTLY,
                    description=f"{col.name} is an English or Welsh LSOA code.",
                    meta=_meta("lsoa_format", blocking=False, level="batch"),
                    severity=warning,
                )
            )
    return state.module.ExpectationSuite(
        name=spec.name,
        expectations=items,
        meta={"feed": spec.name, "generated_by": "pipelines.ingest.expectations.build_suite"},
    )


def suite_json(suite: gx.ExpectationSuite) -> str:
    """The suite as committed: stable key order, no GX version or ids, so a diff shows only a real change."""
    data = suite.to_json_dict()
    data.pop("id", None)
    data["meta"] = {k: v for k, v in (data.get("meta") or {}).items() if k != "great_expectations_version"}
    for exp in data["expectations"]:
        exp.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def suite_path(feed: str, folder: Path | None = None) -> Path:
    return (folder or SUITES_DIR) / f"{feed}.json"


def write_suites(folder: Path | None = None, specs: Iterable[FeedSpec] | None = None) -> list[Path]:
    """Write every feed's generated suite to ``<folder>/<feed>.json`` (default: the repo's ``expectations/``)."""
    from pipelines.feeds import FEED_SPECS

    folder = folder or SUITES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in specs if specs is not None else FEED_SPECS.values():
        path = suite_path(spec.name, folder)
        path.write_text(suite_json(build_suite(spec)), encoding="utf-8")
        written.append(path)
    _SUITE_CACHE.clear()
    return written


def read_suite(feed: str, folder: Path | None = None) -> gx.ExpectationSuite:
    """A fresh copy of a feed's committed suite. Refuses a suite that does not load whole."""
    path = suite_path(feed, folder)
    if not path.exists():
        raise FileNotFoundError(
            f"no expectation suite at {path}; generate it with pipelines.ingest.expectations.write_suites()"
        )
    state = _gx()
    data = json.loads(path.read_text(encoding="utf-8"))
    suite = state.module.ExpectationSuite(
        name=data["name"], expectations=data["expectations"], meta=data.get("meta"), notes=data.get("notes")
    )
    if len(suite.expectations) != len(data["expectations"]):  # GX logs and skips an invalid expectation: refuse
        raise ValueError(f"{path.name}: {len(data['expectations']) - len(suite.expectations)} expectation(s) invalid")
    return suite


def load_suite(feed: str, folder: Path | None = None) -> gx.ExpectationSuite:
    """The committed suite of a feed, read once per process and again only when the file changes."""
    path = suite_path(feed, folder)
    mtime_ns = path.stat().st_mtime_ns if path.exists() else -1
    cached = _SUITE_CACHE.get(path)
    if cached is not None and cached[0] == mtime_ns:
        return cached[1]
    suite = read_suite(feed, folder)
    _SUITE_CACHE[path] = (mtime_ns, suite)
    return suite


_SUITE_CACHE: dict[Path, tuple[int, Any]] = {}


# --------------------------------------------------------------------------------------------------------------------
# Validating a delivery


def row_count_bounds(previous_counts: Sequence[int]) -> tuple[int, int] | None:
    """Bounds for this delivery's row count from the last loaded periods' counts (oldest first), or None.

    Between ``ROW_COUNT_LOW`` and ``ROW_COUNT_HIGH`` times the median of the last ``ROW_COUNT_WINDOW`` periods that
    loaded rows. A period that loaded nothing (no delivery, a rejected file) is no baseline and is skipped; with no
    baseline at all the check is not made (the first delivery of a feed cannot drift).
    """
    loaded = [int(n) for n in previous_counts if n is not None and int(n) > 0][-ROW_COUNT_WINDOW:]
    if not loaded:
        return None
    median = statistics.median(loaded)
    return math.floor(median * ROW_COUNT_LOW), math.ceil(median * ROW_COUNT_HIGH)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result: what was checked and how many rows failed, never which values."""

    expectation: str  # GX type, e.g. expect_column_values_to_be_unique
    rule: str  # our reason code, e.g. duplicate_record_id
    column: str | None
    blocking: bool
    level: str  # "batch" | "row"
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None
    observed_count: int | None = None  # the row count, for table row count expectations
    raised_exception: bool = False
    exception_type: str | None = None  # e.g. "TypeError"; the message is never kept
    failing_rows: tuple[int, ...] = field(default=(), repr=False)  # _source_row numbers (positions, not values)

    def describe(self) -> str:
        """One line for a UI message: rule, column and count."""
        where = f" on {self.column}" if self.column else ""
        if self.raised_exception:
            return f"{self.rule}{where}: could not be evaluated ({self.exception_type or 'error'})"
        if self.unexpected_count is not None:
            pct = f", {self.unexpected_percent:.1f}%" if self.unexpected_percent is not None else ""
            return f"{self.rule}{where}: {self.unexpected_count} row(s){pct}"
        if self.observed_count is not None:
            return f"{self.rule}{where}: observed {self.observed_count} row(s)"
        return f"{self.rule}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "rule": self.rule,
            "column": self.column,
            "blocking": self.blocking,
            "level": self.level,
            "success": self.success,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "missing_count": self.missing_count,
            "observed_count": self.observed_count,
            "raised_exception": self.raised_exception,
            "exception_type": self.exception_type,
        }


@dataclass(frozen=True)
class ValidationSummary:
    """A delivery's validation, safe to log, to put in asset metadata and to render: counts, never values.

    ``gx_result`` is Great Expectations' own result with every value-bearing field stripped (and without row
    positions), kept for :func:`pipelines.ingest.data_docs.build_data_docs`.
    """

    feed: str
    period: str | None
    source_file: str | None
    rows: int
    validated_at: datetime  # UTC
    row_count_bounds: tuple[int, int] | None
    outcomes: tuple[ExpectationOutcome, ...]
    gx_result: ExpectationSuiteValidationResult | None = field(default=None, repr=False, compare=False)

    @property
    def success(self) -> bool:
        """Every expectation passed, warnings included."""
        return all(o.success for o in self.outcomes)

    @property
    def blocking_success(self) -> bool:
        """No blocking expectation failed: the delivery may load (its failing rows quarantined)."""
        return all(o.success for o in self.outcomes if o.blocking)

    @property
    def blocking_failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if o.blocking and not o.success)

    @property
    def warnings(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.blocking and not o.success)

    def message(self) -> str:
        """A line a data engineer can act on, naming rules, columns and counts only."""
        where = f"{self.feed}" + (f"/{self.source_file}" if self.source_file else "")
        if self.blocking_failures:
            listed = "; ".join(o.describe() for o in self.blocking_failures)
            return f"{where}: {len(self.blocking_failures)} blocking expectation(s) failed: {listed}"
        if self.warnings:
            listed = "; ".join(o.describe() for o in self.warnings)
            return f"{where}: passed with {len(self.warnings)} warning(s): {listed}"
        return f"{where}: all {len(self.outcomes)} expectations passed on {self.rows} row(s)"

    def row_failures(self, levels: Iterable[str] = ("row",)) -> pd.DataFrame:
        """Rows that failed row-level expectations, one line per (row, expectation), to quarantine with a reason.

        Columns: ``_source_file``, ``_source_row``, ``reason`` (``gx:<rule>``), ``rule``, ``expectation``,
        ``column``, ``blocking``. Positions and names only, no values. Pass ``levels=("row", "batch")`` to include
        rows behind batch-level failures too (e.g. both rows of a duplicated record id).
        """
        wanted = set(levels)
        records = [
            {
                SOURCE_FILE: self.source_file,
                SOURCE_ROW: row,
                "reason": f"gx:{o.rule}",
                "rule": o.rule,
                "expectation": o.expectation,
                "column": o.column,
                "blocking": o.blocking,
            }
            for o in self.outcomes
            if o.level in wanted
            for row in o.failing_rows
        ]
        frame = pd.DataFrame(records, columns=ROW_FAILURE_COLUMNS)
        frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
        return frame.sort_values([SOURCE_ROW, "rule", "column"], kind="stable").reset_index(drop=True)

    def as_metadata(self) -> dict[str, Any]:
        """Plain values for Dagster asset check metadata: counts and rule names."""
        return {
            "feed": self.feed,
            "period": self.period,
            "source_file": self.source_file,
            "rows": self.rows,
            "expectations": len(self.outcomes),
            "blocking_failed": len(self.blocking_failures),
            "warnings": len(self.warnings),
            "row_count_bounds": list(self.row_count_bounds) if self.row_count_bounds else None,
            "failed": [o.describe() for o in self.outcomes if not o.success],
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.as_metadata(),
            "validated_at": self.validated_at.isoformat(),
            "success": self.success,
            "blocking_success": self.blocking_success,
            "outcomes": [o.as_dict() for o in self.outcomes],
        }


def _to_timestamps(series: pd.Series) -> pd.Series:
    """Dates (``datetime.date`` objects) as ``datetime64[ns]``, so GX compares them with its vectorised path.

    A date outside pandas' nanosecond range (before 1677 or after 2262) is a data error, not a reason to fail the
    cast: it is pinned to the nearest representable instant so the range expectations still flag its row.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    out = pd.to_datetime(series, errors="coerce")
    lost = series.notna() & out.isna()
    if lost.any():
        years = series[lost].map(lambda v: getattr(v, "year", None))
        if years.isna().any():  # not dates at all: leave the column as it came, the type check will say so
            return series
        out[lost] = [pd.Timestamp.min if y < 1677 else pd.Timestamp.max for y in years]
    return out


def _prepare(spec: FeedSpec, frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None, str | None]:
    """The batch GX sees: the agency's columns and ``_source_row``, dates as timestamps, a plain index."""
    source_file = _single_value(frame, SOURCE_FILE)
    period = _single_value(frame, PERIOD)
    batch = frame.drop(columns=[c for c in (SOURCE_FILE, PERIOD) if c in frame.columns]).reset_index(drop=True)
    if SOURCE_ROW not in batch.columns:
        # Row numbers as the reader counts them (header is row 1), assuming no blank lines were skipped.
        batch.insert(0, SOURCE_ROW, range(2, len(batch) + 2))
        logger.info("%s: no %s column; rows numbered by position", spec.name, SOURCE_ROW)
    for col in spec.columns:
        if col.dtype is DType.DATE and col.name in batch.columns:
            batch[col.name] = _to_timestamps(batch[col.name])
    return batch, source_file, period


def _single_value(frame: pd.DataFrame, column: str) -> str | None:
    if column not in frame.columns or frame.empty:
        return None
    values = frame[column].dropna().unique()
    return str(values[0]) if len(values) == 1 else None


def _parameters(now: datetime, bounds: tuple[int, int] | None) -> dict[str, Any]:
    return {
        PARAM_LATEST_BIRTH: now.replace(microsecond=0).isoformat(),
        PARAM_LATEST_EVENT: (now + EVENT_CLOCK_SKEW).replace(microsecond=0).isoformat(),
        PARAM_ROW_COUNT_MIN: bounds[0] if bounds else None,
        PARAM_ROW_COUNT_MAX: bounds[1] if bounds else None,
    }


def _run_gx(spec: FeedSpec, batch: pd.DataFrame, suite: Any, parameters: dict[str, Any]) -> Any:
    """GX's raw result for one batch (value-free by its result format, but not yet sanitised)."""
    state = _gx()
    try:
        with state.lock:  # one context per process; fluent data sources are not thread-safe
            gx_batch = _batch_definition(spec.name).get_batch(batch_parameters={"dataframe": batch})
            return gx_batch.validate(
                suite, result_format=copy.deepcopy(RESULT_FORMAT), expectation_parameters=parameters
            )
    except Exception as exc:  # the message may quote data: name the type only, and drop the chain
        raise ValidationError(f"{spec.name}: Great Expectations could not validate ({type(exc).__name__})") from None


def validate_delivery(
    spec: FeedSpec,
    frame: pd.DataFrame,
    previous_counts: Sequence[int] = (),
    *,
    suite: gx.ExpectationSuite | None = None,
    now: datetime | None = None,
) -> ValidationSummary:
    """Validate one delivery's accepted rows against the feed's committed suite; counts and row positions only.

    ``frame`` is the reader's ``accepted`` frame or the loaded ``_accepted/<feed>/<period>.parquet`` (native
    column names plus ``_source_row``, and optionally ``_source_file``/``_period``). ``previous_counts`` are the
    rows loaded in the feed's recent periods, oldest first (see :func:`row_count_bounds`). ``now`` dates the "not
    in the future" checks (local, naive, as agencies' timestamps are).
    """
    suite = suite if suite is not None else load_suite(spec.name)
    now = now or datetime.now()
    if now.tzinfo is not None:  # agencies' timestamps are naive local time: compare like with like
        now = now.astimezone().replace(tzinfo=None)
    bounds = row_count_bounds(previous_counts)
    batch, source_file, period = _prepare(spec, frame)
    raw = _run_gx(spec, batch, suite, _parameters(now, bounds))
    outcomes = tuple(_outcome(r) for r in raw.results)
    clean = sanitise_result(raw, allowed_columns=(*spec.column_names, SOURCE_ROW))
    summary = ValidationSummary(
        feed=spec.name,
        period=period,
        source_file=source_file,
        rows=len(batch),
        validated_at=datetime.now(UTC),
        row_count_bounds=bounds,
        outcomes=outcomes,
        gx_result=clean,
    )
    log = logger.warning if not summary.blocking_success else logger.info
    log("%s", summary.message())
    return summary


def split_exact_duplicates(spec: FeedSpec, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set aside the second and later copies of rows repeated whole (same record id, same everything).

    Agencies' extracts repeat a row now and then (the synthetic county does, at 0.5%); the copy adds nothing and is
    quarantined with reason ``duplicate_row``. Rows that share a record id but differ are left in: which one is
    right cannot be decided here, and the blocking unique-id expectation stops that delivery. Returns the frame
    without the copies, and the copies' positions in the shape of :meth:`ValidationSummary.row_failures`.
    """
    columns = [c for c in spec.column_names if c in frame.columns]
    repeated = frame.duplicated(subset=columns, keep="first") if columns else pd.Series(False, index=frame.index)
    copies = frame.loc[repeated]
    positions = (
        copies[SOURCE_ROW].astype("int64").tolist()
        if SOURCE_ROW in frame.columns
        else [i + 2 for i, dup in enumerate(repeated) if dup]
    )
    source_file = _single_value(frame, SOURCE_FILE)
    failures = pd.DataFrame(
        [
            {
                SOURCE_FILE: source_file,
                SOURCE_ROW: row,
                "reason": "duplicate_row",
                "rule": "duplicate_row",
                "expectation": None,
                "column": spec.record_id,
                "blocking": False,
            }
            for row in positions
        ],
        columns=ROW_FAILURE_COLUMNS,
    )
    failures[SOURCE_ROW] = failures[SOURCE_ROW].astype("int64")
    return frame.loc[~repeated], failures


def failing_rows(
    spec: FeedSpec,
    frame: pd.DataFrame,
    previous_counts: Sequence[int] = (),
    *,
    levels: Iterable[str] = ("row",),
    now: datetime | None = None,
) -> pd.DataFrame:
    """The ``_source_row`` numbers of rows that fail row-level expectations, with reason codes (see
    :meth:`ValidationSummary.row_failures`). Prefer calling that on the summary you already have."""
    return validate_delivery(spec, frame, previous_counts, now=now).row_failures(levels)


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    kwargs = config.kwargs or {}
    meta = config.meta or {}
    payload = result.result or {}
    raised, exc_type = _exception_summary(result.exception_info)
    observed = payload.get("observed_value")
    return ExpectationOutcome(
        expectation=config.type,
        rule=str(meta.get("rule", config.type)),
        column=kwargs.get("column"),
        blocking=bool(meta.get("blocking", False)),
        level=str(meta.get("level", "batch")),
        success=bool(result.success),
        element_count=_int_or_none(payload.get("element_count")),
        unexpected_count=_int_or_none(payload.get("unexpected_count")),
        unexpected_percent=_float_or_none(payload.get("unexpected_percent")),
        missing_count=_int_or_none(payload.get("missing_count")),
        observed_count=_int_or_none(observed) if config.type.startswith("expect_table_row_count") else None,
        raised_exception=raised,
        exception_type=exc_type,
        failing_rows=_failing_positions(payload.get("unexpected_index_list")),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None or isinstance(value, bool) else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _failing_positions(index_list: Any) -> tuple[int, ...]:
    """``_source_row`` numbers from GX's unexpected_index_list, whichever of its two shapes it takes."""
    rows: list[int] = []
    for item in index_list or ():
        if isinstance(item, dict):
            value = item.get(SOURCE_ROW)
            if isinstance(value, list):
                rows.extend(int(v) for v in value)
            elif value is not None:
                rows.append(int(value))
    return tuple(sorted(set(rows)))


_EXCEPTION_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)(?::|$)")


def _exception_summary(info: Any) -> tuple[bool, str | None]:
    """Whether an expectation raised, and the exception's class name (never its message)."""
    if not info:
        return False, None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if entry.get("raised_exception"):
            lines = [ln for ln in str(entry.get("exception_traceback") or "").splitlines() if ln.strip()]
            match = _EXCEPTION_NAME.match(lines[-1]) if lines else None
            return True, match.group(1).rsplit(".", 1)[-1] if match else "Exception"
    return False, None


def sanitise_result(result: Any, allowed_columns: Iterable[str] = ()) -> Any:
    """A copy of a GX suite validation result with nothing in it that could be a value from the batch.

    Kept: each expectation's configuration (from the spec: column names, code lists, bounds), success, counts and
    percents, a table row count and a column type name. Removed: unexpected values, indexes and rows, exception
    messages and tracebacks, the batch fingerprint. Observed column names that are not the spec's (an unknown
    header could be anything) are replaced by placeholders.
    """
    clean = copy.deepcopy(result)
    allowed = set(allowed_columns)
    for item in clean.results:
        item.result = _clean_payload(item.expectation_config.type, item.result or {}, allowed)
        raised, exc_type = _exception_summary(item.exception_info)
        item.exception_info = {
            "raised_exception": raised,
            "exception_message": f"{exc_type}: {_WITHHELD}" if raised else None,
            "exception_traceback": None,
        }
        item.meta = {}
    meta = dict(clean.meta or {})
    kept = {k: meta[k] for k in ("great_expectations_version", "run_id", "validation_time") if k in meta}
    batch_definition = meta.get("active_batch_definition")
    if batch_definition is not None:
        names = {k: str(batch_definition[k]) for k in ("datasource_name", "data_asset_name") if k in batch_definition}
        kept["active_batch_definition"] = names
        # GX's batch_spec holds the data frame (or its stand-in); the docs only need the asset's name from it.
        kept["batch_spec"] = {"data_asset_name": names.get("data_asset_name")}
    clean.meta = kept
    return clean


def _clean_payload(expectation_type: str, payload: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: payload[k] for k in _COUNT_KEYS if k in payload}
    observed = payload.get("observed_value")
    if observed is None:
        return out
    if expectation_type.startswith("expect_table_row_count") and isinstance(observed, int | float):
        out["observed_value"] = observed
    elif expectation_type == "expect_column_values_to_be_of_type" and isinstance(observed, str):
        out["observed_value"] = observed if re.fullmatch(r"[A-Za-z0-9_]+", observed) else "unrecognised type"
    elif expectation_type.startswith("expect_table_columns") and isinstance(observed, list):
        out["observed_value"], unknown = [], 0
        for name in observed:
            if str(name) in allowed:
                out["observed_value"].append(str(name))
            else:
                unknown += 1
                out["observed_value"].append(f"<unexpected column {unknown}>")
    return out
