"""Solver backends on hand-made models with known optima, plus model validation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from lotsen_match.solve import (
    AssignmentModel,
    CpSatSolver,
    GreedySolver,
    LinearAssignmentSolver,
    MinCostFlowSolver,
    OrToolsAssignmentSolver,
    SolveResult,
    get_solver,
)

EXACT = ("flow", "cpsat", "lsa", "linear-assignment")
ALL = (*EXACT, "greedy")


def build(
    n_households: int, arcs: Sequence[tuple[int, int, int]], slots: Sequence[Sequence[int]]
) -> AssignmentModel:
    """Model from (household, volunteer, value) triples and per-volunteer slot cost lists."""
    h, v, value = np.array(arcs, dtype=np.int64).reshape(-1, 3).T
    return AssignmentModel(
        n_households=n_households,
        n_volunteers=len(slots),
        arc_household=h.astype(np.int32),
        arc_volunteer=v.astype(np.int32),
        arc_value=value.astype(np.int64),
        slot_offsets=np.concatenate(([0], np.cumsum([len(s) for s in slots]))).astype(np.int64),
        slot_cost=np.array([c for s in slots for c in s], dtype=np.int64),
    )


def solve(name: str, model: AssignmentModel) -> SolveResult:
    result = get_solver(name, num_workers=1).solve(model)
    model.check_feasible(result.selected)
    assert result.objective == model.objective_of(result.selected)
    assert result.backend == name
    return result


def chosen(model: AssignmentModel, result: SolveResult) -> set[tuple[int, int]]:
    return {
        (int(h), int(v))
        for h, v in zip(
            model.arc_household[result.selected], model.arc_volunteer[result.selected], strict=True
        )
    }


# --- known optima -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_convex_slot_cost_admits_only_one_household(name: str) -> None:
    # The second household would gain 10 but cost 15: only one goes to the volunteer.
    model = build(2, [(0, 0, 10), (1, 0, 10)], [[0, 15]])
    result = solve(name, model)
    assert result.objective == 10
    assert result.n_selected == 1


@pytest.mark.parametrize("name", ALL)
def test_second_slot_taken_when_it_pays(name: str) -> None:
    model = build(2, [(0, 0, 20), (1, 0, 20)], [[0, 15]])
    result = solve(name, model)
    assert result.objective == 20 + 20 - 15
    assert chosen(model, result) == {(0, 0), (1, 0)}


@pytest.mark.parametrize("name", EXACT)
def test_scarce_volunteer_goes_to_household_without_alternative(name: str) -> None:
    # Household 0 likes volunteer 0 best but has volunteer 1; household 1 only has volunteer 0.
    model = build(2, [(0, 0, 100), (0, 1, 90), (1, 0, 80)], [[0], [0]])
    result = solve(name, model)
    assert result.optimal
    assert result.status == "optimal"
    assert result.objective == 170
    assert chosen(model, result) == {(0, 1), (1, 0)}


def test_greedy_is_worse_on_the_scarce_volunteer_case() -> None:
    model = build(2, [(0, 0, 100), (0, 1, 90), (1, 0, 80)], [[0], [0]])
    result = solve("greedy", model)
    assert result.status == "heuristic"
    assert not result.optimal
    assert result.bound is None
    assert chosen(model, result) == {(0, 0)}
    assert result.objective == 100 < solve("flow", model).objective


@pytest.mark.parametrize("name", EXACT)
def test_load_is_spread_when_convex_cost_outweighs_preference(name: str) -> None:
    # Both prefer volunteer 0 by 2 points, but a second household there costs 5 more.
    model = build(2, [(0, 0, 12), (0, 1, 10), (1, 0, 12), (1, 1, 10)], [[0, 5], [0, 5]])
    result = solve(name, model)
    assert result.objective == 22
    assert sorted(v for _, v in chosen(model, result)) == [0, 1]


@pytest.mark.parametrize("name", ALL)
def test_unprofitable_arcs_are_never_chosen(name: str) -> None:
    model = build(3, [(0, 0, 0), (1, 0, -5), (2, 1, 7)], [[0, 0], [7]])
    result = solve(name, model)
    assert result.objective == 0
    assert result.n_selected == 0


@pytest.mark.parametrize("name", ALL)
def test_volunteer_without_slots_gets_nobody(name: str) -> None:
    model = build(2, [(0, 0, 50), (1, 1, 40)], [[], [3]])
    result = solve(name, model)
    assert chosen(model, result) == {(1, 1)}
    assert result.objective == 37


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("n_households", "slots"), [(0, []), (3, []), (0, [[1]]), (2, [[0, 1], []])]
)
def test_models_without_arcs_solve_to_nothing(
    name: str, n_households: int, slots: list[list[int]]
) -> None:
    result = solve(name, build(n_households, [], slots))
    assert result.objective == 0
    assert result.selected.shape == (0,)


@pytest.mark.parametrize("name", EXACT)
def test_exact_backends_report_tight_bound(name: str) -> None:
    model = build(3, [(0, 0, 30), (1, 0, 20), (2, 0, 10), (2, 1, 9)], [[0, 4, 30], [2]])
    result = solve(name, model)
    assert result.objective == 30 + 20 - 4 + 9 - 2
    assert result.bound == result.objective


# --- larger random models -----------------------------------------------------------------------


def random_model(seed: int, n_h: int = 60, n_v: int = 12, n_arcs: int = 300) -> AssignmentModel:
    rng = np.random.default_rng(seed)
    key = rng.choice(n_h * n_v, size=n_arcs, replace=False)
    n_slots = rng.integers(0, 4, size=n_v)
    return AssignmentModel(
        n_households=n_h,
        n_volunteers=n_v,
        arc_household=(key // n_v).astype(np.int32),
        arc_volunteer=(key % n_v).astype(np.int32),
        arc_value=rng.integers(-100, 1000, size=n_arcs).astype(np.int64),
        slot_offsets=np.concatenate(([0], np.cumsum(n_slots))).astype(np.int64),
        slot_cost=np.concatenate([np.sort(rng.integers(0, 400, size=k)) for k in n_slots]).astype(
            np.int64
        ),
    )


@pytest.mark.parametrize("seed", range(3))
def test_backends_agree_on_random_models(seed: int) -> None:
    model = random_model(seed)
    objectives = {name: solve(name, model).objective for name in ALL}
    assert len({objectives[name] for name in EXACT}) == 1, objectives
    assert objectives["greedy"] <= objectives["flow"]


@pytest.mark.parametrize("name", ALL)
def test_objective_invariant_under_arc_permutation(name: str) -> None:
    model = random_model(11)
    perm = np.random.default_rng(0).permutation(model.n_arcs)
    shuffled = AssignmentModel(
        model.n_households,
        model.n_volunteers,
        model.arc_household[perm].copy(),
        model.arc_volunteer[perm].copy(),
        model.arc_value[perm].copy(),
        model.slot_offsets.copy(),
        model.slot_cost.copy(),
    )
    original, permuted = solve(name, model), solve(name, shuffled)
    assert original.objective == permuted.objective
    if name == "greedy":  # its tie-break uses household and volunteer ids, not arc positions
        assert np.array_equal(original.selected[perm], permuted.selected)


@pytest.mark.parametrize("name", ["flow", "cpsat", "lsa", "linear-assignment", "greedy"])
def test_same_model_gives_same_selection(name: str) -> None:
    model = random_model(5)
    first, second = solve(name, model), solve(name, model)
    assert np.array_equal(first.selected, second.selected)


def test_flow_rejects_costs_beyond_ortools_range() -> None:
    # One huge value among 100k households overflows the flow's cost scaling (values * nodes).
    n = 100_000
    value = np.ones(n, dtype=np.int64)
    value[0] = 2**50
    model = AssignmentModel(
        n,
        1,
        np.arange(n, dtype=np.int32),
        np.zeros(n, dtype=np.int32),
        value,
        np.array([0, 2], dtype=np.int64),
        np.zeros(2, dtype=np.int64),
    )
    with pytest.raises(RuntimeError, match="BAD_COST_RANGE"):
        MinCostFlowSolver().solve(model)


def test_ortools_assignment_reports_overflow_risk() -> None:
    # Its cost scaling multiplies costs by the node count; 2**50 leaves no headroom.
    model = build(100, [(h, 0, 2**50) for h in range(100)], [[0] * 100])
    with pytest.raises(RuntimeError, match="POSSIBLE_OVERFLOW"):
        OrToolsAssignmentSolver().solve(model)


def test_lsa_refuses_oversized_dense_matrix() -> None:
    model = random_model(1)
    with pytest.raises(ValueError, match="max_cells=100"):
        LinearAssignmentSolver(max_cells=100).solve(model)


def test_lsa_refuses_values_beyond_float64_exactness() -> None:
    model = build(8, [(h, 0, 2**50) for h in range(8)], [[0] * 8])
    with pytest.raises(ValueError, match="float64"):
        LinearAssignmentSolver().solve(model)
    assert MinCostFlowSolver().solve(model).objective == 8 * 2**50


def test_cpsat_reports_time_limit_status() -> None:
    # A tiny limit on a model with thousands of arcs cannot prove optimality.
    model = random_model(3, n_h=3000, n_v=400, n_arcs=60_000)
    result = CpSatSolver(time_limit_s=0.01, num_workers=1).solve(model)
    assert result.status in {"feasible", "time_limit_no_solution"}
    assert not result.optimal
    model.check_feasible(result.selected)
    assert result.objective == model.objective_of(result.selected)
    assert result.bound is None or result.bound >= MinCostFlowSolver().solve(model).objective


# --- registry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("flow", MinCostFlowSolver),
        ("cpsat", CpSatSolver),
        ("greedy", GreedySolver),
        ("lsa", LinearAssignmentSolver),
        ("linear-assignment", OrToolsAssignmentSolver),
    ],
)
def test_get_solver_returns_named_backend(name: str, cls: type) -> None:
    solver = get_solver(name)
    assert isinstance(solver, cls)
    assert solver.name == name


def test_get_solver_passes_cpsat_parameters() -> None:
    solver = get_solver("cpsat", time_limit_s=5.0, num_workers=3)
    assert isinstance(solver, CpSatSolver)
    assert (solver.time_limit_s, solver.num_workers) == (5.0, 3)


def test_get_solver_rejects_unknown_name_listing_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"'simplex'.*flow, cpsat, greedy, lsa, linear-assignment"):
        get_solver("simplex")


@pytest.mark.parametrize("kwargs", [{"time_limit_s": 0.0}, {"num_workers": 0}])
def test_cpsat_rejects_bad_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        CpSatSolver(**kwargs)  # type: ignore[arg-type]


# --- objective_of / check_feasible --------------------------------------------------------------


def test_objective_of_charges_first_slots_in_order() -> None:
    model = build(3, [(0, 0, 10), (1, 0, 20), (2, 1, 5)], [[1, 2, 3], [4]])
    assert model.objective_of(np.array([True, True, False])) == 30 - 1 - 2
    assert model.objective_of(np.array([False, False, True])) == 1
    assert model.objective_of(np.zeros(3, dtype=bool)) == 0


def test_check_feasible_rejects_household_on_two_arcs() -> None:
    model = build(1, [(0, 0, 10), (0, 1, 10)], [[0], [0]])
    with pytest.raises(ValueError, match="household 0 is on 2"):
        model.check_feasible(np.array([True, True]))


def test_volunteer_over_capacity_is_infeasible_and_has_no_objective() -> None:
    model = build(2, [(0, 0, 10), (1, 0, 10)], [[0]])
    both = np.array([True, True])
    with pytest.raises(ValueError, match="volunteer 0 is on 2 selected arcs but has 1 slots"):
        model.check_feasible(both)
    with pytest.raises(ValueError, match="volunteer 0"):
        model.objective_of(both)


def test_selection_mask_must_match_arcs() -> None:
    model = build(1, [(0, 0, 1)], [[0]])
    with pytest.raises(ValueError, match="shape"):
        model.objective_of(np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match="boolean"):
        model.objective_of(np.zeros(1, dtype=np.int64))


# --- validation ---------------------------------------------------------------------------------


def _fields() -> dict[str, object]:
    return {
        "n_households": 2,
        "n_volunteers": 2,
        "arc_household": np.array([0, 1], dtype=np.int32),
        "arc_volunteer": np.array([0, 1], dtype=np.int32),
        "arc_value": np.array([5, 6], dtype=np.int64),
        "slot_offsets": np.array([0, 2, 3], dtype=np.int64),
        "slot_cost": np.array([0, 1, 2], dtype=np.int64),
    }


def test_valid_fields_build_a_read_only_model() -> None:
    model = AssignmentModel(**_fields())  # type: ignore[arg-type]
    assert model.n_arcs == 2
    assert model.n_slots.tolist() == [2, 1]
    with pytest.raises(ValueError, match="read-only"):
        model.arc_value[0] = 99


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("n_households", -1, "n_households must be a non-negative int"),
        ("n_volunteers", True, "n_volunteers must be a non-negative int"),
        ("arc_household", [0, 1], "arc_household must be a numpy array"),
        ("arc_household", np.array([0, 1], dtype=np.int64), "arc_household must have dtype int32"),
        ("arc_value", np.array([5.0, 6.0]), "arc_value must have dtype int64"),
        ("arc_value", np.array([[5, 6]], dtype=np.int64), "one-dimensional"),
        ("arc_value", np.array([5], dtype=np.int64), "same length"),
        ("arc_household", np.array([0, 2], dtype=np.int32), r"arc_household\[1\] = 2 .*\[0, 2\)"),
        ("arc_volunteer", np.array([-1, 1], dtype=np.int32), r"arc_volunteer\[0\] = -1"),
        ("arc_volunteer", np.array([1, 1], dtype=np.int32), None),
        ("arc_value", np.array([2**50 + 1, 0], dtype=np.int64), "exceeds 2\\*\\*50"),
        ("arc_value", np.array([0, -(2**63)], dtype=np.int64), r"arc_value\[1\] .*exceeds"),
        ("slot_offsets", np.array([0, 3], dtype=np.int64), "n_volunteers \\+ 1 = 3"),
        ("slot_offsets", np.array([0, 2, 2], dtype=np.int64), "end at len\\(slot_cost\\) = 3"),
        ("slot_offsets", np.array([0, 4, 3], dtype=np.int64), "decreases after volunteer 1"),
        ("slot_cost", np.array([0, 1, -2], dtype=np.int64), r"slot_cost\[2\] = -2"),
        (
            "slot_cost",
            np.array([3, 1, 0], dtype=np.int64),
            r"volunteer 0 .*nondecreasing.*\[3, 1\]",
        ),
    ],
)
def test_invalid_fields_raise_clear_errors(field: str, value: object, message: str | None) -> None:
    fields = _fields()
    fields[field] = value
    if message is None:  # still valid: different households may share a volunteer
        AssignmentModel(**fields)  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError, match=message):
        AssignmentModel(**fields)  # type: ignore[arg-type]


def test_duplicate_arc_is_rejected_with_positions() -> None:
    fields = _fields()
    fields["arc_household"] = np.array([1, 0, 1], dtype=np.int32)
    fields["arc_volunteer"] = np.array([0, 1, 0], dtype=np.int32)
    fields["arc_value"] = np.array([1, 2, 3], dtype=np.int64)
    with pytest.raises(
        ValueError, match=r"duplicate arc \(household 1, volunteer 0\) at positions 0 and 2"
    ):
        AssignmentModel(**fields)  # type: ignore[arg-type]


def test_cost_drop_across_volunteers_is_allowed() -> None:
    fields = _fields()
    fields["slot_cost"] = np.array([5, 9, 0], dtype=np.int64)
    assert AssignmentModel(**fields).slot_cost.tolist() == [5, 9, 0]  # type: ignore[arg-type]


def test_totals_that_could_overflow_int64_are_rejected() -> None:
    n = 5000
    with pytest.raises(ValueError, match="int64 overflow"):
        AssignmentModel(
            n,
            1,
            np.arange(n, dtype=np.int32),
            np.zeros(n, dtype=np.int32),
            np.full(n, 2**50, dtype=np.int64),
            np.array([0, 1], dtype=np.int64),
            np.zeros(1, dtype=np.int64),
        )
