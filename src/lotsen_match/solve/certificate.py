"""Proof of optimality for a selection: volunteer prices that make it a competitive equilibrium.

The LP dual of the assignment model is fixed by one price ``p[v] >= 0`` per volunteer: a
household's dual is its best net value ``max(0, max_v value[h, v] - p[v])`` and a slot's dual is
``max(0, p[v] - slot_cost)``. A feasible selection is optimal if and only if prices exist with

* every household on its best arc at those prices (unmatched ones: no arc worth more than its
  volunteer's price), and
* every volunteer priced between the cost of its last used slot and of its first free one.

Holding the selection fixed, these are difference constraints between volunteer prices (a
household on ``v`` with an arc to ``w`` says ``p[w] >= p[v] + value[h, w] - value[h, v]``) with
lower and upper bounds. Their least solution is a longest-path problem on the volunteer graph,
solved here by a vectorised Bellman-Ford that only revisits volunteers whose price rose. If it
settles within the bounds, the prices are a dual certificate: the selection is optimal, whatever
solver produced it. If a price overshoots its bound, or the iteration does not settle (a
positive cycle, i.e. an improving exchange), no certificate exists for this selection.

This is what lets the flow backend solve an easier problem (a smaller value per served request)
and still prove optimality for the real one. The passes over all arcs and the big rounds run on
two threads (a dense national caseload has 14 M exchange edges and 191 rounds); the rounds are
Jacobi rounds, so how the work is split changes neither the rounds nor the prices.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from lotsen_match._parallel import (
    Columns,
    blocks,
    concatenated_in_threads,
    for_each_in_threads,
    worker_count,
)
from lotsen_match.solve.model import AssignmentModel

from ..errors import ArgumentError

__all__ = ["Certificate", "certify"]

logger = logging.getLogger(__name__)

_UNBOUNDED: Final[int] = 2**62
#: Relaxation rounds before giving up. Prices settle in as many rounds as the longest chain of
#: households displacing each other (statewide caseloads: under 200); a selection that is not
#: optimal usually overshoots a bound within a few rounds. Giving up only costs a re-solve.
DEFAULT_MAX_ROUNDS: Final[int] = 5_000


@dataclass(frozen=True, slots=True)
class Certificate:
    """The outcome of :func:`certify`: ``optimal`` with the prices that prove it, or not."""

    optimal: bool
    prices: npt.NDArray[np.int64]
    """(n_volunteers,) least prices found (a dual solution when ``optimal``)."""
    rounds: int
    """Bellman-Ford rounds run."""
    reason: str
    """"" when optimal, else why no certificate was found."""


def certify(
    model: AssignmentModel,
    selected: npt.NDArray[np.bool_],
    *,
    values: npt.NDArray[np.int64] | None = None,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> Certificate:
    """Check that ``selected`` maximises the model's objective, by constructing dual prices.

    ``values`` replaces ``model.arc_value`` (same arcs and slots), to certify a selection for a
    different objective. Raises ValueError if the selection is infeasible. Exact integer
    arithmetic throughout; linear memory in the number of arcs.
    """
    model.check_feasible(selected)
    value = model.arc_value if values is None else values
    if value.shape != (model.n_arcs,):
        raise ArgumentError(f"values must have shape ({model.n_arcs},), got {value.shape}")
    n_v = model.n_volunteers
    household, volunteer = model.arc_household, model.arc_volunteer

    # Price bounds from the slots: at least the last used slot's cost, at most the next one's.
    load = np.bincount(volunteer[selected], minlength=n_v)
    n_slots = model.n_slots
    cost = model.slot_cost
    last_slot = model.slot_offsets[:-1] + load - 1
    lower = np.zeros(n_v, dtype=np.int64)
    lower[load > 0] = cost[last_slot[load > 0]]
    upper = np.full(n_v, _UNBOUNDED, dtype=np.int64)
    has_free = load < n_slots
    upper[has_free] = cost[(model.slot_offsets[:-1] + load)[has_free]]

    mate = np.full(model.n_households, -1, dtype=np.int64)
    mate[household[selected]] = volunteer[selected]
    mate_value = np.zeros(model.n_households, dtype=np.int64)
    mate_value[household[selected]] = value[selected]
    arcs = _Arcs(household, volunteer, value, selected, mate, mate_value, worker_count())
    # An unmatched household must not want any volunteer at its price ...
    arcs.raise_lower_by_unmatched(lower)
    # ... and a matched one must gain at least nothing from its own.
    np.minimum.at(upper, volunteer[selected], value[selected])
    if np.any(lower > upper):
        return Certificate(False, lower, 0, "a price bound is violated before any exchange")

    # Exchange edges mate -> other volunteer of the same household, sorted by source (CSR).
    src, dst, gain = arcs.exchange_edges(lower, upper)
    # Any order within a source will do (Jacobi rounds); numpy radix-sorts 16-bit keys.
    narrow = src.astype(np.uint16) if n_v <= np.iinfo(np.uint16).max + 1 else src
    order = np.argsort(narrow, kind="stable")
    del narrow
    dst, gain = dst[order], gain[order]
    del order
    degree = np.bincount(src, minlength=n_v)
    del src
    indptr = np.zeros(n_v + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    edges = _ExchangeEdges(indptr, degree, dst, gain, worker_count())

    price = lower.copy()
    rose = np.zeros(n_v, dtype=np.bool_)
    frontier = np.flatnonzero(degree > 0)
    rounds = 0
    while frontier.size:
        if rounds == max_rounds:
            return Certificate(False, price, rounds, f"prices did not settle in {rounds} rounds")
        rounds += 1
        target, offer = edges.rising(frontier, price)
        if target.size == 0:
            break
        np.maximum.at(price, target, offer)
        rose[target] = True  # the sorted unique targets, without a sort
        frontier = np.flatnonzero(rose)
        rose[frontier] = False
        if np.any(price[frontier] > upper[frontier]):
            return Certificate(False, price, rounds, "an exchange would improve the objective")
    logger.debug("certified optimal after %d price rounds", rounds)
    return Certificate(True, price, rounds, "")


class _ExchangeEdges:
    """The exchange edges in CSR by source volunteer, relaxed a round at a time.

    A round offers ``price[source] + gain`` along the out-edges of the volunteers whose price
    rose in the last round (Jacobi: every offer reads the prices at the round's start, so the
    rounds and prices do not depend on how the work is split). The first rounds move most
    volunteers: when the frontier owns most edges, every edge is relaxed in contiguous passes
    (an edge of a volunteer whose price did not change offers nothing new, so this changes no
    result), else the frontier's edges are gathered. Big rounds are split over threads into
    volunteer ranges of about equal edge counts (numpy releases the GIL in these loops).
    """

    def __init__(
        self,
        indptr: npt.NDArray[np.int64],
        degree: npt.NDArray[np.int64],
        dst: npt.NDArray[np.intp],
        gain: npt.NDArray[np.int64],
        threads: int,
    ) -> None:
        self.indptr, self.degree, self.dst, self.gain = indptr, degree, dst, gain
        self.n_edges = int(dst.size)
        self.threads = threads

    def rising(
        self, frontier: npt.NDArray[np.intp], price: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
        """Targets and offers of this round's edges that raise their target's price."""
        indptr, degree = self.indptr, self.degree
        count = degree[frontier]
        before = np.zeros(frontier.size + 1, dtype=np.int64)  # the frontier's edges, cumulative
        np.cumsum(count, out=before[1:])
        volume = int(before[-1])
        threads = self.threads if volume >= _PARALLEL_EDGES else 1
        if volume >= _CONTIGUOUS_SHARE * self.n_edges:

            def contiguous(lo: int, hi: int) -> _Rising:
                first, last = int(indptr[lo]), int(indptr[hi])
                offer = np.repeat(price[lo:hi], degree[lo:hi])
                offer += self.gain[first:last]
                return _raising(self.dst[first:last], offer, price)

            return _run(contiguous, _split(indptr, threads))

        def gathered(lo: int, hi: int) -> _Rising:
            nodes, counts = frontier[lo:hi], count[lo:hi]
            edge = np.repeat(indptr[nodes] - (before[lo:hi] - before[lo]), counts)
            edge += np.arange(int(before[hi] - before[lo]))
            offer = np.repeat(price[nodes], counts)
            offer += self.gain[edge]
            return _raising(self.dst[edge], offer, price)

        return _run(gathered, _split(before, threads))


#: A round relaxes every edge contiguously when its frontier owns at least this share of them.
_CONTIGUOUS_SHARE: Final[float] = 0.3
#: Rounds with fewer edges than this stay on one thread (thread hand-over costs more).
_PARALLEL_EDGES: Final[int] = 1 << 18

_Rising = tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]
_NO_RISE: Final = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64))


def _raising(
    target: npt.NDArray[np.intp], offer: npt.NDArray[np.int64], price: npt.NDArray[np.int64]
) -> _Rising:
    """The offers above their target's price, with their targets."""
    up = np.flatnonzero(offer > price[target])
    return target[up], offer[up]


