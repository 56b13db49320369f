"""Our classifier's rate in monitoring applies the dbt model's rule (int_contacts_mental_health_classified)."""

from __future__ import annotations

import pandas as pd

from pipelines.monitoring.classifier import classified_share, classify


def _police(rows: list[tuple[str, str, bool, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["opening_code", "closing_code", "is_mental_health_related", "narrative"])


def test_strong_code_strong_term_and_two_weak_pieces_mark_a_contact() -> None:
    frame = _police(
        [
            ("SUIC", "NFA", False, "Attended."),  # strong code
            ("ASB", "NFA", False, "Male detained under s136 and taken to the suite."),  # strong term
            ("CFS", "NFA", True, "Attended."),  # weak code + the agency's flag
            ("ASB", "NFA", False, "Noise complaint. Advice given."),  # nothing
            ("ASB", "NFA", False, "No MH concerns. Advice given."),  # a negation only
        ]
    )
    assert classify("police_incidents", frame).tolist() == [True, True, True, False, False]
    assert classified_share("police_incidents", frame) == (3, 5)


def test_an_empty_delivery_has_no_rate() -> None:
    assert classified_share("police_incidents", _police([])) == (0, 0)
