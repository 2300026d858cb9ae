"""what_if(): re-runs with added/removed volunteers, weights and settings; metrics recomputed."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.analysis import METRICS, outcome_metrics, what_if

AS_OF = pd.Timestamp("2026-11-02")


def _expected_metrics(result: lm.MatchResult) -> dict[str, float]:
    """The headline numbers from the raw tables, written independently of the library."""
    created = dict(zip(result.requests["request_id"], result.requests["created_on"], strict=True))
    open_ids = set(result.requests["request_id"]) - set(result.active_request_ids)
    served = set(result.proposals["request_id"])
    wait_served = [(AS_OF - created[r]).days for r in served]
    wait_unserved = [(AS_OF - created[r]).days for r in open_ids - served]
    return {
        "requests_open": len(open_ids),
        "served": len(served),
        "served_rate": len(served) / len(open_ids),
        "mean_score": sum(result.proposals["score"]) / len(served),
        "mean_distance_km": sum(result.proposals["distance_km"]) / len(served),
        "mean_waiting_days_served": sum(wait_served) / len(wait_served),
        "mean_waiting_days_unserved": sum(wait_unserved) / len(wait_unserved),
        "volunteers_with_proposals": len(set(result.proposals["volunteer_id"])),
    }


def test_outcome_metrics_match_the_raw_tables(sample: lm.MatchResult) -> None:
    got = outcome_metrics(sample)
    assert list(got) == list(METRICS)
    for key, value in _expected_metrics(sample).items():
        assert got[key] == pytest.approx(value), key


def test_no_change_reproduces_the_run(sample: lm.MatchResult) -> None:
    same = what_if(sample)
    pd.testing.assert_frame_equal(same.scenario.proposals, sample.proposals)
    assert same.served_change == 0
    assert (same.comparison["change"].fillna(0) == 0).all()
    assert (same.by_language["change"] == 0).all()


def test_removing_volunteers_reopens_their_requests(sample: lm.MatchResult) -> None:
    asg = sample.assignments
    busy = asg.loc[asg["status"] == "active", "volunteer_id"].iloc[0]
    proposing = sample.proposals["volunteer_id"].value_counts().index[0]
    gone = sorted({busy, proposing})
    res = what_if(sample, remove_volunteer_ids=gone)
    sc = res.scenario
    assert not set(sc.proposals["volunteer_id"]) & set(gone)
    assert not set(sc.volunteers["volunteer_id"]) & set(gone)
    reopened = set(
        asg.loc[(asg["status"] == "active") & (asg["volunteer_id"] == busy), "request_id"]
    )
    assert reopened and reopened.isdisjoint(sc.active_request_ids)
    assert sc.summary["counts"]["requests_open"] == (
        sample.summary["counts"]["requests_open"] + len(reopened)
    )
    # Compared with the raw tables of both runs.
    expected = _expected_metrics(sc)
    row = res.comparison.set_index("metric")
    for key, value in expected.items():
        assert row.at[key, "scenario"] == pytest.approx(value), key
    assert res.served_change == len(sc.proposals) - len(sample.proposals)
    by_lang = res.by_language
    assert by_lang["served_scenario"].sum() == len(sc.proposals)
    assert by_lang["served_base"].sum() == len(sample.proposals)
    with pytest.raises(ValueError, match="unknown volunteer ids"):
        what_if(sample, remove_volunteer_ids=["NOPE"])


def test_adding_volunteers_validates_them(sample: lm.MatchResult) -> None:
    first = sample.unmatched[sample.unmatched["reason"] == "language"].iloc[0]
    req = sample.requests.set_index("request_id").loc[first["request_id"]]
    lang = first["request_languages"].split(";")[0]
    new = pd.DataFrame(
        {
            "volunteer_id": ["NEW1"],
            "languages": [f"{lang}:native"],
            "lat": [req["lat"]],
            "lon": [req["lon"]],
            "need_types": [req["need_type"]],
            "capacity": [3],
            "certified_on": ["2026-01-01"],
            "police_check_until": ["2027-12-31"],
            "gender": [req["preferred_gender"] or "f"],
        }
    )
    res = what_if(sample, add_volunteers=new)
    assert res.served_change >= 1
    assert "NEW1" in set(res.scenario.proposals["volunteer_id"])
    assert len(res.scenario.volunteers) == len(sample.volunteers) + 1
    with pytest.raises(ValueError, match="already in the caseload"):
        what_if(
            sample, add_volunteers=new.assign(volunteer_id=sample.volunteers["volunteer_id"][0])
        )
    with pytest.raises(lm.InputValidationError):
        what_if(sample, add_volunteers=new.assign(languages="xx:native"))


def test_weights_and_settings(sample: lm.MatchResult) -> None:
    res = what_if(sample, weights={"distance": 20.0})
    assert res.scenario.config.weights.distance == 20.0
    assert res.scenario.config.weights.language == sample.config.weights.language
    # Distance weighs more: proposals are not farther away on average.
    row = res.comparison.set_index("metric")
    assert row.at["mean_distance_km", "scenario"] <= row.at["mean_distance_km", "base"] + 1e-9
    assert row.at["served", "scenario"] == row.at["served", "base"]  # max_served first
    wider = what_if(sample, config_update={"default_max_distance_km": 30.0})
    assert wider.scenario.config.rules.default_max_distance_km == 30.0
    with pytest.raises(lm.ConfigError):
        what_if(sample, config_update={"default_max_distance_km": -1})
    whole = what_if(sample, weights=lm.ScoreWeights(distance=1.0))
    assert whole.scenario.config.weights == lm.ScoreWeights(distance=1.0)


def test_served_rate_is_nan_free_and_consistent(sample: lm.MatchResult) -> None:
    res = what_if(sample, weights={"urgency": 5.0})
    for _, row in res.comparison.iterrows():
        if not (math.isnan(row["base"]) or math.isnan(row["scenario"])):
            assert row["change"] == pytest.approx(row["scenario"] - row["base"])
