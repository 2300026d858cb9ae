"""Score components of admissible pairs, each in [0, 1], and their weighted mean.

One small pure function per component works on plain arrays, so each formula can be tested on
hand-computed values; :func:`score_components` only gathers the per-edge inputs from the problem.
Everything is elementwise or a fixed-order column sum, hence bitwise deterministic (no BLAS
reductions whose summation order could depend on threads or CPU).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..config import MatchConfig, ScoreWeights
from ..errors import ArgumentError
from .candidates import (
    Candidates,
    contains_sorted,
    for_each_in_threads,
    pair_keys,
    worker_count,
)
from .problem import MISSING_DAY, MatchProblem
from .vocab import ALL_SLOTS, MODULE_BIT, NATIVE, NEED_TYPES, RELEVANT_MODULES

__all__ = [
    "COMPONENTS",
    "COMPONENT_DTYPE",
    "SUCCESS",
    "component_names",
    "continuity_component",
    "distance_component",
    "language_component",
    "modules_component",
    "quality",
    "score_components",
    "stability_component",
    "time_component",
    "urgency_component",
]

#: Column order of :func:`score_components` (equals ``ScoreWeights.pair_weights()`` order).
COMPONENTS: Final[tuple[str, ...]] = (
    "language",
    "distance",
    "time",
    "modules",
    "continuity",
    "urgency",
    "stability",
)

#: The learned component (:mod:`lotsen_match.learn`): present only when the config names a
#: success model, so runs without one keep exactly the columns above.
SUCCESS: Final[str] = "success"

#: Storage dtype of the component matrix. float32 halves the memory of the largest array of a
#: statewide run (15M edges x 7: 420 MB instead of 840 MB); components are computed in float64
#: and rounded once, which is far below any meaningful score difference.
COMPONENT_DTYPE: Final = np.float32

F64 = npt.NDArray[np.float64]

#: Edges per block (see ``score_components``); blocks are spread over threads.
_BLOCK: Final[int] = 32768

#: Relevant-module bit mask per need code (``vocab.RELEVANT_MODULES``).
_RELEVANT_MASK: Final[npt.NDArray[np.int32]] = np.array(
    [sum(MODULE_BIT[m] for m in RELEVANT_MODULES[need]) for need in NEED_TYPES], dtype=np.int32
)


def language_component(
    shared_level: npt.ArrayLike, first_native: npt.ArrayLike, min_level: int
) -> F64:
    """``0.7 * q + 0.3 * first_native``.

    ``q = (shared_level - min_level) / (NATIVE - min_level)`` (1 if ``min_level`` is native),
    where ``shared_level`` is min(volunteer level, request level) of the best shared language;
    ``first_native`` is whether the volunteer speaks the request's first language natively.
    """
    level = np.asarray(shared_level, dtype=np.float64)
    if min_level >= NATIVE:
        q = np.ones_like(level)
    else:
        q = np.clip((level - min_level) / (NATIVE - min_level), 0.0, 1.0)
    return np.asarray(0.7 * q + 0.3 * np.asarray(first_native, dtype=np.float64))


def distance_component(km: npt.ArrayLike, half_km: float) -> F64:
    """``0.5 ** (km / half_km)``: 1 at the door, 0.5 at ``half_km``, 0.25 at twice that."""
    return np.asarray(np.exp2(-np.asarray(km, dtype=np.float64) / half_km), dtype=np.float64)


def time_component(v_slots: npt.ArrayLike, r_slots: npt.ArrayLike) -> F64:
    """``popcount(v & r) / popcount(r)``: the share of the request's slots the volunteer covers.

    1 when either side is "any time" (``vocab.ALL_SLOTS``).
    """
    v = np.asarray(v_slots, dtype=np.int32)
    r = np.asarray(r_slots, dtype=np.int32)
    shared = np.bitwise_count(v & r).astype(np.float64)
    wanted = np.maximum(np.bitwise_count(r), 1).astype(np.float64)
    any_time = (v == ALL_SLOTS) | (r == ALL_SLOTS)
    return np.asarray(np.where(any_time, 1.0, shared / wanted), dtype=np.float64)


def modules_component(v_modules: npt.ArrayLike, need: npt.ArrayLike) -> F64:
    """Share of the need's relevant training modules (``vocab.RELEVANT_MODULES``) completed."""
    relevant = _RELEVANT_MASK[np.asarray(need, dtype=np.intp)]
    done = np.bitwise_count(np.asarray(v_modules, dtype=np.int32) & relevant)
    return np.asarray(done / np.bitwise_count(relevant), dtype=np.float64)


def continuity_component(
    prev_vol: npt.ArrayLike, vol: npt.ArrayLike, accompanied: npt.ArrayLike | None = None
) -> F64:
    """1 if the volunteer accompanied this household before, else 0.

    Before means: named as ``previous_volunteer_id``, or (``accompanied``, per pair) an
    ``ended`` assignment of the volunteer with a request of the same household.
    """
    same = np.asarray(prev_vol) == np.asarray(vol)
    if accompanied is not None:
        same |= np.asarray(accompanied, dtype=np.bool_)
    return np.asarray(same, dtype=np.float64)


