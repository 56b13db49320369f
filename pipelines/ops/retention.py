"""Retention: ``hfc purge --older-than`` removes identifiable-zone data of old delivery periods, once it is safe.

For each feed and delivery period that ended before the cut-off (``config/retention.yaml``'s ``older_than``, or
``--older-than``), three things are removed: the delivery files in ``landing/<feed>/`` (every delivery of the feed
for the period, superseded ones and ``.ctl`` control totals included; a file there that is not one of the feed's
deliveries, which ingest reports as a stray, stays), the accepted rows ``landing/_accepted/<feed>/<period>.parquet``
and the quarantine files of the period (``quarantine/<feed>/<file>``, ``.rows.csv``, ``.reason.json``). Only when:

- the delivery was loaded: its load audit (``pseudonymised/_load_audit``) says ``loaded``, the newest landing file
  for the period has the content hash the audit recorded (a newer file not yet loaded keeps the period), and the
  pseudonymised partition exists and was published from that load (its opt-out counts carry the same hash);
- its linkage is kept: every accepted record is in the identity spine (``identity/spine_records.parquet`` and
  ``record_person.parquet``) with the identity values the accepted rows hold (a correction not yet linked keeps it).

Kept, always: the pseudonymised partitions, load audits and opt-out counts, person keys, the warehouse, and the
identity zone (the spine keeps every record's reference and the identity values linkage compares; person ids stay
stable only because it does). A purge leaves a marker per period in ``landing/_purged/<feed>/<period>.json`` (counts
and file names) and the period's record references with their opt-out scope (``<period>.records.parquet``), so that:
ingest does not report a purged period as "no delivery" (and withdraw its partition), publication does not withdraw
a partition whose accepted rows are gone, the spine is given the purged records' stored values (they are not "gone"),
and the opt-out keeps covering them. Each period purged is an audit entry (``retention.purge``).

Each feed is checked again and purged holding the feed's ingest lock (``pipelines.ingest.load.ingest_lock``), which
every load of the feed holds, so a purge never removes a file an ingest is reading or writing. The marker is written
before anything is removed, so a purge killed half way is finished by the next one (the files
it had checked and listed only: a delivery landed since stays, and ingest loads it once the purge is finished).
This module reads identifiable zones (landing, quarantine, identity): it reports counts, periods and file names only.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.ops.atomic import remove_stale, write_parquet, write_text
from pipelines.settings import REPO_ROOT, Zones

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.feeds.base import FeedSpec

CONFIG_FILE = REPO_ROOT / "config" / "retention.yaml"
PURGED_DIR = "_purged"
RECORD_PERSON_FILE = "record_person.parquet"  # pipelines.defs.linkage.assets.SPINE_FILE (that module loads Dagster)
_DURATION = re.compile(r"^\s*(\d+)\s*(m|mo|mon|month|months|y|yr|year|years|d|day|days)?\s*$", re.IGNORECASE)


# -- markers: what other modules ask ----------------------------------------------------------------------------------


def purged_marker(zones: Zones, feed: str, period: str) -> Path:
    return zones.landing / PURGED_DIR / feed / f"{period}.json"


def purged_records_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.landing / PURGED_DIR / feed / f"{period}.records.parquet"


def is_purged(zones: Zones, feed: str, period: str) -> bool:
    """Whether the period's identifiable files were removed under retention (its outputs stay)."""
    return purged_marker(zones, feed, period).exists()


def purge_state(zones: Zones, feed: str, period: str) -> str | None:
    """``purged``, ``purging`` (a purge under way or killed half way: the next purge finishes it) or None."""
    marker = purged_marker(zones, feed, period)
    if not marker.exists():
        return None
    try:
        return str(json.loads(marker.read_text(encoding="utf-8")).get("state") or "purging")
    except ValueError:
        return "purging"


