"""A release of the dashboards' tables, and the check that must pass before anything leaves the warehouse.

``write_release`` (``hfc release --out DIR``) writes every ``dash_*`` table of the published warehouse as CSV and
parquet, the tables' relations (``relations.json``, so the release can be audited on its own), and a manifest: the
rule, the threshold, the rounding base, the code and data versions and the SHA-256 of every file. It writes into a
staging folder, runs ``check_release`` on it, and only then moves it into place: a release that fails is not
written.

``check_release`` (``hfc check-release DIR``) needs nothing but the folder: it verifies each file's hash against the
manifest and that each table's CSV says what its parquet says, checks the rule's three properties on every table,
and runs the differencing audit over all of them at once. Its report (``release_check.json`` and ``.md`` in
``data/reports/release/``) names each failing table and cell, never a count below the threshold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.disclosure.acro_compare import compare_with_acro
from pipelines.disclosure.audit import AuditResult, audit
from pipelines.disclosure.check import COMPLEMENTARY, GROUPED, PRIMARY, STATISTIC_WITHHELD, disclosure_failures
from pipelines.disclosure.relations import DeclarationError, TableSpec, project_specs, read_specs, write_specs
from pipelines.disclosure.secondary import DASHBOARDS_SCHEMA, dash_tables, load
from pipelines.ingest.landing import file_sha256 as sha256
from pipelines.settings import REPO_ROOT

MANIFEST = "manifest.json"
RELATIONS = "relations.json"
RULE_TEXT = (
    "A count of 1 to the threshold is suppressed (null, with its reason); every other count is rounded to the nearest "
    "multiple of the rounding base (halves up); a true zero is shown; a mean, median or percentage is shown only "
    "where the count behind it survives; further cells are suppressed (suppressed_complementary) wherever the "
    "differencing audit finds a suppressed cell a reader could narrow to fewer values than a rounded count carries."
)


class ReleaseRefused(RuntimeError):
    """The release failed its check and was not written."""


@dataclass
class CheckReport:
    release: str
    threshold: int
    rounding_base: int
    tables: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    audit: AuditResult | None = None
    acro: Mapping[str, int] | None = None

    @property
    def passed(self) -> bool:
        return not self.problems and self.audit is not None and self.audit.passed

    def to_json(self) -> dict[str, Any]:
        audit_json: dict[str, Any] | None = None
        if self.audit is not None:
            audit_json = {
                "passed": self.audit.passed,
                "cells": self.audit.cells,
                "suppressed_by_the_rule": self.audit.suppressed,
                "suppressed_complementary": self.audit.complementary,
                "suppressed_small_group": self.audit.grouped,
                "related_groups": self.audit.components,
                "linear_programmes_solved": self.audit.programmes,
                "protection_values": self.audit.protection_values,
                "recoverable_cells": [f.describe() for f in self.audit.findings],
            }
        return {
            "release": self.release,
            "passed": self.passed,
            "threshold": self.threshold,
            "rounding_base": self.rounding_base,
            "tables": self.tables,
            "rows": self.rows,
            "problems": self.problems,
            "differencing_audit": audit_json,
            "acro_comparison": dict(self.acro) if self.acro is not None else None,
        }

    def to_markdown(self) -> str:
        lines = [
            "# Release check",
            "",
            f"Release: `{self.release}`  ",
            f"Result: **{'passed' if self.passed else 'FAILED'}**  ",
            f"Rule: threshold {self.threshold}, rounding base {self.rounding_base}; {self.tables} tables, "
            f"{self.rows} rows.",
            "",
        ]
        if self.audit is not None:
            a = self.audit
            lines += [
                "## Differencing audit",
                "",
                f"{a.cells} cells, {a.suppressed} suppressed by the rule and {a.complementary} suppressed to protect "
                f"them ({a.grouped} more withheld with their small group), in {a.components} groups of related "
                f"cells; {a.programmes} linear programmes solved. A "
                f"suppressed cell passes when every table together leaves it at least {a.protection_values} "
                "possible values.",
                "",
            ]
            if a.findings:
                lines += ["Cells a reader could narrow too far (table, column and coordinates only):", ""]
                lines += [f"- {f.describe()}" for f in a.findings]
                lines.append("")
        if self.acro is not None:
            lines += [
                "## ACRO, a second checker",
                "",
                "Cells of a sample of tables that ACRO recomputed from the marts, by how its verdict compares with "
                "ours (numbers of cells; the disagreeing cells are named in `acro_comparison.md`):",
                "",
                *[f"- {name}: {n}" for name, n in sorted(self.acro.items())],
                "",
            ]
        if self.problems:
            lines += ["## Problems", "", *[f"- {p}" for p in self.problems], ""]
        return "\n".join(lines)


def code_version() -> dict[str, Any]:
    """The commit the release was made from (and whether the tree had changes), or the package version."""
    from importlib.metadata import version

    found: dict[str, Any] = {"package": version("hfc-outcomes")}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        found |= {"git_commit": commit, "uncommitted_changes": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        found["git_commit"] = None
    return found


def data_version(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Which deliveries the warehouse holds: a hash of every loaded file's feed, period, status and content hash."""
    rows = con.execute(
        "select feed, delivery_period, load_status, content_sha256 from marts.load_audit order by all"
    ).fetchall()
    digest = hashlib.sha256(json.dumps([[str(v) for v in r] for r in rows]).encode()).hexdigest()
    return {"deliveries": len(rows), "deliveries_sha256": digest}


