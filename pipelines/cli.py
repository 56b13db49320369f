"""``hfc``: the one command line for everything a user or a test drives by hand.

Each area registers its own subcommands (``register(subparsers)``) in a light module, so that
``hfc --help`` stays fast and heavy libraries load only for the command that needs them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from pipelines.dashboard import cli as dashboard_cli
    from pipelines.disclosure import cli as disclosure_cli
    from pipelines.disclosure import cli_bench as disclosure_bench
    from pipelines.disclosure import cli_extract
    from pipelines.evaluation import cli as evaluation_cli
    from pipelines.linkage import cli as linkage_cli
    from pipelines.monitoring import cli as monitoring_cli
    from pipelines.ops import cli_audit, cli_bench_e2e, cli_crash, cli_keys
    from pipelines.privacy import cli as privacy_cli
    from pipelines.synth import cli as synth_cli
    from pipelines.warehouse import cli as warehouse_cli

    parser = argparse.ArgumentParser(prog="hfc", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole pipeline on the synthetic county (what `make run` does)")
    demo.add_argument("--people", type=int, default=20_000, help="county size, if the landing zone is empty")
    demo.add_argument("--months", type=int, default=24, help="months of deliveries, if the landing zone is empty")
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(func=_demo)
    backfill = sub.add_parser(
        "backfill", help="(re)load deliveries already in data/landing, by feed and period, then rebuild"
    )
    backfill.add_argument("--feed", action="append", help="a feed to load (repeatable); default: every feed")
    backfill.add_argument("--from", dest="start", metavar="YYYY-MM", help="first delivery period")
    backfill.add_argument("--to", dest="end", metavar="YYYY-MM", help="last delivery period")
    backfill.set_defaults(func=_backfill)
    synth_cli.register(sub)
    privacy_cli.register(sub)
    linkage_cli.register(sub)
    warehouse_cli.register(sub)
    disclosure_cli.register(sub)
    cli_extract.register(sub)
    evaluation_cli.register(sub)
    dashboard_cli.register(sub)
    cli_keys.register(sub)
    cli_audit.register(sub)
    bench = sub.add_parser("bench", help="benchmarks: results go to docs/benchmarks.md")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    privacy_cli.register_bench(bench_sub)
    linkage_cli.register_bench(bench_sub)
    warehouse_cli.register_bench(bench_sub)
    disclosure_bench.register_bench(bench_sub)
    evaluation_cli.register_bench(bench_sub)
    dashboard_cli.register_bench(bench_sub)
    monitoring_cli.register_bench(bench_sub)
    cli_crash.register_bench(bench_sub)
    cli_bench_e2e.register_bench(bench_sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from pipelines.demo import main as demo_main

    return demo_main(args)


def _backfill(args: argparse.Namespace) -> int:
    from pipelines.demo import backfill_main

    return backfill_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
