"""The differencing audit: how far a reader holding every table of a release can narrow each suppressed cell.

Every cell a release shows is a fact about an unknown true count: a published 0 is 0; a published ``v`` is a count
that rounds to ``v`` (with base 5, ``v - 2`` to ``v + 2``) and is above the threshold; a cell suppressed by the rule
is 1 to the threshold; a cell suppressed to protect another (complementary) is above the threshold; a cell withheld
with the small counts of its group (when no withheld number could protect them) is 0 to the threshold. The relations
(``relations.py``) tie the unknowns together. For each cell suppressed by the rule, linear programming (HiGHS, through
``scipy.optimize.linprog``) finds the smallest and largest value it can take under all of that at once (and for
each cell of a withheld small group, unless a reader can tell it is 0).

The release passes only if no suppressed cell can be narrowed to fewer possible values than a published count
carries: a count rounded to base 5 could be any of 5 numbers, so a suppressed cell must keep a range of at least 5
(``protection_values``: the base, at most the threshold). Asking for the whole 1 to the threshold would fail every
table in which two suppressed cells sum to a third (a reader learns each is at most 6), which betrays nothing;
asking only that a cell not be recovered exactly would pass a margin that leaves "6 or 7". A failure names the
table, the column and the cell's coordinates, never a number.

The linear programme is the continuous relaxation: a reader restricted to whole numbers may narrow a cell a little
further in rare configurations (docs/disclosure.md, "Residual risks"). Unrelated groups of cells are solved apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

from pipelines.disclosure.check import COMPLEMENTARY, GROUPED, PRIMARY
from pipelines.disclosure.relations import Cell, DeclarationError, Relations, TableSpec, count_keys, table_relations

TOLERANCE = 1e-6


class InconsistentRelations(RuntimeError):
    """The published cells cannot all be true under the declared relations: a declaration is wrong."""


@dataclass(frozen=True)
class Location:
    """Where a cell is shown: a table, a count column and the row's own coordinate values."""

    table: str
    column: str
    coordinates: tuple[tuple[str, Any], ...]

    def describe(self) -> str:
        where = ", ".join(f"{c}={v}" for c, v in self.coordinates)
        return f"{self.table}.{self.column} [{where}]"


@dataclass
class Published:
    """What a release says about each cell: its bounds, whether the rule suppressed it, and where it is shown."""

    threshold: int
    rounding_base: int
    lower: dict[Cell, float] = field(default_factory=dict)
    upper: dict[Cell, float] = field(default_factory=dict)
    primary: set[Cell] = field(default_factory=set)
    complementary: set[Cell] = field(default_factory=set)
    grouped: set[Cell] = field(default_factory=set)
    values: dict[Cell, int] = field(default_factory=dict)
    locations: dict[Cell, list[Location]] = field(default_factory=dict)
    relations: Relations = field(default_factory=Relations)

    def bound(self, cell: Cell, low: float, high: float) -> None:
        self.lower[cell] = max(self.lower.get(cell, 0.0), low)
        self.upper[cell] = min(self.upper.get(cell, math.inf), high)


