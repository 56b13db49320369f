"""``hfc sql``: reads the warehouse, cannot write it, cannot reach any other file, cannot unlock itself."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main as hfc_main
from pipelines.warehouse.sql import connect


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "outcomes.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema dashboards; create table dashboards.dash_t as select 10 as n, 'a' as band")
    con.execute("create schema marts; create table marts.fct_t as select 'p1' as person_key")
    con.close()
    return path


def _sql(warehouse: Path, query: str, *extra: str) -> int:
    return hfc_main(["sql", "--warehouse", str(warehouse), "-c", query, *extra])


def test_a_query_prints_a_table_and_the_warning_goes_to_stderr(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _sql(warehouse, "select band, n from dashboards.dash_t") == 0
    out, err = capsys.readouterr()
    assert "band" in out and "│ a " in out and "10" in out
    assert err.count("data sharing agreement") == 1 and "dashboards" in err
    assert _sql(warehouse, "select band, n from dashboards.dash_t", "--csv") == 0
    assert capsys.readouterr().out == "band,n\na,10\n"


@pytest.mark.parametrize(
    "statement",
    [
        "create table marts.x as select 1",
        "insert into dashboards.dash_t values (15, 'b')",
        "drop table marts.fct_t",
        "update dashboards.dash_t set n = 20",
    ],
)
def test_writing_the_warehouse_fails(warehouse: Path, statement: str) -> None:
    con = connect(warehouse)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute(statement)
    assert con.execute("select n from dashboards.dash_t").fetchall() == [(10,)]


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    csv_file = tmp_path / "outside.csv"
    csv_file.write_text("secret\nvalue\n")
    other = tmp_path / "restricted.duckdb"
    duckdb.connect(str(other)).close()
    yield csv_file, other


def test_other_files_cannot_be_read_attached_or_written(warehouse: Path, outside: tuple[Path, Path]) -> None:
    csv_file, other = outside
    con = connect(warehouse)
    for statement in (
        f"select * from read_csv('{csv_file}')",
        f"select * from '{csv_file}'",
        f"attach '{other}' as restricted",
        f"copy dashboards.dash_t to '{csv_file.parent / 'out.csv'}'",
    ):
        with pytest.raises(duckdb.PermissionException):
            con.execute(statement)
    assert not (csv_file.parent / "out.csv").exists()
    # the same file opened without the seal can be read: the failures above are the seal, not a bad path
    assert duckdb.connect().execute(f"select * from read_csv('{csv_file}')").fetchall() == [("value",)]


@pytest.mark.parametrize(
    "statement",
    ["SET enable_external_access = true", "RESET enable_external_access", "SET lock_configuration = false"],
)
def test_the_seal_cannot_be_undone(warehouse: Path, statement: str) -> None:
    con = connect(warehouse)
    with pytest.raises(duckdb.Error, match="locked"):
        con.execute(statement)
    assert con.execute("select current_setting('enable_external_access')").fetchone() == (False,)


def test_a_bad_query_exits_1_with_duckdbs_message_and_no_traceback(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _sql(warehouse, "select * from marts.nope") == 1
    out, err = capsys.readouterr()
    assert out == "" and "Catalog Error" in err and "Traceback" not in err
    assert _sql(warehouse, "insert into marts.fct_t values ('p2')") == 1
    assert "read-only" in capsys.readouterr().err


def test_a_missing_warehouse_says_run_make_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _sql(tmp_path / "absent.duckdb", "select 1") == 1
    err = capsys.readouterr().err
    assert "make run" in err and "Traceback" not in err
    assert not (tmp_path / "absent.duckdb").exists()


def test_the_default_is_the_published_warehouse(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(warehouse))
    assert hfc_main(["sql", "-c", "select person_key from marts.fct_t", "--csv"]) == 0
    assert capsys.readouterr().out == "person_key\np1\n"


def test_the_prompt_runs_statements_lists_tables_and_quits(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = iter(
        [".tables", "select band,", "  n * 2 as doubled", "from dashboards.dash_t;", "select * from nope;", ".quit"]
    )
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(lines)

    monkeypatch.setattr("builtins.input", fake_input)
    assert hfc_main(["sql", "--warehouse", str(warehouse)]) == 0
    out, err = capsys.readouterr()
    assert "dash_t" in out and "fct_t" in out and "marts" in out
    assert "doubled" in out and "20" in out
    assert "Catalog Error" in err and err.count("data sharing agreement") == 1
    assert prompts == ["hfc> ", "hfc> ", "...> ", "...> ", "hfc> ", "hfc> "]


def test_a_fake_stdin_is_read_to_its_end(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("select band from dashboards.dash_t;\n\nselect 'ok' as done;\n"))
    assert hfc_main(["sql", "--warehouse", str(warehouse), "--csv"]) == 0
    out = capsys.readouterr().out
    assert "band\na\n" in out and "done\nok\n" in out
