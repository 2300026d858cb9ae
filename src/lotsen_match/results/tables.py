"""The result tables of a run: proposals, alternatives and unmatched requests, and their columns.

``pipeline.match_validated`` solves; this module turns the solution into the tables of
``MatchResult``. The work that does not need the solution (ranking alternatives, nearest
speakers, fingerprints) is ``ExplanationInputs``, built while the solver searches. Every table
is built column by column from edge arrays: no Python object per candidate pair.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..core.assignment import SCALE
from ..core.candidates import FUNNEL_STEPS, Candidates
from ..core.geo import EARTH_RADIUS_KM
from ..core.problem import MatchProblem
from ..core.scoring import COMPONENTS, EdgeComponents
from ..core.vocab import LEVEL_CODE, language_levels
from ..solve import AssignmentModel
from ..validation import ValidatedCaseload
from .explain import render_detail_column

__all__ = [
    "PROPOSAL_KEYS",
    "PROPOSAL_TAIL",
    "ExplanationInputs",
    "RankedEdges",
    "admissible_codes",
    "alternatives_table",
    "fingerprint",
    "proposals_table",
    "unmatched_table",
]


#: Columns of ``MatchResult.proposals`` before the score components.
PROPOSAL_KEYS = ("request_id", "volunteer_id", "household_id", "score")
#: Columns of ``MatchResult.proposals`` after the score components.
PROPOSAL_TAIL = ("distance_km", "shared_language", "status", "volunteer_load")

#: Columns that identify a table's content for the fingerprint (order-independent hash).
_ID_COLUMN = {"volunteers": "volunteer_id", "requests": "request_id", "assignments": "request_id"}


#: Edges per block when packing the ranking keys.
_PACK_BLOCK: Final[int] = 1 << 20


@dataclass(frozen=True, slots=True)
class RankedEdges:
    """The best ``k + 1`` edges of every request by quality (ties: lower volunteer index).

    One selected edge per request at most, so dropping it leaves the best ``k`` unselected
    edges, which is what the alternatives need; ranking happens before the solution is known.
    """

    idx: npt.NDArray[np.int64]
    """Edge indices grouped by request, best first."""
    req: npt.NDArray[np.int32]

    @classmethod
    def build(cls, cand: Candidates, q: npt.NDArray[np.float64], k: int) -> RankedEdges:
        n = cand.n_edges
        if n == 0 or k <= 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty.astype(np.int32))
        # Sort one packed int64 (request, SCALE - quality, edge) instead of an argsort: several
        # times faster, and edge order is (request, volunteer), so ties go to the volunteer.
        # Built in place: it runs while the solver holds its network, at the peak of memory.
        edge_bits = max(int(n - 1).bit_length(), 1)
        q_bits = SCALE.bit_length()
        if int(cand.req[-1]).bit_length() + q_bits + edge_bits <= 62:
            packed = np.empty(n, dtype=np.int64)
            for start in range(0, n, _PACK_BLOCK):  # blocks: no edge-sized temporaries
                b = slice(start, start + _PACK_BLOCK)
                inv_q = SCALE - np.rint(q[b] * SCALE).astype(np.int64)
                at = np.arange(start, min(start + _PACK_BLOCK, n), dtype=np.int64)
                key = cand.req[b].astype(np.int64) << (q_bits + edge_bits)
                packed[b] = key | (inv_q << edge_bits) | at
            packed.sort()
            packed &= (1 << edge_bits) - 1
            order = packed
        else:
            inv_q = SCALE - np.rint(q * SCALE).astype(np.int64)
            order = np.lexsort((np.arange(n), inv_q, cand.req.astype(np.int64)))
        # Sorting by request first keeps every request's edges at the positions they have in
        # ``cand`` (edges are grouped by request), so the best k + 1 of each are the first
        # positions of its group there: found from the group starts, not from edge-sized ranks.
        starts = np.flatnonzero(np.r_[True, cand.req[1:] != cand.req[:-1]])
        take = np.minimum(np.diff(np.append(starts, n)), k + 1)
        pos = np.repeat(starts - np.cumsum(take) + take, take) + np.arange(int(take.sum()))
        return cls(order[pos], cand.req[pos])

    def without(
        self, selected: npt.NDArray[np.bool_], k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Edge indices and 1-based ranks of the best ``k`` unselected edges per request."""
        keep = ~selected[self.idx]
        idx, req = self.idx[keep], self.req[keep]
        rank = _rank_in_groups(req) + 1
        top = rank <= k
        return idx[top], rank[top].astype(np.int64)


