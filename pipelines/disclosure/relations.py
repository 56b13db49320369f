"""The additive relations between published cells, from each dash model's ``config.meta.disclosure`` declaration.

A reader who has every table of a release knows more than any one table tells: a margin is the sum of its row, the
same population cut two ways has one total, months add up to their year. The audit (``audit.py``) needs all of that
as linear relations between cells. Each dash model declares (docs/disclosure.md, "The differencing audit"):

```yaml
config:
  meta:
    disclosure:
      coordinates: {contact_month: month, agency: agency}
      counts:
        contacts: {measure: contacts, additive_over: [month, agency]}
        people: {measure: people_in_contact_by_month_agency, within: contacts}
      parts: {contacts: [crisis_contacts, non_crisis_contacts]}
```

- ``coordinates`` maps every dimension column to a canonical dimension. A long table names the dimension in another
  column: ``dimension_value: {dimension_from: dimension}`` with ``dimension: {names_dimension: true}``. A value in
  ``totals`` (default ``[all]``) means "every value" and drops out of the cell's key.
- A cell is (measure, key): the key is its canonical coordinates. Two cells with the same measure and key are the
  same number wherever they are shown, so declaring a shared measure links tables.
- ``additive_over``: the count is the sum of its cells over these dimensions (months also roll up to quarters and
  years). Every table is complete for its coordinates (a GROUP BY: a missing row is a true zero), so each group of
  rows that differ only in the summed dimensions adds up to a parent cell, published or not.
- ``within``: this count is at most another count of the same row. ``parts``: a count is the sum of others in its row.
- ``ignores``: coordinates (columns) this count does not depend on, such as a group's people in contact repeated on
  each event type's row: ``people_in_contact: {measure: people_in_contact, ignores: [event_type]}``. Its key drops
  them, so every row showing it shows one cell, the same cell as a table without those coordinates shows (linked
  through the measure). Every appearance of a cell must be published alike (the same number, or withheld for the
  same reason), or ``read_release`` stops with a ``DeclarationError``; withholding it withholds every appearance.
- ``statistics`` (usually from the model's ``disclosure_safe`` test): each statistic and the count, or list of
  counts, behind it (``percent_of_people: [people, people_in_contact]``): it is shown only where all of them
  survive, and withheld with any of them.

Dates in a ``month`` coordinate become ``YYYY-MM``; booleans ``true``/``false``; everything else its text.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.settings import REPO_ROOT

DASHBOARD_MODELS = REPO_ROOT / "dbt_project" / "models" / "dashboards"
DEFAULT_TOTALS = ("all",)
# a time dimension's coarser levels, finest first: a count additive over months is additive over quarters and years
ROLLUPS: dict[str, tuple[str, ...]] = {"month": ("quarter", "year"), "quarter": ("year",)}

Key = tuple[tuple[str, str], ...]


class DeclarationError(ValueError):
    """A dash model's disclosure declaration is missing, malformed or does not match its table."""


@dataclass(frozen=True, order=True)
class Cell:
    """One number: a measure (the population counted) at a key (its canonical coordinates)."""

    measure: str
    key: Key

    def describe(self) -> str:
        where = ", ".join(f"{d}={v}" for d, v in self.key) or "all"
        return f"{self.measure} [{where}]"


@dataclass(frozen=True)
class Coordinate:
    column: str
    dimension: str | None = None
    dimension_from: str | None = None
    names_dimension: bool = False


@dataclass(frozen=True)
class CountSpec:
    column: str
    measure: str
    additive_over: tuple[str, ...] = ()
    within: str | None = None
    ignores: tuple[str, ...] = ()  # coordinate columns the count does not depend on: not in its cells' keys


