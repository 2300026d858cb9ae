"""Encode clean input frames into one immutable, columnar :class:`MatchProblem`.

Everything downstream (candidates, scores, solvers, explanations) works on integer codes and numpy
arrays in a canonical order: volunteers sorted by ``volunteer_id``, requests by ``request_id``.
That order, not the order of input rows, decides every tie, so results do not depend on how a
spreadsheet happened to be sorted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..errors import ArgumentError
from .geo import unit_vectors
from .vocab import GENDER_CODE, LEVEL_CODE, language_levels

__all__ = ["MISSING_DAY", "MatchProblem", "build_problem", "day_numbers", "last_contact_days"]

log = logging.getLogger(__name__)

#: Day number standing for a missing date. It is below every real day, so "valid until" checks
#: fail and "max(as_of, due_on)" falls back to ``as_of`` without special cases.
MISSING_DAY: Final[int] = int(np.iinfo(np.int32).min)

_EPOCH: Final[dt.date] = dt.date(1970, 1, 1)

_VOLUNTEER_COLUMNS: Final[tuple[str, ...]] = (
    "volunteer_id",
    "languages",
    "lat",
    "lon",
    "max_distance_km",
    "need_mask",
    "slot_mask",
    "capacity",
    "gender",
    "certified_on",
    "police_check_until",
    "available_from",
    "available_until",
    "module_mask",
)
_REQUEST_COLUMNS: Final[tuple[str, ...]] = (
    "request_id",
    "household_id",
    "languages",
    "lat",
    "lon",
    "need_code",
    "slot_mask",
    "created_on",
    "due_on",
    "involves_minors",
    "preferred_gender",
    "excluded_volunteers",
    "previous_volunteer_id",
)
_ASSIGNMENT_COLUMNS: Final[tuple[str, ...]] = ("request_id", "volunteer_id", "status")

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Obj = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True, eq=False)
class MatchProblem:
    """The encoded caseload: numpy arrays in canonical order, all read-only.

    ``v_*`` arrays are indexed by volunteer (position in ``volunteer_ids``), ``r_*`` by request
    (position in ``request_ids``), ``h_*`` by household (position in ``household_keys``). Pair
    lists (``active_*``, ``proposed_*``, ``declined_*``, ``excluded_*``) are parallel int32 index
    arrays, unique and sorted by (request, volunteer).
    """

    as_of_day: int
    """Run date as days since 1970-01-01."""
    min_level: int
    """Minimum shared language level (``vocab.LEVEL_CODE``)."""

    volunteer_ids: Obj
    """(n_vol,) object (str), sorted."""
    request_ids: Obj
    """(n_req,) object (str), sorted."""
    household_keys: Obj
    """(n_hh,) object (str), sorted unique: ``"H:" + household_id``, or ``"R:" + request_id`` for
    a request without household (its own household); the prefixes make collisions impossible."""
    r_household: I32
    """(n_req,) int32 index into ``household_keys``."""

    languages: tuple[str, ...]
    """Canonical language codes seen on either side, sorted; index = language code."""
    v_level: I8
    """(n_vol, n_lang) int8 level code per language, 0 = not spoken."""
    r_lang: I16
    """(n_req, K) int16 language index, -1 = padding; entry 0 is the request's first (strongest)
    language, K = max languages of any request (at least 1)."""
    r_lang_level: I8
    """(n_req, K) int8 level code matching ``r_lang``, 0 on padding."""

    v_lat: F64
    """(n_vol,) float64 degrees."""
    v_lon: F64
    """(n_vol,) float64 degrees."""
    v_xyz: F64
    """(n_vol, 3) float64 unit vectors."""
    v_max_km: F64
    """(n_vol,) float64 travel radius in km."""
    r_lat: F64
    """(n_req,) float64 degrees."""
    r_lon: F64
    """(n_req,) float64 degrees."""
    r_xyz: F64
    """(n_req, 3) float64 unit vectors."""

    v_need_mask: I32
    """(n_vol,) int32, bit i = ``vocab.NEED_TYPES[i]`` taken on."""
    r_need: I8
    """(n_req,) int8 index into ``vocab.NEED_TYPES``."""
    v_slot_mask: I32
    """(n_vol,) int32 time-slot bits (``vocab.ALL_SLOTS`` = any time)."""
    r_slot_mask: I32
    """(n_req,) int32 time-slot bits (``vocab.ALL_SLOTS`` = any time)."""
    v_gender: I8
    """(n_vol,) int8 ``vocab.GENDER_CODE``, 0 = not stated."""
    r_pref_gender: I8
    """(n_req,) int8 ``vocab.GENDER_CODE``, 0 = no preference."""
    v_module_mask: I32
    """(n_vol,) int32 bits per ``vocab.MODULE_BIT``."""
    r_minors: B
    """(n_req,) bool: involves minors (needs a valid police check)."""
    v_police_until_day: I32
    """(n_vol,) int32 day the police check is valid until, ``MISSING_DAY`` if none."""
    r_due_day: I32
    """(n_req,) int32 due day, ``MISSING_DAY`` if none."""
    r_created_day: I32
    """(n_req,) int32 day the request was opened."""
    v_is_active: B
    """(n_vol,) bool: status active (or empty), available on ``as_of`` and certified (if the
    config requires it)."""
    v_capacity: I32
    """(n_vol,) int32 households the volunteer accompanies at once."""

    active_req: I32
    """(n_active,) int32 request of each ``active`` assignment."""
    active_vol: I32
    """(n_active,) int32 volunteer of each ``active`` assignment."""
    proposed_req: I32
    """(n_proposed,) int32 request of each ``proposed`` assignment."""
    proposed_vol: I32
    """(n_proposed,) int32 volunteer of each ``proposed`` assignment."""
    declined_req: I32
    """(n_declined,) int32 request of each ``declined`` assignment."""
    declined_vol: I32
    """(n_declined,) int32 volunteer of each ``declined`` assignment."""
    excluded_req: I32
    """(n_excluded,) int32 request of each ``excluded_volunteers`` entry."""
    excluded_vol: I32
    """(n_excluded,) int32 volunteer of each ``excluded_volunteers`` entry."""
    r_is_active: B
    """(n_req,) bool: the request has an active assignment and is not matched again."""
    v_active_households: I32
    """(n_vol,) int32 distinct households with an active assignment to the volunteer."""
    h_active_volunteer: I32
    """(n_hh,) int32 volunteer of the household's active assignment, -1 if none (the smallest
    volunteer index if the input holds several)."""
    r_prev_vol: I32
    """(n_req,) int32 previous volunteer, -1 if none or unknown."""
    ended_req: I32
    """(n_ended,) int32 request of each ``ended`` assignment (history) whose ids are known."""
    ended_vol: I32
    """(n_ended,) int32 volunteer of each ``ended`` assignment."""
    h_ended_keys: I64
    """Sorted unique int64 keys ``household * max(n_vol, 1) + volunteer``: the volunteer
    accompanied the household before (an ``ended`` assignment; continuity)."""
    r_contact_day: I32
    """(n_req,) int32 day of the last contact: the latest of created_on and the started_on /
    ended_on of any assignment row of the request (a ``proposed`` row without dates counts
    as a contact on ``as_of``: an open proposal is being worked on), at most ``as_of``."""
    r_stale: B
    """(n_req,) bool: open, and no contact for more than ``reconfirm_after_days``: listed for
    reconfirmation, and waiting no longer raises its urgency."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def n_volunteers(self) -> int:
        return int(self.volunteer_ids.shape[0])

    @property
    def n_requests(self) -> int:
        return int(self.request_ids.shape[0])

    @property
    def n_households(self) -> int:
        return int(self.household_keys.shape[0])

    @property
    def n_languages(self) -> int:
        return len(self.languages)


