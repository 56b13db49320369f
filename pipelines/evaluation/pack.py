"""``hfc export-evaluation-pack``: a frozen, versioned snapshot an independent evaluator can check the estimates on.

What a pack holds (``README.md`` inside says the same to its reader):

- ``tables/``: the published evaluation marts as parquet: ``estimates``, ``balance``, ``its_estimates``, and
  ``area_months`` (locality-month demand, for the time series) when none of its counts is from 1 to the disclosure
  threshold (otherwise it is left out and the pack says so);
- ``analysis/``: the person-level pseudonymous inputs of the person-level designs, for the people in a matched set
  only (every treated person and their matched comparisons; the rest of the pool is not exported: data
  minimisation): ``person_months``, ``episodes``, ``scores`` and ``comparison_matches``;
- ``linkage_quality.parquet`` (rates, and counts only where above the threshold), ``data_dictionary.{json,md}``
  (every column of every file, from the dbt project's descriptions), ``versions.json`` (code commit, data version,
  package versions), ``code/`` (the evaluation's own modules), ``reproduce.py`` and ``manifest.json`` (the SHA-256
  of every file).

Risk: person keys are re-keyed for the pack (HMAC-SHA256 under a salt drawn for this pack and never written down),
so the pack joins to no other file. The quasi-identifiers the estimates use (age group, sex, ethnicity group, IMD
quintile, disability, neurodivergence) are measured for k-anonymity over the pack's people (pycanon, as ``hfc
extract`` does) and generalised along the same hierarchies until every class has at least ``HFC_EXTRACT_MIN_K``
people; the home locality is not exported (it is coarse, but with the IMD decile it can narrow a home). A subgroup
estimate whose dimension had to be generalised cannot be re-created from the pack; ``reproduce.py`` says which rows
it re-created exactly and which it could not, and why.

``reproduce.py`` runs the pack's own ``code/`` on the pack's own files (it puts ``code/`` first on the import path
and reads nothing else) with the matches as published, and compares every estimate with ``tables/estimates``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.ingest.landing import file_sha256 as sha256
from pipelines.ops.atomic import PARQUET_TIMESTAMPS
from pipelines.settings import REPO_ROOT

PACK_FORMAT = 1
AGGREGATE_TABLES = ("estimates", "balance", "its_estimates")
AREA_TABLE = "area_months"
AREA_COUNTS = (
    "police_mental_health_incidents",
    "ambulance_calls",
    "ed_attendances",
    "crisis_contacts",
    "s136_detentions",
    "people_known",
)
ANALYSIS_TABLES = ("person_months", "episodes", "scores", "comparison_matches")
PERSON_COLUMNS = {
    "person_months": ("person_key",),
    "episodes": ("person_key",),
    "scores": ("person_key",),
    "comparison_matches": ("treated_person_key", "comparison_person_key"),
}
QUASI_IDENTIFIERS = ("age_group", "sex", "ethnicity_group", "imd_quintile", "has_disability", "is_neurodivergent")
DROPPED_COLUMNS = ("locality_code",)
KEY_DOMAIN = b"hfc-outcomes/evaluation-pack/person-key/v1\x00"
CODE_MODULES = ("__init__.py", "config.py", "matching.py", "balance.py", "estimates.py", "fepois.py")
PACKAGES = ("duckdb", "pandas", "numpy", "pyarrow", "pyfixest", "statsmodels", "scipy", "dbt-core", "dagster")
SUPPRESSED = "*"


class PackRefused(RuntimeError):
    """The pack could not be written safely (no evaluation schema, or its risk could not be brought to k)."""


@dataclass
class PackReport:
    out: Path
    files: int = 0
    people: int | str = 0
    k: int = 0
    min_k: int = 0
    generalised: dict[str, str] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"evaluation pack: {self.out}",
            f"  {self.files} files, manifest.json with the SHA-256 of each",
            f"  people in the analysis files: {self.people}; k-anonymity {self.k} (minimum {self.min_k})",
        ]
        out += [f"  generalised: {q} -> {level}" for q, level in self.generalised.items()]
        out += [f"  left out: {why}" for why in self.left_out]
        out.append(f"  re-create the estimates: python {self.out / 'reproduce.py'}")
        return out


def _rekey(values: pd.Series, salt: bytes) -> pd.Series:
    import hmac

    cache: dict[str, str] = {}

    def one(key: object) -> object:
        if key is None or (isinstance(key, float) and pd.isna(key)):
            return None
        text = str(key)
        if text not in cache:
            cache[text] = "e" + hmac.new(salt, KEY_DOMAIN + text.encode(), hashlib.sha256).hexdigest()[:32]
        return cache[text]

    return values.map(one)


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def analysis_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The person-level inputs of the estimates (every linkage): every person with an episode (the treated, matched
    or not: the naive estimate uses them all) and every matched comparison; nobody else from the pool."""
    matches = _read(con, "select * from evaluation.comparison_matches")
    people = _read(
        con,
        "select distinct linkage, treated_person_key as person_key from evaluation.comparison_matches "
        "union select distinct linkage, comparison_person_key from evaluation.comparison_matches "
        "where comparison_person_key is not null "
        "union select distinct linkage, person_key from evaluation.evaluation_episodes",
    )
    con.register("pack_people", people)
    try:
        found = {
            table: _read(con, f"select t.* from evaluation.{source} t join pack_people using (linkage, person_key)")
            for table, source in (
                ("person_months", "evaluation_person_months"),
                ("episodes", "evaluation_episodes"),
                ("scores", "evaluation_scores"),
            )
        }
    finally:
        con.unregister("pack_people")
    return {**found, "comparison_matches": matches}