def purged_periods(zones: Zones, feed: str) -> list[str]:
    folder = zones.landing / PURGED_DIR / feed
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def purged_records(zones: Zones, feed: str, period: str | None = None) -> pd.DataFrame:
    """``source, record_id, period, in_opt_out_scope`` of the accepted rows purged (for one period or all)."""
    import pandas as pd

    periods = [period] if period is not None else purged_periods(zones, feed)
    frames = [
        pd.read_parquet(purged_records_path(zones, feed, p))
        for p in periods
        if purged_records_path(zones, feed, p).exists()
    ]
    if not frames:
        return pd.DataFrame(
            {
                "source": pd.Series(dtype=str),
                "record_id": pd.Series(dtype=str),
                "period": pd.Series(dtype=str),
                "in_opt_out_scope": pd.Series(dtype=bool),
            }
        )
    return pd.concat(frames, ignore_index=True)


def forget_purge(zones: Zones, feed: str, period: str) -> None:
    """A new delivery for a purged period was processed: the period is live again (its rows come from it)."""
    purged_marker(zones, feed, period).unlink(missing_ok=True)
    purged_records_path(zones, feed, period).unlink(missing_ok=True)


# -- the cut-off ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cutoff:
    text: str  # as given: "24 months"
    on: date  # a period is old enough when its last day is before this date

    def covers(self, period: str) -> bool:
        year, month = int(period[:4]), int(period[5:7])
        after = date(year + month // 12, month % 12 + 1, 1)  # the first day after the period
        return after <= self.on


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError("unreachable")


def cutoff(older_than: str, today: date | None = None) -> Cutoff:
    """``24``, ``24 months``, ``2 years`` or ``730 days`` before ``today`` (default: today, UTC)."""
    match = _DURATION.match(str(older_than))
    if not match:
        raise ValueError(f"--older-than {older_than!r}: give months (24, '24 months'), years ('2 years') or days")
    n, unit = int(match.group(1)), (match.group(2) or "months").lower()
    today = today or datetime.now(UTC).date()
    if unit.startswith("d"):
        from datetime import timedelta

        on = today - timedelta(days=n)
    else:
        on = _months_before(today, n * 12 if unit.startswith("y") else n)
    if n == 0:
        raise ValueError("--older-than must be more than 0: data of the current period is still being delivered")
    return Cutoff(str(older_than).strip(), on)


def configured_older_than(path: Path = CONFIG_FILE) -> str:
    import yaml

    if not path.exists():
        raise ValueError(f"{path}: missing; give --older-than")
    settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    value = settings.get("older_than")
    if value in (None, ""):
        raise ValueError(f"{path}: no older_than; give --older-than")
    return str(value)


# -- the plan ---------------------------------------------------------------------------------------------------------


@dataclass
class Period:
    """One feed's delivery period past the cut-off: purged, or kept with a reason. Counts and names only."""

    feed: str
    period: str
    purge: bool
    reason: str
    landing_files: list[Path] = field(default_factory=list)
    quarantine_files: list[Path] = field(default_factory=list)
    accepted: Path | None = None
    accepted_rows: int = 0
    landing_rows: int = 0  # rows received in the loaded delivery
    quarantine_rows: int = 0  # rows in quarantine for the period (rows split off, or held in a file held whole)
    content_sha256: str | None = None

    @property
    def files(self) -> int:
        return len(self.landing_files) + len(self.quarantine_files) + (self.accepted is not None)

    def line(self) -> str:
        if not self.purge:
            return f"keep   {self.feed} {self.period}: {self.reason}"
        return (
            f"purge  {self.feed} {self.period}: landing {len(self.landing_files)} file(s), accepted "
            f"{self.accepted_rows} row(s), quarantine {len(self.quarantine_files)} file(s) "
            f"({self.quarantine_rows} row(s))"
        )


def _period_files(folder: Path, period: str) -> list[Path]:
    from pipelines.ingest.reader import period_of

    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and period_of(p) == period)


def _landing_files(spec: FeedSpec, folder: Path, period: str | None = None) -> list[Path]:
    """The feed's deliveries in ``landing/<feed>/`` and their ``.ctl`` control totals (of one period, or all).

    Not the other files there: another feed's delivery dropped in the wrong folder, an upload still arriving under a
    hidden name, anything ingest reports as a stray (``pipelines.ingest.landing.stray_files``). None of them was
    loaded as this feed's, so none of them is this feed's to purge."""
    from fnmatch import fnmatch

    from pipelines.ingest.reader import period_of

    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and fnmatch(p.name.removesuffix(".ctl"), spec.file_pattern)
        and (period is None or period_of(p) == period)
    )


