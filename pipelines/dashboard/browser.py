"""One real-browser driver for the dashboards, shared by the browser test and ``hfc bench dashboard``.

Playwright's sync API drives Debian's chromium (``/usr/bin/chromium``, or ``HFC_CHROMIUM``). For one page URL it
records every request and blocks (and reports) any that leaves 127.0.0.1, collects console and page errors and
Streamlit's error elements, waits until the page is complete (``#hfc-page-complete`` present, Streamlit's script
not running, as many drawn Vega SVGs as its ``data-charts`` says), measures the time from navigation to the last
chart drawn, collects the text (whole, and split into free text, chart text and every ``table.hfc-table`` so the
disclosure scan can read each by its own rule), clicks every download button and reads the file, runs axe-core
(bundled with ``axe-playwright-python``, nothing fetched) and takes a full-page screenshot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

DEFAULT_CHROMIUM = "/usr/bin/chromium"
LOCAL_HOST = "127.0.0.1"
ALLOWED_SCHEMES = {"data", "blob", "about"}
VIEWPORT = {"width": 1280, "height": 900}
SERIOUS = {"serious", "critical"}

# Streamlit's frontend, served under a page path (``/outcomes``), first asks for ``<page>/_stcore/health`` and
# ``<page>/_stcore/host-config`` to find its base path, gets a 404 and falls back to ``/_stcore/...``: Chromium logs
# each 404 as a console error. Those two, and only those, are not the app's errors.
_BASE_PATH_PROBE = re.compile(r"/[^/]+(?:/[^/]+)*/_stcore/(?:health|host-config)$")

# Runs before any page script: counts drawn Vega SVGs (an ``svg.marks`` with a mark inside) at every DOM change and
# keeps when the count changed, when the page-complete marker appeared, and when Streamlit started the page's script
# (``performance.now()``: ms since navigation started).
_TIMING_SCRIPT = """
(() => {
  const state = { drawn: 0, changes: [], complete: null, started: null };
  window.__hfc = state;
  const drawn = () => {
    let n = 0;
    for (const svg of document.querySelectorAll('svg.marks')) {
      if (svg.querySelector('[class*="mark-"]')) n++;
    }
    return n;
  };
  const observer = new MutationObserver(() => {
    const n = drawn();
    if (n !== state.drawn) { state.drawn = n; state.changes.push([performance.now(), n]); }
    if (state.complete === null && document.getElementById('hfc-page-complete')) state.complete = performance.now();
  });
  observer.observe(document, { childList: true, subtree: true });
  // when Streamlit's frontend is up and the page's script starts (the part before it is Streamlit's own)
  const started = new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (state.started === null && app && app.getAttribute('data-test-script-state') === 'running') {
      state.started = performance.now();
    }
  });
  started.observe(document, { subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-test-script-state'] });
})();
"""

_READY = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const state = window.__hfc || {};
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') { state.idleSince = null; return false; }
  const now = performance.now();
  if (state.idleSince == null) state.idleSince = now;
  const marker = document.getElementById('hfc-page-complete');
  if (marker) return (state.drawn || 0) >= (parseInt(marker.dataset.charts || '0', 10) || 0);
  // an error and no marker: Streamlit says the script ended before its last elements are drawn, so give them a
  // moment before calling the page incomplete
  const error = document.querySelector('[data-testid="stException"], [data-testid="stAlertContentError"]');
  return !!error && now - state.idleSince > 1000;
}
"""

