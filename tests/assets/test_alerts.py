"""The run-failure sensor (pipelines/defs/alerts.py) on real failed runs in a test instance, with a local webhook."""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.alerts import run_failure_alerts
from pipelines.defs.ingest.assets import build_raw_asset
from pipelines.defs.resources import ZonesResource
from pipelines.feeds import FEED_SPECS
from pipelines.ops.alerts import DELIVERY_BLOCKED, RUN_FAILED, Alert, send
from pipelines.settings import AlertSettings, alert_settings

PLANTED = "9434765919"  # an NHS-number-like value in a third-party exception's message
MONTHS = dg.StaticPartitionsDefinition(["2024-01", "2024-02"])


class Receiver:
    """A webhook on 127.0.0.1 that records what it is sent and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict] = []
        received, answer = self.bodies, status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(answer)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def sinks(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Receiver]:
    alerts = tmp_path / "alerts" / "alerts.jsonl"
    monkeypatch.setenv("HFC_ALERT_FILE", str(alerts))
    monkeypatch.setenv("HFC_ALERT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS", "2")
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    return alerts, receiver


def _evaluate(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> None:
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    run_failure_alerts(context)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _our_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("pipelines"))


def test_a_failed_run_is_alerted_to_every_sink_without_the_value_in_its_error(
    sinks: tuple[Path, Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    alerts, receiver = sinks

    @dg.asset(partitions_def=MONTHS)
    def leaky() -> None:
        raise KeyError(f"no person for NHS number {PLANTED}")  # raised outside the pipeline's code

    caplog.set_level(logging.WARNING)
    with dg.instance_for_test() as instance:
        result = dg.materialize([leaky], instance=instance, partition_key="2024-02", raise_on_error=False)
        _evaluate(instance, result)
    [alert] = _lines(alerts)
    assert receiver.bodies == [alert]
    assert alert["kind"] == RUN_FAILED and alert["severity"] == "error"
    assert alert["run_id"] == result.run_id and alert["job"] == result.job_def.name
    assert alert["failed_steps"] == ["leaky"] and alert["partition"] == "2024-02"
    assert alert["error_class"] == "KeyError" and "withheld" in alert["message"]
    assert PLANTED not in alerts.read_text() and PLANTED not in json.dumps(receiver.bodies)
    assert f"run {result.run_id}" in _our_log(caplog) and PLANTED not in _our_log(caplog)


def test_only_our_own_exceptions_raised_by_our_code_have_their_message_forwarded(
    sinks: tuple[Path, Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    alerts, _ = sinks
    monkeypatch.setenv("HFC_EVENT_DATE_WINDOW_MONTHS", f"{PLANTED}x")

    @dg.asset
    def misconfigured() -> None:
        from pipelines.privacy.keys import load_key

        load_key({"HFC_MODE": "staging"})  # KeyConfigurationError, raised in pipelines/privacy/keys.py

    @dg.asset
    def unreadable() -> None:
        from pipelines.settings import event_date_window_months

        event_date_window_months()  # our code, but int() raises: its message quotes the text it could not read

    with dg.instance_for_test() as instance:
        for asset in (misconfigured, unreadable):
            result = dg.materialize([asset], instance=instance, raise_on_error=False)
            _evaluate(instance, result)
    ours, builtin = _lines(alerts)
    assert ours["error_class"] == "KeyConfigurationError"
    assert ours["message"] == "HFC_MODE must be 'demo' or 'production'"
    assert builtin["error_class"] == "ValueError" and PLANTED not in json.dumps(builtin)
    assert "withheld" in builtin["message"]


def test_a_blocked_delivery_is_a_warning_of_its_own_kind(sinks: tuple[Path, Receiver], tmp_path: Path) -> None:
    alerts, receiver = sinks
    police = FEED_SPECS["police_incidents"]
    folder = tmp_path / "data" / "landing" / police.name
    folder.mkdir(parents=True)
    (folder / "CAD_EXPORT_2024-03.csv").write_bytes(b"")  # fails the gate: held whole
    tags = {"dagster/asset_partition_range_start": "2024-03", "dagster/asset_partition_range_end": "2024-03"}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("police_incidents_deliveries", ["2024-03"])
        result = dg.materialize(
            [build_raw_asset(police)],
            instance=instance,
            resources={"zones": ZonesResource(data_dir=str(tmp_path / "data"))},
            tags=tags,
            raise_on_error=False,
        )
        _evaluate(instance, result)
    [alert] = _lines(alerts)
    assert alert["kind"] == DELIVERY_BLOCKED and alert["severity"] == "warning"
    assert alert["partition"] == "2024-03" and alert["failed_steps"] == ["raw__police_incidents"]
    assert "raw/police_incidents:great_expectations_gate" in alert["blocked_checks"]
    assert alert["message"].startswith("delivery blocked by its checks: ")
    assert receiver.bodies == [alert]


def _alert() -> Alert:
    return Alert(RUN_FAILED, "error", "daily_refresh", "r-1", ["s"], None, "KeyError", "withheld")


@pytest.mark.parametrize("status", [500, None])
def test_a_webhook_that_fails_is_logged_not_raised_nor_retried(
    status: int | None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    if status is None:  # nothing listening
        with Receiver() as closed:
            url = closed.url
        bodies: list[dict] = []
        sent = send(_alert(), AlertSettings(tmp_path / "a.jsonl", url, 1.0))
    else:
        with Receiver(status) as failing:
            sent = send(_alert(), AlertSettings(tmp_path / "a.jsonl", failing.url, 1.0))
            bodies = failing.bodies
    assert sent == {"log": True, "file": True, "webhook": False}
    assert len(bodies) == (0 if status is None else 1)  # posted once, never again
    assert "alert webhook" in _our_log(caplog) and "127.0.0.1" not in _our_log(caplog)  # the address can hold a token
    assert len(_lines(tmp_path / "a.jsonl")) == 1


def test_alert_settings_refuse_a_non_http_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_ALERT_WEBHOOK_URL", "file:///etc/passwd")
    with pytest.raises(ValueError, match="HFC_ALERT_WEBHOOK_URL"):
        alert_settings()
    monkeypatch.setenv("HFC_ALERT_WEBHOOK_URL", "")
    monkeypatch.setenv("HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValueError, match="TIMEOUT"):
        alert_settings()
    monkeypatch.delenv("HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS")
    monkeypatch.delenv("HFC_ALERT_FILE", raising=False)
    assert alert_settings() == AlertSettings()  # nothing but the log unless a deployment says so


def test_the_code_location_has_the_sensor_running_by_default() -> None:
    from pipelines.definitions import defs

    sensor = defs.resolve_sensor_def("run_failure_alerts")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
