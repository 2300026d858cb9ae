"""The household assignment a Matcher holds between calls, and exact changes to it.

The plan is an optimal selection of the assignment model (households on volunteer slots with
convex load costs, see :mod:`lotsen_match.solve.model`). Every desk question is a change of
supply in that flow network: a household arrives, leaves, changes its arcs, or is forced onto
one volunteer. Successive shortest paths make such a change exact: if a flow is optimal, the
optimum after adding one unit of supply at ``s`` and removing one at ``t`` is the flow plus a
shortest ``s``-``t`` path of its residual network.

The residual network is compressed to the volunteers plus one node ``S`` (the sink, which the
free bypass of unmatched households joins to the source). Its arcs, for the current selection:

* ``A``  v -> w via household h on v with an arc to w: h moves to w (cost val(h,v) - val(h,w));
* ``B1`` v -> S: v takes one more household in its next free slot (cost: that slot);
* ``B2`` v -> S via household h on v: h drops out (cost val(h,v));
* ``C1`` S -> w: w gives up its most expensive used slot (cost -slot);
* ``C2`` S -> w via unmatched household h: h joins w (cost -val(h,w)).

A household ``h'`` arriving with arcs ``val'`` while its old self ``h`` leaves is the path
``h' -> v -> ... -> T`` where ``T`` is ``S`` (h new or unmatched) or h's volunteer ``v0`` (the
last step ``v0 -> h`` costs val(h, v0)). Forcing the pair (h', v) fixes the first arc, so one
shortest-path tree towards ``T`` values every volunteer at once, exactly.

The volunteer prices of the plan's dual certificate (:func:`~lotsen_match.solve.certificate.
certify`) are feasible potentials of this network: every reduced cost is non-negative, so
scipy's Dijkstra finds the paths. Values are integers ``base * served + rest`` with ``base``
above twice any quality difference a path can make, so the gain of a change splits exactly into
(requests served more, quality) and the order is lexicographic, as in the pipeline's
``max_served`` objective. Reduced costs are scaled by ``n_nodes + 1`` and get ``+1`` per arc:
the scaled distance still decodes exactly and, among equally good changes, the one moving the
fewest households wins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..core.assignment import SCALE
from ..errors import SolverError
from ..solve.certificate import certify
from ..solve.flow import MinCostFlowSolver
from ..solve.model import AssignmentModel

__all__ = ["GrowArray", "HouseholdOptions", "IncrementalAssignment", "Step", "split_gain"]

logger = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: Kinds of steps of a change path (see the module docstring).
MOVE: Final[str] = "move"
DROP: Final[str] = "drop"
JOIN: Final[str] = "join"
FREE_SLOT: Final[str] = "free_slot"
RELEASE_SLOT: Final[str] = "release_slot"

_LABEL_FREE: Final[int] = -1
_LABEL_RELEASE: Final[int] = -2
_UNREACHABLE: Final[int] = np.iinfo(np.int64).max // 4
_EXACT_FLOAT: Final[float] = float(2**52)


class GrowArray:
    """A 1-D array that grows by doubling (append-only); ``view`` is the used part."""

    def __init__(self, values: npt.ArrayLike, dtype: npt.DTypeLike = np.int64) -> None:
        data = np.asarray(values, dtype=dtype)
        self._data = np.empty(max(16, 2 * data.size), dtype=dtype)
        self._data[: data.size] = data
        self.size = int(data.size)

    @property
    def view(self) -> npt.NDArray[Any]:
        return self._data[: self.size]

    def append(self, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Append ``values``; returns their positions."""
        data = np.asarray(values, dtype=self._data.dtype).reshape(-1)
        need = self.size + data.size
        if need > self._data.size:
            grown = np.empty(max(need, 2 * self._data.size), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : need] = data
        start, self.size = self.size, need
        return np.arange(start, need, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a change: a household moves, drops out or joins, or a slot fills or frees."""

    kind: str
    household: int
    """Household moved, dropped or joined (-1 for slot steps)."""
    source: int
    """Volunteer the step starts at (-1 = the sink side)."""
    target: int
    """Volunteer the step ends at (-1 = the sink side)."""
    arc: int
    """The household's arc after the step (move, join) or before it (drop); -1 for slots."""


@dataclass(frozen=True)
class HouseholdOptions:
    """Every way to place one household (new, changed or existing), each valued exactly.

    ``gain[i]`` is the change of the optimal objective when the household is forced onto
    ``volunteers[i]`` (everything else re-optimised); ``none_gain`` when it stays unmatched.
    The best of them is the exact optimum of the changed caseload.
    """

    household: int
    volunteers: I64
    served: I64
    """Requests of the household that each volunteer would serve."""
    rest: I64
    gain: I64
    feasible: B
    none_gain: int
    base: int
    version: int
    current: int
    """The volunteer the household is placed on now (-1: unmatched or new)."""
    target: int
    """Node the change paths end at (a volunteer, or ``n_volunteers`` for the sink)."""
    _tree: _Tree = field(repr=False)
    _flow: IncrementalAssignment = field(repr=False)

    def path(self, position: int) -> list[Step]:
        """The changes after forcing the household onto ``volunteers[position]`` (-1: none)."""
        start = self._flow.n_vol if position < 0 else int(self.volunteers[position])
        return self._flow._steps(self._tree, start)

    def served_change(self, position: int) -> int:
        """Requests served more (negative: fewer) with the choice at ``position`` (-1: none)."""
        flow = self._flow
        total = 0 if position < 0 else int(self.served[position])
        for step in self.path(position):
            if step.kind == MOVE:
                old = int(flow.h_sel.view[step.household])
                total += int(flow.arc_served.view[step.arc] - flow.arc_served.view[old])
            elif step.kind == DROP:
                total -= int(flow.arc_served.view[step.arc])
            elif step.kind == JOIN:
                total += int(flow.arc_served.view[step.arc])
        old_sel = int(flow.h_sel.view[self.household]) if self.household >= 0 else -1
        if old_sel >= 0:
            total -= int(flow.arc_served.view[old_sel])
        return total

    def best(self) -> int:
        """Position of the best choice (-1: unmatched).

        Ties change as little as possible: the household stays where it is (or unmatched),
        else the volunteer whose change moves the fewest other households, else the first.
        """
        ok = np.flatnonzero(self.feasible)
        if ok.size == 0:
            return -1
        top_gain = int(self.gain[ok].max())
        if top_gain < self.none_gain or (top_gain == self.none_gain and self.current < 0):
            return -1
        tied = ok[self.gain[ok] == top_gain]
        if self.current >= 0 and top_gain >= self.none_gain:
            here = tied[self.volunteers[tied] == self.current]
            if here.size:
                return int(here[0])
        if top_gain == self.none_gain:
            return -1
        hops = [len(self.path(int(i))) for i in tied.tolist()]
        return int(tied[int(np.argmin(hops))])


@dataclass(frozen=True, slots=True)
class _Graph:
    """The compressed residual network with reduced costs, deduplicated per node pair."""

    keys: I64
    """Sorted unique ``source * n_nodes + target``."""
    labels: I64
    """Per key: the arc behind it (moves, drops, joins) or a slot label."""
    reduced: I64
    n_nodes: int
    reverse: dict[bool, Any] = field(default_factory=dict)
    """The reversed network as a CSR matrix per weighting (hop-scaled or not), built once per
    graph: every Dijkstra of this graph (one per target) reads the same matrix."""

    def reversed_matrix(self, hop_scaled: bool) -> Any:
        """CSR matrix of the reversed arcs with (hop-scaled) reduced costs as weights."""
        matrix = self.reverse.get(hop_scaled)
        if matrix is None:
            from scipy.sparse import csr_matrix

            n = self.n_nodes
            src, dst = np.divmod(self.keys, n)
            scale = n + 1
            weight = self.reduced * scale + 1 if hop_scaled else self.reduced
            matrix = csr_matrix((weight.astype(np.float64), (dst, src)), shape=(n, n))
            self.reverse[hop_scaled] = matrix
        return matrix


@dataclass(frozen=True, slots=True)
class _Tree:
    """Shortest distances of every node to one target, and the next node on the way."""

    target: int
    dist: I64
    """True (not reduced) distance to the target, ``_UNREACHABLE`` where there is no path."""
    next_node: npt.NDArray[np.int32]
    graph: _Graph


class IncrementalAssignment:
    """A held optimal selection of the household model, changed one household at a time.

    Households and arcs live in append-only arrays (a household's arcs form one block; a
    changed household gets a new block, the old one dies). Volunteers keep their slot costs
    from the model they were built with; ``shift`` counts slots taken by households that
    became active since, ``free`` the slots the flow may still use.
    """

    def __init__(
        self,
        *,
        n_households: int,
        slot_offsets: I64,
        slot_cost: I64,
        arc_household: I64,
        arc_volunteer: I64,
        arc_served: I64,
        arc_rest: I64,
        selected: B,
        base: int,
    ) -> None:
        self.n_vol = int(slot_offsets.shape[0] - 1)
        self.base = int(base)
        self._slot_offsets = np.asarray(slot_offsets, dtype=np.int64)
        self._slot_cost = np.asarray(slot_cost, dtype=np.int64)
        self.shift = np.zeros(self.n_vol, dtype=np.int64)
        self.free = np.diff(self._slot_offsets).astype(np.int64)
        order = np.lexsort((arc_volunteer, arc_household))  # blocks per household
        self.arc_h = GrowArray(np.asarray(arc_household)[order])
        self.arc_v = GrowArray(np.asarray(arc_volunteer)[order])
        self.arc_served = GrowArray(np.asarray(arc_served)[order])
        self.arc_rest = GrowArray(np.asarray(arc_rest)[order])
        self.arc_alive = GrowArray(np.ones(order.size, dtype=np.bool_), np.bool_)
        h = self.arc_h.view
        starts = np.searchsorted(h, np.arange(n_households + 1))
        self.h_start = GrowArray(starts[:-1])
        self.h_stop = GrowArray(starts[1:])
        sel = np.full(n_households, -1, dtype=np.int64)
        chosen = np.flatnonzero(np.asarray(selected)[order])
        sel[h[chosen]] = chosen
        self.h_sel = GrowArray(sel)
        self.load = np.zeros(self.n_vol, dtype=np.int64)
        self.repairs = 0
        self.version = 0
        """Bumped by every change; options of an older version cannot be placed."""
        """How often the held selection failed its certificate and was re-solved (a bug)."""
        self._prices: I64 | None = None
        self._graph_cache: _Graph | None = None
        self._trees: dict[int, _Tree] = {}
        self._recount()

    # -- basic state --------------------------------------------------------------------------

    @property
    def n_households(self) -> int:
        return self.h_sel.size

    def values(self, served: npt.ArrayLike, rest: npt.ArrayLike) -> I64:
        """Arc values in this model's units: ``base * served + rest``."""
        return np.asarray(
            self.base * np.asarray(served, dtype=np.int64) + np.asarray(rest, dtype=np.int64),
            dtype=np.int64,
        )

    def arc_value(self, arcs: npt.ArrayLike) -> I64:
        a = np.asarray(arcs, dtype=np.int64)
        return self.values(self.arc_served.view[a], self.arc_rest.view[a])

    def slot(self, vol: npt.ArrayLike, j: npt.ArrayLike) -> I64:
        """Cost of slot ``j`` (0 = cheapest still free for the flow) of each volunteer."""
        v = np.asarray(vol, dtype=np.int64)
        at = self._slot_offsets[v] + self.shift[v] + np.asarray(j, dtype=np.int64)
        return np.asarray(self._slot_cost[at], dtype=np.int64)

    def household_volunteer(self, h: int) -> int:
        """The volunteer household ``h`` is placed on, -1 if unmatched."""
        a = int(self.h_sel.view[h])
        return -1 if a < 0 else int(self.arc_v.view[a])

    def selection(self) -> tuple[I64, I64]:
        """(household, volunteer) of every placed household."""
        sel = self.h_sel.view
        hh = np.flatnonzero(sel >= 0)
        return hh.astype(np.int64), self.arc_v.view[sel[hh]].astype(np.int64)

    def households_on(self, v: int) -> I64:
        """Households placed on volunteer ``v``, in index order."""
        hh, vv = self.selection()
        return np.asarray(hh[vv == v], dtype=np.int64)

    def household_arcs(self, h: int) -> I64:
        """The alive arcs of household ``h``."""
        block = np.arange(int(self.h_start.view[h]), int(self.h_stop.view[h]), dtype=np.int64)
        return np.asarray(block[self.arc_alive.view[block]], dtype=np.int64)

    def objective(self) -> tuple[int, int]:
        """(requests served, quality minus load cost) of the held selection, exact."""
        sel = self.h_sel.view
        arcs = sel[sel >= 0]
        served = int(self.arc_served.view[arcs].sum())
        rest = int(self.arc_rest.view[arcs].sum())
        vol = np.repeat(np.arange(self.n_vol), self.load)
        offsets = np.concatenate(([0], np.cumsum(self.load)))
        rank = np.arange(vol.size, dtype=np.int64) - offsets[vol]
        return served, rest - int(self.slot(vol, rank).sum())

    def _recount(self) -> None:
        sel = self.h_sel.view
        arcs = sel[sel >= 0]
        self.load = np.bincount(self.arc_v.view[arcs], minlength=self.n_vol).astype(np.int64)
        over = np.flatnonzero(self.load > self.free)
        if over.size:
            raise SolverError(
                f"desk plan holds {self.load[over[0]]} households on volunteer {over[0]} "
                f"with {self.free[over[0]]} free slots"
            )

    def _changed(self, *, prices: bool = True) -> None:
        self.version += 1
        if prices:
            self._prices = None
        self._graph_cache = None
        self._trees.clear()

    # -- structural changes -------------------------------------------------------------------

    def add_household(self) -> int:
        """A new household without arcs (unmatched); returns its index."""
        n = self.arc_h.size
        self.h_start.append([n])
        self.h_stop.append([n])
        return int(self.h_sel.append([-1])[0])

    def _set_arcs(self, h: int, vols: I64, served: I64, rest: I64) -> I64:
        """Replace household ``h``'s arcs (its selection is cleared); returns the new arcs."""
        self.arc_alive.view[self.household_arcs(h)] = False
        order = np.argsort(vols, kind="stable")
        arcs = self.arc_h.append(np.full(vols.size, h))
        self.arc_v.append(vols[order])
        self.arc_served.append(served[order])
        self.arc_rest.append(rest[order])
        self.arc_alive.append(np.ones(vols.size, dtype=np.bool_))
        self.h_start.view[h] = arcs[0] if arcs.size else self.arc_h.size
        self.h_stop.view[h] = self.arc_h.size
        self.h_sel.view[h] = -1
        return arcs

    def reprice(self, h: int, vols: I64, served: I64, rest: I64) -> None:
        """New values for household ``h``'s arcs, keeping it where it is.

        Only for changes that keep the selection optimal (the stability fold): the caller
        guarantees that; :meth:`prices` re-certifies and repairs otherwise.
        """
        where = self.household_volunteer(h)
        arcs = self._set_arcs(h, vols, served, rest)
        if where >= 0:
            hit = arcs[self.arc_v.view[arcs] == where]
            if hit.size == 0:
                raise SolverError(f"household {h} lost its arc to volunteer {where}")
            self.h_sel.view[h] = hit[0]
        self._changed()

    def reprice_many(self, households: I64, arc_h: I64, arc_v: I64, served: I64, rest: I64) -> None:
        """:meth:`reprice` for many households at once (arcs sorted by household, volunteer).

        Households in ``households`` without arcs in ``arc_h`` lose all their arcs.
        """
        hh = np.unique(np.asarray(households, dtype=np.int64))
        if hh.size == 0:
            return
        where = np.full(hh.size, -1, dtype=np.int64)
        sel = self.h_sel.view[hh]
        where[sel >= 0] = self.arc_v.view[sel[sel >= 0]]
        in_set = np.zeros(self.n_households, dtype=np.bool_)
        in_set[hh] = True
        self.arc_alive.view[in_set[self.arc_h.view] & self.arc_alive.view] = False
        arcs = self.arc_h.append(arc_h)
        self.arc_v.append(arc_v)
        self.arc_served.append(served)
        self.arc_rest.append(rest)
        self.arc_alive.append(np.ones(arc_h.size, dtype=np.bool_))
        first = np.searchsorted(arc_h, hh, side="left")
        last = np.searchsorted(arc_h, hh, side="right")
        offset = int(arcs[0]) if arcs.size else self.arc_h.size
        self.h_start.view[hh] = offset + first
        self.h_stop.view[hh] = offset + last
        self.h_sel.view[hh] = -1
        placed = np.flatnonzero(where >= 0)
        width = max(self.n_vol, 1)
        keys = arc_h * width + arc_v
        want = hh[placed] * width + where[placed]
        at = np.searchsorted(keys, want)
        found = (at < keys.size) & (keys[np.minimum(at, max(keys.size - 1, 0))] == want)
        if not np.all(found):
            lost = int(hh[placed][~found][0])
            raise SolverError(f"household {lost} lost its arc to the volunteer it is placed on")
        self.h_sel.view[hh[placed]] = offset + at
        self._changed()

    def close(self, v: int) -> None:
        """Volunteer ``v`` takes nobody new: its unused arcs and free slots go."""
        arcs = np.flatnonzero(self.arc_alive.view & (self.arc_v.view == v))
        used = self.h_sel.view[self.arc_h.view[arcs]] == arcs
        self.arc_alive.view[arcs[~used]] = False
        self.free[v] = self.load[v]
        self._changed(prices=False)  # fewer arcs and slots: the prices stay feasible

    def release(self, h: int) -> int:
        """Household ``h`` (placed on ``v``) becomes active there and leaves the flow.

        Its slot becomes an active one: ``v`` keeps its other households at the same costs
        (the slot list shifts by one), so the selection stays optimal. Returns ``v``.
        """
        v = self.household_volunteer(h)
        if v < 0:
            raise SolverError(f"household {h} is not placed; force it first")
        self._set_arcs(h, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        self.shift[v] += 1
        self.free[v] -= 1
        self._recount()
        self._changed()
        return v

    # -- prices and shortest paths ------------------------------------------------------------

    def model(self) -> tuple[AssignmentModel, B, I64]:
        """The held state as an :class:`AssignmentModel` (alive arcs), its selection mask and
        the arc index of each model arc."""
        alive = np.flatnonzero(self.arc_alive.view)
        h = self.arc_h.view[alive]
        v = self.arc_v.view[alive]
        order = np.lexsort((v, h))
        alive = alive[order]
        offsets = np.zeros(self.n_vol + 1, dtype=np.int64)
        np.cumsum(self.free, out=offsets[1:])
        slot_vol = np.repeat(np.arange(self.n_vol), self.free)
        rank = np.arange(offsets[-1], dtype=np.int64) - offsets[slot_vol]
        served = self.arc_served.view[alive]
        model = AssignmentModel(
            n_households=self.n_households,
            n_volunteers=self.n_vol,
            arc_household=self.arc_h.view[alive].astype(np.int32),
            arc_volunteer=self.arc_v.view[alive].astype(np.int32),
            arc_value=self.arc_value(alive),
            slot_offsets=offsets,
            slot_cost=self.slot(slot_vol, rank),
            arc_served=served.astype(np.int32) if self.base else None,
            served_value=self.base,
        )
        selected = self.h_sel.view[self.arc_h.view[alive]] == alive
        return model, selected, alive

    def prices(self) -> I64:
        """Volunteer prices proving the held selection optimal (computed once per state).

        If no certificate exists (which would be a defect of an incremental step), the state
        is solved afresh with the flow backend, logged and counted in :attr:`repairs`.
        """
        if self._prices is not None:
            return self._prices
        model, selected, alive = self.model()
        proof = certify(model, selected)
        if not proof.optimal:
            self.repairs += 1
            logger.warning("desk plan not certified optimal (%s); re-solving", proof.reason)
            solved = MinCostFlowSolver().solve(model)
            sel = np.full(self.n_households, -1, dtype=np.int64)
            sel[self.arc_h.view[alive[solved.selected]]] = alive[solved.selected]
            self.h_sel.view[:] = sel
            self._recount()
            proof = certify(model, solved.selected)
            if not proof.optimal:  # pragma: no cover - the flow backend is exact
                raise SolverError(f"re-solved desk plan not certified: {proof.reason}")
        self._prices = np.asarray(proof.prices, dtype=np.int64)
        return self._prices

    def _graph(self) -> _Graph:
        if self._graph_cache is not None:
            return self._graph_cache
        price = self.prices()
        n, sink = self.n_vol, self.n_vol
        potential = np.concatenate((price, [0])).astype(np.int64)
        alive = np.flatnonzero(self.arc_alive.view)
        arc_h, arc_v = self.arc_h.view, self.arc_v.view
        sel_all = self.h_sel.view
        sel = sel_all[arc_h[alive]]
        matched = sel >= 0
        value = self.arc_value(alive)
        value_of = np.zeros(self.arc_h.size, dtype=np.int64)
        value_of[alive] = value
        moves = alive[matched & (sel != alive)]
        move_from = sel_all[arc_h[moves]]
        placed = sel_all[sel_all >= 0]
        free_v = np.flatnonzero(self.load < self.free)
        used_v = np.flatnonzero(self.load > 0)
        joins = alive[~matched]
        src = np.concatenate(
            (
                arc_v[move_from],
                arc_v[placed],
                free_v,
                np.full(used_v.size + joins.size, sink),
            )
        )
        dst = np.concatenate(
            (
                arc_v[moves],
                np.full(placed.size + free_v.size, sink),
                used_v,
                arc_v[joins],
            )
        )
        cost = np.concatenate(
            (
                value_of[move_from] - value_of[moves],
                value_of[placed],
                self.slot(free_v, self.load[free_v]),
                -self.slot(used_v, self.load[used_v] - 1),
                -value_of[joins],
            )
        )
        label = np.concatenate(
            (
                moves,
                placed,
                np.full(free_v.size, _LABEL_FREE),
                np.full(used_v.size, _LABEL_RELEASE),
                joins,
            )
        ).astype(np.int64)
        reduced = cost + potential[dst] - potential[src]
        if reduced.size and int(reduced.min()) < 0:
            # Stale prices would make Dijkstra wrong: re-certify and rebuild once.
            bad = int(np.argmin(reduced))
            raise SolverError(
                f"negative reduced cost {int(reduced[bad])} on {int(src[bad])}->{int(dst[bad])}"
            )
        n_nodes = n + 1
        keys = src.astype(np.int64) * n_nodes + dst
        order = np.lexsort((label, reduced, keys))
        keys, reduced, label = keys[order], reduced[order], label[order]
        first = np.r_[True, keys[1:] != keys[:-1]] if keys.size else np.zeros(0, np.bool_)
        graph = _Graph(keys[first], label[first], reduced[first], n_nodes)
        self._graph_cache = graph
        return graph

    def _tree(self, target: int) -> _Tree:
        """Shortest paths of every node to ``target`` (cached until the next change)."""
        cached = self._trees.get(target)
        if cached is not None:
            return cached
        from scipy.sparse.csgraph import dijkstra

        graph = self._graph()
        n_nodes = graph.n_nodes
        potential = np.concatenate((self.prices(), [0])).astype(np.int64)
        scale = n_nodes + 1
        for hop_scaled in (True, False):
            reverse = graph.reversed_matrix(hop_scaled)
            dist, pred = dijkstra(reverse, directed=True, indices=target, return_predecessors=True)
            finite = np.isfinite(dist)
            if not finite.any() or float(dist[finite].max()) < _EXACT_FLOAT:
                break
        scaled = np.where(finite, dist, 0).astype(np.int64)
        reduced = scaled // scale if hop_scaled else scaled
        true = reduced + potential - potential[target]
        tree = _Tree(
            target=target,
            dist=np.where(finite, true, _UNREACHABLE).astype(np.int64),
            next_node=np.asarray(pred, dtype=np.int32),
            graph=graph,
        )
        self._trees[target] = tree
        return tree

    def _steps(self, tree: _Tree, start: int) -> list[Step]:
        """The steps of the shortest path from node ``start`` to the tree's target."""
        graph, sink = tree.graph, self.n_vol
        steps: list[Step] = []
        node = start
        while node != tree.target:
            nxt = int(tree.next_node[node])
            if nxt < 0:
                raise SolverError(f"no path from {node} to {tree.target}")
            at = int(np.searchsorted(graph.keys, node * graph.n_nodes + nxt))
            label = int(graph.labels[at])
            if label == _LABEL_FREE:
                steps.append(Step(FREE_SLOT, -1, node, -1, -1))
            elif label == _LABEL_RELEASE:
                steps.append(Step(RELEASE_SLOT, -1, -1, nxt, -1))
            else:
                h = int(self.arc_h.view[label])
                if nxt == sink:
                    steps.append(Step(DROP, h, node, -1, label))
                elif node == sink:
                    steps.append(Step(JOIN, h, -1, nxt, label))
                else:
                    steps.append(Step(MOVE, h, node, nxt, label))
            node = nxt
            if len(steps) > graph.n_nodes:
                raise SolverError("shortest path does not end")  # pragma: no cover
        return steps

    # -- the desk operations ------------------------------------------------------------------

    def options(
        self, h: int, vols: npt.ArrayLike, served: npt.ArrayLike, rest: npt.ArrayLike
    ) -> HouseholdOptions:
        """Value every placement of household ``h`` with new arcs (``h = -1``: a new one).

        The current placement of ``h`` (if any) is given up in every option, so for an
        unchanged household the current volunteer is worth 0 and every other one its exact
        loss; for a new household each volunteer is worth the exact gain of the re-solve
        with the household forced onto it.
        """
        v = np.asarray(vols, dtype=np.int64)
        s = np.asarray(served, dtype=np.int64)
        r = np.asarray(rest, dtype=np.int64)
        old = int(self.h_sel.view[h]) if h >= 0 else -1
        if old >= 0:
            target = int(self.arc_v.view[old])
            extra = int(self.arc_value([old])[0])
        else:
            target, extra = self.n_vol, 0
        tree = self._tree(target)
        reach = tree.dist[v]
        feasible = (reach < _UNREACHABLE) & (v >= 0) & (v < self.n_vol)
        gain = np.where(feasible, self.values(s, r) - reach - extra, np.iinfo(np.int64).min)
        none_gain = 0 if old < 0 else -(int(tree.dist[self.n_vol]) + extra)
        return HouseholdOptions(
            household=h,
            volunteers=v,
            served=s,
            rest=r,
            gain=gain.astype(np.int64),
            feasible=feasible,
            none_gain=none_gain,
            base=self.base,
            version=self.version,
            current=target if old >= 0 else -1,
            target=target,
            _tree=tree,
            _flow=self,
        )

    def place(self, options: HouseholdOptions, position: int) -> tuple[int, list[Step]]:
        """Carry out one option (``position`` into ``options.volunteers``, -1: unmatched).

        The household gets the options' arcs (a new household is created for ``h = -1``)
        and every step of the option's path is applied. Returns the household and the steps.
        """
        if options.version != self.version:
            raise SolverError("options are out of date: the plan changed since they were made")
        if position >= 0 and not options.feasible[position]:
            raise SolverError(f"option {position} is not feasible")
        steps = options.path(position)
        h = options.household if options.household >= 0 else self.add_household()
        arcs = self._set_arcs(h, options.volunteers, options.served, options.rest)
        if position >= 0:
            order = np.argsort(options.volunteers, kind="stable")
            self.h_sel.view[h] = arcs[int(np.flatnonzero(order == position)[0])]
        for step in steps:
            if step.kind in (MOVE, JOIN):
                self.h_sel.view[step.household] = step.arc
            elif step.kind == DROP:
                self.h_sel.view[step.household] = -1
        self._recount()
        self._changed()
        return h, steps

    def evict(self, v: int) -> list[tuple[int, int, list[Step]]]:
        """Volunteer ``v`` leaves: each of its households is placed again without ``v``.

        Returns (household, volunteer it went to or -1, steps) per household; afterwards ``v``
        has no slots and no arcs. Each household is re-placed exactly (the others may move
        where that serves more or better), one after the other.
        """
        self.close(v)
        done: list[tuple[int, int, list[Step]]] = []
        while True:
            h_on_v = self.households_on(v)
            if h_on_v.size == 0:
                break
            h = int(h_on_v[0])
            arcs = self.household_arcs(h)
            keep = arcs[self.arc_v.view[arcs] != v]
            opts = self.options(
                h, self.arc_v.view[keep], self.arc_served.view[keep], self.arc_rest.view[keep]
            )
            choice = opts.best()
            _, steps = self.place(opts, choice)
            done.append((h, -1 if choice < 0 else int(opts.volunteers[choice]), steps))
        self.arc_alive.view[self.arc_alive.view & (self.arc_v.view == v)] = False
        self.free[v] = 0
        self._changed(prices=False)
        return done


def split_gain(gain: int, served: int, base: int) -> float:
    """The quality part of a gain in score points (``gain = base * served + rest``)."""
    return (int(gain) - int(base) * int(served)) / SCALE
