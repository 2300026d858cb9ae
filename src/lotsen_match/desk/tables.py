"""The caseload a Matcher holds, as the contract's tables: clean rows plus their changes.

The validated frames of the start stay untouched; changes (a request added, a volunteer's
period ended, a decision) are kept as small per-id overrides, and the frames are put together
only when someone asks for them (a plan, an export). :meth:`DeskTables.snapshot` freezes the
overrides cheaply, so a result can be built later for the state it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from ..validation import ValidatedCaseload

__all__ = ["ASSIGNMENT_COLUMNS", "DeskTables", "TablesSnapshot", "contract_frame"]

#: Columns of the assignments table in the contract, history included.
ASSIGNMENT_COLUMNS: Final[tuple[str, ...]] = (
    "request_id",
    "volunteer_id",
    "status",
    "started_on",
    "ended_on",
    "end_reason",
    "decided_by",
)
#: Columns validation derives from the contract columns (not part of the contract).
_DERIVED: Final[tuple[str, ...]] = ("need_mask", "slot_mask", "module_mask", "need_code", "_row")

Pair = tuple[str, str]
#: A history row's key: the pair and a tag, "" for its live row (active, declined) and
#: ``ended:<started_on>`` for each ended accompaniment (a pair may end more than once).
RowKey = tuple[str, str, str]


def _date(value: dt.date | None) -> Any:
    return pd.NaT if value is None else pd.Timestamp(value)


def _tag(row: Mapping[str, Any]) -> str:
    if row.get("status") != "ended":
        return ""
    start = row.get("started_on")
    return "ended:" + ("" if start is None or pd.isna(start) else str(pd.Timestamp(start).date()))


def _key(row: Mapping[str, Any]) -> RowKey:
    return (str(row["request_id"]), str(row["volunteer_id"]), _tag(row))


@dataclass(frozen=True)
class TablesSnapshot:
    """The tables at one moment (frames are built on demand)."""

    volunteers_base: pd.DataFrame
    volunteers_changed: Mapping[str, pd.DataFrame | None]
    requests_base: pd.DataFrame
    requests_changed: Mapping[str, pd.DataFrame | None]
    history_base: pd.DataFrame
    history_changed: Mapping[RowKey, dict[str, Any] | None]
    rejected: pd.DataFrame = field(repr=False)
    problems: pd.DataFrame = field(repr=False)
    rows_read: Mapping[str, int] = field(default_factory=dict)
    notices: pd.DataFrame | None = field(default=None, repr=False)

    def volunteers(self) -> pd.DataFrame:
        return _merge(self.volunteers_base, "volunteer_id", self.volunteers_changed)

    def requests(self) -> pd.DataFrame:
        return _merge(self.requests_base, "request_id", self.requests_changed)

    def history(self) -> pd.DataFrame:
        """Every non-proposal row (active, declined, ended, ...) in the contract columns."""
        base = self.history_base
        if self.history_changed:
            keys = [_key({str(k): v for k, v in row.items()}) for row in base.to_dict("records")]
            kept = np.array([k not in self.history_changed for k in keys], dtype=np.bool_)
            base = base[kept]  # a mask even when empty ([] would select no columns)
            rows = [row for row in self.history_changed.values() if row is not None]
            if rows:
                added = pd.DataFrame(rows, columns=list(ASSIGNMENT_COLUMNS))
                base = pd.concat([base, added], ignore_index=True) if len(base) else added
        return base.reset_index(drop=True)

    def assignments(self, proposals: Iterable[Pair]) -> pd.DataFrame:
        """The contract's assignments table: history plus ``proposals`` as ``proposed``.

        A proposal is left out where the history already has a row for the pair, or an
        ``active`` row for the request (it is decided).
        """
        history = self.history()
        live = history[history["status"].isin(("active", "declined"))]
        decided = set(zip(live["request_id"], live["volunteer_id"], strict=True))
        active = set(history.loc[history["status"] == "active", "request_id"])
        listed = sorted(p for p in set(proposals) if p not in decided and p[0] not in active)
        proposed = pd.DataFrame(
            {
                "request_id": [r for r, _ in listed],
                "volunteer_id": [v for _, v in listed],
                "status": ["proposed"] * len(listed),
                "started_on": pd.Series([pd.NaT] * len(listed), dtype="datetime64[ns]"),
                "ended_on": pd.Series([pd.NaT] * len(listed), dtype="datetime64[ns]"),
                "end_reason": [None] * len(listed),
                "decided_by": ["auto"] * len(listed),
            },
            columns=list(ASSIGNMENT_COLUMNS),
        )
        frames = [f for f in (history, proposed) if len(f)]
        out = pd.concat(frames, ignore_index=True) if frames else proposed
        for column in ("started_on", "ended_on"):
            out[column] = pd.to_datetime(out[column], errors="coerce")
        out = out.astype({c: object for c in ("request_id", "volunteer_id", "status")})
        return out.sort_values(["request_id", "volunteer_id", "status"], kind="stable").reset_index(
            drop=True
        )

    def caseload(self, proposals: Iterable[Pair]) -> ValidatedCaseload:
        """The clean caseload a run on this state would validate to: the tables of
        :meth:`assignments` (``proposals`` as the ``proposed`` rows), history included.

        ``ended`` rows count: their dates are contacts (which decide whether a request is
        stale) and their volunteers give continuity, as in a nightly run on the same tables.
        """
        table = self.assignments(proposals)
        extra = {} if self.notices is None else {"notices": self.notices}
        return ValidatedCaseload(
            volunteers=self.volunteers(),
            requests=self.requests(),
            assignments=table,
            rejected=self.rejected,
            problems=self.problems,
            rows_read=dict(self.rows_read),
            **extra,
        )


class DeskTables:
    """The mutable tables: clean volunteers and requests, and the assignment history."""

    def __init__(self, case: ValidatedCaseload) -> None:
        self._volunteers = case.volunteers.reset_index(drop=True)
        self._requests = case.requests.reset_index(drop=True)
        self._vol_pos = {str(v): i for i, v in enumerate(self._volunteers["volunteer_id"])}
        self._req_pos = {str(r): i for i, r in enumerate(self._requests["request_id"])}
        self._vol_changed: dict[str, pd.DataFrame | None] = {}
        self._req_changed: dict[str, pd.DataFrame | None] = {}
        asg = case.assignments
        history = pd.DataFrame(
            {c: asg[c] if c in asg.columns else None for c in ASSIGNMENT_COLUMNS},
            columns=list(ASSIGNMENT_COLUMNS),
        )
        self._history = history[history["status"] != "proposed"].reset_index(drop=True)
        self._history_changed: dict[RowKey, dict[str, Any] | None] = {}
        self._history_rows: dict[str, dict[str, list[dict[str, Any]]]] = {
            "request_id": {},
            "volunteer_id": {},
        }
        for record in self._history.to_dict("records"):  # few rows: one dict per pair
            row = {str(k): v for k, v in record.items()}
            for column, index in self._history_rows.items():
                index.setdefault(str(row[column]), []).append(row)
        self._rejected = case.rejected
        self._problems = case.problems
        self._rows_read = dict(case.rows_read)
        self._notices = case.notices

    # -- reading --------------------------------------------------------------------------------

    def snapshot(self) -> TablesSnapshot:
        return TablesSnapshot(
            volunteers_base=self._volunteers,
            volunteers_changed=dict(self._vol_changed),
            requests_base=self._requests,
            requests_changed=dict(self._req_changed),
            history_base=self._history,
            history_changed=dict(self._history_changed),
            rejected=self._rejected,
            problems=self._problems,
            rows_read=self._rows_read,
            notices=self._notices,
        )

    def request_row(self, request_id: str) -> dict[str, Any]:
        """The clean row of one request as a dict (KeyError if unknown)."""
        return _row(self._requests, self._req_pos, self._req_changed, request_id)

    def volunteer_row(self, volunteer_id: str) -> dict[str, Any]:
        return _row(self._volunteers, self._vol_pos, self._vol_changed, volunteer_id)

    def has_request(self, request_id: str) -> bool:
        return _has(self._req_pos, self._req_changed, request_id)

    def has_volunteer(self, volunteer_id: str) -> bool:
        return _has(self._vol_pos, self._vol_changed, volunteer_id)

    def pair(self, request_id: str, volunteer_id: str) -> dict[str, Any] | None:
        """The live history row of a pair (active or declined), None if there is none."""
        key = (request_id, volunteer_id, "")
        if key in self._history_changed:
            return self._history_changed[key]
        rows = self._history_rows["request_id"].get(request_id, [])
        hits = [r for r in rows if str(r["volunteer_id"]) == volunteer_id and not _tag(r)]
        return dict(hits[-1]) if hits else None

    def pairs_of(
        self, *, request_id: str | None = None, volunteer_id: str | None = None
    ) -> list[dict[str, Any]]:
        """History rows naming a request or a volunteer."""
        column, value = ("request_id", request_id) if request_id else ("volunteer_id", volunteer_id)
        rows = {_key(r): dict(r) for r in self._history_rows[column].get(str(value), [])}
        for key, row in self._history_changed.items():
            if (key[0] if column == "request_id" else key[1]) == value:
                if row is None:
                    rows.pop(key, None)
                else:
                    rows[key] = row
        return list(rows.values())

    # -- changing -------------------------------------------------------------------------------

    def set_request(self, request_id: str, row: pd.DataFrame | None) -> None:
        """Add or replace a request's clean row (``None``: remove it)."""
        self._req_changed[request_id] = row

    def set_volunteer(self, volunteer_id: str, row: pd.DataFrame | None) -> None:
        self._vol_changed[volunteer_id] = row

    def set_pair(
        self,
        request_id: str,
        volunteer_id: str,
        status: str,
        *,
        started_on: dt.date | None = None,
        ended_on: dt.date | None = None,
        end_reason: str | None = None,
        decided_by: str | None = None,
    ) -> None:
        """Record the state of a pair in the history (keeps an earlier start date); an
        ``ended`` row replaces the pair's live row and joins its earlier ended ones."""
        old = self.pair(request_id, volunteer_id) or {}
        start = old.get("started_on") if started_on is None else _date(started_on)
        row = {
            "request_id": request_id,
            "volunteer_id": volunteer_id,
            "status": status,
            "started_on": start,
            "ended_on": _date(ended_on),
            "end_reason": end_reason,
            "decided_by": decided_by,
        }
        if status == "ended":
            self._history_changed[(request_id, volunteer_id, "")] = None
        self._history_changed[_key(row)] = row

    def drop_pair(self, request_id: str, volunteer_id: str) -> None:
        """Forget the pair's live row (ended rows stay: they are history)."""
        self._history_changed[(request_id, volunteer_id, "")] = None


def _has(positions: Mapping[str, int], changed: Mapping[str, Any], key: str) -> bool:
    if key in changed:
        return changed[key] is not None
    return key in positions


def _row(
    base: pd.DataFrame,
    positions: Mapping[str, int],
    changed: Mapping[str, pd.DataFrame | None],
    key: str,
) -> dict[str, Any]:
    if key in changed:
        frame = changed[key]
        if frame is None:
            raise KeyError(key)
        return {str(k): v for k, v in frame.iloc[0].to_dict().items()}
    return {str(k): v for k, v in base.iloc[positions[key]].to_dict().items()}


def _merge(
    base: pd.DataFrame, id_column: str, changed: Mapping[str, pd.DataFrame | None]
) -> pd.DataFrame:
    if not changed:
        return base
    keep = ~base[id_column].isin(list(changed)).to_numpy(dtype=np.bool_)
    frames = [base[keep]] + [row for row in changed.values() if row is not None]
    frames = [f for f in frames if len(f)]
    if not frames:
        return base.iloc[:0]
    return pd.concat(frames, ignore_index=True)


def contract_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A clean frame without the columns validation derived (masks, codes, row numbers)."""
    return frame.drop(columns=[c for c in _DERIVED if c in frame.columns])
