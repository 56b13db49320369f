"""``hfc bench evaluation``: are the evaluation's 95% intervals honest? Calibration on counties of known truth.

Each run generates N small synthetic counties, each with its own true effects drawn at random (benefits, no effect
and harms, per agency, on section 136 and on wellbeing), runs the evaluation on each and compares every estimate
with the truth the generator wrote (``synth_truth/effects.csv``). It reports, per method, the share of 95%
intervals that cover the truth (a calibrated method covers about 95%: the target is 0.90 to 0.99), the mean bias
(on the log scale for rate ratios, in points for scores) and, for the naive before/after comparison, how far
regression to the mean alone moves it.

The counties are read through ``truth_panel`` (true person ids: perfect linkage), so the benchmark measures the
statistics, not linkage; the effect of linkage error is what ``linkage`` = strict / lenient in
``evaluation.estimates`` shows on the real build. Results go to docs/benchmarks.md with the command and machine.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.evaluation.cli import DEFAULT_MONTHS, DEFAULT_PEOPLE
from pipelines.settings import REPO_ROOT

BENCHMARKS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Evaluation: calibration against known truth (`hfc bench evaluation`)"
MARKER = "<!-- evaluation-bench-runs -->"
INTRO = (
    "Each row is one run of N synthetic counties, each with true effects drawn at random (rate ratios from 0.7 to "
    "1.25 per agency and on section 136, wellbeing shifts from -0.2 to 0.5 SD: benefits, no effect and harms). "
    "Coverage is the share of 95% intervals containing the true effect over every intervention x outcome x county "
    "(target 0.90 to 0.99). Bias is the mean amount by which an estimate claims more benefit than the truth (on the "
    "log scale for rate ratios, in points for scores; negative: less benefit than the truth). The naive method is "
    "the before/after comparison of the same people. Rows are given for all the intervals and by outcome family "
    "(contacts: all and per agency; s136; questionnaire scores). Counties are read with perfect linkage "
    "(`pipelines/evaluation/truth_panel.py`), so this measures the statistics alone."
)
HEADER = (
    "| counties | people x months | method | outcomes | intervals | coverage | bias towards benefit, log rate ratio | "
    "bias towards benefit, score points | seconds per county |\n|---|---|---|---|---|---|---|---|---|"
)
METHODS = ("did_matched", "naive_before_after")
LOWER_IS_BETTER = frozenset({"core10_total", "honos_total"})  # distress and problem ratings: a fall is a benefit
WINDOW = 3  # effects.csv states the contact and s136 truth for 3 months either side of the step-up month
SCORE_WINDOW = 12  # follow-up questionnaires come 4 to 10 months after step up
AGENCY_OUTCOMES = (
    "police_contacts",
    "ambulance_contacts",
    "emergency_department_contacts",
    "mental_health_trust_contacts",
    "council_contacts",
)


def random_effects(rng: np.random.Generator, interventions: Sequence[str]) -> dict[str, dict[str, float]]:
    """True effects for one county: per intervention, a rate ratio per agency and on s136, a wellbeing shift."""
    out: dict[str, dict[str, float]] = {}
    for name in interventions:
        effects = {o: float(np.round(rng.uniform(0.7, 1.25), 3)) for o in AGENCY_OUTCOMES}
        effects["s136_detentions"] = float(np.round(rng.uniform(0.6, 1.25), 3))
        effects["wellbeing_shift"] = float(np.round(rng.uniform(-0.2, 0.5), 3))
        out[name] = effects
    return out


@dataclass
class Scored:
    """Every estimate of every county beside its truth."""

    rows: list[dict[str, object]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def score_estimates(estimates: pd.DataFrame, truth: pd.DataFrame, county: int) -> list[dict[str, object]]:
    """Join a county's 'all' estimates (standard linkage, the truth's window) to effects.csv's true effects."""
    est = estimates[
        (estimates["subgroup"] == "all")
        & (estimates["linkage"] == "standard")
        & (estimates["window_months"] == np.where(estimates["measure"] == "rate_ratio", WINDOW, SCORE_WINDOW))
        & (estimates["method"].isin(METHODS))
    ]
    t = truth.dropna(subset=["true_effect"])[["intervention", "outcome", "true_effect"]]
    joined = est.merge(t, on=["intervention", "outcome"], how="inner")
    out = []
    for r in joined.itertuples(index=False):
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (r.estimate, r.ci_low, r.ci_high)):
            continue
        ratio = r.measure == "rate_ratio"
        truth_value = float(r.true_effect)
        # bias towards benefit: positive when the estimate claims more benefit than the truth (a lower rate ratio, a
        # larger gain on a scale where higher is better, a larger fall where lower is better)
        if ratio:
            bias = math.log(truth_value) - math.log(r.estimate)
        else:
            bias = float(r.estimate) - truth_value
            if r.outcome in LOWER_IS_BETTER:
                bias = -bias
        out.append(
            {
                "county": county,
                "intervention": r.intervention,
                "outcome": r.outcome,
                "method": r.method,
                "measure": r.measure,
                "truth": truth_value,
                "estimate": float(r.estimate),
                "covered": bool(r.ci_low <= truth_value <= r.ci_high),
                "small_n": bool(r.small_n),
                "bias": bias,
            }
        )
    return out


