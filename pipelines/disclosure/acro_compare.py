"""A second, independent disclosure checker: the SACRO project's ACRO recomputes a sample of the published tables.

ACRO (Automatic Checking of Research Outputs, made for UK trusted research environments' output checking) is given
the person-level rows behind a sample of ``dash_*`` counts, read from the published warehouse's ``marts`` (one row
per contact, event or person counted), and builds each table itself with ``ACRO.crosstab``, configured to our
threshold: its minimum-threshold rule calls a cell unsafe when its count is below ``safe_threshold``, so it is set to
threshold + 1 and 1..threshold is unsafe. Its verdict on every cell is then set beside ours (published, suppressed
by the primary rule, suppressed as a complement) and each cell is classed:

- ``agree_published``: ACRO finds the cell safe and we publish it, as the rounding of the count ACRO recomputed;
- ``agree_suppressed``: ACRO finds it unsafe and we withhold it (for whatever reason);
- ``acro_unsafe_we_publish``: ACRO finds it unsafe and we publish a number (serious: a count of 1..threshold shown);
- ``we_suppress_acro_safe``: we withhold a cell ACRO finds safe; expected for complementary suppression (ACRO looks
  at cells one at a time and leaves differencing to a manual review), a rule difference if it was our primary rule;
- ``acro_only_zero``: a true zero, published as 0 or absent from our table (which lists only observed groups);
  ACRO's ``PresenceOfZeroCheck`` treats zeros as disclosive by default (class disclosure: "nobody in this group"),
  our rule shows them by design (docs/disclosure.md);
- ``value_mismatch``: ACRO finds the cell safe and we publish it, but not as the rounding of ACRO's count: the table
  and its recomputation disagree (a changed model or mart, or a check that counts differently);
- ``not_in_dashboard``: ACRO counts a cell above zero that our table does not have at all;
- ``acro_other_rule``: ACRO flags a cell by a rule other than the threshold and zeros: missing or negative values,
  or, for a mean, its dominance rules (p% and n-k), which are for magnitudes: ACRO does not run them on frequency
  tables, and over more than ``threshold`` ratings of 1 to 5 they cannot fail.

A mean (``dash_feedback_themes.mean_rating``) is checked the same way: ACRO's threshold counts the records behind
it, as our rule counts the rated responses behind it, and a published mean must equal ACRO's to two places.

What leaves this module (``AcroComparison.to_json`` / ``to_markdown``) names cells by table, column and dimension
values, with our published (rounded) value where that value is itself safe to print; ACRO's recomputed counts are
used to class the cells and are never put in the result. ACRO runs in this process with its loggers silenced (it
logs its tables and their checks) and writes nothing: ``finalise`` (its only writer of outputs) is never called, and
matplotlib, which it imports, keeps its cache in a temporary directory.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from pipelines.disclosure.audit import published_count

AGREE_PUBLISHED = "agree_published"
AGREE_SUPPRESSED = "agree_suppressed"
ACRO_UNSAFE_WE_PUBLISH = "acro_unsafe_we_publish"
WE_SUPPRESS_ACRO_SAFE = "we_suppress_acro_safe"
ACRO_ONLY_ZERO = "acro_only_zero"
VALUE_MISMATCH = "value_mismatch"
NOT_IN_DASHBOARD = "not_in_dashboard"
ACRO_OTHER_RULE = "acro_other_rule"
CLASSES = (
    AGREE_PUBLISHED,
    AGREE_SUPPRESSED,
    ACRO_ONLY_ZERO,
    WE_SUPPRESS_ACRO_SAFE,
    ACRO_UNSAFE_WE_PUBLISH,
    VALUE_MISMATCH,
    NOT_IN_DASHBOARD,
    ACRO_OTHER_RULE,
)
AGREEING = frozenset({AGREE_PUBLISHED, AGREE_SUPPRESSED, ACRO_ONLY_ZERO})

PRIMARY = "suppressed_1_to_threshold"
COMPLEMENTARY = "suppressed_complementary"

# ACRO's check names (its statbarn ontology) in the per-cell outcome, and what we call them.
ACRO_RULES = {
    "MinimumThresholdCheck": "threshold",
    "PresenceOfZeroCheck": "zeros",
    "NKCheck": "nk_dominance",
    "PPercentCheck": "p_ratio",
    "negative": "negative",
    "missing": "missing",
}
NULL_KEY = "(null)"
STATISTIC_TOLERANCE = 0.005 + 1e-9  # dash statistics are published to two decimal places
ALL_COLUMN = "count"


@dataclass(frozen=True)
class CountSpec:
    """One published count column and the person-level rows ACRO counts to recompute it.

    ``units_sql`` returns one row per counted unit (a contact, an event, a person: pre-deduplicated for distinct
    counts) with one varchar column per dimension, keyed as the dash table's dimensions are (see ``key_sql``).
    ``split`` names a dimension whose values are separate published tables (``dash_equality``'s ``dimension``):
    ACRO tabulates each on its own, as it would be released. A statistic (``statistic="mean"``) is ACRO's mean of
    the ``value`` column of ``units_sql``, checked by ACRO's rules for a mean (the threshold on the records behind
    it, and dominance) and compared with ours (shown only where the count behind it survives).
    """

    table: str
    column: str
    dimensions: tuple[str, ...]
    units_sql: str
    unit: str
    split: str | None = None
    value: str | None = None
    statistic: str | None = None


def key_sql(column: str) -> str:
    """A dimension as a matching key: text, dates as ISO dates, null as a marker both sides share."""
    return f"coalesce(cast({column} as varchar), '{NULL_KEY}')"


def _month_agency(where: str = "", distinct_people: bool = False) -> str:
    person = ", person_key" if distinct_people else ""
    select = "select distinct" if distinct_people else "select"
    return (
        f"{select} {key_sql('contact_month')} as contact_month, {key_sql('agency')} as agency{person} "
        f"from marts.fct_contacts {where}"
    )


def _month_event_type(distinct_people: bool = False) -> str:
    person = ", person_key" if distinct_people else ""
    select = "select distinct" if distinct_people else "select"
    return (
        f"{select} {key_sql('event_month')} as event_month, {key_sql('event_type')} as event_type{person} "
        "from marts.fct_safety_events"
    )


# dash_equality's dimensions and the dim_person column behind each (dbt_project/models/dashboards/dash_equality.sql).
EQUALITY_DIMENSIONS = (
    ("ethnicity_group", "ethnicity_group"),
    ("sex", "sex"),
    ("age_band", "age_band_latest"),
    ("imd_quintile", "imd_quintile"),
    ("has_disability", "has_disability"),
)


def _equality(where: str = "", per_event: bool = False) -> str:
    events = ", range(coalesce(p.crisis_contacts, 0)) as event(i)" if per_event else ""
    return " union all ".join(
        f"select '{dimension}' as dimension, coalesce(cast(p.{column} as varchar), 'unknown') as dimension_value "
        f"from marts.dim_person as p{events} {where}"
        for dimension, column in EQUALITY_DIMENSIONS
    )


def _theme_quarter(where: str = "", with_rating: bool = False) -> str:
    quarter = key_sql("strftime(submitted_at, '%Y') || '-Q' || quarter(submitted_at)")
    rating = ", rating" if with_rating else ""
    return (
        f"select distinct {key_sql('theme')} as theme, {quarter} as submitted_quarter, feedback_key{rating} "
        f"from marts.fct_feedback_themes {where}"
    )


DEFAULT_SPECS: tuple[CountSpec, ...] = (
    CountSpec("dash_contacts_by_month_agency", "contacts", ("contact_month", "agency"), _month_agency(), "contacts"),
    CountSpec(
        "dash_contacts_by_month_agency",
        "people",
        ("contact_month", "agency"),
        _month_agency(distinct_people=True),
        "people (distinct per month and agency)",
    ),
    CountSpec(
        "dash_contacts_by_month_agency",
        "crisis_contacts",
        ("contact_month", "agency"),
        _month_agency("where is_crisis"),
        "crisis contacts",
    ),
    CountSpec(
        "dash_contacts_by_month_agency",
        "mental_health_contacts",
        ("contact_month", "agency"),
        _month_agency("where is_mental_health_related"),
        "mental-health-related contacts",
    ),
    CountSpec("dash_safety_events", "events", ("event_month", "event_type"), _month_event_type(), "safety events"),
    CountSpec(
        "dash_safety_events",
        "people",
        ("event_month", "event_type"),
        _month_event_type(distinct_people=True),
        "people (distinct per month and event type)",
    ),
    CountSpec(
        "dash_equality",
        "people_in_contact",
        ("dimension", "dimension_value"),
        _equality("where p.contacts > 0"),
        "people in contact",
        split="dimension",
    ),
    CountSpec(
        "dash_equality",
        "people_with_crisis_contacts",
        ("dimension", "dimension_value"),
        _equality("where p.crisis_contacts > 0"),
        "people with crisis contacts",
        split="dimension",
    ),
    CountSpec(
        "dash_equality",
        "crisis_contacts",
        ("dimension", "dimension_value"),
        _equality(per_event=True),
        "crisis contacts (one row per contact, from each person's total)",
        split="dimension",
    ),
    CountSpec(
        "dash_feedback_themes",
        "responses",
        ("theme", "submitted_quarter"),
        _theme_quarter(),
        "feedback responses (distinct per theme and quarter)",
    ),
    CountSpec(
        "dash_feedback_themes",
        "rated_responses",
        ("theme", "submitted_quarter"),
        _theme_quarter("where rating is not null"),
        "rated feedback responses (distinct per theme and quarter)",
    ),
    CountSpec(
        "dash_feedback_themes",
        "mean_rating",
        ("theme", "submitted_quarter"),
        _theme_quarter("where rating is not null", with_rating=True),
        "mean rating of the rated responses",
        value="rating",
        statistic="mean",
    ),
)


@dataclass(frozen=True)
class Cell:
    """One cell on which ACRO and we disagree: named, never with ACRO's count."""

    table: str
    column: str
    dimensions: dict[str, str]
    classification: str
    ours: str
    acro: tuple[str, ...]
    published: int | None
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "dimensions": dict(self.dimensions),
            "class": self.classification,
            "ours": self.ours,
            "acro": list(self.acro),
            "published": self.published,
            "note": self.note,
        }


