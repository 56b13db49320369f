"""``hfc link`` (link a file of people, keep the spine, record clerical decisions) and ``hfc bench link``.

Light on purpose: pandas, DuckDB and Splink load inside the handlers so ``hfc --help`` stays fast. Output names
files, rows and columns, never a value from them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "link",
        help="link people across agencies: record_id,source,nhs_number,... -> record_id,person_key",
        description=(
            "Link a CSV of person records (record_id, source, nhs_number, given_name, family_name, date_of_birth, "
            "sex, postcode, address; any value may be empty; full_name may replace the two name columns) and "
            "write record_id,person_key for every input row. With --identity-dir the spine persists and person "
            "keys stay stable across runs; without it a temporary spine is used."
        ),
    )
    parser.add_argument("--in", dest="input", type=Path, help="input CSV of person records")
    parser.add_argument("--out", dest="output", type=Path, help="output CSV: record_id,person_key")
    parser.add_argument("--identity-dir", type=Path, default=None, help="persistent spine folder (identifiable zone)")
    parser.add_argument("--truth", type=Path, default=None, help="optional truth CSV (record_id, person_id, ...)")
    parser.add_argument("--quality-out", type=Path, default=None, help="write the linkage quality table (rates only)")
    parser.add_argument("--match-threshold", type=float, default=None, help="override HFC_LINK_MATCH_THRESHOLD")
    parser.add_argument("--review-threshold", type=float, default=None, help="override HFC_LINK_REVIEW_THRESHOLD")
    parser.set_defaults(func=_link)
    actions = parser.add_subparsers(dest="link_action")
    review = actions.add_parser(
        "review",
        help="record clerical decisions (record_id_l, record_id_r, decision=match|non_match) and apply them",
    )
    review.add_argument("--decisions", type=Path, required=True, help="CSV of decisions")
    review.add_argument("--identity-dir", type=Path, default=None, help="spine folder (default: the identity zone)")
    review.set_defaults(func=_review)


def register_bench(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("link", help="linkage speed and pairwise precision/recall/F1 on generated records")
    parser.add_argument("--records", type=int, default=100_000, help="number of records to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"), help="benchmarks file to update")
    parser.add_argument("--no-write", action="store_true", help="print the result only")
    parser.set_defaults(func=_bench)


def _settings(args: argparse.Namespace):
    from pipelines.linkage.config import LinkageSettings

    return LinkageSettings.from_env(
        match_threshold=getattr(args, "match_threshold", None), review_threshold=getattr(args, "review_threshold", None)
    )


def read_people_csv(path: Path):
    """Read a people CSV as text (no type guessing: NHS numbers keep leading zeros, "NA" stays a name)."""
    import pandas as pd

    for encoding in ("utf-8-sig", "latin-1"):
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    if frame.shape[1] == 1 and frame.columns[0].count(";") + frame.columns[0].count("\t") >= 2:
        sep = ";" if ";" in frame.columns[0] else "\t"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=encoding, sep=sep)
    return frame


def _link(args: argparse.Namespace) -> int:
    if args.input is None or args.output is None:
        sys.stderr.write("hfc link: --in and --out are required (or use `hfc link review`)\n")
        return 2
    import tempfile
    import time

    import numpy as np
    import pandas as pd

    from pipelines.linkage.spine import build_spine, prepare_records

    if not args.input.exists():
        sys.stderr.write(f"hfc link: input file not found: {args.input}\n")
        return 2
    start = time.perf_counter()
    raw = read_people_csv(args.input)
    try:
        records = prepare_records(raw, what=str(args.input))
    except ValueError as exc:
        sys.stderr.write(f"hfc link: {exc}\n")
        return 2
    original_ids = records["record_id"].to_numpy(dtype=object).copy()
    truth = None
    if args.truth is not None:
        truth = read_people_csv(args.truth)
        truth.columns = [c.strip().lower() for c in truth.columns]
    if args.identity_dir is None:
        # A throwaway spine: a record id repeated within one source is a distinct row, so give it its own key.
        occurrence = records.groupby(["source", "record_id"]).cumcount().to_numpy()
        records["record_id"] = np.where(
            occurrence > 0, records["record_id"].astype(str) + "\x1e" + occurrence.astype(str), records["record_id"]
        )
    settings = _settings(args)
    if args.identity_dir is None:
        with tempfile.TemporaryDirectory(prefix="hfc-link-") as tmp:
            result = build_spine(records, Path(tmp), settings=settings, truth=truth)
    else:
        result = build_spine(records, args.identity_dir, settings=settings, truth=truth)
    out = pd.DataFrame({"record_id": original_ids, "person_key": result.mapping["person_id"].to_numpy()})
    args.output.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.output, index=False)
    if args.quality_out is not None and result.quality is not None:
        result.quality.to_csv(args.quality_out, index=False)
    elapsed = time.perf_counter() - start
    sys.stderr.write(
        f"hfc link: {len(out)} records -> {result.n_people} people in {elapsed:.1f}s "
        f"({result.n_review_pairs} pairs for clerical review, {result.n_merges} merges, {result.n_splits} splits)\n"
    )
    if result.quality is not None and truth is not None:
        overall = result.quality[result.quality["scope"] == "overall"].iloc[0]
        sys.stderr.write(
            f"hfc link: pairwise precision {overall['precision']:.4f} recall {overall['recall']:.4f} "
            f"F1 {overall['f1']:.4f}\n"
        )
    return 0


def _review(args: argparse.Namespace) -> int:
    import pandas as pd

    from pipelines.linkage.spine import build_spine, record_decisions
    from pipelines.settings import zones

    identity_dir = args.identity_dir or zones().identity
    if not args.decisions.exists():
        sys.stderr.write(f"hfc link review: decisions file not found: {args.decisions}\n")
        return 2
    decisions = read_people_csv(args.decisions)
    try:
        stored = record_decisions(identity_dir, decisions)
    except ValueError as exc:
        sys.stderr.write(f"hfc link review: {exc}\n")
        return 2
    result = build_spine(pd.DataFrame(), identity_dir, settings=_settings(args))
    sys.stdout.write(
        f"recorded {stored} decisions; spine now {result.n_records_in_spine} records, {result.n_people} people "
        f"({result.n_merges} merges, {result.n_splits} splits, {result.n_review_pairs} pairs still for review)\n"
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pipelines.linkage.bench import format_row, run_link_benchmark, write_benchmark

    result = run_link_benchmark(args.records, seed=args.seed)
    command = f"hfc bench link --records {args.records}" + (f" --seed {args.seed}" if args.seed else "")
    row = format_row(result, command)
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in result["stage_seconds"].items())
    sys.stdout.write(row + "\n" + f"stages: {stages}\n")
    if not args.no_write:
        write_benchmark(args.out, row)
        sys.stdout.write(f"written to {args.out}\n")
    return 0
