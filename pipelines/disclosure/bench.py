"""``hfc bench disclosure``: Tau-Argus (``pytauargus``) against our complementary suppression, table by table.

Issue #17 asks to prefer a maintained library for secondary suppression and to measure the choice. For each
two-dimensional frequency table with its margins (safety events by month and event type, intervention episodes by
intervention and referral route, and seeded random sparse tables of a few sizes) this measures:

1. Tau-Argus: ``pytauargus.protect()`` from one record per counted unit, a minimum-frequency rule ``FREQ(T + 1, p)``
   (counts 1 to the threshold are primary unsafe; ``p`` is the protection range in percent of the cell), with
   optimal (``OPT``) and modular (``MOD``) secondary suppression: cells it suppresses secondarily, seconds.
2. Ours: the same table published as we publish it (counts rounded to the base, halves up, 1 to the threshold
   suppressed) as a ``TableSpec`` with rows, protected by ``secondary.protect()``: cells withheld, seconds.
3. Cross-checks: each Tau-Argus pattern applied to the rounded table and run through our ``audit()``; our pattern
   set on Tau-Argus's table (apriori status ``M``) and run through Tau-Argus's own audit (``engine.audit(0)``), which
   works on exact values and margins.

Only cell counts, pass or fail and timings are reported: never a count of people or events. A Tau-Argus failure is
reported by its exception's class, since its messages can quote a table line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.disclosure.audit import Published, audit, published_count, read_release
from pipelines.disclosure.check import COMPLEMENTARY, PRIMARY
from pipelines.disclosure.relations import Cell, Coordinate, CountSpec, TableSpec
from pipelines.disclosure.secondary import CannotProtect
from pipelines.disclosure.secondary import protect as protect_ours
from pipelines.linkage.bench import machine_description
from pipelines.settings import REPO_ROOT

BENCHMARKS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Complementary suppression: Tau-Argus against ours (`hfc bench disclosure`)"
MARKER = "<!-- disclosure-bench-runs: `hfc bench disclosure --write` appends one dated section per run below -->"
INTRO = """\
`hfc bench disclosure` (`pipelines/disclosure/bench.py`) protects the same two-dimensional frequency tables with
margins twice: with Tau-Argus (`pytauargus` 0.6.0, HiGHS; microdata in, rule `FREQ(8, p)` so counts 1 to 7 are
primary unsafe, secondary suppression `OPT` and `MOD`) and with ours (the table published rounded to 5, halves up,
1 to 7 suppressed, then `secondary.protect()`). Columns: cells (with margins), primary (suppressed by the rule),
secondary cells per method, whether each pattern passes our differencing audit on the rounded table, whether our
pattern passes Tau-Argus's audit on exact values (its protection levels: `p`% of the cell, at least 1), and seconds.
"""
HEADER = (
    "| table | cells | primary | secondary: Tau OPT | Tau MOD | ours | passes our audit: Tau OPT | Tau MOD | ours "
    "| ours passes Tau audit | s: Tau OPT | Tau MOD | ours |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | ---: | ---: | ---: |"
)
TOTAL = "all"
TAU_TOTAL = "Total"
MEASURE = "n"
DEFAULT_SIZES = ((12, 2), (24, 3), (5, 4), (10, 8), (20, 15), (30, 20), (50, 30))

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Table:
    """A complete two-dimensional frequency table: every inner cell's exact count (zeros included)."""

    name: str
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    counts: Mapping[tuple[str, str], int]

    def exact(self, r: str, c: str) -> int:
        """The exact count of a cell, ``all`` standing for a margin."""
        rows = self.rows if r == TOTAL else (r,)
        cols = self.cols if c == TOTAL else (c,)
        return sum(self.counts.get((i, j), 0) for i in rows for j in cols)

    def cells(self) -> list[tuple[str, str]]:
        return [(r, c) for r in (*self.rows, TOTAL) for c in (*self.cols, TOTAL)]


@dataclass
class MethodResult:
    secondary: int | None = None
    seconds: float | None = None
    passes_ours: bool | None = None
    findings: int | None = None
    error: str | None = None
    pattern: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Comparison:
    table: str
    cells: int
    primary: int
    tau_primary: int | None
    opt: MethodResult
    mod: MethodResult
    ours: MethodResult
    ours_passes_tau: bool | None
    ours_tau_findings: int | None


