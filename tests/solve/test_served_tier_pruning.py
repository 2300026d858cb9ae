"""Cutting arcs with exact served-tier prices (issue 16's experiment,
``benchmarks/served_tier_pruning.py``).

Not adopted (the script's docstring has the numbers), but its claim is what would make it safe
to adopt, so it is tested: every arc of an optimal plan of the lexicographic model is tight at
the served tier's least prices, and the optimum over the arcs kept is the optimum over all.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match import MatchConfig
from lotsen_match.generate import DENSE, generate_caseload
from lotsen_match.pipeline import build_instance
from lotsen_match.solve import AssignmentModel, MinCostFlowSolver
from lotsen_match.validation import validate_caseload

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 2)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "served_tier_pruning", ROOT / "benchmarks" / "served_tier_pruning.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


@st.composite
def lexicographic_models(draw: st.DrawFn) -> AssignmentModel:
    """Random dense ``max_served`` models: arcs serve 1-3 requests of their household, a value
    per served request above any quality sum, few slots with nondecreasing costs."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_h, n_v = draw(st.integers(1, 40)), draw(st.integers(1, 12))
    h, v = np.nonzero(rng.random((n_h, n_v)) < draw(st.floats(0.3, 1.0)))
    served = rng.integers(1, 4, size=h.size).astype(np.int32)
    base = 10_000 * 3 * n_h + 3_000 * 4 * n_v + 1
    slots = rng.integers(0, 4, size=n_v)
    cost = [np.sort(rng.integers(0, 3_000, size=k)) for k in slots]
    return AssignmentModel(
        n_households=n_h,
        n_volunteers=n_v,
        arc_household=h.astype(np.int32),
        arc_volunteer=v.astype(np.int32),
        arc_value=rng.integers(0, 10_000, size=h.size) * served + base * served,
        slot_offsets=np.concatenate(([0], np.cumsum(slots))).astype(np.int64),
        slot_cost=np.concatenate([np.zeros(0, np.int64), *cost]).astype(np.int64),
        arc_served=served,
        served_value=base,
    )


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
@given(lexicographic_models())
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
