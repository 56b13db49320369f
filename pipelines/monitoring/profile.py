"""What monitoring measures in one delivery: counts only, from pseudonymised and generalised columns.

A :class:`Profile` holds, for one feed and delivery period, the rows, each key rate as (records with it, records
or assessments), each column's missing count, each coded column's code mix and each numeric column's values.
Keys (record and assessment tokens) are never looked at; free text only for whether it is missing and, in the
police, ambulance and ED feeds, for our mental-health classifier's rate. Which columns are what comes from the
feed spec's roles and types, never from a column's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType, FeedSpec, Role
from pipelines.feeds.mh_outcome_measures import MEASURE_ITEMS
from pipelines.monitoring.classifier import CLASSIFIED_FEEDS, SEEDS, classify
from pipelines.monitoring.config import load_columns

GENERALISED = ("age_band", "imd_decile", "locality_code")  # what pseudonymisation makes of the quasi-identifiers
# Feeds whose rows come in groups that share most columns (a questionnaire's items): those columns are profiled one
# row per group, or a 20-item questionnaire would count as 20 independent records and every test would cry wolf.
UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mh_outcome_measures": ("assessment_key", ("item_number", "item_response")),
}
# Independent clusters, for the design effect (``stats``): people (their keyed person_key, from
# pseudonymised/person_keys), since the people this project is about contact services many times a month. Without
# person keys (a delivery not yet linked), a proxy where records obviously share a person: the questionnaires of one
# sitting (same day, timepoint and generalised details), the events of one programme episode.
CLUSTERS: dict[str, tuple[str, ...]] = {
    "mh_outcome_measures": ("assessment_date", "timepoint_code", "age_band", "imd_decile", "locality_code"),
    "programme_caseload": ("intervention_episode_key",),
}
MISSING = "(missing)"


@dataclass(frozen=True)
class ColumnKinds:
    """A feed's published columns by what monitoring tests on them."""

    coded: tuple[str, ...]  # code mix (and new codes, for the agency's code lists)
    code_lists: tuple[str, ...]  # the coded columns that carry an agency code list (DType.CODE)
    numeric: tuple[str, ...]  # distribution over the reference window's deciles
    missing: tuple[str, ...]  # missing share (every published column but keys)


@cache
def column_kinds(feed: str) -> ColumnKinds:
    spec: FeedSpec = FEED_SPECS[feed]
    coded: list[str] = []
    code_lists: list[str] = []
    numeric: list[str] = []
    missing: list[str] = []
    if spec.by_role(Role.QUASI_IDENTIFIER) or any(c.person_field == "date_of_birth" for c in spec.columns):
        for name in GENERALISED:
            coded.append(name)
            missing.append(name)
    for col in spec.columns:
        name = col.output_name
        if col.role is Role.FREE_TEXT:
            missing.append(name)
        if col.role is not Role.PLAIN or (col.dtype is DType.STRING and name.endswith("_id")):
            continue  # identifiers are dropped, record and assessment ids are keys
        missing.append(name)
        if col.dtype in (DType.CODE, DType.BOOLEAN):
            coded.append(name)
            if col.dtype is DType.CODE:
                code_lists.append(name)
        elif col.dtype in (DType.INTEGER, DType.FLOAT):
            numeric.append(name)
    return ColumnKinds(tuple(coded), tuple(code_lists), tuple(numeric), tuple(dict.fromkeys(missing)))


@dataclass(frozen=True)
class KeyRate:
    name: str
    description: str
    mark: Callable[[pd.DataFrame], pd.Series]  # per record (or per assessment): does it count?
    per_unit: bool = False  # counted over UNITS' groups (assessments), not rows

    def count(self, frame: pd.DataFrame) -> tuple[int, int]:
        marked = self.mark(frame)
        return int(marked.sum()), len(marked)


def _share(column: str, values: Iterable[object]) -> Callable[[pd.DataFrame], pd.Series]:
    accepted = {str(v) for v in values}

    def mark(frame: pd.DataFrame) -> pd.Series:
        if column not in frame:
            return pd.Series(False, index=frame.index)
        return frame[column].astype("string").isin(accepted).fillna(False).astype(bool)

    return mark


