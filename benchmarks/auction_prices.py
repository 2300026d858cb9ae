"""Experiment (issue 16): volunteer prices from a short auction, then a flow on the arcs near them.

    python benchmarks/auction_prices.py                 # dense statewide
    python benchmarks/auction_prices.py --slack 8 --shift-bits 9

On a dense caseload almost every arc is one an optimal plan never uses, and with the optimal
dual prices the arcs an optimal plan uses are the few with the best value net of their
volunteer's price (``benchmarks/arc_pruning.py``: good prices are the whole problem). This
script tries to get such prices cheaply: a vectorised auction (Bertsekas; all unassigned
households bid at once per round, "Jacobi" style, for volunteer slots priced from their load
cost), then keeps the arcs within ``slack`` bid increments of their household's best net value,
solves the flow on those, and asks :func:`~lotsen_match.solve.certificate.certify` whether the
plan is optimal for the whole model.

Measured on the dense statewide caseload (11.8 M household arcs, 2 cores, load about 2, wall
seconds), against one flow over all arcs (12.7 s) plus its certificate (2.5 s):

* increment 1/512 of the largest value (885): auction 5.3 s, 2.6 M arcs kept, 4 optimal arcs
  outside them, flow on the subset 6.7 s, certificate failed;
* increment 1/1024 (442): auction 7.5 s, 1.5 M arcs kept, 14 optimal arcs outside, flow 5.0 s,
  certificate failed.

The subset costs OR-Tools 2.6-3.4 microseconds per arc against 1.1 on the whole network: the
arcs left are the contested ones, where cost scaling does its work. Even a subset that held an
optimal plan would cost the auction plus about 5 s of flow plus the certificate, no less than
one flow over everything, so this was not adopted; the script keeps the measurement
reproducible.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from lotsen_match.solve.model import AssignmentModel

__all__ = ["DEFAULT_SLACK", "MAX_ROUNDS", "auction_prices", "bid_increment", "likely_arcs"]


I64 = npt.NDArray[np.int64]
Ix = npt.NDArray[np.intp]

#: Rounds before the auction stops with the prices it has: the rounds after the first few
#: dozen move only a handful of households (dense statewide: 50,629 bidders in the first round,
#: 41 after 200), and the prices only steer which arcs are kept.
MAX_ROUNDS: Final[int] = 300
#: Arcs kept: net value within this many bid increments of the household's best (dense
#: statewide: every optimal arc is within 3.2 increments after the auction; 4 keeps 1.9 M of
#: 11.8 M arcs).
DEFAULT_SLACK: Final[int] = 4
#: Price of a volunteer without a free slot: no household can pay it.
_NO_SLOT: Final[int] = 2**62
#: Bidders above this share of the households: work on all arcs in place rather than gather
#: the bidders' arcs (contiguous passes beat gathers when most households bid).
_ALL_ARCS_SHARE: Final[float] = 0.25


def bid_increment(values: I64, shift_bits: int = 9) -> int:
    """The auction's minimum bid increment: the largest arc value >> ``shift_bits`` (>= 1).

    Coarse on purpose: rounds grow with value range / increment, and the prices only have to
    be good enough to pick arcs; exactness comes from the certificate.
    """
    top = int(values.max(initial=0))
    return max(1, top >> shift_bits)


def auction_prices(
    model: AssignmentModel, values: I64, *, epsilon: int, max_rounds: int = MAX_ROUNDS
) -> I64:
    """Approximate dual prices: per volunteer, the price of its cheapest slot after the auction.

    Households bid for slots; a slot starts at its load cost, a bid raises the price of the
    bidder's best volunteer's cheapest slot by the bidder's margin over its second best (or
    over staying unmatched, worth 0) plus ``epsilon``, the highest bid per slot wins and the
    household it displaces bids again. A household whose best net value is no longer positive
    drops out for good (prices only rise). Deterministic: ties go to the lower index.

    Parameters
    ----------
    model
        The assignment model (its arcs, slots and slot costs).
    values
        (n_arcs,) the arc values to bid with (``arc_value``, or the flow's shifted values).
    epsilon
        The minimum bid increment (> 0).
    max_rounds
        Rounds before stopping with the current prices.

    Returns
    -------
    numpy.ndarray
        (n_volunteers,) int64 price per volunteer; ``2**62`` for a volunteer without slots.
    """
    n_h, n_v = model.n_households, model.n_volunteers
    household, volunteer = model.arc_household, model.arc_volunteer
    if household.size and np.any(household[1:] < household[:-1]):
        order = np.argsort(household, kind="stable")
        household, volunteer, values = household[order], volunteer[order], values[order]
    starts = np.searchsorted(household, np.arange(n_h + 1))
    offsets = model.slot_offsets
    n_slots = np.diff(offsets)
    with_slots = np.flatnonzero(n_slots > 0)
    slot_volunteer = np.repeat(np.arange(n_v), n_slots)
    price = model.slot_cost.astype(np.int64, copy=True)
    holder = np.full(price.size, -1, dtype=np.int64)
    bidders = np.flatnonzero(np.diff(starts) > 0)
    cheapest = np.full(n_v, _NO_SLOT, dtype=np.int64)
    first_slot = np.full(n_v, -1, dtype=np.int64)
    vol = volunteer.astype(np.intp)
    for _ in range(max_rounds):
        _cheapest_slots(price, offsets, with_slots, slot_volunteer, cheapest, first_slot)
        if bidders.size == 0:
            break
        best, best_arc, second = _best_two(values, vol, starts, bidders, cheapest)
        bids = best > 0
        bidders, best_arc = bidders[bids], best_arc[bids]
        if bidders.size == 0:
            break
        target = vol[best_arc]
        slot = first_slot[target]
        bid = cheapest[target] + (best[bids] - second[bids]) + epsilon
        # The highest bid per slot wins (ties: the lower household index).
        order = np.lexsort((bidders, -bid, slot))
        sorted_slot = slot[order]
        win = order[np.r_[True, sorted_slot[1:] != sorted_slot[:-1]]]
        won, winners = slot[win], bidders[win]
        displaced = holder[won]
        price[won] = bid[win]
        holder[won] = winners
        lost = np.ones(bidders.size, dtype=np.bool_)
        lost[win] = False
        bidders = np.union1d(bidders[lost], displaced[displaced >= 0])
    _cheapest_slots(price, offsets, with_slots, slot_volunteer, cheapest, first_slot)
    return cheapest


def _cheapest_slots(
    price: I64,
    offsets: I64,
    with_slots: Ix,
    slot_volunteer: Ix,
    cheapest: I64,
    first_slot: I64,
) -> None:
    """Per volunteer with slots, its lowest slot price and that slot (the first at it)."""
    if with_slots.size == 0:
        return
    cheapest[with_slots] = np.minimum.reduceat(price, offsets[with_slots])
    at_min = np.flatnonzero(price == cheapest[slot_volunteer])
    owner = slot_volunteer[at_min]
    first = np.r_[True, owner[1:] != owner[:-1]]
    first_slot[owner[first]] = at_min[first]


def _best_two(values: I64, vol: Ix, starts: Ix, bidders: Ix, cheapest: I64) -> tuple[I64, Ix, I64]:
    """Per bidder: best net value, the arc that gives it (first one), and the second best net
    value over its other arcs or 0 (staying unmatched), whichever is larger."""
    n_h = starts.size - 1
    if bidders.size >= _ALL_ARCS_SHARE * n_h:
        # Most households bid: one contiguous pass over every arc of every household with arcs.
        households = np.flatnonzero(np.diff(starts) > 0)
        first = starts[households]
        count = starts[households + 1] - first
        net = values - cheapest[vol]
        arc_index: Ix | None = None
    else:
        households = bidders
        first = starts[bidders]
        count = starts[bidders + 1] - first
        arc_index = np.repeat(first - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        net = values[arc_index] - cheapest[vol[arc_index]]
        first = np.cumsum(count) - count
    best = np.maximum.reduceat(net, first)
    at_best = np.flatnonzero(net == np.repeat(best, count))
    segment = np.searchsorted(first, at_best, side="right") - 1
    best_pos = at_best[np.r_[True, segment[1:] != segment[:-1]]]
    net[best_pos] = np.iinfo(np.int64).min
    second = np.maximum(np.maximum.reduceat(net, first), 0)
    best_arc = best_pos if arc_index is None else arc_index[best_pos]
    if arc_index is None:  # back from all households to the bidders
        pick = np.searchsorted(households, bidders)
        return best[pick], best_arc[pick], second[pick]
    return best, best_arc, second


def likely_arcs(
    model: AssignmentModel,
    values: I64,
    prices: I64,
    *,
    epsilon: int,
    slack: int = DEFAULT_SLACK,
) -> Ix:
    """Indices of the arcs whose net value is within ``slack * epsilon`` of their household's
    best net value (or of 0, staying unmatched, where that is better), sorted.

    Parameters
    ----------
    model
        The assignment model.
    values
        (n_arcs,) the arc values the prices were found with.
    prices
        (n_volunteers,) from :func:`auction_prices`.
    epsilon
        The auction's bid increment.
    slack
        How many increments below the best an arc may be and still be kept.

    Returns
    -------
    numpy.ndarray
        Sorted intp indices into the model's arcs.
    """
    household = model.arc_household
    net = values - prices[model.arc_volunteer]
    best = np.zeros(model.n_households, dtype=np.int64)  # 0: staying unmatched
    np.maximum.at(best, household, net)
    threshold = best[household]
    threshold -= slack * epsilon
    return np.flatnonzero(net >= threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--slack", type=int, default=DEFAULT_SLACK)
    parser.add_argument("--shift-bits", type=int, default=9, help="increment = max value >> this")
    args = parser.parse_args()

    from arc_pruning import dense_model  # this directory: run as a script

    from lotsen_match.solve import flow
    from lotsen_match.solve.certificate import certify

    m = dense_model(args.volunteers, args.requests)
    shift = next(flow._value_ladder(m))
    served: Any = m.arc_served if m.arc_served is not None else np.zeros(m.n_arcs, np.int32)
    values = m.arc_value + shift * served.astype(np.int64)

    start = time.perf_counter()
    full = flow._Network(m, None).solve(shift)
    print(f"one flow over all arcs: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    proof = certify(m, full)
    print(f"its certificate: {time.perf_counter() - start:.1f} s, optimal {proof.optimal}")

    epsilon = bid_increment(values, args.shift_bits)
    start = time.perf_counter()
    prices = auction_prices(m, values, epsilon=epsilon)
    print(f"auction (increment {epsilon}): {time.perf_counter() - start:.1f} s")
    keep = likely_arcs(m, values, prices, epsilon=epsilon, slack=args.slack)
    kept = np.zeros(m.n_arcs, dtype=np.bool_)
    kept[keep] = True
    print(f"{keep.size:,} arcs kept, {int((full & ~kept).sum())} optimal arcs outside them")
    start = time.perf_counter()
    subset = flow._Network(m, keep).solve(shift)
    print(f"flow on the kept arcs: {time.perf_counter() - start:.1f} s")
    proof = certify(m, subset)
    print(
        f"certificate for the whole model: {proof.optimal} ({proof.reason or 'optimal'}); "
        f"objective {m.objective_of(subset)} against {m.objective_of(full)}"
    )


if __name__ == "__main__":
    main()
