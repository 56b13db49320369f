"""Estimates of the effect of each intervention (`evaluation.estimates`), naive and against the matched comparison.

Counts (crisis contacts, contacts by agency, S136 detentions; measure `rate_ratio`). For each episode (treated or
comparison, index month s) the pre window is months s-W..s-1 and the post window s+1..s+W (month s itself is left
out; both truncated at the period's edges, the months observed are the exposure). Because every regressor is
constant within a window, a Poisson model with a fixed effect per person and window-level sums (log months observed
as offset) has the same estimates as the person-month model, at two rows per person.
  * `naive_before_after`: treated episodes only, `y ~ post | unit` (pyfixest `fepois`), cluster-robust by person;
    the estimate is the post/pre rate ratio exp(b_post). It includes what regression to the mean does.
  * `did_matched`: treated and matched comparisons, `y ~ post + treated_post | unit`, comparisons weighted by their
    matching weight, cluster-robust by matched set; the estimate is exp(b_treated_post), the treated's post/pre
    ratio over the comparisons'. `treated_change` and `comparison_change` are the two groups' own (weighted) post/pre
    rate ratios: the comparison's is what regression to the mean alone does.
Scores (questionnaire totals; measure `mean_difference`): baseline = latest score in months s-1..s (at or before the
index month, within one month), follow-up = latest score in s+1..s+W; only episodes with both count.
  * `naive_before_after`: mean of follow-up minus baseline among the treated (OLS on a constant, robust SE).
  * `did_matched`: `change ~ treated` (pyfixest `feols`), weighted, cluster-robust by matched set, on the matched
    sets whose treated person and at least one comparison have both scores (the comparisons with scores share the
    set's weight).
Intervals are 95% (t with the cluster count's degrees of freedom, as pyfixest gives). `mde` is the minimum
detectable effect at 80% power, two-sided 5%: 2.8 x SE (exp(2.8 SE) on the ratio scale, the smallest ratio above
1 detectable; 1/mde below 1). `small_n` is set when fewer than 50 treated (or, for did_matched, fewer than 50
comparisons) contribute, or the model gave no finite standard error.

Disclosure: n_treated and n_comparison are never between 1 and the threshold (HFC_DISCLOSURE_THRESHOLD, default 7):
an estimate on so few is not written. Subgroups (`<dimension>:<value>`, the treated person's value; comparisons
belong to their treated person's set) are estimated only with n_treated >= 30 and both groups above the threshold.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf

from pipelines.evaluation.balance import BALANCE_COLUMNS, balance
from pipelines.evaluation.config import (
    CALIPER,
    COUNT_OUTCOMES,
    HEADLINE_LINKAGE,
    INTERVENTIONS,
    MDE_MULTIPLIER,
    METHOD_DID,
    METHOD_NAIVE,
    MIN_SUBGROUP_TREATED,
    NEIGHBOURS,
    SCORE_OUTCOMES,
    SMALL_N,
    SUBGROUP_DIMENSIONS,
    WINDOWS,
    disclosure_threshold,
)
from pipelines.evaluation.matching import MATCH_COLUMNS, MatchResult, Panel, build_panel, match

ESTIMATE_COLUMNS = [
    "linkage",
    "intervention",
    "outcome",
    "window_months",
    "method",
    "subgroup",
    "estimate",
    "ci_low",
    "ci_high",
    "measure",
    "n_treated",
    "n_comparison",
    "treated_change",
    "comparison_change",
    "p_value",
    "mde",
    "small_n",
    "note",
]


@dataclass(frozen=True)
class EvaluationTables:
    matches: pd.DataFrame
    balance: pd.DataFrame
    estimates: pd.DataFrame


@dataclass(frozen=True)
class Fit:
    coef: float
    se: float
    low: float
    high: float
    p: float


def _fit(kind: str, formula: str, data: pd.DataFrame, term: str, cluster: str | None, **kw: object) -> Fit | None:
    """One pyfixest fit; None when the model cannot be estimated (no events, no variation)."""
    vcov: object = {"CRV1": cluster} if cluster else "hetero"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = (pf.fepois if kind == "poisson" else pf.feols)(formula, data=data, vcov=vcov, **kw)
            coef, se = float(model.coef()[term]), float(model.se()[term])
            ci = model.confint(alpha=0.05).loc[term]
            p = float(model.pvalue()[term])
    except Exception:  # pyfixest raises many types on degenerate data; the row says so instead
        return None
    if not np.isfinite(se):
        return None
    return Fit(coef, se, float(ci.iloc[0]), float(ci.iloc[1]), p)


def _window_sums(panel: Panel, outcome: str, rows: np.ndarray, s: np.ndarray, w: int) -> pd.DataFrame:
    """Pre and post window sums and months observed of each (person row, index month)."""
    c = panel.counts[outcome]
    cs = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c, axis=1)], axis=1)
    pre_lo = np.maximum(0, s - w)
    post_hi = np.minimum(panel.months - 1, s + w)
    return pd.DataFrame(
        {
            "pre": cs[rows, s] - cs[rows, pre_lo],
            "pre_months": s - pre_lo,
            "post": cs[rows, post_hi + 1] - cs[rows, s + 1],
            "post_months": post_hi - s,
        }
    )


def _long(units: pd.DataFrame, sums: pd.DataFrame) -> pd.DataFrame:
    """Two rows per unit (pre, post) for the fixed-effects Poisson model."""
    base = units.reset_index(drop=True)
    pre = base.assign(y=sums["pre"].to_numpy(), months=sums["pre_months"].to_numpy(), post=0)
    post = base.assign(y=sums["post"].to_numpy(), months=sums["post_months"].to_numpy(), post=1)
    out = pd.concat([pre, post], ignore_index=True)
    out = out[out["months"] > 0]
    out["log_months"] = np.log(out["months"].astype(float))
    out["treated_post"] = out["treated"] * out["post"]
    return out


def _all_cells_have_events(d: pd.DataFrame) -> bool:
    """Every group's pre and post window has an event: otherwise the ratio is 0 or infinite (separation)."""
    sums = d.groupby(["treated", "post"])["y"].sum()
    return len(sums) == 2 * d["treated"].nunique() and bool((sums > 0).all())