def _rank_in_groups(keys: npt.NDArray[np.int32]) -> npt.NDArray[np.signedinteger[Any]]:
    """0-based position of each element within its run of equal (grouped) keys (int32 when
    the positions fit it, as they do for any caseload: half the memory of int64)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    dtype = np.int32 if keys.size < 2**31 else np.int64
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lengths = np.diff(np.append(starts, keys.size))
    rank: npt.NDArray[np.signedinteger[Any]] = np.arange(keys.size, dtype=dtype)
    rank -= np.repeat(starts.astype(dtype), lengths)
    return rank


@dataclass(frozen=True, slots=True)
class ExplanationInputs:
    """Explanation inputs that do not depend on the solution (built while the solver runs)."""

    req_frame: pd.DataFrame
    ranked: RankedEdges
    nearest_km: npt.NDArray[np.float64]
    """(n_req,) distance to the nearest speaker for requests whose funnel ends at distance."""
    nearest_radius: npt.NDArray[np.float64]
    fingerprints: dict[str, str]

    @classmethod
    def build(
        cls,
        caseload: ValidatedCaseload,
        problem: MatchProblem,
        cand: Candidates,
        q: npt.NDArray[np.float64],
        config: MatchConfig,
    ) -> ExplanationInputs:
        funnel = cand.funnel
        zero = funnel == 0
        first_zero = np.where(zero.any(axis=1), np.argmax(zero, axis=1), -1)
        at_distance = np.flatnonzero(
            (first_zero == FUNNEL_STEPS.index("distance")) & ~problem.r_is_active
        )
        near_km, near_radius = _nearest_speaker(
            problem, at_distance, LEVEL_CODE[config.rules.min_language_level]
        )
        nearest_km = np.full(problem.n_requests, np.nan)
        nearest_radius = np.full(problem.n_requests, np.nan)
        nearest_km[at_distance] = np.where(np.isfinite(near_km), near_km, np.nan)
        nearest_radius[at_distance] = near_radius
        return cls(
            req_frame=_requests_in_problem_order(caseload.requests, problem),
            ranked=RankedEdges.build(cand, q, max(config.report.max_alternatives, 1)),
            nearest_km=nearest_km,
            nearest_radius=nearest_radius,
            fingerprints={
                "volunteers": fingerprint(caseload.volunteers, "volunteers"),
                "requests": fingerprint(caseload.requests, "requests"),
                "assignments": fingerprint(caseload.assignments, "assignments"),
            },
        )


def _requests_in_problem_order(requests: pd.DataFrame, problem: MatchProblem) -> pd.DataFrame:
    frame = requests.set_index("request_id").reindex(problem.request_ids)
    return frame.reset_index()


def proposals_table(
    problem: MatchProblem,
    cand: Candidates,
    comps: EdgeComponents,
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    used: npt.NDArray[np.int32],
    req_frame: pd.DataFrame,
    names: tuple[str, ...] = COMPONENTS,
) -> pd.DataFrame:
    """``MatchResult.proposals``: one row per selected edge, columns ``PROPOSAL_KEYS``, the
    score components ``names`` and ``PROPOSAL_TAIL``."""
    idx = np.flatnonzero(edge_sel)
    req = cand.req[idx]
    vol = cand.vol[idx]
    n_vol = len(problem.volunteer_ids)
    keys = req.astype(np.int64) * n_vol + vol
    prev = problem.proposed_req.astype(np.int64) * n_vol + problem.proposed_vol
    kept = np.isin(keys, prev)
    cap = problem.v_capacity[vol].astype(np.float64)
    load = (problem.v_active_households[vol] + used[vol]) / np.where(cap > 0, cap, 1.0)
    data: dict[str, Any] = {
        "request_id": problem.request_ids[req],
        "volunteer_id": problem.volunteer_ids[vol],
        "household_id": req_frame["household_id"].to_numpy()[req],
        "score": np.round(q[idx], 4),
    }
    rows = comps.rows(idx)
    for k, name in enumerate(names):
        data[name] = np.round(rows[:, k].astype(np.float64), 4)
    data["distance_km"] = np.round(cand.km[idx], 3)
    data["shared_language"] = np.asarray(problem.languages, dtype=object)[cand.lang[idx]]
    data["status"] = np.where(kept, "kept", "proposed")
    data["volunteer_load"] = np.round(load, 4)
    frame = pd.DataFrame(data)
    assert tuple(frame.columns) == PROPOSAL_KEYS + names + PROPOSAL_TAIL
    return frame


@functools.cache
def _lacks(names: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """ "lacks" text per bit mask of weaker components (bit k = names[k])."""
    return np.array(
        [
            ", ".join(name for k, name in enumerate(names) if mask >> k & 1)
            for mask in range(1 << len(names))
        ],
        dtype=object,
    )


def alternatives_table(
    problem: MatchProblem,
    cand: Candidates,
    comps: EdgeComponents,
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    full_after: npt.NDArray[np.bool_],
    idx: npt.NDArray[np.int64],
    rank: npt.NDArray[np.int64],
    names: tuple[str, ...] = COMPONENTS,
) -> pd.DataFrame:
    """Next-best admissible volunteers per request, and where they are weaker than the proposal."""
    req = cand.req[idx]
    vol = cand.vol[idx]
    # The proposal's edge per request (-1 if unmatched), to say where an alternative is weaker.
    chosen = np.full(len(problem.request_ids), -1, dtype=np.int64)
    sel = np.flatnonzero(edge_sel)
    chosen[cand.req[sel]] = sel
    ch = chosen[req]
    has = ch >= 0
    weaker = np.zeros(idx.size, dtype=np.int64)
    rows, chosen_rows = comps.rows(idx), comps.rows(np.maximum(ch, 0))
    for k in range(len(names)):
        worse = has & (rows[:, k] < chosen_rows[:, k] - 0.05)
        weaker |= worse.astype(np.int64) << k
    return pd.DataFrame(
        {
            "request_id": problem.request_ids[req],
            "rank": rank.astype(np.int64),
            "volunteer_id": problem.volunteer_ids[vol],
            "score": np.round(q[idx], 4),
            "distance_km": np.round(cand.km[idx], 3),
            "shared_language": np.asarray(problem.languages, dtype=object)[cand.lang[idx]],
            "volunteer_full": full_after[vol],
            "lacks": _lacks(names)[weaker],
        }
    )


def _nearest_speaker(
    problem: MatchProblem, req_idx: npt.NDArray[np.int64], min_level: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Distance to the nearest volunteer sharing a language, and that volunteer's radius."""
    from sklearn.neighbors import KDTree

    best_km = np.full(req_idx.size, np.inf)
    best_radius = np.full(req_idx.size, np.nan)
    if req_idx.size == 0:
        return best_km, best_radius
    r_lang = problem.r_lang[req_idx]
    r_ok = problem.r_lang_level[req_idx] >= min_level
    for lang in np.unique(r_lang[r_ok]):
        vols = np.flatnonzero(problem.v_level[:, lang] >= min_level)
        rows = np.flatnonzero(((r_lang == lang) & r_ok).any(axis=1))
        if vols.size == 0 or rows.size == 0:
            continue
        tree = KDTree(problem.v_xyz[vols])
        chord, pos = tree.query(problem.r_xyz[req_idx[rows]], k=1)
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord[:, 0] / 2, 0, 1))
        better = km < best_km[rows]
        best_km[rows[better]] = km[better]
        best_radius[rows[better]] = problem.v_max_km[vols[pos[better, 0]]]
    return best_km, best_radius


