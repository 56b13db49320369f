"""Runs under load and failure: which failures are retried, how, and which runs may not overlap.

**Retries, for transient failures only.** A step is retried when it failed for a reason that goes away by itself:
a DuckDB file locked by another process (a reader that opened it read-write, another writer), a DuckDB
write-write conflict, an ``OSError`` such as ``EAGAIN``/``EWOULDBLOCK``/``EBUSY``/``EINTR``/``ETXTBSY``, a
``TimeoutError``. There is no network in the pipeline, so nothing HTTP is classed as transient. Everything else is
an outcome or a fault a person must see, and fails at once: a blocking gate or control-total check (Dagster raises
``DagsterAssetCheckFailedError`` after the step, outside any retry), a bad delivery (quarantined by the reader, not
raised), a release refused by the disclosure check (``dg.Failure``), a full disk (``ENOSPC``), a missing file, a
bug.

Dagster's ``RetryPolicy`` on an asset retries *every* exception (only ``dg.Failure(allow_retries=False)`` opts out,
which would change what every other failure raises). So the policy is applied by :func:`retry_transient`, a
decorator on each asset's function that raises ``dg.RetryRequested`` for a transient failure, with the delay a
``dg.RetryPolicy`` built from the settings (:func:`retry_policy`: ``Backoff`` and ``Jitter``) computes for that
attempt, and lets every other exception through untouched. The in-process executor (``hfc demo``) and the
multiprocess executor (runs the daemon launches) both honour it.

**One warehouse writer at a time.** The dbt assets (they write ``restricted/outcomes_full.duckdb`` and the published
warehouse) and the release (it reads the published file and writes ``data/release/``) are in the Dagster pool
``warehouse``; each feed's ingest (``raw/<feed>``, ``pseudonymised/<feed>``) is in the pool ``ingest_<feed>``.
``dagster.yaml`` gives every pool a limit of 1 at run granularity: the run queue (the daemon's
``QueuedRunCoordinator``) starts no run that needs a pool another running run holds, so two warehouse builds never
overlap, nor two ingest runs of one feed, while ingest of other feeds goes on (up to ``max_concurrent_runs``).
``hfc demo`` and ``hfc backfill`` run in one process one run after another, outside the queue (docs/operations.md).
"""

from __future__ import annotations

import errno
import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import dagster as dg

from pipelines.settings import RetrySettings, retry_settings

log = logging.getLogger(__name__)

WAREHOUSE_POOL = "warehouse"

TRANSIENT_ERRNOS = frozenset(
    {errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY, errno.EINTR, errno.ETXTBSY, errno.EDEADLK, errno.ETIMEDOUT}
)
# DuckDB's words for a file another process holds ("IO Error: Could not set lock on file ...: Conflicting lock is
# held in ..."): read here to classify, never forwarded (the message carries a path and a process id).
DUCKDB_LOCK_PHRASES = ("could not set lock on file", "conflicting lock is held")
_MAX_CAUSES = 5

F = TypeVar("F", bound=Callable[..., Any])


def ingest_pool(feed: str) -> str:
    """The pool of one feed's ingest: two deliveries of a feed are never loaded and published at once."""
    return f"ingest_{feed}"


def _is_duckdb_lock(exc: BaseException) -> bool:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        return False
    if isinstance(exc, duckdb.TransactionException):  # a write-write conflict: the other transaction ends
        return True
    if isinstance(exc, duckdb.IOException):
        text = str(exc).lower()
        return any(phrase in text for phrase in DUCKDB_LOCK_PHRASES)
    return False


def _is_dbt_lock(exc: BaseException) -> bool:
    """dbt runs in its own process: a lock conflict reaches Dagster as text in dagster-dbt's error."""
    if type(exc).__name__ != "DagsterDbtCliRuntimeError":
        return False
    text = str(exc).lower()
    return any(phrase in text for phrase in DUCKDB_LOCK_PHRASES)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) is a failure that goes away by itself (module docstring).

    ``dg.Failure`` is a deliberate verdict of our own code and is never transient, whatever it was raised from.
    """
    seen: BaseException | None = exc
    for _ in range(_MAX_CAUSES):
        if seen is None or isinstance(seen, dg.Failure):
            return False
        if isinstance(seen, TimeoutError) or _is_duckdb_lock(seen) or _is_dbt_lock(seen):
            return True
        if isinstance(seen, OSError) and seen.errno in TRANSIENT_ERRNOS:
            return True
        seen = seen.__cause__
    return False


def retry_policy(settings: RetrySettings | None = None) -> dg.RetryPolicy:
    """The settings as a Dagster ``RetryPolicy`` (``HFC_RETRY_*``, pipelines/settings.py)."""
    settings = settings or retry_settings()
    backoff = {"exponential": dg.Backoff.EXPONENTIAL, "linear": dg.Backoff.LINEAR}.get(settings.backoff)
    jitter = {"plus_minus": dg.Jitter.PLUS_MINUS, "full": dg.Jitter.FULL}.get(settings.jitter)
    return dg.RetryPolicy(
        max_retries=settings.max_retries, delay=settings.delay_seconds, backoff=backoff, jitter=jitter
    )


def _attempt() -> int:
    """How many attempts of the running step came before this one (0 on the first)."""
    try:
        return dg.AssetExecutionContext.get().retry_number
    except dg.DagsterInvariantViolationError:  # called outside a run (a direct invocation in a test)
        return 0


def _retry_or_raise(exc: Exception) -> None:
    if not is_transient(exc):
        return
    policy = retry_policy()
    if policy.max_retries == 0:
        return
    attempt = _attempt() + 1
    wait = max(0.0, float(policy.calculate_delay(attempt)))
    # class and attempt only: the exception's text may name a path or a process
    log.warning(
        "transient failure (%s): attempt %d of %d in %.1f s", type(exc).__name__, attempt, policy.max_retries, wait
    )
    raise dg.RetryRequested(max_retries=policy.max_retries, seconds_to_wait=wait) from exc


def retry_transient(fn: F) -> F:
    """Retry the decorated asset function on a transient failure (module docstring); put it under ``@dg.asset``.

    Keeps the function's signature (Dagster reads the context's annotation through ``__wrapped__``) and its kind: a
    generator function (a multi-asset yielding results, the dbt assets) stays one.
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                _retry_or_raise(exc)
                raise

        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            _retry_or_raise(exc)
            raise

    return function  # type: ignore[return-value]
