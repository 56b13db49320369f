"""The identity spine: stable person ids across re-runs and new months, merges and splits recorded, decisions kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.linkage.bench_data import generate_records
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.spine import (
    REVIEW_FILE,
    build_spine,
    dates_compatible,
    read_decisions,
    read_events,
    read_spine,
    record_decisions,
)
from tests.unit.linkage.linkage_people import people

SETTINGS = LinkageSettings()

NHS = "9434765919"
# a and b look alike but cannot be linked on what they hold (no date of birth on b, no home on a): review band
A = ("a", "ed", NHS, "Robert", "Jones", "1980-04-03", "M", "", "")
B = ("b", "police", "", "Robert", "Jones", "", "M", "SN1 1AA", "1 High Street")
# c shares the NHS number and date of birth with a, and the home with b: it bridges them
C = ("c", "ambulance", NHS, "Robert", "Jones", "1980-04-03", "M", "SN1 1AA", "1 High Street")


def _ids(identity_dir: Path) -> pd.Series:
    spine = read_spine(identity_dir)
    return spine.set_index("record_id")["person_id"]


def test_rerun_on_same_records_changes_nothing(tmp_path: Path) -> None:
    records, _ = generate_records(300, seed=5)
    first = build_spine(records, tmp_path, SETTINGS)
    second = build_spine(records, tmp_path, SETTINGS)
    assert second.n_new_records == 0
    pd.testing.assert_frame_equal(first.mapping, second.mapping)
    events = read_events(tmp_path)
    assert set(events["event"]) == {"run"} and len(events) == 2


def test_new_month_keeps_existing_person_ids(tmp_path: Path) -> None:
    records, _truth = generate_records(400, seed=6)
    month1, month2 = records.iloc[:300], records.iloc[300:]
    build_spine(month1, tmp_path, SETTINGS)
    before = _ids(tmp_path)
    result = build_spine(month2, tmp_path, SETTINGS)
    after = _ids(tmp_path)
    assert result.n_new_records == 100 and result.n_records_in_spine == 400
    # the mapping returned covers the records given, in their order
    assert result.mapping["record_id"].tolist() == month2["record_id"].tolist()
    events = read_events(tmp_path)
    absorbed = set(events.loc[events["event"] == "merge", "other_person_id"])
    unchanged = before[~before.isin(absorbed)]
    assert (after[unchanged.index] == unchanged).all()
    # new records joined people already in the spine (truth says many of them are the same people)
    assert after[month2["record_id"]].isin(set(before)).sum() >= 20


def test_bridging_record_merges_two_people_and_records_why(tmp_path: Path) -> None:
    first = build_spine(people([A, B]), tmp_path, SETTINGS)
    ids = first.mapping.set_index("record_id")["person_id"]
    assert ids["a"] != ids["b"]
    assert first.n_review_pairs == 1  # a and b are a borderline pair for a person to look at
    second = build_spine(people([C]), tmp_path, SETTINGS)
    after = _ids(tmp_path)
    assert after["a"] == after["b"] == after["c"] == min(ids["a"], ids["b"])  # the oldest id survives
    assert second.n_merges == 1
    merge = read_events(tmp_path).query("event == 'merge'").iloc[0]
    assert merge["person_id"] == min(ids["a"], ids["b"]) and merge["other_person_id"] == max(ids["a"], ids["b"])
    assert merge["reason"] == "new record linked both people"
    # once one person, the pair is no longer listed for review
    assert pd.read_csv(tmp_path / REVIEW_FILE).empty


def test_clerical_match_decision_merges(tmp_path: Path) -> None:
    build_spine(people([A, B]), tmp_path, SETTINGS)
    review = pd.read_csv(tmp_path / REVIEW_FILE, dtype=str)
    assert {review.loc[0, "record_id_l"], review.loc[0, "record_id_r"]} == {"a", "b"}
    review["decision"] = "match"
    record_decisions(tmp_path, review[["record_id_l", "record_id_r", "decision"]])
    result = build_spine(pd.DataFrame(), tmp_path, SETTINGS)
    after = _ids(tmp_path)
    assert after["a"] == after["b"]
    assert result.n_merges == 1
    assert read_events(tmp_path).query("event == 'merge'")["reason"].iloc[0] == "clerical review: match"


def test_clerical_non_match_is_respected_by_later_runs(tmp_path: Path) -> None:
    build_spine(people([A, B]), tmp_path, SETTINGS)
    record_decisions(tmp_path, pd.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["non_match"]}))
    build_spine(people([C]), tmp_path, SETTINGS)  # c would bridge them, but a reviewer said they differ
    after = _ids(tmp_path)
    assert after["a"] != after["b"]
    assert after["c"] in {after["a"], after["b"]}
    assert len(read_decisions(tmp_path)) == 1


def test_non_match_decision_splits_an_existing_person(tmp_path: Path) -> None:
    build_spine(people([A, B, C]), tmp_path, SETTINGS)
    before = _ids(tmp_path)
    assert before["a"] == before["b"] == before["c"]
    record_decisions(tmp_path, pd.DataFrame({"record_id_l": ["b"], "record_id_r": ["a"], "decision": ["non-match"]}))
    result = build_spine(pd.DataFrame(), tmp_path, SETTINGS)
    after = _ids(tmp_path)
    assert after["a"] != after["b"]
    assert result.n_splits == 1
    split = read_events(tmp_path).query("event == 'split'").iloc[0]
    assert split["person_id"] == before["a"] and split["reason"] == "clerical review: non_match"
    # the part holding most of the records keeps the id
    kept = [r for r in ("a", "b", "c") if after[r] == before["a"]]
    assert len(kept) == 2


def test_bad_decisions_are_refused_without_values(tmp_path: Path) -> None:
    build_spine(people([A, B]), tmp_path, SETTINGS)
    with pytest.raises(ValueError, match="decision"):
        record_decisions(tmp_path, pd.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["maybe"]}))
    with pytest.raises(ValueError, match="record_id_r not in the spine"):
        record_decisions(tmp_path, pd.DataFrame({"record_id_l": ["a"], "record_id_r": ["zz"], "decision": ["match"]}))


def test_events_hold_counts_and_ids_only(tmp_path: Path) -> None:
    build_spine(people([A, B]), tmp_path, SETTINGS)
    build_spine(people([C]), tmp_path, SETTINGS)
    text = (tmp_path / "spine_events.csv").read_text()
    for value in ("Robert", "ROBERT", "Jones", NHS, "1980", "SN1", "High"):
        assert value not in text


def test_dates_compatible() -> None:
    assert dates_compatible("1980-04-03", "1980-04-03")
    assert dates_compatible("1980-04-03", "1980-03-04")  # day and month transposed
    assert dates_compatible("1980-04-03", "1980-04-08")  # one digit mistyped
    assert dates_compatible("1980-04-13", "1980-04-31")  # two digits swapped
    assert not dates_compatible("1959-09-28", "1992-04-27")


def test_undated_record_cannot_chain_two_dated_people(tmp_path: Path) -> None:
    rows = [
        ("p1", "ambulance", "", "Jade", "Smith-Jones", "1959-09-28", "F", "", ""),
        ("p2", "police", "", "Jade", "Smith-Jones", "1992-04-27", "F", "HF12 8BU", "7 Forge Avenue"),
        # no date of birth: shares a phone with p1 and a home with p2, so it links to each on its own
        ("x", "feedback", "", "Jade", "Smith-Jones", "", "F", "HF12 8BU", "7 Forge Avenue"),
    ]
    frame = people(rows).assign(phone=["07700 900123", "", "+44 7700 900123"])
    result = build_spine(frame, tmp_path, SETTINGS)
    ids = result.mapping.set_index("record_id")["person_id"]
    assert ids["p1"] != ids["p2"]
    assert ids["x"] in {ids["p1"], ids["p2"]}
    assert result.n_links_refused >= 1


def test_scoring_spills_inside_the_identity_zone_and_leaves_nothing_there(tmp_path: Path, monkeypatch) -> None:
    """DuckDB spills an in-memory database to `.tmp` in the working directory by default: identifiable pairs."""
    import duckdb

    from pipelines.linkage import model

    con = duckdb.connect(":memory:")
    model.configure_connection(con, SETTINGS, tmp_path / "spill")
    assert con.execute("select current_setting('temp_directory')").fetchone()[0] == str(tmp_path / "spill")
    assert con.execute("select current_setting('memory_limit')").fetchone()[0].startswith("3.7")  # 4GB in GiB
    used: list[Path | None] = []
    real = model.score_pairs

    def recording(frame, settings, incremental, spill_dir=None, **grouping):
        used.append(spill_dir)
        return real(frame, settings, incremental, spill_dir=spill_dir, **grouping)

    monkeypatch.setattr(model, "score_pairs", recording)  # imported inside build_spine
    build_spine(people([A, B, C]), tmp_path / "identity", SETTINGS)
    assert used == [tmp_path / "identity" / ".linkage_spill"]
    assert not (tmp_path / "identity" / ".linkage_spill").exists()


@pytest.mark.parametrize("value", ["4GB", "512MB", "1.5GiB"])
def test_a_linkage_memory_limit_is_a_size(value: str) -> None:
    from pipelines.linkage.model import _memory_limit

    assert _memory_limit(value) == value.upper()


def test_a_linkage_memory_limit_that_is_not_a_size_is_refused() -> None:
    from pipelines.linkage.model import _memory_limit

    with pytest.raises(ValueError, match="size"):
        _memory_limit("4GB'; drop table x; --")
