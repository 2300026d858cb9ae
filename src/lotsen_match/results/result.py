"""The result of a run: plain DataFrames plus a summary, and explanations on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..arguments import check_choice
from ..config import MatchConfig
from ..validation.notices import empty_notices
from .explain import COMPONENT_LABELS, Explanation, explain_request
from .summary import RunSummary

__all__ = ["MatchResult"]


@dataclass(frozen=True)
class MatchResult:
    """Proposals, unmatched requests with reasons, rejected input rows, and a run summary.

    Plain DataFrames, so that a caller filters, joins and writes them with pandas; every
    column is listed in the contract's [Results][results] section. Built by
    [`match`][lotsen_match.match], and frozen.

    Attributes
    ----------
    proposals
        One row per proposed request: ``request_id``, ``volunteer_id``, ``household_id``,
        ``score``, one column per score component, ``distance_km``, ``shared_language``,
        ``status`` (``proposed``, or ``kept``: the last run's proposal again) and
        ``volunteer_load`` after this run.
    unmatched
        One row per open request without a proposal: ``reason`` (the hard constraint that
        removed the last candidate, ``capacity``, ``household`` or ``quality``), the funnel
        counts ``after_<step>`` and ``detail``, the reason as a sentence.
    alternatives
        Up to ``report.max_alternatives`` next-best admissible volunteers per request, and
        where each is weaker than the proposal (``lacks``).
    rejected
        One row per rejected input row (lenient mode), with its messages.
    problems
        Every problem found in the input: table, source, row, column, value, rule, message.
    summary
        What ``summary.json`` holds (its keys and types: ``results.summary.RunSummary``):
        counts, solver (backend, status, optimality, objective, bound), stage timings, input
        fingerprints, notices, the config, the library version.
    components
        Names of the score components, in the order of the columns of ``proposals``.
    funnel_steps
        The hard constraints in funnel order (the ``after_<step>`` columns of ``unmatched``).
    active_request_ids
        Requests with an active volunteer: not matched again, and explained as such.
    volunteers
        The validated volunteers of the run, for analyses and what-if re-runs.
    requests
        The validated requests of the run.
    assignments
        The validated assignments of the run.
    config
        The run's settings.
    notices
        References in valid rows that name no row at all (an excluded volunteer who has
        left, say): they stop nothing, and the run says so.
    reconfirm
        Open requests without a contact for longer than ``rules.reconfirm_after_days``,
        longest first: ask whether help is still needed.
    """

    proposals: pd.DataFrame
    unmatched: pd.DataFrame
    alternatives: pd.DataFrame
    rejected: pd.DataFrame
    problems: pd.DataFrame
    summary: RunSummary
    components: tuple[str, ...]
    funnel_steps: tuple[str, ...]
    active_request_ids: frozenset[str] = field(default_factory=frozenset)
    volunteers: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    requests: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    assignments: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    config: MatchConfig = field(default_factory=MatchConfig, repr=False)
    notices: pd.DataFrame = field(default_factory=empty_notices, repr=False)
    reconfirm: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def explain(self, request_id: str, *, lang: str | None = None) -> Explanation:
        """Explain why a request got its proposal, or why it got none.

        Parameters
        ----------
        request_id
            Any request id; one that is not part of the run gets status ``unknown``.
        lang
            ``de`` or ``en``; None follows ``config.report.language``.

        Returns
        -------
        Explanation
            A proposal's score breakdown and next-best volunteers, or the funnel and reason
            of an unmatched request, in words and figures.

        Raises
        ------
        ArgumentError
            ``lang`` is neither ``de``, ``en`` nor None.
        """
        language = (
            self.config.report.language
            if lang is None
            else check_choice(lang, tuple(COMPONENT_LABELS), "lang")
        )
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
            f"optimal={self.optimal}, requests_open={c['requests_open']})"
        )
