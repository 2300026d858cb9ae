"""From an office's history to training rows: which pairings, which outcome, which day.

The history is an assignments table (SPEC.md) with ``ended`` rows carrying ``started_on`` and
``end_reason``; the volunteers and requests tables must hold every id it names, closed requests
and former volunteers included. A training row is an ``ended`` pairing with a start date and a
reason; its label is whether it ended ``completed``. Two reasons say nothing about the pairing
(``no_longer_needed``: the need went away; ``newcomer_moved``): such rows are left out, like
censored observations, and counted in the model card. Everything is columnar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..core.problem import MISSING_DAY, MatchProblem, build_problem
from ..errors import ArgumentError
from ..io.inputs import TableSource as TableLike
from ..io.inputs import read_inputs
from ..validation import validate_caseload
from .features import HistoryEvents, pair_features

__all__ = ["NEUTRAL_REASONS", "TrainingData", "history_events", "training_data"]

#: End reasons that say nothing about how well a pairing worked (excluded from training).
NEUTRAL_REASONS: Final[tuple[str, ...]] = ("no_longer_needed", "newcomer_moved")

_EPOCH: Final = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class TrainingData:
    """Training rows (features, labels, groups, days) plus what the model card reports."""

    X: npt.NDArray[np.float64]
    y: npt.NDArray[np.int8]
    hand_score: npt.NDArray[np.float64]
    volunteer: npt.NDArray[np.int64]
    """Volunteer index per row (cross-validation groups)."""
    start_day: npt.NDArray[np.int64]
    audit: pd.DataFrame
    """Per row, the group columns of the fairness check (never features): first_language,
    need_type, volunteer_gender."""
    skipped: dict[str, int]
    """Rows of the history not used, by why."""
    history_rows: int
    keys: pd.DataFrame
    """Per row: request_id, volunteer_id, start_day (which pairing it is)."""


def _days(series: pd.Series) -> npt.NDArray[np.int64]:
    values = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = (values - _EPOCH).astype(np.int64)
    out[np.isnat(values)] = MISSING_DAY
    return out


def history_events(history: pd.DataFrame, problem: MatchProblem) -> HistoryEvents:
    """Dated accompaniments (``active`` and ``ended`` rows with started_on) as problem indices."""
    if history.empty or "started_on" not in history.columns:
        return HistoryEvents.empty()
    vol = _index(problem.volunteer_ids, history["volunteer_id"])
    req = _index(problem.request_ids, history["request_id"])
    status = history["status"].to_numpy(dtype=object)
    start = _days(history["started_on"])
    end = (
        _days(history["ended_on"])
        if "ended_on" in history.columns
        else np.full(len(history), MISSING_DAY, dtype=np.int64)
    )
    keep = (vol >= 0) & (start != MISSING_DAY) & np.isin(status, ("active", "ended"))
    household = np.full(req.size, -1, dtype=np.int64)  # also when no request is left
    known = req >= 0
    household[known] = problem.r_household[req[known]]
    return HistoryEvents(
        vol=vol[keep],
        household=household[keep],
        start=start[keep],
        end=end[keep],
        ended=(status == "ended")[keep],
    )


def _index(ids: npt.NDArray[np.object_], values: pd.Series) -> npt.NDArray[np.int64]:
    """Positions of ``values`` in the sorted unique ``ids``, -1 where absent."""
    index = pd.Index(ids)
    return np.asarray(index.get_indexer(pd.Index(values.fillna("").astype(str))), np.int64)


def training_data(
    history: TableLike,
    volunteers: TableLike,
    requests: TableLike,
    config: MatchConfig,
    *,
    neutral_reasons: tuple[str, ...] = NEUTRAL_REASONS,
) -> TrainingData:
    """Validate the three tables and build one training row per usable ended pairing.

    Raises:
        InputValidationError: strict config and invalid rows.
        ArgumentError: no usable row at all.
    """
    raw = read_inputs(volunteers, requests, history, config)
    caseload = validate_caseload(
        raw["volunteers"], raw["requests"], raw["assignments"], config=config
    )
    hist = caseload.assignments
    problem = build_problem(caseload.volunteers, caseload.requests, None, config)
    events = history_events(hist, problem)
    vol = _index(problem.volunteer_ids, hist["volunteer_id"])
    req = _index(problem.request_ids, hist["request_id"])
    start = _days(hist["started_on"])
    reason = hist["end_reason"].fillna("").to_numpy(dtype=object)
    ended = hist["status"].to_numpy(dtype=object) == "ended"
    checks = {
        "not_ended": ~ended,
        "no_end_reason": ended & (reason == ""),
        "neutral_reason": ended & np.isin(reason, neutral_reasons),
        "no_started_on": ended & (reason != "") & (start == MISSING_DAY),
        "unknown_request_or_volunteer": ended & ((vol < 0) | (req < 0)),
    }
    use = np.ones(len(hist), dtype=np.bool_)
    skipped: dict[str, int] = {}
    for why, mask in checks.items():
        hit = use & mask
        skipped[why] = int(hit.sum())
        use &= ~mask
    rows = np.flatnonzero(use)
    if rows.size == 0:
        raise ArgumentError(
            "the history holds no usable pairing: ended rows need started_on and an "
            "end_reason (other than " + ", ".join(neutral_reasons) + ") and must name a "
            "request and a volunteer of the given tables; skipped: " + str(skipped)
        )
    X, hand = pair_features(problem, req[rows], vol[rows], start[rows], events, config)
    req_frame = caseload.requests.set_index("request_id")
    vol_frame = caseload.volunteers.set_index("volunteer_id")
    rids = problem.request_ids[req[rows]]
    vids = problem.volunteer_ids[vol[rows]]
    languages = req_frame["languages"].reindex(rids).fillna("").astype(str)
    audit = pd.DataFrame(
        {
            "first_language": languages.str.split(":").str[0].to_numpy(dtype=object),
            "need_type": req_frame["need_type"].reindex(rids).to_numpy(dtype=object),
            "volunteer_gender": vol_frame["gender"]
            .reindex(vids)
            .fillna("")
            .replace("", "-")
            .to_numpy(dtype=object),
        }
    )
    return TrainingData(
        X=X,
        y=(reason[rows] == "completed").astype(np.int8),
        hand_score=hand,
        volunteer=vol[rows],
        start_day=start[rows],
        audit=audit,
        skipped=skipped,
        history_rows=len(hist),
        keys=pd.DataFrame({"request_id": rids, "volunteer_id": vids, "start_day": start[rows]}),
    )


def day_to_date(day: int) -> dt.date:
    """A day number as a date."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