# Text nodes outside tables, charts and the rule's own statement (each has its own check), grouped by element.
_COLLECT = """
() => {
  const skip = 'table.hfc-table, svg, script, style, noscript, [data-hfc-rule]';
  const chunks = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) chunks.push(text);
  }
  const tables = [...document.querySelectorAll('table.hfc-table')].map(t => ({
    caption: t.caption ? t.caption.innerText.trim() : '',
    unscoped: [...t.querySelectorAll('thead th')].filter(h => h.getAttribute('scope') !== 'col').length,
    headers: [...t.querySelectorAll('thead th, tr:first-child th')].map(h => h.innerText.trim()),
    rows: [...t.querySelectorAll('tbody tr, tr')].filter(r => r.querySelector('td')).map(r =>
      [...r.querySelectorAll('td, th')].map(c => ({
        kind: c.tagName === 'TD' ? (c.dataset.kind || '') : 'header',
        reason: c.dataset.reason || '',
        text: c.innerText.trim(),
      }))),
  }));
  const charts = [...document.querySelectorAll('svg.marks')].map(svg => ({
    axes: [...svg.querySelectorAll('g.role-axis[aria-label]')].map(g => ({
      description: g.getAttribute('aria-label') || '',
      labels: [...g.querySelectorAll('g.role-axis-label text')].map(t => t.textContent.trim()),
    })),
    marks: [...svg.querySelectorAll('g.role-mark text')].map(t => t.textContent.trim()).filter(Boolean),
    // each mark's description ("Month: 2025-01; People: 40"): what a screen reader reads, as a tooltip shows it
    descriptions: [...svg.querySelectorAll('g.role-mark [aria-label]')].slice(0, 5000)
      .map(e => e.getAttribute('aria-label')),
  }));
  const rules = [...document.querySelectorAll('[data-hfc-rule]')].map(e => e.innerText.trim());
  const errors = [...document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]')]
    .filter(e => e.matches('[data-testid="stException"]') || !e.closest('[data-testid="stException"]'))
    .map(e => [e.getAttribute('data-testid'), e.innerText.replace(/\\s+/g, ' ').trim().slice(0, 200)]);
  // what would fetch (now or later: a lazy image below the fold) from another host, as the Data Docs are checked
  const fetching = 'img[src], script[src], link[href], iframe[src], source[src], source[srcset], video[src],'
    + ' audio[src], object[data], embed[src], image[href]';
  const external = [...document.querySelectorAll(fetching)].map(e =>
    e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('data') || e.getAttribute('srcset') || '')
    .filter(u => {
      try {
        const url = new URL(u.trim(), location.href);
        return /^(http|https|ws|wss|ftp):$/.test(url.protocol) && url.hostname !== '127.0.0.1';
      } catch (e) { return false; }
    });
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .filter(h => h.offsetParent !== null).map(h => parseInt(h.tagName.slice(1), 10));
  const alternatives = document.querySelectorAll('.hfc-alt').length;
  // counts the app marks in its text (a text alternative's "<span data-kind=count>"), held to the count rule
  const inline = [...document.querySelectorAll('[data-kind="count"]')].filter(e => !e.closest('table.hfc-table'))
    .map(e => ({ kind: 'count', reason: e.dataset.reason || '', text: e.textContent.trim() }));
  const marker = document.getElementById('hfc-page-complete');
  return {
    chunks, tables, charts, rules, errors, external, headings, alternatives, inline,
    lang: document.documentElement.lang || '',
    charts_expected: marker ? (parseInt(marker.dataset.charts || '0', 10) || 0) : null,
    timing: window.__hfc || null,
  };
}
"""


def chromium_path() -> str:
    return os.environ.get("HFC_CHROMIUM", DEFAULT_CHROMIUM)


def mask_digits(text: str) -> str:
    """Error texts may quote the page: digits become ``#`` so no count reaches a report or a test log."""
    return re.sub(r"\d", "#", text)


def page_url(base: str, path: str = "", params: Mapping[str, str] | None = None) -> str:
    url = base.rstrip("/") + "/" + path.strip("/")
    return url + ("?" + urlencode(dict(params)) if params else "")


def leaves_machine(url: str) -> bool:
    """True for a request to anywhere but 127.0.0.1 (``data:``, ``blob:`` and ``about:`` stay in the browser)."""
    parts = urlsplit(url)
    if parts.scheme in ALLOWED_SCHEMES:
        return False
    return parts.hostname != LOCAL_HOST


@dataclass
class Cell:
    kind: str  # data-kind ("count", ...), "" for other cells, "header" for a row header
    reason: str
    text: str


@dataclass
class HtmlTable:
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    unscoped: int = 0  # header cells without scope="col"


@dataclass
class ChartText:
    axes: list[tuple[str, list[str]]]  # (the axis's aria description, its labels)
    marks: list[str]  # text marks (labels on bars, ...)
    descriptions: list[str] = field(default_factory=list)  # each mark's aria-label ("Month: 2025-01; People: 40")


@dataclass
class DownloadedFile:
    label: str
    filename: str
    text: str


