"""``hfc bench link``: link generated records with known truth, measure speed and pairwise accuracy, write it up.

The result row goes into the ``## Linkage`` section of ``docs/benchmarks.md`` with the command, the date and the
machine (cores, CPU model), so a number is never quoted without the conditions it was measured under.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.linkage.bench_data import generate_records
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.spine import build_spine

SECTION = "## Linkage"
ROWS_MARKER = "<!-- linkage-bench-rows: `hfc bench link` appends one row per run below -->"
TABLE_HEADER = (
    "| date (UTC) | records | people | seconds | records/s | precision | recall | F1 | worst ethnicity-group F1 "
    "| threshold | machine | command |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |"
)

SECTION_TEMPLATE = f"""{SECTION}

`hfc bench link` generates people and corrupted agency records with known truth (`pipelines/linkage/bench_data.py`:
typos, nicknames, swapped names, day/month transpositions, partial and missing dates, NHS numbers missing for most
police and council records, moves of address, married names, relatives and a few twins sharing a home), links them
with `build_spine` into a fresh identity spine, and records the wall-clock time of the whole build (cleaning,
training, scoring, clustering, writing the spine) and the pairwise precision, recall and F1 against the truth.

### Results

{ROWS_MARKER}

{TABLE_HEADER}
"""


def machine_description() -> str:
    """``nproc`` and CPU model, as the benchmark was run."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}"


def run_link_benchmark(n_records: int, seed: int = 0, settings: LinkageSettings | None = None) -> dict[str, Any]:
    """Generate ``n_records``, link them into a temporary spine, return timings and accuracy (rates only)."""
    settings = settings or LinkageSettings.from_env()
    records, truth = generate_records(n_records, seed=seed)
    with tempfile.TemporaryDirectory(prefix="hfc-bench-link-") as tmp:
        start = time.perf_counter()
        result = build_spine(records, Path(tmp), settings=settings, truth=truth)
        seconds = time.perf_counter() - start
    quality = result.quality
    overall = quality[quality["scope"] == "overall"].iloc[0]
    groups = quality[quality["scope"] == "ethnicity_group"].sort_values("f1")
    worst = groups.iloc[0] if len(groups) else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "records": len(records),
        "people": int(truth["person_id"].nunique()),
        "seconds": seconds,
        "records_per_second": len(records) / seconds if seconds else float("nan"),
        "precision": float(overall["precision"]),
        "recall": float(overall["recall"]),
        "f1": float(overall["f1"]),
        "worst_group": f"{worst['ethnicity_group']} {worst['f1']:.4f}" if worst is not None else "",
        "threshold": settings.match_threshold,
        "machine": machine_description(),
        "stage_seconds": result.seconds,
        "quality": quality,
    }


def format_row(result: dict[str, Any], command: str) -> str:
    return (
        f"| {result['date']} | {result['records']:,} | {result['people']:,} | {result['seconds']:.1f} "
        f"| {result['records_per_second']:,.0f} | {result['precision']:.4f} | {result['recall']:.4f} "
        f"| {result['f1']:.4f} | {result['worst_group']} | {result['threshold']} | {result['machine']} | `{command}` |"
    )


def write_benchmark(path: Path, row: str) -> None:
    """Append ``row`` to the results table of the ``## Linkage`` section, creating the file or section if missing.

    Only the Linkage section is touched; other sections (another engineer's) are preserved byte for byte.
    """
    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        body = text.rstrip("\n") + "\n\n" + SECTION_TEMPLATE.rstrip("\n") + "\n" + row + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = lines[start:end]
    marker = next((i for i, line in enumerate(section) if line.strip() == ROWS_MARKER), None)
    if marker is None:
        section = [*section, "", "### Results", "", ROWS_MARKER, "", *TABLE_HEADER.splitlines()]
        marker = len(section) - 3
    # last table line after the marker
    last = marker
    for i in range(marker + 1, len(section)):
        if section[i].startswith("|"):
            last = i
        elif section[i].strip() and last > marker:
            break
    if last == marker:
        section[marker + 1 : marker + 1] = ["", *TABLE_HEADER.splitlines()]
        last = marker + 1 + len(TABLE_HEADER.splitlines())
    section.insert(last + 1, row)
    while section and not section[-1].strip():
        section.pop()
    tail = lines[end:]
    new_lines = lines[:start] + section + ([""] if tail else []) + tail
    path.write_text("\n".join(new_lines) + "\n")
