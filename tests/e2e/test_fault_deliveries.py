"""Every malformed delivery the generator plants with ``--faults`` is caught, with the reason it expects.

This drives the same loader the ``raw/<feed>`` assets run (reader, control totals, duplicate split, Great
Expectations gate), delivery by delivery in order, over a small county with faults, and the landing
folder check the assets run for files that are not a feed's deliveries.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.landing import new_deliveries, stray_files
from pipelines.ingest.load import LoadResult, deliveries_by_period, load_period
from pipelines.settings import Zones
from pipelines.synth import generate

pytestmark = pytest.mark.slow

NOTE_FOR = {
    "utf8_bom": "byte-order mark",
    "encoding_fallback": "cp1252",
    "delimiter": "delimiter",
    "unexpected_columns": "unexpected column",
}


@pytest.fixture(scope="module")
def faulty_county(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Zones, pd.DataFrame, dict[tuple[str, str], LoadResult]]:
    root = tmp_path_factory.mktemp("faults") / "data"
    generate(root, people=2000, months=3, seed=11, faults=True)
    zones = Zones(root)
    others = tuple(FEED_SPECS.values())
    results: dict[tuple[str, str], LoadResult] = {}
    for feed, spec in FEED_SPECS.items():
        for period in sorted(deliveries_by_period(spec, zones)):
            results[(feed, period)] = load_period(spec, period, zones, others)
    faults = pd.read_csv(root / "synth_truth" / "faults.csv", dtype=str, keep_default_na=False)
    return zones, faults, results


def test_every_load_reconciles(faulty_county) -> None:
    _, _, results = faulty_county
    assert results
    assert all(r.reconciles for r in results.values())
    assert all(r.rows_received == r.rows_loaded + r.rows_quarantined + r.rows_excluded for r in results.values())


def _period(file: str) -> str:
    from pipelines.ingest.reader import period_of

    period = period_of(Path(file))
    assert period is not None
    return period


def test_every_planted_fault_is_caught_with_its_reason(faulty_county) -> None:
    zones, faults, results = faulty_county
    assert len(faults) >= 28
    missed = []
    for fault in faults.itertuples():
        spec = FEED_SPECS[fault.feed]
        outcome, reason = fault.expected_outcome, fault.expected_reason
        if outcome == "flag_stray_file":  # not this feed's delivery: no load to look at, the folder check says so
            strays = {s.name: s for s in stray_files(spec, zones, FEED_SPECS.values())}
            stray = strays.get(fault.file)
            ok = reason == "stray_file" and stray is not None and stray.looks_like not in (None, fault.feed)
            ok = ok and fault.file not in {r.file for r in results.values()}
            if not ok:
                missed.append(f"{fault.feed}/{fault.file}: {fault.fault_kind} not named as a stray file")
            continue
        result = results[(fault.feed, _period(fault.file))]
        said = [*result.notes, *(a.message for a in result.alerts)]
        if outcome == "load_with_note":
            ok = result.status == "loaded" and any(NOTE_FOR[reason] in n for n in said)
        elif outcome == "load_with_warning":
            ok = result.status == "loaded" and reason in result.alert_codes
        elif outcome == "reject_file":
            ok = result.status == "rejected_file" and reason in result.reasons
            ok = ok and (zones.quarantine / fault.feed / f"{fault.file}.reason.json").exists()
            # a file held whole reports the rows it holds, as received and quarantined
            ok = ok and result.rows_received == result.rows_quarantined == int(fault.rows_affected)
        elif outcome == "quarantine_rows":
            ok = result.status == "loaded" and any(k.split(":")[0] == reason for k in result.reasons)
            ok = ok and (zones.quarantine / fault.feed / f"{fault.file}.rows.csv").exists()
        elif outcome == "accept_empty":
            ok = result.status == "loaded" and result.rows_received == 0 and reason in result.alert_codes
        elif outcome == "skip_duplicate":
            _, seen = new_deliveries(spec, zones, {})
            marker = [m for m, name in seen.items() if name == fault.file]
            ok = marker == []  # the copy's content was already seen under the original's name
        elif outcome == "supersede":
            ok = result.file == fault.file and len(result.superseded_files) >= 1
        else:
            ok = False
        if not ok:
            missed.append(f"{fault.feed}/{fault.file}: {fault.fault_kind} -> {result.status} {result.reasons}")
    assert missed == []


def _fault(faults: pd.DataFrame, kind: str):
    return next(f for f in faults.itertuples() if f.fault_kind == kind)


def test_a_utf8_delivery_of_a_cp1252_feed_loads_its_names_intact(faulty_county) -> None:
    zones, faults, results = faulty_county
    fault = _fault(faults, "encoding_utf8_upgrade")
    result = results[(fault.feed, _period(fault.file))]
    warning = next(a.message for a in result.alerts if a.code == "encoding_mismatch")
    assert fault.file in warning and "cp1252" in warning and "UTF-8" in warning
    accepted = pd.read_parquet(zones.landing / "_accepted" / fault.feed / f"{_period(fault.file)}.parquet")
    names = accepted["ClientName"].dropna().astype(str)
    assert names.str.contains("[áéïöü]", regex=True).sum() >= 1  # the accented names, decoded as written
    texts = accepted.select_dtypes(include=["string", "object"]).astype(str)
    assert not texts.apply(lambda c: c.str.contains("Ã|Â", regex=True)).any().any()  # nothing garbled


def test_a_date_order_switch_is_held_whole_naming_the_column_and_the_format_seen(faulty_county) -> None:
    _, faults, results = faulty_county
    fault = _fault(faults, "date_order_swapped")
    result = results[(fault.feed, _period(fault.file))]
    assert result.status == "rejected_file" and result.rows_loaded == 0
    assert "%m/%d/%Y" in (result.message or "") and "date column" in (result.message or "")


def test_a_control_total_shortfall_is_held_and_reconciled_with_the_agencys_count(faulty_county) -> None:
    _, faults, results = faulty_county
    fault = _fault(faults, "truncated_extract")
    result = results[(fault.feed, _period(fault.file))]
    assert result.status == "rejected_file"
    assert result.control_total is not None and result.control_difference is not None
    assert result.control_difference < 0 and result.rows_received == int(fault.rows_affected)
