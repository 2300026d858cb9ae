"""Session fixtures shared by the test modules.

The bundled German sample is matched once per test session (per xdist worker): the analysis,
figure and report tests read the same result instead of each re-running it.
"""

from __future__ import annotations

import pytest

import lotsen_match as lm

from .sample_run import match_sample

__all__ = ["sample"]


@pytest.fixture(scope="session")
def sample() -> lm.MatchResult:
    """``match()`` on the bundled sample with its own config (read-only: do not modify)."""
    return match_sample()
