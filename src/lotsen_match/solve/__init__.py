"""Solver backends for the household-to-volunteer assignment.

``flow`` (OR-Tools min cost flow) is the exact default; ``cpsat`` solves the same model with room
for side constraints; ``lsa`` (scipy) and ``linear-assignment`` (OR-Tools) are independent exact
cross-checks on a slot-expanded assignment; ``greedy`` is the coordinator's baseline.
"""

from __future__ import annotations

from lotsen_match.solve.cpsat import CpSatSolver
from lotsen_match.solve.flow import MinCostFlowSolver
from lotsen_match.solve.greedy import GreedySolver
from lotsen_match.solve.lsa import LinearAssignmentSolver, OrToolsAssignmentSolver
from lotsen_match.solve.model import MAX_ABS_COEFFICIENT, AssignmentModel, Solver, SolveResult

from ..errors import ArgumentError

__all__ = [
    "MAX_ABS_COEFFICIENT",
    "SOLVER_NAMES",
    "AssignmentModel",
    "CpSatSolver",
    "GreedySolver",
    "LinearAssignmentSolver",
    "MinCostFlowSolver",
    "OrToolsAssignmentSolver",
    "SolveResult",
    "Solver",
    "get_solver",
]

SOLVER_NAMES = ("flow", "cpsat", "greedy", "lsa", "linear-assignment")


def get_solver(name: str, *, time_limit_s: float = 60.0, num_workers: int = 2) -> Solver:
    """Return the backend called ``name``; ``time_limit_s`` and ``num_workers`` apply to cpsat."""
    if name == "flow":
        return MinCostFlowSolver()
    if name == "cpsat":
        return CpSatSolver(time_limit_s=time_limit_s, num_workers=num_workers)
    if name == "greedy":
        return GreedySolver()
    if name == "lsa":
        return LinearAssignmentSolver()
    if name == "linear-assignment":
        return OrToolsAssignmentSolver()
    raise ArgumentError(f"unknown solver {name!r}; valid: {', '.join(SOLVER_NAMES)}")
