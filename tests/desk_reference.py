"""Independent references for the desk API: exact optima by the pipeline's own flow solver.

``lex_optimum`` validates, builds and solves a state from scratch (nothing of the desk's
incremental machinery), optionally with one household forced onto one volunteer, and returns
the objective split into (requests served in the flow, quality net of load in cost units), so
states with different per-request base values compare exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lotsen_match import MatchConfig
from lotsen_match.pipeline import build_instance
from lotsen_match.solve import AssignmentModel, MinCostFlowSolver
from lotsen_match.validation import validate_caseload

from .checker import pair_violations


def lex_optimum(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None,
    config: MatchConfig,
    *,
    forced: tuple[str, str] | None = None,
) -> tuple[int, int] | None:
    """(served, rest) of the optimum; ``forced``: (request_id, volunteer_id) whose household
    must go to that volunteer (None if the household has no arc to it)."""
    case = validate_caseload(volunteers, requests, assignments, config=config)
    inst = build_instance(case, config)
    p, hm = inst.problem, inst.household
    model = hm.model
    counts = np.bincount(hm.edge_arc[hm.edge_arc >= 0], minlength=model.n_arcs).astype(np.int64)
    values = model.arc_value.copy()
    if forced is not None:
        r = int(np.searchsorted(p.request_ids, forced[0]))
        v = int(np.searchsorted(p.volunteer_ids, forced[1]))
        h = p.r_household[r]
        mine = model.arc_household == h
        target = mine & (model.arc_volunteer == v)
        if not target.any():
            return None
        big = int(np.abs(values).sum() + model.slot_cost.sum() + 1)
        values[mine & ~target] = -big
        values[target] += big
    solved = MinCostFlowSolver().solve(
        AssignmentModel(
            n_households=model.n_households,
            n_volunteers=model.n_volunteers,
            arc_household=model.arc_household.copy(),
            arc_volunteer=model.arc_volunteer.copy(),
            arc_value=values,
            slot_offsets=model.slot_offsets.copy(),
            slot_cost=model.slot_cost.copy(),
        )
    )
    selected = solved.selected
    if forced is not None:
        assert selected[np.flatnonzero(target)[0]]
    served = int(counts[selected].sum())
    return served, model.objective_of(selected) - hm.base * served


def row_dict(frame: pd.DataFrame, key: str, value: str) -> dict[str, Any]:
    """One row as a record dict (missing cells as None, timestamps as dates)."""
    row = frame.loc[frame[key] == value].iloc[0].to_dict()
    out: dict[str, Any] = {}
    for name, cell in row.items():
        missing = cell is None or cell is pd.NaT or (isinstance(cell, float) and math.isnan(cell))
        if missing or (not isinstance(cell, str | bool) and pd.isna(cell)):
            cell = None
        elif isinstance(cell, pd.Timestamp):
            cell = cell.date()
        out[str(name)] = cell
    return out


def admissible_volunteers(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame,
    request: dict[str, Any],
    config: MatchConfig,
) -> set[str]:
    """Volunteers that may take ``request`` (SPEC rules 1-10 as far as one pair goes)."""
    active = assignments[assignments["status"] == "active"]
    declined = {
        (str(r), str(v))
        for r, v in zip(
            assignments.loc[assignments["status"] == "declined", "request_id"],
            assignments.loc[assignments["status"] == "declined", "volunteer_id"],
            strict=True,
        )
    }

    def household(rid: str, row: dict[str, Any] | None = None) -> str:
        if row is None:
            hit = requests.loc[requests["request_id"] == rid, "household_id"]
            value = hit.iloc[0] if len(hit) else None
        else:
            value = row.get("household_id")
        text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        return f"H:{text}" if text else f"R:{rid}"

    own = household(str(request["request_id"]), request)
    loads: dict[str, set[str]] = {}
    with_household: set[str] = set()
    for rid, vid in zip(active["request_id"], active["volunteer_id"], strict=True):
        hh = household(str(rid))
        loads.setdefault(str(vid), set()).add(hh)
        if hh == own:
            with_household.add(str(vid))
    out = set()
    for v in volunteers.to_dict("records"):
        vid = str(v["volunteer_id"])
        bad = pair_violations(
            v,
            request,
            as_of=config.as_of,
            min_level=config.rules.min_language_level,
            default_km=config.rules.default_max_distance_km,
            declined=declined,
        )
        if bad:
            continue
        if with_household and vid not in with_household:
            continue
        if vid not in with_household and int(v["capacity"]) <= len(loads.get(vid, set())):
            continue
        out.add(vid)
    return out


def objective_of(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None,
    proposals: pd.DataFrame,
    config: MatchConfig,
) -> int:
    """The objective a set of proposals reaches in the model of a state built from scratch."""
    case = validate_caseload(volunteers, requests, assignments, config=config)
    inst = build_instance(case, config)
    p, cand, hm = inst.problem, inst.cand, inst.household
    width = max(p.n_volunteers, 1)
    req = np.searchsorted(p.request_ids, proposals["request_id"].to_numpy(dtype=object))
    vol = np.searchsorted(p.volunteer_ids, proposals["volunteer_id"].to_numpy(dtype=object))
    edges = np.searchsorted(cand.req.astype(np.int64) * width + cand.vol, req * width + vol)
    arcs = hm.edge_arc[edges]
    selected = np.zeros(hm.model.n_arcs, dtype=np.bool_)
    selected[arcs[arcs >= 0]] = True
    hm.model.check_feasible(selected)
    return hm.model.objective_of(selected)
