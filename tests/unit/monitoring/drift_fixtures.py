"""Small synthetic pseudonymised deliveries (stable months, then injected drift) for the monitoring tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType, Role
from pipelines.feeds.mh_outcome_measures import MEASURE_ITEMS
from pipelines.settings import Zones

PERIODS = [f"2024-{m:02d}" for m in range(1, 13)]
DRIFT_FROM = "2024-08"
AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65+"]


def _codes(spec_name: str, column: str) -> list[str]:
    for col in FEED_SPECS[spec_name].columns:
        if col.output_name == column and col.codes:
            return list(col.codes)
    raise KeyError(column)


def delivery(feed: str, period: str, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """A delivery shaped like ``pseudonymised/<feed>``: every published column, stable probabilities."""
    spec = FEED_SPECS[feed]
    out: dict[str, object] = {
        "record_key": [f"{period}-{i}" for i in range(rows)],
        "key_id": "test",
        "period": period,
        "age_band": pd.array(rng.choice(AGE_BANDS, rows, p=[0.2, 0.25, 0.2, 0.15, 0.12, 0.08]), dtype="string"),
        "imd_decile": pd.array(rng.integers(1, 11, rows), dtype="Int64"),
        "locality_code": pd.array(rng.choice(["LOC1", "LOC2", "LOC3"], rows), dtype="string"),
    }
    for col in spec.columns:
        name = col.output_name
        if col.role is Role.FREE_TEXT:
            out[name] = pd.array(["Attended. Advice given."] * rows, dtype="string")
        elif col.role is not Role.PLAIN:
            continue
        elif col.dtype is DType.CODE:
            codes = list(col.codes or ())
            weights = np.linspace(1.0, 0.3, len(codes))
            out[name] = pd.array(rng.choice(codes, rows, p=weights / weights.sum()), dtype="string")
        elif col.dtype is DType.BOOLEAN:
            out[name] = pd.array(rng.random(rows) < 0.4, dtype="boolean")
        elif col.dtype is DType.INTEGER:
            out[name] = pd.array(rng.poisson(3, rows), dtype="Int64")
        elif col.dtype in (DType.DATE, DType.DATETIME):
            out[name] = pd.Timestamp(f"{period}-10")
        elif col.dtype is DType.STRING and name.endswith("_id"):
            out[name.removesuffix("_id") + "_key"] = [f"{period}-{i}" for i in range(rows)]
        else:
            out[name] = pd.array(["12:00"] * rows, dtype="string")
    frame = pd.DataFrame(out)
    if feed == "mh_outcome_measures":
        frame = _questionnaires(period, rows, rng)
    return frame


def _questionnaires(period: str, rows: int, rng: np.random.Generator, incomplete: float = 0.03) -> pd.DataFrame:
    """``rows`` assessments of a 10-item measure, item by item; ``incomplete`` of them miss an item."""
    measure = next(code for code, (items, _, _) in MEASURE_ITEMS.items() if items == 10)
    items = MEASURE_ITEMS[measure][0]
    records = []
    for a in range(rows):
        skip = rng.integers(1, items + 1) if rng.random() < incomplete else None
        timepoint = rng.choice(["ROUTINE", "BASELINE", "REVIEW"], p=[0.5, 0.3, 0.2])
        admin = rng.choice(["SELF", "CLIN", "PHONE"], p=[0.5, 0.3, 0.2])
        band = rng.choice(AGE_BANDS)
        day = int(rng.integers(1, 29))  # one sitting per assessment (the design effect's proxy cluster)
        for item in range(1, items + 1):
            records.append(
                {
                    "record_key": f"{period}-{a}-{item}",
                    "key_id": "test",
                    "period": period,
                    "age_band": band,
                    "imd_decile": 5,
                    "locality_code": "LOC1",
                    "assessment_key": f"{period}-{a}",
                    "assessment_date": f"{period}-{day:02d}",
                    "measure_code": measure,
                    "timepoint_code": timepoint,
                    "item_number": item,
                    "item_response": None if item == skip else int(rng.integers(0, 5)),
                    "administration_code": admin,
                }
            )
    frame = pd.DataFrame(records)
    frame["item_response"] = frame["item_response"].astype("Int64")
    frame["item_number"] = frame["item_number"].astype("Int64")
    frame["imd_decile"] = frame["imd_decile"].astype("Int64")
    return frame


def halve_police_tag(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The force stops tagging half its mental-health incidents."""
    tagged = frame["is_mental_health_related"].fillna(False).to_numpy(dtype=bool)
    drop = tagged & (rng.random(len(frame)) < 0.5)
    frame["is_mental_health_related"] = pd.array(np.where(drop, False, tagged), dtype="boolean")
    return frame


def new_ambulance_code(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The service starts a triage code of its own on a share of calls (a code it never used before)."""
    chosen = rng.random(len(frame)) < 0.15
    frame["chief_complaint_code"] = frame["chief_complaint_code"].mask(chosen, "MH_TRIAGE")
    return frame


def empty_ed_column(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A record-system migration stops filling the arrival mode."""
    frame["arrival_mode_code"] = pd.array([None] * len(frame), dtype="string")
    return frame


def collapse_completion(period: str, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """The trust's questionnaires mostly come back with an item missing."""
    return _questionnaires(period, rows, rng, incomplete=0.6)


INJECTED: dict[str, tuple[str, Callable[..., pd.DataFrame]]] = {
    "police_incidents": ("rate:mental_health_tag", halve_police_tag),
    "ambulance_calls": ("new_codes:chief_complaint_code", new_ambulance_code),
    "ed_attendances": ("missing:arrival_mode_code", empty_ed_column),
}
COMPLETION = ("mh_outcome_measures", "rate:questionnaire_completion")


def county(feed: str, rows: int = 300, seed: int = 0, inject: bool = True) -> dict[str, pd.DataFrame]:
    """Twelve monthly deliveries of ``feed``; from ``DRIFT_FROM`` on, its injected drift (if ``inject``)."""
    rng = np.random.default_rng(seed)
    out = {}
    for period in PERIODS:
        drifting = inject and period >= DRIFT_FROM
        if feed == COMPLETION[0] and drifting:
            out[period] = collapse_completion(period, rows, rng)
            continue
        frame = delivery(feed, period, rows, rng)  # for questionnaires: assessments of 10 items
        if drifting and feed in INJECTED:
            frame = INJECTED[feed][1](frame, rng)
        out[period] = frame
    return out


def write_county(root: Path, feed: str, deliveries: dict[str, pd.DataFrame]) -> Zones:
    zones = Zones(root)
    for period, frame in deliveries.items():
        target = zones.pseudonymised / feed / f"period={period}" / "data.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(target, index=False)
    return zones
