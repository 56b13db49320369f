"""NHS numbers, typos and date transpositions behave as the truth claims."""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from pipelines.synth.identifiers import (
    format_nhs_number,
    is_valid_nhs_number,
    mistype_nhs_number,
    nhs_check_digit,
    nhs_numbers_for,
    swap_day_month,
    typo,
)


def test_known_nhs_numbers() -> None:
    assert is_valid_nhs_number("943 476 5919")  # NHS Digital's published example
    assert not is_valid_nhs_number("943 476 5918")
    assert nhs_check_digit("943476591") == 9


def test_generated_nhs_numbers_are_unique_and_valid() -> None:
    values = [str(v) for v in nhs_numbers_for(np.arange(50_000))]
    assert len(set(values)) == len(values)
    assert all(len(v) == 10 and is_valid_nhs_number(v) for v in values)


def test_a_mistyped_nhs_number_always_fails_the_check() -> None:
    rng = random.Random(0)
    for v in nhs_numbers_for(np.arange(2000)):
        assert not is_valid_nhs_number(mistype_nhs_number(str(v), rng))


def test_nhs_number_formats_keep_the_digits() -> None:
    rng = random.Random(1)
    shapes = set()
    for _ in range(200):
        text = format_nhs_number("9434765919", rng)
        assert "".join(ch for ch in text if ch.isdigit()) == "9434765919"
        shapes.add(text)
    assert len(shapes) >= 3


def test_typo_changes_a_name_by_one_edit() -> None:
    from rapidfuzz.distance import Levenshtein

    rng = random.Random(2)
    for name in ("Robert", "Smith", "Okafor", "Lee", "Zoë"):
        for _ in range(20):
            changed = typo(name, rng)
            assert 1 <= Levenshtein.distance(name, changed) <= 2


def test_swap_day_month() -> None:
    assert swap_day_month(date(1990, 3, 7)) == date(1990, 7, 3)
    assert swap_day_month(date(1990, 3, 17)) is None
    assert swap_day_month(date(1990, 5, 5)) is None
