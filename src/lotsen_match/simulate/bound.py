"""An upper bound on the requests any policy can serve in a run (hindsight, timing relaxed).

How: one exact offline assignment of every counted household of the run (the caseload's open
ones and every arrival of the horizon, all known in advance) to volunteers, where volunteer
``v`` may start at most ``K_v`` accompaniments over the whole horizon, solved as one min-cost
flow (OR-Tools) that maximises served requests. A household may go to ``v`` if the pair is
admissible under the relaxed rules of :mod:`.world` (date rules and declined pairs dropped) and
then counts the requests ``v`` can take. Copies of one caseload household are interchangeable
here, so they enter as one node with their count as capacity.

Why it is a bound: in every policy's run, a household counts as served with the requests of its
first accompaniment, all of them admissible with its volunteer on that day, so admissible under
the relaxed rules too: the served set is a set of households on arcs of the flow network with at
most the arcs' request counts. Each household is counted once (a household served again after
its volunteer left adds nothing). And volunteer ``v`` starts at most ``K_v`` accompaniments:
at most ``capacity`` households hold a place of ``v`` at any time, so its accompaniments split
into ``capacity`` chains (interval graphs are perfect); chain ``j`` is usable from the day the
accompaniments ``v`` had at the start leave it free; within a chain, consecutive starts lie at
least one accompaniment apart, which lasts at least ``d_v``, the shortest duration drawn for any
household with an arc to ``v`` (an accompaniment cut short by ``v`` leaving is ``v``'s last);
and starts lie in ``[join_v, min(horizon, leave_v))``. So a chain free from ``f`` holds at most
``1 + (last - f) // d_v`` starts, and ``K_v`` is their sum. Every policy's served set is thus a
feasible flow, and the flow's optimum is at least its value.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from ..errors import SolverError
from .scenario import SimulationSettings
from .universe import Universe
from .world import World

__all__ = ["starts_per_volunteer", "upper_bound"]

I64 = npt.NDArray[np.int64]
_BIG = np.iinfo(np.int64).max


def starts_per_volunteer(world: World, uni: Universe, settings: SimulationSettings) -> I64:
    """``K_v``: most accompaniments volunteer ``v`` can start within the horizon."""
    n_v = world.n_volunteers
    t_min = np.full(world.n_households, _BIG, dtype=np.int64)
    np.minimum.at(t_min, uni.template, uni.duration)
    arc_h = np.repeat(np.arange(world.n_households), np.diff(world.arc_start))
    d_v = np.full(n_v, _BIG, dtype=np.int64)
    np.minimum.at(d_v, world.arc_volunteer, t_min[arc_h])
    first = np.maximum(world.v_join, 0)
    last = np.minimum(settings.days - 1, world.v_leave - 1)
    ends_by_v: list[list[int]] = [[] for _ in range(n_v)]
    for v, end in zip(world.init_volunteer.tolist(), uni.init_end.tolist(), strict=True):
        ends_by_v[v].append(end)
    k = np.zeros(n_v, dtype=np.int64)
    for v in np.flatnonzero((d_v < _BIG) & (last >= first)).tolist():
        cap = int(world.v_capacity[v])
        ends = sorted(ends_by_v[v])
        busy = len(ends)
        total = 0
        for j in range(cap):
            idx = busy - cap + j
            free_from = max(ends[idx] if idx >= 0 else 0, int(first[v]))
            if free_from <= last[v]:
                total += 1 + (int(last[v]) - free_from) // int(d_v[v])
        k[v] = total
    return k


def upper_bound(world: World, uni: Universe, settings: SimulationSettings) -> int:
    """Most requests any policy could serve in this run (see the module docstring).

    Raises
    ------
    SolverError
        The min-cost flow did not end optimal (a defect: the network is always feasible).
    """
    in_horizon = uni.counted & (uni.arrival < settings.days)
    copies = np.bincount(uni.template[in_horizon], minlength=world.n_households).astype(np.int64)
    k = starts_per_volunteer(world, uni, settings)
    n_h, n_v = world.n_households, world.n_volunteers
    arc_h = np.repeat(np.arange(n_h, dtype=np.int64), np.diff(world.arc_start))
    arc_v = world.arc_volunteer
    use = (copies[arc_h] > 0) & (k[arc_v] > 0)
    arc_h, arc_v, count = arc_h[use], arc_v[use], world.arc_count[use]
    if arc_h.size == 0:
        return 0
    source, sink = n_h + n_v, n_h + n_v + 1
    hs = np.flatnonzero(copies > 0)
    tails = np.concatenate([np.full(hs.size, source), hs, arc_h, n_h + np.arange(n_v)])
    heads = np.concatenate([hs, np.full(hs.size, sink), n_h + arc_v, np.full(n_v, sink)])
    caps = np.concatenate([copies[hs], copies[hs], copies[arc_h], k])
    costs = np.concatenate(
        [np.zeros(2 * hs.size, dtype=np.int64), -count, np.zeros(n_v, dtype=np.int64)]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    total = int(copies[hs].sum())
    supplies = np.zeros(n_h + n_v + 2, dtype=np.int64)
    supplies[source], supplies[sink] = total, -total
    flow.set_nodes_supplies(np.arange(supplies.size), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"upper bound: min cost flow ended with status {status}")
    return int(-flow.optimal_cost())
