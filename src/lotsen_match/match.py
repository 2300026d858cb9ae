"""``match()``: read, validate, encode, find admissible pairs, score, solve, explain.

Each stage is timed; no stage creates a Python object per candidate pair.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import __version__
from .assignment import SCALE, build_household_model
from .candidates import FUNNEL_STEPS, Candidates, find_candidates
from .config import MatchConfig, TableName
from .explain import render_details
from .geo import EARTH_RADIUS_KM
from .io import read_table
from .problem import MatchProblem, build_problem
from .result import PROPOSAL_KEYS, PROPOSAL_TAIL, MatchResult
from .scoring import COMPONENTS, quality, score_components
from .solve import SolveResult, get_solver
from .validation import ValidatedCaseload, validate_caseload

logger = logging.getLogger(__name__)

TableLike = pd.DataFrame | str | os.PathLike[str]

#: Columns that identify a table's content for the fingerprint (order-independent hash).
_ID_COLUMN = {"volunteers": "volunteer_id", "requests": "request_id", "assignments": "request_id"}


class _Timer:
    """Wall-clock seconds per stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 6)
            logger.debug("stage %s took %.3f s", name, self.seconds[name])


def read_inputs(
    volunteers: TableLike,
    requests: TableLike,
    assignments: TableLike | None,
    config: MatchConfig,
) -> dict[str, pd.DataFrame]:
    """Read each input (a DataFrame or a file path) and apply the config's column mapping."""
    raw: dict[str, pd.DataFrame] = {}
    sources: tuple[tuple[TableName, TableLike | None], ...] = (
        ("volunteers", volunteers),
        ("requests", requests),
        ("assignments", assignments),
    )
    for table, source in sources:
        if source is None:
            continue
        raw[table] = read_table(source, table=table, column_mapping=config.columns.get(table))
    return raw


def match(
    volunteers: TableLike,
    requests: TableLike,
    assignments: TableLike | None = None,
    config: MatchConfig | None = None,
    *,
    strict: bool | None = None,
) -> MatchResult:
    """Propose volunteers for open requests; exact and explained.

    Inputs are DataFrames in the SPEC.md columns (or files: CSV, Parquet, Excel). In strict mode
    (default, see ``MatchConfig.strict``) any invalid row raises ``InputValidationError`` with every
    problem; in lenient mode invalid rows land in ``result.rejected`` and the run goes on.
    """
    cfg = config or MatchConfig()
    timer = _Timer()
    with timer.stage("read"):
        raw = read_inputs(volunteers, requests, assignments, cfg)
    with timer.stage("validate"):
        caseload = validate_caseload(
            raw["volunteers"],
            raw["requests"],
            raw.get("assignments"),
            config=cfg,
            strict=strict,
        )
    return match_validated(caseload, cfg, timer=timer)


def match_validated(
    caseload: ValidatedCaseload, config: MatchConfig, *, timer: _Timer | None = None
) -> MatchResult:
    """Run the matching stages on an already validated caseload."""
    timer = timer or _Timer()
    with timer.stage("encode"):
        problem = build_problem(
            caseload.volunteers, caseload.requests, caseload.assignments, config
        )
    with timer.stage("candidates"):
        cand = find_candidates(problem, config)
    with timer.stage("score"):
        comps = score_components(problem, cand, config)
        q = quality(comps, config.weights)
    with timer.stage("model"):
        hm = build_household_model(
            edge_req=cand.req,
            edge_vol=cand.vol,
            edge_quality=q,
            r_household=problem.r_household,
            h_active_volunteer=problem.h_active_volunteer,
            v_capacity=problem.v_capacity,
            v_active_households=problem.v_active_households,
            config=config,
        )
    with timer.stage("solve"):
        solver = get_solver(
            config.solver, time_limit_s=config.time_limit_s, num_workers=config.num_workers
        )
        solved = solver.solve(hm.model)
    with timer.stage("explain"):
        arc_sel = solved.selected
        in_flow = hm.edge_arc >= 0
        edge_sel = hm.direct.copy()
        edge_sel[in_flow] = arc_sel[hm.edge_arc[in_flow]]
        used = np.bincount(
            hm.model.arc_volunteer[arc_sel], minlength=problem.v_capacity.shape[0]
        ).astype(np.int32)
        full_after = (hm.volunteer_free - used) <= 0
        req_frame = _requests_in_problem_order(caseload.requests, problem)
        proposals = _proposals(problem, cand, comps, q, edge_sel, used, req_frame)
        alternatives = _alternatives(problem, cand, comps, q, edge_sel, full_after, config)
        unmatched = _unmatched(
            problem, cand, edge_sel, hm.model, arc_sel, full_after, alternatives, req_frame, config
        )
    summary = _summary(caseload, problem, cand, hm.base, solved, proposals, unmatched, config)
    summary["timings_s"] = dict(timer.seconds)
    logger.info(
        "matched %d of %d open requests (%s, optimal=%s)",
        len(proposals),
        summary["counts"]["requests_open"],
        solved.backend,
        solved.optimal,
    )
    return MatchResult(
        proposals=proposals,
        unmatched=unmatched,
        alternatives=alternatives,
        rejected=caseload.rejected,
        problems=caseload.problems,
        summary=summary,
        components=COMPONENTS,
        funnel_steps=FUNNEL_STEPS,
        active_request_ids=frozenset(problem.request_ids[problem.r_is_active].tolist()),
        volunteers=caseload.volunteers,
        requests=caseload.requests,
        assignments=caseload.assignments,
        config=config,
    )


