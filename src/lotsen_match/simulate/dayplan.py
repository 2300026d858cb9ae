"""The nightly plan of a simulated day without building a Matcher: the universe encoded once.

Every household a run will ever hold is known when it starts (the universe), so the day loop
does not need to validate, encode and pair the day's tables afresh each morning. Once per run:

* the universe's request rows and the volunteers are validated and encoded
  (``validate_caseload`` + ``build_problem``, the library's own code);
* their *relaxed* admissible pairs are found once (``find_candidates`` with every volunteer
  active, police checks valid far ahead, a place for everybody): every rule that does not
  change during a run (language, distance, need, time, gender, exclusions) is decided there.

Each day the plan is then built from arrays alone: the day's ``MatchProblem`` is the universe's
restricted to the alive request rows, with what depends on the date and the state put in
(``as_of``, volunteers active today, active / proposed / declined pairs, last contacts and
stale requests, households already accompanied); the day's pairs are the relaxed ones of those
rows minus what the date and the state rule out (requests accompanied already, volunteers not
active today, police checks not valid until max(as_of, due_on), declined pairs, volunteers
without a free place). Scoring (``score_quality``), the household model
(``build_household_model``) and the exact min-cost-flow solve are the pipeline's own, so the
day's model is the one ``match()`` builds on that day's tables, array for array (a test checks
it), and the plan has its served count and objective.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..core._keys import contains_sorted, pair_keys
from ..core.assignment import HouseholdModel, household_model_of
from ..core.candidates import FUNNEL_STEPS, Candidates, find_candidates, police_check_needed
from ..core.problem import MISSING_DAY, MatchProblem, build_problem, day_numbers
from ..core.scoring import score_quality
from ..solve import SolveResult, get_solver
from ..validation import validate_caseload

__all__ = ["DayPlan", "DayPlanner", "DayState"]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class DayState:
    """What the tables of one day hold, as arrays over the universe's request rows.

    Rows are positions in the run's request table (``request_table``), volunteers positions in
    the world's volunteer table. Pairs need not be sorted or unique.
    """

    day: int
    """Days after the run's ``as_of``."""
    rows: I64
    """Request rows in the tables (alive households)."""
    active_rows: I64
    active_vols: I64
    active_start: I64
    """Day (after ``as_of``) each active pair started; only its last contact depends on it."""
    proposed_rows: I64
    proposed_vols: I64
    declined_rows: I64
    declined_vols: I64


@dataclass(frozen=True)
class DayPlan:
    """One day's exact plan: the model solved, and its proposals as table rows."""

    problem: MatchProblem
    cand: Candidates
    quality: npt.NDArray[np.float64]
    household: HouseholdModel
    solved: SolveResult
    proposal_rows: I64
    """Request rows (of the run's request table) of the plan's proposals."""
    proposal_vols: I64
    """Volunteers (world positions) of the plan's proposals."""
    seconds: float


