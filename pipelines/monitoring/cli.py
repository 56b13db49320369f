"""``hfc bench drift``. Light module: the benchmark imports pandas and Evidently only when it runs."""

from __future__ import annotations

import argparse
from pathlib import Path


def register_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("drift", help="Evidently drift report per delivery against plain numpy/scipy statistics")
    bench.add_argument("--data-dir", type=Path, help="data root to read (default HFC_DATA_DIR)")
    bench.add_argument("--deliveries", type=int, default=6, help="latest deliveries per feed to time (default 6)")
    bench.add_argument("--feed", action="append", help="a feed (repeatable); default every feed")
    bench.add_argument("--write", action="store_true", help="append a dated section to docs/benchmarks.md")
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.monitoring.bench import main

    return main(args)