def _flag(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    def mark(frame: pd.DataFrame) -> pd.Series:
        if column not in frame:
            return pd.Series(False, index=frame.index)
        return frame[column].astype("boolean").fillna(False).astype(bool)

    return mark


def _classifier(feed: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: classify(feed, frame)


def _questionnaires_complete(frame: pd.DataFrame) -> pd.Series:
    """Per assessment (in order of first row): a response to every item of its measure?"""
    if frame.empty or "assessment_key" not in frame:
        return pd.Series([], dtype=bool)
    answered = frame.assign(_answered=frame["item_response"].notna()).groupby("assessment_key", sort=False)
    per = answered.agg(measure=("measure_code", "first"), answered=("_answered", "sum"))
    items = per["measure"].map(lambda m: MEASURE_ITEMS.get(str(m), (0, 0, 0))[0])
    return ((per["answered"] >= items) & (items > 0)).astype(bool)


@cache
def _self_harm_codes() -> tuple[str, ...]:
    seed = pd.read_csv(SEEDS / "safety_event_codes.csv", dtype=str, keep_default_na=False)
    rows = seed[(seed["event_type"] == "self_harm_presentation") & (seed["feed"] == "ed_attendances")]
    return tuple(rows["code"])


@cache
def key_rates(feed: str) -> tuple[KeyRate, ...]:
    """Each feed's key rates: what an evaluator reads an outcome through, so what a change of practice distorts."""
    rates: list[KeyRate] = []
    if feed == "police_incidents":
        rates.append(
            KeyRate(
                "mental_health_tag",
                "incidents the force tagged mental-health related",
                _flag("is_mental_health_related"),
            )
        )
    if feed == "ambulance_calls":
        rates += [
            KeyRate(
                "mental_health_tag",
                "calls the crew recorded as mental-health related",
                _flag("is_mental_health_related"),
            ),
            KeyRate(
                "conveyance",
                "calls closed by conveyance to hospital (see and convey)",
                _share("call_outcome", ["see_and_convey"]),
            ),
            KeyRate(
                "hear_and_treat",
                "calls managed over the phone (hear and treat)",
                _share("call_outcome", ["hear_and_treat"]),
            ),
        ]
    if feed == "ed_attendances":
        rates += [
            KeyRate(
                "mental_health_tag",
                "attendances referred to liaison psychiatry",
                _flag("has_liaison_psychiatry_referral"),
            ),
            KeyRate(
                "self_harm_share",
                "attendances with chief complaint self-harm or overdose",
                _share("chief_complaint_code", _self_harm_codes()),
            ),
            KeyRate(
                "nhs_number_coverage",
                "attendances with an NHS number present (status 01 or 02)",
                _share("nhs_number_status_code", ["01", "02"]),
            ),
        ]
    if feed in CLASSIFIED_FEEDS:
        rates.append(
            KeyRate(
                "classifier_mental_health",
                "contacts our classifier marks mental-health related (codes and narrative)",
                _classifier(feed),
            )
        )
    if feed == "mh_outcome_measures":
        rates.append(
            KeyRate(
                "questionnaire_completion",
                "assessments with every item answered",
                _questionnaires_complete,
                per_unit=True,
            )
        )
    return tuple(rates)


def _clusters(feed: str, units: pd.DataFrame, people: pd.Series | None) -> pd.Series:
    """Each unit's independent cluster (an opaque label): its person, else the CLUSTERS proxy, else itself."""
    if people is not None and "record_key" in units and len(people):
        keys = units["record_key"].astype(str)
        return keys.map(people).fillna(keys).reset_index(drop=True)
    cluster = [c for c in CLUSTERS.get(feed, ()) if c in units]
    if cluster and len(units):
        return units[cluster].astype("string").fillna("").agg("|".join, axis=1).reset_index(drop=True)
    return pd.Series(np.arange(len(units)), dtype="int64")


@dataclass
class Profile:
    """One delivery's counts (or a reference window's, summed). Never a value of a record."""

    feed: str
    periods: tuple[str, ...]
    rows: int = 0
    units: int = 0  # rows, or groups of rows (assessments) for the feeds in UNITS
    clusters: int = 0  # independent clusters of units (CLUSTERS), or the units
    # sums over clusters of (units per cluster) squared and of (rows per cluster) squared: Kish's design effect
    units_sq: int = 0
    rows_sq: int = 0
    rates: dict[str, tuple[int, int]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    missing_rows: dict[str, int] = field(default_factory=dict)  # what each missing count is out of
    mixes: dict[str, dict[str, int]] = field(default_factory=dict)
    numerics: dict[str, np.ndarray] = field(default_factory=dict)
    parts: tuple[Profile, ...] = ()  # the deliveries a reference window sums

    @classmethod
    def of(
        cls,
        feed: str,
        period: str,
        frame: pd.DataFrame,
        people: pd.Series | None = None,
        applies: Mapping[str, tuple[str, tuple[str, ...]]] | None = None,
    ) -> Profile:
        """``people``: record_key -> person_key of the feed's records, for the design effect (CLUSTERS).
        ``applies``: column -> (column, values) of the rows it is recorded on, for its missing share
        (``config.AppliesTo``; default: ``config/drift.yaml``'s)."""
        kinds = column_kinds(feed)
        if applies is None:
            applies = load_columns().applies_of(feed)
        out = cls(feed, (period,), rows=len(frame))
        for rate in key_rates(feed):
            out.rates[rate.name] = rate.count(frame)
        unit, row_level = UNITS.get(feed, (None, ()))
        grouped = unit is not None and unit in frame
        units = frame.drop_duplicates(unit) if grouped else frame
        out.units = len(units)
        cluster_of = _clusters(feed, units, people)
        out.clusters = int(cluster_of.nunique())
        per_cluster = cluster_of.value_counts().to_numpy(dtype=np.int64)
        out.units_sq = int((per_cluster**2).sum())
        if grouped:
            rows_per_unit = frame.groupby(unit, sort=False).size()
            rows_of = pd.Series(units[unit].map(rows_per_unit).to_numpy(), index=cluster_of.to_numpy())
            out.rows_sq = int((rows_of.groupby(level=0).sum().to_numpy(dtype=np.int64) ** 2).sum())
        else:
            out.rows_sq = out.units_sq
        for name in kinds.missing:
            source = frame if name in row_level else units
            if name in applies and applies[name][0] in source:
                when, values = applies[name]
                source = source[source[when].astype("string").isin(values).fillna(False).astype(bool)]
            out.missing[name] = int(source[name].isna().sum()) if name in source else len(source)
            out.missing_rows[name] = len(source)
        for name in kinds.coded:
            source = frame if name in row_level else units
            values = source[name].dropna().astype(str) if name in source else pd.Series([], dtype=str)
            out.mixes[name] = {str(k): int(v) for k, v in values.value_counts().items()}
        for name in kinds.numeric:
            source = frame if name in row_level else units
            values = pd.to_numeric(source[name], errors="coerce") if name in source else pd.Series([], dtype=float)
            out.numerics[name] = values.astype(float).to_numpy(na_value=np.nan)
        return out

    def design_effect(self, row_level: bool = False) -> float:
        """Kish's design effect for records that share what is tested within a cluster: the size of the cluster of
        a record drawn at random, sum(m^2) / sum(m) over clusters of m units (or rows, for row-level columns); 1
        without clusters. With clusters of unequal sizes (a few people with 15 contacts a month, many with one) it is
        larger than the mean cluster size, which understates the noise."""
        total, squares = (self.rows, self.rows_sq) if row_level else (self.units, self.units_sq)
        if self.clusters <= 0 or total <= 0:
            return 1.0
        return max(1.0, squares / total)

    @classmethod
    def combined(cls, profiles: list[Profile]) -> Profile:
        """The reference window: the sum of its deliveries' counts."""
        first = profiles[0]
        out = cls(first.feed, tuple(p for prof in profiles for p in prof.periods), parts=tuple(profiles))
        for prof in profiles:
            out.rows += prof.rows
            out.units += prof.units
            out.clusters += prof.clusters
            out.units_sq += prof.units_sq
            out.rows_sq += prof.rows_sq
            for name, (k, n) in prof.rates.items():
                a, b = out.rates.get(name, (0, 0))
                out.rates[name] = (a + k, b + n)
            for name, k in prof.missing.items():
                out.missing[name] = out.missing.get(name, 0) + k
                out.missing_rows[name] = out.missing_rows.get(name, 0) + prof.missing_rows.get(name, 0)
            for name, mix in prof.mixes.items():
                into = out.mixes.setdefault(name, {})
                for code, k in mix.items():
                    into[code] = into.get(code, 0) + k
            for name, values in prof.numerics.items():
                out.numerics[name] = np.concatenate([out.numerics.get(name, np.array([])), values])
        return out
