"""The desk with a learned success model: scored as a run scores, exact after every change.

A model whose score moves with household size, load and experience is saved and loaded once.
On random small caseloads, the Matcher's plan
equals ``lm.match`` with the model; after random desk changes the next nightly run on the
Matcher's tables finds nothing better than the plan; and a new request's suggestions are the
exact optimum of the caseload with the request added (re-solved from scratch with the model),
also when the request joins a household whose other requests the model must score again.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from lotsen_match.core.assignment import SCALE
from tests.checker import check_proposals
from tests.desk_changes import CHANGES, Tables
from tests.desk_reference import lex_optimum, objective_of, row_dict
from tests.strategies import AS_OF, caseloads_with_history

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> lm.MatchConfig:
    """The default rules plus a success model whose score moves with what desk changes move:
    the household's number of requests, the volunteer's load and experience. A generated
    history barely holds households of several requests, so the model trained on it gets a
    logistic regression fitted to a known rule as its estimator, then is saved and loaded
    like any other."""
    import dataclasses

    from sklearn.linear_model import LogisticRegression

    from lotsen_match.learn import fit_success_model
    from lotsen_match.learn.features import FEATURES

    caseload = lm.generate_caseload(120, 400, seed=3, as_of=AS_OF, history=1500)
    requests = pd.concat([caseload.requests, caseload.closed_requests], ignore_index=True)
    config = lm.MatchConfig(as_of=AS_OF)
    trained = fit_success_model(
        caseload.assignments, caseload.volunteers, requests, config, n_splits=3
    )
    rng = np.random.default_rng(0)
    X = rng.random((2_000, len(FEATURES))) * 4
    col = FEATURES.index
    logit = (
        3.0 * (X[:, col("household_requests")] - 2)
        - 4.0 * (X[:, col("volunteer_load")] - 0.5)
        + 1.0 * (X[:, col("volunteer_experience")] - 2)
    )
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    model = dataclasses.replace(trained, estimator=LogisticRegression().fit(X, y))
    path = model.save(tmp_path_factory.mktemp("model") / "model.skops")["model"]
    return config.replace(success_model=path, weights={"success": 2.0})


def test_the_desk_plan_is_the_run_with_the_model(learned: lm.MatchConfig) -> None:
    caseload = lm.generate_caseload(40, 160, seed=11, as_of=AS_OF, history=200)
    tables = (caseload.volunteers, caseload.requests, caseload.assignments)
    m = lm.Matcher(*tables, learned)
    run = lm.match(*tables, learned)
    assert "success" in m.plan.proposals.columns
    assert m.plan.summary["solver"]["objective"] == run.summary["solver"]["objective"]
    key = ["request_id", "volunteer_id"]
    pd.testing.assert_frame_equal(
        m.plan.proposals.sort_values(key).reset_index(drop=True),
        run.proposals.sort_values(key).reset_index(drop=True),
    )


def test_a_missing_model_file_is_refused_naming_the_setting(tmp_path: Path) -> None:
    caseload = lm.generate_caseload(10, 30, seed=1, as_of=AS_OF)
    config = lm.MatchConfig(as_of=AS_OF).replace(
        success_model=tmp_path / "none.skops", weights={"success": 0.5}
    )
    with pytest.raises(lm.ConfigError, match="success_model"):
        lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)


@SETTINGS
@given(
    caseloads_with_history(),
    st.lists(
        st.tuples(st.sampled_from(sorted(CHANGES)), st.integers(0, 2**31)), min_size=1, max_size=3
    ),
)
def test_every_change_keeps_the_plan_exact_with_the_model(
    learned: lm.MatchConfig, case: Tables, steps: list[tuple[str, int]]
) -> None:
    m = lm.Matcher(*case, learned)
    for name, seed in steps:
        tables = (m.volunteers(), m.requests(), m.assignments())
        if CHANGES[name](m, tables, random.Random(seed)) is None:
            continue
        plan = m.plan
        assert plan.optimal
        state = (m.volunteers(), m.requests(), m.assignments())
        assert check_proposals(*state, plan.proposals, as_of=AS_OF) == []
        # The next nightly run with the model, fed the Matcher's tables, finds nothing better.
        nxt = lm.match(*state, learned)
        held_value = objective_of(*state, plan.proposals, learned)
        assert held_value == nxt.summary["solver"]["objective"], name
        assert m.repairs == 0


def _check_new_request(learned: lm.MatchConfig, case: Tables, rid: str) -> None:
    """Suggestions for ``rid`` as a new request, against re-solves from scratch with the model:
    each row valued by the optimum with that pair forced, the first row the optimum."""
    v, r, a = case
    request = row_dict(r, "request_id", rid)
    m = lm.Matcher(v, r[r["request_id"] != rid], a[a["request_id"] != rid], learned)
    s = m.suggest(request, k=50)
    held = m.assignments()
    base = lex_optimum(v, r[r["request_id"] != rid], held, learned)
    full = lex_optimum(v, r, held, learned)
    assert base is not None and full is not None
    for row in s.frame.to_dict("records"):
        forced = lex_optimum(v, r, held, learned, forced=(rid, row["volunteer_id"]))
        if forced is None:  # the household's own active volunteer (a direct proposal)
            continue
        assert row["served_change"] == forced[0] - base[0], row
        assert row["quality_change"] == pytest.approx(round((forced[1] - base[1]) / SCALE, 4))
    assert m.repairs == 0
    # The model counts the household's requests, so adding one may change what its other
    # members score even when it stays unserved: served counts compare with ``base``, the
    # quality only with the rows' own forced optima.
    if s.frame.empty:
        assert full[0] == base[0]
        return
    top = s.frame.iloc[0]
    if lex_optimum(v, r, held, learned, forced=(rid, top["volunteer_id"])) is None:
        assert full == base
        return
    best = (base[0] + int(top["served_change"]), base[1] + round(top["quality_change"] * SCALE))
    assert full >= best
    if not s.left_unmatched:
        assert full == best


@SETTINGS
@given(caseloads_with_history(), st.data())
def test_new_request_suggestions_are_exact_with_the_model(
    learned: lm.MatchConfig, case: Tables, data: st.DataObject
) -> None:
    rid = data.draw(st.sampled_from(sorted(case[1]["request_id"])))
    _check_new_request(learned, case, rid)


@SETTINGS
@given(caseloads_with_history(), st.data())
def test_a_request_joining_a_household_is_valued_exactly_with_the_model(
    learned: lm.MatchConfig, case: Tables, data: st.DataObject
) -> None:
    """The model counts a household's requests: its other open requests are scored again."""
    _, r, a = case
    household = r["household_id"]
    shared = r[household.notna() & household.duplicated(keep=False)]
    active = set(a.loc[a["status"] == "active", "request_id"])
    open_households = set(shared.loc[~shared["request_id"].isin(active), "household_id"])
    joining = sorted(
        shared.loc[shared["household_id"].isin(open_households), "request_id"].astype(str)
    )
    assume(joining)
    rid = data.draw(st.sampled_from(joining))
    _check_new_request(learned, case, rid)


