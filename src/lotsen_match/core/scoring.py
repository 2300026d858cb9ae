"""Score components of admissible pairs, each in [0, 1], and their weighted mean.

One small pure function per component works on plain arrays, so each formula can be tested on
hand-computed values; :func:`score_components` only gathers the per-edge inputs from the problem.
Everything is elementwise or a fixed-order column sum, hence bitwise deterministic (no BLAS
reductions whose summation order could depend on threads or CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .._parallel import for_each_in_threads, worker_count
from ..config import MatchConfig, ScoreWeights
from ..errors import ArgumentError
from ._keys import contains_sorted, pair_keys
from .candidates import Candidates
from .problem import MISSING_DAY, MatchProblem
from .vocab import ALL_SLOTS, MODULE_BIT, NATIVE, NEED_TYPES, RELEVANT_MODULES

__all__ = [
    "COMPONENTS",
    "COMPONENT_DTYPE",
    "SUCCESS",
    "EdgeComponents",
    "component_names",
    "continuity_component",
    "continuity_of_edges",
    "distance_component",
    "language_component",
    "modules_component",
    "quality",
    "score_components",
    "score_quality",
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

    Both arguments are ``_keys.pair_keys``; ``proposed_keys`` need not be sorted.
    """
    proposed = np.asarray(proposed_keys, dtype=np.int64)
    if proposed.size > 1 and not bool(np.all(proposed[1:] > proposed[:-1])):
        proposed = np.unique(proposed)
    hit = contains_sorted(proposed, np.asarray(edge_keys, dtype=np.int64))
    return np.asarray(hit, dtype=np.float64)


