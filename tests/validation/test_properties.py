"""Invariants of validation on random tables that mix valid and invalid cells.

Nothing is lost (accepted + rejected = read), every rejection has a reason, every accepted row has
the VALIDATED.md format, and the outcome does not depend on the order of the input rows.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.config import MatchConfig
from lotsen_match.core.vocab import (
    ALL_SLOTS,
    ASSIGNMENT_STATUSES,
    LEVELS,
    MODULE_BIT,
    MODULES,
    NEED_CODE,
    NEED_TYPES,
    SLOT_BIT,
    SLOTS,
)
from lotsen_match.errors import InputValidationError
from lotsen_match.validation import CLEAN_DTYPES, ValidatedCaseload, validate_caseload
from lotsen_match.validation.hints import MIN_REFUSED_ROWS
from lotsen_match.validation.problems import HEADER_ROW

CFG = MatchConfig(as_of=dt.date(2026, 11, 2), strict=False)
MISSING: list[Any] = ["", " ", None, np.nan]

# column -> (valid cells, invalid cells); missing cells are added below by requiredness
VOLUNTEER_CELLS: dict[str, tuple[list[Any], list[Any]]] = {
    "volunteer_id": ([], []),  # drawn by _ids
    "languages": (
        ["ar:native;de:B1", "de:B1;AR:native", "DE:c1;de:a2", "en:A2;uk:native;ru:C1", "ger:B2"],
        ["xx:native", "ar", "ar:x", "ar:native, de:B1"],
    ),
    "lat": (["52,15", "52.3", 52.4, "-90"], ["95", "x", "inf"]),
    "lon": (["9,95", "10.1", 9.9, "180"], ["180,5", "neun"]),
    "max_distance_km": (["12,5", "5", 8.0], ["0", "-3", "weit"]),
    "need_types": (["school;health", "Work", "everyday;school;Everyday"], ["shopping", ";"]),
    "availability": (["mon-am;thu-eve", "SAT-PM;mon-am"], ["mon-night"]),
    "capacity": (["0", "2", 3, 2.0], ["1.5", "-1", "zwei"]),
    "gender": (["f", "M", "d"], ["x", "w"]),
    "certified_on": (["2025-04-09", "09.04.2025", dt.datetime(2025, 1, 2, 13, 30)], ["31.02.2026"]),
    "police_check_until": (["2027-02-19", "31.12.9999"], ["morgen"]),
    "available_from": (["2026-01-01", "01.06.2026"], ["01.01.0026"]),
    "available_until": (["2026-12-31", "31.05.2026"], []),
    "modules": (["law;media", "Intercultural;law"], ["lawx"]),
}
REQUIRED_VOLUNTEER = {"volunteer_id", "languages", "lat", "lon", "need_types", "capacity"}

REQUEST_CELLS: dict[str, tuple[list[Any], list[Any]]] = {
    "request_id": ([], []),  # drawn by _ids
    "household_id": (["H1", "H2"], []),
    "languages": (["ar:native;de:B1", "ti:native", "fa:C1;prs:native"], ["zz:B1", "de:B9"]),
    "lat": (["52,15", 52.2], ["200", "?"]),
    "lon": (["9,95", 9.8], ["-181"]),
    "need_type": (["school", "Health", "work;"], ["school;health", "arzt"]),
    "availability": (["thu-eve", "sun-eve;mon-am"], ["fri-night"]),
    "created_on": (["01.10.2026", "2026-09-15", dt.date(2026, 8, 1)], ["32.01.2026"]),
    "due_on": (["2026-11-20", "15.09.2026"], ["bald"]),
    "involves_minors": (["ja", "nein", "x", True, "0"], ["vielleicht"]),
    "preferred_gender": (["f", "m"], ["w"]),
    "excluded_volunteers": (["V1", "V2; V1", "V3;"], []),
    "previous_volunteer_id": (["V1", "V9"], []),
}
REQUIRED_REQUEST = {"request_id", "languages", "lat", "lon", "need_type", "created_on"}
STATUSES = (["active", "Active", "active", "proposed", "declined"], ["done", ""])

LANGUAGE_ENTRY = re.compile(r"^[a-z]{2,3}:(native|C2|C1|B2|B1|A2|A1)$")


def _cell(draw: st.DrawFn, valid: list[Any], invalid: list[Any]) -> Any:
    """Mostly valid cells (so that clean rows exist to check), sometimes an invalid one."""
    if invalid and draw(st.integers(0, 19)) == 19:
        return draw(st.sampled_from(invalid))
    return draw(st.sampled_from(valid))


def _ids(draw: st.DrawFn, prefix: str, n: int) -> list[Any]:
    """Unique ids, except for the odd duplicate (maybe padded) or missing one."""
    ids: list[Any] = []
    for i in range(n):
        kind = draw(st.integers(0, 19))
        if kind == 19 and ids:
            ids.append(draw(st.sampled_from([str(x) + " " for x in ids if x] or [""])))
        elif kind == 18:
            ids.append(draw(st.sampled_from(MISSING)))
        else:
            ids.append(f"{prefix}{i + 1}")
    return ids


@st.composite
def tables(
    draw: st.DrawFn,
    cells: dict[str, tuple[list[Any], list[Any]]],
    required: set[str],
    max_rows: int,
) -> pd.DataFrame:
    n = draw(st.integers(0, max_rows))
    columns: dict[str, list[Any]] = {}
    id_column = next(iter(cells))
    columns[id_column] = _ids(draw, id_column[0].upper(), n)
    for column, (valid, invalid) in list(cells.items())[1:]:
        missing = [""] if column in required else MISSING
        columns[column] = [
            _cell(draw, valid + (missing if column not in required else []), invalid + missing)
            for _ in range(n)
        ]
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in columns.items()})
    if draw(st.booleans()):  # all-text frame as read_table gives a CSV
        frame = frame.map(lambda v: "" if v is None or v is np.nan else str(v)).astype("str")
    frame["_row"] = np.arange(2, n + 2)
    return frame


@st.composite
def caseloads(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    vol = draw(tables(VOLUNTEER_CELLS, REQUIRED_VOLUNTEER, 8))
    req = draw(tables(REQUEST_CELLS, REQUIRED_REQUEST, 10))
    known_requests = [str(r).strip() for r in req["request_id"]] + ["R99"]
    known_volunteers = [str(v).strip() for v in vol["volunteer_id"]] + ["V99"]
    # mostly one pair per request (as in real state tables), some requests twice
    requests_ = draw(st.permutations(known_requests))
    requests_ += draw(st.lists(st.sampled_from(known_requests), max_size=3))
    n = len(requests_)
    asg = pd.DataFrame(
        {
            "request_id": requests_,
            "volunteer_id": [draw(st.sampled_from(known_volunteers)) for _ in range(n)],
            "status": [_cell(draw, *STATUSES) for _ in range(n)],
        },
        dtype=object,
    )
    asg["_row"] = np.arange(2, n + 2)
    for frame, name in ((vol, "lotsen.csv"), (req, "anfragen.csv"), (asg, "zuordnungen.csv")):
        frame.attrs["source"] = name
    return vol, req, asg


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    out = frame.iloc[order].reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


# -------------------------------------------------------------------------------------------------
# the VALIDATED.md format, checked independently of the implementation


def _canonical_list(text: str, vocabulary: tuple[str, ...]) -> bool:
    if text == "":
        return True
    entries = text.split(";")
    return all(e in vocabulary for e in entries) and entries == [
        v for v in vocabulary if v in entries
    ]


def _mask(text: str, bits: dict[str, int]) -> int:
    return sum(bits[e] for e in text.split(";")) if text else 0


def _check_languages(text: str) -> None:
    entries = text.split(";")
    assert entries and all(LANGUAGE_ENTRY.match(e) for e in entries), text
    pairs = [(e.split(":")[0], LEVELS.index(e.split(":")[1])) for e in entries]
    assert len({c for c, _ in pairs}) == len(pairs), text
    assert pairs == sorted(pairs, key=lambda p: (-p[1], p[0])), text


def _check_dtypes(table: str, frame: pd.DataFrame) -> None:
    assert isinstance(frame.index, pd.RangeIndex)
    for column, dtype in CLEAN_DTYPES[table].items():
        assert str(frame[column].dtype) == dtype, (table, column)
    for column, dtype in CLEAN_DTYPES[table].items():
        if dtype == "object":
            assert all(type(v) is str and v == v.strip() for v in frame[column]), column


def _check_dates(frame: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        values = frame[column].dropna()
        assert (values >= pd.Timestamp("1900-01-01")).all()
        assert (values == values.dt.normalize()).all()


def check_volunteers(frame: pd.DataFrame) -> None:
    _check_dtypes("volunteers", frame)
    assert (frame["volunteer_id"] != "").all() and frame["volunteer_id"].is_unique
    for row in frame.itertuples():
        _check_languages(row.languages)
        assert -90 <= row.lat <= 90 and -180 <= row.lon <= 180
        assert np.isfinite(row.max_distance_km) and row.max_distance_km > 0
        assert row.need_types and _canonical_list(row.need_types, NEED_TYPES)
        assert row.need_mask == _mask(row.need_types, {n: 1 << i for n, i in NEED_CODE.items()})
        assert _canonical_list(row.availability, SLOTS)
        assert row.slot_mask == (_mask(row.availability, SLOT_BIT) or ALL_SLOTS)
        assert row.capacity >= 0 and row.gender in ("", "f", "m", "d")
        assert _canonical_list(row.modules, MODULES)
        assert row.module_mask == _mask(row.modules, MODULE_BIT)
        if not (pd.isna(row.available_from) or pd.isna(row.available_until)):
            assert row.available_from <= row.available_until
    dates = ["certified_on", "police_check_until", "available_from", "available_until"]
    _check_dates(frame, dates)


def check_requests(frame: pd.DataFrame) -> None:
    _check_dtypes("requests", frame)
    assert (frame["request_id"] != "").all() and frame["request_id"].is_unique
    assert frame["created_on"].notna().all()
    for row in frame.itertuples():
        _check_languages(row.languages)
        assert -90 <= row.lat <= 90 and -180 <= row.lon <= 180
        assert row.need_type in NEED_TYPES and row.need_code == NEED_CODE[row.need_type]
        assert _canonical_list(row.availability, SLOTS)
        assert row.slot_mask == (_mask(row.availability, SLOT_BIT) or ALL_SLOTS)
        assert row.preferred_gender in ("", "f", "m", "d")
        ids = row.excluded_volunteers.split(";") if row.excluded_volunteers else []
        assert ids == sorted(set(ids)) and all(i and i == i.strip() for i in ids)
        if not pd.isna(row.due_on):
            assert row.due_on >= row.created_on
    _check_dates(frame, ["created_on", "due_on"])


def check_assignments(res: ValidatedCaseload) -> None:
    frame = res.assignments
    _check_dtypes("assignments", frame)
    assert frame["status"].isin(ASSIGNMENT_STATUSES).all()
    # A pair names clean rows, or an id no row has, which is then a notice (never silent).
    notices = res.notices[res.notices["table"] == "assignments"]
    for column, table in (("request_id", res.requests), ("volunteer_id", res.volunteers)):
        unknown = frame.loc[~frame[column].isin(table[column]), "_row"]
        noticed = notices.loc[notices["column"] == column, "row"]
        assert set(unknown) == set(noticed)
    assert not frame.duplicated(["request_id", "volunteer_id"]).any()
    active = frame[frame["status"] == "active"]
    assert active["request_id"].is_unique
    household = active["request_id"].map(res.requests.set_index("request_id")["household_id"])
    per_household = active[household != ""].groupby(household[household != ""])
    assert (per_household["volunteer_id"].nunique() <= 1).all()


# -------------------------------------------------------------------------------------------------
# properties

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(caseloads())
def test_nothing_is_lost_and_every_rejection_has_a_reason(
    tables_: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    vol, req, asg = tables_
    res = validate_caseload(vol, req, asg, config=CFG)
    clean = {"volunteers": res.volunteers, "requests": res.requests, "assignments": res.assignments}
    raw = {"volunteers": vol, "requests": req, "assignments": asg}
    for table, frame in clean.items():
        rejected = res.rejected[res.rejected["table"] == table]
        assert res.rows_read[table] == len(raw[table]) == len(frame) + len(rejected)
        problems = res.problems[res.problems["table"] == table]
        # Whole-column hints ("looks like a German export") sit on the header line, over the
        # rejected rows they explain; every other problem is a rejected row.
        on_header = problems["row"] == HEADER_ROW
        assert problems.loc[on_header, "rule"].isin(["looks_german", "looks_like_places"]).all()
        assert len(rejected) >= MIN_REFUSED_ROWS or not on_header.any()
        problem_rows = set(problems.loc[~on_header, "row"])
        assert set(rejected["row"]) == problem_rows
        assert rejected["row"].is_unique
        assert not set(frame["_row"]) & problem_rows
    assert (res.problems["message"].str.len() > 10).all()
    assert (res.problems["value"].str.len() <= 80).all()
    check_volunteers(res.volunteers)
    check_requests(res.requests)
    check_assignments(res)


@PROPERTY_SETTINGS
@given(caseloads(), st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(
    tables_: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], seed: int
) -> None:
    first = validate_caseload(*tables_, config=CFG)
    second = validate_caseload(*(_shuffled(t, seed + i) for i, t in enumerate(tables_)), config=CFG)
    keys = ["table", "row", "column", "rule", "message"]
    pd.testing.assert_frame_equal(
        first.problems.sort_values(keys).reset_index(drop=True),
        second.problems.sort_values(keys).reset_index(drop=True),
    )
    for name in ("volunteers", "requests", "assignments"):
        a, b = getattr(first, name), getattr(second, name)
        pd.testing.assert_frame_equal(
            a.sort_values("_row").reset_index(drop=True),
            b.sort_values("_row").reset_index(drop=True),
        )


@PROPERTY_SETTINGS
@given(caseloads())
def test_strict_raises_exactly_the_lenient_problems_and_clean_output_is_stable(
    tables_: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    lenient = validate_caseload(*tables_, config=CFG)
    try:
        strict = validate_caseload(*tables_, config=CFG, strict=True)
    except InputValidationError as err:
        pd.testing.assert_frame_equal(err.problems, lenient.problems)
    else:
        assert lenient.problems.empty and len(strict.rejected) == 0
    again = validate_caseload(
        lenient.volunteers, lenient.requests, lenient.assignments, config=CFG, strict=True
    )
    pd.testing.assert_frame_equal(again.volunteers, lenient.volunteers)
    pd.testing.assert_frame_equal(again.requests, lenient.requests)
    pd.testing.assert_frame_equal(again.assignments, lenient.assignments)
