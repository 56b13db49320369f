"""The national data opt-out, applied to people, not records, after linkage.

A person who has registered a national data opt-out has it recorded against their NHS number. Their confidential
patient information must not be used for research or planning, whichever record of theirs happens to carry the
number: an ED attendance typed without it is still theirs. So the opt-out is applied in two places, both reading
the list afresh (``identity/national_data_opt_out.csv``, NHS numbers, identifiable zone only):

- at publication (``pseudonymised/<feed>``): a record whose own NHS number is on the list, or whose person in the
  last identity spine has an NHS number on the list on any record, is not pseudonymised;
- after every linkage run (``identity/opt_out``): the same rule over the whole new spine, re-applied to every
  published partition. A person linked to an opted-out NHS number since (a new record carried it, or they opted out
  since) disappears from ``pseudonymised/<feed>/`` and so from the warehouse; a person who withdrew their opt-out
  is published again.

What is in scope (:func:`opt_out_scope`) follows NHS England's policy: confidential patient information about health
and adult social care (see DEVELOPERS.md): every row of the ambulance, ED and mental health trust feeds and of the
programme caseload, and the adult social care rows of the council's feed; not police logs, the council's housing
rows or the feedback platform.

Every exclusion is counted per delivery with its reason, ``national_data_opt_out`` (the record's own NHS number) or
``national_data_opt_out_person`` (another record of the same person), in ``pseudonymised/_opt_out/<feed>/
<period>.parquet`` (counts only; the warehouse's ``marts.load_audit`` adds them to the reconciliation), and every
application is appended to ``identity/opt_out_audit_trail.csv`` (counts per feed, no NHS numbers, no person ids).
The list itself and the excluded records (``identity/opt_out_excluded_records.parquet``) never leave the identity
zone.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipelines.feeds.base import FeedSpec
from pipelines.ops.atomic import append_csv, write_parquet
from pipelines.privacy.keys import PseudonymisationKey, check_key_ids, ensure_zone_key, tokens
from pipelines.privacy.normalise import normalise_nhs_number
from pipelines.settings import Zones

OPT_OUT_FILE = "national_data_opt_out.csv"
EXCLUDED_FILE = "opt_out_excluded_records.parquet"
TRAIL_FILE = "opt_out_audit_trail.csv"
LOCK_DIR = "locks"
AUDIT_DIR = "_opt_out"
ACCEPTED_DIR = "_accepted"
LOAD_AUDIT_DIR = "_load_audit"
REASON_RECORD = "national_data_opt_out"
REASON_PERSON = "national_data_opt_out_person"
TRAIL_COLUMNS = (
    "run_id",
    "at",
    "applied_by",
    "feed",
    "list_size",
    "list_sha256",
    "deliveries",
    "rows_excluded",
    "rows_excluded_record",
    "rows_excluded_person",
    "rows_newly_excluded",
    "rows_reinstated",
    "partitions_rewritten",
    "partitions_republished",
)


@dataclass(frozen=True)
class Scope:
    """Which rows of a feed the opt-out covers: all of them, or those whose ``column`` holds one of ``values``."""

    column: str | None = None  # native column name; None: every row
    values: frozenset[str] = frozenset()

    def native_mask(self, rows: pd.DataFrame) -> pd.Series:
        if self.column is None:
            return pd.Series(True, index=rows.index)
        return rows[self.column].astype("string").str.strip().isin(self.values).fillna(False).astype(bool)

    def published_mask(self, spec: FeedSpec, rows: pd.DataFrame) -> pd.Series:
        """The same rule on pseudonymised rows, where the column has its canonical name."""
        if self.column is None:
            return pd.Series(True, index=rows.index)
        out = spec.column(self.column).output_name
        if out not in rows.columns:  # cannot tell: treat the row as in scope, so nothing in scope is kept
            return pd.Series(True, index=rows.index)
        return rows[out].astype("string").str.strip().isin(self.values).fillna(False).astype(bool)


# Feeds (and rows) holding confidential patient information about health or adult social care. A feed whose spec
# says ``subject_to_opt_out`` is always covered whole; this table adds what the specs do not say.
EXTRA_SCOPE: dict[str, Scope] = {
    # the programme records each person's care episodes under a publicly funded, coordinated health programme
    # (stepped up to a high intensity team, why stepped down), with their NHS and trust patient numbers
    "programme_caseload": Scope(),
    # the council's adult social care contacts are care records; its housing-options contacts are not
    "council_contacts": Scope("Service", frozenset({"ASC"})),
}


def opt_out_scope(spec: FeedSpec) -> Scope | None:
    """The rows of ``spec`` the national data opt-out covers, or None for a feed it does not cover."""
    if spec.subject_to_opt_out:
        return Scope()
    return EXTRA_SCOPE.get(spec.name)


def read_opt_out_list(identity_dir: Path) -> frozenset[str]:
    """NHS numbers on the national data opt-out (column ``nhs_number``), normalised; no file means no one."""
    path = Path(identity_dir) / OPT_OUT_FILE
    if not path.exists():
        return frozenset()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "nhs_number" not in frame.columns:
        raise ValueError(f"{OPT_OUT_FILE}: missing required column nhs_number")
    return frozenset(n for n in (normalise_nhs_number(v) for v in frame["nhs_number"]) if n)


def _normalised(values: pd.Series) -> pd.Series:
    uniques = {v: normalise_nhs_number(v) for v in values.dropna().astype(str).unique()}
    return values.astype("object").map(lambda v: uniques.get(str(v)) if isinstance(v, str) else None)


@dataclass(frozen=True)
class OptOut:
    """The list, and the people of the identity spine it covers."""

    numbers: frozenset[str]
    person_records: frozenset[tuple[str, str]]  # (source, record_id) of every record of an opted-out person
    people: int  # spine people with an opted-out NHS number on any record

    @classmethod
    def load(cls, identity_dir: Path) -> OptOut:
        from pipelines.linkage.spine import read_spine

        numbers = read_opt_out_list(identity_dir)
        spine = read_spine(identity_dir)
        if not numbers or not len(spine) or "nhs_number" not in spine.columns:
            return cls(numbers, frozenset(), 0)
        on_list = _normalised(spine["nhs_number"]).isin(numbers)
        people = set(spine.loc[on_list, "person_id"])
        theirs = spine[spine["person_id"].isin(people)]
        records = frozenset(zip(theirs["source"].astype(str), theirs["record_id"].astype(str), strict=True))
        return cls(numbers, records, len(people))

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the sorted list, so the trail shows which list a run applied (identity zone only)."""
        return hashlib.sha256("\n".join(sorted(self.numbers)).encode()).hexdigest()

    def reasons(self, spec: FeedSpec, rows: pd.DataFrame) -> pd.Series:
        """Per native row: ``REASON_RECORD``, ``REASON_PERSON`` or None (published). Out-of-scope rows are None."""
        out = pd.Series(None, index=rows.index, dtype="object")
        scope = opt_out_scope(spec)
        if scope is None or not len(rows) or not (self.numbers or self.person_records):
            return out
        in_scope = scope.native_mask(rows)
        nhs_column = spec.person_columns().get("nhs_number")
        own = (
            _normalised(rows[nhs_column]).isin(self.numbers)
            if nhs_column is not None and nhs_column in rows.columns and self.numbers
            else pd.Series(False, index=rows.index)
        )
        ids = rows[spec.record_id].astype("string").str.strip()
        person = pd.Series([(spec.name, i) in self.person_records for i in ids.fillna("")], index=rows.index)
        own_hit = (in_scope & own).to_numpy(dtype=bool)
        person_hit = (in_scope & person).to_numpy(dtype=bool)
        reason = np.where(own_hit, REASON_RECORD, np.where(person_hit, REASON_PERSON, None))
        return pd.Series(reason, index=rows.index, dtype="object")


