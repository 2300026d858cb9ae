"""Fairness audit: group rates recomputed independently, the z statistic, and the flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.analysis import DIMENSIONS, fairness_audit, largest_disparities

AS_OF = pd.Timestamp("2026-11-02")


def _open_requests(result: lm.MatchResult) -> pd.DataFrame:
    req = result.requests[~result.requests["request_id"].isin(result.active_request_ids)]
    score = dict(zip(result.proposals["request_id"], result.proposals["score"], strict=True))
    return pd.DataFrame(
        {
            "request_id": req["request_id"].to_numpy(),
            "first_language": [s.split(":")[0] for s in req["languages"]],
            "need_type": req["need_type"].to_numpy(),
            "minors": req["involves_minors"].to_numpy(),
            "served": [r in score for r in req["request_id"]],
            "score": [score.get(r, np.nan) for r in req["request_id"]],
            "wait": [(AS_OF - c).days for c in req["created_on"]],
        }
    )


def test_group_rates_match_an_independent_groupby(sample: lm.MatchResult) -> None:
    audit = fairness_audit(sample)
    assert list(audit["dimension"].unique()) == list(DIMENSIONS)
    raw = _open_requests(sample)
    for dim, column in (("language", "first_language"), ("need_type", "need_type")):
        part = audit[audit["dimension"] == dim].set_index("group")
        expected = raw.groupby(column).agg(
            n=("served", "size"),
            s=("served", "sum"),
            score=("score", "mean"),
            wait=("wait", "mean"),
        )
        assert set(part.index) == set(expected.index)
        for group, row in expected.iterrows():
            got = part.loc[group]
            assert got["requests"] == row["n"] and got["served"] == row["s"]
            assert got["served_rate"] == pytest.approx(row["s"] / row["n"])
            if math.isnan(row["score"]):
                assert math.isnan(got["mean_score"])
            else:
                assert got["mean_score"] == pytest.approx(row["score"])
            assert got["mean_waiting_days"] == pytest.approx(row["wait"])
            rest = raw[raw[column] != group]
            assert got["gap"] == pytest.approx(row["s"] / row["n"] - rest["served"].mean())
    minors = audit[audit["dimension"] == "involves_minors"].set_index("group")
    assert set(minors.index) == {"true", "false"}
    assert minors.at["true", "requests"] == int(raw["minors"].sum())
    for dim in DIMENSIONS:
        assert audit.loc[audit["dimension"] == dim, "requests"].sum() == len(raw)


def test_z_statistic_is_the_two_proportion_test(sample: lm.MatchResult) -> None:
    audit = fairness_audit(sample, dimensions=["language"])
    raw = _open_requests(sample)
    p = raw["served"].mean()
    for row in audit.itertuples():
        n1 = row.requests
        n2 = len(raw) - n1
        p1 = row.served / n1
        p2 = raw.loc[raw["first_language"] != row.group, "served"].mean()
        z = (p1 - p2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
        assert row.z == pytest.approx(z)


def test_an_unserved_language_is_flagged() -> None:
    """Thirty Tigrinya requests with nobody speaking Tigrinya, next to well-served Arabic ones."""
    volunteers = pd.DataFrame(
        {
            "volunteer_id": [f"V{i}" for i in range(30)],
            "languages": ["ar:native;de:C1"] * 30,
            "lat": [52.15] * 30,
            "lon": [9.95] * 30,
            "need_types": ["school"] * 30,
            "capacity": [1] * 30,
            "certified_on": ["2025-01-01"] * 30,
        }
    )
    langs = ["ar:native"] * 30 + ["ti:native"] * 30
    requests = pd.DataFrame(
        {
            "request_id": [f"R{i:02d}" for i in range(60)],
            "languages": langs,
            "lat": [52.16] * 60,
            "lon": [9.95] * 60,
            "need_type": ["school"] * 60,
            "created_on": ["2026-10-01"] * 60,
        }
    )
    result = lm.match(volunteers, requests, None, lm.MatchConfig(as_of="2026-11-02"))
    audit = fairness_audit(result, dimensions=["language", "need_type"])
    lang = audit[audit["dimension"] == "language"].set_index("group")
    assert lang.at["ti", "served_rate"] == 0.0 and lang.at["ar", "served_rate"] == 1.0
    assert lang.at["ti", "flagged"] and not lang.at["ar", "flagged"]
    assert lang.at["ti", "z"] < -5
    # One group covering everyone: nothing to compare with, no flag.
    need = audit[audit["dimension"] == "need_type"]
    assert len(need) == 1 and need["z"].iloc[0] == 0.0 and not need["flagged"].iloc[0]
    top = largest_disparities(audit)
    assert top.iloc[0]["group"] == "ti" and bool(top.iloc[0]["flagged"])
    # Small groups are not flagged, however bad their rate.
    tiny = fairness_audit(result, dimensions=["language"], min_group_size=31)
    assert not tiny["flagged"].any()


def test_largest_disparities_orders_by_gap(sample: lm.MatchResult) -> None:
    audit = fairness_audit(sample)
    top = largest_disparities(audit, top=5, min_group_size=10)
    assert len(top) == 5
    assert (top["requests"] >= 10).all()
    if not top["flagged"].any():
        assert list(top["gap"]) == sorted(top["gap"])
    big = audit[audit["requests"] >= 10]
    assert top["gap"].iloc[0] == big["gap"].min() or top["flagged"].iloc[0]


def test_unknown_dimension_is_an_error(sample: lm.MatchResult) -> None:
    with pytest.raises(ValueError, match="unknown dimensions"):
        fairness_audit(sample, dimensions=["shoe_size"])
