"""Balance of the matched comparison (`evaluation.balance`): standardised mean differences before and after matching.

For every matching variable: the mean among all eligible treated episodes (`mean_treated`), among the matched treated
(`mean_treated_matched`), in the whole candidate pool (`mean_pool`: every candidate at every index month a treated
episode has, once each) and among the matched comparisons weighted by their matching weight (`mean_matched`).
`smd_before` = (mean_treated - mean_pool) / s and `smd_after` = (mean_treated_matched - mean_matched) / s, with the
same denominator s = sqrt((var_treated + var_pool) / 2) from before matching, so the two are comparable (|SMD| < 0.1
is the usual mark of balance). The exact-matching variables (sex, IMD quintile, coarse age group, index month) are
listed too: after matching they differ only by the treated episodes left unmatched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.evaluation.config import MATCH_VARIABLES
from pipelines.evaluation.matching import MatchResult, Panel, features

AGE_GROUPS = ("16-24", "25-44", "45-64", "65+")
BALANCE_COLUMNS = [
    "linkage",
    "intervention",
    "variable",
    "mean_treated",
    "mean_treated_matched",
    "mean_pool",
    "mean_matched",
    "smd_before",
    "smd_after",
    "n_treated",
    "n_pool",
    "n_matched",
]


def _variables(panel: Panel, frame: pd.DataFrame) -> pd.DataFrame:
    """The balance variables of (person row, index month) pairs: trajectory, then the exact-matching variables."""
    rows = frame["row"].to_numpy(dtype=int)
    s = frame["index_month_index"].to_numpy(dtype=int)
    out = frame[list(MATCH_VARIABLES)].astype(float).reset_index(drop=True)
    out["index_month_index"] = s.astype(float)
    out["sex_female"] = (panel.sex[rows] == "F").astype(float)
    imd = pd.to_numeric(pd.Series(panel.imd[rows]), errors="coerce")
    out["imd_quintile"] = imd.to_numpy(dtype=float)
    groups = panel.age_group[rows, s]
    for g in AGE_GROUPS:
        out[f"age_group_{g}"] = (groups == g).astype(float)
    return out


def _mean_var(x: pd.Series, w: np.ndarray | None = None) -> tuple[float, float]:
    ok = x.notna().to_numpy()
    v = x.to_numpy(dtype=float)[ok]
    if len(v) == 0:
        return float("nan"), float("nan")
    ww = np.ones(len(v)) if w is None else w[ok]
    m = float(np.average(v, weights=ww))
    return m, float(np.average((v - m) ** 2, weights=ww))


def balance(panel: Panel, result: MatchResult, *, linkage: str, intervention: str, threshold: int) -> pd.DataFrame:
    """One row per balance variable; empty when the treated are too few to publish (1..threshold)."""
    n_treated = len(result.treated)
    if n_treated <= threshold:
        return pd.DataFrame(columns=BALANCE_COLUMNS)
    treated = _variables(panel, result.treated)
    pool = _variables(panel, result.pool)
    matched_flag = result.treated["matched"].to_numpy(dtype=bool)
    n_matched: float = int(matched_flag.sum())
    m = result.matches
    comp_frame = pd.DataFrame(
        {
            "row": panel.people.get_indexer(m["comparison_person_key"]),
            "index_month_index": m["index_month_index"].to_numpy(dtype=int),
        }
    )
    for v in MATCH_VARIABLES:  # the trajectory variables of each comparison at its index month
        comp_frame[v] = np.nan
    if len(comp_frame):
        for s, idx in comp_frame.groupby("index_month_index").groups.items():
            comp_frame.loc[idx, list(MATCH_VARIABLES)] = features(panel, comp_frame.loc[idx, "row"].to_numpy(), int(s))
    comps = _variables(panel, comp_frame)
    weights = m["weight"].to_numpy(dtype=float)
    hide_after = 0 < n_matched <= threshold
    n_pool = int(result.pool["row"].nunique())
    rows = []
    for var in treated.columns:
        mt, vt = _mean_var(treated[var])
        mp, vp = _mean_var(pool[var])
        mtm, _ = _mean_var(treated.loc[matched_flag, var]) if n_matched else (np.nan, np.nan)
        mm, _ = _mean_var(comps[var], weights) if len(comps) else (np.nan, np.nan)
        sd = np.sqrt((vt + vp) / 2) if np.isfinite(vt + vp) else np.nan
        smd_before = (mt - mp) / sd if sd and sd > 0 else 0.0
        smd_after = (mtm - mm) / sd if sd and sd > 0 else 0.0
        if hide_after:
            mtm, mm, smd_after = np.nan, np.nan, np.nan
        rows.append(
            {
                "linkage": linkage,
                "intervention": intervention,
                "variable": var,
                "mean_treated": mt,
                "mean_treated_matched": mtm,
                "mean_pool": mp,
                "mean_matched": mm,
                "smd_before": smd_before,
                "smd_after": smd_after,
                "n_treated": n_treated,
                "n_pool": n_pool if not 0 < n_pool <= threshold else np.nan,
                "n_matched": np.nan if hide_after else n_matched,
            }
        )
    out = pd.DataFrame(rows, columns=BALANCE_COLUMNS)
    for col in ("n_treated", "n_pool", "n_matched"):
        out[col] = out[col].astype("Int64")
    return out