@dataclass
class TableComparison:
    """ACRO's verdicts beside ours for one published count column."""

    table: str
    column: str
    unit: str
    classes: Counter[str] = field(default_factory=Counter)
    disagreements: list[Cell] = field(default_factory=list)
    skipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "unit": self.unit,
            "skipped": self.skipped,
            "classes": {name: self.classes.get(name, 0) for name in CLASSES},
            "disagreements": [cell.to_json() for cell in self.disagreements],
        }


@dataclass
class AcroComparison:
    """The second checker's verdicts on the sample of tables; counts in ``classes`` are numbers of table cells."""

    threshold: int
    rounding_base: int
    acro_version: str
    acro_safe_threshold: int
    zeros_are_disclosive: bool
    tables: list[TableComparison]

    @property
    def serious(self) -> int:
        """Cells ACRO finds unsafe that we publish."""
        return sum(t.classes.get(ACRO_UNSAFE_WE_PUBLISH, 0) for t in self.tables)

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for table in self.tables:
            total.update(table.classes)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "checker": "acro",
            "acro_version": self.acro_version,
            "threshold": self.threshold,
            "rounding_base": self.rounding_base,
            "acro_safe_threshold": self.acro_safe_threshold,
            "zeros_are_disclosive": self.zeros_are_disclosive,
            "acro_unsafe_we_publish": self.serious,
            "totals": {name: self.totals().get(name, 0) for name in CLASSES},
            "tables": [table.to_json() for table in self.tables],
        }

    def to_markdown(self) -> str:
        lines = [
            "## A second checker: ACRO",
            "",
            f"ACRO {self.acro_version} recomputed {len(self.tables)} published columns from the person-level "
            f"marts, with its threshold set to ours (a cell is unsafe below {self.acro_safe_threshold}, so counts "
            f"up to {self.threshold} are unsafe) and zeros {'' if self.zeros_are_disclosive else 'not '}treated as "
            "disclosive. The numbers below are numbers of table cells, not of people; ACRO's own counts are not "
            "shown.",
            "",
            f"**Cells ACRO finds unsafe that we publish: {self.serious}.**",
            "",
            "| table | column | " + " | ".join(CLASSES) + " |",
            "| --- | --- | " + " | ".join("---:" for _ in CLASSES) + " |",
        ]
        for table in self.tables:
            if table.skipped:
                lines.append(f"| {table.table} | {table.column} | skipped: {table.skipped} |")
                continue
            counts = " | ".join(str(table.classes.get(name, 0)) for name in CLASSES)
            lines.append(f"| {table.table} | {table.column} | {counts} |")
        disagreements = [cell for table in self.tables for cell in table.disagreements]
        lines += ["", "### Disagreements", ""]
        if not disagreements:
            lines.append("None: on every cell of the sample ACRO's verdict and ours agree.")
        for cell in disagreements:
            where = ", ".join(f"{name}={value}" for name, value in cell.dimensions.items())
            shown = f" (published {cell.published})" if cell.published is not None else ""
            acro = ", ".join(cell.acro) if cell.acro else "safe"
            lines.append(
                f"- `{cell.classification}` {cell.table}.{cell.column} at {where}: ours {cell.ours}{shown}; "
                f"ACRO {acro}. {cell.note}"
            )
        lines += [
            "",
            "ACRO's rule differs from ours in two ways that are expected: it treats zeros as disclosive (we show a "
            "true zero), and it checks each cell on its own, asking for a manual review of differencing between "
            "linked tables (our complementary suppression and its audit do that), so a complementary suppression is "
            "a cell ACRO would have released.",
        ]
        return "\n".join(lines) + "\n"