# -- files ----------------------------------------------------------------------------------------------------------


def audit_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.pseudonymised / AUDIT_DIR / feed / f"{period}.parquet"


def published_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.pseudonymised / feed / f"period={period}" / "data.parquet"


def _accepted_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.landing / ACCEPTED_DIR / feed / f"{period}.parquet"


_HELD = threading.local()  # feeds whose publication lock this thread holds (the lock is re-entrant per thread)


@contextmanager
def publication_lock(zones: Zones, feed: str) -> Iterator[None]:
    """One writer at a time for a feed's published partitions: a delivery being published and the opt-out being
    re-applied must not interleave (the lock file is in the identity zone, away from what dbt reads). Re-entrant
    within a thread, so re-applying the opt-out can republish a period while it holds the lock."""
    held: dict[str, int] = getattr(_HELD, "feeds", None) or {}
    _HELD.feeds = held
    key = f"{zones.root}:{feed}"
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    folder = zones.identity / LOCK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{feed}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held[key] = 1
        try:
            yield
        finally:
            held[key] = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_parquet(frame: pd.DataFrame, target: Path) -> None:
    write_parquet(frame, target)


def _delivery_of(zones: Zones, feed: str, period: str) -> tuple[str | None, str | None]:
    """(source file, content hash) of the load the accepted rows came from, as ingest recorded it."""
    path = zones.pseudonymised / LOAD_AUDIT_DIR / feed / f"{period}.parquet"
    if not path.exists():
        return None, None
    row = pd.read_parquet(path, columns=["source_file", "content_sha256"]).iloc[0]
    return (
        None if pd.isna(row["source_file"]) else str(row["source_file"]),
        None if pd.isna(row["content_sha256"]) else str(row["content_sha256"]),
    )