def _rate_change(df: pd.DataFrame) -> float:
    """Weighted post/pre rate ratio of the units in `df` (long format)."""
    pre, post = df[df["post"].eq(0)], df[df["post"].eq(1)]
    rate_pre = (pre["y"] * pre["w"]).sum() / (pre["months"] * pre["w"]).sum()
    rate_post = (post["y"] * post["w"]).sum() / (post["months"] * post["w"]).sum()
    return float(rate_post / rate_pre) if rate_pre > 0 else float("nan")


def _row(fit: Fit | None, *, ratio: bool, n_treated: int, n_comparison: int | None, **cols: object) -> dict:
    out: dict[str, object] = {
        **cols,
        "measure": "rate_ratio" if ratio else "mean_difference",
        "n_treated": n_treated,
        "n_comparison": n_comparison,
    }
    small = n_treated < SMALL_N or (n_comparison is not None and n_comparison < SMALL_N)
    if fit is None:
        out.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan, mde=np.nan, small_n=True)
        out["note"] = "not estimable (no events or no variation)"
        return out
    f = np.exp if ratio else (lambda v: v)
    out.update(
        estimate=float(f(fit.coef)),
        ci_low=float(f(fit.low)),
        ci_high=float(f(fit.high)),
        p_value=fit.p,
        mde=float(np.exp(MDE_MULTIPLIER * fit.se)) if ratio else MDE_MULTIPLIER * fit.se,
        small_n=bool(small),
        note="",
    )
    return out


@dataclass(frozen=True)
class _Design:
    """One intervention's treated episodes and matched comparisons in one linkage."""

    treated: pd.DataFrame  # unit, row, s, match_set, treated=1, w=1, subgroup columns; all eligible treated
    comparisons: pd.DataFrame  # unit, row, s, match_set, treated=0, w, subgroup columns (of the treated person)


