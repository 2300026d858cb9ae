"""The run summary's keys and their types: ``MatchResult.summary`` and ``summary.json``.

``match()`` builds the keys of ``RunSummary`` without the ``NotRequired`` ones (except
``success_model``, present when a success model scored the pairs); the nightly job
(``job.runner``) adds the keys of the run: id, inputs, outputs, format and the names a reader of
the files needs. Types only: readers index these keys instead of digging with ``.get``, and the
JSON written is exactly these dicts.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "DatabaseSummary",
    "RunCounts",
    "RunSummary",
    "SolverSummary",
    "SuccessModelSummary",
    "rows_read",
]


class RunCounts(TypedDict):
    """``summary["counts"]``: rows read and accepted, requests, pairs and what became of them."""

    volunteers_read: int
    volunteers_accepted: int
    requests_read: int
    requests_accepted: int
    assignments_read: int
    assignments_accepted: int
    rejected_rows: int
    requests_active: int
    requests_open: int
    admissible_pairs: int
    proposals: int
    proposals_kept: int
    unmatched: int
    served_rate: float
    volunteers_with_proposals: int
    unmatched_by_reason: dict[str, int]
    reconfirm: NotRequired[int]
    """Set by ``match_validated`` once the reconfirm table is built."""


def rows_read(counts: RunCounts) -> dict[str, int]:
    """Input rows read per table (``volunteers``, ``requests``, ``assignments``)."""
    return {
        "volunteers": counts["volunteers_read"],
        "requests": counts["requests_read"],
        "assignments": counts["assignments_read"],
    }


class SolverSummary(TypedDict):
    """``summary["solver"]``: backend, status, optimality and the objective with its bound."""

    backend: str
    status: str
    optimal: bool
    objective: int
    bound: int | None
    objective_kind: str
    base_per_request: int
    scale: int
    wall_seconds: float


class SuccessModelSummary(TypedDict):
    """``summary["success_model"]``: which learned model scored the pairs (from its card)."""

    name: str | None
    path: str
    feature_version: int | None
    training_period: dict[str, Any] | None
    training_rows: int | None
    weight: float


class DatabaseSummary(TypedDict):
    """``summary["database"]``: where a job wrote its tables, and what retention deleted."""

    url: str
    tables_written: list[str]
    retention: NotRequired[dict[str, Any]]


class RunSummary(TypedDict):
    """What ``MatchResult.summary`` and ``summary.json`` hold, key by key (in JSON order)."""

    run_id: NotRequired[str]
    started_at: NotRequired[str]
    library_version: str
    as_of: str
    status: NotRequired[str]
    counts: RunCounts
    solver: SolverSummary
    quality_total: float
    fingerprints: dict[str, str]
    notices: dict[str, Any]
    config: dict[str, Any]
    success_model: NotRequired[SuccessModelSummary]
    timings_s: NotRequired[dict[str, float]]
    """Set by ``match_validated`` (stage seconds); the job writes its own, with ``total``."""
    inputs: NotRequired[dict[str, dict[str, Any]]]
    database: NotRequired[DatabaseSummary]
    format: NotRequired[str]
    outputs: NotRequired[dict[str, str]]
    components: NotRequired[list[str]]
    funnel_steps: NotRequired[list[str]]
    active_request_ids: NotRequired[list[str]]
    output_form: NotRequired[str]
    export: NotRequired[dict[str, Any]]
