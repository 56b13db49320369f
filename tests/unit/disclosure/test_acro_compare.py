"""ACRO, the second checker, agrees with a correctly controlled table, catches a planted small count, recognises
complementary suppression, and never puts a small count in what it reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.disclosure.acro_compare import (
    ACRO_ONLY_ZERO,
    ACRO_OTHER_RULE,
    ACRO_UNSAFE_WE_PUBLISH,
    AGREE_PUBLISHED,
    AGREE_SUPPRESSED,
    DEFAULT_SPECS,
    NOT_IN_DASHBOARD,
    VALUE_MISMATCH,
    WE_SUPPRESS_ACRO_SAFE,
    AcroComparison,
    _classify,
    compare_with_acro,
)
from pipelines.settings import REPO_ROOT, warehouse_path

CONTACTS = tuple(s for s in DEFAULT_SPECS if s.table == "dash_contacts_by_month_agency" and s.column == "contacts")
EQUALITY = tuple(s for s in DEFAULT_SPECS if s.table == "dash_equality" and s.column == "people_in_contact")
# true contacts per (month, agency); (2024-02, ambulance) has none
TRUE_COUNTS = {
    ("2024-01-01", "police"): 20,
    ("2024-01-01", "ambulance"): 3,
    ("2024-02-01", "police"): 12,
    ("2024-03-01", "police"): 6,
    ("2024-03-01", "ambulance"): 9,
}


def _published(n: int, threshold: int = 7, base: int = 5) -> tuple[int | None, str | None]:
    if 1 <= n <= threshold:
        return None, "suppressed_1_to_threshold"
    return ((n * 2 + base) // (2 * base)) * base, None


Cells = dict[tuple[str, str], tuple[int | None, str | None]]


def _warehouse(overrides: Cells | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("create schema marts; create schema dashboards")
    con.execute("create table marts.fct_contacts (person_key varchar, contact_month date, agency varchar)")
    rows = [(f"p{i % 4}", month, agency) for (month, agency), n in TRUE_COUNTS.items() for i in range(n)]
    con.executemany("insert into marts.fct_contacts values (?, ?, ?)", rows)
    con.execute(
        "create table dashboards.dash_contacts_by_month_agency "
        "(contact_month date, agency varchar, contacts bigint, contacts_suppression varchar)"
    )
    cells = {key: _published(n) for key, n in TRUE_COUNTS.items()} | (overrides or {})
    con.executemany(
        "insert into dashboards.dash_contacts_by_month_agency values (?, ?, ?, ?)",
        [(month, agency, value, reason) for (month, agency), (value, reason) in cells.items()],
    )
    return con


def _only(result: AcroComparison) -> dict[str, int]:
    (table,) = result.tables
    return {name: n for name, n in table.classes.items() if n}


def test_a_correctly_suppressed_table_agrees() -> None:
    result = compare_with_acro(_warehouse(), 7, 5, specs=CONTACTS)
    # published 20, 10, 10; suppressed 3, 6; the missing (2024-02, ambulance) is a true zero ACRO alone flags
    assert _only(result) == {AGREE_PUBLISHED: 3, AGREE_SUPPRESSED: 2, ACRO_ONLY_ZERO: 1}
    assert result.serious == 0 and result.tables[0].disagreements == []


def test_a_published_small_count_is_caught_and_named() -> None:
    result = compare_with_acro(_warehouse({("2024-01-01", "ambulance"): (5, None)}), 7, 5, specs=CONTACTS)
    assert result.serious == 1
    (cell,) = result.tables[0].disagreements
    assert cell.classification == ACRO_UNSAFE_WE_PUBLISH and "threshold" in cell.acro
    assert cell.dimensions == {"contact_month": "2024-01-01", "agency": "ambulance"}
    assert cell.published is None  # a published 5 is itself a small count: not repeated
    assert "acro_unsafe_we_publish" in result.to_markdown()


def test_complementary_suppression_is_a_cell_acro_would_release() -> None:
    result = compare_with_acro(
        _warehouse({("2024-02-01", "police"): (None, "suppressed_complementary")}), 7, 5, specs=CONTACTS
    )
    assert result.serious == 0
    (cell,) = result.tables[0].disagreements
    assert cell.classification == WE_SUPPRESS_ACRO_SAFE and cell.ours == "suppressed_complementary"
    assert cell.note.startswith("Complementary suppression (expected)")


def test_acro_is_held_to_our_threshold() -> None:
    # 9 contacts, published as 10, is safe at threshold 7 and unsafe at 9; 12 (published 10) stays safe at 9
    strict = compare_with_acro(_warehouse(), 9, 5, specs=CONTACTS)
    assert strict.acro_safe_threshold == 10
    assert {(c.dimensions["contact_month"], c.dimensions["agency"]) for c in strict.tables[0].disagreements} == {
        ("2024-03-01", "ambulance")
    }
    assert compare_with_acro(_warehouse(), 7, 5, specs=CONTACTS).acro_safe_threshold == 8


def test_nothing_reported_contains_a_small_count() -> None:
    # plant every kind of disagreement over cells whose true counts are 3, 6 and 9
    result = compare_with_acro(
        _warehouse(
            {
                ("2024-01-01", "ambulance"): (5, None),
                ("2024-03-01", "police"): (0, None),
                ("2024-03-01", "ambulance"): (15, None),
                ("2024-01-01", "police"): (None, "suppressed_complementary"),
            }
        ),
        7,
        5,
        specs=CONTACTS,
    )
    classes = {c.classification for c in result.tables[0].disagreements}
    assert classes == {ACRO_UNSAFE_WE_PUBLISH, VALUE_MISMATCH, WE_SUPPRESS_ACRO_SAFE}
    markdown, dumped = result.to_markdown(), json.dumps(result.to_json())
    for text in (markdown, dumped):
        assert not re.search(r"(?<![\d-])[369](?![\d-])", text)  # no true count (3, 6, 9) anywhere
    cell_lines = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(cell_lines) == 4
    for line in cell_lines:  # and no number from 1 to the threshold in any cell's line (dates aside)
        assert not [n for n in re.findall(r"(?<![\d-])\d+(?![\d-])", line) if 1 <= int(n) <= 7]
    assert "(published 15)" in markdown  # a published, safe value may be shown


def test_a_cell_missing_from_the_dashboard_is_listed() -> None:
    con = _warehouse()
    con.execute("delete from dashboards.dash_contacts_by_month_agency where contacts = 20")
    result = compare_with_acro(con, 7, 5, specs=CONTACTS)
    assert [c.classification for c in result.tables[0].disagreements] == [NOT_IN_DASHBOARD]


@pytest.mark.parametrize(
    ("n", "rules", "ours", "published", "expected"),
    [
        (12, (), "suppressed_1_to_threshold", None, WE_SUPPRESS_ACRO_SAFE),
        (0, ("threshold", "zeros"), "published", 0, ACRO_ONLY_ZERO),
        (0, ("threshold", "zeros"), "published", 5, VALUE_MISMATCH),
        (4, ("threshold",), "suppressed_complementary", None, AGREE_SUPPRESSED),
        (4, ("threshold",), "published", 0, ACRO_UNSAFE_WE_PUBLISH),
    ],
)
def test_each_class(n: int, rules: tuple[str, ...], ours: str, published: int | None, expected: str) -> None:
    classification, note = _classify(n, rules, ours, published, 7, 5)
    assert classification == expected
    if expected == WE_SUPPRESS_ACRO_SAFE:
        assert note.startswith("Rule difference")


def test_equality_tables_are_checked_one_dimension_at_a_time() -> None:
    con = duckdb.connect(":memory:")
    con.execute("create schema marts; create schema dashboards")
    con.execute(
        "create table marts.dim_person (person_key varchar, ethnicity_group varchar, sex varchar, "
        "age_band_latest varchar, imd_quintile integer, has_disability boolean, contacts bigint, "
        "crisis_contacts bigint)"
    )
    people = [(f"p{i}", "White", "F" if i < 10 else "M", "18-24", 1, None, 1, 0) for i in range(13)]
    con.executemany("insert into marts.dim_person values (?, ?, ?, ?, ?, ?, ?, ?)", people)
    con.execute(
        "create table dashboards.dash_equality "
        "(dimension varchar, dimension_value varchar, people_in_contact bigint, people_in_contact_suppression varchar)"
    )
    published = [
        ("ethnicity_group", "White", 15, None),
        ("sex", "F", 10, None),
        ("sex", "M", 3, None),  # planted: 3 people published as such
        ("age_band", "18-24", 15, None),
        ("imd_quintile", "1", 15, None),
        ("has_disability", "unknown", 15, None),
    ]
    con.executemany("insert into dashboards.dash_equality values (?, ?, ?, ?)", published)
    result = compare_with_acro(con, 7, 5, specs=EQUALITY)
    assert _only(result) == {AGREE_PUBLISHED: 5, ACRO_UNSAFE_WE_PUBLISH: 1}  # no crossed sex x ethnicity zeros
    (cell,) = result.tables[0].disagreements
    assert cell.dimensions == {"dimension": "sex", "dimension_value": "M"} and cell.published is None


def test_acro_is_silent_writes_nothing_and_does_not_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("ACRO tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.chdir(tmp_path)
    caplog.set_level("DEBUG")
    compare_with_acro(_warehouse({("2024-01-01", "ambulance"): (5, None)}), 7, 5, specs=CONTACTS)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert [r for r in caplog.records if r.name.startswith("acro")] == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_demo_warehouse_publishes_nothing_acro_finds_unsafe(tmp_path: Path) -> None:
    source = warehouse_path()
    if not source.exists():
        pytest.skip("no built warehouse (set HFC_WAREHOUSE_PATH or run `hfc demo`)")
    copy = tmp_path / "outcomes.duckdb"
    shutil.copyfile(source, copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        result = compare_with_acro(con, 7, 5)
    assert all(table.skipped is None for table in result.tables)
    assert result.serious == 0, result.to_markdown()
    assert sum(result.totals().values()) > 0


def test_a_count_with_no_rows_behind_it_is_a_true_zero() -> None:
    con = _warehouse()
    con.execute("delete from marts.fct_contacts")
    con.execute("update dashboards.dash_contacts_by_month_agency set contacts = 0, contacts_suppression = null")
    result = compare_with_acro(con, 7, 5, specs=CONTACTS)
    assert _only(result) == {ACRO_ONLY_ZERO: 6}


def test_importing_acro_leaves_logging_home_and_cwd_as_they_were(tmp_path: Path) -> None:
    # a fresh process: ACRO's import-time side effects (logging.basicConfig, matplotlib's font cache) happen once
    home, cwd, tmp = tmp_path / "home", tmp_path / "cwd", tmp_path / "tmp"
    for folder in (home, cwd, tmp):
        folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"}}
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(REPO_ROOT))
    script = (
        "import logging\n"
        "from pipelines.disclosure.acro_compare import _acro_session\n"
        "_acro_session(7, 5)\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "" and done.stderr == ""
    assert [list(folder.iterdir()) for folder in (home, cwd, tmp)] == [[], [], []]


def test_a_mean_is_held_to_the_records_behind_it_and_to_acros_dominance_rules() -> None:
    con = duckdb.connect(":memory:")
    con.execute("create schema marts; create schema dashboards")
    con.execute(
        "create table marts.fct_feedback_themes (feedback_key varchar, theme varchar, submitted_at timestamp, "
        "rating integer)"
    )
    ratings = {
        ("calm", "2024-02-10"): [4] * 9,
        ("calm", "2024-05-10"): [4] * 4,
        ("wait", "2024-02-10"): [3] * 4,
        ("wait", "2024-05-10"): [100] + [1] * 8,  # one response dominates: ACRO's p% and n-k rules
        ("rest", "2024-02-10"): [2] * 8,
    }
    rows = [(f"{t}{d}{i}", t, d, r) for (t, d), rs in ratings.items() for i, r in enumerate(rs)]
    con.executemany("insert into marts.fct_feedback_themes values (?, ?, ?, ?)", rows)
    con.execute(
        "create table dashboards.dash_feedback_themes "
        "(theme varchar, submitted_quarter varchar, mean_rating double, mean_rating_suppression varchar)"
    )
    published = [
        ("calm", "2024-Q1", 4.0, None),
        ("calm", "2024-Q2", None, "count_suppressed"),
        ("wait", "2024-Q1", 3.0, None),  # planted: a mean of 4 responses shown
        ("wait", "2024-Q2", 12.0, None),
        ("rest", "2024-Q1", 2.5, None),  # planted: not the mean
    ]
    con.executemany("insert into dashboards.dash_feedback_themes values (?, ?, ?, ?)", published)
    mean = tuple(s for s in DEFAULT_SPECS if s.column == "mean_rating")
    result = compare_with_acro(con, 7, 5, specs=mean)
    assert _only(result) == {
        AGREE_PUBLISHED: 1,
        AGREE_SUPPRESSED: 1,
        ACRO_ONLY_ZERO: 1,  # (rest, 2024-Q2): no responses, and no row
        ACRO_UNSAFE_WE_PUBLISH: 1,
        ACRO_OTHER_RULE: 1,
        VALUE_MISMATCH: 1,
    }
    by_class = {c.classification: c for c in result.tables[0].disagreements}
    assert by_class[ACRO_UNSAFE_WE_PUBLISH].dimensions == {"theme": "wait", "submitted_quarter": "2024-Q1"}
    assert set(by_class[ACRO_OTHER_RULE].acro) == {"nk_dominance", "p_ratio"}
    assert all(c.published is None for c in by_class.values())  # statistics are not repeated in the report
    assert not re.search(r"\b(3\.0|12\.0|2\.5|4\.0)\b", result.to_markdown() + json.dumps(result.to_json()))
