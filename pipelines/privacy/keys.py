"""Keyed pseudonymisation: HMAC-SHA256 tokens under a secret key that never leaves the environment.

A plain hash of an NHS number can be reversed by hashing every possible NHS number; a keyed HMAC cannot without the
key. The key comes from ``HFC_PSEUDONYMISATION_KEY`` or the file named by ``HFC_PSEUDONYMISATION_KEY_FILE``. The demo
runs on a well-known demo key; production mode (``HFC_MODE=production``) refuses it, a missing key, a short key and a
key file that other users can read. Only the key id (a digest of the key, useless to an attacker) is ever recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ENV_KEY = "HFC_PSEUDONYMISATION_KEY"
ENV_KEY_FILE = "HFC_PSEUDONYMISATION_KEY_FILE"
ENV_MODE = "HFC_MODE"

#: The well-known demo key. Public by design (it is in the repository): tokens made with it protect nothing, so
#: production mode refuses it.
DEMO_KEY: str = "hfc-outcomes-demo-key-PUBLIC-never-use-on-real-records"

#: Minimum key length in production: 32 bytes, the output size of SHA-256 (RFC 2104 recommends at least that).
MIN_KEY_BYTES = 32

#: Length of the hex token kept: 32 hex characters = 128 bits, ample against collisions for a county or a nation.
TOKEN_HEX_CHARS = 32

_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in a domain name, so domain+value never collide


class KeyConfigurationError(ValueError):
    """The pseudonymisation key is missing, unsafe or ambiguous. The message never contains the key."""


@dataclass(frozen=True)
class PseudonymisationKey:
    """A secret HMAC key and its public id. ``repr`` shows only the id so the key cannot leak into a log."""

    key: bytes = field(repr=False)
    key_id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or not self.key:
            raise KeyConfigurationError("pseudonymisation key must be non-empty bytes")
        expected = key_id_of(self.key)
        if not self.key_id:
            object.__setattr__(self, "key_id", expected)
        elif self.key_id != expected:
            raise KeyConfigurationError("key_id does not match the key")

    def __repr__(self) -> str:
        return f"PseudonymisationKey(key_id={self.key_id!r})"

    __str__ = __repr__

    @property
    def is_demo(self) -> bool:
        return hmac.compare_digest(self.key, DEMO_KEY.encode("utf-8"))


def key_id_of(key: bytes) -> str:
    """First 12 hex characters of SHA-256 of the key: identifies which key made a token set, reveals nothing."""
    return hashlib.sha256(key).hexdigest()[:12]


def _mode(env: Mapping[str, str]) -> str:
    value = env.get(ENV_MODE, "demo").strip().lower() or "demo"
    if value not in {"demo", "production"}:
        raise KeyConfigurationError(f"{ENV_MODE} must be 'demo' or 'production'")
    return value


def _read_key_file(path_text: str, production: bool) -> bytes:
    path = Path(path_text).expanduser()
    try:
        st = path.stat()
    except OSError as exc:
        raise KeyConfigurationError(f"{ENV_KEY_FILE} points to a file that cannot be read: {path}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise KeyConfigurationError(f"{ENV_KEY_FILE} is not a regular file: {path}")
    if production and st.st_mode & (stat.S_IRGRP | stat.S_IWGRP | stat.S_IROTH | stat.S_IWOTH):
        raise KeyConfigurationError(
            f"key file {path} is readable or writable by group or others (mode {stat.S_IMODE(st.st_mode):o}); "
            "production mode needs chmod 600"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyConfigurationError(f"key file cannot be read: {path}") from exc
    return raw.strip()  # a trailing newline from `echo` or an editor is not part of the key


def load_key(env: Mapping[str, str] | None = None) -> PseudonymisationKey:
    """Read the key from the environment (or ``env``), applying the production-mode refusals.

    Demo mode with no key configured falls back to :data:`DEMO_KEY` so the synthetic demo runs out of the box.
    Production mode refuses the demo key, a missing key, a key shorter than 32 bytes and a key file readable by
    group or others. Setting both the variable and the file is refused in every mode: which one wins would be a guess.
    """
    env = os.environ if env is None else env
    production = _mode(env) == "production"
    inline = env.get(ENV_KEY, "")
    file_path = env.get(ENV_KEY_FILE, "")
    if inline and file_path:
        raise KeyConfigurationError(f"set only one of {ENV_KEY} and {ENV_KEY_FILE}")
    if inline:
        key = inline.strip().encode("utf-8")
        source = ENV_KEY
    elif file_path:
        key = _read_key_file(file_path, production)
        source = f"key file {file_path}"
    else:
        if production:
            raise KeyConfigurationError(f"production mode needs {ENV_KEY} or {ENV_KEY_FILE}; no key is configured")
        return PseudonymisationKey(DEMO_KEY.encode("utf-8"))
    if not key:
        raise KeyConfigurationError(f"the key from {source} is empty")
    result = PseudonymisationKey(key)
    if production:
        if result.is_demo:
            raise KeyConfigurationError("production mode refuses the well-known demo key")
        if len(key) < MIN_KEY_BYTES:
            raise KeyConfigurationError(
                f"the key from {source} is {len(key)} bytes; production mode needs at least {MIN_KEY_BYTES}"
            )
    return result


def _check_domain(domain: str) -> None:
    if not domain or _SEPARATOR in domain:
        raise ValueError("token domain must be a non-empty string without the unit separator")


def token(key: PseudonymisationKey, value: str, domain: str) -> str:
    """HMAC-SHA256 of ``domain + "\\x1f" + value`` as 32 hex characters.

    The domain separates token spaces ("person", "record:police_incidents"), so the same value keyed for two purposes
    gives unrelated tokens and one table's tokens cannot be joined to another's by accident.
    """
    _check_domain(domain)
    message = (domain + _SEPARATOR + value).encode("utf-8")
    return hmac.new(key.key, message, hashlib.sha256).hexdigest()[:TOKEN_HEX_CHARS]


def _is_missing(value: object) -> bool:
    """None, NaN, ``pd.NA`` and ``NaT`` all mean "no value" in a pandas column: they stay missing, unkeyed."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in {"NAType", "NaTType"}