def unmatched_table(
    problem: MatchProblem,
    cand: Candidates,
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    model: AssignmentModel,
    arc_sel: npt.NDArray[np.bool_],
    full_after: npt.NDArray[np.bool_],
    best_idx: npt.NDArray[np.int64],
    prep: ExplanationInputs,
    config: MatchConfig,
) -> pd.DataFrame:
    """``MatchResult.unmatched``: one row per open request without a proposal, with the
    reason, the funnel counts ``after_<step>`` and the reason as a sentence (``detail``)."""
    n_req = len(problem.request_ids)
    req_frame = prep.req_frame
    served = np.bincount(cand.req[edge_sel], minlength=n_req) > 0
    open_req = np.flatnonzero(~problem.r_is_active & ~served)
    funnel = cand.funnel[open_req]
    zero = funnel == 0
    any_zero = zero.any(axis=1)
    first_zero = np.argmax(zero, axis=1)
    steps = np.asarray(FUNNEL_STEPS, dtype=object)
    reason = np.where(any_zero, steps[first_zero], "capacity").astype(object)

    # A household with a volunteer (active, or chosen in this run) who cannot take this request.
    hh_vol = problem.h_active_volunteer.copy()
    hh_vol[model.arc_household[arc_sel]] = model.arc_volunteer[arc_sel]
    hv = hh_vol[problem.r_household[open_req]]
    household = ~any_zero & (hv >= 0)
    reason[household] = "household"

    # The best unselected volunteer of each request (its rank-1 alternative).
    best_edge = np.full(n_req, -1, dtype=np.int64)
    best_edge[cand.req[best_idx]] = best_idx
    best = best_edge[open_req]
    has_best = best >= 0
    best_vol = np.zeros(open_req.size, dtype=np.int64)
    best_vol[has_best] = cand.vol[best[has_best]]
    best_score = np.full(open_req.size, np.nan)
    best_score[has_best] = np.round(q[best[has_best]], 4)
    best_full = np.ones(open_req.size, dtype=bool)
    best_full[has_best] = full_after[best_vol[has_best]]
    quality_only = ~any_zero & ~household & ~best_full
    reason[quality_only] = "quality"
    competition = (reason == "capacity") & ~any_zero & has_best

    rid = problem.request_ids[open_req]
    min_level = LEVEL_CODE[config.rules.min_language_level]
    langs = req_frame["languages"].to_numpy(dtype=object)[open_req]
    uniq_langs, lang_inverse = np.unique(langs.astype(str), return_inverse=True)
    lang_codes = np.array([admissible_codes(s, min_level) for s in uniq_langs], dtype=object)
    frame = pd.DataFrame(
        {
            "request_id": rid,
            "household_id": req_frame["household_id"].to_numpy(dtype=object)[open_req],
            "reason": reason,
        }
    )
    for k, step in enumerate(FUNNEL_STEPS):
        frame[f"after_{step}"] = funnel[:, k].astype(np.int64)
    best_id = problem.volunteer_ids[best_vol] if problem.n_volunteers else best_vol.astype(str)
    frame["best_volunteer_id"] = np.where(competition, best_id, "")
    frame["best_score"] = np.where(competition, best_score, np.nan)
    frame["household_volunteer_id"] = np.where(
        household, _ids_or_empty(problem.volunteer_ids, hv), ""
    )
    frame["request_languages"] = lang_codes[lang_inverse.reshape(-1)] if open_req.size else ""
    frame["need_type"] = req_frame["need_type"].to_numpy(dtype=object)[open_req]
    frame["nearest_km"] = np.round(prep.nearest_km[open_req], 2)
    frame["nearest_radius_km"] = prep.nearest_radius[open_req]
    frame["detail"] = render_detail_column(
        frame, config.report.language, config.rules.min_language_level
    )
    return frame


