"""Loading a period: control totals, files held whole (with the rows they hold), and what the audit records."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import accepted_path, audit_path, control_total_alert, load_period
from pipelines.settings import Zones
from tests.feed_rows import write_delivery

POLICE = FEED_SPECS["police_incidents"]  # sends control totals
ED = FEED_SPECS["ed_attendances"]  # does not
OTHERS = tuple(FEED_SPECS.values())


def _deliver(zones: Zones, spec=POLICE, n: int = 66, ctl: int | None = None, period: str = "2024-01") -> Path:
    path = write_delivery(spec, zones.landing / spec.name, n=n, period=period)
    if ctl is not None:
        path.with_name(path.name + ".ctl").write_text(f"{ctl}\n", encoding="utf-8")
    return path


def test_a_control_total_shortfall_holds_the_delivery_whole_with_the_rows_it_holds(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    path = _deliver(zones, n=66, ctl=91)
    result = load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    assert result.status == "rejected_file"
    assert (result.rows_received, result.rows_loaded, result.rows_quarantined) == (66, 0, 66)
    assert result.reconciles and result.control_difference == -25
    assert result.reasons == {"control_total_shortfall": 1}
    assert "control_total_shortfall" in result.alert_codes
    assert "91" in (result.message or "") and "66" in (result.message or "")
    held = zones.quarantine / POLICE.name
    record = json.loads((held / f"{path.name}.reason.json").read_text())
    assert record["rows_held"] == 66 and record["agency_control_total"] == 91
    assert (held / path.name).exists() and (held / f"{path.name}.ctl").exists()
    assert not accepted_path(zones, POLICE.name, "2024-01").exists()
    audit = pd.read_parquet(audit_path(zones, POLICE.name, "2024-01")).iloc[0]
    assert (audit["rows_received"], audit["rows_quarantined"], audit["agency_control_total"]) == (66, 66, 91)
    assert json.loads(audit["alerts_json"]) == {"control_total_shortfall": 1}


def test_a_shortfall_loads_with_a_warning_when_the_setting_says_warn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = Zones(tmp_path)
    _deliver(zones, n=10, ctl=12)
    monkeypatch.setenv("HFC_CONTROL_TOTAL_SHORTFALL", "warn")
    result = load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    assert result.status == "loaded" and result.rows_loaded == 10
    assert result.alert_codes == ["control_total_shortfall"]
    assert load_period(POLICE, "2024-01", zones, OTHERS, validate=False, shortfall="block").status == "rejected_file"


def test_an_excess_loads_with_a_warning_and_a_match_says_nothing(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    _deliver(zones, n=10, ctl=8)
    result = load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    assert result.status == "loaded" and result.alert_codes == ["control_total_excess"]
    assert result.control_difference == 2
    _deliver(zones, n=10, ctl=10, period="2024-02")
    assert load_period(POLICE, "2024-02", zones, OTHERS, validate=False).alerts == []


def test_a_missing_control_total_is_said_only_for_feeds_that_send_them(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    _deliver(zones, n=5)
    assert load_period(POLICE, "2024-01", zones, OTHERS, validate=False).alert_codes == ["control_total_missing"]
    _deliver(zones, spec=ED, n=5)
    assert load_period(ED, "2024-01", zones, OTHERS, validate=False).alerts == []


def test_control_total_alerts_name_file_and_counts_only() -> None:
    alert = control_total_alert(POLICE, "CAD_EXPORT_2024-01.csv", 66, 91)
    assert alert is not None and alert.code == "control_total_shortfall"
    assert alert.message.startswith("police_incidents/CAD_EXPORT_2024-01.csv:") and "25 short" in alert.message
    assert control_total_alert(POLICE, "f", 5, 5) is None


def test_a_file_the_reader_holds_is_counted_with_its_rows_not_as_zero(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    path = _deliver(zones, n=12, ctl=12)
    path.write_bytes(gzip.compress(path.read_bytes()))
    result = load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    assert result.status == "rejected_file" and result.reasons == {"gzip_file": 1}
    assert (result.rows_received, result.rows_quarantined) == (12, 12)
    assert result.alerts == []  # the 12 rows inside match the agency's count
    audit = pd.read_parquet(audit_path(zones, POLICE.name, "2024-01")).iloc[0]
    assert audit["rows_received"] == audit["rows_quarantined"] == 12


def test_a_resent_complete_delivery_loads_and_the_hold_is_withdrawn(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    short = _deliver(zones, n=5, ctl=8)
    assert load_period(POLICE, "2024-01", zones, OTHERS, validate=False).status == "rejected_file"
    resent = write_delivery(POLICE, zones.landing / POLICE.name, n=8, name="CAD_EXPORT_2024-01_v2.csv")
    resent.with_name(resent.name + ".ctl").write_text("8\n")
    result = load_period(POLICE, "2024-01", zones, OTHERS, validate=False)
    assert result.status == "loaded" and result.rows_loaded == 8 and result.superseded_files == [short.name]
    # the held copy of the short file stays in quarantine with its reason; the re-send has none
    assert (zones.quarantine / POLICE.name / f"{short.name}.reason.json").exists()
    assert not (zones.quarantine / POLICE.name / f"{resent.name}.reason.json").exists()
