"""Write-aside-then-rename: a zone file is either the old one or the new one, never half of one.

Every file the pipeline writes into a zone (accepted rows, the load audit, published partitions, the opt-out's
counts, the spine) is written beside its target under a hidden name and renamed over it only once it is whole
(``os.replace`` is atomic on one file system), flushed to disk before the rename and its folder after it
(:func:`replace_durably`), so that a power cut too leaves the old file or the new one. A write that fails part way
-- a full disk (``ENOSPC``), a quota, an I/O error -- removes its partial file and raises :class:`WriteFailed`, which
names the file and the cause (never a value from the data) and says the previous file is kept; pyarrow refusing a
column (whose message quotes the cell) raises :class:`WriteRefused`, naming the file and the column only. The hidden
name starts with a dot and does not end in ``.parquet``, so no reader's glob (``*/*.parquet``) ever picks it up.
"""

from __future__ import annotations

import csv
import errno
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class WriteFailed(OSError):
    """A zone file could not be written; the previous file (if any) is unchanged."""


class WriteRefused(ValueError):
    """pyarrow could not convert a frame's column to write it; the previous file (if any) is unchanged. Its own
    message is withheld: it quotes the cell it could not convert (``Could not convert '<value>' with type str``)."""


_ARROW_COLUMN = re.compile(r"Conversion failed for column (.+?) with type (\S+)")


def _refused(target: Path, error: BaseException) -> WriteRefused | None:
    """A value-free :class:`WriteRefused` for a pyarrow error (naming the column when pyarrow does), else None."""
    if not type(error).__module__.startswith("pyarrow"):
        return None
    found = _ARROW_COLUMN.search(str(error))
    column = f" column {found.group(1)} (of type {found.group(2)})" if found else " a column"
    kept = "the previous file is kept" if target.exists() else "no file was written"
    return WriteRefused(
        f"could not write {target}: {type(error).__name__} converting{column}; its message is withheld, as it can "
        f"quote a value: {kept}"
    )


def describe(error: BaseException) -> str:
    """The cause of an OS error in words: the errno's name and text (``ENOSPC: No space left on device``)."""
    code = getattr(error, "errno", None)
    if isinstance(code, int) and code in errno.errorcode:
        return f"{errno.errorcode[code]}: {os.strerror(code)}"
    text = str(error).strip()
    # pyarrow raises OSError('... error: No space left on device') without an errno
    for code, name in errno.errorcode.items():
        if os.strerror(code) in text:
            return f"{name}: {os.strerror(code)}"
    return type(error).__name__


def _aside(target: Path) -> Path:
    return target.with_name(f".{target.name}.writing-{os.getpid()}")


def writer_gone(leftover: Path) -> bool:
    """Whether the process that wrote ``leftover`` (``.<name>.writing-<pid>``) is gone: no process has its pid, or
    the one that has it started after the file was last changed (a recycled pid, not the writer). The file's ctime,
    not its mtime: ``copy_file`` gives the file its source's mtime."""
    from pipelines.ops.recovery import process_alive

    pid = leftover.name.rsplit("-", 1)[-1]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        changed = leftover.stat().st_ctime
    except FileNotFoundError:
        return False
    return not process_alive(int(pid), not_after=changed)


def remove_stale(target: Path) -> None:
    """Remove what a writer of ``target`` killed mid-write left beside it (its process is gone)."""
    for leftover in target.parent.glob(f".{target.name}.writing-*"):
        if writer_gone(leftover):
            with suppress(OSError):
                leftover.unlink()


def _fsync(path: Path, directory: bool = False) -> None:
    """Flush ``path`` (a file, or a directory's entries) from the page cache to the disk."""
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    except OSError as error:
        if not directory or error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise  # (a file system that cannot flush a directory says EINVAL: nothing more can be done there)
    finally:
        os.close(fd)


