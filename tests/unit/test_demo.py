from __future__ import annotations

from pipelines.demo import contiguous_ranges


def test_ranges_never_span_a_partition_that_was_not_asked_for() -> None:
    ordered = ["2024-01", "2024-02", "2024-03", "2023-12", "2024-04"]  # a late delivery added last
    assert contiguous_ranges(ordered, {"2024-01", "2024-02", "2024-04"}) == [
        ("2024-01", "2024-02"),
        ("2024-04", "2024-04"),
    ]
    assert contiguous_ranges(ordered, set()) == []
    assert contiguous_ranges(ordered, set(ordered)) == [("2024-01", "2024-04")]
