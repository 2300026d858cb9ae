"""The day loop: the library's [`Matcher`][lotsen_match.Matcher] runs the office, day by day.

Every morning the nightly job's input is put together from the state of the run — the
volunteers (recruits dated to the day they join), the requests of every household that is
waiting, asked about or accompanied, and the assignments: ``active`` pairs with their start,
``proposed`` for proposals a coordinator is still deciding on (the stability bonus keeps them),
``declined`` pairs — and one ``lm.Matcher`` is built on it with ``as_of`` = that day, so every
date rule (availability periods, certification, police checks against due dates, waiting-time
urgency, stale requests) is the library's own on the day. During the day the desk API carries
the events:

1. accompaniments that reached their drawn duration have ended (they are not in the tables);
2. volunteers leaving today: ``Matcher.replace`` (their households are planned again);
3. coordinators answer the proposals due today: ``Matcher.decide`` (confirmed or declined; a
   declined pair is never proposed again; an answer the desk refuses, e.g. a police check
   that expired in between, lets the proposal lapse and the household wait again);
4. the policy proposes:

   * ``nightly``: the plan's proposals (``Matcher.assignments``) for waiting households, every
     day; ``weekly``: the same on one day of the week;
   * ``greedy_on_arrival``: arrivals enter with ``Matcher.add``; first come, first served,
     each waiting household gets the free volunteer with the best pair score
     (``Matcher.suggest`` lists the admissible volunteers and their scores);
   * ``suggest_on_arrival``: the same, but the household gets the first row of
     ``Matcher.suggest`` (the volunteer an exact re-plan with the request would choose).

A volunteer is never asked about more households than she has free places (active plus
proposals still pending): a plan proposal to a volunteer who is fully asked waits for the next
run. Proposals are per household: all of its requests the chosen volunteer can take.

With ``settings.planner = "universe"`` (the default) the nightly and weekly policies build no
Matcher: a :class:`~lotsen_match.simulate.dayplan.DayPlanner` encodes every household of the
run once, and each plan is the exact optimum of the tables of the moment it is read (after the
day's departures and answers), built from arrays: the model ``match()`` builds on those tables,
array for array. Departures and answers are then bookkeeping; a confirmation holds if the pair
is admissible on the morning's tables (the Matcher's ``decide`` refuses it otherwise).
``planner = "matcher"`` runs the desk path above.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..desk import Matcher
from ..desk.tables import contract_frame
from ..errors import DeskError, UnknownIdError
from .dayplan import DayPlanner, DayState
from .scenario import SimulationSettings
from .universe import Universe, decision_uniform, request_table
from .world import NEVER, World

__all__ = [
    "ACTIVE",
    "ENDED",
    "NO_START",
    "PENDING",
    "WAITING",
    "DayRecord",
    "RunState",
    "run_policy",
]

I64 = npt.NDArray[np.int64]

NOT_YET, WAITING, PENDING, ACTIVE, ENDED = 0, 1, 2, 3, 4

_ASSIGNMENT_COLUMNS = ["request_id", "volunteer_id", "status", "started_on"]
NO_START = -(10**9)
"""Start day of an active pair without ``started_on`` (no contact from it)."""


@dataclass(frozen=True)
class DayRecord:
    """One day as the independent checker needs it (kept with ``trace=True``).

    ``assignments`` holds the active and declined pairs of the evening, and the proposals still
    pending from earlier days as ``active`` (they hold a place); ``proposals`` are the day's
    new proposals; ``plan`` is the Matcher's assignments table when the plan was read (nightly
    and weekly): its ``proposed`` rows are the whole plan, valid against its ``active`` and
    ``declined`` rows alone.
    """

    day: int
    as_of: dt.date
    volunteers: pd.DataFrame
    requests: pd.DataFrame
    assignments: pd.DataFrame
    proposals: pd.DataFrame
    plan: pd.DataFrame | None
    plan_input: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None
    """With the day planner: the tables the plan was made for (volunteers, requests,
    assignments as the Matcher path would hand them over), ..."""
    plan_objective: int | None = None
    """... and the plan's objective and number of proposed pairs, to compare with ``match()``."""
    plan_pairs: int | None = None
    day_plan: Any = None
    """The day planner's :class:`~lotsen_match.simulate.dayplan.DayPlan` (problem, pairs,
    model, solution) behind ``plan``."""


