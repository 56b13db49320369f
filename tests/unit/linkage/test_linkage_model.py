"""Linkage accuracy: the model links the errors agencies make and does not link strangers who look alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.linkage.bench_data import generate_records
from pipelines.linkage.config import LinkageSettings
from pipelines.linkage.spine import build_spine
from tests.unit.linkage.linkage_people import CRAFTED, CRAFTED_TRUTH, people


def _same(mapping: pd.DataFrame, a: str, b: str) -> bool:
    ids = mapping.set_index("record_id")["person_id"]
    return ids[a] == ids[b]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory):
    """1,500 generated records (enough to train the model by EM) plus the hand-made pairs."""
    background, truth = generate_records(1500, seed=11)
    crafted = people(CRAFTED)
    records = pd.concat([background, crafted], ignore_index=True)
    crafted_truth = pd.DataFrame(
        {"record_id": list(CRAFTED_TRUTH), "source": crafted["source"], "person_id": list(CRAFTED_TRUTH.values())}
    )
    truth = pd.concat([truth[["record_id", "source", "person_id", "ethnicity_group"]], crafted_truth])
    result = build_spine(records, tmp_path_factory.mktemp("spine"), LinkageSettings(), truth=truth)
    return result


def test_pairwise_f1_on_generated_records(trained_run) -> None:
    assert trained_run.training_notes == []  # EM, u sampling and the prior all trained
    overall = trained_run.quality[trained_run.quality["scope"] == "overall"].iloc[0]
    assert overall["f1"] >= 0.97, overall.to_dict()
    assert overall["precision"] >= 0.98 and overall["recall"] >= 0.95


def test_trained_model_links_nickname_swap_and_transposition(trained_run) -> None:
    mapping = trained_run.mapping
    assert _same(mapping, "n1", "n2"), "nickname Bob/Robert"
    assert _same(mapping, "s1", "s2"), "given and family names swapped"
    assert _same(mapping, "t1", "t2"), "day and month transposed"
    assert not _same(mapping, "c1", "c2"), "two John Smiths born the same year are different people"


def test_default_parameters_on_a_tiny_file(tmp_path: Path, crafted: pd.DataFrame) -> None:
    """Too few records to train: expert default parameters must still link the errors and keep strangers apart."""
    result = build_spine(crafted, tmp_path, LinkageSettings())
    mapping = result.mapping
    assert _same(mapping, "n1", "n2") and _same(mapping, "s1", "s2") and _same(mapping, "t1", "t2")
    assert not _same(mapping, "c1", "c2")
    assert result.n_people == 5
    assert result.training_notes and "default parameters" in result.training_notes[0]


def test_valid_nhs_number_links_and_conflicting_ones_do_not(tmp_path: Path) -> None:
    rows = [
        # same valid NHS number, name agrees, nothing else: a deterministic link
        ("a1", "ed", "943 476 5919", "Kwame", "Mensah", "", "", "", ""),
        ("a2", "ambulance", "9434765919", "KWAME", "MENSAH", "1970-01-01", "M", "", ""),
        # same name and dob but two different valid NHS numbers: never one person
        ("b1", "ed", "4010232137", "Agnieszka", "Nowak", "1988-09-09", "F", "BA1 1AA", "2 Oak Road"),
        ("b2", "mh", "4010232145", "Agnieszka", "Nowak", "1988-09-09", "F", "BA1 1AA", "2 Oak Road"),
    ]
    result = build_spine(people(rows), tmp_path, LinkageSettings())
    assert _same(result.mapping, "a1", "a2")
    assert not _same(result.mapping, "b1", "b2")
    assert result.n_links_refused >= 1


def test_a_column_empty_everywhere_does_not_break_training(tmp_path: Path) -> None:
    """External files may lack a whole field (no dates of birth, no NHS numbers): train on what is there."""
    records, truth = generate_records(800, seed=13)
    records = records.assign(date_of_birth="", nhs_number=None)
    result = build_spine(records, tmp_path, LinkageSettings(), truth=truth)
    assert len(result.mapping) == len(records)
    overall = result.quality[result.quality["scope"] == "overall"].iloc[0]
    assert overall["precision"] >= 0.95 and overall["recall"] >= 0.7, overall.to_dict()