def _design(panel: Panel, result: MatchResult) -> _Design:
    t = result.treated
    rows = t["row"].to_numpy(dtype=int)
    s = t["index_month_index"].to_numpy(dtype=int)
    attrs = panel.static.iloc[rows].reset_index(drop=True)
    attrs["age_group"] = panel.age_group[rows, s]  # at the index month
    treated = attrs.assign(
        unit="T|" + t["match_set"].astype(str).to_numpy(),
        row=rows,
        s=s,
        match_set=t["match_set"].to_numpy(),
        treated=1,
        w=1.0,
        matched=t["matched"].to_numpy(dtype=bool),
    )
    m = result.matches
    by_set = treated.set_index("match_set")[list(SUBGROUP_DIMENSIONS)]
    comps = by_set.reindex(m["match_set"]).reset_index()
    comps = comps.assign(
        unit=("C|" + m["match_set"].astype(str) + "|" + m["comparison_person_key"].astype(str)).to_numpy(),
        row=panel.people.get_indexer(m["comparison_person_key"]),
        s=m["index_month_index"].to_numpy(dtype=int),
        treated=0,
        w=m["weight"].to_numpy(dtype=float),
        person=m["comparison_person_key"].to_numpy(),
    )
    return _Design(treated, comps)


def _score_changes(units: pd.DataFrame, scores: pd.DataFrame, w: int) -> pd.DataFrame:
    """Baseline (latest in s-1..s) and follow-up (latest in s+1..s+W) score of each unit; units with both."""
    if units.empty or scores.empty:
        return units.iloc[0:0].assign(change=pd.Series(dtype=float))
    x = units[["unit", "row", "s"]].merge(scores, on="row")
    x = x.sort_values(["unit", "assessment_date", "assessment_key"])
    base = x[(x["month_index"] >= x["s"] - 1) & (x["month_index"] <= x["s"])].groupby("unit")["score"].last()
    follow = x[(x["month_index"] >= x["s"] + 1) & (x["month_index"] <= x["s"] + w)].groupby("unit")["score"].last()
    change = (follow - base).dropna().rename("change")
    return units.merge(change, left_on="unit", right_index=True)


