"""A small published warehouse for the dashboard tests: every ``dashboards.dash_*`` table the app reads, with the
contract's columns and disclosure-safe values (0, or a multiple of 5 above 7), and withheld cells with each reason.

Values differ between areas, cohorts, programmes and months, so a test can see each filter change what is shown.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

THRESHOLD = 7
BASE = 5
REASONS = ("suppressed_1_to_threshold", "suppressed_complementary", "suppressed_small_group", "count_suppressed")
MONTHS = [f"2024-{m:02d}" for m in range(1, 7)]

# quotes per part of the rule (pipelines.disclosure.quotes): only the good ones may be shown
GOOD_QUOTES = (
    "They listened to me and I felt heard.",
    "I'm grateful the team came back the next day.",
)
BAD_QUOTES = {
    "placeholder": "The nurse [PERSON_1] was kind to me.",
    "capital": "The staff on Willow ward were kind.",
    "digit": "I waited 9 hours in the corridor.",
    "denied_word": "My mum came with me and they were kind.",
    "theme_suppressed": "It was fine in the end.",
}


def count(value: int | str | None) -> tuple[int | None, str | None]:
    """A published count (int) or a withheld one (a reason)."""
    if isinstance(value, str):
        return None, value
    return value, None


COUNT_COLUMNS: set[str] = set()


def counts(**values: int | str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        COUNT_COLUMNS.add(name)
        out[name], out[f"{name}_suppression"] = count(value)
    return out


def statistic(name: str, value: float | None) -> dict[str, Any]:
    return {name: value, f"{name}_suppression": None if value is not None else "count_suppressed"}


def _tables() -> dict[str, pd.DataFrame]:
    t: dict[str, list[dict[str, Any]]] = {}
    agencies = ("police", "ambulance", "council")
    t["dash_contacts_by_month_agency"] = [
        {
            "contact_month": pd.Timestamp(f"{m}-01").date(),
            "agency": a,
            **counts(
                contacts="suppressed_1_to_threshold" if (a, m) == ("council", "2024-03") else 100 + 5 * (i + 3 * j),
                people=60 + 5 * i,
                crisis_contacts="suppressed_complementary" if (a, m) == ("police", "2024-02") else 20,
                mental_health_contacts="suppressed_small_group" if (a, m) == ("ambulance", "2024-04") else 0,
            ),
        }
        for (i, m), (j, a) in itertools.product(enumerate(MONTHS), enumerate(agencies))
    ]
    t["dash_contacts_by_locality"] = [
        {
            "contact_month": pd.Timestamp(f"{m}-01").date(),
            "locality_code": loc,
            "agency": a,
            **counts(
                contacts=10 * (k + 2) + 5 * i,
                people=10 * (k + 2),
                crisis_contacts="suppressed_1_to_threshold" if loc == "LOC2" and i == 0 else 10,
                mental_health_contacts=0,
            ),
        }
        for (i, m), (k, loc), a in itertools.product(
            enumerate(MONTHS), enumerate(("LOC1", "LOC2", "unknown")), agencies
        )
    ]
    t["dash_cohort_sizes"] = [
        {
            "definition_id": d,
            "definition_version": "NHS England HIU programme page, 2024/25" if d == "NHSE_HIU_YEAR" else "local v1",
            "month_start": pd.Timestamp(f"{m}-01").date(),
            **counts(
                members="suppressed_1_to_threshold"
                if (d, i) == ("TOP1PCT_LOCAL", 2)
                else (40 if k == 0 else 85) + 5 * i,
                members_in_incomplete_window=0,
            ),
        }
        for (k, d), (i, m) in itertools.product(enumerate(("NHSE_HIU_YEAR", "TOP1PCT_LOCAL")), enumerate(MONTHS))
    ]
    concentration = []
    for scope, kind, period in (("all", "whole_period", "all"), ("all", "year", "2024"), ("police", "year", "2024")):
        row: dict[str, Any] = {"agency_scope": scope, "period_kind": kind, "period": period}
        row.update(counts(people=1000, contacts=4000))
        for k, share in ((1, 0.15), (5, 0.37), (10, 0.51), (20, 0.66)):
            withheld = kind == "year" and k == 1
            row.update(counts(**{f"people_top_{k}_percent": "suppressed_1_to_threshold" if withheld else 10 * k}))
            row.update(statistic(f"share_of_contacts_top_{k}_percent", None if withheld else share))
        row.update(statistic("gini_coefficient", 0.58))
        concentration.append(row)
    t["dash_demand_concentration"] = concentration
    t["dash_clinical_change"] = [
        {
            "measure_code": measure,
            "intervention_code": programme,
            **counts(
                people=100 + 50 * p,
                people_with_change=80 + 50 * p,
                people_improved=40 + 10 * p + 5 * q,
                people_no_reliable_change=30,
                people_deteriorated="suppressed_1_to_threshold" if (p, q) == (0, 0) else 10,
                people_change_not_classified=0,
                people_clinically_significant=15,
                people_clinically_significant_deterioration=0,
            ),
            **statistic("mean_change", 2.5 + p),
        }
        for (p, programme), (q, measure) in itertools.product(
            enumerate(("high_intensity_team", "street_triage")), enumerate(("SWEMWBS", "CORE10"))
        )
    ]
    event_types = ("s136_detention", "crisis_care_not_provided", "care_not_provided_while_crisis_plan_in_force")
    t["dash_safety_events"] = [
        {
            "event_month": pd.Timestamp(f"{m}-01").date(),
            "event_type": e,
            **counts(events="suppressed_1_to_threshold" if (i, k) == (1, 2) else 20 + 5 * i, people=15),
        }
        for (i, m), (k, e) in itertools.product(enumerate(MONTHS), enumerate(event_types))
    ]
    dims = {"ethnicity_group": ("White", "Asian or Asian British"), "sex": ("F", "M"), "imd_quintile": ("1", "5")}
    dim_rows = [(d, v) for d, values in dims.items() for v in values]
    t["dash_equality"] = [
        {
            "dimension": d,
            "dimension_value": v,
            **counts(
                people_in_contact=500 + 100 * k,
                people_with_crisis_contacts="suppressed_1_to_threshold" if k == 1 else 50,
                crisis_contacts=120,
            ),
        }
        for k, (d, v) in enumerate(dim_rows)
    ]
    t["dash_equality_crossed"] = [
        {
            "dimension": d,
            "dimension_value": v,
            "sex": s,
            **counts(people_in_contact=200, people_with_crisis_contacts=20, crisis_contacts=40),
        }
        for (d, v), s in itertools.product([r for r in dim_rows if r[0] != "sex"], ("F", "M"))
    ]
    t["dash_intervention_access"] = [
        {
            "intervention_code": programme,
            "dimension": d,
            "dimension_value": v,
            **counts(people="suppressed_1_to_threshold" if (p, d, v) == (1, "sex", "M") else 40 + 20 * p),
        }
        for (p, programme), (d, v) in itertools.product(enumerate(("high_intensity_team", "street_triage")), dim_rows)
    ]
    t["dash_intervention_episodes"] = [
        {
            "intervention_code": programme,
            "referral_route_code": "POLICE",
            "start_quarter": "2024-Q1",
            **counts(
                episodes=20,
                people=20,
                episodes_stepped_up=20,
                episodes_managed=10,
                episodes_stepped_down=10,
                episodes_open=10,
            ),
            **statistic("median_episode_days", 90.0),
        }
        for programme in ("high_intensity_team", "street_triage")
    ]
    themes = ("kindness_and_respect", "waiting", "follow_up")
    t["dash_feedback_themes"] = [
        {
            "theme": theme,
            "submitted_quarter": q,
            **counts(
                responses="suppressed_1_to_threshold" if theme == "follow_up" and q == "2024-Q2" else 30 + 10 * i,
                rated_responses="suppressed_1_to_threshold" if theme == "follow_up" and q == "2024-Q2" else 25,
            ),
            **statistic("mean_rating", None if theme == "follow_up" and q == "2024-Q2" else 3.1 + 0.2 * i),
        }
        for theme, (i, q) in itertools.product(themes, enumerate(("2024-Q1", "2024-Q2")))
    ]
    quotes = [("kindness_and_respect", q, 60) for q in GOOD_QUOTES]
    quotes += [("waiting", BAD_QUOTES[k], 50) for k in ("placeholder", "capital", "digit", "denied_word")]
    quotes += [("follow_up", BAD_QUOTES["theme_suppressed"], "suppressed_1_to_threshold")]
    t["dash_feedback_quotes"] = [
        {
            "theme": theme,
            "theme_description": f"Responses about {theme.replace('_', ' ')}",
            "quote_id": f"{theme}-{i}",
            "quote": quote,
            **counts(responses=responses),
        }
        for i, (theme, quote, responses) in enumerate(quotes, start=1)
    ]
    estimates = []
    for (p, programme), outcome, window, method in itertools.product(
        enumerate(("high_intensity_team", "street_triage")),
        ("crisis_contacts", "swemwbs_total"),
        ("3", "6"),
        ("naive_before_after", "did_matched"),
    ):
        ratio = outcome == "crisis_contacts"
        naive = method == "naive_before_after"
        estimate = (0.45 if naive else 0.86 - 0.1 * p) if ratio else (3.0 if naive else 1.2)
        row = {
            "intervention_code": programme,
            "outcome": outcome,
            "window_months": window,
            "method": method,
            "measure": "rate_ratio" if ratio else "difference_in_points",
            "is_small_n": p == 1,
            "note": "fewer than 50 people in the programme" if p == 1 else "",
        }
        for name, value in (
            ("estimate", estimate),
            ("ci_low", estimate * 0.8),
            ("ci_high", estimate * 1.2),
            ("treated_change", 0.45 if ratio else 3.0),
            ("comparison_change", (0.52 + 0.05 * p) if ratio else 1.8),
            ("p_value", 0.03),
        ):
            row.update(statistic(name, value))
        row.update(counts(n_treated=150 if p == 0 else 40, n_comparison=450 if p == 0 else 120))
        estimates.append(row)
    t["dash_evaluation_estimates"] = estimates
    t["dash_load_reconciliation"] = [
        {
            "feed": feed,
            "delivery_period": m,
            **counts(
                rows_received=1000,
                rows_loaded=990 if ok else 900,
                rows_quarantined=10 if ok else "suppressed_1_to_threshold",
                rows_excluded=0,
            ),
            "is_reconciled": ok,
        }
        for feed, m in itertools.product(("police_incidents", "ed_attendances"), MONTHS)
        for ok in [not (feed == "ed_attendances" and m == "2024-05")]
    ]
    t["dash_linkage_quality"] = [
        {
            "measured_by": "truth",
            "scope": "all_pairs",
            "feed_left": "all",
            "feed_right": "all",
            "ethnicity_group": group,
            **counts(records=5000 if group == "all" else "suppressed_small_group" if group == "Mixed" else 1200),
            **{
                name: (None if group == "Mixed" else value)
                for name, value in (
                    ("pairwise_precision", 0.99),
                    ("pairwise_recall", 0.95 if group != "Asian or Asian British" else 0.90),
                    ("pairwise_f1", 0.97),
                    ("missed_link_rate", 0.05),
                    ("false_link_rate", 0.01),
                )
            },
            **{
                f"{name}_suppression": ("count_suppressed" if group == "Mixed" else None)
                for name in (
                    "pairwise_precision",
                    "pairwise_recall",
                    "pairwise_f1",
                    "missed_link_rate",
                    "false_link_rate",
                )
            },
        }
        for group in ("all", "White", "Asian or Asian British", "Mixed")
    ]
    t["dash_safety_by_equality"] = [
        {
            "event_type": e,
            "dimension": d,
            "dimension_value": v,
            **counts(people="suppressed_1_to_threshold" if k == 0 else 25, people_in_contact=500),
            **statistic("percent_of_people", None if k == 0 else 5.0),
        }
        for e, (k, (d, v)) in itertools.product(("s136_detention",), enumerate(dim_rows))
    ]
    t["dash_clinical_change_by_equality"] = [
        {
            "measure_code": "SWEMWBS",
            "dimension": d,
            "dimension_value": v,
            **counts(
                people_with_change=60,
                people_improved=30,
                people_no_reliable_change=20,
                people_deteriorated="suppressed_1_to_threshold" if k == 0 else 10,
                people_clinically_significant=10,
            ),
        }
        for k, (d, v) in enumerate(dim_rows)
    ]
    t["dash_drift_flags"] = [
        {
            "feed": feed,
            "delivery_period": m,
            "metric": "row_count",
            "metric_description": "rows in the delivery against the reference months",
            **statistic("statistic", 0.4 if (feed, m) == ("police_incidents", "2024-06") else 0.05),
            **statistic("threshold", 0.2),
            **counts(rows_in_delivery=1000),
            "reference_periods": "2024-01..2024-03",
            "is_drifted": (feed, m) == ("police_incidents", "2024-06"),
            "severity": "warn",
        }
        for feed, m in itertools.product(("police_incidents", "ed_attendances"), MONTHS[3:])
    ]
    return {name: pd.DataFrame(rows) for name, rows in t.items()}


def build_warehouse(path: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    """Write the fixture warehouse (a ``dashboards`` schema, and a person-level table the app must never read)."""
    con = duckdb.connect(str(path))
    con.execute("create schema dashboards")
    con.execute("create schema marts")
    con.execute("create table marts.dim_person as select 'person-1' as person_key")
    for name, frame in _tables().items():
        if name in leave_out:
            continue
        for column in frame.columns:
            if column.endswith("_suppression") or column in ("note",):
                frame[column] = frame[column].astype("string")
            elif column in COUNT_COLUMNS:
                frame[column] = frame[column].astype("Int64")
        con.register("frame", frame)
        con.execute(f"create table dashboards.{name} as select * from frame")
        con.unregister("frame")
    con.close()
    return path


@pytest.fixture(scope="session")
def dash_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("dash") / "outcomes.duckdb")


@pytest.fixture()
def use_warehouse(dash_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(dash_warehouse))
    monkeypatch.delenv("HFC_DISCLOSURE_THRESHOLD", raising=False)
    monkeypatch.delenv("HFC_DISCLOSURE_ROUNDING_BASE", raising=False)
    yield dash_warehouse
