"""The dashboards' server helper and ``hfc dashboard``'s refusal without a warehouse (no browser needed)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from pipelines.cli import main as hfc
from pipelines.dashboard.browser import leaves_machine, mask_digits, page_url
from pipelines.dashboard.pages import PAGES, FilterValues, filter_sample, sample_loads
from pipelines.dashboard.server import ServerError, default_port, free_port, running, server_env, streamlit_command
from pipelines.settings import REPO_ROOT


def test_the_command_binds_loopback_headless_with_no_telemetry_and_no_watcher() -> None:
    cmd = streamlit_command(Path("dashboards/app.py"), 8600)
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert cmd[:5] == [sys.executable, "-m", "streamlit", "run", "dashboards/app.py"]
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8600"
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"
    assert flags["--server.fileWatcherType"] == "none"


def test_the_app_gets_the_warehouse_and_this_checkout(tmp_path: Path) -> None:
    env = server_env(tmp_path / "w.duckdb", {"PYTHONPATH": "/elsewhere"})
    assert env["HFC_WAREHOUSE_PATH"] == str(tmp_path / "w.duckdb")
    assert env["PYTHONPATH"].endswith("/elsewhere") and env["PYTHONPATH"] != "/elsewhere"


def test_the_port_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HFC_DASHBOARD_PORT", raising=False)
    assert default_port() == 8501
    monkeypatch.setenv("HFC_DASHBOARD_PORT", "8765")
    assert default_port() == 8765
    monkeypatch.setenv("HFC_DASHBOARD_PORT", "eighty")
    with pytest.raises(ValueError, match="HFC_DASHBOARD_PORT"):
        default_port()


def test_a_free_port_is_free() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_hfc_dashboard_refuses_without_a_published_warehouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hfc(["dashboard", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    assert "run make run first" in capsys.readouterr().err


def test_an_app_that_cannot_start_fails_naming_its_log(tmp_path: Path) -> None:
    log = tmp_path / "streamlit.log"
    missing = tmp_path / "no_such_app.py"
    with pytest.raises(ServerError, match=r"exited .* its log: .*streamlit\.log"), running(missing, missing, log):
        pass
    assert log.read_text()  # streamlit said why, in the log a failing test prints


def test_the_server_stops_with_the_block(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("import streamlit as st\nst.write('hello')\n")
    with running(app, tmp_path / "w.duckdb", tmp_path / "log.txt") as server:
        process = server.process
        assert process.poll() is None
    assert process.poll() is not None


@pytest.mark.parametrize(
    ("url", "outside"),
    [
        ("http://127.0.0.1:8501/static/js/a.js", False),
        ("ws://127.0.0.1:8501/_stcore/stream", False),
        ("data:image/png;base64,AAAA", False),
        ("blob:http://127.0.0.1:8501/abc", False),
        ("https://fonts.googleapis.com/css", True),
        ("http://localhost:8501/", True),
        ("http://127.0.0.2/", True),
    ],
)
def test_only_loopback_on_127_0_0_1_stays_on_the_machine(url: str, outside: bool) -> None:
    assert leaves_machine(url) is outside


def test_page_urls_and_masking() -> None:
    assert (
        page_url("http://127.0.0.1:1/", "outcomes", {"from": "2025-01"}) == "http://127.0.0.1:1/outcomes?from=2025-01"
    )
    assert page_url("http://127.0.0.1:1", "") == "http://127.0.0.1:1/"
    assert mask_digits("row 3 of 2025") == "row # of ####"


def test_the_filter_sample_covers_each_filter_together_and_fallbacks() -> None:
    values = FilterValues(("2025-01", "2025-02", "2025-03"), ("hit", "triage"), ("L1",), ("A", "B"))
    sample = filter_sample(values)
    keys = set().union(*sample)
    assert keys == {"from", "to", "programme", "area", "cohort"}
    assert any(len(s) >= 5 for s in sample) and any(s.get("programme") == "no-such-programme" for s in sample)
    loads = sample_loads(values)
    assert [p for p, params in loads if not params] == [p for p, _ in PAGES]
    assert {p for p, params in loads if params} == {p for p, _ in PAGES}  # every page sees some filter


def test_headings_must_start_at_h1_and_never_skip_a_level_down() -> None:
    from pipelines.dashboard.browser import heading_problems

    assert heading_problems([1, 2, 3, 2, 3, 3, 2]) == []
    assert heading_problems([]) == []
    assert heading_problems([2, 3]) == ["the first heading is an h2, not an h1"]
    assert heading_problems([1, 3]) == ["headings skip a level: h1 then h3"]


def test_hfc_dashboard_serves_in_the_foreground_and_stops_streamlit_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import urllib.request

    from pipelines.dashboard.server import wait_healthy

    app, warehouse = tmp_path / "app.py", tmp_path / "w.duckdb"
    app.write_text("import streamlit as st\nst.write('hello')\n")
    warehouse.write_bytes(b"")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, "-m", "pipelines.cli", "dashboard", "--port", str(port), "--warehouse", str(warehouse)]
    hfc_process = subprocess.Popen(
        [*cmd, "--app", str(app)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", hfc_process, timeout=60)
        hfc_process.send_signal(signal.SIGTERM)
        assert hfc_process.wait(timeout=20) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        if hfc_process.poll() is None:
            hfc_process.kill()