class DayPlanner:
    """The universe of one run encoded once; each day's exact plan from arrays.

    Parameters
    ----------
    volunteers
        The run's volunteer table (contract form, as handed to the Matcher each day).
    requests
        Every request row of the universe (``request_table``).
    config
        The run's matching rules; ``as_of`` is day 0.
    """

    def __init__(
        self, volunteers: pd.DataFrame, requests: pd.DataFrame, config: MatchConfig
    ) -> None:
        self.config = config
        self.as_of_day = (config.as_of - _EPOCH).days
        case = validate_caseload(volunteers, requests, None, config=config, strict=True)
        p = build_problem(case.volunteers, case.requests, None, config)
        self.universe = p
        n_v = p.n_volunteers
        # Positions in the problem (sorted ids) of the tables' rows and volunteers.
        self.row_pos = _positions(p.request_ids, requests["request_id"])
        self.vol_pos = _positions(p.volunteer_ids, volunteers["volunteer_id"])
        self.pos_row = np.empty(p.n_requests, dtype=np.int64)
        self.pos_row[self.row_pos] = np.arange(p.n_requests, dtype=np.int64)
        self.pos_vol = np.empty(n_v, dtype=np.int64)
        self.pos_vol[self.vol_pos] = np.arange(n_v, dtype=np.int64)
        clean = case.volunteers
        vols = clean.iloc[_positions(clean["volunteer_id"].astype(str).to_numpy(), p.volunteer_ids)]
        self.v_start = day_numbers(vols["available_from"])
        self.v_until = day_numbers(vols["available_until"])
        ok = np.ones(n_v, dtype=np.bool_)
        if config.rules.require_certification:
            certified = day_numbers(vols["certified_on"])
            ok &= certified != MISSING_DAY
            self.v_certified = certified
        else:
            self.v_certified = np.full(n_v, MISSING_DAY, dtype=np.int32)
        if "status" in vols.columns:
            status = vols["status"].fillna("").to_numpy(dtype=object)
            ok &= (status == "") | (status == "active")
        self.v_status_ok = ok
        relaxed = replace(
            p,
            v_is_active=np.ones(n_v, dtype=np.bool_),
            v_police_until_day=np.full(n_v, np.iinfo(np.int32).max, dtype=np.int32),
            v_capacity=np.maximum(p.v_capacity, 1).astype(np.int32),
        )
        cand = find_candidates(relaxed, config)
        self.e_req = np.asarray(cand.req, dtype=np.int64)
        self.e_vol = np.asarray(cand.vol, dtype=np.int64)
        self.e_km, self.e_lang, self.e_level = cand.km, cand.lang, cand.level
        self.e_start = np.searchsorted(self.e_req, np.arange(p.n_requests + 1)).astype(np.int64)
        self.e_keys = pair_keys(self.e_req, self.e_vol, n_v)
        """Sorted keys of the relaxed pairs (requests sorted, volunteers sorted within)."""
        self.solver = get_solver("flow")

    # -- state ----------------------------------------------------------------------------------

    def leave(self, volunteer: int, last_day: int) -> None:
        """A volunteer's last day (after ``as_of``), as ``engine`` writes it into her row."""
        v = int(self.vol_pos[volunteer])
        last = self.as_of_day + last_day
        if self.v_until[v] == MISSING_DAY or self.v_until[v] > last:
            self.v_until[v] = last
        if self.v_start[v] != MISSING_DAY and self.v_start[v] > last:
            self.v_start[v] = last

    def active_volunteers(self, day: int) -> B:
        """(n_vol,) in problem order: status active, available and certified on the day."""
        d = self.as_of_day + day
        s, u = self.v_start, self.v_until
        on = ((s == MISSING_DAY) | (s <= d)) & ((u == MISSING_DAY) | (u >= d)) & self.v_status_ok
        if self.config.rules.require_certification:
            on &= self.v_certified <= d
        return np.asarray(on, dtype=np.bool_)

    def pair_admissible(self, day: int, rows: I64, vols: I64, active_households: I64) -> B:
        """Whether single pairs are admissible on ``day`` (the morning's confirmations).

        ``active_households`` counts each volunteer's active households (world positions);
        the pairs' households must not be accompanied (the engine asks only about those).
        """
        p = self.universe
        req = self.row_pos[rows]
        vol = self.vol_pos[vols]
        ok = contains_sorted(self.e_keys, pair_keys(req, vol, p.n_volunteers))
        ok &= _police_ok(p, req, vol, self.as_of_day + day)
        ok &= self.active_volunteers(day)[vol]
        room = p.v_capacity[vol].astype(np.int64) - active_households[vols]
        return np.asarray(ok & (room > 0), dtype=np.bool_)

    # -- the day's problem ----------------------------------------------------------------------

    def problem(self, s: DayState) -> tuple[MatchProblem, I64]:
        """The ``MatchProblem`` ``build_problem`` would encode from the day's tables, and the
        universe position of each of its requests."""
        u = self.universe
        n_v = u.n_volunteers
        width = max(n_v, 1)
        pos = np.sort(self.row_pos[s.rows])
        n_req = pos.size
        index = np.full(u.n_requests, -1, dtype=np.int64)
        index[pos] = np.arange(n_req, dtype=np.int64)
        hh_of = u.r_household[pos]
        hh, inverse = np.unique(hh_of, return_inverse=True)
        r_household: I32 = inverse.astype(np.int32).reshape(-1)
        d = self.as_of_day + s.day

        def pairs(rows: I64, vols: I64) -> tuple[I32, I32]:
            keys = np.unique(pair_keys(index[self.row_pos[rows]], self.vol_pos[vols], n_v))
            return (keys // width).astype(np.int32), (keys % width).astype(np.int32)

        active_req, active_vol = pairs(s.active_rows, s.active_vols)
        proposed_req, proposed_vol = pairs(s.proposed_rows, s.proposed_vols)
        declined_req, declined_vol = pairs(s.declined_rows, s.declined_vols)
        ex = index[u.excluded_req]
        keep = ex >= 0
        excluded_req = ex[keep].astype(np.int32)
        excluded_vol = u.excluded_vol[keep]
        r_is_active = np.zeros(n_req, dtype=np.bool_)
        r_is_active[active_req] = True
        contact = u.r_created_day[pos].astype(np.int64)
        started = np.minimum(self.as_of_day + s.active_start, d)  # NaT: far in the past
        np.maximum.at(contact, index[self.row_pos[s.active_rows]], started)
        np.maximum.at(contact, index[self.row_pos[s.proposed_rows]], d)
        contact = np.minimum(contact, d)
        stale = ~r_is_active & (d - contact > self.config.rules.reconfirm_after_days)
        hv = np.unique(pair_keys(r_household[active_req], active_vol, width))
        hv_req, hv_vol = hv // width, hv % width
        v_active_households = np.bincount(hv_vol, minlength=n_v).astype(np.int32)
        h_active_volunteer = np.full(hh.size, -1, dtype=np.int32)
        first_hh, first_at = np.unique(hv_req, return_index=True)
        h_active_volunteer[first_hh] = hv_vol[first_at]
        empty = np.zeros(0, dtype=np.int32)
        day_problem = replace(
            u,
            as_of_day=d,
            request_ids=u.request_ids[pos],
            household_keys=u.household_keys[hh],
            r_household=r_household,
            r_lang=u.r_lang[pos],
            r_lang_level=u.r_lang_level[pos],
            r_lat=u.r_lat[pos],
            r_lon=u.r_lon[pos],
            r_xyz=u.r_xyz[pos],
            r_need=u.r_need[pos],
            r_slot_mask=u.r_slot_mask[pos],
            r_pref_gender=u.r_pref_gender[pos],
            r_minors=u.r_minors[pos],
            r_due_day=u.r_due_day[pos],
            r_created_day=u.r_created_day[pos],
            v_is_active=self.active_volunteers(s.day),
            active_req=active_req,
            active_vol=active_vol,
            proposed_req=proposed_req,
            proposed_vol=proposed_vol,
            declined_req=declined_req,
            declined_vol=declined_vol,
            excluded_req=excluded_req,
            excluded_vol=excluded_vol,
            r_is_active=r_is_active,
            v_active_households=v_active_households,
            h_active_volunteer=h_active_volunteer,
            r_prev_vol=u.r_prev_vol[pos],
            ended_req=empty,
            ended_vol=empty,
            h_ended_keys=np.zeros(0, dtype=np.int64),
            r_contact_day=contact.astype(np.int32),
            r_stale=stale,
        )
        return day_problem, pos

    def candidates(self, p: MatchProblem, pos: I64) -> Candidates:
        """The day's admissible pairs: the relaxed pairs of its rows (universe positions
        ``pos``), minus what the date and the state rule out."""
        first = self.e_start[pos]
        lengths = self.e_start[pos + 1] - first
        offsets = np.cumsum(lengths) - lengths
        total = int(lengths.sum())
        at = np.repeat(first - offsets, lengths) + np.arange(total, dtype=np.int64)
        req = np.repeat(np.arange(p.n_requests, dtype=np.int64), lengths)
        vol = self.e_vol[at]
        n_v = max(p.n_volunteers, 1)
        ok = ~p.r_is_active[req] & p.v_is_active[vol]
        ok &= _police_ok(p, req, vol, p.as_of_day)
        if p.declined_req.size:
            declined = pair_keys(p.declined_req, p.declined_vol, n_v)
            ok &= ~contains_sorted(declined, pair_keys(req, vol, n_v))
        room = (p.v_capacity.astype(np.int64) - p.v_active_households) > 0
        full = ok & ~room[vol]
        if full.any():
            look = np.flatnonzero(full)
            accompanied = np.unique(pair_keys(p.r_household[p.active_req], p.active_vol, n_v))
            keys = pair_keys(p.r_household[req[look]], vol[look], n_v)
            ok[look] = contains_sorted(accompanied, keys)
        keep = np.flatnonzero(ok)
        return Candidates(
            req=req[keep].astype(np.int32),
            vol=vol[keep].astype(np.int32),
            km=self.e_km[at[keep]],
            lang=self.e_lang[at[keep]],
            level=self.e_level[at[keep]],
            funnel=np.zeros((p.n_requests, len(FUNNEL_STEPS)), dtype=np.int32),
        )

    def plan(self, s: DayState) -> DayPlan:
        """The exact plan of the day's tables (see the module docstring)."""
        t0 = time.perf_counter()
        p, pos = self.problem(s)
        cand = self.candidates(p, pos)
        q = score_quality(p, cand, self.config)
        hm = household_model_of(p, cand, q, self.config)
        solved = self.solver.solve(hm.model)
        at = np.flatnonzero(hm.chosen_edges(solved.selected))
        rows = self.pos_row[pos[cand.req[at]]]
        vols = self.pos_vol[cand.vol[at]]
        return DayPlan(p, cand, q, hm, solved, rows, vols, time.perf_counter() - t0)


def _positions(unique_ids: npt.NDArray[np.object_], ids: object) -> I64:
    """Positions of ``ids`` in the array of unique ids ``unique_ids`` (all present)."""
    values = np.asarray(pd.Series(ids).astype(str).to_numpy(dtype=object), dtype=object)
    at = pd.Index(unique_ids).get_indexer(pd.Index(values))
    if (at < 0).any():
        raise KeyError("ids outside the universe")
    return np.asarray(at, dtype=np.int64)


def _police_ok(p: MatchProblem, req: I64, vol: I64, day: int) -> B:
    """The police-check rule (``core.candidates``') for the pairs on ``day``."""
    return np.asarray(p.v_police_until_day[vol] >= police_check_needed(p, day)[req], dtype=np.bool_)
