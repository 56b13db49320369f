"""Estimates of the effect of each intervention (`evaluation.estimates`), naive and against the matched comparison.

Counts (crisis contacts, contacts by agency, S136 detentions; measure `rate_ratio`). For each episode (treated or
comparison, index month s) the pre window is months s-W..s-1 and the post window s+1..s+W (month s itself is left
out; both truncated at the period's edges, the months observed are the exposure). Because every regressor is
constant within a window, a Poisson model with a fixed effect per person and window-level sums (log months observed
as offset) has the same estimates as the person-month model, at two rows per person.
  * `naive_before_after`: treated episodes only, `y ~ post | unit` (pyfixest `fepois`), cluster-robust by person;
    the estimate is the post/pre rate ratio exp(b_post). It includes what regression to the mean does.
  * `did_matched`: treated and matched comparisons, `y ~ post + treated_post | unit`, comparisons weighted by their
    matching weight, cluster-robust (see below); the estimate is exp(b_treated_post), the treated's post/pre
    ratio over the comparisons'. `treated_change` and `comparison_change` are the two groups' own (weighted) post/pre
    rate ratios: the comparison's is what regression to the mean alone does. `adjust=True` adds the matching
    variables (centred on the treated) x post as covariates, a regression adjustment for the imbalance the caliper
    leaves; it is off by default: on generated counties with realistic selection it moved the mean bias by less
    than 0.01 on the log scale once the exact cells hold the recent-contacts band, widened the intervals, and made
    rare outcomes (S136) unstable. Standard errors are clustered two-way, by matched set and by person (`CLUSTER`):
    comparisons are drawn with replacement, so one person can sit in several sets.
Scores (questionnaire totals; measure `mean_difference`): baseline = latest score in months s-1..s (at or before the
index month, within one month), follow-up = latest score in s+1..s+W; only episodes with both count.
  * `naive_before_after`: mean of follow-up minus baseline among the treated (statsmodels OLS on a constant, HC1).
  * `did_matched`: `change ~ treated` (statsmodels WLS), cluster-robust by matched set, on the matched sets whose
    treated person and at least one comparison have both scores (the comparisons with scores share the set's
    weight). On the current synthetic county the comparison pool has almost no questionnaires (only routine
    outcome monitoring, in 12% of months with a mental health contact), so these rows are withheld there.
Intervals are 95%, t-based (pyfixest: t with G-1 degrees of freedom for G clusters; statsmodels likewise). `mde` is
the minimum detectable effect at 80% power, two-sided 5%: 2.8 x SE (exp(2.8 SE) on the ratio scale, the smallest
ratio above 1 detectable; 1/mde below 1). `small_n` is set when fewer than 50 treated (or, for did_matched, fewer
than 50 comparisons) contribute, or the model gave no finite standard error. A group with no event in its pre or
post window (a rate ratio of 0 or infinity) is not estimable: the row has no estimate and says so in `note`.

Disclosure: n_treated and n_comparison are never between 1 and the threshold (HFC_DISCLOSURE_THRESHOLD, default 7):
an estimate on so few is not written (for subgroup 'all' a row without estimate or counts says "not estimated").
Subgroups (`<dimension>:<value>`, the treated person's value; comparisons belong to their treated person's set) are
estimated only with n_treated >= 30 and both groups above the threshold.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyfixest as pf
import statsmodels.api as sm

from pipelines.evaluation.balance import BALANCE_COLUMNS, balance
from pipelines.evaluation.config import (
    CALIPER,
    COUNT_OUTCOMES,
    ESTIMATE_COLUMNS,
    EXACT_VARIABLES,
    HEADLINE_LINKAGE,
    INTERVENTIONS,
    MATCH_VARIABLES,
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
from pipelines.evaluation.fepois import fepois
from pipelines.evaluation.matching import MATCH_COLUMNS, MatchResult, Panel, build_panel, features, match


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


def _poisson(d: Long, formula: str, term: str, cluster: str, weighted: bool) -> Fit | None:
    """A fixed-effects Poisson fit (`y ~ regressors | unit`) with person fixed effects, as pyfixest's `fepois`
    computes it; None when it cannot be estimated (separation).

    Units with no event are dropped here, so pyfixest's own separation check (fixed-effect levels whose outcomes
    are all zero) can find nothing. The fit runs in `fepois.fepois` (pyfixest's computation without its formula
    machinery, which costs more than the fit on these small designs); where that declines, pyfixest itself."""
    if not _all_cells_have_events(d):
        return None
    codes = pd.factorize(np.asarray(d["unit"]))[0]
    informative = np.bincount(codes, weights=np.asarray(d["y"]))[codes] > 0  # a unit with no event carries none
    d = {k: np.asarray(v)[informative] for k, v in d.items()}
    lhs, rhs = formula.split("~")
    regressors, fe = (part.strip() for part in rhs.split("|"))
    names = [v.strip() for v in regressors.split("+")]
    fit = None
    if lhs.strip() == "y" and fe == "unit" and term in names and all(v in d for v in names):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                fit = fepois(
                    d["y"],
                    np.column_stack([d[v].astype(float) for v in names]),
                    d["unit"],
                    d["log_months"].astype(float),
                    d["w"].astype(float) if weighted else None,
                    {c: d[c] for c in cluster.split("+")},
                )
        except Exception:  # pyfixest decides below
            fit = None
    if fit is not None:
        j = names.index(term)
        coef, se, p, low, high = (float(a[j]) for a in (fit.coef, fit.se, fit.p, fit.low, fit.high))
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = pf.fepois(
                    formula,
                    data=pd.DataFrame({c: v for c, v in d.items() if c in _FIT_COLUMNS or c.startswith("post_x_")}),
                    vcov={"CRV1": cluster},
                    offset="log_months",
                    weights="w" if weighted else None,
                    separation_check=[],
                    lean=True,
                    copy_data=False,
                )
                row = model.tidy(alpha=0.05).loc[term]  # coef, se, p and the interval of confint(alpha=0.05)
                coef, se, p = float(row["Estimate"]), float(row["Std. Error"]), float(row["Pr(>|t|)"])
                low, high = float(row["2.5%"]), float(row["97.5%"])
        except Exception:  # pyfixest raises many types on degenerate data; the row says so instead
            return None
    if not np.isfinite(se) or se <= 0:
        return None
    return Fit(coef, se, low, high, p)


# what a fit reads: outcome, regressors, fixed effect, offset, weight and the cluster variables
_FIT_COLUMNS = frozenset({"y", "post", "treated_post", "unit", "log_months", "w", "match_set", "person"})


def _ols(
    y: np.ndarray,
    treated: np.ndarray | None,
    weights: np.ndarray,
    groups: np.ndarray | None,
    covariates: np.ndarray | None = None,
) -> Fit | None:
    """statsmodels WLS of a change on a constant (naive) or on the treated indicator (did, with centred
    `covariates` when given): the treated coefficient (the constant for naive), cluster-robust by `groups` (t with
    G-1 degrees of freedom) or heteroscedasticity-robust (HC1)."""
    columns = [np.ones(len(y))]
    if covariates is not None and treated is not None:
        columns += [covariates - covariates[treated == 1].mean(axis=0)]
    if treated is not None:
        columns.append(treated.astype(float))
    x = np.column_stack(columns)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.WLS(y.astype(float), x, weights=weights)
            if groups is None:
                res = model.fit(cov_type="HC1", use_t=True)
            else:
                res = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]}, use_t=True)
    except Exception:  # singular designs; the row says so instead
        return None
    coef, se = float(res.params[-1]), float(res.bse[-1])
    if not np.isfinite(se) or se <= 0:
        return None
    low, high = res.conf_int(0.05)[-1]
    return Fit(coef, se, float(low), float(high), float(res.pvalues[-1]))


def _window_sums(
    panel: Panel, cumulative: np.ndarray, rows: np.ndarray, s: np.ndarray, w: int
) -> dict[str, np.ndarray]:
    """Pre (s-W..s-1) and post (s+1..s+W) window sums and months observed of each (person row, index month)."""
    pre_lo = np.maximum(0, s - w)
    post_hi = np.minimum(panel.months - 1, s + w)
    return {
        "pre": cumulative[rows, s] - cumulative[rows, pre_lo],
        "pre_months": s - pre_lo,
        "post": cumulative[rows, post_hi + 1] - cumulative[rows, s + 1],
        "post_months": post_hi - s,
    }


def _take(arrays: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in arrays.items()}


def _stack(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


# the long table of a fit: column name -> array (a DataFrame reads the same way); arrays, because it is built for
# every fit and a frame costs more than the fit
Long = Mapping[str, np.ndarray]


def _long(units: Long, sums: Long, *, adjust: bool = False) -> dict[str, np.ndarray]:
    """Two rows per unit (pre, post) for the fixed-effects Poisson model; with `adjust`, the matching variables
    (centred on the treated) x post. `units` holds the units' columns, `sums` their window sums."""
    months = np.concatenate([sums["pre_months"], sums["post_months"]])
    keep = months > 0
    n = len(sums["pre"])
    post = np.repeat(np.array([0, 1], dtype=np.int64), n)[keep]
    out = {c: np.tile(units[c], 2)[keep] for c in _LONG_UNIT_COLUMNS}
    out["y"] = np.concatenate([sums["pre"], sums["post"]])[keep]
    out["months"] = months[keep]
    out["post"] = post
    out["log_months"] = np.log(out["months"].astype(float))
    out["treated_post"] = out["treated"] * post
    if adjust:
        treated = out["treated"] == 1
        for v in MATCH_VARIABLES:
            if v in units:
                x = np.tile(units[v], 2)[keep]
                out[f"post_x_{v}"] = post * (x - x[treated].mean())
    return out


