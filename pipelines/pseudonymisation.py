"""Turn one feed's accepted (identifiable) rows into pseudonymised rows, column by column.

What happens to a column is decided by its declared role in the feed spec, never by its name:
- the agency's record reference -> ``record_key`` (keyed HMAC, domain ``record:<feed>``)
- the linked person -> ``person_key``: not here, but in :func:`person_keys`, a separate small table,
  so that re-linking (a merge of two people) re-keys records without re-reading any free text
- date of birth -> ``age_band`` at the contact date; postcode or LSOA -> ``imd_decile`` and ``locality_code`` (the
  programme area: coarse, thousands of people each, from ``reference/lsoa_locality.csv`` when it is delivered)
- free text -> de-identified by the privacy engine (or left out when no engine is given)
- every other identifier (names, NHS number, address, phone, email) -> dropped
- plain columns (codes, event dates, scores, flags) -> kept under their canonical names

:func:`publish_period` is the one way a delivery period reaches ``pseudonymised/<feed>/``: it leaves out the records
the national data opt-out covers (``pipelines.linkage.opt_out``), pseudonymises the rest and counts both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.feeds.base import Column, DType, FeedSpec, Role
from pipelines.linkage.opt_out import (
    OptOut,
    publication_lock,
    published_path,
    withdraw_delivery_counts,
    write_delivery_counts,
)
from pipelines.ops.atomic import write_parquet
from pipelines.privacy.generalise import age_bands
from pipelines.privacy.keys import PseudonymisationKey, ensure_zone_key, tokens
from pipelines.privacy.normalise import normalise_postcode
from pipelines.settings import Zones

LSOA_LOCALITY_FILE = "lsoa_locality.csv"
PROGRAMME_ROLLOUT_FILE = "programme_rollout.csv"

# (texts, the records' own identifiers) -> de-identified texts
Deidentify = Callable[[Sequence[str], Sequence[Mapping[str, str | None]]], list[str]]


@dataclass(frozen=True)
class Reference:
    """Non-identifying lookups delivered beside the feeds: postcode -> LSOA, LSOA -> IMD decile and locality.

    Each file is optional: without ``lsoa_locality.csv`` every ``locality_code`` is null.
    """

    postcode_lsoa: Mapping[str, str]
    lsoa_imd: Mapping[str, int]
    lsoa_locality: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> Reference:
        postcode_lsoa: dict[str, str] = {}
        lsoa_imd: dict[str, int] = {}
        lsoa_locality: dict[str, str] = {}
        pc = folder / "postcode_lsoa.csv"
        if pc.exists():
            frame = pd.read_csv(pc, dtype=str, keep_default_na=False)
            for postcode, lsoa in zip(frame.iloc[:, 0], frame.iloc[:, 1], strict=True):
                norm = normalise_postcode(postcode)
                if norm:
                    postcode_lsoa[norm] = lsoa
        imd = folder / "lsoa_imd.csv"
        if imd.exists():
            frame = pd.read_csv(imd, dtype={"lsoa_code": str, "imd_decile": int})
            lsoa_imd = dict(zip(frame["lsoa_code"], frame["imd_decile"], strict=True))
        locality = folder / LSOA_LOCALITY_FILE
        if locality.exists():
            frame = pd.read_csv(locality, dtype=str, keep_default_na=False, usecols=["lsoa_code", "locality_code"])
            lsoa_locality = {
                lsoa.strip().upper(): code.strip()
                for lsoa, code in zip(frame["lsoa_code"], frame["locality_code"], strict=True)
                if lsoa.strip() and code.strip()
            }
        return cls(postcode_lsoa, lsoa_imd, lsoa_locality)


ROLLOUT_COLUMNS = ("locality_code", "intervention", "go_live_date")


def programme_rollout(folder: Path) -> pd.DataFrame:
    """``reference/programme_rollout.csv`` as a typed table: ``locality_code``, ``intervention``, ``go_live_date``.

    A commissioning fact with no identifiers (which locality runs which intervention from when), so it is copied to
    the pseudonymised zone as it is. A blank date means not live in the period (null). A missing or empty file gives
    an empty table; a missing column or a date that is not ``YYYY-MM-DD`` raises ``ValueError`` naming the file,
    row and column.
    """
    empty = pd.DataFrame(
        {
            "locality_code": pd.Series(dtype="string"),
            "intervention": pd.Series(dtype="string"),
            "go_live_date": pd.Series(dtype="datetime64[ns]"),
        }
    )
    path = folder / PROGRAMME_ROLLOUT_FILE
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        return empty
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ROLLOUT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{PROGRAMME_ROLLOUT_FILE}: missing column(s): {', '.join(missing)}")
    text = {c: frame[c].astype(str).str.strip() for c in ROLLOUT_COLUMNS}
    dates = pd.to_datetime(text["go_live_date"].mask(text["go_live_date"].eq("")), format="%Y-%m-%d", errors="coerce")
    bad = dates.isna() & text["go_live_date"].ne("")
    if bad.any():
        rows = (frame.index[bad] + 2).tolist()[:5]  # file line numbers (header is line 1)
        raise ValueError(f"{PROGRAMME_ROLLOUT_FILE}: column go_live_date is not YYYY-MM-DD on line(s) {rows}")
    blank = text["locality_code"].eq("") | text["intervention"].eq("")
    if blank.any():
        rows = (frame.index[blank] + 2).tolist()[:5]
        raise ValueError(f"{PROGRAMME_ROLLOUT_FILE}: locality_code and intervention are required (line(s) {rows})")
    out = pd.DataFrame(
        {
            "locality_code": text["locality_code"].astype("string"),
            "intervention": text["intervention"].astype("string"),
            "go_live_date": dates.astype("datetime64[ns]"),
        }
    )
    if out.duplicated(["locality_code", "intervention"]).any():
        raise ValueError(f"{PROGRAMME_ROLLOUT_FILE}: more than one row for a locality_code and intervention")
    return out.reset_index(drop=True)


def _as_text(series: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in series]


def pseudonymise_frame(
    spec: FeedSpec,
    accepted: pd.DataFrame,
    key: PseudonymisationKey,
    reference: Reference,
    period: str,
    deidentify: Deidentify | None = None,
) -> pd.DataFrame:
    """Pseudonymise ``accepted`` (native column names): one output row per accepted row."""
    out = pd.DataFrame(index=accepted.index)
    out["record_key"] = tokens(key, _as_text(accepted[spec.record_id]), f"record:{spec.name}")
    out["key_id"] = key.key_id
    out["period"] = period

    person = spec.person_columns()
    event_at = pd.to_datetime(accepted[spec.event_at], errors="coerce")
    if "date_of_birth" in person:
        out["age_band"] = age_bands(accepted[person["date_of_birth"]], event_at).astype("string")
    lsoa: pd.Series | None = None
    if "lsoa" in person:
        lsoa = accepted[person["lsoa"]].astype("string").str.strip().str.upper()
    if "postcode" in person:
        from_postcode = pd.Series(
            [reference.postcode_lsoa.get(normalise_postcode(v) or "") for v in accepted[person["postcode"]]],
            index=accepted.index,
            dtype="string",
        )
        lsoa = from_postcode if lsoa is None else lsoa.fillna(from_postcode)
    if lsoa is not None:
        out["imd_decile"] = pd.array([reference.lsoa_imd.get(v) if isinstance(v, str) else None for v in lsoa], "Int64")
        out["locality_code"] = pd.array(
            [reference.lsoa_locality.get(v) if isinstance(v, str) else None for v in lsoa], dtype="string"
        )

    free_text = spec.by_role(Role.FREE_TEXT)
    if free_text and deidentify is not None:
        known = _known_identifiers(spec, accepted)
        for col in free_text:
            texts = ["" if pd.isna(v) else str(v) for v in accepted[col.name]]
            cleaned = deidentify(texts, known)
            out[col.output_name] = pd.array(
                [None if pd.isna(orig) else new for orig, new in zip(accepted[col.name], cleaned, strict=True)],
                dtype="string",
            )

    keyed = {c.name: (out_name, domain) for out_name, (c, domain) in secondary_keys(spec).items()}
    for col in spec.columns:
        if col.role is not Role.PLAIN:
            continue
        if col.name in keyed:
            out_name, domain = keyed[col.name]
            out[out_name] = tokens(key, _as_text(accepted[col.name]), domain)
        else:
            out[col.output_name] = accepted[col.name]
    return out.reset_index(drop=True)


def secondary_keys(spec: FeedSpec) -> dict[str, tuple[Column, str]]:
    """The feed's other agency references (an assessment or episode id), keyed like the record id in their own
    domain because they are linkable back to the agency's system: output column -> (the spec's column, domain)."""
    return {
        col.output_name.removesuffix("_id") + "_key": (col, f"{spec.name}:{col.output_name}")
        for col in spec.columns
        if col.role is Role.PLAIN and col.dtype is DType.STRING and col.output_name.endswith("_id")
    }


def token_domains(spec: FeedSpec) -> dict[str, str]:
    """Every keyed column of the feed's published rows -> its token domain (what a key rotation recomputes)."""
    return {"record_key": f"record:{spec.name}", **{out: domain for out, (_, domain) in secondary_keys(spec).items()}}


