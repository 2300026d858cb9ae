"""Admissible volunteer-request pairs (contract rules 1-9) and the funnel behind them.

The n_vol x n_req matrix is never formed, nor a Python object per pair:

* Per language, a KD-tree over the unit vectors of the requests that speak it is queried with
  every volunteer's own chord radius (``geo``); the hits become flat edge arrays (req, vol). A pair
  sharing several languages is kept only under its smallest-index shared language, so it exists
  once.
* Distance is decided by the tree's chord; the exact haversine is evaluated only for pairs within
  a rounding margin of the radius, so the result equals a haversine test on every pair.
* The other constraints are bit tests on one packed word per side (need, slots, gender, active,
  free place) plus a few lookups, evaluated in contract order on cache-sized blocks of edges. The
  number of constraints an edge passes in a row gives every funnel column with one bincount.
* Survivors are kept as sorted int64 keys ``req * n_vol + vol``; distance and best shared
  language are computed for them alone at the end.

Household consistency (contract rule 10) and the capacity *limit* are the solver's business; the
capacity step only removes volunteers without a free place (unless they already accompany the
request's household, which takes no further place).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._parallel import for_each_in_threads, worker_count
from ..config import MatchConfig
from ..errors import ArgumentError
from ._keys import contains_sorted, pair_keys
from .geo import chord_for_km, haversine_km_rad
from .problem import MatchProblem
from .vocab import ALL_SLOTS, LEVEL_CODE

__all__ = [
    "FUNNEL_STEPS",
    "Candidates",
    "best_shared_language",
    "distance_ok",
    "find_candidates",
    "police_check_needed",
    "request_candidates_all_steps",
    "request_steps",
]

log = logging.getLogger(__name__)

#: The hard constraints in contract order; the columns of :attr:`Candidates.funnel`.
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
_QUERY_CHUNK: Final[int] = 512
#: Edges per filter block: a block's temporaries stay in the CPU cache, which makes the chain
#: of elementwise masks 2-3x faster than streaming whole arrays through memory, while the
#: per-call overhead of numpy (and the GIL it holds meanwhile) stays small.
_BLOCK: Final[int] = 32768
#: Funnel histogram slots per request: slot 0 = duplicate edge, slot 1 + s = passed s of the
#: steps after "language".
_SLOTS: Final[int] = len(FUNNEL_STEPS) + 1
#: Relative and absolute margins around a volunteer's chord radius. Rounding in the chord and
#: haversine computations is below 1e-15, so pairs more than this margin inside the radius are
#: certainly admissible, pairs more than this margin outside certainly not; only pairs within the
#: margin (practically none) pay for the exact haversine decision.
_CHORD_SLACK: Final[float] = 1e-9
_CHORD_SLACK_ABS: Final[float] = 1e-12

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
I16 = npt.NDArray[np.int16]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
#: Index arrays: int32 in results, intp while filtering (numpy indexes natively with intp).
Ix = npt.NDArray[np.signedinteger[Any]]


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
    level: I8
    """(n_edges,) int8 level code of ``lang``: min(volunteer level, request level)."""
    funnel: I32
    """(n_req, len(steps)) int32: volunteers still possible after each step, cumulative in contract
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