def _path_literal(path: Path) -> str:
    """A path as a SQL string literal (a release folder may have a quote in its name)."""
    return "'" + str(path).replace("'", "''") + "'"


def _load_release(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[str]) -> list[str]:
    """The release's parquet files as schema ``dashboards`` and its CSVs as ``release_csv``; any difference found."""
    problems = []
    con.execute(f"create schema {DASHBOARDS_SCHEMA}")
    con.execute("create schema release_csv")
    for table in tables:
        parquet, csv = folder / f"{table}.parquet", folder / f"{table}.csv"
        for path in (parquet, csv):
            if not path.exists():
                problems.append(f"{path.name} is missing")
        if not parquet.exists():
            continue
        con.execute(f'create table {DASHBOARDS_SCHEMA}."{table}" as from read_parquet({_path_literal(parquet)})')
        if not csv.exists():
            continue
        types = con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [DASHBOARDS_SCHEMA, table],
        ).fetchall()
        columns = ", ".join(f"'{c}': '{t}'" for c, t in types)
        con.execute(
            f'create table release_csv."{table}" as from read_csv({_path_literal(csv)}, header = true, '
            f"columns = {{{columns}}})"
        )
        differ = con.execute(
            f'select count(*) from ((from {DASHBOARDS_SCHEMA}."{table}" except all from release_csv."{table}") '
            f'union all (from release_csv."{table}" except all from {DASHBOARDS_SCHEMA}."{table}"))'
        ).fetchone()
        if differ and differ[0]:
            problems.append(f"{table}: the CSV and the parquet file differ")
    return problems


def check_release(folder: Path, threshold: int | None = None, rounding_base: int | None = None) -> CheckReport:
    """Check a release folder on its own: hashes, formats, the rule on every cell, and the differencing audit."""
    from pipelines.settings import disclosure_rounding_base, disclosure_threshold

    folder = Path(folder)
    manifest: dict[str, Any] = {}
    problems: list[str] = []
    if (folder / MANIFEST).exists():
        manifest = json.loads((folder / MANIFEST).read_text())
    else:
        problems.append(f"{MANIFEST} is missing")
    rule = manifest.get("rule", {})
    # a release is held to the stricter of what it claims and what this installation requires
    threshold = max(threshold or disclosure_threshold(), int(rule.get("threshold", 0)))
    rounding_base = max(rounding_base or disclosure_rounding_base(), int(rule.get("rounding_base", 0)))
    report = CheckReport(str(folder), threshold, rounding_base)
    for name, expected in (manifest.get("files") or {}).items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} is listed in the manifest but missing")
        elif sha256(path) != expected["sha256"]:
            problems.append(f"{name} does not match its SHA-256 in the manifest")
    listed = set(manifest.get("files") or {})
    for path in sorted(folder.iterdir()):
        if path.name != MANIFEST and manifest and path.name not in listed:
            problems.append(f"{path.name} is in the release but not in its manifest")
    try:
        specs = read_specs(folder / RELATIONS)
    except (DeclarationError, ValueError) as exc:
        report.problems = [*problems, str(exc)]
        return report
    tables = sorted({p.stem for p in folder.glob("dash_*.parquet")} | {p.stem for p in folder.glob("dash_*.csv")})
    report.tables = len(tables)
    with duckdb.connect(":memory:") as con:
        problems += _load_release(con, folder, tables)
        present = dash_tables(con, DASHBOARDS_SCHEMA)
        report.rows = sum(
            int(con.execute(f'select count(*) from {DASHBOARDS_SCHEMA}."{t}"').fetchone()[0]) for t in present
        )
        statistics = {t: dict(s.statistics) for t, s in specs.items()}
        problems += disclosure_failures(con, threshold, rounding_base, statistics, DASHBOARDS_SCHEMA)
        try:
            published = load(con, specs, threshold, rounding_base, DASHBOARDS_SCHEMA)
            report.audit = audit(published)
        except (DeclarationError, RuntimeError) as exc:
            problems.append(str(exc))
    report.problems = problems
    return report


