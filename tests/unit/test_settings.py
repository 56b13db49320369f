"""Settings from the environment: safe defaults, and a loud refusal of a value that means nothing."""

from __future__ import annotations

import pytest

from pipelines import settings


def test_ingest_hold_settings_default_and_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HFC_CONTROL_TOTAL_SHORTFALL", "HFC_DATE_HOLD_RATE", "HFC_EVENT_DATE_WINDOW_MONTHS"):
        monkeypatch.delenv(name, raising=False)
    assert settings.control_total_shortfall() == "block"
    assert settings.date_hold_rate() == 0.10
    assert settings.event_date_window_months() == 3
    monkeypatch.setenv("HFC_CONTROL_TOTAL_SHORTFALL", " Warn ")
    monkeypatch.setenv("HFC_DATE_HOLD_RATE", "0.25")
    monkeypatch.setenv("HFC_EVENT_DATE_WINDOW_MONTHS", "6")
    assert settings.control_total_shortfall() == "warn"
    assert settings.date_hold_rate() == 0.25
    assert settings.event_date_window_months() == 6


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("HFC_CONTROL_TOTAL_SHORTFALL", "ignore", settings.control_total_shortfall),
        ("HFC_DATE_HOLD_RATE", "0", settings.date_hold_rate),
        ("HFC_DATE_HOLD_RATE", "1.5", settings.date_hold_rate),
        ("HFC_EVENT_DATE_WINDOW_MONTHS", "-1", settings.event_date_window_months),
    ],
)
def test_ingest_hold_settings_refuse_values_that_mean_nothing(name, value, reader, monkeypatch) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        reader()
