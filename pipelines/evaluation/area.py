"""Area-level demand around the high intensity team's go-live: interrupted time series and staggered adoption.

Both read the `evaluation.area_months` panel (one row per locality x month: demand counts, the team's
`go_live_month_index`, null where the team is not live in the period) and never a person.

**Interrupted time series** (`interrupted_time_series`, the `evaluation.its_estimates` table). For each locality whose
team goes live inside the period with at least `min_months` months (default 8) on each side, a segmented
regression of each demand count on its month::

    log E[y_t] = b0 + b1 (t - g) + b2 post_t + b3 (t - g) post_t        post_t = 1 from the go-live month g

`exp(b2)` is the level change at go-live (the ratio of the month-g count to the pre-go-live trend's extrapolation),
`exp(b3)` the change in the monthly trend (a ratio per month), `exp(b1)` the pre-go-live trend. Monthly counts are
overdispersed and autocorrelated (a busy month is followed by a busy month); two ways of handling it, named in the
row's `method`:

- `segmented_log_count_glsar_ar1` (the default wherever every month has at least `GLSAR_MIN_COUNT` events, as
  area demand has): the same segmented model on log(count + 0.5), by feasible GLS with AR(1) errors (statsmodels
  `GLSAR`, iterated), t intervals; the estimated AR(1) coefficient is `ar1_rho`. The ratios are then of geometric
  means, which for counts of this size differ from rate ratios by far less than their intervals.
- `segmented_poisson_newey_west_hac` (series with small counts or zero months): Poisson quasi-likelihood with
  Newey-West HAC errors (Bartlett kernel, `maxlags` = floor(4 (T/100)^(2/9)) after Newey and West 1994, at least 1,
  small-sample corrected, in `hac_maxlags`), t intervals on the residual degrees of freedom.

Measured on simulated series with AR(1) errors (tests/unit/evaluation/test_area_eval.py): naive Poisson intervals
cover a planted level change about half the time; Newey-West about 0.77-0.83 of the time in 30-36 months (its
known small-sample bias); GLSAR 0.85-0.97. Short series make every correction optimistic: read a borderline interval
with that in mind. The lag-1 autocorrelation of the residuals and their Durbin-Watson statistic are reported beside
each row, so a reader sees how much there was to handle.
No offset: `people_known` (people with any contact in the locality so far) grows mechanically from the
period's start because it is cumulative, so as a denominator it would invent a falling rate; pass `offset=` to use
another exposure column. Annual seasonality can be added as one harmonic pair (`seasonal=True`): with 24 months,
month-of-year dummies would use half the data.
A pooled row (`locality_code = 'all'`) fits the Poisson form of the model on all the localities estimated, with an
intercept and pre-trend for each locality (locality fixed effects and trends) and a common level and slope change;
its standard errors are Newey-West within each locality, summed over localities (statsmodels `hac-panel`), with t
intervals on localities - 1 degrees of freedom (statsmodels' convention): conservative with a handful of localities
(measured coverage 1.0 on simulated panels of five), very wide with two.
A locality's demand counts all its people, and the team works with a few dozen of them: an area-level change of a
few percent is all the team can make, so these intervals are expected to be wide. The series are descriptive of
demand, not an estimate of the team's effect on the people it sees.

**Staggered adoption** (`staggered_rows`, rows of `evaluation.estimates` with method `staggered_cs`). Callaway and
Sant'Anna's group-time average treatment effects on the treated (`differences.ATTgt`, outcome regression without
covariates, not-yet-treated localities as controls, varying base period, no anticipation), aggregated with the
simple (cohort-size weighted) aggregation over every post-go-live cell: the mean difference per locality-month the
go-live made to each count, with the package's analytic influence-function standard errors (clustered by
locality) and, because there are few localities, t intervals, p values and minimum detectable effect (80% power,
two-sided 5%) on localities - 1 degrees of freedom rather than the package's normal ones (Cameron, Gelbach and
Miller 2008's few-cluster advice; on the demo county the normal interval missed a true effect). Localities live
from the first month have no pre-period and are left out; if every locality goes live in the period, the package
keeps the last to go live as the control and drops the months from its go-live on. `treated_change` and
`comparison_change` are the same cells' changes from each cohort's base month (the month before go-live) for the
treated and for their not-yet-treated controls, weighted as the estimate is, so treated_change - comparison_change
is the estimate. With fewer than `FEW_CLUSTERS` localities, inference on clusters is unreliable (the analytic and
multiplier-bootstrap errors both assume many clusters): every such row is `small_n` and says so in its `note`.

Checked on synthetic 20,000-person, 24-month counties with five localities (seeds 42 and 1-4, default effects;
seeds 1-4 with `--effects none`): the staggered 95% intervals held the true area effect (`staggered_truth`) for 26
of 27 outcome-counties, and the locality ITS intervals held a level change of 1 for 44 of 48 rows on the no-effect
counties. The team's true effect on a locality's demand is about 1% of its monthly contacts (-2 to -12 contacts per
locality-month), far below these designs' minimum detectable effects (about 10 to 150): area-level designs can
show that demand did not move much, not whether the team worked.

`n_treated` and `n_comparison` of a `staggered_cs` row count localities, not people: a locality is a commissioning
area of thousands of people, and which localities have the team is public.

`read_area_truth` reads the synthetic county's `synth_truth/area_effects.csv` for demo and bench comparison only;
the pipeline never calls it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.stattools import durbin_watson

from pipelines.evaluation.config import ESTIMATE_COLUMNS

INTERVENTION = "high_intensity_team"
ITS_OUTCOMES: tuple[str, ...] = (
    "police_mental_health_incidents",
    "ambulance_calls",
    "ed_attendances",
    "crisis_contacts",
)
STAGGERED_OUTCOMES: tuple[str, ...] = (*ITS_OUTCOMES, "s136_detentions")
AREA_OUTCOME_PREFIX = "area_"
MIN_MONTHS_EACH_SIDE = 8
GLSAR_MIN_COUNT = 20
FEW_CLUSTERS = 10
ALL_LOCALITIES = "all"
ITS_METHOD = "segmented_poisson_newey_west_hac"
ITS_GLSAR_METHOD = "segmented_log_count_glsar_ar1"
ITS_POOLED_METHOD = "segmented_poisson_locality_fe_panel_newey_west_hac"
STAGGERED_METHOD = "staggered_cs"
MDE_MULTIPLIER = 2.8  # 80% power, two-sided 5%: 1.96 + 0.84 standard errors

ITS_COLUMNS: list[str] = [
    "locality_code",
    "intervention",
    "outcome",
    "go_live_month_index",
    "months_before",
    "months_after",
    "level_change_ratio",
    "level_change_ci_low",
    "level_change_ci_high",
    "level_change_p_value",
    "slope_change_ratio",
    "slope_change_ci_low",
    "slope_change_ci_high",
    "slope_change_p_value",
    "pre_trend_ratio",
    "residual_lag1_autocorrelation",
    "durbin_watson",
    "dispersion",
    "hac_maxlags",
    "ar1_rho",
    "method",
    "note",
]


_FEW_CLUSTERS_NOTE = (
    f"fewer than {FEW_CLUSTERS} localities: standard errors clustered on so few areas are unreliable (too narrow), "
    "read the interval as descriptive"
)


def newey_west_maxlags(n_months: int) -> int:
    """Newey and West's (1994) rule of thumb for the Bartlett kernel's lag truncation: floor(4 (T/100)^(2/9))."""
    return max(1, math.floor(4 * (n_months / 100) ** (2 / 9)))


# ---------------------------------------------------------------------------------------------------- inputs


def _area_panel(area_months: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """The panel's columns this module uses, typed: month_index int, go_live float (NaN = never), outcomes float."""
    missing = [c for c in ("locality_code", "month_index", "go_live_month_index", *outcomes) if c not in area_months]
    if missing:
        raise ValueError(f"area_months lacks columns {missing}")
    columns = ["locality_code", "month_index", "go_live_month_index", *outcomes]
    if "month_start" in area_months:
        columns.append("month_start")
    panel = area_months[columns].copy()
    keep = panel["locality_code"].notna().to_numpy()  # contacts whose locality is unknown belong to no area
    if "intervention" in area_months:
        keep &= ~(area_months["intervention"].notna() & (area_months["intervention"] != INTERVENTION)).to_numpy()
    panel = panel[keep]
    panel["locality_code"] = panel["locality_code"].astype(str)
    panel["month_index"] = panel["month_index"].astype("int64")
    panel["go_live_month_index"] = pd.to_numeric(panel["go_live_month_index"]).astype("float64")
    for outcome in outcomes:
        panel[outcome] = pd.to_numeric(panel[outcome]).astype("float64").fillna(0.0)
    if panel.duplicated(["locality_code", "month_index"]).any():
        raise ValueError("area_months has more than one row for a locality and month")
    if panel.groupby("locality_code")["go_live_month_index"].nunique(dropna=False).gt(1).any():
        raise ValueError("area_months gives a locality more than one go-live month")
    return _dense(panel, outcomes).sort_values(["locality_code", "month_index"]).reset_index(drop=True)


