"""The headline estimates ``hfc demo`` ends with: the fair estimate beside the naive one, per intervention.

Read from the published warehouse (``evaluation.estimates``), read-only. In demo mode, where the county is
synthetic, the true effect from ``synth_truth/effects.csv`` is printed beside them, so a reader sees at once what
regression to the mean does to a before/after comparison and whether the matched design recovers the truth. The
pipeline never reads the truth otherwise. Estimates only: no count below the disclosure threshold is printed
(``n_treated`` and ``n_comparison`` are never written below it).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path

import duckdb

# (outcome, label, window in months each side of the step-up month): contacts over the 3 months effects.csv states
# their truth for; questionnaires over 12, where the follow-ups (4 to 10 months after step up) fall
HEADLINE_OUTCOMES: tuple[tuple[str, str, int], ...] = (
    ("crisis_contacts", "contacts with the five agencies, 3 months after the step-up month against 3 before", 3),
    ("s136_detentions", "section 136 detentions, same windows", 3),
    ("swemwbs_total", "SWEMWBS wellbeing, points, baseline to the latest score within 12 months", 12),
    ("core10_total", "CORE-10 distress, points (lower is better), same windows", 12),
)
FAIR_METHOD = "did_matched"
NAIVE_METHOD = "naive_before_after"


def read_truth(truth_dir: Path | None) -> dict[tuple[str, str], float]:
    """``(intervention, outcome) -> true effect`` from a synthetic county's effects.csv (empty when absent)."""
    if truth_dir is None or not (truth_dir / "effects.csv").exists():
        return {}
    out: dict[tuple[str, str], float] = {}
    with (truth_dir / "effects.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("true_effect"):
                out[(row["intervention"], row["outcome"])] = float(row["true_effect"])
    return out


def _fmt(value: float | None, measure: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2f}" if measure == "rate_ratio" else f"{value:+.2f}"


def _interval(estimate: float | None, low: float | None, high: float | None, measure: str) -> str:
    if estimate is None:
        return "-"
    return f"{_fmt(estimate, measure)} ({_fmt(low, measure)} to {_fmt(high, measure)})"


def render_estimates(warehouse: Path, truth: Mapping[tuple[str, str], float] | None = None) -> list[str]:
    """Lines for the end of ``hfc demo``: naive and matched estimates per intervention and headline outcome."""
    if not warehouse.exists():
        return []
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select intervention, outcome, method, measure, estimate, ci_low, ci_high, comparison_change, "
                "small_n, window_months from evaluation.estimates where linkage = 'standard' and subgroup = 'all' "
                "and method in (?, ?) order by intervention, outcome, method",
                [NAIVE_METHOD, FAIR_METHOD],
            ).fetchall()
    except duckdb.Error as exc:
        return ["", f"  Evaluation: not available ({type(exc).__name__})"]
    found = {(r[0], r[1], r[2], r[9]): r for r in rows}
    interventions = sorted({r[0] for r in rows})
    truth = truth or {}
    lines = [
        "",
        "  Evaluation (evaluation.estimates; designs, assumptions and threats in docs/evaluation.md)",
        "    naive = the same people before and after (what the field used to report); matched = difference in "
        "differences against matched eligible people not enrolled, 95% interval.",
    ]
    for outcome, label, window in HEADLINE_OUTCOMES:
        measure = next((r[3] for r in rows if r[1] == outcome), None)
        if measure is None:
            continue
        scale = "rate ratio, 1 = no effect" if measure == "rate_ratio" else "difference, 0 = no effect"
        lines.append("")
        header = f"    {label} ({scale})"
        lines.append(header)
        cols = f"      {'intervention':<22}{'naive':>8}  {'matched (95% CI)':<24}{'comparison alone':>18}"
        if truth:
            cols += f"{'true (synthetic)':>18}"
        lines.append(cols)
        for intervention in interventions:
            naive = found.get((intervention, outcome, NAIVE_METHOD, window))
            fair = found.get((intervention, outcome, FAIR_METHOD, window))
            if naive is None and fair is None:
                continue
            line = (
                f"      {intervention:<22}{_fmt(naive[4] if naive else None, measure):>8}  "
                f"{_interval(fair[4], fair[5], fair[6], measure) if fair else '-':<24}"
                f"{_fmt(fair[7] if fair else None, measure):>18}"
            )
            if truth:
                line += f"{_fmt(truth.get((intervention, outcome)), measure):>18}"
            if fair is None or fair[4] is None or math.isnan(fair[4]):
                line += "  (not estimated: too few people; see the row's note)"
            elif fair[8]:
                line += "  (small numbers: see mde)"
            lines.append(line)
    return lines