@dataclass
class PageResult:
    url: str
    complete: bool = False
    outside_requests: list[str] = field(default_factory=list)
    external_resources: list[str] = field(default_factory=list)  # elements that would fetch from another host
    requests: int = 0
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    error_elements: list[tuple[str, str]] = field(default_factory=list)  # (data-testid, masked text)
    charts_expected: int | None = None
    charts_drawn: int = 0
    ms_to_last_chart: float | None = None
    ms_to_complete: float | None = None
    ms_to_script_start: float | None = None  # Streamlit's frontend up, the page's script started
    lang: str = ""
    headings: list[int] = field(default_factory=list)  # levels, in document order (visible ones)
    alternatives: int = 0  # text alternatives of charts (.hfc-alt)
    inline_counts: list[Cell] = field(default_factory=list)  # [data-kind=count] outside the tables
    text: str = ""  # page.inner_text("body")
    free_text: list[str] = field(default_factory=list)
    rule_text: list[str] = field(default_factory=list)
    tables: list[HtmlTable] = field(default_factory=list)
    charts: list[ChartText] = field(default_factory=list)
    downloads: list[DownloadedFile] = field(default_factory=list)
    download_errors: list[str] = field(default_factory=list)
    axe_violations: list[dict[str, Any]] = field(default_factory=list)  # serious and critical only
    screenshot: Path | None = None

    def problems(self) -> list[str]:
        """Everything that fails a page, except the disclosure scan (``pipelines.dashboard.scan``)."""
        out: list[str] = []
        if not self.complete:
            if self.charts_expected is None:
                out.append("page did not complete: no #hfc-page-complete (or Streamlit's script still running)")
            else:
                out.append(f"page did not complete: {self.charts_drawn} of {self.charts_expected} charts drawn as SVG")
        out += [f"request left the machine: {u}" for u in self.outside_requests]
        out += [f"an element would fetch from outside: {u}" for u in self.external_resources]
        out += [f"console error: {mask_digits(m)}" for m in self.console_errors]
        out += [f"page error: {mask_digits(m)}" for m in self.page_errors]
        out += [f"error element {testid}: {text}" for testid, text in self.error_elements]
        out += [f"download failed: {m}" for m in self.download_errors]
        if not self.lang:
            out.append("the page language is not set (<html lang>)")
        out += heading_problems(self.headings)
        if self.alternatives < self.charts_drawn:
            out.append(f"{self.charts_drawn} charts but {self.alternatives} text alternatives (.hfc-alt)")
        for i, table in enumerate(self.tables):
            if table.unscoped:
                out.append(f"table {i + 1}: {table.unscoped} column header(s) without scope=col")
        for v in self.axe_violations:
            out.append(
                f"axe {v['impact']}: {v['id']} ({v['help']}) on {len(v['targets'])} element(s): {v['targets'][:3]}"
            )
        return out


def heading_problems(levels: list[int]) -> list[str]:
    """Headings in order: the first is an h1, and none skips a level on the way down (h2 then h4)."""
    out = []
    if levels and levels[0] != 1:
        out.append(f"the first heading is an h{levels[0]}, not an h1")
    for before, after in pairwise(levels):
        if after > before + 1:
            out.append(f"headings skip a level: h{before} then h{after}")
    return out


def _last_chart_ms(timing: Mapping[str, Any] | None, final: int) -> float | None:
    """When the drawn-chart count last reached its final value (ms since navigation)."""
    if not timing or final <= 0:
        return None
    times = [t for t, n in timing.get("changes", []) if n == final]
    return float(times[-1]) if times else None


