"""Retries with backoff for transient failures only (pipelines/ops/runs.py): a locked file or EAGAIN is retried and
succeeds; a blocked delivery, a bug or a full disk fails at once."""

import errno
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.ingest.assets import build_raw_asset
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.ops.runs import is_transient, retry_policy, retry_transient
from pipelines.settings import RetrySettings, retry_settings
from tests.feed_rows import write_delivery

POLICE = FEED_SPECS["police_incidents"]
MARCH = {"dagster/asset_partition_range_start": "2024-03", "dagster/asset_partition_range_end": "2024-03"}
LOCKED = 'IO Error: Could not set lock on file "/tmp/x.duckdb": Conflicting lock is held in python (PID 1)'


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_RETRY_DELAY_SECONDS", "0")
    monkeypatch.setenv("HFC_RETRY_MAX", "3")


def _event_types(result: dg.ExecuteInProcessResult) -> list[str]:
    return [e.event_type_value for e in result.all_events]


def _caused(exc: BaseException, cause: BaseException) -> BaseException:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (BlockingIOError(errno.EAGAIN, "again"), True),
        (OSError(errno.EBUSY, "busy"), True),
        (TimeoutError("lock wait"), True),
        (duckdb.IOException(LOCKED), True),
        (duckdb.TransactionException("write-write conflict"), True),
        (_caused(RuntimeError("loading failed"), BlockingIOError(errno.EAGAIN, "again")), True),
        (OSError(errno.ENOSPC, "no space left on device"), False),  # a full disk needs a person
        (FileNotFoundError(errno.ENOENT, "missing"), False),
        (PermissionError(errno.EACCES, "denied"), False),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), False),  # no network in the pipeline
        (duckdb.IOException("IO Error: Cannot open file: No such file or directory"), False),
        (KeyError("column"), False),
        (_caused(dg.Failure(description="release refused"), BlockingIOError(errno.EAGAIN, "again")), False),
    ],
)
def test_only_transient_failures_are_classed_transient(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_the_policy_comes_from_the_settings_with_safe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HFC_RETRY_MAX", "HFC_RETRY_DELAY_SECONDS", "HFC_RETRY_BACKOFF", "HFC_RETRY_JITTER"):
        monkeypatch.delenv(name, raising=False)
    assert retry_settings() == RetrySettings(3, 5.0, "exponential", "plus_minus")
    policy = retry_policy()
    assert (policy.max_retries, policy.delay, policy.backoff, policy.jitter) == (
        3,
        5.0,
        dg.Backoff.EXPONENTIAL,
        dg.Jitter.PLUS_MINUS,
    )
    monkeypatch.setenv("HFC_RETRY_BACKOFF", "linear")
    monkeypatch.setenv("HFC_RETRY_JITTER", "none")
    monkeypatch.setenv("HFC_RETRY_DELAY_SECONDS", "2")
    assert [retry_policy().calculate_delay(n) for n in (1, 2, 3)] == [2.0, 4.0, 6.0]
    for name, bad in [
        ("HFC_RETRY_MAX", "11"),
        ("HFC_RETRY_MAX", "-1"),
        ("HFC_RETRY_MAX", "three"),
        ("HFC_RETRY_DELAY_SECONDS", "601"),
        ("HFC_RETRY_BACKOFF", "fibonacci"),
        ("HFC_RETRY_JITTER", "lots"),
    ]:
        monkeypatch.setenv(name, bad)
        with pytest.raises(ValueError, match=name):
            retry_settings()
        monkeypatch.delenv(name)


def test_a_transient_failure_is_retried_and_succeeds() -> None:
    attempts: list[int] = []

    @dg.asset
    @retry_transient
    def flaky(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        attempts.append(context.retry_number)
        if len(attempts) < 3:
            raise BlockingIOError(errno.EAGAIN, "resource temporarily unavailable")
        return dg.MaterializeResult(metadata={"attempt": len(attempts)})

    result = dg.materialize([flaky], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert attempts == [0, 1, 2]
    assert _event_types(result).count("STEP_UP_FOR_RETRY") == 2


def test_retries_stop_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_RETRY_MAX", "1")
    attempts: list[int] = []

    @dg.asset
    @retry_transient
    def locked() -> None:
        attempts.append(1)
        raise duckdb.IOException(LOCKED)

    result = dg.materialize([locked], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    assert len(attempts) == 2
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure.cause is not None and failure.cause.cls_name == "IOException"


def test_a_bug_fails_at_once_and_raises_as_before() -> None:
    attempts: list[int] = []

    @dg.asset
    @retry_transient
    def broken() -> None:
        attempts.append(1)
        raise KeyError("column")

    with pytest.raises(KeyError):
        dg.materialize([broken], instance=dg.DagsterInstance.ephemeral())
    assert attempts == [1]


def test_a_multi_asset_generator_keeps_yielding_after_a_retry() -> None:
    attempts: list[int] = []

    @dg.multi_asset(specs=[dg.AssetSpec("first"), dg.AssetSpec("second")])
    @retry_transient
    def both():  # no return annotation: Dagster would read it as outputs
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError(errno.EBUSY, "device or resource busy")
        yield dg.MaterializeResult(asset_key="first")
        yield dg.MaterializeResult(asset_key="second")

    result = dg.materialize([both], instance=dg.DagsterInstance.ephemeral())
    assert result.success and len(attempts) == 2
    assert len(result.get_asset_materialization_events()) == 2


def _raw(tmp_path: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-03"])
    return dg.materialize(
        [build_raw_asset(POLICE)],
        instance=instance,
        resources={"zones": ZonesResource(data_dir=str(tmp_path))},
        tags=MARCH,
        raise_on_error=False,
    )


def test_a_blocked_delivery_is_not_retried(tmp_path: Path) -> None:
    """The gate failing is an outcome: the real raw asset, a delivery that fails it, one attempt."""
    folder = tmp_path / "landing" / POLICE.name
    folder.mkdir(parents=True)
    (folder / "CAD_EXPORT_2024-03.csv").write_bytes(b"")
    with dg.instance_for_test() as instance:
        result = _raw(tmp_path, instance)
    assert not result.success
    types = _event_types(result)
    assert "STEP_UP_FOR_RETRY" not in types and types.count("STEP_START") == 1
    assert result.get_step_failure_events()[0].step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"


def test_the_real_raw_asset_retries_a_locked_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.defs.ingest.assets as ingest

    write_delivery(POLICE, tmp_path / "landing" / POLICE.name, n=3, period="2024-03")
    real, calls = ingest.load_period, []

    def locked_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise duckdb.IOException(LOCKED)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "load_period", locked_once)
    monkeypatch.setattr(ingest, "_write_validation_reports", lambda *args: None)  # Data Docs: slow, beside the point
    with dg.instance_for_test() as instance:
        result = _raw(tmp_path, instance)
    assert result.success
    assert len(calls) == 2 and _event_types(result).count("STEP_UP_FOR_RETRY") == 1


def test_every_asset_of_the_code_location_retries_transient_failures() -> None:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    unwrapped = []
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable or not assets_def.is_materializable:
            continue
        fn = assets_def.op.compute_fn.decorated_fn  # type: ignore[union-attr]
        if not fn.__code__.co_filename.endswith("pipelines/ops/runs.py"):
            unwrapped.append(assets_def.op.name)
    assert unwrapped == []
