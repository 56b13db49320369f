"""The audit trail: append-only, hash-chained JSON lines under ``data/audit/`` (docs/operations.md, "Audit").

One line per thing done to the data (a delivery loaded, a linkage run, a warehouse published, a purge, a key
rotated): who ran it and when, what, and counts, codes, periods and key ids only, never an identifier. Each line
carries the SHA-256 of the line before it (``prev``) and of itself (``hash``), so an edited, inserted, reordered or
deleted line breaks the chain and :func:`verify` names the first line that no longer fits. Appends take a file lock,
so runs in parallel processes extend one chain.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import zones

AUDIT_DIR = "audit"
AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
Scalar = str | int | float | bool | None


def audit_path(root: Path | None = None) -> Path:
    """``$HFC_DATA_DIR/audit/audit.jsonl`` (or under ``root``, a data directory)."""
    return (root if root is not None else zones().root) / AUDIT_DIR / AUDIT_FILE


def _digest(entry: Mapping[str, object]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _last_hash(path: Path) -> str:
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        block = b""
        while end > 0 and block.count(b"\n") < 2:
            start = max(0, end - 4096)
            handle.seek(start)
            block = handle.read(end - start) + block
            end = start
    lines = [line for line in block.splitlines() if line.strip()]
    return str(json.loads(lines[-1])["hash"])


def record(action: str, root: Path | None = None, **fields: Scalar) -> dict[str, object]:
    """Append one entry for ``action`` (``ingest.delivery``, ``warehouse.publish``, ``purge``, ``key.rotate``...).

    ``fields`` are counts, codes, periods, file names and key ids. Never pass a value from a record.
    """
    for name, value in fields.items():
        if not isinstance(value, Scalar):  # type: ignore[arg-type]
            raise TypeError(f"audit field {name} must be a plain value, not {type(value).__name__}")
    path = audit_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            entry: dict[str, object] = {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "who": _who(),
                "host": socket.gethostname(),
                "action": action,
                **fields,
                "prev": _last_hash(path),
            }
            entry["hash"] = _digest(entry)
            handle.write(json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
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

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: Path | None = None) -> Verification:
    """Walk the chain; report the first line whose ``prev`` or ``hash`` does not fit (an edit, a deletion)."""
    path = path if path is not None else audit_path()
    if not path.exists():
        return Verification(0)
    previous, count = GENESIS, 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                return Verification(count, [f"line {number}: empty line inside the trail"])
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return Verification(count, [f"line {number}: not a JSON object (edited or truncated)"])
            if not isinstance(entry, dict) or "hash" not in entry or "prev" not in entry:
                return Verification(count, [f"line {number}: no hash chain fields"])
            if entry["prev"] != previous:
                return Verification(
                    count,
                    [f"line {number}: does not follow line {number - 1} (a line was removed, inserted or reordered)"],
                )
            if _digest(entry) != entry["hash"]:
                return Verification(count, [f"line {number}: its content does not match its hash (edited)"])
            previous, count = str(entry["hash"]), count + 1
    return Verification(count)
