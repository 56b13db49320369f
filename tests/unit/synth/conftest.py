"""Synthetic counties shared by the synth tests: a small one (1,500 people x 12 months, with faults) and a longer
one (3,000 people x 24 months) where the programme needs whole episodes and enough clients."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.synth import generate
from pipelines.synth.generate import SynthSummary

PEOPLE = 1500
MONTHS = 12


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    root = tmp_path_factory.mktemp("county")
    summary = generate(root, people=PEOPLE, months=MONTHS, seed=7, faults=True)
    return root, summary


@pytest.fixture(scope="session")
def long_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("long_county")
    generate(root, people=3000, months=24, seed=11)
    return root


def read_truth(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "synth_truth" / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def clean_files(root: Path, feed: str, months: int = MONTHS, start: str = "2024-01") -> list[Path]:
    """The feed's clean monthly deliveries, one per month of the window (fault files are not among them)."""
    spec = FEED_SPECS[feed]
    year, month = (int(x) for x in start.split("-"))
    names = []
    for k in range(months):
        m = month - 1 + k
        names.append(spec.file_pattern.replace("*", f"{year + m // 12:04d}-{m % 12 + 1:02d}"))
    return [root / "landing" / feed / name for name in names if (root / "landing" / feed / name).exists()]


def read_feed(root: Path, feed: str, months: int = MONTHS) -> list[dict[str, str]]:
    """All rows of a feed's clean deliveries, each with the file it came from under '_file'."""
    spec = FEED_SPECS[feed]
    rows: list[dict[str, str]] = []
    for path in clean_files(root, feed, months):
        with path.open(newline="", encoding=spec.encoding) as f:
            for row in csv.DictReader(f, delimiter=spec.delimiter):
                row["_file"] = path.name
                rows.append(row)
    return rows
