"""Drift settings (``config/drift.yaml``, or ``HFC_DRIFT_CONFIG``): each metric's severity, the columns that follow
a programme's life cycle, and the columns that apply to some rows only.

Severity is ``warn`` by default; a metric matched by the ``block`` list makes its check blocking (decided when the
definitions load, since Dagster fixes a check's blocking at definition time) and fails it as an error.

``lifecycle``: a coded column whose mix is expected to evolve as a programme matures (questionnaire timepoints,
caseload event types). From the programme's start in that column (its first delivery holding one of ``codes``, or
the feed's first delivery with rows) its mix is not tested for ``settle`` deliveries, and is then compared with the
deliveries since it settled (a growing window, up to ``LIFECYCLE_WINDOW``), never with the ramp-up; its new codes
are those not seen in any delivery since the start. Its missing share is tested as any column's.

``applies_to``: a column recorded on some rows only (a referral route on step ups): its missing share is taken over
those rows, so a change in how many such rows a delivery holds is not mistaken for the column going empty.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.settings import REPO_ROOT

DEFAULT_CONFIG = REPO_ROOT / "config" / "drift.yaml"
SEVERITIES = ("warn", "block")
REFERENCE_WINDOW = 6  # earlier deliveries the new one is compared with
MIN_REFERENCE_PERIODS = 3  # fewer earlier deliveries: nothing is tested
LIFECYCLE_WINDOW = 12  # settled deliveries a life-cycle column's mix is compared with, at most
DEFAULT_SETTLE = 12  # deliveries a life-cycle column's mix is left untested after the programme starts in it


@dataclass(frozen=True)
class Severity:
    default: str = "warn"
    warn: tuple[str, ...] = ()
    block: tuple[str, ...] = ()

    def of(self, feed: str, metric: str) -> str:
        name = f"{feed}/{metric}"
        if any(fnmatch.fnmatchcase(name, p) for p in self.warn):
            return "warn"
        if any(fnmatch.fnmatchcase(name, p) for p in self.block):
            return "block"
        return self.default


def config_path() -> Path:
    value = os.environ.get("HFC_DRIFT_CONFIG", "").strip()
    return Path(value) if value else DEFAULT_CONFIG


def load_severity(path: Path | None = None) -> Severity:
    """The severities in ``path`` (default: :func:`config_path`). A missing file means warn everywhere; a value
    other than ``warn`` or ``block`` is refused, naming the key."""
    path = path or config_path()
    if not path.exists():
        return Severity()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: expected a mapping with default, warn and block")
    default = str(raw.get("default", "warn")).strip().lower()
    if default not in SEVERITIES:
        raise ValueError(f"{path.name}: default must be 'warn' or 'block'")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("warn", "block"):
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{path.name}: {key} must be a list of '<feed>/<metric>' patterns")
        lists[key] = tuple(value)
    return Severity(default, lists["warn"], lists["block"])


@dataclass(frozen=True)
class Lifecycle:
    """A column whose mix follows a programme's life cycle (module docstring)."""

    feed: str
    column: str
    codes: tuple[str, ...]  # the programme's own codes: their first delivery is the start (empty: the feed's first)
    settle: int
    reason: str


@dataclass(frozen=True)
class AppliesTo:
    """A column recorded only on rows whose ``column`` holds one of ``values``."""

    feed: str
    column: str
    when_column: str
    values: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Columns:
    lifecycle: tuple[Lifecycle, ...] = ()
    applies_to: tuple[AppliesTo, ...] = ()

    def lifecycle_of(self, feed: str, column: str | None) -> Lifecycle | None:
        return next((x for x in self.lifecycle if x.feed == feed and x.column == column), None)

    def applies_of(self, feed: str) -> dict[str, tuple[str, tuple[str, ...]]]:
        return {x.column: (x.when_column, x.values) for x in self.applies_to if x.feed == feed}


def _feed_column(path: Path, section: str, name: object) -> tuple[str, str]:
    feed, _, column = str(name).partition("/")
    if not feed or not column:
        raise ValueError(f"{path.name}: {section} keys must be '<feed>/<column>'")
    return feed, column


def _reason(path: Path, section: str, name: str, entry: dict) -> str:
    reason = str(entry.get("reason") or "").strip()
    if not reason:
        raise ValueError(f"{path.name}: {section} {name} needs a reason")  # every exception to the tests is argued
    return reason


def load_columns(path: Path | None = None) -> Columns:
    """The ``lifecycle`` and ``applies_to`` settings in ``path`` (default: :func:`config_path`); none if absent."""
    path = path or config_path()
    if not path.exists():
        return Columns()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lifecycle: list[Lifecycle] = []
    for name, entry in (raw.get("lifecycle") or {}).items():
        feed, column = _feed_column(path, "lifecycle", name)
        entry = entry or {}
        settle = entry.get("settle", DEFAULT_SETTLE)
        if not isinstance(settle, int) or settle < 0:
            raise ValueError(f"{path.name}: lifecycle {name} settle must be a whole number of deliveries")
        codes = tuple(str(c) for c in entry.get("codes") or ())
        lifecycle.append(Lifecycle(feed, column, codes, settle, _reason(path, "lifecycle", str(name), entry)))
    applies: list[AppliesTo] = []
    for name, entry in (raw.get("applies_to") or {}).items():
        feed, column = _feed_column(path, "applies_to", name)
        entry = entry or {}
        when = entry.get("when") or {}
        if not isinstance(when, dict) or len(when) != 1:
            raise ValueError(f"{path.name}: applies_to {name} needs when: {{<column>: [values]}}")
        ((when_column, values),) = when.items()
        reason = _reason(path, "applies_to", str(name), entry)
        applies.append(AppliesTo(feed, column, str(when_column), tuple(str(v) for v in values), reason))
    return Columns(tuple(lifecycle), tuple(applies))
