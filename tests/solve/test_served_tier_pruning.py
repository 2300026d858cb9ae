"""Cutting arcs with exact served-tier prices (issue 16's experiment,
``benchmarks/served_tier_pruning.py``).

Not adopted (the script's docstring has the numbers), but its claim is what would make it safe
to adopt, so it is tested: every arc of an optimal plan of the lexicographic model is tight at
the served tier's least prices, and the optimum over the arcs kept is the optimum over all.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings

from lotsen_match import MatchConfig
from lotsen_match.generate import DENSE, generate_caseload
from lotsen_match.pipeline import build_instance
from lotsen_match.solve import AssignmentModel, MinCostFlowSolver
from lotsen_match.validation import validate_caseload

from ..benchmark_scripts import benchmark_script
from ..solver_models import dense_models

AS_OF = dt.date(2026, 11, 2)


SCRIPT = benchmark_script("served_tier_pruning")


def _check(model: AssignmentModel) -> int:
    """Asserts the claim on ``model``; returns how many arcs were kept."""
    full = MinCostFlowSolver().solve(model)
    keep = SCRIPT.served_tier_arcs(model)
    kept = np.zeros(model.n_arcs, dtype=np.bool_)
    kept[keep] = True
    assert not (full.selected & ~kept).any()  # an optimal plan uses tight arcs only
    pruned = MinCostFlowSolver().solve(SCRIPT.subset(model, keep))
    assert pruned.objective == full.objective
    return int(keep.size)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dense_models(lexicographic=True, min_density=0.3))
def test_the_arcs_kept_hold_every_optimum_of_random_models(model: AssignmentModel) -> None:
    _check(model)


def test_the_arcs_kept_hold_the_optimum_of_a_generated_dense_caseload() -> None:
    config = MatchConfig(as_of=AS_OF)
    c = generate_caseload(1_000, 5_000, seed=3, as_of=AS_OF, density=DENSE)
    case = validate_caseload(c.volunteers, c.requests, c.assignments, config=config)
    model = build_instance(case, config).household.model
    assert _check(model) < model.n_arcs / 2  # and it does cut: most arcs are not tight


def test_prices_that_are_not_optimal_can_cut_an_optimal_arc() -> None:
    """The tightness test is only as good as its prices: all prices 0 keep just the arcs
    serving a household's most requests, which here loses the optimum."""
    model = AssignmentModel(
        n_households=2,
        n_volunteers=2,
        # household 0 can be served fully (2) by volunteer 0 or 1 request by volunteer 1;
        # household 1 only by volunteer 0. Optimum: 0 -> 1, 1 -> 0 (3 served, not 2).
        arc_household=np.array([0, 0, 1], dtype=np.int32),
        arc_volunteer=np.array([0, 1, 0], dtype=np.int32),
        arc_value=np.array([2_001, 1_000, 2_000], dtype=np.int64),
        slot_offsets=np.array([0, 1, 2], dtype=np.int64),
        slot_cost=np.zeros(2, dtype=np.int64),
        arc_served=np.array([2, 1, 2], dtype=np.int32),
        served_value=1_000,
    )
    naive = SCRIPT.tight_arcs(model, np.zeros(2, dtype=np.int64))
    assert 1 not in naive.tolist()
    assert 1 in SCRIPT.served_tier_arcs(model).tolist()
    _check(model)
