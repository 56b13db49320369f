"""``hfc rotate-key``: re-key every token in the pseudonymised zone from the old key to a new one.

HMAC is one-way, so a token cannot be turned into another key's token; rotation recomputes each token from the value
behind it, which only the identifiable zone keeps:

- ``record:<feed>`` (``record_key``): the identity spine's record ids (``identity/record_person.parquet``), the
  values kept at publication (``identity/token_values/<feed>/<period>.parquet``) and, where retention has not purged
  them, the accepted rows (``landing/_accepted/<feed>/``);
- ``<feed>:<column>`` (``assessment_key``, ``intervention_episode_key``): ``identity/token_values`` and the accepted
  rows (nothing else keeps them: a partition published before ``token_values`` existed whose accepted rows were
  purged cannot be re-keyed, and rotation refuses to start rather than lose it);
- ``person`` (``person_key``, ``person_key_strict``, ``person_key_lenient``): the spine's person ids.

So every link is kept: a record's new token is the token the new key gives its reference, a person's new key is the
key the new key gives their person id, exactly what a run with the new key would have written. The synthetic truth's
labels (demo mode) map the same way, with the truth's own record ids (``synth_truth/records.csv``, read only for that,
as ``pipelines/truth_labels.py`` does), since a few label records were never loaded.

Each file is rewritten aside and renamed into place; ``ops/key_rotation.json`` (the journal: key ids and the files
done, nothing else) makes a killed rotation resumable, and the zone's key record (``pseudonymised/_key_id.json``) says
"rotating" from the first rewrite to the last, so no pipeline run writes or builds on a half-rotated zone
(:func:`pipelines.privacy.keys.ensure_zone_key`). Nothing starts unless every token on disk is the old key's (or, on
resume, the new key's in the files the rotation has done) and every token has its value in the identity zone. The new
key id is recorded only when no file of the zone holds another (a run that checked the key just before the rotation
began may still write after the files were listed); otherwise the rotation stops, still "rotating", and the next run
re-keys what was written late, a journaled file included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.feeds import FEED_SPECS
from pipelines.ops.atomic import PARQUET_TIMESTAMPS, write_text, write_with
from pipelines.privacy.keys import (
    KeyConfigurationError,
    KeyMismatchError,
    PseudonymisationKey,
    ZoneKey,
    file_key_ids,
    read_zone_key,
    tokened_files,
    tokens,
    write_zone_key,
)
from pipelines.settings import Zones

log = logging.getLogger(__name__)

JOURNAL_DIR = "ops"
JOURNAL_FILE = "key_rotation.json"
LOCK_FILE = "key_rotation.lock"
#: What a rotation killed mid-write left before its files were written aside like every zone writer's.
LEGACY_STAGED_SUFFIX = ".rotating"
PERSON_COLUMNS = ("person_key", "person_key_strict", "person_key_lenient")
LABELS_DIR = "synth_truth_labels"
PERSON_KEYS = "person_keys/person_keys.parquet"

# test hook: called with (stage, relative path) after a file is renamed into place and after the journal says so
_after_file: Callable[[str, str], None] | None = None


class RotationError(RuntimeError):
    """Rotation cannot start or go on safely. Names files, columns and key ids; never a value or a count of people."""


@dataclass(frozen=True)
class TokenFile:
    """One file holding tokens: its path (relative to the pseudonymised zone) and how each token column is keyed.

    ``domains`` maps a column to a fixed domain, or to ``None``: the domain is ``record:<the row's feed>``, from
    ``feed_column`` (``person_keys`` and two of the truth labels) or ``feed`` (one feed's partitions).
    """

    path: str
    domains: dict[str, str | None]
    feed_column: str | None = None
    feed: str | None = None

    def domain_of(self, column: str, row_feed: str | None) -> str:
        fixed = self.domains[column]
        if fixed is not None:
            return fixed
        name = row_feed if self.feed_column else self.feed
        return f"record:{name}"


@dataclass
class Rotation:
    """What a rotation did (or, dry run, would do): key ids, files and token cells rewritten, timings."""

    old_key_id: str
    new_key_id: str
    files: int = 0
    files_resumed: int = 0
    tokens: int = 0
    values: int = 0
    dry_run: bool = False
    seconds_maps: float = 0.0
    seconds_rewrite: float = 0.0
    done: list[str] = field(default_factory=list)


def journal_path(zones: Zones) -> Path:
    return zones.root / JOURNAL_DIR / JOURNAL_FILE


def _read_journal(zones: Zones) -> dict[str, object] | None:
    path = journal_path(zones)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _write_journal(zones: Zones, journal: dict[str, object]) -> None:
    write_text(journal_path(zones), json.dumps(journal, indent=1, sort_keys=True) + "\n")


@contextmanager
def rotation_lock(zones: Zones) -> Iterator[None]:
    """Held by a rotation from its first check to its end (``ops/key_rotation.lock``, an ``flock`` the kernel
    releases if the rotation dies): a second rotation is refused, and crash recovery knows whether a rotation is
    alive before it removes what one left (:func:`rotation_running`)."""
    import fcntl

    path = zones.root / JOURNAL_DIR / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError(
                "another hfc rotate-key is running on this data directory; let it finish (or, if it was killed, run "
                "hfc rotate-key again with the same keys once it has gone)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rotation_running(zones: Zones) -> bool:
    """Whether a rotation holds :func:`rotation_lock` now (in this or another process)."""
    try:
        with rotation_lock(zones):
            return False
    except RotationError:
        return True


# --- which files hold tokens ------------------------------------------------------------------------------------------


def token_files(zones: Zones) -> list[TokenFile]:
    """Every tokened file of the pseudonymised zone; a file with a ``key_id`` column this does not know stops it."""
    from pipelines.pseudonymisation import token_domains

    root = zones.pseudonymised
    known: list[TokenFile] = []
    for feed, spec in FEED_SPECS.items():
        domains = token_domains(spec)
        for path in sorted((root / feed).glob("period=*/data.parquet")):
            names = set(pq.read_schema(path).names)
            cols: dict[str, str | None] = {c: d for c, d in domains.items() if c in names}
            known.append(TokenFile(str(path.relative_to(root)), cols, feed=feed))
    if (root / PERSON_KEYS).exists():
        names = set(pq.read_schema(root / PERSON_KEYS).names)
        cols = {"record_key": None, **{c: "person" for c in PERSON_COLUMNS if c in names}}
        known.append(TokenFile(PERSON_KEYS, cols, feed_column="feed"))
    for path in sorted((root / LABELS_DIR).glob("*.parquet")):
        names = set(pq.read_schema(path).names)
        if "record_key" not in names:
            continue
        if "feed" in names:
            known.append(TokenFile(str(path.relative_to(root)), {"record_key": None}, feed_column="feed"))
        else:  # feedback_themes: feedback records only
            known.append(TokenFile(str(path.relative_to(root)), {"record_key": None}, feed="feedback"))
    paths = {k.path for k in known}
    unknown = [
        str(p.relative_to(root))
        for p in tokened_files(root)
        if str(p.relative_to(root)) not in paths and "key_id" in pq.read_schema(p).names
    ]
    if unknown:
        raise RotationError(
            "files with a key_id column that rotation does not know how to re-key: "
            + ", ".join(unknown[:10])
            + "; teach pipelines/ops/rotate.py their token columns first"
        )
    return known


# --- the values behind the tokens (identity zone) ---------------------------------------------------------------------


def identity_values(zones: Zones) -> dict[str, set[str]]:
    """Every value a token may have been made from, by domain, from what the identifiable zone keeps."""
    from pipelines.defs.linkage.assets import spine_path
    from pipelines.linkage.opt_out import ACCEPTED_DIR
    from pipelines.pseudonymisation import TOKEN_VALUES_DIR, secondary_keys

    values: dict[str, set[str]] = {}

    def add(domain: str, items: Iterable[object]) -> None:
        values.setdefault(domain, set()).update(str(v) for v in items if v is not None and not pd.isna(v))

    spine = spine_path(zones)
    if spine.exists():
        frame = pd.read_parquet(spine)
        for source, group in frame.groupby("source"):
            add(f"record:{source}", group["record_id"])
        for column in ("person_id", "person_id_strict", "person_id_lenient"):
            if column in frame.columns:
                add("person", frame[column])
    for path in sorted((zones.identity / TOKEN_VALUES_DIR).glob("*/*.parquet")):
        frame = pd.read_parquet(path)
        for domain, group in frame.groupby("domain"):
            add(str(domain), group["value"])
    for feed, spec in FEED_SPECS.items():
        secondary = secondary_keys(spec)
        columns = [spec.record_id, *(c.name for c, _ in secondary.values())]
        for path in sorted((zones.landing / ACCEPTED_DIR / feed).glob("*.parquet")):
            present = set(pq.read_schema(path).names)
            frame = pd.read_parquet(path, columns=[c for c in columns if c in present])
            if spec.record_id in frame.columns:
                add(f"record:{feed}", frame[spec.record_id])
            for col, domain in secondary.values():
                if col.name in frame.columns:
                    add(domain, frame[col.name])
    truth = zones.synth_truth
    for name in ("records.csv", "crisis_care_gaps.csv"):  # the demo's truth labels key the truth's record ids
        if (truth / name).exists():
            frame = pd.read_csv(truth / name, dtype=str, usecols=["feed", "record_id"])
            for feed, group in frame.groupby("feed"):
                add(f"record:{feed}", group["record_id"])
    if (truth / "feedback_themes.csv").exists():
        add("record:feedback", pd.read_csv(truth / "feedback_themes.csv", dtype=str)["feedback_id"])
    return values


def token_maps(
    values: dict[str, set[str]], old: PseudonymisationKey, new: PseudonymisationKey
) -> dict[str, dict[str, str]]:
    """Per domain: old token -> new token."""
    maps: dict[str, dict[str, str]] = {}
    for domain, items in values.items():
        ordered = sorted(items)
        maps[domain] = dict(zip(tokens(old, ordered, domain), tokens(new, ordered, domain), strict=True))  # type: ignore[arg-type]
    return maps


# --- checking and rewriting one file ----------------------------------------------------------------------------------


def _domains_per_row(spec: TokenFile, table: pa.Table, column: str) -> list[str] | str:
    fixed = spec.domains[column]
    if fixed is not None:
        return fixed
    if spec.feed_column is None:
        return f"record:{spec.feed}"
    return [f"record:{f}" for f in table.column(spec.feed_column).to_pylist()]


def _state(spec: TokenFile, table: pa.Table, maps: dict[str, dict[str, str]], new_ids: set[str]) -> tuple[str, str]:
    """``("old", "")`` every token maps; ``("new", "")`` the file is already re-keyed; ``("bad", column)``."""
    old_ok, new_ok, bad = True, True, ""
    for column in spec.domains:
        domains = _domains_per_row(spec, table, column)
        values = table.column(column).to_pylist()
        per_row = isinstance(domains, list)
        for i, value in enumerate(values):
            if value is None:
                continue
            mapping = maps.get(domains[i] if per_row else domains, {})  # type: ignore[index]
            if old_ok and value not in mapping:
                old_ok = False
            if new_ok and value not in new_ids:
                new_ok = False
            if not old_ok and not new_ok:
                bad = column
                break
        if bad:
            break
    if old_ok:
        return "old", ""
    if new_ok:
        return "new", ""
    return "bad", bad


def _rewrite(
    spec: TokenFile, table: pa.Table, maps: dict[str, dict[str, str]], new: PseudonymisationKey
) -> tuple[pa.Table, int]:
    cells = 0
    for column in spec.domains:
        domains = _domains_per_row(spec, table, column)
        per_row = isinstance(domains, list)
        values = table.column(column).to_pylist()
        out: list[str | None] = []
        for i, value in enumerate(values):
            if value is None:
                out.append(None)
                continue
            rekeyed = maps.get(domains[i] if per_row else domains, {}).get(value)  # type: ignore[index, arg-type]
            if rekeyed is None:  # the file changed after it was checked; a KeyError would quote the token
                raise RotationError(
                    f"{spec.path}: a token in {column} has no value in the identity zone (the file was written again "
                    "after rotation checked it); the files done so far are journaled: run hfc rotate-key again "
                    "with the same keys"
                )
            out.append(rekeyed)
            cells += 1
        index = table.schema.get_field_index(column)
        table = table.set_column(index, table.schema.field(index), pa.array(out, type=table.schema.field(index).type))
    if "key_id" in table.schema.names:
        index = table.schema.get_field_index("key_id")
        fld = table.schema.field(index)
        table = table.set_column(index, fld, pa.array([new.key_id] * table.num_rows, type=fld.type))
    return table, cells


def _replace(path: Path, table: pa.Table) -> None:
    """Written aside as every zone writer does (``.<name>.writing-<pid>``) and renamed over ``path``: what a killed
    rotation leaves is removed by the next run's crash recovery once its pid has gone, or by the resumed rotation."""
    write_with(path, lambda tmp: pq.write_table(table, tmp, **PARQUET_TIMESTAMPS))


def _lock_for(zones: Zones, spec: TokenFile):
    from contextlib import nullcontext

    from pipelines.linkage.opt_out import publication_lock

    return publication_lock(zones, spec.feed) if spec.feed and spec.feed_column is None else nullcontext()


@contextmanager
def _every_publication_lock(zones: Zones) -> Iterator[None]:
    """Every feed's publication lock, in one order (a publication holds one feed's at a time)."""
    from pipelines.linkage.opt_out import publication_lock

    with ExitStack() as stack:
        for feed in sorted(FEED_SPECS):
            stack.enter_context(publication_lock(zones, feed))
        yield


# --- the rotation -----------------------------------------------------------------------------------------------------


def _check_start(zones: Zones, old: PseudonymisationKey, new: PseudonymisationKey) -> bool:
    """Refuse unless the zone is the old key's (or a rotation from old to new is being resumed). True: resuming."""
    if old.key_id == new.key_id:
        raise KeyConfigurationError(f"the new key is the key in use (key id {old.key_id}): nothing to rotate")
    record = read_zone_key(zones.pseudonymised)
    journal = _read_journal(zones)
    resuming = False
    same = journal is not None and (journal.get("old_key_id"), journal.get("new_key_id")) == (old.key_id, new.key_id)
    if record == ZoneKey(new.key_id) and same:
        resuming = True  # killed after the zone's record said "done", before the journal was removed
    elif record is not None and record.rotating_to:
        if (record.key_id, record.rotating_to) != (old.key_id, new.key_id):
            raise KeyMismatchError(
                f"a rotation from key id {record.key_id} to {record.rotating_to} is under way; this one is from "
                f"{old.key_id} to {new.key_id}: resume it with those keys"
            )
        resuming = True
    elif record is not None and record.key_id != old.key_id:
        raise KeyMismatchError(
            f"the pseudonymised zone's tokens were made with key id {record.key_id}, not the configured old key's "
            f"{old.key_id}: set HFC_PSEUDONYMISATION_KEY(_FILE) to the key the tokens were made with"
        )
    if journal is not None and not resuming:
        if same:
            resuming = True  # killed before the zone's record said "rotating"
        else:
            raise RotationError(
                f"{journal_path(zones)} records a rotation from key id {journal.get('old_key_id')} to "
                f"{journal.get('new_key_id')}; finish it first"
            )
    allowed = {old.key_id, new.key_id} if resuming else {old.key_id}
    stray: dict[str, str] = {}
    for path in tokened_files(zones.pseudonymised):
        for key_id in file_key_ids(path) - allowed:
            stray.setdefault(key_id, str(path.relative_to(zones.pseudonymised)))
    if stray:
        raise KeyMismatchError(
            "refusing to rotate: tokens on disk were made with key id(s) other than the old key's "
            f"{old.key_id}: " + "; ".join(f"{k} (e.g. {v})" for k, v in sorted(stray.items()))
        )
    return resuming


def rotate_key(
    zones: Zones,
    old: PseudonymisationKey,
    new: PseudonymisationKey,
    dry_run: bool = False,
) -> Rotation:
    """Re-key every token of ``zones.pseudonymised`` from ``old`` to ``new`` (see the module's docstring).

    ``dry_run``: every check and the maps, no write. The warehouse still holds the old tokens until it is rebuilt
    (``hfc rotate-key`` does it unless told not to).
    """
    with rotation_lock(zones):
        return _rotate_key(zones, old, new, dry_run)


def _rotate_key(zones: Zones, old: PseudonymisationKey, new: PseudonymisationKey, dry_run: bool) -> Rotation:
    import time

    resuming = _check_start(zones, old, new)
    result = Rotation(old.key_id, new.key_id, dry_run=dry_run)
    started = time.perf_counter()
    files = token_files(zones)
    maps = token_maps(identity_values(zones), old, new)
    new_ids = {t for mapping in maps.values() for t in mapping.values()}
    result.values = sum(len(m) for m in maps.values())
    result.seconds_maps = time.perf_counter() - started
    journal = _read_journal(zones) or {"old_key_id": old.key_id, "new_key_id": new.key_id, "done": [], "audited": False}
    done = set(journal["done"])  # type: ignore[arg-type]

    todo: list[TokenFile] = []
    problems: list[str] = []
    for spec in files:
        if spec.path in done and _rotated(zones.pseudonymised / spec.path, new):
            result.files_resumed += 1
            continue
        done.discard(spec.path)  # journaled, then written again with the old key (see _not_rotated): re-key it
        table = pq.read_table(zones.pseudonymised / spec.path, columns=_read_columns(spec))
        state, column = _state(spec, table, maps, new_ids)
        if state == "old":  # (a file without tokens too: its key_id changes)
            todo.append(spec)
        elif state == "new" and resuming:
            done.add(spec.path)  # renamed into place just before the rotation was killed
            result.files_resumed += 1
        else:
            problems.append(f"{spec.path} ({column or 'tokens of the new key outside a rotation'})")
    if problems:
        raise RotationError(
            "refusing to rotate: some tokens have no value in the identity zone to recompute them from, in "
            + ", ".join(problems[:10])
            + (" and more" if len(problems) > 10 else "")
            + ". Run the linkage (identity/spine) over every loaded delivery first, or restore the accepted rows "
            "(data/landing/_accepted) retention removed; nothing was changed"
        )
    if dry_run:
        result.files = len(todo)
        return result

    write_zone_key(zones.pseudonymised, ZoneKey(old.key_id, rotating_to=new.key_id))
    journal["done"] = sorted(done)
    _write_journal(zones, journal)
    started = time.perf_counter()
    for spec in todo:
        path = zones.pseudonymised / spec.path
        with _lock_for(zones, spec):
            table, cells = _rewrite(spec, pq.read_table(path), maps, new)
            _replace(path, table)
        if _after_file is not None:
            _after_file("renamed", spec.path)
        done.add(spec.path)
        journal["done"] = sorted(done)
        journal["tokens"] = int(journal.get("tokens", 0) or 0) + cells  # type: ignore[call-overload]
        _write_journal(zones, journal)
        result.files += 1
        result.tokens += cells
        if _after_file is not None:
            _after_file("journaled", spec.path)
    result.seconds_rewrite = time.perf_counter() - started
    # The last check and the new key id under every feed's publication lock: a publication re-checks the zone's key
    # holding its feed's lock, so it has either written (and is seen here) or will see "rotating"/the new key id.
    with _every_publication_lock(zones):
        late = _not_rotated(zones, new)
        if late:  # the zone stays "rotating" and the journal stays: the next run re-keys them
            raise RotationError(
                "files were written with another key id while the rotation ran (by a run that checked the zone's key "
                "before the rotation began): " + ", ".join(late[:10]) + (" and more" if len(late) > 10 else "") + ". "
                "Let the writers finish, then run hfc rotate-key again with the same keys to re-key them"
            )
        result.done = sorted(done)
        if not journal.get("audited"):
            from pipelines.ops.audit import record

            record(
                "key.rotate",
                root=zones.root,
                old_key_id=old.key_id,
                new_key_id=new.key_id,
                files=len(done),
                tokens=int(journal.get("tokens", 0) or 0),  # type: ignore[call-overload]
                finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            journal["audited"] = True
            _write_journal(zones, journal)
        write_zone_key(zones.pseudonymised, ZoneKey(new.key_id))
    journal_path(zones).unlink(missing_ok=True)
    return result


def _rotated(path: Path, new: PseudonymisationKey) -> bool:
    """The file's key ids are the new key's (or it has none)."""
    return not (file_key_ids(path) - {new.key_id})


def _not_rotated(zones: Zones, new: PseudonymisationKey) -> list[str]:
    """Tokened files of the zone holding another key id than the new key's. Writers are refused from the moment the
    zone's record says "rotating", but a run that checked the record just before may still write after the files
    were listed; the new key id is recorded only when this is empty."""
    root = zones.pseudonymised
    return [str(p.relative_to(root)) for p in tokened_files(root) if not _rotated(p, new)]


def _read_columns(spec: TokenFile) -> list[str]:
    return [*spec.domains, *([spec.feed_column] if spec.feed_column else [])]


def verify_warehouse(path: Path, key_id: str) -> list[str]:
    """Tables of the warehouse whose ``pseudonymisation_key_id`` holds another key id than ``key_id`` (empty: all
    rebuilt with the new key's tokens). Read-only."""
    import duckdb

    if not path.exists():
        return []
    stale: list[str] = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where column_name = 'pseudonymisation_key_id'"
        ).fetchall()
        for schema, table in columns:
            other = con.execute(
                f'select count(*) from "{schema}"."{table}" where pseudonymisation_key_id is distinct from ?', [key_id]
            ).fetchone()
            if other is not None and other[0]:
                stale.append(f"{schema}.{table}")
    return stale
