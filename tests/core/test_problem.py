"""Encoding clean frames into a MatchProblem."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.core import vocab
from lotsen_match.core.problem import MISSING_DAY, MatchProblem, build_problem
from tests import clean_frames as cf

AS_OF = dt.date(2025, 3, 1)
AS_OF_DAY = (AS_OF - dt.date(1970, 1, 1)).days
CONFIG = MatchConfig(as_of=AS_OF)


def day(offset: int) -> str:
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


def build(
    vols: pd.DataFrame,
    reqs: pd.DataFrame,
    assigns: pd.DataFrame | None = None,
    config: MatchConfig = CONFIG,
) -> MatchProblem:
    return build_problem(vols, reqs, assigns, config)


def test_canonical_order_sorts_ids_whatever_the_row_order() -> None:
    vols = cf.volunteers({"volunteer_id": "v2"}, {"volunteer_id": "v10"}, {"volunteer_id": "v1"})
    reqs = cf.requests({"request_id": "b"}, {"request_id": "a", "need_type": "school"})
    p = build(vols, reqs)
    assert p.volunteer_ids.tolist() == ["v1", "v10", "v2"]  # string order, not numeric
    assert p.request_ids.tolist() == ["a", "b"]
    assert p.r_need.tolist() == [vocab.NEED_CODE["school"], vocab.NEED_CODE["everyday"]]
    q = build(vols.iloc[::-1].reset_index(drop=True), reqs.iloc[::-1].reset_index(drop=True))
    for field in dataclasses.fields(MatchProblem):
        a, b = getattr(p, field.name), getattr(q, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), field.name
        else:
            assert a == b, field.name


def test_households_group_requests_and_never_collide_with_request_ids() -> None:
    reqs = cf.requests(
        {"request_id": "r1", "household_id": "h"},
        {"request_id": "r2", "household_id": "h"},
        {"request_id": "r3"},  # its own household
        {"request_id": "r4", "household_id": "r3"},  # a household id equal to a request id
    )
    p = build(cf.volunteers({"volunteer_id": "v"}), reqs)
    assert p.household_keys.tolist() == ["H:h", "H:r3", "R:r3"]
    assert p.household_keys[p.r_household].tolist() == ["H:h", "H:h", "R:r3", "H:r3"]
    assert p.r_household.dtype == np.int32


def test_languages_become_a_level_matrix_and_padded_request_entries() -> None:
    vols = cf.volunteers(
        {"volunteer_id": "v1", "languages": "de:native;ar:B2"},
        {"volunteer_id": "v2", "languages": "uk:C1"},
    )
    reqs = cf.requests(
        {"request_id": "r1", "languages": "ti:native;de:A2;en:B1"},
        {"request_id": "r2", "languages": "ar:native"},
    )
    p = build(vols, reqs)
    assert p.languages == ("ar", "de", "en", "ti", "uk")
    lv = vocab.LEVEL_CODE
    assert p.v_level.dtype == np.int8
    assert p.v_level.tolist() == [[lv["B2"], lv["native"], 0, 0, 0], [0, 0, 0, 0, lv["C1"]]]
    # Request entries keep the canonical order (strongest first), padded with -1 / 0.
    assert p.r_lang.dtype == np.int16 and p.r_lang_level.dtype == np.int8
    assert p.r_lang.tolist() == [[3, 2, 1], [0, -1, -1]]
    assert p.r_lang_level.tolist() == [[lv["native"], lv["B1"], lv["A2"]], [lv["native"], 0, 0]]
    assert p.min_level == lv["B1"]


def test_coordinates_dates_and_codes() -> None:
    vols = cf.volunteers(
        {
            "volunteer_id": "v",
            "gender": "d",
            "police_check_until": day(10),
            "availability": "mon-am;sun-eve",
            "modules": "law;media",
            "max_distance_km": 7.5,
        }
    )
    reqs = cf.requests(
        {
            "request_id": "r",
            "created_on": day(-40),
            "preferred_gender": "f",
            "involves_minors": True,
        }
    )
    p = build(vols, reqs)
    assert p.as_of_day == AS_OF_DAY
    assert p.v_police_until_day.tolist() == [AS_OF_DAY + 10]
    assert p.r_due_day.tolist() == [MISSING_DAY]
    assert p.r_created_day.tolist() == [AS_OF_DAY - 40]
    assert p.v_gender.tolist() == [vocab.GENDER_CODE["d"]]
    assert p.r_pref_gender.tolist() == [vocab.GENDER_CODE["f"]]
    assert p.v_slot_mask.tolist() == [vocab.SLOT_BIT["mon-am"] | vocab.SLOT_BIT["sun-eve"]]
    assert p.r_slot_mask.tolist() == [vocab.ALL_SLOTS]
    assert p.v_module_mask.tolist() == [vocab.MODULE_BIT["law"] | vocab.MODULE_BIT["media"]]
    assert p.r_minors.tolist() == [True]
    assert p.v_max_km.tolist() == [7.5]
    np.testing.assert_allclose(np.linalg.norm(p.v_xyz, axis=1), 1.0, rtol=1e-15)
    assert p.v_xyz.shape == (1, 3) and p.r_xyz.shape == (1, 3)


def test_volunteer_is_active_within_its_period_and_certified() -> None:
    vols = cf.volunteers(
        {"volunteer_id": "a_ok"},
        {"volunteer_id": "b_edges", "available_from": day(0), "available_until": day(0)},
        {"volunteer_id": "c_not_yet", "available_from": day(1)},
        {"volunteer_id": "d_ended", "available_until": day(-1)},
        {"volunteer_id": "e_uncertified", "certified_on": None},
        {"volunteer_id": "f_certified_tomorrow", "certified_on": day(1)},
    )
    reqs = cf.requests({"request_id": "r"})
    assert build(vols, reqs).v_is_active.tolist() == [True, True, False, False, False, False]
    lax = CONFIG.model_copy(update={"require_certification": False})
    assert build(vols, reqs, config=lax).v_is_active.tolist() == [
        True,
        True,
        False,
        False,
        True,
        True,
    ]


def test_assignments_by_status_and_active_load_per_household() -> None:
    vols = cf.volunteers({"volunteer_id": "v1"}, {"volunteer_id": "v2"})
    reqs = cf.requests(
        {"request_id": "r1", "household_id": "h"},
        {"request_id": "r2", "household_id": "h"},
        {"request_id": "r3"},
        {"request_id": "r4"},
    )
    assigns = cf.assignments(
        ("r1", "v1", "active"),
        ("r2", "v1", "active"),  # same household: counts once
        ("r3", "v1", "active"),
        ("r4", "v2", "proposed"),
        ("r4", "v1", "declined"),
        ("r9", "v1", "active"),  # unknown request: ignored
        ("r3", "v9", "declined"),  # unknown volunteer: ignored
    )
    p = build(vols, reqs, assigns)
    assert list(zip(p.active_req.tolist(), p.active_vol.tolist(), strict=True)) == [
        (0, 0),
        (1, 0),
        (2, 0),
    ]
    assert (p.proposed_req.tolist(), p.proposed_vol.tolist()) == ([3], [1])
    assert (p.declined_req.tolist(), p.declined_vol.tolist()) == ([3], [0])
    assert p.r_is_active.tolist() == [True, True, True, False]
    assert p.v_active_households.tolist() == [2, 0]
    keys = p.household_keys.tolist()
    assert p.h_active_volunteer[keys.index("H:h")] == 0
    assert p.h_active_volunteer[keys.index("R:r4")] == -1
    for name in ("active_req", "active_vol", "proposed_req", "declined_vol"):
        assert getattr(p, name).dtype == np.int32


def test_no_assignments() -> None:
    vols = cf.volunteers({"volunteer_id": "v"})
    reqs = cf.requests({"request_id": "r"})
    for assigns in (None, cf.assignments()):
        p = build(vols, reqs, assigns)
        assert p.active_req.size == 0 and not p.r_is_active.any()
        assert p.v_active_households.tolist() == [0]
        assert p.h_active_volunteer.tolist() == [-1]


def test_exclusions_and_previous_volunteer_ignore_unknown_ids() -> None:
    vols = cf.volunteers({"volunteer_id": "v1"}, {"volunteer_id": "v2"})
    reqs = cf.requests(
        {"request_id": "r1", "excluded_volunteers": "v2;vx", "previous_volunteer_id": "v2"},
        {"request_id": "r2", "previous_volunteer_id": "gone"},
        {"request_id": "r3", "excluded_volunteers": "v1;v2"},
    )
    p = build(vols, reqs)
    assert list(zip(p.excluded_req.tolist(), p.excluded_vol.tolist(), strict=True)) == [
        (0, 1),
        (2, 0),
        (2, 1),
    ]
    assert p.r_prev_vol.tolist() == [1, -1, -1]


def test_accepts_pandas_string_and_microsecond_dtypes() -> None:
    """Clean frames may come with pandas' ``str`` dtype and datetime64[us] columns."""
    vols = cf.volunteers({"volunteer_id": "v1", "police_check_until": day(3)})
    reqs = cf.requests({"request_id": "r1", "household_id": "h"})
    p = build(vols, reqs)
    vols2 = vols.astype({"volunteer_id": "str", "languages": "str", "gender": "str"})
    vols2["police_check_until"] = vols2["police_check_until"].astype("datetime64[us]")
    reqs2 = reqs.astype({"request_id": "str", "household_id": "str", "languages": "str"})
    reqs2["created_on"] = reqs2["created_on"].astype("datetime64[s]")
    q = build(vols2, reqs2)
    assert q.v_police_until_day.tolist() == p.v_police_until_day.tolist()
    assert q.r_created_day.tolist() == p.r_created_day.tolist()
    assert q.household_keys.tolist() == ["H:h"]
    assert q.volunteer_ids.dtype == object and isinstance(q.volunteer_ids[0], str)


def test_arrays_are_read_only() -> None:
    p = build(cf.volunteers({"volunteer_id": "v"}), cf.requests({"request_id": "r"}))
    with pytest.raises(ValueError, match="read-only"):
        p.v_capacity[0] = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.min_level = 1  # type: ignore[misc]


def test_missing_column_is_named() -> None:
    vols = cf.volunteers({"volunteer_id": "v"}).drop(columns=["slot_mask"])
    with pytest.raises(ValueError, match=r"volunteers: .*lacks column.*slot_mask"):
        build(vols, cf.requests({"request_id": "r"}))