@dataclass(frozen=True)
class TableSpec:
    """A dash table's declaration: its coordinates, its counts and the relations among them."""

    table: str
    coordinates: tuple[Coordinate, ...]
    counts: tuple[CountSpec, ...]
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # each statistic with the counts behind it: shown only where all of them survive
    statistics: tuple[tuple[str, tuple[str, ...]], ...] = ()
    totals: tuple[str, ...] = DEFAULT_TOTALS

    @property
    def count_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.counts)

    def count(self, column: str) -> CountSpec:
        for spec in self.counts:
            if spec.column == column:
                return spec
        raise DeclarationError(f"{self.table}: {column} is not a declared count")

    def statistics_behind(self, column: str) -> tuple[str, ...]:
        """The statistics that rest on the count ``column`` (withheld whenever it is)."""
        return tuple(statistic for statistic, behind in self.statistics if column in behind)

    def to_json(self) -> dict[str, Any]:
        coordinates: dict[str, Any] = {}
        for c in self.coordinates:
            if c.names_dimension:
                coordinates[c.column] = {"names_dimension": True}
            elif c.dimension_from:
                coordinates[c.column] = {"dimension_from": c.dimension_from}
            else:
                coordinates[c.column] = c.dimension
        return {
            "coordinates": coordinates,
            "counts": {
                c.column: {"measure": c.measure, "additive_over": list(c.additive_over)}
                | ({"within": c.within} if c.within else {})
                | ({"ignores": list(c.ignores)} if c.ignores else {})
                for c in self.counts
            },
            "parts": {whole: list(parts) for whole, parts in self.parts},
            "statistics": {s: behind[0] if len(behind) == 1 else list(behind) for s, behind in self.statistics},
            "totals": list(self.totals),
        }

    @classmethod
    def from_json(
        cls, table: str, declared: Mapping[str, Any], statistics: Mapping[str, str | Sequence[str]] | None = None
    ) -> TableSpec:
        if not isinstance(declared, Mapping):
            raise DeclarationError(f"{table}: the disclosure declaration must be a mapping")
        coordinates = []
        for column, value in (declared.get("coordinates") or {}).items():
            if isinstance(value, str):
                coordinates.append(Coordinate(column, dimension=value))
            elif isinstance(value, Mapping) and value.get("names_dimension"):
                coordinates.append(Coordinate(column, names_dimension=True))
            elif isinstance(value, Mapping) and value.get("dimension_from"):
                coordinates.append(Coordinate(column, dimension_from=str(value["dimension_from"])))
            else:
                raise DeclarationError(f"{table}: coordinate {column} must name a dimension")
        counts = []
        for column, value in (declared.get("counts") or {}).items():
            value = value or {}
            counts.append(
                CountSpec(
                    column,
                    measure=str(value.get("measure") or f"{table}.{column}"),
                    additive_over=tuple(value.get("additive_over") or ()),
                    within=value.get("within"),
                    ignores=tuple(value.get("ignores") or ()),
                )
            )
        parts = tuple((whole, tuple(p)) for whole, p in (declared.get("parts") or {}).items())
        stats: dict[str, tuple[str, ...]] = {}
        for source in (declared.get("statistics") or {}, statistics or {}):
            for statistic, behind in source.items():
                counted = (behind,) if isinstance(behind, str) else tuple(behind or ())
                if not counted:
                    raise DeclarationError(f"{table}.{statistic}: a statistic must name the count behind it")
                stats[str(statistic)] = tuple(sorted(set(stats.get(str(statistic), ())) | set(counted)))
        spec = cls(
            table=table,
            coordinates=tuple(coordinates),
            counts=tuple(counts),
            parts=parts,
            statistics=tuple(sorted(stats.items())),
            totals=tuple(declared.get("totals") or DEFAULT_TOTALS),
        )
        spec.validate_self()
        return spec

    def validate_self(self) -> None:
        columns = set(self.count_columns)
        for c in self.counts:
            if c.within and c.within not in columns:
                raise DeclarationError(f"{self.table}.{c.column}: within {c.within}, which is not a declared count")
        for whole, parts in self.parts:
            for name in (whole, *parts):
                if name not in columns:
                    raise DeclarationError(f"{self.table}: parts of {whole} name {name}, which is not a declared count")
        named = {c.column for c in self.coordinates if c.names_dimension}
        for c in self.coordinates:
            if c.dimension_from and c.dimension_from not in named:
                raise DeclarationError(f"{self.table}.{c.column}: dimension_from {c.dimension_from} is not declared")
        plain = {c.column: c.dimension for c in self.coordinates if c.dimension}
        for c in self.counts:
            for column in c.ignores:
                if column not in plain:
                    raise DeclarationError(
                        f"{self.table}.{c.column}: ignores {column}, which is not a coordinate naming one dimension"
                    )
                if plain[column] in c.additive_over:
                    raise DeclarationError(
                        f"{self.table}.{c.column}: ignores {column} but adds up over it: it cannot be both"
                    )

    def validate_columns(self, columns: Iterable[str]) -> None:
        """Every column of the table is a coordinate, a count, a statistic or a suppression reason, and vice versa."""
        columns = list(columns)
        present = set(columns)
        declared = {c.column for c in self.coordinates} | set(self.count_columns) | {s for s, _ in self.statistics}
        missing = sorted(declared - present)
        if missing:
            raise DeclarationError(f"{self.table}: declared but not in the table: {', '.join(missing)}")
        undeclared = sorted(c for c in present - declared if not c.endswith("_suppression"))
        if undeclared:
            raise DeclarationError(f"{self.table}: columns without a disclosure declaration: {', '.join(undeclared)}")


