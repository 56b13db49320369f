"""The audit trail: append-only, hash-chained JSON lines under ``data/audit/`` (docs/operations.md, "Audit trail").

One line per thing done to the data (a delivery loaded, a linkage run, a warehouse published, a purge, a key
rotated): who ran it and when, what, and counts, codes, periods and key ids only, never an identifier. Each line
carries the SHA-256 of the line before it (``prev``) and of itself (``hash``), so an edited, inserted, reordered or
deleted line breaks the chain and :func:`verify` names the first line that no longer fits. Appends take a file lock,
so runs in parallel processes extend one chain.

A chain alone cannot show that its last lines were cut off (what is left is still a valid chain), so every append
also rewrites, under the same lock, the head record ``audit.head``: the number of entries and the last hash.
:func:`verify` compares the chain's end with it. Whoever can rewrite both files can still cut the trail and write a
matching head; that is caught only by a head anchored outside the data directory (``hfc audit head`` prints
``<entries>:<hash>`` to paste into a ticket or send to syslog; ``hfc audit verify --expect-head <entries>:<hash>``
checks the trail still holds that entry at that line).
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import zones

AUDIT_DIR = "audit"
AUDIT_FILE = "audit.jsonl"
HEAD_FILE = "audit.head"
GENESIS = "0" * 64
Scalar = str | int | float | bool | None


def audit_path(root: Path | None = None) -> Path:
    """``$HFC_DATA_DIR/audit/audit.jsonl`` (or under ``root``, a data directory)."""
    return (root if root is not None else zones().root) / AUDIT_DIR / AUDIT_FILE


def head_path(path: Path) -> Path:
    """The head record beside a trail: ``audit.head`` next to ``audit.jsonl``."""
    return path.with_name(HEAD_FILE) if path.name == AUDIT_FILE else path.with_name(path.name + ".head")


def _digest(entry: Mapping[str, object]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


class AuditError(RuntimeError):
    """The trail cannot be appended to (its last line is torn or not an entry): see docs/operations.md."""


def _tail(path: Path) -> bytes:
    """The last complete line of the trail, or b"" for an empty trail."""
    if not path.exists() or path.stat().st_size == 0:
        return b""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        block = b""
        while end > 0 and block.rstrip(b"\n").count(b"\n") < 1:
            start = max(0, end - 4096)
            handle.seek(start)
            block = handle.read(end - start) + block
            end = start
    if not block.endswith(b"\n"):
        raise AuditError(f"{path}: the last line is incomplete (an append was interrupted); see docs/operations.md")
    lines = [line for line in block.splitlines() if line.strip()]
    return lines[-1] if lines else b""


def _last_hash(path: Path) -> str:
    tail = _tail(path)
    if not tail:
        return GENESIS
    try:
        return str(json.loads(tail)["hash"])
    except (ValueError, KeyError, TypeError):
        raise AuditError(f"{path}: the last line is not an audit entry; run hfc audit verify") from None


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def read_head(path: Path | None = None) -> dict[str, object] | None:
    """The head record (``entries``, ``hash``, ``at``) of the trail at ``path``, or None when there is none."""
    target = head_path(path if path is not None else audit_path())
    if not target.exists():
        return None
    try:
        head = json.loads(target.read_text(encoding="utf-8"))
    except ValueError:
        return {"entries": -1, "hash": "unreadable"}
    return head if isinstance(head, dict) else {"entries": -1, "hash": "unreadable"}


def _write_head(path: Path, entries: int, last: str) -> None:
    target = head_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps({"entries": entries, "hash": last}, sort_keys=True) + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(target)


def record(action: str, root: Path | None = None, **fields: Scalar) -> dict[str, object]:
    """Append one entry for ``action`` (``ingest.delivery``, ``warehouse.publish``, ``purge``, ``key.rotate``...).

    ``fields`` are counts, codes, periods, file names and key ids. Never pass a value from a record. This is the hook
    for anything that changes data (a rotation, a backfill): ``record("key.rotate", old_key_id=..., tokens=123)``.
    """
    for name, value in fields.items():
        if not isinstance(value, Scalar):  # type: ignore[arg-type]
            raise TypeError(f"audit field {name} must be a plain value, not {type(value).__name__}")
    reserved = {"at", "who", "host", "action", "prev", "hash"} & set(fields)
    if reserved:
        raise TypeError(f"audit fields {sorted(reserved)} are set by the trail itself")
    path = audit_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            previous = _last_hash(path)
            head = read_head(path)
            if head is not None and head.get("hash") == previous and isinstance(head.get("entries"), int):
                entries = int(head["entries"])  # type: ignore[arg-type]
            else:  # no head yet (or it disagrees): count once; verify reports a disagreement
                entries = _count_lines(path) if path.stat().st_size else 0
            entry: dict[str, object] = {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "who": _who(),
                "host": socket.gethostname(),
                "action": action,
                **fields,
                "prev": previous,
            }
            entry["hash"] = _digest(entry)
            handle.write(json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            if head is None or head.get("hash") == previous:
                _write_head(path, entries + 1, str(entry["hash"]))
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return entry


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return str(os.getuid())


@dataclass(frozen=True)
class Verification:
    entries: int
    problems: list[str] = field(default_factory=list)
    last_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def anchor(self) -> str:
        """``<entries>:<hash>``: what to keep outside the data directory (a ticket, syslog)."""
        return f"{self.entries}:{self.last_hash}"


def _parse_anchor(anchor: str) -> tuple[int | None, str]:
    text = anchor.strip()
    if ":" in text:
        count, _, digest = text.partition(":")
        return int(count), digest.strip().lower()
    return None, text.lower()


def verify(path: Path | None = None, expect_head: str | None = None, use_head: bool = True) -> Verification:
    """Walk the chain; report the first line whose ``prev`` or ``hash`` does not fit (an edit, a deletion).

    Then compare the chain's end with the head record (a deleted or added last line), and, with ``expect_head``
    (``<entries>:<hash>`` or a hash printed by ``hfc audit head`` earlier and kept elsewhere), check that the trail
    still holds that entry (at that line).
    """
    path = path if path is not None else audit_path()
    if not path.exists():
        problems = ["no audit trail, but the anchored head expects one"] if expect_head else []
        if use_head and read_head(path) is not None:
            problems.append(f"{path.name} is missing but its head record exists: the trail was removed")
        return Verification(0, problems)
    previous, count = GENESIS, 0
    hashes: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                return Verification(count, [f"line {number}: empty line inside the trail"], previous)
            if not line.endswith("\n"):
                return Verification(count, [f"line {number}: incomplete (an append was interrupted)"], previous)
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return Verification(count, [f"line {number}: not a JSON object (edited or truncated)"], previous)
            if not isinstance(entry, dict) or "hash" not in entry or "prev" not in entry:
                return Verification(count, [f"line {number}: no hash chain fields"], previous)
            if entry["prev"] != previous:
                return Verification(
                    count,
                    [f"line {number}: does not follow line {number - 1} (a line was removed, inserted or reordered)"],
                    previous,
                )
            if _digest(entry) != entry["hash"]:
                return Verification(count, [f"line {number}: its content does not match its hash (edited)"], previous)
            previous, count = str(entry["hash"]), count + 1
            hashes[previous] = count
    problems: list[str] = []
    if use_head:
        head = read_head(path)
        if head is None:
            if count:
                problems.append(f"no head record ({HEAD_FILE}) beside a trail of {count} entries")
        elif head.get("entries") != count or head.get("hash") != previous:
            problems.append(
                f"line {count}: the trail ends after {count} entries, but its head record says {head.get('entries')} "
                f"(a last line was removed or added, or the head was edited)"
            )
    if expect_head:
        want_count, want_hash = _parse_anchor(expect_head)
        at = hashes.get(want_hash)
        if at is None:
            problems.append(f"the anchored head {expect_head.strip()} is not in the trail (lines removed or rewritten)")
        elif want_count is not None and at != want_count:
            problems.append(f"the anchored head was entry {want_count}, the trail has it at line {at}")
    return Verification(count, problems, previous)


def entries(path: Path | None = None) -> Iterator[dict[str, object]]:
    """The trail's entries in order (unparseable lines are skipped: :func:`verify` reports them)."""
    path = path if path is not None else audit_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                yield entry
