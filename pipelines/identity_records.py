"""Read every feed's accepted rows as canonical person records, the shape linkage takes.

Canonical columns: ``record_id`` (``<feed>:<agency record id>``), ``source`` (the feed), and the
identity fields each feed declares with ``person_field`` (nhs_number, given_name, family_name,
date_of_birth, sex, postcode, address). Identifiable: used inside the identifiable zone only.
"""

from __future__ import annotations

import pandas as pd

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import ACCEPTED_DIR
from pipelines.settings import Zones

CANONICAL = (
    "record_id",
    "source",
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
)


def split_full_name(value: object) -> tuple[str | None, str | None]:
    """'SURNAME, Given' or 'Given Surname' -> (given, family)."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    text = " ".join(value.split())
    if "," in text:
        family, _, given = text.partition(",")
        return given.strip() or None, family.strip() or None
    parts = text.split(" ")
    if len(parts) == 1:
        return None, parts[0]
    return " ".join(parts[:-1]), parts[-1]


def record_id(feed: str, agency_id: object) -> str:
    return f"{feed}:{agency_id}"


def feed_person_records(feed: str, accepted: pd.DataFrame) -> pd.DataFrame:
    spec = FEED_SPECS[feed]
    person = spec.person_columns()
    out = pd.DataFrame(index=accepted.index)
    out["record_id"] = [record_id(feed, v) for v in accepted[spec.record_id]]
    out["source"] = feed
    for field in ("nhs_number", "given_name", "family_name", "sex", "postcode", "address"):
        out[field] = accepted[person[field]].astype("string") if field in person else pd.NA
    if "full_name" in person:
        split = [split_full_name(v) for v in accepted[person["full_name"]]]
        given = pd.Series([g for g, _ in split], index=accepted.index, dtype="string")
        family = pd.Series([f for _, f in split], index=accepted.index, dtype="string")
        out["given_name"] = out["given_name"].fillna(given) if "given_name" in person else given
        out["family_name"] = out["family_name"].fillna(family) if "family_name" in person else family
    if "date_of_birth" in person:
        out["date_of_birth"] = pd.to_datetime(accepted[person["date_of_birth"]], errors="coerce").dt.strftime(
            "%Y-%m-%d"
        )
    else:
        out["date_of_birth"] = pd.NA
    return out[list(CANONICAL)].astype("string")


def all_person_records(zones: Zones) -> pd.DataFrame:
    """Every accepted row of every feed, deduplicated on record_id (a re-sent record counts once)."""
    frames = []
    for feed in FEED_SPECS:
        folder = zones.landing / ACCEPTED_DIR / feed
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
            frames.append(feed_person_records(feed, pd.read_parquet(path)))
    if not frames:
        return pd.DataFrame(columns=list(CANONICAL), dtype="string")
    records = pd.concat(frames, ignore_index=True)
    return records.drop_duplicates("record_id", keep="last").reset_index(drop=True)
