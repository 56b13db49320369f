"""The synthetic county's truth about what records are, keyed like the pseudonymised feeds (demo mode only).

The warehouse measures its own classifiers (mental-health identification, feedback themes, the crisis-plan
rule) against what the generator planted. The truth names agency record references, so it is read here, in
the identifiable zone's code, and only keyed record tokens and labels leave: the same tokens the
pseudonymised feeds carry, so dbt can join them. Nothing here is used to classify; it only scores.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.privacy.keys import PseudonymisationKey, tokens

#: Each label table: its columns, in order, as written to the pseudonymised zone.
LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "mental_health": ("feed", "record_key", "is_mental_health_related"),
    "feedback_themes": ("record_key", "theme"),
    "crisis_care_gaps": ("feed", "record_key", "is_plan_in_force"),
}
CLASSIFIED_FEEDS = ("police_incidents", "ambulance_calls", "ed_attendances")


def empty_labels() -> dict[str, pd.DataFrame]:
    """The label tables with no rows: what production mode (no truth) publishes."""
    return {name: pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in cols}) for name, cols in LABEL_COLUMNS.items()}


def _dtype(column: str) -> str:
    return "boolean" if column.startswith("is_") else "string"


def _keyed(key: PseudonymisationKey, frame: pd.DataFrame, feed_column: str | None, feed: str | None) -> pd.Series:
    out = pd.Series(index=frame.index, dtype="string")
    feeds = frame[feed_column].unique().tolist() if feed_column else [feed]
    for name in feeds:
        rows = frame.index if feed_column is None else frame.index[frame[feed_column] == name]
        out.loc[rows] = tokens(key, frame.loc[rows, "record_id"].tolist(), f"record:{name}")
    return out


def truth_labels(truth: Path, key: PseudonymisationKey) -> dict[str, pd.DataFrame]:
    """Read the truth files that exist under ``truth`` and key them; a missing file gives an empty table."""
    labels = empty_labels()
    records = truth / "records.csv"
    if records.exists():
        frame = pd.read_csv(records, dtype=str, usecols=["feed", "record_id", "is_mental_health_related"])
        frame = frame.loc[frame["feed"].isin(CLASSIFIED_FEEDS)].reset_index(drop=True)
        labels["mental_health"] = pd.DataFrame(
            {
                "feed": frame["feed"].astype("string"),
                "record_key": _keyed(key, frame, "feed", None),
                "is_mental_health_related": frame["is_mental_health_related"].eq("1").astype("boolean"),
            }
        ).drop_duplicates(["feed", "record_key"])
    themes = truth / "feedback_themes.csv"
    if themes.exists():
        frame = pd.read_csv(themes, dtype=str).rename(columns={"feedback_id": "record_id"})
        labels["feedback_themes"] = pd.DataFrame(
            {"record_key": _keyed(key, frame, None, "feedback"), "theme": frame["theme"].astype("string")}
        ).drop_duplicates()
    gaps = truth / "crisis_care_gaps.csv"
    if gaps.exists():
        frame = pd.read_csv(gaps, dtype=str)
        labels["crisis_care_gaps"] = pd.DataFrame(
            {
                "feed": frame["feed"].astype("string"),
                "record_key": _keyed(key, frame, "feed", None),
                "is_plan_in_force": frame["plan_in_force"].eq("1").astype("boolean"),
            }
        ).drop_duplicates(["feed", "record_key"])
    return labels
