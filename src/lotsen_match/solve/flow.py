"""Exact default backend: the assignment as one min-cost flow (OR-Tools).

Households have unit supply, each volunteer slot is a unit arc to the sink priced at its marginal
cost, and a free arc from every household to the sink lets it stay unmatched. Because slot costs
are nondecreasing, the cheapest slots of a volunteer fill first, so the flow cost is exactly the
convex load cost.
Network flow is integral and polynomial: 1M arcs solve in seconds, with a proof of optimality.

A lexicographic model (``arc_served``/``served_value``: serve as many requests as possible, then
maximise quality) carries a value per served request far above any quality difference, and cost
scaling pays for that range with extra refinement phases (3x the time statewide). So the flow
first solves the same arcs with a small value per served request and then proves the result
optimal for the real values with dual prices (:mod:`.certificate`); only if that proof fails
does it move up a ladder of larger values, ending at the model's own, which needs no proof.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from lotsen_match._parallel import release_freed_memory
from lotsen_match.solve.certificate import certify
from lotsen_match.solve.model import AssignmentModel, SolveResult

from ..errors import SolverError

__all__ = ["MinCostFlowSolver"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T", bound=np.generic)

#: First rung of the value ladder, in multiples of the most one request can add (see below).
_FIRST_RUNG: Final[int] = 8
#: Arcs per block where whole-arc temporaries are avoided.
_BLOCK: Final[int] = 1 << 20
#: Factor between the rungs of the value ladder after a failed proof.
_LADDER_STEP: Final[int] = 16


class MinCostFlowSolver:
    """Exact min-cost-flow backend; deterministic (the same model gives the same selection).

    OR-Tools (9.15) holds the GIL for the whole of ``SimpleMinCostFlow.solve``: other Python
    threads wait meanwhile (measured: a spinning thread ran 40 thousand loops in a 4.9 s solve
    against 3.3 million per idle 0.5 s), only the numpy work around it (network arrays,
    certificate) runs in parallel with them.
    """

    name = "flow"

    def solve(self, model: AssignmentModel) -> SolveResult:
        start = time.perf_counter()
        profitable = model.profitable_mask()
        selected = np.zeros(model.n_arcs, dtype=np.bool_)
        if not profitable.any():
            elapsed = time.perf_counter() - start
            return SolveResult(self.name, "optimal", True, 0, selected, elapsed, bound=0)

        network = _Network(model, None if profitable.all() else np.flatnonzero(profitable))
        del profitable
        release_freed_memory()  # the flow is the run's peak: start it from a trimmed heap
        for shift in _value_ladder(model):
            selected = network.solve(shift)
            if shift == 0:
                break
            proof = certify(model, selected)
            if proof.optimal:
                logger.debug("flow: scaled objective certified in %d price rounds", proof.rounds)
                break
            logger.info(
                "flow: no certificate for the scaled objective (%s); re-solving with "
                "a larger value per served request",
                proof.reason,
            )
        objective = model.objective_of(selected)
        elapsed = time.perf_counter() - start
        logger.debug(
            "flow: %d arcs (%d profitable), %d households matched, %.3fs",
            model.n_arcs,
            network.n_kept,
            int(selected.sum()),
            elapsed,
        )
        return SolveResult(
            self.name, "optimal", True, objective, selected, elapsed, bound=objective
        )


def _value_ladder(model: AssignmentModel) -> Iterator[int]:
    """Shifts of the value per served request to try in turn, the model's own (0) last.

    A shift ``d`` solves with arc values ``arc_value + d * arc_served``: ``served_value + d``
    per served request. The first rung values a served request at ``_FIRST_RUNG`` times the
    largest quality one request can add plus the largest slot cost: serving one more request
    then outweighs moving that many others to worse volunteers, which in practice already
    serves the maximum number (the generated statewide caseload needs more than one times that
    value, the national one more than two, the dense statewide one more than one; eight serves
    all). Cost scaling pays only the logarithm of the range, so a generous rung costs little,
    whereas a rung that fails the proof costs a second solve. The values themselves are never
    held as an array: the network fills its cost buffer from the shift block by block.
    """
    if model.arc_served is not None and model.served_value != 0:
        served = model.arc_served
        per_request = 0
        for start in range(0, model.n_arcs, _BLOCK):  # blocks: no arc-sized temporaries
            count = served[start : start + _BLOCK].astype(np.int64)
            gain = model.arc_value[start : start + _BLOCK] - model.served_value * count
            counted = count > 0
            if counted.any():
                ceil = -(-np.maximum(gain[counted], 0) // count[counted])
                per_request = max(per_request, int(ceil.max()))
        level = _FIRST_RUNG * (per_request + int(model.slot_cost.max(initial=0))) + 1
        while level < model.served_value:
            yield level - model.served_value
            level *= _LADDER_STEP
    yield 0


class _Network:
    """The flow network of a model's profitable arcs; solved once per value vector.

    ``keep`` is None when every arc is profitable (usual under ``max_served``, whose served
    value makes every arc worth more than any slot): the model's own arrays are then used
    without gathering a copy of them.
    """

    def __init__(self, model: AssignmentModel, keep: npt.NDArray[np.intp] | None) -> None:
        # Node layout: households, volunteers, sink. Each household on a profitable arc has a
        # supply of one and a free arc to the sink (staying unmatched). Supplies on the
        # households rather than one source with an arc to each and a bypass: cost scaling
        # then has no hub node to relabel (OR-Tools' solve 10.7 s against 11.2-12.2 s dense
        # statewide). Keeping the full index range avoids a relabelling pass.
        n_h, n_v = model.n_households, model.n_volunteers
        arc_household = model.arc_household if keep is None else model.arc_household[keep]
        on_arc = np.bincount(arc_household, minlength=n_h) > 0  # unique, no sort
        households = np.flatnonzero(on_arc).astype(np.int32)
        self.slot_volunteer = np.repeat(np.arange(n_v, dtype=np.int32), model.n_slots)
        self.households = households
        self.sink = n_h + n_v
        self.model = model
        self.keep = keep
        self.n_kept = model.n_arcs if keep is None else int(keep.size)

    def _kept(self, array: npt.NDArray[_T]) -> npt.NDArray[_T]:
        return array if self.keep is None else array[self.keep]

    def _arcs(self, shift: int) -> tuple[npt.NDArray[np.generic], ...]:
        """Tails, heads, capacities and unit costs of every arc of the network."""
        model, households, n_kept = self.model, self.households, self.n_kept
        n_h, sink = model.n_households, self.sink
        n_slot = self.slot_volunteer.size
        # OR-Tools takes int32 nodes and int64 capacities/costs as contiguous buffers without a
        # conversion copy when the dtypes already match, so build them that way.
        tails = np.concatenate(
            (self._kept(model.arc_household), self.slot_volunteer + np.int32(n_h), households)
        )
        heads = np.concatenate(
            (
                self._kept(model.arc_volunteer) + np.int32(n_h),
                np.full(n_slot + households.size, sink, dtype=np.int32),
            )
        )
        capacities = np.ones(tails.size, dtype=np.int64)
        costs = np.zeros(tails.size, dtype=np.int64)
        for start in range(0, n_kept, _BLOCK):  # -(arc_value + shift * arc_served), by blocks
            b = slice(start, min(start + _BLOCK, n_kept))
            arcs = b if self.keep is None else self.keep[b]
            block = costs[b]
            np.negative(model.arc_value[arcs], out=block)
            if shift:
                assert model.arc_served is not None  # the ladder shifts only with a split
                block -= shift * model.arc_served[arcs].astype(np.int64)
        costs[n_kept : n_kept + n_slot] = model.slot_cost
        return tails, heads, capacities, costs

    def solve(self, shift: int) -> npt.NDArray[np.bool_]:
        """Optimal selection for ``arc_value + shift * arc_served`` on the model's arcs (checked
        against OR-Tools' cost)."""
        model, n_kept = self.model, self.n_kept
        flow = SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(*self._arcs(shift))  # copied: ours are freed
        n_src = self.households.size
        flow.set_nodes_supplies(
            np.append(self.households, np.int32(self.sink)),
            np.append(np.ones(n_src, dtype=np.int64), np.int64(-n_src)),
        )
        status = flow.solve()
        if status != SimpleMinCostFlow.OPTIMAL:
            hint = ""
            if status == SimpleMinCostFlow.BAD_COST_RANGE:
                hint = "; arc values are too large for its cost scaling, rescale them"
            raise SolverError(f"min cost flow returned {status.name} on {model.n_arcs} arcs{hint}")
        used = np.asarray(flow.flows(np.arange(n_kept, dtype=np.int32))) > 0
        if self.keep is None:
            selected = used
        else:
            selected = np.zeros(model.n_arcs, dtype=np.bool_)
            selected[self.keep[used]] = True
        objective = model.objective_of(selected)
        if shift:
            assert model.arc_served is not None
            objective += shift * int(model.arc_served[selected].sum(dtype=np.int64))
        if objective != -flow.optimal_cost():
            raise SolverError(
                f"flow objective {-flow.optimal_cost()} disagrees with recomputed {objective}"
            )
        return selected
