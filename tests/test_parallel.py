"""Memory that threads freed goes back to the operating system before the flow (glibc)."""

from __future__ import annotations

import os
import platform
import threading

import numpy as np
import pytest

from lotsen_match import _parallel


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc"
)
def test_freed_thread_memory_is_returned_to_the_os() -> None:
    assert _parallel._malloc_trim() is not None
    kept: list[np.ndarray] = []

    def churn() -> None:
        # Interleaved blocks below the mmap threshold that glibc raised after the first big
        # free: freeing every other one leaves holes its arena keeps for reuse.
        np.ones(16 << 20, dtype=np.uint8)
        blocks = [np.ones(2 << 20, dtype=np.uint8) for _ in range(80)]
        kept.extend(blocks[1::2])
        del blocks

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    before = _resident_bytes()
    _parallel.release_freed_memory()
    after = _resident_bytes()
    assert len(kept) == 40
    assert before - after >= 40 << 20  # most of the 80 MiB freed in holes
