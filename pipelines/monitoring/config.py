"""Drift settings: the reference window and each metric's severity (``config/drift.yaml``, or ``HFC_DRIFT_CONFIG``).

Severity is ``warn`` by default; a metric matched by the ``block`` list makes its check blocking (decided when the
definitions load, since Dagster fixes a check's blocking at definition time) and fails it as an error.
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