_LONG_UNIT_COLUMNS = ("unit", "match_set", "person", "treated", "w")


# comparisons are drawn with replacement, so one person can sit in many matched sets: cluster on both
CLUSTER = "match_set+person"
ADJUSTMENT = " + ".join(f"post_x_{v}" for v in MATCH_VARIABLES)


def _all_cells_have_events(d: Long) -> bool:
    """Every group's pre and post window has an event: otherwise the ratio is 0 or infinite (separation)."""
    treated, post, y = (np.asarray(d[c]) for c in ("treated", "post", "y"))
    for value in np.unique(treated):
        for p in (0, 1):
            cell = (treated == value) & (post == p)
            if not cell.any() or not y[cell].sum() > 0:
                return False
    return True


def _rate_change(df: Long, rows: np.ndarray | None = None) -> float:
    """Weighted post/pre rate ratio of the units in `df` (long format), or of its `rows` (a mask)."""
    post, y, w, months = (np.asarray(df[c]) for c in ("post", "y", "w", "months"))
    if rows is not None:
        post, y, w, months = post[rows], y[rows], w[rows], months[rows]
    pre, after = post == 0, post == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_pre = (y[pre] * w[pre]).sum() / (months[pre] * w[pre]).sum()
        rate_post = (y[after] * w[after]).sum() / (months[after] * w[after]).sum()
        return float(rate_post / rate_pre) if rate_pre > 0 else float("nan")


