"""The app's only way to the warehouse: read-only, the ``dashboards`` schema only, ``dash_*`` tables only.

- The connection attaches the file read-only, then turns external access off and locks its configuration, so
  nothing else on disk can be read or written through it.
- A table name that is not ``dash_<lowercase letters, digits, underscores>`` (optionally ``dashboards.``-qualified)
  is refused with ``TableRefused`` before any SQL is built: the person-level ``marts``, ``staging`` and
  ``evaluation`` schemas are out of reach whatever a page asks for.
- Publishing swaps a new warehouse file in (a new inode). Connections and cached tables are keyed on the file's
  path, inode, modification time and size, so the next rerun after a swap reads the new file; an open connection
  keeps reading the old file's inode until it is dropped, so a reader never sees a half-written table.
- A table that is not there (an older build, a mart not yet added) gives an ``st.error`` naming it, never a
  traceback, and the section that needed it is skipped.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines import settings

SCHEMA = "dashboards"
CATALOG = "published"
_TABLE = re.compile(r"(?:dashboards\.)?(dash_[a-z0-9_]+)")

log = logging.getLogger(__name__)


def _with_reasons(dimensions: str, measures: str) -> tuple[str, ...]:
    """Dimension columns, then each count or statistic with its ``_suppression`` column."""
    names = measures.split()
    return (*dimensions.split(), *names, *(f"{n}_suppression" for n in names))


# The columns the app reads from each table (docs: /work/briefs/dash_contract.md and the marts' yml files). A table
# without one of them is reported like a missing table, so a changed mart never shows a reader a traceback.
COLUMNS: dict[str, tuple[str, ...]] = {
    "dash_contacts_by_month_agency": _with_reasons(
        "contact_month agency", "contacts people crisis_contacts mental_health_contacts"
    ),
    "dash_contacts_by_locality": _with_reasons(
        "contact_month locality_code agency", "contacts people crisis_contacts mental_health_contacts"
    ),
    "dash_cohort_sizes": _with_reasons(
        "definition_id definition_version month_start", "members members_in_incomplete_window"
    ),
    "dash_demand_concentration": _with_reasons(
        "agency_scope period_kind period",
        " ".join(f"people_top_{k}_percent share_of_contacts_top_{k}_percent" for k in (1, 5, 10, 20))
        + " gini_coefficient",
    ),
    "dash_clinical_change": _with_reasons(
        "measure_code intervention_code",
        "people people_with_change people_improved people_no_reliable_change people_deteriorated "
        "people_change_not_classified people_clinically_significant people_clinically_significant_deterioration "
        "mean_change",
    ),
    "dash_safety_events": _with_reasons("event_month event_type", "events people"),
    "dash_equality": _with_reasons(
        "dimension dimension_value", "people_in_contact people_with_crisis_contacts crisis_contacts"
    ),
    "dash_equality_crossed": _with_reasons(
        "dimension dimension_value sex", "people_in_contact people_with_crisis_contacts crisis_contacts"
    ),
    "dash_intervention_access": _with_reasons("intervention_code dimension dimension_value", "people"),
    "dash_intervention_episodes": ("intervention_code",),
    "dash_feedback_themes": _with_reasons("theme submitted_quarter", "responses rated_responses mean_rating"),
    "dash_feedback_quotes": _with_reasons("theme theme_description quote_id quote", "responses"),
    "dash_evaluation_estimates": _with_reasons(
        "intervention_code outcome window_months method measure is_small_n note",
        "estimate ci_low ci_high treated_change comparison_change p_value n_treated n_comparison",
    ),
    "dash_load_reconciliation": _with_reasons(
        "feed delivery_period is_reconciled", "rows_received rows_loaded rows_quarantined rows_excluded"
    ),
    "dash_linkage_quality": _with_reasons(
        "measured_by scope feed_left feed_right ethnicity_group",
        "records pairwise_precision pairwise_recall pairwise_f1 missed_link_rate false_link_rate",
    ),
    "dash_safety_by_equality": _with_reasons(
        "event_type dimension dimension_value", "people people_in_contact percent_of_people"
    ),
    "dash_clinical_change_by_equality": _with_reasons(
        "measure_code dimension dimension_value",
        "people_with_change people_improved people_no_reliable_change people_deteriorated "
        "people_clinically_significant",
    ),
    "dash_drift_flags": _with_reasons(
        "feed delivery_period metric metric_description reference_periods is_drifted severity",
        "statistic threshold rows_in_delivery",
    ),
}


class TableRefused(ValueError):
    """A page asked for something that is not a ``dashboards.dash_*`` table."""


@dataclass(frozen=True)
class WarehouseFile:
    """Identity of the published file as it is now: a swapped-in build has another inode (or mtime, size)."""

    path: str
    inode: int
    mtime_ns: int
    size: int


def check_table_name(name: object) -> str:
    """The bare ``dash_*`` name, or ``TableRefused``."""
    if not isinstance(name, str):
        raise TableRefused("the dashboards read only dashboards.dash_* tables")
    match = _TABLE.fullmatch(name)
    if match is None:
        raise TableRefused(f"the dashboards read only dashboards.dash_* tables, not {name!r}")
    return match.group(1)


def warehouse_file() -> WarehouseFile | None:
    """The published warehouse (``HFC_WAREHOUSE_PATH``, else ``warehouse/outcomes.duckdb``), or None if absent."""
    path = settings.warehouse_path()
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return WarehouseFile(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(file: WarehouseFile) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database with the warehouse attached read-only, then sealed.

    Not ``duckdb.connect(path)``: DuckDB keeps one instance per path in a process, so a second connect to the same
    path after a swap would reuse the instance that still has the old file open and show the old build.
    """
    connection = duckdb.connect(":memory:")
    escaped = file.path.replace("'", "''")
    connection.execute(f"attach '{escaped}' as {CATALOG} (read_only)")
    connection.execute("set enable_external_access = false")
    connection.execute("set lock_configuration = true")
    return connection


