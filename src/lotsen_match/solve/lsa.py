"""Independent exact cross-checks: the model as a linear assignment over expanded volunteer slots.

Expanding every volunteer into its slots turns the convex load cost into plain assignment costs:
household h on slot j of volunteer v costs slot_cost[v, j] - value[h, v]. Since slot costs are
nondecreasing, an optimal assignment uses the cheapest slots, so its cost is minus the model's
optimum. A different algorithm family from the flow, which is what makes it a useful check.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python.linear_sum_assignment import SimpleLinearSumAssignment

from lotsen_match.solve.model import AssignmentModel, SolveResult

from ..errors import ArgumentError, SolverError

__all__ = ["DEFAULT_MAX_CELLS", "LinearAssignmentSolver", "OrToolsAssignmentSolver"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_CELLS = 50_000_000
"""Dense matrix cells (8 bytes each: 400 MB) above which the scipy backend refuses to run."""

_FLOAT_EXACT = 2**52


@dataclass(frozen=True, slots=True)
class _SlotPairs:
    """Profitable (household, slot) pairs with rows and slots renumbered densely."""

    n_rows: int
    n_slots: int
    row: npt.NDArray[np.int64]
    slot: npt.NDArray[np.int64]
    cost: npt.NDArray[np.int64]
    arc: npt.NDArray[np.intp]


def _expand(model: AssignmentModel) -> _SlotPairs:
    """Pair each profitable arc with each slot of its volunteer that it still pays for.

    A pair whose value does not exceed the slot cost can be dropped: in an optimal solution the
    households of a volunteer sorted by value fill its slots by cost, and each gains at least the
    slot cost it pays, so removing the pairs without gain loses nothing.
    """
    keep = model.profitable_arcs()
    volunteer = model.arc_volunteer[keep]
    count = model.n_slots[volunteer]
    arc = np.repeat(keep, count)
    first = np.repeat(model.slot_offsets[volunteer] - np.cumsum(count) + count, count)
    slot = first + np.arange(arc.size, dtype=np.int64)
    cost = model.slot_cost[slot] - model.arc_value[arc]
    gain = cost < 0
    arc, slot, cost = arc[gain], slot[gain], cost[gain]
    households, row = np.unique(model.arc_household[arc], return_inverse=True)
    slots, slot_index = np.unique(slot, return_inverse=True)
    return _SlotPairs(households.size, slots.size, row.astype(np.int64), slot_index, cost, arc)


def _selection(
    model: AssignmentModel,
    pairs: _SlotPairs,
    rows: npt.NDArray[np.int64],
    slots: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Map chosen (row, slot) cells back to a mask over the model's arcs."""
    key = pairs.row * pairs.n_slots + pairs.slot
    order = np.argsort(key)
    wanted = rows * pairs.n_slots + slots
    found = order[np.searchsorted(key, wanted, sorter=order)]
    if not np.array_equal(key[found], wanted):
        raise SolverError("assignment chose a household-slot pair that is not an arc")
    selected = np.zeros(model.n_arcs, dtype=np.bool_)
    selected[pairs.arc[found]] = True
    return selected


