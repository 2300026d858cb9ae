"""Threads for numpy-heavy blocks: candidate generation and scoring split their work with these.

numpy and scikit-learn release the GIL inside their loops, so handing blocks of a few thousand
elements to a few threads scales on the cores the process may use.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Columns",
    "blocks",
    "concatenated_in_threads",
    "for_each_in_threads",
    "release_freed_memory",
    "worker_count",
]

#: Arrays handed back per task by :func:`concatenated_in_threads`.
Columns = tuple[npt.NDArray[Any], ...]

#: Upper bound of :func:`worker_count`.
_MAX_THREADS: Final[int] = 4


def worker_count() -> int:
    """Threads worth using for numpy-heavy work here: the usable cores, at most ``_MAX_THREADS``."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MAX_THREADS))


def for_each_in_threads(count: int, body: Callable[[int, int], None], threads: int) -> None:
    """Call ``body(task, thread)`` for every task in ``range(count)`` on ``threads`` threads.

    Tasks are handed out in order to whichever thread is free; ``thread`` (0 .. threads-1) lets
    the body keep per-thread state without locks. numpy and scikit-learn release the GIL inside
    their loops, so blocks of a few thousand elements scale on two cores (about 1.5x here).
    The first exception of any task is re-raised once all threads have stopped.
    """
    if threads <= 1 or count <= 1:
        for task in range(count):
            body(task, 0)
        return
    tickets = itertools.count()
    lock = threading.Lock()

    def loop(thread: int) -> None:
        while True:
            with lock:
                task = next(tickets)
            if task >= count:
                return
            body(task, thread)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lotsen") as pool:
        futures = [pool.submit(loop, k) for k in range(min(threads, count))]
    for future in futures:
        future.result()


def blocks(n: int, size: int) -> list[slice]:
    """``[0, n)`` cut into consecutive slices of ``size`` (the last one shorter)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def concatenated_in_threads(
    count: int, body: Callable[[int], Columns], threads: int, empty: Columns
) -> Columns:
    """``body(task)`` for every task in ``range(count)`` on ``threads`` threads, the arrays of
    their results concatenated column by column in task order.

    Each task returns the same number of arrays; ``empty`` is the result without tasks, and a
    single task's arrays come back as they are (no copy).
    """
    results = [empty] * count

    def run(task: int, thread: int) -> None:
        results[task] = body(task)

    for_each_in_threads(count, run, threads)
    if count <= 1:
        return results[0] if results else empty
    return tuple(np.concatenate(column) for column in zip(*results, strict=True))


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    return None


def release_freed_memory() -> None:
    """Hand memory that threads freed back to the operating system (glibc's ``malloc_trim``).

    glibc keeps the blocks freed in its per-thread arenas for reuse, so after the threaded
    stages the resident set carries their temporaries (about 0.09 GB dense statewide) into the
    min cost flow, the run's peak. Does nothing where the C library is not glibc.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
