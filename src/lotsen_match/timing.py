"""Stage timing shared by ``match()``, the nightly job and the benchmarks (one definition)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["StageTimer"]

logger = logging.getLogger(__name__)


class StageTimer:
    """Wall-clock seconds per stage, in the order the stages ran.

    Subclass and override :meth:`started` and :meth:`finished` to observe the stages (the
    benchmark harness records the peak memory of each stage that way).
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def started(self, name: str) -> None:
        """Called when stage ``name`` begins."""

    def finished(self, name: str, seconds: float) -> None:
        """Called when stage ``name`` ends (also when it raises)."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.started(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.seconds[name] = round(elapsed, 6)
            logger.debug("stage %s took %.3f s", name, elapsed)
            self.finished(name, elapsed)