class LinearAssignmentSolver:
    """Exact backend via ``scipy.optimize.linear_sum_assignment`` on a dense slot-expanded matrix.

    Rows are households, columns are volunteer slots plus one "unassigned" column per household.
    Forbidden cells hold a finite big-M rather than inf, which scipy does not document; big-M is
    chosen above the total possible gain, so no optimal assignment uses one, and the whole range
    is kept below 2**52 so every cell and partial sum stays exact in float64. Only households and
    slots on a profitable pair enter the matrix; it refuses to build more than ``max_cells`` cells.
    """

    name = "lsa"

    def __init__(self, max_cells: int = DEFAULT_MAX_CELLS) -> None:
        if max_cells < 1:
            raise ArgumentError(f"max_cells must be >= 1, got {max_cells!r}")
        self.max_cells = max_cells

    def solve(self, model: AssignmentModel) -> SolveResult:
        start = time.perf_counter()
        pairs = _expand(model)
        n_rows, n_cols = pairs.n_rows, pairs.n_slots + pairs.n_rows
        if n_rows * n_cols > self.max_cells:
            raise ArgumentError(
                f"dense assignment matrix would have {n_rows} x {n_cols} = {n_rows * n_cols} "
                f"cells, above max_cells={self.max_cells}; use the 'flow' or "
                f"'linear-assignment' backend"
            )
        best_gain = np.zeros(n_rows, dtype=np.int64)
        np.maximum.at(best_gain, pairs.row, -pairs.cost)
        big_m = int(best_gain.sum()) + 1
        if big_m + int(best_gain.max(initial=0)) >= _FLOAT_EXACT:
            raise ArgumentError(
                f"total gain {big_m - 1} is too large for an exact float64 assignment matrix; "
                f"use the 'flow' backend"
            )
        matrix = np.full((n_rows, n_cols), float(big_m))
        matrix[pairs.row, pairs.slot] = pairs.cost
        matrix[np.arange(n_rows), pairs.n_slots + np.arange(n_rows)] = 0.0
        from scipy.optimize import linear_sum_assignment  # slow import, only for this backend

        rows, cols = linear_sum_assignment(matrix)
        if np.any(matrix[rows, cols] >= big_m):
            raise SolverError("linear_sum_assignment used a forbidden cell")
        on_slot = cols < pairs.n_slots
        selected = _selection(
            model, pairs, rows[on_slot].astype(np.int64), cols[on_slot].astype(np.int64)
        )
        objective = model.objective_of(selected)
        assignment_cost = int(matrix[rows, cols].astype(np.int64).sum())
        if objective != -assignment_cost:
            raise SolverError(
                f"assignment cost {assignment_cost} disagrees with recomputed objective {objective}"
            )
        logger.debug("lsa: %d x %d matrix, %d matched", n_rows, n_cols, int(selected.sum()))
        elapsed = time.perf_counter() - start
        return SolveResult(
            self.name, "optimal", True, objective, selected, elapsed, bound=objective
        )


class OrToolsAssignmentSolver:
    """Exact backend via OR-Tools ``SimpleLinearSumAssignment`` on the sparse slot expansion.

    That solver needs a perfect matching on a square problem. Left nodes are households plus one
    dummy per slot; right nodes are slots plus one "unassigned" node per household. Each household
    may take its own unassigned node (cost 0) or a slot it pays for; each slot's dummy may take
    that slot or the unassigned node of any household that could use the slot, which frees
    exactly the node a household leaves behind when it takes the slot. All extra arcs cost 0.

    Reading the mates back is one call per household (OR-Tools has no array accessor).
    """

    name = "linear-assignment"

    def solve(self, model: AssignmentModel) -> SolveResult:
        start = time.perf_counter()
        pairs = _expand(model)
        n_rows, n_slots = pairs.n_rows, pairs.n_slots
        selected = np.zeros(model.n_arcs, dtype=np.bool_)
        if n_rows == 0:
            elapsed = time.perf_counter() - start
            return SolveResult(self.name, "optimal", True, 0, selected, elapsed, bound=0)
        rows = np.arange(n_rows, dtype=np.int64)
        slots = np.arange(n_slots, dtype=np.int64)
        left = np.concatenate((pairs.row, rows, n_rows + slots, n_rows + pairs.slot))
        right = np.concatenate((pairs.slot, n_slots + rows, slots, n_slots + pairs.row))
        cost = np.concatenate(
            (pairs.cost, np.zeros(n_rows + n_slots + pairs.cost.size, dtype=np.int64))
        )
        assignment = SimpleLinearSumAssignment()
        assignment.add_arcs_with_cost(left.astype(np.int32), right.astype(np.int32), cost)
        status = assignment.solve()
        if status != SimpleLinearSumAssignment.OPTIMAL:
            hint = ""
            if status == SimpleLinearSumAssignment.POSSIBLE_OVERFLOW:
                hint = "; arc values are too large for its cost scaling, rescale them or use 'flow'"
            raise SolverError(f"linear sum assignment returned {status.name}{hint}")
        mate = np.fromiter(
            (assignment.right_mate(r) for r in range(n_rows)), dtype=np.int64, count=n_rows
        )
        on_slot = mate < n_slots
        selected = _selection(model, pairs, rows[on_slot], mate[on_slot])
        objective = model.objective_of(selected)
        if objective != -assignment.optimal_cost():
            raise SolverError(
                f"assignment cost {assignment.optimal_cost()} disagrees with "
                f"recomputed objective {objective}"
            )
        logger.debug("linear-assignment: %d pairs, %d matched", pairs.cost.size, selected.sum())
        elapsed = time.perf_counter() - start
        return SolveResult(
            self.name, "optimal", True, objective, selected, elapsed, bound=objective
        )
