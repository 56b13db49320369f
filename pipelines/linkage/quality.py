"""Linkage quality as rates and counts only: pairwise precision, recall, F1, missed-link and false-link rates.

Every outcome figure depends on linkage: a missed link splits one frequent attender into several occasional ones, a
false link merges strangers. Evaluators need the error rates, overall, for each pair of agencies and for each
ethnicity group (name matching is known to work worse for some groups). Pairs are counted from cluster sizes (the
sum of n choose 2 over the cells of the cluster x truth contingency table), so a million records are measured
without enumerating pairs. No identifier appears in the output.

Definitions (pairwise, over all unordered pairs of records):
- precision = true links / predicted links; false-link rate = 1 - precision (share of predicted links that are wrong)
- recall = true links / true pairs; missed-link rate = 1 - recall (share of true pairs left unlinked)
- For an ethnicity group, pairs with at least one record of the group are counted; for an agency pair
  ``(source_l, source_r)``, pairs with one record from each (sorted, so each unordered pair of agencies is one row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUALITY_COLUMNS: tuple[str, ...] = (
    "method",
    "scope",
    "source_l",
    "source_r",
    "ethnicity_group",
    "n_records",
    "true_pairs",
    "predicted_pairs",
    "true_positive_pairs",
    "precision",
    "recall",
    "f1",
    "missed_link_rate",
    "false_link_rate",
)


def _c2(n: pd.Series | np.ndarray) -> np.ndarray:
    arr = np.asarray(n, dtype=np.float64)
    return arr * (arr - 1) / 2


def _rates(true_pairs: float, predicted: float, tp: float) -> dict[str, float]:
    precision = tp / predicted if predicted else float("nan")
    recall = tp / true_pairs if true_pairs else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else float("nan")
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "missed_link_rate": 1 - recall if true_pairs else float("nan"),
        "false_link_rate": 1 - precision if predicted else float("nan"),
    }


def pairwise_counts(cluster: pd.Series, truth: pd.Series) -> tuple[float, float, float]:
    """``(true_pairs, predicted_pairs, true_positive_pairs)`` for two labelings of the same records."""
    frame = pd.DataFrame({"c": cluster.to_numpy(), "t": truth.to_numpy()})
    predicted = _c2(frame.groupby("c").size()).sum()
    true_pairs = _c2(frame.groupby("t").size()).sum()
    tp = _c2(frame.groupby(["c", "t"]).size()).sum()
    return float(true_pairs), float(predicted), float(tp)


def pairwise_scores(cluster: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against the truth (same order of records)."""
    true_pairs, predicted, tp = pairwise_counts(cluster, truth)
    return {
        "true_pairs": true_pairs,
        "predicted_pairs": predicted,
        "true_positive_pairs": tp,
        **_rates(true_pairs, predicted, tp),
    }


def _row(method: str, scope: str, n: int, tp_: float, pp: float, tpp: float, **labels: str | None) -> dict:
    row = {
        "method": method,
        "scope": scope,
        "source_l": labels.get("source_l"),
        "source_r": labels.get("source_r"),
        "ethnicity_group": labels.get("ethnicity_group"),
        "n_records": int(n),
        "true_pairs": round(tp_),
        "predicted_pairs": round(pp),
        "true_positive_pairs": round(tpp),
    }
    row.update(_rates(tp_, pp, tpp))
    return row


def _source_pair_counts(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Pairs per (source_l, source_r) within groups of ``key``: C(n_s, 2) for s = t, n_s * n_t for s < t."""
    per = frame.groupby([key, "source"]).size().rename("n").reset_index()
    same = per.assign(source_l=per["source"], source_r=per["source"], pairs=_c2(per["n"]))
    cross = per.merge(per, on=key, suffixes=("_l", "_r"))
    cross = cross[cross["source_l"] < cross["source_r"]]
    cross = cross.assign(pairs=cross["n_l"].to_numpy(dtype=np.float64) * cross["n_r"].to_numpy(dtype=np.float64))
    both = pd.concat([same[["source_l", "source_r", "pairs"]], cross[["source_l", "source_r", "pairs"]]])
    return both.groupby(["source_l", "source_r"])["pairs"].sum()


def linkage_quality(
    clusters: pd.DataFrame, truth: pd.DataFrame | None, pairs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Rates and counts of linkage error, overall, by agency pair and by ethnicity group.

    ``clusters``: ``record_id, person_id`` (and ``source``, used for the agency-pair rows).
    ``truth``: ``record_id, person_id`` (the true person) and optionally ``ethnicity_group`` and ``source``.
    Records are matched on ``(source, record_id)`` when both frames carry ``source``, else on ``record_id``.
    Without truth, pass the scored ``pairs`` (``match_probability``, ``source_l``, ``source_r``, ``linked``) and the
    rows are estimates from the probabilities (``method = 'estimated'``), see ``estimated_quality``.
    """
    if truth is None:
        if pairs is None:
            return pd.DataFrame(columns=list(QUALITY_COLUMNS))
        return estimated_quality(pairs, n_records=len(clusters))
    keys = ["source", "record_id"] if "source" in clusters.columns and "source" in truth.columns else ["record_id"]
    truth_cols = [*keys, "person_id"] + (["ethnicity_group"] if "ethnicity_group" in truth.columns else [])
    frame = clusters[
        [*keys, "person_id"] + (["source"] if "source" in clusters.columns and "source" not in keys else [])
    ]
    frame = frame.rename(columns={"person_id": "cluster"}).merge(
        truth[truth_cols].rename(columns={"person_id": "truth"}), on=keys, how="inner"
    )
    rows: list[dict] = []
    tp_, pp, tpp = pairwise_counts(frame["cluster"], frame["truth"])
    rows.append(_row("truth", "overall", len(frame), tp_, pp, tpp))

    if "source" in frame.columns:
        frame = frame.assign(cell=frame["cluster"].astype(str) + "\x1f" + frame["truth"].astype(str))
        true_sp = _source_pair_counts(frame, "truth")
        pred_sp = _source_pair_counts(frame, "cluster")
        tp_sp = _source_pair_counts(frame, "cell")
        index = true_sp.index.union(pred_sp.index)
        n_by_source = frame.groupby("source").size()
        for source_l, source_r in index:
            n = n_by_source.get(source_l, 0) + (n_by_source.get(source_r, 0) if source_r != source_l else 0)
            rows.append(
                _row(
                    "truth",
                    "agency_pair",
                    n,
                    float(true_sp.get((source_l, source_r), 0.0)),
                    float(pred_sp.get((source_l, source_r), 0.0)),
                    float(tp_sp.get((source_l, source_r), 0.0)),
                    source_l=source_l,
                    source_r=source_r,
                )
            )

    if "ethnicity_group" in frame.columns:
        groups = frame["ethnicity_group"].fillna("Not stated").astype(str)
        frame = frame.assign(ethnicity_group=groups)
        for group in sorted(groups.unique()):
            in_g = (frame["ethnicity_group"] == group).astype(np.int64)

            def touching(key: str | list[str], in_g: pd.Series = in_g) -> float:
                sizes = frame.assign(g=in_g).groupby(key).agg(n=("g", "size"), n_g=("g", "sum"))
                return float((_c2(sizes["n"]) - _c2(sizes["n"] - sizes["n_g"])).sum())

            rows.append(
                _row(
                    "truth",
                    "ethnicity_group",
                    int(in_g.sum()),
                    touching("truth"),
                    touching("cluster"),
                    touching(["cluster", "truth"]),
                    ethnicity_group=group,
                )
            )
    return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))