def build_problem(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None,
    config: MatchConfig,
) -> MatchProblem:
    """Encode clean frames (see the validated table format) into a :class:`MatchProblem`.

    Assignments naming unknown ids are ignored (validation reports them); so are unknown ids in
    ``excluded_volunteers`` and ``previous_volunteer_id``.
    """
    _require_columns("volunteers", volunteers, _VOLUNTEER_COLUMNS)
    _require_columns("requests", requests, _REQUEST_COLUMNS)
    as_of_day = (config.as_of - _EPOCH).days

    vols = _sorted_by(volunteers, "volunteer_id")
    reqs = _sorted_by(requests, "request_id")
    volunteer_ids = _as_str_array(vols["volunteer_id"])
    request_ids = _as_str_array(reqs["request_id"])
    vol_index = pd.Index(volunteer_ids)
    req_index = pd.Index(request_ids)
    n_vol, n_req = len(volunteer_ids), len(request_ids)

    # Households: requests without a household id form their own one.
    hh = _as_str_array(reqs["household_id"])
    key = np.where(hh != "", "H:" + hh.astype(object), "R:" + request_ids.astype(object))
    # Hash-based factorize with sorted uniques: np.unique's order, without sorting 100k strings.
    r_household, household_keys = pd.factorize(key.astype(object), sort=True)
    household_keys = np.asarray(household_keys, dtype=object)

    # Languages: parse each distinct canonical string once.
    v_codes, v_unique = pd.factorize(_as_str_array(vols["languages"]))
    r_codes, r_unique = pd.factorize(_as_str_array(reqs["languages"]))
    v_parsed = [language_levels(str(s)) for s in v_unique]
    r_parsed = [language_levels(str(s)) for s in r_unique]
    languages = tuple(sorted({c for entries in (*v_parsed, *r_parsed) for c, _ in entries}))
    lang_index = {code: i for i, code in enumerate(languages)}
    v_level_rows = np.zeros((len(v_parsed), len(languages)), dtype=np.int8)
    for row, entries in enumerate(v_parsed):
        for code, level in entries:
            v_level_rows[row, lang_index[code]] = level
    width = max([1, *(len(e) for e in r_parsed)])
    r_lang_rows = np.full((len(r_parsed), width), -1, dtype=np.int16)
    r_level_rows = np.zeros((len(r_parsed), width), dtype=np.int8)
    for row, entries in enumerate(r_parsed):
        for k, (code, level) in enumerate(entries):
            r_lang_rows[row, k] = lang_index[code]
            r_level_rows[row, k] = level

    v_lat = _float(vols["lat"])
    v_lon = _float(vols["lon"])
    r_lat = _float(reqs["lat"])
    r_lon = _float(reqs["lon"])
    v_max_km = _float(vols["max_distance_km"].fillna(config.rules.default_max_distance_km))

    certified = day_numbers(vols["certified_on"])
    start = day_numbers(vols["available_from"])
    until = day_numbers(vols["available_until"])
    v_is_active = ((start == MISSING_DAY) | (start <= as_of_day)) & (
        (until == MISSING_DAY) | (until >= as_of_day)
    )
    if config.rules.require_certification:
        v_is_active &= (certified != MISSING_DAY) & (certified <= as_of_day)
    if "status" in vols.columns:  # empty = active; inactive and paused are never proposed
        status = vols["status"].fillna("").to_numpy(dtype=object)
        v_is_active &= (status == "") | (status == "active")

    created = day_numbers(reqs["created_on"])
    if (created == MISSING_DAY).any():
        raise ArgumentError("requests: created_on must be set in clean frames")

    # Exclusions listed on the requests.
    excl_text = _as_str_array(reqs["excluded_volunteers"])
    has_excl = np.flatnonzero(excl_text != "")  # few rows: split them in plain Python
    excl_rows = [(int(i), vid) for i in has_excl.tolist() for vid in excl_text[i].split(";")]
    excluded_req, excluded_vol = _pairs(
        np.array([i for i, _ in excl_rows], dtype=np.int64),
        _lookup(vol_index, np.array([v for _, v in excl_rows], dtype=object)),
        n_vol,
    )

    prev = _lookup(vol_index, _as_str_array(reqs["previous_volunteer_id"]))

    by_status = _assignment_pairs(assignments, req_index, vol_index, n_vol)
    ended_req, ended_vol = by_status["ended"]
    h_ended_keys = np.unique(r_household[ended_req].astype(np.int64) * max(n_vol, 1) + ended_vol)
    active_req, active_vol = by_status["active"]
    r_is_active = np.zeros(n_req, dtype=np.bool_)
    r_is_active[active_req] = True
    contact = _last_contact(assignments, req_index, created, as_of_day)
    stale = ~r_is_active & (
        as_of_day - contact.astype(np.int64) > config.rules.reconfirm_after_days
    )
    hv_req, hv_vol = _pairs(r_household[active_req], active_vol, n_vol)  # (household, volunteer)
    v_active_households = np.bincount(hv_vol, minlength=n_vol).astype(np.int32)
    h_active_volunteer = np.full(len(household_keys), -1, dtype=np.int32)
    first_hh, first_at = np.unique(hv_req, return_index=True)
    h_active_volunteer[first_hh] = hv_vol[first_at]
    if len(first_hh) < len(hv_req):
        log.warning(
            "%d household(s) have active assignments to several volunteers",
            int(np.count_nonzero(np.bincount(hv_req) > 1)),
        )

    problem = MatchProblem(
        as_of_day=as_of_day,
        min_level=LEVEL_CODE[config.rules.min_language_level],
        volunteer_ids=volunteer_ids,
        request_ids=request_ids,
        household_keys=household_keys.astype(object),
        r_household=r_household.astype(np.int32).reshape(-1),
        languages=languages,
        v_level=v_level_rows[v_codes] if n_vol else v_level_rows[:0],
        r_lang=r_lang_rows[r_codes] if n_req else np.full((0, width), -1, dtype=np.int16),
        r_lang_level=r_level_rows[r_codes] if n_req else np.zeros((0, width), dtype=np.int8),
        v_lat=v_lat,
        v_lon=v_lon,
        v_xyz=unit_vectors(v_lat, v_lon),
        v_max_km=v_max_km,
        r_lat=r_lat,
        r_lon=r_lon,
        r_xyz=unit_vectors(r_lat, r_lon),
        v_need_mask=_i32(vols["need_mask"]),
        r_need=_i8(reqs["need_code"]),
        v_slot_mask=_i32(vols["slot_mask"]),
        r_slot_mask=_i32(reqs["slot_mask"]),
        v_gender=_gender(vols["gender"]),
        r_pref_gender=_gender(reqs["preferred_gender"]),
        v_module_mask=_i32(vols["module_mask"]),
        r_minors=_bool(reqs["involves_minors"]),
        v_police_until_day=day_numbers(vols["police_check_until"]),
        r_due_day=day_numbers(reqs["due_on"]),
        r_created_day=created,
        v_is_active=v_is_active,
        v_capacity=_i32(vols["capacity"]),
        active_req=active_req,
        active_vol=active_vol,
        proposed_req=by_status["proposed"][0],
        proposed_vol=by_status["proposed"][1],
        declined_req=by_status["declined"][0],
        declined_vol=by_status["declined"][1],
        excluded_req=excluded_req,
        excluded_vol=excluded_vol,
        r_is_active=r_is_active,
        v_active_households=v_active_households,
        h_active_volunteer=h_active_volunteer,
        r_prev_vol=prev.astype(np.int32),
        ended_req=ended_req,
        ended_vol=ended_vol,
        h_ended_keys=h_ended_keys.astype(np.int64),
        r_contact_day=contact,
        r_stale=stale,
    )
    log.debug(
        "encoded %d volunteers, %d requests, %d households, %d languages, %d active assignments",
        n_vol,
        n_req,
        problem.n_households,
        problem.n_languages,
        len(active_req),
    )
    return problem