#: In the identity zone: per feed and period, the agency references behind each keyed column of what was published
#: (``domain``, ``value``), so a key rotation can recompute every token after retention purges the accepted rows.
TOKEN_VALUES_DIR = "token_values"


def token_values_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.identity / TOKEN_VALUES_DIR / feed / f"{period}.parquet"


def _write_token_values(spec: FeedSpec, zones: Zones, period: str, accepted: pd.DataFrame) -> None:
    parts = [pd.DataFrame({"domain": f"record:{spec.name}", "value": _as_text(accepted[spec.record_id])})]
    for col, domain in secondary_keys(spec).values():
        parts.append(pd.DataFrame({"domain": domain, "value": _as_text(accepted[col.name])}))
    frame = pd.concat(parts, ignore_index=True).dropna().drop_duplicates().reset_index(drop=True)
    write_parquet(frame.astype({"domain": "string", "value": "string"}), token_values_path(zones, spec.name, period))


@dataclass
class Published:
    """One period's publication: rows written and, per accepted row, the opt-out's reason (None: published)."""

    period: str
    rows: int
    reasons: pd.Series | None  # None when there was nothing to publish (no accepted rows for the period)


def publish_period(
    spec: FeedSpec,
    zones: Zones,
    period: str,
    key: PseudonymisationKey,
    reference: Reference,
    opt_out: OptOut,
    deidentify: Deidentify | None = None,
    run_id: str = "",
    applied_by: str = "",
) -> Published:
    """Publish one delivery period: accepted rows minus the opt-out's, pseudonymised, with the opt-out's counts.

    No accepted rows (the delivery was rejected whole or never came) withdraws what an earlier delivery published.
    """
    where = f"pseudonymised/{spec.name} {period}"
    ensure_zone_key(zones.pseudonymised, key, where)  # never mix key ids: refused before any work
    source = _accepted_path(zones, spec.name, period)
    target = published_path(zones, spec.name, period)
    if not source.exists() and target.exists() and _purged(zones, spec.name, period):
        import pyarrow.parquet as pq  # purged under retention: the published partition is all that is left; keep it

        return Published(period, pq.read_metadata(target).num_rows, None)
    if not source.exists():
        with publication_lock(zones, spec.name):
            target.unlink(missing_ok=True)
            withdraw_delivery_counts(zones, spec.name, period)
        return Published(period, 0, None)
    accepted = pd.read_parquet(source)
    reasons = opt_out.reasons(spec, accepted)
    frame = pseudonymise_frame(spec, accepted.loc[reasons.isna()], key, reference, period, deidentify)
    with publication_lock(zones, spec.name):
        # Again, holding the lock `hfc rotate-key` holds to rewrite this feed's partitions and to record the new key
        # id: a rotation that finished while this delivery was being pseudonymised must not get old tokens after it.
        ensure_zone_key(zones.pseudonymised, key, where)
        _write_token_values(spec, zones, period, accepted.loc[reasons.isna()])
        write_parquet(frame, target)
        write_delivery_counts(zones, spec.name, period, reasons, applied_by or f"pseudonymised/{spec.name}", run_id)
    return Published(period, len(frame), reasons)


