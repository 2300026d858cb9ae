"""A simulated history of accompaniments whose outcomes come from a hidden ground truth.

``generate_caseload(..., history=N)`` adds N ended accompaniments of the last two and a half
years: closed requests drawn like the open ones (ids ``A...``), each paired with an admissible
volunteer of the pool (as a coordinator would: good hand-weighted score, plus noise), started
some days after the request came in, and ended ``completed`` or not.

**The ground truth** (:func:`true_success_probability`) decides the outcome. It is a logistic
model of what, in this simulated world, makes an accompaniment last::

    logit = -0.4
          + 1.3 * [volunteer speaks the request's first language at C1 or better]
          + 0.5 * [best shared language at C1 or better]
          - 1.8 * s((km - 7) / 1.5) * (1.6 for school and health needs, 0.7 for digital, else 1)
          + 1.0 * (share of the request's time slots the volunteer covers - 0.5)  [any time: 1]
          + 1.2 * (share of relevant training modules) for authority, housing, work, health
          + 0.3 * (share of relevant training modules) for the other needs
          + 0.6 * min(volunteer's earlier accompaniments, 8) / 8
          - 0.6 * [request involves minors and the volunteer covers under half its slots]

with ``s`` the logistic function. It differs from the hand-weighted score in form (threshold
in distance, interactions with the need, the first language rather than any shared one, the
volunteer's experience), which is what a learned component can find and the fixed weights
cannot. The truth is only here: :mod:`lotsen_match.learn` never imports this module; the
learning benchmark uses it as the oracle and to count expected completed accompaniments.

Failed accompaniments get a reason that fits the truth's weakest term (language, distance or
time -> mismatch or dropout, ...); 12 % of all end neutrally (no longer needed, moved) whatever
the pairing, as real histories do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from .config import MatchConfig
from .core.candidates import Candidates, best_shared_language, find_candidates
from .core.geo import haversine_km
from .core.problem import MatchProblem, build_problem
from .core.scoring import quality, score_components
from .core.vocab import ALL_SLOTS, LEVEL_CODE, MODULE_BIT, NEED_CODE, NEED_TYPES, RELEVANT_MODULES

__all__ = ["HISTORY_PREFIX", "History", "generate_history", "true_success_probability"]

#: Prefix of the ids of closed (historic) requests and their households.
HISTORY_PREFIX: Final[str] = "A"
#: Days back over which historic requests were opened.
_SPAN_DAYS: Final[int] = 900
_P_NEUTRAL: Final[float] = 0.12
_C1: Final[int] = LEVEL_CODE["C1"]
_RELEVANT: Final[npt.NDArray[np.int64]] = np.array(
    [sum(MODULE_BIT[m] for m in RELEVANT_MODULES[n]) for n in NEED_TYPES], dtype=np.int64
)
_LAW_NEEDS: Final[npt.NDArray[np.bool_]] = np.isin(
    np.arange(len(NEED_TYPES)), [NEED_CODE[n] for n in ("authority", "housing", "work", "health")]
)
_DISTANCE_SCALE: Final[npt.NDArray[np.float64]] = np.array(
    [{"school": 1.6, "health": 1.6, "digital": 0.7}.get(n, 1.0) for n in NEED_TYPES]
)


@dataclass(frozen=True)
class History:
    """Closed requests and the ended assignments that name them."""

    requests: pd.DataFrame
    assignments: pd.DataFrame


def true_success_probability(
    problem: MatchProblem,
    req: npt.ArrayLike,
    vol: npt.ArrayLike,
    experience: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """The hidden ground truth: P(completed) of pairs (see the module docstring)."""
    r = np.asarray(req, dtype=np.intp)
    v = np.asarray(vol, dtype=np.intp)
    _, level = best_shared_language(problem, r, v)
    first = problem.r_lang[r, 0].astype(np.intp)
    first_level = np.where(first >= 0, problem.v_level[v, np.maximum(first, 0)], 0)
    km = haversine_km(problem.v_lat[v], problem.v_lon[v], problem.r_lat[r], problem.r_lon[r])
    need = problem.r_need[r].astype(np.intp)
    slots_v, slots_r = problem.v_slot_mask[v], problem.r_slot_mask[r]
    covered = np.bitwise_count(slots_v & slots_r) / np.maximum(np.bitwise_count(slots_r), 1)
    covered = np.where((slots_v == ALL_SLOTS) | (slots_r == ALL_SLOTS), 1.0, covered)
    modules = np.bitwise_count(problem.v_module_mask[v] & _RELEVANT[need]) / np.bitwise_count(
        _RELEVANT[need]
    )
    exp = np.minimum(np.asarray(experience, dtype=np.float64), 8.0) / 8.0
    logit = (
        -0.4
        + 1.3 * (first_level >= _C1)
        + 0.5 * (level >= _C1)
        - 1.8 * _sigmoid((km - 7.0) / 1.5) * _DISTANCE_SCALE[need]
        + 1.0 * (covered - 0.5)
        + np.where(_LAW_NEEDS[need], 1.2, 0.3) * modules
        + 0.6 * exp
        - 0.6 * (problem.r_minors[r] & (covered < 0.5))
    )
    return np.asarray(_sigmoid(logit), dtype=np.float64)


def _sigmoid(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64))), dtype=np.float64)


def prior_experience(
    vol: npt.NDArray[np.int64], start: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Per accompaniment, how many of the same volunteer's started earlier (vectorised)."""
    order = np.lexsort((start, vol))
    v_sorted = vol[order]
    s_sorted = start[order]
    group_start = np.searchsorted(v_sorted, v_sorted, side="left")
    # Equal start days do not count as earlier: the first position of (vol, start).
    key = v_sorted * np.int64(1 << 32) + s_sorted
    first_same = np.searchsorted(key, key, side="left")
    out = np.empty(vol.size, dtype=np.int64)
    out[order] = first_same - group_start
    return out