def _as_level(values: pd.Series) -> pd.Series:
    """A quasi-identifier as the estimator labels it: text, booleans as 'true'/'false', a blank as 'not_known'."""
    from pipelines.evaluation.matching import _level

    return pd.Series(_level(values), index=values.index, dtype=object)


def _hierarchies() -> dict[str, tuple[Any, ...]]:
    from pipelines.disclosure.extracts import ETHNICITY_BROAD, ETHNICITY_MERGED, Level, _identity, _keep_recorded

    def suppress(_: str) -> str:
        return SUPPRESSED

    def keep(name: str) -> tuple[Any, ...]:
        return (Level(name, _identity), Level("suppressed", suppress))

    return {
        "age_group": keep("age group (16-24, 25-44, 45-64, 65+)"),
        "sex": keep("sex"),
        "ethnicity_group": (
            Level("ethnicity group (ONS 2021 high-level groups)", _identity),
            Level("mixed and other ethnic groups merged", _keep_recorded(ETHNICITY_MERGED)),
            Level("White / Asian, Black, mixed or other", _keep_recorded(ETHNICITY_BROAD)),
            Level("suppressed", suppress),
        ),
        "imd_quintile": keep("IMD quintile"),
        "has_disability": keep("disability"),
        "is_neurodivergent": keep("neurodivergence"),
    }


@dataclass(frozen=True)
class Protected:
    months: pd.DataFrame
    k: int
    generalised: dict[str, str]
    rows_suppressed: int


def protect_people(months: pd.DataFrame, min_k: int) -> Protected:
    """The panel as the pack holds it: the age group in place of the age band, every quasi-identifier as the
    estimator labels it, one value per person (their last month's), generalised until every class of the pack's
    standard-linkage people has ``min_k`` people (``pipelines.disclosure.extracts.anonymise``). A person who exists
    only under another linkage (a split or merge) has every quasi-identifier suppressed."""
    from pipelines.disclosure.extracts import ExtractRiskError, anonymise, measure_k
    from pipelines.evaluation.config import age_group

    out = months.drop(columns=[c for c in DROPPED_COLUMNS if c in months.columns]).copy()
    out["age_band"] = out["age_band"].map(age_group)
    for q in QUASI_IDENTIFIERS[1:]:
        out[q] = _as_level(out[q])
    ordered = out.sort_values(["linkage", "person_key", "month_index"])
    last = ordered.groupby(["linkage", "person_key"], sort=False).tail(1)
    standard = last[last["linkage"] == "standard"].rename(columns={"age_band": "age_group"}).reset_index(drop=True)
    if standard.empty:
        return Protected(out, 0, {}, 0)
    try:
        result = anonymise(standard[list(QUASI_IDENTIFIERS)], min_k, QUASI_IDENTIFIERS, _hierarchies())
    except ExtractRiskError as exc:
        raise PackRefused(f"the pack's people cannot be made {min_k}-anonymous: {exc}") from None
    recoded = result.frame[list(QUASI_IDENTIFIERS)].set_axis(standard["person_key"].to_numpy(), axis=0)
    for q in QUASI_IDENTIFIERS:
        column = "age_band" if q == "age_group" else q
        out[column] = out["person_key"].map(recoded[q]).fillna(SUPPRESSED).astype(object)
    k = measure_k(result.frame, list(QUASI_IDENTIFIERS))
    generalised = {step.column: step.to_level for step in result.steps}
    return Protected(out, int(k), generalised, int(result.rows_suppressed))