def _purged(zones: Zones, feed: str, period: str) -> bool:
    from pipelines.ops.retention import is_purged

    return is_purged(zones, feed, period)


def _accepted_path(zones: Zones, feed: str, period: str) -> Path:
    from pipelines.ingest.load import accepted_path

    return accepted_path(zones, feed, period)


ALTERNATIVE_LINKAGES = ("strict", "lenient")


def person_keys(spine: pd.DataFrame, key: PseudonymisationKey) -> pd.DataFrame:
    """The identity spine (``source``, ``record_id``, ``person_id``) as keyed tokens only.

    One row per agency record: ``feed``, ``record_key`` (as in the feed's pseudonymised rows) and
    ``person_key``; and ``person_key_strict``, ``person_key_lenient``: the person under the strict and the lenient
    linkage (``pipelines.linkage.spine.alternative_person_ids``), keyed in the same ``person`` domain, so a person
    the alternative linkage leaves whole has the same key in all three. A spine written before the alternative
    linkages existed gives them null (the next linkage run fills them). The person id and the agency id stay in the
    identifiable zone.
    """
    out = pd.DataFrame({"feed": spine["source"].astype(str).to_numpy()})
    record_keys = pd.Series(index=out.index, dtype="object")
    for feed, idx in out.groupby("feed").groups.items():
        record_keys.loc[idx] = tokens(key, _as_text(spine["record_id"].iloc[idx]), f"record:{feed}")
    out["record_key"] = record_keys
    out["person_key"] = tokens(key, _as_text(spine["person_id"]), "person")
    for linkage in ALTERNATIVE_LINKAGES:
        column = f"person_id_{linkage}"
        ids = _as_text(spine[column]) if column in spine.columns else [None] * len(spine)
        out[f"person_key_{linkage}"] = tokens(key, ids, "person")
    out["key_id"] = key.key_id
    return out


def _known_identifiers(spec: FeedSpec, accepted: pd.DataFrame) -> list[dict[str, str | None]]:
    """Each record's own structured identifiers, so they are always removed from its own narrative."""
    person = {field: col for field, col in spec.person_columns().items() if spec.column(col).role is Role.IDENTIFIER}
    records: list[dict[str, str | None]] = [{} for _ in range(len(accepted))]
    for field, col in person.items():
        for i, value in enumerate(accepted[col]):
            records[i][field] = None if pd.isna(value) else str(value)
    return records