@dataclass
class RunState:
    """Final state of one run (arrays over the universe) and what the loop measured."""

    state: npt.NDArray[np.int8]
    volunteer: I64
    first_start: I64
    """Day the household's first accompaniment started (-1: never)."""
    served_requests: I64
    """Requests of the first accompaniment."""
    first_volunteer: I64
    """Volunteer of the first accompaniment (-1: never)."""
    proposals: int = 0
    declined: int = 0
    lapsed: int = 0
    held_back: int = 0
    """Plan proposals not sent because the volunteer was fully asked already."""
    occupied_slot_days: float = 0.0
    available_slot_days: float = 0.0
    build_seconds: float = 0.0
    """Seconds in building the day's Matcher (the nightly job's work), or with the day planner
    in encoding the universe once and building and solving each day's plan."""
    desk_seconds: float = 0.0
    """Seconds in desk calls (replace, decide, add, suggest, assignments)."""
    builds: int = 0
    """Matchers built, or with the day planner exact plans solved."""
    desk_calls: int = 0
    records: list[DayRecord] = field(default_factory=list)


class _Day:
    """The mutable state of one run and the steps of a day."""

    def __init__(
        self, world: World, uni: Universe, settings: SimulationSettings, policy: str, seed: int
    ) -> None:
        self.world, self.uni, self.settings, self.policy, self.seed = (
            world,
            uni,
            settings,
            policy,
            seed,
        )
        self.table, self.owner = request_table(world, uni)
        self.rid = self.table["request_id"].astype(str).to_numpy(dtype=object)
        self.rid_index = pd.Index(self.rid)
        self.rid_row = {r: i for i, r in enumerate(self.rid.tolist())}
        self.u_rows = np.searchsorted(self.owner, np.arange(uni.size + 1)).astype(np.int64)
        self.volunteers = world.volunteers.copy()
        self.vid = self.volunteers["volunteer_id"].astype(str).to_numpy(dtype=object)
        self.vindex = {v: i for i, v in enumerate(self.vid.tolist())}
        n_u = uni.size
        self.out = RunState(
            state=np.zeros(n_u, dtype=np.int8),
            volunteer=np.full(n_u, -1, dtype=np.int64),
            first_start=np.full(n_u, -1, dtype=np.int64),
            served_requests=np.zeros(n_u, dtype=np.int64),
            first_volunteer=np.full(n_u, -1, dtype=np.int64),
        )
        self.end = np.full(n_u, NEVER, dtype=np.int64)
        self.active: dict[int, tuple[list[str], int, Any]] = {}
        self.active_day: dict[int, int] = {}
        """Day each accompaniment started (``NO_START`` if the caseload gives none)."""
        self.active_rows: dict[int, I64] = {}
        self.pending_rows: dict[int, I64] = {}
        self.declined_rows: dict[int, tuple[I64, I64]] = {}
        """The request rows of ``active`` and ``pending``, and the (rows, volunteers) of
        ``declined``, kept beside them for the day planner's tables as arrays."""
        self.pending: dict[int, tuple[int, list[str], int]] = {}
        self.declined: dict[int, list[tuple[str, int]]] = {}
        self.refused: dict[int, set[int]] = {}
        """Volunteers a coordinator declined for the household in this run: the household's
        requests the volunteer can take were all in that proposal, so none is left for her."""
        self.asked = np.zeros(world.n_volunteers, dtype=np.int64)
        """Active plus pending households per volunteer."""
        self.tick = 0
        self.v_tick = np.zeros(world.n_volunteers, dtype=np.int64)
        """When each volunteer last gained a free place or joined (a counter of such events)."""
        self.u_tick = np.full(uni.size, -1, dtype=np.int64)
        """When each household last asked the desk in vain (-1: never); it asks again only
        after one of its volunteers gained a place (on-arrival policies)."""
        state = self.out.state
        t0 = pd.Timestamp(world.config.as_of)
        own = ~uni.is_copy
        state[own & uni.counted] = WAITING
        started = world.active.groupby("request_id", sort=False)["started_on"].first()
        for k, (h, v) in enumerate(
            zip(world.init_household.tolist(), world.init_volunteer.tolist(), strict=True)
        ):
            rows = self.rid[self.u_rows[h] : self.u_rows[h + 1]]
            vid = self.vid[v]
            mine = world.active[
                world.active["request_id"].isin(rows) & (world.active["volunteer_id"] == vid)
            ]
            rids = mine["request_id"].astype(str).tolist()
            start = started.get(rids[0]) if rids else pd.NaT
            self.active[h] = (rids, v, start if start is not None else pd.NaT)
            self.active_rows[h] = self._rows(rids)
            self.active_day[h] = (
                NO_START if pd.isna(self.active[h][2]) else (self.active[h][2] - t0).days
            )
            state[h] = ACTIVE
            self.out.volunteer[h] = v
            self.end[h] = int(uni.init_end[k])
            self.asked[v] += 1
        declined = world.declined
        if len(declined):
            at = self.rid_index.get_indexer(declined["request_id"].astype(str))
            for row, v in zip(
                at.tolist(), declined["volunteer_id"].astype(str).tolist(), strict=True
            ):
                if row >= 0 and v in self.vindex:
                    u = int(self.owner[row])
                    self.declined.setdefault(u, []).append((str(self.rid[row]), self.vindex[v]))
        for u, pairs in self.declined.items():
            self.declined_rows[u] = (
                self._rows([r for r, _ in pairs]),
                np.array([v for _, v in pairs], dtype=np.int64),
            )
        self.matcher: Matcher | None = None
        self.day = 0
        self.today = world.config.as_of
        self.planner: DayPlanner | None = None
        self.morning_active = np.zeros(world.n_volunteers, dtype=np.int64)
        """Active households per volunteer when the day began (the day planner's checks)."""
        self.record_frames: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self.plan_trace: tuple[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], Any] | None = None

    def use_planner(self) -> None:
        """Plan each day with a :class:`DayPlanner` (the universe encoded once) instead of a
        Matcher built on the day's tables; decisions and departures are then bookkeeping."""
        t0 = time.perf_counter()
        self.planner = DayPlanner(self.volunteers, self.table, self.world.config)
        self.out.build_seconds += time.perf_counter() - t0

    # -- tables ---------------------------------------------------------------------------------

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Requests and assignments of the morning (before today's arrivals)."""
        state = self.out.state
        alive = (state == WAITING) | (state == PENDING) | (state == ACTIVE)
        requests = self.table[alive[self.owner]]
        rows: list[tuple[str, str, str, Any]] = []
        for rids, v, start in self.active.values():
            rows.extend((r, self.vid[v], "active", start) for r in rids)
        for v, rids, _ in self.pending.values():
            rows.extend((r, self.vid[v], "proposed", pd.NaT) for r in rids)
        for u, pairs in self.declined.items():
            if alive[u]:
                rows.extend((r, self.vid[v], "declined", pd.NaT) for r, v in pairs)
        frame = pd.DataFrame(rows, columns=_ASSIGNMENT_COLUMNS)
        frame["started_on"] = pd.to_datetime(frame["started_on"])
        return requests, frame

    def begin(self) -> None:
        """The morning: a Matcher on the day's tables, or the planner's morning counts."""
        if self.planner is None:
            self.build()
            return
        vols = _ints(v for _, v, _ in self.active.values())
        self.morning_active = np.bincount(vols, minlength=self.world.n_volunteers)
        if self._tracing:
            self.record_frames = self.tables()

    _tracing = False

    def day_state(self) -> DayState:
        """The tables of now as arrays over the request rows (the day planner's input)."""
        state = self.out.state
        alive = (state == WAITING) | (state == PENDING) | (state == ACTIVE)
        act = list(self.active)
        a_rows, a_len = _flat([self.active_rows[u] for u in act])
        pen = list(self.pending)
        p_rows, p_len = _flat([self.pending_rows[u] for u in pen])
        dec = [u for u in self.declined_rows if alive[u]]
        d_rows, _ = _flat([self.declined_rows[u][0] for u in dec])
        d_vols, _ = _flat([self.declined_rows[u][1] for u in dec])
        return DayState(
            day=self.day,
            rows=np.flatnonzero(alive[self.owner]).astype(np.int64),
            active_rows=a_rows,
            active_vols=np.repeat(_ints(self.active[u][1] for u in act), a_len),
            active_start=np.repeat(_ints(self.active_day[u] for u in act), a_len),
            proposed_rows=p_rows,
            proposed_vols=np.repeat(_ints(self.pending[u][0] for u in pen), p_len),
            declined_rows=d_rows,
            declined_vols=d_vols,
        )

    def _rows(self, rids: list[str]) -> I64:
        """Request rows of request ids (all in the run's table)."""
        row = self.rid_row
        return np.fromiter((row[r] for r in rids), dtype=np.int64, count=len(rids))

    def build(self) -> Matcher:
        requests, assignments = self.tables()
        config = self.world.config.replace(as_of=self.today)
        t0 = time.perf_counter()
        self.matcher = Matcher(self.volunteers, requests, assignments, config, strict=True)
        self.out.build_seconds += time.perf_counter() - t0
        self.out.builds += 1
        return self.matcher

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        assert self.matcher is not None
        t0 = time.perf_counter()
        try:
            return getattr(self.matcher, name)(*args, **kwargs)
        finally:
            self.out.desk_seconds += time.perf_counter() - t0
            self.out.desk_calls += 1

    # -- events ---------------------------------------------------------------------------------

    def _freed(self, v: int) -> None:
        self.tick += 1
        self.v_tick[v] = self.tick

    def join(self) -> None:
        for v in np.flatnonzero(self.world.v_join == self.day).tolist():
            self._freed(v)

    def end_accompaniments(self) -> None:
        state = self.out.state
        done = np.flatnonzero((state == ACTIVE) & (self.end <= self.day))
        for u in done.tolist():
            _, v, _ = self.active.pop(u)
            self.active_day.pop(u, None)
            self.active_rows.pop(u, None)
            self.asked[v] -= 1
            self._freed(v)
            state[u] = ENDED

    def depart(self) -> None:
        """Volunteers whose last day was yesterday: ``Matcher.replace`` re-plans around them."""
        world = self.world
        leaving = np.flatnonzero(world.v_leave == self.day)
        if leaving.size == 0:
            return
        state = self.out.state
        yesterday = pd.Timestamp(self.today - dt.timedelta(days=1))
        for v in leaving.tolist():
            if self.planner is None:
                self._call("replace", self.vid[v])
            else:
                self.planner.leave(v, self.day - 1)
            until: Any = self.volunteers.at[v, "available_until"]
            if pd.isna(until) or until > yesterday:
                self.volunteers.at[v, "available_until"] = yesterday
            begin: Any = self.volunteers.at[v, "available_from"]
            if not pd.isna(begin) and begin > yesterday:
                self.volunteers.at[v, "available_from"] = yesterday
            for u in [u for u, (_, w, _) in self.active.items() if w == v]:
                del self.active[u]
                self.active_day.pop(u, None)
                self.active_rows.pop(u, None)
                state[u] = WAITING
                self.out.volunteer[u] = -1
            for u in [u for u, (w, _, _) in self.pending.items() if w == v]:
                del self.pending[u]
                self.pending_rows.pop(u, None)
                state[u] = WAITING
                self.out.volunteer[u] = -1
                self.out.lapsed += 1
            self.asked[v] = 0

    def decide_due(self) -> None:
        for u in sorted(u for u, (_, _, day) in self.pending.items() if day <= self.day):
            self._decide(u)

    def _decide(self, u: int) -> None:
        v, rids, _ = self.pending.pop(u)
        pending_rows = self.pending_rows.pop(u, _NO_ROWS)
        out, state = self.out, self.out.state
        vid = self.vid[v]
        yes = bool(decision_uniform(self.seed, u, v) < self.settings.confirm_rate)
        if not yes:
            if self.planner is None:
                for r in rids:
                    self._call("decide", r, vid, "declined")
            self.declined.setdefault(u, []).extend((r, v) for r in rids)
            rows, vols = self.declined_rows.get(u, (_NO_ROWS, _NO_ROWS))
            self.declined_rows[u] = (
                np.concatenate([rows, self._rows(rids)]),
                np.concatenate([vols, np.full(len(rids), v, dtype=np.int64)]),
            )
            self.refused.setdefault(u, set()).add(v)
            self.asked[v] -= 1
            self._freed(v)
            state[u] = WAITING
            out.volunteer[u] = -1
            out.declined += 1
            return
        confirmed = []
        if self.planner is not None:  # the pairs the morning's tables admit (see DayPlanner)
            rows = pending_rows
            ok = self.planner.pair_admissible(
                self.day, rows, np.full(len(rids), v, dtype=np.int64), self.morning_active
            )
            confirmed = [r for r, yes_r in zip(rids, ok.tolist(), strict=True) if yes_r]
        for r in rids if self.planner is None else []:
            try:
                self._call("decide", r, vid, "confirmed")
                confirmed.append(r)
            except (DeskError, UnknownIdError):
                continue  # the pair no longer holds (a date rule) or the place is gone
        if not confirmed:
            self.asked[v] -= 1
            self._freed(v)
            state[u] = WAITING
            out.volunteer[u] = -1
            out.lapsed += 1
            return
        state[u] = ACTIVE
        self.active[u] = (confirmed, v, pd.Timestamp(self.today))
        self.active_day[u] = self.day
        self.active_rows[u] = self._rows(confirmed)
        self.end[u] = self.day + int(self.uni.duration[u])
        if out.first_start[u] < 0:
            out.first_start[u] = self.day
            out.served_requests[u] = len(confirmed)
            out.first_volunteer[u] = v

    def propose(self, u: int, v: int, rids: list[str]) -> None:
        self.pending[u] = (v, rids, self.day + self.settings.decision_days)
        self.pending_rows[u] = self._rows(rids)
        self.out.state[u] = PENDING
        self.out.volunteer[u] = v
        self.out.proposals += 1
        self.asked[v] += 1

    def available(self) -> npt.NDArray[np.bool_]:
        w = self.world
        return (w.v_join <= self.day) & (self.day < w.v_leave)

    def free(self) -> I64:
        """Places per volunteer not yet active or asked about, for volunteers available today."""
        free = self.world.v_capacity - self.asked
        return np.where(self.available(), np.maximum(free, 0), 0)

    # -- policies -------------------------------------------------------------------------------

    def send_plan(self) -> pd.DataFrame:
        """Nightly/weekly: send the plan's proposals of waiting households; return the plan."""
        if self.planner is not None:
            return self._send_day_plan()
        table: pd.DataFrame = self._call("assignments", history=False)
        plan = table[table["status"] == "proposed"]
        rows = self.rid_index.get_indexer(plan["request_id"].astype(str))
        vols = plan["volunteer_id"].astype(str).map(self.vindex).to_numpy(dtype=np.int64)
        self._send(rows, vols)
        return table

    def _send_day_plan(self) -> pd.DataFrame:
        """The day planner's exact plan of the tables of now; the plan as a table (traced
        runs) or an empty one."""
        assert self.planner is not None
        t0 = time.perf_counter()
        state = self.day_state()
        plan = self.planner.plan(state)
        self.out.build_seconds += time.perf_counter() - t0
        self.out.builds += 1
        if self._tracing:  # the tables the plan was made for, before its proposals go out
            requests, assignments = self.tables()
            self.plan_trace = (self.volunteers.copy(), requests, assignments), plan
        self._send(plan.proposal_rows, plan.proposal_vols)
        if not self._tracing:
            return pd.DataFrame(columns=["request_id", "volunteer_id", "status"])
        rows: list[tuple[str, str, str]] = [
            (str(self.rid[r]), self.vid[v], "proposed")
            for r, v in zip(plan.proposal_rows.tolist(), plan.proposal_vols.tolist(), strict=True)
        ]
        for name, at, vols in (
            ("active", state.active_rows, state.active_vols),
            ("declined", state.declined_rows, state.declined_vols),
        ):
            rows.extend(
                (str(self.rid[r]), self.vid[v], name)
                for r, v in zip(at.tolist(), vols.tolist(), strict=True)
            )
        return pd.DataFrame(rows, columns=["request_id", "volunteer_id", "status"])

    def _send(self, rows: I64, vols: I64) -> None:
        """Propose the plan's pairs (request rows, volunteers) of waiting households."""
        known = rows >= 0
        u_of = np.where(known, self.owner[np.maximum(rows, 0)], -1)
        state = self.out.state
        waiting = known & (state[np.maximum(u_of, 0)] == WAITING)
        chosen: dict[int, tuple[int, list[str]]] = {}
        for at in np.flatnonzero(waiting).tolist():
            u = int(u_of[at])
            v = int(vols[at])
            chosen.setdefault(u, (v, []))[1].append(str(self.rid[rows[at]]))
        free = self.free()
        for u in sorted(chosen):
            v, rids = chosen[u]
            if free[v] <= 0:
                self.out.held_back += 1
                continue
            free[v] -= 1
            self.propose(u, v, rids)

    def arrive(self) -> list[int]:
        """Today's arrivals: waiting from now on (added to the desk for on-arrival policies)."""
        uni, state = self.uni, self.out.state
        new = np.flatnonzero((state == NOT_YET) & (uni.arrival == self.day))
        state[new] = WAITING
        if self.policy in ("greedy_on_arrival", "suggest_on_arrival"):
            records = self.table.iloc[
                np.concatenate(
                    [np.arange(self.u_rows[u], self.u_rows[u + 1]) for u in new.tolist()]
                    or [np.zeros(0, dtype=np.int64)]
                )
            ]
            for record in records.to_dict("records"):
                self._call("add", {k: v for k, v in record.items() if not _missing(v)})
        return new.tolist()

    def place_on_arrival(self) -> None:
        """First come, first served: every waiting household with a free admissible volunteer."""
        world, uni, state = self.world, self.uni, self.out.state
        free = self.free()
        waiting = np.flatnonzero(state == WAITING)
        order = waiting[np.lexsort((waiting, uni.arrival[waiting]))]
        for u in order.tolist():
            t = int(uni.template[u])
            arcs = world.arc_volunteer[world.arc_start[t] : world.arc_start[t + 1]]
            open_ = free[arcs] > 0
            if u in self.refused and open_.any():
                open_ &= ~np.isin(arcs, list(self.refused[u]))
            if not open_.any():
                continue  # nobody admissible has a free place: no need to ask the desk
            if self.u_tick[u] >= 0 and int(self.v_tick[arcs[open_]].max()) <= self.u_tick[u]:
                continue  # asked in vain before, and none of its volunteers gained a place since
            rids = [str(r) for r in self.rid[self.u_rows[u] : self.u_rows[u + 1]]]
            frames: dict[str, pd.DataFrame] = {}
            v = -1
            for r in rids:
                frames[r] = self._call("suggest", r, k=max(world.n_volunteers, 1)).frame
                v = self._pick(frames[r], free)
                if v >= 0:
                    break
            if v < 0:
                self.u_tick[u] = self.tick  # in vain: ask again once a volunteer gains a place
                continue
            vid = self.vid[v]
            take = []
            for r in rids:
                if r not in frames:
                    frames[r] = self._call("suggest", r, k=max(world.n_volunteers, 1)).frame
                if bool((frames[r]["volunteer_id"] == vid).any()):
                    take.append(r)
            free[v] -= 1
            self.propose(u, v, take)

    def _pick(self, frame: pd.DataFrame, free: I64) -> int:
        if frame.empty:
            return -1
        v = np.array([self.vindex[str(x)] for x in frame["volunteer_id"]], dtype=np.int64)
        ok = free[v] > 0
        if not ok.any():
            return -1
        if self.policy == "suggest_on_arrival":
            return int(v[np.flatnonzero(ok)[0]])
        score = frame["score"].to_numpy(dtype=np.float64)
        at = np.flatnonzero(ok)
        ids = self.vid[v[at]].astype(str)
        best = at[np.lexsort((ids, -score[at]))[0]]
        return int(v[best])

    # -- bookkeeping ----------------------------------------------------------------------------

    def count_slots(self) -> None:
        available = self.available()
        vols = _ints(v for _, v, _ in self.active.values())
        active = np.bincount(vols, minlength=self.world.n_volunteers)
        self.out.occupied_slot_days += float(active[available].sum())
        self.out.available_slot_days += float(self.world.v_capacity[available].sum())

    def record(self, sent_before: set[int], plan: pd.DataFrame | None) -> None:
        """Keep the day for the checker: tables of the evening, today's proposals, the plan."""
        rows: list[tuple[str, str, str]] = []
        new_rows: list[tuple[str, str]] = []
        for rids, v, _ in self.active.values():
            rows.extend((r, self.vid[v], "active") for r in rids)
        for u, (v, rids, _) in self.pending.items():
            if u in sent_before:
                rows.extend((r, self.vid[v], "active") for r in rids)
            else:
                new_rows.extend((r, self.vid[v]) for r in rids)
        for pairs in self.declined.values():
            rows.extend((r, self.vid[v], "declined") for r, v in pairs)
        if self.planner is None:
            assert self.matcher is not None
            volunteers, requests = self.matcher.volunteers(), self.matcher.requests()
        else:
            assert self.record_frames is not None
            volunteers = contract_frame(self.volunteers)
            requests = contract_frame(self.record_frames[0])
        known = set(requests["request_id"].astype(str))
        assignments = pd.DataFrame(rows, columns=["request_id", "volunteer_id", "status"])
        assignments = assignments[assignments["request_id"].isin(known)].reset_index(drop=True)
        self.out.records.append(
            DayRecord(
                self.day,
                self.today,
                volunteers,
                requests,
                assignments,
                pd.DataFrame(new_rows, columns=["request_id", "volunteer_id"]),
                plan,
                *self._plan_facts(plan),
            )
        )
        self.plan_trace = None

    def _plan_facts(self, plan: pd.DataFrame | None) -> tuple[Any, int | None, int | None, Any]:
        if plan is None or self.plan_trace is None:
            return None, None, None, None
        tables, day_plan = self.plan_trace
        objective, pairs = int(day_plan.solved.objective), int(day_plan.proposal_rows.size)
        return tables, objective, pairs, day_plan


_NO_ROWS: I64 = np.zeros(0, dtype=np.int64)


def _flat(parts: list[I64]) -> tuple[I64, I64]:
    """The arrays one after the other, and their lengths."""
    lengths = np.fromiter((x.size for x in parts), dtype=np.int64, count=len(parts))
    return (np.concatenate(parts) if parts else _NO_ROWS), lengths


def _ints(values: Any) -> I64:
    return np.fromiter(values, dtype=np.int64)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def run_policy(
    world: World,
    uni: Universe,
    settings: SimulationSettings,
    policy: str,
    seed: int,
    *,
    trace: bool = False,
) -> RunState:
    """Simulate ``settings.days`` days under ``policy`` (see the module docstring).

    Raises
    ------
    InputValidationError
        A day's tables the Matcher refuses (a defect: they are built from validated rows).
    """
    run = _Day(world, uni, settings, policy, seed)
    start = world.config.as_of
    on_arrival = policy in ("greedy_on_arrival", "suggest_on_arrival")
    run._tracing = trace
    if settings.planner == "universe" and not on_arrival:
        run.use_planner()
    for day in range(settings.days):
        run.day, run.today = day, start + dt.timedelta(days=day)
        run.end_accompaniments()
        run.join()
        run.begin()
        run.depart()
        run.decide_due()
        sent_before = set(run.pending)
        plan: pd.DataFrame | None = None
        if on_arrival:
            run.arrive()
            run.place_on_arrival()
        elif policy == "nightly" or day % 7 == settings.weekly_day:
            plan = run.send_plan()
        if trace:
            run.record(sent_before, plan)
        if settings.decision_days == 0:
            run.decide_due()
        if not on_arrival:
            run.arrive()
        run.count_slots()
    return run.out
