"""Person-level extracts for evaluators, measured and generalised for re-identification risk (docs/disclosure.md).

An extract is one row per person, read from the published warehouse's marts: a pseudonymous key of its own, the
quasi-identifiers (age band, sex, ethnicity group, IMD), outcome and intervention columns, and a sensitive column
(whether the person had a self-harm presentation) whose l-diversity is reported.

Risk is measured with pycanon (k-anonymity of the quasi-identifiers, l-diversity of the sensitive column) before
and after. Until at most ``max_suppressed_share`` of the rows sit in classes smaller than ``min_k``, the
quasi-identifiers are generalised one step at a time along fixed hierarchies (IMD decile -> quintile -> suppressed;
age band -> wider band -> suppressed; ethnicity group -> merged groups -> White / other groups -> suppressed;
sex -> suppressed), each time taking the step that takes the most rows out of small classes per bit of information
lost (the fall in the column's entropy). The rows still in small classes then have every quasi-identifier
suppressed (local suppression); if those suppressed rows are themselves fewer than ``min_k``, the smallest
remaining classes join them. An extract whose k is still below ``min_k`` is refused.

No area: the published warehouse holds no home area below the county (the postcode becomes an IMD decile in
pseudonymisation and is not kept), so ``area`` is not a quasi-identifier here. The hierarchy table takes one if a
coarse, pseudonymised area is ever published.

The person key is re-keyed per extract: HMAC-SHA256 of the warehouse key under a salt drawn at random for each
extract and never written down, so two extracts cannot be joined on their keys, nor an extract to the marts. A
caller who means two extracts to join (a follow-up for the same evaluation) passes the same ``salt`` to both.

Reports name rules, levels and shares; a count from 1 to the disclosure threshold is never printed (see
``reportable``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from pycanon import anonymity

from pipelines.ops.atomic import PARQUET_TIMESTAMPS
from pipelines.settings import MIN_EXTRACT_K

SUPPRESSED = "*"
NOT_RECORDED = "not recorded"
KEY_DOMAIN = b"hfc-outcomes/evaluator-extract/person-key/v1\x00"

QUASI_IDENTIFIERS: tuple[str, ...] = ("age_band", "sex", "ethnicity_group", "imd")
SENSITIVE_COLUMN = "had_self_harm_presentation"
EXTRACT_KEY = "extract_person_key"
OUTCOME_COLUMNS: tuple[str, ...] = (
    "contacts",
    "crisis_contacts",
    "mental_health_contacts",
    "agencies_known",
    "had_s136_detention",
    "had_conveyance",
    "intervention_code",
    "referral_route_code",
    "is_stepped_up",
    "is_managed",
    "is_stepped_down",
    "step_down_reason_code",
    "is_episode_open",
    "contacts_6m_before_episode",
    "contacts_6m_after_episode",
    "is_episode_window_complete",
    "measures_with_reliable_change",
    "measures_improved",
    "measures_deteriorated",
)
EXTRACT_COLUMNS: tuple[str, ...] = (EXTRACT_KEY, *QUASI_IDENTIFIERS, SENSITIVE_COLUMN, *OUTCOME_COLUMNS)
POPULATIONS = ("people", "intervention")
AREA_NOTE = (
    "no area quasi-identifier: the published warehouse holds no home area below the county (the postcode is "
    "reduced to an IMD decile in pseudonymisation and not kept)"
)

KEY_NOTE = "person keys are re-keyed for this extract under a salt that is not kept: it joins to no other file"
MATCHING_NOTE = (
    "k-anonymity here protects against someone who knows a person's age band, sex, ethnicity and IMD; the exact "
    "contact counts also appear in the published warehouse, so a reader holding both could match rows: give an "
    "extract to evaluators who do not hold the warehouse, under the data sharing agreement"
)


class ExtractRiskError(RuntimeError):
    """An extract that would not meet its k-anonymity minimum; the message names the rule, never a class size."""


# -- hierarchies --------------------------------------------------------------------------------------------------

AGE_WIDER = {
    "16-17": "16-24",
    "18-24": "16-24",
    "25-34": "25-44",
    "35-44": "25-44",
    "45-54": "45-64",
    "55-64": "45-64",
    "65-74": "65+",
    "75+": "65+",
}
ETHNICITY_MERGED = {
    "Mixed or Multiple": "Mixed, multiple or other ethnic group",
    "Other ethnic group": "Mixed, multiple or other ethnic group",
}
ETHNICITY_BROAD = {
    "Asian or Asian British": "Asian, Black, mixed or other ethnic group",
    "Black, Black British, Caribbean or African": "Asian, Black, mixed or other ethnic group",
    "Mixed or Multiple": "Asian, Black, mixed or other ethnic group",
    "Other ethnic group": "Asian, Black, mixed or other ethnic group",
}


def _imd_quintile(value: str) -> str:
    if value.startswith("decile "):
        return f"quintile {(int(value.removeprefix('decile ')) + 1) // 2}"
    return value


@dataclass(frozen=True)
class Level:
    """One level of a quasi-identifier's hierarchy: a name and how a level-0 value reads at this level."""

    name: str
    recode: Callable[[str], str]