def _dense(panel: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """Every locality in every month of the period: area_months is dense by contract, so a missing row is a month
    without events (counts 0)."""
    if panel.empty:
        return panel
    months = np.arange(panel["month_index"].min(), panel["month_index"].max() + 1)
    localities = panel["locality_code"].unique()
    full = pd.MultiIndex.from_product([localities, months], names=["locality_code", "month_index"])
    if len(full) == len(panel):
        return panel
    indexed = panel.set_index(["locality_code", "month_index"]).reindex(full)
    indexed["go_live_month_index"] = indexed.groupby(level="locality_code")["go_live_month_index"].transform("first")
    for outcome in outcomes:
        indexed[outcome] = indexed[outcome].fillna(0.0)
    if "month_start" in indexed:
        starts = pd.to_datetime(panel["month_start"]).dt.to_period("M")
        first = starts.min() - int(panel.loc[starts.idxmin(), "month_index"])
        indexed["month_start"] = [(first + int(m)).to_timestamp() for m in indexed.index.get_level_values(1)]
    return indexed.reset_index()


def _design(frame: pd.DataFrame, go_live: float, *, seasonal: bool) -> pd.DataFrame:
    """Segmented-regression columns for one locality's months, time centred on the go-live month."""
    rel = frame["month_index"].to_numpy(dtype=float) - go_live
    post = (rel >= 0).astype(float)
    design = pd.DataFrame(
        {"const": 1.0, "time": rel, "post": post, "time_after": rel * post},
        index=frame.index,
    )
    if seasonal:
        design = design.join(_harmonics(frame))
    return design


def _harmonics(frame: pd.DataFrame) -> pd.DataFrame:
    if "month_start" in frame:
        month_of_year = pd.to_datetime(frame["month_start"]).dt.month.to_numpy(dtype=float)
    else:
        month_of_year = frame["month_index"].to_numpy(dtype=float) % 12
    angle = 2 * np.pi * month_of_year / 12
    return pd.DataFrame({"season_sin": np.sin(angle), "season_cos": np.cos(angle)}, index=frame.index)


# ---------------------------------------------------------------------------------------------------- ITS


def fit_segmented(
    frame: pd.DataFrame,
    outcome: str,
    go_live: float,
    *,
    cov: str = "hac",
    maxlags: int | None = None,
    offset: str | None = None,
    seasonal: bool = False,
    alpha: float = 0.05,
) -> dict[str, float | int | str | None]:
    """Fit one locality's segmented regression and return the ITS row's statistics.

    `cov`: 'hac' (Poisson quasi-likelihood, Newey-West errors: the default), 'glsar' (feasible GLS with AR(1)
    errors on log(count + 0.5), statsmodels GLSAR, iterated: for series of large counts, where it covers a little
    better in short series), or 'naive' (model-based Poisson errors: ignores overdispersion and autocorrelation;
    for comparison in tests and benchmarks only).
    """
    y = frame[outcome].to_numpy(dtype=float)
    exog = _design(frame, go_live, seasonal=seasonal)
    log_exposure = None if offset is None else np.log(frame[offset].to_numpy(dtype=float))
    lags = newey_west_maxlags(len(y)) if maxlags is None else maxlags
    if cov == "glsar":
        log_y = np.log(y + 0.5) - (0.0 if log_exposure is None else log_exposure)
        model = sm.GLSAR(log_y, exog, rho=1)
        result = model.iterative_fit(maxiter=20)
        residuals = log_y - exog.to_numpy() @ result.params.to_numpy()
        residuals = residuals / np.std(residuals) if np.std(residuals) > 0 else residuals
        statistics = _its_statistics(result, alpha=alpha, residuals=residuals, dispersion=float("nan"), groups=None)
        statistics["hac_maxlags"] = None
        statistics["ar1_rho"] = float(model.rho[0])
        return statistics
    model = sm.GLM(y, exog, family=sm.families.Poisson(), offset=log_exposure)
    if cov == "hac":
        result = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    elif cov == "naive":
        result = model.fit(use_t=True)
    else:
        raise ValueError("cov must be 'hac', 'glsar' or 'naive'")
    statistics = _its_statistics(
        result, alpha=alpha, residuals=np.asarray(result.resid_pearson), dispersion=_dispersion(result), groups=None
    )
    statistics["hac_maxlags"] = lags if cov == "hac" else None
    return statistics


def _dispersion(result: object) -> float:
    df_resid = float(result.df_resid)  # type: ignore[attr-defined]
    return float(result.pearson_chi2 / df_resid) if df_resid > 0 else float("nan")  # type: ignore[attr-defined]


def _its_statistics(
    result: object,
    *,
    alpha: float,
    residuals: np.ndarray,
    dispersion: float,
    groups: np.ndarray | None,
) -> dict[str, float | int | str | None]:
    params = result.params  # type: ignore[attr-defined]
    ci = result.conf_int(alpha=alpha)  # type: ignore[attr-defined]
    pvalues = result.pvalues  # type: ignore[attr-defined]
    residuals = np.asarray(residuals, dtype=float)
    if groups is None:
        lag1 = _lag1_autocorrelation(residuals)
        dw = float(durbin_watson(residuals))
    else:  # pooled: within-locality lag-1 products, summed over localities
        lag1, dw = _panel_autocorrelation(residuals, groups)
    return {
        "level_change_ratio": float(np.exp(params["post"])),
        "level_change_ci_low": float(np.exp(ci.loc["post", 0])),
        "level_change_ci_high": float(np.exp(ci.loc["post", 1])),
        "level_change_p_value": float(pvalues["post"]),
        "slope_change_ratio": float(np.exp(params["time_after"])),
        "slope_change_ci_low": float(np.exp(ci.loc["time_after", 0])),
        "slope_change_ci_high": float(np.exp(ci.loc["time_after", 1])),
        "slope_change_p_value": float(pvalues["time_after"]),
        "pre_trend_ratio": float(np.exp(params["time"])) if "time" in params else float("nan"),
        "residual_lag1_autocorrelation": lag1,
        "durbin_watson": dw,
        "dispersion": dispersion,
        "level_se": float(result.bse["post"]),  # type: ignore[attr-defined]
    }


def _lag1_autocorrelation(residuals: np.ndarray) -> float:
    centred = residuals - residuals.mean()
    denominator = float(np.sum(centred**2))
    if denominator == 0 or len(centred) < 3:
        return float("nan")
    return float(np.sum(centred[1:] * centred[:-1]) / denominator)


def _panel_autocorrelation(residuals: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    numerator, denominator, squared_steps = 0.0, 0.0, 0.0
    for group in np.unique(groups):
        r = residuals[groups == group]
        c = r - r.mean()
        numerator += float(np.sum(c[1:] * c[:-1]))
        denominator += float(np.sum(c**2))
        squared_steps += float(np.sum(np.diff(r) ** 2))
    if denominator == 0:
        return float("nan"), float("nan")
    return numerator / denominator, squared_steps / float(np.sum(residuals**2))


def _not_estimable(frame: pd.DataFrame, outcome: str, min_events: int = 1) -> str | None:
    y = frame[outcome].to_numpy(dtype=float)
    if y.sum() < min_events or np.count_nonzero(y) < 3:
        return "not estimated: too few months with any events"
    return None


def interrupted_time_series(
    area_months: pd.DataFrame,
    *,
    outcomes: Sequence[str] = ITS_OUTCOMES,
    min_months: int = MIN_MONTHS_EACH_SIDE,
    maxlags: int | None = None,
    offset: str | None = None,
    seasonal: bool = False,
    cov: str = "auto",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The ITS table (contract #9): one row per locality x outcome, and a pooled row per outcome ('all').

    A locality never live in the period, or with fewer than `min_months` observed months before or after its
    go-live, gets a row without estimates whose `note` says why. The pooled row uses every locality estimated for
    that outcome (at least two; otherwise none is written). `cov` chooses the locality rows' method ('hac' or
    'glsar', see `fit_segmented`; 'auto', the default, takes GLSAR where every month has at least
    `GLSAR_MIN_COUNT` events, where the log count is near normal, and the Poisson HAC model elsewhere); the pooled
    row is always the Poisson panel model.
    """
    if cov not in ("auto", "hac", "glsar"):
        raise ValueError("cov must be 'auto', 'hac' or 'glsar'")
    panel = _area_panel(area_months, [*outcomes, *([offset] if offset else [])])
    rows: list[dict[str, object]] = []
    for outcome in outcomes:
        eligible: list[tuple[pd.DataFrame, float]] = []
        for locality, frame in panel.groupby("locality_code", sort=True):
            go_live = frame["go_live_month_index"].iloc[0]
            row: dict[str, object] = {
                "locality_code": locality,
                "intervention": INTERVENTION,
                "outcome": outcome,
                "go_live_month_index": None if np.isnan(go_live) else int(go_live),
                "months_before": int((frame["month_index"] < go_live).sum()) if not np.isnan(go_live) else None,
                "months_after": int((frame["month_index"] >= go_live).sum()) if not np.isnan(go_live) else None,
            }
            if np.isnan(go_live):
                row["note"] = "not estimated: the team is not live in this locality in the period"
            elif row["months_before"] < min_months or row["months_after"] < min_months:  # type: ignore[operator]
                row["note"] = f"not estimated: fewer than {min_months} months before or after go-live"
            elif (reason := _not_estimable(frame, outcome)) is not None:
                row["note"] = reason
            else:
                row_cov = cov if cov != "auto" else _auto_cov(frame[outcome])
                row["method"] = ITS_METHOD if row_cov == "hac" else ITS_GLSAR_METHOD
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        stats_row = fit_segmented(
                            frame,
                            outcome,
                            go_live,
                            cov=row_cov,
                            maxlags=maxlags,
                            offset=offset,
                            seasonal=seasonal,
                            alpha=alpha,
                        )
                except (np.linalg.LinAlgError, ValueError):
                    row["note"] = "not estimated: the model could not be fitted"
                else:
                    stats_row.pop("level_se")
                    row.update(stats_row)
                    row["note"] = _its_note(stats_row, row_cov)
                    eligible.append((frame, go_live))
            rows.append(row)
        if len(eligible) >= 2:
            rows.append(_pooled_row(eligible, outcome, maxlags=maxlags, offset=offset, seasonal=seasonal, alpha=alpha))
    out = pd.DataFrame(rows)
    for column in ITS_COLUMNS:
        if column not in out:
            out[column] = None
    out = out[ITS_COLUMNS]
    for column in ("go_live_month_index", "months_before", "months_after", "hac_maxlags"):
        out[column] = out[column].astype("Int64")
    return out


def _auto_cov(counts: pd.Series) -> str:
    return "glsar" if float(counts.min()) >= GLSAR_MIN_COUNT else "hac"


def _its_note(stats_row: dict[str, float | int | str | None], cov: str) -> str:
    if cov == "hac":
        note = "Poisson quasi-likelihood, Newey-West HAC standard errors; level and slope change as rate ratios"
    else:
        note = "FGLS with AR(1) errors on log counts; level and slope change as ratios of geometric means"
    lag1 = stats_row.get("residual_lag1_autocorrelation")
    if isinstance(lag1, float) and not np.isnan(lag1) and abs(lag1) >= 0.3:
        note += "; residuals notably autocorrelated"
    return note


def _pooled_row(
    eligible: list[tuple[pd.DataFrame, float]],
    outcome: str,
    *,
    maxlags: int | None,
    offset: str | None,
    seasonal: bool,
    alpha: float,
) -> dict[str, object]:
    """Pooled segmented regression: locality intercepts and pre-trends, a common level and slope change."""
    designs, ys, groups, times, exposures = [], [], [], [], []
    localities = [frame["locality_code"].iloc[0] for frame, _ in eligible]
    for (frame, go_live), locality in zip(eligible, localities, strict=True):
        base = _design(frame, go_live, seasonal=seasonal)
        design = pd.DataFrame(index=frame.index)
        for other in localities:
            design[f"const_{other}"] = float(other == locality)
            design[f"time_{other}"] = base["time"] * float(other == locality)
        design["post"] = base["post"]
        design["time_after"] = base["time_after"]
        if seasonal:
            design = design.join(base[["season_sin", "season_cos"]])
        designs.append(design)
        ys.append(frame[outcome].to_numpy(dtype=float))
        groups.append(np.full(len(frame), localities.index(locality)))
        times.append(frame["month_index"].to_numpy())
        if offset is not None:
            exposures.append(np.log(frame[offset].to_numpy(dtype=float)))
    exog = pd.concat(designs, ignore_index=True)
    y = np.concatenate(ys)
    group = np.concatenate(groups)
    time = np.concatenate(times)
    months_per_locality = min(len(d) for d in designs)
    lags = newey_west_maxlags(months_per_locality) if maxlags is None else maxlags
    row: dict[str, object] = {
        "locality_code": ALL_LOCALITIES,
        "intervention": INTERVENTION,
        "outcome": outcome,
        "go_live_month_index": None,
        "months_before": int((exog["post"] == 0).sum()),
        "months_after": int((exog["post"] == 1).sum()),
        "method": ITS_POOLED_METHOD,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.GLM(
                y,
                exog,
                family=sm.families.Poisson(),
                offset=np.concatenate(exposures) if exposures else None,
            )
            result = model.fit(
                cov_type="hac-panel", cov_kwds={"groups": group, "time": time, "maxlags": lags}, use_t=True
            )
        stats_row = _its_statistics(
            result,
            alpha=alpha,
            residuals=np.asarray(result.resid_pearson),
            dispersion=_dispersion(result),
            groups=group,
        )
        stats_row["hac_maxlags"] = lags
    except (np.linalg.LinAlgError, ValueError):
        row["note"] = "not estimated: the pooled model could not be fitted"
        return row
    stats_row.pop("level_se")
    stats_row["pre_trend_ratio"] = float("nan")  # one pre-trend per locality: no single value
    row.update(stats_row)
    row["note"] = (
        "pooled over the localities estimated above: locality intercepts and pre-trends, common level and slope "
        "change; Newey-West within each locality (hac-panel), t on localities - 1 df (conservative with few); "
        "months_before/after are locality-months"
    )
    return row


def its_estimate_rows(its: pd.DataFrame, *, linkage: str = "standard") -> pd.DataFrame:
    """The pooled ITS level changes as `evaluation.estimates` rows (method `interrupted_time_series`, rate ratio).

    n_treated/n_comparison are null (an ITS has no comparison group); `mde` is exp(2.8 x the interval's log
    half-width / 1.96), approximate because the pooled interval is a t interval.
    """
    pooled = its[(its["locality_code"] == ALL_LOCALITIES) & its["level_change_ratio"].notna()]
    rows = []
    for record in pooled.to_dict("records"):
        estimate = float(record["level_change_ratio"])
        ci_low, ci_high = float(record["level_change_ci_low"]), float(record["level_change_ci_high"])
        se = (math.log(ci_high) - math.log(ci_low)) / (2 * stats.norm.ppf(0.975))
        rows.append(
            {
                "linkage": linkage,
                "intervention": INTERVENTION,
                "outcome": AREA_OUTCOME_PREFIX + str(record["outcome"]),
                "window_months": None,
                "method": "interrupted_time_series",
                "subgroup": "all",
                "estimate": estimate,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "measure": "rate_ratio",
                "n_treated": None,
                "n_comparison": None,
                "treated_change": None,
                "comparison_change": None,
                "p_value": float(record["level_change_p_value"]),
                "mde": float(math.exp(MDE_MULTIPLIER * se)),
                "small_n": True,
                "note": "level change at go-live, pooled interrupted time series without a comparison area; "
                + _FEW_CLUSTERS_NOTE,
            }
        )
    return _estimate_frame(rows)


# ---------------------------------------------------------------------------------------------------- staggered


def _staggered_panel(panel: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop localities live from the first month (no pre-period) and treat a go-live after the period as never."""
    first, last = int(panel["month_index"].min()), int(panel["month_index"].max())
    notes: list[str] = []
    cohort = panel["go_live_month_index"].copy()
    cohort[cohort > last] = np.nan
    always = cohort <= first
    if always.any():
        notes.append("localities live from the first month have no pre-period and are left out")
    out = panel.assign(cohort=cohort)[~always.to_numpy()].reset_index(drop=True)
    return out, notes


def staggered_post_cells(area_months: pd.DataFrame) -> pd.DataFrame:
    """The treated locality-months the simple aggregation averages over, with each cell's controls.

    Mirrors `differences` 0.3 (not-yet-treated controls, varying base period, no anticipation): if no locality is
    never treated, the last cohort becomes the control and the months from its go-live on are dropped. Columns:
    locality_code, cohort, month_index, base_month_index, controls (tuple of control locality codes).
    """
    panel, _ = _staggered_panel(_area_panel(area_months, []))
    return _post_cells(panel)


def _post_cells(panel: pd.DataFrame) -> pd.DataFrame:
    cohorts = panel.groupby("locality_code")["cohort"].first()
    months = np.sort(panel["month_index"].unique())
    columns = ["locality_code", "cohort", "month_index", "base_month_index", "controls"]
    if cohorts.isna().all() or (not cohorts.isna().any() and cohorts.nunique() < 2):
        return pd.DataFrame(columns=columns)
    if not cohorts.isna().any():  # no never-treated: the last cohort is the control
        last = cohorts.max()
        cohorts = cohorts.where(cohorts != last)
        months = months[months < last]
    rows = []
    for g in sorted(cohorts.dropna().unique()):
        base = g - 1
        if base not in months:
            continue
        treated = cohorts.index[cohorts == g]
        for t in months[months >= g]:
            controls = tuple(cohorts.index[cohorts.isna() | (cohorts > max(t, base))])
            if not controls:
                continue
            rows.extend((locality, int(g), int(t), int(base), controls) for locality in treated)
    return pd.DataFrame(rows, columns=columns)


def _cell_changes(panel: pd.DataFrame, cells: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """Weighted mean change from the base month, treated and controls, over the post cells (cohort-size weights)."""
    values = panel.set_index(["locality_code", "month_index"])[outcome]
    treated, comparison = [], []
    for (_cohort, t), group in cells.groupby(["cohort", "month_index"], sort=True):
        base = int(group["base_month_index"].iloc[0])
        localities = list(group["locality_code"])
        controls = list(group["controls"].iloc[0])
        treated_change = float(np.mean([values[(loc, t)] - values[(loc, base)] for loc in localities]))
        control_change = float(np.mean([values[(loc, t)] - values[(loc, base)] for loc in controls]))
        treated.extend([treated_change] * len(localities))
        comparison.extend([control_change] * len(localities))
    return float(np.mean(treated)), float(np.mean(comparison))


def staggered_rows(
    area_months: pd.DataFrame,
    *,
    outcomes: Sequence[str] = STAGGERED_OUTCOMES,
    alpha: float = 0.05,
    linkage: str = "standard",
) -> pd.DataFrame:
    """Callaway and Sant'Anna on the locality-month panel, as `evaluation.estimates` rows (method `staggered_cs`).

    One row per outcome (`area_<outcome>`, measure `mean_difference` per locality-month, window_months null,
    subgroup 'all'); none when there is no treated locality with a pre-period and a control.
    """
    from differences import ATTgt  # heavy import (polars, formulaic), only where used

    present = [o for o in outcomes if o in area_months]
    base_panel = _area_panel(area_months, present)
    panel, notes = _staggered_panel(base_panel)
    cells = _post_cells(panel)
    if cells.empty:
        return _estimate_frame([])
    treated_localities = set(cells["locality_code"])
    comparison_localities = {loc for controls in cells["controls"] for loc in controls}
    n_treated, n_comparison = len(treated_localities), len(comparison_localities)
    n_clusters = len(treated_localities | comparison_localities)
    small_n = True  # counts of localities: always far below the contract's 50, and below FEW_CLUSTERS in practice
    note_parts = [
        "mean difference per locality-month (Callaway-Sant'Anna, not-yet-treated controls, simple aggregation); "
        "n_treated/n_comparison count localities",
        *notes,
    ]
    if n_clusters < FEW_CLUSTERS:
        note_parts.append(_FEW_CLUSTERS_NOTE)
    data = panel[["locality_code", "month_index", "cohort", *present]].set_index(["locality_code", "month_index"])
    rows = []
    for outcome in present:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                att = ATTgt(data=data[[outcome, "cohort"]].copy(), cohort_column="cohort")
                att.fit(formula=outcome, control_group="not_yet_treated", alpha=alpha, progress_bar=False)
                att.aggregate("simple", alpha=alpha)
                simple = att.results(type_of_aggregation="simple", to_dataframe=False)["full_sample"][0]
        except (ValueError, KeyError, IndexError, ZeroDivisionError, np.linalg.LinAlgError):
            continue  # a degenerate panel (a tiny test county): the outcome is not estimated
        estimate, se = float(simple.ATT), float(simple.std_error)
        treated_change, comparison_change = _cell_changes(panel, cells, outcome)
        valid = np.isfinite(se) and se > 0
        # few clusters: t critical values on localities - 1 degrees of freedom (Cameron, Gelbach and Miller 2008)
        df = max(n_clusters - 1, 1)
        z = stats.t.ppf(1 - alpha / 2, df)
        rows.append(
            {
                "linkage": linkage,
                "intervention": INTERVENTION,
                "outcome": AREA_OUTCOME_PREFIX + outcome,
                "window_months": None,
                "method": STAGGERED_METHOD,
                "subgroup": "all",
                "estimate": estimate,
                "ci_low": estimate - z * se if valid else None,
                "ci_high": estimate + z * se if valid else None,
                "measure": "mean_difference",
                "n_treated": n_treated,
                "n_comparison": n_comparison,
                "treated_change": treated_change,
                "comparison_change": comparison_change,
                "p_value": float(2 * stats.t.sf(abs(estimate / se), df)) if valid else None,
                "mde": (z + stats.t.ppf(0.8, df)) * se if valid else None,
                "small_n": small_n,
                "note": "; ".join(note_parts),
            }
        )
    return _estimate_frame(rows)


def _estimate_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    for column in ("window_months", "n_treated", "n_comparison"):
        out[column] = out[column].astype("Int64")
    for column in ("estimate", "ci_low", "ci_high", "treated_change", "comparison_change", "p_value", "mde"):
        out[column] = out[column].astype("float64")
    out["small_n"] = out["small_n"].astype("bool")
    return out


# ---------------------------------------------------------------------------------------------------- truth

# area_months demand column -> the effects.csv outcome whose true area effect `area_effects.csv` gives
AREA_TRUTH_OUTCOMES: dict[str, str] = {
    "crisis_contacts": "crisis_contacts",
    "ambulance_calls": "ambulance_contacts",
    "ed_attendances": "emergency_department_contacts",
}


def read_area_truth(synth_truth_dir: Path | str, outcome: str = "crisis_contacts") -> pd.DataFrame:
    """`synth_truth/area_effects.csv` for one area outcome: locality_code, true_effect (the mean difference per
    post-go-live locality-month, the generator's `true_level_effect`; 0 where the team is not live), true_rate_ratio.

    Demo and bench use only; the pipeline never reads synth_truth. `outcome` is an area_months column
    (`AREA_TRUTH_OUTCOMES`) or an effects.csv outcome name. Police mental-health incidents have no truth row: the
    team's police effect is on all police contacts.
    """
    truth = pd.read_csv(Path(synth_truth_dir) / "area_effects.csv")
    for column in ("locality_code", "outcome", "true_level_effect"):
        if column not in truth:
            raise ValueError(f"area_effects.csv has no {column} column")
    name = AREA_TRUTH_OUTCOMES.get(outcome, outcome)
    rows = truth[truth["outcome"] == name]
    if "intervention" in rows:
        rows = rows[rows["intervention"] == INTERVENTION]
    if rows.empty:
        raise ValueError(f"area_effects.csv has no rows for outcome {name}")
    out = pd.DataFrame(
        {
            "locality_code": rows["locality_code"].astype(str).to_numpy(),
            "true_effect": pd.to_numeric(rows["true_level_effect"]).fillna(0.0).to_numpy(),
            "true_rate_ratio": pd.to_numeric(rows.get("true_rate_ratio", pd.Series(np.nan, index=rows.index)))
            .fillna(1.0)
            .to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def staggered_truth(area_months: pd.DataFrame, truth: pd.DataFrame) -> float:
    """The true effect the simple aggregation estimates: the mean of each treated locality's true per-month effect
    over the post cells the estimator uses (`staggered_post_cells`)."""
    cells = staggered_post_cells(area_months)
    if cells.empty:
        return float("nan")
    effects = truth.set_index("locality_code")["true_effect"]
    return float(cells["locality_code"].map(effects).mean())


def compare_with_truth(
    area_months: pd.DataFrame, synth_truth_dir: Path | str, staggered: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The staggered estimates beside the synthetic county's truth (demo and bench use only).

    One row per area outcome with a truth (`AREA_TRUTH_OUTCOMES`): outcome, estimate, ci_low, ci_high, truth (the
    locality truths averaged over the estimator's post cells, `staggered_truth`), covered (the interval holds it).
    """
    rows = staggered_rows(area_months, outcomes=tuple(AREA_TRUTH_OUTCOMES)) if staggered is None else staggered
    out = []
    for record in rows.to_dict("records"):
        outcome = str(record["outcome"]).removeprefix(AREA_OUTCOME_PREFIX)
        if outcome not in AREA_TRUTH_OUTCOMES:
            continue
        truth = staggered_truth(area_months, read_area_truth(synth_truth_dir, outcome))
        out.append(
            {
                "outcome": record["outcome"],
                "estimate": record["estimate"],
                "ci_low": record["ci_low"],
                "ci_high": record["ci_high"],
                "truth": truth,
                "covered": bool(record["ci_low"] <= truth <= record["ci_high"]),
            }
        )
    return pd.DataFrame(out, columns=["outcome", "estimate", "ci_low", "ci_high", "truth", "covered"])
