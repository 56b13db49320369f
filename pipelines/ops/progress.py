"""What ``hfc demo`` (``make run``) shows a person while it runs, and where everything else goes.

Two pieces:

- ``Progress``: one stage at a time (synth, ingest per feed, linkage, drift, dbt build, protection and publish,
  release, the leak scan), each with its count of work done of total when there is one. On a terminal it draws a
  small live bar on one line; anywhere else (CI, cron, a pipe) it writes plain timestamped lines, one when a stage
  starts and ends and one every ``every_percent`` per cent or ``every_seconds`` seconds between, with no control
  characters.
- ``RunLog``: the run's log file (``data/logs/run-<timestamp>.log``). It receives the full Dagster event stream
  (every event of every run, with the stack trace of any failure), dbt's own output (dagster-dbt writes it to
  ``sys.stdout``; ``RunLog.capture_stdout`` sends it here) and the ``pipelines`` package's log records.

Nothing here holds a value from a record: Dagster's event messages in this codebase quote counts, codes, feed,
period and file names only, and the leak scan at the end of ``hfc demo`` scans ``data/logs`` too.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

BAR_WIDTH = 24
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x09\x0b-\x1f\x7f]")


def plain(text: str) -> str:
    """``text`` without ANSI sequences or control characters (newlines kept)."""
    return _CONTROL.sub("", text)


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def inner(self: Progress, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return inner


class Progress:
    """Stages and their progress, on ``stream`` (stderr by default): a live bar on a terminal, plain lines otherwise.

    A heartbeat thread (every ``heartbeat`` seconds; None for none) keeps a stage that reports nothing (protection,
    the leak scan, a long load) saying it is alive: the bar's seconds move, or a plain line every ``every_seconds``.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        every_percent: int = 25,
        every_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        heartbeat: float | None = 1.0,
    ) -> None:
        self._lock = threading.RLock()
        self.heartbeat = heartbeat
        self._beating = False
        self.stream = stream if stream is not None else sys.stderr
        self.live = _isatty(self.stream) if live is None else live
        self.every_percent = every_percent
        self.every_seconds = every_seconds
        self.clock = clock
        self.now = now or (lambda: datetime.now(UTC))
        self.name: str | None = None
        self.total: int | None = None
        self.done = 0
        self.unit = ""
        self.detail = ""
        self._started = 0.0
        self._last_line = 0.0
        self._last_percent = 0
        self._last_draw = -1.0

    # stages -------------------------------------------------------------------------------------------------
    @_locked
    def start(self, name: str, total: int | None = None, unit: str = "") -> None:
        if self.heartbeat and not self._beating:
            self._beating = True
            threading.Thread(target=self._beat, name="hfc-progress", daemon=True).start()
        if self.name is not None:
            self.finish()
        self.name, self.total, self.done, self.unit, self.detail = name, total, 0, unit, ""
        self._started = self._last_line = self.clock()
        self._last_percent = 0
        if self.live:
            self._draw(force=True)
        else:
            self._write_line(f"{name}: started" + (f" ({total} {unit})".rstrip() if total else ""))

    def _beat(self) -> None:
        while True:
            time.sleep(self.heartbeat or 1.0)
            with contextlib.suppress(Exception):  # never let the screen break the run
                self.update(self.done)

    @_locked
    def set_total(self, total: int, unit: str | None = None) -> None:
        self.total = total
        if unit is not None:
            self.unit = unit
        if self.live:
            self._draw(force=True)

    @_locked
    def advance(self, n: int = 1, detail: str | None = None) -> None:
        self.update(self.done + n, detail)

    @_locked
    def update(self, done: int, detail: str | None = None) -> None:
        if self.name is None:
            return
        self.done = done
        if detail is not None:
            self.detail = detail
        if self.live:
            self._draw()
            return
        elapsed = self.clock() - self._last_line
        percent = int(100 * self.done / self.total) if self.total else 0
        step = self.every_percent
        crossed = bool(self.total) and step > 0 and percent // step > self._last_percent // step and percent < 100
        if crossed or elapsed >= self.every_seconds:
            self._last_percent = percent
            self._last_line = self.clock()
            if self.total:
                said = f"{self._count()} ({percent}%)"
            else:
                said = self._count() or f"running, {self.clock() - self._started:.0f} s"
            self._write_line(f"{self.name}: {said}" + (f", {self.detail}" if self.detail else ""))

    @_locked
    def finish(self, note: str = "") -> None:
        if self.name is None:
            return
        seconds = self.clock() - self._started
        count = self._count()
        text = (
            f"{self.name}: done"
            + (f", {count}" if count else "")
            + f" in {seconds:.0f} s"
            + (f"; {note}" if note else "")
        )
        if self.live:
            self._clear()
            self.stream.write(f"  {text}\n")
            self.stream.flush()
        else:
            self._write_line(text)
        self.name = None

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator[Progress]:
        self.start(name, total, unit)
        try:
            yield self
        finally:
            self.finish()

    @_locked
    def say(self, text: str) -> None:
        """A line of its own (a blocked delivery, the dbt summary), kept above the live bar."""
        if self.live:
            self._clear()
            self.stream.write(f"  {text}\n")
            self.stream.flush()
            if self.name is not None:
                self._draw(force=True)
        else:
            self._write_line(text)

    # drawing ------------------------------------------------------------------------------------------------
    def _count(self) -> str:
        if self.total:
            return f"{self.done}/{self.total} {self.unit}".rstrip()
        return f"{self.done} {self.unit}".rstrip() if self.done else ""

    def _write_line(self, text: str) -> None:
        stamp = self.now().strftime("%H:%M:%S")
        self.stream.write(plain(f"hfc {stamp} {text}") + "\n")
        self.stream.flush()

    def _clear(self) -> None:
        self.stream.write("\r\x1b[2K")

    def _draw(self, force: bool = False) -> None:
        tick = self.clock()
        if not force and tick - self._last_draw < 0.1:
            return
        self._last_draw = tick
        seconds = tick - self._started
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
            bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "] "
        else:
            bar = ""
        detail = f"  {self.detail}" if self.detail else ""
        self._clear()
        self.stream.write(f"  {self.name:<30} {bar}{self._count():<16} {seconds:4.0f} s{detail}"[:160])
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# The log file ------------------------------------------------------------------------------------------------


