"""``hfc release`` and ``hfc check-release``: what leaves the warehouse, and the check it must pass first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    release = sub.add_parser(
        "release",
        help="write every dash_* table (CSV and parquet) with its relations and a manifest, if it passes the audit",
    )
    release.add_argument("--out", type=Path, required=True, help="the release folder (replaced if it exists)")
    release.add_argument("--warehouse", type=Path, help="the published warehouse (default: warehouse/outcomes.duckdb)")
    release.set_defaults(func=_release)
    check = sub.add_parser(
        "check-release",
        help="check a release folder on its own: hashes, the rule on every cell, and the differencing audit",
    )
    check.add_argument("folder", type=Path)
    check.set_defaults(func=_check)


def _release(args: argparse.Namespace) -> int:
    from pipelines.disclosure.release import ReleaseRefused, write_release
    from pipelines.settings import warehouse_path

    try:
        report = write_release(args.warehouse or warehouse_path(), args.out)
    except ReleaseRefused as exc:
        sys.stderr.write(f"hfc release: {exc}\n")
        return 1
    sys.stdout.write(f"hfc release: {report.tables} tables written to {args.out}; the check passed\n")
    return 0


def _check(args: argparse.Namespace) -> int:
    from pipelines.disclosure.release import check_release, write_reports
    from pipelines.settings import zones

    report = check_release(args.folder)
    where = write_reports(report, zones().reports / "release")
    if report.passed:
        sys.stdout.write(f"hfc check-release: passed ({report.tables} tables); report: {where}\n")
        return 0
    sys.stderr.write(f"hfc check-release: FAILED; report: {where}\n")
    for problem in report.problems:
        sys.stderr.write(f"  {problem}\n")
    if report.audit is not None:
        for finding in report.audit.findings:
            sys.stderr.write(f"  a reader could narrow {finding.describe()}\n")
    return 1