def admissible_codes(languages: str, min_level: int) -> str:
    """The codes of a ``languages`` cell at ``min_level`` or above, ``;``-joined."""
    return ";".join(code for code, level in language_levels(str(languages)) if level >= min_level)


def fingerprint(frame: pd.DataFrame, table: str) -> str:
    """Order-independent SHA-256 of a table's content (contract and extra columns, not ``_row``)."""
    cols = sorted(c for c in frame.columns if not str(c).startswith("_"))
    key = _ID_COLUMN[table]
    sort_by = [key, "volunteer_id"] if table == "assignments" else [key]
    data = frame[cols].sort_values(sort_by, kind="stable").reset_index(drop=True)
    try:
        hashed = pd.util.hash_pandas_object(data, index=False).to_numpy()
    except TypeError:  # unhashable cells in extra columns
        hashed = pd.util.hash_pandas_object(data.astype(str), index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update("\x1f".join(cols).encode())
    return digest.hexdigest()


def _ids_or_empty(ids: npt.NDArray[np.object_], index: npt.NDArray[np.integer[Any]]) -> Any:
    """``ids[index]`` where ``index >= 0``, else "" (also when there are no ids at all)."""
    out = np.full(index.shape, "", dtype=object)
    ok = index >= 0
    out[ok] = ids[index[ok]]
    return out