def _source_codes(left: pd.Series, right: pd.Series) -> tuple[list[str], tuple[np.ndarray, np.ndarray]]:
    """Both columns of source names as codes into one sorted list of names (categoricals are used as they are)."""
    if isinstance(left.dtype, pd.CategoricalDtype) and isinstance(right.dtype, pd.CategoricalDtype):
        names = sorted(set(left.cat.categories.astype(str)) | set(right.cat.categories.astype(str)))
        position = {name: i for i, name in enumerate(names)}

        def recode(column: pd.Series) -> np.ndarray:
            mapping = np.array([position[str(c)] for c in column.cat.categories], dtype=np.int64)
            return mapping[column.cat.codes.to_numpy()]

        return names, (recode(left), recode(right))
    both = pd.concat([left.astype(str), right.astype(str)], ignore_index=True)
    codes, uniques = pd.factorize(both, sort=True)
    return [str(u) for u in uniques], (codes[: len(left)].astype(np.int64), codes[len(left) :].astype(np.int64))


def estimated_quality(pairs: pd.DataFrame, n_records: int) -> pd.DataFrame:
    """Expected precision and recall from match probabilities, where there is no truth.

    Each scored pair is a match with its probability: expected true links among linked pairs = sum of their
    probabilities, so expected precision = mean probability of linked pairs; expected recall = that sum over the
    sum of probabilities of all scored pairs. Pairs never scored (outside blocking) are not counted, so recall is an
    upper bound. ``pairs`` needs ``match_probability`` and ``linked`` (bool), and ``source_l``/``source_r`` for the
    agency-pair rows; an optional ``weight`` is the number of record pairs a row stands for (1 without it).
    """
    rows: list[dict] = []
    probability = pairs["match_probability"].to_numpy(dtype=np.float64)
    linked_all = pairs["linked"].to_numpy(dtype=bool)
    # a row may stand for several pairs of records (identical records are scored once: pipelines.linkage.model.Nodes)
    weight_all = pairs["weight"].to_numpy(dtype=np.float64) if "weight" in pairs.columns else np.ones(len(pairs))

    def add(prob: np.ndarray, linked: np.ndarray, weight: np.ndarray, scope: str, n: int, **labels: str | None) -> None:
        expected_true = float((prob * weight).sum())
        predicted = float(weight[linked].sum())
        tp = float((prob * weight)[linked].sum())
        rows.append(_row("estimated", scope, n, expected_true, predicted, tp, **labels))

    add(probability, linked_all, weight_all, "overall", n_records)
    if {"source_l", "source_r"} <= set(pairs.columns) and len(pairs):
        # Each agency pair, its sources in alphabetical order, its pairs in their order (so each sum is the one a
        # group-by would give): codes of the sorted source names, not string comparisons per pair (millions).
        names, codes = _source_codes(pairs["source_l"], pairs["source_r"])
        lo = np.minimum(codes[0], codes[1])
        hi = np.maximum(codes[0], codes[1])
        group = lo * len(names) + hi
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        for members in np.split(order, bounds):
            g = int(group[members[0]])
            add(
                probability[members],
                linked_all[members],
                weight_all[members],
                "agency_pair",
                0,
                source_l=names[g // len(names)],
                source_r=names[g % len(names)],
            )
    out = pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))
    out.loc[out["scope"] == "agency_pair", "n_records"] = pd.NA
    return out
