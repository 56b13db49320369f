"""Loaded by every Python process of an end-to-end run (PYTHONPATH), including dbt's subprocess.

Records every outbound connection and name lookup to $HFC_NETWORK_LOG and refuses anything that
is not loopback or a Unix socket, so a test can prove a demo run never phones home.
"""

import os
import socket

_LOG = os.environ.get("HFC_NETWORK_LOG")
_LOOPBACK = ("127.", "::1", "localhost", "0.0.0.0")


def _record(kind: str, target: object) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\t{kind}\t{target!r}\n")


def _record_stack() -> None:
    """Where the attempt came from, so a failing test says which library phoned home."""
    if _LOG:
        import traceback

        with open(_LOG + ".stacks", "a", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_stack(limit=25)) + "\n----\n")


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host.startswith(_LOOPBACK) or host == ""
    return False


if _LOG:
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def connect(self, address):  # type: ignore[no-untyped-def]
        _record("connect", address)
        if not _is_local(address):
            _record_stack()
            raise OSError(f"network disabled in this test: {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        _record("connect", address)
        if not _is_local(address):
            return 111
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        _record("getaddrinfo", host)
        if host is not None and not _is_local((host,)):
            _record_stack()
            raise socket.gaierror(f"network disabled in this test: {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
