"""The data layer: dash_* tables of the dashboards schema only, read-only, a missing table named in st.error, and a
replaced warehouse file read afresh."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from dashboards import data
from tests.dashboards.conftest import build_warehouse
from tests.dashboards.dash_helpers import PAGES, run_page


@pytest.mark.parametrize(
    "name",
    [
        "dim_person",
        "marts.dim_person",
        "marts.dash_contacts_by_month_agency",
        "dashboards.fct_contacts",
        'dash_x"; drop table y; --',
        "dash_Contacts",
        "dash_contacts_by_month_agency; select 1",
        "../dash_x",
        "",
    ],
)
def test_refuses_anything_but_a_dash_table(use_warehouse: Path, name: str) -> None:
    with pytest.raises(data.TableRefused):
        data.load(name)


def test_reads_a_dash_table_read_only(use_warehouse: Path) -> None:
    frame = data.load("dashboards.dash_cohort_sizes")
    assert frame is not None and not frame.empty
    assert data.load("dash_not_there", quiet=True) is None
    file = data.warehouse_file()
    assert file is not None
    connection = data._connection(file)
    with pytest.raises(duckdb.Error):
        connection.execute("create table published.dashboards.dash_new as select 1 as x")
    with pytest.raises(duckdb.Error):  # external access is off: no other file can be read through it
        connection.execute("select * from read_csv('/etc/hostname')")
    with pytest.raises(duckdb.Error):  # and it cannot be switched back on
        connection.execute("set enable_external_access = true")


def test_a_replaced_file_is_read_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_warehouse(tmp_path / "outcomes.duckdb")
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(path))
    before = data.load("dash_equality")
    assert before is not None
    new = build_warehouse(tmp_path / "next.duckdb")
    con = duckdb.connect(str(new))
    con.execute("update dashboards.dash_equality set people_in_contact = 995")
    con.close()
    os.replace(new, path)  # as publishing swaps the new build in
    after = data.load("dash_equality")
    assert after is not None
    assert set(after["people_in_contact"]) == {995}
    assert set(before["people_in_contact"]) != {995}


def test_a_missing_table_is_named_in_an_error_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_warehouse(tmp_path / "outcomes.duckdb", leave_out=("dash_evaluation_estimates", "dash_drift_flags"))
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(path))
    for page, table in (("evaluation", "dash_evaluation_estimates"), ("data-quality", "dash_drift_flags")):
        at = run_page(page)
        assert not at.exception
        assert [e.value for e in at.error if f"dashboards.{table}" in e.value], page
        assert '<div id="hfc-page-complete"' in "".join(h.value for h in at.html)


def test_a_missing_warehouse_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(tmp_path / "absent.duckdb"))
    at = run_page("overview")
    assert not at.exception
    assert at.error and "dashboards.dash_contacts_by_month_agency" in at.error[0].value


def test_a_table_without_a_contract_column_is_named_in_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_warehouse(tmp_path / "outcomes.duckdb")
    con = duckdb.connect(str(path))
    con.execute("alter table dashboards.dash_safety_events drop column people_suppression")
    con.close()
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(path))
    at = run_page("outcomes")
    assert not at.exception
    assert any("dashboards.dash_safety_events" in e.value and "people_suppression" in e.value for e in at.error)


def test_the_fixture_has_every_column_the_app_reads(use_warehouse: Path) -> None:
    for table, columns in data.COLUMNS.items():
        frame = data.load(table, quiet=True)
        assert frame is not None, table
        assert set(columns) <= set(frame.columns), table


def test_empty_tables_render_without_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build whose tables have no rows (nothing published yet) draws every page, with no exception."""
    path = build_warehouse(tmp_path / "outcomes.duckdb")
    con = duckdb.connect(str(path))
    for (table,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'dashboards'"
    ).fetchall():
        con.execute(f"delete from dashboards.{table}")
    con.close()
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(path))
    for page in PAGES:
        at = run_page(page)
        assert not at.exception, page
        assert not at.error, page
        assert '<div id="hfc-page-complete"' in "".join(h.value for h in at.html), page