def tokens(key: PseudonymisationKey, values: Iterable[str | None], domain: str) -> list[str | None]:
    """:func:`token` over many values; ``None`` stays ``None``. Repeated values are keyed once."""
    _check_domain(domain)
    base = hmac.new(key.key, (domain + _SEPARATOR).encode("utf-8"), hashlib.sha256)
    cache: dict[str, str] = {}
    out: list[str | None] = []
    for value in values:
        if _is_missing(value):
            out.append(None)
            continue
        if not isinstance(value, str):
            raise TypeError(f"tokens() takes strings or None, got {type(value).__name__}")
        cached = cache.get(value)
        if cached is None:
            h = base.copy()
            h.update(value.encode("utf-8"))
            cached = h.hexdigest()[:TOKEN_HEX_CHARS]
            cache[value] = cached
        out.append(cached)
    return out


# --- One key per token set: the rule every writer of tokens applies -------------------------------------------------

#: In the pseudonymised zone: which key id the zone's tokens were made with, and a rotation under way (if any).
KEY_ID_FILE = "_key_id.json"
_KEY_ID_LOCK = "_key_id.lock"
ROTATE_HINT = "re-key them with `hfc rotate-key --new-key-file PATH` (docs/operations.md, 'Keys')"


class KeyMismatchError(KeyConfigurationError):
    """Tokens made with one key would be mixed with another's: joins would silently break. Names key ids only."""


@dataclass(frozen=True)
class ZoneKey:
    """The pseudonymised zone's key record: its tokens' key id, and the key id a rotation is moving them to."""

    key_id: str
    rotating_to: str | None = None


def check_key_ids(found: Iterable[str | None], key: PseudonymisationKey, where: str) -> None:
    """The rule: tokens already made with another key id are never mixed with ``key``'s. Raises, naming both ids."""
    others = sorted({str(f) for f in found if f is not None and str(f) != key.key_id})
    if others:
        raise KeyMismatchError(
            f"{where}: the existing tokens were made with key id {', '.join(others)}, but this run's key has key id "
            f"{key.key_id}. Refusing to mix key ids: configure the key those tokens were made with, or {ROTATE_HINT}"
        )


def read_zone_key(pseudonymised: Path) -> ZoneKey | None:
    """The zone's key record, or None when none was written yet."""
    import json

    path = Path(pseudonymised) / KEY_ID_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return ZoneKey(str(data["key_id"]), data.get("rotating_to") or None)


def write_zone_key(pseudonymised: Path, record: ZoneKey) -> None:
    """Write the zone's key record atomically and durably (aside, flushed, renamed: ``pipelines.ops.atomic``)."""
    import json

    from pipelines.ops.atomic import write_text

    body = json.dumps({"key_id": record.key_id, "rotating_to": record.rotating_to}) + "\n"
    write_text(Path(pseudonymised) / KEY_ID_FILE, body)


