"""``hfc bench dashboard``: each page's time to the last chart drawn, in the browser, on the demo county.

For every page: the first (cold) load, in a fresh browser context on a freshly started app, then one warm-up load and
the median of ``--runs`` loads. The target (issue #19) is 2 s per page. A bare Streamlit page with one chart
(``baseline_app.py``) is timed in the same run, since the machine is shared and its own speed moves. The result is
appended to docs/benchmarks.md (``append_run``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.dashboard.browser import Browser, PageResult, browser, page_url
from pipelines.dashboard.pages import PAGES, page_slug
from pipelines.dashboard.server import DEFAULT_APP, missing_warehouse_message, running
from pipelines.settings import REPO_ROOT

BENCHMARKS = REPO_ROOT / "docs" / "benchmarks.md"
BASELINE_APP = Path(__file__).parent / "baseline_app.py"
TARGET_MS = 2000.0
DEFAULT_RUNS = 5
BASELINE_NAME = "baseline: one chart, bare Streamlit"
SECTION = "## Dashboards: time to the last chart drawn (`hfc bench dashboard`)"
MARKER = "<!-- dashboard-bench-runs: `hfc bench dashboard` appends one dated section per run below -->"
INTRO = """\
Each page of the commissioner dashboards (`dashboards/app.py`, issue #19) loaded in Debian's chromium through
Playwright (`pipelines/dashboard/browser.py`, the driver the browser test uses), on the demo county's published
warehouse. Time is from navigation to the last Vega chart drawn (an `svg.marks` with its marks; a page without a
chart: to its `#hfc-page-complete` marker), measured in the page (`performance.now()`). *Cold*: the first load of
the page, in a fresh browser context (no cache) on a freshly started app. *Median*: of the loads after one warm-up,
in one context (the browser's cache warm, as on a commissioner's second visit). The median splits (each a median of
its own, so they need not add up) into *Streamlit up*: until Streamlit's frontend was up and had started the page's
script (Streamlit's own share, which the app cannot change); *script*: from there to the page-complete marker in the
page (the script's run and its elements reaching the browser); *charts drawn*: from the marker to the last chart
drawn (Vega in the browser). The target is 2 s per page. The baseline is a bare Streamlit page with one chart
(`pipelines/dashboard/baseline_app.py`), loaded after each timed load of a page so that both see the same moments of
the shared machine; *over the baseline* is the page's median minus the median of the baseline loads beside it: what
the app itself costs. Compare a page with its baseline rather than with another day's run."""
HEADER = (
    "| page | cold ms | median ms | min–max ms | over the baseline ms | Streamlit up ms | script ms | charts drawn ms"
    " | loads | charts | under 2 s |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


@dataclass
class PageTiming:
    name: str
    cold_ms: float | None = None
    runs_ms: list[float] = field(default_factory=list)
    shell_ms: list[float] = field(default_factory=list)  # until Streamlit started the page's script
    over_baseline_ms: float | None = None  # median minus the median of the baseline loads interleaved with it
    script_ms: list[float] = field(default_factory=list)  # script started -> page-complete marker in the page
    draw_ms: list[float] = field(default_factory=list)  # marker -> last chart drawn
    charts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.runs_ms) if self.runs_ms else None

    def row(self) -> str:
        def ms(value: float | None) -> str:
            return "—" if value is None else f"{value:,.0f}"

        span = f"{min(self.runs_ms):,.0f}–{max(self.runs_ms):,.0f}" if self.runs_ms else "—"
        median = self.median_ms
        if self.problems:
            verdict = "errors (printed by the run)"
        else:
            verdict = "yes" if median is not None and median < TARGET_MS else "**no**"

        def med(values: list[float]) -> str:
            return ms(statistics.median(values)) if values else "—"

        over = "—" if self.over_baseline_ms is None else f"{self.over_baseline_ms:+,.0f}"
        cells = [self.name, ms(self.cold_ms), ms(median), span, over, med(self.shell_ms), med(self.script_ms)]
        cells += [med(self.draw_ms), str(len(self.runs_ms)), str(self.charts), verdict]
        return "| " + " | ".join(cells) + " |"


def page_ms(result: PageResult) -> float | None:
    """Time to the last chart drawn, or to the page-complete marker on a page without charts."""
    if not result.complete:
        return None
    return result.ms_to_last_chart if result.charts_expected else result.ms_to_complete


def _timed(chromium: Browser, url: str, timing: PageTiming) -> None:
    result = chromium.load(url, downloads=False, axe=False, collect=False)
    value = page_ms(result)
    if value is None:
        timing.problems.append("a load did not complete")
        return
    timing.runs_ms.append(value)
    if result.ms_to_script_start is not None:
        timing.shell_ms.append(result.ms_to_script_start)
        if result.ms_to_complete is not None:
            timing.script_ms.append(result.ms_to_complete - result.ms_to_script_start)
    if result.ms_to_complete is not None:
        timing.draw_ms.append(max(0.0, value - result.ms_to_complete))


def time_pages(
    chromium: Browser,
    base_url: str,
    pages: list[tuple[str, str]],
    runs: int,
    baseline_url: str,
    screenshots: Path | None = None,
) -> tuple[list[PageTiming], PageTiming]:
    """Each page cold, warmed up, then ``runs`` loads, each followed by a load of the baseline: the page and the
    baseline see the same moments of a shared machine, and ``over_baseline_ms`` compares them."""
    out = []
    baseline = PageTiming(BASELINE_NAME)
    _cold_and_warm(chromium, baseline_url, baseline, None)
    for path, name in pages:
        timing = PageTiming(name)
        _cold_and_warm(
            chromium, page_url(base_url, path), timing, screenshots / f"{page_slug(path)}.png" if screenshots else None
        )
        beside = PageTiming(BASELINE_NAME)
        for _ in range(runs):
            _timed(chromium, page_url(base_url, path), timing)
            _timed(chromium, baseline_url, beside)
        if timing.median_ms is not None and beside.median_ms is not None:
            timing.over_baseline_ms = timing.median_ms - beside.median_ms
        baseline.runs_ms += beside.runs_ms
        baseline.shell_ms += beside.shell_ms
        baseline.script_ms += beside.script_ms
        baseline.draw_ms += beside.draw_ms
        baseline.problems += beside.problems
        out.append(timing)
    return out, baseline


def _cold_and_warm(chromium: Browser, url: str, timing: PageTiming, screenshot: Path | None) -> None:
    """The first load in a fresh context (no cache), then a warm-up load (and the screenshot, if wanted)."""
    context = chromium.new_context()
    try:
        cold = chromium.load(url, downloads=False, axe=False, collect=False, context=context)
    finally:
        context.close()
    timing.cold_ms, timing.charts = page_ms(cold), cold.charts_drawn
    warm = chromium.load(url, downloads=False, axe=False, collect=False, screenshot=screenshot)
    for result in (cold, warm):
        timing.problems += result.problems()  # a wrong page ("Page not found") would time the wrong thing


def main(args: argparse.Namespace) -> int:
    from pipelines.disclosure.bench import append_run
    from pipelines.linkage.bench import machine_description
    from pipelines.settings import warehouse_path

    warehouse = (args.warehouse or warehouse_path()).resolve()
    app = (args.app or DEFAULT_APP).resolve()
    problem = missing_warehouse_message(warehouse)
    if problem or not app.exists():
        sys.stderr.write((problem or f"hfc bench dashboard: no app at {app}") + "\n")
        return 2
    screenshots = args.screenshots.resolve() if args.screenshots else None
    with tempfile.TemporaryDirectory(prefix="hfc-bench-dashboard-") as tmp, browser() as chromium:
        logs = Path(tmp)
        with (
            running(BASELINE_APP, warehouse, logs / "baseline.log") as base,
            running(app, warehouse, logs / "app.log") as server,
        ):
            timings, baseline = time_pages(chromium, server.url, list(PAGES), args.runs, base.url + "/", screenshots)
    rows = [t.row() for t in [*timings, baseline]]
    sys.stdout.write(HEADER + "\n" + "\n".join(rows) + "\n")
    for t in timings:
        for p in list(dict.fromkeys(t.problems))[:5]:
            sys.stdout.write(f"  {t.name}: {p}\n")
    command = "hfc bench dashboard" + (f" --runs {args.runs}" if args.runs != DEFAULT_RUNS else "")
    if args.warehouse:
        command += f" --warehouse {args.warehouse}"
    if args.app:
        command += f" --app {args.app}"
    title = (
        f"### {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC: `{command}` (warehouse {warehouse.name}, "
        f"{args.runs} loads per page after a warm-up), {machine_description()}, chromium {chromium_version()}"
    )
    if not args.no_write:
        append_run(BENCHMARKS, SECTION, INTRO, MARKER, HEADER, title, rows)
        sys.stdout.write(f"appended to {BENCHMARKS}\n")
    slow = [t for t in timings if t.problems or (t.median_ms or TARGET_MS) >= TARGET_MS]
    return 1 if slow else 0


def chromium_version() -> str:
    import subprocess

    from pipelines.dashboard.browser import chromium_path

    try:
        out = subprocess.run([chromium_path(), "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    parts = [p for p in out.split() if p[:1].isdigit()]
    return parts[0] if parts else "unknown"
