"""Supply gap: which requests stay open for lack of volunteers, and whom to recruit where.

A coordination office cannot change who asks for help, only whom it trains. So the gap is counted
per (area, language, need type) of the open requests that more volunteers would serve, next to the
volunteers already there: 12 open Arabic school requests in Sarstedt with two Arabic speakers in
town who are fully booked is a recruitment case; with speakers who do not take on school it is a
conversation with them first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .outcomes import AreaMode, _min_level, request_outcomes, spoken_languages, volunteer_usage

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = ["RECRUITABLE_REASONS", "recruitment_list", "supply_gap", "typical_places"]

#: Unmatched reasons that another volunteer nearby would resolve. ``household`` (the family's
#: contact person cannot take the request) and ``quality`` (the objective chose not to propose)
#: are not a lack of volunteers.
RECRUITABLE_REASONS: Final[tuple[str, ...]] = (
    "language",
    "distance",
    "need",
    "time",
    "minors",
    "gender",
    "exclusions",
    "active",
    "capacity",
)

_GAP_COLUMNS: Final[tuple[str, ...]] = (
    "area",
    "language",
    "need_type",
    "unmet_requests",
    "unmet_households",
    "reasons",
    "lat",
    "lon",
    "speakers",
    "speakers_taking_need",
    "free_places",
)
_LIST_COLUMNS: Final[tuple[str, ...]] = (
    "area",
    "language",
    "need_types",
    "unmet_requests",
    "unmet_households",
    "volunteers_needed",
    "speakers",
    "free_places",
    "lat",
    "lon",
)


def _unmet(out: pd.DataFrame, reasons: Iterable[str]) -> pd.DataFrame:
    wanted = set(reasons)
    unknown = wanted - set(RECRUITABLE_REASONS) - {"household", "quality"}
    if unknown:
        raise ArgumentError(f"unknown unmatched reasons {sorted(unknown)}")
    unmet = out[~out["served"] & out["reason"].isin(sorted(wanted))].copy()
    unmet["hh"] = np.where(
        unmet["household_id"] != "", "H:" + unmet["household_id"], "R:" + unmet["request_id"]
    )
    return unmet


def _speakers(usage: pd.DataFrame, min_level: str) -> pd.DataFrame:
    """(volunteer, language) rows of available volunteers with their area, needs and free places."""
    usage = usage[usage["available"] & (usage["capacity"] > 0)]
    spoken = spoken_languages(usage.rename(columns={"volunteer_id": "vid"}), "vid", min_level)
    return spoken.merge(
        usage[["volunteer_id", "area", "need_types", "free_after"]],
        left_on="id",
        right_on="volunteer_id",
    )


def _ranked_join(
    frame: pd.DataFrame, keys: list[str], column: str, *, with_counts: bool
) -> pd.Series:
    """Per group of ``keys``: the distinct values of ``column``, most frequent first (ties
    alphabetical), ``;``-joined, optionally as ``value:count``.

    Vectorised over groups: ranks become columns (as many as distinct values, i.e. a handful of
    need types or reasons) that are concatenated column by column.
    """
    counts = frame.groupby([*keys, column], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(
        [*keys, "n", column], ascending=[True] * len(keys) + [False, True], kind="stable"
    )
    text = counts[column].astype(str)
    if with_counts:
        text = text + ":" + counts["n"].astype(str)
    counts = counts.assign(_t=text.astype(object), _rank=counts.groupby(keys).cumcount())
    wide = counts.pivot(index=keys, columns="_rank", values="_t")
    joined = wide[0].astype(object)
    for rank in wide.columns[1:]:
        part = wide[rank]
        joined = joined + np.where(part.notna(), ";" + part.fillna("").astype(str), "")
    return joined.sort_index()


def supply_gap(
    result: MatchResult,
    *,
    area: AreaMode = "auto",
    cell_km: float = 10.0,
    reasons: Iterable[str] = RECRUITABLE_REASONS,
    outcomes: pd.DataFrame | None = None,
    usage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Unmet demand per (area, language, need type), with the volunteers already in that area.

    Only open requests without a proposal whose reason is in ``reasons`` count. Columns:
    ``area`` (place or grid cell, see ``outcomes.area_labels``), ``language`` (the requests'
    primary language), ``need_type``, ``unmet_requests``, ``unmet_households``, ``reasons``
    (``reason:count;...``, most frequent first), ``lat``/``lon`` (centroid of those requests:
    where a recruit should live), ``speakers`` (available volunteers with capacity in the area
    who speak the language at ``min_language_level``), ``speakers_taking_need`` (of them, those
    who take on the need type), ``free_places`` (their places left after this run). Sorted by
    ``unmet_requests`` descending, then area, language, need type.

    ``outcomes`` / ``usage``: ``request_outcomes`` / ``volunteer_usage`` of ``result`` with the
    same ``area`` and ``cell_km``, if already at hand (saves recomputing them).
    """
    out, usage = _tables(result, area, cell_km, outcomes, usage)
    unmet = _unmet(out, reasons)
    if unmet.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _GAP_COLUMNS})
    keys = ["area", "language", "need_type"]
    grouped = unmet.groupby(keys, sort=True)
    gap = grouped.agg(
        unmet_requests=("request_id", "size"),
        unmet_households=("hh", "nunique"),
        lat=("lat", "mean"),
        lon=("lon", "mean"),
    )
    gap["reasons"] = _ranked_join(unmet, keys, "reason", with_counts=True)
    gap = gap.reset_index()

    sp = _speakers(usage, _min_level(result))
    in_area = sp.groupby(["area", "language"])["volunteer_id"].nunique()
    pairs = pd.MultiIndex.from_frame(gap[["area", "language"]])
    gap["speakers"] = in_area.reindex(pairs).fillna(0).to_numpy(dtype=np.int64)
    # Speakers who take on the need: one pass per need type present in the gap.
    taking = np.zeros(len(gap), dtype=np.int64)
    free = np.zeros(len(gap), dtype=np.int64)
    for need in gap["need_type"].unique():
        rows = (gap["need_type"] == need).to_numpy()
        ok = sp[sp["need_types"].astype(str).str.contains(rf"(?:^|;){need}(?:;|$)", regex=True)]
        counts = ok.groupby(["area", "language"]).agg(
            n=("volunteer_id", "nunique"), free=("free_after", "sum")
        )
        idx = pd.MultiIndex.from_frame(gap.loc[rows, ["area", "language"]])
        taking[rows] = counts["n"].reindex(idx).fillna(0).to_numpy(dtype=np.int64)
        free[rows] = counts["free"].reindex(idx).fillna(0).to_numpy(dtype=np.int64)
    gap["speakers_taking_need"] = taking
    gap["free_places"] = free
    gap["lat"] = gap["lat"].round(4)
    gap["lon"] = gap["lon"].round(4)
    gap = gap.sort_values(
        ["unmet_requests", "area", "language", "need_type"],
        ascending=[False, True, True, True],
        kind="stable",
    )
    return gap[list(_GAP_COLUMNS)].reset_index(drop=True)