def _keep_recorded(mapping: Mapping[str, str]) -> Callable[[str], str]:
    return lambda value: mapping.get(value, value)


def _suppress(value: str) -> str:
    return SUPPRESSED


def _identity(value: str) -> str:
    return value


HIERARCHIES: dict[str, tuple[Level, ...]] = {
    "age_band": (
        Level("age band (16-17, 18-24, then 10-year bands, 75+)", _identity),
        Level("wider age band (16-24, 25-44, 45-64, 65+)", _keep_recorded(AGE_WIDER)),
        Level("suppressed", _suppress),
    ),
    "sex": (Level("sex", _identity), Level("suppressed", _suppress)),
    "ethnicity_group": (
        Level("ethnicity group (ONS 2021 high-level groups)", _identity),
        Level("mixed and other ethnic groups merged", _keep_recorded(ETHNICITY_MERGED)),
        Level("White / Asian, Black, mixed or other", _keep_recorded(ETHNICITY_BROAD)),
        Level("suppressed", _suppress),
    ),
    "imd": (
        Level("IMD decile", _identity),
        Level("IMD quintile", _imd_quintile),
        Level("suppressed", _suppress),
    ),
    # A coarse area (e.g. MSOA -> local authority -> suppressed) would be one more entry here; none is published.
}


# -- measuring ----------------------------------------------------------------------------------------------------


def class_sizes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    """Each row's equivalence-class size on the quasi-identifiers (nulls form a class like any value)."""
    qis = list(quasi_identifiers)
    return frame.groupby(qis, dropna=False, sort=False)[qis[0]].transform("size")


