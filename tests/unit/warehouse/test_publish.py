"""Publishing a build: every schema but `restricted`, written fresh, and never a free-text column."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse.publish import FreeTextOutsideRestricted, free_text_columns, publish


def _build(path: Path, leak: bool = False) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema restricted; create schema staging")
        con.execute("create table marts.fct_contacts as select 'k1' as contact_key, 3 as contacts")
        con.execute(
            "create table staging.stg_police_incidents__incidents as select 'k1' as incident_key, true as has_narrative"
        )
        con.execute(
            "create table restricted.stg_police_incidents__narratives as "
            "select 'k1' as incident_key, 'SUBJECT [PERSON_1] TALKING OF THE BRIDGE' as narrative"
        )
        if leak:
            con.execute("create table marts.leaky as select 'k1' as k, 'text' as narrative")
    return path


def test_published_file_has_every_schema_but_restricted(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb")
    published = tmp_path / "pub" / "outcomes.duckdb"
    result = publish(build, published)
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {f"{s}.{t}" for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
        assert con.execute("select contacts from marts.fct_contacts").fetchone() == (3,)
    assert tables == {"marts.fct_contacts", "staging.stg_police_incidents__incidents"}
    assert (result.tables, result.restricted_tables) == (2, 1)
    # the bytes of the free text are not in the file at all (a fresh copy, not a dropped schema)
    assert b"TALKING OF THE BRIDGE" not in published.read_bytes()


def test_restricted_schema_is_published_apart_only_when_asked(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb")
    restricted = tmp_path / "restricted" / "restricted.duckdb"
    publish(build, tmp_path / "outcomes.duckdb", restricted_to=restricted)
    with duckdb.connect(str(restricted), read_only=True) as con:
        assert con.execute(
            "select count(*) from restricted.restricted.stg_police_incidents__narratives"
        ).fetchone() == (1,)
        assert con.execute("select count(*) from duckdb_tables() where schema_name != 'restricted'").fetchone() == (0,)


def test_a_free_text_column_outside_restricted_stops_the_publication(tmp_path: Path) -> None:
    build = _build(tmp_path / "full.duckdb", leak=True)
    published = tmp_path / "outcomes.duckdb"
    published.write_bytes(b"old")  # readers keep the previous file
    with pytest.raises(FreeTextOutsideRestricted, match=r"marts\.leaky\.narrative"):
        publish(build, published)
    assert published.read_bytes() == b"old"


def test_free_text_columns_come_from_the_feed_specs() -> None:
    assert {"narrative", "clinical_notes", "feedback_comment", "case_note", "coordinator_note"} <= free_text_columns()
