"""The plan a Matcher holds: requests, households and their scored pairs around the flow.

Built once from the pipeline's own instance (encoded problem, admissible pairs, scores,
household model) and the solution of ``match()``; afterwards every change is local: a
request's pairs are replaced, a household's arcs re-aggregated exactly as
:func:`~lotsen_match.assignment.build_household_model` aggregates them, and the household is
placed again through :class:`~.incremental.IncrementalAssignment`. Indices only grow: a new
request or household is appended, a removed one is marked dead, so nothing is renumbered
between calls.

Stability: the plan's own proposals count as ``proposed`` pairs (as if the next nightly run
were fed with them), so they score the stability bonus and stay put unless something clearly
better exists. After every change :meth:`HeldPlan.fold` moves that bonus to the new plan's
pairs; the plan stays optimal under the move (only pairs it uses gain, only pairs it dropped
lose), and :meth:`HeldPlan.prices` re-certifies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..config import MatchConfig
from ..core.assignment import SCALE
from ..core.scoring import COMPONENTS, quality, urgency_component
from ..pipeline import MatchInstance
from .incremental import GrowArray, HouseholdOptions, IncrementalAssignment, Step
from .request_edges import VOLUNTEER_FIELDS, RequestEdges

__all__ = ["Change", "HeldPlan"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

#: Columns of the stability and urgency components (:data:`~..core.scoring.COMPONENTS`).
_STABILITY: Final[int] = COMPONENTS.index("stability")
_URGENCY: Final[int] = COMPONENTS.index("urgency")


@dataclass(frozen=True)
class Change:
    """What one desk step did to the flow: the household placed and the path it took."""

    household: int
    volunteer: int
    """Volunteer the household went to (-1: unmatched)."""
    steps: list[Step]


class HeldPlan:
    """Requests, households, scored pairs and the optimal placement of the households."""

    def __init__(
        self,
        inst: MatchInstance,
        selected: B,
        config: MatchConfig,
        reference: I64,
        contact: npt.NDArray[np.int32],
        *,
        request_headroom: int | None = None,
    ) -> None:
        """Hold ``inst`` with ``selected`` (a solution of ``inst.household.model``).

        ``reference``: keys ``request * n_vol + volunteer`` of the ``proposed`` pairs the
        instance was scored with (the stability bonus), in ``inst.problem`` indices.
        ``contact``: per request, the day of its last contact not counting open proposals.
        """
        p, cand, hm = inst.problem, inst.cand, inst.household
        self.config = config
        self.names = inst.names
        self.as_of_day = int(p.as_of_day)
        self.r_created = GrowArray(p.r_created_day)
        self.r_due = GrowArray(p.r_due_day)
        self.r_contact = GrowArray(contact)
        """Per request: the last contact without open proposals (urgency of stale ones)."""
        self.n_vol = p.n_volunteers
        self.volunteers: dict[str, Any] = {name: getattr(p, name) for name in VOLUNTEER_FIELDS}
        self.volunteers["v_is_active"] = p.v_is_active.copy()
        self.volunteers["v_active_households"] = p.v_active_households.copy()
        self.volunteer_ids: list[str] = [str(v) for v in p.volunteer_ids.tolist()]
        self.volunteer_index = {v: i for i, v in enumerate(self.volunteer_ids)}
        free = p.v_capacity.astype(np.int64) - p.v_active_households
        self.vol_closed = ~p.v_is_active | (free <= 0)

        self.request_ids: list[str] = [str(r) for r in p.request_ids.tolist()]
        self.request_index = {r: i for i, r in enumerate(self.request_ids)}
        self.id_alive = GrowArray(np.ones(p.n_requests, dtype=np.bool_), np.bool_)
        """Per request index: its id is in the caseload (also for the old index of an
        updated request, whose ``proposed`` pair still counts until the next fold)."""
        self._superseded: dict[str, list[int]] = {}
        self.vol_present = np.ones(p.n_volunteers, dtype=np.bool_)
        """Per volunteer: still in the caseload (removed volunteers keep their index)."""
        self._arrays: dict[str, npt.NDArray[np.object_]] = {}
        self.req_household = GrowArray(p.r_household)
        self.req_active = GrowArray(p.r_is_active, np.bool_)
        self.req_alive = GrowArray(np.ones(p.n_requests, dtype=np.bool_), np.bool_)

        self.household_keys: list[str] = [str(k) for k in p.household_keys.tolist()]
        self.household_index = {k: i for i, k in enumerate(self.household_keys)}
        self.hh_active = GrowArray(p.h_active_volunteer)
        order = np.argsort(p.r_household, kind="stable")
        self._members_base = order.astype(np.int64)
        self._members_start = np.searchsorted(
            p.r_household[order], np.arange(p.n_households + 1)
        ).astype(np.int64)
        self._members: dict[int, list[int]] = {}

        req = cand.req.astype(np.int64)
        starts = np.searchsorted(req, np.arange(p.n_requests + 1))
        self.e_start = GrowArray(starts[:-1])
        self.e_stop = GrowArray(starts[1:])
        self.e_req = GrowArray(req)
        self.e_vol = GrowArray(cand.vol)
        self.e_km = GrowArray(cand.km, np.float64)
        self.e_lang = GrowArray(cand.lang, np.int16)
        # The desk holds every edge's components (it re-scores moved edges); match() itself
        # computes them only for the edges an explanation shows.
        components = inst.components(config)
        self.e_comp = [GrowArray(components[:, k], np.float32) for k in range(len(inst.names))]
        del components
        self.e_quality = GrowArray(inst.quality, np.float64)
        self.e_qint = GrowArray(np.rint(inst.quality * SCALE).astype(np.int64))
        self.e_alive = GrowArray(np.ones(req.size, dtype=np.bool_), np.bool_)

        model = hm.model
        counts = np.bincount(hm.edge_arc[hm.edge_arc >= 0], minlength=model.n_arcs)
        rest = model.arc_value - hm.base * counts
        n_requests = p.n_requests
        headroom = request_headroom if request_headroom is not None else max(n_requests, 1024)
        self.request_limit = n_requests + headroom
        """Requests the desk's value scale is valid for; more call for a rebuild."""
        slot_total = int(model.slot_cost.sum())
        base = 0
        if config.rules.objective == "max_served":
            base = 2 * (2 * SCALE * (self.request_limit + 1) + 2 * slot_total) + 1
        self.flow = IncrementalAssignment(
            n_households=p.n_households,
            slot_offsets=model.slot_offsets,
            slot_cost=model.slot_cost,
            arc_household=model.arc_household.astype(np.int64),
            arc_volunteer=model.arc_volunteer.astype(np.int64),
            arc_served=counts.astype(np.int64),
            arc_rest=rest.astype(np.int64),
            selected=selected,
            base=base,
        )
        self.reference = np.unique(np.asarray(reference, dtype=np.int64))
        """Keys of the pairs scored as ``proposed`` (the stability bonus) right now."""
        self.plan_reference = self.reference
        """The reference the current placement was optimised with (before the last fold)."""

    # -- lookups --------------------------------------------------------------------------------

    @property
    def n_requests(self) -> int:
        return len(self.request_ids)

    def ids(self, name: str) -> npt.NDArray[np.object_]:
        """``request_ids``, ``household_keys`` or ``volunteer_ids`` as an object array (the
        lists only grow, so a cached array is valid while its length matches)."""
        listed: list[str] = getattr(self, name)
        cached = self._arrays.get(name)
        if cached is None or cached.size != len(listed):
            cached = np.array(listed, dtype=object)
            self._arrays[name] = cached
        return cached

    def forget_request(self, request_id: str) -> None:
        """The id leaves the caseload: none of its indices counts any more."""
        r = self.request_index.get(request_id)
        for i in [*self._superseded.pop(request_id, []), *([] if r is None else [r])]:
            self.id_alive.view[i] = False

    def superseded(self, request_id: str) -> list[int]:
        """Older indices of a request that was updated (its pairs were replaced)."""
        return list(self._superseded.get(request_id, []))

    def forget_volunteer(self, v: int) -> None:
        self.vol_present[v] = False

    def live_pairs(self, keys: I64) -> I64:
        """The pair keys whose request and volunteer are still in the caseload."""
        width = max(self.n_vol, 1)
        req, vol = np.divmod(np.asarray(keys, dtype=np.int64), width)
        ok = req < self.n_requests
        ok[ok] = self.id_alive.view[req[ok]] & self.vol_present[vol[ok]]
        return np.asarray(keys, dtype=np.int64)[ok]

    def pair_ids(self, keys: I64) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
        """(request ids, volunteer ids) of pair keys."""
        width = max(self.n_vol, 1)
        req, vol = np.divmod(np.asarray(keys, dtype=np.int64), width)
        return self.ids("request_ids")[req], self.ids("volunteer_ids")[vol]

    def members(self, h: int) -> I64:
        """Alive requests of household ``h`` (open or active)."""
        listed = self._members.get(h)
        if listed is not None:
            out = np.array(listed, dtype=np.int64)
        elif h < self._members_start.size - 1:
            out = self._members_base[self._members_start[h] : self._members_start[h + 1]]
        else:
            out = np.zeros(0, dtype=np.int64)
        return np.asarray(out[self.req_alive.view[out]], dtype=np.int64)

    def open_members(self, h: int) -> I64:
        m = self.members(h)
        return np.asarray(m[~self.req_active.view[m]], dtype=np.int64)

    def edges_of(self, r: int) -> I64:
        """Positions of request ``r``'s alive pairs, by volunteer."""
        block = np.arange(int(self.e_start.view[r]), int(self.e_stop.view[r]), dtype=np.int64)
        return np.asarray(block[self.e_alive.view[block]], dtype=np.int64)

    def household_of(self, r: int) -> int:
        return int(self.req_household.view[r])

    def household_volunteers(self) -> dict[str, int]:
        """Household key -> volunteer of its active accompaniment (only such households)."""
        active = np.flatnonzero(self.hh_active.view >= 0)
        return {self.household_keys[h]: int(self.hh_active.view[h]) for h in active.tolist()}

    def placement(self) -> I64:
        """Per household: the volunteer it is with (active, else placed), -1 if none."""
        out = np.full(self.flow.n_households, -1, dtype=np.int64)
        hh, vv = self.flow.selection()
        out[hh] = vv
        active = self.hh_active.view
        return np.where(active >= 0, active, out)

    def proposals(self) -> tuple[I64, I64]:
        """(request, volunteer) of every proposal of the held plan (flow and direct)."""
        alive = np.flatnonzero(self.e_alive.view)
        req = self.e_req.view[alive]
        vol = self.e_vol.view[alive]
        where = self.placement()[self.req_household.view[req]]
        open_ = self.req_alive.view[req] & ~self.req_active.view[req]
        hit = open_ & (where == vol)
        return req[hit].astype(np.int64), vol[hit].astype(np.int64)

    def proposal_keys(self) -> I64:
        req, vol = self.proposals()
        return np.unique(req * max(self.n_vol, 1) + vol)

    def current_volunteer(self) -> tuple[I64, B]:
        """Per request: the volunteer it is with (active or proposed, -1 none), and active."""
        out = np.full(self.n_requests, -1, dtype=np.int64)
        req, vol = self.proposals()
        out[req] = vol
        active = self.req_active.view & self.req_alive.view
        at = np.flatnonzero(active)
        out[at] = self.hh_active.view[self.req_household.view[at]]
        return out, active.copy()

    # -- household arcs -------------------------------------------------------------------------

    def household_arcs(
        self,
        h: int,
        *,
        extra: RequestEdges | None = None,
        without: int = -1,
        members: bool = True,
    ) -> tuple[I64, I64, I64]:
        """(volunteer, served, rest) of household ``h``'s arcs: its open members' pairs summed
        per volunteer (``extra``: pairs of a request joining; ``without``: a member leaving;
        ``members=False``: ``extra`` holds the members' pairs too, scored afresh)."""
        vols: list[I64] = []
        qint: list[I64] = []
        if h >= 0 and members:
            for r in self.open_members(h).tolist():
                if r == without:
                    continue
                at = self.edges_of(r)
                vols.append(self.e_vol.view[at])
                qint.append(self.e_qint.view[at])
        if extra is not None:
            vols.append(extra.volunteer)
            qint.append(np.rint(extra.quality * SCALE).astype(np.int64))
        if not vols:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        v = np.concatenate(vols).astype(np.int64)
        q = np.concatenate(qint).astype(np.int64)
        keep = ~self.vol_closed[v]
        v, q = v[keep], q[keep]
        uniq, inverse = np.unique(v, return_inverse=True)
        served = np.bincount(inverse, minlength=uniq.size).astype(np.int64)
        rest = np.zeros(uniq.size, dtype=np.int64)
        np.add.at(rest, inverse, q)
        return uniq.astype(np.int64), served, rest

    def arcs_of(self, households: I64) -> tuple[I64, I64, I64, I64]:
        """(household, volunteer, served, rest) of many households' arcs, vectorised; sorted
        by household and volunteer."""
        in_set = np.zeros(self.flow.n_households, dtype=np.bool_)
        in_set[np.asarray(households, dtype=np.int64)] = True
        view = self.req_household.view
        reqs = np.flatnonzero(in_set[view] & self.req_alive.view & ~self.req_active.view)
        starts = self.e_start.view[reqs]
        lengths = self.e_stop.view[reqs] - starts
        total = int(lengths.sum())
        offsets = np.cumsum(lengths) - lengths
        at = np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)
        at = at[self.e_alive.view[at]]
        vol = self.e_vol.view[at].astype(np.int64)
        at, vol = at[~self.vol_closed[vol]], vol[~self.vol_closed[vol]]
        width = max(self.n_vol, 1)
        keys = view[self.e_req.view[at]].astype(np.int64) * width + vol
        uniq, inverse = np.unique(keys, return_inverse=True)
        served = np.bincount(inverse, minlength=uniq.size).astype(np.int64)
        rest = np.zeros(uniq.size, dtype=np.int64)
        np.add.at(rest, inverse, self.e_qint.view[at])
        return uniq // width, uniq % width, served, rest

    def options(self, h: int, *, extra: RequestEdges | None = None) -> HouseholdOptions:
        """Every placement of household ``h`` (``-1``: a new one of ``extra`` alone)."""
        return self.flow.options(h, *self.household_arcs(h, extra=extra))

    def place_best(self, h: int) -> Change:
        """Place household ``h`` (with its current arcs) where the optimum wants it."""
        opts = self.options(h)
        choice = opts.best()
        _, steps = self.flow.place(opts, choice)
        return Change(h, -1 if choice < 0 else int(opts.volunteers[choice]), steps)

    # -- changes to requests and households -----------------------------------------------------

    def _new_household(self, key: str) -> int:
        h = self.flow.add_household()
        self.household_keys.append(key)
        self.household_index[key] = h
        self.hh_active.append([-1])
        self._members[h] = []
        return h

    def _set_members(self, h: int, members: list[int]) -> None:
        self._members[h] = members

    def add_request(
        self, request_id: str, household_key: str, edges: RequestEdges, contact: int
    ) -> int:
        """Append an open request with its pairs (``edges`` of this one request) and the day
        of its last contact (without proposals)."""
        h = self.household_index.get(household_key)
        if h is None:
            h = self._new_household(household_key)
        r = len(self.request_ids)
        old = self.request_index.get(request_id)
        if old is not None:
            self._superseded.setdefault(request_id, []).append(old)
        self.request_ids.append(request_id)
        self.request_index[request_id] = r
        self.req_household.append([h])
        self.req_active.append([False])
        self.req_alive.append([True])
        self.id_alive.append([True])
        self.r_created.append(edges.created_day[:1])
        self.r_due.append(edges.due_day[:1])
        self.r_contact.append([contact])
        self._append_edges(r, edges)
        self._set_members(h, [*self.members(h).tolist(), r])
        return r

    def _append_edges(self, r: int, edges: RequestEdges) -> None:
        n = edges.volunteer.size
        at = self.e_req.append(np.full(n, r))
        self.e_vol.append(edges.volunteer)
        self.e_km.append(edges.km)
        self.e_lang.append(edges.lang)
        for k, column in enumerate(self.e_comp):
            column.append(edges.components[:, k])
        self.e_quality.append(edges.quality)
        self.e_qint.append(np.rint(edges.quality * SCALE).astype(np.int64))
        self.e_alive.append(np.ones(n, dtype=np.bool_))
        start = int(at[0]) if n else self.e_req.size
        if r < self.e_start.size:
            self.e_alive.view[self.edges_of(r)] = False
            self.e_start.view[r] = start
            self.e_stop.view[r] = self.e_req.size
        else:
            self.e_start.append([start])
            self.e_stop.append([self.e_req.size])

    def set_edges(self, r: int, edges: RequestEdges) -> None:
        """Replace request ``r``'s pairs (the request is open, or becomes open)."""
        self._append_edges(r, edges)

    def remove_request(self, r: int) -> int:
        """Mark request ``r`` dead; returns its household."""
        h = self.household_of(r)
        self.e_alive.view[self.edges_of(r)] = False
        self.req_alive.view[r] = False
        self._set_members(h, [m for m in self.members(h).tolist() if m != r])
        return h

    def kill_pair(self, r: int, v: int) -> bool:
        """Drop the pair (r, v) (declined); returns whether it existed."""
        at = self.edges_of(r)
        hit = at[self.e_vol.view[at] == v]
        self.e_alive.view[hit] = False
        return bool(hit.size)

    def has_pair(self, r: int, v: int) -> bool:
        at = self.edges_of(r)
        return bool(np.any(self.e_vol.view[at] == v))

    def activate(self, r: int, v: int) -> None:
        """Request ``r`` becomes active with ``v`` (its household placed on ``v`` or already
        active with ``v``); the household leaves the flow and ``v`` loses a free place."""
        h = self.household_of(r)
        if int(self.hh_active.view[h]) < 0:
            if self.flow.household_volunteer(h) != v:
                raise ValueError(f"household {h} is not placed on volunteer {v}")
            self.flow.release(h)
            self.hh_active.view[h] = v
            active = int(self.volunteers["v_active_households"][v]) + 1
            self._set_volunteer("v_active_households", v, active)
            free = int(self.volunteers["v_capacity"][v]) - active
            if free <= 0:
                self._close_volunteer(v, keep_households=True)
        self.req_active.view[r] = True
        self.e_alive.view[self.edges_of(r)] = False

    def _set_volunteer(self, name: str, v: int, value: Any) -> None:
        """Change one volunteer's entry copy-on-write (encoded problems hold the arrays
        read-only)."""
        changed = self.volunteers[name].copy()
        changed[v] = value
        self.volunteers[name] = changed

    def _close_volunteer(self, v: int, *, keep_households: bool) -> None:
        """``v`` takes nobody new: its pairs go (except with its own active households)."""
        self.vol_closed[v] = True
        at = np.flatnonzero(self.e_alive.view & (self.e_vol.view == v))
        if keep_households:
            own = self.hh_active.view[self.req_household.view[self.e_req.view[at]]] == v
            at = at[~own]
        self.e_alive.view[at] = False
        self.flow.close(v)

    def withdraw(self, v: int) -> list[Change]:
        """Volunteer ``v`` leaves: its placed households go elsewhere (exactly), its pairs and
        slots go. Households active with ``v`` are returned to the caller via
        :meth:`households_active_with` and reopened with :meth:`reopen`."""
        changes = [Change(h, w, steps) for h, w, steps in self.flow.evict(v)]
        self._set_volunteer("v_is_active", v, False)
        self._close_volunteer(v, keep_households=False)
        return changes

    def households_active_with(self, v: int) -> I64:
        return np.flatnonzero(self.hh_active.view == v).astype(np.int64)

    def reopen(self, h: int, edges: dict[int, RequestEdges]) -> None:
        """Household ``h`` loses its active volunteer: its active requests become open with
        the given pairs (request -> edges) and the household joins the flow unplaced."""
        v = int(self.hh_active.view[h])
        self.hh_active.view[h] = -1
        if v >= 0:
            active = int(self.volunteers["v_active_households"][v]) - 1
            self._set_volunteer("v_active_households", v, active)
        for r, found in edges.items():
            self.req_active.view[r] = False
            self.set_edges(r, found)

    def set_contact(self, r: int, day: int) -> None:
        """A history row of request ``r`` is dated ``day`` (a contact, for its urgency)."""
        self.r_contact.view[r] = max(int(self.r_contact.view[r]), min(day, self.as_of_day))

    # -- stability ------------------------------------------------------------------------------

    def fold(self) -> None:
        """Score the current proposals as ``proposed`` (and only them) from now on."""
        new = self.proposal_keys()
        old = self.reference
        self.plan_reference = old
        self.reference = new
        changed = np.setxor1d(new, old, assume_unique=True)
        if changed.size == 0:
            return
        width = max(self.n_vol, 1)
        reqs = np.unique(changed // width)
        reqs = reqs[reqs < self.n_requests]
        reqs = reqs[self.req_alive.view[reqs] & ~self.req_active.view[reqs]]
        if reqs.size == 0:
            return
        starts = self.e_start.view[reqs]
        lengths = self.e_stop.view[reqs] - starts
        offsets = np.cumsum(lengths) - lengths
        at = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        at = at[self.e_alive.view[at]]
        if at.size == 0:
            return
        keys = self.e_req.view[at] * width + self.e_vol.view[at]
        bonus = np.isin(keys, new).astype(np.float32)
        # An open proposal is a contact today, so proposals also decide which requests are
        # stale (their urgency stops rising with the waiting time), as in a run.
        rules = self.config.rules
        proposed = np.isin(reqs, np.unique(new // width))
        contact = np.where(proposed, self.as_of_day, self.r_contact.view[reqs])
        stale = self.as_of_day - np.minimum(contact, self.as_of_day) > rules.reconfirm_after_days
        urgency = urgency_component(
            self.r_created.view[reqs],
            self.r_due.view[reqs],
            self.as_of_day,
            rules.waiting_full_days,
            rules.urgency_horizon_days,
            np.where(stale, float(rules.reconfirm_after_days), np.inf),
        ).astype(np.float32)
        per_edge = urgency[np.searchsorted(reqs, self.e_req.view[at])]
        stability = self.e_comp[_STABILITY].view
        waiting = self.e_comp[_URGENCY].view
        differs = (stability[at] != bonus) | (waiting[at] != per_edge)
        moved = at[differs]
        if moved.size == 0:
            return
        stability[moved] = bonus[differs]
        waiting[moved] = per_edge[differs]
        comps = np.column_stack([c.view[moved] for c in self.e_comp])
        q = quality(comps, self.config.weights, self.names)
        self.e_quality.view[moved] = q
        self.e_qint.view[moved] = np.rint(q * SCALE).astype(np.int64)
        hh = np.unique(self.req_household.view[self.e_req.view[moved]])
        hh = hh[self.hh_active.view[hh] < 0]
        self.flow.reprice_many(hh, *self.arcs_of(hh))
