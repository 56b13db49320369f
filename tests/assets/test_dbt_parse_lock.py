"""Two processes importing the definitions at once parse the dbt project once, not into each other's manifest."""

from __future__ import annotations

import threading
import time

import pytest

from pipelines.defs.transform import assets


def test_concurrent_prepares_parse_once(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    monkeypatch.setattr(assets, "_manifest_is_stale", lambda: not parsed)

    def slow_parse() -> None:
        time.sleep(0.3)  # long enough for the other caller to find the manifest stale and wait on the lock
        parsed.append(1)

    monkeypatch.setattr(assets, "_parse", slow_parse)
    callers = [threading.Thread(target=assets.prepare_dbt_project) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert parsed == [1]