def table_spec(name: str) -> TableSpec:
    return TableSpec(
        table=name,
        coordinates=(Coordinate("row", dimension="row"), Coordinate("col", dimension="col")),
        counts=(CountSpec(MEASURE, measure=f"{name}.{MEASURE}", additive_over=("row", "col")),),
    )


def cell_of(name: str, r: str, c: str) -> Cell:
    key = tuple(sorted((d, v) for d, v in (("row", r), ("col", c)) if v != TOTAL))
    return Cell(f"{name}.{MEASURE}", key)


def published_rows(
    table: Table, threshold: int, base: int, complementary: set[tuple[str, str]] = frozenset()
) -> list[dict[str, Any]]:
    """The table as we publish it; cells in ``complementary`` withheld as complementary suppressions."""
    out = []
    for r, c in table.cells():
        value = published_count(table.exact(r, c), threshold, base)
        reason = PRIMARY if value is None else None
        if (r, c) in complementary and value is not None:
            value, reason = None, COMPLEMENTARY
        out.append({"row": r, "col": c, MEASURE: value, f"{MEASURE}_suppression": reason})
    return out


def read_ours(table: Table, threshold: int, base: int, complementary: set[tuple[str, str]] = frozenset()) -> Published:
    return read_release(
        {table.name: table_spec(table.name)},
        {table.name: published_rows(table, threshold, base, complementary)},
        threshold,
        base,
    )


def run_ours(table: Table, threshold: int, base: int) -> tuple[MethodResult, int]:
    started = time.perf_counter()
    published = read_ours(table, threshold, base)
    try:
        protection = protect_ours(published)
    except CannotProtect as exc:
        return MethodResult(seconds=time.perf_counter() - started, error=type(exc).__name__), len(published.primary)
    seconds = time.perf_counter() - started
    back = {cell_of(table.name, r, c): (r, c) for r, c in table.cells()}
    pattern = {back[cell] for cell in protection.withheld}
    return (
        MethodResult(len(pattern), seconds, protection.audit.passed, pattern=pattern),
        len(published.primary),
    )


def _codes(table: Table) -> tuple[dict[str, str], dict[str, str]]:
    """Short fixed codes for Tau-Argus's fixed-width microdata: no quoting, no spaces, no clash with Total."""
    return (
        {r: f"r{i:04d}" for i, r in enumerate(table.rows)},
        {c: f"c{j:04d}" for j, c in enumerate(table.cols)},
    )


def microdata(table: Table) -> dict[str, list[Any]]:
    """One record per counted unit: what ``pytauargus.protect()`` reads (it has no frequency-table input)."""
    rcode, ccode = _codes(table)
    data: dict[str, list[Any]] = {"R": [], "C": [], "one": []}
    for (r, c), n in sorted(table.counts.items()):
        data["R"] += [rcode[r]] * n
        data["C"] += [ccode[c]] * n
        data["one"] += [1.0] * n
    return data


def _decode(table: Table) -> tuple[dict[str, str], dict[str, str]]:
    rcode, ccode = _codes(table)
    return (
        {v: k for k, v in rcode.items()} | {TAU_TOTAL: TOTAL},
        {v: k for k, v in ccode.items()} | {TAU_TOTAL: TOTAL},
    )


def _quiet() -> None:
    logging.getLogger("pytauargus").setLevel(logging.WARNING)


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """Run Tau-Argus from its own folder: its native solvers write logs and LP files, with cell values, to the
    current directory (CSPlogfile.txt, JJUit.dat, sdc.lp, ...), which must not be the repository."""
    folder.mkdir(parents=True, exist_ok=True)
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_tau(
    table: Table, threshold: int, protection_percent: int, suppress: str, workdir: Path
) -> tuple[MethodResult, int | None]:
    """Tau-Argus on the exact table: its secondary cells and seconds, and its own count of primary cells."""
    from pytauargus import protect

    _quiet()
    started = time.perf_counter()
    try:
        with _inside(workdir):
            result = protect(
                microdata(table),
                ["R", "C"],
                response="one",
                safety_rules=f"FREQ({threshold + 1},{protection_percent})",
                suppress=suppress,
                workdir=str(workdir),
            )
    except Exception as exc:  # any engine failure is a measured outcome, reported by class only
        return MethodResult(error=type(exc).__name__), None
    seconds = time.perf_counter() - started
    rdecode, cdecode = _decode(table)
    pattern: set[tuple[str, str]] = set()
    primary = 0
    for row in result.tables[0].rows:
        status = row["status"]
        if status == "U":
            primary += 1
        elif status == "M":
            pattern.add((rdecode[str(row["R"])], cdecode[str(row["C"])]))
    return MethodResult(len(pattern), seconds, pattern=pattern), primary


