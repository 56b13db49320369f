"""Linkage quality: pairwise rates and counts on a toy truth, computed by hand."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.linkage.quality import QUALITY_COLUMNS, linkage_quality, pairwise_scores


def _toy() -> tuple[pd.DataFrame, pd.DataFrame]:
    # truth: person A = r1,r2,r3 ; person B = r4,r5 ; person C = r6
    truth = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "source": ["police", "ed", "ed", "police", "ed", "police"],
            "person_id": ["A", "A", "A", "B", "B", "C"],
            "ethnicity_group": ["White", "White", "White", "Asian", "Asian", "Black"],
        }
    )
    # clusters: r3 missed from A; r6 wrongly joined to B
    clusters = pd.DataFrame(
        {
            "record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "source": ["police", "ed", "ed", "police", "ed", "police"],
            "person_id": ["P1", "P1", "P2", "P3", "P3", "P3"],
        }
    )
    return clusters, truth


def test_overall_rates_by_hand() -> None:
    clusters, truth = _toy()
    quality = linkage_quality(clusters, truth)
    assert list(quality.columns) == list(QUALITY_COLUMNS)
    overall = quality[quality["scope"] == "overall"].iloc[0]
    # true pairs: A has 3, B has 1 -> 4; predicted: P1 1, P3 3 -> 4; true positives: (r1,r2), (r4,r5) -> 2
    assert (overall["true_pairs"], overall["predicted_pairs"], overall["true_positive_pairs"]) == (4, 4, 2)
    assert overall["precision"] == 0.5 and overall["recall"] == 0.5
    assert math.isclose(overall["missed_link_rate"], 0.5) and math.isclose(overall["false_link_rate"], 0.5)


def test_by_agency_pair_and_ethnicity() -> None:
    clusters, truth = _toy()
    quality = linkage_quality(clusters, truth)
    pairs = quality[quality["scope"] == "agency_pair"].set_index(["source_l", "source_r"])
    # ed-ed: true (r2,r3); predicted none -> recall 0
    assert pairs.loc[("ed", "ed"), "true_pairs"] == 1 and pairs.loc[("ed", "ed"), "recall"] == 0
    # ed-police: true (r1,r2),(r1,r3),(r4,r5) = 3; predicted (r1,r2),(r4,r5),(r5,r6) = 3; tp 2
    row = pairs.loc[("ed", "police")]
    assert (row["true_pairs"], row["predicted_pairs"], row["true_positive_pairs"]) == (3, 3, 2)
    # police-police: predicted (r4,r6) is false
    assert pairs.loc[("police", "police"), "false_link_rate"] == 1.0
    groups = quality[quality["scope"] == "ethnicity_group"].set_index("ethnicity_group")
    assert set(groups.index) == {"White", "Asian", "Black"}
    assert groups.loc["White", "recall"] == 1 / 3
    assert groups.loc["Asian", "recall"] == 1.0
    # the false links (r4,r6),(r5,r6) touch both Asian and Black records
    assert groups.loc["Black", "predicted_pairs"] == 2 and groups.loc["Black", "precision"] == 0.0
    # no identifiers in the output
    assert not quality.isin(["r1", "r2", "r3", "r4", "r5", "r6", "P1", "P2", "P3", "A", "B", "C"]).any().any()


def test_pairwise_scores_perfect_and_estimated_quality() -> None:
    perfect = pairwise_scores(pd.Series([1, 1, 2]), pd.Series(["a", "a", "b"]))
    assert perfect["f1"] == 1.0
    pairs = pd.DataFrame(
        {
            "source_l": ["ed", "ed", "police"],
            "source_r": ["police", "ed", "ed"],
            "match_probability": [0.99, 0.6, 0.2],
            "linked": [True, False, False],
        }
    )
    estimate = linkage_quality(pd.DataFrame({"record_id": ["x"] * 4}), None, pairs=pairs)
    overall = estimate[estimate["scope"] == "overall"].iloc[0]
    assert overall["method"] == "estimated"
    assert math.isclose(overall["precision"], 0.99)
    assert math.isclose(overall["recall"], 0.99 / (0.99 + 0.6 + 0.2))
    agency = estimate[estimate["scope"] == "agency_pair"]
    assert set(zip(agency["source_l"], agency["source_r"], strict=True)) == {("ed", "police"), ("ed", "ed")}
