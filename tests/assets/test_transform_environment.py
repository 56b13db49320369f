"""The environment the dbt assets give dbt carries the disclosure settings, checked before dbt starts."""

from __future__ import annotations

import pytest

from pipelines.defs.transform.assets import dbt_environment


def test_dbt_is_given_the_disclosure_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HFC_DISCLOSURE_THRESHOLD", raising=False)
    monkeypatch.delenv("HFC_DISCLOSURE_ROUNDING_BASE", raising=False)
    env = dbt_environment()
    assert (env["HFC_DISCLOSURE_THRESHOLD"], env["HFC_DISCLOSURE_ROUNDING_BASE"]) == ("7", "5")
    monkeypatch.setenv("HFC_DISCLOSURE_THRESHOLD", "9")
    assert dbt_environment()["HFC_DISCLOSURE_THRESHOLD"] == "9"


def test_a_weakened_setting_stops_the_run_before_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_DISCLOSURE_THRESHOLD", "3")
    with pytest.raises(ValueError, match="HFC_DISCLOSURE_THRESHOLD"):
        dbt_environment()
