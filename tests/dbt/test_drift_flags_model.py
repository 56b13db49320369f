"""marts.drift_flags and dash_drift_flags on the injected drifts: each flagged on its delivery, and a feed whose drift
has not run (no files) left out instead of failing the build. The models are rendered with stand-ins for dbt's
``source``, ``ref``, ``run_query`` and disclosure macros and run in DuckDB (a dbt build takes far longer)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import duckdb
import jinja2
import pandas as pd
import pytest

from pipelines.monitoring.drift import evaluate, write_results
from pipelines.monitoring.profile import Profile
from pipelines.settings import REPO_ROOT, Zones
from tests.unit.monitoring.drift_fixtures import COMPLETION, DRIFT_FROM, INJECTED, PERIODS, county

MODELS = REPO_ROOT / "dbt_project" / "models"
CASES = {feed: metric for feed, (metric, _) in INJECTED.items()} | {COMPLETION[0]: COMPLETION[1]}
THRESHOLD, BASE = 7, 5


def _render(path: Path, con: duckdb.DuckDBPyConnection, pseudonymised: Path) -> str:
    def run_query(sql: str) -> SimpleNamespace:
        return SimpleNamespace(rows=con.execute(sql).fetchall())

    def count(expr: str) -> str:
        return (
            f"cast(case when ({expr}) is null then null when ({expr}) = 0 then 0 when ({expr}) <= {THRESHOLD} then null"
            f" else ((({expr}) * 2 + {BASE}) // {2 * BASE}) * {BASE} end as bigint)"
        )

    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)
    return env.from_string(text).render(
        execute=True,
        env_var=lambda name, default="": str(pseudonymised),
        run_query=run_query,
        source=lambda _, feed: f"read_parquet('{pseudonymised}/_drift/{feed}/*.parquet', union_by_name = true)",
        ref=lambda name: name,
        disclosure_count_columns=lambda n: (
            f"{count(n)} as {n}, case when {n} between 1 and {THRESHOLD} "
            f"then 'suppressed_1_to_threshold' end as {n}_suppression"
        ),
        disclosure_threshold=lambda: THRESHOLD,
        disclosure_statistic=lambda e, n: f"case when ({n}) > {THRESHOLD} then {e} end",
        disclosure_statistic_suppression=lambda n: (
            f"case when ({n}) between 1 and {THRESHOLD} then 'count_suppressed' end"
        ),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("data")
    zones = Zones(root)
    for feed in CASES:
        deliveries = county(feed, rows=300)
        profiles = {p: Profile.of(feed, p, f) for p, f in deliveries.items()}
        write_results(zones, pd.concat([evaluate(feed, profiles, p) for p in PERIODS], ignore_index=True))
    con = duckdb.connect()
    con.execute(
        f"create table drift_flags as {_render(MODELS / 'marts/quality/drift_flags.sql', con, zones.pseudonymised)}"
    )
    dash = _render(MODELS / "dashboards/dash_drift_flags.sql", con, zones.pseudonymised)
    con.execute(f"create table dash_drift_flags as {dash}")
    return con


@pytest.mark.parametrize(("feed", "metric"), sorted(CASES.items()))
def test_drift_flags_mark_the_injected_month(built: duckdb.DuckDBPyConnection, feed: str, metric: str) -> None:
    drifted = built.execute(
        "select delivery_period, metric from drift_flags where feed = ? and is_drifted order by 1", [feed]
    ).fetchall()
    assert (DRIFT_FROM, metric) in drifted
    assert min(p for p, _ in drifted) == DRIFT_FROM
    shown = built.execute(
        "select is_drifted, statistic is not null, reference_periods from dash_drift_flags "
        "where feed = ? and delivery_period = ? and metric = ?",
        [feed, DRIFT_FROM, metric],
    ).fetchone()
    # a new-code share is a count over the delivery: shown only when 0 (docs in the model), its flag always
    assert shown == (True, not metric.startswith("new_codes:"), "2024-02..2024-07")


def test_dash_drift_flags_counts_are_disclosure_controlled(built: duckdb.DuckDBPyConnection) -> None:
    rows = built.execute("select rows_in_delivery from dash_drift_flags").fetchall()
    assert rows and all(r is None or r == 0 or (r > THRESHOLD and r % BASE == 0) for (r,) in rows)
    unexplained = built.execute(
        "select count(*) from dash_drift_flags where statistic is null and statistic_suppression is null"
    ).fetchone()
    assert unexplained == (0,)
    small = built.execute(
        "select count(*) from dash_drift_flags as d join drift_flags as m using (feed, delivery_period, metric) "
        f"where d.statistic is not null and m.metric_kind in ('rate', 'missing') "
        f"and (m.current_count between 1 and {THRESHOLD} "
        f"or m.current_denominator - m.current_count between 1 and {THRESHOLD})"
    ).fetchone()
    assert small == (0,)  # a rate or missing share over a small count would give the count back


def test_no_drift_results_give_an_empty_table(tmp_path: Path) -> None:
    con = duckdb.connect()
    sql = _render(MODELS / "marts/quality/drift_flags.sql", con, tmp_path / "pseudonymised")
    assert con.execute(f"select count(*) from ({sql})").fetchone() == (0,)
