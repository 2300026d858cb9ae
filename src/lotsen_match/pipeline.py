"""``match()``: read, validate, encode, find admissible pairs, score, solve, explain.

Each stage is timed; no stage creates a Python object per candidate pair. Two cores are used
where it pays: candidate generation and scoring split their blocks over threads, and the
explanation work that does not need the solution (ranking alternatives, nearest speakers,
fingerprints) runs in parallel with the solver wherever the backend lets go of the GIL (the
default flow backend holds it inside OR-Tools, so there it overlaps the network building and
the certificate only).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import __version__
from .arguments import CONFIG_HELP, check_flag, check_instance, check_table_source
from .config import MatchConfig
from .core.assignment import SCALE, HouseholdModel, household_model_of
from .core.candidates import FUNNEL_STEPS, Candidates, find_candidates
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
from .io.inputs import TableSource, read_inputs
from .results.reconfirm import reconfirm_table
from .results.result import MatchResult
from .results.summary import RunCounts, RunSummary
from .results.tables import (
    ExplanationInputs,
    alternatives_table,
    proposals_table,
    unmatched_table,
)
from .solve import SolveResult, get_solver
from .timing import StageTimer
from .validation import ValidatedCaseload, validate_caseload
from .validation.notices import summarise_notices

if TYPE_CHECKING:
    from .learn.model import SuccessModel

__all__ = [
    "MatchInstance",
    "StageTimer",
    "TableSource",
    "build_instance",
    "match",
    "match_validated",
    "read_inputs",
]


logger = logging.getLogger(__name__)


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
    caseload: ValidatedCaseload,
    config: MatchConfig,
    *,
    timer: StageTimer | None = None,
    success_model: SuccessModel | None = None,
) -> MatchInstance:
    """Encode, find admissible pairs, score them and build the household model (timed stages).

    ``match()`` solves the result; tests and benchmarks hand ``instance.household.model`` to
    other backends so that every method sees exactly the same model. ``success_model`` is
    ``config.rules.success_model`` already loaded (the desk builds often; loading a gradient
    boosting model takes a good part of a second); None loads it when the config names one.
    """
    timer = timer or StageTimer()
    names = component_names(config)
    model = None
    if SUCCESS in names and config.rules.success_model is not None:
        from .learn.model import load_success_model  # scikit-learn and skops load only here

        # Fails before any work is done.
        model = success_model or load_success_model(config.rules.success_model)
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
        hm = household_model_of(problem, cand, q, config)
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
            prep = ExplanationInputs.build(caseload, problem, cand, q, config)
            if pending is not None:
                solved = pending.result()
    assert solved is not None
    with timer.stage("explain"):
        arc_sel = solved.selected
        edge_sel = hm.chosen_edges(arc_sel)
        used = np.bincount(
            hm.model.arc_volunteer[arc_sel], minlength=problem.v_capacity.shape[0]
        ).astype(np.int32)
        full_after = (hm.volunteer_free - used) <= 0
        alt_idx, alt_rank = prep.ranked.without(edge_sel, config.report.max_alternatives)
        shown = np.concatenate(
            [np.flatnonzero(edge_sel), alt_idx, np.zeros(min(cand.n_edges, 1), dtype=np.int64)]
        )
        comps = EdgeComponents(problem, cand, config, shown, inst.success)
        proposals = proposals_table(
            problem, cand, comps, q, edge_sel, used, prep.req_frame, inst.names
        )
        alternatives = alternatives_table(
            problem, cand, comps, q, edge_sel, full_after, alt_idx, alt_rank, inst.names
        )
        best_idx, _ = prep.ranked.without(edge_sel, 1)
        unmatched = unmatched_table(
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
) -> RunSummary:
    n_active = int(problem.r_is_active.sum())
    n_open = len(problem.request_ids) - n_active
    served = len(proposals)
    counts: RunCounts = {
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
