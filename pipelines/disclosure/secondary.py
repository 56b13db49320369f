"""Complementary (secondary) suppression: withhold further cells until the differencing audit passes.

The rule suppresses counts of 1 to the threshold; a margin or a sibling table can still betray one. While the audit
finds a suppressed cell a reader could narrow, this withholds one more published cell for it: the smallest published
count that shares a relation with it (or, failing that, with the nearest unknown cell beside it, through sums and
"at most" relations alike), the choice that loses least. It repeats until the audit passes. Withheld cells carry the
reason ``suppressed_complementary``; a statistic whose count is withheld is withheld with it.

Some findings no withheld number can protect: the suppression reasons alone betray them (a suppressed total of 1 to
7 whose four parts are each suppressed, so each is 1 to 4). Then the small counts of the finding's relations (its
suppressed cells and its zeros together, so a reader cannot tell which are 0) are withheld as a group, with the
reason ``suppressed_small_group`` (0 to the threshold), widening to the next relations out until it passes. Past
``max_rounds`` of the greedy step, everything published that bears on a finding is withheld at once. Only a
declaration the numbers contradict (``InconsistentRelations``) stops the build.

Why not Tau-Argus (``pytauargus``) for the pattern: its optimal suppression protects one table with exact margins,
while a release here is many linked tables of rounded counts; the audit below is the check either way, and the
comparison is measured in docs/benchmarks.md (``hfc bench disclosure``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.disclosure.audit import AuditResult, Components, Published, audit, read_release, still_narrowed
from pipelines.disclosure.check import COMPLEMENTARY, GROUPED, STATISTIC_WITHHELD
from pipelines.disclosure.relations import Cell, DeclarationError, TableSpec, project_specs

DASHBOARDS_SCHEMA = "dashboards"
MAX_ROUNDS = 500


class CannotProtect(RuntimeError):
    """A suppressed cell stays recoverable with every cell that bears on it withheld: never, unless the published
    bounds are not what ``read_release`` makes of a release."""


@dataclass
class Protection:
    audit: AuditResult
    withheld: list[Cell] = field(default_factory=list)
    grouped: list[Cell] = field(default_factory=list)
    rounds: int = 0


def _relations_by_cell(published: Published, sums_only: bool = False) -> dict[Cell, list[tuple[Cell, ...]]]:
    """Every relation each cell is in, as its members: a sum (whole and parts) or an "at most" (smaller, larger)."""
    by_cell: dict[Cell, list[tuple[Cell, ...]]] = {}
    relations = [(whole, *parts) for whole, parts in sorted(published.relations.equalities)]
    if not sums_only:
        relations += [(small, large) for small, large in sorted(published.relations.at_most)]
    for members in relations:
        for cell in members:
            by_cell.setdefault(cell, []).append(members)
    return by_cell


def _shown(published: Published, cell: Cell) -> bool:
    return published.values.get(cell, 0) > 0


def _unknown(published: Published, cell: Cell) -> bool:
    """Not pinned by a published number: suppressed, withheld, or a margin no table shows (a 0 is exact)."""
    return cell not in published.values


def _reachable(cell: Cell, published: Published, by_cell: Mapping[Cell, list[tuple[Cell, ...]]]) -> list[set[Cell]]:
    """The published cells that bear on ``cell``, nearest first: those sharing a relation with it, then those one
    relation further (through unknown and published cells alike), and so on. A published 0 is exact and carries
    nothing further. The first layer is empty only when every cell beside ``cell`` is unknown or 0."""
    layers: list[set[Cell]] = []
    seen = {cell}
    frontier = [cell]
    while frontier:
        near: set[Cell] = set()
        unknown: set[Cell] = set()
        for current in frontier:
            for members in by_cell.get(current, []):
                for other in members:
                    if other in seen:
                        continue
                    if _shown(published, other):
                        near.add(other)
                    elif _unknown(published, other):
                        unknown.add(other)
        if near:
            layers.append(near)
        seen |= near | unknown
        frontier = sorted(unknown | near)
    return layers


def _candidates(
    cell: Cell,
    published: Published,
    sums: Mapping[Cell, list[tuple[Cell, ...]]],
    by_cell: Mapping[Cell, list[tuple[Cell, ...]]],
) -> list[Cell]:
    """The published cells nearest to ``cell`` through its sums (or, if none, through any relation), smallest first:
    the choice that loses least."""
    layers = _reachable(cell, published, sums) or _reachable(cell, published, by_cell)
    return sorted(layers[0], key=lambda c: (published.values[c], c)) if layers else []


def withhold(published: Published, cell: Cell) -> None:
    published.values.pop(cell, None)
    published.lower[cell] = published.threshold + 1
    published.upper[cell] = math.inf
    published.complementary.add(cell)


def group(published: Published, cell: Cell) -> None:
    """Withhold a small cell (suppressed or 0) with its group: a reader learns only that it is 0 to the threshold."""
    published.values.pop(cell, None)
    published.primary.discard(cell)
    published.lower[cell] = 0.0
    published.upper[cell] = float(published.threshold)
    published.grouped.add(cell)


def _trial(published: Published) -> Published:
    """A copy whose bounds can change without changing ``published``."""
    return Published(
        published.threshold,
        published.rounding_base,
        lower=dict(published.lower),
        upper=dict(published.upper),
        primary=set(published.primary),
        complementary=set(published.complementary),
        grouped=set(published.grouped),
        values=dict(published.values),
        locations=published.locations,
        relations=published.relations,
    )


def _beyond_any_withholding(
    cell: Cell, published: Published, by_cell: Mapping[Cell, list[tuple[Cell, ...]]], groups: Components
) -> bool:
    """Whether ``cell`` stays narrowed with every published cell that bears on it withheld: the reasons alone
    betray it, so no complementary pattern can protect it. (The trial shares ``published``'s relations, so their
    components ``groups`` hold for it too.)"""
    trial = _trial(published)
    for layer in _reachable(cell, trial, by_cell):
        for other in layer:
            withhold(trial, other)
    return still_narrowed(trial, cell, groups)


def _small_group(cell: Cell, published: Published, by_cell: Mapping[Cell, list[tuple[Cell, ...]]]) -> set[Cell]:
    """The small cells (suppressed by the rule, or 0) of the relations nearest to ``cell`` that are not yet withheld
    with a group: its own relations first, then theirs, and so on."""

    def small(c: Cell) -> bool:
        shown_zero = published.values.get(c) == 0
        return (
            (c in published.primary or shown_zero) and c not in published.grouped and bool(published.locations.get(c))
        )

    seen = {cell}
    frontier = [cell]
    while frontier:
        members = {c for current in frontier for relation in by_cell.get(current, []) for c in relation}
        layer = {c for c in members | set(frontier) if small(c)}
        if layer:
            return layer
        frontier = sorted(members - seen)
        seen |= members
    return set()


def protect(published: Published, max_rounds: int = MAX_ROUNDS) -> Protection:
    """Withhold cells, fewest and smallest first, until ``audit(published)`` passes."""
    by_cell = _relations_by_cell(published)
    sums = _relations_by_cell(published, sums_only=True)
    # withholding and grouping change bounds only, never relations: the components are built once
    groups = Components(published.relations)
    protection = Protection(audit=audit(published, groups=groups))
    while not protection.audit.passed:
        picks: set[Cell] = set()
        grouping: set[Cell] = set()
        for finding in protection.audit.findings:
            if finding.cell in grouping:
                continue
            if _beyond_any_withholding(finding.cell, published, by_cell, groups):
                grouping |= _small_group(finding.cell, published, by_cell)
                continue
            if protection.rounds >= max_rounds:
                # the greedy step is taking too long: withhold everything that bears on what is left at once
                picks |= {c for layer in _reachable(finding.cell, published, by_cell) for c in layer}
                continue
            candidates = _candidates(finding.cell, published, sums, by_cell)
            if candidates and not picks.intersection(candidates):
                picks.add(candidates[0])
        if not picks and not grouping:
            # unreachable while the bounds are read_release's: a finding with nothing published bearing on it is
            # beyond any withholding, and its relations run out of small cells only once all are grouped
            raise CannotProtect(f"no cell can be withheld to protect {protection.audit.findings[0].describe()}")
        for cell in sorted(picks):
            withhold(published, cell)
            protection.withheld.append(cell)
        for cell in sorted(grouping):
            group(published, cell)
            protection.grouped.append(cell)
        protection.rounds += 1
        # every group with a finding got a pick; the others passed and are unchanged
        protection.audit = audit(published, touching=picks | grouping, groups=groups)
    if protection.rounds:
        protection.audit = audit(published, groups=groups)
    return protection


def read_tables(con: duckdb.DuckDBPyConnection, schema: str, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        cursor = con.execute(f'select * from "{schema}"."{table}"')
        names = [d[0] for d in cursor.description]
        rows[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return rows


def dash_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name like 'dash\\_%' escape '\\' order by table_name",
            [schema],
        ).fetchall()
    ]


def load(
    con: duckdb.DuckDBPyConnection,
    specs: Mapping[str, TableSpec],
    threshold: int,
    rounding_base: int,
    schema: str = DASHBOARDS_SCHEMA,
) -> Published:
    """Read every dash table of ``schema`` against its declaration."""
    tables = dash_tables(con, schema)
    undeclared = sorted(set(tables) - set(specs))
    if undeclared:
        raise DeclarationError(f"dash tables without a disclosure declaration: {', '.join(undeclared)}")
    missing = sorted(set(specs) - set(tables))
    if missing:
        raise DeclarationError(f"declared dash tables that are not there: {', '.join(missing)}")
    for table in tables:
        columns = [r[0] for r in con.execute(f'select * from "{schema}"."{table}" limit 0').description]
        specs[table].validate_columns(columns)
    return read_release({t: specs[t] for t in tables}, read_tables(con, schema, tables), threshold, rounding_base)


def apply(
    con: duckdb.DuckDBPyConnection,
    specs: Mapping[str, TableSpec],
    published: Published,
    withheld: list[Cell],
    schema: str = DASHBOARDS_SCHEMA,
    grouped: Iterable[Cell] = (),
) -> int:
    """Null every location of each withheld cell and each cell withheld with its small group (and the statistics
    resting on them): a cell shown in several rows or tables is withheld in all of them. The rows changed."""
    changed = 0
    reasons = [(cell, COMPLEMENTARY) for cell in withheld] + [(cell, GROUPED) for cell in grouped]
    for cell, reason in reasons:
        for location in published.locations[cell]:
            spec = specs[location.table]
            column = location.column
            sets = [f'"{column}" = null', f"\"{column}_suppression\" = '{reason}'"]
            for statistic in spec.statistics_behind(column):
                sets += [f'"{statistic}" = null', f"\"{statistic}_suppression\" = '{STATISTIC_WITHHELD}'"]
            where = " and ".join(f'"{c}" is not distinct from ?' for c, _ in location.coordinates)
            con.execute(
                f'update "{schema}"."{location.table}" set {", ".join(sets)} where {where}',
                [v for _, v in location.coordinates],
            )
            changed += 1
    return changed


def protect_warehouse(
    con: duckdb.DuckDBPyConnection,
    threshold: int,
    rounding_base: int,
    specs: Mapping[str, TableSpec] | None = None,
    schema: str = DASHBOARDS_SCHEMA,
) -> Protection:
    """Complementary suppression of a built warehouse's dash tables, in place; raises if it cannot pass the audit."""
    specs = dict(specs) if specs is not None else project_specs()
    published = load(con, specs, threshold, rounding_base, schema)
    protection = protect(published)
    apply(con, specs, published, protection.withheld, schema, protection.grouped)
    return protection
