"""``hfc bench drift``: the time of a delivery's Evidently report against a plain numpy/scipy computation of the
same statistics (``pipelines.monitoring.stats``), on every feed of a data root's pseudonymised zone (read only).

Per delivery, the statistics are: its profile and its reference window's (counts), then every metric of
``drift.metrics`` (rate tests, PSI with minimum counts, new codes). The report is Evidently 0.7's
``DataDriftPreset`` on the disclosure-safe view (``report.report_frames``) with the HTML made offline, which is
what the ``drift/<feed>`` asset writes. Evidently's import (seconds, once per process) is timed apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from pipelines.settings import FEEDS, REPO_ROOT, Zones, data_dir

BENCHMARKS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Drift monitoring: Evidently's report against plain numpy/scipy (`hfc bench drift`)"
MARKER = "<!-- drift-bench-runs: `hfc bench drift --write` appends one dated section per run below -->"
INTRO = """\
`hfc bench drift` (`pipelines/monitoring/bench.py`) times, per delivery, the Evidently report the `drift/<feed>`
asset writes (Evidently 0.7 `DataDriftPreset`, PSI per column, on the disclosure-safe view, HTML made offline)
against a plain numpy/scipy computation of the drift statistics (profile of the delivery and its reference window
of 6 earlier deliveries, then every rate test, PSI and new-code share; `pipelines/monitoring/stats.py`). The target
is under 10 seconds per delivery. Evidently's import is timed apart (once per process). Columns: deliveries timed,
median rows, seconds per delivery (median and worst) for each (numpy/scipy: reading the deliveries and profiling
them, our classifier included, then the tests; "of which tests": the statistics alone, from the profiles' counts;
the report's time includes its own view's classifier run), and the largest absolute difference between
Evidently's PSI and ours on the same columns (different binning and smoothing: Evidently bins the report's labels
with its own epsilon, ours merges rare codes and smooths by a half)."""
HEADER = (
    "| feed | deliveries | median rows | report s (median) | report s (max) | numpy/scipy s (median) "
    "| numpy/scipy s (max) | of which tests s (median) | PSI: max abs difference |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def _evidently_psi(html_run: object) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric in html_run.dict()["metrics"]:  # type: ignore[attr-defined]
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            out[str(config["column"])] = float(metric["value"])
    return out


def time_feed(
    zones: Zones, feed: str, deliveries: int
) -> tuple[list[float], list[float], list[float], list[int], float] | None:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from pipelines.monitoring import report as drift_report
    from pipelines.monitoring.drift import delivery_periods, evaluate, load_profiles, read_delivery, reference_window
    from pipelines.offline_html import offline_html

    periods = delivery_periods(zones, feed)
    frames = {p: read_delivery(zones, feed, p) for p in periods}
    nonempty = [p for p in periods if len(frames[p]) > 0]
    targets = [p for p in nonempty if len(reference_window(nonempty, p)) >= 3][-deliveries:]
    if not targets:
        return None
    report_s: list[float] = []
    stats_s: list[float] = []
    tests_s: list[float] = []
    rows: list[int] = []
    worst = 0.0
    for period in targets:
        ref_periods = reference_window(nonempty, period)
        current, reference = frames[period], pd.concat([frames[p] for p in ref_periods], ignore_index=True)
        start = time.perf_counter()
        profiles = load_profiles(zones, feed, [period])
        profiled = time.perf_counter()
        results = evaluate(feed, profiles, period)
        stats_s.append(time.perf_counter() - start)
        tests_s.append(time.perf_counter() - profiled)
        start = time.perf_counter()
        cur, ref = drift_report.report_frames(feed, current, reference)
        definition = DataDefinition(categorical_columns=list(cur.columns))
        run = Report([DataDriftPreset(columns=list(cur.columns), method="psi")]).run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition),
        )
        offline_html(drift_report._html(run))
        report_s.append(time.perf_counter() - start)
        rows.append(len(current))
        ours = {r.column_name: r.statistic for r in results.itertuples() if r.metric_kind == "mix" and r.is_tested}
        theirs = _evidently_psi(run)
        diffs = [abs(theirs[c] - v) for c, v in ours.items() if c in theirs and v is not None]
        worst = max([worst, *diffs])
    return report_s, stats_s, tests_s, rows, worst


def main(args: argparse.Namespace) -> int:
    zones = Zones((args.data_dir or data_dir()).resolve())
    start = time.perf_counter()
    import evidently  # noqa: F401

    imported = time.perf_counter() - start
    out_rows = []
    slow = False
    for feed in args.feed or list(FEEDS):
        timed = time_feed(zones, feed, args.deliveries)
        if timed is None:
            sys.stderr.write(f"hfc bench drift: {feed}: no delivery with 3 earlier ones\n")
            continue
        report_s, stats_s, tests_s, rows, worst = timed
        slow |= max(report_s) >= 10
        out_rows.append(
            f"| {feed} | {len(rows)} | {int(np.median(rows))} | {np.median(report_s):.2f} | {max(report_s):.2f} | "
            f"{np.median(stats_s):.3f} | {max(stats_s):.3f} | {np.median(tests_s):.3f} | {worst:.3f} |"
        )
    out_rows.append(f"| (Evidently import, once) | | | {imported:.1f} | | | | | |")
    sys.stdout.write(HEADER + "\n" + "\n".join(out_rows) + "\n")
    if args.write:
        from pipelines.disclosure.bench import append_run
        from pipelines.linkage.bench import machine_description

        title = f"### {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC: `hfc bench drift`, {machine_description()}"
        append_run(BENCHMARKS, SECTION, INTRO, MARKER, HEADER, title, out_rows)
    if slow:
        sys.stderr.write("hfc bench drift: a delivery's report took 10 seconds or more\n")
        return 3
    return 0
