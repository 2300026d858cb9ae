"""From scored request-volunteer pairs to the household assignment model the solvers optimise.

Households are matched as units (one contact person per family): the value of giving household h
to volunteer v is the sum over h's requests that v may take. Costs are integers: one score unit
(a pair of quality 1.0) is worth ``SCALE`` cost units, so the objective is exact to 1e-4 per pair.

With ``objective="max_served"`` every served request also earns a base value ``base`` larger than
any possible difference in quality and load, so the optimum serves as many requests as possible
first and maximises quality second (lexicographic, still one min cost flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from .._parallel import (
    Columns,
    blocks,
    concatenated_in_threads,
    for_each_in_threads,
    worker_count,
)
from ..config import MatchConfig
from ..solve import AssignmentModel
from .scoring import component_names

if TYPE_CHECKING:
    from .candidates import Candidates
    from .problem import MatchProblem

__all__ = [
    "SCALE",
    "HouseholdModel",
    "build_household_model",
    "household_model_of",
]


#: Cost units per score unit; pair qualities in [0, 1] become integers in [0, SCALE].
SCALE = 10_000
#: Edges per block of the passes over all edges (handed to threads).
_BLOCK: Final[int] = 1 << 20
_NO_INDEX: Final = np.zeros(0, dtype=np.intp)
_NO_INT64: Final = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class HouseholdModel:
    """The solver's model plus the maps back to request-volunteer edges."""

    model: AssignmentModel
    edge_arc: npt.NDArray[np.int32]  # (n_edges,) arc of each flow edge, -1 outside the flow
    direct: npt.NDArray[np.bool_]  # (n_edges,) edges proposed without the solver (active household)
    base: int  # value of one served request (0 under the pure quality objective)
    volunteer_free: npt.NDArray[np.int32]  # free household slots per volunteer

    def chosen_edges(self, selected: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """(n_edges,) the edges proposed: the direct ones and those whose arc the solve chose."""
        chosen = self.direct.copy()
        in_flow = self.edge_arc >= 0
        chosen[in_flow] = selected[self.edge_arc[in_flow]]
        return chosen


def build_household_model(
    *,
    edge_req: npt.NDArray[np.int32],
    edge_vol: npt.NDArray[np.int32],
    edge_quality: npt.NDArray[np.float64],
    r_household: npt.NDArray[np.int32],
    h_active_volunteer: npt.NDArray[np.int32],
    v_capacity: npt.NDArray[np.int32],
    v_active_households: npt.NDArray[np.int32],
    config: MatchConfig,
) -> HouseholdModel:
    """Aggregate edges to household arcs and price volunteer load convexly.

    Requests of a household already accompanied (``active``) by a volunteer bypass the solver:
    they may only go to that volunteer, cost no capacity, and are proposed whenever admissible.
    """
    n_vol = len(v_capacity)
    n_households = len(h_active_volunteer)
    direct, in_flow, keys, quality_int = _flow_edges(
        edge_req, edge_vol, edge_quality, r_household, h_active_volunteer, n_vol
    )
    arc_keys, edge_arc_flow, counts = _group_by_key(keys)
    del keys
    arc_quality_int = np.zeros(len(arc_keys), dtype=np.int64)
    np.add.at(arc_quality_int, edge_arc_flow, quality_int)
    del quality_int

    free = np.maximum(v_capacity - v_active_households, 0).astype(np.int32)
    slot_offsets = np.zeros(n_vol + 1, dtype=np.int64)
    np.cumsum(free, out=slot_offsets[1:])
    slot_vol = np.repeat(np.arange(n_vol), free)
    slot_rank = np.arange(slot_offsets[-1], dtype=np.int64) - slot_offsets[slot_vol]
    cap = np.maximum(v_capacity[slot_vol], 1).astype(np.float64)
    load_before = v_active_households[slot_vol] + slot_rank
    pair_total = sum(config.weights.component_weights(component_names(config)))
    load_weight = config.weights.load / pair_total if pair_total > 0 else config.weights.load
    slot_cost = np.rint(SCALE * load_weight * load_before / cap).astype(np.int64)

    if config.rules.objective == "max_served":
        # Upper bounds of what quality and load can ever differ by; one more served request
        # must outweigh both, which makes the single objective lexicographic.
        # Every pair quality is at most SCALE, so SCALE per request with a candidate bounds it.
        n_served_max = int(np.count_nonzero(np.bincount(edge_req, minlength=len(r_household))))
        base = int(SCALE * n_served_max + slot_cost.sum() + 1)
    else:
        base = 0
    arc_value = arc_quality_int + base * counts.astype(np.int64)

    edge_arc = np.full(len(edge_req), -1, dtype=np.int32)
    edge_arc[in_flow] = edge_arc_flow
    del in_flow, edge_arc_flow
    arc_household, arc_volunteer = np.divmod(arc_keys, max(n_vol, 1))
    del arc_keys
    model = AssignmentModel(
        n_households=n_households,
        n_volunteers=n_vol,
        arc_household=arc_household.astype(np.int32),
        arc_volunteer=arc_volunteer.astype(np.int32),
        arc_value=arc_value,
        slot_offsets=slot_offsets,
        slot_cost=slot_cost,
        arc_served=counts.astype(np.int32) if base else None,
        served_value=base,
    )
    return HouseholdModel(
        model=model, edge_arc=edge_arc, direct=direct, base=base, volunteer_free=free
    )


def _group_by_key(
    keys: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """``np.unique(keys, return_inverse=True, return_counts=True)`` for non-negative keys.

    Each key is packed with its position into one int64 and the packed values are sorted, which
    numpy does with SIMD several times faster than an argsort (5x on 15M keys); the positions
    fall out of the low bits. Falls back to ``np.unique`` when the packing would overflow.
    ``keys`` is used as the sort buffer (overwritten); the inverse is int32 (the number of
    edges fits it by far).
    """
    n = keys.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.int32), empty
    shift = max(int(n - 1).bit_length(), 1)
    if int(keys.max()) >= 1 << (63 - shift):
        uniq, where, many = np.unique(keys, return_inverse=True, return_counts=True)
        return uniq, where.reshape(-1).astype(np.int32), many.astype(np.int64)
    packed = keys
    packed <<= shift
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    sorted_keys = packed >> shift
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    counts = np.diff(np.r_[starts, n])
    uniq = sorted_keys[starts]
    del sorted_keys
    packed &= (1 << shift) - 1
    group = np.repeat(np.arange(starts.size, dtype=np.int32), counts)
    inverse = np.empty(n, dtype=np.int32)
    slices = blocks(n, _BLOCK)

    def scatter(task: int, thread: int) -> None:  # distinct positions: no write conflicts
        b = slices[task]
        inverse[packed[b]] = group[b]

    for_each_in_threads(len(slices), scatter, worker_count())
    return uniq, inverse, counts


def _flow_edges(
    edge_req: npt.NDArray[np.int32],
    edge_vol: npt.NDArray[np.int32],
    edge_quality: npt.NDArray[np.float64],
    r_household: npt.NDArray[np.int32],
    h_active_volunteer: npt.NDArray[np.int32],
    n_vol: int,
) -> tuple[
    npt.NDArray[np.bool_], npt.NDArray[np.intp], npt.NDArray[np.int64], npt.NDArray[np.int64]
]:
    """Per edge: ``direct`` (its household's active volunteer); for the edges of households
    without one (the flow's): their indices, keys ``household * n_vol + volunteer`` and
    integer qualities. Block by block on threads: a dense statewide caseload has 15M edges,
    where every whole-array int64 temporary is 120 MB and numpy releases the GIL."""
    n = int(edge_req.size)
    direct = np.empty(n, dtype=np.bool_)
    slices = blocks(n, _BLOCK)

    def body(task: int) -> Columns:
        b = slices[task]
        household = r_household[edge_req[b]]
        active = h_active_volunteer[household]
        volunteer = edge_vol[b]
        np.equal(active, volunteer, out=direct[b])
        flow = np.flatnonzero(active < 0)
        keys = household[flow].astype(np.int64)
        keys *= max(n_vol, 1)
        keys += volunteer[flow]
        quality = np.rint(edge_quality[b][flow] * SCALE).astype(np.int64)
        return flow + b.start, keys, quality

    in_flow, keys, quality = concatenated_in_threads(
        len(slices), body, worker_count(), (_NO_INDEX, _NO_INT64, _NO_INT64)
    )
    return direct, in_flow, keys, quality


def household_model_of(
    problem: MatchProblem, cand: Candidates, quality: npt.NDArray[np.float64], config: MatchConfig
) -> HouseholdModel:
    """:func:`build_household_model` of a problem's admissible pairs scored ``quality``."""
    return build_household_model(
        edge_req=cand.req,
        edge_vol=cand.vol,
        edge_quality=quality,
        r_household=problem.r_household,
        h_active_volunteer=problem.h_active_volunteer,
        v_capacity=problem.v_capacity,
        v_active_households=problem.v_active_households,
        config=config,
    )
