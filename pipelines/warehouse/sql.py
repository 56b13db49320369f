"""``hfc sql``: a read-only SQL prompt on the published warehouse (``-c "..."`` for one query).

The file is opened ``read_only=True`` and then sealed: ``enable_external_access = false`` (no ``read_csv`` of other
files, no ``ATTACH`` of the restricted store, no ``COPY ... TO``, no extension installs) and
``lock_configuration = true`` (so no statement can switch it back). Temporary tables still work: they live in memory,
not in the file.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import duckdb

WARNING = (
    "hfc sql: read-only. The person-level marts are for evaluators under a data sharing agreement; "
    "the disclosure-controlled tables (safe to publish) are in schema `dashboards`.\n"
)
PROMPT = "hfc> "
CONTINUE = "...> "
HELP = ".tables lists schemas and tables, .quit (or end of input) exits; statements end with ';'\n"

TABLES_SQL = """
select table_schema as schema, table_name as "table", table_type as type
from information_schema.tables
where table_catalog = current_database() and table_schema not in ('information_schema', 'pg_catalog')
order by 1, 2
"""


class SqlError(Exception):
    """The warehouse cannot be opened (missing, locked by a writer)."""


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-only, with no access to any other file and the configuration locked."""
    if not path.is_file():
        raise SqlError(f"no warehouse at {path}: run `make run` first")
    from pipelines.ops.integrity import duckdb_problem

    try:
        problem = duckdb_problem(path)
    except duckdb.Error:
        problem = None  # held by a writer: connecting says so
    if problem is not None:
        raise SqlError(
            f"cannot open {path}: the published warehouse is {problem}; the next pipeline run (make run, "
            f"hfc backfill or the daily refresh) rebuilds and republishes it"
        )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise SqlError(f"cannot open {path}: {exc}") from None
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _table_text(rel: duckdb.DuckDBPyRelation, max_rows: int) -> str:
    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 10_000
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rel.show(max_rows=max_rows, max_width=width)
    return buf.getvalue()


def _csv_text(rel: duckdb.DuckDBPyRelation) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(rel.columns)
    writer.writerows(rel.fetchall())
    return buf.getvalue()


def run_query(
    con: duckdb.DuckDBPyConnection, query: str, out: TextIO, as_csv: bool = False, max_rows: int = 100
) -> None:
    """Run ``query`` (one or more statements; the last one's result is printed). Raises ``duckdb.Error``."""
    rel = con.sql(query)
    if rel is None:
        return
    out.write(_csv_text(rel) if as_csv else _table_text(rel, max_rows))


def prompt_loop(
    con: duckdb.DuckDBPyConnection,
    out: TextIO,
    err: TextIO,
    read: Callable[[str], str] | None = None,
    as_csv: bool = False,
    max_rows: int = 100,
) -> int:
    """Read ``;``-terminated statements until ``.quit`` or end of input; an error is shown and the loop goes on."""
    read = read or input
    err.write(HELP)
    lines: list[str] = []
    while True:
        try:
            line = read(CONTINUE if lines else PROMPT)
        except EOFError:
            out.write("\n")
            return 0
        except KeyboardInterrupt:
            out.write("\n")
            lines = []
            continue
        stripped = line.strip()
        if not lines and stripped.startswith("."):
            command = stripped.split()[0].lower()
            if command in (".quit", ".exit", ".q"):
                return 0
            if command == ".tables":
                run_query(con, TABLES_SQL, out, as_csv, max_rows=10_000)
            elif command == ".help":
                err.write(HELP)
            else:
                err.write(f"unknown command {command}; {HELP}")
            continue
        if not stripped and not lines:
            continue
        lines.append(line)
        if stripped.endswith(";"):
            statement = "\n".join(lines)
            lines = []
            try:
                run_query(con, statement, out, as_csv, max_rows)
            except duckdb.Error as exc:
                err.write(f"{exc}\n")


def main(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    from pipelines.settings import warehouse_path

    out = out or sys.stdout
    err = err or sys.stderr
    path = Path(args.warehouse) if args.warehouse else warehouse_path()
    try:
        con = connect(path)
    except SqlError as exc:
        err.write(f"hfc sql: {exc}\n")
        return 1
    err.write(WARNING)
    try:
        if args.query is not None:
            try:
                run_query(con, args.query, out, args.csv, args.max_rows)
            except duckdb.Error as exc:
                err.write(f"{exc}\n")
                return 1
            return 0
        if sys.stdin.isatty():
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input(); stdlib, nothing saved to disk)
        return prompt_loop(con, out, err, as_csv=args.csv, max_rows=args.max_rows)
    finally:
        con.close()
