"""Invariants of match() on hundreds of random caseloads, re-checked independently."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match import MatchConfig, match
from lotsen_match.pipeline import build_instance
from lotsen_match.solve import AssignmentModel, get_solver
from lotsen_match.validation import validate_caseload

from .checker import check_proposals
from .strategies import AS_OF, caseloads

CONFIG = MatchConfig(as_of=AS_OF)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=60)


def _model(
    v: pd.DataFrame, r: pd.DataFrame, a: pd.DataFrame, config: MatchConfig
) -> AssignmentModel:
    case = validate_caseload(v, r, a, config=config)
    return build_instance(case, config).household.model


@SETTINGS
@given(caseloads())
def test_no_hard_constraint_violated_and_capacity_held(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    v, r, a = case
    result = match(v, r, a, CONFIG)
    errors = check_proposals(v, r, a, result.proposals, as_of=AS_OF)
    assert errors == []
    assert result.optimal
    # Nothing is lost: every open request is either proposed or explained as unmatched.
    open_ids = set(r["request_id"]) - set(a.loc[a["status"] == "active", "request_id"])
    assert set(result.proposals["request_id"]) | set(result.unmatched["request_id"]) == open_ids
    assert not set(result.proposals["request_id"]) & set(result.unmatched["request_id"])
    declined = set(
        zip(
            a.loc[a["status"] == "declined", "request_id"],
            a.loc[a["status"] == "declined", "volunteer_id"],
            strict=True,
        )
    )
    proposed = set(
        zip(result.proposals["request_id"], result.proposals["volunteer_id"], strict=True)
    )
    assert not declined & proposed


@FEWER
@given(caseloads(), st.randoms(use_true_random=False))
def test_result_independent_of_row_order(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], rnd: object
) -> None:
    v, r, a = case
    first = match(v, r, a, CONFIG)
    seed = rnd.randint(0, 2**31)  # type: ignore[attr-defined]
    shuffled = match(
        v.sample(frac=1, random_state=seed),
        r.sample(frac=1, random_state=seed + 1),
        a.sample(frac=1, random_state=seed + 2),
        CONFIG,
    )
    pd.testing.assert_frame_equal(first.proposals, shuffled.proposals)
    pd.testing.assert_frame_equal(first.unmatched, shuffled.unmatched)
    assert first.summary["solver"]["objective"] == shuffled.summary["solver"]["objective"]


@SETTINGS
@given(caseloads(), st.sampled_from(["max_served", "quality"]))
def test_exact_backends_agree_and_beat_greedy(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], objective: str
) -> None:
    v, r, a = case
    config = CONFIG.model_copy(update={"objective": objective})
    model = _model(v, r, a, config)
    flow = get_solver("flow").solve(model)
    cpsat = get_solver("cpsat", num_workers=1).solve(model)
    lsa = get_solver("lsa").solve(model)
    greedy = get_solver("greedy").solve(model)
    assert flow.optimal and cpsat.optimal
    assert flow.objective == cpsat.objective == lsa.objective
    assert greedy.objective <= flow.objective
    assert model.objective_of(flow.selected) == flow.objective


@FEWER
@given(caseloads())
def test_max_served_serves_at_least_as_many_as_greedy_and_quality(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    v, r, a = case
    best = match(v, r, a, CONFIG)
    greedy = match(v, r, a, CONFIG.model_copy(update={"solver": "greedy"}))
    pure = match(v, r, a, CONFIG.model_copy(update={"objective": "quality"}))
    assert len(best.proposals) >= len(greedy.proposals)
    assert len(best.proposals) >= len(pure.proposals)
    assert check_proposals(v, r, a, greedy.proposals, as_of=AS_OF) == []
