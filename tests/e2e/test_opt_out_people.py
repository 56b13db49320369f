"""The national data opt-out on the synthetic county: people, not records, and re-applied on every run.

The truth (who is really who, and each person's real NHS number) is read here only to check the pipeline.

An opt-out is recorded against an NHS number, so it can reach a person only if at least one of their records that
linkage saw carries that number. A person none of whose records carries it cannot be found by any check against
the list (in practice the number would be traced first, through the NHS's demographics service, which this
pipeline cannot call); their records are reported, not hidden: on a 20,000-person county they were 41 of the 4,621
in-scope records of people on the list (see DEVELOPERS.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.linkage.opt_out import OPT_OUT_FILE, TRAIL_FILE, opt_out_scope, read_opt_out_list
from pipelines.linkage.spine import RECORDS_FILE
from pipelines.privacy.keys import load_key, tokens
from pipelines.privacy.normalise import normalise_nhs_number

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: two whole runs (10 of make test's 16 minutes)

COVERED = [name for name, spec in FEED_SPECS.items() if opt_out_scope(spec) is not None]
REFRESH = (
    "import sys, dagster as dg\n"
    "from pipelines.definitions import defs\n"
    "job = defs.resolve_job_def('daily_refresh')\n"
    "sys.exit(0 if job.execute_in_process(instance=dg.DagsterInstance.get()).success else 1)\n"
)


def _truth(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = data_dir / "synth_truth"
    people = pd.read_csv(truth / "people.csv", dtype=str, keep_default_na=False, usecols=["person_id", "nhs_number"])
    records = pd.read_csv(truth / "records.csv", dtype=str, keep_default_na=False)
    return people, records


def _reachable(data_dir: Path, records: pd.DataFrame, listed: frozenset[str]) -> set[str]:
    """Truth people at least one of whose records, as linkage saw them, carries an NHS number on the list."""
    spine = pd.read_parquet(data_dir / "identity" / RECORDS_FILE, columns=["source", "record_id", "nhs_number"])
    carries = spine[spine["nhs_number"].map(normalise_nhs_number).isin(listed)]
    person = records.set_index(["feed", "record_id"])["person_id"]
    return {person.get((s, r)) for s, r in zip(carries["source"], carries["record_id"], strict=True)} - {None}


def _covered_records(records: pd.DataFrame, person_ids: set[str]) -> pd.DataFrame:
    """The truth's records of these people in the feeds the opt-out covers, with their keyed record tokens."""
    key = load_key({})  # the demo key, as the demo run used
    theirs = records[records["person_id"].isin(person_ids) & records["feed"].isin(COVERED)].copy()
    theirs["record_key"] = None
    for feed, group in theirs.groupby("feed"):
        theirs.loc[group.index, "record_key"] = tokens(key, group["record_id"].tolist(), f"record:{feed}")
    return theirs


