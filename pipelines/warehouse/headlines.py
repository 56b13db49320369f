"""The headline outcome tables ``hfc demo`` prints at its end: counts and rates from the marts, and where each
kind of outcome lives. Aggregates only; read from the published warehouse, read-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

Section = Callable[[duckdb.DuckDBPyConnection], list[str]]


def _contacts(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select agency, count(*), count(distinct person_key), avg(is_mental_health_related::int), "
        "avg(is_crisis::int) from marts.fct_contacts group by agency order by 2 desc"
    ).fetchall()
    out = ["  Contacts (marts.fct_contacts; people in marts.dim_person, monthly panel in marts.fct_person_months)"]
    out.append(f"    {'agency':<24}{'contacts':>10}{'people':>9}{'MH-related':>12}{'crisis':>9}")
    out += [f"    {a:<24}{n:>10,}{p:>9,}{mh:>12.1%}{cr:>9.1%}" for a, n, p, mh, cr in rows]
    share = con.execute(
        "select share_of_contacts_top_9_percent, share_of_contacts_top_1_percent, gini_coefficient "
        "from marts.demand_concentration where agency_scope = 'all' and period_kind = 'whole_period'"
    ).fetchone()
    if share:
        out.append(
            f"    concentration (marts.demand_concentration): the top 9% of people account for {share[0]:.0%} of "
            f"contacts, the top 1% for {share[1]:.0%}; Gini {share[2]:.2f}"
        )
    return out


def _cohorts(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select m.definition_id, count(distinct m.person_key) filter (where m.is_member), d.is_local_definition "
        "from marts.fct_hfc_membership m join reference.hfc_definitions d using (definition_id) "
        "group by m.definition_id, d.is_local_definition order by 1"
    ).fetchall()
    out = [
        "  High-frequency cohorts, people ever a member (marts.fct_hfc_membership; registry reference.hfc_definitions)"
    ]
    out += [f"    {d:<28}{n:>8,}{'  (local definition)' if local else ''}" for d, n, local in rows]
    return out


def _clinical(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select measure_code, count(*) filter (where reliable_change is not null), "
        "count(*) filter (where reliable_change = 'improved'), "
        "count(*) filter (where reliable_change = 'deteriorated'), "
        "count(*) filter (where is_clinically_significant), count(*) filter (where change_note != 'judged') "
        "from marts.fct_clinical_change group by 1 order by 1"
    ).fetchall()
    out = [
        "  Clinical change, baseline to latest (marts.fct_clinical_change; scores in marts.fct_questionnaire_scores)"
    ]
    out.append(
        f"    {'measure':<10}{'judged':>8}{'improved':>10}{'deteriorated':>14}{'clin. signif.':>15}{'not judged':>12}"
    )
    out += [f"    {m:<10}{j:>8,}{i:>10,}{d:>14,}{c:>15,}{n:>12,}" for m, j, i, d, c, n in rows]
    return out


def _safety(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select event_type, count(*), count(distinct person_key) from marts.fct_safety_events "
        "group by 1 order by 2 desc"
    ).fetchall()
    out = ["  Crisis and safety events (marts.fct_safety_events)"]
    out += [f"    {t:<44}{n:>8,} events{p:>8,} people" for t, n, p in rows]
    return out


def _voices(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select theme, count(*), avg(rating) from marts.fct_feedback_themes group by 1 order by 2 desc limit 12"
    ).fetchall()
    out = ["  People's own words: feedback themes (marts.fct_feedback_themes; quality in marts.feedback_theme_quality)"]
    out += [
        f"    {t:<28}{n:>8,} responses, mean rating {r:.1f}" if r is not None else f"    {t:<28}{n:>8,}"
        for t, n, r in rows
    ]
    return out


def _quality(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select feed, method, precision, recall from marts.mental_health_classification_quality order by 1, 2"
    ).fetchall()
    if not rows:
        return ["  Mental-health identification: not measured (no synthetic truth)"]
    out = ["  Mental-health identification against the truth (marts.mental_health_classification_quality)"]
    out += [
        f"    {f:<20}{m:<12} precision {p if p is None else f'{p:.3f}'}  recall {r if r is None else f'{r:.3f}'}"
        for f, m, p, r in rows
    ]
    themes = con.execute(
        "select count(*), avg(precision), avg(recall), min(recall) from marts.feedback_theme_quality"
    ).fetchone()
    if themes and themes[0]:
        out.append(
            f"    feedback codebook, {themes[0]} themes: mean precision {themes[1]:.3f}, mean recall {themes[2]:.3f} "
            f"(lowest recall {themes[3]:.3f}; by theme in marts.feedback_theme_quality)"
        )
    return out


SECTIONS: tuple[Section, ...] = (_contacts, _cohorts, _clinical, _safety, _voices, _quality)


def render_headlines(warehouse: Path) -> list[str]:
    """The headline lines, section by section; a section whose mart is missing says so instead of failing."""
    if not warehouse.exists():
        return []
    lines = ["", "  Outcomes (every outcome mart joins marts.dim_person for equality cuts)"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for section in SECTIONS:
            lines.append("")
            try:
                lines.extend(section(con))
            except duckdb.Error as exc:
                lines.append(f"  {section.__name__.strip('_')}: not available ({type(exc).__name__})")
    return lines
