"""One simulated run (scenario x seed) from contract-form tables to a row of metrics.

A pure function of its arguments: everything random is drawn from ``seed`` (and the scenario),
and the Matcher is deterministic, so a run gives the same numbers on any worker of any cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..config import MatchConfig
from ..errors import ConfigError
from .bound import upper_bound
from .engine import PENDING, WAITING, RunState, run_policy
from .scenario import Scenario, SimulationSettings
from .universe import Universe, draw_universe
from .world import World, build_world

__all__ = ["TIMING_COLUMNS", "SimulationRun", "check_simulated_config", "simulate"]

TIMING_COLUMNS: tuple[str, ...] = (
    "build_seconds",
    "matcher_seconds",
    "desk_seconds",
    "bound_seconds",
    "seconds",
    "seconds_per_day",
    "cpu_seconds",
)
"""Wall-clock columns: the only ones that differ between repeated runs of a seed."""


@dataclass(frozen=True)
class SimulationRun:
    """Metrics of one run (``row``), served share per first language and place (``shares``).

    Attributes
    ----------
    row
        The run's metrics (see ``simulate``).
    shares
        Arrived and served requests and their share per first language and per place.
    world
        The scenario applied to the caseload.
    universe
        The run's households and their draws.
    state
        The final state and, with ``trace=True``, every day's tables.
    """

    row: dict[str, Any]
    shares: pd.DataFrame
    world: World
    universe: Universe
    state: RunState


def simulate(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None = None,
    scenario: Scenario | None = None,
    *,
    seed: int = 0,
    settings: SimulationSettings | None = None,
    config: MatchConfig | None = None,
    trace: bool = False,
) -> SimulationRun:
    """Simulate ``settings.days`` days of ``scenario`` on a caseload; seeded and deterministic.

    Parameters
    ----------
    volunteers, requests, assignments
        Tables in the contract's form (DataFrames as read from files; assignments may be None).
    scenario
        Policy and changes; the default is nightly exact matching of the caseload as it is.
    seed
        Seed of arrivals, durations, recruits, departures and coordinators' answers.
    settings
        Dynamics (horizon, durations, confirmation rate, ...).
    config
        Matching rules; ``as_of`` is day 0.
    trace
        Keep every day's tables and proposals in ``state.records`` (tests re-check them).

    Returns
    -------
    SimulationRun
        ``row`` holds: scenario, policy, seed, days, arrived and served requests and households,
        waiting days of served households from their first request's creation to the start
        (median, p90; ``new_waiting_days_*``: only households that arrived during the run),
        still waiting, the bound and the share of it served, Lotse utilisation, proposals,
        declines, lapses, and timings.

    Raises
    ------
    ConfigError
        A scenario the caseload cannot carry; a success model in ``config``.
    InputValidationError
        Invalid input rows.
    """
    scenario = scenario or Scenario(name="nachts")
    settings = settings or SimulationSettings()
    config = check_simulated_config(config or MatchConfig())
    t0, c0 = time.perf_counter(), time.process_time()
    world = build_world(volunteers, requests, assignments, scenario, settings, config, seed)
    uni = draw_universe(world, settings, seed)
    t_build = time.perf_counter() - t0
    state = run_policy(world, uni, settings, scenario.policy, seed, trace=trace)
    t1 = time.perf_counter()
    bound = upper_bound(world, uni, settings)
    t_bound = time.perf_counter() - t1
    row, shares = _metrics(world, uni, state, settings)
    seconds = time.perf_counter() - t0
    row = {
        "scenario": scenario.name,
        "policy": scenario.policy,
        "seed": seed,
        "days": settings.days,
        **row,
        "bound_requests": bound,
        "bound_share": row["served_requests"] / bound if bound else float("nan"),
        "proposals": state.proposals,
        "declined": state.declined,
        "lapsed": state.lapsed,
        "held_back": state.held_back,
        "matcher_builds": state.builds,
        "desk_calls": state.desk_calls,
        "build_seconds": t_build,
        "matcher_seconds": state.build_seconds,
        "desk_seconds": state.desk_seconds,
        "bound_seconds": t_bound,
        "seconds": seconds,
        "seconds_per_day": (seconds - t_build - t_bound) / settings.days,
        "cpu_seconds": time.process_time() - c0,
    }
    shares.insert(0, "seed", seed)
    shares.insert(0, "policy", scenario.policy)
    shares.insert(0, "scenario", scenario.name)
    return SimulationRun(row, shares, world, uni, state)


def _metrics(
    world: World, uni: Universe, st: RunState, settings: SimulationSettings
) -> tuple[dict[str, Any], pd.DataFrame]:
    n_req = np.diff(world.h_rows)[uni.template]
    arrived = uni.counted & (uni.arrival < settings.days)
    served = arrived & (st.first_start >= 0)
    served_req = np.where(served, st.served_requests, 0)
    wait = (st.first_start - uni.arrival)[served]
    new_wait = (st.first_start - uni.arrival)[served & uni.is_copy]
    lang = world.h_language[uni.template]
    place = world.h_place[uni.template]
    frames = []
    for dim, key in (("erstsprache", lang), ("ort", place)):
        df = pd.DataFrame(
            {"key": key[arrived], "arrived": n_req[arrived], "served": served_req[arrived]}
        )
        g = df.groupby("key", sort=True)[["arrived", "served"]].sum().reset_index()
        g.insert(0, "dimension", dim)
        frames.append(g)
    shares = pd.concat(frames, ignore_index=True)
    shares["share"] = shares["served"] / shares["arrived"].where(shares["arrived"] > 0)
    lotsen = np.unique(st.first_volunteer[served]).size
    waiting = arrived & ((st.state == WAITING) | (st.state == PENDING)) & (st.first_start < 0)
    row: dict[str, Any] = {
        "arrived_requests": int(n_req[arrived].sum()),
        "arrived_households": int(arrived.sum()),
        "served_requests": int(served_req.sum()),
        "served_households": int(served.sum()),
        "served_share": float(served_req.sum() / max(int(n_req[arrived].sum()), 1)),
        "waiting_days_median": float(np.median(wait)) if wait.size else float("nan"),
        "waiting_days_p90": float(np.percentile(wait, 90)) if wait.size else float("nan"),
        "new_waiting_days_median": float(np.median(new_wait)) if new_wait.size else float("nan"),
        "new_waiting_days_p90": (
            float(np.percentile(new_wait, 90)) if new_wait.size else float("nan")
        ),
        "still_waiting": int(waiting.sum()),
        "lotse_utilisation": st.occupied_slot_days / st.available_slot_days
        if st.available_slot_days
        else float("nan"),
        "lotsen_serving": int(lotsen),
        "households_per_lotse": float(served.sum() / max(lotsen, 1)),
    }
    return row, shares


def check_simulated_config(config: MatchConfig) -> MatchConfig:
    """Refuse, before any day is run, the settings the simulation cannot honour.

    A learned success model: the day planner scores its pairs without the learned column (it
    would have to score it from each simulated day's history, which it does not), and the
    simulated world does not draw how accompaniments end from the pairs' features, so a year
    with the model would not show what the model changes.

    Parameters
    ----------
    config
        The run's matching rules.

    Returns
    -------
    MatchConfig
        ``config`` unchanged.

    Raises
    ------
    ConfigError
        ``rules.success_model`` is set.
    """
    if config.rules.success_model is not None:
        raise ConfigError(
            [
                (
                    "rules.success_model",
                    "the simulation's day planner does not score with a success model; leave "
                    "rules.success_model out of the simulation's settings (match(), the "
                    "nightly job and the desk API use it)",
                )
            ]
        )
    return config