def _requests_in_problem_order(requests: pd.DataFrame, problem: MatchProblem) -> pd.DataFrame:
    frame = requests.set_index("request_id").reindex(problem.request_ids)
    return frame.reset_index()


def _proposals(
    problem: MatchProblem,
    cand: Candidates,
    comps: npt.NDArray[np.floating[Any]],
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    used: npt.NDArray[np.int32],
    req_frame: pd.DataFrame,
) -> pd.DataFrame:
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
    for k, name in enumerate(COMPONENTS):
        data[name] = np.round(comps[idx, k].astype(np.float64), 4)
    data["distance_km"] = np.round(cand.km[idx], 3)
    data["shared_language"] = np.asarray(problem.languages, dtype=object)[cand.lang[idx]]
    data["status"] = np.where(kept, "kept", "proposed")
    data["volunteer_load"] = np.round(load, 4)
    frame = pd.DataFrame(data)
    assert tuple(frame.columns) == PROPOSAL_KEYS + COMPONENTS + PROPOSAL_TAIL
    return frame


def _top_edges(
    cand: Candidates, q: npt.NDArray[np.float64], exclude: npt.NDArray[np.bool_], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices of the best ``k`` edges per request (by quality, ties by volunteer), and ranks."""
    keep = np.flatnonzero(~exclude)
    if k <= 0 or keep.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    q_int = np.rint(q[keep] * SCALE).astype(np.int64)
    key = cand.req[keep].astype(np.int64) * (SCALE + 1) + (SCALE - q_int)
    order = keep[np.argsort(key, kind="stable")]
    req_sorted = cand.req[order]
    starts = np.flatnonzero(np.r_[True, req_sorted[1:] != req_sorted[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, req_sorted.size]))
    rank = np.arange(req_sorted.size) - group_start
    top = rank < k
    return order[top], rank[top] + 1


def _alternatives(
    problem: MatchProblem,
    cand: Candidates,
    comps: npt.NDArray[np.floating[Any]],
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    full_after: npt.NDArray[np.bool_],
    config: MatchConfig,
) -> pd.DataFrame:
    """Next-best admissible volunteers per request, and where they are weaker than the proposal."""
    idx, rank = _top_edges(cand, q, edge_sel, config.max_alternatives)
    req = cand.req[idx]
    vol = cand.vol[idx]
    # The proposal's edge per request (-1 if unmatched), to say where an alternative is weaker.
    chosen = np.full(len(problem.request_ids), -1, dtype=np.int64)
    sel = np.flatnonzero(edge_sel)
    chosen[cand.req[sel]] = sel
    ch = chosen[req]
    has = ch >= 0
    lacks = np.full(idx.size, "", dtype=object)
    for k, name in enumerate(COMPONENTS):
        weaker = has & (comps[idx, k] < comps[np.maximum(ch, 0), k] - 0.05)
        lacks = np.where(weaker, lacks + np.where(lacks == "", "", ", ") + name, lacks)
    return pd.DataFrame(
        {
            "request_id": problem.request_ids[req],
            "rank": rank.astype(np.int64),
            "volunteer_id": problem.volunteer_ids[vol],
            "score": np.round(q[idx], 4),
            "distance_km": np.round(cand.km[idx], 3),
            "shared_language": np.asarray(problem.languages, dtype=object)[cand.lang[idx]],
            "volunteer_full": full_after[vol],
            "lacks": lacks,
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


def _unmatched(
    problem: MatchProblem,
    cand: Candidates,
    edge_sel: npt.NDArray[np.bool_],
    model: Any,
    arc_sel: npt.NDArray[np.bool_],
    full_after: npt.NDArray[np.bool_],
    alternatives: pd.DataFrame,
    req_frame: pd.DataFrame,
    config: MatchConfig,
) -> pd.DataFrame:
    n_req = len(problem.request_ids)
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

    best = alternatives[alternatives["rank"] == 1].set_index("request_id")
    rid = problem.request_ids[open_req]
    best_vol = best["volunteer_id"].reindex(rid).to_numpy(dtype=object)
    best_score = best["score"].reindex(rid).to_numpy(dtype=np.float64)
    best_full = best["volunteer_full"].reindex(rid).fillna(True).to_numpy(dtype=bool)
    quality_only = ~any_zero & ~household & ~best_full
    reason[quality_only] = "quality"
    competition = (reason == "capacity") & ~any_zero

    min_level = config.min_level_code
    langs = req_frame["languages"].to_numpy(dtype=object)[open_req]
    lang_codes = {s: _admissible_codes(s, min_level) for s in pd.unique(langs)}
    frame = pd.DataFrame(
        {
            "request_id": rid,
            "household_id": req_frame["household_id"].to_numpy(dtype=object)[open_req],
            "reason": reason,
        }
    )
    for k, step in enumerate(FUNNEL_STEPS):
        frame[f"after_{step}"] = funnel[:, k].astype(np.int64)
    frame["best_volunteer_id"] = np.where(competition, best_vol, "")
    frame["best_score"] = np.where(competition, best_score, np.nan)
    frame["household_volunteer_id"] = np.where(
        household, problem.volunteer_ids[np.maximum(hv, 0)], ""
    )

    # What the sentence needs: admissible languages, need, nearest speaker (distance reason).
    dist_rows = np.flatnonzero(reason == "distance")
    near_km, near_radius = _nearest_speaker(problem, open_req[dist_rows], min_level)
    nearest_km = np.full(open_req.size, np.nan)
    nearest_radius = np.full(open_req.size, np.nan)
    nearest_km[dist_rows] = np.where(np.isfinite(near_km), near_km, np.nan)
    nearest_radius[dist_rows] = near_radius
    frame["request_languages"] = [lang_codes[x] for x in langs]
    frame["need_type"] = req_frame["need_type"].to_numpy(dtype=object)[open_req]
    frame["nearest_km"] = np.round(nearest_km, 2)
    frame["nearest_radius_km"] = nearest_radius
    frame["detail"] = render_details(frame, config.report_language, config.min_language_level)
    return frame


def _admissible_codes(languages: str, min_level: int) -> str:
    from .vocab import LEVEL_CODE

    codes = []
    for entry in str(languages).split(";"):
        code, _, lvl = entry.partition(":")
        if code and LEVEL_CODE.get(lvl, 0) >= min_level:
            codes.append(code)
    return ";".join(codes)


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


def _summary(
    caseload: ValidatedCaseload,
    problem: MatchProblem,
    cand: Candidates,
    base: int,
    solved: SolveResult,
    proposals: pd.DataFrame,
    unmatched: pd.DataFrame,
    config: MatchConfig,
) -> dict[str, Any]:
    n_active = int(problem.r_is_active.sum())
    n_open = len(problem.request_ids) - n_active
    served = len(proposals)
    counts = {
        "volunteers_read": int(caseload.rows_read.get("volunteers", 0)),
        "volunteers_accepted": len(caseload.volunteers),
        "requests_read": int(caseload.rows_read.get("requests", 0)),
        "requests_accepted": len(caseload.requests),
        "assignments_read": int(caseload.rows_read.get("assignments", 0)),
        "assignments_accepted": len(caseload.assignments),
        "rejected_rows": len(caseload.rejected),
        "requests_active": n_active,
        "requests_open": n_open,
        "admissible_pairs": len(cand.req),
        "proposals": served,
        "proposals_kept": int((proposals["status"] == "kept").sum()),
        "unmatched": len(unmatched),
        "served_rate": round(served / n_open, 4) if n_open else 0.0,
        "volunteers_with_proposals": int(proposals["volunteer_id"].nunique()),
        "unmatched_by_reason": {
            str(k): int(v) for k, v in unmatched["reason"].value_counts().sort_index().items()
        },
    }
    quality_total = float(proposals["score"].sum())
    return {
        "library_version": __version__,
        "as_of": config.as_of.isoformat(),
        "counts": counts,
        "solver": {
            "backend": solved.backend,
            "status": solved.status,
            "optimal": bool(solved.optimal),
            "objective": int(solved.objective),
            "bound": None if solved.bound is None else int(solved.bound),
            "objective_kind": config.objective,
            "base_per_request": int(base),
            "scale": SCALE,
            "wall_seconds": round(float(solved.wall_seconds), 6),
        },
        "quality_total": round(quality_total, 4),
        "fingerprints": {
            "volunteers": fingerprint(caseload.volunteers, "volunteers"),
            "requests": fingerprint(caseload.requests, "requests"),
            "assignments": fingerprint(caseload.assignments, "assignments"),
        },
        "config": config.to_json_dict(),
    }
