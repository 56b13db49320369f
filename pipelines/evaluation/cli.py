"""``hfc export-evaluation-pack`` and ``hfc bench evaluation`` (light module: heavy imports in the handlers)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_PEOPLE, DEFAULT_MONTHS = 20000, 24  # the demo county: sparse counts need its size (docs/benchmarks.md)


def register(sub: argparse._SubParsersAction) -> None:
    pack = sub.add_parser(
        "export-evaluation-pack",
        help="a frozen, versioned evaluation pack: estimates, their risk-checked person-level inputs, dictionary, "
        "linkage quality, versions, code, manifest (SHA-256) and a script that re-creates the estimates",
    )
    pack.add_argument("--out", type=Path, required=True, help="the pack folder (replaced if it exists)")
    pack.add_argument("--warehouse", type=Path, help="the published warehouse (default: HFC_WAREHOUSE_PATH)")
    pack.add_argument("--no-check", action="store_true", help="skip running the pack's reproduce.py after writing")
    pack.set_defaults(func=_pack)


def register_bench(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser(
        "evaluation",
        help="calibration: N synthetic counties with random true effects; coverage of the 95%% intervals and bias",
    )
    bench.add_argument("--seeds", type=int, default=20, help="how many counties (default 20)")
    bench.add_argument("--first-seed", type=int, default=1, help="seed of the first county (default 1)")
    bench.add_argument("--people", type=int, default=DEFAULT_PEOPLE, help=f"people per county ({DEFAULT_PEOPLE})")
    bench.add_argument("--months", type=int, default=DEFAULT_MONTHS, help=f"months per county ({DEFAULT_MONTHS})")
    bench.add_argument("--write", action="store_true", help="append a dated section to docs/benchmarks.md")
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.evaluation.bench import main

    return main(args)


def _pack(args: argparse.Namespace) -> int:
    import subprocess

    from pipelines.evaluation.pack import PackRefused, write_pack
    from pipelines.settings import disclosure_threshold, extract_min_k, warehouse_path

    try:
        threshold, min_k = disclosure_threshold(), extract_min_k()
    except ValueError as exc:
        sys.stderr.write(f"hfc export-evaluation-pack: {exc}\n")
        return 2
    warehouse = args.warehouse or warehouse_path()
    if not warehouse.exists():
        sys.stderr.write(f"hfc export-evaluation-pack: no published warehouse at {warehouse}: run `make run` first\n")
        return 1
    try:
        report = write_pack(warehouse, args.out, threshold=threshold, min_k=min_k)
    except PackRefused as exc:
        sys.stderr.write(f"hfc export-evaluation-pack: {exc}\n")
        return 1
    sys.stdout.write("\n".join(report.lines()) + "\n")
    if args.no_check:
        return 0
    check = subprocess.run([sys.executable, str(args.out / "reproduce.py"), "--verify"], check=False)
    return check.returncode
