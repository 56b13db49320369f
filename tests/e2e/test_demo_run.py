"""``hfc demo`` end to end: the path exists, nothing phones home, nothing identifiable reaches the warehouse."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS

pytestmark = pytest.mark.slow


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    return {r[0] for r in rows}


def test_demo_run_opens_no_network_connection_except_loopback(demo_run) -> None:
    lines = demo_run.network_log.read_text().splitlines() if demo_run.network_log.exists() else []
    remote = [line for line in lines if "network disabled" in line or not _local(line)]
    assert remote == [], f"outbound network attempts: {remote[:10]}"


def _local(line: str) -> bool:
    _, _kind, target = line.split("\t", 2)
    return bool(re.match(r"^\(?'?(127\.|::1|localhost|0\.0\.0\.0)|^'/|^b'|^None$", target.strip("()")))


def test_warehouse_has_a_staging_table_per_feed_with_rows(demo_run) -> None:
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        tables = _tables(con)
        for feed in FEED_SPECS:
            matches = [t for t in tables if t.startswith(f"staging.stg_{feed}__")]
            assert len(matches) == 1, f"no staging table for {feed}"
            assert con.execute(f"select count(*) from {matches[0]}").fetchone()[0] > 0


def test_every_load_reconciles(demo_run) -> None:
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        audit = con.execute("select * from marts.load_audit").df()
    assert len(audit) >= len(FEED_SPECS)
    assert (
        audit["rows_received"] == audit["rows_loaded"] + audit["rows_quarantined"] + audit["rows_excluded_opt_out"]
    ).all()
    assert audit["rows_excluded_opt_out"].sum() > 0  # the national data opt-out is applied
    assert audit["rows_loaded"].sum() > 0


def test_summary_says_what_was_built_and_where_to_look(demo_run) -> None:
    assert "police_incidents" in demo_run.stdout
    assert "staging.stg_police_incidents__incidents" in demo_run.stdout
    assert "make ui" in demo_run.stdout
    assert "make dashboard" in demo_run.stdout


def _warehouse_text(con: duckdb.DuckDBPyConnection) -> list[str]:
    values: list[str] = []
    cols = con.execute("select table_schema, table_name, column_name from information_schema.columns").fetchall()
    for schema, table, column in cols:
        rows = con.execute(f'select distinct cast("{column}" as varchar) from "{schema}"."{table}"').fetchall()
        values.extend(str(r[0]) for r in rows if r[0] is not None)
    return values


def _record_texts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """record key -> all text of that record in the staging tables and the restricted free text."""
    texts: dict[str, str] = {}
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'restricted') and table_name like 'stg_%'"
    ).fetchall()
    for schema, table in tables:
        cols = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        key = cols[0][0]
        text_cols = [c for c, t in cols[1:] if t == "VARCHAR"]
        if not key.endswith("_key") or not text_cols:
            continue
        concat = " || ' ' || ".join(f"coalesce(\"{c}\", '')" for c in text_cols)
        for record_key, text in con.execute(f'select "{key}", {concat} from "{schema}"."{table}"').fetchall():
            texts[record_key] = (texts.get(record_key, "") + " " + text).strip()
    return texts


def test_no_planted_identifier_from_the_truth_reaches_the_warehouse(demo_run) -> None:
    from pipelines.privacy.keys import load_key, token

    truth = demo_run.data_dir / "synth_truth"
    planted = pd.read_csv(truth / "planted_identifiers.csv", dtype=str, keep_default_na=False)
    # the full build: the published warehouse's schemas and the restricted free text kept back from it
    full_build = demo_run.data_dir / "restricted" / "outcomes_full.duckdb"
    with duckdb.connect(str(full_build), read_only=True) as con:
        text = _warehouse_text(con)
        by_record = _record_texts(con)
    cells = set(text)
    blob = "\n".join(text).lower()
    digits = re.sub(r"[\s\-()+]", "", blob)
    key = load_key({})  # the demo key, as the demo run used

    leaks: list[str] = []
    checked_names = 0
    for feed, record, entity, value in zip(
        planted["feed"], planted["record_id"], planted["entity_type"], planted["value"], strict=True
    ):
        v = value.strip()
        if not v:
            continue
        if entity == "PERSON":
            # A name must not survive in its own record's text (as written: "Ward" the surname, not "the ward").
            record_text = by_record.get(token(key, record, f"record:{feed}"))
            if record_text is None:
                continue  # quarantined, or a structured column with no text left in the warehouse
            checked_names += 1
            if re.search(rf"(?<![\w\[]){re.escape(v)}(?!\w)", record_text):
                leaks.append(entity)
        elif entity in {"NHS_NUMBER", "PHONE_NUMBER"}:
            if re.sub(r"\D", "", v) and re.sub(r"\D", "", v) in digits:
                leaks.append(entity)
        elif entity == "DATE_OF_BIRTH":
            if v in cells:
                leaks.append(entity)
        elif v.lower() in blob:
            leaks.append(entity)
    assert not leaks, f"planted identifiers found in the warehouse: {pd.Series(leaks).value_counts().to_dict()}"
    assert len(planted) > 100 and checked_names > 100  # the check looked at a real truth


def _canaries(truth: Path, out: Path) -> Path:
    """The truth's planted identifiers as scan-pii known values. Single-word names are left to the
    warehouse test above: as whole words they are also English ('Will', 'Grace') and would flag logs."""
    planted = pd.read_csv(truth / "planted_identifiers.csv", dtype=str, keep_default_na=False)
    people = pd.read_csv(truth / "people.csv", dtype=str, keep_default_na=False)
    values = planted.loc[planted["value"].str.strip() != "", ["entity_type", "value"]]
    values = values[(values["entity_type"] != "PERSON") | values["value"].str.contains(" ")]
    full_names = pd.DataFrame({"entity_type": "PERSON", "value": people["given_name"] + " " + people["family_name"]})
    pd.concat([values, full_names]).drop_duplicates().to_csv(out, index=False)
    return out


def test_canaries_planted_in_every_feed_are_found_only_in_identifiable_zones(demo_run, tmp_path: Path) -> None:
    hfc = str(Path(sys.executable).parent / "hfc")
    known = _canaries(demo_run.data_dir / "synth_truth", tmp_path / "canaries.csv")
    outside = [
        demo_run.warehouse,
        demo_run.data_dir / "restricted",
        demo_run.data_dir / "pseudonymised",
        demo_run.data_dir / "reports",
        demo_run.data_dir / "dagster",
    ]
    clean = subprocess.run(
        [hfc, "scan-pii", *map(str, outside), "--known-values", str(known), "--report", str(tmp_path / "out.csv")],
        capture_output=True,
        text=True,
    )
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-2000:]
    inside = subprocess.run(
        [hfc, "scan-pii", str(demo_run.data_dir / "landing"), "--known-values", str(known)],
        capture_output=True,
        text=True,
    )
    assert inside.returncode == 1  # the canaries are there, and the scanner sees them


def test_linkage_quality_is_measured_against_the_truth_and_links_people_across_agencies(demo_run) -> None:
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        quality = con.execute("select * from marts.linkage_quality").df()
        cross_agency = con.execute(
            "select count(*) from (select person_key from staging.stg_identity__person_keys "
            "group by person_key having count(distinct feed) >= 3)"
        ).fetchone()[0]
    overall = quality[quality["scope"] == "overall"].iloc[0]
    assert overall["measured_by"] == "truth"
    assert overall["pairwise_f1"] > 0.95
    assert {"agency_pair", "ethnicity_group"} <= set(quality["scope"])
    assert cross_agency >= 5  # people seen by three or more agencies, joined by linkage
    assert "Linkage (truth)" in demo_run.stdout


def test_the_demo_ends_with_a_clean_scan_for_every_planted_identifier(demo_run) -> None:
    # hfc demo exits 3 and says where on stderr when a planted identifier is found outside the identifiable zones
    line = next(x for x in demo_run.stdout.splitlines() if "Leak scan of the synthetic truth" in x)
    assert line.rstrip().endswith("clean.")
    assert "narrative values checked in their own records" in line


def test_the_demo_ends_with_the_headline_estimates_beside_the_naive_ones(demo_run) -> None:
    tail = demo_run.stdout[demo_run.stdout.index("Leak scan of the synthetic truth") :]
    assert "Evaluation (evaluation.estimates" in tail
    for column in ("naive", "matched (95% CI)", "comparison alone", "true (synthetic)"):
        assert column in tail
    for intervention in ("high_intensity_team", "street_triage", "usual_care"):
        assert intervention in tail


def test_the_screen_has_no_stack_trace_and_the_runs_log_file_has_dbts_output(demo_run) -> None:
    assert "Traceback" not in demo_run.stdout
    logs = sorted((demo_run.data_dir / "logs").glob("run-*.log"))
    assert len(logs) == 1 and str(logs[0]) in demo_run.stdout  # "Where to look next" names it
    text = logs[0].read_text(encoding="utf-8")
    assert "Done. PASS=" in text  # dbt's own output, not on screen
    assert "Done. PASS=" not in demo_run.stdout
    assert "STEP_SUCCESS" in text and "ASSET_CHECK_EVALUATION" in text  # the Dagster event stream


def test_no_zone_file_holds_nanosecond_timestamps(demo_run) -> None:
    """Spark refuses parquet's TIMESTAMP(NANOS) (docs/scale.md): every parquet file the run wrote, in every zone,
    stores its timestamps in microseconds (or coarser)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(demo_run.data_dir.rglob("*.parquet"))
    assert files
    nanos = [
        f"{path.relative_to(demo_run.data_dir)}:{field.name}"
        for path in files
        for field in pq.read_schema(path)
        if pa.types.is_timestamp(field.type) and field.type.unit == "ns"
    ]
    assert nanos == []
