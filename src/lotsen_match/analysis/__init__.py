"""Analyses of a finished run for coordinators and analysts: DataFrames, and charts of them.

- :func:`request_outcomes` / :func:`volunteer_usage`: the per-request and per-volunteer tables
  everything else groups.
- :func:`supply_gap` / :func:`recruitment_list`: unmet demand by area, language and need, and whom
  to recruit where.
- :func:`what_if`: re-run with added or removed volunteers, other weights or settings.
- :func:`fairness_audit` / :func:`largest_disparities`: outcomes per group against everyone else.
- :func:`greedy_gap`: what the exact solver gains over "best pair first", by language and area.
- :mod:`.figures`: the charts as matplotlib figures (:func:`served_figure`,
  :func:`reasons_figure`, :func:`recruitment_figure`, :func:`fairness_figure`), for notebooks,
  slides and the report.
"""

from .fairness import DIMENSIONS, fairness_audit, largest_disparities
from .figures import (
    Chart,
    fairness_figure,
    reasons_figure,
    recruitment_figure,
    served_counts,
    served_figure,
)
from .greedy_gap import GreedyGap, greedy_gap
from .outcomes import area_labels, grid_cells, request_outcomes, settlement_class, volunteer_usage
from .supply_gap import RECRUITABLE_REASONS, recruitment_list, supply_gap
from .what_if import METRICS, WhatIf, hypothetical_volunteers, outcome_metrics, what_if

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "RECRUITABLE_REASONS",
    "Chart",
    "GreedyGap",
    "WhatIf",
    "area_labels",
    "fairness_audit",
    "fairness_figure",
    "greedy_gap",
    "grid_cells",
    "hypothetical_volunteers",
    "largest_disparities",
    "outcome_metrics",
    "reasons_figure",
    "recruitment_figure",
    "recruitment_list",
    "request_outcomes",
    "served_counts",
    "served_figure",
    "settlement_class",
    "supply_gap",
    "volunteer_usage",
    "what_if",
]
