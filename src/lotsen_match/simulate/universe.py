"""Everything random in a run, drawn up front from the seed: arrivals, durations, decisions.

Drawing before any policy acts gives every policy of a seed the same families on the same days
with the same durations, and the same coordinator answer for the same pair (common random
numbers), so policy differences are not sampling noise; and the bound sees the same arrivals.

The households of a run (its *universe*) are the caseload's own households (open ones wait from
the day their first request was created, accompanied ones are active until a drawn day) and the
arrivals: copies of a caseload household of the arriving group, with fresh ids, created on their
arrival day, without a due date or a previous volunteer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .scenario import SimulationSettings
from .world import World

__all__ = ["Universe", "decision_uniform", "draw_durations", "draw_universe", "request_table"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Universe:
    """Households of one run: the caseload's households first, then the arrivals by day."""

    template: I64
    """Household of the world whose requests (and admissible pairs) the household has."""
    arrival: I64
    """Day it starts waiting (the caseload's own: the first request's created day, <= 0)."""
    is_copy: npt.NDArray[np.bool_]
    counted: npt.NDArray[np.bool_]
    """Open at the start or arriving: the households the metrics and the bound are about (the
    caseload's accompanied households are not)."""
    duration: I64
    """Days an accompaniment of it lasts once confirmed."""
    init_end: I64
    """Day the accompaniment of each accompanied caseload household ends (``world.init_*``)."""

    @property
    def size(self) -> int:
        return int(self.template.shape[0])


def draw_durations(rng: np.random.Generator, n: int, settings: SimulationSettings) -> I64:
    """``min_duration_days`` plus a gamma(2) tail with the configured mean."""
    extra = max(settings.mean_duration_days - settings.min_duration_days, 0.0)
    tail = rng.gamma(2.0, extra / 2.0, size=n) if extra > 0 else np.zeros(n)
    return (settings.min_duration_days + np.ceil(tail)).astype(np.int64)


def draw_universe(world: World, settings: SimulationSettings, seed: int) -> Universe:
    """Poisson arrivals per day and group; each copies a uniformly drawn household of its group."""
    rng = np.random.default_rng([seed, 21])
    days = settings.days
    rate = world.group_rate
    counts = rng.poisson(np.broadcast_to(rate, (days, rate.shape[0])))
    day_of, group_of = np.nonzero(counts)
    reps = counts[day_of, group_of]
    day_of = np.repeat(day_of, reps)
    group_of = np.repeat(group_of, reps)
    members = np.argsort(world.h_group, kind="stable")
    first = np.searchsorted(world.h_group[members], np.arange(rate.shape[0] + 1))
    size = np.diff(first)
    pick = first[group_of] + np.floor(rng.random(group_of.shape[0]) * size[group_of]).astype(
        np.int64
    )
    copies = members[pick].astype(np.int64)
    own = np.arange(world.n_households, dtype=np.int64)
    template = np.concatenate([own, copies])
    arrival = np.concatenate([world.h_created, day_of]).astype(np.int64)
    is_copy = np.r_[np.zeros(own.size, dtype=bool), np.ones(copies.size, dtype=bool)]
    counted = np.r_[world.h_open, np.ones(copies.size, dtype=bool)]
    drng = np.random.default_rng([seed, 22])
    duration = draw_durations(drng, template.shape[0], settings)
    init_total = draw_durations(drng, world.init_household.shape[0], settings)
    init_end = np.ceil(drng.random(init_total.shape[0]) * init_total).astype(np.int64)
    return Universe(template, arrival, is_copy, counted, duration, np.maximum(init_end, 1))


def request_table(world: World, uni: Universe) -> tuple[pd.DataFrame, I64]:
    """Request rows of every household of the universe, and the household of each row.

    Copies get ids ``<request_id>-S<u>`` and household ``SIM<u>``, are created on their arrival
    day and have no due date and no previous volunteer; the caseload's rows are unchanged.
    """
    lengths = np.diff(world.h_rows)[uni.template]
    starts = world.h_rows[uni.template]
    offsets = np.cumsum(lengths) - lengths
    pos = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
    rows = world.h_row_index[pos]
    owner = np.repeat(np.arange(uni.size, dtype=np.int64), lengths)
    table = world.requests.iloc[rows].reset_index(drop=True)
    copy = uni.is_copy[owner]
    if copy.any():
        tag = pd.Series(owner[copy]).astype(str)
        ids = table.loc[copy, "request_id"].astype(str).to_numpy()
        table.loc[copy, "request_id"] = ids + ("-S" + tag).to_numpy()
        table.loc[copy, "household_id"] = ("SIM" + tag).to_numpy()
        table.loc[copy, "created_on"] = pd.Timestamp(world.config.as_of) + pd.to_timedelta(
            uni.arrival[owner[copy]], unit="D"
        )
        table.loc[copy, "due_on"] = pd.NaT
        table.loc[copy, "previous_volunteer_id"] = ""
    return table, owner


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def decision_uniform(
    seed: int, household: npt.ArrayLike, volunteer: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """A uniform number per (household, volunteer) pair from the seed alone (SplitMix64).

    A coordinator's answer depends on the pair, not on when or by which policy it was proposed.
    """
    with np.errstate(over="ignore"):
        x = (
            np.uint64(seed & 0xFFFFFFFF) * _GOLD
            + np.asarray(household, dtype=np.uint64) * _M2
            + np.asarray(volunteer, dtype=np.uint64) * _GOLD * np.uint64(3)
        )
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        x = x ^ (x >> np.uint64(31))
    out: npt.NDArray[np.float64] = (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return out
