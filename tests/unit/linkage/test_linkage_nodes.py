"""One record per identity: identical records of one agency are scored once and stored as one node.

A frequent contacter's records are mostly copies of each other (the demo county: 213,345 records, 61,263 identities);
scoring each copy against every other record made 15.7 million pairs where 0.3 million say the same. These tests pin
what the grouping must not change: who is linked to whom, the stability of person ids across runs, reviewers'
decisions, corrections, and the quality estimate's counts of record pairs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.model import model_input, score_pairs
from pipelines.linkage.normalise import normalise_records
from pipelines.linkage.quality import estimated_quality
from pipelines.linkage.spine import LINKS_FILE, build_spine, prepare_records, read_spine, record_decisions
from tests.unit.linkage.linkage_people import people

SETTINGS = LinkageSettings()
NHS = "9434765919"
HOME = ("Robert", "Jones", "1980-04-03", "M", "SN1 1AA", "1 High Street")


def _copies(prefix: str, n: int, source: str = "ed", nhs: str = NHS, who: tuple = HOME) -> list[tuple]:
    return [(f"{prefix}{i}", source, nhs, *who) for i in range(n)]


# the same man as the copies, seen by the police without an NHS number or a home
POLICE = ("x", "police", "", "Robert", "Jones", "1980-04-03", "M", "", "")
# someone else entirely
OTHER = ("z", "council", "", "Amara", "Osei", "1962-09-14", "F", "SN7 2PQ", "9 Wharf Road")


def _person(identity_dir: Path) -> pd.Series:
    return read_spine(identity_dir).set_index("record_id")["person_id"]


def _scored(rows: list[tuple]):
    records = prepare_records(people(rows))
    frame = model_input(normalise_records(records), pd.Series(np.ones(len(records), dtype=bool)), SETTINGS)
    return score_pairs(frame, SETTINGS, incremental=False, sources=records["source"].to_numpy(dtype=object))


def test_identical_records_are_one_node_scored_once_and_join_one_person(tmp_path: Path) -> None:
    scored = _scored([*_copies("r", 5), POLICE, OTHER])
    nodes = scored.nodes
    assert nodes is not None
    assert nodes.node.tolist() == [0, 0, 0, 0, 0, 1, 2] and nodes.size.tolist() == [5, 1, 1]
    assert nodes.anchor.tolist() == [0, 5, 6]
    assert nodes.self_probability[0] == 1.0  # a valid NHS number and the same name: deterministic
    # pairs are between nodes: the copies are never paired with each other, and with x once, not five times
    pairs = set(zip(scored.pairs["unique_id_l"], scored.pairs["unique_id_r"], strict=True))
    assert (0, 1) in pairs and all(a != b for a, b in pairs)

    build_spine(people([*_copies("r", 5), POLICE, OTHER]), tmp_path, SETTINGS)
    ids = _person(tmp_path)
    assert ids[[f"r{i}" for i in range(5)]].nunique() == 1 and ids["x"] == ids["r0"] and ids["z"] != ids["r0"]
    links = pd.read_parquet(tmp_path / LINKS_FILE)
    assert len(links) == 1  # one stored link, anchor to anchor; none among the copies
    assert read_spine(tmp_path).set_index("record_id")["linkage_anchor"][[f"r{i}" for i in range(5)]].eq(0).all()


def test_identical_records_the_model_would_not_link_are_not_joined_by_being_identical(tmp_path: Path) -> None:
    """A name and nothing else, twice: two such records are not a match, so the copies stay apart, as before."""
    name_only = ("police", "", "John", "Smith", "", "", "", "")
    rows = [("p1", *name_only), ("p2", *name_only)]
    scored = _scored(rows)
    assert scored.nodes is not None and scored.nodes.size.tolist() == [1, 1]
    assert scored.nodes.self_probability.tolist() != [1.0, 1.0]
    result = build_spine(people(rows), tmp_path, SETTINGS)
    ids = result.mapping.set_index("record_id")["person_id"]
    assert ids["p1"] != ids["p2"]


def test_the_same_values_from_two_agencies_are_two_nodes_linked_as_any_pair(tmp_path: Path) -> None:
    scored = _scored([*_copies("e", 2, source="ed"), *_copies("a", 2, source="ambulance")])
    assert scored.nodes is not None and scored.nodes.size.tolist() == [2, 2]
    result = build_spine(people([*_copies("e", 2, source="ed"), *_copies("a", 2, source="ambulance")]), tmp_path)
    assert result.mapping["person_id"].nunique() == 1
    assert len(pd.read_parquet(tmp_path / LINKS_FILE)) == 1


def test_a_new_copy_joins_its_node_and_the_spine_reproduces_itself(tmp_path: Path) -> None:
    build_spine(people([*_copies("r", 3), POLICE, OTHER]), tmp_path, SETTINGS)
    before = _person(tmp_path)
    result = build_spine(people(_copies("n", 2)), tmp_path, SETTINGS)
    after = _person(tmp_path)
    assert result.n_new_records == 2
    assert after[["n0", "n1"]].eq(before["r0"]).all()
    assert after[before.index].equals(before)
    again = build_spine(people([]), tmp_path, SETTINGS)  # nothing new: replayed links alone
    assert again.n_new_records == 0 and _person(tmp_path).equals(after)


def test_a_reviewer_separating_a_nodes_anchor_from_someone_keeps_the_strongest_links(tmp_path: Path) -> None:
    """The stored links are keyed on the node's first record, which a decision takes out of its node: the copies
    stay linked to it (an identical pair with a valid NHS number is certain) and x, which only the model linked,
    is the one kept apart, as it would be were every copy scored on its own."""
    build_spine(people([*_copies("r", 3), POLICE, OTHER]), tmp_path, SETTINGS)
    record_decisions(tmp_path, pd.DataFrame({"record_id_l": ["r0"], "record_id_r": ["x"], "decision": ["non_match"]}))
    build_spine(people([]), tmp_path, SETTINGS)  # apply the decision only: nothing is scored
    ids = _person(tmp_path)
    assert ids["r0"] != ids["x"]
    assert ids["r0"] == ids["r1"] == ids["r2"]


def test_a_non_match_with_someone_else_does_not_split_a_record_from_its_copies(tmp_path: Path) -> None:
    build_spine(people([*_copies("r", 3), POLICE, OTHER]), tmp_path, SETTINGS)
    record_decisions(tmp_path, pd.DataFrame({"record_id_l": ["r0"], "record_id_r": ["z"], "decision": ["non_match"]}))
    build_spine(people([]), tmp_path, SETTINGS)
    ids = _person(tmp_path)
    assert ids["r0"] == ids["r1"] == ids["r2"] == ids["x"] and ids["z"] != ids["r0"]
    build_spine(people([("r9", "ed", NHS, *HOME)]), tmp_path, SETTINGS)  # and when a new copy is scored
    ids = _person(tmp_path)
    assert ids[["r0", "r1", "r2", "r9", "x"]].nunique() == 1 and ids["z"] != ids["r0"]


def test_correcting_a_nodes_first_record_keeps_its_copies_linked(tmp_path: Path) -> None:
    build_spine(people([*_copies("r", 3), POLICE, OTHER]), tmp_path, SETTINGS)
    corrected = ("r0", "ed", "", "Amara", "Osei", "1962-09-14", "F", "SN7 2PQ", "9 Wharf Road")  # it was z's record
    result = build_spine(people([corrected]), tmp_path, SETTINGS)
    ids = _person(tmp_path)
    assert result.n_corrected == 1
    assert ids["r1"] == ids["r2"] == ids["x"] and ids["r0"] == ids["z"] and ids["r0"] != ids["r1"]


def test_a_spine_stored_per_record_is_replayed_unchanged(tmp_path: Path) -> None:
    """A spine from before nodes has no anchors and one link per pair of records: it reproduces itself."""
    build_spine(people([*_copies("r", 3), POLICE, OTHER]), tmp_path, SETTINGS)
    before = _person(tmp_path)
    spine = read_spine(tmp_path).drop(columns=["linkage_anchor", "linkage_self_probability"])
    spine.to_parquet(tmp_path / "spine_records.parquet", index=False)
    keys = spine["source"] + "\x1f" + spine["record_id"]
    legacy = pd.DataFrame(
        {"key_l": keys.iloc[[0, 1, 2]].to_numpy(), "key_r": keys.iloc[[1, 2, 3]].to_numpy(), "match_probability": 1.0}
    ).assign(reason="nhs_number", run_id="old")
    legacy.to_parquet(tmp_path / LINKS_FILE, index=False)
    build_spine(people([]), tmp_path, SETTINGS)
    assert _person(tmp_path).equals(before)


def test_the_estimate_counts_record_pairs_not_node_pairs() -> None:
    pairs = pd.DataFrame(
        {"match_probability": [1.0, 0.5], "linked": [True, False], "source_l": ["ed", "ed"], "source_r": ["ed", "mh"]}
    )
    single = estimated_quality(pairs, n_records=4)
    weighted = estimated_quality(pairs.assign(weight=[6.0, 2.0]), n_records=4)
    overall = weighted[weighted["scope"] == "overall"].iloc[0]
    assert overall["predicted_pairs"] == 6 and overall["true_pairs"] == 7  # 6 x 1.0 + 2 x 0.5
    assert overall["precision"] == 1.0 and abs(overall["recall"] - 6 / 7) < 1e-12
    assert single[single["scope"] == "overall"].iloc[0]["true_pairs"] == 2  # 1.0 + 0.5, rounded


@pytest.mark.parametrize("crash_at", [1, 2])
def test_a_run_killed_between_the_spine_files_is_redone_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: int
) -> None:
    """The spine's records and links are two files: a run that dies after writing one of them must leave a spine
    the next run completes to what a run that never died would have made."""
    from pipelines.linkage import spine as spine_module
    from pipelines.linkage.bench_data import generate_records

    records, _ = generate_records(400, seed=6)
    month1, month2 = records.iloc[:300], records.iloc[300:]
    build_spine(month1, tmp_path / "clean", SETTINGS)
    build_spine(month2, tmp_path / "clean", SETTINGS)
    build_spine(month1, tmp_path / "killed", SETTINGS)

    real = spine_module.write_parquet
    writes: list[str] = []

    def dying(frame: pd.DataFrame, target: Path) -> None:
        if target.name in ("spine_records.parquet", LINKS_FILE):
            writes.append(target.name)
            if len(writes) == crash_at:
                raise KeyboardInterrupt("killed")
        real(frame, target)

    monkeypatch.setattr(spine_module, "write_parquet", dying)
    with pytest.raises(KeyboardInterrupt):
        build_spine(month2, tmp_path / "killed", SETTINGS)
    monkeypatch.setattr(spine_module, "write_parquet", real)
    build_spine(month2, tmp_path / "killed", SETTINGS)
    clean, killed = _person(tmp_path / "clean"), _person(tmp_path / "killed")
    assert killed.sort_index().equals(clean.sort_index())
