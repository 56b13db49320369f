"""The reporter ``hfc demo`` shows: a live bar on a terminal, plain timestamped lines anywhere else."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from pipelines.ops.progress import DbtTally, Progress, RunLog, plain, safe_count, traceback_text

ANSI = re.compile(r"\x1b\[|\r")


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _plain_progress(clock: Clock, stream: io.StringIO) -> Progress:
    return Progress(
        stream,
        every_percent=25,
        every_seconds=30,
        clock=clock,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
        heartbeat=None,
    )


def test_not_a_terminal_gets_plain_timestamped_lines_at_start_end_and_every_quarter() -> None:
    clock, stream = Clock(), io.StringIO()  # StringIO is not a tty: the mode is chosen from the stream
    progress = _plain_progress(clock, stream)
    assert progress.live is False
    progress.start("ingest and gate police_incidents", 24, "deliveries")
    for _ in range(24):
        clock.t += 1
        progress.advance()
    progress.say("police_incidents 2024-05: blocked, great_expectations_gate failed")
    progress.finish("1 blocked")
    lines = stream.getvalue().splitlines()
    assert not ANSI.search(stream.getvalue())
    assert all(re.match(r"^hfc \d\d:\d\d:\d\d \S", line) for line in lines)
    assert lines[0].endswith("ingest and gate police_incidents: started (24 deliveries)")
    assert [line.split(": ", 1)[1] for line in lines[1:4]] == [
        "6/24 deliveries (25%)",
        "12/24 deliveries (50%)",
        "18/24 deliveries (75%)",
    ]
    assert "blocked, great_expectations_gate failed" in lines[4]
    assert lines[5].endswith("ingest and gate police_incidents: done, 24/24 deliveries in 24 s; 1 blocked")
    assert len(lines) == 6


def test_a_long_stage_without_a_total_still_says_it_is_alive_every_m_seconds() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = _plain_progress(clock, stream)
    progress.start("protection and publish")
    for _ in range(10):
        clock.t += 10
        progress.update(0)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 + 3  # start, every 30 s (at 30, 60, 90), end
    assert lines[-1].endswith("protection and publish: done in 100 s")


def test_a_terminal_gets_one_live_line_redrawn_in_place() -> None:
    clock, stream = Clock(), FakeTty()
    progress = Progress(stream, clock=clock, heartbeat=None)
    assert progress.live is True
    progress.start("dbt build", 10, "nodes")
    for _ in range(10):
        clock.t += 1
        progress.advance()
    progress.say("dbt build: 4 models and seeds built, tests 6 passed, 0 warned, 0 failed in 10 s")
    progress.finish()
    text = stream.getvalue()
    assert "\r\x1b[2K" in text and "[" + "#" * 24 + "]" in text  # the bar, full, redrawn in place
    finished = text.rsplit("\r\x1b[2K", 1)[1]
    assert finished == "  dbt build: done, 10/10 nodes in 10 s\n"
    assert "\n  dbt build: 4 models and seeds built" in text.replace("\r\x1b[2K", "\n")
    assert text.count("\n") == 2  # the summary and the stage's end: the bar itself never scrolls


def test_plain_removes_ansi_and_control_characters() -> None:
    assert plain("\x1b[31mred\x1b[0m\r\x07 ok\n") == "red ok\n"


def test_counts_between_one_and_the_threshold_are_never_shown() -> None:
    assert [safe_count(n, 7) for n in (0, 1, 7, 8)] == ["0", "fewer than 8", "fewer than 8", "8"]


def test_the_dbt_tally_reads_dagster_dbts_streamed_lines() -> None:
    tally = DbtTally()
    lines = [
        "20:01:52  1 of 5 START sql table model staging.stg_a ....... [RUN]",
        "20:01:52  1 of 5 OK created sql table model staging.stg_a .. [OK in 0.1s]",
        "20:01:53  2 of 5 PASS not_null_stg_a_key ................... [PASS in 0.1s]",
        "20:01:53  3 of 5 WARN 2 accepted_values_stg_a_code ............ [WARN 2 in 0.1s]",
        "20:01:53  4 of 5 FAIL 3 unique_stg_a_key ....................... [FAIL 3 in 0.1s]",
        "20:01:53  5 of 5 SKIP relation marts.m ......................... [SKIP]",
        "Finished running 1 table model, 3 data tests in 0 hours 0 minutes and 2.50 seconds (2.50s).",
        "20:01:54  Done. PASS=2 WARN=1 ERROR=1 SKIP=1 NO-OP=0 TOTAL=5",
    ]
    moved = [tally.feed(line) for line in lines]
    assert moved == [False, True, True, True, True, True, False, False]
    assert (tally.total, tally.finished, tally.models) == (5, 5, 1)
    assert (tally.tests_passed, tally.tests_warned, tally.tests_failed, tally.skipped) == (1, 1, 1, 1)
    assert tally.failures == ["3 unique_stg_a_key"]
    assert tally.done_line["total"] == 5
    assert (
        tally.summary() == "dbt build: 1 models and seeds built, tests 1 passed, 1 warned, 1 failed, 1 skipped in 2 s"
    )


def _error(cls_name: str, message: str, cause=None):
    return SimpleNamespace(cls_name=cls_name, message=message, stack=['  File "x.py", line 1, in f\n'], cause=cause)


def test_the_log_file_gets_dbt_output_and_each_failure_with_its_traceback(tmp_path: Path) -> None:
    run_log = RunLog(tmp_path / "logs" / "run-1.log")
    seen: list[str] = []
    with run_log.capture_stdout(seen.append):
        print("20:01:54  Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2")
        print("partial", end="")
    failure = SimpleNamespace(
        event_type_value="STEP_FAILURE",
        message="Execution of step failed.",
        event_specific_data=SimpleNamespace(
            error=_error("DagsterAssetCheckFailedError", "1 blocking asset check failed", _error("ValueError", "x"))
        ),
    )
    entry = SimpleNamespace(
        dagster_event=failure, timestamp=0.0, level=40, user_message="", run_id="abcdef123456", step_key="raw__feed"
    )
    run_log.event(entry)
    run_log.close()
    text = (tmp_path / "logs" / "run-1.log").read_text()
    assert seen == ["20:01:54  Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2", "partial"]
    assert "Done. PASS=2" in text and "partial" in text
    assert "ERROR abcdef12 raw__feed STEP_FAILURE Execution of step failed." in text
    assert text.count("Traceback (most recent call last):") == 2
    assert text.index("ValueError: x") < text.index("direct cause") < text.index("DagsterAssetCheckFailedError: 1")


def test_traceback_text_of_a_single_error() -> None:
    assert traceback_text(_error("KeyError", "k")).endswith("KeyError: k")


def test_a_silent_stage_still_gets_a_line_every_m_seconds_from_the_heartbeat() -> None:
    stream = io.StringIO()
    progress = Progress(stream, every_seconds=0.2, heartbeat=0.05)
    progress.start("leak scan and reports")
    time.sleep(0.7)  # nothing reports: the heartbeat speaks
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert any("leak scan and reports: running, " in line for line in lines)
    assert not ANSI.search(stream.getvalue())
