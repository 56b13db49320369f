"""``hfc extract``: a person-level extract for evaluators, generalised until k-anonymous, with its risk report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    extract = sub.add_parser(
        "extract",
        help="a person-level extract for evaluators (parquet + CSV), k-anonymous on age band, sex, ethnicity and "
        "IMD (HFC_EXTRACT_MIN_K, default 5), with its risk report in data/reports/extract_risk.{json,md}",
    )
    extract.add_argument("--out", type=Path, required=True, help="folder for person_extract.{parquet,csv}")
    extract.add_argument(
        "--population",
        choices=("people", "intervention"),
        default="people",
        help="everyone in marts.dim_person (default), or only people with an intervention episode",
    )
    extract.add_argument(
        "--max-suppressed-share",
        type=float,
        default=0.05,
        help="generalise until at most this share of rows needs local suppression (default 0.05)",
    )
    extract.add_argument("--warehouse", type=Path, help="the published warehouse (default: HFC_WAREHOUSE_PATH)")
    extract.set_defaults(func=_extract)


def _extract(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.disclosure.extracts import ExtractRiskError, build_extract, write_extract
    from pipelines.settings import disclosure_threshold, extract_min_k, warehouse_path, zones

    try:
        min_k = extract_min_k()
        threshold = disclosure_threshold()
    except ValueError as exc:
        sys.stderr.write(f"hfc extract: {exc}\n")
        return 2
    path = args.warehouse or warehouse_path()
    if not path.exists():
        sys.stderr.write(f"hfc extract: no published warehouse at {path}\n")
        return 1
    con = duckdb.connect(str(path), read_only=True)
    try:
        extract = build_extract(
            con, min_k, threshold, population=args.population, max_suppressed_share=args.max_suppressed_share
        )
        written = write_extract(extract, args.out, zones().reports)
    except (ExtractRiskError, ValueError) as exc:
        sys.stderr.write(f"hfc extract: {exc}\n")
        return 1
    finally:
        con.close()
    report = extract.report
    sys.stdout.write(
        f"extract: {report.rows} people, k {report.k_after} (min {report.min_k}), l {report.l_after}, "
        f"suppressed {report.suppressed_share}\n"
    )
    sys.stdout.writelines(f"  {path}\n" for path in written)
    return 0
