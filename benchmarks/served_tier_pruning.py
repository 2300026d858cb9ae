"""Experiment (issue 16): drop the arcs the served tier rules out, then one flow on the rest.

    python benchmarks/served_tier_pruning.py            # dense statewide

Under ``max_served`` the model's objective is lexicographic: first the requests served, then
quality and load. Every optimal plan therefore serves the most requests, and by complementary
slackness it uses only arcs that are tight for *any* optimal dual of the served tier alone
(value = requests the arc serves, slots free of cost): with volunteer prices ``p`` and
household duals ``u[h] = max(0, max_v served[h, v] - p[v])``, an arc with
``served - p[v] < u[h]`` is in no optimal plan. So with exact served-tier prices the arcs can be
cut before the real solve without losing anything (no check or re-solve needed; the usual
certificate still runs). :func:`served_tier_arcs` does that from the least prices that
:func:`~lotsen_match.solve.certificate.certify` constructs for an optimal served-tier plan;
``tests/solve/test_served_tier_pruning.py`` checks on random models that the optimum over the
arcs kept equals the optimum over all.

Measured on the dense statewide caseload (11.8 M household arcs, 2 cores, one run, wall
seconds, the machine about 1.4x slower than on a quiet day: one flow over all arcs took 16.4 s
including loading the model):

* the served tier alone, as an OR-Tools min cost flow over all arcs: 19.2 s (slower than the
  real objective: almost every arc costs the same, and cost scaling spends its phases on the
  ties); its least prices: 0.6 s in 9 rounds;
* arcs kept: 3.56 M of 11.8 M; the flow on them: 6.9 s, the same objective as over all arcs,
  and the certificate for the whole model passes (1.1 s);
* cheaper served-tier prices do not do: summing the minimum cuts of one OR-Tools max flow per
  served level (König covers, 4.8 s, 3.7 s of it the level with every arc) gives a dual of
  53,806 requests against the optimum of 52,358 (arcs serve different parts of a household, so
  the levels do not nest), and the flow on the 3.63 M arcs it keeps misses the optimum.

So the cut itself would save about 5 s of flow, but exact served-tier prices cost more than it
saves; not adopted. The script keeps the measurement reproducible.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from lotsen_match.solve.model import AssignmentModel

__all__ = ["served_tier_arcs", "served_tier_model", "tight_arcs"]


def served_tier_model(model: AssignmentModel) -> AssignmentModel:
    """The served tier alone: an arc is worth the requests it serves, slots cost nothing."""
    if model.arc_served is None or model.served_value == 0:
        raise ValueError("the model has no served tier (objective 'max_served' makes one)")
    return dataclasses.replace(
        model,
        arc_value=model.arc_served.astype(np.int64),
        slot_cost=np.zeros_like(model.slot_cost),
        arc_served=None,
        served_value=0,
    )


def tight_arcs(model: AssignmentModel, prices: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Arcs whose served count net of their volunteer's price is their household's best (or 0)."""
    assert model.arc_served is not None
    net = model.arc_served.astype(np.int64) - prices[model.arc_volunteer]
    best = np.zeros(model.n_households, dtype=np.int64)  # staying unmatched is worth 0
    np.maximum.at(best, model.arc_household, net)
    return np.flatnonzero(net == best[model.arc_household])


def served_tier_arcs(model: AssignmentModel) -> npt.NDArray[np.intp]:
    """The arcs an optimal plan of the lexicographic model may use: tight at exact served-tier
    prices (an optimal served-tier plan from the flow, its least prices from ``certify``)."""
    from lotsen_match.solve import MinCostFlowSolver
    from lotsen_match.solve.certificate import certify

    tier = served_tier_model(model)
    plan = MinCostFlowSolver().solve(tier).selected
    proof = certify(tier, plan)
    if not proof.optimal:  # cannot happen for a flow optimum; kept as a loud check
        raise RuntimeError(f"no served-tier certificate: {proof.reason}")
    return tight_arcs(model, proof.prices)


def subset(model: AssignmentModel, arcs: npt.NDArray[np.intp]) -> AssignmentModel:
    """The model restricted to ``arcs`` (households, volunteers and slots unchanged)."""
    assert model.arc_served is not None
    return dataclasses.replace(
        model,
        arc_household=model.arc_household[arcs],
        arc_volunteer=model.arc_volunteer[arcs],
        arc_value=model.arc_value[arcs],
        arc_served=model.arc_served[arcs],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()

    from arc_pruning import dense_model  # this directory: run as a script

    from lotsen_match.solve import MinCostFlowSolver
    from lotsen_match.solve.certificate import certify

    m = dense_model(args.volunteers, args.requests)
    start = time.perf_counter()
    full = MinCostFlowSolver().solve(m)
    print(f"one flow over all arcs (with its certificate): {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    keep = served_tier_arcs(m)
    print(f"served-tier flow and prices: {time.perf_counter() - start:.1f} s")
    print(f"{keep.size:,} of {m.n_arcs:,} arcs kept")
    start = time.perf_counter()
    pruned: Any = MinCostFlowSolver().solve(subset(m, keep))
    print(f"flow on the kept arcs (with its certificate): {time.perf_counter() - start:.1f} s")
    selected = np.zeros(m.n_arcs, dtype=np.bool_)
    selected[keep[pruned.selected]] = True
    proof = certify(m, selected)
    print(
        f"certificate for the whole model: {proof.optimal}; objective "
        f"{m.objective_of(selected)} against {full.objective}"
    )


if __name__ == "__main__":
    main()
