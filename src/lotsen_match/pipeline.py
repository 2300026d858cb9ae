"""``match()``: read, validate, encode, find admissible pairs, score, solve, explain.

Each stage is timed; no stage creates a Python object per candidate pair. Two cores are used
where it pays: candidate generation and scoring split their blocks over threads, and the
explanation work that does not need the solution (ranking alternatives, nearest speakers,
fingerprints) runs in parallel with the solver wherever the backend lets go of the GIL (the
default flow backend holds it inside OR-Tools, so there it overlaps the network building and
the certificate only).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import __version__
from .arguments import CONFIG_HELP, check_flag, check_instance, check_table_source
from .config import MatchConfig
from .core.assignment import SCALE, HouseholdModel, build_household_model
from .core.candidates import FUNNEL_STEPS, Candidates, find_candidates
from .core.geo import EARTH_RADIUS_KM
from .core.problem import MatchProblem, build_problem
from .core.scoring import (
    COMPONENT_DTYPE,
    COMPONENTS,
    SUCCESS,
    EdgeComponents,
    component_names,
    continuity_of_edges,
    score_components,
    score_quality,
)
from .core.vocab import LEVEL_CODE, language_levels
from .io.inputs import TableSource, read_inputs
from .results.explain import render_detail_column
from .results.reconfirm import reconfirm_table
from .results.result import PROPOSAL_KEYS, PROPOSAL_TAIL, MatchResult
from .solve import AssignmentModel, SolveResult, get_solver
from .timing import StageTimer
from .validation import ValidatedCaseload, validate_caseload
from .validation.notices import summarise_notices

__all__ = [
    "MatchInstance",
    "StageTimer",
    "TableSource",
    "build_instance",
    "fingerprint",
    "match",
    "match_validated",
    "read_inputs",
]


logger = logging.getLogger(__name__)


#: Columns that identify a table's content for the fingerprint (order-independent hash).
_ID_COLUMN = {"volunteers": "volunteer_id", "requests": "request_id", "assignments": "request_id"}


def match(
    volunteers: TableSource,
    requests: TableSource,
    assignments: TableSource | None = None,
    config: MatchConfig | None = None,
    *,
    strict: bool | None = None,
    timer: StageTimer | None = None,
) -> MatchResult:
    """Propose volunteers for open requests: exact, explained, and no input row lost.

    Reads and validates the inputs, then runs [`match_validated`][lotsen_match.match_validated].
    Strict mode raises one error listing every problem of every table, because a coordinator
    fixing a file wants the whole list at once; lenient mode moves invalid rows to
    ``result.rejected`` and matches the rest.

    Parameters
    ----------
    volunteers
        The volunteer pool in the columns of the data contract: a DataFrame, a path to a CSV,
        Parquet or Excel file, or a list of [`Volunteer`][lotsen_match.Volunteer] records
        or dicts, one per row.
    requests
        The requests, open and active, in the same forms
        ([`HelpRequest`][lotsen_match.HelpRequest] records).
    assignments
        The pairs before this run (active, proposed, declined, ended), in the same forms
        ([`Assignment`][lotsen_match.Assignment] records); None when there are none.
    config
        The run's settings; None for the defaults (``as_of`` is today).
    strict
        Strict or lenient validation for this call; None follows ``config.strict``.
    timer
        Observes the stages (read, validate, encode, candidates, score, model, solve,
        explain); ``summary["timings_s"]`` has their seconds either way.

    Returns
    -------
    MatchResult
        Proposals, unmatched requests with reasons, next-best alternatives, rejected rows
        and the run's summary.

    Raises
    ------
    InputValidationError
        Invalid rows (strict mode) or missing required columns (both modes); its
        ``problems`` table names file, row, column and value.
    InputFileNotFoundError
        A path that names no file.
    InputFormatError
        A file that cannot be read as a table, or one beyond the size limits
        (``InputLimitError``, a subclass).
    ArgumentTypeError
        An argument of the wrong type (``None`` as a table, a dict as config, ...).
    ArgumentError
        ``config.ingest.columns`` gives two columns of a table the same name, or a
        DataFrame's ``_row`` column holds no integer row numbers.
    ConfigError
        A setting that only fails in use: the places table or ``near`` of
        ``config.ingest``, or the ``rules.success_model`` file.
    SolverError
        The solver backend failed or returned no usable solution.
    """
    for name, table in (("volunteers", volunteers), ("requests", requests)):
        check_table_source(table, name)
    check_table_source(assignments, "assignments", optional=True)
    cfg = check_instance(config, MatchConfig, "config", CONFIG_HELP, optional=True) or MatchConfig()
    strict = check_flag(strict, "strict")
    timer = check_instance(timer, StageTimer, "timer", "a StageTimer or None", optional=True)
    timer = timer or StageTimer()
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
    del raw  # the stages use the validated frames; the frames as read would only add to the peak
    return match_validated(caseload, cfg, timer=timer)


@dataclass(frozen=True)
class MatchInstance:
    """Everything ``match()`` builds before solving: the encoded problem, the admissible pairs,
    their quality, and the household model the solvers optimise. The score components of the
    few edges an explanation shows are computed afterwards (``scoring.EdgeComponents``)."""

    problem: MatchProblem
    cand: Candidates
    quality: npt.NDArray[np.float64]
    household: HouseholdModel
    names: tuple[str, ...] = COMPONENTS
    """The score components of the run (``success`` last when a model is configured)."""
    model_card: dict[str, Any] | None = None
    """The card of the success model used, if any."""
    success: npt.NDArray[np.floating[Any]] | None = None
    """The learned ``success`` component per edge (``COMPONENT_DTYPE``), with a model only."""

    def components(
        self, config: MatchConfig, edges: npt.NDArray[np.integer[Any]] | None = None
    ) -> npt.NDArray[np.floating[Any]]:
        """The component matrix (columns ``names``) of all edges or of ``edges``, built on
        demand: ``match()`` itself never holds it for all edges (``quality`` is fused)."""
        comps = score_components(self.problem, self.cand, config, edges=edges)
        if self.success is None:
            return comps
        success = self.success if edges is None else self.success[edges]
        return np.asfortranarray(
            np.column_stack([comps, success.astype(COMPONENT_DTYPE)]), dtype=COMPONENT_DTYPE
        )


def build_instance(
    caseload: ValidatedCaseload, config: MatchConfig, *, timer: StageTimer | None = None
) -> MatchInstance:
    """Encode, find admissible pairs, score them and build the household model (timed stages).

    ``match()`` solves the result; tests and benchmarks hand ``instance.household.model`` to
    other backends so that every method sees exactly the same model.
    """
    timer = timer or StageTimer()
    names = component_names(config)
    model = None
    if SUCCESS in names and config.rules.success_model is not None:
        from .learn.model import load_success_model  # scikit-learn and skops load only here

        model = load_success_model(config.rules.success_model)  # fails before any work is done
    with timer.stage("encode"):
        problem = build_problem(
            caseload.volunteers, caseload.requests, caseload.assignments, config
        )
    with timer.stage("candidates"):
        cand = find_candidates(problem, config)
    with timer.stage("score"):
        success = None
        if model is not None:
            from .learn.apply import success_component

            continuity = continuity_of_edges(problem, cand)
            values, _ = success_component(
                problem, cand, continuity, caseload.assignments, config, model
            )
            del continuity
            success = values.astype(COMPONENT_DTYPE)
        q = score_quality(problem, cand, config, success)
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
    return MatchInstance(
        problem, cand, q, hm, names, None if model is None else dict(model.card), success
    )


def match_validated(
    caseload: ValidatedCaseload,
    config: MatchConfig,
    *,
    timer: StageTimer | None = None,
    instance: MatchInstance | None = None,
    solved: SolveResult | None = None,
) -> MatchResult:
    """Run the matching stages on an already validated caseload.

    Stages: encode, candidates, score, model, solve, explain. The explanation work that
    does not depend on the solution runs on the main thread while the solver runs on another
    (in parallel where the backend releases the GIL), so it is part of the solve stage's time;
    ``summary["solver"]["wall_seconds"]`` is the solver's own time.

    Parameters
    ----------
    caseload
        What [`validate_caseload`][lotsen_match.validate_caseload] returned.
    config
        The run's settings; the same config the caseload was validated with.
    timer
        Observes the stages; ``summary["timings_s"]`` has their seconds either way.
    instance
        The encoded problem, pairs, scores and model of this caseload (``build_instance``),
        to skip those stages: the desk API passes the plan it holds and gets exactly the
        tables a run would give.
    solved
        A solution of ``instance``'s model, to skip the solve as well; None solves.

    Returns
    -------
    MatchResult
        As [`match`][lotsen_match.match] returns it.

    Raises
    ------
    ArgumentTypeError
        ``caseload``, ``config`` or ``timer`` of the wrong type.
    ArgumentError
        Frames that are not clean (a ``ValidatedCaseload`` built by hand).
    ConfigError
        The ``rules.success_model`` file is missing, unreadable or of another feature
        version.
    SolverError
        The solver backend failed or returned no usable solution.
    """
    check_instance(caseload, ValidatedCaseload, "caseload", "what validate_caseload() returns")
    check_instance(config, MatchConfig, "config", CONFIG_HELP)
    timer = check_instance(timer, StageTimer, "timer", "a StageTimer or None", optional=True)
    timer = timer or StageTimer()
    inst = instance if instance is not None else build_instance(caseload, config, timer=timer)
    problem, cand, q, hm = inst.problem, inst.cand, inst.quality, inst.household
    with timer.stage("solve"):
        solver = get_solver(
            config.solver.name,
            time_limit_s=config.solver.time_limit_s,
            num_workers=config.solver.num_workers,
        )
        # The explanation work that does not depend on the solution runs meanwhile (its time
        # is part of this stage's). OR-Tools' min cost flow (9.15) holds the GIL for its whole
        # solve, so with the flow this overlaps the network building and the certificate only.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotsen-solve") as pool:
            pending = None if solved else pool.submit(solver.solve, hm.model)
            prep = _Prepared.build(caseload, problem, cand, q, config)
            if pending is not None:
                solved = pending.result()
    assert solved is not None
    with timer.stage("explain"):
        arc_sel = solved.selected
        in_flow = hm.edge_arc >= 0
        edge_sel = hm.direct.copy()
        edge_sel[in_flow] = arc_sel[hm.edge_arc[in_flow]]
        used = np.bincount(
            hm.model.arc_volunteer[arc_sel], minlength=problem.v_capacity.shape[0]
        ).astype(np.int32)
        full_after = (hm.volunteer_free - used) <= 0
        alt_idx, alt_rank = prep.ranked.without(edge_sel, config.report.max_alternatives)
        shown = np.concatenate(
            [np.flatnonzero(edge_sel), alt_idx, np.zeros(min(cand.n_edges, 1), dtype=np.int64)]
        )
        comps = EdgeComponents(problem, cand, config, shown, inst.success)
        proposals = _proposals(problem, cand, comps, q, edge_sel, used, prep.req_frame, inst.names)
        alternatives = _alternatives(
            problem, cand, comps, q, edge_sel, full_after, alt_idx, alt_rank, inst.names
        )
        best_idx, _ = prep.ranked.without(edge_sel, 1)
        unmatched = _unmatched(
            problem, cand, q, edge_sel, hm.model, arc_sel, full_after, best_idx, prep, config
        )
        reconfirm = reconfirm_table(problem, prep.req_frame, proposals)
    summary = _summary(
        caseload, problem, cand, hm.base, solved, proposals, unmatched, prep.fingerprints, config
    )
    summary["counts"]["reconfirm"] = len(reconfirm)
    if inst.model_card is not None:
        summary["success_model"] = {
            "name": inst.model_card.get("name"),
            "path": str(config.rules.success_model),
            "feature_version": inst.model_card.get("feature_version"),
            "training_period": inst.model_card.get("training_period"),
            "training_rows": inst.model_card.get("rows", {}).get("training"),
            "weight": config.weights.success,
        }
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
        notices=caseload.notices,
        summary=summary,
        components=inst.names,
        funnel_steps=FUNNEL_STEPS,
        active_request_ids=frozenset(problem.request_ids[problem.r_is_active].tolist()),
        volunteers=caseload.volunteers,
        requests=caseload.requests,
        assignments=caseload.assignments,
        config=config,
        reconfirm=reconfirm,
    )


#: Edges per block when packing the ranking keys.
_PACK_BLOCK: Final[int] = 1 << 20


@dataclass(frozen=True, slots=True)
class _RankedEdges:
    """The best ``k + 1`` edges of every request by quality (ties: lower volunteer index).

    One selected edge per request at most, so dropping it leaves the best ``k`` unselected
    edges, which is what the alternatives need; ranking happens before the solution is known.
    """

    idx: npt.NDArray[np.int64]
    """Edge indices grouped by request, best first."""
    req: npt.NDArray[np.int32]

    @classmethod
    def build(cls, cand: Candidates, q: npt.NDArray[np.float64], k: int) -> _RankedEdges:
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
class _Prepared:
    """Explanation inputs that do not depend on the solution (built while the solver runs)."""

    req_frame: pd.DataFrame
    ranked: _RankedEdges
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
    ) -> _Prepared:
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
            ranked=_RankedEdges.build(cand, q, max(config.report.max_alternatives, 1)),
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


def _proposals(
    problem: MatchProblem,
    cand: Candidates,
    comps: EdgeComponents,
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    used: npt.NDArray[np.int32],
    req_frame: pd.DataFrame,
    names: tuple[str, ...] = COMPONENTS,
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


def _alternatives(
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


def _unmatched(
    problem: MatchProblem,
    cand: Candidates,
    q: npt.NDArray[np.float64],
    edge_sel: npt.NDArray[np.bool_],
    model: AssignmentModel,
    arc_sel: npt.NDArray[np.bool_],
    full_after: npt.NDArray[np.bool_],
    best_idx: npt.NDArray[np.int64],
    prep: _Prepared,
    config: MatchConfig,
) -> pd.DataFrame:
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
    lang_codes = np.array([_admissible_codes(s, min_level) for s in uniq_langs], dtype=object)
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


def _admissible_codes(languages: str, min_level: int) -> str:
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


def _summary(
    caseload: ValidatedCaseload,
    problem: MatchProblem,
    cand: Candidates,
    base: int,
    solved: SolveResult,
    proposals: pd.DataFrame,
    unmatched: pd.DataFrame,
    fingerprints: dict[str, str],
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
            "objective_kind": config.rules.objective,
            "base_per_request": int(base),
            "scale": SCALE,
            "wall_seconds": round(float(solved.wall_seconds), 6),
        },
        "quality_total": round(quality_total, 4),
        "fingerprints": dict(fingerprints),
        "notices": summarise_notices(caseload.notices),
        "config": config.to_json_dict(),
    }


def _ids_or_empty(ids: npt.NDArray[np.object_], index: npt.NDArray[np.integer[Any]]) -> Any:
    """``ids[index]`` where ``index >= 0``, else "" (also when there are no ids at all)."""
    out = np.full(index.shape, "", dtype=object)
    ok = index >= 0
    out[ok] = ids[index[ok]]
    return out
