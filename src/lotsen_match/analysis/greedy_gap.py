"""Greedy vs optimal: how many more people the exact solver serves on the same caseload, and who.

A coordinator matching by hand goes "best pair first". That rule hands a scarce speaker of a rare
language to whoever scores highest, although that household may have had other options. The
difference lands on exactly the people with the fewest options, so it is shown per language and
per area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ArgumentError
from .outcomes import AreaMode, request_outcomes
from .what_if import caseload_of, compare_outcomes

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = ["GreedyGap", "greedy_gap"]


@dataclass(frozen=True)
class GreedyGap:
    """An exact run and the greedy run of the same caseload and config.

    ``comparison``: ``metric``, ``optimal``, ``greedy``, ``difference`` (optimal minus greedy)
    per ``what_if.METRICS``. ``by_language`` / ``by_area``: per group of open requests,
    ``requests``, ``served_optimal``, ``served_greedy``, ``extra_served`` (optimal minus
    greedy), sorted by ``extra_served`` descending.
    """

    optimal: MatchResult
    greedy: MatchResult
    comparison: pd.DataFrame
    by_language: pd.DataFrame
    by_area: pd.DataFrame

    @property
    def extra_served(self) -> int:
        """Requests the exact run serves beyond greedy (>= 0 under the ``max_served`` objective)."""
        return int(self.optimal.proposals.shape[0] - self.greedy.proposals.shape[0])


def _by(optimal: pd.DataFrame, greedy: pd.DataFrame, column: str) -> pd.DataFrame:
    a = optimal.groupby(column)["served"].agg(["size", "sum"])
    b = greedy.groupby(column)["served"].sum()
    frame = pd.DataFrame(
        {
            "requests": a["size"].astype("int64"),
            "served_optimal": a["sum"].astype("int64"),
            "served_greedy": b.reindex(a.index).fillna(0).astype("int64"),
        }
    )
    frame["extra_served"] = frame["served_optimal"] - frame["served_greedy"]
    frame = frame.rename_axis(column).reset_index()
    return frame.sort_values(
        ["extra_served", "requests", column], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)


def greedy_gap(result: MatchResult, *, area: AreaMode = "auto", cell_km: float = 10.0) -> GreedyGap:
    """Re-run ``result``'s caseload with the greedy baseline (or, if ``result`` is greedy, with
    the exact ``flow`` solver) and compare the two runs overall, by language and by area.
    """
    from ..pipeline import match_validated

    if result.config is None:
        raise ArgumentError("the result carries no config; run it with lotsen_match.pipeline()")
    caseload = caseload_of(result)
    if result.config.solver.name == "greedy":
        greedy = result
        optimal = match_validated(caseload, result.config.model_copy(update={"solver": "flow"}))
    else:
        optimal = result
        greedy = match_validated(caseload, result.config.model_copy(update={"solver": "greedy"}))
    comparison = compare_outcomes(optimal, greedy).rename(
        columns={"base": "optimal", "scenario": "greedy"}
    )
    comparison["difference"] = comparison["optimal"] - comparison["greedy"]
    comparison = comparison.drop(columns="change")
    out_opt = request_outcomes(optimal, area=area, cell_km=cell_km)
    out_gr = request_outcomes(greedy, area=area, cell_km=cell_km)
    return GreedyGap(
        optimal=optimal,
        greedy=greedy,
        comparison=comparison,
        by_language=_by(out_opt, out_gr, "language"),
        by_area=_by(out_opt, out_gr, "area"),
    )
