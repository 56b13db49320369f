"""Publish a full warehouse build as the evaluators' file, without the ``restricted`` schema.

dbt builds one DuckDB file that holds everything, de-identified free text included (schema ``restricted``), because
the classifiers read the text. What readers open is a fresh copy of every other schema: dropping a schema in place
would leave its pages in the file, so the published file is written table by table into a new database and swapped
in atomically. Two last checks refuse to publish: any free-text column of a feed spec outside ``restricted``, and any
quote in ``dashboards.dash_feedback_quotes`` (the one deliberate exception, docs/disclosure.md) that breaks the quote
rule, re-checked in Python against the build (``pipelines.disclosure.quotes``). The restricted schema can be
published on its own to a configured path (``HFC_PUBLISH_RESTRICTED_TO``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.disclosure.quotes import QuoteRuleBroken, require_quotes_follow_the_rule
from pipelines.ops.atomic import describe
from pipelines.settings import disclosure_threshold

RESTRICTED_SCHEMA = "restricted"


class PublishFailed(RuntimeError):
    """The published file could not be written (a full disk, an I/O error): the previous one is still published."""


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)


class FreeTextOutsideRestricted(RuntimeError):
    """A free-text column reached a schema readers open."""


@dataclass(frozen=True)
class Published:
    tables: int
    restricted_tables: int
    quotes: int = 0


def free_text_columns() -> frozenset[str]:
    """Canonical names of every feed's free-text columns (from the specs' roles), which only ``restricted`` may hold."""
    from pipelines.feeds import FEED_SPECS
    from pipelines.feeds.base import Role

    return frozenset(c.canonical for spec in FEED_SPECS.values() for c in spec.by_role(Role.FREE_TEXT))


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? order by 1, 2", [catalog]
    ).fetchall()


def _copy(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], source: str, target: str) -> None:
    for schema in sorted({s for s, _ in tables}):
        con.execute(f'create schema if not exists {target}."{schema}"')
    for schema, table in tables:
        con.execute(f'create table {target}."{schema}"."{table}" as from {source}."{schema}"."{table}"')


def check_no_free_text(path: Path) -> None:
    """Raise if a free-text column (or any ``restricted`` schema) is in the file at ``path``."""
    banned = free_text_columns()
    with duckdb.connect(str(path), read_only=True) as con:
        found = con.execute(
            "select distinct schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and (schema_name = ? or list_contains(?, column_name))",
            [RESTRICTED_SCHEMA, sorted(banned)],
        ).fetchall()
    if found:
        where = ", ".join(f"{s}.{t}.{c}" for s, t, c in found[:5])
        raise FreeTextOutsideRestricted(f"free text outside the restricted store, refusing to publish: {where}")


def check_quotes_against_build(path: Path, build: Path, threshold: int) -> int:
    """Raise ``QuoteRuleBroken`` if a quote in the file at ``path`` breaks the quote rule, with ``build`` (the full
    build, restricted schema included) as the evidence; the number of quotes checked."""
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{path}' as published (read_only)")
        con.execute(f"attach '{build}' as build (read_only)")
        try:
            return require_quotes_follow_the_rule(con, "published", "build", threshold)
        except duckdb.Error:
            # e.g. the build lacks the coded themes or the narratives the check reads: unverified is unpublished
            raise QuoteRuleBroken("the quotes could not be checked against the build, refusing to publish") from None


def publish(build: Path, published: Path, restricted_to: Path | None = None, threshold: int | None = None) -> Published:
    """Write ``published`` from ``build`` without the restricted schema; optionally the restricted schema alone.
    ``threshold`` is the disclosure threshold the quotes' themes must exceed (default: the configured one)."""
    threshold = disclosure_threshold() if threshold is None else threshold
    published.parent.mkdir(parents=True, exist_ok=True)
    staged = published.with_name(f".{published.name}.publishing")
    staged_restricted = restricted_to.with_name(f".{restricted_to.name}.publishing") if restricted_to else None
    _remove(staged, staged_restricted)
    try:
        with duckdb.connect(":memory:") as con:
            con.execute(f"attach '{build}' as build (read_only)")
            everything = _tables(con, "build")
            public = [(s, t) for s, t in everything if s != RESTRICTED_SCHEMA]
            restricted = [(s, t) for s, t in everything if s == RESTRICTED_SCHEMA]
            con.execute(f"attach '{staged}' as published")
            _copy(con, public, "build", "published")
            con.execute("detach published")
            if restricted_to is not None and staged_restricted is not None:
                restricted_to.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"attach '{staged_restricted}' as restricted_copy")
                _copy(con, restricted, "build", "restricted_copy")
                con.execute("detach restricted_copy")
                os.replace(staged_restricted, restricted_to)
        check_no_free_text(staged)
        quotes = check_quotes_against_build(staged, build, threshold)
        os.replace(staged, published)
    except BaseException as error:
        # nothing half-written is left, and the previous warehouse stays published
        _remove(staged, staged_restricted)
        if isinstance(error, OSError | duckdb.IOException):
            kept = "the previous warehouse is still published" if published.exists() else "nothing was published"
            raise PublishFailed(
                f"could not write the published warehouse {published}: {describe(error)}: {kept}; "
                f"free space (a publish needs room for a second copy beside it) and re-run"
            ) from error
        raise
    return Published(tables=len(public), restricted_tables=len(restricted), quotes=quotes)
