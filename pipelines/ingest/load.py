"""Load one feed's delivery period: pick its delivery file, split rows, write each to its zone.

Where each row goes:
- accepted rows -> ``landing/_accepted/<feed>/<period>.parquet`` (identifiable; read by linkage and
  pseudonymisation only)
- rejected rows -> ``quarantine/<feed>/<file>.rows.csv`` with source row, reason and column
- a rejected file -> ``quarantine/<feed>/<file>`` (a copy) and ``<file>.reason.json``, counted as received and
  quarantined with the rows it holds (a file held whole is never "0 rows received")
- the audit record (counts and reason codes only) -> ``pseudonymised/_load_audit/<feed>/<period>.parquet``,
  which dbt publishes as the warehouse's ``load_audit`` table.

The national data opt-out is not applied here: it covers people, and which records are a person's is only known
after linkage, so every accepted row stays in the identifiable zone for linkage and the opt-out is applied at
publication and after each linkage run (``pipelines.linkage.opt_out``), which counts its exclusions per delivery.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipelines.feeds.base import FeedSpec
from pipelines.ingest.errors import Alert
from pipelines.ingest.reader import DeliveryRejected, content_hash, period_of, read_delivery
from pipelines.ops.atomic import copy_file, describe, write_csv, write_parquet, write_text
from pipelines.ops.retention import forget_purge, purge_state
from pipelines.settings import Zones, control_total_shortfall

if TYPE_CHECKING:
    from pipelines.ingest.expectations import ValidationSummary

ACCEPTED_DIR = "_accepted"
LOCKS_DIR = "_locks"
AUDIT_DIR = "_load_audit"


@dataclass
class LoadResult:
    feed: str
    period: str
    file: str | None
    status: str  # loaded | rejected_file | no_delivery
    rows_received: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    # excluded at ingest: none any more (the opt-out applies after linkage and is counted there); kept so that audit
    # files written before that change still reconcile
    rows_excluded: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    message: str | None = None
    content_hash: str | None = None
    superseded_files: list[str] = field(default_factory=list)
    control_total: int | None = None
    validation: ValidationSummary | None = field(default=None, repr=False)
    alerts: list[Alert] = field(default_factory=list)  # what a person must see about this delivery, no values
    purged: bool = False  # its identifiable files were removed under retention (pipelines.ops.retention): not re-read

    @property
    def reconciles(self) -> bool:
        return self.rows_received == self.rows_loaded + self.rows_quarantined + self.rows_excluded

    @property
    def control_difference(self) -> int | None:
        """Rows received minus the agency's control total (negative: a shortfall), or None without one."""
        return None if self.control_total is None else self.rows_received - self.control_total

    @property
    def alert_codes(self) -> list[str]:
        return [a.code for a in self.alerts]

    def audit_row(self) -> dict[str, object]:
        """What the warehouse may know of this load: counts, codes and file names, no values."""
        return {
            "feed": self.feed,
            "period": self.period,
            "source_file": self.file,
            "status": self.status,
            "rows_received": self.rows_received,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_excluded": self.rows_excluded,
            "agency_control_total": self.control_total,
            "reasons_json": json.dumps(self.reasons, sort_keys=True),
            "alerts_json": json.dumps(dict(sorted(Counter(self.alert_codes).items()))),
            "content_sha256": self.content_hash,
            "loaded_at": datetime.now(UTC).replace(tzinfo=None),
        }


def accepted_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.landing / ACCEPTED_DIR / feed / f"{period}.parquet"


def audit_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.pseudonymised / AUDIT_DIR / feed / f"{period}.parquet"


class LandingUnreadable(OSError):
    """A landing folder or file cannot be read (permissions, an I/O error): nothing of it was loaded or seen."""


def landing_unreadable(spec: FeedSpec, path: Path, error: OSError) -> LandingUnreadable:
    """The error for an unreadable folder or file of ``landing/<feed>/``: which one, why, and what to do."""
    what = f"landing/{spec.name}" + ("" if path.name == spec.name else f"/{path.name}")
    kind = "folder" if path.name == spec.name else "file"
    code = error.errno if isinstance(error.errno, int) else 5
    return LandingUnreadable(
        code,
        f"{what}: the {kind} cannot be read ({describe(error)}): nothing in it was loaded or marked as seen; make it "
        f"readable by the user the pipeline runs as, and the next run (or the landing sensor's next tick) loads it",
    )


