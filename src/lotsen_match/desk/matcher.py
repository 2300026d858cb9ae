"""``lm.Matcher``: the caseload and its plan held in memory, for the questions of the day.

Built once (validation, encoding, pairs, scores, the exact solve: one ``match()``), a Matcher
answers single questions in milliseconds and keeps the plan exact after every change:

* ``suggest(request, k)``: the volunteers for one request, each valued by the exact optimum
  of the plan with that pair forced (one shortest-path tree over the plan's residual network
  values them all, see :mod:`.incremental`);
* ``decide``, ``replace``, ``add``, ``update``, ``remove``: each change is carried out as the
  exact re-optimisation it implies (a household placed again along a shortest path), never by
  re-solving everything; adding or changing a volunteer rebuilds the model once.

Between calls the plan's own proposals count as ``proposed`` pairs (stability), exactly as if
the case software fed them back to the next nightly run; :meth:`Matcher.assignments` returns
them that way. ``m.plan`` is the full :class:`~lotsen_match.MatchResult` of the current state,
built by the pipeline's own result code on first access, and certified optimal against a
freshly built model.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..arguments import CONFIG_HELP, check_flag, check_table_source, describe
from ..config import MatchConfig
from ..contract import CLEAN_DTYPES
from ..core._keys import pair_keys
from ..core.assignment import SCALE
from ..core.candidates import FUNNEL_STEPS
from ..core.problem import MISSING_DAY, MatchProblem, last_contact_days
from ..core.scoring import COMPONENTS
from ..core.vocab import DECIDERS, END_REASONS, LEVEL_CODE
from ..errors import (
    ArgumentError,
    ArgumentTypeError,
    DeskError,
    InputValidationError,
    UnknownIdError,
)
from ..io import read_table
from ..pipeline import (
    MatchInstance,
    StageTimer,
    TableSource,
    build_instance,
    match_validated,
    read_inputs,
)
from ..records import HelpRequest, Record, Volunteer
from ..results.result import MatchResult
from ..results.tables import admissible_codes
from ..solve import AssignmentModel, SolveResult, get_solver
from ..solve.certificate import certify
from ..validation import ValidatedCaseload, validate_caseload
from ..validation.tables import CHECKS
from .answers import CHANGE_COLUMNS, SUGGESTION_COLUMNS, Replan, Suggestions
from .held import HeldPlan
from .incremental import DROP, MOVE, HouseholdOptions
from .request_edges import RequestEdges, SuccessInputs, pair_failure, request_edges
from .tables import DeskTables, TablesSnapshot, contract_frame

__all__ = ["DECISIONS", "END_REASONS", "Matcher"]

logger = logging.getLogger(__name__)

#: What a coordinator can decide about a proposal.
DECISIONS: Final[tuple[str, ...]] = ("confirmed", "declined")
#: What ``remove(kind=...)`` may name.
_KINDS: Final[tuple[str, ...]] = ("request", "volunteer")

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
RequestLike = str | HelpRequest | Mapping[str, Any]


class _PlanSource:
    """The plan of one state, built on first use (shared by the Matcher and a Replan)."""

    def __init__(self, build: Callable[[], MatchResult] | None, result: MatchResult | None):
        self._build = build
        self._result = result

    def result(self) -> MatchResult:
        if self._result is None:
            assert self._build is not None
            self._result = self._build()
            self._build = None
        return self._result


class Matcher:
    """A caseload and its exact plan, held for the questions of the day.

    Built once (one [`match`][lotsen_match.match]), it answers single questions in
    milliseconds and keeps the plan exact after every change, by re-optimising only what
    the change touches instead of re-solving everything.

    With a learned success model (``config.rules.success_model``) the pairs are scored with
    it as a run scores them. Its features move with every change (a volunteer's load, a
    household's size, the history), so every change then re-solves the whole caseload: still
    exact, but a change costs a run's model and solve (``decide`` about 0.1 s for a district
    of 600 requests, 1.4 s for a city of 10,000). ``suggest`` stays incremental.

    Parameters
    ----------
    volunteers
        As for [`match`][lotsen_match.match]: a DataFrame, a file, or a list of
        [`Volunteer`][lotsen_match.Volunteer] records or dicts.
    requests
        The same for requests ([`HelpRequest`][lotsen_match.HelpRequest] records).
    assignments
        The same for the pairs before today
        ([`Assignment`][lotsen_match.Assignment] records); None when there are none.
    config
        A [`MatchConfig`][lotsen_match.MatchConfig] or a mapping of its settings; None for
        the defaults.
    strict
        Strict or lenient validation; None follows ``config.strict``.

    Attributes
    ----------
    config : MatchConfig
        The settings the plan was made with.
    timings
        Seconds per stage of the construction (the pipeline's stages plus ``desk``).
    plan_repairs : int
        Plans that failed their certificate against a fresh model and were re-solved: a
        defect of the incremental steps if ever above 0 (logged as a warning). The Matcher
        then moves on to the re-solved plan, so ``plan`` and ``assignments()`` still agree.

    Raises
    ------
    InputValidationError
        Invalid input (strict mode) or missing required columns, naming file or record,
        row, column and value.
    InputFileNotFoundError
        A path that names no file.
    InputFormatError
        A file that cannot be read as a table, or one beyond the size limits.
    ArgumentTypeError
        A table, ``config`` or ``strict`` of the wrong type.
    ArgumentError
        ``config.ingest.columns`` gives two columns of a table the same name.
    ConfigError
        An invalid config mapping, a setting that fails in use, or a
        ``rules.success_model`` file that is missing, unreadable or of another feature
        version.
    SolverError
        The solver backend failed.

    Notes
    -----
    ``plan`` right after construction is exactly ``match()``'s result on the same inputs.
    """

    def __init__(
        self,
        volunteers: TableSource,
        requests: TableSource,
        assignments: TableSource | None = None,
        config: MatchConfig | Mapping[str, Any] | None = None,
        *,
        strict: bool | None = None,
    ) -> None:
        for name, table in (("volunteers", volunteers), ("requests", requests)):
            check_table_source(table, name)
        check_table_source(assignments, "assignments", optional=True)
        cfg = _config(config)
        strict = check_flag(strict, "strict")
        self._success_model = None
        if cfg.rules.success_model is not None:
            from ..learn.model import load_success_model  # scikit-learn and skops load here

            self._success_model = load_success_model(cfg.rules.success_model)
        self.config = cfg
        timer = StageTimer()
        with timer.stage("read"):
            raw = read_inputs(volunteers, requests, assignments, cfg)
        with timer.stage("validate"):
            case = validate_caseload(
                raw["volunteers"],
                raw["requests"],
                raw.get("assignments"),
                config=cfg,
                strict=strict,
            )
        inst = build_instance(case, cfg, timer=timer, success_model=self._success_model)
        result = match_validated(case, cfg, timer=timer, instance=inst)
        with timer.stage("desk"):
            self._tables = DeskTables(case)
            p = inst.problem
            reference = pair_keys(p.proposed_req, p.proposed_vol, p.n_volunteers)
            contact = _contact_days(case.assignments, p)
            self._held = HeldPlan(inst, _selection(result, inst), cfg, reference, contact)
            self._held.fold()
        self._source = _PlanSource(None, result)
        self._state = 0
        """Bumped by every change: a plan built for an older state must not touch the held one."""
        self._earlier_repairs = 0
        """Repairs of held plans replaced since (rebuilds, re-solved plans)."""
        self.timings: dict[str, float] = dict(timer.seconds)
        self.plan_repairs = 0

    # -- reading ------------------------------------------------------------------------------

    @property
    def plan(self) -> MatchResult:
        """The current plan as a full result (built on first access after a change)."""
        return self._source.result()

    def assignments(self, *, history: bool = True) -> pd.DataFrame:
        """Give the assignments table in the contract, for the next nightly run to start from.

        Decisions made here are included (``active`` with ``started_on``, ``declined``,
        ``ended`` with ``end_reason``), and the current plan's proposals are ``proposed``
        rows (``decided_by = "auto"``), which the next run keeps stable. They are the
        proposals of ``plan``, which is certified (built) first if a change came since.

        Parameters
        ----------
        history
            Include the ``ended`` rows; False leaves them out, for readers that do not know
            the history statuses yet (a run on such a table loses their contact dates and
            continuity).

        Returns
        -------
        pandas.DataFrame
            Columns request_id, volunteer_id, status, started_on, ended_on, end_reason,
            decided_by.

        Raises
        ------
        ArgumentTypeError
            ``history`` is not True or False.
        """
        if not isinstance(check_flag(history, "history"), bool):
            raise ArgumentTypeError("history", "True or False", "None")
        self._source.result()  # a plan that fails its certificate moves the held one
        table = self._tables.snapshot().assignments(self._proposal_ids())
        if history:
            return table
        matched = table["status"].isin(("active", "proposed", "declined"))
        return table[matched].reset_index(drop=True)

    def volunteers(self) -> pd.DataFrame:
        """Give the volunteers as held now, with every change made here.

        Returns
        -------
        pandas.DataFrame
            Contract columns and the inputs' extra columns.
        """
        return contract_frame(self._tables.snapshot().volunteers())

    def requests(self) -> pd.DataFrame:
        """Give the requests as held now, with every change made here.

        Returns
        -------
        pandas.DataFrame
            Contract columns and the inputs' extra columns.
        """
        return contract_frame(self._tables.snapshot().requests())

    @property
    def repairs(self) -> int:
        """Incremental steps that failed their certificate (0 unless there is a defect)."""
        return self._held.flow.repairs + self._earlier_repairs + self.plan_repairs

    # -- suggest --------------------------------------------------------------------------------

    def suggest(self, request: RequestLike, k: int = 5) -> Suggestions:
        """Find the best ``k`` volunteers for one request, each valued exactly.

        Parameters
        ----------
        request
            The id of a request the Matcher holds, or a new request (a
            [`HelpRequest`][lotsen_match.HelpRequest] or a dict of its fields); a new request
            is not added (use [`add`][lotsen_match.Matcher.add]).
        k
            Most rows returned (>= 1).

        Returns
        -------
        Suggestions
            Best first. The first row is the volunteer an exact re-solve with the request
            would choose (unless ``left_unmatched``); every row is valued by the exact optimum
            of the plan with that pair forced (``served_change``, ``quality_change``) and
            names the requests whose proposal would move or drop (``displaced``).

        Raises
        ------
        UnknownIdError
            An id the Matcher does not hold.
        InputValidationError
            An invalid new request (field and value named).
        DeskError
            ``k`` below 1, or a new request whose id exists already.
        ArgumentTypeError
            ``request`` is neither an id, a record nor a dict.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise DeskError(f"k must be a whole number >= 1, got {k!r}", field="k")
        held = self._held
        if isinstance(request, str):
            r = self._request(request)
            return self._suggest_existing(r, k)
        if not isinstance(request, HelpRequest | Mapping):
            raise ArgumentTypeError(
                "request", "a request id, a HelpRequest or a dict of its fields", describe(request)
            )
        row = self._validated(request, "requests")
        rid = str(row["request_id"])
        if self._tables.has_request(rid):
            raise DeskError(
                f"request {rid!r} exists already; pass its id to suggest(), or update() it",
                field="request_id",
            )
        edges = self._edges([row])
        h = held.household_index.get(_household_key(row), -1)
        if h >= 0 and int(held.hh_active.view[h]) >= 0:
            return self._suggest_direct(rid, row, edges, h, k, new=True)
        opts = held.flow.options(h, *self._joined_arcs(h, row, edges))
        return self._suggestions(rid, "new", row, edges, opts, k)

    def _joined_arcs(
        self, h: int, row: dict[str, Any], edges: RequestEdges
    ) -> tuple[I64, I64, I64]:
        """Household ``h``'s arcs with the new request ``row`` (pairs ``edges``) in it. A
        learned success score counts the household's requests, so with a model the members'
        pairs are scored afresh for the larger household."""
        held = self._held
        members = held.open_members(h) if h >= 0 else np.zeros(0, dtype=np.int64)
        if self._success_model is None or members.size == 0:
            return held.household_arcs(h, extra=edges)
        rows = [self._tables.request_row(held.request_ids[m]) for m in members.tolist()]
        return held.household_arcs(h, extra=self._edges([*rows, row]), members=False)

    def _suggest_existing(self, r: int, k: int) -> Suggestions:
        held = self._held
        rid = held.request_ids[r]
        h = held.household_of(r)
        row = self._tables.request_row(rid)
        if held.req_active.view[r]:
            volunteer = held.volunteer_ids[int(held.hh_active.view[h])]
            return Suggestions(
                rid,
                _empty_frame(),
                "active",
                {},
                "",
                False,
                {"volunteer": volunteer},
                self.config.report.language,
                self.config.rules.min_language_level,
            )
        edges = self._stored_edges(r)
        if int(held.hh_active.view[h]) >= 0:
            return self._suggest_direct(rid, row, edges, h, k, new=False)
        return self._suggestions(rid, "open", row, edges, held.options(h), k)

    def _suggest_direct(
        self, rid: str, row: dict[str, Any], edges: RequestEdges, h: int, k: int, *, new: bool
    ) -> Suggestions:
        """A request of a household someone accompanies already: only that volunteer."""
        held = self._held
        a = int(held.hh_active.view[h])
        at = np.flatnonzero(edges.volunteer == a)
        gain = np.zeros(at.size, dtype=np.int64)
        served = np.zeros(at.size, dtype=np.int64)
        if new and at.size:
            served[:] = 1
            gain[:] = held.flow.base + int(np.rint(edges.quality[at[0]] * SCALE))
        frame = self._frame(edges, at, gain, served, [()] * at.size, k)
        status = "new" if new else "open"
        if frame.empty:
            return self._nobody(rid, status, row, "household", {"household_volunteer_id": a})
        return Suggestions(
            rid,
            frame,
            status,
            _funnel(edges),
            "",
            False,
            {},
            self.config.report.language,
            self.config.rules.min_language_level,
        )

    def _suggestions(
        self,
        rid: str,
        status: str,
        row: dict[str, Any],
        edges: RequestEdges,
        opts: HouseholdOptions,
        k: int,
    ) -> Suggestions:
        ranked = self._ranked(edges, opts)
        if ranked.size == 0:
            return self._nobody(rid, status, row, None, {})
        top = ranked[:k]
        pos = np.searchsorted(opts.volunteers, edges.volunteer[top])
        gain = opts.gain[pos]
        served = np.array([opts.served_change(int(i)) for i in pos], dtype=np.int64)
        displaced = [self._displaced(opts, int(i), rid) for i in pos]
        frame = self._frame(edges, top, gain, served, displaced, k)
        return Suggestions(
            rid,
            frame,
            status,
            _funnel(edges),
            "",
            int(opts.gain[pos[0]]) < _unserved_gain(opts, edges),
            {},
            self.config.report.language,
            self.config.rules.min_language_level,
        )

    def _ranked(self, edges: RequestEdges, opts: HouseholdOptions) -> I64:
        """Edge positions of the request's volunteers, best first: exact gain, then staying
        where the household is, then score, then volunteer id."""
        pos = np.searchsorted(opts.volunteers, edges.volunteer)
        pos = np.minimum(pos, max(opts.volunteers.size - 1, 0))
        ok = (
            (opts.volunteers.size > 0)
            & (opts.volunteers[pos] == edges.volunteer)
            & opts.feasible[pos]
            if opts.volunteers.size
            else np.zeros(edges.volunteer.size, dtype=np.bool_)
        )
        at = np.flatnonzero(ok)
        gain = opts.gain[pos[at]]
        elsewhere = edges.volunteer[at] != opts.current
        order = np.lexsort((edges.volunteer[at], -edges.quality[at], elsewhere, -gain))
        return np.asarray(at[order], dtype=np.int64)

    def _displaced(self, opts: HouseholdOptions, position: int, subject: str) -> tuple[str, ...]:
        """Requests (other than ``subject``) whose proposal moves or drops with the option at
        ``position``; the subject's own household moves too if it leaves its volunteer."""
        held = self._held
        households = {s.household for s in opts.path(position) if s.kind in (MOVE, DROP)}
        moves_own = opts.current >= 0 and int(opts.volunteers[position]) != opts.current
        if opts.household >= 0 and moves_own:
            households.add(opts.household)
        out: list[str] = []
        for h in sorted(households):
            where = held.flow.household_volunteer(h)
            for r in held.open_members(h).tolist():
                at = held.edges_of(r)
                rid = held.request_ids[r]
                if rid != subject and where >= 0 and np.any(held.e_vol.view[at] == where):
                    out.append(rid)
        return tuple(sorted(out))

    def _frame(
        self,
        edges: RequestEdges,
        at: I64,
        gain: I64,
        served: I64,
        displaced: Sequence[tuple[str, ...]],
        k: int,
    ) -> pd.DataFrame:
        held = self._held
        at, gain, served = at[:k], gain[:k], served[:k]
        vol = edges.volunteer[at]
        data: dict[str, Any] = {
            "rank": np.arange(1, at.size + 1, dtype=np.int64),
            "volunteer_id": np.array([held.volunteer_ids[v] for v in vol.tolist()], dtype=object),
            "score": np.round(edges.quality[at], 4),
        }
        for j, name in enumerate(COMPONENTS):
            data[name] = np.round(edges.components[at, j].astype(np.float64), 4)
        languages = np.asarray(held.volunteers["languages"], dtype=object)
        data["distance_km"] = np.round(edges.km[at], 3)
        data["shared_language"] = (
            languages[edges.lang[at]] if at.size else np.zeros(0, dtype=object)
        )
        data["free_slots"] = (held.flow.free[vol] - held.flow.load[vol]).astype(np.int64)
        data["displaced"] = list(displaced[: at.size])
        data["served_change"] = served.astype(np.int64)
        base = held.flow.base
        data["quality_change"] = np.round((gain - base * served) / SCALE, 4)
        columns = [*SUGGESTION_COLUMNS[0], *COMPONENTS, *SUGGESTION_COLUMNS[1]]
        return pd.DataFrame(data, columns=columns)

    def _nobody(
        self,
        rid: str,
        status: str,
        row: dict[str, Any],
        reason: str | None,
        extra: dict[str, Any],
    ) -> Suggestions:
        """Nobody qualifies: the funnel (computed afresh) says which constraint removed the
        last candidate, unless the household's own volunteer is the reason."""
        edges = self._edges([row])
        reason = reason or _first_empty_step(edges) or "household"
        detail: dict[str, Any] = {
            "request_id": rid,
            "request_languages": admissible_codes(
                str(row.get("languages") or ""), LEVEL_CODE[self.config.rules.min_language_level]
            ),
            "need_type": row.get("need_type", ""),
            "nearest_km": float(np.round(edges.nearest_km[0], 2)),
            "nearest_radius_km": float(edges.nearest_radius_km[0]),
            "best_volunteer_id": "",
            "best_score": None,
        }
        if "household_volunteer_id" in extra:
            detail["household_volunteer_id"] = self._held.volunteer_ids[
                int(extra["household_volunteer_id"])
            ]
        return Suggestions(
            rid,
            _empty_frame(),
            status,
            _funnel(edges),
            reason,
            True,
            detail,
            self.config.report.language,
            self.config.rules.min_language_level,
        )

    # -- decisions and changes ------------------------------------------------------------------

    def decide(
        self,
        request_id: str,
        volunteer_id: str,
        decision: Literal["confirmed", "declined"],
        reason: str | None = None,
        decided_by: str | None = None,
    ) -> Replan:
        """Record a coordinator's decision on a pair; the plan follows exactly.

        Parameters
        ----------
        request_id
            The request of the pair.
        volunteer_id
            Its volunteer: any admissible one, not only the proposed one.
        decision
            ``confirmed``: the pair becomes ``active`` (started on ``config.as_of``); if it
            was not the plan's proposal, the household moves to this volunteer and the plan
            re-optimises around it. ``declined``: the pair is never proposed again, and the
            request is placed again.
        reason
            The ``end_reason`` of a declined pair (default ``declined_by_coordinator``);
            not given for a confirmation.
        decided_by
            ``coordinator`` (default) or ``auto``.

        Returns
        -------
        Replan
            What moved, and the plan after the decision.

        Raises
        ------
        UnknownIdError
            Unknown request or volunteer.
        ArgumentTypeError
            An id that is neither text nor a whole number.
        DeskError
            An unknown decision or code, a pair that breaks a hard constraint, a request
            whose household another volunteer accompanies, or declining an active pair.
        """
        if decision not in DECISIONS:
            raise DeskError(
                f"{decision!r} is not a decision; valid: {', '.join(DECISIONS)}",
                field="decision",
            )
        decider = decided_by or "coordinator"
        if decider not in DECIDERS:
            raise DeskError(
                f"{decided_by!r} is not valid; valid: {', '.join(DECIDERS)}", field="decided_by"
            )
        if decision == "confirmed" and reason is not None:
            raise DeskError(
                "a reason goes with declined decisions (it is their end_reason)", field="reason"
            )
        end_reason = reason or "declined_by_coordinator"
        if decision == "declined" and end_reason not in END_REASONS:
            raise DeskError(
                f"{reason!r} is not an end_reason; valid: {', '.join(END_REASONS)}",
                field="reason",
            )
        r = self._request(request_id)
        v = self._volunteer(volunteer_id)
        if decision == "confirmed":
            return self._mutate(lambda: self._confirm(r, v, decider))
        return self._mutate(lambda: self._decline(r, v, end_reason, decider))

    def _confirm(self, r: int, v: int, decider: str) -> dict[str, str]:
        held = self._held
        rid, vid = held.request_ids[r], held.volunteer_ids[v]
        h = held.household_of(r)
        if held.req_active.view[r]:
            if int(held.hh_active.view[h]) == v:
                return {rid: "confirmed"}
            raise DeskError(
                f"request {rid!r} is accompanied by "
                f"{held.volunteer_ids[int(held.hh_active.view[h])]!r} already",
                field="request_id",
            )
        active = int(held.hh_active.view[h])
        if active >= 0 and active != v:
            raise DeskError(
                f"the household of {rid!r} is accompanied by {held.volunteer_ids[active]!r}; "
                "one household has one contact person",
                field="volunteer_id",
            )
        if not held.has_pair(r, v):
            step = self._failing_step(r, v)
            raise DeskError(
                f"{vid!r} cannot take {rid!r}: the pair breaks the hard constraint {step!r}",
                field="volunteer_id",
            )
        if active < 0:
            opts = held.options(h)
            at = int(np.searchsorted(opts.volunteers, v))
            if at >= opts.volunteers.size or int(opts.volunteers[at]) != v:
                raise DeskError(f"{vid!r} has no place for {rid!r}", field="volunteer_id")
            held.flow.place(opts, at)
        held.activate(r, v)
        self._tables.set_pair(rid, vid, "active", started_on=self.config.as_of, decided_by=decider)
        return {rid: "confirmed"}

    def _decline(self, r: int, v: int, end_reason: str, decider: str) -> dict[str, str]:
        held = self._held
        rid, vid = held.request_ids[r], held.volunteer_ids[v]
        h = held.household_of(r)
        if held.req_active.view[r] and int(held.hh_active.view[h]) == v:
            raise DeskError(
                f"{rid!r} is actively accompanied by {vid!r}; end the accompaniment instead "
                "(remove the request, or replace the volunteer)",
                field="decision",
            )
        proposed = v in self._reference_of(rid)
        self._tables.set_pair(rid, vid, "declined", end_reason=end_reason, decided_by=decider)
        if held.kill_pair(r, v) and int(held.hh_active.view[h]) < 0 and not proposed:
            held.place_best(h)
        if proposed:
            self._lost_proposals([r])
        return {rid: "declined"}

    def replace(self, volunteer_id: str, unavailable_from: dt.date | str | None = None) -> Replan:
        """Replan for a volunteer who leaves from a date on.

        Her active accompaniments end (``ended`` with ``end_reason = volunteer_dropout``, on
        ``unavailable_from`` or, if one began later, on its first day) and those households
        are planned again, as are her proposals; every other active pair
        stays, and other proposals move only where that serves more people or better (the
        stability bonus holds otherwise).

        Parameters
        ----------
        volunteer_id
            The volunteer who leaves; her row stays, with ``available_until`` the day before
            ``unavailable_from`` (and ``available_from`` too if it lay later).
        unavailable_from
            Her first day away, a date or ISO text; None is ``config.as_of``, the plan's
            today.

        Returns
        -------
        Replan
            Who moved, and the plan without her.

        Raises
        ------
        UnknownIdError
            Unknown volunteer.
        ArgumentTypeError
            An id that is neither text nor a whole number.
        DeskError
            ``unavailable_from`` is not a date, or lies after the plan's date (the plan is for
            ``config.as_of``: call ``replace`` on that day, or set ``available_until`` with
            [`update`][lotsen_match.Matcher.update]).
        """
        v = self._volunteer(volunteer_id)
        start = _as_date(unavailable_from, "unavailable_from") or self.config.as_of
        if start > self.config.as_of:
            raise DeskError(
                f"{start.isoformat()} lies after the plan's date "
                f"{self.config.as_of.isoformat()}; replace on that day, or set "
                "available_until with update()",
                field="unavailable_from",
            )
        return self._mutate(lambda: self._withdraw(v, start, keep_row=True), withdrawn=v)

    def _withdraw(self, v: int, start: dt.date, *, keep_row: bool) -> dict[str, str]:
        held = self._held
        vid = held.volunteer_ids[v]
        held.withdraw(v)
        if keep_row:
            row = self._tables.volunteer_row(vid)
            until = start - dt.timedelta(days=1)
            old = row.get("available_until")
            if old is None or pd.isna(old) or pd.Timestamp(old).date() > until:
                row["available_until"] = pd.Timestamp(until)
            begin = row.get("available_from")
            if begin is not None and not pd.isna(begin) and pd.Timestamp(begin).date() > until:
                row["available_from"] = pd.Timestamp(until)  # a period not yet begun is cut
            self._tables.set_volunteer(vid, pd.DataFrame([row]).astype(_row_dtypes(row)))
        reasons: dict[str, str] = {}
        for h in held.households_active_with(v).tolist():
            active = [r for r in held.members(h).tolist() if held.req_active.view[r]]
            for r in active:
                rid = held.request_ids[r]
                # An accompaniment ends on her first day away, but never before it began (the
                # contract rejects such a row); its end is the request's last contact.
                began = (self._tables.pair(rid, vid) or {}).get("started_on")
                ended = start
                if began is not None and not pd.isna(began):
                    ended = max(start, pd.Timestamp(began).date())
                self._tables.set_pair(
                    rid,
                    vid,
                    "ended",
                    ended_on=ended,
                    end_reason="volunteer_dropout",
                    decided_by="coordinator",
                )
                held.set_contact(r, _day(ended))
                reasons[rid] = "volunteer_unavailable"
            rows = [self._tables.request_row(held.request_ids[r]) for r in active]
            found = self._edges(rows) if rows else None
            by_request = {}
            if found is not None:
                for i, rid in enumerate(found.request_ids.tolist()):
                    by_request[held.request_index[str(rid)]] = _subset(found, i)
            held.reopen(h, by_request)
            held.place_best(h)
        return reasons

    def add(self, record: Volunteer | HelpRequest | Mapping[str, Any]) -> Replan:
        """Add one volunteer or request; the plan follows exactly.

        A request is placed exactly (as the top suggestion would place it); a new volunteer
        rebuilds the model once, since volunteers change rarely and a new one may serve
        any open request.

        Parameters
        ----------
        record
            A [`Volunteer`][lotsen_match.Volunteer] or
            [`HelpRequest`][lotsen_match.HelpRequest], or a dict with ``volunteer_id`` or
            ``request_id`` and the other fields.

        Returns
        -------
        Replan
            The new row's placement and who moved for it.

        Raises
        ------
        InputValidationError
            An invalid record, naming field and value.
        DeskError
            An id that exists already, or a record that is neither a volunteer nor a
            request.
        SolverError
            The rebuilt model could not be solved.
        """
        table = _table_of(record)
        row = self._validated(record, table)
        if table == "volunteers":
            vid = str(row["volunteer_id"])
            if self._tables.has_volunteer(vid):
                raise DeskError(
                    f"volunteer {vid!r} exists already; use update()", field="volunteer_id"
                )
            return self._mutate(lambda: self._change_volunteer(vid, row, "added"), rebuild=True)
        rid = str(row["request_id"])
        if self._tables.has_request(rid):
            raise DeskError(f"request {rid!r} exists already; use update()", field="request_id")
        return self._mutate(lambda: self._add_request(row, "added"))

    def _add_request(self, row: dict[str, Any], reason: str) -> dict[str, str]:
        held = self._held
        rid = str(row["request_id"])
        edges = self._edges([row])
        self._tables.set_request(rid, _frame_of(row))
        contact = self._history_context([row])[1][rid]
        r = held.add_request(rid, _household_key(row), edges, contact)
        h = held.household_of(r)
        self._rescore_household(h, rid)
        if int(held.hh_active.view[h]) < 0:
            opts = held.options(h)
            choice = opts.best()  # the exact optimum (it may leave the request unserved)
            own = self._ranked(_subset(edges, 0), opts)
            if choice >= 0 and own.size:  # among equally good choices: suggest's first row
                top = int(np.searchsorted(opts.volunteers, edges.volunteer[own[0]]))
                if int(opts.gain[top]) == int(opts.gain[choice]):
                    choice = top
            held.flow.place(opts, choice)
        return {rid: reason}

    def update(self, record: Volunteer | HelpRequest | Mapping[str, Any]) -> Replan:
        """Replace one volunteer's or request's data, matched by id; the plan follows.

        Parameters
        ----------
        record
            The full new data, as for [`add`][lotsen_match.Matcher.add]; fields left out
            become empty.

        Returns
        -------
        Replan
            Who moved because of the change.

        Raises
        ------
        UnknownIdError
            No volunteer or request with the record's id.
        InputValidationError
            An invalid record, naming field and value.
        DeskError
            A record that is neither a volunteer nor a request.
        SolverError
            The rebuilt model could not be solved.
        """
        table = _table_of(record)
        row = self._validated(record, table)
        if table == "volunteers":
            vid = str(row["volunteer_id"])
            self._volunteer(vid)
            return self._mutate(lambda: self._change_volunteer(vid, row, "updated"), rebuild=True)
        rid = str(row["request_id"])
        r = self._request(rid)
        if self._held.req_active.view[r]:
            return self._mutate(lambda: self._replace_active(rid, row), rebuild=True)
        return self._mutate(lambda: self._update_request(r, row))

    def _update_request(self, r: int, row: dict[str, Any]) -> dict[str, str]:
        held = self._held
        rid = held.request_ids[r]
        h = held.remove_request(r)
        if held.household_keys[h] != _household_key(row):
            self._rescore_household(h, rid)
        if int(held.hh_active.view[h]) < 0:
            held.place_best(h)
        self._add_request(row, "updated")
        return {rid: "updated"}

    def _replace_active(self, rid: str, row: dict[str, Any]) -> dict[str, str]:
        self._tables.set_request(rid, _frame_of(row))
        return {rid: "updated"}

    def _change_volunteer(self, vid: str, row: dict[str, Any], reason: str) -> dict[str, str]:
        self._tables.set_volunteer(vid, _frame_of(row))
        return {}

    def remove(
        self,
        id: str,
        *,
        kind: Literal["request", "volunteer"] | None = None,
        reason: str | None = None,
    ) -> Replan:
        """Remove one request or volunteer by id; the plan follows exactly.

        A request's open proposal goes and its household is placed again; an active
        accompaniment ends. A volunteer leaves as in [`replace`][lotsen_match.Matcher.replace],
        and her row goes.

        Parameters
        ----------
        id
            The request's or volunteer's id.
        kind
            ``request`` or ``volunteer``, needed only when the id names both.
        reason
            The ``end_reason`` of a request's active accompaniment (default ``completed``);
            a volunteer's accompaniments end with ``volunteer_dropout``.

        Returns
        -------
        Replan
            What ended and who moved.

        Raises
        ------
        UnknownIdError
            No such request or volunteer.
        DeskError
            A ``kind`` other than ``request`` or ``volunteer``, an id naming both a request
            and a volunteer without ``kind``, or a reason that is no ``end_reason``.
        ArgumentTypeError
            An id that is neither text nor a whole number.
        SolverError
            The rebuilt model could not be solved (after an active request ends).
        """
        if kind is not None and kind not in _KINDS:
            shown = repr(kind) if isinstance(kind, str) else describe(kind)
            raise DeskError(f"{shown} is not valid; valid: {', '.join(_KINDS)}", field="kind")
        id = _id_text(id, "id")
        is_request = self._tables.has_request(id) and kind in (None, "request")
        is_volunteer = self._tables.has_volunteer(id) and kind in (None, "volunteer")
        if is_request and is_volunteer:
            raise DeskError(f"{id!r} names a request and a volunteer; pass kind=", field="kind")
        if not (is_request or is_volunteer):
            raise UnknownIdError(id, field="volunteer_id" if kind == "volunteer" else "request_id")
        end_reason = reason or ("completed" if is_request else "volunteer_dropout")
        if end_reason not in END_REASONS:
            raise DeskError(
                f"{reason!r} is not an end_reason; valid: {', '.join(END_REASONS)}",
                field="reason",
            )
        if is_volunteer:
            v = self._volunteer(id)
            return self._mutate(lambda: self._remove_volunteer(v), withdrawn=v)
        r = self._request(id)
        if self._held.req_active.view[r]:
            return self._mutate(lambda: self._remove_active(r, end_reason), rebuild=True)
        return self._mutate(lambda: self._remove_open(r))

    def _remove_open(self, r: int) -> dict[str, str]:
        held = self._held
        rid = held.request_ids[r]
        h = held.remove_request(r)
        self._rescore_household(h, rid)
        if int(held.hh_active.view[h]) < 0:
            held.place_best(h)
        self._forget_request(rid)
        return {rid: "removed"}

    def _rescore_household(self, h: int, rid: str) -> None:
        """Request ``rid`` joined or left household ``h``: the continuity its ended
        accompaniments give the household comes or goes (a run knows a history row's
        household only through its request), so the other open members' pairs are scored
        again. The caller places ``h`` again."""
        held = self._held
        if not any(p["status"] == "ended" for p in self._tables.pairs_of(request_id=rid)):
            return
        others = [r for r in held.open_members(h).tolist() if held.request_ids[r] != rid]
        if not others:
            return
        found = self._edges([self._tables.request_row(held.request_ids[r]) for r in others])
        for i, other in enumerate(found.request_ids.tolist()):
            held.set_edges(held.request_index[str(other)], _subset(found, i))

    def _remove_active(self, r: int, end_reason: str) -> dict[str, str]:
        held = self._held
        rid = held.request_ids[r]
        v = int(held.hh_active.view[held.household_of(r)])
        self._tables.set_pair(
            rid,
            held.volunteer_ids[v],
            "ended",
            ended_on=self.config.as_of,
            end_reason=end_reason,
            decided_by="coordinator",
        )
        self._forget_request(rid)
        return {rid: "removed"}

    def _forget_request(self, rid: str) -> None:
        self._held.forget_request(rid)
        self._tables.set_request(rid, None)
        for pair in self._tables.pairs_of(request_id=rid):
            if pair["status"] != "ended":
                self._tables.drop_pair(rid, str(pair["volunteer_id"]))

    def _remove_volunteer(self, v: int) -> dict[str, str]:
        held = self._held
        vid = held.volunteer_ids[v]
        width = max(held.n_vol, 1)
        proposed = held.reference[held.reference % width == v] // width
        reasons = self._withdraw(v, self.config.as_of, keep_row=False)
        held.forget_volunteer(v)
        self._tables.set_volunteer(vid, None)
        for pair in self._tables.pairs_of(volunteer_id=vid):
            if pair["status"] != "ended":
                self._tables.drop_pair(str(pair["request_id"]), vid)
        self._lost_proposals(proposed.tolist())
        return reasons

    def _lost_proposals(self, requests: list[int]) -> None:
        """These requests' proposals left the tables in this step (declined, or their
        volunteer left). An open proposal is a contact today: without it a request may be
        stale again, so its pairs are scored again and its household placed again."""
        held = self._held
        todo = [r for r in requests if held.req_alive.view[r] and not held.req_active.view[r]]
        if not todo:
            return
        found = self._edges([self._tables.request_row(held.request_ids[r]) for r in todo])
        households: set[int] = set()
        for i, rid in enumerate(found.request_ids.tolist()):
            r = held.request_index[str(rid)]
            held.set_edges(r, _subset(found, i))
            households.add(held.household_of(r))
        for h in sorted(households):
            if int(held.hh_active.view[h]) < 0:
                held.place_best(h)

    # -- machinery ------------------------------------------------------------------------------

    def _mutate(
        self, work: Callable[[], dict[str, str]], *, rebuild: bool = False, withdrawn: int = -1
    ) -> Replan:
        """Run one change, keep the plan stable and exact, and say what moved."""
        held_before = self._held
        before, _ = held_before.current_volunteer()
        left = held_before.volunteer_ids[withdrawn] if withdrawn >= 0 else ""
        self._state += 1
        state = self._state
        subjects = work()
        # A learned success score moves with every change (load, household size, history):
        # only a model built afresh scores every pair as a run would.
        if rebuild or self._success_model is not None:
            self._rebuild()
        held = self._held
        held.fold()
        changes = _changes(held_before, before, held, subjects, left)
        snapshot = self._tables.snapshot()
        hh, vv = held.flow.selection()
        reference = held.live_pairs(held.plan_reference)
        self._source = _PlanSource(
            lambda: self._build_plan(snapshot, held, hh, vv, reference, state), None
        )
        return Replan(changes, self._source.result)

    def _rebuild(self) -> None:
        """Build the model afresh from the tables (volunteer changes) and solve it exactly."""
        held = self._held
        case = self._tables.snapshot().caseload(_pairs(held, held.live_pairs(held.reference)))
        inst = build_instance(case, self.config, success_model=self._success_model)
        solved = get_solver("flow").solve(inst.household.model)
        self._hold(case, inst, solved.selected)

    def _hold(self, case: ValidatedCaseload, inst: MatchInstance, selected: B) -> None:
        """Hold ``selected``, a solution of ``inst`` (built from ``case``), from now on."""
        p = inst.problem
        keys = pair_keys(p.proposed_req, p.proposed_vol, p.n_volunteers)
        contact = _contact_days(case.assignments, p)
        self._earlier_repairs += self._held.flow.repairs
        self._held = HeldPlan(inst, selected, self.config, keys, contact)

    def _build_plan(
        self,
        snapshot: TablesSnapshot,
        held: HeldPlan,
        hh: I64,
        vv: I64,
        reference: I64,
        state: int,
    ) -> MatchResult:
        """The full result of one state: the pipeline's tables for the held placement, after
        proving it optimal against a model built afresh from the tables.

        A placement that fails its proof is re-solved; if the Matcher is still in that state,
        it holds the re-solved plan from then on (``plan`` and ``assignments()`` agree).
        """
        case = snapshot.caseload(_pairs(held, reference))
        inst = build_instance(case, self.config, success_model=self._success_model)
        model = inst.household.model
        mask = _mask(inst, held.ids("household_keys")[hh], held.ids("volunteer_ids")[vv])
        failure = _proof_failure(model, mask)
        if mask is not None and not failure:
            objective = model.objective_of(mask)
            solved = SolveResult("desk", "optimal", True, objective, mask, 0.0, bound=objective)
        else:
            self.plan_repairs += 1
            logger.warning(
                "desk plan not certified against a fresh model (%s); re-solving", failure
            )
            solved = get_solver("flow").solve(model)
            if state == self._state:
                self._hold(case, inst, solved.selected)
                self._held.fold()
        return match_validated(case, self.config, instance=inst, solved=solved)

    def _proposal_ids(self) -> list[tuple[str, str]]:
        return _pairs(self._held, self._held.proposal_keys())

    def _request(self, request_id: str) -> int:
        held = self._held
        rid = _id_text(request_id, "request_id")
        r = held.request_index.get(rid)
        if r is None or not held.req_alive.view[r]:
            raise UnknownIdError(rid, field="request_id")
        return r

    def _volunteer(self, volunteer_id: str) -> int:
        vid = _id_text(volunteer_id, "volunteer_id")
        v = self._held.volunteer_index.get(vid)
        if v is None or not self._tables.has_volunteer(vid):
            raise UnknownIdError(vid, field="volunteer_id")
        return v

    def _validated(self, record: Any, table: str) -> dict[str, Any]:
        """One record through the table validation; its clean row as a dict."""
        raw = read_table([record], table=table)
        check = CHECKS[table](raw, self.config)
        if check.problems.bad.any():
            raise InputValidationError(check.result().problems)
        # One clean row, read straight from the check's parsed columns (what clean_frame
        # types into a frame; building a frame for one row costs more than the checks).
        row = {column: check.values[column][0] for column in CLEAN_DTYPES[table]}
        extras = [c for c in raw.columns if c not in row and c != "_row"]
        row.update({str(c): raw[c].iloc[0] for c in extras})
        return row

    def _edges(self, rows: list[dict[str, Any]]) -> RequestEdges:
        held = self._held
        households: dict[str, int] = {}
        for row in rows:
            key = _household_key(row)
            h = held.household_index.get(key)
            if h is not None and int(held.hh_active.view[h]) >= 0:
                households[key] = int(held.hh_active.view[h])
        ids = [str(row["request_id"]) for row in rows]
        ended, contact = self._history_context(rows)
        success = self._success_inputs(rows)
        proposed = [(rid, v) for rid in ids for v in self._reference_of(rid)]
        declined = [
            (rid, held.volunteer_index[str(pair["volunteer_id"])])
            for rid in ids
            for pair in self._tables.pairs_of(request_id=rid)
            if pair["status"] == "declined" and str(pair["volunteer_id"]) in held.volunteer_index
        ]
        return request_edges(
            rows,
            volunteers=held.volunteers,
            volunteer_index=held.volunteer_index,
            config=self.config,
            household_volunteer=households,
            proposed=proposed,
            declined=declined,
            household_ended=ended,
            contact_day=contact,
            success=success,
        )

    def _success_inputs(self, rows: list[dict[str, Any]]) -> SuccessInputs | None:
        """The learned model's inputs for these requests' pairs: the assignments a run on the
        current tables reads, and each household's requests in the caseload, these included."""
        if self._success_model is None:
            return None
        held = self._held
        # The history alone (its active and ended rows are all the model reads; proposals and
        # the volunteer and request frames of a whole caseload are not needed).
        history = self._tables.snapshot().assignments(())
        counted: dict[str, set[str]] = {}
        for row in rows:
            key = _household_key(row)
            if key not in counted:
                h = held.household_index.get(key)
                members = held.members(h).tolist() if h is not None else []
                counted[key] = {held.request_ids[m] for m in members}
            counted[key].add(str(row["request_id"]))
        sizes = {key: len(ids) for key, ids in counted.items()}
        return SuccessInputs(self._success_model, history, sizes)

    def _history_context(
        self, rows: list[dict[str, Any]]
    ) -> tuple[dict[str, list[int]], dict[str, int]]:
        """For these requests: volunteers whose accompaniment of their household ended
        (continuity), and each request's last contact from the history (urgency)."""
        held, tables = self._held, self._tables
        ended: dict[str, list[int]] = {}
        contact: dict[str, int] = {}
        for row in rows:
            rid = str(row["request_id"])
            key = _household_key(row)
            h = held.household_index.get(key)
            members = (
                [held.request_ids[m] for m in held.members(h).tolist()] if h is not None else []
            )
            for member in {*members, rid}:
                for pair in tables.pairs_of(request_id=member):
                    vid = str(pair["volunteer_id"])
                    if pair["status"] == "ended" and vid in held.volunteer_index:
                        ended.setdefault(key, []).append(held.volunteer_index[vid])
            day = _day(row.get("created_on"))
            for pair in tables.pairs_of(request_id=rid):
                for column in ("started_on", "ended_on"):
                    if pair.get(column) is not None and not pd.isna(pair[column]):
                        day = max(day, _day(pair[column]))
            contact[rid] = day
        return ended, contact

    def _reference_of(self, rid: str) -> list[int]:
        """Volunteers of the request's pairs scored as ``proposed`` now: the held reference
        without the pairs that left the tables since (volunteer removed, pair decided), as
        the model of the tables sees them."""
        held = self._held
        r = held.request_index.get(rid)
        if r is None:
            return []
        width = max(held.n_vol, 1)
        lo, hi = np.searchsorted(held.reference, [r * width, (r + 1) * width])
        vols = [int(k % width) for k in held.reference[lo:hi].tolist()]
        return [
            v
            for v in vols
            if held.vol_present[v] and self._tables.pair(rid, held.volunteer_ids[v]) is None
        ]

    def _stored_edges(self, r: int) -> RequestEdges:
        """The pairs the held plan has for request ``r`` (funnel computed on demand)."""
        held = self._held
        at = held.edges_of(r)
        comps = np.column_stack([c.view[at] for c in held.e_comp]) if at.size else None
        return RequestEdges(
            request_ids=np.array([held.request_ids[r]], dtype=object),
            request=np.zeros(at.size, dtype=np.int64),
            volunteer=held.e_vol.view[at].astype(np.int64),
            km=held.e_km.view[at],
            lang=held.e_lang.view[at],
            level=np.zeros(at.size, dtype=np.int8),
            components=comps if comps is not None else np.zeros((0, len(COMPONENTS))),
            quality=held.e_quality.view[at],
            funnel=np.zeros((1, len(FUNNEL_STEPS)), dtype=np.int64),
            nearest_km=np.full(1, np.nan),
            nearest_radius_km=np.full(1, np.nan),
            created_day=held.r_created.view[r : r + 1].astype(np.int32),
            due_day=held.r_due.view[r : r + 1].astype(np.int32),
        )

    def _failing_step(self, r: int, v: int) -> str:
        held = self._held
        rid = held.request_ids[r]
        row = self._tables.request_row(rid)
        declined = [
            (rid, held.volunteer_index[str(p["volunteer_id"])])
            for p in self._tables.pairs_of(request_id=rid)
            if p["status"] == "declined" and str(p["volunteer_id"]) in held.volunteer_index
        ]
        step = pair_failure(
            row,
            v,
            volunteers=held.volunteers,
            volunteer_index=held.volunteer_index,
            config=self.config,
            household_volunteer={},
            declined=declined,
        )
        return step or "capacity"

    def __repr__(self) -> str:
        held = self._held
        served, _ = held.flow.objective()
        return (
            f"Matcher(volunteers={int(np.count_nonzero(~held.vol_closed))} open of "
            f"{held.n_vol}, requests={int(held.req_alive.view.sum())}, "
            f"proposals={held.proposals()[0].size}, served_in_flow={served})"
        )


# -- helpers ------------------------------------------------------------------------------------


def _config(config: object) -> MatchConfig:
    if config is None:
        return MatchConfig()
    if isinstance(config, MatchConfig):
        return config
    if isinstance(config, Mapping):
        return MatchConfig.from_mapping(config)
    raise ArgumentTypeError(
        "config", CONFIG_HELP + ", a mapping of its settings, or None", describe(config)
    )


def _id_text(value: object, argument: str) -> str:
    """An id argument as the text the tables hold (a whole number is taken as its digits)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(value)
    raise ArgumentTypeError(argument, "an id as text, e.g. 'R0000042'", describe(value))


def _selection(result: MatchResult, inst: MatchInstance) -> npt.NDArray[np.bool_]:
    """The flow arcs of a result's proposals (direct proposals use none)."""
    p, cand, hm = inst.problem, inst.cand, inst.household
    selected = np.zeros(hm.model.n_arcs, dtype=np.bool_)
    props = result.proposals
    if props.empty:
        return selected
    req = np.searchsorted(p.request_ids, props["request_id"].to_numpy(dtype=object))
    vol = np.searchsorted(p.volunteer_ids, props["volunteer_id"].to_numpy(dtype=object))
    keys = pair_keys(req, vol, p.n_volunteers)
    edge = np.searchsorted(pair_keys(cand.req, cand.vol, p.n_volunteers), keys)
    arc = hm.edge_arc[edge]
    selected[arc[arc >= 0]] = True
    return selected


def _mask(
    inst: MatchInstance,
    households: npt.NDArray[np.object_],
    volunteers: npt.NDArray[np.object_],
) -> npt.NDArray[np.bool_] | None:
    """The held placement as a selection of a freshly built model (None: an arc is missing)."""
    p, model = inst.problem, inst.household.model
    selected = np.zeros(model.n_arcs, dtype=np.bool_)
    if households.size == 0:
        return selected
    h = np.searchsorted(p.household_keys, households)
    v = np.searchsorted(p.volunteer_ids, volunteers)
    h_ok = (h < p.n_households) & (
        p.household_keys[np.minimum(h, p.n_households - 1)] == households
    )
    v_ok = (v < p.n_volunteers) & (p.volunteer_ids[np.minimum(v, p.n_volunteers - 1)] == volunteers)
    if not (np.all(h_ok) and np.all(v_ok)):
        return None
    width = max(p.n_volunteers, 1)
    arc_keys = model.arc_household.astype(np.int64) * width + model.arc_volunteer
    want = h.astype(np.int64) * width + v
    at = np.searchsorted(arc_keys, want)
    ok = (at < arc_keys.size) & (arc_keys[np.minimum(at, max(arc_keys.size - 1, 0))] == want)
    if not np.all(ok):
        return None
    selected[at] = True
    return selected


def _proof_failure(model: AssignmentModel, mask: npt.NDArray[np.bool_] | None) -> str:
    """Why ``mask`` is not proven optimal in ``model`` ("" when it is)."""
    if mask is None:
        return "placement not in the model"
    try:
        model.check_feasible(mask)
    except ArgumentError as err:  # a held plan beyond the model's capacities
        return f"placement infeasible: {err}"
    return certify(model, mask).reason


def _changes(
    held_before: HeldPlan, before: I64, held: HeldPlan, subjects: Mapping[str, str], left: str
) -> pd.DataFrame:
    """One row per request whose volunteer (active or proposed) changed, or that was the
    subject of the call; vectorised over requests when the held plan is the same object."""
    entries: dict[str, list[str]] = {}  # request id -> [before, after, household id]

    def note(plan: HeldPlan, vol: I64, at: I64, slot: int) -> None:
        ids = plan.ids("request_ids")[at]
        names = np.array([*plan.volunteer_ids, ""], dtype=object)[vol[at]]
        keys = plan.ids("household_keys")[plan.req_household.view[at]]
        for rid, name, key in zip(ids.tolist(), names.tolist(), keys.tolist(), strict=True):
            entry = entries.setdefault(rid, ["", "", ""])
            entry[slot] = entry[slot] or name
            if key.startswith("H:"):
                entry[2] = key[2:]

    after, _ = held.current_volunteer()
    if held is held_before:
        old = np.full(after.size, -1, dtype=np.int64)
        old[: before.size] = before
        at = np.flatnonzero(old != after)
        extra = [held.request_index[s] for s in subjects if s in held.request_index]
        for rid in subjects:  # an updated request keeps its old index as well
            extra.extend(held.superseded(rid))
        at = np.union1d(at, np.array(extra, dtype=np.int64)).astype(np.int64)
        note(held, old, at, 0)
        note(held, after, at, 1)
    else:
        note(held_before, before, np.flatnonzero(before >= 0), 0)
        note(held, after, np.flatnonzero(after >= 0), 1)
        for rid in subjects:
            entries.setdefault(rid, ["", "", ""])
    rows = []
    subject_households = {entries[s][2] for s in subjects if s in entries} - {""}
    for rid, (old_v, new_v, household) in sorted(entries.items()):
        if old_v == new_v and rid not in subjects:
            continue
        if rid in subjects:
            reason = subjects[rid]
        elif left and old_v == left:
            reason = "volunteer_unavailable"
        elif household and household in subject_households:
            reason = "household"
        elif old_v and not new_v:
            reason = "dropped"
        elif new_v and not old_v:
            reason = "newly_served"
        else:
            reason = "moved"
        rows.append((rid, household, old_v, new_v, reason))
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS), dtype=object)