def log_path(data_root: Path, started: datetime | None = None) -> Path:
    stamp = (started or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return data_root / "logs" / f"run-{stamp}.log"


class RunLog:
    """The run's log file: Dagster's event stream, dbt's output and the package's log records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file: TextIO = path.open("a", encoding="utf-8")
        self._handler: logging.Handler | None = None

    def write(self, text: str) -> None:
        self.file.write(text if text.endswith("\n") else text + "\n")
        self.file.flush()

    def close(self) -> None:
        self.detach_logging()
        self.file.close()

    def attach_logging(self, logger_name: str = "pipelines", level: int = logging.INFO) -> None:
        handler = logging.StreamHandler(self.file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.setLevel(level)
        logger = logging.getLogger(logger_name)
        logger.addHandler(handler)
        logger.setLevel(min(logger.level or level, level))
        self._handler = handler

    def detach_logging(self, logger_name: str = "pipelines") -> None:
        if self._handler is not None:
            logging.getLogger(logger_name).removeHandler(self._handler)
            self._handler = None

    def event(self, entry: Any) -> None:
        """One Dagster ``EventLogEntry``, with the stack trace of a failure written out in full."""
        event = entry.dagster_event
        stamp = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
        kind = event.event_type_value if event is not None else "LOG"
        level = logging.getLevelName(entry.level) if isinstance(entry.level, int) else str(entry.level)
        message = entry.user_message or (event.message if event is not None else "") or ""
        self.write(f"{stamp} {level} {entry.run_id[:8]} {entry.step_key or '-'} {kind} {message}")
        error = _error_of(event)
        if error is not None:
            self.write(traceback_text(error))

    @contextlib.contextmanager
    def capture_stdout(self, on_line: Callable[[str], None] | None = None) -> Iterator[None]:
        """Send what is written to ``sys.stdout`` (dbt's output through dagster-dbt) to the log, line by line."""
        tee = _LineTee(self, on_line)
        with contextlib.redirect_stdout(tee):
            try:
                yield
            finally:
                tee.flush_rest()


class _LineTee(io.TextIOBase):
    def __init__(self, log: RunLog, on_line: Callable[[str], None] | None) -> None:
        self.log, self.on_line, self.rest = log, on_line, ""

    def write(self, text: str) -> int:
        self.rest += text
        *lines, self.rest = self.rest.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        self.log.write(line)
        if self.on_line is not None:
            with contextlib.suppress(Exception):  # progress must never break the run
                self.on_line(line)

    def flush_rest(self) -> None:
        if self.rest:
            self._line(self.rest)
            self.rest = ""


def _error_of(event: Any) -> Any:
    if event is None:
        return None
    data = event.event_specific_data
    return getattr(data, "error", None)


def traceback_text(error: Any) -> str:
    """A Dagster ``SerializableErrorInfo`` as Python prints a traceback (with its causes)."""
    parts: list[str] = []
    while error is not None:
        parts.append(
            "Traceback (most recent call last):\n" + "".join(error.stack) + f"{error.cls_name}: {error.message}"
        )
        error = error.cause
        if error is not None:
            parts.append("\nThe above exception was the direct cause of the following exception:\n")
    return "\n".join(reversed(parts))


# Listening to the Dagster instance ---------------------------------------------------------------------------


class _EveryRun(defaultdict):  # type: ignore[type-arg]
    """Dagster's per-run subscriber lists, with one listener added to every run's list."""

    def __init__(self, listener: Callable[[Any], None], existing: dict[str, list[Callable[..., Any]]]) -> None:
        super().__init__(list, existing)
        self.listener = listener

    def __missing__(self, run_id: str) -> list[Callable[..., Any]]:
        self[run_id] = [self.listener]
        return self[run_id]


@contextlib.contextmanager
def listen(instance: Any, listener: Callable[[Any], None]) -> Iterator[None]:
    """Call ``listener`` with every event the instance stores, from every run started meanwhile.

    Dagster calls a run's subscribers (``instance.add_event_listener(run_id, ...)``) after storing each event; a
    run made by ``dg.materialize`` has no id before it starts, so the listener is added to every new run's list.
    A listener that raises would fail the run: it is wrapped so that it cannot.
    """

    def safe(entry: Any) -> None:
        with contextlib.suppress(Exception):
            listener(entry)

    previous = instance._subscribers
    instance._subscribers = _EveryRun(safe, previous)
    try:
        yield
    finally:
        instance._subscribers = previous


# dbt's output ------------------------------------------------------------------------------------------------

_DBT_PROGRESS = re.compile(r"\b(\d+) of (\d+) (START|OK|PASS|WARN|FAIL|ERROR|SKIP)\b")
_DBT_DONE = re.compile(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)(?: NO-OP=(\d+))? TOTAL=(\d+)")
_DBT_FINISHED = re.compile(r"^\s*(?:\S+\s+)?Finished running .* \((\d+(?:\.\d+)?)s\)\.?\s*$")
_DBT_NODE = re.compile(r"\b\d+ of \d+ (FAIL|ERROR)\b\s*(.*?)\s*(?:\.{3,}|\[|$)")


@dataclass
class DbtTally:
    """dbt build's progress and outcome, from the lines dagster-dbt streams (``N of M OK ...``, ``Done. PASS=``)."""

    total: int = 0
    finished: int = 0
    models: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    errors: int = 0
    skipped: int = 0
    done_line: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None

    def feed(self, line: str) -> bool:
        """Take one line of dbt's output; True when it finished a node (the bar moves)."""
        finished = _DBT_FINISHED.match(line)
        if finished:
            self.seconds = float(finished.group(1))  # dbt's own wall time
            return False
        done = _DBT_DONE.search(line)
        if done:
            keys = ("pass", "warn", "error", "skip", "no_op", "total")
            self.done_line = {k: int(v) for k, v in zip(keys, done.groups(), strict=True) if v is not None}
            if self.seconds is None:
                self.seconds = time.monotonic() - self.started
            return False
        match = _DBT_PROGRESS.search(line)
        if not match:
            return False
        self.total = int(match.group(2))
        status = match.group(3)
        if status == "START":
            return False
        self.finished += 1
        is_test = " test " in f" {line} " or "data_test" in line or "unit_test" in line
        if status == "OK":
            self.models += 1
        elif status == "PASS":
            self.tests_passed += 1
        elif status == "WARN":
            self.tests_warned += 1
        elif status == "FAIL":
            self.tests_failed += 1
        elif status == "ERROR":
            if is_test:
                self.tests_failed += 1
            else:
                self.errors += 1
        elif status == "SKIP":
            self.skipped += 1
        if status in {"FAIL", "ERROR"}:
            node = _DBT_NODE.search(line)
            self.failures.append(plain(node.group(2) if node and node.group(2) else line.strip())[:200])
        return True

    def summary(self) -> str:
        seconds = f" in {self.seconds:.0f} s" if self.seconds is not None else ""
        text = (
            f"dbt build: {self.models} models and seeds built, tests {self.tests_passed} passed, "
            f"{self.tests_warned} warned, {self.tests_failed} failed"
        )
        if self.errors:
            text += f", {self.errors} models failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        return text + seconds


# Counts on screen --------------------------------------------------------------------------------------------


def safe_count(n: int, threshold: int) -> str:
    """A count as a person may see it: 0 or above the disclosure threshold as is, 1 to the threshold never."""
    return str(n) if n == 0 or n > threshold else f"fewer than {threshold + 1}"
