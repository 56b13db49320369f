"""The evaluation tables of a synthetic county built from its truth (perfect linkage), to check the statistics fast.

`truth_panel(county_dir)` reads `synth_truth/` (records.csv: who is behind every record and when; people.csv:
sex, age, ethnic group, flags, IMD decile and the month of any step up; questionnaires.csv: the scores by the
published rules) and returns the same three DataFrames the SQL models `evaluation_person_months`,
`evaluation_episodes` and `evaluation_scores` publish, keyed by the TRUE person id, linkage 'standard' only.

S136 detentions: records.csv does not say how a police incident closed, so the police landing files are read for
two columns only, the incident reference and CLOSING_CODE (no identifier is read). Like every reader of the truth
this is for demo and test counties only: the truth and the landing zone are identifiable and nothing here is
written anywhere; callers must not print person ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.evaluation.config import age_band

FEED_OUTCOME = {
    "police_incidents": "police_contacts",
    "ambulance_calls": "ambulance_contacts",
    "ed_attendances": "emergency_department_contacts",
    "mh_contacts": "mental_health_trust_contacts",
    "council_contacts": "council_contacts",
}
# questionnaires.csv measure -> (outcome, column)
SCORE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("REQOL10", "reqol10_total", "total_score"),
    ("SWEMWBS", "swemwbs_total", "total_score"),
    ("CORE10", "core10_total", "total_score"),
    ("DIALOG", "dialog_quality_of_life_mean", "total_score"),
    ("DIALOG", "dialog_treatment_satisfaction_mean", "secondary_score"),
    ("HONOS", "honos_total", "total_score"),
)
PEOPLE_COLUMNS = [
    "person_id",
    "sex",
    "age_at_start",
    "ethnicity_group",
    "has_disability",
    "is_neurodivergent",
    "imd_decile",
    "lsoa_code",
    "intervention",
    "stepped_up_in",
]


@dataclass(frozen=True)
class TruthPanel:
    person_months: pd.DataFrame
    episodes: pd.DataFrame
    scores: pd.DataFrame


def _month_index(values: pd.Series, first: pd.Period) -> np.ndarray:
    """Months since `first` of monthly periods (or 'YYYY-MM' strings)."""
    periods = pd.PeriodIndex(values, freq="M")
    return ((periods.year - first.year) * 12 + periods.month - first.month).to_numpy(dtype="int64")


def _s136_refs(county: Path) -> set[str]:
    refs: set[str] = set()
    for f in sorted((county / "landing" / "police_incidents").glob("*.csv")):
        codes = pd.read_csv(
            f, usecols=["INCIDENT_REF", "CLOSING_CODE"], dtype=str, encoding="utf-8", encoding_errors="replace"
        )
        refs.update(codes.loc[codes["CLOSING_CODE"].str.strip().eq("S136"), "INCIDENT_REF"].str.strip())
    return refs


def truth_panel(county_dir: str | Path, *, start: str | None = None, months: int | None = None) -> TruthPanel:
    """The three evaluation tables of a generated county, from its truth. `start` ('YYYY-MM', month index 0) and
    `months` default to the first and last month with a record."""
    county = Path(county_dir)
    truth = county / "synth_truth"
    records = pd.read_csv(truth / "records.csv", usecols=["feed", "record_id", "person_id", "event_at"], dtype=str)
    at = pd.to_datetime(records["event_at"])
    first = pd.Period(start, freq="M") if start else at.min().to_period("M")
    records["month_index"] = _month_index(at.dt.to_period("M"), first)
    n_months = months if months is not None else int(records["month_index"].max()) + 1
    records = records[(records["month_index"] >= 0) & (records["month_index"] < n_months)]

    people = pd.read_csv(truth / "people.csv", usecols=PEOPLE_COLUMNS, dtype={"stepped_up_in": str})
    people = people[people["person_id"].isin(set(records["person_id"]))].reset_index(drop=True)

    contacts = records[records["feed"].isin(FEED_OUTCOME)].copy()
    contacts["outcome"] = contacts["feed"].map(FEED_OUTCOME)
    s136 = _s136_refs(county)
    is_s136 = contacts["feed"].eq("police_incidents") & contacts["record_id"].isin(s136)
    counts = contacts.groupby(["person_id", "month_index", "outcome"]).size().unstack("outcome", fill_value=0)
    counts["s136_detentions"] = contacts[is_s136].groupby(["person_id", "month_index"]).size()
    for c in (*FEED_OUTCOME.values(), "s136_detentions"):
        if c not in counts:
            counts[c] = 0
    counts = counts.fillna(0).astype("int64")
    counts["crisis_contacts"] = counts[list(FEED_OUTCOME.values())].sum(axis=1)

    grid = pd.MultiIndex.from_product([people["person_id"], range(n_months)], names=["person_id", "month_index"])
    pm = counts.reindex(grid, fill_value=0).reset_index()
    pm = pm.merge(people, on="person_id", how="left")
    starts = np.array([(first + m).start_time.date() for m in range(n_months)], dtype=object)
    pm["month_start"] = starts[pm["month_index"].to_numpy()]
    age = pm["age_at_start"].to_numpy(dtype="int64") + pm["month_index"].to_numpy() // 12
    bands = {a: age_band(int(a)) for a in np.unique(age)}
    pm["age_band"] = pd.Series(age, index=pm.index).map(bands)
    pm["imd_quintile"] = np.ceil(pm["imd_decile"] / 2).astype("Int64")
    pm["locality_code"] = _localities(county, pm["lsoa_code"])
    stepped = pm["stepped_up_in"].notna()
    pm["first_step_up_month_index"] = pd.Series(pd.NA, index=pm.index, dtype="Int64")
    pm.loc[stepped, "first_step_up_month_index"] = _month_index(pm.loc[stepped, "stepped_up_in"], first)
    pm["first_intervention"] = pm["intervention"].where(stepped)
    pm["linkage"] = "standard"
    pm = pm.rename(columns={"person_id": "person_key"})
    pm["has_disability"] = pm["has_disability"].astype(bool)
    pm["is_neurodivergent"] = pm["is_neurodivergent"].astype(bool)
    columns = [
        "linkage",
        "person_key",
        "month_start",
        "month_index",
        "crisis_contacts",
        *[c for c in FEED_OUTCOME.values()],
        "s136_detentions",
        "sex",
        "age_band",
        "imd_quintile",
        "locality_code",
        "ethnicity_group",
        "has_disability",
        "is_neurodivergent",
        "first_step_up_month_index",
        "first_intervention",
    ]
    person_months = pm[columns].sort_values(["person_key", "month_index"]).reset_index(drop=True)

    ep = people[people["stepped_up_in"].notna()].copy()
    step_ups = records[records["feed"].eq("programme_caseload")].groupby("person_id")["event_at"].min()
    ep["index_month_index"] = _month_index(ep["stepped_up_in"], first)
    ep = ep[(ep["index_month_index"] >= 0) & (ep["index_month_index"] < n_months)]
    fallback = pd.PeriodIndex(ep["stepped_up_in"], freq="M").start_time.date
    ep["stepped_up_on"] = pd.to_datetime(ep["person_id"].map(step_ups)).dt.date.fillna(pd.Series(fallback, ep.index))
    ep["intervention_episode_key"] = "EP:" + ep["person_id"]
    ep["locality_code"] = _localities(county, ep["lsoa_code"])
    ep["linkage"] = "standard"
    episodes = ep.rename(columns={"person_id": "person_key"})[
        [
            "linkage",
            "intervention_episode_key",
            "person_key",
            "intervention",
            "stepped_up_on",
            "index_month_index",
            "locality_code",
        ]
    ].reset_index(drop=True)

    q = pd.read_csv(truth / "questionnaires.csv", dtype={"assessment_id": str, "person_id": str})
    q["month_index"] = _month_index(pd.to_datetime(q["assessment_date"]).dt.to_period("M"), first)
    parts = []
    for measure, outcome, column in SCORE_COLUMNS:
        part = q[q["measure_code"].eq(measure) & q[column].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "linkage": "standard",
                    "person_key": part["person_id"],
                    "assessment_key": part["assessment_id"],
                    "outcome": outcome,
                    "assessment_date": pd.to_datetime(part["assessment_date"]).dt.date,
                    "month_index": part["month_index"],
                    "timepoint_code": part["timepoint_code"],
                    "score": part[column].astype(float),
                }
            )
        )
    scores = pd.concat(parts, ignore_index=True)
    scores = scores[(scores["month_index"] >= 0) & (scores["month_index"] < n_months)].reset_index(drop=True)
    return TruthPanel(person_months, episodes, scores)


def _localities(county: Path, lsoa: pd.Series) -> pd.Series:
    """Locality of each LSOA from landing/reference/lsoa_locality.csv when the county has one, else missing."""
    path = county / "landing" / "reference" / "lsoa_locality.csv"
    if not path.exists():
        return pd.Series(pd.NA, index=lsoa.index, dtype="string")
    ref = pd.read_csv(path, dtype=str)
    return lsoa.map(dict(zip(ref["lsoa_code"], ref["locality_code"], strict=True))).astype("string")
