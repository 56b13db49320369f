"""Every worked query in docs/evaluation.md runs, as written, on a freshly built warehouse through ``hfc sql``'s
read-only connection (so a query that needs write access or another file fails here, as it would for a reader)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.warehouse.sql import connect

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"
QUERY = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def worked_queries() -> list[str]:
    return [q.strip() for q in QUERY.findall(DOC.read_text(encoding="utf-8"))]


def test_the_guide_has_worked_queries() -> None:
    queries = worked_queries()
    assert len(queries) >= 5
    assert all("evaluation." in q or "marts." in q for q in queries)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(worked_queries())))
def test_worked_query_runs_read_only(demo_run, index: int) -> None:  # type: ignore[no-untyped-def]
    query = worked_queries()[index]
    con = connect(demo_run.warehouse)
    try:
        result = con.execute(query)
        assert result.description is not None, "a worked query returns a result set"
        result.fetchall()
    finally:
        con.close()
