"""The Evidently report: built with no network connection, on a view with no count from 1 to the threshold."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from pipelines.monitoring.report import MISSING, OTHER, build_report, report_frames
from tests.unit.monitoring.drift_fixtures import delivery


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    reference = pd.concat([delivery("ambulance_calls", "2024-01", 400, rng) for _ in range(3)], ignore_index=True)
    current = delivery("ambulance_calls", "2024-04", 200, rng)
    current.loc[:2, "chief_complaint_code"] = "RARE"  # 3 rows: must not show as a value of its own
    current.loc[:4, "sex"] = None  # 5 missing: must not show as (missing)
    return current, reference


def test_the_view_has_no_value_held_by_one_to_the_threshold_rows(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    cur, ref = report_frames("ambulance_calls", *frames)
    assert "record_key" not in cur and "clinical_notes" not in cur  # no key, no free text
    assert "rate_mental_health_tag" in cur and "rate_classifier_mental_health" in cur
    for view in (cur, ref):
        for column in view:
            counts = view[column].value_counts()
            assert not counts[(counts >= 1) & (counts <= 7)].any(), (column, counts.to_dict())
    assert "RARE" not in set(cur["chief_complaint_code"]) and MISSING not in set(cur["sex"])
    assert OTHER in set(cur["chief_complaint_code"]) or OTHER in set(cur["sex"])


def test_the_report_is_built_with_no_connection_leaving(
    frames: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []
    original = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if self.family != socket.AF_UNIX:
            attempts.append(address)
            raise OSError("network disabled in this test")
        original(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    html = build_report("ambulance_calls", "2024-04", *frames, reference_periods="2024-01..2024-03")
    assert attempts == []
    assert "drawDashboard" in html and "connect-src 'none'" in html
