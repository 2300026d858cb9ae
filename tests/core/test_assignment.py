"""Household aggregation: the packed-sort grouping equals np.unique, and the model it builds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lotsen_match import MatchConfig
from lotsen_match.core.assignment import SCALE, _group_by_key, build_household_model


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.int64,
        st.integers(0, 300),
        elements=st.one_of(st.integers(0, 50), st.integers(0, 2**62)),
    )
)
def test_group_by_key_equals_unique(keys: np.ndarray) -> None:
    uniq, inverse, counts = _group_by_key(keys.copy())  # the keys are its sort buffer
    ref_uniq, ref_inverse, ref_counts = np.unique(keys, return_inverse=True, return_counts=True)
    assert uniq.tolist() == ref_uniq.tolist()
    assert inverse.tolist() == ref_inverse.reshape(-1).tolist()
    assert counts.tolist() == ref_counts.tolist()


def test_household_arcs_sum_their_requests_and_count_served_requests() -> None:
    # Requests 0 and 1 form household 0, request 2 is household 1; two volunteers.
    req = np.array([0, 0, 1, 2], dtype=np.int32)
    vol = np.array([0, 1, 0, 1], dtype=np.int32)
    q = np.array([0.5, 0.25, 0.75, 1.0])
    hm = build_household_model(
        edge_req=req,
        edge_vol=vol,
        edge_quality=q,
        r_household=np.array([0, 0, 1], dtype=np.int32),
        h_active_volunteer=np.array([-1, -1], dtype=np.int32),
        v_capacity=np.array([1, 1], dtype=np.int32),
        v_active_households=np.array([0, 0], dtype=np.int32),
        config=MatchConfig(as_of="2026-11-02"),
    )
    m = hm.model
    assert list(zip(m.arc_household.tolist(), m.arc_volunteer.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 1),
    ]
    assert m.arc_served is not None and m.arc_served.tolist() == [2, 1, 1]
    assert m.served_value == hm.base > 0
    quality = m.arc_value - hm.base * m.arc_served
    assert quality.tolist() == [round(1.25 * SCALE), round(0.25 * SCALE), SCALE]
    assert hm.edge_arc.tolist() == [0, 1, 0, 2]