# --- ACRO, quietly --------------------------------------------------------------------------------------------------

_ACRO_MODULE: Any = None
# ACRO's loggers: "acro" (and its children) plus two siblings named with a colon, which "acro" does not cover.
ACRO_LOGGERS = ("acro", "acro:records", "acro:summary")


def _import_acro() -> Any:
    """Import ACRO without its side effects: it calls ``logging.basicConfig(level=INFO)`` (a root handler that would
    print its tables), sets a global warnings filter, and imports matplotlib (whose font cache would go to ~)."""
    global _ACRO_MODULE
    if _ACRO_MODULE is not None:
        return _ACRO_MODULE
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)  # basicConfig does nothing when the root logger has a handler
    mpl_dir: str | None = None
    if "matplotlib" not in sys.modules and "MPLCONFIGDIR" not in os.environ:
        mpl_dir = tempfile.mkdtemp(prefix="hfc-acro-mpl-")
        atexit.register(shutil.rmtree, mpl_dir, True)
        os.environ["MPLCONFIGDIR"] = mpl_dir
    try:
        with warnings.catch_warnings():
            import acro  # heavy, and only the release audit needs it: imported on first use
            import acro.acro
    finally:
        root.removeHandler(guard)
        if mpl_dir is not None:
            os.environ.pop("MPLCONFIGDIR", None)
    for name in ACRO_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
    _ACRO_MODULE = acro
    return acro


