"""An upper bound on the requests any policy can serve in a run: hindsight, with time relaxed.

How: one linear programme over every counted household ``u`` of the run (the caseload's open
ones and every arrival of the horizon, all known in advance) and every volunteer ``v`` it may
go to, with ``x[u, v]`` in ``[0, 1]``, maximising ``sum c[u, v] * x[u, v]``, where ``c[u, v]``
is the number of ``u``'s requests ``v`` can take. A pair is there if it is admissible under the
relaxed rules of `lotsen_match.simulate.world` (date rules and declined pairs dropped) and
``u`` can start with ``v`` at all: its earliest start ``e_u = max(arrival_u, 0) +
decision_days`` (a proposal needs the household to have arrived, its answer takes
``decision_days``) lies in ``v``'s window ``[join_v, E_v)``, ``E_v = min(horizon, leave_v)``.
Constraints, for each household and each volunteer:

* ``sum_v x[u, v] <= 1``: a household counts once;
* ``sum_u x[u, v] <= K_v``: at most ``K_v`` starts (below);
* ``sum_u w[u, v] * x[u, v] <= V_v``: the volunteer's time (below), with
  ``w[u, v] = min(duration_u, E_v - 1 - max(e_u, join_v))``.

The LP's optimum (solved by HiGHS) is at least the integer optimum, which is at least what any
policy serves.

Why: a household counts as served with the requests of its first accompaniment, all admissible
with its volunteer on the day it started, so admissible under the relaxed rules; it started on
a decision day, at least ``e_u``, inside the volunteer's window. So every policy's served set is
an integer point ``x`` with the objective its served requests, and it meets the constraints:

* at most ``capacity_v`` households hold a place of ``v`` at any time, so ``v``'s
  accompaniments split into ``capacity_v`` chains (interval graphs are perfect); chain ``j`` is
  usable from ``f_j``, the day the accompaniments ``v`` had at the start leave it free (and not
  before ``join_v``); consecutive starts in a chain lie at least one accompaniment apart, which
  lasts at least ``d_v``, the shortest duration drawn for any household with an arc to ``v``
  (one cut short by ``v`` leaving is ``v``'s last). So a chain holds at most
  ``1 + (E_v - 1 - f_j) // d_v`` starts, and ``K_v`` is their sum;
* in a chain, every accompaniment but the last ends before the next start, which is before
  ``E_v``: it lies whole in ``[f_j, E_v - 1)`` and its duration is at most ``E_v - 1 - s``
  for its start ``s >= max(e_u, join_v)``, so it counts in full in ``w``, and these lie in the
  chain one after the other: together at most ``E_v - 1 - f_j``; the last one counts at most
  ``min(D_v, E_v - 1 - join_v)`` with ``D_v`` the longest duration of a household with an arc
  to ``v``. So ``V_v = sum_j (E_v - 1 - f_j) + min(D_v, E_v - 1 - join_v)`` over the usable
  chains (a subset of a chain's accompaniments, such as the households' first ones, meets the
  same inequality).

It is a bound, not a target: it knows every arrival in advance, lets any household start on its
earliest day with any admissible volunteer whose time allows, ignores declines and the date
rules, and splits households fractionally — no policy reaches it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from ..errors import SolverError
from .scenario import SimulationSettings
from .universe import Universe
from .world import World

__all__ = ["starts_per_volunteer", "upper_bound"]

I64 = npt.NDArray[np.int64]
_BIG = np.iinfo(np.int64).max


def _chains(world: World, uni: Universe, settings: SimulationSettings) -> list[list[int]]:
    """Per volunteer: the first free day of each usable place (chain) within its window."""
    first = np.maximum(world.v_join, 0)
    end = np.minimum(settings.days, world.v_leave)
    ends_by_v: list[list[int]] = [[] for _ in range(world.n_volunteers)]
    for v, stop in zip(world.init_volunteer.tolist(), uni.init_end.tolist(), strict=True):
        ends_by_v[v].append(stop)
    out: list[list[int]] = []
    for v in range(world.n_volunteers):
        cap = int(world.v_capacity[v])
        ends = sorted(ends_by_v[v])
        free = []
        for j in range(cap):
            idx = len(ends) - cap + j
            f = max(ends[idx] if idx >= 0 else 0, int(first[v]))
            if f <= int(end[v]) - 1:
                free.append(f)
        out.append(free)
    return out


def _durations(world: World, uni: Universe) -> tuple[I64, I64]:
    """(shortest, longest) duration of any household with an arc to each volunteer."""
    t_min = np.full(world.n_households, _BIG, dtype=np.int64)
    t_max = np.zeros(world.n_households, dtype=np.int64)
    np.minimum.at(t_min, uni.template, uni.duration)
    np.maximum.at(t_max, uni.template, uni.duration)
    arc_h = np.repeat(np.arange(world.n_households), np.diff(world.arc_start))
    d_min = np.full(world.n_volunteers, _BIG, dtype=np.int64)
    d_max = np.zeros(world.n_volunteers, dtype=np.int64)
    np.minimum.at(d_min, world.arc_volunteer, t_min[arc_h])
    np.maximum.at(d_max, world.arc_volunteer, t_max[arc_h])
    return d_min, d_max


def starts_per_volunteer(world: World, uni: Universe, settings: SimulationSettings) -> I64:
    """``K_v``: most accompaniments volunteer ``v`` can start within the horizon.

    Parameters
    ----------
    world, uni, settings
        The run (see the module docstring).

    Returns
    -------
    numpy.ndarray
        One count per volunteer.
    """
    end = np.minimum(settings.days, world.v_leave)
    d_min, _ = _durations(world, uni)
    k = np.zeros(world.n_volunteers, dtype=np.int64)
    for v, chains in enumerate(_chains(world, uni, settings)):
        if d_min[v] < _BIG:
            k[v] = sum(1 + (int(end[v]) - 1 - f) // int(d_min[v]) for f in chains)
    return k


def upper_bound(world: World, uni: Universe, settings: SimulationSettings) -> int:
    """Most requests any policy could serve in this run (see the module docstring).

    Parameters
    ----------
    world, uni, settings
        The run: its world, its households and their draws, its dynamics.

    Returns
    -------
    int
        The LP optimum, rounded down (any policy's served requests are at most this).

    Raises
    ------
    SolverError
        The LP did not solve to optimality (a defect: ``x = 0`` is always feasible).
    """
    counted = np.flatnonzero(uni.counted & (uni.arrival < settings.days))
    t = uni.template[counted]
    lengths = np.diff(world.arc_start)[t]
    owner = np.repeat(np.arange(counted.size, dtype=np.int64), lengths)
    offsets = np.cumsum(lengths) - lengths
    arc = np.repeat(world.arc_start[t] - offsets, lengths) + np.arange(
        int(lengths.sum()), dtype=np.int64
    )
    v = world.arc_volunteer[arc]
    count = world.arc_count[arc].astype(np.float64)
    u = counted[owner]
    earliest = np.maximum(uni.arrival[u], 0) + settings.decision_days
    begin = np.maximum(earliest, np.maximum(world.v_join[v], 0))
    end = np.minimum(settings.days, world.v_leave)[v]
    k = starts_per_volunteer(world, uni, settings)
    keep = (begin <= end - 1) & (k[v] > 0)
    owner, v, count, u, begin, end = (
        owner[keep],
        v[keep],
        count[keep],
        u[keep],
        begin[keep],
        end[keep],
    )
    if v.size == 0:
        return 0
    weight = np.minimum(uni.duration[u], end - 1 - begin).astype(np.float64)
    _, d_max = _durations(world, uni)
    stop = np.minimum(settings.days, world.v_leave)
    first = np.maximum(world.v_join, 0)
    volume = np.array(
        [
            sum(int(stop[w]) - 1 - f for f in chains)
            + len(chains) * max(min(int(d_max[w]), int(stop[w]) - 1 - int(first[w])), 0)
            for w, chains in enumerate(_chains(world, uni, settings))
        ],
        dtype=np.float64,
    )
    n = v.size
    cols = np.arange(n)
    n_v = world.n_volunteers
    a_household = csr_matrix((np.ones(n), (owner, cols)), shape=(counted.size, n))
    a_count = csr_matrix((np.ones(n), (v, cols)), shape=(n_v, n))
    a_time = csr_matrix((weight, (v, cols)), shape=(n_v, n))
    result = linprog(
        -count,
        A_ub=vstack([a_household, a_count, a_time]).tocsr(),
        b_ub=np.concatenate([np.ones(counted.size), k.astype(np.float64), volume]),
        bounds=(0.0, 1.0),
        method="highs",
    )
    if result.status != 0:
        raise SolverError(f"upper bound: the LP ended with status {result.status}")
    return math.floor(-float(result.fun) + 1e-6 * max(1.0, abs(float(result.fun))))