def test_a_second_request_of_a_household_rescores_the_first(learned: lm.MatchConfig) -> None:
    """R3 joins household H, whose R1 waits: the model scores R1's pairs again for a household
    of two, and every suggestion for R3 is valued with that (against re-solves)."""
    certified = AS_OF - dt.timedelta(days=100)
    created = AS_OF - dt.timedelta(days=10)
    volunteers = pd.DataFrame(
        [
            {"volunteer_id": vid, "languages": "ar:native", "lat": lat, "lon": 9.95,
             "max_distance_km": 10.0, "need_types": "school", "capacity": 1,
             "certified_on": certified}
            for vid, lat in (("V1", 52.150), ("V2", 52.170), ("V3", 52.160))
        ]
    )  # fmt: skip
    requests = pd.DataFrame(
        [
            {"request_id": rid, "household_id": hid, "languages": "ar:native", "lat": lat,
             "lon": 9.95, "need_type": "school", "created_on": created}
            for rid, hid, lat in (("R1", "H", 52.151), ("R2", None, 52.165), ("R3", "H", 52.151))
        ]
    )  # fmt: skip
    assignments = pd.DataFrame(
        [{"request_id": "R2", "volunteer_id": "V3", "status": "ended",
          "started_on": AS_OF - dt.timedelta(days=300), "ended_on": AS_OF - dt.timedelta(days=30),
          "end_reason": "completed"}]
    )  # fmt: skip
    alone = lm.match(volunteers, requests[requests["request_id"] != "R3"], assignments, learned)
    joined = lm.match(volunteers, requests, assignments, learned)
    # The household's size moves R1's score (the precondition of this test).
    r1_alone = alone.proposals.set_index("request_id").loc["R1", "success"]
    r1_joined = joined.proposals.set_index("request_id").loc["R1", "success"]
    assert abs(r1_alone - r1_joined) > 0.05
    _check_new_request(learned, (volunteers, requests, assignments), "R3")