def write_delivery_counts(
    zones: Zones, feed: str, period: str, reasons: pd.Series, applied_by: str, run_id: str
) -> dict[str, object]:
    """The opt-out's counts for one delivery (counts, reason codes, file name and hash: no values)."""
    source_file, digest = _delivery_of(zones, feed, period)
    n_record = int((reasons == REASON_RECORD).sum())
    n_person = int((reasons == REASON_PERSON).sum())
    row: dict[str, object] = {
        "feed": feed,
        "period": period,
        "source_file": source_file,
        "content_sha256": digest,
        "rows_accepted": len(reasons),
        "rows_excluded_record": n_record,
        "rows_excluded_person": n_person,
        "rows_published": len(reasons) - n_record - n_person,
        "applied_by": applied_by,
        "run_id": run_id,
        "applied_at": datetime.now(UTC).replace(tzinfo=None),
    }
    _write_parquet(pd.DataFrame([row]), audit_path(zones, feed, period))
    return row


def withdraw_delivery_counts(zones: Zones, feed: str, period: str) -> None:
    audit_path(zones, feed, period).unlink(missing_ok=True)


def append_trail(zones: Zones, rows: list[dict[str, object]]) -> None:
    """Append to the audit trail (identity zone, append-only): one row per feed per application."""
    if not rows:
        return
    path = zones.identity / TRAIL_FILE
    locks = zones.identity / LOCK_DIR
    locks.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=list(TRAIL_COLUMNS))
    with (locks / "trail.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        append_csv(frame, path)  # never a partial line, even on a full disk


def read_trail(zones: Zones) -> pd.DataFrame:
    path = zones.identity / TRAIL_FILE
    if not path.exists():
        return pd.DataFrame(columns=list(TRAIL_COLUMNS))
    return pd.read_csv(path, keep_default_na=False)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# -- re-applying the opt-out to everything published ------------------------------------------------------------------


@dataclass
class FeedApplication:
    """What re-applying the opt-out did to one feed (counts only)."""

    feed: str
    deliveries: int = 0
    rows_excluded_record: int = 0
    rows_excluded_person: int = 0
    rows_newly_excluded: int = 0
    rows_reinstated: int = 0
    rewritten: list[str] = field(default_factory=list)  # periods whose published partition lost rows
    republished: list[str] = field(default_factory=list)  # periods published again (a withdrawn opt-out, a new key)
    removed: list[str] = field(default_factory=list)  # partitions withdrawn (none since key ids are never mixed)

    @property
    def rows_excluded(self) -> int:
        return self.rows_excluded_record + self.rows_excluded_person


# Re-publish one delivery period of a feed from its accepted rows (pseudonymise, de-identify, write, count).
Republish = Callable[[FeedSpec, str], None]


def _periods(folder: Path, pattern: str) -> list[str]:
    return sorted(p.stem for p in folder.glob(pattern)) if folder.is_dir() else []


_SPINE_NHS: dict[tuple[str, int, int], pd.DataFrame] = {}


def _spine_nhs(zones: Zones) -> pd.DataFrame:
    """``source, record_id, nhs_number`` of the stored spine, read once per version of the file."""
    from pipelines.linkage.spine import RECORDS_FILE

    path = zones.identity / RECORDS_FILE
    if not path.exists():
        return pd.DataFrame(columns=["source", "record_id", "nhs_number"])
    stat = path.stat()
    marker = (str(path), stat.st_size, stat.st_mtime_ns)
    if marker not in _SPINE_NHS:
        _SPINE_NHS.clear()
        present = set(pq.read_schema(path).names)
        frame = pd.read_parquet(path, columns=[c for c in ("source", "record_id", "nhs_number") if c in present])
        _SPINE_NHS[marker] = frame.astype({"source": str, "record_id": str})
    return _SPINE_NHS[marker]


def _purged_rows(zones: Zones, spec: FeedSpec, period: str) -> pd.DataFrame | None:
    """A period purged under retention (``pipelines.ops.retention``), as the opt-out reads accepted rows: its record
    references with the NHS number the spine stored for each, and whether the row was in scope; None if not purged."""
    from pipelines.ops.retention import is_purged, purged_records

    if not is_purged(zones, spec.name, period):
        return None
    purged = purged_records(zones, spec.name, period)  # empty for a delivery that had no accepted rows
    spine = _spine_nhs(zones)
    mine = spine[spine["source"] == spec.name].drop_duplicates("record_id", keep="last").set_index("record_id")
    ids = purged["record_id"].astype(str)
    out = pd.DataFrame({spec.record_id: ids.to_numpy()})
    nhs = spec.person_columns().get("nhs_number")
    if nhs is not None:
        values = mine["nhs_number"] if "nhs_number" in mine.columns else pd.Series(dtype=object)
        out[nhs] = values.reindex(ids).to_numpy(dtype=object)
    scope = opt_out_scope(spec)
    if scope is not None and scope.column is not None:
        inside = next(iter(sorted(scope.values)))
        out[scope.column] = [inside if s else "" for s in purged["in_opt_out_scope"].astype(bool)]
    return out


def _opt_out_rows(zones: Zones, spec: FeedSpec, period: str, columns: list[str]) -> pd.DataFrame:
    """The period's accepted rows (``columns``), or, once purged under retention, what the opt-out needs of them."""
    path = _accepted_path(zones, spec.name, period)
    if path.exists():
        return pd.read_parquet(path, columns=columns)
    rows = _purged_rows(zones, spec, period)
    if rows is None:
        return pd.read_parquet(path, columns=columns)  # raises: neither accepted nor purged
    return rows[[c for c in columns if c in rows.columns]]


def _opt_out_periods(zones: Zones, spec: FeedSpec) -> list[str]:
    """Periods with accepted rows, and periods purged under retention whose record references were kept."""
    from pipelines.ops.retention import purged_periods

    accepted = set(_periods(zones.landing / ACCEPTED_DIR / spec.name, "*.parquet"))
    return sorted(accepted | set(purged_periods(zones, spec.name)))


def excluded_records(zones: Zones, specs: list[FeedSpec], opt_out: OptOut) -> pd.DataFrame:
    """Every accepted record the opt-out covers now: ``source, record_id, period, reason`` (identifiable zone).

    Records of periods purged under retention count too (from the references and spine values kept), so that a purge
    neither reinstates an excluded record's person key nor reports it as reinstated."""
    frames = []
    for spec in specs:
        scope = opt_out_scope(spec)
        if scope is None:
            continue
        columns = [spec.record_id]
        nhs = spec.person_columns().get("nhs_number")
        columns += [c for c in (nhs, scope.column) if c is not None and c not in columns]
        for period in _opt_out_periods(zones, spec):
            rows = _opt_out_rows(zones, spec, period, columns)
            reasons = opt_out.reasons(spec, rows)
            hit = reasons.notna()
            frames.append(
                pd.DataFrame(
                    {
                        "source": spec.name,
                        "record_id": rows.loc[hit, spec.record_id].astype(str).to_numpy(),
                        "period": period,
                        "reason": reasons[hit].to_numpy(),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["source", "record_id", "period", "reason"])
    return pd.concat(frames, ignore_index=True)


def apply_opt_out(
    zones: Zones,
    specs: list[FeedSpec],
    key: PseudonymisationKey,
    republish: Republish,
    applied_by: str = "identity/opt_out",
) -> tuple[list[FeedApplication], OptOut]:
    """Re-apply the opt-out to every published partition of the feeds it covers; count and record it.

    For each covered feed, under its publication lock: count each delivery's exclusions by reason, drop excluded
    rows from the published partitions that still hold them (by their keyed record token, no re-processing),
    and republish periods holding a record that is no longer excluded (its opt-out was withdrawn). A partition keyed
    with another key is never trusted nor silently re-keyed: the run stops before rewriting anything
    (:func:`pipelines.privacy.keys.ensure_zone_key`; ``hfc rotate-key`` re-keys a zone). The excluded records are kept
    in the identity zone for the next run's comparison.
    """
    ensure_zone_key(zones.pseudonymised, key, "identity/opt_out")  # before anything is rewritten
    opt_out = OptOut.load(zones.identity)
    run_id = new_run_id()
    covered = [s for s in specs if opt_out_scope(s) is not None]
    now = excluded_records(zones, covered, opt_out)
    state_path = zones.identity / EXCLUDED_FILE
    before = (
        pd.read_parquet(state_path)
        if state_path.exists()
        else pd.DataFrame(columns=["source", "record_id", "period", "reason"])
    )
    results: list[FeedApplication] = []
    trail: list[dict[str, object]] = []
    for spec in covered:
        scope = opt_out_scope(spec)
        assert scope is not None
        result = FeedApplication(spec.name)
        mine = now[now["source"] == spec.name]
        previous = before[before["source"] == spec.name]
        now_ids = set(mine["record_id"])
        before_ids = set(previous["record_id"])
        result.rows_newly_excluded = len(now_ids - before_ids)
        reinstated = previous[~previous["record_id"].isin(now_ids)]
        result.rows_reinstated = int(reinstated["record_id"].nunique())
        # records of opted-out people that only the spine knows (a partition whose accepted rows were withdrawn)
        spine_only = sorted(rid for source, rid in opt_out.person_records if source == spec.name)
        drop_tokens = set(tokens(key, sorted(now_ids | set(spine_only)), f"record:{spec.name}"))
        with publication_lock(zones, spec.name):
            accepted_folder = zones.landing / ACCEPTED_DIR / spec.name
            accepted_periods = set(_periods(accepted_folder, "*.parquet"))
            to_republish = set(reinstated["period"]) & accepted_periods
            published = _periods(zones.pseudonymised / spec.name, "period=*")
            for folder_name in published:
                period = folder_name.removeprefix("period=")
                target = published_path(zones, spec.name, period)
                if not target.exists() or period in to_republish:
                    continue
                present = set(pq.read_schema(target).names)
                wanted = ["record_key", "key_id"]
                if scope.column is not None:
                    wanted.append(spec.column(scope.column).output_name)
                frame = pd.read_parquet(target, columns=[c for c in wanted if c in present])
                if "key_id" in frame.columns:  # a token of another key would never match: refuse, never guess
                    check_key_ids(frame["key_id"].unique(), key, f"pseudonymised/{spec.name} {period}")
                drop = frame["record_key"].isin(drop_tokens) & scope.published_mask(spec, frame)
                if drop.any():
                    whole = pd.read_parquet(target)
                    _write_parquet(whole.loc[~drop.to_numpy()].reset_index(drop=True), target)
                    result.rewritten.append(period)
            for period in sorted(to_republish):
                republish(spec, period)
                result.republished.append(period)
            for period in _opt_out_periods(zones, spec):  # purged periods too: their counts follow their partitions
                if not published_path(zones, spec.name, period).exists():
                    continue  # accepted but not (yet) published: its publication will count it
                rows_reasons = _period_reasons(zones, spec, period, opt_out)
                write_delivery_counts(zones, spec.name, period, rows_reasons, applied_by, run_id)
                result.deliveries += 1
                result.rows_excluded_record += int((rows_reasons == REASON_RECORD).sum())
                result.rows_excluded_person += int((rows_reasons == REASON_PERSON).sum())
        results.append(result)
        trail.append(_trail_row(run_id, applied_by, opt_out, result))
    _write_parquet(now, state_path)
    append_trail(zones, trail)
    return results, opt_out


def _period_reasons(zones: Zones, spec: FeedSpec, period: str, opt_out: OptOut) -> pd.Series:
    scope = opt_out_scope(spec)
    columns = [spec.record_id]
    nhs = spec.person_columns().get("nhs_number")
    columns += [c for c in (nhs, scope.column if scope else None) if c is not None and c not in columns]
    rows = _opt_out_rows(zones, spec, period, columns)
    return opt_out.reasons(spec, rows)


def _trail_row(run_id: str, applied_by: str, opt_out: OptOut, result: FeedApplication) -> dict[str, object]:
    return {
        "run_id": run_id,
        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "applied_by": applied_by,
        "feed": result.feed,
        "list_size": len(opt_out.numbers),
        "list_sha256": opt_out.fingerprint,
        "deliveries": result.deliveries,
        "rows_excluded": result.rows_excluded,
        "rows_excluded_record": result.rows_excluded_record,
        "rows_excluded_person": result.rows_excluded_person,
        "rows_newly_excluded": result.rows_newly_excluded,
        "rows_reinstated": result.rows_reinstated,
        "partitions_rewritten": len(result.rewritten),
        "partitions_republished": len(result.republished),
    }


def publication_trail_row(
    run_id: str, opt_out: OptOut, feed: str, deliveries: int, reasons: list[pd.Series]
) -> dict[str, object]:
    """The trail's row for a publication run of ``pseudonymised/<feed>`` (exclusions made as deliveries are
    published, before the next linkage run re-applies the opt-out)."""
    n_record = sum(int((r == REASON_RECORD).sum()) for r in reasons)
    n_person = sum(int((r == REASON_PERSON).sum()) for r in reasons)
    result = FeedApplication(feed, deliveries=deliveries, rows_excluded_record=n_record, rows_excluded_person=n_person)
    return _trail_row(run_id, f"pseudonymised/{feed}", opt_out, result) | {
        "rows_newly_excluded": "",
        "rows_reinstated": "",
    }


def excluded_keys(zones: Zones, specs: list[FeedSpec], key: PseudonymisationKey) -> pd.DataFrame:
    """``feed, record_key`` of every accepted record the opt-out excludes now (to drop them from ``person_keys``:
    a person key row for an ED record would say, by its feed alone, that the person attended)."""
    frame = excluded_records(zones, specs, OptOut.load(zones.identity))
    parts = [
        pd.DataFrame({"feed": feed, "record_key": tokens(key, group["record_id"].astype(str), f"record:{feed}")})
        for feed, group in frame.groupby("source")
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["feed", "record_key"])
