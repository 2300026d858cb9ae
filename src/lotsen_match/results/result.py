"""The result of a run: plain DataFrames plus a summary, and explanations on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..config import MatchConfig
from ..validation.notices import empty_notices
from .explain import Explanation, explain_request

__all__ = [
    "PROPOSAL_KEYS",
    "PROPOSAL_TAIL",
    "MatchResult",
]


#: Columns of ``MatchResult.proposals`` before the score components.
PROPOSAL_KEYS = ("request_id", "volunteer_id", "household_id", "score")
#: Columns of ``MatchResult.proposals`` after the score components.
PROPOSAL_TAIL = ("distance_km", "shared_language", "status", "volunteer_load")


@dataclass(frozen=True)
class MatchResult:
    """Proposals, unmatched requests with reasons, rejected input rows, and a run summary.

    ``proposals``: one row per proposed request (request_id, volunteer_id, household_id, score,
    one column per score component, distance_km, shared_language, status ``proposed``/``kept``,
    volunteer_load after this run). ``unmatched``: one row per open request without a proposal,
    with ``reason``, ``detail`` (words) and the funnel counts ``after_<step>``. ``alternatives``:
    the next-best admissible volunteers per request. ``rejected``/``problems``: invalid input.
    ``notices``: references in valid rows that name no row (e.g. an excluded volunteer who left).
    ``summary``: counts, objective, solver, optimality, timings, fingerprints, config, version.
    """

    proposals: pd.DataFrame
    unmatched: pd.DataFrame
    alternatives: pd.DataFrame
    rejected: pd.DataFrame
    problems: pd.DataFrame
    summary: dict[str, Any]
    components: tuple[str, ...]
    funnel_steps: tuple[str, ...]
    active_request_ids: frozenset[str] = field(default_factory=frozenset)
    #: The validated inputs and the config of this run (for analyses and what-if re-runs).
    volunteers: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    requests: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    assignments: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    config: MatchConfig = field(default_factory=MatchConfig, repr=False)
    notices: pd.DataFrame = field(default_factory=empty_notices, repr=False)
    #: Open requests without a contact for longer than ``reconfirm_after_days`` (ask whether
    #: help is still needed; see :mod:`lotsen_match.results.reconfirm`).
    reconfirm: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def explain(self, request_id: str, *, lang: str | None = None) -> Explanation:
        """Score breakdown and next-best volunteers, or the funnel of an unmatched request."""
        language = lang or self.config.report.language
        return explain_request(
            str(request_id),
            proposals=self.proposals,
            unmatched=self.unmatched,
            alternatives=self.alternatives,
            components=self.components,
            funnel_steps=self.funnel_steps,
            lang=language,
            level=self.config.rules.min_language_level,
            active_request_ids=self.active_request_ids,
        )

    @property
    def optimal(self) -> bool:
        """Whether the solver proved the proposals optimal."""
        return bool(self.summary["solver"]["optimal"])

    def __repr__(self) -> str:
        c = self.summary["counts"]
        return (
            f"MatchResult(proposals={len(self.proposals)}, unmatched={len(self.unmatched)}, "
            f"rejected={len(self.rejected)}, solver={self.summary['solver']['backend']!r}, "
            f"optimal={self.optimal}, requests_open={c.get('requests_open')})"
        )