def _acro_session(threshold: int, rounding_base: int) -> Any:
    acro = _import_acro()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = acro.ACRO(suppress=False)
    # ACRO reads its risk appetite from a yaml file beside its own code, by name; the dict it loads is shared by
    # reference with its checks (SDCChecks.risk_appetite, and every table's TableModelDetails), so set it there.
    session.config["safe_threshold"] = threshold + 1
    session.config["safe_round_base"] = rounding_base
    if session.sdc_checks.risk_appetite is not session.config:
        session.sdc_checks.risk_appetite.update(session.config)
    return session


def _acro_cells(
    session: Any, units: pd.DataFrame, axes: list[str], categories: dict[str, list[str]], spec: CountSpec
) -> pd.DataFrame:
    """ACRO's crosstab of ``units`` over ``axes``: one row per cell with its key, raw count (the records behind a
    statistic), the statistic (ACRO's, for a statistic spec) and the rules it failed.

    With no rows at all ACRO cannot tabulate (pandas builds a degenerate table): every cell is then a true zero,
    given the verdict ACRO gives any zero (below the threshold, and a zero)."""
    if units.empty:
        grid = pd.MultiIndex.from_product([categories[a] for a in axes], names=axes).to_frame(index=False)
        return grid.assign(n=0, statistic=float("nan"), verdict="PresenceOfZeroCheck; MinimumThresholdCheck;")
    series = [pd.Series(pd.Categorical(units[a], categories=categories[a]), name=a) for a in axes]
    if len(series) == 1:
        index, columns = series, [pd.Series([ALL_COLUMN] * len(units), name="_all")]
    else:
        index, columns = series[:-1], series[-1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.statistic is None:
            table = session.crosstab(index, columns)
        else:
            values = pd.Series(units[spec.value].to_numpy(), name=spec.value)
            table = session.crosstab(index, columns, values=values, aggfunc=spec.statistic)
        outcome = list(session.results.results.values())[-1].outcome
        counts = pd.crosstab(index, columns, dropna=False) if spec.statistic is not None else table
    frame = pd.DataFrame(
        {
            "n": counts.stack(future_stack=True),
            "statistic": table.stack(future_stack=True).astype(float),
            "verdict": outcome.stack(future_stack=True),
        }
    ).reset_index()
    if len(series) == 1:
        frame = frame.drop(columns=["_all"])
    session.results.results.clear()  # keep no recomputed table in memory longer than needed
    return frame


def _rules(verdict: str) -> tuple[str, ...]:
    names = [part.strip() for part in str(verdict).split(";")]
    return tuple(sorted({ACRO_RULES.get(name, name) for name in names if name and name != "ok"}))


def _printable(value: int | None, threshold: int) -> int | None:
    """A published value safe to repeat in a report: 0 or above the threshold; anything else is not printed."""
    if value is None or (1 <= value <= threshold):
        return None
    return value


def _classify(
    n: int, rules: tuple[str, ...], ours: str, published: int | None, threshold: int, base: int
) -> tuple[str, str]:
    """The class of one cell and a note saying why (never with ``n``)."""
    withheld = ours not in {"published", "absent"}
    if n == 0:
        if ours == "absent" or published == 0:
            return ACRO_ONLY_ZERO, ""
        if withheld:
            return AGREE_SUPPRESSED, ""
        return VALUE_MISMATCH, "We publish a number where ACRO counts none."
    other = tuple(rule for rule in rules if rule not in {"threshold", "zeros"})
    if "threshold" in rules:
        if withheld:
            return AGREE_SUPPRESSED, ""
        if ours == "absent":
            return NOT_IN_DASHBOARD, "ACRO counts this cell (unsafe, so it would be withheld); our table lacks it."
        return ACRO_UNSAFE_WE_PUBLISH, "A count at or below the threshold is published: withdraw the table and fix it."
    if other:
        return ACRO_OTHER_RULE, "ACRO flags a rule that our count rule does not have: review."
    if ours == "absent":
        return NOT_IN_DASHBOARD, "ACRO counts this cell above the threshold; our table lacks it."
    if ours == COMPLEMENTARY:
        return WE_SUPPRESS_ACRO_SAFE, (
            "Complementary suppression (expected): ACRO checks cells one at a time and leaves differencing to review."
        )
    if withheld:
        return WE_SUPPRESS_ACRO_SAFE, (
            f"Rule difference: our {ours} withholds a cell ACRO counts above the threshold "
            "(the table and its recomputation count differently)."
        )
    if published != published_count(n, threshold, base):
        return VALUE_MISMATCH, "The published number is not the rounding of ACRO's count."
    return AGREE_PUBLISHED, ""


def _classify_statistic(
    n: int, rules: tuple[str, ...], ours: str, published: float | None, acro_statistic: float
) -> tuple[str, str]:
    """The class of one statistic's cell: ACRO's threshold counts the records behind it, as our rule does."""
    withheld = ours not in {"published", "absent"}
    if n == 0:
        if ours == "absent" or withheld:
            return ACRO_ONLY_ZERO, ""
        return VALUE_MISMATCH, "We publish a statistic where ACRO finds no records."
    if "threshold" in rules:
        if withheld:
            return AGREE_SUPPRESSED, ""
        if ours == "absent":
            return NOT_IN_DASHBOARD, "ACRO finds records (too few: it would be withheld); our table lacks the cell."
        return ACRO_UNSAFE_WE_PUBLISH, "A statistic over too few records is published: withdraw the table and fix it."
    if ours == "absent":
        return NOT_IN_DASHBOARD, "ACRO computes this statistic; our table lacks the cell."
    other = tuple(rule for rule in rules if rule not in {"zeros"})
    if other:
        if withheld:
            return AGREE_SUPPRESSED, ""
        return ACRO_OTHER_RULE, "ACRO flags a rule our statistic rule does not have (dominance or missing): review."
    if ours == COMPLEMENTARY:
        return WE_SUPPRESS_ACRO_SAFE, "Complementary suppression (expected): ACRO checks cells one at a time."
    if withheld:
        return WE_SUPPRESS_ACRO_SAFE, (
            f"Rule difference: our {ours} withholds a statistic ACRO finds safe (the counts behind it differ)."
        )
    if published is None or abs(published - acro_statistic) > STATISTIC_TOLERANCE:
        return VALUE_MISMATCH, "The published statistic is not ACRO's (to the two places published)."
    return AGREE_PUBLISHED, ""


def _ours(count: Any, reason: Any) -> tuple[str, Any]:
    if count is not None and not pd.isna(count):
        return "published", count
    if reason is None or pd.isna(reason):
        return "withheld_without_reason", None
    return str(reason), None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_exists(warehouse: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = warehouse.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchall()
    return bool(found[0][0])


def _compare_spec(
    warehouse: duckdb.DuckDBPyConnection, session: Any, spec: CountSpec, threshold: int, base: int
) -> TableComparison:
    result = TableComparison(spec.table, spec.column, spec.unit)
    if not _table_exists(warehouse, "dashboards", spec.table):
        result.skipped = "table not in the warehouse"
        return result
    dims = list(spec.dimensions)
    keys = ", ".join(f"{key_sql(_quoted(d))} as {d}" for d in dims)
    published = warehouse.execute(
        f'select {keys}, "{spec.column}" as value, "{spec.column}_suppression" as reason from dashboards."{spec.table}"'
    ).df()
    columns = dims + ([spec.value] if spec.value is not None else [])
    units = warehouse.execute(f"select {', '.join(columns)} from ({spec.units_sql})").df()
    parts = [(None, units, published)]
    if spec.split is not None:
        values = sorted(set(units[spec.split]) | set(published[spec.split]))
        parts = [(v, units[units[spec.split] == v], published[published[spec.split] == v]) for v in values]
    axes = [d for d in dims if d != spec.split]
    for split_value, part_units, part_published in parts:
        categories = {a: sorted(set(part_units[a]) | set(part_published[a])) for a in axes}
        cells = _acro_cells(session, part_units, axes, categories, spec)
        ours_by_key = {
            tuple(str(row[a]) for a in axes): _ours(row["value"], row["reason"]) for _, row in part_published.iterrows()
        }
        for _, cell in cells.iterrows():
            key = tuple(str(cell[a]) for a in axes)
            ours, value = ours_by_key.get(key, ("absent", None))
            rules = _rules(cell["verdict"])
            if spec.statistic is None:
                value = None if value is None else int(value)
                classification, note = _classify(int(cell["n"]), rules, ours, value, threshold, base)
            else:
                statistic = None if value is None else float(value)
                classification, note = _classify_statistic(int(cell["n"]), rules, ours, statistic, cell["statistic"])
                value = None  # a statistic is not repeated in the report
            result.classes[classification] += 1
            if classification not in AGREEING:
                dimensions = {spec.split: str(split_value)} if spec.split is not None else {}
                dimensions.update(zip(axes, key, strict=True))
                result.disagreements.append(
                    Cell(
                        spec.table,
                        spec.column,
                        dimensions,
                        classification,
                        ours,
                        rules,
                        _printable(value, threshold),
                        note,
                    )
                )
    return result


def compare_with_acro(
    warehouse: duckdb.DuckDBPyConnection,
    threshold: int,
    rounding_base: int,
    specs: tuple[CountSpec, ...] = DEFAULT_SPECS,
) -> AcroComparison:
    """Recompute a sample of the published ``dash_*`` counts with ACRO and compare its verdicts with ours, cell by
    cell. ``warehouse`` is a (read-only) connection to a published warehouse with schemas ``marts`` and
    ``dashboards``; a dash table the warehouse lacks is reported as skipped."""
    session = _acro_session(threshold, rounding_base)
    tables = [_compare_spec(warehouse, session, spec, threshold, rounding_base) for spec in specs]
    return AcroComparison(
        threshold=threshold,
        rounding_base=rounding_base,
        acro_version=importlib.metadata.version("acro"),
        acro_safe_threshold=int(session.config["safe_threshold"]),
        zeros_are_disclosive=bool(session.config.get("zeros_are_disclosive", True)),
        tables=tables,
    )
