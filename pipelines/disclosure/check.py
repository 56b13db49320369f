"""Check a built warehouse's ``dashboards`` schema against the disclosure rule, independently of dbt's own tests.

dbt's ``disclosure_safe`` test runs inside the build; this reads the finished file, as a reviewer of a release
would, and checks the three properties of docs/disclosure.md over every ``dash_*`` table: no count from 1 to the
threshold; every count a multiple of the rounding base, with a reason (one the rule defines) wherever a count is
withheld; and every mean or percentage backed by a count that survived. A count is any integer column; a statistic
is any other number column, and must be declared (with the count, or counts, behind it) in the dashboards'
``disclosure_safe`` tests; it may be shown only where every count behind it survives. Failures name the table,
column and rule, and how many rows break it: never a value. (That a cell shown in several rows or tables says the
same everywhere is checked where the cells are read, ``audit.read_release``: the release check runs it.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from pipelines.disclosure.relations import DASHBOARD_MODELS, project_specs

DASHBOARDS_SCHEMA = "dashboards"
# the reasons a cell may be withheld (docs/disclosure.md): by the rule, to protect another cell, with the small
# counts of a group that no withheld number can protect (0 to the threshold: which of them are 0 is not said), or a
# statistic whose count is withheld
PRIMARY = "suppressed_1_to_threshold"
COMPLEMENTARY = "suppressed_complementary"
GROUPED = "suppressed_small_group"
STATISTIC_WITHHELD = "count_suppressed"
REASONS = (PRIMARY, COMPLEMENTARY, GROUPED, STATISTIC_WITHHELD)
INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"})
NUMBER_PREFIXES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")


def declared_statistics(models_dir: Path = DASHBOARD_MODELS) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per dash_* model, its statistics and the counts behind each, as declared to the ``disclosure_safe`` test."""
    return {name: dict(spec.statistics) for name, spec in project_specs(models_dir).items()}


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()
    return int(row[0][0])


def disclosure_failures(
    con: duckdb.DuckDBPyConnection,
    threshold: int,
    rounding_base: int,
    statistics: Mapping[str, Mapping[str, str | Sequence[str]]],
    schema: str = DASHBOARDS_SCHEMA,
) -> list[str]:
    """Every breach of the rule in ``schema``'s dash_* tables, as 'table.column: rule (n rows)'."""
    columns = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name like 'dash\\_%' escape '\\' order by table_name, ordinal_position",
        [schema],
    ).fetchall()
    by_table: dict[str, dict[str, str]] = {}
    for table, column, data_type in columns:
        by_table.setdefault(table, {})[column] = data_type.upper()
    failures: list[str] = []

    def breach(table: str, column: str, rule: str, where: str) -> None:
        n = _count(con, f'select count(*) from "{schema}"."{table}" where {where}')
        if n:
            failures.append(f"{table}.{column}: {rule} ({n} rows)")

    for table, types in by_table.items():
        declared = statistics.get(table, {})
        for column, data_type in types.items():
            quoted = f'"{column}"'
            if column.endswith("_suppression"):
                reasons = ", ".join(f"'{r}'" for r in REASONS)
                breach(table, column, "a reason the rule does not define", f"{quoted} not in ({reasons})")
                continue
            if data_type in INTEGER_TYPES:
                reason = f"{column}_suppression"
                if reason not in types:
                    failures.append(f"{table}.{column}: count without a suppression column")
                    continue
                breach(table, column, f"count between 1 and {threshold}", f"{quoted} between 1 and {threshold}")
                breach(table, column, f"count not a multiple of {rounding_base}", f"{quoted} % {rounding_base} <> 0")
                breach(
                    table,
                    column,
                    "withheld without a reason, or shown with one",
                    f'({quoted} is null) <> ("{reason}" is not null)',
                )
            elif column in declared:
                counts = declared[column]
                for behind in (counts,) if isinstance(counts, str) else counts:
                    if behind not in types or types[behind] not in INTEGER_TYPES:
                        failures.append(f"{table}.{column}: the count behind it ({behind}) is not a count column")
                        continue
                    breach(
                        table,
                        column,
                        f"shown where {behind} did not survive",
                        f'{quoted} is not null and coalesce("{behind}", 0) = 0',
                    )
            elif data_type.startswith(NUMBER_PREFIXES):
                failures.append(f"{table}.{column}: a number that is neither a count nor a declared statistic")
    return failures
