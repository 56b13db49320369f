"""The disclosure scan of what a browser shows and downloads from the dashboards (pure functions).

What it checks, by where a number is:

- **a count cell** (``td[data-kind=count]`` of a ``table.hfc-table``, and any other element the app marks
  ``data-kind=count``, such as a count in a chart's text alternative): reads ``suppressed`` with a ``data-reason``,
  or is a whole number that is 0, or above the threshold and a multiple of the rounding base;
- **a download's count column** (a column with a ``<col>_suppression`` sibling whose values are whole numbers, or a
  column the warehouse knows as a count): the same rule; an empty cell needs its reason, a shown count must not have
  one;
- **free text** (everything outside the tables and the charts): no *count-like* number from 1 to the threshold. The
  rule's own statement is not a count: inside an element marked ``data-hfc-rule``, or, in a sentence about disclosure
  (suppressed, withheld, published, rounded, threshold), the phrases that state it with this installation's numbers
  ("from 1 to 7", "between 1 and 7", "the nearest 5", "a multiple of 5", "threshold (7)"); "1 to 5" under a
  threshold of 7 is still found. Nor is a scale's range: one from 0 ("F1, from 0 to 1"), or one in a sentence about
  a rating or a score ("the mean rating (1 poor to 5 excellent)"). Count-like: a whole number standing alone.
  Not count-like: digits inside a word or code (``CORE10``, ``GAD-7``, ``3IN3``, ``1st``), dates (``2025-03``,
  ``2025-03-01``, ``01/03/2025``, ``3 March 2025``, ``March 3``, ``2025 Q1``), decimals (``1.5``), signed numbers
  (``-3``, ``+2``: differences, not counts), fractions and ratios (``3/4``, ``3:1``), percentages (``5%``,
  ``5 percent``), durations (``3 months``, ``7 days``), points (``2 points``), footnote marks (``[1]``), and a number
  that follows a word naming a scale or a rank (``quintile 1``, ``top 5``, ``version 2``, ``out of 5``). A range's
  second number (``1-7``) is still a number;
- **chart text**: text marks (labels on bars) as free text; each mark's description (Vega's ``aria-label``,
  ``Month: 2025-01; People: 40``: what a screen reader reads, with the fields a tooltip shows), field by field, for
  a field that names a count (a count word, or a count column of the warehouse) holding 1 to the threshold; and the
  axis labels of a quantitative axis whose title names what counts count (people, contacts, events, ...), since a
  tick of 5 on a "People" axis reads as 5 people. Discrete axes and legends are categories (an IMD quintile of 1 is
  no count), so they are not scanned.

Findings say where and what rule, never the number itself (``#`` for every digit of the context).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.dashboard.browser import Cell, ChartText, DownloadedFile, HtmlTable, PageResult, mask_digits

if TYPE_CHECKING:
    from pipelines.privacy.scan import KnownValues

SUPPRESSED = "suppressed"
SUPPRESSION_SUFFIX = "_suppression"
COUNT_WORDS = (
    "people",
    "person",
    "contacts",
    "events",
    "responses",
    "episodes",
    "members",
    "records",
    "rows",
    "referrals",
    "count",
    "number",
)


@dataclass(frozen=True)
class ScanFinding:
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def _whole(text: str) -> int | None:
    """``1,015`` or ``760`` or ``760.0`` as an int; None when it is not a whole number."""
    raw = text.strip().replace(",", "")
    if re.fullmatch(r"\d+", raw):
        return int(raw)
    if re.fullmatch(r"\d+\.0+", raw):
        return int(raw.split(".")[0])
    return None


def count_problem(value: int, threshold: int, base: int) -> str | None:
    """Why a published count breaks disclosure control (None when it does not). Never names the value."""
    if value < 0:
        return "a negative count"
    if 1 <= value <= threshold:
        return f"a count from 1 to the threshold ({threshold})"
    if value % base:
        return f"a count that is not a multiple of the rounding base ({base})"
    return None


def count_cell_problem(cell_text: str, reason: str, threshold: int, base: int) -> str | None:
    text = cell_text.strip()
    if text.lower() == SUPPRESSED:
        return None if reason.strip() else "a suppressed cell without its reason (data-reason)"
    value = _whole(text)
    if value is None:
        return "a count cell that is neither a whole number nor 'suppressed'"
    return count_problem(value, threshold, base)


def scan_tables(tables: Sequence[HtmlTable], threshold: int, base: int, page: str = "") -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for t, table in enumerate(tables):
        name = f"{page}table {t + 1} ({mask_digits(table.caption)!r})" if table.caption else f"{page}table {t + 1}"
        if not table.caption:
            out.append(ScanFinding(name, "a data table without a caption"))
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row):
                if cell.kind != "count":
                    continue
                problem = count_cell_problem(cell.text, cell.reason, threshold, base)
                if problem:
                    header = table.headers[c] if c < len(table.headers) else f"column {c + 1}"
                    out.append(ScanFinding(f"{name} row {r + 1} column {header!r}", problem))
        out += [ScanFinding(f"{name} caption", p) for p in count_like_numbers(table.caption, threshold, base)]
    return out


def download_count_columns(
    header: Sequence[str], rows: Sequence[Sequence[str]], known: Iterable[str] = (), not_counts: Iterable[str] = ()
) -> list[str]:
    """The count columns of a CSV: known counts, and columns with a reason sibling holding only whole numbers (but
    not the warehouse's statistics, ``not_counts``: a mean rating of 4 is no count)."""
    known, not_counts = set(known), set(not_counts)
    names = set(header)
    out = []
    for i, col in enumerate(header):
        if col.endswith(SUPPRESSION_SUFFIX):
            continue
        values = [row[i].strip() for row in rows if i < len(row) and row[i].strip()]
        whole = all(re.fullmatch(r"-?\d+", v) for v in values)
        if col in known or (col + SUPPRESSION_SUFFIX in names and whole and col not in not_counts):
            out.append(col)
    return out


def scan_csv(
    name: str,
    text: str,
    threshold: int,
    base: int,
    known_counts: Iterable[str] = (),
    not_counts: Iterable[str] = (),
) -> list[ScanFinding]:
    reader = list(csv.reader(io.StringIO(text)))
    if not reader:
        return [ScanFinding(name, "an empty download")]
    header, rows = reader[0], reader[1:]
    index = {col: i for i, col in enumerate(header)}
    out: list[ScanFinding] = []
    for col in download_count_columns(header, rows, known_counts, not_counts):
        i, reason_at = index[col], index.get(col + SUPPRESSION_SUFFIX)
        for r, row in enumerate(rows):
            raw = row[i].strip() if i < len(row) else ""
            reason = row[reason_at].strip() if reason_at is not None and reason_at < len(row) else ""
            where = f"{name} row {r + 1} column {col!r}"
            if not raw:
                if reason_at is not None and not reason:
                    out.append(ScanFinding(where, "an empty count without its reason"))
                continue
            value = _whole(raw.lstrip("-")) if not raw.startswith("-") else -1
            if value is None:
                out.append(ScanFinding(where, "a count that is not a whole number"))
                continue
            problem = count_problem(value, threshold, base)
            if problem:
                out.append(ScanFinding(where, problem))
            elif reason:
                out.append(ScanFinding(where, "a count shown although its reason column says it is withheld"))
    return out


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATES = re.compile(
    r"\b\d{4}-\d{1,2}(?:-\d{1,2})?\b"  # 2025-03, 2025-03-01
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"  # 01/03/2025
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b\.?(?:,?\s+\d{{4}})?"  # 3 March 2025
    rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"  # March 3, 2025
    r"|\b\d{4}\s*-?\s*Q[1-4]\b"  # 2025 Q1, 2025-Q1
)
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+")
_NOT_BEFORE = set(".,:/£$#@[_")  # 1.5's 5, 3:1's 1, a code, a price, a footnote [1]
_UNIT_AFTER = re.compile(
    r"\s*(?:%|per\s*cent|percent|percentage\s+points?|pp\b|points?\b|months?\b|years?\b|weeks?\b|days?\b"
    r"|hours?\b|minutes?\b|seconds?\b|mins?\b|secs?\b|ms\b|s\b|x\b|×)",
    re.IGNORECASE,
)
_SCALE_BEFORE = re.compile(
    r"(?:quintile|decile|quartile|tercile|band|version|step|page|phase|stage|level|wave|round|top|window|scale"
    r"|out\s+of|rated|rating|score|grade|note|figure|table|chart|section|part|number|no\.)\s*$",
    re.IGNORECASE,
)


_DISCLOSURE_WORDS = re.compile(
    r"suppress|withh[oe]ld|not published|too small|publish|rounded|rounding|threshold|disclosure", re.IGNORECASE
)


def rule_spans(text: str, threshold: int, base: int | None = None) -> list[tuple[int, int]]:
    """Where ``text`` states the disclosure rule with this installation's own numbers ("counts from 1 to 7 are not
    published", "between 1 and 7", "rounded to the nearest 5", "a multiple of 5", "the threshold (7)"), in a sentence
    that talks about disclosure. The wrong numbers ("1 to 5" under a threshold of 7) are not the rule."""
    if not _DISCLOSURE_WORDS.search(text):
        return []
    t = threshold
    patterns = [
        rf"\b1\s*(?:to|-|–|—|and)\s*{t}\b",
        rf"\bthreshold(?:\s+of|\s+is|:)?\s*\(?\s*{t}\b",
        rf"\b{t}\s+or\s+(?:fewer|less|under|below)\b",
        rf"\b(?:up to|at most)\s+{t}\b",
    ]
    if base is not None:
        patterns.append(rf"\b(?:nearest|multiples? of|base(?:\s+of)?)\s*\(?\s*{base}\b")
    return [(m.start(), m.end()) for m in re.finditer("|".join(patterns), text, re.IGNORECASE)]


_SCALE_WORDS = re.compile(r"\b(?:rating|ratings|rated|scale|score|scores|scored)\b", re.IGNORECASE)
_FROM_ZERO = re.compile(r"\b0\s*(?:to|-|–|—)\s*\d+(?:\.\d+)?\b")  # "from 0 to 1": a statistic's range, never a count's
_SCALE_RANGE = re.compile(r"\b\d+(?:\s+[a-z]+)?\s*(?:to|-|–|—)\s*\d+\b", re.IGNORECASE)  # "1 (poor) to 5 (excellent)"


def scale_spans(text: str) -> list[tuple[int, int]]:
    """Ranges that describe a scale, not a count: from 0 ("F1, from 0 to 1"), or in a sentence about a rating or a
    score ("the mean rating (1 poor to 5 excellent)")."""
    spans = [(m.start(), m.end()) for m in _FROM_ZERO.finditer(text)]
    if _SCALE_WORDS.search(text):
        spans += [(m.start(), m.end()) for m in _SCALE_RANGE.finditer(text)]
    return spans


def count_like_numbers(text: str, threshold: int, base: int | None = None) -> list[str]:
    """Each count-like number from 1 to ``threshold`` in ``text``, as its context with every digit masked. With
    ``base``, the rule's own statement is recognised (``rule_spans``)."""
    if not text or not re.search(r"\d", text):
        return []
    spans = [(m.start(), m.end()) for m in _DATES.finditer(text)] + rule_spans(text, threshold, base)
    spans += scale_spans(text)
    out = []
    for m in _NUMBER.finditer(text):
        start, end = m.start(), m.end()
        if any(a <= start < b for a, b in spans):
            continue
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before.isalpha() or after.isalpha() or before in _NOT_BEFORE or after == "%":
            continue
        if after and after in ".,:/" and end + 1 < len(text) and text[end + 1].isdigit():
            continue  # a decimal, a fraction, a ratio
        if before and before in "-−+" and not (start >= 2 and text[start - 2].isdigit()):
            continue  # signed: a difference, not a count (a range's "1-7" keeps its 7)
        if "_" in (before, after):
            continue
        if _UNIT_AFTER.match(text, end) or _SCALE_BEFORE.search(text[max(0, start - 20) : start]):
            continue
        value = int(m.group().replace(",", ""))
        if 1 <= value <= threshold:
            out.append(mask_digits(text[max(0, start - 40) : end + 40]).strip())
    return out


def scan_free_text(chunks: Iterable[str], threshold: int, page: str = "", base: int | None = None) -> list[ScanFinding]:
    return [
        ScanFinding(f"{page}text", f"a count-like number from 1 to {threshold}: {context!r}")
        for chunk in chunks
        for context in count_like_numbers(chunk, threshold, base)
    ]


def _names_a_count(name: str, counts: Iterable[str] = ()) -> bool:
    """A field or axis title that names counts: a count word ("People", "Crisis contacts") or a count column."""
    lowered = name.strip().lower()
    words = re.findall(r"[a-z]+", lowered)
    return any(w in COUNT_WORDS for w in words) or lowered.replace(" ", "_") in set(counts)


def mark_description_problems(description: str, threshold: int, counts: Iterable[str] = ()) -> list[str]:
    """Fields of a mark's description ("Month: 2025-01; People: 5") that name a count and hold 1 to the threshold.
    Returns the field names (never the values)."""
    out = []
    for part in description.split(";"):
        name, sep, value = part.partition(":")
        if not sep or not _names_a_count(name, counts):
            continue
        number = _whole(value)
        if number is not None and 1 <= number <= threshold:
            out.append(name.strip())
    return out


def _quantitative_count_axis(description: str) -> bool:
    """Vega's own axis description: "Y-axis titled 'People' for a linear scale with values from 0 to 120"."""
    if "discrete scale" in description or "scale" not in description:
        return False
    title = re.search(r"titled '([^']*)'", description)
    return _names_a_count(title.group(1) if title else "")


def scan_charts(
    charts: Sequence[ChartText], threshold: int, page: str = "", counts: Iterable[str] = ()
) -> list[ScanFinding]:
    counts = set(counts)
    out: list[ScanFinding] = []
    for i, chart in enumerate(charts):
        where = f"{page}chart {i + 1}"
        for m, description in enumerate(chart.descriptions):
            for name in mark_description_problems(description, threshold, counts):
                problem = f"a mark's description (what a screen reader reads) gives {name!r} from 1 to {threshold}"
                out.append(ScanFinding(f"{where} mark {m + 1}", problem))
        for mark in chart.marks:
            out += [
                ScanFinding(f"{where} label", f"a count-like number: {c!r}")
                for c in count_like_numbers(mark, threshold)
            ]
        for description, labels in chart.axes:
            if not _quantitative_count_axis(description):
                continue
            for label in labels:
                value = _whole(label)
                if value is not None and 1 <= value <= threshold:
                    axis = mask_digits(description.split(" for ")[0])
                    out.append(ScanFinding(f"{where} {axis}", f"an axis tick from 1 to {threshold} on a count axis"))
    return out


def scan_downloads(
    downloads: Sequence[DownloadedFile],
    threshold: int,
    base: int,
    columns: WarehouseColumns | None = None,
    page: str = "",
) -> list[ScanFinding]:
    columns = columns or WarehouseColumns()
    out: list[ScanFinding] = []
    for d in downloads:
        out += scan_csv(f"{page}download {d.filename!r}", d.text, threshold, base, columns.counts, columns.statistics)
    return out


def scan_inline_counts(cells: Sequence[Cell], threshold: int, base: int, page: str = "") -> list[ScanFinding]:
    """Counts the app marks in its text (``<span data-kind="count">``): the count cell's rule."""
    out = []
    for i, cell in enumerate(cells):
        problem = count_cell_problem(cell.text, cell.reason, threshold, base)
        if problem:
            out.append(ScanFinding(f"{page}marked count {i + 1} in the text", problem))
    return out


def scan_page(
    result: PageResult, threshold: int, base: int, columns: WarehouseColumns | None = None
) -> list[ScanFinding]:
    """Every disclosure finding on one loaded page."""
    page = f"{result.url} "
    return [
        *scan_tables(result.tables, threshold, base, page),
        *scan_free_text(result.free_text, threshold, page, base),
        *scan_inline_counts(result.inline_counts, threshold, base, page),
        *scan_charts(result.charts, threshold, page, columns.counts if columns else ()),
        *scan_downloads(result.downloads, threshold, base, columns, page),
    ]


def planted_findings(result: PageResult, known: KnownValues) -> list[ScanFinding]:
    """The truth's planted identifiers (a ``pipelines.privacy.scan.KnownValues``) in the page's text, its tables and
    its downloads. Names the place and the entity type, never the value."""
    texts: list[tuple[str, str]] = [("text", result.text), *(("text", c) for c in result.free_text)]
    for t, table in enumerate(result.tables):
        texts.append((f"table {t + 1}", " | ".join([table.caption, *table.headers])))
        texts += [(f"table {t + 1} row {r + 1}", " | ".join(c.text for c in row)) for r, row in enumerate(table.rows)]
    for d in result.downloads:
        texts += [(f"download {d.filename!r} line {i + 1}", line) for i, line in enumerate(d.text.splitlines())]
    out, seen = [], set()
    for where, text in texts:
        for entity, _value in known.hits(text):
            if (where, entity) not in seen:
                seen.add((where, entity))
                out.append(ScanFinding(f"{result.url} {where}", f"a planted {entity} from the synthetic truth"))
    return out


def planted_values(truth_dir: Path) -> KnownValues:
    """The planted identifiers that identify on their own (``truth_scan.anywhere_values``), indexed for ``hits``."""
    from pipelines.privacy.scan import KnownValues
    from pipelines.privacy.truth_scan import anywhere_values

    return KnownValues(anywhere_values(truth_dir), dates_need_context=True)


@dataclass(frozen=True)
class WarehouseColumns:
    """The ``dashboards`` marts' column names: counts (integer, with a ``_suppression`` sibling) and statistics
    (any other number column with one)."""

    counts: frozenset[str] = frozenset()
    statistics: frozenset[str] = frozenset()


def warehouse_columns(warehouse: Path) -> WarehouseColumns:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'dashboards'"
        ).fetchall()
    names = {(t, c) for t, c, _ in rows}
    integer = ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER")
    sibling = [(c, kind.upper()) for t, c, kind in rows if (t, c + SUPPRESSION_SUFFIX) in names]
    counts = {c for c, kind in sibling if kind in integer}
    return WarehouseColumns(frozenset(counts), frozenset(c for c, _ in sibling if c not in counts))