def _row(fit: Fit | None, *, ratio: bool, n_treated: int, n_comparison: int, **cols: object) -> dict:
    out: dict[str, object] = {
        **cols,
        "measure": "rate_ratio" if ratio else "mean_difference",
        "n_treated": n_treated,
        "n_comparison": n_comparison,
    }
    did = cols.get("method") == METHOD_DID
    small = n_treated < SMALL_N or (did and n_comparison < SMALL_N)
    if fit is None:
        out.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan, mde=np.nan, small_n=True)
        out["note"] = "not estimable: no events in a window, or no variation"
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


def _withheld(*, ratio: bool, why: str, **cols: object) -> dict:
    """The 'all' row of an estimate the numbers do not allow: no estimate and no count, only the reason."""
    return {
        **cols,
        "measure": "rate_ratio" if ratio else "mean_difference",
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "n_treated": pd.NA,
        "n_comparison": pd.NA,
        "treated_change": np.nan,
        "comparison_change": np.nan,
        "p_value": np.nan,
        "mde": np.nan,
        "small_n": True,
        "note": why,
    }


@dataclass(frozen=True)
class _Design:
    """One intervention's treated episodes and matched comparisons in one linkage."""

    treated: pd.DataFrame  # unit, row, s, match_set, treated=1, w=1, matched, subgroup columns; all eligible treated
    comparisons: pd.DataFrame  # unit, row, s, match_set, treated=0, w, person, subgroup columns (of the treated)


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
        person=panel.people[rows].to_numpy(),
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
    # the matching variables of every unit at its index month, for the regression adjustment
    for v in MATCH_VARIABLES:
        treated[v] = t[v].to_numpy(dtype=float)
    x = np.zeros((len(comps), len(MATCH_VARIABLES)))
    cs = comps["s"].to_numpy()
    for month in np.unique(cs):
        here = cs == month
        x[here] = features(panel, comps.loc[here, "row"].to_numpy(dtype=int), int(month))
    for j, v in enumerate(MATCH_VARIABLES):
        comps[v] = x[:, j]
    return _Design(treated, comps)