def replace_durably(tmp: Path, target: Path) -> None:
    """``os.replace(tmp, target)``, so that after a power cut ``target`` is the old file or the whole new one.

    The POSIX way: the new file's data is flushed (``fsync``) before the rename, or the rename could reach the disk
    before the data and leave an empty or partial ``target``; then the directory is flushed, or the rename itself
    could be lost. One ``fsync`` of the file and one of its folder per write (docs/operations.md, "Crash
    consistency", has what it costs). A failure of the first leaves ``target`` as it was; of the second, ``target``
    is the new file but its rename may not survive a power cut (:class:`WriteFailed` says which)."""
    _fsync(tmp)
    os.replace(tmp, target)
    try:
        _fsync(target.parent, directory=True)
    except OSError as error:
        raise WriteFailed(
            error.errno if isinstance(error.errno, int) else errno.EIO,
            f"wrote {target}, but its folder could not be flushed to disk ({describe(error)}): the new file is in "
            "place, and may be the previous one again after a power cut; re-run",
        ) from error


@contextmanager
def write_aside(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends without error it replaces ``target``
    (:func:`replace_durably`: flushed to disk, then renamed, then the folder flushed).

    On any error the temporary file is removed and ``target`` is left as it was; an ``OSError`` (a full disk, a
    permission, an I/O error) becomes :class:`WriteFailed` naming ``target`` and the cause."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _aside(target)
    tmp.unlink(missing_ok=True)
    remove_stale(target)  # a writer killed mid-write (SIGKILL) could not remove its own
    try:
        yield tmp
        replace_durably(tmp, target)
    except BaseException as error:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, WriteFailed):
            code = error.errno if isinstance(error.errno, int) else errno.EIO
            kept = "the previous file is kept" if target.exists() else "no file was written"
            hint = "; free space on that disk and re-run" if code in (errno.ENOSPC, errno.EDQUOT) else "; re-run"
            raise WriteFailed(code, f"could not write {target}: {describe(error)}: {kept}{hint}") from error
        refused = _refused(target, error)
        if refused is not None:
            raise refused from None  # not chained: the traceback would print pyarrow's message with the value
        raise


def write_with(target: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` into a file beside ``target``, then rename it over ``target`` (see :func:`write_aside`)."""
    with write_aside(target) as tmp:
        write(tmp)


# Timestamps are written in microseconds, not pandas' nanoseconds: parquet's TIMESTAMP(NANOS) is refused by Spark
# (PARQUET_TYPE_ILLEGAL, docs/scale.md) and DuckDB's TIMESTAMP is microseconds anyway. No feed records a time finer
# than a second, so a sub-microsecond part (only a clock reading can have one) is truncated rather than refused.
PARQUET_TIMESTAMPS = {"coerce_timestamps": "us", "allow_truncated_timestamps": True}


def write_parquet(frame: pd.DataFrame, target: Path) -> None:
    """``frame`` as parquet at ``target``, atomically; timestamps in microseconds (``PARQUET_TIMESTAMPS``)."""
    write_with(target, lambda tmp: frame.to_parquet(tmp, index=False, **PARQUET_TIMESTAMPS))


def write_csv(frame: pd.DataFrame, target: Path, quoting: int = csv.QUOTE_MINIMAL) -> None:
    """``frame`` as CSV (no index) at ``target``, atomically."""
    write_with(target, lambda tmp: frame.to_csv(tmp, index=False, quoting=quoting))


def write_text(target: Path, text: str) -> None:
    """``text`` (UTF-8) at ``target``, atomically."""
    write_with(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def copy_file(source: Path, target: Path) -> None:
    """A copy of ``source`` at ``target`` (with its times), atomically."""
    import shutil

    write_with(target, lambda tmp: shutil.copy2(source, tmp))


def append_csv(frame: pd.DataFrame, target: Path) -> None:
    """Append ``frame``'s rows to the CSV at ``target`` (a header if it is new) without ever leaving a partial line:
    the old file and the new rows are written aside and renamed over it. Callers hold the file's lock."""
    import shutil

    def write(tmp: Path) -> None:
        header = True
        if target.exists() and target.stat().st_size > 0:
            shutil.copyfile(target, tmp)
            header = False
        frame.to_csv(tmp, mode="a", header=header, index=False)

    write_with(target, write)
