"""Our mental-health classifier's verdict on one delivery, for its rate beside the agency's own tag.

The same rule as ``int_contacts_mental_health_classified`` (dbt), applied by DuckDB to a pseudonymised delivery
with the same seeds (``mental_health_terms``, ``mental_health_negations``, ``mental_health_codes``): a strong code,
or a strong term in a sentence of the de-identified narrative, marks a contact; otherwise two pieces of weak
evidence do (the agency's own flag counting as one); negated mentions are blanked first. Only the share of marked
contacts leaves this module; no text does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import duckdb
import pandas as pd

from pipelines.settings import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"


@dataclass(frozen=True)
class FeedColumns:
    first_code: str
    second_code: str | None
    agency_tag: str
    narrative: str


CLASSIFIED_FEEDS: dict[str, FeedColumns] = {
    "police_incidents": FeedColumns("opening_code", "closing_code", "is_mental_health_related", "narrative"),
    "ambulance_calls": FeedColumns("chief_complaint_code", None, "is_mental_health_related", "clinical_notes"),
    "ed_attendances": FeedColumns("chief_complaint_code", None, "has_liaison_psychiatry_referral", "clinical_notes"),
}


def _literal(text: str) -> str:
    return "'" + (text or "x^").replace("'", "''") + "'"


@cache
def _rules(feed: str) -> tuple[str, str, str, pd.DataFrame]:
    """(strong pattern, weak pattern, negation pattern, codes) for ``feed``, compiled as dbt compiles them."""
    con = duckdb.connect()
    terms = pd.read_csv(SEEDS / "mental_health_terms.csv", dtype=str, keep_default_na=False)
    negations = pd.read_csv(SEEDS / "mental_health_negations.csv", dtype=str, keep_default_na=False)
    codes = pd.read_csv(SEEDS / "mental_health_codes.csv", dtype=str, keep_default_na=False)
    con.register("terms", terms)
    con.register("negations", negations)
    alternation = """
        string_agg('(?:' || case when pattern_kind = 'phrase' then regexp_escape(lower(pattern)) else pattern end
                   || ')', '|' order by {order})
    """
    found = dict(
        con.execute(
            f"select strength, {alternation.format(order='term_id')} from terms "
            "where feed = '*' or feed = ? group by strength",
            [feed],
        ).fetchall()
    )
    negation = con.execute(f"select {alternation.format(order='negation_id')} from negations").fetchone()
    con.close()
    strong = r"\b(?:" + (found.get("strong") or "x^") + r")\b"
    weak = r"\b(?:" + (found.get("weak") or "x^") + r")\b"
    return strong, weak, (negation[0] if negation and negation[0] else "x^"), codes[codes["feed"] == feed]


def classified_share(feed: str, frame: pd.DataFrame) -> tuple[int, int]:
    """(contacts our classifier marks as mental-health related, contacts) in one delivery of ``feed``."""
    marked = classify(feed, frame)
    return int(marked.sum()), len(frame)


def classify(feed: str, frame: pd.DataFrame) -> pd.Series:
    """Per row of ``frame`` (in order): does our classifier mark the contact as mental-health related?"""
    cols = CLASSIFIED_FEEDS[feed]
    if frame.empty:
        return pd.Series([], dtype=bool)
    strong, weak, negation, codes = _rules(feed)
    contacts = pd.DataFrame(
        {
            "contact_key": range(len(frame)),
            "first_code": frame[cols.first_code].astype("string") if cols.first_code in frame else None,
            "second_code": frame[cols.second_code].astype("string") if cols.second_code in frame else None,
            "is_agency_tagged": frame[cols.agency_tag].fillna(False).astype(bool)
            if cols.agency_tag in frame
            else False,
            "narrative_text": frame[cols.narrative].astype("string") if cols.narrative in frame else None,
        }
    )
    con = duckdb.connect()
    try:
        con.register("contacts", contacts)
        con.register("codes", codes[["column_name", "code", "strength"]].reset_index(drop=True))
        marked = con.execute(
            f"""
            with code_evidence as (
                select c.contact_key,
                       coalesce(bool_or(codes.strength = 'strong'), false) as has_strong_code,
                       count(distinct case when codes.strength = 'weak' then codes.code end)
                       + max(cast(c.is_agency_tagged as integer)) as weak_codes
                from contacts as c
                left join codes on
                    (codes.column_name in ('opening_code', 'chief_complaint_code') and c.first_code = codes.code)
                    or (codes.column_name = 'closing_code' and c.second_code = codes.code)
                group by c.contact_key
            ),
            sentences as (
                select contact_key, regexp_replace(sentence, {_literal(negation)}, ' ', 'g') as sentence
                from (
                    select contact_key,
                           unnest(string_split_regex(lower(narrative_text), '[.!?;]+(\\s|$)|\\n')) as sentence
                    from contacts where narrative_text is not null
                )
            ),
            narrative_evidence as (
                select contact_key,
                       bool_or(regexp_matches(sentence, {_literal(strong)})) as has_strong_term,
                       len(list_distinct(flatten(list(regexp_extract_all(sentence, {_literal(weak)}))))) as weak_terms
                from sentences group by contact_key
            )
            select c.contact_key,
                   c.has_strong_code or coalesce(n.has_strong_term, false)
                   or c.weak_codes + coalesce(n.weak_terms, 0) >= 2 as marked
            from code_evidence as c left join narrative_evidence as n using (contact_key)
            order by c.contact_key
            """
        ).df()
    finally:
        con.close()
    return pd.Series(marked["marked"].to_numpy(dtype=bool), index=frame.index)