def _split(cumulative: npt.NDArray[np.int64], parts: int) -> list[tuple[int, int]]:
    """At most ``parts`` consecutive ranges of ``[0, len(cumulative) - 1)`` holding about equal
    shares of the edges (``cumulative[i]``: edges before position ``i``)."""
    end = cumulative.size - 1
    if parts <= 1:
        return [(0, end)]
    total = int(cumulative[-1] - cumulative[0])
    cuts = np.searchsorted(cumulative, cumulative[0] + total * np.arange(1, parts) // parts)
    bounds = [0, *np.minimum(cuts, end).tolist(), end]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _run(relax: Callable[[int, int], _Rising], parts: list[tuple[int, int]]) -> _Rising:
    """``relax`` on each part (on threads when there are several), results concatenated."""
    target, offer = concatenated_in_threads(
        len(parts), lambda task: relax(*parts[task]), len(parts), _NO_RISE
    )
    return target, offer


#: Arcs per block of the passes over all arcs: a block's temporaries stay small and reused,
#: and blocks go to threads.
_ARC_BLOCK: Final[int] = 1 << 20


class _Arcs:
    """The passes over every arc, block by block on threads (numpy releases the GIL)."""

    def __init__(
        self,
        household: npt.NDArray[np.int32],
        volunteer: npt.NDArray[np.int32],
        value: npt.NDArray[np.int64],
        selected: npt.NDArray[np.bool_],
        mate: npt.NDArray[np.int64],
        mate_value: npt.NDArray[np.int64],
        threads: int,
    ) -> None:
        self.household, self.volunteer, self.value = household, volunteer, value
        self.selected, self.mate, self.mate_value = selected, mate, mate_value
        self.blocks = blocks(int(household.size), _ARC_BLOCK)
        self.threads = max(1, min(threads, len(self.blocks)))

    def raise_lower_by_unmatched(self, lower: npt.NDArray[np.int64]) -> None:
        """``lower[v] = max(lower[v], value)`` over the arcs of unmatched households."""
        per_thread = [lower.copy() for _ in range(self.threads)]

        def body(task: int, thread: int) -> None:
            b = self.blocks[task]
            unmatched = np.flatnonzero(self.mate[self.household[b]] < 0)
            np.maximum.at(
                per_thread[thread], self.volunteer[b][unmatched], self.value[b][unmatched]
            )

        for_each_in_threads(len(self.blocks), body, self.threads)
        for bound in per_thread:
            np.maximum(lower, bound, out=lower)

    def exchange_edges(
        self, lower: npt.NDArray[np.int64], upper: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp], npt.NDArray[np.int64]]:
        """Source (the household's mate), target and gain of every live exchange edge.

        Prices never exceed their upper bounds while the iteration runs, so an edge that cannot
        lift its target above the target's lower bound even from the top is inert: dropped.
        """

        def body(task: int) -> Columns:
            b = self.blocks[task]
            household = self.household[b]
            mate = self.mate[household]
            mate_value = self.mate_value[household]
            value = self.value[b]
            volunteer = self.volunteer[b]
            # Unmatched households' arcs (mate -1) read garbage here; they are masked out below.
            live = upper[mate] - mate_value + value > lower[volunteer]
            live &= mate >= 0
            live &= ~self.selected[b]
            keep = np.flatnonzero(live)
            return mate[keep], volunteer[keep].astype(np.intp), value[keep] - mate_value[keep]

        src, dst, gain = concatenated_in_threads(len(self.blocks), body, self.threads, _NO_EDGES)
        return src, dst, gain


_NO_EDGES: Final = (
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.intp),
    np.zeros(0, dtype=np.int64),
)
