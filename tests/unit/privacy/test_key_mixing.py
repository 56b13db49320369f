"""Key ids are never mixed: every writer of tokens refuses a key other than the zone's, before writing anything; and
production mode refuses a missing or unsafe key (and an unprotected data folder) before anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.defs.ingest.assets import build_raw_asset
from pipelines.defs.linkage.assets import spine_path
from pipelines.defs.pseudonymise.assets import pseudonymised_person_keys
from pipelines.defs.pseudonymise.truth_labels import synth_truth_labels
from pipelines.defs.resources import PseudonymisationKeyResource, ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import load_period
from pipelines.linkage.opt_out import OptOut, published_path
from pipelines.privacy.keys import (
    DEMO_KEY,
    KEY_ID_FILE,
    KeyConfigurationError,
    KeyMismatchError,
    PseudonymisationKey,
    ZoneKey,
    check_zone_consistent,
    ensure_zone_key,
    production_preflight,
    read_zone_key,
    write_zone_key,
)
from pipelines.pseudonymisation import Reference, publish_period, token_values_path
from pipelines.settings import Zones
from tests.feed_rows import write_delivery

OLD = PseudonymisationKey(b"o" * 40)
NEW = PseudonymisationKey(b"n" * 40)
STRONG = "Zq8" * 15
REFERENCE = Reference(postcode_lsoa={}, lsoa_imd={})
AMBULANCE = FEED_SPECS["ambulance_calls"]
TAGS = {"dagster/asset_partition_range_start": "2024-01", "dagster/asset_partition_range_end": "2024-01"}


def _published_zone(tmp_path: Path, key: PseudonymisationKey = OLD) -> Zones:
    zones = Zones(tmp_path)
    write_delivery(AMBULANCE, zones.landing / AMBULANCE.name, n=3)
    assert load_period(AMBULANCE, "2024-01", zones, validate=False).status == "loaded"
    publish_period(AMBULANCE, zones, "2024-01", key, REFERENCE, OptOut.load(zones.identity))
    return zones


def _assert_names_ids_not_keys(exc: pytest.ExceptionInfo[BaseException]) -> None:
    message = str(exc.value)
    assert OLD.key_id in message and NEW.key_id in message
    assert "oooo" not in message and "nnnn" not in message


def test_an_empty_zone_is_claimed_by_the_first_key_and_refuses_another(tmp_path: Path) -> None:
    ensure_zone_key(tmp_path, OLD, "test")
    assert read_zone_key(tmp_path) == ZoneKey(OLD.key_id)
    ensure_zone_key(tmp_path, OLD, "test")  # the same key: fine
    with pytest.raises(KeyMismatchError) as exc:
        ensure_zone_key(tmp_path, NEW, "pseudonymised/person_keys")
    _assert_names_ids_not_keys(exc)
    assert "pseudonymised/person_keys" in str(exc.value) and "hfc rotate-key" in str(exc.value)


def test_a_zone_without_its_record_takes_the_key_id_from_its_files_and_refuses_a_mix(tmp_path: Path) -> None:
    zones = _published_zone(tmp_path)
    (zones.pseudonymised / KEY_ID_FILE).unlink()
    with pytest.raises(KeyMismatchError):
        ensure_zone_key(zones.pseudonymised, NEW, "test")
    assert read_zone_key(zones.pseudonymised) == ZoneKey(OLD.key_id)
    other = zones.pseudonymised / "police_incidents" / "period=2024-01" / "data.parquet"
    other.parent.mkdir(parents=True)
    pd.DataFrame({"record_key": ["x"], "key_id": [NEW.key_id]}).to_parquet(other)
    (zones.pseudonymised / KEY_ID_FILE).unlink()
    with pytest.raises(KeyMismatchError, match="mixes key ids"):
        ensure_zone_key(zones.pseudonymised, OLD, "test")


def test_publishing_a_delivery_with_another_key_writes_nothing(tmp_path: Path) -> None:
    zones = _published_zone(tmp_path)
    target = published_path(zones, AMBULANCE.name, "2024-01")
    before, values = target.read_bytes(), token_values_path(zones, AMBULANCE.name, "2024-01").read_bytes()
    with pytest.raises(KeyMismatchError) as exc:
        publish_period(AMBULANCE, zones, "2024-01", NEW, REFERENCE, OptOut.load(zones.identity))
    _assert_names_ids_not_keys(exc)
    assert target.read_bytes() == before
    assert token_values_path(zones, AMBULANCE.name, "2024-01").read_bytes() == values


def test_a_rotation_under_way_stops_every_writer_and_the_build(tmp_path: Path) -> None:
    zones = _published_zone(tmp_path)
    write_zone_key(zones.pseudonymised, ZoneKey(OLD.key_id, rotating_to=NEW.key_id))
    for key in (OLD, NEW):
        with pytest.raises(KeyMismatchError, match="rotation"):
            publish_period(AMBULANCE, zones, "2024-01", key, REFERENCE, OptOut.load(zones.identity))
    with pytest.raises(KeyMismatchError, match="rotation"):
        check_zone_consistent(zones.pseudonymised, "dbt build")


def test_the_dbt_build_refuses_a_zone_of_mixed_key_ids(tmp_path: Path) -> None:
    zones = _published_zone(tmp_path)
    assert check_zone_consistent(zones.pseudonymised, "dbt build") == OLD.key_id
    other = zones.pseudonymised / "police_incidents" / "period=2024-01" / "data.parquet"
    other.parent.mkdir(parents=True)
    pd.DataFrame({"record_key": ["x"], "key_id": [NEW.key_id]}).to_parquet(other)
    with pytest.raises(KeyMismatchError) as exc:
        check_zone_consistent(zones.pseudonymised, "dbt build")
    _assert_names_ids_not_keys(exc)
    assert "police_incidents/period=2024-01/data.parquet" in str(exc.value)


def test_the_dbt_asset_checks_key_ids_before_it_builds() -> None:
    import inspect

    from pipelines.defs.transform import assets

    source = inspect.getsource(assets.warehouse_dbt_assets.op.compute_fn.decorated_fn)
    assert source.index("check_zone_consistent(") < source.index("shutil.copy2")


def _materialize(tmp_path: Path, asset: dg.AssetsDefinition) -> dg.ExecuteInProcessResult:
    resources = {"zones": ZonesResource(data_dir=str(tmp_path)), "pseudonymisation_key": PseudonymisationKeyResource()}
    return dg.materialize([asset], resources=resources, raise_on_error=False)


def test_person_keys_and_truth_labels_refuse_another_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zones = _published_zone(tmp_path)  # made with OLD
    zones.identity.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "source": ["ambulance_calls"],
            "record_id": ["R000000"],
            "person_id": ["P1"],
            "person_id_strict": ["P1"],
            "person_id_lenient": ["P1"],
        }
    ).to_parquet(spine_path(zones))
    monkeypatch.setenv("HFC_PSEUDONYMISATION_KEY", "n" * 40)  # NEW
    for asset, written in (
        (pseudonymised_person_keys, zones.pseudonymised / "person_keys" / "person_keys.parquet"),
        (synth_truth_labels, zones.pseudonymised / "synth_truth_labels" / "mental_health.parquet"),
    ):
        result = _materialize(tmp_path, asset)
        assert not result.success
        assert not written.exists()
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        text = str(failure.event_specific_data.error)
        assert OLD.key_id in text and NEW.key_id in text and "n" * 40 not in text
    monkeypatch.setenv("HFC_PSEUDONYMISATION_KEY", "o" * 40)  # the zone's key: both write
    assert _materialize(tmp_path, pseudonymised_person_keys).success
    assert _materialize(tmp_path, synth_truth_labels).success


# --- production mode ----------------------------------------------------------------------------------------------


def _key_file(tmp_path: Path, text: str = STRONG, mode: int = 0o600) -> Path:
    path = tmp_path / "key"
    path.write_text(text + "\n")
    os.chmod(path, mode)
    return path


def _data_dir(tmp_path: Path, mode: int = 0o700) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    os.chmod(folder, mode)
    return folder


def test_production_preflight_accepts_what_the_readme_asks_for(tmp_path: Path) -> None:
    production_preflight({"HFC_MODE": "demo"})  # demo: nothing to check
    env = {
        "HFC_MODE": "production",
        "HFC_PSEUDONYMISATION_KEY_FILE": str(_key_file(tmp_path)),
        "HFC_DATA_DIR": str(_data_dir(tmp_path)),
    }
    production_preflight(env)
    production_preflight({**env, "HFC_DATA_DIR": str(tmp_path / "not-yet")})  # created later, with the umask


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("missing key", "no key is configured"),
        ("demo key", "demo key"),
        ("short key", "at least 32"),
        ("group-readable key file", "chmod 600"),
        ("other-readable key file", "chmod 600"),
        ("both variables", "only one of"),
        ("no data dir", "HFC_DATA_DIR"),
        ("data dir others can read", "o-rwx"),
        ("key file missing", "cannot be read"),
    ],
)
def test_production_preflight_refuses(tmp_path: Path, case: str, match: str) -> None:
    env = {"HFC_MODE": "production", "HFC_DATA_DIR": str(_data_dir(tmp_path))}
    if case == "demo key":
        env["HFC_PSEUDONYMISATION_KEY"] = DEMO_KEY
    elif case == "short key":
        env["HFC_PSEUDONYMISATION_KEY_FILE"] = str(_key_file(tmp_path, "short-secret"))
    elif case == "group-readable key file":
        env["HFC_PSEUDONYMISATION_KEY_FILE"] = str(_key_file(tmp_path, mode=0o640))
    elif case == "other-readable key file":
        env["HFC_PSEUDONYMISATION_KEY_FILE"] = str(_key_file(tmp_path, mode=0o604))
    elif case == "both variables":
        env |= {"HFC_PSEUDONYMISATION_KEY_FILE": str(_key_file(tmp_path)), "HFC_PSEUDONYMISATION_KEY": STRONG}
    elif case == "no data dir":
        env["HFC_PSEUDONYMISATION_KEY_FILE"] = str(_key_file(tmp_path))
        del env["HFC_DATA_DIR"]
    elif case == "data dir others can read":
        env |= {
            "HFC_PSEUDONYMISATION_KEY_FILE": str(_key_file(tmp_path)),
            "HFC_DATA_DIR": str(_data_dir(tmp_path, 0o755)),
        }
    elif case == "key file missing":
        env["HFC_PSEUDONYMISATION_KEY_FILE"] = str(tmp_path / "absent")
    with pytest.raises(KeyConfigurationError, match=match) as exc:
        production_preflight(env)
    assert STRONG not in str(exc.value) and "short-secret" not in str(exc.value) and DEMO_KEY not in str(exc.value)


def test_production_mode_without_a_key_stops_ingest_before_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zones = Zones(_data_dir(tmp_path))
    write_delivery(AMBULANCE, zones.landing / AMBULANCE.name, n=3)
    monkeypatch.setenv("HFC_MODE", "production")
    monkeypatch.setenv("HFC_DATA_DIR", str(zones.root))
    resources = {"zones": ZonesResource(data_dir=str(zones.root))}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(f"{AMBULANCE.name}_deliveries", ["2024-01"])
        result = dg.materialize(
            [build_raw_asset(AMBULANCE)], instance=instance, resources=resources, tags=TAGS, raise_on_error=False
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "no key is configured" in str(failure.event_specific_data.error)
    assert not (zones.landing / "_accepted").exists() and not zones.pseudonymised.exists()
    # the demo mode falls back to the demo key, and that is rule 1's business (it is the key the zone is claimed with)
    monkeypatch.setenv("HFC_MODE", "demo")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(f"{AMBULANCE.name}_deliveries", ["2024-01"])
        assert dg.materialize([build_raw_asset(AMBULANCE)], instance=instance, resources=resources, tags=TAGS).success


def test_hfc_backfill_in_production_mode_without_a_key_stops_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.cli import main

    zones = Zones(_data_dir(tmp_path))
    write_delivery(AMBULANCE, zones.landing / AMBULANCE.name, n=3)
    monkeypatch.setenv("HFC_MODE", "production")
    monkeypatch.setenv("HFC_DATA_DIR", str(zones.root))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    with pytest.raises(KeyConfigurationError, match="no key is configured"):
        main(["backfill", "--feed", AMBULANCE.name])
    assert not (zones.landing / "_accepted").exists() and not zones.pseudonymised.exists()


def test_hfc_rotate_key_refuses_an_unsafe_new_key_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main

    data = _data_dir(tmp_path)
    monkeypatch.setenv("HFC_MODE", "production")
    monkeypatch.setenv("HFC_DATA_DIR", str(data))
    monkeypatch.setenv("HFC_PSEUDONYMISATION_KEY", STRONG)
    new = tmp_path / "new.key"
    new.write_text("x" * 40)
    os.chmod(new, 0o644)
    assert main(["rotate-key", "--new-key-file", str(new), "--dry-run"]) == 2
    assert "chmod 600" in capsys.readouterr().err