def test_a_confirmation_moves_what_the_learned_load_score_moves(learned: lm.MatchConfig) -> None:
    """Confirming R2 with V1 loads V1, which the model scores down for R1: the next nightly
    run moves R1 to V2 despite the stability bonus, and so does the desk, without a repair."""
    certified = AS_OF - dt.timedelta(days=100)
    created = AS_OF - dt.timedelta(days=10)
    volunteers = pd.DataFrame(
        [
            {"volunteer_id": vid, "languages": "ar:native", "lat": lat, "lon": 9.95,
             "max_distance_km": 10.0, "need_types": "school", "capacity": 2,
             "certified_on": certified}
            for vid, lat in (("V1", 52.150), ("V2", 52.170))
        ]
    )  # fmt: skip
    requests = pd.DataFrame(
        [
            {"request_id": rid, "languages": "ar:native", "lat": lat, "lon": 9.95,
             "need_type": "school", "created_on": created}
            for rid, lat in (("R1", 52.151), ("R2", 52.152))
        ]
    )  # fmt: skip
    heavy = learned.replace(weights={"success": 12.0})  # outweighs R1's stability bonus
    m = lm.Matcher(volunteers, requests, None, heavy)
    assert _proposed(m.plan.proposals) == {"R1": "V1", "R2": "V1"}
    m.decide("R2", "V1", "confirmed")
    assert _proposed(m.plan.proposals) == {"R1": "V2"}
    state = (m.volunteers(), m.requests(), m.assignments())
    nxt = lm.match(*state, heavy)
    assert _proposed(nxt.proposals) == {"R1": "V2"}
    assert m.repairs == 0


def _proposed(proposals: pd.DataFrame) -> dict[str, str]:
    return dict(zip(proposals["request_id"], proposals["volunteer_id"], strict=True))


def test_the_desk_loads_the_model_once(
    learned: lm.MatchConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every change re-solves with the model, so it is loaded once, not per change: a gradient
    boosting model takes a good part of a second to load (district decide p50 439 -> 78 ms)."""
    import lotsen_match.learn.model as model_module

    real = model_module.load_success_model
    loaded: list[object] = []

    def counting(path: object) -> object:
        loaded.append(path)
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(model_module, "load_success_model", counting)
    caseload = lm.generate_caseload(30, 90, seed=5, as_of=AS_OF, history=60)
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, learned)
    for row in m.plan.proposals.head(3).to_dict("records"):
        m.decide(row["request_id"], row["volunteer_id"], "declined")
        assert m.plan.optimal  # each state's plan is built and proven with the model too
    assert len(loaded) == 1