def published_count(count: int, threshold: int, base: int) -> int | None:
    """The rule in Python, as the dbt macro ``disclosure_count`` applies it: 0 stays 0, 1 to the threshold is
    withheld (None), anything else is rounded to the base with halves up, in integer arithmetic."""
    if count == 0:
        return 0
    if count <= threshold:
        return None
    return ((count * 2 + base) // (2 * base)) * base


def rounding_interval(value: int, threshold: int, base: int) -> tuple[int, int]:
    """The true counts a published value stands for: those that round to it (halves up) and pass the threshold."""
    if value == 0:
        return 0, 0
    low = value - base // 2
    high = value + math.ceil(base / 2) - 1
    return max(low, threshold + 1), high


def read_release(
    specs: Mapping[str, TableSpec],
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    threshold: int,
    rounding_base: int,
) -> Published:
    """The bounds every published table puts on its cells, and the relations among them.

    A cell shown in several places (rows that differ only in coordinates its count ignores, or tables that share
    its measure) is one unknown: every appearance must say the same (one number, or withheld for one reason), or
    the declarations linking them are false (``DeclarationError``, naming the places, never the numbers)."""
    published = Published(threshold, rounding_base)
    said: dict[Cell, tuple[str, int | None]] = {}
    for table, spec in sorted(specs.items()):
        rows = tables[table]
        relations = table_relations(spec, rows)
        published.relations.equalities |= relations.equalities
        published.relations.at_most |= relations.at_most
        keys = count_keys(spec, rows)
        for i, row in enumerate(rows):
            coordinates = tuple((c.column, row[c.column]) for c in spec.coordinates)
            for count in spec.counts:
                cell = Cell(count.measure, keys[count.column][i])
                location = Location(table, count.column, coordinates)
                value = row[count.column]
                reason = row.get(f"{count.column}_suppression")
                shown = value is not None and not (isinstance(value, float) and math.isnan(value))
                statement = ("shown", int(value)) if shown else (str(reason or PRIMARY), None)
                if said.setdefault(cell, statement) != statement:
                    first = published.locations[cell][0]
                    raise DeclarationError(
                        f"{first.describe()} and {location.describe()} are declared one cell ({cell.measure}) but "
                        "are published differently: a measure or an ignores in a disclosure declaration is wrong"
                    )
                if cell in published.locations:
                    published.locations[cell].append(location)
                    continue  # the same statement again: it adds no bound
                published.locations[cell] = [location]
                if shown:
                    low, high = rounding_interval(int(value), threshold, rounding_base)
                    published.bound(cell, low, high)
                    published.values[cell] = int(value)
                elif reason == COMPLEMENTARY:
                    published.bound(cell, threshold + 1, math.inf)
                    published.complementary.add(cell)
                elif reason == GROUPED:
                    published.bound(cell, 0, threshold)
                    published.grouped.add(cell)
                else:
                    published.bound(cell, 1, threshold)
                    published.primary.add(cell)
    return published


@dataclass(frozen=True)
class Finding:
    cell: Cell
    locations: tuple[Location, ...]

    def describe(self) -> str:
        return "; ".join(loc.describe() for loc in self.locations)


@dataclass
class AuditResult:
    threshold: int
    protection_values: int
    cells: int
    suppressed: int
    complementary: int
    components: int
    programmes: int
    grouped: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Cell, Cell] = {}

    def find(self, cell: Cell) -> Cell:
        self.parent.setdefault(cell, cell)
        root = cell
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[cell] != root:
            self.parent[cell], cell = root, self.parent[cell]
        return root

    def union(self, cells: Iterable[Cell]) -> None:
        cells = list(cells)
        for other in cells[1:]:
            a, b = self.find(cells[0]), self.find(other)
            if a != b:
                self.parent[b] = a


Component = tuple[list[Cell], list[Any]]


def components(relations: Relations) -> list[Component]:
    """Groups of cells tied by relations, each with its relations: what one linear programme must hold at once."""
    uf = _UnionFind()
    for whole, parts in relations.equalities:
        uf.union((whole, *parts))
    for small, large in relations.at_most:
        uf.union((small, large))
    grouped: dict[Cell, tuple[list[Cell], list[Any]]] = {}
    for cell in sorted(uf.parent):
        grouped.setdefault(uf.find(cell), ([], []))[0].append(cell)
    for relation in sorted(relations.equalities):
        grouped[uf.find(relation[0])][1].append(("eq", relation))
    for relation in sorted(relations.at_most):
        grouped[uf.find(relation[0])][1].append(("le", relation))
    return list(grouped.values())


class Components:
    """The components of one set of relations, with the component of each cell.

    They depend on the relations alone, never on the bounds, and complementary suppression changes only bounds
    (a withheld or grouped cell keeps its relations): one ``Components`` serves every audit of a release and every
    trial withholding made while protecting it. Build a new one if the relations change."""

    def __init__(self, relations: Relations) -> None:
        self.groups = components(relations)
        self.index = {cell: i for i, (cells, _) in enumerate(self.groups) for cell in cells}

    def __len__(self) -> int:
        return len(self.groups)

    def __iter__(self) -> Iterator[Component]:
        return iter(self.groups)

    def containing(self, cell: Cell) -> Component | None:
        """The component ``cell`` is in, or None if no relation mentions it."""
        i = self.index.get(cell)
        return None if i is None else self.groups[i]