def tau_audit_of(
    table: Table, threshold: int, protection_percent: int, pattern: set[tuple[str, str]], workdir: Path
) -> tuple[bool | None, int | None]:
    """Our pattern set as secondary (apriori ``M``) on Tau-Argus's exact table, then its audit: passed, cells
    flagged."""
    from pytauargus import protect
    from pytauargus.engine import run_batch

    _quiet()
    try:
        files = protect(
            microdata(table),
            ["R", "C"],
            response="one",
            safety_rules=f"FREQ({threshold + 1},{protection_percent})",
            suppress="OPT(1)",
            workdir=str(workdir),
            run=False,
        ).files
        rcode, ccode = _codes(table)
        rcode[TOTAL] = ccode[TOTAL] = TAU_TOTAL
        apriori = workdir / "ours.hst"
        apriori.write_text("".join(f"{rcode[r]};{ccode[c]};M\n" for r, c in sorted(pattern)))
        arb = Path(files["arb"])
        lines = [line for line in arb.read_text().splitlines() if not line.startswith(("<SUPPRESS>", "<WRITETABLE>"))]
        lines.append(f'<APRIORI> "{apriori}",1,";"')
        ours_arb = workdir / "ours.arb"
        ours_arb.write_text("\n".join(lines) + "\n")
        with _inside(workdir):
            engine = run_batch(str(ours_arb))
            findings = [r for r in engine.audit(0) if r["unsafe"]]
    except Exception as exc:  # reported by class only
        log.warning("Tau-Argus audit of our pattern failed: %s", type(exc).__name__)
        return None, None
    return not findings, len(findings)


def compare(table: Table, threshold: int, base: int, protection_percent: int) -> Comparison:
    ours, primary = run_ours(table, threshold, base)
    with tempfile.TemporaryDirectory(prefix="hfc-bench-tau-") as tmp:
        opt, tau_primary = run_tau(table, threshold, protection_percent, "OPT(1,60)", Path(tmp) / "opt")
        mod, _ = run_tau(table, threshold, protection_percent, "MOD(1,60,1,1,1)", Path(tmp) / "mod")
        passes_tau, tau_findings = (
            tau_audit_of(table, threshold, protection_percent, ours.pattern, Path(tmp) / "aud")
            if ours.error is None
            else (None, None)
        )
    for method in (opt, mod):
        if method.error is None:
            checked = audit(read_ours(table, threshold, base, method.pattern))
            method.passes_ours, method.findings = checked.passed, len(checked.findings)
    return Comparison(
        table=table.name,
        cells=len(table.cells()),
        primary=primary,
        tau_primary=tau_primary,
        opt=opt,
        mod=mod,
        ours=ours,
        ours_passes_tau=passes_tau,
        ours_tau_findings=tau_findings,
    )


def synthetic_table(n_rows: int, n_cols: int, seed: int) -> Table:
    """A seeded sparse table: a quarter of cells empty, a quarter 1 to 7, the rest 8 to 60."""
    rng = random.Random(f"{seed}-{n_rows}x{n_cols}")
    rows = tuple(f"r{i}" for i in range(n_rows))
    cols = tuple(f"c{j}" for j in range(n_cols))
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        for c in cols:
            u = rng.random()
            counts[(r, c)] = 0 if u < 0.25 else rng.randint(1, 7) if u < 0.5 else rng.randint(8, 60)
    return Table(f"synthetic {n_rows}x{n_cols} (seed {seed})", rows, cols, counts)


MART_TABLES: dict[str, tuple[str, str, str]] = {
    "safety events: month x event_type": ("marts.fct_safety_events", "strftime(event_month, '%Y-%m')", "event_type"),
    "safety events: event_type x age band": ("marts.fct_safety_events", "event_type", "person_age_band"),
    "intervention episodes: intervention x referral route": (
        "marts.fct_intervention_episodes",
        "intervention_code",
        "referral_route_code",
    ),
    "intervention episodes: referral route x ethnicity group": (
        "marts.fct_intervention_episodes",
        "referral_route_code",
        "ethnicity_group",
    ),
}
NOT_RECORDED = "not_recorded"