def canonical_value(dimension: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    text = str(value)
    if dimension == "month":
        return text[:7]
    return text


def rollup(dimension: str, value: str, level: str) -> str:
    """A time value at a coarser level: 2025-03 is in 2025-Q1 and 2025; 2025-Q1 is in 2025."""
    if level == "year":
        return value[:4]
    if level == "quarter" and dimension == "month":
        return f"{value[:4]}-Q{(int(value[5:7]) - 1) // 3 + 1}"
    raise DeclarationError(f"no roll-up of {dimension} to {level}")


def row_key(spec: TableSpec, row: Mapping[str, Any], ignores: Iterable[str] = ()) -> Key:
    """The canonical key of a row: its coordinates, without those at a total value (and without the coordinate
    columns in ``ignores``: those a count does not depend on)."""
    names = {c.column: row[c.column] for c in spec.coordinates if c.names_dimension}
    ignored = set(ignores)
    key: dict[str, str] = {}
    for c in spec.coordinates:
        if c.names_dimension or c.column in ignored:
            continue
        dimension = str(names[c.dimension_from]) if c.dimension_from else str(c.dimension)
        value = row[c.column]
        if value is None:
            raise DeclarationError(f"{spec.table}.{c.column}: a coordinate is null")
        text = canonical_value(dimension, value)
        if text in spec.totals:
            continue
        if dimension in key:
            raise DeclarationError(f"{spec.table}: two coordinates are the dimension {dimension}")
        key[dimension] = text
    return tuple(sorted(key.items()))


@dataclass
class Relations:
    """Linear relations between cells: ``equalities`` as (whole, parts), ``at_most`` as (smaller, larger)."""

    equalities: set[tuple[Cell, tuple[Cell, ...]]] = field(default_factory=set)
    at_most: set[tuple[Cell, Cell]] = field(default_factory=set)

    def cells(self) -> set[Cell]:
        found: set[Cell] = set()
        for whole, parts in self.equalities:
            found.add(whole)
            found.update(parts)
        for small, large in self.at_most:
            found.update((small, large))
        return found


def _parent_options(dimension: str, value: str, additive: set[str]) -> list[tuple[str, str | None]]:
    """Ways to coarsen one coordinate of an additive count: keep it, drop it, or roll a time up a level."""
    options: list[tuple[str, str | None]] = [("keep", value)]
    if dimension in additive or any(dimension in ROLLUPS.get(a, ()) for a in additive):
        options.append(("drop", None))
        for level in ROLLUPS.get(dimension, ()):
            options.append((f"to_{level}", rollup(dimension, value, level)))
    return options


def table_relations(spec: TableSpec, rows: Sequence[Mapping[str, Any]]) -> Relations:
    """Every relation one table's rows imply: sums over additive dimensions, within and parts in each row."""
    relations = Relations()
    keys = count_keys(spec, rows)
    for count in spec.counts:
        additive = set(count.additive_over)
        if not additive:
            continue
        groups: dict[tuple[Any, ...], set[Cell]] = {}
        for key in sorted(set(keys[count.column])):
            per_dimension = []
            for dimension, value in key:
                per_dimension.append(
                    [(dimension, action, v) for action, v in _parent_options(dimension, value, additive)]
                )
            for choice in itertools.product(*per_dimension):
                if all(action == "keep" for _, action, _ in choice):
                    continue
                signature = tuple((d, a) for d, a, _ in choice if a != "keep") + tuple(
                    (d, "keep") for d, a, _ in choice if a == "keep"
                )
                parent: dict[str, str] = {}
                for d, action, v in choice:
                    if action == "keep":
                        parent[d] = str(v)
                    elif action.startswith("to_"):
                        parent[action[3:]] = str(v)
                group = (signature, tuple(sorted(parent.items())))
                groups.setdefault(group, set()).add(Cell(count.measure, key))
        for (_, parent_key), children in groups.items():
            relations.equalities.add((Cell(count.measure, parent_key), tuple(sorted(children))))

    def cell(column: str, i: int) -> Cell:
        return Cell(spec.count(column).measure, keys[column][i])

    for i in range(len(rows)):
        for count in spec.counts:
            if count.within:
                relations.at_most.add((cell(count.column, i), cell(count.within, i)))
        for whole, parts in spec.parts:
            relations.equalities.add((cell(whole, i), tuple(sorted(cell(p, i) for p in parts))))
    return relations


def count_keys(spec: TableSpec, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Key]]:
    """Per count column, the key of its cell in each row (rows share a cell where they differ only in coordinates
    the count ignores)."""
    by_ignores: dict[tuple[str, ...], list[Key]] = {}
    keys: dict[str, list[Key]] = {}
    for count in spec.counts:
        ignores = tuple(sorted(count.ignores))
        if ignores not in by_ignores:
            by_ignores[ignores] = [row_key(spec, row, ignores) for row in rows]
        keys[count.column] = by_ignores[ignores]
    return keys


