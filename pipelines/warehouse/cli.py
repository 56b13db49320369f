"""``hfc docs``, ``hfc sql`` and ``hfc bench dbt``: the warehouse's own commands."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("docs", help="build the dbt docs (the data dictionary) as one offline page in data/reports")
    docs.add_argument("--out", type=Path, help="folder for index.html (default: data/reports/dbt_docs)")
    docs.set_defaults(func=_docs)

    sql = sub.add_parser("sql", help="a read-only SQL prompt on the published warehouse (-c QUERY for one query)")
    sql.add_argument("-c", dest="query", metavar="QUERY", help="run one query, print its result and exit")
    sql.add_argument("--warehouse", type=Path, help="the DuckDB file (default: the published warehouse)")
    sql.add_argument("--csv", action="store_true", help="print results as CSV instead of a text table")
    sql.add_argument("--max-rows", type=int, default=100, help="rows shown in a text table (default 100)")
    sql.set_defaults(func=_sql)


def register_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("dbt", help="time the demo county's dbt build, with dbt's own overhead beside query time")
    bench.add_argument("--runs", type=int, default=3, help="builds to time (the median is reported)")
    bench.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    bench.set_defaults(func=_bench)


def _docs(args: argparse.Namespace) -> int:
    from pipelines.warehouse.docs import DocsError, build_docs

    try:
        index = build_docs(args.out)
    except DocsError as exc:
        sys.stderr.write(f"hfc docs: {exc}\n")
        return 1
    sys.stdout.write(f"dbt docs (offline, one page): {index}\nopen it in a browser: file://{index}\n")
    return 0


def _sql(args: argparse.Namespace) -> int:
    from pipelines.warehouse.sql import main

    return main(args)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.warehouse.bench import main

    return main(args)