def file_key_ids(path: Path) -> set[str]:
    """The key ids a parquet file's ``key_id`` column holds (from its statistics when it has them); empty when it
    has no such column or no rows."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if "key_id" not in names:
        return set()
    column = names.index("key_id")
    ids: set[str] = set()
    meta = parquet.metadata
    for group in range(meta.num_row_groups):
        chunk = meta.row_group(group)
        if chunk.num_rows == 0:
            continue
        stats = chunk.column(column).statistics
        if stats is not None and stats.has_min_max and stats.min == stats.max and stats.null_count == 0:
            ids.add(stats.min.decode() if isinstance(stats.min, bytes) else str(stats.min))
            continue
        values = parquet.read_row_group(group, columns=["key_id"]).column(0).unique().to_pylist()
        ids.update(str(v) for v in values if v is not None)
    return ids


def tokened_files(pseudonymised: Path) -> list[Path]:
    """Every parquet file of the zone (not files being written aside)."""
    root = Path(pseudonymised)
    return sorted(p for p in root.rglob("*.parquet") if p.is_file()) if root.is_dir() else []


def zone_key_ids(pseudonymised: Path) -> dict[str, set[str]]:
    """Each key id found in the zone's files -> the files (relative paths) that hold it."""
    found: dict[str, set[str]] = {}
    root = Path(pseudonymised)
    for path in tokened_files(root):
        for key_id in file_key_ids(path):
            found.setdefault(key_id, set()).add(str(path.relative_to(root)))
    return found


@contextmanager
def _zone_lock(pseudonymised: Path) -> Iterator[None]:
    import fcntl

    folder = Path(pseudonymised)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / _KEY_ID_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_zone_key(pseudonymised: Path, key: PseudonymisationKey, where: str) -> None:
    """Call before writing any token into the pseudonymised zone: refuses a key other than the zone's.

    The zone's key id is its record (:data:`KEY_ID_FILE`); a zone without one (tokens written before the record
    existed, or none yet) takes it from its files, and refuses if they already mix key ids; an empty zone is claimed
    by ``key``. A rotation under way (or killed) refuses every writer until ``hfc rotate-key`` finishes it.
    """
    with _zone_lock(pseudonymised):
        record = read_zone_key(pseudonymised)
        if record is None:
            found = zone_key_ids(pseudonymised)
            if len(found) > 1:
                raise KeyMismatchError(
                    f"{where}: the pseudonymised zone already mixes key ids {', '.join(sorted(found))}; "
                    f"refusing to add to it. {ROTATE_HINT[0].upper()}{ROTATE_HINT[1:]} after restoring one key's tokens"
                )
            record = ZoneKey(next(iter(found)) if found else key.key_id)
            write_zone_key(pseudonymised, record)
        if record.rotating_to:
            raise KeyMismatchError(
                f"{where}: a key rotation from key id {record.key_id} to {record.rotating_to} is under way or was "
                "interrupted; nothing may write tokens until it is finished: run `hfc rotate-key` again with the "
                "same keys to resume it"
            )
        check_key_ids([record.key_id], key, where)


def check_zone_consistent(pseudonymised: Path, where: str) -> str | None:
    """For readers of the whole zone (the dbt build): the zone's files and record hold one key id and no rotation
    is under way. Returns that key id (None for a zone without tokens); raises :class:`KeyMismatchError` otherwise."""
    found = zone_key_ids(pseudonymised)
    record = read_zone_key(pseudonymised)
    if record is not None and record.rotating_to:
        raise KeyMismatchError(
            f"{where}: a key rotation from key id {record.key_id} to {record.rotating_to} is under way or was "
            "interrupted: run `hfc rotate-key` again with the same keys to finish it before building"
        )
    ids = set(found) | ({record.key_id} if record is not None and found else set())
    if len(ids) > 1:
        detail = "; ".join(f"key id {k}: {len(v)} file(s), e.g. {sorted(v)[0]}" for k, v in sorted(found.items()))
        raise KeyMismatchError(
            f"{where}: the pseudonymised zone mixes key ids {', '.join(sorted(ids))} ({detail}); a build would "
            f"join tokens that cannot match. Refusing to build: {ROTATE_HINT}"
        )
    return next(iter(ids)) if ids else None


# --- Production mode: checked before anything runs ------------------------------------------------------------------

ENV_DATA_DIR = "HFC_DATA_DIR"


def production_preflight(env: Mapping[str, str] | None = None, data_dir: Path | str | None = None) -> None:
    """In production mode (``HFC_MODE=production``), refuse to start unless what the README's "Pointing it at real
    feeds" asks for holds: a usable key (:func:`load_key`'s refusals: missing, the demo key, under 32 bytes, a key
    file group or others can read, both variables set) and ``HFC_DATA_DIR`` set to a protected location (not the
    repository's default ``./data``; an existing folder that others cannot read, write or enter; ``data_dir``, when
    given, is the folder a resource was configured with). Demo mode: no-op.
    """
    env = os.environ if env is None else env
    if _mode(env) != "production":
        return
    load_key(env)
    raw = str(data_dir) if data_dir else env.get(ENV_DATA_DIR, "").strip()
    if not raw:
        raise KeyConfigurationError(
            f"production mode needs {ENV_DATA_DIR} set to a protected location (the default ./data is inside the "
            "repository)"
        )
    folder = Path(raw).expanduser()
    if folder.exists():
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH):
            raise KeyConfigurationError(
                f"{ENV_DATA_DIR} {folder} can be read, written or entered by other users (mode {mode:o}); production "
                "mode needs chmod o-rwx (e.g. 700 or 750)"
            )
