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
from collections.abc import Iterable, Mapping
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
