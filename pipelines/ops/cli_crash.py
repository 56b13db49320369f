"""``hfc bench crash``: kill ``hfc demo`` at random moments and check the re-run matches a clean run."""

from __future__ import annotations

import argparse
from pathlib import Path


def register_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "crash",
        help="kill `hfc demo` N times (SIGKILL, seeded moments in every stage), re-run, compare with a clean run",
    )
    bench.add_argument("--kills", type=int, default=10, help="how many kills (each one a killed run and a re-run)")
    bench.add_argument("--people", type=int, default=300, help="county size (small: every iteration is two runs)")
    bench.add_argument("--months", type=int, default=3, help="months of deliveries")
    bench.add_argument("--seed", type=int, default=42, help="the county's seed and the kill moments'")
    bench.add_argument("--jobs", type=int, default=1, help="kills run at a time, each in its own data directory")
    bench.add_argument("--minutes", type=float, default=None, help="start no kill after this many minutes")
    bench.add_argument(
        "--recheck", action="store_true", help="compare the kills kept in --work again (after fixing the comparison)"
    )
    bench.add_argument("--work", type=Path, default=None, help="working folder (default $TMPDIR/hfc-bench-crash)")
    bench.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.ops.crash import main

    return main(
        args.kills, args.people, args.months, args.seed, args.write, args.work, args.jobs, args.minutes, args.recheck
    )
