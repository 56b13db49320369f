"""Run-failure alerts: what failed, written to the sinks a deployment configures (docs/operations.md).

Every failed run gives one alert: job, run id, failed step keys, partition (or partition range), the error's class
and a message, the blocking checks that failed, a kind and a severity. It always goes to the log, and also to
``HFC_ALERT_FILE`` (one JSON line each) and ``HFC_ALERT_WEBHOOK_URL`` (a POST of the same JSON) when they are set.

Two kinds:

- ``delivery_blocked`` (severity ``warning``): every failed step failed only because a blocking check failed (the
  gate, a control-total shortfall): an expected outcome that a data manager acts on (ask the agency to send the
  delivery again), not a fault to wake an engineer for. Routed apart, a deployment can page on ``error`` only.
- ``run_failed`` (severity ``error``): anything else (a step raised, the run worker died, a release refused).

What an alert never carries: values. Dagster's own messages can quote a SQL statement or a path, a third-party
library's can quote a cell. The rule: an error's message is forwarded (first line, at most 200 characters) only when
the exception is one of the pipeline's own classes (defined under ``pipelines``, a name no other loaded class has) or
a ``dg.Failure``, and was raised in the pipeline's own code (the innermost frame of its traceback is under
``pipelines/``): those messages name feeds, files, rows, columns and rules but never a value (DEVELOPERS.md). A
built-in error raised by our code is not enough (``int()`` quotes the text it could not read, DuckDB the file and
the process holding it), nor a library's error raised from our call. Any other error is forwarded as its class name
alone. A blocked delivery's message is built from check names only.

The webhook is posted once per alert with a timeout and no retry (a webhook that is down must not hold up the
sensor or storm the receiver when it comes back); its failure is logged, by class, and never raised. Its address is
never logged, since a webhook address often carries a token.
"""

from __future__ import annotations

import fcntl
import json
import logging
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    RUN_FAILURE_REASON_TAG,
)
from dagster._utils.error import SerializableErrorInfo

from pipelines.settings import REPO_ROOT, AlertSettings, alert_settings

log = logging.getLogger(__name__)

RUN_FAILED = "run_failed"
DELIVERY_BLOCKED = "delivery_blocked"
MAX_MESSAGE = 200
OUR_CODE = str(REPO_ROOT / "pipelines") + "/"
BLOCKED_ERROR = "DagsterAssetCheckFailedError"
# Dagster's wrappers around the exception that really failed the step (their cause)
WRAPPERS = frozenset(
    {
        "DagsterExecutionStepExecutionError",
        "DagsterUserCodeExecutionError",
        "RetryRequested",
        "RetryRequestedFromPolicy",
    }
)


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str
    job: str
    run_id: str
    failed_steps: list[str]
    partition: str | None
    error_class: str | None
    message: str
    blocked_checks: list[str] = field(default_factory=list)
    failure_reason: str | None = None
    at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One log line: the same fields, no values."""
        where = f" partition {self.partition}" if self.partition else ""
        steps = ",".join(self.failed_steps) or "-"
        error = f" {self.error_class}:" if self.error_class else ""
        return (
            f"ALERT {self.kind} ({self.severity}): job {self.job}{where}, run {self.run_id}, steps {steps}:"
            f"{error} {self.message}"
        )


def _innermost(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The exception that failed the step, under Dagster's wrappers."""
    for _ in range(5):
        if error.cls_name in WRAPPERS and error.cause is not None:
            error = error.cause
        else:
            break
    return error


def our_exception_names() -> frozenset[str]:
    """Names of the exception classes defined in the pipeline's package (among those loaded) that no class elsewhere
    shares (``ValidationError`` is ours, and pydantic's, whose messages quote their input: not forwarded)."""
    modules: dict[str, set[bool]] = {}
    pending: list[type[BaseException]] = [BaseException]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        modules.setdefault(cls.__name__, set()).add(cls.__module__.split(".")[0] == "pipelines")
    return frozenset(name for name, ours in modules.items() if ours == {True})


def raised_by_our_code(error: SerializableErrorInfo) -> bool:
    """Whether the innermost frame of the traceback is in the pipeline's own package."""
    if not error.stack:
        return False
    last = error.stack[-1].strip()
    return last.startswith(f'File "{OUR_CODE}')


def message_is_ours(error: SerializableErrorInfo) -> bool:
    """Our own exception class (or a ``dg.Failure``), raised by our own code: its message carries no value."""
    ours = error.cls_name == "Failure" or error.cls_name in our_exception_names()
    return ours and raised_by_our_code(error)