def _lookup(index: pd.Index, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Positions of ``values`` in ``index``, -1 where absent."""
    return np.asarray(index.get_indexer(pd.Index(np.asarray(values, dtype=object))), np.int64)


def _require_columns(table: str, frame: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ArgumentError(f"{table}: clean frame lacks column(s) {', '.join(missing)}")


def _sorted_by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows in canonical order; ids are unique in clean frames, so the order is total."""
    order = np.argsort(_as_str_array(frame[column]), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _as_str_array(series: pd.Series) -> Obj:
    """Python-str object array ("" for missing), whatever string dtype pandas chose."""
    return np.asarray(series.fillna("").astype(str).to_numpy(dtype=object), dtype=object)


def _float(series: pd.Series) -> F64:
    return np.ascontiguousarray(series.to_numpy(dtype=np.float64))


def _i32(series: pd.Series) -> I32:
    return np.ascontiguousarray(series.to_numpy(dtype=np.int64).astype(np.int32))


def _i8(series: pd.Series) -> I8:
    return np.ascontiguousarray(series.to_numpy(dtype=np.int64).astype(np.int8))


def _bool(series: pd.Series) -> B:
    return np.ascontiguousarray(series.fillna(False).to_numpy(dtype=np.bool_))


def _gender(series: pd.Series) -> I8:
    codes, uniques = pd.factorize(_as_str_array(series))
    table = np.array([GENDER_CODE.get(str(u), 0) for u in uniques] + [0], dtype=np.int8)
    return table[codes]  # code -1 (missing) picks the trailing 0


def day_numbers(series: pd.Series) -> I32:
    """Dates as int32 days since the epoch, :data:`MISSING_DAY` where missing."""
    values = series
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    days = np.asarray(values.to_numpy()).astype("datetime64[D]")
    missing = np.isnat(days)
    out = days.astype(np.int64)
    out[missing] = MISSING_DAY
    return out.astype(np.int32)


def _pairs(
    req: npt.ArrayLike,
    vol: npt.ArrayLike,
    n_vol: int,
) -> tuple[I32, I32]:
    """Unique (req, vol) pairs sorted by (req, vol); pairs with an index of -1 are dropped."""
    r = np.asarray(req, dtype=np.int64)
    v = np.asarray(vol, dtype=np.int64)
    keep = (r >= 0) & (v >= 0)
    width = max(n_vol, 1)
    keys = np.unique(r[keep] * width + v[keep])
    return (keys // width).astype(np.int32), (keys % width).astype(np.int32)


def last_contact_days(
    assignments: pd.DataFrame | None, request_ids: npt.ArrayLike, created: I32, as_of_day: int
) -> I32:
    """Per request (``request_ids``, created on ``created``), the day of its last contact
    (see ``MatchProblem.r_contact_day``); the desk API keeps it up to date between runs."""
    return _last_contact(
        assignments, pd.Index(np.asarray(request_ids, dtype=object)), created, as_of_day
    )


def _last_contact(
    assignments: pd.DataFrame | None, req_index: pd.Index, created: I32, as_of_day: int
) -> I32:
    """Per request, the day of its last contact (see ``MatchProblem.r_contact_day``)."""
    contact = created.astype(np.int64)
    if assignments is None or len(assignments) == 0:
        return np.minimum(contact, as_of_day).astype(np.int32)
    req = _lookup(req_index, _as_str_array(assignments["request_id"]))
    day = np.full(len(assignments), MISSING_DAY, dtype=np.int64)
    for column in ("started_on", "ended_on"):
        if column in assignments.columns:
            day = np.maximum(day, day_numbers(assignments[column]))
    undated_proposal = (day == MISSING_DAY) & (_as_str_array(assignments["status"]) == "proposed")
    day[undated_proposal] = as_of_day
    known = (req >= 0) & (day != MISSING_DAY)
    np.maximum.at(contact, req[known], np.minimum(day[known], as_of_day))
    return contact.astype(np.int32)


def _assignment_pairs(
    assignments: pd.DataFrame | None, req_index: pd.Index, vol_index: pd.Index, n_vol: int
) -> dict[str, tuple[I32, I32]]:
    empty = np.zeros(0, dtype=np.int32)
    out = {status: (empty, empty) for status in ("active", "proposed", "declined", "ended")}
    if assignments is None or len(assignments) == 0:
        return out
    _require_columns("assignments", assignments, _ASSIGNMENT_COLUMNS)
    req = _lookup(req_index, _as_str_array(assignments["request_id"]))
    vol = _lookup(vol_index, _as_str_array(assignments["volunteer_id"]))
    status = _as_str_array(assignments["status"])
    unknown = int(np.count_nonzero((req < 0) | (vol < 0)))
    if unknown:
        log.warning("ignored %d assignment(s) naming unknown ids", unknown)
    for name in out:
        sel = status == name
        out[name] = _pairs(req[sel], vol[sel], n_vol)
    return out
