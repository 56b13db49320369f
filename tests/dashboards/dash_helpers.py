"""Shared by the dashboard tests: run a page of the app under AppTest, and scan what it rendered."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = {
    "overview": "views/overview.py",
    "outcomes": "views/outcomes.py",
    "equality": "views/equality.py",
    "voices": "views/voices.py",
    "evaluation": "views/evaluation.py",
    "data-quality": "views/data_quality.py",
}
_COUNT = re.compile(r'<(td|span) data-kind="count"(?: data-reason="([^"]*)")?>(.*?)</\1>', re.S)


def run_page(page: str, query: Mapping[str, str] | None = None) -> AppTest:
    """A fresh session opened at ``?<query>``, then moved to ``page``, as a link followed by a click would be."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "overview":
        at.switch_page(PAGES[page]).run()
    return at


def page_html(at: AppTest) -> str:
    return "\n".join(element.value for element in at.html)


def count_cells(text: str) -> list[tuple[str | None, str]]:
    """(reason, shown text) of every count the page shows, in tables and in text alternatives."""
    return [(reason or None, shown.strip()) for _, reason, shown in _COUNT.findall(text)]


def disclosure_problems(cells: Iterable[tuple[str | None, str]], threshold: int, base: int) -> list[str]:
    """Cells that break the rule, described without their value when it is a small count."""
    problems: list[str] = []
    for reason, shown in cells:
        if reason is not None:
            if shown != "suppressed":
                problems.append(f"a withheld cell ({reason}) does not read 'suppressed'")
            continue
        if shown in ("suppressed", "not available"):
            problems.append("a cell reads suppressed without a reason") if shown == "suppressed" else None
            continue
        value = int(shown.replace(",", ""))
        if 0 < value <= threshold:
            problems.append("a count from 1 to the threshold is shown")
        elif value % base:
            problems.append(f"a count not a multiple of {base} is shown: {value}")
    return problems


# numeric chart columns that are statistics or positions, not counts
_NOT_A_COUNT = re.compile(
    r"percent|share|rating|estimate|ci_|change|p_value|no_effect|gini|statistic|threshold|median|mean"
)


def chart_frames(at: AppTest) -> list[pd.DataFrame]:
    """The data each chart was given (what its marks and tooltips can show)."""
    frames = []
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frames.append(pa.ipc.open_stream(dataset.data.data).read_all().to_pandas())
    return frames


def chart_count_problems(frame: pd.DataFrame, threshold: int, base: int) -> list[str]:
    """Whole-number columns of a chart's data that break the rule (a withheld cell must be null, not 0 or small)."""
    problems = []
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce") if frame[column].dtype.kind in "iuf" else None
        if values is None or _NOT_A_COUNT.search(column) or column == "top_percent":
            continue
        shown = values.dropna()
        if shown.empty or not (shown == shown.round()).all():
            continue
        if ((shown > 0) & (shown <= threshold)).any() or (shown % base != 0).any():
            problems.append(column)
    return problems
