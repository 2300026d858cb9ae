"""Invariants of the solver backends on random small models (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.solve import AssignmentModel, SolveResult, get_solver
from tests.solver_models import brute_force_optimum, models

EXACT = ("flow", "cpsat", "lsa", "linear-assignment")


def run(name: str, model: AssignmentModel) -> SolveResult:
    result = get_solver(name, num_workers=1).solve(model)
    model.check_feasible(result.selected)
    assert result.objective == model.objective_of(result.selected)
    return result


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_exact_backends_agree_and_beat_greedy(model: AssignmentModel) -> None:
    results = {name: run(name, model) for name in EXACT}
    objectives = {name: r.objective for name, r in results.items()}
    assert len(set(objectives.values())) == 1, objectives
    assert all(r.optimal and r.bound == r.objective for r in results.values())
    greedy = run("greedy", model)
    assert 0 <= greedy.objective <= objectives["flow"]


@settings(max_examples=60, deadline=None)
@given(models().filter(lambda m: m.n_households <= 5 and m.n_arcs <= 12))
def test_flow_matches_brute_force(model: AssignmentModel) -> None:
    assert run("flow", model).objective == brute_force_optimum(model)


@settings(max_examples=100, deadline=None)
@given(models(), st.data())
def test_objective_invariant_under_arc_permutation(
    model: AssignmentModel, data: st.DataObject
) -> None:
    perm = np.array(data.draw(st.permutations(range(model.n_arcs))), dtype=np.intp)
    shuffled = AssignmentModel(
        model.n_households,
        model.n_volunteers,
        model.arc_household[perm].copy(),
        model.arc_volunteer[perm].copy(),
        model.arc_value[perm].copy(),
        model.slot_offsets.copy(),
        model.slot_cost.copy(),
    )
    for name in ("flow", "lsa", "greedy"):
        assert run(name, model).objective == run(name, shuffled).objective
