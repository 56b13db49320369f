"""``hfc bench disclosure``: Tau-Argus and ours on the same tiny tables, each pattern audited by the other."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pipelines.cli import build_parser
from pipelines.disclosure.audit import published_count
from pipelines.disclosure.bench import (
    HEADER,
    MARKER,
    SECTION,
    Comparison,
    Table,
    compare,
    format_row,
    synthetic_table,
    tau_audit_of,
    write_section,
)

T, BASE, PROTECTION = 7, 5, 100

# one small cell in a two-column row: its row total and its neighbour, rounded, leave it fewer than 5 values
TINY = Table(
    "tiny",
    ("a", "b", "c"),
    ("x", "y"),
    {("a", "x"): 1, ("a", "y"): 8, ("b", "x"): 20, ("b", "y"): 20, ("c", "x"): 20, ("c", "y"): 30},
)


def test_we_publish_counts_rounded_to_the_base_halves_up_with_1_to_the_threshold_suppressed() -> None:
    assert [published_count(v, T, BASE) for v in (0, 1, 7, 8, 12, 13, 22)] == [0, None, None, 10, 10, 15, 20]


def test_a_tiny_table_is_protected_by_both_and_the_row_has_every_field() -> None:
    result = compare(TINY, T, BASE, PROTECTION)
    assert isinstance(result, Comparison)
    assert (result.cells, result.primary, result.tau_primary) == (12, 1, 1)
    for method in (result.opt, result.mod, result.ours):
        assert method.error is None
        assert method.secondary is not None and method.secondary >= 1
        assert method.seconds is not None and method.seconds >= 0
        assert method.passes_ours is not None
        assert ("a", "x") not in method.pattern  # the primary cell is not a secondary one
    assert result.ours.passes_ours is True
    # ours relies on rounding: on exact values and margins Tau-Argus's audit can still narrow the cell
    assert result.ours_passes_tau is not None
    row = format_row(result)
    assert row.startswith("| tiny | 12 | 1 |")
    assert row.count("|") == HEADER.splitlines()[0].count("|")


def test_tau_argus_audit_accepts_its_own_pattern_and_refuses_no_pattern() -> None:
    """The apriori path really sets our pattern: an empty one leaves the small cell exposed on exact margins."""
    result = compare(TINY, T, BASE, PROTECTION)
    with tempfile.TemporaryDirectory() as tmp:
        assert tau_audit_of(TINY, T, PROTECTION, result.opt.pattern, Path(tmp) / "own") == (True, 0)
        assert tau_audit_of(TINY, T, PROTECTION, set(), Path(tmp) / "none") == (False, 1)


def test_a_table_no_withheld_number_can_protect_is_protected_by_withholding_its_small_group() -> None:
    """Four small cells whose row total is small too: each is at most the threshold minus three, whatever is shown,
    so ours withholds the row's small counts as a group instead of stopping."""
    counts = {("a", c): 1 for c in "wxyz"} | {(r, c): 20 for r in "bc" for c in "wxyz"}
    result = compare(Table("stuck", ("a", "b", "c"), tuple("wxyz"), counts), T, BASE, PROTECTION)
    assert result.ours.error is None and result.ours.passes_ours
    assert "failed" not in format_row(result).split("|")[6]


def test_synthetic_tables_are_seeded() -> None:
    assert synthetic_table(4, 3, 0) == synthetic_table(4, 3, 0)
    assert synthetic_table(4, 3, 0).counts != synthetic_table(4, 3, 1).counts


def test_write_appends_a_dated_section_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    write_section(path, "### run one", ["| r1 |"])
    write_section(path, "### run two", ["| r2 |"])
    text = path.read_text()
    assert text.count(SECTION) == 1 and text.count(MARKER) == 1 and "kept" in text
    assert text.index("### run one") < text.index("| r1 |") < text.index("### run two") < text.index("| r2 |")


def test_the_bench_is_a_subcommand() -> None:
    args = build_parser().parse_args(["bench", "disclosure", "--synthetic-only", "--sizes", "3x2"])
    assert args.sizes == ["3x2"] and args.synthetic_only


def test_tau_argus_leaves_no_file_where_it_was_called_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its native solvers write logs and LP files (cell values) to the current directory: it runs in a temp folder."""
    caller = tmp_path / "caller"
    caller.mkdir()
    monkeypatch.chdir(caller)
    result = compare(TINY, T, BASE, PROTECTION)
    assert result.opt.error is None and result.mod.error is None
    assert list(caller.iterdir()) == []