def _estimate_group(
    panel: Panel,
    design: _Design,
    scores: dict[str, pd.DataFrame],
    *,
    keep: pd.Series | None,
    threshold: int,
    windows: tuple[int, ...],
    min_treated: int,
    cols: dict[str, object],
) -> list[dict]:
    """All outcomes x windows x methods for the treated selected by `keep` (None: everyone)."""
    rows: list[dict] = []
    t_all = design.treated if keep is None else design.treated[keep.to_numpy()]
    t_matched = t_all[t_all["matched"]]
    c = design.comparisons[design.comparisons["match_set"].isin(set(t_matched["match_set"]))]
    for w in windows:
        for outcome in COUNT_OUTCOMES:
            if outcome not in panel.counts:
                continue
            base = {**cols, "outcome": outcome, "window_months": w}
            naive_units = t_all[t_all["s"] < panel.months - 1]
            n = len(naive_units)
            if n > threshold and n >= min_treated:
                d = _long(
                    naive_units,
                    _window_sums(panel, outcome, naive_units["row"].to_numpy(), naive_units["s"].to_numpy(), w),
                )
                ok = _all_cells_have_events(d)
                fit = _fit("poisson", "y ~ post | unit", d, "post", "unit", offset="log_months") if ok else None
                r = _row(fit, ratio=True, n_treated=n, n_comparison=None, method=METHOD_NAIVE, **base)
                r["treated_change"], r["comparison_change"] = _rate_change(d), np.nan
                r["n_comparison"] = 0
                rows.append(r)
            tm = t_matched[t_matched["s"] < panel.months - 1]
            cm = c[c["match_set"].isin(set(tm["match_set"]))]
            n_t, n_c = len(tm), int(cm["person"].nunique())
            if n_t > threshold and n_t >= min_treated and n_c > threshold:
                units = pd.concat([tm, cm], ignore_index=True)
                d = _long(units, _window_sums(panel, outcome, units["row"].to_numpy(), units["s"].to_numpy(), w))
                fit = (
                    _fit(
                        "poisson",
                        "y ~ post + treated_post | unit",
                        d,
                        "treated_post",
                        "match_set",
                        offset="log_months",
                        weights="w",
                    )
                    if _all_cells_have_events(d)
                    else None
                )
                r = _row(fit, ratio=True, n_treated=n_t, n_comparison=n_c, method=METHOD_DID, **base)
                r["treated_change"] = _rate_change(d[d["treated"].eq(1)])
                r["comparison_change"] = _rate_change(d[d["treated"].eq(0)])
                rows.append(r)
        for outcome in SCORE_OUTCOMES:
            sc = scores.get(outcome)
            if sc is None:
                continue
            base = {**cols, "outcome": outcome, "window_months": w}
            tc = _score_changes(t_all, sc, w)
            n = len(tc)
            if n > threshold and n >= min_treated:
                fit = _fit("ols", "change ~ 1", tc, "Intercept", None)
                r = _row(fit, ratio=False, n_treated=n, n_comparison=None, method=METHOD_NAIVE, **base)
                r["treated_change"], r["comparison_change"], r["n_comparison"] = float(tc["change"].mean()), np.nan, 0
                rows.append(r)
            tmc = tc[tc["matched"]]
            cc = _score_changes(c[c["match_set"].isin(set(tmc["match_set"]))], sc, w)
            tmc = tmc[tmc["match_set"].isin(set(cc["match_set"]))]
            if len(cc):
                cc = cc.assign(w=1.0 / cc.groupby("match_set")["unit"].transform("size"))
            n_t, n_c = len(tmc), int(cc["person"].nunique()) if len(cc) else 0
            if n_t > threshold and n_t >= min_treated and n_c > threshold:
                d = pd.concat([tmc, cc], ignore_index=True)
                fit = _fit("ols", "change ~ treated", d, "treated", "match_set", weights="w")
                r = _row(fit, ratio=False, n_treated=n_t, n_comparison=n_c, method=METHOD_DID, **base)
                r["treated_change"] = float(tmc["change"].mean())
                r["comparison_change"] = float(np.average(cc["change"], weights=cc["w"]))
                rows.append(r)
    return rows


