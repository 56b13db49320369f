"""A process killed for memory (the OOM killer's SIGKILL) and a soft memory limit: the run fails with a clear message,
nothing half-written remains, and a re-run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.privacy.deid import Deidentifier, WorkerKilled

PARENT = os.getpid()
TEXTS = [f"Seen at the hostel on day {i}, settled after a talk." for i in range(40)]


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail rather than hang (multiprocessing.Pool.map waited for ever on a killed worker)."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("the de-identification pool hung on a killed worker")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_deidentification_worker_killed_for_memory_fails_the_batch_clearly_and_a_rerun_completes(
    alarm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    deid = Deidentifier(use_ner=False, n_process=2, min_parallel=2, use_configured_recognizers=False)
    expected = Deidentifier(use_ner=False, n_process=1, use_configured_recognizers=False).deidentify(TEXTS)
    real = deid._analyze_jobs

    def killed_in_a_worker(jobs):
        if os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
        return real(jobs)

    monkeypatch.setattr(deid, "_analyze_jobs", killed_in_a_worker)
    with pytest.raises(WorkerKilled) as caught:
        deid.deidentify(TEXTS)
    message = str(caught.value)
    assert "a worker process was killed" in message and "probably for memory" in message
    assert "hostel" not in message  # no text from the batch
    monkeypatch.undo()
    assert deid.deidentify(TEXTS) == expected  # the same instance, a fresh pool: the re-run completes


def test_the_pool_still_gives_the_one_process_answer() -> None:
    parallel = Deidentifier(use_ner=False, n_process=2, min_parallel=2, use_configured_recognizers=False)
    single = Deidentifier(use_ner=False, n_process=1, use_configured_recognizers=False)
    texts = [*TEXTS, "Called John Smith on 07700 900123 about the flat at 3 High Street."]
    assert parallel.deidentify(texts) == single.deidentify(texts)


def test_a_soft_memory_limit_gives_a_clear_memory_error_and_leaves_no_partial_file(tmp_path: Path) -> None:
    """RLIMIT_AS in a child: a write that runs out of memory part way leaves the old file and no partial one."""
    target = tmp_path / "zone" / "data.parquet"
    target.parent.mkdir()
    target.write_bytes(b"old")
    code = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        from pipelines.ops.atomic import write_with

        def write(tmp):
            tmp.write_bytes(b"half")
            resource.setrlimit(resource.RLIMIT_AS, (1 << 29, 1 << 29))
            blocks = [bytearray(1 << 25) for _ in range(64)]  # 2 GiB: more than the limit allows

        try:
            write_with(Path({str(target)!r}), write)
        except MemoryError:
            print("MemoryError", flush=True)
            sys.exit(3)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 3 and "MemoryError" in result.stdout, result.stderr[-2000:]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.parquet"]
