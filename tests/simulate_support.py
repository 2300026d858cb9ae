"""Shared helpers of the simulation tests: the bundled sample and cached runs."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

import lotsen_match as lm
from lotsen_match.simulate import (
    AddVolunteers,
    Scenario,
    SimulationRun,
    SimulationSettings,
    simulate,
)

__all__ = ["AS_OF", "CONFIG", "SAMPLE", "cached_run", "sample_frames"]

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "spec"
AS_OF = dt.date(2026, 11, 2)
CONFIG = lm.MatchConfig(as_of=AS_OF)


def sample_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)

    return read("volunteers"), read("requests"), read("assignments")


@cache
def cached_run(
    policy: str,
    seed: int,
    days: int,
    trace: bool = False,
    settings: tuple[tuple[str, Any], ...] = (),
    add: tuple[tuple[str, Any], ...] = (),
) -> SimulationRun:
    """One run on the sample, computed once per test session (runs take seconds each)."""
    v, r, a = sample_frames()
    scenario = Scenario(
        name=policy,
        policy=policy,
        add_volunteers=(AddVolunteers(**dict(add)),) if add else (),
    )
    return simulate(
        v,
        r,
        a,
        scenario,
        seed=seed,
        settings=SimulationSettings(days=days, **dict(settings)),
        config=CONFIG,
        trace=trace,
    )