def delivery_files(spec: FeedSpec, zones: Zones) -> list[Path]:
    """The feed's delivery files in ``landing/<feed>/``; :class:`LandingUnreadable` if the folder cannot be read."""
    folder = zones.landing / spec.name
    if not folder.is_dir():
        return []
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and fnmatch(p.name, spec.file_pattern))
    except OSError as error:
        raise landing_unreadable(spec, folder, error) from None


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    """Content hash, remembered per (path, size, mtime): a run lists the same files once per period."""
    stat = path.stat()
    marker = (str(path), stat.st_size, stat.st_mtime_ns)
    if marker not in _DIGESTS:
        _DIGESTS[marker] = content_hash(path.read_bytes())
    return _DIGESTS[marker]


def deliveries_by_period(spec: FeedSpec, zones: Zones) -> dict[str, list[Path]]:
    """Delivery files per period, oldest first (by modification time, then name).

    A file identical in content to an earlier one for the same period is a re-send, not a delivery:
    it is left out, so re-sending a file changes nothing (not even the audit's file name).
    """
    periods: dict[str, list[Path]] = {}
    for path in delivery_files(spec, zones):
        period = period_of(path)
        if period is not None:
            periods.setdefault(period, []).append(path)
    for period, files in periods.items():
        files.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
        seen: set[str] = set()
        unique = []
        for path in files:
            try:
                digest = _file_digest(path)
            except OSError as error:
                raise landing_unreadable(spec, path, error) from None
            if digest not in seen:
                seen.add(digest)
                unique.append(path)
        periods[period] = unique
    return periods


def _read_control_total(path: Path) -> int | None:
    ctl = path.with_name(path.name + ".ctl")
    if not ctl.exists():
        return None
    text = ctl.read_text(encoding="utf-8", errors="replace")
    # ASCII digits only: str.isdigit() is true of "²" and other digits int() does not read
    digits = "".join(ch for ch in text if ch in "0123456789\n").split()
    return int(digits[-1]) if digits else None


