"""drift/<feed> through Dagster: the check fails on the injected month (warn by default, error where configured
to block), results land in the pseudonymised zone, and the report is offline and holds no identifier."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.defs.monitoring.assets import build_drift_asset, is_blocking
from pipelines.defs.resources import ZonesResource
from pipelines.monitoring.config import Severity, load_severity
from pipelines.monitoring.drift import results_path
from pipelines.monitoring.report import report_path, static_dir
from tests.unit.monitoring.drift_fixtures import DRIFT_FROM, PERIODS, county, write_county

FEED = "police_incidents"
RANGE = {"dagster/asset_partition_range_start": "2024-05", "dagster/asset_partition_range_end": DRIFT_FROM}


def _run(tmp_path: Path, severity: Severity) -> dg.ExecuteInProcessResult:
    zones = write_county(tmp_path, FEED, county(FEED, rows=200))
    assert zones.root == tmp_path
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(f"{FEED}_deliveries", PERIODS)
        return dg.materialize(
            [build_drift_asset(FEED, severity)],
            instance=instance,
            resources={"zones": ZonesResource(data_dir=str(tmp_path))},
            tags=RANGE,
            raise_on_error=False,
        )


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


@pytest.fixture(scope="module")
def warned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dg.ExecuteInProcessResult]:
    root = tmp_path_factory.mktemp("data")
    return root, _run(root, Severity())


def test_check_flags_the_injected_partition_as_a_warning(warned: tuple[Path, dg.ExecuteInProcessResult]) -> None:
    root, result = warned
    assert result.success
    checks = _evaluations(result)
    rates = checks["drift_key_rates"]
    assert not rates.passed and rates.severity == dg.AssetCheckSeverity.WARN
    assert rates.metadata["deliveries_drifted"].value == [DRIFT_FROM]
    assert "rate:mental_health_tag" in rates.metadata["details"].value
    assert checks["drift_distributions"].passed
    flags = pd.read_parquet(results_path(ZonesResource(data_dir=str(root)).get(), FEED, DRIFT_FROM))
    assert flags.set_index("metric").loc["rate:mental_health_tag", "is_drifted"]
    assert set(flags["severity"]) == {"warn"}
    for period in ("2024-05", "2024-06", "2024-07"):
        earlier = pd.read_parquet(results_path(ZonesResource(data_dir=str(root)).get(), FEED, period))
        assert not earlier["is_drifted"].any()


def test_blocking_where_configured(tmp_path: Path) -> None:
    severity = Severity(block=("police_incidents/rate:mental_health_tag",))
    assert is_blocking(FEED, "drift_key_rates", severity) and not is_blocking(FEED, "drift_code_mix", severity)
    asset = build_drift_asset(FEED, severity)
    specs = {s.name: s for s in asset.check_specs}
    assert specs["drift_key_rates"].blocking and not specs["drift_missing_values"].blocking
    tmp_config = tmp_path / "drift.yaml"
    tmp_config.write_text("default: warn\nblock:\n  - police_incidents/rate:mental_health_tag\n")
    assert load_severity(tmp_config).of(FEED, "rate:mental_health_tag") == "block"
    assert load_severity(tmp_config).of(FEED, "rate:classifier_mental_health") == "warn"


def test_config_refuses_an_unknown_severity(tmp_path: Path) -> None:
    path = tmp_path / "drift.yaml"
    path.write_text("default: maybe\n")
    with pytest.raises(ValueError, match="default must be"):
        load_severity(path)
    assert load_severity(tmp_path / "absent.yaml") == Severity()


def test_reports_are_offline_and_hold_no_identifier(warned: tuple[Path, dg.ExecuteInProcessResult]) -> None:
    root, result = warned
    zones = ZonesResource(data_dir=str(root)).get()
    report = report_path(zones, FEED, DRIFT_FROM)
    assert report.exists()
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"'](https?:)?//", html, re.IGNORECASE)
    assert "Content-Security-Policy" in html and "connect-src 'none'" in html
    assert "record_key" not in html and "2024-08-0" not in html  # no key column, no record token
    assert (static_dir(zones) / "index.js").exists()  # Evidently's bundle, outside reports/ (vendor code, no data)
    metadata = _evaluations(result)["drift_key_rates"].metadata["reports"].value
    assert str(report) in metadata
    scan = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "scan-pii", str(zones.reports)],  # reports/drift, and all of reports
        capture_output=True,
        text=True,
        check=False,
    )
    assert scan.returncode == 0, scan.stdout + scan.stderr


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_report_opens_in_a_browser_with_no_request_leaving(warned: tuple[Path, dg.ExecuteInProcessResult]) -> None:
    from playwright.sync_api import sync_playwright

    root, _ = warned
    report = report_path(ZonesResource(data_dir=str(root)).get(), FEED, DRIFT_FROM)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.wait_for_selector("text=Data Drift Summary", timeout=20_000)
            text = page.inner_text("body")
        finally:
            browser.close()
    assert "is_mental_health_related" in text  # rendered, not a blank page
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