def _family(scored: pd.DataFrame, family: str) -> pd.DataFrame:
    if family == "contacts":
        return scored[scored["outcome"].isin(("crisis_contacts", *AGENCY_OUTCOMES))]
    if family == "s136":
        return scored[scored["outcome"] == "s136_detentions"]
    if family == "scores":
        return scored[scored["measure"] == "mean_difference"]
    return scored


def summarise(scored: pd.DataFrame) -> pd.DataFrame:
    """Coverage and mean bias per method and outcome family (all, contacts, s136, scores)."""
    rows = []
    for method, by_method in scored.groupby("method", sort=False):
        for family in ("all", "contacts", "s136", "scores"):
            group = _family(by_method, family)
            if group.empty:
                continue
            ratios = group[group["measure"] == "rate_ratio"]
            scores = group[group["measure"] == "mean_difference"]
            rows.append(
                {
                    "method": method,
                    "family": family,
                    "intervals": len(group),
                    "coverage": float(group["covered"].mean()),
                    "bias_log_ratio": float(ratios["bias"].mean()) if len(ratios) else float("nan"),
                    "bias_points": float(scores["bias"].mean()) if len(scores) else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def run(
    seeds: Sequence[int],
    people: int,
    months: int,
    estimate_county: Callable[[Path], pd.DataFrame],
    progress: Callable[[str], None] = lambda _: None,
) -> Scored:
    """Generate, evaluate and score one county per seed."""
    from pipelines.synth.generate import generate
    from pipelines.synth.population import ARMS

    scored = Scored()
    for seed in seeds:
        rng = np.random.default_rng([seed, 18])
        effects = random_effects(rng, ARMS)
        with tempfile.TemporaryDirectory(prefix="hfc-eval-bench-") as tmp:
            root = Path(tmp)
            effects_file = root / "effects.json"
            effects_file.write_text(json.dumps(effects))
            began = time.perf_counter()
            generate(root, people=people, months=months, seed=seed, effects=effects)
            estimates = estimate_county(root)
            truth = pd.read_csv(root / "synth_truth" / "effects.csv")
            scored.seconds.append(time.perf_counter() - began)
        rows = score_estimates(estimates, truth, seed)
        scored.rows.extend(rows)
        covered = sum(1 for r in rows if r["method"] == "did_matched" and r["covered"])
        total = sum(1 for r in rows if r["method"] == "did_matched")
        progress(f"county seed {seed}: did_matched covers the truth in {covered} of {total} intervals")
    return scored


def format_rows(summary: pd.DataFrame, counties: int, people: int, months: int, seconds: float) -> list[str]:
    def num(v: float, spec: str) -> str:
        return "-" if math.isnan(v) else format(v, spec)

    return [
        f"| {counties} | {people} x {months} | {r.method} | {r.family} | {r.intervals} | {num(r.coverage, '.3f')} | "
        f"{num(r.bias_log_ratio, '+.3f')} | {num(r.bias_points, '+.3f')} | {seconds:.0f} |"
        for r in summary.itertuples(index=False)
    ]


def write_section(path: Path, title: str, rows: Sequence[str]) -> None:
    """Append a dated run of this bench under its section of benchmarks.md."""
    from pipelines.disclosure.bench import append_run

    append_run(path, SECTION, INTRO, MARKER, HEADER, title, rows)


def estimate_from_truth(root: Path) -> pd.DataFrame:
    """The evaluation's estimates for a generated county, read with perfect linkage (no subgroups)."""
    from pipelines.evaluation.estimates import evaluate
    from pipelines.evaluation.truth_panel import truth_panel

    panel = truth_panel(root)
    windows = (WINDOW, SCORE_WINDOW)
    return evaluate(panel.person_months, panel.episodes, panel.scores, windows=windows, subgroups=False).estimates


def main(args: argparse.Namespace) -> int:
    from pipelines.linkage.bench import machine_description

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    scored = run(seeds, args.people, args.months, estimate_from_truth, progress=lambda s: sys.stdout.write(s + "\n"))
    frame = scored.frame()
    if frame.empty:
        sys.stderr.write("hfc bench evaluation: no estimate could be scored\n")
        return 1
    summary = summarise(frame)
    seconds = float(np.mean(scored.seconds)) if scored.seconds else float("nan")
    sys.stdout.write(HEADER + "\n")
    rows = format_rows(summary, len(seeds), args.people, args.months, seconds)
    sys.stdout.write("\n".join(rows) + "\n")
    command = f"hfc bench evaluation --seeds {args.seeds}"
    if args.people != DEFAULT_PEOPLE or args.months != DEFAULT_MONTHS:
        command += f" --people {args.people} --months {args.months}"
    if args.first_seed != 1:
        command += f" --first-seed {args.first_seed}"
    if args.write:
        title = f"### {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC: `{command}`, {machine_description()}"
        write_section(BENCHMARKS, title, rows)
    fair = summary[(summary["method"] == "did_matched") & (summary["family"] == "all")]
    if not fair.empty and not 0.90 <= float(fair["coverage"].iloc[0]) <= 0.99:
        sys.stderr.write("hfc bench evaluation: did_matched coverage is outside its target of 0.90 to 0.99\n")
        return 3
    return 0
