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


def test_disclosure_settings_default_to_7_and_5_and_can_be_made_stricter(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HFC_DISCLOSURE_THRESHOLD", "HFC_DISCLOSURE_ROUNDING_BASE"):
        monkeypatch.delenv(name, raising=False)
    assert (settings.disclosure_threshold(), settings.disclosure_rounding_base()) == (7, 5)
    monkeypatch.setenv("HFC_DISCLOSURE_THRESHOLD", "")
    assert settings.disclosure_threshold() == 7
    monkeypatch.setenv("HFC_DISCLOSURE_THRESHOLD", " 9 ")
    monkeypatch.setenv("HFC_DISCLOSURE_ROUNDING_BASE", "10")
    assert (settings.disclosure_threshold(), settings.disclosure_rounding_base()) == (9, 10)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HFC_DISCLOSURE_THRESHOLD", "6"),
        ("HFC_DISCLOSURE_THRESHOLD", "0"),
        ("HFC_DISCLOSURE_THRESHOLD", "-1"),
        ("HFC_DISCLOSURE_THRESHOLD", "off"),
        ("HFC_DISCLOSURE_THRESHOLD", "7.5"),
        ("HFC_DISCLOSURE_ROUNDING_BASE", "1"),
        ("HFC_DISCLOSURE_ROUNDING_BASE", "0"),
        ("HFC_DISCLOSURE_ROUNDING_BASE", "none"),
        ("HFC_DISCLOSURE_ROUNDING_BASE", "17"),
    ],
)
def test_no_disclosure_setting_weakens_or_switches_off_control(name: str, value: str, monkeypatch) -> None:
    """17 as a base would publish a count of 8 as 0 at the default threshold."""
    monkeypatch.delenv("HFC_DISCLOSURE_THRESHOLD", raising=False)
    monkeypatch.delenv("HFC_DISCLOSURE_ROUNDING_BASE", raising=False)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        settings.disclosure_threshold()
        settings.disclosure_rounding_base()
