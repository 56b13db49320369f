"""The drift reports are built once per delivery's marks and in forked processes, and say the same as before."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.defs.monitoring.assets import _build_reports, run_drift
from pipelines.monitoring import report
from pipelines.monitoring.config import Severity
from pipelines.monitoring.drift import read_delivery
from pipelines.monitoring.report import report_frames, report_marks
from tests.unit.monitoring.drift_fixtures import PERIODS, county, write_county


@pytest.mark.parametrize("feed", ["police_incidents", "mh_outcome_measures"])
def test_a_windows_marks_are_its_deliveries_marks_one_after_another(tmp_path: Path, feed: str) -> None:
    zones = write_county(tmp_path, feed, county(feed, rows=120))
    frames = [read_delivery(zones, feed, p) for p in PERIODS[:4]]
    current, reference = frames[3], pd.concat(frames[:3], ignore_index=True)
    whole = report_frames(feed, current, reference)
    if feed == "police_incidents":  # row by row: the classifier's marks of each delivery can be reused
        pieces = [report_marks(feed, f) for f in frames[:3]]
        joined = {n: np.concatenate([m[n] for m in pieces]) for n in pieces[0]}
        assert set(joined) and all((joined[n] == report_marks(feed, reference)[n]).all() for n in joined)
        reused = report_frames(feed, current, reference, (report_marks(feed, current), joined))
        pd.testing.assert_frame_equal(reused[0], whole[0])
        pd.testing.assert_frame_equal(reused[1], whole[1])


def _without_ids(html: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", html)


def test_reports_built_in_worker_processes_are_the_ones_built_here(tmp_path: Path, monkeypatch) -> None:
    feed = "police_incidents"
    write_county(tmp_path, feed, county(feed, rows=150))
    from pipelines.settings import Zones

    zones = Zones(tmp_path)
    built: list[list[str]] = []
    real = _build_reports

    def recording(tasks, workers):
        pages = real(tasks, workers)
        built.append(pages)
        return pages

    monkeypatch.setattr("pipelines.defs.monitoring.assets._build_reports", recording)
    results_one, reports_one = run_drift(feed, zones, list(PERIODS), Severity(), workers=1)
    results_two, reports_two = run_drift(feed, zones, list(PERIODS), Severity(), workers=2)
    pd.testing.assert_frame_equal(results_one.drop(columns="evaluated_at"), results_two.drop(columns="evaluated_at"))
    assert reports_one == reports_two and len(reports_one) >= 2
    assert [_without_ids(p) for p in built[0]] == [_without_ids(p) for p in built[1]]
    assert all(Path(path).exists() for path in reports_two.values())


def test_a_worker_killed_for_memory_leaves_the_reports_to_this_process(tmp_path: Path, monkeypatch) -> None:
    import os
    import signal

    feed = "police_incidents"
    zones = write_county(tmp_path, feed, county(feed, rows=120))
    parent = os.getpid()
    real = report.build_report

    def dying_in_a_worker(*args, **kwargs):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "build_report", dying_in_a_worker)
    _, reports = run_drift(feed, zones, list(PERIODS), Severity(), workers=2)
    assert reports and all(Path(path).exists() for path in reports.values())