def score_components(
    problem: MatchProblem,
    cand: Candidates,
    config: MatchConfig,
    *,
    edges: npt.NDArray[np.integer[Any]] | None = None,
) -> npt.NDArray[np.floating[Any]]:
    """(n_edges, len(COMPONENTS)) matrix of ``COMPONENT_DTYPE``, columns in COMPONENTS order.

    ``edges`` (edge indices) limits the rows to those edges, in that order: the explanations
    need the components of the proposals and alternatives only. Stored column-major, so each
    component is one contiguous column. Computed block by block (elementwise, so the result
    depends on neither the block size nor the threads the blocks run on) to keep temporaries in
    cache.
    """
    rows = cand.n_edges if edges is None else int(np.asarray(edges).shape[0])
    out = np.empty((len(COMPONENTS), rows), dtype=COMPONENT_DTYPE).T
    block = _component_blocks(problem, cand, config, edges)

    def fill(index: int, thread: int) -> None:
        b = slice(index * _BLOCK, (index + 1) * _BLOCK)
        block(b, out[b])

    for_each_in_threads(-(-rows // _BLOCK), fill, worker_count())
    return out


def score_quality(
    problem: MatchProblem,
    cand: Candidates,
    config: MatchConfig,
    success: npt.NDArray[np.floating[Any]] | None = None,
) -> npt.NDArray[np.float64]:
    """``quality(components, config.weights, component_names(config))``, to the bit, without
    the component matrix: each block's components live in a small buffer only (a dense
    statewide caseload saves 420 MB).

    ``success`` (``COMPONENT_DTYPE``, one per edge) is the learned column, required exactly
    when the config names a success model; it is summed last, like the matrix's last column.

    Raises
    ------
    ArgumentError
        ``success`` given without a model in the config, missing with one, or of the wrong length.
    """
    names = component_names(config)
    _check_success(names, success, cand.n_edges)
    out = np.zeros(cand.n_edges, dtype=np.float64)
    weights = config.weights.component_weights(names)
    total = float(sum(weights))
    if total == 0.0:
        return out
    pair_weights = weights[: len(COMPONENTS)]
    block = _component_blocks(problem, cand, config, None)
    buffers = [np.empty((len(COMPONENTS), _BLOCK), dtype=COMPONENT_DTYPE).T for _ in range(8)]

    def fill(index: int, thread: int) -> None:
        b = slice(index * _BLOCK, (index + 1) * _BLOCK)
        acc = out[b]
        comps = buffers[thread][: acc.shape[0]]
        block(b, comps)
        # The same sums in the same order as quality() on the matrix with success last.
        for j, weight in enumerate(pair_weights):
            if weight:
                acc += comps[:, j].astype(np.float64) * weight
        if success is not None and weights[-1]:
            acc += success[b].astype(np.float64) * weights[-1]
        acc /= total

    for_each_in_threads(-(-cand.n_edges // _BLOCK), fill, min(worker_count(), len(buffers)))
    return out


def continuity_of_edges(problem: MatchProblem, cand: Candidates) -> npt.NDArray[np.floating[Any]]:
    """The continuity column alone (``COMPONENT_DTYPE``), as in :func:`score_components`.

    The success model takes it as a feature for every pair; this avoids the full matrix.
    """
    out = np.empty(cand.n_edges, dtype=COMPONENT_DTYPE)

    def fill(index: int, thread: int) -> None:
        b = slice(index * _BLOCK, (index + 1) * _BLOCK)
        out[b] = _continuity(problem, cand.req[b], cand.vol[b])

    for_each_in_threads(-(-cand.n_edges // _BLOCK), fill, worker_count())
    return out


class EdgeComponents:
    """The components of some edges, indexed by edge number like the full matrix.

    ``comps.rows(idx)`` gives the rows of the full component matrix (columns
    ``component_names(config)``) for the edges ``idx`` (all among ``edges``), computed for the
    few edges an explanation shows. ``success`` is the run's learned column for all edges, if any.
    """

    def __init__(
        self,
        problem: MatchProblem,
        cand: Candidates,
        config: MatchConfig,
        edges: npt.NDArray[np.integer[Any]],
        success: npt.NDArray[np.floating[Any]] | None = None,
    ) -> None:
        _check_success(component_names(config), success, cand.n_edges)
        self.edges = np.unique(np.asarray(edges, dtype=np.int64))
        values = score_components(problem, cand, config, edges=self.edges)
        if success is not None:
            values = np.asfortranarray(
                np.column_stack([values, success[self.edges].astype(COMPONENT_DTYPE)]),
                dtype=COMPONENT_DTYPE,
            )
        self.values = values

    def rows(self, idx: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.floating[Any]]:
        """(len(idx), n_components) components of the edges ``idx`` (all among ``edges``)."""
        at = np.searchsorted(self.edges, idx)
        found = self.edges[np.minimum(at, max(self.edges.size - 1, 0))] if self.edges.size else at
        if not np.array_equal(found, idx):
            raise KeyError("components asked for edges that were not scored")
        values: npt.NDArray[np.floating[Any]] = self.values[at]
        return values


def _check_success(
    names: tuple[str, ...], success: npt.NDArray[np.floating[Any]] | None, n_edges: int
) -> None:
    """The learned column is there exactly when the run has a success model, one per edge."""
    if (SUCCESS in names) != (success is not None):
        raise ArgumentError(
            "success values must be given exactly when config.rules.success_model is set"
        )
    if success is not None and np.asarray(success).shape != (n_edges,):
        raise ArgumentError(
            f"success must have one value per edge ({n_edges}), got {np.shape(success)}"
        )


def _continuity(
    p: MatchProblem, req: npt.NDArray[np.integer[Any]], vol: npt.NDArray[np.integer[Any]]
) -> F64:
    """The continuity component of the pairs (req, vol): previous volunteer or ended rows."""
    accompanied = None
    if p.h_ended_keys.size:
        accompanied = contains_sorted(
            p.h_ended_keys, pair_keys(p.r_household[req], vol, p.n_volunteers)
        )
    return continuity_component(p.r_prev_vol[req], vol, accompanied)


def _component_blocks(
    problem: MatchProblem,
    cand: Candidates,
    config: MatchConfig,
    edges: npt.NDArray[np.integer[Any]] | None,
) -> Callable[[slice, npt.NDArray[np.floating[Any]]], None]:
    """A function filling the components of one block of rows (``edges[b]``, or edges ``b``)."""
    p = problem
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

    def block(b: slice, out: npt.NDArray[np.floating[Any]]) -> None:
        at: slice | npt.NDArray[np.integer[Any]] = b if edges is None else edges[b]
        req, vol = cand.req[at], cand.vol[at]
        vol_ix = vol.astype(np.intp)
        f = first[req]
        first_native = (f >= 0) & v_native[vol_ix * n_lang + np.maximum(f, 0)]
        out[:, 0] = language_component(cand.level[at], first_native, p.min_level)
        out[:, 1] = distance_component(cand.km[at], config.rules.distance_half_km)
        out[:, 2] = time_component(p.v_slot_mask[vol], p.r_slot_mask[req])
        out[:, 3] = per_need[vol_ix * n_need + p.r_need[req]]
        out[:, 4] = _continuity(p, req, vol)
        out[:, 5] = urgency[req]
        out[:, 6] = stability_component(pair_keys(req, vol, p.n_volunteers), proposed)

    return block


def _weighted_mean(
    comps: npt.NDArray[np.floating[Any]], weights: list[float], total: float, acc: F64
) -> None:
    """``acc += sum_j comps[:, j] * weights[j]`` column by column, then ``acc /= total``."""
    for j, weight in enumerate(weights):
        if weight:
            acc += comps[:, j].astype(np.float64) * weight
    acc /= total


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
        _weighted_mean(comps[b], w, total, out[b])

    for_each_in_threads(-(-comps.shape[0] // _BLOCK), block, worker_count())
    return out
