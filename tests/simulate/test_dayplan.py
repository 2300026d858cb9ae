"""The day planner (the universe encoded once) against the library built afresh on each day's
tables: the same model array for array, and the plan of a fresh ``lm.Matcher`` / ``match()``
(same served pairs, same objective), every day of real runs; the Matcher path's numbers stay
reachable with ``planner="matcher"``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.pipeline import build_instance
from lotsen_match.simulate import Scenario, SimulationSettings, simulate, sweep
from lotsen_match.simulate.dayplan import DayPlanner
from lotsen_match.simulate.universe import request_table
from lotsen_match.simulate.world import household_keys
from lotsen_match.validation import validate_caseload
from tests.simulate_support import AS_OF, CONFIG, cached_run, sample_frames

CHURN = (
    ("decision_days", 1),
    ("confirm_rate", 0.6),
    ("min_duration_days", 3),
    ("mean_duration_days", 8),
    ("leave_per_year", 3.0),
    ("join_per_year", 3.0),
)
"""Turnover on every day: declines, accompaniments that end, Lotsen who leave and join."""


def _records(policy: str, seed: int, days: int, settings: tuple[tuple[str, object], ...]) -> list:
    run = cached_run(policy, seed, days, True, settings)
    planned = [r for r in run.state.records if r.plan is not None]
    assert planned, "no plan to compare"
    assert all(r.day_plan is not None for r in planned)
    return planned


@pytest.mark.parametrize(
    ("policy", "seed", "settings"),
    [("nightly", 3, CHURN), ("nightly", 0, (("decision_days", 0),)), ("weekly", 1, CHURN)],
)
def test_every_days_plan_is_a_fresh_matchers_plan(
    policy: str, seed: int, settings: tuple[tuple[str, object], ...]
) -> None:
    planned = _records(policy, seed, 24, settings)
    declined_seen = 0
    for rec in planned:
        volunteers, requests, assignments = rec.plan_input
        declined_seen += int((assignments["status"] == "declined").sum())
        config = CONFIG.replace(as_of=rec.as_of)
        fresh = lm.Matcher(volunteers, requests, assignments, config, strict=True).plan
        solver = fresh.summary["solver"]
        assert solver["optimal"], rec.day
        assert rec.plan_objective == solver["objective"], rec.day
        assert rec.plan_pairs == len(fresh.proposals), rec.day
    assert declined_seen > 0, "no declined pairs: the runs test too little"


@pytest.mark.parametrize("seed", [2, 5])
def test_the_day_model_is_the_pipelines_model_array_for_array(seed: int) -> None:
    for rec in _records("nightly", seed, 16, CHURN):
        volunteers, requests, assignments = rec.plan_input
        config = CONFIG.replace(as_of=rec.as_of)
        case = validate_caseload(volunteers, requests, assignments, config=config, strict=True)
        inst = build_instance(case, config)
        mine = rec.day_plan
        p, q = inst.problem, mine.problem
        for field in dataclasses.fields(p):
            a, b = getattr(p, field.name), getattr(q, field.name)
            if field.name in ("languages", "v_level", "r_lang", "r_lang_level"):
                continue  # codes indexed by the languages seen; compared decoded below
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=f"day {rec.day}: {field.name}")
            else:
                assert a == b, (rec.day, field.name)
        lang_p, lang_q = np.asarray((*p.languages, "")), np.asarray((*q.languages, ""))
        np.testing.assert_array_equal(lang_p[p.r_lang], lang_q[q.r_lang])
        np.testing.assert_array_equal(p.r_lang_level, q.r_lang_level[:, : p.r_lang.shape[1]])
        for code, column in zip(p.languages, p.v_level.T, strict=True):
            np.testing.assert_array_equal(column, q.v_level[:, q.languages.index(code)])
        for name in ("req", "vol", "km", "level"):
            np.testing.assert_array_equal(getattr(inst.cand, name), getattr(mine.cand, name))
        np.testing.assert_array_equal(lang_p[inst.cand.lang], lang_q[mine.cand.lang])
        np.testing.assert_array_equal(inst.quality, mine.quality)
        m, n = inst.household.model, mine.household.model
        for name in ("arc_household", "arc_volunteer", "arc_value", "slot_offsets", "slot_cost"):
            np.testing.assert_array_equal(getattr(m, name), getattr(n, name), err_msg=name)


def test_the_matcher_path_still_runs_and_serves_as_much() -> None:
    v, r, a = sample_frames()
    rows = {}
    for planner in ("matcher", "universe"):
        rows[planner] = simulate(
            v,
            r,
            a,
            Scenario(name="n", policy="nightly"),
            seed=4,
            settings=SimulationSettings(days=15, planner=planner),  # type: ignore[arg-type]
            config=CONFIG,
        ).row
    assert rows["matcher"]["desk_calls"] > 0 and rows["universe"]["desk_calls"] == 0
    assert rows["matcher"]["matcher_builds"] == rows["universe"]["matcher_builds"] == 15
    # Same arrivals and bound; the plans are exact for the tables either way, so the two
    # runs serve about as many (ties and stability references may part them a little).
    assert rows["matcher"]["bound_requests"] == rows["universe"]["bound_requests"]
    assert rows["matcher"]["arrived_requests"] == rows["universe"]["arrived_requests"]
    served = rows["matcher"]["served_requests"], rows["universe"]["served_requests"]
    assert abs(served[0] - served[1]) <= max(served) * 0.1, served


def test_confirmations_hold_exactly_when_the_tables_admit_the_pair() -> None:
    """Police checks that expire during the run: the day planner's check of a proposal waiting
    for its answer agrees with the pairs the pipeline finds on the same tables, both ways."""
    v, r, a = sample_frames()
    v = v.copy()
    has_check = v["police_check_until"] != ""
    expiry = pd.Timestamp(AS_OF) + pd.to_timedelta(np.arange(int(has_check.sum())) % 12, "D")
    v.loc[has_check, "police_check_until"] = expiry.strftime("%Y-%m-%d").to_numpy()
    settings = SimulationSettings(days=14, decision_days=3, leave_per_year=0.0)
    run = simulate(
        v, r, a, Scenario(name="n"), seed=1, settings=settings, config=CONFIG, trace=True
    )
    assert run.row["lapsed"] > 0, "no proposal lapsed: the test checks too little"
    table, _ = request_table(run.world, run.universe)
    planner = DayPlanner(run.world.volunteers, table, run.world.config)
    row_of = pd.Index(table["request_id"].astype(str))
    vol_of = pd.Index(run.world.volunteers["volunteer_id"].astype(str))
    outcomes: set[bool] = set()
    for rec in run.state.records:
        if rec.plan_input is None:
            continue
        volunteers, requests, assignments = rec.plan_input
        config = CONFIG.replace(as_of=rec.as_of)
        case = validate_caseload(volunteers, requests, assignments, config=config, strict=True)
        inst = build_instance(case, config)
        p = inst.problem
        found = set(zip(p.request_ids[inst.cand.req], p.volunteer_ids[inst.cand.vol], strict=True))
        active = assignments[assignments["status"] == "active"]
        keys = pd.Series(household_keys(requests), index=requests["request_id"].astype(str))
        pairs = pd.DataFrame(
            {"h": keys.loc[active["request_id"]].to_numpy(), "v": active["volunteer_id"].to_numpy()}
        )
        counts = np.zeros(len(vol_of), dtype=np.int64)
        np.add.at(counts, vol_of.get_indexer(pairs.drop_duplicates()["v"]), 1)
        asked = assignments[assignments["status"] == "proposed"]
        ok = planner.pair_admissible(
            rec.day,
            row_of.get_indexer(asked["request_id"]).astype(np.int64),
            vol_of.get_indexer(asked["volunteer_id"]).astype(np.int64),
            counts,
        )
        expected = [
            (rid, vid) in found
            for rid, vid in zip(asked["request_id"], asked["volunteer_id"], strict=True)
        ]
        assert ok.tolist() == expected, rec.day
        outcomes |= set(expected)
    assert outcomes == {True, False}, "no waiting proposal became inadmissible"


def test_a_learned_success_model_is_refused_before_any_day(tmp_path: Path) -> None:
    """The day planner scored without the learned column: a config naming a success model
    failed mid-run in ``score_quality`` with an internal message. The simulation refuses it
    up front, naming the setting."""
    from lotsen_match.learn import fit_success_model

    caseload = lm.generate_caseload(120, 400, seed=3, as_of=AS_OF, history=1500)
    requests = pd.concat([caseload.requests, caseload.closed_requests], ignore_index=True)
    config = lm.MatchConfig(as_of=AS_OF)
    model = fit_success_model(
        caseload.assignments, caseload.volunteers, requests, config, n_splits=3
    )
    path = model.save(tmp_path / "model.skops")["model"]
    learned = config.replace(success_model=path, weights={"success": 0.5})
    tables = (caseload.volunteers, caseload.requests, caseload.assignments)
    for planner in ("universe", "matcher"):
        settings = SimulationSettings(days=4, planner=planner)
        with pytest.raises(lm.ConfigError, match=r"rules\.success_model") as err:
            simulate(*tables, Scenario(name="nachts"), settings=settings, config=learned)
        assert "day planner" in str(err.value)
    with pytest.raises(lm.ConfigError, match=r"rules\.success_model"):
        sweep(
            [Scenario(name="nachts")],
            1,
            "tcp://127.0.0.1:9",
            volunteers=tables[0],
            requests=tables[1],
            config=learned,
        )  # fmt: skip  (refused before connecting)
