"""Demo mode: look for every identifier the synthetic county planted, wherever de-identified data rests.

The synthetic truth (``synth_truth/planted_identifiers.csv`` and ``people.csv``) says exactly what was planted where,
so in demo mode the pipeline can prove, at the county's full scale, that none of it got out. Two checks:

- **anywhere**: every planted value that identifies on its own — full names, NHS and NI numbers, phone numbers,
  postcodes, emails, dates of birth, addresses, and single names that are no everyday word ("Okonkwo", not "Grace")
  — is searched for in every file of the warehouse, the pseudonymised zone and the reports, with the ``scan-pii``
  machinery (:mod:`pipelines.privacy.scan`);
- **in its own record**: every value planted in a narrative — including names that are everyday words ("Grace",
  "WOOD", "Will") — must not survive, as written and as a whole word, in the de-identified text of the record and
  column it was planted in (found through the record's keyed token, as the pipeline wrote it).

A finding names the file, the table/column/row (or feed/column/row), the entity type and the check, never the value.
The truth is read here only to measure the pipeline, never to de-identify (``DEVELOPERS.md``).
"""

from __future__ import annotations

import csv
import logging
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.privacy.scan import Finding, KnownValues, ScanError, scan_paths

logger = logging.getLogger(__name__)

PLANTED = "planted_identifiers.csv"
PEOPLE = "people.csv"


@dataclass
class TruthScan:
    """What the scan looked at and what it found (locations and entity types only)."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    values_anywhere: int = 0  # distinct planted values searched for in every file
    spans_in_record: int = 0  # planted narrative values checked in their own record's de-identified text
    records_not_published: int = 0  # planted in a record that was quarantined or opted out (nothing to check)
    files: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings and not self.errors


def has_truth(truth_dir: Path) -> bool:
    return (truth_dir / PLANTED).exists()


def anywhere_values(truth_dir: Path) -> list[tuple[str, str]]:
    """(entity type, value) for every planted value that identifies on its own, deduplicated.

    A single name ("Grace", "Okafor", a typo'd "Clin") is left to the record-level check: across a whole county some
    single name equals a word, a code ("CLIN") or a run of letters in a binary asset, where no one's name is.
    """
    out: set[tuple[str, str]] = set()
    with (truth_dir / PLANTED).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entity, value = row["entity_type"], (row["value"] or "").strip()
            if not value:
                continue
            if entity == "PERSON" and len(re.findall(r"[^\W\d_]+", value)) < 2:
                continue
            out.add((entity, value))
    people = truth_dir / PEOPLE
    if people.exists():
        with people.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                given, family = (row.get("given_name") or "").strip(), (row.get("family_name") or "").strip()
                if given and family:
                    out.add(("PERSON", f"{given} {family}"))
    return sorted(out)


def _planted_in_text(truth_dir: Path) -> dict[str, dict[tuple[str, str], list[tuple[str, str]]]]:
    """feed -> (record id, native column) -> [(entity type, value as written)] for values planted in free text."""
    out: dict[str, dict[tuple[str, str], list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    with (truth_dir / PLANTED).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["start"] or not (row["value"] or "").strip():
                continue  # a structured column: the anywhere check covers it
            out[row["feed"]][(row["record_id"], row["column"])].append((row["entity_type"], row["value"].strip()))
    return out


_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")


def _survives(value: str, text: str, cache: dict[str, re.Pattern[str]]) -> bool:
    """The value as written, as a whole word or phrase, outside every placeholder."""
    if value not in text:
        return False  # nearly always (the text is de-identified): no pattern to build
    pattern = cache.get(value)
    if pattern is None:
        pattern = re.compile(rf"(?<![\w\[]){re.escape(value)}(?![\w\]])")
        cache[value] = pattern
    return pattern.search(_PLACEHOLDER.sub(" ", text)) is not None


def record_level(pseudonymised: Path, truth_dir: Path, key, result: TruthScan) -> None:
    """Check every value planted in a narrative against its own record's de-identified text."""
    import pyarrow.parquet as pq

    from pipelines.feeds import FEED_SPECS
    from pipelines.feeds.base import Role
    from pipelines.privacy.keys import tokens

    planted = _planted_in_text(truth_dir)
    cache: dict[str, re.Pattern[str]] = {}
    for feed, by_record in sorted(planted.items()):
        spec = FEED_SPECS.get(feed)
        if spec is None:
            continue
        text_columns = {c.name: c.output_name for c in spec.by_role(Role.FREE_TEXT)}
        wanted = {(rid, col) for rid, col in by_record if col in text_columns}
        if not wanted:
            continue
        record_ids = sorted({rid for rid, _ in wanted})
        keys = dict(zip(record_ids, tokens(key, record_ids, f"record:{feed}"), strict=True))
        by_key = {keys[rid]: rid for rid in record_ids}
        seen: set[tuple[str, str]] = set()
        for path in sorted((pseudonymised / feed).glob("period=*/*.parquet")):
            columns = ["record_key", *sorted(set(text_columns.values()))]
            table = pq.read_table(path, columns=[c for c in columns if c in pq.read_schema(path).names])
            data = table.to_pydict()
            for row, record_key in enumerate(data.get("record_key", [])):
                rid = by_key.get(record_key)
                if rid is None:
                    continue
                for native, output in text_columns.items():
                    values = by_record.get((rid, native))
                    if not values:
                        continue
                    seen.add((rid, native))
                    text = (data.get(output) or [None] * (row + 1))[row] or ""
                    for entity, value in values:
                        result.spans_in_record += 1
                        if _survives(value, text, cache):
                            result.findings.append(Finding(str(path), f"{output} row {row}", entity, "own record", ""))
        result.records_not_published += len(wanted - seen)


def scan_truth(truth_dir: Path, pseudonymised: Path, places: Sequence[Path], key, patterns: bool = False) -> TruthScan:
    """Both checks over ``places`` (files or folders; the warehouse, the pseudonymised zone and the reports).

    ``patterns`` adds the strict pattern families of ``scan-pii`` (identifiers nobody planted); off by default, since
    what the demo proves is that the planted identifiers stayed in.
    """
    started = time.perf_counter()
    result = TruthScan()
    known = anywhere_values(truth_dir)
    result.values_anywhere = len(known)
    existing = [Path(p) for p in places if Path(p).exists()]
    from pipelines.privacy.scan import iter_files

    result.files = sum(1 for _ in iter_files(existing))
    index = KnownValues(known, dates_need_context=True)
    result.findings.extend(scan_paths(existing, index, patterns=patterns, errors=result.errors))
    if pseudonymised.exists():
        record_level(pseudonymised, truth_dir, key, result)
    result.seconds = time.perf_counter() - started
    return result


def summary_lines(result: TruthScan, show: int = 20) -> list[str]:
    """What a person needs to see: where, what type, which check; never the value."""
    lines = [
        f"Leak scan of the synthetic truth: {result.values_anywhere} planted values searched for in {result.files}"
        f" files, {result.spans_in_record} narrative values checked in their own records"
        f" ({result.records_not_published} planted in records not published), {result.seconds:.0f} s:"
        + (" clean." if result.clean else f" {len(result.findings)} found, {len(result.errors)} unreadable.")
    ]
    for f in result.findings[:show]:
        lines.append(f"    {f.path}  {f.location}  {f.entity_type}  ({f.source})")
    if len(result.findings) > show:
        lines.append(f"    ... and {len(result.findings) - show} more")
    for e in result.errors[:show]:
        lines.append(f"    unreadable: {e.path}: {e.reason}")
    return lines