# Packed per-point words. Each cheap constraint is "volunteer word AND request word has a bit
# in field F", so one AND per edge serves need, time, gender, active and free place at once.
_NEED_FIELD: Final[int] = 0xFF  # bits 0-7: need types taken / one-hot of the request's need
_SLOT_SHIFT: Final[int] = 8  # bits 8-28: time slots
_SLOT_FIELD: Final[int] = ALL_SLOTS << _SLOT_SHIFT
_GENDER_SHIFT: Final[int] = 29  # bits 29-32: one-hot of gender code 0-3 / genders accepted
_GENDER_FIELD: Final[int] = 0b1111 << _GENDER_SHIFT
_ACTIVE_FIELD: Final[int] = 1 << 33  # volunteer: active on as_of; request: always set
_ROOM_FIELD: Final[int] = 1 << 34  # volunteer: has a free place; request: always set
# Request-only flags: the rare lookups run only where they can matter.
_BLOCKED_FLAG: Final[int] = 1 << 40  # has excluded or declined volunteers
_HOUSEHOLD_ACTIVE_FLAG: Final[int] = 1 << 41  # its household has an active assignment
_MINORS_FLAG: Final[int] = 1 << 42  # involves minors


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Per-point arrays derived once from the problem and shared by every constraint."""

    v_lat: F64
    v_lon: F64
    v_cos: F64
    r_lat: F64
    r_lon: F64
    r_cos: F64
    v_chord_sure: F64
    """Chord below which a pair is certainly within the volunteer's radius (no haversine)."""
    v_chord_query: F64
    """Chord radius of the tree query: certainly covers every pair within the radius."""
    r_first_lang: I16
    """Smallest admissible language index per request (``n_languages`` if none)."""
    v_first_lang: I16
    """Smallest language index a volunteer speaks at >= min_level (``n_languages`` if none)."""
    adm_lang: I16
    """(K, n_req) per entry k, the request's k-th language at >= min_level, -1 if none (entries
    keep their order; transposed so that one entry is one contiguous gather)."""
    adm_level: I8
    """(K, n_req) the levels of ``adm_lang``, 0 if none."""
    v_level_flat: I8
    """``v_level`` flattened: index ``vol * n_languages + lang``."""
    min_level: int
    v_bits: I64
    """Packed volunteer word: needs taken, slots, gender, active, has a free place."""
    r_bits: I64
    """Packed request word: need, slots, genders accepted, the always-set fields, flags."""
    r_police_needed: I32
    """Day a police check must be valid until: max(as_of, due_on) if minors are involved, else
    the lowest int32 (every volunteer passes)."""
    household_active: I64
    """Sorted unique keys ``household * n_vol + vol`` of active assignments."""
    blocked: I64
    """Sorted unique keys ``req * n_vol + vol`` of excluded or declined pairs."""


