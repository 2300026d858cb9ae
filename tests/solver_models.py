"""Random small assignment models and their brute-force optimum (solver tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from lotsen_match.solve import AssignmentModel

__all__ = ["brute_force_optimum", "dense_models", "models"]


@st.composite
def models(draw: st.DrawFn) -> AssignmentModel:
    """Up to 8 households x 5 volunteers, a random arc subset, up to 3 convex slots each."""
    n_h = draw(st.integers(0, 8))
    n_v = draw(st.integers(0, 5))
    pairs = [(h, v) for h in range(n_h) for v in range(n_v)]
    arcs = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    values = draw(st.lists(st.integers(-50, 1000), min_size=len(arcs), max_size=len(arcs)))
    slot_lists = [sorted(draw(st.lists(st.integers(0, 600), max_size=3))) for _ in range(n_v)]
    return AssignmentModel(
        n_households=n_h,
        n_volunteers=n_v,
        arc_household=np.array([h for h, _ in arcs], dtype=np.int32),
        arc_volunteer=np.array([v for _, v in arcs], dtype=np.int32),
        arc_value=np.array(values, dtype=np.int64),
        slot_offsets=np.concatenate(([0], np.cumsum([len(s) for s in slot_lists]))).astype(
            np.int64
        ),
        slot_cost=np.array([c for s in slot_lists for c in s], dtype=np.int64),
    )


def brute_force_optimum(model: AssignmentModel) -> int:
    """Exhaustive search over each household's choice (tiny models only)."""
    options: list[list[int]] = [[] for _ in range(model.n_households)]
    for arc, h in enumerate(model.arc_household.tolist()):
        options[h].append(arc)
    best = 0
    selected = np.zeros(model.n_arcs, dtype=np.bool_)

    def walk(h: int) -> None:
        nonlocal best
        if h == model.n_households:
            if np.all(model.volunteer_load(selected) <= model.n_slots):
                best = max(best, model.objective_of(selected))
            return
        walk(h + 1)
        for arc in options[h]:
            selected[arc] = True
            walk(h + 1)
            selected[arc] = False

    walk(0)
    return best


@st.composite
def dense_models(
    draw: st.DrawFn, *, lexicographic: bool | None = None, min_density: float = 0.5
) -> AssignmentModel:
    """Random dense models of up to 40 households x 12 volunteers: most pairs are arcs, few
    slots. Arcs serve 1-3 requests; a ``lexicographic`` model (as under ``max_served``; None:
    drawn) values a served request above every quality and slot cost sum, so serving the most
    requests comes first."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_h, n_v = draw(st.integers(1, 40)), draw(st.integers(1, 12))
    h, v = np.nonzero(rng.random((n_h, n_v)) < draw(st.floats(min_density, 1.0)))
    served = rng.integers(1, 4, size=h.size).astype(np.int32)
    if lexicographic is None:
        lexicographic = draw(st.booleans())
    # Quality lies in [-500, 10,000) per served request (3 per household), slots cost < 3,000.
    base = 10_500 * 3 * n_h + 3_000 * 3 * n_v + 1 if lexicographic else 0
    slots = rng.integers(0, 4, size=n_v)
    cost = [np.sort(rng.integers(0, 3_000, size=k)) for k in slots]
    return AssignmentModel(
        n_households=n_h,
        n_volunteers=n_v,
        arc_household=h.astype(np.int32),
        arc_volunteer=v.astype(np.int32),
        arc_value=rng.integers(-500, 10_000, size=h.size) * served + base * served,
        slot_offsets=np.concatenate(([0], np.cumsum(slots))).astype(np.int64),
        slot_cost=np.concatenate([np.zeros(0, np.int64), *cost]).astype(np.int64),
        arc_served=served if lexicographic else None,
        served_value=base,
    )
