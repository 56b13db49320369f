"""Which landing files are new: the landing sensor's bookkeeping, as plain Python.

A delivery is identified by its content hash, not its name or time: an identical file sent again
(under any name) changes nothing, and a corrected file for the same period (different content)
is a new delivery that replaces its partition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipelines.feeds.base import FeedSpec
from pipelines.ingest.load import delivery_files
from pipelines.ingest.reader import period_of
from pipelines.settings import Zones


@dataclass(frozen=True)
class NewDelivery:
    path: Path
    period: str
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_deliveries(spec: FeedSpec, zones: Zones, seen: dict[str, str]) -> tuple[list[NewDelivery], dict[str, str]]:
    """Files whose content has not been seen for their period. ``seen`` maps ``period:sha256`` -> file name.

    Returns the new deliveries and the updated ``seen`` map (the sensor's cursor).
    """
    updated = dict(seen)
    found: list[NewDelivery] = []
    for path in delivery_files(spec, zones):
        period = period_of(path)
        if period is None:
            continue
        sha = file_sha256(path)
        marker = f"{period}:{sha}"
        if marker in updated:
            continue
        updated[marker] = path.name
        found.append(NewDelivery(path, period, sha))
    return found, updated
