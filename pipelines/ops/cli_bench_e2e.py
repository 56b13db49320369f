"""``hfc bench e2e``. Light module: the benchmark imports Dagster only when it runs."""

from __future__ import annotations

import argparse
import sys

from pipelines.settings import REPO_ROOT


def register_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "e2e",
        help="the whole pipeline in a fresh data dir, stage by stage: wall time, peak memory, a profile of the slowest",
        description="Runs hfc synth and hfc demo in a fresh temporary data dir and reads each stage's time from "
        "Dagster's event log; samples the process tree's memory from /proc. docs/operations.md, 'Speed and memory'.",
    )
    bench.add_argument("--people", type=int, default=20_000, help="people in the county at scale 1 (20000)")
    bench.add_argument("--months", type=int, default=24, help="months of deliveries (24)")
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--scale", default="1", help="comma-separated multiples of --people to run in turn (1; 1,10)")
    bench.add_argument("--profile", action="store_true", help="sample the pipeline's stack; profile the slowest stage")
    bench.add_argument("--write", action="store_true", help="append a dated section to docs/benchmarks.md")
    bench.add_argument("--workdir", default="/tmp", help="where the temporary data dirs go (/tmp)")
    bench.add_argument("--out", default=str(REPO_ROOT / "data" / "reports" / "bench_e2e"), help="results and profiles")
    bench.add_argument("--keep", action="store_true", help="keep the temporary data dir (default: removed)")
    bench.add_argument(
        "--from-instance",
        metavar="DAGSTER_HOME",
        help="instead of running: per-stage times of a finished (or running) run from a copy of its Dagster instance",
    )
    bench.add_argument("--time-log", metavar="LOG", help="with --from-instance: a log ending in /usr/bin/time -v")
    bench.add_argument("--analyse", metavar="RAW.json", help="the table again from a --keep run's e2e-N.raw.json")
    bench.add_argument(
        "--samples", metavar="FILE", help="with --analyse or --from-instance: memory and CPU samples (--sample-tree)"
    )
    bench.add_argument(
        "--profile-delivery",
        metavar="FEED:PERIOD",
        help="instead of running: cProfile one delivery's pseudonymisation and de-identification (with --data-dir)",
    )
    bench.add_argument("--data-dir", help="with --profile-delivery: a data root holding that delivery's accepted rows")
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.ops.bench_e2e import main

    args.argv_text = _argv_after("e2e")
    return main(args)


def _argv_after(word: str) -> list[str]:
    argv = sys.argv[1:]
    return argv[argv.index(word) + 1 :] if word in argv else []