def urgency_component(
    created_day: npt.ArrayLike,
    due_day: npt.ArrayLike,
    as_of_day: int | npt.ArrayLike,
    waiting_full_days: int,
    horizon_days: int,
    waiting_cap_days: npt.ArrayLike | None = None,
) -> F64:
    """``max(min(1, waiting_days / waiting_full_days), due_term)`` per request.

    ``waiting_days = as_of - created_on`` (not below 0), at most ``waiting_cap_days`` where
    given (stale requests: ``reconfirm_after_days``, so waiting without a contact does not
    raise urgency for ever); ``due_term = clip(1 - days_until_due / horizon_days, 0, 1)``
    where ``due_on`` is set (a past due date gives 1), else 0. ``as_of_day`` may be one day
    per element (pairs of the history at their start).
    """
    created = np.asarray(created_day, dtype=np.int64)
    due = np.asarray(due_day, dtype=np.int64)
    days = np.asarray(as_of_day, dtype=np.int64) - created
    if waiting_cap_days is not None:
        days = np.minimum(days, np.asarray(waiting_cap_days, dtype=np.float64))
    waiting = np.clip(days / waiting_full_days, 0.0, 1.0)
    due_term = np.clip(1.0 - (due - np.asarray(as_of_day, np.int64)) / horizon_days, 0.0, 1.0)
    due_term = np.where(due == MISSING_DAY, 0.0, due_term)
    return np.asarray(np.maximum(waiting, due_term), dtype=np.float64)


def stability_component(edge_keys: npt.ArrayLike, proposed_keys: npt.ArrayLike) -> F64:
    """1 if the pair was an open proposal of the last run (status ``proposed``), else 0.

    Both arguments are ``candidates.pair_keys``; ``proposed_keys`` need not be sorted.
    """
    proposed = np.asarray(proposed_keys, dtype=np.int64)
    if proposed.size > 1 and not bool(np.all(proposed[1:] > proposed[:-1])):
        proposed = np.unique(proposed)
    hit = contains_sorted(proposed, np.asarray(edge_keys, dtype=np.int64))
    return np.asarray(hit, dtype=np.float64)


def score_components(
    problem: MatchProblem, cand: Candidates, config: MatchConfig
) -> npt.NDArray[np.floating[Any]]:
    """(n_edges, len(COMPONENTS)) matrix of ``COMPONENT_DTYPE``, columns in COMPONENTS order.

    Stored column-major, so each component is one contiguous column. Computed block by block
    (elementwise, so the result depends on neither the block size nor the threads the blocks
    run on) to keep temporaries in cache.
    """
    p = problem
    out = np.empty((len(COMPONENTS), cand.n_edges), dtype=COMPONENT_DTYPE).T
    # Per-request and per-(volunteer, need) parts once; per edge only gathers.
    urgency = urgency_component(
        p.r_created_day,
        p.r_due_day,
        p.as_of_day,
        config.rules.waiting_full_days,
        config.rules.urgency_horizon_days,
        np.where(p.r_stale, float(config.rules.reconfirm_after_days), np.inf),
    )
    n_need = len(NEED_TYPES)
    per_need = modules_component(p.v_module_mask[:, None], np.arange(n_need)[None, :]).ravel()
    v_native = (p.v_level == NATIVE).ravel()
    n_lang = p.n_languages
    first = p.r_lang[:, 0] if p.r_lang.shape[1] else np.full(p.n_requests, -1, np.int16)
    proposed = np.unique(pair_keys(p.proposed_req, p.proposed_vol, p.n_volunteers))

    def block(index: int, thread: int) -> None:
        b = slice(index * _BLOCK, (index + 1) * _BLOCK)
        req, vol = cand.req[b], cand.vol[b]
        vol_ix = vol.astype(np.intp)
        f = first[req]
        first_native = (f >= 0) & v_native[vol_ix * n_lang + np.maximum(f, 0)]
        out[b, 0] = language_component(cand.level[b], first_native, p.min_level)
        out[b, 1] = distance_component(cand.km[b], config.rules.distance_half_km)
        out[b, 2] = time_component(p.v_slot_mask[vol], p.r_slot_mask[req])
        out[b, 3] = per_need[vol_ix * n_need + p.r_need[req]]
        accompanied = None
        if p.h_ended_keys.size:
            hh_keys = pair_keys(p.r_household[req], vol, p.n_volunteers)
            accompanied = contains_sorted(p.h_ended_keys, hh_keys)
        out[b, 4] = continuity_component(p.r_prev_vol[req], vol, accompanied)
        out[b, 5] = urgency[req]
        out[b, 6] = stability_component(pair_keys(req, vol, p.n_volunteers), proposed)

    for_each_in_threads(-(-cand.n_edges // _BLOCK), block, worker_count())
    return out


def component_names(config: MatchConfig) -> tuple[str, ...]:
    """The pair components of a run: :data:`COMPONENTS`, plus ``success`` with a model."""
    return (*COMPONENTS, SUCCESS) if config.rules.success_model is not None else COMPONENTS


def quality(
    components: npt.ArrayLike, weights: ScoreWeights, names: tuple[str, ...] = COMPONENTS
) -> F64:
    """Weighted mean of the components per edge (columns ``names``); 0 if all weights are zero.

    Summed column by column in a fixed order (deterministic to the bit).
    """
    comps = np.asarray(components)
    w = weights.component_weights(names)
    if comps.ndim != 2 or comps.shape[1] != len(w):
        raise ArgumentError(f"components must have shape (n, {len(w)}), got {comps.shape}")
    total = float(sum(w))
    out = np.zeros(comps.shape[0], dtype=np.float64)
    if total == 0.0:
        return out

    def block(index: int, thread: int) -> None:
        b = slice(index * _BLOCK, (index + 1) * _BLOCK)
        acc = out[b]
        for j, weight in enumerate(w):
            if weight:
                acc += comps[b, j].astype(np.float64) * weight
        acc /= total

    for_each_in_threads(-(-comps.shape[0] // _BLOCK), block, worker_count())
    return out
