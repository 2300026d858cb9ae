"""The desk's incremental assignment against brute force on small random models.

Every option a household gets is valued exactly (the brute-force optimum with that household
forced onto the volunteer, minus the current optimum), and carrying out the best option, or
evicting a volunteer, leaves a selection that brute force and the dual certificate confirm.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.desk.incremental import IncrementalAssignment
from lotsen_match.solve import AssignmentModel, MinCostFlowSolver
from lotsen_match.solve.certificate import certify

BASE = 100_001
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Case:
    """Households' arcs as {household: {volunteer: (served, rest)}} and slot costs per volunteer."""

    arcs: dict[int, dict[int, tuple[int, int]]]
    slots: list[list[int]]

    def optimum(self, forced: tuple[int, int] | None = None) -> int:
        """Brute-force best objective (``forced``: household h must be on volunteer v)."""
        households = sorted(self.arcs)
        choices = []
        for h in households:
            opts: list[int | None] = [None, *sorted(self.arcs[h])]
            if forced is not None and forced[0] == h:
                opts = [forced[1]]
            choices.append(opts)
        best = None
        for pick in itertools.product(*choices):
            load = [0] * len(self.slots)
            value = 0
            for h, v in zip(households, pick, strict=True):
                if v is None:
                    continue
                load[v] += 1
                served, rest = self.arcs[h][v]
                value += BASE * served + rest
            if any(n > len(s) for n, s in zip(load, self.slots, strict=True)):
                continue
            value -= sum(sum(s[:n]) for n, s in zip(load, self.slots, strict=True))
            best = value if best is None else max(best, value)
        assert best is not None
        return best

    def flow(self) -> IncrementalAssignment:
        rows = [(h, v, s, r) for h, arcs in self.arcs.items() for v, (s, r) in arcs.items()]
        rows.sort()
        h, v, s, r = (
            (np.array(c, dtype=np.int64).reshape(-1) for c in zip(*rows, strict=True))
            if rows
            else [np.zeros(0, np.int64)] * 4
        )
        offsets = np.concatenate(([0], np.cumsum([len(x) for x in self.slots]))).astype(np.int64)
        costs = np.array([c for x in self.slots for c in x], dtype=np.int64)
        n_h = max(self.arcs, default=-1) + 1
        model = AssignmentModel(
            n_households=n_h,
            n_volunteers=len(self.slots),
            arc_household=h.astype(np.int32),
            arc_volunteer=v.astype(np.int32),
            arc_value=BASE * s + r,
            slot_offsets=offsets,
            slot_cost=costs,
            arc_served=s.astype(np.int32),
            served_value=BASE,
        )
        solved = MinCostFlowSolver().solve(model)
        return IncrementalAssignment(
            n_households=n_h,
            slot_offsets=offsets,
            slot_cost=costs,
            arc_household=h,
            arc_volunteer=v,
            arc_served=s,
            arc_rest=r,
            selected=solved.selected,
            base=BASE,
        )


def value_of(flow: IncrementalAssignment) -> int:
    served, rest = flow.objective()
    return BASE * served + rest


def assert_certified(flow: IncrementalAssignment) -> None:
    model, selected, _ = flow.model()
    model.check_feasible(selected)
    assert certify(model, selected).optimal


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n_v = draw(st.integers(1, 4))
    n_h = draw(st.integers(0, 6))
    slots = [sorted(draw(st.lists(st.integers(0, 400), max_size=2))) for _ in range(n_v)]
    arcs = {}
    for h in range(n_h):
        vols = draw(st.lists(st.integers(0, n_v - 1), unique=True, max_size=n_v))
        arcs[h] = {v: (draw(st.integers(1, 2)), draw(st.integers(0, 1000))) for v in vols}
    return Case(arcs, slots)


@st.composite
def new_arcs(draw: st.DrawFn, n_v: int) -> dict[int, tuple[int, int]]:
    vols = draw(st.lists(st.integers(0, n_v - 1), unique=True, min_size=1, max_size=n_v))
    return {v: (draw(st.integers(1, 3)), draw(st.integers(0, 1000))) for v in vols}


