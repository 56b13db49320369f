"""The estimates ``hfc demo`` ends with: naive beside matched, the comparison's own change, truth in demo mode."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.evaluation.headlines import read_truth, render_estimates


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema evaluation")
        con.execute(
            "create table evaluation.estimates as select * from (values "
            "('standard', 'high_intensity_team', 'crisis_contacts', 3, 'naive_before_after', 'all', 'rate_ratio', "
            "0.45, 0.40, 0.50, null, false), "
            "('standard', 'high_intensity_team', 'crisis_contacts', 3, 'did_matched', 'all', 'rate_ratio', "
            "0.86, 0.70, 1.05, 0.55, false), "
            "('standard', 'usual_care', 'crisis_contacts', 3, 'did_matched', 'all', 'rate_ratio', "
            "null, null, null, null, true), "
            "('strict', 'high_intensity_team', 'crisis_contacts', 3, 'did_matched', 'all', 'rate_ratio', "
            "9.0, 8.0, 10.0, 0.5, false)"
            ") t(linkage, intervention, outcome, window_months, method, subgroup, measure, estimate, ci_low, ci_high, "
            "comparison_change, small_n)"
        )
    return path


def test_naive_beside_matched_with_the_comparisons_change_and_the_truth(tmp_path: Path) -> None:
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "effects.csv").write_text(
        "intervention,outcome,measure,true_effect\nhigh_intensity_team,crisis_contacts,rate_ratio,0.8500\n"
    )
    lines = render_estimates(_warehouse(tmp_path / "w.duckdb"), read_truth(truth))
    row = next(line for line in lines if "high_intensity_team" in line)
    assert "0.45" in row and "0.86 (0.70 to 1.05)" in row and "0.55" in row and "0.85" in row
    assert "9.00" not in "\n".join(lines), "only the standard linkage is the headline"
    assert any("usual_care" in line and "not estimated" in line for line in lines)


def test_no_truth_column_outside_demo_and_nothing_without_a_warehouse(tmp_path: Path) -> None:
    lines = render_estimates(_warehouse(tmp_path / "w.duckdb"), {})
    assert not any("true (synthetic)" in line for line in lines)
    assert render_estimates(tmp_path / "missing.duckdb", {}) == []
    assert read_truth(None) == {} and read_truth(tmp_path) == {}