def _dictionary(columns: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Column descriptions from the dbt project's manifest (compiled by the build), by table name."""
    manifest = REPO_ROOT / "dbt_project" / "target" / "manifest.json"
    described: dict[str, dict[str, str]] = {}
    if manifest.exists():
        nodes = json.loads(manifest.read_text()).get("nodes", {})
        for node in nodes.values():
            if node.get("resource_type") == "model":
                described[node["name"]] = {
                    "": node.get("description", ""),
                    **{c: v.get("description", "") for c, v in node.get("columns", {}).items()},
                }
    source = {
        "person_months": "evaluation_person_months",
        "episodes": "evaluation_episodes",
        "scores": "evaluation_scores",
        "comparison_matches": "comparison_matches",
    }
    out: dict[str, dict[str, str]] = {}
    for table, cols in columns.items():
        d = described.get(source.get(table, table), {})
        out[table] = {"": d.get("", "")} | {c: d.get(c, "") for c in cols}
    return out


def _versions(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    from pipelines.disclosure.release import code_version, data_version

    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    return {"code": code_version(), "data": data_version(con), "packages": packages}


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False, **PARQUET_TIMESTAMPS)  # microseconds: readable by Spark too


README = """# Evaluation pack

A frozen snapshot of the hfc-outcomes evaluation: the published estimates, their person-level inputs
(pseudonymous, re-keyed for this pack only), the data dictionary, linkage quality, versions and the code.

- `tables/`: `evaluation.estimates`, `balance`, `its_estimates` (and `area_months` when it is safe to share).
- `analysis/`: the matched people's monthly counts, episodes, scores and matches (only people in a matched set).
- `data_dictionary.md`: every column.  `versions.json`: code commit, data version, packages.
- `reproduce.py`: re-creates `tables/estimates.parquet` from `analysis/` with `code/` alone:
  `python reproduce.py` (needs pandas, numpy, pyarrow, pyfixest and statsmodels at the versions in versions.json).
- `manifest.json`: the SHA-256 of every file; check it before use.

Designs, assumptions and threats: docs/evaluation.md of the hfc-outcomes repository (copied here as
`evaluation.md`). Person keys join to no other file. Quasi-identifiers generalised for k-anonymity are listed in
`manifest.json` under `risk`; subgroup estimates on a generalised dimension cannot be re-created from this pack.
"""


def write_pack(warehouse: Path, out: Path, *, threshold: int, min_k: int, salt: bytes | None = None) -> PackReport:
    """Write the pack to ``out`` (replaced when it exists): staged beside it, moved in place when complete."""
    out = Path(out)
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    report = PackReport(out=out, min_k=min_k)
    salt = salt or secrets.token_bytes(32)
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
            if "evaluation" not in schemas:
                raise PackRefused(f"{warehouse} has no evaluation schema: run the pipeline first")
            columns: dict[str, list[str]] = {}
            for table in AGGREGATE_TABLES:
                frame = _read(con, f"select * from evaluation.{table}")
                _write_parquet(frame, staging / "tables" / f"{table}.parquet")
                columns[table] = list(frame.columns)
            area = _read(con, f"select * from evaluation.{AREA_TABLE}")
            small = [c for c in AREA_COUNTS if c in area and ((area[c] > 0) & (area[c] <= threshold)).any()]
            if small:
                report.left_out.append(
                    f"tables/{AREA_TABLE}: its columns {', '.join(small)} hold counts from 1 to the threshold; the "
                    "interrupted time series cannot be re-created from the pack"
                )
            else:
                _write_parquet(area, staging / "tables" / f"{AREA_TABLE}.parquet")
                columns[AREA_TABLE] = list(area.columns)
            inputs = analysis_inputs(con)
            risk = protect_people(inputs["person_months"], min_k)
            inputs["person_months"] = risk.months
            for table, frame in inputs.items():
                frame = frame.drop(columns=[c for c in DROPPED_COLUMNS if c in frame.columns])
                for col in PERSON_COLUMNS[table]:
                    frame[col] = _rekey(frame[col], salt)
                if "intervention_episode_key" in frame:
                    frame["intervention_episode_key"] = _rekey(frame["intervention_episode_key"], salt)
                if "match_set" in frame:
                    frame["match_set"] = _rekey(frame["match_set"], salt)
                if "assessment_key" in frame:
                    frame["assessment_key"] = _rekey(frame["assessment_key"], salt)
                _write_parquet(frame, staging / "analysis" / f"{table}.parquet")
                columns[table] = list(frame.columns)
            quality = _read(con, "select * from marts.linkage_quality")
            for col in ("records", "true_pairs", "predicted_pairs", "true_positive_pairs"):
                if col in quality:
                    quality[col] = quality[col].where(~((quality[col] > 0) & (quality[col] <= threshold)))
            _write_parquet(quality, staging / "linkage_quality.parquet")
            columns["linkage_quality"] = list(quality.columns)
            versions = _versions(con)
        panel = inputs["person_months"]
        people = int(panel.loc[panel["linkage"] == "standard", "person_key"].nunique())
        report.people = people if people == 0 or people > threshold else f"at most {threshold}"
        report.k = risk.k
        report.generalised = dict(risk.generalised)
        if risk.rows_suppressed:
            report.generalised["local suppression"] = "every quasi-identifier of the people left in small classes"
        dictionary = _dictionary(columns)
        (staging / "data_dictionary.json").write_text(json.dumps(dictionary, indent=2, sort_keys=True) + "\n")
        md = ["# Data dictionary", ""]
        for table, cols in dictionary.items():
            md += [f"## {table}", "", cols.get("", ""), "", "| column | description |", "|---|---|"]
            md += [f"| `{c}` | {d.replace('|', '/')} |" for c, d in cols.items() if c]
            md.append("")
        (staging / "data_dictionary.md").write_text("\n".join(md))
        (staging / "versions.json").write_text(json.dumps(versions, indent=2, sort_keys=True) + "\n")
        code = staging / "code" / "pipelines" / "evaluation"
        code.mkdir(parents=True)
        (staging / "code" / "pipelines" / "__init__.py").write_text('"""The evaluation code of hfc-outcomes."""\n')
        here = Path(__file__).parent
        for module in CODE_MODULES:
            shutil.copy2(here / module, code / module)
        shutil.copy2(here / "reproduce_estimates.py", staging / "reproduce.py")
        guide = REPO_ROOT / "docs" / "evaluation.md"
        if guide.exists():
            shutil.copy2(guide, staging / "evaluation.md")
        (staging / "README.md").write_text(README)
        files = {
            str(p.relative_to(staging)): {"sha256": sha256(p), "bytes": p.stat().st_size}
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        manifest = {
            "pack_format": PACK_FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "disclosure_threshold": threshold,
            "risk": {
                "quasi_identifiers": list(QUASI_IDENTIFIERS),
                "min_k": min_k,
                "k": report.k,
                "generalised": report.generalised,
                "not_exported": list(DROPPED_COLUMNS),
                "keys": "re-keyed for this pack under a salt that is not kept: they join to no other file",
            },
            "left_out": report.left_out,
            "versions": versions,
            "files": files,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        report.files = len(files) + 1
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)