def _disclosure_safe_statistics(model: Mapping[str, Any]) -> dict[str, str]:
    statistics: dict[str, str] = {}
    for test in model.get("data_tests", []) or []:
        if isinstance(test, dict) and "disclosure_safe" in test:
            statistics.update(((test["disclosure_safe"] or {}).get("arguments") or {}).get("statistics") or {})
    return statistics


def project_specs(models_dir: Path = DASHBOARD_MODELS) -> dict[str, TableSpec]:
    """Every dash model's declaration, from the dbt project's yml (statistics from its ``disclosure_safe`` test)."""
    specs: dict[str, TableSpec] = {}
    for path in sorted(models_dir.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            name = model["name"]
            if not name.startswith("dash_"):
                continue
            declared = ((model.get("config") or {}).get("meta") or {}).get("disclosure")
            if declared is None:
                raise DeclarationError(f"{name}: no config.meta.disclosure declaration in {path.name}")
            specs[name] = TableSpec.from_json(name, declared, _disclosure_safe_statistics(model))
    return specs


def write_specs(specs: Mapping[str, TableSpec], path: Path) -> None:
    path.write_text(json.dumps({t: s.to_json() for t, s in sorted(specs.items())}, indent=2, sort_keys=True) + "\n")


def read_specs(path: Path) -> dict[str, TableSpec]:
    if not path.exists():
        raise DeclarationError(f"{path.name} is missing: a release carries its tables' relations")
    return {table: TableSpec.from_json(table, declared) for table, declared in json.loads(path.read_text()).items()}