@st.cache_data(max_entries=128, show_spinner=False)
def _read(file: WarehouseFile, table: str) -> pd.DataFrame | None:
    cursor = _connection(file).cursor()
    try:
        found = cursor.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = ? and table_schema = ? and table_name = ?",
            [CATALOG, SCHEMA, table],
        ).fetchone()
        if not found or not found[0]:
            return None
        # the name matched ^dash_[a-z0-9_]+$ and is a table of the schema: safe to quote into the statement
        return cursor.execute(f'select * from {CATALOG}."{SCHEMA}"."{table}"').df()
    finally:
        cursor.close()


def available(table: str) -> bool:
    """Whether the published warehouse has ``dashboards.<table>`` (quietly: for filter options)."""
    return load(table, quiet=True) is not None


def load(table: str, *, quiet: bool = False) -> pd.DataFrame | None:
    """A copy of ``dashboards.<table>``; None (after an ``st.error`` naming it, unless quiet) when it is missing."""
    name = check_table_name(table)
    file = warehouse_file()
    if file is None:
        if not quiet:
            st.error(
                f"The published warehouse was not found at {settings.warehouse_path()}, so table "
                f"{SCHEMA}.{name} cannot be shown. Build it with `make run`, or set HFC_WAREHOUSE_PATH."
            )
        return None
    try:
        frame = _read(file, name)
    except duckdb.Error as error:
        # the class only: a DuckDB message may quote a path or a statement, never needed by a reader
        log.warning("reading %s.%s failed: %s", SCHEMA, name, type(error).__name__)
        if not quiet:
            st.error(f"Table {SCHEMA}.{name} could not be read from the published warehouse ({type(error).__name__}).")
        return None
    if frame is None:
        if not quiet:
            st.error(
                f"Table {SCHEMA}.{name} is not in the published warehouse, so this section cannot be shown. "
                "It appears after the next build that includes it."
            )
        return None
    missing = [c for c in COLUMNS.get(name, ()) if c not in frame.columns]
    if missing:
        if not quiet:
            st.error(
                f"Table {SCHEMA}.{name} in the published warehouse lacks the columns {', '.join(missing)}, so this "
                "section cannot be shown."
            )
        return None
    return frame.copy()


def warehouse_label() -> str:
    """The file the app reads, for the page footer."""
    return str(Path(settings.warehouse_path()))
