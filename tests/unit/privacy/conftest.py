import pytest


@pytest.fixture(scope="session")
def deidentifier():
    """One Deidentifier (and one spaCy model load) for the whole test session; NER in-process."""
    from pipelines.privacy.deid import Deidentifier

    deid = Deidentifier(n_process=1)
    _ = deid.nlp
    return deid


@pytest.fixture()
def no_network(monkeypatch):
    """Fail the test if anything tries to open a network connection."""
    import socket

    def refuse(*_args, **_kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
