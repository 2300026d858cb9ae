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
and still prove optimality for the real one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

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
    arc_mate = mate[household]
    unmatched = arc_mate < 0
    # An unmatched household must not want any volunteer at its price ...
    np.maximum.at(lower, volunteer[unmatched], value[unmatched])
    # ... and a matched one must gain at least nothing from its own.
    np.minimum.at(upper, volunteer[selected], value[selected])
    if np.any(lower > upper):
        return Certificate(False, lower, 0, "a price bound is violated before any exchange")

    # Exchange edges mate -> other volunteer of the same household, sorted by source (CSR).
    # Prices never exceed their upper bounds while the iteration runs, so an edge that cannot
    # lift its target above the target's lower bound even from the top is inert: drop it.
    # Evaluated on all arcs at once (gathers from per-household and per-volunteer tables);
    # unmatched households' arcs (mate -1) are masked out, whatever their garbage values.
    live = upper[arc_mate] - mate_value[household] + value > lower[volunteer]
    live &= ~unmatched
    live &= ~selected
    other = np.flatnonzero(live)
    del live
    src = arc_mate[other]
    # Stable argsort of volunteer indices; numpy radix-sorts 16-bit keys (5x faster than int64).
    narrow = src.astype(np.int16) if n_v <= np.iinfo(np.int16).max else src
    order = np.argsort(narrow, kind="stable")
    del narrow
    other = other[order]
    src = src[order]
    dst = volunteer[other].astype(np.intp)
    gain = value[other] - mate_value[household[other]]
    indptr = np.searchsorted(src, np.arange(n_v + 1))

    price = lower.copy()
    rose = np.zeros(n_v, dtype=np.bool_)
    frontier = np.flatnonzero(np.diff(indptr) > 0)
    rounds = 0
    while frontier.size:
        if rounds == max_rounds:
            return Certificate(False, price, rounds, f"prices did not settle in {rounds} rounds")
        rounds += 1
        start = indptr[frontier]
        count = indptr[frontier + 1] - start
        edge = np.repeat(start - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        offer = price[src[edge]] + gain[edge]
        target = dst[edge]
        rising = offer > price[target]
        if not rising.any():
            break
        target, offer = target[rising], offer[rising]
        np.maximum.at(price, target, offer)
        rose[target] = True  # the sorted unique targets, without a sort
        frontier = np.flatnonzero(rose)
        rose[frontier] = False
        if np.any(price[frontier] > upper[frontier]):
            return Certificate(False, price, rounds, "an exchange would improve the objective")
    logger.debug("certified optimal after %d price rounds", rounds)
    return Certificate(True, price, rounds, "")
