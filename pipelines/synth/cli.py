"""``hfc synth``: generate the synthetic county (light module: heavy imports happen in the handler)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``hfc synth`` to the ``hfc`` command line."""
    parser = subparsers.add_parser(
        "synth",
        help="generate the synthetic county: monthly agency deliveries in landing/ and ground truth in synth_truth/",
        description="Generate a synthetic county of multi-agency feeds with ground truth. Same seed, same bytes.",
    )
    parser.add_argument("--people", type=int, default=20000, help="people known to at least one agency (20000)")
    parser.add_argument("--months", type=int, default=24, help="months of monthly deliveries (24)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--start", default="2024-01", help="first month, YYYY-MM (2024-01)")
    parser.add_argument("--out", type=Path, default=None, help="data root (default: HFC_DATA_DIR or ./data)")
    parser.add_argument(
        "--faults", action="store_true", help="also write malformed deliveries (synth_truth/faults.csv)"
    )
    parser.add_argument(
        "--effects",
        default=None,
        metavar="FILE.json|none",
        help="true effects of the interventions: a JSON file {intervention: {outcome: ratio or shift}} in the names "
        "of synth_truth/effects.csv, or 'none' for no effect (default: pipelines/synth/config.py DEFAULT_EFFECTS)",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the generator and print a summary of counts and paths (never a value from a record)."""
    from pipelines.settings import data_dir
    from pipelines.synth.generate import generate

    out = args.out if args.out is not None else data_dir()
    try:
        summary = generate(
            out,
            people=args.people,
            months=args.months,
            seed=args.seed,
            start=args.start,
            faults=args.faults,
            effects=getattr(args, "effects", None),
        )
    except (ValueError, RuntimeError) as exc:
        sys.stderr.write(f"hfc synth: {exc}\n")
        return 2
    sys.stdout.write("\n".join(summary.lines()) + "\n")
    return 0
