"""Benchmark: does the learned success component pick plans with more completed accompaniments?

On a generated caseload with a simulated history (``generate_caseload(..., history=N)``), whose
outcomes come from the hidden ground truth of ``lotsen_match.generate_history``:

1. ``fit_success_model`` learns from the history (the truth is never shown to it);
2. three plans are solved with the same exact solver on the same admissible pairs:
   ``default`` (the hand weights, no success component), ``learned`` (the hand weights plus
   the learned probability as component ``success`` with weight W) and ``oracle`` (the same,
   with the true probability as ``success``);
3. each plan's expected completed accompaniments = the sum of the true probability over its
   proposals; the share of the oracle's gain captured is
   ``(learned - default) / (oracle - default)``.

Under ``max_served`` all three plans serve the same number of requests (checked); under
``quality`` they need not. Results go to ``benchmarks/results/learning.json``.

    .venv/bin/python benchmarks/bench_learning.py                    # the README figures
    .venv/bin/python benchmarks/bench_learning.py --fit-rows 100000  # also time a 100k fit
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import lotsen_match as lm
from lotsen_match.core.assignment import build_household_model
from lotsen_match.core.scoring import quality
from lotsen_match.generate_history import true_success_probability
from lotsen_match.ingest.places import places_within
from lotsen_match.learn import fit_success_model
from lotsen_match.pipeline import MatchInstance, build_instance
from lotsen_match.solve import get_solver
from lotsen_match.validation import validate_caseload

AS_OF = dt.date(2026, 11, 2)
RESULTS = Path(__file__).resolve().parent / "results" / "learning.json"


def _experience(assignments: pd.DataFrame, ids: np.ndarray, as_of: dt.date) -> np.ndarray:
    """Accompaniments each volunteer (in problem order) started before ``as_of``."""
    dated = assignments[assignments["started_on"].notna()]
    dated = dated[pd.to_datetime(dated["started_on"]) < pd.Timestamp(as_of)]
    counts = dated["volunteer_id"].value_counts()
    return counts.reindex(ids).fillna(0).to_numpy(dtype=np.float64)


def solve_plan(inst: MatchInstance, q: np.ndarray, config: lm.MatchConfig) -> np.ndarray:
    """Edge mask of the exact plan maximising ``q`` under ``config`` (pipeline's own decoding)."""
    p, cand = inst.problem, inst.cand
    hm = build_household_model(
        edge_req=cand.req,
        edge_vol=cand.vol,
        edge_quality=q,
        r_household=p.r_household,
        h_active_volunteer=p.h_active_volunteer,
        v_capacity=p.v_capacity,
        v_active_households=p.v_active_households,
        config=config,
    )
    solved = get_solver("flow").solve(hm.model)
    assert solved.optimal
    sel = hm.direct.copy()
    in_flow = hm.edge_arc >= 0
    sel[in_flow] = solved.selected[hm.edge_arc[in_flow]]
    return np.asarray(sel, dtype=bool)


def compare(caseload: Any, model_path: Path, weight: float, objective: str) -> dict[str, Any]:
    """Default, learned and oracle plans on one caseload; expected completions of each."""
    base = lm.MatchConfig(as_of=AS_OF, objective=objective)  # type: ignore[arg-type]
    learned_cfg = base.model_copy(
        update={
            "success_model": model_path,
            "weights": base.weights.model_copy(update={"success": weight}),
        }
    )
    validated = validate_caseload(
        caseload.volunteers, caseload.requests, caseload.assignments, config=base
    )
    t = time.perf_counter()
    inst = build_instance(validated, learned_cfg)
    seconds_with_model = time.perf_counter() - t
    p, cand = inst.problem, inst.cand
    experience = _experience(caseload.assignments, p.volunteer_ids, AS_OF)
    truth = true_success_probability(p, cand.req, cand.vol, experience[cand.vol])
    comps = inst.components(learned_cfg)
    names = inst.names
    plans: dict[str, np.ndarray] = {}
    plans["default"] = solve_plan(inst, quality(comps[:, :-1], base.weights), base)
    plans["learned"] = solve_plan(inst, inst.quality, learned_cfg)
    oracle = comps.copy()
    oracle[:, names.index("success")] = truth
    plans["oracle"] = solve_plan(inst, quality(oracle, learned_cfg.weights, names), learned_cfg)
    out: dict[str, Any] = {"objective": objective, "success_weight": weight}
    for name, sel in plans.items():
        out[name] = {
            "served": int(np.count_nonzero(sel)),
            "expected_completed": round(float(truth[sel].sum()), 3),
            "completed_rate": round(float(truth[sel].mean()), 4) if sel.any() else 0.0,
        }
    gain = out["oracle"]["expected_completed"] - out["default"]["expected_completed"]
    got = out["learned"]["expected_completed"] - out["default"]["expected_completed"]
    out["oracle_gain"] = round(gain, 3)
    out["learned_gain"] = round(got, 3)
    out["share_of_oracle_gain"] = round(got / gain, 4) if gain > 0 else None
    out["oracle_gain_pct"] = round(100 * gain / out["default"]["expected_completed"], 2)
    out["admissible_pairs"] = cand.n_edges
    out["build_seconds_with_model"] = round(seconds_with_model, 2)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    places = places_within(52.3759, 9.7320, args.radius_km)
    t = time.perf_counter()
    caseload = lm.generate_caseload(
        args.volunteers,
        args.requests,
        seed=args.seed,
        as_of=AS_OF,
        places=places,
        history=args.history,
    )
    gen_seconds = time.perf_counter() - t
    all_requests = pd.concat([caseload.requests, caseload.closed_requests], ignore_index=True)
    t = time.perf_counter()
    model = fit_success_model(
        caseload.assignments, caseload.volunteers, all_requests, lm.MatchConfig(as_of=AS_OF)
    )
    fit_seconds = time.perf_counter() - t
    result: dict[str, Any] = {
        "caseload": {
            "volunteers": args.volunteers,
            "requests": args.requests,
            "history_requested": args.history,
            "history_ended_rows": int((caseload.assignments["status"] == "ended").sum()),
            "region": f"{args.radius_km:g} km around Hannover",
            "seed": args.seed,
            "generate_seconds": round(gen_seconds, 2),
        },
        "model": {
            "name": model.name,
            "training_rows": model.card["rows"]["training"],
            "fit_seconds": round(fit_seconds, 2),
            "metrics": model.card["metrics"],
            "largest_gaps": model.card["largest_gaps"],
            "flagged_groups": int(model.fairness["flagged"].sum()),
        },
        "plans": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.skops"
        model.save(path)
        for objective in ("max_served", "quality"):
            for weight in args.weights:
                result["plans"].append(compare(caseload, path, weight, objective))
    if args.fit_rows:
        result["fit_100k"] = time_large_fit(args.fit_rows, args.seed)
    result["machine"] = {
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    return result


def time_large_fit(rows: int, seed: int) -> dict[str, Any]:
    """Generate a statewide history of about ``rows`` ended pairings and time the fit."""
    caseload = lm.generate_caseload(
        max(rows // 8, 2000), 100, seed=seed + 1, as_of=AS_OF, history=rows
    )
    all_requests = pd.concat([caseload.requests, caseload.closed_requests], ignore_index=True)
    t = time.perf_counter()
    model = fit_success_model(
        caseload.assignments, caseload.volunteers, all_requests, lm.MatchConfig(as_of=AS_OF)
    )
    seconds = time.perf_counter() - t
    return {
        "history_rows": int((caseload.assignments["status"] == "ended").sum()),
        "training_rows": model.card["rows"]["training"],
        "fit_seconds_total": round(seconds, 1),
        "includes": "validation, features, 5-fold GroupKFold + time split + final fit, "
        "each a 3-fold calibrated gradient boosting (21 boosting fits), one thread",
        "metrics": model.card["metrics"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=1200)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--history", type=int, default=12000)
    parser.add_argument("--radius-km", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weights", type=float, nargs="+", default=[10.0])
    parser.add_argument("--fit-rows", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
