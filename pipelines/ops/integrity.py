"""Checks the warehouse build runs before it starts: files it reads or replaces that are corrupt, truncated or locked.

- **The pseudonymised zone** (what dbt reads): every parquet file's footer is read (the footer alone: milliseconds
  a file). A truncated or overwritten file fails the run before dbt starts, naming the file and the command that
  rewrites it (``hfc backfill --feed F --from P --to P`` re-publishes a delivery from the identifiable zone).
- **The full build** (``data/restricted/outcomes_full.duckdb``, which every build starts from a copy of): a file
  DuckDB cannot open, or shorter than its own header says it is (truncated), is set aside as
  ``<name>.corrupt-<run>`` with a log line, and the build starts from scratch, so one bad file cannot poison every
  later build.
- **Locks**: DuckDB lets one process write a file. A session holding the full build or the published warehouse open
  for writing (a DBeaver or duckdb CLI connection) makes the run wait a little, then fail naming the file and the
  process DuckDB reports (its PID); nothing is published. Readers that open read-only never block a run: the
  probe opens read-only too, and publishing swaps a new file in by a rename.

Messages carry file names, periods, feed names and error classes: never a value from a file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ops.atomic import describe

DUCKDB_HEADER_BYTES = 3 * 4096  # the main header and two database headers, before the first block
LOCK_WAIT_SECONDS = 20.0
LOCK_POLL_SECONDS = 0.5

_PID = re.compile(r"\(PID (\d+)\)")
_HOLDER = re.compile(r"lock is held in (.+?) \(PID")


class WarehouseLocked(RuntimeError):
    """A DuckDB file the run must open is held for writing by another process."""

    def __init__(self, path: Path, pid: int | None, program: str | None, waited: float) -> None:
        self.path, self.pid, self.program = path, pid, program
        who = f"process {pid} ({program})" if pid is not None else "another process"
        super().__init__(
            f"{path} is locked by {who}: DuckDB lets one process write a file, and it was still held after "
            f"{waited:.0f} s. Close that session (a duckdb CLI or DBeaver connection opened for writing; readers "
            f"should open it read-only) and re-run; the published warehouse is unchanged"
        )


class CorruptZoneFile(RuntimeError):
    """Files the warehouse build reads cannot be read; the build did not start and nothing was published."""


@dataclass(frozen=True)
class Damaged:
    path: Path
    cause: str


def _lock_error(error: BaseException) -> bool:
    return "Could not set lock" in str(error) or "Conflicting lock" in str(error)


def duckdb_problem(path: Path) -> str | None:
    """Why the DuckDB file at ``path`` cannot be used (not a DuckDB file, truncated), or None if it opens whole.

    Opens read-only; a lock held by a writer raises ``duckdb.IOException`` (see :func:`wait_until_unlocked`)."""
    try:
        size = path.stat().st_size
        with duckdb.connect(":memory:") as con:
            escaped = str(path).replace("'", "''")
            con.execute(f"attach '{escaped}' as probe (read_only)")
            row = con.execute(
                "select block_size, total_blocks from pragma_database_size() where database_name = 'probe'"
            ).fetchone()
            con.execute("select count(*) from duckdb_tables() where database_name = 'probe'").fetchone()
    except duckdb.IOException as error:
        if _lock_error(error):
            raise
        text = str(error)
        if "not a valid DuckDB database file" in text:
            return "not a DuckDB database file"
        if "Could not read enough bytes" in text:
            return "truncated (shorter than its own header says)"
        return f"unreadable ({describe(error)})"
    except duckdb.Error as error:
        return f"unreadable ({type(error).__name__})"
    if row is not None:
        block_size, total_blocks = int(row[0]), int(row[1])
        expected = DUCKDB_HEADER_BYTES + block_size * total_blocks
        if size < expected:
            return f"truncated ({size} bytes of the {expected} its header describes)"
    return None


def wait_until_unlocked(
    path: Path,
    wait: float = LOCK_WAIT_SECONDS,
    poll: float = LOCK_POLL_SECONDS,
    log: Callable[[str], None] | None = None,
) -> str | None:
    """Wait (up to ``wait`` seconds) until no other process holds ``path`` for writing; then what
    :func:`duckdb_problem` says of it. Raises :class:`WarehouseLocked` if it is still held."""
    started = time.monotonic()
    told = False
    while True:
        try:
            return duckdb_problem(path) if path.exists() else None
        except duckdb.IOException as error:
            waited = time.monotonic() - started
            pid_match, holder = _PID.search(str(error)), _HOLDER.search(str(error))
            pid = int(pid_match.group(1)) if pid_match else None
            if waited >= wait:
                raise WarehouseLocked(path, pid, holder.group(1) if holder else None, waited) from None
            if log is not None and not told:
                log(f"{path} is locked by another process (PID {pid}); waiting up to {wait:.0f} s")
                told = True
            time.sleep(poll)


def set_aside(path: Path, run_id: str) -> Path:
    """Move a damaged file (and its WAL) out of the way, keeping it for inspection; the new name."""
    aside = path.with_name(f"{path.name}.corrupt-{run_id[:8]}")
    path.replace(aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.replace(aside.with_name(aside.name + ".wal"))
    return aside


def parquet_problems(folder: Path) -> list[Damaged]:
    """Every parquet file under ``folder`` whose footer cannot be read (truncated, overwritten, not parquet)."""
    import pyarrow.parquet as pq

    found: list[Damaged] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.rglob("*.parquet")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        try:
            pq.read_metadata(path)
        except OSError as error:
            found.append(Damaged(path, f"not readable ({describe(error)})"))
        except Exception as error:
            found.append(Damaged(path, f"not a readable parquet file ({type(error).__name__})"))
    return found


def recovery(pseudonymised: Path, path: Path) -> str:
    """How to rewrite a damaged file of the pseudonymised zone from the zones it is made from."""
    parts = path.relative_to(pseudonymised).parts
    if len(parts) == 3 and parts[1].startswith("period="):  # <feed>/period=P/data.parquet
        period = parts[1].removeprefix("period=")
        return f"hfc backfill --feed {parts[0]} --from {period} --to {period}"
    if len(parts) == 3 and parts[0] in {"_load_audit", "_opt_out", "_drift"}:  # _x/<feed>/<P>.parquet
        period = Path(parts[2]).stem
        return f"hfc backfill --feed {parts[1]} --from {period} --to {period}"
    # person_keys, linkage_quality, reference, synth_truth_labels: every backfill re-links and rewrites them
    return "hfc backfill --feed <any feed> --from <its last period> --to <the same> (it re-links and rewrites it)"


def require_readable_parquet(pseudonymised: Path, damaged: Iterable[Damaged] | None = None) -> None:
    """Raise :class:`CorruptZoneFile` naming each damaged file and how to rewrite it."""
    found = list(parquet_problems(pseudonymised) if damaged is None else damaged)
    if not found:
        return
    lines = [
        f"- {d.path.relative_to(pseudonymised)}: {d.cause}; rewrite it with: {recovery(pseudonymised, d.path)}"
        for d in found[:20]
    ]
    more = f"\n- and {len(found) - 20} more" if len(found) > 20 else ""
    raise CorruptZoneFile(
        f"{len(found)} file(s) in the pseudonymised zone ({pseudonymised}) cannot be read, so the warehouse was not "
        f"built and the published one is unchanged:\n" + "\n".join(lines) + more
    )


def check_before_build(
    published: Path, full: Path, pseudonymised: Path, run_id: str, log: Callable[[str], None]
) -> None:
    """What would make a warehouse build fail half way or poison later builds, found before dbt starts: a warehouse
    file another process holds for writing (wait, then fail naming it and its PID), a damaged full build (set aside:
    this build starts from scratch), a damaged file in the pseudonymised zone (fail naming it and the backfill that
    rewrites it). The published warehouse is left as it is by all three."""
    for path in (published, full):
        problem = wait_until_unlocked(path, log=log)
        if problem is not None and path == full:
            aside = set_aside(full, run_id)
            log(
                f"the full build {full} is {problem}: set aside as {aside.name}; this build starts from scratch "
                f"(slower, same result); delete the set-aside file once it is no longer needed"
            )
        elif problem is not None:
            log(f"the published warehouse {published} is {problem}: this run publishes a new one")
    require_readable_parquet(pseudonymised)
