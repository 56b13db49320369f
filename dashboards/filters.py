"""Sidebar filters, mirrored in the URL query string so a link sets them.

Keys: ``from`` and ``to`` (``YYYY-MM``), ``programme`` (an intervention code or ``all``), ``area`` (a locality code
or ``all``), ``cohort`` (a cohort definition_id). A value the data does not offer, or none, falls back to the
default (the whole period, ``all``, the NHS England high intensity use definition). A filter selects published rows;
it never adds rows up: a period shows each month in it, not a total over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.components import labelled

ALL = "all"
DEFAULT_COHORT = "NHSE_HIU_YEAR"
KEYS = ("from", "to", "programme", "area", "cohort")
_STATE = "_hfc_filters"
_SYNCED = "_hfc_synced_query"


def widget_key(key: str) -> str:
    return f"hfc_filter_{key}"


@dataclass(frozen=True)
class Filters:
    from_month: str  # YYYY-MM, or "" when no table has months
    to_month: str
    programme: str
    area: str
    cohort: str

    def month_ok(self, month: str) -> bool:
        return not self.from_month or self.from_month <= month[:7] <= self.to_month

    def quarter_ok(self, quarter: str) -> bool:
        """A ``YYYY-Qn`` quarter overlapping the period."""
        try:
            year, q = int(quarter[:4]), int(quarter[-1])
        except (ValueError, IndexError):  # an empty or malformed quarter: keep the row rather than fail the page
            return True
        first, last = f"{year}-{3 * q - 2:02d}", f"{year}-{3 * q:02d}"
        return not self.from_month or (first <= self.to_month and last >= self.from_month)

    def year_ok(self, year: str) -> bool:
        return not self.from_month or (f"{year}-01" <= self.to_month and f"{year}-12" >= self.from_month)

    def period_words(self) -> str:
        return f"{self.from_month} to {self.to_month}" if self.from_month else "the whole period"


def month_strings(values: pd.Series) -> list[str]:
    return sorted({pd.Timestamp(v).strftime("%Y-%m") for v in values.dropna()})


@dataclass(frozen=True)
class Options:
    months: list[str]
    programmes: list[str]
    areas: list[str]
    cohorts: list[str]

    @property
    def default_cohort(self) -> str:
        if DEFAULT_COHORT in self.cohorts:
            return DEFAULT_COHORT
        return self.cohorts[0] if self.cohorts else ""


def options() -> Options:
    """What the filters can offer, from the published tables (quietly: a page reports a missing table itself)."""
    months: set[str] = set()
    for table, column in (
        ("dash_contacts_by_month_agency", "contact_month"),
        ("dash_cohort_sizes", "month_start"),
        ("dash_safety_events", "event_month"),
    ):
        frame = data.load(table, quiet=True)
        if frame is not None and column in frame.columns:
            months.update(month_strings(frame[column]))
    programmes: set[str] = set()
    for table in ("dash_intervention_access", "dash_intervention_episodes", "dash_evaluation_estimates"):
        frame = data.load(table, quiet=True)
        if frame is not None and "intervention_code" in frame.columns:
            programmes.update(str(v) for v in frame["intervention_code"].dropna())
    areas: set[str] = set()
    frame = data.load("dash_contacts_by_locality", quiet=True)
    if frame is not None and "locality_code" in frame.columns:
        areas.update(str(v) for v in frame["locality_code"].dropna())
    cohorts: list[str] = []
    frame = data.load("dash_cohort_sizes", quiet=True)
    if frame is not None and "definition_id" in frame.columns:
        cohorts = sorted({str(v) for v in frame["definition_id"].dropna()})
    return Options(
        months=sorted(months),
        programmes=[ALL, *sorted(programmes)],
        areas=[ALL, *sorted(areas)],
        cohorts=cohorts,
    )


def _choices(opts: Options) -> dict[str, tuple[Sequence[str], str]]:
    months = opts.months
    return {
        "from": (months, months[0] if months else ""),
        "to": (months, months[-1] if months else ""),
        "programme": (opts.programmes, ALL),
        "area": (opts.areas, ALL),
        "cohort": (opts.cohorts, opts.default_cohort),
    }


def _label(key: str, value: str) -> str:
    if value == ALL:
        return {"programme": "All programmes", "area": "All areas"}.get(key, "All")
    if key == "programme":
        return labelled(value)
    return value


LABELS = {
    "from": "From month",
    "to": "To month",
    "programme": "Programme",
    "area": "Area (locality)",
    "cohort": "Cohort definition",
}


def sidebar() -> Filters:
    """Draw the filters in the sidebar, reconcile them with the URL, and remember them for the page."""
    opts = options()
    choices = _choices(opts)
    synced: dict[str, str] = st.session_state.setdefault(_SYNCED, {})
    for key, (values, default) in choices.items():
        wkey = widget_key(key)
        from_url = st.query_params.get(key)
        if from_url is not None and from_url != synced.get(key):
            # the address changed (a link, or typed): it wins, if the data offers the value
            st.session_state[wkey] = from_url if from_url in values else default
        elif st.session_state.get(wkey) not in values:
            st.session_state[wkey] = default
    st.sidebar.markdown("**Filters** (they select published rows; nothing is added up)")
    chosen: dict[str, str] = {}
    for key, (values, _default) in choices.items():
        if not values:
            chosen[key] = ""
            continue
        chosen[key] = st.sidebar.selectbox(
            LABELS[key],
            list(values),
            key=widget_key(key),
            format_func=lambda v, k=key: _label(k, v),
        )
    from_month, to_month = chosen["from"], chosen["to"]
    if from_month and to_month and from_month > to_month:
        st.sidebar.warning("The first month is after the last: showing the period between them.")
        from_month, to_month = to_month, from_month
    query = {key: value for key, value in chosen.items() if value}
    for key in KEYS:
        if key in query:
            if st.query_params.get(key) != query[key]:
                st.query_params[key] = query[key]
        elif key in st.query_params:
            del st.query_params[key]
    st.session_state[_SYNCED] = dict(query)
    filters = Filters(from_month, to_month, chosen["programme"] or ALL, chosen["area"] or ALL, chosen["cohort"])
    st.session_state[_STATE] = asdict(filters)
    return filters


def current() -> Filters:
    """The filters drawn for this run (pages run after ``sidebar``); the defaults if a page runs on its own."""
    saved = st.session_state.get(_STATE)
    if isinstance(saved, dict):
        return Filters(**saved)
    opts = options()
    months = opts.months
    return Filters(months[0] if months else "", months[-1] if months else "", ALL, ALL, opts.default_cohort)