def _candidate_periods(zones: Zones, spec: FeedSpec) -> set[str]:
    from pipelines.ingest.load import ACCEPTED_DIR
    from pipelines.ingest.reader import period_of

    feed = spec.name
    found = {p for p in (period_of(f) for f in _landing_files(spec, zones.landing / feed)) if p}
    folder = zones.quarantine / feed
    if folder.is_dir():
        found |= {p for p in (period_of(f) for f in folder.iterdir() if f.is_file() and f.name[0] != ".") if p}
    accepted = zones.landing / ACCEPTED_DIR / feed
    if accepted.is_dir():
        found |= {p.stem for p in accepted.glob("*.parquet")}
    # a purge killed after its last removal, before it marked the period purged: nothing left but to finish it
    found |= {p for p in purged_periods(zones, feed) if purge_state(zones, feed, p) == "purging"}
    return found


def _spine(zones: Zones) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    import pandas as pd

    from pipelines.linkage.spine import read_spine

    spine = read_spine(zones.identity)
    mapped = zones.identity / RECORD_PERSON_FILE
    linked = (
        set(pd.read_parquet(mapped, columns=["source", "record_id"]).astype(str).itertuples(index=False, name=None))
        if mapped.exists()
        else set()
    )
    return spine, linked


def _linkage_problem(
    spec: FeedSpec, accepted: pd.DataFrame, spine: pd.DataFrame, linked: set[tuple[str, str]]
) -> str | None:
    """Why the accepted rows' linkage is not kept yet, or None."""
    import numpy as np

    from pipelines.linkage.inputs import canonical_records
    from pipelines.linkage.spine import IDENTITY_COLUMNS, _key, identity_changes, prepare_records

    if not len(accepted):
        return None
    records = prepare_records(canonical_records(accepted, spec))
    records = records.drop_duplicates(["source", "record_id"], keep="last")
    ids = records["record_id"].astype(str)
    if not len(spine):
        return "not linked yet (the identity spine is empty)"
    in_spine = set(spine.loc[spine["source"].astype(str) == spec.name, "record_id"].astype(str))
    missing = int((~ids.isin(in_spine)).sum())
    if missing:
        return f"not linked yet ({missing} accepted record(s) not in the identity spine)"
    unmapped = sum((spec.name, i) not in linked for i in ids)
    if unmapped:
        return f"not linked yet ({unmapped} accepted record(s) not in record_person.parquet)"
    mine = spine[spine["source"].astype(str) == spec.name].reset_index(drop=True)
    for col in IDENTITY_COLUMNS:  # a spine written by an older version may lack a column
        if col not in mine.columns:
            mine[col] = None
    mine = mine.assign(_key=_key(mine["source"], mine["record_id"]).to_numpy())
    incoming = records.assign(_key=_key(records["source"], records["record_id"]).to_numpy())
    changed = identity_changes(mine, incoming)
    if len(changed) and bool(np.asarray(changed["corrected"]).any()):
        return f"not linked yet ({int(changed['corrected'].sum())} record(s) corrected since the last linkage run)"
    return None