class _Programme:
    """One component's linear programme: variables are its cells, bounded as published, tied by its relations."""

    def __init__(self, cells: list[Cell], relations: list[Any], published: Published) -> None:
        self.index = {cell: i for i, cell in enumerate(cells)}
        n = len(cells)
        eq_rows = [r for kind, r in relations if kind == "eq"]
        le_rows = [r for kind, r in relations if kind == "le"]
        a_eq = lil_matrix((len(eq_rows), n))
        for i, (whole, parts) in enumerate(eq_rows):
            a_eq[i, self.index[whole]] += 1.0
            for part in parts:
                a_eq[i, self.index[part]] -= 1.0
        a_ub = lil_matrix((len(le_rows), n))
        for i, (small, large) in enumerate(le_rows):
            a_ub[i, self.index[small]] += 1.0
            a_ub[i, self.index[large]] -= 1.0
        self.a_eq = a_eq.tocsr() if eq_rows else None
        self.a_ub = a_ub.tocsr() if le_rows else None
        self.bounds = [
            (published.lower.get(c, 0.0), None if math.isinf(published.upper.get(c, math.inf)) else published.upper[c])
            for c in cells
        ]
        self.n = n
        self.solved = 0

    def feasible(self) -> bool:
        return self._solve(np.zeros(self.n)) is not None

    def extreme(self, cell: Cell, sense: float) -> float | None:
        """The smallest (sense 1) or largest (sense -1) value of ``cell``; None if infeasible; inf if unbounded."""
        objective = np.zeros(self.n)
        objective[self.index[cell]] = sense
        value = self._solve(objective)
        return None if value is None else value * sense

    def _solve(self, objective: np.ndarray) -> float | None:
        result = linprog(
            objective,
            A_ub=self.a_ub,
            b_ub=None if self.a_ub is None else np.zeros(self.a_ub.shape[0]),
            A_eq=self.a_eq,
            b_eq=None if self.a_eq is None else np.zeros(self.a_eq.shape[0]),
            bounds=self.bounds,
            method="highs",
        )
        self.solved += 1
        if result.status == 2:
            return None
        if result.status == 3:
            return math.inf
        if result.status != 0:
            raise RuntimeError(f"the linear programme did not solve: {result.message}")
        return float(result.fun)


def protection_values(threshold: int, rounding_base: int) -> int:
    """How many possible values a suppressed cell must keep: as many as a rounded count has, at most the threshold."""
    return min(rounding_base, threshold)


def _narrowed(programme: _Programme, cell: Cell, published: Published, needed: int) -> bool:
    low = programme.extreme(cell, 1.0)
    high = programme.extreme(cell, -1.0)
    assert low is not None and high is not None
    if cell in published.grouped and high <= TOLERANCE:
        return False  # a reader can tell this one is 0, which a release may show
    return high - low < needed - 1 - TOLERANCE


def audit(published: Published, touching: set[Cell] | None = None, groups: Components | None = None) -> AuditResult:
    """Every small cell (suppressed by the rule, or withheld with its small group) that the release lets a reader
    narrow to too few possible values (only in the groups of related cells that hold a cell of ``touching``).
    ``groups``: the components of ``published.relations``, if already built."""
    threshold = published.threshold
    needed = protection_values(threshold, published.rounding_base)
    groups = groups if groups is not None else Components(published.relations)
    result = AuditResult(
        threshold=threshold,
        protection_values=needed,
        cells=len(published.locations),
        suppressed=len(published.primary),
        complementary=len(published.complementary),
        components=len(groups),
        programmes=0,
        grouped=len(published.grouped),
    )
    for cells, relations in groups:
        if touching is not None and touching.isdisjoint(cells):
            continue
        programme = _Programme(cells, relations, published)
        if not programme.feasible():
            names = sorted({loc.table for c in cells for loc in published.locations.get(c, [])})
            raise InconsistentRelations(
                "the published cells of " + ", ".join(names) + " cannot all hold under the declared relations: "
                "a disclosure declaration (config.meta.disclosure) is wrong"
            )
        for cell in (c for c in cells if c in published.primary or c in published.grouped):
            if _narrowed(programme, cell, published, needed):
                result.findings.append(Finding(cell, tuple(published.locations.get(cell, ()))))
        result.programmes += programme.solved
    return result


def still_narrowed(published: Published, cell: Cell, groups: Components | None = None) -> bool:
    """Whether a reader can narrow ``cell`` too far under ``published`` (only its own group's programme, one cell).
    ``groups``: the components of ``published.relations``, if already built."""
    groups = groups if groups is not None else Components(published.relations)
    found = groups.containing(cell)
    if found is None:
        return False
    cells, relations = found
    programme = _Programme(cells, relations, published)
    if not programme.feasible():
        raise InconsistentRelations("the published cells cannot all hold under the declared relations")
    return _narrowed(programme, cell, published, protection_values(published.threshold, published.rounding_base))
