"""Arc pruning with a dual check (issue 16's experiment, ``benchmarks/arc_pruning.py``).

Not adopted by the flow backend (the numbers are in the script's docstring), but the method is
kept reproducible, so its two promises are tested: column generation from a pruned subset ends
at the optimum of the whole model, and the dual check notices when an optimal arc is missing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match import MatchConfig
from lotsen_match.generate import DENSE, generate_caseload
from lotsen_match.pipeline import build_instance
from lotsen_match.solve import AssignmentModel, MinCostFlowSolver
from lotsen_match.validation import validate_caseload

from ..benchmark_scripts import benchmark_script
from ..solver_models import dense_models

AS_OF = dt.date(2026, 11, 2)


PRUNING = benchmark_script("arc_pruning")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dense_models(), st.integers(1, 3), st.floats(0.0, 0.3), st.integers(1, 4))
def test_pruned_and_unpruned_solves_agree_on_random_dense_models(
    model: AssignmentModel, first: int, sample: float, again: int
) -> None:
    full = MinCostFlowSolver().solve(model)
    pruned = PRUNING.solve_pruned(model, first=first, sample=sample, again=again)
    assert pruned.objective == full.objective
    model.check_feasible(pruned.selected)
    assert pruned.arcs_per_round == sorted(pruned.arcs_per_round)  # arcs are only added


@pytest.mark.parametrize("seed", [3, 11])
def test_pruned_and_unpruned_solves_agree_on_generated_dense_caseloads(seed: int) -> None:
    config = MatchConfig(as_of=AS_OF)
    c = generate_caseload(1_000, 5_000, seed=seed, as_of=AS_OF, density=DENSE)
    case = validate_caseload(c.volunteers, c.requests, c.assignments, config=config)
    model = build_instance(case, config).household.model
    # Dense and contested, like the statewide size: many arcs per household, fewer slots.
    assert model.n_arcs > 5 * model.n_households
    assert model.n_slot_total < model.n_households
    full = MinCostFlowSolver().solve(model)
    pruned = PRUNING.solve_pruned(model, first=3, sample=0.0, again=4)
    assert pruned.objective == full.objective
    assert pruned.arcs_per_round[0] < model.n_arcs / 4  # it did start from a small subset


def _model_needing_one_arc() -> tuple[AssignmentModel, int]:
    """A generated dense model and an arc of its optimum without which the optimum drops."""
    config = MatchConfig(as_of=AS_OF)
    c = generate_caseload(120, 500, seed=5, as_of=AS_OF, density=DENSE)
    case = validate_caseload(c.volunteers, c.requests, c.assignments, config=config)
    model = build_instance(case, config).household.model
    full = MinCostFlowSolver().solve(model)
    for arc in np.flatnonzero(full.selected):
        keep = np.ones(model.n_arcs, dtype=np.bool_)
        keep[arc] = False
        without = MinCostFlowSolver().solve(PRUNING._submodel(model, np.flatnonzero(keep)))
        if without.objective < full.objective:
            return model, int(arc)
    raise AssertionError("every optimal arc has an equally good replacement")


def test_the_dual_check_catches_a_removed_optimal_arc() -> None:
    model, arc = _model_needing_one_arc()
    in_sub = np.ones(model.n_arcs, dtype=np.bool_)
    in_sub[arc] = False
    sub_arcs = np.flatnonzero(in_sub)
    solved = MinCostFlowSolver().solve(PRUNING._submodel(model, sub_arcs))
    selected = np.zeros(model.n_arcs, dtype=np.bool_)
    selected[sub_arcs[solved.selected]] = True
    gain = PRUNING.dual_violations(model, in_sub, selected)
    # The subset's own arcs satisfy its duals; the one left out is exactly the violation.
    assert (gain[in_sub] <= 0).all()
    assert np.flatnonzero(gain > 0).tolist() == [arc]
    # Column generation from that subset re-adds it and reaches the optimum.
    pruned = PRUNING.solve_pruned(model, in_sub=in_sub)
    assert pruned.rounds == 2
    assert pruned.objective == MinCostFlowSolver().solve(model).objective