def plan(zones: Zones, when: Cutoff, feeds: list[str] | None = None) -> list[Period]:
    """Every feed's periods past the cut-off that still hold identifiable files: to purge, or kept and why."""
    import pandas as pd
    import pyarrow.parquet as pq

    from pipelines.feeds import FEED_SPECS
    from pipelines.ingest.load import accepted_path, deliveries_by_period
    from pipelines.ingest.load import audit_path as load_audit_path
    from pipelines.ingest.reader import content_hash
    from pipelines.linkage.opt_out import audit_path as opt_out_counts_path
    from pipelines.linkage.opt_out import published_path

    spine, linked = _spine(zones)
    out: list[Period] = []
    for feed in feeds or list(FEED_SPECS):
        spec = FEED_SPECS[feed]
        by_period = deliveries_by_period(spec, zones)
        for period in sorted(p for p in _candidate_periods(zones, spec) if when.covers(p)):
            resuming = purge_state(zones, feed, period) == "purging"  # a purge killed half way: checked then
            landing = _landing_files(spec, zones.landing / feed, period)
            if resuming:  # only what that purge checked; a delivery landed since is loaded once the purge is done
                landing = _checked_by_killed_purge(zones, feed, period, landing)
            # not a hidden file: a copy into quarantine being written aside now (a dead writer's goes in apply())
            quarantine = [p for p in _period_files(zones.quarantine / feed, period) if not p.name.startswith(".")]
            accepted = accepted_path(zones, feed, period)
            item = Period(feed, period, False, "", landing, quarantine, accepted if accepted.exists() else None)
            out.append(item)
            audit_file = load_audit_path(zones, feed, period)
            if not audit_file.exists():
                item.reason = "not loaded (no load audit)"
                continue
            audit = pd.read_parquet(audit_file).iloc[0]
            item.content_sha256 = None if pd.isna(audit["content_sha256"]) else str(audit["content_sha256"])
            if audit["status"] != "loaded":
                item.reason = f"not loaded (its delivery is {audit['status']}: held in quarantine or never came)"
                continue
            newest = by_period.get(period, [])
            if newest and not resuming and content_hash(newest[-1].read_bytes()) != item.content_sha256:
                item.reason = f"not loaded yet: {newest[-1].name} differs from the delivery the load audit recorded"
                continue
            if not newest and item.accepted is None and not is_purged(zones, feed, period):
                item.reason = "no landing file and no accepted rows, but never purged: check the landing zone"
                continue
            if not published_path(zones, feed, period).exists():
                item.reason = "not published (no pseudonymised partition)"
                continue
            counts = opt_out_counts_path(zones, feed, period)
            published_from = None
            if counts.exists():
                published_from = pd.read_parquet(counts, columns=["content_sha256"]).iloc[0]["content_sha256"]
            if published_from != item.content_sha256:
                item.reason = "not published from this delivery (the partition's counts name another content hash)"
                continue
            if item.accepted is not None:
                rows = pd.read_parquet(item.accepted)
                problem = _linkage_problem(spec, rows, spine, linked)
                if problem:
                    item.reason = problem
                    continue
                item.accepted_rows = pq.read_metadata(item.accepted).num_rows
            item.landing_rows = int(audit["rows_received"])
            item.quarantine_rows = int(audit["rows_quarantined"]) + _held_rows(quarantine)
            item.purge, item.reason = True, "loaded, published and linked"
    return out


def _read_marker(zones: Zones, feed: str, period: str) -> dict[str, Any]:
    target = purged_marker(zones, feed, period)
    try:
        body = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _checked_by_killed_purge(zones: Zones, feed: str, period: str, files: list[Path]) -> list[Path]:
    """Of ``files``, those the killed purge had checked and listed in its marker and that have not changed since
    (a delivery re-sent under the same name is a new file). Another run's ingest leaves a period being purged alone,
    so a delivery that landed meanwhile was never loaded: it must stay, and is loaded once the purge is finished."""
    marker = _read_marker(zones, feed, period)
    listed = {str(name) for name in marker.get("landing_files", []) or []}
    try:
        at = datetime.fromisoformat(str(marker["at"])).timestamp() + 1.0  # the marker's time is to the second
    except (KeyError, ValueError):
        return []
    return [p for p in files if p.name in listed and p.stat().st_ctime <= at]


def _held_rows(files: list[Path]) -> int:
    """Rows in files held whole (superseded deliveries still in quarantine), from their reason files."""
    total = 0
    for path in files:
        if path.name.endswith(".reason.json"):
            try:
                total += int(json.loads(path.read_text(encoding="utf-8")).get("rows_held") or 0)
            except (ValueError, OSError):
                continue
    return total


# -- doing it ---------------------------------------------------------------------------------------------------------


