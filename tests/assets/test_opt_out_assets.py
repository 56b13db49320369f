"""identity/opt_out through Dagster: a person linked to an opted-out NHS number disappears from what dbt reads."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.defs.ingest.assets import build_raw_asset
from pipelines.defs.linkage.assets import identity_spine
from pipelines.defs.pseudonymise.assets import (
    build_pseudonymised_asset,
    opt_out_applied,
    output_path,
    pseudonymised_person_keys,
)
from pipelines.defs.resources import DeidentifierResource, PseudonymisationKeyResource, ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.linkage.opt_out import OPT_OUT_FILE, audit_path, read_trail
from pipelines.privacy.keys import load_key, token
from pipelines.settings import Zones
from tests.feed_rows import rows, write_delivery

ED, AMBULANCE = FEED_SPECS["ed_attendances"], FEED_SPECS["ambulance_calls"]
TAGS = {"dagster/asset_partition_range_start": "2024-01", "dagster/asset_partition_range_end": "2024-01"}


def _deliveries(zones: Zones) -> str:
    """ED row 1 carries the person's NHS number; ambulance row 1 is the same person with no NHS number."""
    ed = rows(ED, 3)
    col = ED.column_names.index
    ed[1][col("Patient_Forename")], ed[1][col("Patient_Surname")] = "Marguerite", "Oyelaran"
    ed[1][col("Person_Birth_Date")] = "1979-08-23"
    amb = rows(AMBULANCE, 3)
    col = AMBULANCE.column_names.index
    for row in amb:
        row[col("NHSNumber")] = ""
    amb[1][col("PatientName")], amb[1][col("PatientDOB")] = "Marguerite Oyelaran", "1979-08-23"
    write_delivery(ED, zones.landing / ED.name, body=ed)
    write_delivery(AMBULANCE, zones.landing / AMBULANCE.name, body=amb)
    return ed[1][ED.column_names.index("NHS_Number")]


def _run(tmp_path: Path, instance: dg.DagsterInstance, assets: list, tags: dict | None = None):
    resources = {
        "zones": ZonesResource(data_dir=str(tmp_path)),
        "pseudonymisation_key": PseudonymisationKeyResource(),
        "deidentifier": DeidentifierResource(processes=1),
    }
    return dg.materialize(assets, instance=instance, resources=resources, tags=tags or {})


def test_a_person_who_opts_out_between_two_runs_is_removed_and_the_warehouse_is_told(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    nhs = _deliveries(zones)
    key = load_key({})
    ambulance_key = token(key, "R000001", "record:ambulance_calls")
    feeds = [[build_raw_asset(spec), build_pseudonymised_asset(spec)] for spec in (ED, AMBULANCE)]
    after = [identity_spine, opt_out_applied, pseudonymised_person_keys]
    with dg.instance_for_test() as instance:
        for spec in (ED, AMBULANCE):
            instance.add_dynamic_partitions(f"{spec.name}_deliveries", ["2024-01"])
        for ingest in feeds:
            assert _run(tmp_path, instance, ingest, TAGS).success
        assert _run(tmp_path, instance, after).success
        published = pd.read_parquet(output_path(zones, AMBULANCE.name, "2024-01"))
        assert ambulance_key in set(published["record_key"])

        (zones.identity / OPT_OUT_FILE).write_text(f"nhs_number\n{nhs}\n")  # the person opts out
        result = _run(tmp_path, instance, after)
        assert result.success
        rewritten = [
            (e.asset_key.to_user_string(), e.event_specific_data.materialization.partition)
            for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key.path[0] == "pseudonymised"
        ]
        assert ("pseudonymised/ambulance_calls", "2024-01") in rewritten
        assert ("pseudonymised/ed_attendances", "2024-01") in rewritten
        metadata = next(
            m.metadata
            for m in result.asset_materializations_for_node("identity__opt_out")
            if m.asset_key == opt_out_applied.key
        )
        assert metadata["people_opted_out"].value == 1
        assert metadata["national_data_opt_out"].value == 1 and metadata["national_data_opt_out_person"].value == 1

    published = pd.read_parquet(output_path(zones, AMBULANCE.name, "2024-01"))
    assert ambulance_key not in set(published["record_key"]) and len(published) == 2
    person_keys = pd.read_parquet(zones.pseudonymised / "person_keys" / "person_keys.parquet")
    assert ambulance_key not in set(person_keys["record_key"])
    assert token(key, "R000001", "record:ed_attendances") not in set(person_keys["record_key"])
    counts = pd.read_parquet(audit_path(zones, AMBULANCE.name, "2024-01")).iloc[0]
    assert (counts["rows_excluded_person"], counts["rows_published"]) == (1, 2)
    assert set(read_trail(zones)["applied_by"]) >= {"identity/opt_out", "pseudonymised/ambulance_calls"}
