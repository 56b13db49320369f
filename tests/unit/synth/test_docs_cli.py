"""docs/feeds.md is the rendered specs, and `hfc synth` drives the generator."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.feeds import FEED_SPECS
from pipelines.settings import REPO_ROOT
from pipelines.synth import cli
from pipelines.synth.docs import render_feeds_md
from tests.unit.synth.conftest import read_truth


def test_committed_feeds_md_is_the_rendered_one() -> None:
    committed = (REPO_ROOT / "docs" / "feeds.md").read_text(encoding="utf-8")
    assert committed == render_feeds_md(), "run `python -m pipelines.synth.docs` to regenerate docs/feeds.md"


def test_feeds_md_documents_every_column_and_code() -> None:
    text = render_feeds_md()
    for spec in FEED_SPECS.values():
        assert f"## `{spec.name}`" in text
        for col in spec.columns:
            assert f"| `{col.name}` | `{col.output_name}` |" in text
            for code in col.codes or ():
                assert f"`{code}`" in text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hfc")
    cli.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_defaults() -> None:
    args = _parser().parse_args(["synth"])
    assert (args.people, args.months, args.seed, args.start, args.faults, args.out) == (
        20000,
        24,
        42,
        "2024-01",
        False,
        None,
    )


def test_cli_generates_a_county(tmp_path: Path, capsys) -> None:
    args = _parser().parse_args(
        ["synth", "--people", "120", "--months", "2", "--seed", "5", "--out", str(tmp_path), "--start", "2025-03"]
    )
    assert args.func(args) == 0
    assert (tmp_path / "landing" / "police_incidents" / "CAD_EXPORT_2025-04.csv").exists()
    assert len(read_truth(tmp_path, "people.csv")) == 120
    out = capsys.readouterr().out
    assert "police_incidents" in out
    truth_names = {p["family_name"] for p in read_truth(tmp_path, "people.csv")}
    assert not any(name in out for name in truth_names)  # the summary names no one


def test_cli_uses_hfc_data_dir_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HFC_DATA_DIR", str(tmp_path))
    args = _parser().parse_args(["synth", "--people", "50", "--months", "1"])
    assert args.func(args) == 0
    assert (tmp_path / "landing" / "reference" / "lsoa_imd.csv").exists()


def test_cli_rejects_a_bad_start(tmp_path: Path, capsys) -> None:
    args = _parser().parse_args(["synth", "--people", "10", "--months", "1", "--out", str(tmp_path), "--start", "24"])
    assert args.func(args) == 2
    assert "YYYY-MM" in capsys.readouterr().err