def generate_history(
    rng: np.random.Generator,
    volunteers: pd.DataFrame,
    closed_requests: pd.DataFrame,
    n: int,
    as_of: dt.date,
) -> History:
    """``n`` ended accompaniments between ``volunteers`` and ``closed_requests`` (raw frames).

    ``closed_requests`` are drawn like open ones; their ids are prefixed here and their dates
    moved into the past. Requests without an admissible volunteer are dropped, so ``n`` is an
    upper bound (the caller draws more requests than needed).
    """
    from .validation import validate_caseload

    reqs = closed_requests.copy()
    for column in ("request_id", "household_id"):
        text = reqs[column].astype(str)
        reqs[column] = np.where(text != "", HISTORY_PREFIX + text, "")
    reqs["previous_volunteer_id"] = ""
    reqs["excluded_volunteers"] = ""
    back = rng.integers(40, _SPAN_DAYS, size=len(reqs))
    created = np.datetime64(as_of, "D") - back.astype("timedelta64[D]")
    reqs["created_on"] = pd.to_datetime(created).astype("datetime64[us]")
    reqs["due_on"] = pd.NaT
    cfg = MatchConfig(as_of=as_of, require_certification=False, strict=False)
    caseload = validate_caseload(volunteers, reqs, None, config=cfg, strict=False)
    problem = build_problem(caseload.volunteers, caseload.requests, None, cfg)
    cand = find_candidates(problem, cfg)
    if cand.n_edges == 0 or n == 0:
        empty = pd.DataFrame(
            {c: pd.array([], dtype="str") for c in ("request_id", "volunteer_id", "status")}
        )
        return History(reqs.iloc[:0], empty)
    # The coordinator's choice: a good hand score, with noise (Gumbel-max per request).
    q = quality(score_components(problem, cand, cfg), cfg.weights)
    key = q + rng.gumbel(size=q.size) * 0.3
    order = np.lexsort((-key, cand.req))
    first = np.r_[True, cand.req[order][1:] != cand.req[order][:-1]]
    chosen = order[first]
    # One request per household: a family has one contact person at a time.
    _, one = np.unique(problem.r_household[cand.req[chosen]], return_index=True)
    chosen = chosen[np.sort(one)]
    chosen = chosen[rng.permutation(chosen.size)[:n]]
    r = cand.req[chosen].astype(np.int64)
    v = cand.vol[chosen].astype(np.int64)
    start = problem.r_created_day[r].astype(np.int64) + rng.integers(3, 45, size=r.size)
    experience = prior_experience(v, start)
    p = true_success_probability(problem, r, v, experience)
    completed = rng.random(r.size) < p
    neutral = rng.random(r.size) < _P_NEUTRAL
    reason = _failure_reasons(rng, problem, r, v, cand, chosen)
    reason = np.where(completed, "completed", reason)
    reason = np.where(neutral, rng.choice(["no_longer_needed", "newcomer_moved"], r.size), reason)
    duration = np.where(
        reason == "completed", rng.integers(60, 240, r.size), rng.integers(7, 120, r.size)
    )
    last_day = (np.datetime64(as_of, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64) - 1
    end = np.minimum(start + duration, last_day)
    start = np.minimum(start, end)
    epoch = np.datetime64("1970-01-01", "D")
    assignments = pd.DataFrame(
        {
            "request_id": pd.array(problem.request_ids[r].astype(str), dtype="str"),
            "volunteer_id": pd.array(problem.volunteer_ids[v].astype(str), dtype="str"),
            "status": pd.array(np.full(r.size, "ended"), dtype="str"),
            "started_on": pd.to_datetime(epoch + start.astype("timedelta64[D]")).astype(
                "datetime64[us]"
            ),
            "ended_on": pd.to_datetime(epoch + end.astype("timedelta64[D]")).astype(
                "datetime64[us]"
            ),
            "end_reason": pd.array(reason.astype(str), dtype="str"),
            "decided_by": pd.array(
                np.where(rng.random(r.size) < 0.7, "auto", "coordinator"), dtype="str"
            ),
        }
    ).sort_values(["request_id", "volunteer_id"], ignore_index=True)
    used = reqs["request_id"].isin(assignments["request_id"])
    return History(reqs[used].reset_index(drop=True), assignments)


def _failure_reasons(
    rng: np.random.Generator,
    problem: MatchProblem,
    r: npt.NDArray[np.int64],
    v: npt.NDArray[np.int64],
    cand: Candidates,
    chosen: npt.NDArray[np.int64],
) -> npt.NDArray[np.str_]:
    """A plausible reason for a pairing that did not last, leaning on its weakest side."""
    first = problem.r_lang[r, 0].astype(np.intp)
    first_level = np.where(first >= 0, problem.v_level[v, np.maximum(first, 0)], 0)
    far = cand.km[chosen] > 7.0
    general = rng.choice(
        [
            "volunteer_dropout",
            "personal_mismatch",
            "declined_by_newcomer",
            "declined_by_volunteer",
            "declined_by_coordinator",
            "other",
        ],
        size=r.size,
        p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1],
    )
    out = np.where(first_level < _C1, "language_mismatch", general)
    out = np.where(far & (rng.random(r.size) < 0.5), "volunteer_dropout", out)
    mixed = rng.random(r.size) < 0.3  # a reason is a coordinator's note, not a measurement
    return np.asarray(np.where(mixed, general, out))