def measure_k(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> int:
    """k-anonymity by pycanon (which needs positional row labels and no nulls in the quasi-identifiers)."""
    data = _for_pycanon(frame, quasi_identifiers)
    return int(anonymity.k_anonymity(data, list(quasi_identifiers)))


def measure_l(frame: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> int:
    """l-diversity of ``sensitive`` by pycanon: the fewest distinct sensitive values in any equivalence class."""
    data = _for_pycanon(frame, quasi_identifiers)
    return int(anonymity.l_diversity(data, list(quasi_identifiers), [sensitive]))


def _for_pycanon(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.DataFrame:
    if frame.empty:
        raise ExtractRiskError("an empty extract has no k-anonymity to measure")
    if frame[list(quasi_identifiers)].isna().any().any():
        raise ValueError("quasi-identifiers must be filled (use 'not recorded') before measuring: pycanon drops nulls")
    return frame.reset_index(drop=True)


def _entropy(values: pd.Series) -> float:
    shares = values.value_counts(normalize=True, dropna=False)
    return float(-(shares * shares.map(math.log2)).sum())


# -- generalising -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    column: str
    to_level: str
    rows_at_risk_after: int
    bits_lost: float


@dataclass
class Anonymised:
    frame: pd.DataFrame
    levels: dict[str, int]
    steps: list[Step] = field(default_factory=list)
    rows_suppressed: int = 0


def _recode(
    original: pd.DataFrame, levels: Mapping[str, int], hierarchies: Mapping[str, Sequence[Level]]
) -> pd.DataFrame:
    frame = original.copy()
    for column, level in levels.items():
        frame[column] = original[column].map(hierarchies[column][level].recode)
    return frame


def _rows_at_risk(frame: pd.DataFrame, quasi_identifiers: Sequence[str], min_k: int) -> int:
    return int((class_sizes(frame, quasi_identifiers) < min_k).sum())


def anonymise(
    original: pd.DataFrame,
    min_k: int,
    quasi_identifiers: Sequence[str] = QUASI_IDENTIFIERS,
    hierarchies: Mapping[str, Sequence[Level]] = HIERARCHIES,
    max_suppressed_share: float = 0.05,
) -> Anonymised:
    """Generalise greedily, then suppress locally, until every class on ``quasi_identifiers`` has ``min_k`` rows."""
    if not 0 <= max_suppressed_share < 1:
        raise ValueError("max_suppressed_share must be a share from 0 to below 1")
    if len(original) < min_k:
        raise ExtractRiskError(f"an extract with fewer rows than min_k ({min_k}) cannot be {min_k}-anonymous")
    qis = list(quasi_identifiers)
    levels = dict.fromkeys(qis, 0)
    frame = _recode(original, levels, hierarchies)
    steps: list[Step] = []
    at_risk = _rows_at_risk(frame, qis, min_k)
    while at_risk > max_suppressed_share * len(frame):
        best: tuple[float, float, str, pd.DataFrame, int] | None = None
        for column in qis:
            if levels[column] + 1 >= len(hierarchies[column]):
                continue
            trial_levels = {**levels, column: levels[column] + 1}
            trial = _recode(original, trial_levels, hierarchies)
            trial_risk = _rows_at_risk(trial, qis, min_k)
            bits = max(_entropy(frame[column]) - _entropy(trial[column]), 1e-9)
            score = (at_risk - trial_risk) / bits
            if best is None or (score, -bits) > (best[0], -best[1]):
                best = (score, bits, column, trial, trial_risk)
        if best is None:
            break
        _, bits, column, frame, at_risk = best
        levels[column] += 1
        steps.append(Step(column, hierarchies[column][levels[column]].name, at_risk, round(bits, 4)))

    # local suppression: the rows still in small classes lose every quasi-identifier
    small = class_sizes(frame, qis) < min_k
    frame.loc[small, qis] = SUPPRESSED
    suppressed = (frame[qis] == SUPPRESSED).all(axis=1)
    # suppressed rows form one class of their own: if it is too small, the smallest classes join it
    while 0 < int(suppressed.sum()) < min_k:
        sizes = class_sizes(frame, qis).where(~suppressed)
        if sizes.isna().all():
            break
        smallest = sizes == sizes.min()
        first_key = frame.loc[smallest, qis].iloc[0]
        joining = smallest & (frame[qis] == first_key).all(axis=1)
        frame.loc[joining, qis] = SUPPRESSED
        suppressed = (frame[qis] == SUPPRESSED).all(axis=1)
    rows_suppressed = int(suppressed.sum()) if not all(levels[c] + 1 == len(hierarchies[c]) for c in qis) else 0
    return Anonymised(frame, levels, steps, rows_suppressed)


# -- the extract --------------------------------------------------------------------------------------------------

PERSON_SQL = """
with episodes as (
    select
        person_key, intervention_code, referral_route_code, is_stepped_up, is_managed, is_stepped_down,
        step_down_reason_code, is_open, date_trunc('month', episode_start_on)::date as start_month,
        row_number() over (partition by person_key order by episode_start_on, intervention_episode_key) as episode_order
    from marts.fct_intervention_episodes
),
first_episode as (select * from episodes where episode_order = 1),
span as (select min(month_start) as first_month, max(month_start) as last_month from marts.fct_person_months),
around_episode as (
    select
        e.person_key,
        coalesce(sum(m.contacts) filter (
            where m.month_start >= e.start_month - interval 6 month and m.month_start < e.start_month
        ), 0)::bigint as contacts_6m_before_episode,
        coalesce(sum(m.contacts) filter (
            where m.month_start >= e.start_month and m.month_start < e.start_month + interval 6 month
        ), 0)::bigint as contacts_6m_after_episode
    from first_episode as e
    left join marts.fct_person_months as m on e.person_key = m.person_key
    group by e.person_key
),
safety as (
    select
        person_key,
        bool_or(event_type = 'self_harm_presentation') as had_self_harm_presentation,
        bool_or(event_type = 's136_detention') as had_s136_detention,
        bool_or(event_type in ('conveyance_by_police', 'conveyance_by_ambulance')) as had_conveyance
    from marts.fct_safety_events
    group by person_key
),
clinical as (
    select
        person_key,
        count(*) as measures_with_reliable_change,
        count(*) filter (where reliable_change = 'improved') as measures_improved,
        count(*) filter (where reliable_change = 'deteriorated') as measures_deteriorated
    from marts.fct_clinical_change
    where reliable_change is not null
    group by person_key
)
select
    p.person_key,
    p.age_band_at_first_contact as age_band,
    p.sex,
    p.ethnicity_group,
    p.imd_decile,
    coalesce(s.had_self_harm_presentation, false) as had_self_harm_presentation,
    p.contacts,
    p.crisis_contacts,
    p.mental_health_contacts,
    p.agencies_known,
    coalesce(s.had_s136_detention, false) as had_s136_detention,
    coalesce(s.had_conveyance, false) as had_conveyance,
    e.intervention_code,
    e.referral_route_code,
    e.is_stepped_up,
    e.is_managed,
    e.is_stepped_down,
    e.step_down_reason_code,
    e.is_open as is_episode_open,
    a.contacts_6m_before_episode,
    a.contacts_6m_after_episode,
    case when e.person_key is not null then
        e.start_month - interval 6 month >= span.first_month and e.start_month + interval 5 month <= span.last_month
    end as is_episode_window_complete,
    coalesce(c.measures_with_reliable_change, 0) as measures_with_reliable_change,
    coalesce(c.measures_improved, 0) as measures_improved,
    coalesce(c.measures_deteriorated, 0) as measures_deteriorated
from marts.dim_person as p
cross join span
left join first_episode as e on p.person_key = e.person_key
left join around_episode as a on p.person_key = a.person_key
left join safety as s on p.person_key = s.person_key
left join clinical as c on p.person_key = c.person_key
{where}
"""


def read_people(con: duckdb.DuckDBPyConnection, population: str = "people") -> pd.DataFrame:
    """One row per person from the published marts, keyed by the warehouse's person key (not yet re-keyed)."""
    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {', '.join(POPULATIONS)}")
    where = "where e.person_key is not null" if population == "intervention" else ""
    frame = con.execute(PERSON_SQL.format(where=where)).df()
    frame["imd"] = frame.pop("imd_decile").map(lambda d: NOT_RECORDED if pd.isna(d) else f"decile {int(d)}")
    for column in ("age_band", "sex", "ethnicity_group"):
        frame[column] = frame[column].fillna(NOT_RECORDED).astype(str)
    return frame


def rekey(person_keys: pd.Series, salt: bytes) -> pd.Series:
    """Per-extract pseudonyms: HMAC-SHA256 under the extract's salt, domain-separated from every other pseudonym."""
    if len(salt) < 16:
        raise ValueError("an extract salt must be at least 16 bytes")
    return person_keys.map(
        lambda key: "x" + hmac.new(salt, KEY_DOMAIN + str(key).encode(), hashlib.sha256).hexdigest()[:32]
    )


def reportable(count: int, threshold: int, min_k: int | None = None) -> int | str:
    """A count as a report may print it: 0 or above the threshold exactly, otherwise only as a band."""
    if count == 0 or count > threshold:
        return int(count)
    if min_k is not None:
        return f"at least {min_k}" if count >= min_k else f"below {min_k}"
    return f"at most {threshold}"


@dataclass(frozen=True)
class RiskReport:
    population: str
    rows: int | str
    min_k: int
    threshold: int
    max_suppressed_share: float
    quasi_identifiers: list[str]
    sensitive_column: str
    k_before: int | str
    l_before: int
    classes_before: int | str
    k_after: int | str
    l_after: int
    classes_after: int | str
    classes_with_one_sensitive_value_after: int | str
    rows_suppressed: int | str
    suppressed_share: float | str
    levels: dict[str, str]
    steps: list[dict[str, object]]
    meets_min_k: bool
    notes: list[str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def to_markdown(self) -> str:
        lines = [
            "# Person-level extract: re-identification risk",
            "",
            f"Population: {self.population}, {self.rows} people.",
            f"Quasi-identifiers: {', '.join(self.quasi_identifiers)}.",
            f"Sensitive column (l-diversity): `{self.sensitive_column}`.",
            f"Minimum k: {self.min_k}; counts from 1 to {self.threshold} are shown only as bands.",
            "",
            "| measure | before | after |",
            "| --- | --- | --- |",
            f"| k-anonymity (smallest class) | {self.k_before} | {self.k_after} |",
            f"| l-diversity of `{self.sensitive_column}` | {self.l_before} | {self.l_after} |",
            f"| equivalence classes | {self.classes_before} | {self.classes_after} |",
            "",
            f"Rows with every quasi-identifier suppressed: {self.rows_suppressed} ({self.suppressed_share}).",
            f"Classes whose people all share one `{self.sensitive_column}` value after: "
            f"{self.classes_with_one_sensitive_value_after}.",
            "",
            "Levels released:",
            "",
            *[f"- `{column}`: {level}" for column, level in self.levels.items()],
            "",
            "Generalisation steps, in order (rows still in classes below k after each; bits of entropy lost):",
            "",
            *(
                [
                    f"{i}. `{s['column']}` -> {s['to_level']} ({s['rows_at_risk_after']}; {s['bits_lost']})"
                    for i, s in enumerate(self.steps, 1)
                ]
                or ["none"]
            ),
            "",
            *[f"Note: {note}." for note in self.notes],
            "",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Extract:
    frame: pd.DataFrame
    report: RiskReport


def _classes(frame: pd.DataFrame, qis: Sequence[str]) -> int:
    return int(frame.groupby(list(qis), dropna=False).ngroups)


def build_extract(
    con: duckdb.DuckDBPyConnection,
    min_k: int,
    threshold: int = 7,
    population: str = "people",
    max_suppressed_share: float = 0.05,
    salt: bytes | None = None,
) -> Extract:
    """The evaluators' person-level extract from a published warehouse, generalised until k >= ``min_k``."""
    people = read_people(con, population)
    return extract_from_people(people, min_k, threshold, population, max_suppressed_share, salt)


def extract_from_people(
    people: pd.DataFrame,
    min_k: int,
    threshold: int = 7,
    population: str = "people",
    max_suppressed_share: float = 0.05,
    salt: bytes | None = None,
    quasi_identifiers: Sequence[str] = QUASI_IDENTIFIERS,
    sensitive: str = SENSITIVE_COLUMN,
) -> Extract:
    """Measure, generalise, suppress, re-key and measure again; refuse a result below ``min_k``."""
    if min_k < MIN_EXTRACT_K:
        raise ValueError(f"min_k must be {MIN_EXTRACT_K} or more")
    qis = list(quasi_identifiers)
    people = people.reset_index(drop=True)
    k_before = measure_k(people, qis)
    l_before = measure_l(people, qis, sensitive)
    classes_before = _classes(people, qis)
    result = anonymise(people, min_k, qis, max_suppressed_share=max_suppressed_share)
    frame = result.frame
    k_after = measure_k(frame, qis)
    l_after = measure_l(frame, qis, sensitive)
    if k_after < min_k:
        raise ExtractRiskError(f"the extract does not reach k >= {min_k} on {', '.join(qis)}; nothing is written")
    one_value = int((frame.groupby(qis, dropna=False)[sensitive].nunique() == 1).sum())
    frame = frame.copy()
    frame.insert(0, EXTRACT_KEY, rekey(frame.pop("person_key"), salt or secrets.token_bytes(32)))
    frame = frame[[c for c in EXTRACT_COLUMNS if c in frame.columns]]
    frame = frame.sort_values(EXTRACT_KEY, ignore_index=True)
    share = result.rows_suppressed / len(frame)
    report = RiskReport(
        population=population,
        rows=reportable(len(frame), threshold),
        min_k=min_k,
        threshold=threshold,
        max_suppressed_share=max_suppressed_share,
        quasi_identifiers=qis,
        sensitive_column=sensitive,
        k_before=reportable(k_before, threshold, min_k),
        l_before=l_before,
        classes_before=reportable(classes_before, threshold),
        k_after=reportable(k_after, threshold, min_k),
        l_after=l_after,
        classes_after=reportable(_classes(frame, qis), threshold),
        classes_with_one_sensitive_value_after=reportable(one_value, threshold),
        rows_suppressed=reportable(result.rows_suppressed, threshold),
        suppressed_share=(
            f"{share:.2%}"
            if result.rows_suppressed == 0 or result.rows_suppressed > threshold
            else f"at most {threshold / len(frame):.2%}"
        ),
        levels={c: HIERARCHIES[c][result.levels[c]].name for c in qis},
        steps=[{**asdict(s), "rows_at_risk_after": reportable(s.rows_at_risk_after, threshold)} for s in result.steps],
        meets_min_k=True,
        notes=[AREA_NOTE, KEY_NOTE, MATCHING_NOTE],
    )
    return Extract(frame, report)


def write_extract(extract: Extract, out_dir: Path, reports_dir: Path) -> list[Path]:
    """Write the extract (parquet and CSV) and its risk report (JSON and markdown); re-check k first."""
    qis = extract.report.quasi_identifiers
    if measure_k(extract.frame, qis) < extract.report.min_k:
        raise ExtractRiskError(f"refusing to write an extract below k = {extract.report.min_k}")
    out_dir.mkdir(parents=True, exist_ok=True)
    reports_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "person_extract.parquet", out_dir / "person_extract.csv"]
    extract.frame.to_parquet(written[0], index=False, **PARQUET_TIMESTAMPS)  # microseconds: readable by Spark too
    extract.frame.to_csv(written[1], index=False)
    for folder in dict.fromkeys([reports_dir, out_dir]):
        (folder / "extract_risk.json").write_text(extract.report.to_json())
        (folder / "extract_risk.md").write_text(extract.report.to_markdown())
        written += [folder / "extract_risk.json", folder / "extract_risk.md"]
    return written
