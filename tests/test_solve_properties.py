"""Invariants of the solver backends on random small models (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.solve import AssignmentModel, SolveResult, get_solver

EXACT = ("flow", "cpsat", "lsa", "linear-assignment")


@st.composite
def models(draw: st.DrawFn) -> AssignmentModel:
    """Up to 8 households x 5 volunteers, a random arc subset, up to 3 convex slots each."""
    n_h = draw(st.integers(0, 8))
    n_v = draw(st.integers(0, 5))
    pairs = [(h, v) for h in range(n_h) for v in range(n_v)]
    arcs = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    values = draw(st.lists(st.integers(-50, 1000), min_size=len(arcs), max_size=len(arcs)))
    slot_lists = [sorted(draw(st.lists(st.integers(0, 600), max_size=3))) for _ in range(n_v)]
    return AssignmentModel(
        n_households=n_h,
        n_volunteers=n_v,
        arc_household=np.array([h for h, _ in arcs], dtype=np.int32),
        arc_volunteer=np.array([v for _, v in arcs], dtype=np.int32),
        arc_value=np.array(values, dtype=np.int64),
        slot_offsets=np.concatenate(([0], np.cumsum([len(s) for s in slot_lists]))).astype(
            np.int64
        ),
        slot_cost=np.array([c for s in slot_lists for c in s], dtype=np.int64),
    )


def brute_force_optimum(model: AssignmentModel) -> int:
    """Exhaustive search over each household's choice (tiny models only)."""
    options: list[list[int]] = [[] for _ in range(model.n_households)]
    for arc, h in enumerate(model.arc_household.tolist()):
        options[h].append(arc)
    best = 0
    selected = np.zeros(model.n_arcs, dtype=np.bool_)

    def walk(h: int) -> None:
        nonlocal best
        if h == model.n_households:
            if np.all(model.volunteer_load(selected) <= model.n_slots):
                best = max(best, model.objective_of(selected))
            return
        walk(h + 1)
        for arc in options[h]:
            selected[arc] = True
            walk(h + 1)
            selected[arc] = False

    walk(0)
    return best


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
