"""A year in simulation: matching policies day by day on the library's Matcher, an upper bound,
and scenario sweeps on Dask.

``simulate()`` runs one scenario and seed; ``sweep()`` runs scenarios x seeds as Dask tasks.
Arrivals copy the caseload's households at Poisson rates per (need type, first language, place)
estimated from recent requests; accompaniments end after drawn durations; Lotsen join and leave;
coordinators confirm a proposal with a given probability after a few days or decline it (the pair
is never proposed again). Every day an ``lm.Matcher`` is built on that day's tables and carries
the day's events (see `lotsen_match.simulate.engine`); the nightly and weekly policies by
default get the same exact plans from the universe of the run encoded once
(`lotsen_match.simulate.dayplan`). Policies: ``nightly`` and ``weekly``
send the Matcher's exact plan; ``greedy_on_arrival`` gives each household, first come first
served, the free volunteer with the best pair score; ``suggest_on_arrival`` the first row of
``Matcher.suggest``. ``upper_bound`` is what any policy could serve at most (see
`lotsen_match.simulate.bound`).
"""

from __future__ import annotations

from .bound import upper_bound
from .report import simulation_figure, summarise, write_outputs
from .run import TIMING_COLUMNS, SimulationRun, simulate
from .scenario import (
    POLICIES,
    AddVolunteers,
    ArrivalFactor,
    RemoveVolunteers,
    Scenario,
    SimulationSettings,
    load_scenarios,
    parse_scenarios,
)
from .sweep import SweepResult, sweep

__all__ = [
    "POLICIES",
    "TIMING_COLUMNS",
    "AddVolunteers",
    "ArrivalFactor",
    "RemoveVolunteers",
    "Scenario",
    "SimulationRun",
    "SimulationSettings",
    "SweepResult",
    "load_scenarios",
    "parse_scenarios",
    "simulate",
    "simulation_figure",
    "summarise",
    "sweep",
    "upper_bound",
    "write_outputs",
]
