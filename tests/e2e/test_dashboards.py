"""The dashboards schema of the tiny county's published warehouse keeps the disclosure rule in every cell: no
count from 1 to the threshold, every count a multiple of the rounding base, every mean backed by a surviving count
(issue 17's Done-when, checked from the file as a release reviewer would, not from dbt's own tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.disclosure.check import DASHBOARD_MODELS, REASONS, declared_statistics, disclosure_failures
from pipelines.disclosure.release import check_release
from pipelines.settings import REPO_ROOT, disclosure_rounding_base, disclosure_threshold

pytestmark = pytest.mark.slow


def test_every_dashboard_mart_is_published_with_rows(demo_run) -> None:
    expected = {p.stem for p in DASHBOARD_MODELS.glob("dash_*.sql")}
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute("select table_name from duckdb_tables() where schema_name = 'dashboards'").fetchall()
        }
        assert expected and tables == expected, sorted(tables ^ expected)
        empty = [t for t in sorted(tables) if con.execute(f"select count(*) from dashboards.{t}").fetchall()[0][0] == 0]
        # on a county this small a mart may rightly be empty: quotes need a theme with more responses than the
        # threshold, and evaluation estimates need a design that could be estimated (the query says only whether)
        may_be_empty = {
            "dash_feedback_quotes": "select count(*) = 0 from (select theme from marts.fct_feedback_themes "
            "where theme != 'no_theme_coded' group by theme "
            f"having count(distinct feedback_key) > {disclosure_threshold()})",
            "dash_evaluation_estimates": "select count(*) = 0 from evaluation.estimates "
            "where linkage = 'standard' and subgroup = 'all' and estimate is not null",
        }
        empty = [t for t in empty if not (t in may_be_empty and con.execute(may_be_empty[t]).fetchall()[0][0])]
    assert not empty, f"empty dashboard marts on the demo county: {empty}"


def test_no_published_cell_breaks_the_rule(demo_run) -> None:
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        failures = disclosure_failures(con, disclosure_threshold(), disclosure_rounding_base(), declared_statistics())
    assert failures == []


def test_the_rule_was_exercised_small_counts_were_withheld_with_their_reason(demo_run) -> None:
    """A 600-person county has small cells (cohort sizes by month, rare safety events): the check above is not
    passing on a schema with nothing to suppress."""
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        reasons = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'dashboards' and column_name like '%\\_suppression' escape '\\'"
        ).fetchall()
        withheld = {
            r
            for t, c in reasons
            for r in (x[0] for x in con.execute(f'select distinct "{c}" from dashboards.{t}').fetchall())
            if r is not None
        }
    assert "suppressed_1_to_threshold" in withheld
    # the rule's, complementary, a small group's (when no withheld number protects it), a statistic's
    assert withheld <= set(REASONS)


def test_the_demo_run_wrote_a_release_that_passes_its_own_check(demo_run) -> None:
    """Every dash table as CSV and parquet with a manifest, re-checked from the folder alone: hashes, the rule on
    every cell of every file, and the differencing audit across all of them."""
    folder = demo_run.data_dir / "release"
    expected = {p.stem for p in DASHBOARD_MODELS.glob("dash_*.sql")}
    assert {p.stem for p in folder.glob("*.parquet")} == expected
    assert {p.stem for p in folder.glob("*.csv")} == expected
    report = check_release(folder)
    assert report.problems == []
    assert report.audit is not None and report.audit.passed
    assert report.audit.suppressed > 0 and report.audit.programmes > 0
    checked = demo_run.data_dir / "reports" / "release" / "release_check.md"
    assert "Result: **passed**" in checked.read_text()


def test_the_published_warehouse_holds_what_the_release_holds(demo_run) -> None:
    """Complementary suppression runs before publishing: the dashboards schema is the release, cell for cell."""
    folder = demo_run.data_dir / "release"
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        for parquet in sorted(folder.glob("*.parquet")):
            differ = con.execute(
                f"select count(*) from ((from dashboards.{parquet.stem} except all from read_parquet('{parquet}')) "
                f"union all (from read_parquet('{parquet}') except all from dashboards.{parquet.stem}))"
            ).fetchone()
            assert differ == (0,), parquet.stem


def test_dbts_disclosure_safe_test_fails_when_the_published_counts_break_a_stricter_rule(demo_run, tmp_path) -> None:
    """The dbt test can fail: against a copy of the demo build, a threshold above every count makes each shown count
    a breach, and every dash_* model with a positive count must then fail its disclosure_safe test."""
    build = tmp_path / "outcomes_full.duckdb"
    shutil.copy2(demo_run.data_dir / "restricted" / "outcomes_full.duckdb", build)
    env = {
        **os.environ,
        "HFC_WAREHOUSE_BUILD_PATH": str(build),
        "HFC_PSEUDONYMISED_DIR": str(demo_run.data_dir / "pseudonymised"),
        "HFC_DISCLOSURE_THRESHOLD": "1000000",
        "HFC_DISCLOSURE_ROUNDING_BASE": "5",
    }
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "test", "--select", "test_name:disclosure_safe", "--target-path", str(tmp_path / "target")],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    failed = {
        line.split("disclosure_safe_")[1].split(" ")[0] for line in result.stdout.splitlines() if " FAIL " in line
    }
    assert any(name.startswith("dash_contacts_by_month_agency") for name in failed), result.stdout[-3000:]
