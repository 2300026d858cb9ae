"""Dual-price certificates, and the flow's scaled lexicographic solve that relies on them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.solve import AssignmentModel, MinCostFlowSolver, get_solver
from lotsen_match.solve.certificate import certify
from tests.solver_models import brute_force_optimum, models


def build(
    n_households: int,
    arcs: Sequence[tuple[int, int, int]],
    slots: Sequence[Sequence[int]],
    served: Sequence[int] | None = None,
    served_value: int = 0,
) -> AssignmentModel:
    h, v, value = np.array(arcs, dtype=np.int64).reshape(-1, 3).T
    return AssignmentModel(
        n_households=n_households,
        n_volunteers=len(slots),
        arc_household=h.astype(np.int32),
        arc_volunteer=v.astype(np.int32),
        arc_value=value.astype(np.int64),
        slot_offsets=np.concatenate(([0], np.cumsum([len(s) for s in slots]))).astype(np.int64),
        slot_cost=np.array([c for s in slots for c in s], dtype=np.int64),
        arc_served=None if served is None else np.array(served, dtype=np.int32),
        served_value=served_value,
    )


def mask(model: AssignmentModel, arcs: Sequence[int]) -> np.ndarray:
    selected = np.zeros(model.n_arcs, dtype=np.bool_)
    selected[list(arcs)] = True
    return selected


# --- certify ------------------------------------------------------------------------------------

# Household 0 can go to volunteer 0 (value 10) or 1 (value 9); household 1 only to volunteer 0
# (value 8). One slot each: the optimum sends 0 to volunteer 1 and 1 to volunteer 0 (17).
SCARCE = [(0, 0, 10), (0, 1, 9), (1, 0, 8)]


def test_optimal_selection_is_certified_with_prices() -> None:
    model = build(2, SCARCE, [[0], [0]])
    proof = certify(model, mask(model, [1, 2]))
    assert proof.optimal and proof.reason == ""
    # Household 1 pays volunteer 0's price and keeps a non-negative gain; household 0 prefers
    # volunteer 1 at these prices, so the prices prove that nobody wants to swap.
    p = proof.prices
    assert 0 <= p[0] <= 8
    assert 9 - p[1] >= 10 - p[0]


def test_greedy_selection_is_not_certified() -> None:
    model = build(2, SCARCE, [[0], [0]])
    greedy = get_solver("greedy").solve(model)
    assert model.objective_of(greedy.selected) == 10  # the myopic choice
    proof = certify(model, greedy.selected)
    assert not proof.optimal
    assert proof.reason


def test_idle_volunteer_with_a_waiting_household_is_not_optimal() -> None:
    model = build(1, [(0, 0, 5)], [[1]])
    assert not certify(model, mask(model, [])).optimal
    assert certify(model, mask(model, [0])).optimal


def test_unprofitable_arc_stays_unselected_under_a_certificate() -> None:
    model = build(1, [(0, 0, 5)], [[7]])
    assert certify(model, mask(model, [])).optimal
    assert not certify(model, mask(model, [0])).optimal


def test_certify_other_values_of_the_same_arcs() -> None:
    model = build(2, SCARCE, [[0], [0]])
    swapped = np.array([10, 1, 8], dtype=np.int64)  # now volunteer 1 is barely worth it
    assert certify(model, mask(model, [0]), values=swapped).optimal
    assert not certify(model, mask(model, [1, 2]), values=swapped).optimal
    with pytest.raises(ValueError, match="shape"):
        certify(model, mask(model, [0]), values=np.zeros(2, dtype=np.int64))


def test_certify_rejects_infeasible_selections() -> None:
    model = build(2, SCARCE, [[0], [0]])
    with pytest.raises(ValueError, match="household 0"):
        certify(model, mask(model, [0, 1]))
    with pytest.raises(ValueError, match="volunteer 0"):
        certify(model, mask(model, [0, 2]))


def test_round_limit_gives_up_without_a_false_certificate() -> None:
    model = build(2, SCARCE, [[0], [0]])
    proof = certify(model, mask(model, [1, 2]), max_rounds=0)
    assert not proof.optimal and "did not settle" in proof.reason


@st.composite
def selections(draw: st.DrawFn) -> tuple[AssignmentModel, np.ndarray]:
    """A small model and a random feasible selection on it."""
    model = draw(models().filter(lambda m: m.n_households <= 5 and m.n_arcs <= 12))
    selected = np.zeros(model.n_arcs, dtype=np.bool_)
    load = np.zeros(model.n_volunteers, dtype=np.int64)
    taken: set[int] = set()
    for arc in draw(st.permutations(range(model.n_arcs))):
        h, v = int(model.arc_household[arc]), int(model.arc_volunteer[arc])
        if h in taken or load[v] >= model.n_slots[v] or not draw(st.booleans()):
            continue
        selected[arc] = True
        taken.add(h)
        load[v] += 1
    return model, selected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(selections())
def test_certificate_exists_exactly_for_optimal_selections(
    case: tuple[AssignmentModel, np.ndarray],
) -> None:
    model, selected = case
    optimal = model.objective_of(selected) == brute_force_optimum(model)
    assert certify(model, selected).optimal == optimal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_every_exact_backend_solution_is_certified(model: AssignmentModel) -> None:
    for name in ("flow", "lsa"):
        assert certify(model, get_solver(name).solve(model).selected).optimal


# --- the flow's value ladder --------------------------------------------------------------------


def chain(k: int, quality: int, base: int) -> AssignmentModel:
    """k + 1 households on k + 1 volunteers (one slot each) where serving everybody means
    moving k households from a high-quality volunteer to a worthless one: k * quality lost for
    one more served request. Lexicographically the extra request wins."""
    arcs = []
    for i in range(k + 1):
        arcs.append((i, i, base))  # worthless but serving
        if i < k:
            arcs.append((i, i + 1, base + quality))
    return build(k + 1, arcs, [[0]] * (k + 1), served=[1] * len(arcs), served_value=base)


def test_scaled_flow_serves_the_maximum_and_proves_it() -> None:
    model = chain(k=2, quality=10_000, base=10**9)
    result = MinCostFlowSolver().solve(model)
    assert result.optimal
    assert int(result.selected.sum()) == 3
    assert result.objective == 3 * 10**9 == brute_force_optimum(model)


def test_flow_climbs_the_ladder_when_the_scaled_objective_is_not_certified(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A chain of 40 moves costs 40x the quality of one request: the first rung (8x one
    # request's quality) prefers quality, the certificate refuses it, a larger value serves all.
    model = chain(k=40, quality=10_000, base=10**12)
    with caplog.at_level(logging.INFO, logger="lotsen_match.solve.flow"):
        result = MinCostFlowSolver().solve(model)
    assert "no certificate" in caplog.text
    assert int(result.selected.sum()) == 41
    assert result.objective == 41 * 10**12
    assert result.objective == get_solver("lsa").solve(model).objective
    assert certify(model, result.selected).optimal


def test_model_validates_the_served_split() -> None:
    arcs, slots = [(0, 0, 5)], [[0]]
    with pytest.raises(ValueError, match="served_value needs arc_served"):
        build(1, arcs, slots, served=None, served_value=3)
    with pytest.raises(ValueError, match="arc_served has 2 entries"):
        build(1, arcs, slots, served=[1, 1], served_value=3)
    with pytest.raises(ValueError, match=r"arc_served\[0\] = -1"):
        build(1, arcs, slots, served=[-1], served_value=3)
    model = build(1, arcs, slots, served=[1], served_value=3)
    split = model.served_split()
    assert split is not None
    assert split[0].tolist() == [1] and split[1].tolist() == [2]
    assert build(1, arcs, slots).served_split() is None


def reference_prices(model: AssignmentModel, selected: np.ndarray) -> np.ndarray | None:
    """Least volunteer prices by the definition, one constraint at a time (None: none exist)."""
    n_v = model.n_volunteers
    value = model.arc_value
    load = np.bincount(model.arc_volunteer[selected], minlength=n_v)
    lower = np.zeros(n_v, dtype=np.int64)
    upper = np.full(n_v, 2**62, dtype=np.int64)
    for v in range(n_v):
        first = int(model.slot_offsets[v])
        if load[v]:
            lower[v] = model.slot_cost[first + load[v] - 1]
        if load[v] < model.n_slots[v]:
            upper[v] = model.slot_cost[first + load[v]]
    mate = {int(model.arc_household[a]): a for a in np.flatnonzero(selected)}
    for a in range(model.n_arcs):
        h, v = int(model.arc_household[a]), int(model.arc_volunteer[a])
        if h not in mate:
            lower[v] = max(lower[v], value[a])
        elif mate[h] == a:
            upper[v] = min(upper[v], value[a])
    price = lower.copy()
    for _ in range(n_v + 1):
        changed = False
        for a in range(model.n_arcs):
            h, w = int(model.arc_household[a]), int(model.arc_volunteer[a])
            if h in mate and mate[h] != a:
                m = mate[h]
                offer = price[model.arc_volunteer[m]] + value[a] - value[m]
                if offer > price[w]:
                    price[w], changed = offer, True
        if np.any(price > upper):
            return None
        if not changed:
            return price
    return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(selections(), st.sampled_from([0.0, 0.5, 2.0]))
def test_block_thread_and_round_layouts_give_the_least_prices(
    case: tuple[AssignmentModel, np.ndarray], contiguous_share: float
) -> None:
    """The relaxation's layouts (arc blocks on two threads, contiguous or gathered rounds, rounds
    split over threads) are the work's organisation only: the same prices as the definition."""
    import lotsen_match.solve.certificate as certificate

    model, selected = case
    expected = reference_prices(model, selected)
    plain = certify(model, selected)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(certificate, "_ARC_BLOCK", 2)
        patch.setattr(certificate, "_PARALLEL_EDGES", 1)
        patch.setattr(certificate, "_CONTIGUOUS_SHARE", contiguous_share)
        patch.setattr(certificate, "worker_count", lambda: 2)
        split = certify(model, selected)
    assert plain.optimal == split.optimal == (expected is not None)
    assert (plain.rounds, plain.reason) == (split.rounds, split.reason)
    assert np.array_equal(plain.prices, split.prices)
    if expected is not None:
        assert np.array_equal(split.prices, expected)
