"""Pair features for the success model, computed with the matching core's own code.

A pair (request, volunteer) is described as it stood on one day: for a historical pairing the
day it started, for a run's candidate the run date. The hand-weighted score components come
from :func:`lotsen_match.core.scoring.score_components` on a :class:`Candidates` built for
exactly these pairs (the same formulas as a run); the rest are plain columns of the encoded
problem and counts over the history. Everything is vectorised over pairs: no Python object per
pair or per history row.

Nothing here may use information from after the day (leakage): continuity counts only
accompaniments of the household that ended before the day, experience only accompaniments
started before it, load only those running on it. ``previous_volunteer_id`` is not used for
historical pairs, because offices fill it in after an accompaniment, i.e. from its outcome.
Protected attributes (gender, nationality, first language as a category) are never features;
language *levels* are (can the two understand each other).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ..config import MatchConfig
from ..core.candidates import FUNNEL_STEPS, Candidates, best_shared_language
from ..core.geo import haversine_km
from ..core.problem import MISSING_DAY, MatchProblem
from ..core.scoring import COMPONENTS, quality, score_components, urgency_component
from ..core.vocab import NEED_TYPES

__all__ = [
    "FEATURES",
    "FEATURE_VERSION",
    "HistoryEvents",
    "pair_features",
]

#: Hand-weighted score components used as features (urgency and stability are policy, not fit).
_SCORE_FEATURES: Final[tuple[str, ...]] = ("language", "distance", "time", "modules", "continuity")

#: Feature columns, in matrix order.
FEATURES: Final[tuple[str, ...]] = (
    *_SCORE_FEATURES,
    "km",
    "shared_level",
    "volunteer_level_first_language",
    "request_level_first_language",
    "request_languages",
    *(f"need_{n}" for n in NEED_TYPES),
    "involves_minors",
    "household_requests",
    "waiting_days",
    "volunteer_experience",
    "volunteer_load",
    "volunteer_capacity",
    "volunteer_load_share",
)

#: Bump when a feature's meaning changes without its name changing.
_FEATURE_REVISION: Final[int] = 1

#: Hash of the feature definition; a model trained on another one is refused.
FEATURE_VERSION: Final[str] = hashlib.sha256(
    "|".join([str(_FEATURE_REVISION), *FEATURES, *COMPONENTS, *NEED_TYPES]).encode()
).hexdigest()[:16]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class HistoryEvents:
    """Dated accompaniments known before the days asked about (columnar, sorted copies inside).

    ``vol`` indexes the problem's volunteers, ``household`` its households (-1 where the
    request is not in the problem); ``end`` is ``MISSING_DAY`` for one still running.
    """

    vol: I64
    household: I64
    start: I64
    end: I64
    ended: npt.NDArray[np.bool_]

    @classmethod
    def empty(cls) -> HistoryEvents:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, np.zeros(0, dtype=np.bool_))

    def experience(self, vol: I64, day: I64) -> I64:
        """Accompaniments of each volunteer that started before the day."""
        return _count_before(self.vol, self.start, vol, day)

    def load(self, vol: I64, day: I64) -> I64:
        """Accompaniments of each volunteer running on the day (started before, not ended)."""
        started = self.experience(vol, day)
        ended = self.ended & (self.end != MISSING_DAY)
        # An ended row without its end date counts as over (experience, not load).
        undated = self.ended & (self.end == MISSING_DAY)
        end = np.where(undated, self.start, self.end)
        finished = _count_before(self.vol[ended | undated], end[ended | undated] + 1, vol, day)
        return np.asarray(np.maximum(started - finished, 0), dtype=np.int64)

    def accompanied(self, household: I64, vol: I64, day: I64, n_vol: int) -> npt.NDArray[np.bool_]:
        """Whether the volunteer accompanied the household in an accompaniment ended before."""
        ok = self.ended & (self.end != MISSING_DAY) & (self.household >= 0)
        width = max(n_vol, 1)
        keys = self.household[ok] * width + self.vol[ok]
        if keys.size == 0:
            return np.zeros(vol.shape, dtype=np.bool_)
        order = np.lexsort((self.end[ok], keys))
        keys, first_end = keys[order], self.end[ok][order]
        uniq, at = np.unique(keys, return_index=True)
        query = household * width + vol
        pos = np.minimum(np.searchsorted(uniq, query), uniq.size - 1)
        hit = (uniq[pos] == query) & (household >= 0)
        return np.asarray(hit & (first_end[at][pos] < day), dtype=np.bool_)


def _count_before(keys_vol: I64, keys_day: I64, vol: I64, day: I64) -> I64:
    """Per query, how many (keys_vol == vol, keys_day < day) there are (binary search)."""
    if keys_vol.size == 0:
        return np.zeros(vol.shape, dtype=np.int64)
    shift = np.int64(1 << 32)
    offset = np.int64(1 << 31)
    packed = np.sort(keys_vol * shift + (keys_day + offset))
    lo = np.searchsorted(packed, vol * shift)
    hi = np.searchsorted(packed, vol * shift + (day + offset))
    return (hi - lo).astype(np.int64)


def pair_features(
    problem: MatchProblem,
    req: npt.ArrayLike,
    vol: npt.ArrayLike,
    day: npt.ArrayLike,
    events: HistoryEvents,
    config: MatchConfig,
    *,
    continuity: npt.ArrayLike | None = None,
    load: npt.ArrayLike | None = None,
    household_requests: npt.ArrayLike | None = None,
) -> tuple[F64, F64]:
    """Features and hand-weighted score of pairs of problem indices on given days.

    Returns the (n_pairs, len(FEATURES)) float64 matrix and the pairs' quality under
    ``config.weights`` as a run on that day would have scored them (urgency at the day, no
    stability bonus): the baseline the learned model is measured against. ``continuity`` and
    ``load`` override the history-derived values (a run knows both for the run date from its
    problem: ``previous_volunteer_id`` and ended rows, active households).
    ``household_requests`` (per pair) overrides the count of the household's requests in
    ``problem``: the desk encodes a few requests only, but their households are larger.
    """
    r = np.asarray(req, dtype=np.int64)
    v = np.asarray(vol, dtype=np.int64)
    d = np.broadcast_to(np.asarray(day, dtype=np.int64), r.shape)
    n = r.size
    lang, level = best_shared_language(problem, r.astype(np.intp), v.astype(np.intp))
    km = haversine_km(problem.v_lat[v], problem.v_lon[v], problem.r_lat[r], problem.r_lon[r])
    cand = Candidates(
        req=r.astype(np.int32),
        vol=v.astype(np.int32),
        km=np.asarray(km, dtype=np.float64),
        lang=lang,
        level=level,
        funnel=np.zeros((problem.n_requests, len(FUNNEL_STEPS)), dtype=np.int32),
    )
    comps = score_components(problem, cand, config)
    out = np.zeros((n, len(FEATURES)), dtype=np.float64)
    col = {name: i for i, name in enumerate(FEATURES)}
    for name in _SCORE_FEATURES:
        out[:, col[name]] = comps[:, COMPONENTS.index(name)]
    household = problem.r_household[r].astype(np.int64)
    if continuity is None:
        continuity = events.accompanied(household, v, d, problem.n_volunteers)
    out[:, col["continuity"]] = np.asarray(continuity, dtype=np.float64)
    comps[:, COMPONENTS.index("continuity")] = out[:, col["continuity"]]
    comps[:, COMPONENTS.index("urgency")] = urgency_component(
        problem.r_created_day[r],
        problem.r_due_day[r],
        d,
        config.rules.waiting_full_days,
        config.rules.urgency_horizon_days,
    )
    comps[:, COMPONENTS.index("stability")] = 0.0
    hand = quality(comps, config.weights)
    out[:, col["km"]] = km
    out[:, col["shared_level"]] = level
    first = problem.r_lang[r, 0].astype(np.int64) if problem.r_lang.shape[1] else np.full(n, -1)
    has_first = first >= 0
    v_first = np.zeros(n, dtype=np.float64)
    v_first[has_first] = problem.v_level[v[has_first], first[has_first]]
    out[:, col["volunteer_level_first_language"]] = v_first
    out[:, col["request_level_first_language"]] = problem.r_lang_level[r, 0] if n else 0
    out[:, col["request_languages"]] = (problem.r_lang[r] >= 0).sum(axis=1) if n else 0
    need = problem.r_need[r].astype(np.int64)
    for k, name in enumerate(NEED_TYPES):
        out[:, col[f"need_{name}"]] = need == k
    out[:, col["involves_minors"]] = problem.r_minors[r]
    if household_requests is None:
        hh_size = np.bincount(problem.r_household, minlength=problem.n_households)
        out[:, col["household_requests"]] = hh_size[household]
    else:
        out[:, col["household_requests"]] = np.asarray(household_requests, dtype=np.float64)
    out[:, col["waiting_days"]] = np.maximum(d - problem.r_created_day[r], 0)
    out[:, col["volunteer_experience"]] = events.experience(v, d)
    running = events.load(v, d) if load is None else np.asarray(load, dtype=np.float64)
    capacity = problem.v_capacity[v].astype(np.float64)
    out[:, col["volunteer_load"]] = running
    out[:, col["volunteer_capacity"]] = capacity
    out[:, col["volunteer_load_share"]] = running / np.maximum(capacity, 1.0)
    return out, hand