def _prepare(p: MatchProblem) -> _Prepared:
    v_lat, v_lon = np.radians(p.v_lat), np.radians(p.v_lon)
    r_lat, r_lon = np.radians(p.r_lat), np.radians(p.r_lon)
    blocked = np.union1d(
        pair_keys(p.excluded_req, p.excluded_vol, p.n_volunteers),
        pair_keys(p.declined_req, p.declined_vol, p.n_volunteers),
    )
    r_has_blocked = np.zeros(p.n_requests, dtype=np.bool_)
    r_has_blocked[blocked // max(p.n_volunteers, 1)] = True
    has_room = (p.v_capacity.astype(np.int64) - p.v_active_households) > 0
    one = np.int64(1)
    v_bits = (
        (p.v_need_mask.astype(np.int64) & _NEED_FIELD)
        | (p.v_slot_mask.astype(np.int64) << _SLOT_SHIFT)
        | (one << (p.v_gender.astype(np.int64) + _GENDER_SHIFT))
        | np.where(p.v_is_active, _ACTIVE_FIELD, 0)
        | np.where(has_room, _ROOM_FIELD, 0)
    )
    pref = p.r_pref_gender.astype(np.int64)
    r_bits = (
        (one << p.r_need.astype(np.int64))
        | (p.r_slot_mask.astype(np.int64) << _SLOT_SHIFT)
        | np.where(pref == 0, _GENDER_FIELD, one << (pref + _GENDER_SHIFT))
        | (_ACTIVE_FIELD | _ROOM_FIELD)
        | np.where(r_has_blocked, _BLOCKED_FLAG, 0)
        | np.where(p.h_active_volunteer[p.r_household] >= 0, _HOUSEHOLD_ACTIVE_FLAG, 0)
        | np.where(p.r_minors, _MINORS_FLAG, 0)
    )
    police = police_check_needed(p, p.as_of_day)
    chord = chord_for_km(p.v_max_km)
    adm_lang, adm_level = _admissible_entries(p)
    first = np.where(adm_lang >= 0, adm_lang, np.int16(p.n_languages)).min(
        axis=1, initial=p.n_languages
    )
    speaks = p.v_level >= p.min_level
    v_first = np.where(speaks, np.arange(p.n_languages, dtype=np.int16), np.int16(p.n_languages))
    v_first = v_first.min(axis=1, initial=p.n_languages)
    return _Prepared(
        v_lat=v_lat,
        v_lon=v_lon,
        v_cos=np.cos(v_lat),
        r_lat=r_lat,
        r_lon=r_lon,
        r_cos=np.cos(r_lat),
        v_chord_sure=chord * (1.0 - _CHORD_SLACK) - _CHORD_SLACK_ABS,
        v_chord_query=chord * (1.0 + _CHORD_SLACK) + _CHORD_SLACK_ABS,
        r_first_lang=first.astype(np.int16),
        v_first_lang=v_first.astype(np.int16),
        adm_lang=np.ascontiguousarray(adm_lang.T),
        adm_level=np.ascontiguousarray(adm_level.T),
        v_level_flat=p.v_level.ravel(),
        min_level=p.min_level,
        v_bits=v_bits.astype(np.int64),
        r_bits=r_bits.astype(np.int64),
        r_police_needed=police,
        household_active=np.unique(
            pair_keys(p.r_household[p.active_req], p.active_vol, p.n_volunteers)
        ),
        blocked=blocked,
    )


@dataclass(frozen=True, slots=True)
class _Edges:
    """A batch of pairs with the packed facts of both sides gathered once."""

    req: Ix
    vol: Ix
    r_bits: I64
    both: I64
    """Volunteer word AND request word."""

    @classmethod
    def gather(cls, t: _Prepared, req: Ix, vol: Ix) -> _Edges:
        r_bits = t.r_bits[req]
        return cls(req=req, vol=vol, r_bits=r_bits, both=t.v_bits[vol] & r_bits)


def police_check_needed(p: MatchProblem, day: int) -> I32:
    """5. Minors, per request: the day a volunteer's police check must be valid until on
    ``day`` (max(``day``, due_on) where minors are involved, else the lowest int32: every
    volunteer passes). ``day`` is ``as_of``'s day number for a run; the simulation asks for
    later days."""
    police = np.maximum(p.r_due_day, np.int32(day))
    return np.where(p.r_minors, police, np.iinfo(np.int32).min).astype(np.int32)


def _bool(mask: npt.ArrayLike) -> B:
    return np.asarray(mask, dtype=np.bool_)


# --- one function per hard constraint (edge arrays in, boolean mask out) ----------------------


def best_shared_language(p: MatchProblem, req: Ix, vol: Ix) -> tuple[I16, I8]:
    """Per pair, the best language spoken by both at >= ``min_level`` and its level.

    The level of a shared language is min(volunteer level, request level); the best is the
    highest, ties going to the request's earlier language. Returns ``(lang, level)`` with
    ``lang = -1`` and ``level = 0`` where no language qualifies (constraint 1 fails).
    """
    adm_lang, adm_level = _admissible_entries(p)
    return _best_shared(p, adm_lang.T, adm_level.T, p.v_level.ravel(), req, vol)


def _best_shared(
    p: MatchProblem, adm_lang_t: I16, adm_level_t: I8, v_level_flat: I8, req: Ix, vol: Ix
) -> tuple[I16, I8]:
    """:func:`best_shared_language` on prepared (K, n_req) entries and the flat level table."""
    best_lang = np.full(req.shape, -1, dtype=np.int16)
    best_level = np.zeros(req.shape, dtype=np.int8)
    row = vol.astype(np.intp) * p.n_languages
    for k in range(adm_lang_t.shape[0]):
        lang = adm_lang_t[k][req]
        level = np.minimum(v_level_flat[row + np.maximum(lang, 0)], adm_level_t[k][req])
        better = (lang >= 0) & (level >= p.min_level) & (level > best_level)
        best_lang = np.where(better, lang, best_lang)
        best_level = np.where(better, level, best_level)
    return best_lang, best_level


def _admissible_entries(p: MatchProblem) -> tuple[I16, I8]:
    """The request language entries at >= ``min_level``, moved to the front in their order."""
    ok = (p.r_lang >= 0) & (p.r_lang_level >= p.min_level)
    order = np.argsort(~ok, axis=1, kind="stable")
    ok = np.take_along_axis(ok, order, axis=1)
    lang = np.where(ok, np.take_along_axis(p.r_lang, order, axis=1), np.int16(-1))
    level = np.where(ok, np.take_along_axis(p.r_lang_level, order, axis=1), np.int8(0))
    return lang.astype(np.int16), level.astype(np.int8)


def distance_ok(p: MatchProblem, vol: Ix, km: F64) -> B:
    """2. Distance: haversine km within the volunteer's travel radius."""
    return np.asarray(km <= p.v_max_km[vol], dtype=np.bool_)


def _need_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """3. Need: the request's need type is in the volunteer's need mask."""
    return _bool((e.both & _NEED_FIELD) != 0)


def _time_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """4. Time: the slot masks intersect ("any time" is the full mask)."""
    return _bool((e.both & _SLOT_FIELD) != 0)


def _minors_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """5. Minors: police check valid until max(as_of, due_on) where minors are involved."""
    ok = np.ones(e.req.shape, dtype=np.bool_)
    look = _flagged(e, _MINORS_FLAG, alive)
    if look.size:
        ok[look] = p.v_police_until_day[e.vol[look]] >= t.r_police_needed[e.req[look]]
    return ok


def _gender_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """6. Gender: a stated preference equals the volunteer's gender."""
    return _bool((e.both & _GENDER_FIELD) != 0)


def _exclusions_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """7. Exclusions: neither excluded by the request nor a declined pair."""
    ok = np.ones(e.req.shape, dtype=np.bool_)
    look = _flagged(e, _BLOCKED_FLAG, alive)  # binary search only where it can hit
    if look.size:
        keys = pair_keys(e.req[look], e.vol[look], p.n_volunteers)
        ok[look] = ~contains_sorted(t.blocked, keys)
    return ok


def _active_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """8. Active: status active or empty, available on as_of (and certified, if required)."""
    return _bool((e.both & _ACTIVE_FIELD) != 0)


def _capacity_ok(p: MatchProblem, t: _Prepared, e: _Edges, alive: B | None = None) -> B:
    """9. Capacity: a free place, or already accompanying the household (no new place needed)."""
    ok = _bool((e.both & _ROOM_FIELD) != 0)
    look = np.flatnonzero(~ok & ((e.r_bits & _HOUSEHOLD_ACTIVE_FLAG) != 0))
    if alive is not None and look.size:
        look = look[alive[look]]
    if look.size:
        keys = pair_keys(p.r_household[e.req[look]], e.vol[look], p.n_volunteers)
        ok[look] = contains_sorted(t.household_active, keys)
    return ok


def _flagged(e: _Edges, flag: int, alive: B | None) -> Ix:
    """Edges whose request word has ``flag``, among the ``alive`` ones if given (a lookup for
    an edge that already failed an earlier step cannot change the funnel or the result)."""
    has = (e.r_bits & flag) != 0
    return np.flatnonzero(has if alive is None else has & alive)


#: A check returns each edge's mask; with ``alive``, edges not alive may be reported as passing
#: (they stay out either way), which spares the lookups of the rarer checks for them.
_PairCheck = Callable[[MatchProblem, _Prepared, _Edges, B | None], B]
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


def _edge_km(t: _Prepared, req: Ix, vol: Ix) -> F64:
    return haversine_km_rad(
        t.v_lat[vol], t.v_lon[vol], t.v_cos[vol], t.r_lat[req], t.r_lon[req], t.r_cos[req]
    )


# --- generation ---------------------------------------------------------------------------------


def find_candidates(
    problem: MatchProblem, config: MatchConfig, *, threads: int | None = None
) -> Candidates:
    """All admissible (request, volunteer) pairs with distance and best shared language.

    Requests with an active assignment get no edges. ``config`` must be the one the problem was
    built with (as_of and min_language_level are checked). The KD-tree queries and the edge
    filters run on ``threads`` threads (default: the usable cores, at most 4); the result does
    not depend on it (keys are sorted, funnel counts summed).
    """
    _check_config(problem, config)
    p = problem
    t = _prepare(p)
    n_req = p.n_requests
    n_threads = worker_count() if threads is None else max(1, threads)

    admissible = (p.r_lang >= 0) & (p.r_lang_level >= p.min_level)
    admissible &= ~p.r_is_active[:, None]
    entry_req, entry_k = np.nonzero(admissible)  # row-major: request ascending
    entry_lang = p.r_lang[entry_req, entry_k]
    order = np.argsort(entry_lang, kind="stable")
    entry_req, entry_lang = entry_req[order], entry_lang[order]
    bounds = np.searchsorted(entry_lang, np.arange(p.n_languages + 1))

    # One KD-tree per language over the requests speaking it; a task is one batch of volunteers.
    from sklearn.neighbors import KDTree  # imported here: scikit-learn takes ~1 s to import

    trees: dict[int, tuple[KDTree, Ix, int]] = {}
    tasks: list[tuple[int, Ix]] = []
    for lang in range(p.n_languages):
        reqs = entry_req[bounds[lang] : bounds[lang + 1]]
        vols = np.flatnonzero(p.v_level[:, lang] >= p.min_level)
        if reqs.size == 0 or vols.size == 0:
            continue
        # Requests that also speak a smaller-index language go last: only their edges can be
        # duplicates, recognisable by the tree-local index alone.
        later = t.r_first_lang[reqs] < lang
        reqs = np.concatenate([reqs[~later], reqs[later]])
        first_later = reqs.size - int(np.count_nonzero(later))
        trees[lang] = (KDTree(p.r_xyz[reqs]), reqs, first_later)
        tasks.extend((lang, vols[i : i + _QUERY_CHUNK]) for i in range(0, vols.size, _QUERY_CHUNK))

    # Per thread: its surviving keys and its histogram of edges by steps passed per request.
    parts: list[list[I64]] = [[] for _ in range(n_threads)]
    reached = [np.zeros(0, dtype=np.int64) for _ in range(n_threads)]

    def query(task: int, thread: int) -> None:
        lang, chunk = tasks[task]
        tree, reqs, first_later = trees[lang]
        hits, chords = tree.query_radius(
            p.v_xyz[chunk], r=t.v_chord_query[chunk], return_distance=True
        )
        counts = np.fromiter((h.size for h in hits), dtype=np.int64, count=len(hits))
        if counts.sum() == 0:
            return
        if reached[thread].size == 0:
            reached[thread] = np.zeros(n_req * _SLOTS, dtype=np.int64)
        part = _filter_chunk(
            p,
            t,
            lang=lang,
            reqs=reqs,
            first_later=first_later,
            local=np.concatenate(hits),
            vol=np.repeat(chunk, counts),
            chord=np.concatenate(chords),
            reached=reached[thread],
        )
        parts[thread].append(part)

    for_each_in_threads(len(tasks), query, n_threads)
    trees.clear()

    funnel = np.zeros((n_req, len(FUNNEL_STEPS)), dtype=np.int64)
    funnel[:, 0] = _language_counts(p)
    total = np.zeros(n_req * _SLOTS, dtype=np.int64)
    for histogram in reached:
        if histogram.size:
            total += histogram
    reached.clear()
    # Column j (after step j + 1) counts edges that passed at least j steps after "language".
    at_least = np.cumsum(total.reshape(n_req, _SLOTS)[:, ::-1], axis=1)[:, ::-1]
    funnel[:, 1:] = at_least[:, 2:]
    funnel[p.r_is_active] = 0

    flat = [part for thread_parts in parts for part in thread_parts]
    keys = np.concatenate(flat) if flat else np.zeros(0, dtype=np.int64)
    flat.clear()
    parts.clear()  # release the per-chunk copies before the output arrays are allocated
    keys.sort()  # keys are unique, so (req, vol) order is total; sorting keys beats argsort
    width = max(p.n_volunteers, 1)
    req_out = np.empty(keys.size, dtype=np.int32)
    vol_out = np.empty(keys.size, dtype=np.int32)
    km = np.empty(keys.size, dtype=np.float64)
    best = np.empty(keys.size, dtype=np.int16)
    level = np.empty(keys.size, dtype=np.int8)

    def describe(block: int, thread: int) -> None:
        b = slice(block * _BLOCK, (block + 1) * _BLOCK)
        req, vol = np.divmod(keys[b], width)
        req_out[b], vol_out[b] = req, vol
        km[b] = _edge_km(t, req, vol)
        best[b], level[b] = _best_shared(p, t.adm_lang, t.adm_level, t.v_level_flat, req, vol)

    for_each_in_threads(-(-keys.size // _BLOCK), describe, n_threads)
    log.debug("%d admissible pairs for %d requests", keys.size, n_req)
    return Candidates(
        req=req_out, vol=vol_out, km=km, lang=best, level=level, funnel=funnel.astype(np.int32)
    )


def _filter_chunk(
    p: MatchProblem,
    t: _Prepared,
    *,
    lang: int,
    reqs: Ix,
    first_later: int,
    local: Ix,
    vol: Ix,
    chord: F64,
    reached: I64,
) -> I64:
    """Steps 2-9 on the edges one query batch found via ``lang``; returns the surviving keys.

    ``local`` indexes ``reqs`` (the tree's requests), ``chord`` is the tree's distance. Adds
    each edge to ``reached`` (flat (n_req, _SLOTS) histogram of how many steps after "language"
    it passes in a row). An edge is a duplicate, and skipped, if its pair also shares a
    smaller-index language (it is generated via that one), so every pair is counted and kept
    exactly once; only edges of requests at or after ``first_later`` whose volunteer speaks a
    smaller-index language can be one. Works block by block so temporaries stay in cache.
    """
    keys: list[I64] = []
    # int32 slots where they fit: half the memory traffic of the histogram's index.
    slot: Ix = np.empty(local.size, dtype=np.int32 if reached.size < 2**31 else np.intp)
    for start in range(0, local.size, _BLOCK):
        b = slice(start, start + _BLOCK)
        lb, vb = local[b], vol[b]
        req = reqs[lb]
        # 2. Distance: decided by the chord, the haversine only inside the rounding margin.
        alive = chord[b] <= t.v_chord_sure[vb]
        near = np.flatnonzero(~alive)
        if near.size:
            alive[near] = distance_ok(p, vb[near], _edge_km(t, req[near], vb[near]))
        # Every mask on the whole block, AND-ed in contract order: the count of steps an edge
        # passes is the number of leading successes.
        passed = alive.astype(np.int8)
        edges = _Edges.gather(t, req, vb)
        for _, check in _PAIR_STEPS:
            alive &= check(p, t, edges, alive)
            passed += alive
        look = np.flatnonzero(lb >= first_later)  # the requests that speak a smaller language
        if look.size:
            look = look[t.v_first_lang[vb[look]] < lang]
        if look.size:
            dup = look[_shares_smaller(t, p.n_languages, req[look], vb[look], lang)]
            passed[dup] = -1
            alive[dup] = False
        passed += 1
        np.multiply(req, _SLOTS, out=slot[b], casting="unsafe")
        slot[b] += passed
        kept = np.flatnonzero(alive)
        keys.append(pair_keys(req[kept], vb[kept], p.n_volunteers))
    np.add.at(reached, slot, 1)  # proportional to the edges, unlike a bincount over all requests
    return np.concatenate(keys)


def _shares_smaller(t: _Prepared, n_lang: int, req: Ix, vol: Ix, lang: int) -> B:
    """Whether each pair also shares an admissible language with index below ``lang``."""
    found = np.zeros(req.size, dtype=np.bool_)
    row = vol.astype(np.intp) * n_lang
    for k in range(t.adm_lang.shape[0]):
        other = t.adm_lang[k][req]
        smaller = (other >= 0) & (other < lang)
        found |= smaller & (t.v_level_flat[row + np.maximum(other, 0)] >= t.min_level)
    return found


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
    # Rows as one integer each (base n_languages + 1): a 1-D unique, far cheaper than axis=0.
    radix = p.n_languages + 1
    if radix ** sets.shape[1] < 2**62:
        packed = np.zeros(n_req, dtype=np.int64)
        for k in range(sets.shape[1]):
            packed = packed * radix + sets[:, k]
        _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
        unique_sets = sets[first]
    else:
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
    if as_of_day != p.as_of_day or LEVEL_CODE[config.rules.min_language_level] != p.min_level:
        raise ArgumentError(
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
    vol, lang, km, steps = request_steps(problem, config, request_index)
    p = problem
    columns: dict[str, npt.ArrayLike] = {
        "volunteer": vol,
        "volunteer_id": p.volunteer_ids[vol],
        "shared_language": np.asarray(p.languages, dtype=object)[lang]
        if lang.size
        else np.zeros(0, dtype=object),
        "km": km,
        **steps,
    }
    frame = pd.DataFrame(columns)
    frame["admissible"] = frame[list(FUNNEL_STEPS)].all(axis=1)
    return frame


def request_steps(
    problem: MatchProblem, config: MatchConfig, request_index: int
) -> tuple[I32, I16, F64, dict[str, B]]:
    """:func:`request_candidates_all_steps` as arrays: volunteers sharing a language with the
    request, that language, the distance and one mask per :data:`FUNNEL_STEPS` entry (the
    desk API evaluates single requests with it, without a frame per call)."""
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
    edges = _Edges.gather(t, req, vol)
    steps: dict[str, B] = {
        "language": np.ones(vol.shape, dtype=np.bool_),
        "distance": distance_ok(p, vol, km),
    }
    for name, check in _PAIR_STEPS:
        steps[name] = check(p, t, edges, None)
    return vol, lang, km, steps