def write_reports(report: CheckReport, reports: Path) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "release_check.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    (reports / "release_check.md").write_text(report.to_markdown())
    return reports / "release_check.md"


def write_release(
    warehouse: Path, out: Path, reports: Path | None = None, specs: Mapping[str, TableSpec] | None = None
) -> CheckReport:
    """Write every dash table of ``warehouse`` to ``out`` with relations and a manifest, if it passes its check."""
    from pipelines.settings import disclosure_rounding_base, disclosure_threshold, zones

    reports = reports or zones().reports / "release"
    threshold, rounding_base = disclosure_threshold(), disclosure_rounding_base()
    out = Path(out)
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            tables = dash_tables(con, DASHBOARDS_SCHEMA)
            specs = dict(specs) if specs is not None else project_specs()
            for table in tables:
                source = f'{DASHBOARDS_SCHEMA}."{table}"'
                parquet, csv = _path_literal(staging / f"{table}.parquet"), _path_literal(staging / f"{table}.csv")
                con.execute(f"copy (from {source}) to {parquet} (format parquet)")
                con.execute(f"copy (from {source}) to {csv} (format csv, header true)")
            versions = {"code": code_version(), "data": data_version(con)}
            acro = compare_with_acro(con, threshold, rounding_base)
        reports.mkdir(parents=True, exist_ok=True)
        (reports / "acro_comparison.json").write_text(json.dumps(acro.to_json(), indent=2) + "\n")
        (reports / "acro_comparison.md").write_text(acro.to_markdown())
        write_specs({t: specs[t] for t in tables if t in specs}, staging / RELATIONS)
        files = {
            p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in sorted(staging.iterdir()) if p.is_file()
        }
        manifest = {
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rule": {
                "text": RULE_TEXT,
                "threshold": threshold,
                "rounding_base": rounding_base,
                "reasons": {
                    PRIMARY: "a count of 1 to the threshold",
                    COMPLEMENTARY: "withheld so that a suppressed cell cannot be worked out from the others",
                    GROUPED: "0 to the threshold, withheld with the other small counts of its group (which are 0 is "
                    "not said) because no withheld number could protect them",
                    STATISTIC_WITHHELD: "a statistic whose count is suppressed",
                },
                "documentation": "docs/disclosure.md",
            },
            "versions": versions,
            "tables": tables,
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        report = check_release(staging, threshold, rounding_base)
        report.release = str(out)
        report.acro = acro.totals()
        if acro.serious:
            where = reports / "acro_comparison.md"
            report.problems.append(f"ACRO finds {acro.serious} published cells unsafe by the threshold: see {where}")
        write_reports(report, reports)
        if not report.passed:
            raise ReleaseRefused(
                f"the release failed its check and was not written: see {reports / 'release_check.md'}"
            )
        # Swap with two renames, keeping the old release until the new one is in: a kill between them leaves the
        # old release as `.<name>.previous`, which the next run's recovery puts back (pipelines/ops/recovery.py).
        previous = out.with_name(f".{out.name}.previous")
        shutil.rmtree(previous, ignore_errors=True)
        if out.exists():
            out.rename(previous)
        staging.rename(out)
        shutil.rmtree(previous, ignore_errors=True)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)
