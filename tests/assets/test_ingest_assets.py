"""raw/<feed> and pseudonymised/<feed>, materialised through Dagster against a temporary data root."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.defs.ingest.assets import build_raw_asset
from pipelines.defs.pseudonymise.assets import build_pseudonymised_asset, output_path
from pipelines.defs.resources import DeidentifierResource, PseudonymisationKeyResource, ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import Role
from pipelines.ingest.load import audit_path
from pipelines.settings import Zones, disclosure_threshold
from tests.feed_rows import rows, write_delivery

POLICE = FEED_SPECS["police_incidents"]
RANGE = {"dagster/asset_partition_range_start": "2024-01", "dagster/asset_partition_range_end": "2024-02"}


def _materialize(
    tmp_path: Path, instance: dg.DagsterInstance, *assets: dg.AssetsDefinition, tags: dict | None = None
) -> dg.ExecuteInProcessResult:
    resources = {
        "zones": ZonesResource(data_dir=str(tmp_path)),
        "pseudonymisation_key": PseudonymisationKeyResource(),
        "deidentifier": DeidentifierResource(processes=1),
    }
    return dg.materialize(
        list(assets), instance=instance, resources=resources, tags=tags or RANGE, raise_on_error=False
    )


def _observations(result: dg.ExecuteInProcessResult) -> dict:
    return {
        e.event_specific_data.asset_observation.partition: e.event_specific_data.asset_observation.metadata
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    }


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {
        e.event_specific_data.check_name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def _published(result: dg.ExecuteInProcessResult, feed: str) -> bool:
    return any(
        e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == dg.AssetKey(["pseudonymised", feed])
        for e in result.all_events
    )


def _with_control_total(path: Path, rows: int) -> Path:
    path.with_name(path.name + ".ctl").write_text(f"{rows}\n", encoding="utf-8")
    return path


ALL_PASS = {
    "great_expectations_gate": True,
    "control_total": True,
    "ingest_warnings": True,
    "great_expectations_warnings": True,
    "rows_reconcile": True,
}


def test_each_partition_reconciles_and_bad_rows_go_to_quarantine(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    body = rows(POLICE, 5)
    body[2][POLICE.column_names.index("OPENING_CODE")] = "NOT_A_CODE"
    _with_control_total(write_delivery(POLICE, folder, period="2024-01", body=body), 5)
    _with_control_total(write_delivery(POLICE, folder, n=4, period="2024-02"), 4)
    raw, pseudo = build_raw_asset(POLICE), build_pseudonymised_asset(POLICE)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-01", "2024-02"])
        result = _materialize(tmp_path, instance, raw, pseudo)
        assert result.success
    observations, checks = _observations(result), _checks(result)
    assert checks == ALL_PASS
    assert observations["2024-01"]["rows_received"].value == 5
    assert observations["2024-01"]["rows_quarantined"].value == 1
    assert observations["2024-01"]["quarantine_reasons"].value == {"unknown_code:OPENING_CODE": 1}
    assert observations["2024-02"]["rows_loaded"].value == 4
    assert all(m["reconciles"].value for m in observations.values())

    quarantined = pd.read_csv(zones.quarantine / POLICE.name / "CAD_EXPORT_2024-01.csv.rows.csv")
    assert quarantined[["_source_row", "reason", "column"]].values.tolist() == [[4, "unknown_code", "OPENING_CODE"]]
    published = pd.read_parquet(output_path(zones, POLICE.name, "2024-01"))
    assert len(published) == 4
    for col in POLICE.columns:
        if col.role is Role.IDENTIFIER:
            assert col.output_name not in published.columns
    assert published["narrative"].notna().all()  # free text is published, de-identified
    # Data Docs and validation results are written to the reports zone
    assert (zones.reports / "data_docs" / "index.html").exists()
    assert (zones.reports / "validations" / POLICE.name / "2024-01.json").exists()


@pytest.mark.parametrize("fault", ["empty_file", "duplicate_record_ids"])
def test_a_file_failing_its_gate_is_quarantined_whole_and_blocks_publishing(fault: str, tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    if fault == "empty_file":
        (folder / "CAD_EXPORT_2024-03.csv").parent.mkdir(parents=True)
        (folder / "CAD_EXPORT_2024-03.csv").write_bytes(b"")
    else:
        body = rows(POLICE, 4)
        body[1][POLICE.column_names.index("INCIDENT_REF")] = body[0][POLICE.column_names.index("INCIDENT_REF")]
        write_delivery(POLICE, folder, period="2024-03", body=body)
    raw, pseudo = build_raw_asset(POLICE), build_pseudonymised_asset(POLICE)
    tags = {"dagster/asset_partition_range_start": "2024-03", "dagster/asset_partition_range_end": "2024-03"}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-03"])
        result = _materialize(tmp_path, instance, raw, pseudo, tags=tags)
        assert not result.success
        assert _checks(result)["great_expectations_gate"] is False
        assert not any(
            e.event_type_value == "ASSET_MATERIALIZATION"
            and e.asset_key == dg.AssetKey(["pseudonymised", "police_incidents"])
            for e in result.all_events
        )
    assert (zones.quarantine / POLICE.name / "CAD_EXPORT_2024-03.csv").exists()
    assert (zones.quarantine / POLICE.name / "CAD_EXPORT_2024-03.csv.reason.json").exists()
    audit = pd.read_parquet(audit_path(zones, POLICE.name, "2024-03"))
    assert audit["status"].tolist() == ["rejected_file"]
    assert not output_path(zones, POLICE.name, "2024-03").exists()


def test_a_corrected_redelivery_replaces_its_partition(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    write_delivery(POLICE, folder, n=3, period="2024-01")
    raw, pseudo = build_raw_asset(POLICE), build_pseudonymised_asset(POLICE)
    tags = {"dagster/asset_partition_range_start": "2024-01", "dagster/asset_partition_range_end": "2024-01"}
    resources = {
        "zones": ZonesResource(data_dir=str(tmp_path)),
        "pseudonymisation_key": PseudonymisationKeyResource(),
        "deidentifier": DeidentifierResource(processes=1),
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-01"])
        dg.materialize([raw, pseudo], instance=instance, resources=resources, tags=tags)
        assert len(pd.read_parquet(output_path(zones, POLICE.name, "2024-01"))) == 3
        corrected = write_delivery(POLICE, folder, n=5, period="2024-01", name="CAD_EXPORT_2024-01_v2.csv")
        corrected.touch()
        dg.materialize([raw, pseudo], instance=instance, resources=resources, tags=tags)
    assert len(pd.read_parquet(output_path(zones, POLICE.name, "2024-01"))) == 5
    audit = pd.read_parquet(audit_path(zones, POLICE.name, "2024-01"))
    assert audit["source_file"].tolist() == ["CAD_EXPORT_2024-01_v2.csv"]


JAN = {"dagster/asset_partition_range_start": "2024-01", "dagster/asset_partition_range_end": "2024-01"}


@pytest.mark.parametrize("on_shortfall", ["block", "warn"])
def test_a_control_total_shortfall_fails_a_check_blocking_by_default(
    on_shortfall: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFC_CONTROL_TOTAL_SHORTFALL", on_shortfall)
    zones = Zones(tmp_path)
    _with_control_total(write_delivery(POLICE, zones.landing / POLICE.name, n=66), 91)
    raw, pseudo = build_raw_asset(POLICE), build_pseudonymised_asset(POLICE)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-01"])
        result = _materialize(tmp_path, instance, raw, pseudo, tags=JAN)
    check = _evaluations(result)["control_total"]
    assert check.passed is False
    assert check.metadata["rows_short"].value == 25
    assert "91" in check.metadata["details"].value and "66" in check.metadata["details"].value
    audit = pd.read_parquet(audit_path(zones, POLICE.name, "2024-01")).iloc[0]
    assert audit["agency_control_total"] == 91 and audit["rows_received"] == 66
    if on_shortfall == "block":
        assert check.severity == dg.AssetCheckSeverity.ERROR
        assert not result.success and not _published(result, POLICE.name)
        assert _checks(result)["great_expectations_gate"] is True  # held by the control total, not the suite
        assert (audit["status"], audit["rows_quarantined"]) == ("rejected_file", 66)
    else:
        assert check.severity == dg.AssetCheckSeverity.WARN
        assert result.success and _published(result, POLICE.name)
        assert (audit["status"], audit["rows_loaded"]) == ("loaded", 66)


def test_a_header_only_delivery_and_a_stray_file_fail_the_ingest_warnings_check(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    folder = zones.landing / POLICE.name
    _with_control_total(write_delivery(POLICE, folder, body=[]), 0)
    write_delivery(FEED_SPECS["ambulance_calls"], folder, n=3)  # AMB_CALLS_2024-01.txt, in the police folder
    raw = build_raw_asset(POLICE)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-01"])
        result = _materialize(tmp_path, instance, raw, tags=JAN)
    assert result.success  # warnings never block
    check = _evaluations(result)["ingest_warnings"]
    assert check.passed is False and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["codes"].value == ["no_rows", "stray_file"]
    assert "AMB_CALLS_2024-01.txt" in check.metadata["details"].value
    assert "landing/ambulance_calls/" in check.metadata["details"].value
    assert _observations(result)["2024-01"]["warnings"].value == {"no_rows": 1}


def test_a_small_count_of_rows_held_is_not_said_in_the_log_but_kept_in_the_metadata(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    body = rows(POLICE, 4)
    body[1][POLICE.column_names.index("INCIDENT_REF")] = body[0][POLICE.column_names.index("INCIDENT_REF")]
    write_delivery(POLICE, zones.landing / POLICE.name, period="2024-03", body=body)  # held whole: 4 rows
    tags = {"dagster/asset_partition_range_start": "2024-03", "dagster/asset_partition_range_end": "2024-03"}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-03"])
        result = _materialize(tmp_path, instance, build_raw_asset(POLICE), tags=tags)
        lines = [e.user_message for e in instance.all_logs(result.run_id) if "quarantined whole" in e.user_message]
    said = f"(fewer than {disclosure_threshold() + 1} rows held)"  # 7 by default, never lower
    assert lines and all(said in line for line in lines)
    assert not any("4 rows" in line for line in lines)
    gate = _evaluations(result)["great_expectations_gate"]
    assert gate.metadata["rows_held"].value == 4  # the exact count stays in the check's metadata
