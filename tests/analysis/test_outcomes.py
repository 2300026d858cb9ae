"""Per-request and per-volunteer outcome tables, grid cells and settlement classes.

Expected numbers are recomputed here from the raw result tables with plain Python, not with the
library's helpers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from lotsen_match.analysis import (
    area_labels,
    grid_cells,
    request_outcomes,
    settlement_class,
    volunteer_usage,
)
from lotsen_match.analysis.outcomes import KM_PER_DEGREE
from lotsen_match.core.geo import haversine_km


def test_one_row_per_open_request_with_its_outcome(sample: lm.MatchResult) -> None:
    out = request_outcomes(sample)
    open_ids = set(sample.requests["request_id"]) - set(sample.active_request_ids)
    assert list(out["request_id"]) == sorted(open_ids)
    assert len(out) == sample.summary["counts"]["requests_open"]
    served = set(sample.proposals["request_id"])
    assert set(out.loc[out["served"], "request_id"]) == served
    by_id = out.set_index("request_id")
    for row in sample.proposals.itertuples():
        assert by_id.at[row.request_id, "volunteer_id"] == row.volunteer_id
        assert by_id.at[row.request_id, "score"] == row.score
        assert by_id.at[row.request_id, "reason"] == ""
    for row in sample.unmatched.itertuples():
        assert by_id.at[row.request_id, "reason"] == row.reason
        assert not by_id.at[row.request_id, "served"]
        assert math.isnan(by_id.at[row.request_id, "score"])


def test_request_attributes_are_read_from_the_inputs(sample: lm.MatchResult) -> None:
    out = request_outcomes(sample).set_index("request_id")
    req = sample.requests.set_index("request_id")
    hh_sizes: dict[str, int] = {}
    for rid, hh in zip(sample.requests["request_id"], sample.requests["household_id"], strict=True):
        key = hh or f"own:{rid}"
        hh_sizes[key] = hh_sizes.get(key, 0) + 1
    as_of = pd.Timestamp("2026-11-02")
    for rid, row in out.iterrows():
        src = req.loc[rid]
        assert row["language"] == src["languages"].split(";")[0].split(":")[0]
        assert row["area"] == src["place"]
        assert row["waiting_days"] == (as_of - src["created_on"]).days
        size = hh_sizes[src["household_id"] or f"own:{rid}"]
        assert row["household_requests"] == size
        assert row["household_size"] == ("4+" if size >= 4 else str(size))
        assert row["preferred_gender"] == src["preferred_gender"]


def test_volunteer_usage_matches_the_load_of_the_proposals(sample: lm.MatchResult) -> None:
    usage = volunteer_usage(sample).set_index("volunteer_id")
    hh_of = {
        r: (h or f"own:{r}")
        for r, h in zip(sample.requests["request_id"], sample.requests["household_id"], strict=True)
    }
    active: dict[str, set[str]] = {}
    for r, v, s in sample.assignments[["request_id", "volunteer_id", "status"]].itertuples(
        index=False
    ):
        if s == "active":
            active.setdefault(v, set()).add(hh_of[r])
    new: dict[str, set[str]] = {}
    for r, v in sample.proposals[["request_id", "volunteer_id"]].itertuples(index=False):
        if hh_of[r] not in active.get(v, set()):
            new.setdefault(v, set()).add(hh_of[r])
    for vid, row in usage.iterrows():
        assert row["active_households"] == len(active.get(vid, ()))
        assert row["proposed_households"] == len(new.get(vid, ()))
    # The matcher's own view: volunteer_load = (active + new households) / capacity.
    load = sample.proposals.groupby("volunteer_id")["volunteer_load"].first()
    used = (usage["active_households"] + usage["proposed_households"]) / usage["capacity"]
    assert np.allclose(used.reindex(load.index), load, atol=1e-4)
    vol = sample.volunteers.set_index("volunteer_id")
    as_of = pd.Timestamp("2026-11-02")
    for vid, row in usage.iterrows():
        v = vol.loc[vid]
        ok = (pd.isna(v["available_from"]) or v["available_from"] <= as_of) and (
            pd.isna(v["available_until"]) or v["available_until"] >= as_of
        )
        ok = ok and pd.notna(v["certified_on"]) and v["certified_on"] <= as_of
        assert row["available"] == ok
        free = max(v["capacity"] - row["active_households"] - row["proposed_households"], 0)
        assert row["free_after"] == (free if ok else 0)
    # Nobody is over capacity after confirming every proposal.
    assert (usage["active_households"] + usage["proposed_households"] <= usage["capacity"]).all()


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(47.0, 56.0),
    lon=st.floats(5.0, 16.0),
    cell_km=st.sampled_from([1.0, 5.0, 10.0, 25.0]),
)
def test_a_point_lies_within_its_grid_cell(lat: float, lon: float, cell_km: float) -> None:
    labels, c_lat, c_lon = grid_cells([lat], [lon], cell_km)
    # The centre is at most half a cell away in each direction (a cell's diagonal / 2).
    d = haversine_km(lat, lon, float(c_lat[0]), float(c_lon[0]))
    assert d <= cell_km * math.sqrt(2) / 2 * 1.01
    assert abs(lat - c_lat[0]) <= cell_km / KM_PER_DEGREE / 2 + 1e-9
    again, _, _ = grid_cells([lat, lat], [lon, lon], cell_km)
    assert list(again) == [labels[0], labels[0]]


def test_area_falls_back_to_grid_cells_without_place() -> None:
    frame = pd.DataFrame(
        {"lat": [52.15, 52.151, 53.0], "lon": [9.95, 9.951, 8.8], "place": ["Hi", "", None]}
    )
    auto = area_labels(frame)
    assert auto[0] == "Hi"
    assert auto[1] == grid_cells([52.151], [9.951])[0][0]
    grid = area_labels(frame, area="grid")
    assert grid[0] == grid[1] != grid[2]
    with pytest.raises(ValueError, match="place"):
        area_labels(frame.drop(columns="place"), area="place")
    with pytest.raises(ValueError, match="area must be"):
        area_labels(frame, area="county")  # type: ignore[arg-type]


def test_settlement_class_follows_the_nearest_place() -> None:
    places = lm.load_places()
    big = places.sort_values("population").iloc[-1]  # Hannover
    small = places[places["population"].between(600, 4000)].iloc[0]
    classes = settlement_class([big["lat"], small["lat"]], [big["lon"], small["lon"]])
    assert list(classes) == ["city", "village"]