def _write_marker(zones: Zones, item: Period, purge_id: str, state: str) -> None:
    target = purged_marker(zones, item.feed, item.period)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "feed": item.feed,
        "period": item.period,
        "state": state,
        "purge_id": purge_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "content_sha256": item.content_sha256,
        "landing_files": [p.name for p in item.landing_files],
        "quarantine_files": [p.name for p in item.quarantine_files],
        "accepted_rows": item.accepted_rows,
        "landing_rows": item.landing_rows,
        "quarantine_rows": item.quarantine_rows,
    }
    previous = _read_marker(zones, item.feed, item.period)
    if previous:  # a purge resumed, or a second purge of the same period (a file re-appeared): add to it
        body["landing_files"] = sorted({*previous.get("landing_files", []), *body["landing_files"]})
        body["quarantine_files"] = sorted({*previous.get("quarantine_files", []), *body["quarantine_files"]})
        body["accepted_rows"] = max(int(previous.get("accepted_rows", 0)), item.accepted_rows)
    write_text(target, json.dumps(body, indent=2, sort_keys=True))


def _write_records(zones: Zones, item: Period) -> None:
    """The purged accepted rows' record references and opt-out scope (identity values stay in the spine)."""
    import pandas as pd

    from pipelines.feeds import FEED_SPECS
    from pipelines.linkage.opt_out import opt_out_scope

    if item.accepted is None:
        return
    spec = FEED_SPECS[item.feed]
    scope = opt_out_scope(spec)
    columns = [spec.record_id] + ([scope.column] if scope is not None and scope.column else [])
    rows = pd.read_parquet(item.accepted, columns=columns)
    in_scope = scope.native_mask(rows) if scope is not None else pd.Series(False, index=rows.index)
    frame = pd.DataFrame(
        {
            "source": item.feed,
            "record_id": rows[spec.record_id].astype("string").str.strip().astype(str).to_numpy(),
            "period": item.period,
            "in_opt_out_scope": in_scope.to_numpy(dtype=bool),
        }
    )
    write_parquet(frame, purged_records_path(zones, item.feed, item.period))


def apply(zones: Zones, items: list[Period], when: Cutoff) -> str:
    """Remove what ``items`` marks for purging; one audit entry per period. Returns the purge id.

    Each feed is checked again and purged holding its ingest lock (``pipelines.ingest.load.ingest_lock``), the lock a
    load of that feed holds while it reads the landing files and writes the accepted rows: a purge never removes a
    file an ingest is reading or has just written. A period the second check keeps (a delivery loaded since the plan,
    say) is not purged: its item is updated in place to say why."""
    from pipelines.ingest.load import ingest_lock

    purge_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    feeds = list(dict.fromkeys(item.feed for item in items if item.purge))
    for feed in feeds:
        with ingest_lock(zones, feed):
            now = {i.period: i for i in plan(zones, when, [feed])}  # what an ingest may have changed since
            for item in items:
                if item.feed != feed or not item.purge:
                    continue
                fresh = now.get(item.period)
                if fresh is None:
                    item.purge, item.reason = False, "nothing left to purge when checked again"
                    continue
                for name in Period.__dataclass_fields__:
                    setattr(item, name, getattr(fresh, name))
                if item.purge:
                    _purge(zones, item, purge_id, when)
    return purge_id


def _purge(zones: Zones, item: Period, purge_id: str, when: Cutoff) -> None:
    """Remove one period's identifiable files (the caller holds the feed's ingest lock)."""
    from pipelines.ingest.load import accepted_path
    from pipelines.ops.audit import record

    _write_marker(zones, item, purge_id, "purging")  # first: a purge killed half way is finished by the next
    _write_records(zones, item)
    for path in [*item.landing_files, *item.quarantine_files]:
        path.unlink(missing_ok=True)
        remove_stale(path)  # a copy into quarantine cut short by a kill: part of the file, identifiable
    if item.accepted is not None:
        item.accepted.unlink(missing_ok=True)
    remove_stale(accepted_path(zones, item.feed, item.period))
    record(  # before the marker says "purged": a purge killed between the two is audited again, never not at all
        "retention.purge",
        root=zones.root,
        purge_id=purge_id,
        feed=item.feed,
        period=item.period,
        older_than=when.text,
        cutoff=when.on.isoformat(),
        content_sha256=(item.content_sha256 or "")[:16],
        landing_files=len(item.landing_files),
        landing_rows=item.landing_rows,
        accepted_files=int(item.accepted is not None),
        accepted_rows=item.accepted_rows,
        quarantine_files=len(item.quarantine_files),
        quarantine_rows=item.quarantine_rows,
    )
    _write_marker(zones, item, purge_id, "purged")