def _pairs(held: HeldPlan, keys: I64) -> list[tuple[str, str]]:
    req, vol = held.pair_ids(keys)
    return list(zip(req.tolist(), vol.tolist(), strict=True))


def _contact_days(assignments: pd.DataFrame, problem: MatchProblem) -> npt.NDArray[np.int32]:
    """Per request of ``problem``: its last contact from the history, open proposals aside
    (the desk counts proposals itself, see :meth:`HeldPlan.fold`)."""
    history = assignments[assignments["status"] != "proposed"]
    return last_contact_days(history, problem.request_ids, problem.r_created_day, problem.as_of_day)


def _day(value: Any) -> int:
    """A date as days since 1970-01-01 (``MISSING_DAY`` when empty)."""
    if value is None or pd.isna(value):
        return MISSING_DAY
    return int(np.datetime64(pd.Timestamp(value).tz_localize(None), "D").astype(np.int64))


def _household_key(row: Mapping[str, Any]) -> str:
    household = row.get("household_id")
    text = "" if household is None or pd.isna(household) else str(household)
    return f"H:{text}" if text else f"R:{row['request_id']}"


def _table_of(record: Any) -> str:
    if isinstance(record, Volunteer):
        return "volunteers"
    if isinstance(record, HelpRequest):
        return "requests"
    if isinstance(record, Record):
        raise DeskError(f"a {type(record).__name__} is not a volunteer or request", field="record")
    if isinstance(record, Mapping):
        if "request_id" in record:
            return "requests"
        if "volunteer_id" in record:
            return "volunteers"
    raise DeskError(
        "pass a Volunteer, a HelpRequest, or a dict with volunteer_id or request_id",
        field="record",
    )


