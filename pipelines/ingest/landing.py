"""Which landing files are new (the landing sensor's bookkeeping), and which are not this feed's at all.

A delivery is identified by its content hash, not its name or time: an identical file sent again
(under any name) changes nothing, and a corrected file for the same period (different content)
is a new delivery that replaces its partition.

A file in a feed's folder that is not one of its deliveries (another feed's export under its own name,
a file named without a period) would otherwise be passed over without a word: :func:`stray_files` names
each one and what it looks like, so the feed's ingest can say so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from pipelines.feeds.base import FeedSpec
from pipelines.ingest.errors import Alert
from pipelines.ingest.load import LandingUnreadable, delivery_files, landing_unreadable
from pipelines.ingest.reader import detect_other_feed, header_fits, period_of
from pipelines.ops.atomic import describe
from pipelines.settings import Zones

HEADER_BYTES = 64 * 1024


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


def new_deliveries(
    spec: FeedSpec, zones: Zones, seen: dict[str, str], unreadable: list[LandingUnreadable] | None = None
) -> tuple[list[NewDelivery], dict[str, str]]:
    """Files whose content has not been seen for their period. ``seen`` maps ``period:sha256`` -> file name.

    Returns the new deliveries and the updated ``seen`` map (the sensor's cursor). A file that cannot be read is
    left out of both (so it is new again once it can be read) and its error appended to ``unreadable``; a folder
    that cannot be read raises :class:`LandingUnreadable`.
    """
    updated = dict(seen)
    found: list[NewDelivery] = []
    for path in delivery_files(spec, zones):
        period = period_of(path)
        if period is None:
            continue
        try:
            sha = file_sha256(path)
        except OSError as error:
            if unreadable is not None:
                unreadable.append(landing_unreadable(spec, path, error))
            continue
        marker = f"{period}:{sha}"
        if marker in updated:
            continue
        updated[marker] = path.name
        found.append(NewDelivery(path, period, sha))
    return found, updated


@dataclass(frozen=True)
class StrayFile:
    """A file in a feed's landing folder that ingest does not load as one of that feed's deliveries."""

    name: str
    looks_like: str | None  # the feed it belongs to, by its name or its header, if any
    why: str

    def alert(self, spec: FeedSpec) -> Alert:
        return Alert("stray_file", f"{spec.name}/{self.name}: not loaded: {self.why}")


def _header_feed(path: Path, specs: tuple[FeedSpec, ...], own: FeedSpec) -> str | None:
    """The feed whose header a file's first line is (its own included), read from the first bytes only."""
    with path.open("rb") as fh:
        head = fh.read(HEADER_BYTES)
    first = head.split(b"\n", 1)[0].rstrip(b"\r").removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    other = detect_other_feed(first, specs, own)
    if other is not None:
        return other
    return own.name if header_fits(first, own) else None


def stray_files(spec: FeedSpec, zones: Zones, specs: Iterable[FeedSpec]) -> list[StrayFile]:
    """Files in ``landing/<feed>/`` that are not deliveries of the feed, each with what it looks like.

    Skipped: the feed's deliveries, their ``.ctl`` control totals, and hidden files (``.DS_Store``). Another feed's
    file is recognised by its name (that feed's file pattern) or, failing that, by its header line.
    """
    folder = zones.landing / spec.name
    if not folder.is_dir():
        return []
    specs = tuple(s for s in specs if s.name != spec.name)
    deliveries = {p.name for p in delivery_files(spec, zones)}
    found: list[StrayFile] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        name = path.name
        if name in deliveries:
            if period_of(path) is None:
                found.append(StrayFile(name, spec.name, "its name carries no delivery period YYYY-MM"))
            continue
        if name.endswith(".ctl") and (folder / name.removesuffix(".ctl")).is_file():
            continue  # a delivery's control total, or a stray file's (named with that file)
        ctl = " (and its .ctl)" if (folder / f"{name}.ctl").is_file() else ""
        other = next((s for s in specs if fnmatch(name, s.file_pattern)), None)
        if other is not None:
            why = f"its name is the {other.name} feed's ({other.file_pattern}){ctl}; move it to landing/{other.name}/"
            found.append(StrayFile(name, other.name, why))
            continue
        if name.endswith(".ctl"):
            found.append(StrayFile(name, None, "a control total with no delivery of this name beside it"))
            continue
        try:
            by_header = _header_feed(path, specs, spec)
        except OSError as error:
            found.append(StrayFile(name, None, f"it cannot be read ({describe(error)})"))
            continue
        if by_header == spec.name:
            why = f"its header is this feed's, but its name does not fit {spec.file_pattern}: rename it to load it"
        elif by_header is not None:
            why = f"its header is the {by_header} feed's; move it to landing/{by_header}/"
        else:
            why = f"its name fits no feed's file pattern ({spec.name}: {spec.file_pattern})"
        found.append(StrayFile(name, by_header, why))
    return found