def mart_tables(warehouse: Path) -> list[Table]:
    """The marts' two-way counts, every combination of the values seen (a missing pair is a true zero)."""
    import duckdb

    tables = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, (relation, row_expr, col_expr) in MART_TABLES.items():
            counts = {
                (str(r), str(c)): int(n)
                for r, c, n in con.execute(
                    f"select coalesce({row_expr}, '{NOT_RECORDED}'), coalesce({col_expr}, '{NOT_RECORDED}'), count(*) "
                    f"from {relation} group by all"
                ).fetchall()
            }
            rows = tuple(sorted({r for r, _ in counts}))
            cols = tuple(sorted({c for _, c in counts}))
            tables.append(Table(name, rows, cols, counts))
    return tables


def _yes(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def _passes(method: MethodResult) -> str:
    if method.passes_ours is False and method.findings:
        return f"no ({method.findings} cells)"
    return _yes(method.passes_ours)


def _secs(method: MethodResult) -> str:
    return f"failed ({method.error})" if method.error else f"{method.seconds:.2f}"


def _n(method: MethodResult) -> str:
    return f"failed ({method.error})" if method.error else str(method.secondary)


def format_row(c: Comparison) -> str:
    primary = str(c.primary) if c.tau_primary in (None, c.primary) else f"{c.primary} (Tau {c.tau_primary})"
    tau_audit = _yes(c.ours_passes_tau)
    if c.ours_passes_tau is False:
        tau_audit += f" ({c.ours_tau_findings} cells)"
    return (
        f"| {c.table} | {c.cells} | {primary} | {_n(c.opt)} | {_n(c.mod)} | {_n(c.ours)} "
        f"| {_passes(c.opt)} | {_passes(c.mod)} | {_yes(c.ours.passes_ours)} | {tau_audit} "
        f"| {_secs(c.opt)} | {_secs(c.mod)} | {_secs(c.ours)} |"
    )


def run(
    tables: Sequence[Table],
    threshold: int,
    base: int,
    protection_percent: int,
    progress: Callable[[str], None] | None = None,
) -> list[Comparison]:
    results = []
    for table in tables:
        result = compare(table, threshold, base, protection_percent)
        if progress:
            progress(format_row(result))
        results.append(result)
    return results


def append_run(path: Path, section: str, intro: str, marker: str, header: str, title: str, rows: Sequence[str]) -> None:
    """Append a dated run under ``marker`` in benchmarks.md (creating the section, with its intro, if missing),
    leaving every other section untouched. Shared by the benches that keep a history of runs."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if marker not in text:
        text = text.rstrip("\n") + f"\n\n{section}\n\n{intro}\n{marker}\n"
    lines = text.splitlines()
    at = lines.index(marker)
    end = len(lines)
    for i in range(at + 1, len(lines)):
        if lines[i].startswith("## "):
            end = i
            break
    while end > at + 1 and not lines[end - 1].strip():
        end -= 1
    block = ["", title, "", *header.splitlines(), *rows]
    if end < len(lines):
        block.append("")
    lines[end:end] = block
    path.write_text("\n".join(lines) + "\n")


def write_section(path: Path, title: str, rows: Sequence[str]) -> None:
    """Append a dated run of this bench (see ``append_run``)."""
    append_run(path, SECTION, INTRO, MARKER, HEADER, title, rows)


def main(args: argparse.Namespace) -> int:
    from pipelines.settings import disclosure_rounding_base, disclosure_threshold, warehouse_path

    threshold, base = disclosure_threshold(), disclosure_rounding_base()
    tables: list[Table] = []
    warehouse = args.warehouse or warehouse_path()
    if args.synthetic_only:
        pass
    elif warehouse.exists():
        tables += mart_tables(warehouse)
    else:
        sys.stderr.write(f"hfc bench disclosure: no warehouse at {warehouse}; synthetic tables only\n")
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes] if args.sizes else DEFAULT_SIZES
    tables += [synthetic_table(r, c, args.seed) for r, c in sizes]
    sys.stdout.write(HEADER + "\n")
    results = run(tables, threshold, base, args.protection, progress=lambda row: sys.stdout.write(row + "\n"))
    command = "hfc bench disclosure" + (f" --protection {args.protection}" if args.protection != 100 else "")
    if args.sizes:
        command += " --sizes " + " ".join(args.sizes)
    if args.seed != 0:
        command += f" --seed {args.seed}"
    title = (
        f"### {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC: `{command}` "
        f"(threshold {threshold}, base {base}, Tau-Argus FREQ({threshold + 1},{args.protection})), "
        f"{machine_description()}"
    )
    if args.write:
        write_section(BENCHMARKS, title, [format_row(r) for r in results])
    return 0