def _quarantine_file(
    zones: Zones,
    spec: FeedSpec,
    path: Path,
    reason: str,
    message: str,
    rows: int = 0,
    control_total: int | None = None,
) -> None:
    """A copy of the held file (and its .ctl) beside ``<file>.reason.json``: what was held, why, and how many rows."""
    target = zones.quarantine / spec.name
    target.mkdir(parents=True, exist_ok=True)
    copy_file(path, target / path.name)
    ctl = path.with_name(path.name + ".ctl")
    if ctl.exists():
        copy_file(ctl, target / ctl.name)
    (target / f"{path.name}.rows.csv").unlink(missing_ok=True)  # held whole now: no row-level split stands
    record = {
        "feed": spec.name,
        "file": path.name,
        "reason": reason,
        "message": message,
        "rows_held": rows,
        "agency_control_total": control_total,
        "held_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_text(target / f"{path.name}.reason.json", json.dumps(record, indent=2))


def previous_counts(zones: Zones, feed: str, period: str, keep: int = 3) -> list[int]:
    """Rows loaded in the feed's most recent loaded periods before ``period``, oldest first."""
    folder = zones.pseudonymised / AUDIT_DIR / feed
    counts: list[tuple[str, int]] = []
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        if path.stem >= period:
            continue
        row = pd.read_parquet(path).iloc[0]
        if row["status"] == "loaded" and int(row["rows_loaded"]) > 0:
            counts.append((path.stem, int(row["rows_loaded"])))
    return [n for _, n in sorted(counts)[-keep:]]


def _rows_as_text(frame: pd.DataFrame, spec: FeedSpec) -> list[str]:
    cols = [c for c in spec.column_names if c in frame.columns]
    return ["\x1f".join("" if pd.isna(v) else str(v) for v in row) for row in frame[cols].itertuples(index=False)]


def control_total_alert(spec: FeedSpec, file: str, rows: int, control_total: int | None) -> Alert | None:
    """What the agency's own row count says about a delivery: a shortfall, an excess, or a count that is missing."""
    where = f"{spec.name}/{file}"
    if control_total is None:
        if spec.has_control_totals:
            return Alert(
                "control_total_missing",
                f"{where}: the agency sends control totals for this feed, but {file}.ctl is missing: the delivery "
                f"cannot be checked for completeness",
            )
        return None
    if rows < control_total:
        return Alert(
            "control_total_shortfall",
            f"{where}: the agency's control total ({file}.ctl) says {control_total} row(s), the file holds {rows}: "
            f"{control_total - rows} short (a truncated or partial extract)",
        )
    if rows > control_total:
        return Alert(
            "control_total_excess",
            f"{where}: the agency's control total ({file}.ctl) says {control_total} row(s), the file holds {rows}: "
            f"{rows - control_total} more than the agency counted",
        )
    return None


@contextmanager
def ingest_lock(zones: Zones, feed: str) -> Iterator[None]:
    """One loader of a feed at a time, across processes (``landing/_locks/<feed>.lock``, an ``flock``): held
    by :func:`load_period` while it reads the feed's landing files and writes its accepted rows, quarantine and load
    audit, and by ``hfc purge`` (``pipelines.ops.retention.apply``) while it checks and removes them. Dagster's
    ``ingest_<feed>`` pool orders only the runs its queue launches; ``hfc demo``/``hfc backfill`` and ``hfc purge``
    run outside it. Not re-entrant: take it once."""
    import fcntl

    folder = zones.landing / LOCKS_DIR  # the landing zone, ingest's own: a load creates no other zone's folder
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{feed}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_period(
    spec: FeedSpec,
    period: str,
    zones: Zones,
    other_specs: tuple[FeedSpec, ...] = (),
    validate: bool = True,
    shortfall: str | None = None,
) -> LoadResult:
    """Load the newest delivery for ``period`` (holding the feed's :func:`ingest_lock`; see :func:`_load_period`)."""
    with ingest_lock(zones, spec.name):
        return _load_period(spec, period, zones, other_specs, validate, shortfall)


def _load_period(
    spec: FeedSpec,
    period: str,
    zones: Zones,
    other_specs: tuple[FeedSpec, ...],
    validate: bool,
    shortfall: str | None,
) -> LoadResult:
    """Load the newest delivery for ``period``; a later corrected file replaces an earlier one.

    Four gates, in order: the reader (what the file is, its encoding, shape, date formats, each value's type and
    code), the agency's control total (a shortfall holds the file whole unless ``shortfall`` -- default the
    setting ``HFC_CONTROL_TOTAL_SHORTFALL`` -- is ``"warn"``), exact duplicate rows, and the feed's Great
    Expectations suite. A blocking failure quarantines the whole file; a row-level failure quarantines that row.
    Nothing is dropped without a reason, and a file held whole is counted with the rows it holds.
    """
    shortfall = shortfall or control_total_shortfall()
    files = deliveries_by_period(spec, zones).get(period, [])
    purge = purge_state(zones, spec.name, period)
    if purge is not None:
        if not files or purge != "purged":  # purged (or being purged): nothing to read, its outputs stay
            return _purged_result(zones, spec, period)
        forget_purge(zones, spec.name, period)  # a new delivery for a purged period: it is live again
    if not files:
        result = LoadResult(spec.name, period, None, "no_delivery", message="no delivery file for this period")
        _write_audit(zones, result)
        return result
    path = files[-1]
    superseded = [p.name for p in files[:-1]]
    control_total = _read_control_total(path)
    out = accepted_path(zones, spec.name, period)

    def hold(
        reason: str,
        message: str,
        rows: int,
        reasons: dict[str, int] | None = None,
        digest: str | None = None,
        notes: list[str] | None = None,
        alerts: list[Alert] | None = None,
        validation: ValidationSummary | None = None,
    ) -> LoadResult:
        """The whole file to quarantine; what an earlier delivery for this period loaded is withdrawn with it."""
        _quarantine_file(zones, spec, path, reason, message, rows, control_total)
        out.unlink(missing_ok=True)
        alerts = list(alerts or [])
        control = control_total_alert(spec, path.name, rows, control_total)
        if control is not None and control.code not in {a.code for a in alerts}:
            alerts.append(control)
        result = LoadResult(
            spec.name,
            period,
            path.name,
            "rejected_file",
            rows_received=rows,
            rows_quarantined=rows,
            reasons=reasons or {reason: 1},
            notes=notes or [],
            message=message,
            content_hash=digest or content_hash(path.read_bytes()),
            superseded_files=superseded,
            control_total=control_total,
            validation=validation,
            alerts=alerts,
        )
        _write_audit(zones, result)
        return result

    try:
        delivery = read_delivery(spec, path, other_specs)
    except DeliveryRejected as rejected:
        return hold(rejected.reason, rejected.message, rejected.rows)
    except OSError as error:  # unreadable: nothing written, the previous load of the period stands
        raise landing_unreadable(spec, path, error) from None

    alerts = list(delivery.alerts)
    control = control_total_alert(spec, path.name, delivery.rows_received, control_total)
    if control is not None:
        alerts.append(control)
        if control.code == "control_total_shortfall" and shortfall == "block":
            message = (
                f"{control.message}. Held whole (HFC_CONTROL_TOTAL_SHORTFALL=block): ask the agency to re-send the "
                f"complete extract"
            )
            return hold(
                "control_total_shortfall",
                message,
                delivery.rows_received,
                digest=delivery.content_hash,
                notes=delivery.notes,
                alerts=alerts,
            )

    accepted = delivery.accepted.assign(_source_file=path.name, _period=period)
    rejected = delivery.rejected[["_source_row", "reason", "column", "raw_row"]]
    validation = None
    if validate:
        from pipelines.ingest.expectations import split_exact_duplicates, validate_delivery

        with_copies = accepted
        accepted, copies = split_exact_duplicates(spec, accepted)
        if len(copies):  # a row repeated whole: the copy goes to quarantine, the first stays
            copied = with_copies.loc[with_copies["_source_row"].isin(copies["_source_row"])]
            copied = copied.loc[~copied.index.isin(accepted.index)]
            rejected = pd.concat(
                [
                    rejected,
                    pd.DataFrame(
                        {
                            "_source_row": copied["_source_row"].to_numpy(),
                            "reason": "duplicate_row",
                            "column": None,
                            "raw_row": _rows_as_text(copied, spec),
                        }
                    ),
                ],
                ignore_index=True,
            )
        validation = validate_delivery(spec, accepted, previous_counts(zones, spec.name, period))
        if not validation.blocking_success:
            reasons = Counter(
                f"{o.expectation}:{o.column}" if o.column else o.expectation for o in validation.blocking_failures
            )
            return hold(
                "gx_blocking",
                validation.message(),
                delivery.rows_received,
                reasons=dict(sorted(reasons.items())),
                digest=delivery.content_hash,
                notes=delivery.notes,
                alerts=alerts,
                validation=validation,
            )
        failures = validation.row_failures()
        if len(failures):
            # one reason per row: the first rule it broke (a row is quarantined once, whatever it broke)
            first = failures.drop_duplicates("_source_row", keep="first")
            failing = accepted["_source_row"].isin(first["_source_row"])
            moved = accepted.loc[failing]
            by_row = first.set_index("_source_row")
            moved_rows = pd.DataFrame(
                {
                    "_source_row": moved["_source_row"].to_numpy(),
                    "reason": by_row.loc[moved["_source_row"], "reason"].to_numpy(),
                    "column": by_row.loc[moved["_source_row"], "column"].to_numpy(),
                    "raw_row": _rows_as_text(moved, spec),
                }
            )
            rejected = pd.concat([rejected, moved_rows], ignore_index=True)
            accepted = accepted.loc[~failing]

    write_parquet(accepted, out)

    qdir = zones.quarantine / spec.name
    rows_file = qdir / f"{path.name}.rows.csv"
    if len(rejected):
        # every text field quoted: a raw row can hold a bare CR, which the default quoting leaves bare, and a CSV
        # reader then splits the row in two (the file would hold more rows than were quarantined)
        write_csv(
            rejected.sort_values("_source_row").assign(feed=spec.name, source_file=path.name),
            rows_file,
            quoting=csv.QUOTE_NONNUMERIC,
        )
    elif rows_file.exists():
        rows_file.unlink()
    (qdir / f"{path.name}.reason.json").unlink(missing_ok=True)  # loaded now: an earlier hold no longer applies
    (qdir / path.name).unlink(missing_ok=True)

    reasons = Counter(
        f"{reason}:{column}" if isinstance(column, str) else reason
        for reason, column in zip(rejected["reason"], rejected["column"], strict=True)
    )
    result = LoadResult(
        spec.name,
        period,
        path.name,
        "loaded",
        rows_received=delivery.rows_received,
        rows_loaded=len(accepted),
        rows_quarantined=len(rejected),
        reasons=dict(sorted(reasons.items())),
        notes=delivery.notes,
        content_hash=delivery.content_hash,
        superseded_files=superseded,
        control_total=control_total,
        validation=validation,
        alerts=alerts,
    )
    _write_audit(zones, result)
    return result


def _write_audit(zones: Zones, result: LoadResult) -> None:
    write_parquet(pd.DataFrame([result.audit_row()]), audit_path(zones, result.feed, result.period))


def _purged_result(zones: Zones, spec: FeedSpec, period: str) -> LoadResult:
    """A period whose files were purged under retention: what its load audit recorded, written again nowhere (its
    accepted rows, pseudonymised partition and load audit stay as they were)."""
    row = pd.read_parquet(audit_path(zones, spec.name, period)).iloc[0]
    return LoadResult(
        spec.name,
        period,
        None if pd.isna(row["source_file"]) else str(row["source_file"]),
        str(row["status"]),
        rows_received=int(row["rows_received"]),
        rows_loaded=int(row["rows_loaded"]),
        rows_quarantined=int(row["rows_quarantined"]),
        rows_excluded=int(row["rows_excluded"]),
        reasons=json.loads(row["reasons_json"] or "{}"),
        notes=["identifiable files purged under retention (hfc purge): not read again, its outputs are kept"],
        content_hash=None if pd.isna(row["content_sha256"]) else str(row["content_sha256"]),
        purged=True,
    )
