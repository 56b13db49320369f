"""Columns that follow a programme's life cycle, and columns recorded on some rows only (config/drift.yaml): the
programme maturing raises no flag, a change of recording practice in the same columns still does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.monitoring.config import AppliesTo, Columns, Lifecycle, load_columns
from pipelines.monitoring.drift import evaluate
from pipelines.monitoring.profile import Profile
from tests.unit.monitoring.drift_fixtures import DRIFT_FROM, PERIODS, _questionnaires, delivery

QUESTIONNAIRES = "mh_outcome_measures"
CASELOAD = "programme_caseload"
TIMEPOINTS = Columns(lifecycle=(Lifecycle(QUESTIONNAIRES, "timepoint_code", ("BASELINE", "REVIEW"), 3, "test"),))


def _run(feed: str, deliveries: dict[str, pd.DataFrame], columns: Columns) -> pd.DataFrame:
    applies = columns.applies_of(feed)
    profiles = {p: Profile.of(feed, p, f, applies=applies) for p, f in deliveries.items()}
    return pd.concat([evaluate(feed, profiles, p, columns=columns) for p in PERIODS], ignore_index=True)


def _row(results: pd.DataFrame, period: str, metric: str) -> pd.Series:
    return results[(results["delivery_period"] == period) & (results["metric"] == metric)].iloc[0]


def _timepoints(change: dict[str, tuple[str, str]] | None = None, launch: str = "2024-01") -> dict[str, pd.DataFrame]:
    """Questionnaires of 300 assessments a month; before ``launch`` only ROUTINE ones; from each month in ``change``,
    every assessment of one timepoint recorded as another."""
    rng = np.random.default_rng(3)
    out = {}
    for period in PERIODS:
        frame = _questionnaires(period, 300, rng)
        if period < launch:
            frame["timepoint_code"] = "ROUTINE"
        for since, (old, new) in (change or {}).items():
            if period >= since:
                frame["timepoint_code"] = frame["timepoint_code"].replace(old, new)
        out[period] = frame
    return out


def test_the_timepoint_mix_is_left_alone_while_the_programme_settles_and_tested_after() -> None:
    results = _run(QUESTIONNAIRES, _timepoints(launch="2024-03"), TIMEPOINTS)
    assert not results["is_drifted"].any(), results[results["is_drifted"]][["delivery_period", "metric"]]
    assert not _row(results, "2024-03", "new_codes:timepoint_code")["is_drifted"]  # BASELINE, REVIEW: expected
    settling = results[
        (results["metric"] == "mix:timepoint_code") & results["delivery_period"].between("2024-03", "2024-08")
    ]
    assert not settling["is_tested"].any()  # launch 2024-03, settled from 2024-06, 3 settled deliveries by 2024-09
    tested = _row(results, "2024-09", "mix:timepoint_code")
    assert tested["is_tested"] and tested["reference_periods"] == "2024-06..2024-08"


def test_a_recording_change_in_a_life_cycle_column_is_still_flagged() -> None:
    # the trust stops recording reviews as reviews, after the programme settled
    results = _run(QUESTIONNAIRES, _timepoints({DRIFT_FROM: ("REVIEW", "ROUTINE")}), TIMEPOINTS)
    row = _row(results, DRIFT_FROM, "mix:timepoint_code")
    assert row["is_drifted"] and row["reference_periods"] == "2024-04..2024-07"  # the settled deliveries only
    flagged = results[results["is_drifted"]]
    assert (flagged["delivery_period"] >= DRIFT_FROM).all()


def test_a_code_that_is_not_the_programmes_is_new_even_while_it_settles() -> None:
    # a code the programme does not bring (here the trust starts FOLLOWUP, not in this setting's codes) is flagged
    # the month it appears, though the programme is still settling; BASELINE and REVIEW were not
    settling = Columns(lifecycle=(Lifecycle(QUESTIONNAIRES, "timepoint_code", ("BASELINE", "REVIEW"), 12, "test"),))
    results = _run(QUESTIONNAIRES, _timepoints({DRIFT_FROM: ("ROUTINE", "FOLLOWUP")}, launch="2024-04"), settling)
    flagged = results[results["is_drifted"]]
    assert set(zip(flagged["delivery_period"], flagged["metric"], strict=True)) == {
        (DRIFT_FROM, "new_codes:timepoint_code")
    }


def _caseload(route_lost_from: str | None = None) -> dict[str, pd.DataFrame]:
    """Caseload events whose mix matures (all step ups at first, then reviews and step downs), the referral route
    recorded on step ups only; from ``route_lost_from``, left out on most step ups."""
    rng = np.random.default_rng(4)
    out = {}
    for i, period in enumerate(PERIODS):
        frame = delivery(CASELOAD, period, 300, rng)
        step_up = max(0.2, 0.9 - 0.25 * i)  # matured by the fourth month
        events = rng.choice(
            ["STEP_UP", "MANAGED", "STEP_DOWN"], len(frame), p=[step_up, 0.8 * (1 - step_up), 0.2 * (1 - step_up)]
        )
        frame["event_type_code"] = pd.array(events, dtype="string")
        up = frame["event_type_code"] == "STEP_UP"
        lost = up & (rng.random(len(frame)) < 0.6) if route_lost_from and period >= route_lost_from else False
        frame["referral_route_code"] = frame["referral_route_code"].mask(~up | lost)
        frame["step_down_reason_code"] = frame["step_down_reason_code"].mask(frame["event_type_code"] != "STEP_DOWN")
        out[period] = frame
    return out


CASELOAD_COLUMNS = Columns(
    applies_to=(
        AppliesTo(CASELOAD, "referral_route_code", "event_type_code", ("STEP_UP",), "test"),
        AppliesTo(CASELOAD, "step_down_reason_code", "event_type_code", ("STEP_DOWN",), "test"),
    ),
    lifecycle=(Lifecycle(CASELOAD, "event_type_code", (), 3, "test"),),
)


def test_a_column_recorded_on_some_rows_is_measured_over_those_rows() -> None:
    plain = _run(CASELOAD, _caseload(), Columns())  # without the setting, the maturing mix looks like a column emptying
    assert plain[plain["metric"] == "missing:referral_route_code"]["is_drifted"].any()
    results = _run(CASELOAD, _caseload(), CASELOAD_COLUMNS)
    assert not results["is_drifted"].any(), results[results["is_drifted"]][["delivery_period", "metric"]]
    lost = _run(CASELOAD, _caseload(route_lost_from=DRIFT_FROM), CASELOAD_COLUMNS)
    row = _row(lost, DRIFT_FROM, "missing:referral_route_code")
    assert row["is_drifted"] and row["statistic"] > 0  # step ups without their referral route: flagged


def test_the_shipped_settings_are_argued(tmp_path: Path) -> None:
    columns = load_columns()
    assert {(x.feed, x.column) for x in columns.lifecycle} >= {(QUESTIONNAIRES, "timepoint_code")}
    assert all(x.reason for x in columns.lifecycle + columns.applies_to)
    config = tmp_path / "drift.yaml"
    config.write_text("lifecycle:\n  mh_outcome_measures/timepoint_code:\n    settle: 6\n")
    with pytest.raises(ValueError, match="needs a reason"):
        load_columns(config)
