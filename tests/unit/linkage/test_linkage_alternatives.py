"""Strict and lenient linkages beside the standard one: nested around it, deterministic, validated thresholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.linkage.bench_data import generate_records
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.spine import _Clusters, alternative_person_ids, build_spine, read_spine, record_decisions
from pipelines.privacy.keys import PseudonymisationKey
from pipelines.pseudonymisation import person_keys
from tests.unit.linkage.linkage_people import people

SETTINGS = LinkageSettings()
NHS = "9434765919"
# a and b look alike but cannot be linked on what they hold: a clerical-review pair (see test_linkage_spine.py)
A = ("a", "ed", NHS, "Robert", "Jones", "1980-04-03", "M", "", "")
B = ("b", "police", "", "Robert", "Jones", "", "M", "SN1 1AA", "1 High Street")


def _nested(fine: pd.Series, coarse: pd.Series) -> bool:
    """Every group of ``fine`` lies inside one group of ``coarse`` (same index)."""
    return bool((coarse.groupby(fine).nunique() == 1).all())


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    records, _ = generate_records(400, seed=6)
    return build_spine(records, tmp_path_factory.mktemp("spine"), SETTINGS).mapping


def test_strict_people_lie_inside_standard_people_inside_lenient_ones(county: pd.DataFrame) -> None:
    assert county["person_id_strict"].notna().all() and county["person_id_lenient"].notna().all()
    assert _nested(county["person_id_strict"], county["person_id"])
    assert _nested(county["person_id"], county["person_id_lenient"])
    sizes = {col: county.groupby(col).size() for col in ("person_id", "person_id_strict", "person_id_lenient")}
    assert sizes["person_id_strict"].max() <= sizes["person_id"].max() <= sizes["person_id_lenient"].max()
    n = {col: county[col].nunique() for col in sizes}
    # on this county the thresholds change something both ways (so the test can fail if they are ignored)
    assert n["person_id_strict"] > n["person_id"] > n["person_id_lenient"]


def test_alternative_ids_are_named_after_the_standard_person(county: pd.DataFrame) -> None:
    standard = set(county["person_id"])
    # a lenient person takes the lowest standard id among its people; a strict part keeps the id or adds -s<n>
    assert set(county["person_id_lenient"]) <= standard
    lowest = county.groupby("person_id_lenient")["person_id"].min()
    assert (lowest.index == lowest.to_numpy()).all()
    stem = county["person_id_strict"].str.replace(r"-s\d+$", "", regex=True)
    assert (stem == county["person_id"]).all()
    assert (county.groupby("person_id")["person_id_strict"].apply(lambda s: s.eq(s.name).any())).all()


def test_alternative_ids_are_deterministic(tmp_path: Path, county: pd.DataFrame) -> None:
    records, _ = generate_records(400, seed=6)
    again = build_spine(records, tmp_path / "one", SETTINGS).mapping
    pd.testing.assert_frame_equal(again, county)
    rerun = build_spine(records, tmp_path / "one", SETTINGS).mapping  # nothing new: the spine reproduces itself
    pd.testing.assert_frame_equal(rerun, county)
    shuffled = records.sample(frac=1.0, random_state=3).reset_index(drop=True)
    other = build_spine(shuffled, tmp_path / "two", SETTINGS).mapping.set_index(["source", "record_id"])
    here = county.set_index(["source", "record_id"]).loc[other.index]
    # person ids are numbered in input order, so compare the partitions, not the labels
    for col in ("person_id", "person_id_strict", "person_id_lenient"):
        assert _nested(other[col], here[col]) and _nested(here[col], other[col]), col


def test_standard_person_is_unchanged_by_the_alternative_thresholds(tmp_path: Path) -> None:
    records, _ = generate_records(300, seed=5)
    default = build_spine(records, tmp_path / "default", SETTINGS).mapping
    wide = LinkageSettings(strict_threshold=1.0, lenient_threshold=SETTINGS.review_threshold)
    other = build_spine(records, tmp_path / "wide", wide).mapping
    assert other["person_id"].tolist() == default["person_id"].tolist()
    assert other["person_id_strict"].nunique() >= default["person_id_strict"].nunique()
    assert other["person_id_lenient"].nunique() <= default["person_id_lenient"].nunique()


def test_review_pair_joins_the_lenient_person_only_at_or_above_its_threshold(tmp_path: Path) -> None:
    first = build_spine(people([A, B]), tmp_path / "low", LinkageSettings(lenient_threshold=0.3)).mapping
    ids = first.set_index("record_id")
    assert ids.loc["a", "person_id"] != ids.loc["b", "person_id"]
    assert ids.loc["a", "person_id_lenient"] == ids.loc["b", "person_id_lenient"] == ids["person_id"].min()
    strict = build_spine(people([A, B]), tmp_path / "high", LinkageSettings(lenient_threshold=0.7)).mapping
    assert strict["person_id_lenient"].nunique() == 2
    # a reviewer's non-match keeps them apart in the lenient linkage too
    record_decisions(
        tmp_path / "low", pd.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["non_match"]})
    )
    build_spine(pd.DataFrame(), tmp_path / "low", LinkageSettings(lenient_threshold=0.3))
    assert read_spine(tmp_path / "low")["person_id_lenient"].nunique() == 2


def _alternatives(
    person: list[str],
    links: list[tuple[int, int, float]],
    review: list[tuple[int, int, float]],
    nhs: list[str | None] | None = None,
    decisions: list[tuple[int, int, str]] = (),
) -> tuple[list[str], list[str]]:
    n = len(person)
    keys = np.array([f"ed\x1f{i:03d}" for i in range(n)], dtype=object)
    dec = pd.DataFrame(decisions, columns=["l", "r", "decision"])
    forbid: dict[int, set[int]] = {}
    for a, b, d in decisions:
        if d == "non_match":
            forbid.setdefault(a, set()).add(b)
            forbid.setdefault(b, set()).add(a)
    clusters = _Clusters(n, nhs or [None] * n, [None] * n, forbid)
    strict, lenient = alternative_person_ids(
        keys,
        np.array(person, dtype=object),
        pd.DataFrame(links, columns=["l", "r", "match_probability"]),
        dec,
        pd.DataFrame(review, columns=["l", "r", "match_probability"]),
        clusters,
        SETTINGS,
    )
    return list(strict), list(lenient)


def test_strict_cuts_a_person_at_its_weak_links() -> None:
    # P1 = records 0-1-2-3: 0-1 strong, 1-2 weak (0.8), 2-3 strong; P2 = record 4
    strict, _ = _alternatives(["P1", "P1", "P1", "P1", "P2"], [(0, 1, 0.995), (1, 2, 0.8), (2, 3, 1.0)], [])
    assert strict[0] == strict[1] and strict[2] == strict[3] and strict[0] != strict[2]
    assert sorted({strict[0], strict[2]}) == ["P1", "P1-s1"]  # the tie goes to the part with the first record key
    assert strict[0] == "P1" and strict[4] == "P2"
    # a reviewer's match holds in the strict linkage whatever the score
    strict, _ = _alternatives(["P1", "P1"], [(0, 1, 0.75)], [], decisions=[(0, 1, "match")])
    assert strict == ["P1", "P1"]


def test_lenient_respects_the_standard_constraints() -> None:
    person = ["P1", "P2", "P3", "P4"]
    review = [(0, 1, 0.6), (1, 2, 0.65), (2, 3, 0.4)]  # 2-3 below the lenient threshold
    _, lenient = _alternatives(person, [], review)
    assert lenient == ["P1", "P1", "P1", "P4"]
    # two valid NHS numbers never make one person: the weaker link (0-1) is refused once 1-2 is in
    _, lenient = _alternatives(person, [], review, nhs=["9434765919", None, "9434765870", None])
    assert lenient == ["P1", "P2", "P2", "P4"]
    _, lenient = _alternatives(person, [], review, decisions=[(0, 1, "non_match")])
    assert lenient == ["P1", "P2", "P2", "P4"]


def test_person_keys_key_the_alternative_people_like_the_standard_one() -> None:
    key = PseudonymisationKey(b"k" * 32)
    spine = pd.DataFrame(
        {
            "source": ["ed", "ed", "police"],
            "record_id": ["E1", "E2", "X1"],
            "person_id": ["P000000001", "P000000001", "P000000002"],
            "person_id_strict": ["P000000001", "P000000001-s1", "P000000002"],
            "person_id_lenient": ["P000000001", "P000000001", "P000000001"],
        }
    )
    out = person_keys(spine, key)
    assert list(out.columns) == [
        "feed",
        "record_key",
        "person_key",
        "person_key_strict",
        "person_key_lenient",
        "key_id",
    ]
    assert out.loc[0, "person_key_strict"] == out.loc[0, "person_key"] == out.loc[2, "person_key_lenient"]
    assert out.loc[1, "person_key_strict"] not in set(out["person_key"])
    values = set(out.drop(columns=["feed", "key_id"]).to_numpy().ravel())
    assert not values & {*spine["record_id"], *spine["person_id"], *spine["person_id_strict"]}
    assert out.equals(person_keys(spine, key))
    # a spine from before the alternative linkages: null keys, not a failure
    old = person_keys(spine[["source", "record_id", "person_id"]], key)
    assert old["person_key_strict"].isna().all() and old["person_key_lenient"].isna().all()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HFC_LINK_STRICT_THRESHOLD": "0.6"}, "strict_threshold"),
        ({"HFC_LINK_LENIENT_THRESHOLD": "0.2"}, "lenient_threshold"),
        ({"HFC_LINK_LENIENT_THRESHOLD": "0.8"}, "lenient_threshold"),
        ({"HFC_LINK_STRICT_THRESHOLD": "1.5"}, "strict_threshold"),
        ({"HFC_LINK_STRICT_THRESHOLD": "high"}, "HFC_LINK_STRICT_THRESHOLD must be a number"),
    ],
)
def test_thresholds_are_validated(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        LinkageSettings.from_env()


def test_unset_alternative_thresholds_follow_the_decision_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (SETTINGS.strict_threshold, SETTINGS.lenient_threshold) == (0.99, 0.55)
    monkeypatch.setenv("HFC_LINK_MATCH_THRESHOLD", "0.995")
    monkeypatch.setenv("HFC_LINK_REVIEW_THRESHOLD", "0.6")
    settings = LinkageSettings.from_env()
    assert (settings.strict_threshold, settings.lenient_threshold) == (0.995, 0.6)
    monkeypatch.setenv("HFC_LINK_STRICT_THRESHOLD", "0.999")
    monkeypatch.setenv("HFC_LINK_LENIENT_THRESHOLD", "0.7")
    settings = LinkageSettings.from_env()
    assert (settings.strict_threshold, settings.lenient_threshold) == (0.999, 0.7)
    assert LinkageSettings.from_env(match_threshold=0.999).strict_threshold == 0.999