def _tables(
    result: MatchResult,
    area: AreaMode,
    cell_km: float,
    outcomes: pd.DataFrame | None,
    usage: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if outcomes is None:
        outcomes = request_outcomes(result, area=area, cell_km=cell_km)
    if usage is None:
        usage = volunteer_usage(result, area=area, cell_km=cell_km)
    return outcomes, usage


def typical_places(usage: pd.DataFrame) -> float:
    """Median capacity of available volunteers with capacity (a ``volunteer_usage`` table): the
    places one recruit will likely offer."""
    caps = usage.loc[usage["available"] & (usage["capacity"] > 0), "capacity"]
    return float(caps.median()) if len(caps) else 1.0


def recruitment_list(
    result: MatchResult,
    *,
    area: AreaMode = "auto",
    cell_km: float = 10.0,
    reasons: Iterable[str] = RECRUITABLE_REASONS,
    places_per_volunteer: float | None = None,
    outcomes: pd.DataFrame | None = None,
    usage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Whom to recruit where: the supply gap summed over need types, per (area, language).

    Columns: ``area``, ``language``, ``need_types`` (``;``-joined, most unmet first: what the
    recruits should take on), ``unmet_requests``, ``unmet_households``, ``volunteers_needed``
    (``ceil(unmet_households / places_per_volunteer)``, an estimate that ignores times and
    gender preferences; ``places_per_volunteer`` defaults to the median capacity of today's
    available volunteers), ``speakers`` (available speakers with capacity already in the area),
    ``free_places`` (their places left after this run, over all need types), ``lat``/``lon``
    (centroid of the unmet requests). Sorted by ``unmet_households`` descending.
    ``outcomes`` / ``usage``: as in :func:`supply_gap`.
    """
    out, usage = _tables(result, area, cell_km, outcomes, usage)
    unmet = _unmet(out, reasons)
    if unmet.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _LIST_COLUMNS})
    per = places_per_volunteer if places_per_volunteer is not None else typical_places(usage)
    if not per > 0:
        raise ArgumentError(f"places_per_volunteer must be > 0, got {per!r}")
    grouped = unmet.groupby(["area", "language"], sort=True)
    out = grouped.agg(
        unmet_requests=("request_id", "size"),
        unmet_households=("hh", "nunique"),
        lat=("lat", "mean"),
        lon=("lon", "mean"),
    )
    out["need_types"] = _ranked_join(unmet, ["area", "language"], "need_type", with_counts=False)
    out = out.reset_index()
    out["volunteers_needed"] = [math.ceil(h / per) for h in out["unmet_households"]]
    sp = _speakers(usage, _min_level(result))
    counts = sp.groupby(["area", "language"]).agg(
        n=("volunteer_id", "nunique"), free=("free_after", "sum")
    )
    idx = pd.MultiIndex.from_frame(out[["area", "language"]])
    out["speakers"] = counts["n"].reindex(idx).fillna(0).to_numpy(dtype=np.int64)
    out["free_places"] = counts["free"].reindex(idx).fillna(0).to_numpy(dtype=np.int64)
    out["lat"] = out["lat"].round(4)
    out["lon"] = out["lon"].round(4)
    out = out.sort_values(
        ["unmet_households", "unmet_requests", "area", "language"],
        ascending=[False, False, True, True],
        kind="stable",
    )
    return out[list(_LIST_COLUMNS)].reset_index(drop=True)