def _score_changes(units: pd.DataFrame, scores: pd.DataFrame | None, w: int) -> np.ndarray:
    """Follow-up (latest score in s+1..s+W) minus baseline (latest in s-1..s) of each unit, NaN without both.

    Two scores of the same measure on the same latest day count as their mean: the choice never depends on the
    order of assessment keys, which are pseudonyms (an evaluation pack re-keys them and must get the same answer)."""
    out = np.full(len(units), np.nan)
    if units.empty or scores is None or scores.empty:
        return out
    u = pd.DataFrame({"i": np.arange(len(units)), "row": units["row"].to_numpy(), "s": units["s"].to_numpy()})
    x = u.merge(scores, on="row")
    m = x["month_index"]

    def latest(part: pd.DataFrame) -> pd.Series:
        by_day = part.groupby(["i", "assessment_date"], sort=True)["score"].mean().dropna()
        return by_day.groupby(level="i").last()

    base = latest(x[(m >= x["s"] - 1) & (m <= x["s"])])
    follow = latest(x[(m >= x["s"] + 1) & (m <= x["s"] + w)])
    change = (follow - base).dropna()
    out[change.index.to_numpy()] = change.to_numpy()
    return out


@dataclass(frozen=True)
class _Window:
    """Everything one window's estimates need, for every treated and comparison unit (subgroups select rows)."""

    w: int
    sums_t: dict[str, dict[str, np.ndarray]]
    sums_c: dict[str, dict[str, np.ndarray]]
    change_t: dict[str, np.ndarray]
    change_c: dict[str, np.ndarray]


def _window(panel: Panel, design: _Design, cumulative: dict[str, np.ndarray], scores: dict, w: int) -> _Window:
    t, c = design.treated, design.comparisons
    tr, ts = t["row"].to_numpy(dtype=int), t["s"].to_numpy(dtype=int)
    cr, cs = c["row"].to_numpy(dtype=int), c["s"].to_numpy(dtype=int)
    return _Window(
        w=w,
        sums_t={o: _window_sums(panel, cum, tr, ts, w) for o, cum in cumulative.items()},
        sums_c={o: _window_sums(panel, cum, cr, cs, w) for o, cum in cumulative.items()},
        change_t={o: _score_changes(t, sc, w) for o, sc in scores.items()},
        change_c={o: _score_changes(c, sc, w) for o, sc in scores.items()},
    )


