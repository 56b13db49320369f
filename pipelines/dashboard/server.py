"""Start the dashboards app with ``streamlit run`` on 127.0.0.1 and stop it cleanly.

Headless, usage statistics off, no file watcher, the warehouse given by ``HFC_WAREHOUSE_PATH``. Its stdout and
stderr go to a log file (the app logs no values) that a failing test prints.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import REPO_ROOT

HOST = "127.0.0.1"
DEFAULT_PORT = 8501
DEFAULT_APP = REPO_ROOT / "dashboards" / "app.py"
HEALTH = "/_stcore/health"


class ServerError(RuntimeError):
    """The app did not come up (the message names the log file, never its content)."""


def default_port() -> int:
    raw = os.environ.get("HFC_DASHBOARD_PORT", "")
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError("HFC_DASHBOARD_PORT must be a port number (1 to 65535)")
    return int(raw)


def free_port() -> int:
    """A port nothing listens on now (the OS's choice), for tests and the bench."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def streamlit_command(app: Path, port: int) -> list[str]:
    """``streamlit run`` on 127.0.0.1 only, headless, nothing phoning home, no file watcher."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        HOST,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",  # no deploy, rerun or clear-cache buttons for a commissioner
    ]


def server_env(
    warehouse: Path, base: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) with ``extra`` on top, the warehouse, and no telemetry."""
    env = {**(os.environ if base is None else base), **(extra or {})}
    env["HFC_WAREHOUSE_PATH"] = str(warehouse)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    # the app imports this checkout's ``pipelines`` (not another install of it)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def missing_warehouse_message(warehouse: Path) -> str | None:
    """Why the dashboards cannot start on ``warehouse`` (None when they can)."""
    if not warehouse.exists():
        return f"hfc dashboard: no published warehouse at {warehouse}; run make run first (or hfc demo)"
    return None


@dataclass
class Server:
    """A running app: its URL, its process and the log file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 6000) -> str:
        """The end of the server's log, digits masked: Streamlit logs an app exception with its message, which may
        quote a value, and this goes into test failure messages."""
        try:
            return re.sub(r"\d", "#", self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:])
        except OSError:
            return ""


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    """Seconds until ``url + /_stcore/health`` answers ok; ServerError if the process ends or time runs out."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise ServerError(f"streamlit exited with code {process.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url + HEALTH, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.1)
    raise ServerError(f"streamlit was not healthy after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0, group: bool = True) -> None:
    """SIGTERM to the app (its process group when it leads one; Streamlit shuts its sessions down), SIGKILL if it
    hangs."""

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)

    if process.poll() is not None:
        return
    send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout=timeout)


@contextlib.contextmanager
def running(
    app: Path,
    warehouse: Path,
    log_path: Path,
    port: int | None = None,
    timeout: float = 60.0,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """The app served on 127.0.0.1 (a free port unless given) while the block runs; stopped after it. ``env`` adds
    to the environment (a test's network recorder).

    A ServerError names the log file; the log itself is for the caller to show (``Server.log_tail``).
    """
    port = free_port() if port is None else port
    log_path.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://{HOST}:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            streamlit_command(app, port),
            cwd=str(REPO_ROOT),
            env=server_env(warehouse, extra=env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        server = Server(url, process, log_path)
        try:
            try:
                wait_healthy(url, process, timeout)
            except ServerError as exc:
                raise ServerError(f"{exc}; its log: {log_path}") from None
            yield server
        finally:
            stop(process)


def serve_foreground(app: Path, warehouse: Path, port: int) -> int:
    """``hfc dashboard``: the app in the foreground until Ctrl-C (its output on this terminal)."""
    problem = missing_warehouse_message(warehouse)
    if problem:
        sys.stderr.write(problem + "\n")
        return 2
    if not app.exists():
        sys.stderr.write(f"hfc dashboard: no app at {app}\n")
        return 2
    sys.stderr.write(f"hfc dashboard: http://{HOST}:{port} (warehouse {warehouse}); Ctrl-C stops it\n")
    # in the terminal's process group: Ctrl-C reaches Streamlit too, which stops by itself; SIGTERM (a service
    # manager, a test) is passed on
    process = subprocess.Popen(streamlit_command(app, port), cwd=str(REPO_ROOT), env=server_env(warehouse))

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop(process, group=False)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
