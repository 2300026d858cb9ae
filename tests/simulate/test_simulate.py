"""The simulation on the bundled sample, each day on a real Matcher: valid plans every day, the
bound holds, seeds repeat, the policies and scenarios move the numbers the way they must."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.errors import ConfigError
from lotsen_match.simulate import (
    POLICIES,
    TIMING_COLUMNS,
    AddVolunteers,
    Scenario,
    SimulationRun,
    SimulationSettings,
    parse_scenarios,
    simulate,
)
from tests.checker import check_proposals
from tests.simulate_support import CONFIG, cached_run, sample_frames

QUICK = (("confirm_rate", 1.0), ("decision_days", 0), ("min_duration_days", 3),
         ("mean_duration_days", 6))  # fmt: skip
"""Fast turnover: every proposal confirmed the same day, accompaniments of days, not months,
so places free up and are taken again many times within a short run."""


@pytest.mark.parametrize("policy", POLICIES)
def test_every_days_proposals_pass_the_independent_checker(policy: str) -> None:
    run = cached_run(policy, 3, 20, True, (("decision_days", 1),))
    records = run.state.records
    assert len(records) == 20
    assert sum(len(r.proposals) for r in records) > 20, "too few proposals to check anything"
    declined: set[tuple[str, str]] = set()
    for rec in records:
        # Today's proposals against the active pairs and everything still pending: no
        # volunteer is asked about more households than she has places.
        assert (
            check_proposals(
                rec.volunteers, rec.requests, rec.assignments, rec.proposals, as_of=rec.as_of
            )
            == []
        ), rec.day
        sent = set(zip(rec.proposals["request_id"], rec.proposals["volunteer_id"], strict=True))
        assert not sent & declined, "a declined pair was proposed again"
        rows = rec.assignments
        declined |= set(
            zip(
                rows[rows["status"] == "declined"]["request_id"],
                rows[rows["status"] == "declined"]["volunteer_id"],
                strict=True,
            )
        )
        if rec.plan is not None:  # the Matcher's whole plan, against its own state
            plan = rec.plan[rec.plan["status"] == "proposed"]
            state = rec.plan[rec.plan["status"] != "proposed"]
            assert check_proposals(rec.volunteers, rec.requests, state, plan, as_of=rec.as_of) == []
            planned = set(zip(plan["request_id"], plan["volunteer_id"], strict=True))
            assert sent <= planned, "a nightly proposal that is not in the Matcher's plan"
    if policy in ("nightly", "weekly"):  # the day planner: no Matcher, one solve per plan
        assert run.row["desk_calls"] == 0
        assert run.row["matcher_builds"] == sum(rec.plan is not None for rec in records)
    else:
        assert run.row["desk_calls"] > 0 and run.row["matcher_builds"] == 20


@pytest.mark.parametrize("policy", POLICIES)
def test_no_policy_exceeds_the_bound(policy: str) -> None:
    row = cached_run(policy, 0, 30).row
    assert 0 < row["served_requests"] <= row["bound_requests"]
    assert 0 < row["bound_share"] <= 1.0


@pytest.mark.parametrize("policy", POLICIES)
def test_bound_holds_with_fast_turnover_and_more_lotsen(policy: str) -> None:
    add = (("count", 10), ("languages", "ar:native;de:C1"), ("place", "Hildesheim"))
    run = cached_run(policy, 2, 20, False, QUICK, add)
    row = run.row
    # Places were taken again and again: more first starts than places at the start.
    assert row["served_households"] > int(run.world.v_capacity.sum()) // 2
    assert row["served_requests"] <= row["bound_requests"]


def test_nightly_serves_at_least_as_many_as_greedy_on_arrival() -> None:
    for seed in (0, 1):
        nightly = cached_run("nightly", seed, 30).row
        greedy = cached_run("greedy_on_arrival", seed, 30).row
        assert nightly["served_requests"] >= greedy["served_requests"], seed
        assert nightly["bound_requests"] == greedy["bound_requests"]


def test_same_seed_same_numbers_other_seed_other_arrivals() -> None:
    v, r, a = sample_frames()
    settings = SimulationSettings(days=12)
    one = simulate(v, r, a, seed=5, settings=settings, config=CONFIG).row
    two = simulate(v, r, a, seed=5, settings=settings, config=CONFIG).row
    for col in TIMING_COLUMNS:
        one.pop(col), two.pop(col)
    assert one == two
    other = cached_run("nightly", 6, 12).row
    assert (other["arrived_households"], other["served_requests"]) != (
        one["arrived_households"],
        one["served_requests"],
    )


def test_policies_see_the_same_arrivals() -> None:
    runs = [cached_run(p, 0, 30) for p in POLICIES]
    for run in runs[1:]:
        np.testing.assert_array_equal(run.universe.template, runs[0].universe.template)
        np.testing.assert_array_equal(run.universe.arrival, runs[0].universe.arrival)
        assert run.row["bound_requests"] == runs[0].row["bound_requests"]


def test_recruiting_arabic_lotsen_in_hildesheim_serves_more_arabic_speakers() -> None:
    add = (("count", 20), ("languages", "ar:native;de:C1"), ("place", "Hildesheim"))
    base = cached_run("nightly", 1, 30)
    more = cached_run("nightly", 1, 30, False, (), add)

    def arabic(run: SimulationRun) -> int:
        s = run.shares
        return int(s[(s["dimension"] == "erstsprache") & (s["key"] == "ar")]["served"].sum())

    assert arabic(more) > arabic(base)
    assert more.row["bound_requests"] >= base.row["bound_requests"]


def test_weekly_waits_longer_than_nightly() -> None:
    nightly = cached_run("nightly", 0, 30).row
    weekly = cached_run("weekly", 0, 30).row
    assert weekly["waiting_days_p90"] >= nightly["waiting_days_p90"]
    assert weekly["waiting_days_median"] >= nightly["waiting_days_median"]
    assert weekly["served_requests"] <= nightly["served_requests"]


def test_scenario_file_errors_name_the_scenario_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_scenarios(
            {
                "days": 30,
                "scenario": [{"name": "a", "policy": "hourly"}, {"name": "b", "colour": 1}],
            }
        )
    fields = [f for f, _ in err.value.problems]
    assert any(f.startswith("scenario[0].policy") for f in fields)
    assert any(f.startswith("scenario[1].colour") for f in fields)
    with pytest.raises(ConfigError, match="scenario"):
        parse_scenarios({"days": 30})
    with pytest.raises(ConfigError, match="used twice"):
        parse_scenarios({"scenario": [{"name": "x"}, {"name": "x"}]})
    scenarios, settings = parse_scenarios(
        {
            "days": 30,
            "scenario": [
                {"name": "nachts"},
                {
                    "name": "20 Lotsen",
                    "add_volunteers": [
                        {"count": 20, "languages": "ar:native;de:C1", "place": "Hildesheim"}
                    ],
                },
            ],
        }
    )
    assert settings.days == 30 and scenarios[1].add_volunteers[0].count == 20


def test_scenarios_the_caseload_cannot_carry_are_config_errors() -> None:
    v, r, a = sample_frames()
    atlantis = (AddVolunteers(count=1, languages="ar:native", place="Atlantis"),)
    with pytest.raises(ConfigError, match="Atlantis"):
        simulate(v, r, a, Scenario(name="x", add_volunteers=atlantis), config=CONFIG)
    with pytest.raises(ConfigError, match=r"x\.weights"):
        simulate(v, r, a, Scenario(name="x", weights={"language": -1}), config=CONFIG)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    policy=st.sampled_from(POLICIES),
    seed=st.integers(0, 10_000),
    lag=st.integers(0, 3),
    confirm=st.floats(0.3, 1.0),
    shortest=st.integers(1, 8),
    spread=st.integers(0, 20),
)
def test_the_bound_holds_for_any_dynamics(
    policy: str, seed: int, lag: int, confirm: float, shortest: int, spread: int
) -> None:
    """Short accompaniments and quick answers let places be reused many times in a few days:
    where the bound's time and start counts bite."""
    dynamics = SimulationSettings(
        days=8,
        decision_days=lag,
        confirm_rate=confirm,
        min_duration_days=shortest,
        mean_duration_days=shortest + spread,
        join_per_year=2.0,
        leave_per_year=2.0,
    )
    v, r, a = sample_frames()
    row = simulate(
        v, r, a, Scenario(name="p", policy=policy), seed=seed, settings=dynamics, config=CONFIG
    ).row
    assert row["served_requests"] <= row["bound_requests"]
