"""The dashboards' pages and a sample of filter combinations (query parameters), read from the published warehouse.

Both follow the app's contract: the page url paths, and the filters ``from``, ``to`` (``YYYY-MM``), ``programme``,
``area`` and ``cohort``, whose unknown values fall back to the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: (url path, title). The overview is the default page, loaded at ``/`` (Streamlit serves a default page there).
PAGES: tuple[tuple[str, str], ...] = (
    ("", "Overview"),
    ("outcomes", "Outcomes"),
    ("equality", "People and equality"),
    ("voices", "Voices"),
    ("evaluation", "Evaluation"),
    ("data-quality", "Data quality"),
)


def page_slug(path: str) -> str:
    return path or "overview"


@dataclass(frozen=True)
class FilterValues:
    months: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()


def _distinct(con: object, sql: str) -> tuple[str, ...]:
    try:
        return tuple(str(r[0]) for r in con.execute(sql).fetchall() if r[0] is not None)  # type: ignore[attr-defined]
    except Exception:
        return ()


def filter_values(warehouse: Path) -> FilterValues:
    """The values the filters can take on this warehouse (only ``dashboards`` marts are read)."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return FilterValues(
            months=_distinct(
                con,
                "select distinct strftime(contact_month, '%Y-%m')"
                " from dashboards.dash_contacts_by_month_agency order by 1",
            ),
            programmes=_distinct(
                con, "select distinct intervention_code from dashboards.dash_intervention_episodes order by 1"
            ),
            areas=_distinct(
                con,
                "select distinct locality_code from dashboards.dash_contacts_by_locality"
                " where locality_code <> 'unknown' order by 1",
            ),
            cohorts=_distinct(con, "select distinct definition_id from dashboards.dash_cohort_sizes order by 1"),
        )


def filter_sample(values: FilterValues) -> list[dict[str, str]]:
    """A handful of combinations: each filter alone, all together, and values the app must fall back from."""
    out: list[dict[str, str]] = []
    if len(values.months) >= 2:
        out.append({"from": values.months[-min(6, len(values.months))], "to": values.months[-1]})
    if values.programmes:
        out.append({"programme": values.programmes[0]})
    if values.areas:
        out.append({"area": values.areas[0]})
    if values.cohorts:
        out.append({"cohort": values.cohorts[-1]})
    combined: dict[str, str] = {}
    for combo in out:
        combined.update(combo)
    if len(out) > 1:
        if values.programmes:
            combined["programme"] = values.programmes[-1]
        out.append(combined)
    out.append({"from": "1900-01", "to": "not-a-month", "programme": "no-such-programme", "cohort": "NO_SUCH"})
    return out


def sample_loads(values: FilterValues) -> list[tuple[str, dict[str, str]]]:
    """Every page with the defaults, then each sampled combination on two pages (rotating over the pages)."""
    loads: list[tuple[str, dict[str, str]]] = [(path, {}) for path, _ in PAGES]
    n = len(PAGES)
    for i, combo in enumerate(filter_sample(values)):
        for j in (i % n, (i + n // 2) % n):
            loads.append((PAGES[j][0], combo))
    return loads
