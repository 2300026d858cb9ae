"""The bundled German sample, matched as a coordinator's office would run it (shared by tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lotsen_match as lm

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def sample_config(**update: Any) -> lm.MatchConfig:
    """``sample_config.toml`` (column mapping, as_of) with ``update`` applied."""
    return lm.MatchConfig.from_toml(SAMPLES / "sample_config.toml").model_copy(update=update)


def match_sample(requests: Path | None = None, **update: Any) -> lm.MatchResult:
    """``match()`` on the sample's three German CSVs (or another requests file)."""
    return lm.match(
        SAMPLES / "ehrenamt_lotsen.csv",
        requests or SAMPLES / "anfragen.csv",
        SAMPLES / "zuordnungen.csv",
        sample_config(**update),
    )