def _estimate_group(
    panel: Panel,
    design: _Design,
    window: _Window,
    *,
    keep: np.ndarray,
    threshold: int,
    min_treated: int,
    cols: dict[str, object],
    adjust: bool = False,
) -> list[dict]:
    """Every outcome and method of one window for the treated selected by `keep` (and their matched sets)."""
    rows: list[dict] = []
    t, c = design.treated, design.comparisons
    has_post = t["s"].to_numpy() < panel.months - 1
    t_keep = keep & has_post
    t_matched = t_keep & t["matched"].to_numpy(dtype=bool)
    c_keep = c["match_set"].isin(set(t.loc[t_matched, "match_set"])).to_numpy()
    enough_t = max(threshold + 1, min_treated)
    unit_columns = (*_LONG_UNIT_COLUMNS, *(MATCH_VARIABLES if adjust else ()))
    t_arrays = {k: t[k].to_numpy() for k in unit_columns}
    c_arrays = {k: c[k].to_numpy() for k in unit_columns}
    base = {**cols, "window_months": window.w}
    report_withheld = cols.get("subgroup") == "all"
    for outcome, sums_t in window.sums_t.items():
        b = {**base, "outcome": outcome}
        n = int(t_keep.sum())
        if n >= enough_t:
            d = _long(_take(t_arrays, t_keep), _take(sums_t, t_keep))
            fit = _poisson(d, "y ~ post | unit", "post", "unit", weighted=False)
            r = _row(fit, ratio=True, n_treated=n, n_comparison=0, method=METHOD_NAIVE, **b)
            r["treated_change"], r["comparison_change"] = _rate_change(d), np.nan
            rows.append(r)
        elif report_withheld:
            rows.append(_withheld(ratio=True, why="not estimated: too few treated", method=METHOD_NAIVE, **b))
        n_t, n_c = int(t_matched.sum()), int(c.loc[c_keep, "person"].nunique())
        if n_t >= enough_t and n_c > threshold:
            units = _stack(_take(t_arrays, t_matched), _take(c_arrays, c_keep))
            sums = _stack(_take(sums_t, t_matched), _take(window.sums_c[outcome], c_keep))
            d = _long(units, sums, adjust=adjust)
            formula = f"y ~ post + treated_post + {ADJUSTMENT} | unit" if adjust else "y ~ post + treated_post | unit"
            fit = _poisson(d, formula, "treated_post", CLUSTER, weighted=True)
            r = _row(fit, ratio=True, n_treated=n_t, n_comparison=n_c, method=METHOD_DID, **b)
            is_treated = d["treated"] == 1
            r["treated_change"] = _rate_change(d, is_treated)
            r["comparison_change"] = _rate_change(d, ~is_treated)
            rows.append(r)
        elif report_withheld:
            why = "not estimated: too few matched treated or comparisons"
            rows.append(_withheld(ratio=True, why=why, method=METHOD_DID, **b))
    for outcome, change_t in window.change_t.items():
        b = {**base, "outcome": outcome}
        ok_t = keep & ~np.isnan(change_t)
        n = int(ok_t.sum())
        if n >= enough_t:
            y = change_t[ok_t]
            fit = _ols(y, None, np.ones(n), None)
            r = _row(fit, ratio=False, n_treated=n, n_comparison=0, method=METHOD_NAIVE, **b)
            r["treated_change"], r["comparison_change"] = float(y.mean()), np.nan
            rows.append(r)
        elif report_withheld:
            why = "not estimated: too few treated with baseline and follow-up scores"
            rows.append(_withheld(ratio=False, why=why, method=METHOD_NAIVE, **b))
        # matched sets whose treated person and at least one comparison have both scores
        change_c = window.change_c[outcome]
        ok_c = c_keep & ~np.isnan(change_c)
        ok_tm = ok_t & t["matched"].to_numpy(dtype=bool)
        sets = set(t.loc[ok_tm, "match_set"]) & set(c.loc[ok_c, "match_set"])
        ok_tm &= t["match_set"].isin(sets).to_numpy()
        ok_c &= c["match_set"].isin(sets).to_numpy()
        n_t, n_c = int(ok_tm.sum()), int(c.loc[ok_c, "person"].nunique())
        if n_t >= enough_t and n_c > threshold:
            cc = c[ok_c]
            wc = 1.0 / cc.groupby("match_set")["unit"].transform("size").to_numpy()
            y = np.concatenate([change_t[ok_tm], change_c[ok_c]])
            treated = np.concatenate([np.ones(n_t), np.zeros(len(cc))])
            groups = np.concatenate([t.loc[ok_tm, "match_set"].to_numpy(), cc["match_set"].to_numpy()])
            cov = None
            if adjust:
                cols_ = list(MATCH_VARIABLES)
                cov = np.vstack([t.loc[ok_tm, cols_].to_numpy(dtype=float), cc[cols_].to_numpy(dtype=float)])
            fit = _ols(y, treated, np.concatenate([np.ones(n_t), wc]), groups, cov)
            r = _row(fit, ratio=False, n_treated=n_t, n_comparison=n_c, method=METHOD_DID, **b)
            r["treated_change"] = float(change_t[ok_tm].mean())
            r["comparison_change"] = float(np.average(change_c[ok_c], weights=wc))
            rows.append(r)
        elif report_withheld:
            why = "not estimated: too few matched sets where treated and comparison both have baseline and follow-up"
            rows.append(_withheld(ratio=False, why=why, method=METHOD_DID, **b))
    return rows


