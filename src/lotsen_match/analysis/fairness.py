"""Fairness audit: are some groups of people served less often, matched worse, or kept waiting?

The matcher maximises the number of people served and then the total score; it has no notion of
groups. This audit looks at the outcome per group (language, gender preference, household size,
minors, need type, settlement size, area) against everyone else, so an office can see whether,
say, large families or villages lose out, and whether that is more than chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .outcomes import AreaMode, request_outcomes

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = ["AUDIT_COLUMNS", "DIMENSIONS", "fairness_audit", "largest_disparities"]

#: Groupings of open requests, each a column of ``outcomes.request_outcomes``.
DIMENSIONS: Final[tuple[str, ...]] = (
    "language",
    "preferred_gender",
    "household_size",
    "involves_minors",
    "need_type",
    "settlement",
    "area",
)

AUDIT_COLUMNS: Final[tuple[str, ...]] = (
    "dimension",
    "group",
    "requests",
    "served",
    "served_rate",
    "gap",
    "z",
    "mean_score",
    "mean_waiting_days",
    "mean_waiting_days_unserved",
    "flagged",
)


def fairness_audit(
    result: MatchResult,
    *,
    dimensions: Sequence[str] = DIMENSIONS,
    area: AreaMode = "auto",
    cell_km: float = 10.0,
    min_group_size: int = 10,
    min_gap: float = 0.10,
    z_threshold: float = 2.58,
) -> pd.DataFrame:
    """Served rate, mean score and waiting time per group, each compared with everyone else.

    One row per (dimension, group) over the open requests of the run. Columns: ``dimension``,
    ``group`` (text; ``preferred_gender`` "" is ``none``, booleans ``true``/``false``),
    ``requests``, ``served``, ``served_rate``, ``gap`` (served rate of the group minus that of all
    other open requests), ``z`` (two-proportion z statistic of that difference; 0 when either
    side is empty or uniform), ``mean_score`` (of served requests; NaN if none),
    ``mean_waiting_days`` (all open requests of the group), ``mean_waiting_days_unserved``,
    ``flagged``: the group has at least ``min_group_size`` requests and is served at least
    ``min_gap`` less often than the rest, with ``z <= -z_threshold`` (2.58: two-sided 1 %), so a
    flag is both large and unlikely to be chance. Rows are ordered by dimension (as given), then
    requests descending.
    """
    out = request_outcomes(result, area=area, cell_km=cell_km)
    unknown = [d for d in dimensions if d not in out.columns]
    if unknown:
        raise ArgumentError(f"unknown dimensions {unknown}; choose from {list(DIMENSIONS)}")
    total_n = len(out)
    total_served = int(out["served"].sum())
    frames = []
    for dim in dimensions:
        group = _group_labels(out[dim])
        frame = out.assign(_g=group, _unserved_wait=out["waiting_days"].where(~out["served"]))
        g = frame.groupby("_g", sort=True)
        stats = pd.DataFrame(
            {
                "requests": g.size(),
                "served": g["served"].sum().astype(np.int64),
                "mean_score": g["score"].mean(),
                "mean_waiting_days": g["waiting_days"].mean(),
                "mean_waiting_days_unserved": g["_unserved_wait"].mean(),
            }
        )
        stats = stats.rename_axis("group").reset_index()
        stats.insert(0, "dimension", dim)
        frames.append(stats.sort_values(["requests", "group"], ascending=[False, True]))
    if not frames or total_n == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in AUDIT_COLUMNS})
    audit = pd.concat(frames, ignore_index=True)
    n = audit["requests"].to_numpy(dtype=np.float64)
    s = audit["served"].to_numpy(dtype=np.float64)
    rest_n = total_n - n
    rest_s = total_served - s
    rate = s / n
    with np.errstate(divide="ignore", invalid="ignore"):
        rest_rate = np.where(rest_n > 0, rest_s / rest_n, np.nan)
        pooled = total_served / total_n
        se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rest_n))
        z = np.where((rest_n > 0) & (se > 0), (rate - rest_rate) / se, 0.0)
    audit["served_rate"] = rate
    audit["gap"] = rate - rest_rate
    audit["z"] = z
    audit["flagged"] = (
        (audit["requests"] >= min_group_size)
        & (audit["gap"] <= -min_gap)
        & (audit["z"] <= -z_threshold)
    ).to_numpy(dtype=bool)
    return audit[list(AUDIT_COLUMNS)].reset_index(drop=True)


def _group_labels(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values.map({True: "true", False: "false"}).astype(object)
    text = values.astype(object).fillna("").astype(str)
    return text.where(text != "", "none").astype(object)


def largest_disparities(
    audit: pd.DataFrame, *, top: int = 10, min_group_size: int = 10
) -> pd.DataFrame:
    """The ``top`` groups served least often relative to everyone else (most negative ``gap``).

    Only groups with at least ``min_group_size`` requests: a rate over three requests says
    little. Flagged groups come first, then by ``gap``, then ``z``.
    """
    big = audit[audit["requests"] >= min_group_size]
    ranked = big.assign(_f=~big["flagged"].astype(bool)).sort_values(
        ["_f", "gap", "z", "dimension", "group"], kind="stable"
    )
    return ranked.drop(columns="_f").head(top).reset_index(drop=True)
