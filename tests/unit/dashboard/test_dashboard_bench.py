"""``hfc bench dashboard``'s arithmetic: which time a page gets, the verdict against 2 s, and the row it writes."""

from __future__ import annotations

from pipelines.dashboard.bench import PageTiming, page_ms
from pipelines.dashboard.browser import PageResult, _last_chart_ms


def test_the_last_chart_is_when_the_drawn_count_last_reached_its_final_value() -> None:
    timing = {"changes": [[300.0, 1], [800.0, 2], [900.0, 1], [1200.0, 2]]}  # a chart redrawn by a rerun
    assert _last_chart_ms(timing, 2) == 1200.0
    assert _last_chart_ms(timing, 0) is None and _last_chart_ms(None, 2) is None


def test_a_page_is_timed_to_its_last_chart_or_to_its_marker_without_charts() -> None:
    page = PageResult("u", complete=True, charts_expected=2, ms_to_last_chart=1500.0, ms_to_complete=1100.0)
    assert page_ms(page) == 1500.0
    page.charts_expected = 0
    assert page_ms(page) == 1100.0
    page.complete = False
    assert page_ms(page) is None


def test_the_row_says_whether_the_median_is_under_two_seconds() -> None:
    fast = PageTiming("Overview", cold_ms=2600.0, runs_ms=[1500.0, 1700.0, 1600.0], shell_ms=[500.0], charts=3)
    fast.over_baseline_ms, fast.script_ms, fast.draw_ms = 250.0, [700.0], [400.0]
    assert fast.row() == "| Overview | 2,600 | 1,600 | 1,500–1,700 | +250 | 500 | 700 | 400 | 3 | 3 | yes |"
    slow = PageTiming("Outcomes", cold_ms=3000.0, runs_ms=[2100.0], charts=1)
    assert slow.row().endswith("| **no** |")
    broken = PageTiming("Voices", problems=["page did not complete"])
    assert broken.row() == "| Voices | — | — | — | — | — | — | — | 0 | 0 | errors (printed by the run) |"
