"""``hfc audit verify|show|head|reseal`` and ``hfc purge``: the audit trail and retention from the command line.

Light module: pandas and the feed specs load only when ``hfc purge`` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="the audit trail (data/audit/audit.jsonl): verify the chain, show entries")
    _audit_commands(audit)
    purge = sub.add_parser(
        "purge",
        help="retention: remove identifiable data of delivery periods older than a cut-off (dry run unless --apply)",
    )
    _purge_options(purge)


def _audit_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="audit_command", required=True)
    verify = commands.add_parser(
        "verify", help="check the hash chain and the head record; exit 1 naming the first bad line"
    )
    verify.add_argument("--path", type=Path, help="the trail (default $HFC_DATA_DIR/audit/audit.jsonl)")
    verify.add_argument(
        "--expect-head", metavar="ENTRIES:HASH", help="a head printed earlier by `hfc audit head` and kept elsewhere"
    )
    verify.set_defaults(func=_verify)
    show = commands.add_parser("show", help="print entries (newest last)")
    show.add_argument("--path", type=Path)
    show.add_argument("--tail", type=int, default=20, help="the last N entries (0: all; default 20)")
    show.add_argument("--action", help="only entries whose action starts with this (ingest, retention.purge...)")
    show.add_argument("--json", action="store_true", help="the stored JSON lines as they are")
    show.set_defaults(func=_show)
    head = commands.add_parser("head", help="print the head (entries:hash) to anchor outside the data directory")
    head.add_argument("--path", type=Path)
    head.set_defaults(func=_head)
    reseal = commands.add_parser(
        "reseal", help="rewrite the head record from a chain that verifies (after an interrupted append; see docs)"
    )
    reseal.add_argument("--path", type=Path)
    reseal.set_defaults(func=_reseal)


def _purge_options(purge: argparse.ArgumentParser) -> None:
    purge.add_argument(
        "--older-than",
        help="months ('24', '24 months'), years ('2 years') or days ('730 days'); default: config/retention.yaml",
    )
    purge.add_argument("--apply", action="store_true", help="remove the files (without it: a dry run that lists them)")
    purge.add_argument("--feed", action="append", help="a feed (repeatable); default every feed")
    purge.add_argument(
        "--as-of",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the day to count back from (default today, UTC): to repeat a scheduled purge",
    )
    purge.set_defaults(func=_purge)


def _trail(args: argparse.Namespace) -> Path:
    from pipelines.ops.audit import audit_path

    return args.path if args.path is not None else audit_path()


def _verify(args: argparse.Namespace) -> int:
    from pipelines.ops.audit import verify

    path = _trail(args)
    result = verify(path, expect_head=args.expect_head)
    if not result.ok:
        for problem in result.problems:
            sys.stderr.write(f"hfc audit verify: {path}: {problem}\n")
        sys.stderr.write(f"hfc audit verify: the first {result.entries} entries chain correctly\n")
        return 1
    if not path.exists():
        sys.stdout.write(f"{path}: no audit trail yet (nothing recorded)\n")
        return 0
    anchored = " and holds the anchored head" if args.expect_head else ""
    sys.stdout.write(f"{path}: {result.entries} entries, chain and head record intact{anchored}\n")
    sys.stdout.write(f"head {result.anchor}\n")
    return 0


def _show(args: argparse.Namespace) -> int:
    from pipelines.ops.audit import entries

    items = [e for e in entries(_trail(args)) if not args.action or str(e.get("action", "")).startswith(args.action)]
    if args.tail:
        items = items[-args.tail :]
    for entry in items:
        if args.json:
            sys.stdout.write(json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
            continue
        rest = " ".join(
            f"{k}={v}" for k, v in entry.items() if k not in {"at", "who", "host", "action", "prev", "hash"}
        )
        sys.stdout.write(f"{entry.get('at')} {entry.get('who')}@{entry.get('host')} {entry.get('action')} {rest}\n")
    return 0


def _head(args: argparse.Namespace) -> int:
    from pipelines.ops.audit import verify

    path = _trail(args)
    result = verify(path)
    if not result.ok:
        for problem in result.problems:
            sys.stderr.write(f"hfc audit head: {path}: {problem}\n")
        return 1
    sys.stdout.write(f"{path}: {result.entries} entries; keep this line outside the data directory:\n")
    sys.stdout.write(f"{result.anchor}\n")
    return 0


def _reseal(args: argparse.Namespace) -> int:
    from pipelines.ops.audit import _write_head, read_head, record, verify

    path = _trail(args)
    chain = verify(path, use_head=False)
    if not chain.ok:
        sys.stderr.write(f"hfc audit reseal: {path}: {chain.problems[0]}; the chain itself is broken: not resealed\n")
        return 1
    before = read_head(path) or {}
    _write_head(path, chain.entries, chain.last_hash)
    record(
        "audit.reseal",
        root=path.parent.parent,
        head_entries_before=before.get("entries") if isinstance(before.get("entries"), int) else None,
        chain_entries=chain.entries,
    )
    sys.stdout.write(f"{path}: head record rewritten for {chain.entries} entries (and the reseal recorded)\n")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from pipelines.ops import retention
    from pipelines.settings import zones

    try:
        older_than = args.older_than or retention.configured_older_than()
        when = retention.cutoff(older_than, args.as_of)
    except ValueError as exc:
        sys.stderr.write(f"hfc purge: {exc}\n")
        return 2
    zone = zones()
    items = retention.plan(zone, when, args.feed)
    to_purge = [i for i in items if i.purge]
    mode = "removing" if args.apply else "dry run (nothing removed; --apply to remove)"
    sys.stdout.write(
        f"hfc purge: identifiable-zone data of delivery periods that ended before {when.on.isoformat()} "
        f"(older than {when.text}): {mode}\n"
    )
    for item in items:
        sys.stdout.write(f"  {item.line()}\n")
    if not items:
        sys.stdout.write("  nothing past the cut-off holds identifiable files\n")
    if args.apply and to_purge:
        purge_id = retention.apply(zone, items, when)  # checks each feed again under its ingest lock
        for item in to_purge:
            if not item.purge:
                sys.stdout.write(f"  {item.line()} (checked again before removing)\n")
        to_purge = [i for i in to_purge if i.purge]
        sys.stdout.write(f"hfc purge: {len(to_purge)} period(s) purged (purge {purge_id}, in the audit trail)\n")
    kept = len(items) - len(to_purge)
    if kept:
        sys.stdout.write(f"hfc purge: {kept} period(s) kept: see the reasons above\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``hfc audit ...`` without the rest of the command line (tests)."""
    parser = argparse.ArgumentParser(prog="hfc audit")
    _audit_commands(parser)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