def arrays(arcs: dict[int, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vols = sorted(arcs)
    return (
        np.array(vols, dtype=np.int64),
        np.array([arcs[v][0] for v in vols], dtype=np.int64),
        np.array([arcs[v][1] for v in vols], dtype=np.int64),
    )


@SETTINGS
@given(st.data())
def test_new_household_options_are_exact_forced_optima(data: st.DataObject) -> None:
    case = data.draw(cases())
    flow = case.flow()
    assert value_of(flow) == case.optimum()
    arcs = data.draw(new_arcs(len(case.slots)))
    opts = flow.options(-1, *arrays(arcs))
    grown = Case({**case.arcs, len(case.arcs): arcs}, case.slots)
    current = case.optimum()
    assert opts.none_gain == 0
    for i, v in enumerate(opts.volunteers.tolist()):
        if len(case.slots[v]) == 0:
            assert not opts.feasible[i]
            continue
        assert opts.feasible[i]
        assert int(opts.gain[i]) == grown.optimum(forced=(len(case.arcs), v)) - current
        served = opts.served_change(i)
        assert abs(int(opts.gain[i]) - BASE * served) < BASE // 2
    h, _ = flow.place(opts, opts.best())
    assert h == len(case.arcs)
    assert value_of(flow) == grown.optimum()
    assert_certified(flow)


@SETTINGS
@given(st.data())
def test_changed_household_options_are_exact(data: st.DataObject) -> None:
    case = data.draw(cases())
    if not case.arcs:
        return
    h = data.draw(st.sampled_from(sorted(case.arcs)))
    flow = case.flow()
    arcs = data.draw(st.one_of(st.just({}), new_arcs(len(case.slots))))
    opts = flow.options(h, *arrays(arcs))
    changed = Case({**case.arcs, h: arcs}, case.slots)
    current = case.optimum()
    without = Case({k: a for k, a in case.arcs.items() if k != h}, case.slots)
    assert opts.none_gain == without.optimum() - current
    for i, v in enumerate(opts.volunteers.tolist()):
        if opts.feasible[i]:
            assert int(opts.gain[i]) == changed.optimum(forced=(h, v)) - current
        else:
            assert len(case.slots[v]) == 0
    flow.place(opts, opts.best())
    assert value_of(flow) == changed.optimum()
    assert_certified(flow)


@SETTINGS
@given(st.data())
def test_evicting_a_volunteer_leaves_the_optimum_without_it(data: st.DataObject) -> None:
    case = data.draw(cases())
    v = data.draw(st.integers(0, len(case.slots) - 1))
    flow = case.flow()
    flow.evict(v)
    slots = [s if i != v else [] for i, s in enumerate(case.slots)]
    arcs = {h: {w: x for w, x in a.items() if w != v} for h, a in case.arcs.items()}
    assert value_of(flow) == Case(arcs, slots).optimum()
    assert flow.households_on(v).size == 0
    assert_certified(flow)
    assert flow.repairs == 0


@SETTINGS
@given(st.data())
def test_forcing_then_releasing_keeps_the_rest_optimal(data: st.DataObject) -> None:
    case = data.draw(cases())
    arcs = data.draw(new_arcs(len(case.slots)))
    flow = case.flow()
    opts = flow.options(-1, *arrays(arcs))
    feasible = np.flatnonzero(opts.feasible)
    if feasible.size == 0:
        return
    pick = int(data.draw(st.sampled_from(feasible.tolist())))
    h, _ = flow.place(opts, pick)
    v = flow.release(h)
    # The released household is active on v: v has one slot less, the first one taken.
    slots = [s if i != v else s[1:] for i, s in enumerate(case.slots)]
    assert value_of(flow) == Case(case.arcs, slots).optimum()
    assert_certified(flow)
    assert flow.repairs == 0
