"""``hfc bench disclosure``: Tau-Argus (``pytauargus``) against our complementary suppression."""

from __future__ import annotations

import argparse
from pathlib import Path


def register_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "disclosure",
        help="secondary suppression of two-way tables by Tau-Argus (OPT, MOD) and by ours, each audited by the other",
    )
    bench.add_argument("--warehouse", type=Path, help="the published warehouse (default: HFC_WAREHOUSE_PATH)")
    bench.add_argument("--synthetic-only", action="store_true", help="skip the marts' tables")
    bench.add_argument(
        "--sizes", nargs="+", metavar="RxC", help="synthetic table sizes (default: 5x4 10x8 20x15 30x20)"
    )
    bench.add_argument("--seed", type=int, default=0, help="seed of the synthetic tables")
    bench.add_argument(
        "--protection",
        type=int,
        default=100,
        help="Tau-Argus's protection range for the frequency rule, in percent of the cell (default 100)",
    )
    bench.add_argument("--write", action="store_true", help="append a dated section to docs/benchmarks.md")
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.disclosure.bench import main

    return main(args)