def _frame_of(row: Mapping[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([dict(row)]).astype(_row_dtypes(row))


def _row_dtypes(row: Mapping[str, Any]) -> dict[str, Any]:
    known = {**CLEAN_DTYPES["volunteers"], **CLEAN_DTYPES["requests"]}
    return {c: known[c] for c in row if c in known}


def _subset(edges: RequestEdges, i: int) -> RequestEdges:
    at = np.flatnonzero(edges.request == i)
    return RequestEdges(
        request_ids=edges.request_ids[i : i + 1],
        request=np.zeros(at.size, dtype=np.int64),
        volunteer=edges.volunteer[at],
        km=edges.km[at],
        lang=edges.lang[at],
        level=edges.level[at],
        components=edges.components[at],
        quality=edges.quality[at],
        funnel=edges.funnel[i : i + 1],
        nearest_km=edges.nearest_km[i : i + 1],
        nearest_radius_km=edges.nearest_radius_km[i : i + 1],
        created_day=edges.created_day[i : i + 1],
        due_day=edges.due_day[i : i + 1],
    )


def _unserved_gain(opts: HouseholdOptions, edges: RequestEdges) -> int:
    """The best the household can do without serving the request: unmatched, or on a
    volunteer who cannot take this request (the household's other members may still be)."""
    others = opts.feasible & ~np.isin(opts.volunteers, edges.volunteer)
    best = int(opts.gain[others].max()) if others.any() else opts.none_gain
    return max(best, opts.none_gain)


def _funnel(edges: RequestEdges) -> dict[str, int]:
    return {step: int(n) for step, n in zip(FUNNEL_STEPS, edges.funnel[0].tolist(), strict=True)}


def _first_empty_step(edges: RequestEdges) -> str:
    zero = np.flatnonzero(edges.funnel[0] == 0)
    return FUNNEL_STEPS[int(zero[0])] if zero.size else ""


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=[*SUGGESTION_COLUMNS[0], *COMPONENTS, *SUGGESTION_COLUMNS[1]])


def _as_date(value: dt.date | str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DeskError(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None
