"""The same assignment model in CP-SAT: slower than the flow, but open to side constraints.

Only the pure model is built here; it serves as an independent exact cross-check of the flow and as
the place to add constraints a network flow cannot express.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from typing import TYPE_CHECKING

import numpy as np

from lotsen_match.solve.model import AssignmentModel, SolveResult

from ..errors import ArgumentError, SolverError

__all__ = ["CpSatSolver"]

if TYPE_CHECKING:  # CP-SAT takes 0.1 s to import: only runs with this backend load it
    from ortools.sat.python import cp_model

logger = logging.getLogger(__name__)


class CpSatSolver:
    """Exact CP-SAT backend with a time limit.

    One bool per profitable arc, at most one per household; per volunteer one bool per slot with
    as many slots switched on as arcs chosen (slots fill in order, which breaks symmetry), so the
    objective pays the convex load cost. With ``num_workers=1`` and a fixed ``seed`` a run that
    finishes within the time limit is deterministic; with more workers the parallel portfolio may
    return a different optimal selection from run to run (the objective is still optimal), so use
    1 worker where the selection itself must be reproducible. A wall-clock limit that cuts the
    search short is never reproducible. If the limit strikes before any solution (large models
    can spend seconds in presolve), the result is the empty selection with status
    "time_limit_no_solution" and no bound.
    """

    name = "cpsat"

    def __init__(self, time_limit_s: float = 60.0, num_workers: int = 2, seed: int = 0) -> None:
        if not time_limit_s > 0:
            raise ArgumentError(f"time_limit_s must be > 0, got {time_limit_s!r}")
        if num_workers < 1:
            raise ArgumentError(f"num_workers must be >= 1, got {num_workers!r}")
        self.time_limit_s = time_limit_s
        self.num_workers = num_workers
        self.seed = seed

    def solve(self, model: AssignmentModel) -> SolveResult:
        start = time.perf_counter()
        keep = model.profitable_arcs()
        selected = np.zeros(model.n_arcs, dtype=np.bool_)
        if keep.size == 0:
            elapsed = time.perf_counter() - start
            return SolveResult(self.name, "optimal", True, 0, selected, elapsed, bound=0)

        from ortools.sat.python import cp_model

        cp = cp_model.CpModel()
        # Arc variables are created first, so their proto indices are 0..n-1 and the solution
        # can be read back as one array slice.
        x = [cp.new_bool_var("") for _ in range(keep.size)]
        households = model.arc_household[keep]
        volunteers = model.arc_volunteer[keep]

        by_household = np.argsort(households, kind="stable")
        bounds = np.flatnonzero(np.diff(households[by_household])) + 1
        for group in np.split(by_household, bounds):
            if group.size > 1:
                cp.add_at_most_one([x[i] for i in group.tolist()])

        slot_vars: list[cp_model.IntVar] = []
        slot_costs: list[int] = []
        by_volunteer = np.argsort(volunteers, kind="stable")
        bounds = np.flatnonzero(np.diff(volunteers[by_volunteer])) + 1
        for group in np.split(by_volunteer, bounds):
            v = int(volunteers[group[0]])
            lo = int(model.slot_offsets[v])
            # More slots than arcs could never all be filled: model only the reachable ones.
            costs = model.slot_cost[lo : lo + min(int(model.n_slots[v]), group.size)].tolist()
            y = [cp.new_bool_var("") for _ in costs]
            arcs = [x[i] for i in group.tolist()]
            cp.add(cp_model.LinearExpr.sum(y) == cp_model.LinearExpr.sum(arcs))
            for earlier, later in itertools.pairwise(y):
                cp.add_implication(later, earlier)
            slot_vars.extend(y)
            slot_costs.extend(costs)

        cp.maximize(
            cp_model.LinearExpr.weighted_sum(x, model.arc_value[keep].tolist())
            - cp_model.LinearExpr.weighted_sum(slot_vars, slot_costs)
        )
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = self.time_limit_s
        solver.parameters.num_workers = self.num_workers
        solver.parameters.random_seed = self.seed
        built = time.perf_counter()
        status = solver.solve(cp)
        outcome = {
            cp_model.OPTIMAL: "optimal",
            cp_model.FEASIBLE: "feasible",
            cp_model.UNKNOWN: "time_limit_no_solution",
        }
        if status not in outcome:
            raise SolverError(f"CP-SAT returned {solver.status_name(status)}")
        # Without any solution (time limit hit in presolve) the response carries no bound.
        bound = solver.best_objective_bound
        has_solution = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        int_bound = round(bound) if has_solution and math.isfinite(bound) else None
        if has_solution:
            values = solver.response_proto.solution
            solution = np.fromiter(values, dtype=np.int64, count=len(values))
            selected[keep[solution[: keep.size] > 0]] = True
        objective = model.objective_of(selected)
        if has_solution and objective != round(solver.objective_value):
            raise SolverError(
                f"CP-SAT objective {solver.objective_value} disagrees with recomputed {objective}"
            )
        logger.debug(
            "cpsat: %d arcs (%d profitable), status %s, build %.3fs, solve %.3fs",
            model.n_arcs,
            keep.size,
            solver.status_name(status),
            built - start,
            time.perf_counter() - built,
        )
        elapsed = time.perf_counter() - start
        return SolveResult(
            self.name,
            outcome[status],
            status == cp_model.OPTIMAL,
            objective,
            selected,
            elapsed,
            bound=int_bound,
        )
