"""Admissible volunteer-request pairs (SPEC "Admissible pairs" 1-9) and the funnel behind them.

The n_vol x n_req matrix is never formed. Per language, a KD-tree over the unit vectors of the
requests that speak it is queried with every volunteer's own radius; the hits become flat edge
arrays (req, vol). Each further hard constraint is one vectorised boolean mask over those edges,
and the per-request funnel (volunteers still possible after each constraint, in SPEC order) falls
out of the same masks with ``np.bincount``. Edges are processed in chunks of volunteers, so peak
memory stays bounded on statewide caseloads.

Household consistency (SPEC rule 10) and the capacity *limit* are the solver's business; here
capacity only removes volunteers without any free place.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.neighbors import KDTree

from .config import MatchConfig
from .geo import chord_for_km, haversine_km_rad
from .problem import MatchProblem

__all__ = [
    "FUNNEL_STEPS",
    "Candidates",
    "best_shared_language",
    "find_candidates",
    "request_candidates_all_steps",
]

log = logging.getLogger(__name__)

#: The hard constraints in SPEC order; the columns of :attr:`Candidates.funnel`.
FUNNEL_STEPS: Final[tuple[str, ...]] = (
    "language",
    "distance",
    "need",
    "time",
    "minors",
    "gender",
    "exclusions",
    "active",
    "capacity",
)

#: Volunteers per KD-tree query batch: bounds the transient edge arrays of one batch.
_QUERY_CHUNK: Final[int] = 2048
#: Relative widening of the chord radius; float rounding then never loses a pair, and the exact
#: haversine filter afterwards removes the few extra ones.
_CHORD_SLACK: Final[float] = 1e-9

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class Candidates:
    """Admissible pairs as parallel arrays (read-only), plus the funnel of every request."""

    req: I32
    """(n_edges,) int32 request index, edges sorted by (req, vol)."""
    vol: I32
    """(n_edges,) int32 volunteer index."""
    km: F64
    """(n_edges,) float64 haversine distance."""
    lang: I16
    """(n_edges,) int16 index into ``problem.languages`` of the best shared language (highest
    min(volunteer level, request level); ties go to the request's earlier, stronger language)."""
    funnel: I32
    """(n_req, len(steps)) int32: volunteers still possible after each step, cumulative in SPEC
    order. Rows of requests with an active assignment are all zero (they are not matched)."""
    steps: tuple[str, ...] = FUNNEL_STEPS

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def n_edges(self) -> int:
        return int(self.req.shape[0])


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Per-point arrays derived once from the problem and shared by every constraint."""

    v_lat: F64
    v_lon: F64
    v_cos: F64
    r_lat: F64
    r_lon: F64
    r_cos: F64
    police_needed: I32
    """Per request: the day a police check must still be valid (max(as_of, due_on))."""
    blocked: I64
    """Sorted unique keys ``req * n_vol + vol`` of excluded or declined pairs."""
    v_has_room: B
    """Volunteer has a free place (capacity minus active households > 0)."""


def _prepare(p: MatchProblem) -> _Prepared:
    v_lat, v_lon = np.radians(p.v_lat), np.radians(p.v_lon)
    r_lat, r_lon = np.radians(p.r_lat), np.radians(p.r_lon)
    blocked = np.union1d(
        pair_keys(p.excluded_req, p.excluded_vol, p.n_volunteers),
        pair_keys(p.declined_req, p.declined_vol, p.n_volunteers),
    )
    return _Prepared(
        v_lat=v_lat,
        v_lon=v_lon,
        v_cos=np.cos(v_lat),
        r_lat=r_lat,
        r_lon=r_lon,
        r_cos=np.cos(r_lat),
        police_needed=np.maximum(p.r_due_day, np.int32(p.as_of_day)),
        blocked=blocked,
        v_has_room=(p.v_capacity.astype(np.int64) - p.v_active_households) > 0,
    )


def pair_keys(req: npt.ArrayLike, vol: npt.ArrayLike, n_vol: int) -> I64:
    """Encode (req, vol) pairs as int64 ``req * n_vol + vol`` (monotone in (req, vol))."""
    return np.asarray(req, dtype=np.int64) * max(n_vol, 1) + np.asarray(vol, dtype=np.int64)


def contains_sorted(sorted_keys: I64, keys: I64) -> B:
    """Membership of ``keys`` in the sorted unique array ``sorted_keys`` (binary search)."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=np.bool_)
    at = np.searchsorted(sorted_keys, keys)
    np.minimum(at, sorted_keys.size - 1, out=at)
    return np.asarray(sorted_keys[at] == keys, dtype=np.bool_)


# --- one function per hard constraint (edge arrays in, boolean mask out) ----------------------


def best_shared_language(p: MatchProblem, req: I32, vol: I32) -> tuple[I16, I8]:
    """Per pair, the best language spoken by both at >= ``min_level`` and its level.

    The level of a shared language is min(volunteer level, request level); the best is the
    highest, ties going to the request's earlier language. Returns ``(lang, level)`` with
    ``lang = -1`` and ``level = 0`` where no language qualifies (constraint 1 fails).
    """
    best_lang = np.full(req.shape, -1, dtype=np.int16)
    best_level = np.zeros(req.shape, dtype=np.int8)
    if p.n_languages == 0:
        return best_lang, best_level
    for k in range(p.r_lang.shape[1]):
        lang = p.r_lang[req, k]
        level = np.minimum(p.v_level[vol, np.maximum(lang, 0)], p.r_lang_level[req, k])
        better = (lang >= 0) & (level >= p.min_level) & (level > best_level)
        best_lang[better] = lang[better]
        best_level[better] = level[better]
    return best_lang, best_level


def distance_ok(p: MatchProblem, vol: I32, km: F64) -> B:
    """2. Distance: haversine km within the volunteer's travel radius."""
    return np.asarray(km <= p.v_max_km[vol], dtype=np.bool_)


def _need_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """3. Need: the request's need type is in the volunteer's need mask."""
    return np.asarray(((p.v_need_mask[vol] >> p.r_need[req]) & 1) != 0, dtype=np.bool_)


def _time_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """4. Time: the slot masks intersect ("any time" is the full mask)."""
    return np.asarray((p.v_slot_mask[vol] & p.r_slot_mask[req]) != 0, dtype=np.bool_)


def _minors_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """5. Minors: police check valid until max(as_of, due_on) where minors are involved."""
    return ~p.r_minors[req] | (p.v_police_until_day[vol] >= t.police_needed[req])


def _gender_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """6. Gender: a stated preference equals the volunteer's gender."""
    pref = p.r_pref_gender[req]
    return np.asarray((pref == 0) | (pref == p.v_gender[vol]), dtype=np.bool_)


def _exclusions_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """7. Exclusions: neither excluded by the request nor a declined pair."""
    return ~contains_sorted(t.blocked, pair_keys(req, vol, p.n_volunteers))


def _active_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """8. Active: available on as_of (and certified, if required)."""
    return np.asarray(p.v_is_active[vol], dtype=np.bool_)


def _capacity_ok(p: MatchProblem, t: _Prepared, req: I32, vol: I32) -> B:
    """9. Capacity: a free place, or already the household's active volunteer (no new place)."""
    return np.asarray(
        t.v_has_room[vol] | (p.h_active_volunteer[p.r_household[req]] == vol), dtype=np.bool_
    )


_PairCheck = Callable[[MatchProblem, _Prepared, I32, I32], B]
_PAIR_STEPS: Final[tuple[tuple[str, _PairCheck], ...]] = (
    ("need", _need_ok),
    ("time", _time_ok),
    ("minors", _minors_ok),
    ("gender", _gender_ok),
    ("exclusions", _exclusions_ok),
    ("active", _active_ok),
    ("capacity", _capacity_ok),
)
assert tuple(name for name, _ in _PAIR_STEPS) == FUNNEL_STEPS[2:]


def _edge_km(t: _Prepared, req: I32, vol: I32) -> F64:
    return haversine_km_rad(
        t.v_lat[vol], t.v_lon[vol], t.v_cos[vol], t.r_lat[req], t.r_lon[req], t.r_cos[req]
    )


# --- generation ---------------------------------------------------------------------------------


def find_candidates(problem: MatchProblem, config: MatchConfig) -> Candidates:
    """All admissible (request, volunteer) pairs with distance and best shared language.

    Requests with an active assignment get no edges. ``config`` must be the one the problem was
    built with (as_of and min_language_level are checked).
    """
    _check_config(problem, config)
    p = problem
    t = _prepare(p)
    n_req = p.n_requests
    funnel = np.zeros((n_req, len(FUNNEL_STEPS)), dtype=np.int64)
    funnel[:, 0] = _language_counts(p)

    admissible = (p.r_lang >= 0) & (p.r_lang_level >= p.min_level)
    admissible &= ~p.r_is_active[:, None]
    entry_req, entry_k = np.nonzero(admissible)  # row-major: request ascending
    entry_lang = p.r_lang[entry_req, entry_k]
    order = np.argsort(entry_lang, kind="stable")
    entry_req, entry_lang = entry_req[order], entry_lang[order]
    bounds = np.searchsorted(entry_lang, np.arange(p.n_languages + 1))
    radius = chord_for_km(p.v_max_km) * (1.0 + _CHORD_SLACK) + _CHORD_SLACK

    parts: list[tuple[I32, I32, F64]] = []
    for lang in range(p.n_languages):
        reqs = entry_req[bounds[lang] : bounds[lang + 1]].astype(np.int32)
        vols = np.flatnonzero(p.v_level[:, lang] >= p.min_level).astype(np.int32)
        if reqs.size == 0 or vols.size == 0:
            continue
        tree = KDTree(p.r_xyz[reqs])
        for start in range(0, vols.size, _QUERY_CHUNK):
            chunk = vols[start : start + _QUERY_CHUNK]
            hits = tree.query_radius(p.v_xyz[chunk], r=radius[chunk])
            counts = np.fromiter((h.size for h in hits), dtype=np.int64, count=len(hits))
            if counts.sum() == 0:
                continue
            vol = np.repeat(chunk, counts)
            req = reqs[np.concatenate(hits)]
            parts.append(_filter(p, t, req, vol, lang, funnel))

    if parts:
        req = np.concatenate([r for r, _, _ in parts])
        vol = np.concatenate([v for _, v, _ in parts])
        km = np.concatenate([k for _, _, k in parts])
        order = np.argsort(pair_keys(req, vol, p.n_volunteers))  # keys unique: order is total
        req, vol, km = req[order], vol[order], km[order]
    else:
        req = np.zeros(0, dtype=np.int32)
        vol = np.zeros(0, dtype=np.int32)
        km = np.zeros(0, dtype=np.float64)
    lang_best, _ = best_shared_language(p, req, vol)
    funnel[p.r_is_active] = 0
    log.debug("%d admissible pairs for %d requests", req.size, n_req)
    return Candidates(req=req, vol=vol, km=km, lang=lang_best, funnel=funnel.astype(np.int32))


def _filter(
    p: MatchProblem, t: _Prepared, req: I32, vol: I32, lang: int, funnel: I64
) -> tuple[I32, I32, F64]:
    """Steps 2-9 on edges generated via ``lang``; adds to the funnel; returns the survivors.

    An edge found via ``lang`` is kept only if no smaller-index language is shared as well, so
    a pair sharing several languages is generated, counted and returned exactly once.
    """
    first = np.ones(req.shape, dtype=np.bool_)
    for k in range(p.r_lang.shape[1]):
        other = p.r_lang[req, k]
        first &= ~(
            (other < lang)
            & (other >= 0)
            & (p.r_lang_level[req, k] >= p.min_level)
            & (p.v_level[vol, np.maximum(other, 0)] >= p.min_level)
        )
    req, vol = req[first], vol[first]
    km = _edge_km(t, req, vol)
    keep = distance_ok(p, vol, km)
    req, vol, km = req[keep], vol[keep], km[keep]
    n_req = p.n_requests
    funnel[:, 1] += np.bincount(req, minlength=n_req)
    for step, (_, check) in enumerate(_PAIR_STEPS, start=2):
        keep = check(p, t, req, vol)
        if not keep.all():
            req, vol, km = req[keep], vol[keep], km[keep]
        funnel[:, step] += np.bincount(req, minlength=n_req)
    return req, vol, km


def _language_counts(p: MatchProblem) -> I64:
    """Funnel step 1 without edges: volunteers sharing any admissible language, per request.

    Requests are grouped by their set of admissible languages, so the volunteer columns are
    OR-ed once per distinct set rather than once per request.
    """
    n_req = p.n_requests
    if n_req == 0 or p.n_volunteers == 0:
        return np.zeros(n_req, dtype=np.int64)
    sentinel = np.int16(p.n_languages)
    sets = np.where(p.r_lang_level >= p.min_level, p.r_lang, sentinel)
    sets = np.sort(np.where(p.r_lang >= 0, sets, sentinel), axis=1)
    unique_sets, inverse = np.unique(sets, axis=0, return_inverse=True)
    speaks = p.v_level >= p.min_level
    per_set = np.zeros(len(unique_sets), dtype=np.int64)
    for i, row in enumerate(unique_sets):
        langs = row[row < sentinel]
        if langs.size:
            per_set[i] = np.count_nonzero(speaks[:, langs].any(axis=1))
    return per_set[inverse.reshape(-1)]


def _check_config(p: MatchProblem, config: MatchConfig) -> None:
    as_of_day = (config.as_of - dt.date(1970, 1, 1)).days
    if as_of_day != p.as_of_day or config.min_level_code != p.min_level:
        raise ValueError(
            "config does not match the problem: as_of and min_language_level must be the ones "
            "build_problem was called with"
        )


def request_candidates_all_steps(
    problem: MatchProblem, config: MatchConfig, request_index: int
) -> pd.DataFrame:
    """Every volunteer sharing a language with one request, with one boolean column per step.

    Columns: ``volunteer`` (index), ``volunteer_id``, ``shared_language`` (code), ``km``, one
    bool column per :data:`FUNNEL_STEPS` entry (each constraint on its own, not cumulative) and
    ``admissible`` (all of them). Rows in volunteer order. The cumulative product of the step
    columns gives the funnel; ``find_candidates`` reports zeros for a request with an active
    assignment, whereas this function still evaluates it, for explanations.
    """
    _check_config(problem, config)
    p = problem
    if not 0 <= request_index < p.n_requests:
        raise IndexError(f"request_index {request_index} out of range [0, {p.n_requests})")
    t = _prepare(p)
    all_vol = np.arange(p.n_volunteers, dtype=np.int32)
    lang, _ = best_shared_language(p, np.full_like(all_vol, request_index), all_vol)
    vol = all_vol[lang >= 0]
    lang = lang[lang >= 0]
    req = np.full_like(vol, request_index)
    km = _edge_km(t, req, vol)
    columns: dict[str, npt.ArrayLike] = {
        "volunteer": vol,
        "volunteer_id": p.volunteer_ids[vol],
        "shared_language": np.asarray(p.languages, dtype=object)[lang]
        if lang.size
        else np.zeros(0, dtype=object),
        "km": km,
        "language": np.ones(vol.shape, dtype=np.bool_),
        "distance": distance_ok(p, vol, km),
    }
    for name, check in _PAIR_STEPS:
        columns[name] = check(p, t, req, vol)
    frame = pd.DataFrame(columns)
    frame["admissible"] = frame[list(FUNNEL_STEPS)].all(axis=1)
    return frame