def safe_message(error: SerializableErrorInfo) -> str:
    """The error's message if it is ours (first line, without the class, at most 200 characters); else nothing:
    the class name is all that is forwarded."""
    if not message_is_ours(error):
        return ""
    text = (error.message or "").strip()
    first = text.splitlines()[0] if text else ""
    head, sep, rest = first.partition(": ")
    if sep and head.rsplit(".", 1)[-1] == error.cls_name:
        first = rest
    return first[:MAX_MESSAGE]


def _partition(tags: dict[str, str]) -> str | None:
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start and end:
        return start if start == end else f"{start}..{end}"
    return None


def _records(instance: dg.DagsterInstance, run_id: str, kind: DagsterEventType) -> list[Any]:
    return list(instance.get_records_for_run(run_id=run_id, of_type=kind).records)


def failed_blocking_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """``asset_key:check_name`` of every blocking-severity check that failed in the run."""
    found = []
    for record in _records(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            found.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return sorted(set(found))


def alert_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun, at: datetime | None = None) -> Alert:
    """The alert for a failed run, from its event log."""
    failures = []
    for record in _records(instance, run.run_id, DagsterEventType.STEP_FAILURE):
        event = record.event_log_entry.dagster_event
        failures.append((event.step_key, _innermost(event.step_failure_data.error)))
    checks = failed_blocking_checks(instance, run.run_id)
    steps = sorted({step for step, _ in failures if step})
    blocked = bool(failures) and all(error.cls_name == BLOCKED_ERROR for _, error in failures)
    reason = run.tags.get(RUN_FAILURE_REASON_TAG)
    if blocked:
        kind, severity, error_class = DELIVERY_BLOCKED, "warning", BLOCKED_ERROR
        message = "delivery blocked by its checks: " + ", ".join(checks or ["a blocking check"])
    else:
        kind, severity = RUN_FAILED, "error"
        raised = [error for _, error in failures if error.cls_name != BLOCKED_ERROR]
        if raised:
            error_class = raised[0].cls_name
            message = safe_message(raised[0]) or "(message withheld: not raised by the pipeline's code)"
            if len(raised) > 1:
                message += f" (and {len(raised) - 1} more failed steps)"
        else:  # the run failed outside any step: its worker died, it could not start, it was lost
            error_class = None
            message = f"the run failed outside its steps ({reason or 'no reason recorded'})"
    return Alert(
        kind=kind,
        severity=severity,
        job=run.job_name,
        run_id=run.run_id,
        failed_steps=steps,
        partition=_partition(dict(run.tags)),
        error_class=error_class,
        message=message,
        blocked_checks=checks,
        failure_reason=reason,
        at=(at or datetime.now(UTC)).isoformat(timespec="seconds"),
    )


def write_file(alert: Alert, path: Path) -> None:
    """Append one JSON line, under a lock (two sensors' ticks, or two processes, may write at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(alert.as_dict(), sort_keys=True) + "\n")
        handle.flush()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: the alert goes to the configured address or nowhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_webhook(alert: Alert, url: str, timeout: float) -> bool:
    """POST the alert as JSON, once. Returns whether the receiver answered 2xx; never raises."""
    body = json.dumps(alert.as_dict(), sort_keys=True).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            ok = 200 <= response.status < 300
        if not ok:
            log.warning("alert webhook answered %d for run %s; not retried", response.status, alert.run_id)
        return ok
    except Exception as exc:  # the sink failing must not fail the sensor: logged by class, never the address
        log.warning("alert webhook failed (%s) for run %s; not retried", type(exc).__name__, alert.run_id)
        return False


def send(alert: Alert, settings: AlertSettings | None = None, logger: Any = None) -> dict[str, bool]:
    """Write the alert to the log (always: this module's logger, and ``logger``, the sensor's, when given) and to
    every configured sink. Returns which sinks took it. Invalid sink settings are logged, and the log still has it."""
    level = logging.ERROR if alert.severity == "error" else logging.WARNING
    log.log(level, alert.line())
    if logger is not None:
        (logger.error if level >= logging.ERROR else logger.warning)(alert.line())
    sent = {"log": True}
    if settings is None:
        try:
            settings = alert_settings()
        except ValueError as exc:  # our own message: names the setting, not its value
            log.error("alert sinks not used: %s", exc)
            return sent
    if settings.file is not None:
        try:
            write_file(alert, settings.file)
            sent["file"] = True
        except OSError as exc:
            log.warning("alert file could not be written (%s) for run %s", type(exc).__name__, alert.run_id)
            sent["file"] = False
    if settings.webhook_url:
        sent["webhook"] = post_webhook(alert, settings.webhook_url, settings.webhook_timeout_seconds)
    return sent