def _scores_by_outcome(panel: Panel, scores: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if scores is None or scores.empty:
        return {}
    sc = scores.assign(row=panel.people.get_indexer(scores["person_key"]))
    sc = sc[sc["row"] >= 0]
    keep = ["row", "month_index", "assessment_date", "assessment_key", "score"]
    return {o: g[keep] for o, g in sc.groupby("outcome")}


def estimate(
    panel: Panel,
    result: MatchResult,
    scores: pd.DataFrame,
    *,
    linkage: str,
    intervention: str,
    windows: tuple[int, ...] = WINDOWS,
    threshold: int,
    subgroups: bool = True,
) -> pd.DataFrame:
    """The estimates of one intervention in one linkage: 'all' and, when asked, every subgroup numbers allow."""
    design = _design(panel, result)
    by_outcome = _scores_by_outcome(panel, scores)
    cols = {"linkage": linkage, "intervention": intervention}
    rows = _estimate_group(
        panel,
        design,
        by_outcome,
        keep=None,
        threshold=threshold,
        windows=windows,
        min_treated=0,
        cols={**cols, "subgroup": "all"},
    )
    if subgroups:
        for dim in SUBGROUP_DIMENSIONS:
            for value in sorted(design.treated[dim].unique().tolist()):
                keep = design.treated[dim].eq(value)
                if keep.sum() < MIN_SUBGROUP_TREATED:
                    continue
                rows += _estimate_group(
                    panel,
                    design,
                    by_outcome,
                    keep=keep,
                    threshold=threshold,
                    windows=windows,
                    min_treated=MIN_SUBGROUP_TREATED,
                    cols={**cols, "subgroup": f"{dim}:{value}"},
                )
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def _run(
    person_months: pd.DataFrame,
    episodes: pd.DataFrame,
    scores: pd.DataFrame | None,
    *,
    given: pd.DataFrame | None,
    tables: tuple[str, ...],
    windows: tuple[int, ...],
    threshold: int | None,
    k: int,
    caliper: float,
    interventions: tuple[str, ...],
    subgroups: bool,
) -> EvaluationTables:
    limit = disclosure_threshold() if threshold is None else threshold
    linkages = sorted(person_months["linkage"].unique().tolist(), key=lambda v: (v != HEADLINE_LINKAGE, v))
    matches, bal, est = [], [], []
    for linkage in linkages:
        panel = build_panel(person_months[person_months["linkage"].eq(linkage)], COUNT_OUTCOMES)
        ep = episodes[episodes["linkage"].eq(linkage)]
        sc = scores[scores["linkage"].eq(linkage)] if scores is not None and len(scores) else None
        for intervention in interventions:
            result = match(panel, ep, linkage=linkage, intervention=intervention, k=k, caliper=caliper, given=given)
            matches.append(result.matches)
            if "balance" in tables:
                bal.append(balance(panel, result, linkage=linkage, intervention=intervention, threshold=limit))
            if "estimates" in tables:
                est.append(
                    estimate(
                        panel,
                        result,
                        sc,
                        linkage=linkage,
                        intervention=intervention,
                        windows=windows,
                        threshold=limit,
                        subgroups=subgroups and linkage == HEADLINE_LINKAGE,
                    )
                )
    return EvaluationTables(
        matches=_concat(matches, MATCH_COLUMNS),
        balance=_concat(bal, BALANCE_COLUMNS),
        estimates=_concat(est, ESTIMATE_COLUMNS),
    )


def evaluate(
    person_months: pd.DataFrame,
    episodes: pd.DataFrame,
    scores: pd.DataFrame | None,
    *,
    windows: tuple[int, ...] = WINDOWS,
    threshold: int | None = None,
    k: int = NEIGHBOURS,
    caliper: float = CALIPER,
    interventions: tuple[str, ...] = INTERVENTIONS,
    subgroups: bool = True,
) -> EvaluationTables:
    """Matches, balance and estimates for every linkage in `person_months` (subgroups under 'standard' only).
    `threshold` defaults to HFC_DISCLOSURE_THRESHOLD (7)."""
    return _run(
        person_months,
        episodes,
        scores,
        given=None,
        tables=("balance", "estimates"),
        windows=windows,
        threshold=threshold,
        k=k,
        caliper=caliper,
        interventions=interventions,
        subgroups=subgroups,
    )


def comparison_matches(
    person_months: pd.DataFrame, episodes: pd.DataFrame, *, k: int = NEIGHBOURS, caliper: float = CALIPER
) -> pd.DataFrame:
    """`evaluation.comparison_matches`: every linkage and intervention."""
    return _run(
        person_months,
        episodes,
        None,
        given=None,
        tables=(),
        windows=WINDOWS,
        threshold=None,
        k=k,
        caliper=caliper,
        interventions=INTERVENTIONS,
        subgroups=False,
    ).matches


def balance_table(
    person_months: pd.DataFrame, episodes: pd.DataFrame, matches: pd.DataFrame, *, threshold: int | None = None
) -> pd.DataFrame:
    """`evaluation.balance` of the given comparison_matches."""
    return _run(
        person_months,
        episodes,
        None,
        given=matches,
        tables=("balance",),
        windows=WINDOWS,
        threshold=threshold,
        k=NEIGHBOURS,
        caliper=CALIPER,
        interventions=INTERVENTIONS,
        subgroups=False,
    ).balance


def estimates_table(
    person_months: pd.DataFrame,
    episodes: pd.DataFrame,
    scores: pd.DataFrame | None,
    matches: pd.DataFrame,
    *,
    windows: tuple[int, ...] = WINDOWS,
    threshold: int | None = None,
) -> pd.DataFrame:
    """`evaluation.estimates` (naive_before_after and did_matched) against the given comparison_matches."""
    return _run(
        person_months,
        episodes,
        scores,
        given=matches,
        tables=("estimates",),
        windows=windows,
        threshold=threshold,
        k=NEIGHBOURS,
        caliper=CALIPER,
        interventions=INTERVENTIONS,
        subgroups=True,
    ).estimates


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
