"""Baseline: a coordinator's "best score first" rule, to show what the exact solvers gain.

Greedy is myopic: it gives a scarce volunteer to the highest-scoring household even when that
household had good alternatives and another had none. Reports compare against it.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from lotsen_match.solve.model import AssignmentModel, SolveResult

__all__ = ["GreedySolver"]

logger = logging.getLogger(__name__)


class GreedySolver:
    """Take arcs by descending value (ties: lower household, then lower volunteer index) while the
    household is free and the value beats the volunteer's next marginal slot cost.
    """

    name = "greedy"

    def solve(self, model: AssignmentModel) -> SolveResult:
        start = time.perf_counter()
        keep = model.profitable_arcs()
        order = keep[
            np.lexsort(
                (model.arc_volunteer[keep], model.arc_household[keep], -model.arc_value[keep])
            )
        ]
        # A Python loop over sorted arcs is acceptable for a baseline; plain lists keep it fast.
        households = model.arc_household[order].tolist()
        volunteers = model.arc_volunteer[order].tolist()
        values = model.arc_value[order].tolist()
        arcs = order.tolist()
        slot_cost = model.slot_cost.tolist()
        next_slot = model.slot_offsets[:-1].tolist()
        slot_end = model.slot_offsets[1:].tolist()
        household_free = [True] * model.n_households
        free_households = int(np.unique(model.arc_household[keep]).size)
        free_slots = int(model.n_slots[np.unique(model.arc_volunteer[keep])].sum())
        chosen: list[int] = []
        for arc, h, v, value in zip(arcs, households, volunteers, values, strict=True):
            if free_households == 0 or free_slots == 0:
                break
            slot = next_slot[v]
            if not household_free[h] or slot == slot_end[v] or value <= slot_cost[slot]:
                continue
            household_free[h] = False
            next_slot[v] = slot + 1
            free_households -= 1
            free_slots -= 1
            chosen.append(arc)
        selected = np.zeros(model.n_arcs, dtype=np.bool_)
        selected[np.asarray(chosen, dtype=np.intp)] = True
        objective = model.objective_of(selected)
        logger.debug("greedy: %d arcs, %d households matched", model.n_arcs, len(chosen))
        elapsed = time.perf_counter() - start
        return SolveResult(self.name, "heuristic", False, objective, selected, elapsed)
