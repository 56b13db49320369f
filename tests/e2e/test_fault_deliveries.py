"""Every malformed delivery the generator plants with ``--faults`` is caught, with the reason it expects.

This drives the same loader the ``raw/<feed>`` assets run (reader, duplicate split, Great Expectations
gate), delivery by delivery in order, over a small county with faults.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.landing import new_deliveries
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
    assert len(faults) >= 15
    missed = []
    for fault in faults.itertuples():
        spec = FEED_SPECS[fault.feed]
        result = results[(fault.feed, _period(fault.file))]
        outcome, reason = fault.expected_outcome, fault.expected_reason
        if outcome == "load_with_note":
            ok = result.status == "loaded" and any(NOTE_FOR[reason] in n for n in result.notes)
        elif outcome == "reject_file":
            ok = result.status == "rejected_file" and reason in result.reasons
            ok = ok and (zones.quarantine / fault.feed / f"{fault.file}.reason.json").exists()
        elif outcome == "quarantine_rows":
            ok = result.status == "loaded" and any(k.split(":")[0] == reason for k in result.reasons)
            ok = ok and (zones.quarantine / fault.feed / f"{fault.file}.rows.csv").exists()
        elif outcome == "accept_empty":
            ok = result.status == "loaded" and result.rows_received == 0
        elif outcome == "skip_duplicate":
            _, seen = new_deliveries(spec, zones, {})
            marker = [m for m, name in seen.items() if name == fault.file]
            ok = marker == []  # the copy's content was already seen under the original's name
        elif outcome == "supersede":
            ok = result.file == fault.file and len(result.superseded_files) >= 1
        elif outcome == "load_with_warning":
            ok = result.control_total is not None and result.control_total != result.rows_received
        else:
            ok = False
        if not ok:
            missed.append(f"{fault.feed}/{fault.file}: {fault.fault_kind} -> {result.status} {result.reasons}")
    assert missed == []
