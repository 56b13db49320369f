"""Each drift of issue #20, injected into synthetic deliveries, is flagged on the month it starts, and only there
or later; stable months raise nothing, also at 50 rows a month."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.monitoring.drift import evaluate
from pipelines.monitoring.profile import Profile
from tests.unit.monitoring.drift_fixtures import COMPLETION, DRIFT_FROM, INJECTED, PERIODS, county

CASES = [(feed, metric) for feed, (metric, _) in INJECTED.items()] + [COMPLETION]


def _results(feed: str, rows: int = 300, inject: bool = True, seed: int = 0) -> pd.DataFrame:
    deliveries = county(feed, rows=rows, seed=seed, inject=inject)
    profiles = {p: Profile.of(feed, p, f) for p, f in deliveries.items()}
    return pd.concat([evaluate(feed, profiles, p) for p in PERIODS], ignore_index=True)


@pytest.mark.parametrize(("feed", "metric"), CASES)
def test_injected_drift_is_flagged_on_its_month(feed: str, metric: str) -> None:
    results = _results(feed)
    flagged = results[results["is_drifted"]]
    assert (DRIFT_FROM, metric) in set(zip(flagged["delivery_period"], flagged["metric"], strict=True))
    assert (flagged["delivery_period"] >= DRIFT_FROM).all(), flagged[["delivery_period", "metric"]]
    row = results[(results["delivery_period"] == DRIFT_FROM) & (results["metric"] == metric)].iloc[0]
    assert abs(row["statistic"]) > row["threshold"]
    assert row["reference_periods"] == "2024-02..2024-07"


def test_police_tag_falls_while_our_classifier_holds() -> None:
    results = _results("police_incidents")
    month = results[results["delivery_period"] == DRIFT_FROM].set_index("metric")
    assert month.loc["rate:mental_health_tag", "is_drifted"]
    assert month.loc["rate:mental_health_tag", "current_value"] < month.loc["rate:mental_health_tag", "reference_value"]
    assert month.loc["rate:classifier_mental_health", "is_tested"]


@pytest.mark.parametrize("feed", [feed for feed, _ in CASES])
@pytest.mark.parametrize("rows", [50, 300])
def test_stable_months_raise_no_flag(feed: str, rows: int) -> None:
    results = _results(feed, rows=rows, inject=False, seed=1)
    assert results["is_tested"].any()
    assert not results["is_drifted"].any(), results[results["is_drifted"]][["delivery_period", "metric"]]


def test_first_months_are_not_tested() -> None:
    results = _results("police_incidents")
    early = results[results["delivery_period"] <= "2024-03"]
    assert not early["is_tested"].any() and not early["is_drifted"].any()
    assert (early["reference_periods"] == "").all()


@pytest.mark.parametrize(("feed", "metric"), CASES)
def test_each_injected_drift_fails_its_check_on_its_partition(feed: str, metric: str) -> None:
    from pipelines.defs.monitoring.assets import CHECKS, check_results

    results = _results(feed)
    checks = {c.check_name: c for c in check_results(feed, results[results["delivery_period"] <= DRIFT_FROM], {})}
    kind = metric.split(":", 1)[0]
    name = next(check for check, (kinds, _) in CHECKS.items() if kind in kinds)
    assert not checks[name].passed
    assert checks[name].metadata["deliveries_drifted"].value == [DRIFT_FROM]
    assert f"{DRIFT_FROM} `{metric}`" in checks[name].metadata["details"].value
