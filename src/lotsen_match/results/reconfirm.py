"""Requests to reconfirm: open requests that have waited too long without any contact.

A request nobody has touched for ``reconfirm_after_days`` (config, default 60) may no longer be
needed: the family moved, found help elsewhere, or the appointment passed. Rather than letting
its waiting time raise its urgency for ever, the run lists it here ("Bitte nachfragen, ob noch
Bedarf besteht") and freezes the waiting part of its urgency (``scoring.urgency_component``).
The last contact is the latest of ``created_on`` and the ``started_on``/``ended_on`` of any
assignment row of the request; a ``proposed`` row without dates counts as a contact on the run
date (an open proposal is being worked on); rows without dates otherwise carry no date.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from ..core.problem import MatchProblem

__all__ = ["RECONFIRM_COLUMNS", "reconfirm_table"]

#: Columns of ``MatchResult.reconfirm`` (and ``reconfirm.csv``).
RECONFIRM_COLUMNS: Final[tuple[str, ...]] = (
    "request_id",
    "household_id",
    "need_type",
    "created_on",
    "last_contact_on",
    "days_without_contact",
    "proposed_volunteer_id",
)


def reconfirm_table(
    problem: MatchProblem, req_frame: pd.DataFrame, proposals: pd.DataFrame
) -> pd.DataFrame:
    """One row per stale open request, longest without contact first (then by id).

    ``req_frame`` holds the requests in problem order; ``proposed_volunteer_id`` names the
    volunteer this run proposes ("" if none): the call that confirms the proposal can ask too.
    """
    idx = np.flatnonzero(problem.r_stale)
    proposed = dict(zip(proposals["request_id"], proposals["volunteer_id"], strict=True))
    ids = problem.request_ids[idx]
    frame = pd.DataFrame(
        {
            "request_id": ids,
            "household_id": req_frame["household_id"].to_numpy(dtype=object)[idx],
            "need_type": req_frame["need_type"].to_numpy(dtype=object)[idx],
            "created_on": _iso(problem.r_created_day[idx]),
            "last_contact_on": _iso(problem.r_contact_day[idx]),
            "days_without_contact": (
                problem.as_of_day - problem.r_contact_day[idx].astype(np.int64)
            ),
            "proposed_volunteer_id": np.array(
                [proposed.get(r, "") for r in ids.tolist()], dtype=object
            ),
        },
        columns=list(RECONFIRM_COLUMNS),
    )
    return frame.sort_values(
        ["days_without_contact", "request_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def _iso(days: np.ndarray) -> np.ndarray:
    """Day numbers as ISO date text."""
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