def _staging(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """feed -> (staging table, its record-key column)."""
    out = {}
    for feed in FEED_SPECS:
        (table,) = con.execute(
            "select table_name from information_schema.tables where table_schema = 'staging' and table_name like ?",
            [f"stg_{feed}__%"],
        ).fetchone()
        (column,) = con.execute(
            "select column_name from information_schema.columns where table_schema = 'staging' and table_name = ? "
            "order by ordinal_position limit 1",
            [table],
        ).fetchone()
        out[feed] = (table, column)
    return out


def _in_warehouse(warehouse: Path, theirs: pd.DataFrame) -> pd.DataFrame:
    """Which of ``theirs`` (feed, record_key) the warehouse still holds, in scope: feed rows and person keys."""
    found = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for feed, (table, column) in _staging(con).items():
            keys = [k for k in theirs.loc[theirs["feed"] == feed, "record_key"] if isinstance(k, str)]
            if not keys or feed not in COVERED:
                continue
            extra = ", service_code" if feed == "council_contacts" else ", null as service_code"
            rows = con.execute(
                f'select "{column}"{extra} from staging."{table}" '
                f'where cast("{column}" as varchar) in (select unnest(?::varchar[]))',
                [keys],
            ).fetchall()
            # the council's housing rows are not care records: the opt-out does not cover them
            found += [("staging", feed, k) for k, service in rows if feed != "council_contacts" or service == "ASC"]
        person_keys = con.execute(
            "select feed, record_key from staging.stg_identity__person_keys "
            "where record_key in (select unnest(?::varchar[]))",
            [theirs["record_key"].tolist()],
        ).fetchall()
        council_housing = set()
        if any(feed == "council_contacts" for feed, _ in person_keys):
            table, column = _staging(con)["council_contacts"]
            housing = con.execute(f'select "{column}" from staging."{table}" where service_code != \'ASC\'')
            council_housing = {k for (k,) in housing.fetchall()}
    found += [("person_keys", f, k) for f, k in person_keys if not (f == "council_contacts" and k in council_housing)]
    return pd.DataFrame(found, columns=["table", "feed", "record_key"])


def _load_audit(warehouse: Path) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from marts.load_audit").df()


def test_no_health_or_care_record_of_an_opted_out_person_remains_in_the_warehouse(demo_run) -> None:
    people, records = _truth(demo_run.data_dir)
    listed = read_opt_out_list(demo_run.data_dir / "identity")
    opted = set(people.loc[people["nhs_number"].isin(listed), "person_id"])
    reachable = _reachable(demo_run.data_dir, records, listed) & opted
    theirs = _covered_records(records, reachable)
    assert len(reachable) >= 5 and len(theirs) >= 20  # the check looks at real people
    left = _in_warehouse(demo_run.warehouse, theirs)
    assert left.empty, f"records of opted-out people still in the warehouse: {left.groupby(['table', 'feed']).size()}"
    # (records found only through linkage: the test below, which picks a person with such a record)
    assert _load_audit(demo_run.warehouse)["rows_excluded_opt_out_record"].sum() > 0


def _published_rows(data_dir: Path) -> dict[tuple[str, str], int]:
    out = {}
    for path in (data_dir / "pseudonymised").glob("*/period=*/data.parquet"):
        out[(path.parent.parent.name, path.parent.name.removeprefix("period="))] = len(pd.read_parquet(path))
    return out


def _check_reconciliation(data_dir: Path, warehouse: Path) -> pd.DataFrame:
    audit = _load_audit(warehouse)
    assert audit["is_reconciled"].all() and audit["is_opt_out_applied"].all()
    assert (
        audit["rows_received"] == audit["rows_loaded"] + audit["rows_quarantined"] + audit["rows_excluded_opt_out"]
    ).all()
    assert (
        audit["rows_excluded_opt_out"] == audit["rows_excluded_opt_out_record"] + audit["rows_excluded_opt_out_person"]
    ).all()
    reasons = audit["exclusion_reasons"].map(json.loads)
    assert (reasons.map(lambda r: sum(r.values())) == audit["rows_excluded_opt_out"]).all()
    # what load_audit calls loaded is exactly what was published for dbt to read
    published = _published_rows(data_dir)
    loaded = audit[audit["load_status"] == "loaded"]
    for feed, period, n in zip(loaded["feed"], loaded["delivery_period"], loaded["rows_loaded"], strict=True):
        assert published.get((feed, period)) == n, (feed, period)
    # the uncovered feeds lose nothing to the opt-out
    assert audit.loc[~audit["feed"].isin(COVERED), "rows_excluded_opt_out"].sum() == 0
    return audit


def test_counts_reconcile_with_what_was_published(demo_run) -> None:
    _check_reconciliation(demo_run.data_dir, demo_run.warehouse)


def _newcomer(data_dir: Path, people: pd.DataFrame, records: pd.DataFrame, warehouse: Path) -> str:
    """A person not on the list whose covered records are in the warehouse, one of them without an NHS number
    (so only linkage can find it), another carrying it (so the list can reach them), with the most such records."""
    listed = read_opt_out_list(data_dir / "identity")
    numbers = frozenset(people["nhs_number"])
    candidates = people[~people["nhs_number"].isin(listed)]
    candidates = candidates[candidates["person_id"].isin(_reachable(data_dir, records, numbers))]
    covered = records[records["feed"].isin(COVERED) & records["person_id"].isin(set(candidates["person_id"]))]
    blind = covered[covered["identity_errors"].str.contains("nhs_number_missing")]
    counts = covered[covered["person_id"].isin(set(blind["person_id"]))].groupby("person_id").size()
    for person in counts.sort_values(ascending=False).index[:20]:
        theirs = _covered_records(records, {person})
        present = _in_warehouse(warehouse, theirs)
        blind_keys = set(_covered_records(blind[blind["person_id"] == person], {person})["record_key"])
        if len(present) >= 3 and blind_keys & set(present["record_key"]):
            return person
    raise AssertionError("no suitable person in the county")


def test_a_person_added_to_the_list_between_two_runs_disappears_from_it(demo_run, tmp_path: Path) -> None:
    data_dir, warehouse = tmp_path / "data", tmp_path / "warehouse" / "outcomes.duckdb"
    shutil.copytree(demo_run.data_dir, data_dir)
    warehouse.parent.mkdir(parents=True)
    shutil.copy2(demo_run.warehouse, warehouse)
    people, records = _truth(data_dir)
    person = _newcomer(data_dir, people, records, warehouse)
    theirs = _covered_records(records, {person})
    assert not _in_warehouse(warehouse, theirs).empty
    before = _load_audit(warehouse)
    trail_before = pd.read_csv(data_dir / "identity" / TRAIL_FILE)

    nhs = people.set_index("person_id").loc[person, "nhs_number"]
    with (data_dir / "identity" / OPT_OUT_FILE).open("a", encoding="utf-8") as handle:
        handle.write(f"{nhs}\n")  # they opt out; the morning's refresh runs
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HFC_PSEUDONYMISATION", "HFC_MODE"))},
        "HFC_DATA_DIR": str(data_dir),
        "HFC_WAREHOUSE_PATH": str(warehouse),
        "DAGSTER_HOME": str(data_dir / "dagster"),
    }
    run = subprocess.run([sys.executable, "-c", REFRESH], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]

    left = _in_warehouse(warehouse, theirs)
    assert left.empty, f"still in the warehouse after the refresh: {left.groupby(['table', 'feed']).size()}"
    after = _check_reconciliation(data_dir, warehouse)
    newly = int(after["rows_excluded_opt_out"].sum() - before["rows_excluded_opt_out"].sum())
    assert newly > 0
    assert int(before["rows_loaded"].sum() - after["rows_loaded"].sum()) == newly
    assert (after["rows_received"].sum(), after["rows_quarantined"].sum()) == (
        before["rows_received"].sum(),
        before["rows_quarantined"].sum(),
    )
    trail = pd.read_csv(data_dir / "identity" / TRAIL_FILE)
    latest = trail.iloc[len(trail_before) :]
    assert set(latest["applied_by"]) == {"identity/opt_out"}
    # records newly excluded (a record re-sent in two deliveries is one record, two rows)
    assert 0 < latest["rows_newly_excluded"].astype(int).sum() <= newly
    text = (data_dir / "identity" / TRAIL_FILE).read_text()
    assert nhs not in text and person not in text
