"""pyfixest's `fepois` for the estimates' models (one fixed effect, CRV1 by one or two variables), on arrays.

`evaluation.estimates` fits about 1,600 small Poisson models (a few hundred units, two rows each); pyfixest spends
most of each call parsing the formula and building frames (formulaic), not fitting. This module runs the same
computation as `pyfixest.fepois(..., vcov={"CRV1": ...}, separation_check=[])` for pyfixest 0.60 with its defaults
(singletons dropped, IRLS with tolerance 1e-8 and at most 25 iterations, Rust MAP demeaning, small-sample
correction k_adj, k_fixef "nonnested", G_adj, G_df "min", normal-based p-values and intervals) and calls pyfixest's
own kernels (`pyfixest.core`: demeaning, collinearity check, cluster meat, nested fixed effects), so the numbers
agree with pyfixest's to rounding. Anything outside that path (a collinear regressor, a failed demeaning) returns
None and the caller asks pyfixest itself. tests/unit/evaluation/test_fepois_eval.py compares the two.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyfixest.core import count_fixef_fully_nested_all, crv1_meat_loop, demean, find_collinear_variables
from scipy.linalg import solve
from scipy.stats import norm

IWLS_TOL = 1e-08  # pyfixest.fepois defaults
IWLS_MAXITER = 25
COLLIN_TOL = 1e-09
FIXEF_TOL = 1e-06  # pyfixest.MapDemeaner defaults
FIXEF_MAXITER = 10_000


@dataclass(frozen=True)
class PoissonFit:
    coef: np.ndarray
    se: np.ndarray
    p: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _deviance(y: np.ndarray, mu: np.ndarray) -> np.float64:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return np.float64(2 * np.sum(np.where(y == 0, 0, y * np.log(y / mu)) - (y - mu)))


def fepois(
    y: np.ndarray,
    x: np.ndarray,
    fe: np.ndarray,
    offset: np.ndarray,
    weights: np.ndarray | None,
    clusters: dict[str, np.ndarray],
    fe_name: str = "unit",
    alpha: float = 0.05,
) -> PoissonFit | None:
    """`y ~ x | fe` with `offset`, aweights `weights`, CRV1 by the `clusters` (one, or two: then their intersection
    too), as pyfixest computes it; None where pyfixest would take a path this does not follow."""
    if weights is not None and not (weights > 0.0).all():
        return None  # pyfixest refuses non-positive weights
    codes = pd.factorize(fe)[0]
    keep = np.bincount(codes)[codes] > 1  # fixef_rm="singleton"
    if not keep.any():
        return None
    y = y[keep].astype(np.float64).reshape(-1, 1)
    if np.any(y < 0):
        return None
    x = np.asarray(x, dtype=np.float64)[keep]
    n, k = x.shape
    offset = np.asarray(offset, dtype=np.float64)[keep].reshape(-1, 1)
    w = np.ones((n, 1)) if weights is None else np.asarray(weights, dtype=np.float64)[keep].reshape(-1, 1)
    flist = pd.factorize(codes[keep])[0].astype(np.uintp).reshape(-1, 1)

    stop = False
    for i in range(IWLS_MAXITER):
        if stop:
            break
        if i == 0:
            mu = (y + np.mean(y)) / 2
            eta = np.log(mu)
            z = eta - offset + y / mu - 1
            last = _deviance(y.flatten(), mu.flatten())
        else:
            z = eta - offset + y / mu - 1
        combined = w * mu
        zx, success = demean(
            x=np.concatenate([z, x], axis=1), flist=flist, weights=combined.flatten(), tol=FIXEF_TOL,
            maxiter=FIXEF_MAXITER,
        )  # fmt: skip
        if not success:
            return None
        z_resid = zx[:, 0].reshape((n, 1))
        x_resid = zx[:, 1:]
        if i == 0:
            txx = np.ascontiguousarray(x_resid.T @ x_resid, dtype=np.float64)
            _, n_excl, all_removed = find_collinear_variables(txx, COLLIN_TOL)
            if n_excl > 0 or all_removed:
                return None
        wx = np.sqrt(combined) * x_resid
        wz = np.sqrt(combined) * z_resid
        xwx = wx.T @ wx
        delta = solve(xwx, wx.T @ wz, assume_a="pos").flatten().reshape((-1, 1))
        resid = z_resid - x_resid @ delta
        eta = z - resid + offset
        mu = np.exp(eta)
        deviance = _deviance(y.flatten(), mu.flatten())
        crit = np.abs(deviance - last) / (0.1 + np.abs(last))
        last = deviance
        stop = crit < IWLS_TOL

    beta = delta.flatten()
    u_hat = (wz - wx @ delta).flatten()
    scores = (u_hat[:, None] * wx).astype(np.float64)
    bread = np.linalg.inv(xwx)

    names = list(clusters)
    frame = pd.DataFrame({c: np.asarray(v)[keep] for c, v in clusters.items()})
    if len(names) == 2:
        frame["cluster_intersection"] = frame[names[0]].astype(str).str.cat(frame[names[1]].astype(str), sep="-")
    elif len(names) != 1:
        return None
    g = [frame[c].nunique() for c in frame.columns]
    g = [min(g)] * 3  # G_df="min"
    cluster_int = np.column_stack([pd.factorize(frame[c])[0] for c in frame.columns])
    k_fe = int(flist.max()) + 1
    n_fe = int(k_fe > 1)
    nested_flag, n_fe_nested = count_fixef_fully_nested_all(
        all_fixef_array=np.array([fe_name], dtype=str),
        cluster_colnames=np.array(frame.columns, dtype=str),
        cluster_data=cluster_int.astype(np.uintp),
        fe_data=flist,
    )
    k_fe_nested = k_fe if n_fe_nested > 0 and bool(nested_flag[0]) else 0
    if n_fe == 0:
        df_k = k
    elif k_fe_nested == 0:
        df_k = k + k_fe
    else:
        df_k = k + k_fe - k_fe_nested + n_fe_nested
    adj = (n - 1) / (n - df_k)
    vcov = np.zeros((k, k))
    for j, sign in zip(range(cluster_int.shape[1]), (1, 1, -1), strict=False):
        col = cluster_int[:, j]
        ssc = np.array([adj * (g[j] / (g[j] - 1)) * sign])
        meat = crv1_meat_loop(scores=scores, clustid=np.unique(col).astype(np.uintp), cluster_col=col.astype(np.uintp))
        vcov += ssc * (bread @ meat @ bread)
    se = np.sqrt(np.diagonal(vcov))
    tstat = beta / se
    p = 2 * (1 - norm.cdf(np.abs(tstat)))
    z_se = np.abs(norm.ppf(alpha / 2)) * se
    return PoissonFit(coef=beta, se=se, p=p, low=beta - z_se, high=beta + z_se)