class Browser:
    """One chromium for many page loads; ``load`` opens each URL in a fresh page of one context."""

    def __init__(self, headless: bool = True) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=chromium_path(),
                headless=headless,
                args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
            )
            self._context = self.new_context()
        except Exception:
            self._playwright.stop()
            raise

    def new_context(self) -> Any:
        """A fresh context: no cache, no cookies (the bench's cold load)."""
        return self._browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-GB")

    def close(self) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def load(
        self,
        url: str,
        *,
        timeout_ms: float = 60_000,
        downloads: bool = True,
        axe: bool = True,
        screenshot: Path | None = None,
        collect: bool = True,
        context: Any = None,
    ) -> PageResult:
        result = PageResult(url)
        page = (context or self._context).new_page()
        try:
            self._watch(page, result)
            page.add_init_script(_TIMING_SCRIPT)
            page.goto(url, wait_until="commit", timeout=timeout_ms)
            try:
                page.wait_for_function(_READY, timeout=timeout_ms, polling=50)
                result.complete = page.locator("#hfc-page-complete").count() > 0
            except Exception:  # a timeout: report what the page shows, as an incomplete page
                result.complete = False
            data = page.evaluate(_COLLECT)
            self._read(data, result)
            if result.complete and result.charts_expected and result.charts_drawn < result.charts_expected:
                result.complete = False
            if collect:
                result.text = page.inner_text("body")
            if downloads and result.complete:
                self._download_all(page, result, timeout_ms)
            if axe:
                result.axe_violations = run_axe(page)
            if screenshot is not None:
                full_page_screenshot(page, screenshot)
                result.screenshot = screenshot
        finally:
            page.close()
        return result

    @staticmethod
    def _watch(page: Any, result: PageResult) -> None:
        def route(route: Any) -> None:
            result.requests += 1
            if leaves_machine(route.request.url):
                result.outside_requests.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        def console(message: Any) -> None:
            if message.type != "error":
                return
            where = (message.location or {}).get("url", "")
            if message.text.startswith("Failed to load resource") and _BASE_PATH_PROBE.search(urlsplit(where).path):
                return
            result.console_errors.append(f"{message.text[:300]} ({urlsplit(where).path})")

        def websocket(ws: Any) -> None:
            if leaves_machine(ws.url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)):
                result.outside_requests.append(ws.url)

        page.route("**/*", route)
        page.on("console", console)
        page.on("pageerror", lambda error: result.page_errors.append(str(error)[:300]))
        page.on("websocket", websocket)

    @staticmethod
    def _read(data: Mapping[str, Any], result: PageResult) -> None:
        result.free_text = list(data["chunks"])
        result.rule_text = list(data["rules"])
        result.external_resources = list(data["external"])
        result.headings = list(data["headings"])
        result.alternatives = int(data["alternatives"])
        result.inline_counts = [Cell(**c) for c in data["inline"]]
        result.lang = data["lang"]
        result.error_elements = [(testid, mask_digits(text)) for testid, text in data["errors"]]
        result.charts_expected = data["charts_expected"]
        result.tables = [
            HtmlTable(t["caption"], t["headers"], [[Cell(**c) for c in row] for row in t["rows"]], t["unscoped"])
            for t in data["tables"]
        ]
        result.charts = [
            ChartText([(a["description"], a["labels"]) for a in c["axes"]], c["marks"], c["descriptions"])
            for c in data["charts"]
        ]
        timing = data["timing"] or {}
        result.charts_drawn = int(timing.get("drawn", 0))
        result.ms_to_complete = timing.get("complete")
        result.ms_to_script_start = timing.get("started")
        result.ms_to_last_chart = _last_chart_ms(timing, result.charts_drawn)

    @staticmethod
    def _download_all(page: Any, result: PageResult, timeout_ms: float) -> None:
        buttons = page.locator('[data-testid="stDownloadButton"] button')
        for i in range(buttons.count()):
            button = buttons.nth(i)
            label = button.inner_text().strip()
            if not label.startswith("Download"):
                result.download_errors.append(f"a download button's label does not start with 'Download': {label!r}")
            try:
                with page.expect_download(timeout=timeout_ms) as info:
                    button.click()
                download = info.value
                path = download.path()
                text = Path(path).read_text(encoding="utf-8-sig") if path else ""
                result.downloads.append(DownloadedFile(label, download.suggested_filename, text))
            except Exception as exc:
                result.download_errors.append(f"{label!r}: {type(exc).__name__}")
            # a download button reruns the script by default: wait for the page to settle again
            try:
                page.wait_for_function(_READY, timeout=timeout_ms, polling=50)
            except Exception:
                result.download_errors.append(f"{label!r}: the page did not settle after the download")


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (id, impact, help, the elements' selectors)."""
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]]}
        for v in response.get("violations", [])
        if v.get("impact") in SERIOUS
    ]


def full_page_screenshot(page: Any, path: Path) -> None:
    """Streamlit scrolls inside its main block, so the page is grown to its content's height first."""
    height = page.evaluate(
        "() => Math.max(document.body.scrollHeight,"
        ' ...[...document.querySelectorAll(\'[data-testid="stMain"], [data-testid="stAppViewContainer"],'
        " section.main')].map(e => e.scrollHeight))"
    )
    size = page.viewport_size or VIEWPORT
    page.set_viewport_size({"width": size["width"], "height": max(int(height) + 40, size["height"])})
    page.mouse.move(0, 0)  # no chart's hover toolbar in the picture
    page.wait_for_timeout(300)  # charts fit to the new size
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


@contextmanager
def browser(headless: bool = True) -> Iterator[Browser]:
    instance = Browser(headless=headless)
    try:
        yield instance
    finally:
        instance.close()