def _scores_by_outcome(panel: Panel, scores: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if scores is None or scores.empty:
        return {}
    sc = scores.assign(row=panel.people.get_indexer(scores["person_key"]))
    sc = sc[sc["row"] >= 0]
    keep = ["row", "month_index", "assessment_date", "assessment_key", "score"]
    return {o: sc.loc[sc["outcome"].eq(o), keep] for o in SCORE_OUTCOMES if sc["outcome"].eq(o).any()}


def estimate(
    panel: Panel,
    result: MatchResult,
    scores: pd.DataFrame | None,
    *,
    linkage: str,
    intervention: str,
    windows: tuple[int, ...] = WINDOWS,
    threshold: int,
    subgroups: bool = True,
    adjust: bool = False,
) -> pd.DataFrame:
    """The estimates of one intervention in one linkage: 'all' and, when asked, every subgroup numbers allow."""
    design = _design(panel, result)
    by_outcome = _scores_by_outcome(panel, scores)
    cumulative = {
        o: np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c, axis=1)], axis=1)
        for o, c in panel.counts.items()
        if o in COUNT_OUTCOMES
    }
    groups: list[tuple[str, np.ndarray, int]] = [("all", np.ones(len(design.treated), dtype=bool), 0)]
    if subgroups:
        for dim in SUBGROUP_DIMENSIONS:
            for value in sorted(design.treated[dim].unique().tolist()):
                keep = design.treated[dim].eq(value).to_numpy()
                if keep.sum() >= MIN_SUBGROUP_TREATED:
                    groups.append((f"{dim}:{value}", keep, MIN_SUBGROUP_TREATED))
    rows: list[dict] = []
    for w in windows:
        window = _window(panel, design, cumulative, by_outcome, w)
        for name, keep, min_treated in groups:
            rows += _estimate_group(
                panel,
                design,
                window,
                keep=keep,
                threshold=threshold,
                min_treated=min_treated,
                cols={"linkage": linkage, "intervention": intervention, "subgroup": name},
                adjust=adjust,
            )
    out = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    for col in ("n_treated", "n_comparison"):
        out[col] = out[col].astype("Int64")
    out["small_n"] = out["small_n"].astype(bool)
    return out


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
    adjust: bool = False,
    exact: tuple[str, ...] = EXACT_VARIABLES,
) -> EvaluationTables:
    limit = disclosure_threshold() if threshold is None else threshold
    linkages = sorted(person_months["linkage"].unique().tolist(), key=lambda v: (v != HEADLINE_LINKAGE, v))
    matches, bal, est = [], [], []
    for linkage in linkages:
        panel = build_panel(person_months[person_months["linkage"].eq(linkage)], COUNT_OUTCOMES)
        ep = episodes[episodes["linkage"].eq(linkage)]
        sc = scores[scores["linkage"].eq(linkage)] if scores is not None and len(scores) else None
        for intervention in interventions:
            result = match(
                panel, ep, linkage=linkage, intervention=intervention, k=k, caliper=caliper, given=given, exact=exact
            )
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
                        adjust=adjust,
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
    adjust: bool = False,
    exact: tuple[str, ...] = EXACT_VARIABLES,
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
        adjust=adjust,
        exact=exact,
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
