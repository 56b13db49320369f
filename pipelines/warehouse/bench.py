"""``hfc bench dbt``: how long the demo county's ``dbt build`` takes, and how much of that is dbt itself.

Each run copies the full build aside and runs, in the same run and on the same copy, ``dbt build --empty`` (every
model, test and unit test compiled and executed on zero rows: dbt's own overhead of parsing, compiling, DDL and
test plumbing) and then ``dbt build`` on the data. The difference is the time spent on the data. The median of
``--runs`` runs is reported with the machine, and ``--write`` appends it to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.linkage.bench import machine_description
from pipelines.settings import REPO_ROOT, restricted_warehouse_path, zones

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
BENCHMARKS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Warehouse build (dbt)"
MARKER = "<!-- dbt-bench-rows: `hfc bench dbt --write` appends one row per run below -->"
HEADER = (
    "| date (UTC) | contacts | nodes | build s | empty build s (dbt overhead) | data s | slowest model (s) "
    "| machine | command |\n| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
)


def _dbt(args: list[str], build: Path, target: Path) -> tuple[float, dict]:
    env = {
        **os.environ,
        "HFC_WAREHOUSE_BUILD_PATH": str(build),
        "HFC_PSEUDONYMISED_DIR": os.environ.get("HFC_PSEUDONYMISED_DIR", str(zones().pseudonymised)),
    }
    dbt = Path(sys.executable).parent / "dbt"
    started = time.perf_counter()
    result = subprocess.run(
        [str(dbt), "--quiet", *args, "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed: {result.stdout[-2000:]}")
    return seconds, json.loads((target / "run_results.json").read_text())


def measure(runs: int) -> dict[str, object]:
    source = restricted_warehouse_path()
    if not source.exists():
        raise FileNotFoundError(f"no warehouse build at {source}: run `make run` first")
    builds, empties, slowest = [], [], []
    nodes = 0
    with tempfile.TemporaryDirectory(prefix="hfc-bench-dbt-") as tmp:
        for i in range(runs):
            copy = Path(tmp) / f"run{i}.duckdb"
            shutil.copy2(source, copy)
            empty, _ = _dbt(["build", "--empty"], copy, Path(tmp) / f"empty{i}")
            full, results = _dbt(["build"], copy, Path(tmp) / f"full{i}")
            empties.append(empty)
            builds.append(full)
            nodes = len(results["results"])
            worst = max(results["results"], key=lambda r: r.get("execution_time") or 0)
            slowest.append((worst["unique_id"].split(".")[-1], worst["execution_time"]))
            copy.unlink()
        import duckdb

        with duckdb.connect(str(source), read_only=True) as con:
            contacts = con.execute("select count(*) from marts.fct_contacts").fetchone()[0]
    build, empty = statistics.median(builds), statistics.median(empties)
    name, secs = max(slowest, key=lambda s: s[1])
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "contacts": contacts,
        "nodes": nodes,
        "build": build,
        "empty": empty,
        "data": build - empty,
        "slowest": f"{name} ({secs:.1f})",
        "machine": machine_description(),
        "builds": builds,
        "empties": empties,
    }


def format_row(r: dict[str, object], command: str) -> str:
    return (
        f"| {r['date']} | {r['contacts']:,} | {r['nodes']} | {r['build']:.1f} | {r['empty']:.1f} | {r['data']:.1f} "
        f"| {r['slowest']} | {r['machine']} | `{command}` |"
    )


def write_row(path: Path, row: str) -> None:
    """Append ``row`` under the section's marker, creating the section if missing; other sections are untouched."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if MARKER not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{MARKER}\n\n{HEADER}\n"
    lines = text.splitlines()
    at = lines.index(MARKER)
    last = at
    for i in range(at + 1, len(lines)):
        if lines[i].startswith("|"):
            last = i
        elif lines[i].strip() and last > at:
            break
    lines.insert(last + 1, row)
    path.write_text("\n".join(lines) + "\n")


def main(args: argparse.Namespace) -> int:
    result = measure(args.runs)
    command = f"hfc bench dbt --runs {args.runs}"
    row = format_row(result, command)
    sys.stdout.write(
        f"dbt build: median {result['build']:.1f} s over {args.runs} runs "
        f"({', '.join(f'{b:.1f}' for b in result['builds'])}); empty build {result['empty']:.1f} s; "
        f"data {result['data']:.1f} s; {result['nodes']} nodes; slowest {result['slowest']}\n{row}\n"
    )
    if args.write:
        write_row(BENCHMARKS, row)
    return 0
