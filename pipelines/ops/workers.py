"""How many forked worker processes a CPU-bound stage may use (the leak scan, the drift reports)."""

from __future__ import annotations

import multiprocessing
import os


def fork_workers(cap: int) -> int:
    """One per core, at most ``cap``; 1 where processes cannot be forked (no ``fork`` start method, or this process
    is itself a daemonic worker, which may not have children): the caller then works in-process."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 1
    return max(1, min(os.cpu_count() or 1, cap))
