"""Per-request and per-volunteer outcome tables: the common ground of every analysis.

A :class:`~lotsen_match.results.result.MatchResult` keeps its validated inputs, so who was
served, where, in which language and how long they waited can be read off plain tables without
re-running the match. The analyses (supply gap, fairness, what-if, greedy gap) and the HTML
report group these two tables; tests recompute the same numbers from the raw result tables.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..core.geo import EARTH_RADIUS_KM, unit_vectors
from ..core.vocab import LEVEL_CODE
from ..errors import ArgumentError
from ..ingest.places import load_places

if TYPE_CHECKING:
    from sklearn.neighbors import KDTree

    from ..results.result import MatchResult

__all__ = [
    "AREA_MODES",
    "SETTLEMENT_CLASSES",
    "AreaMode",
    "area_labels",
    "grid_cells",
    "household_keys",
    "primary_language",
    "request_outcomes",
    "settlement_class",
    "spoken_languages",
    "volunteer_usage",
]

AreaMode = Literal["auto", "place", "grid"]
AREA_MODES: Final[tuple[str, ...]] = ("auto", "place", "grid")

#: Kilometres per degree of latitude on the sphere of docs/contract.md.
KM_PER_DEGREE: Final[float] = math.pi * EARTH_RADIUS_KM / 180.0

#: Size classes of the nearest GeoNames place (German statistical convention: Landgemeinde,
#: Kleinstadt, Mittelstadt, Großstadt), as (code, lower population bound).
SETTLEMENT_CLASSES: Final[tuple[tuple[str, int], ...]] = (
    ("village", 0),
    ("small_town", 5_000),
    ("town", 20_000),
    ("city", 100_000),
)

ObjArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]


def grid_cells(
    lat: npt.ArrayLike, lon: npt.ArrayLike, cell_km: float = 10.0
) -> tuple[ObjArray, FloatArray, FloatArray]:
    """Label and centre of the ``cell_km`` x ``cell_km`` grid cell of each point.

    Rows of cells are ``cell_km`` high; within a row the cells are ``cell_km`` wide at the row's
    centre latitude, so cells keep their size across a whole state. The label is the cell centre,
    e.g. ``"52.17N 9.95E"``: readable, stable across runs and pasteable into a map search.
    """
    if not cell_km > 0:
        raise ArgumentError(f"cell_km must be > 0, got {cell_km!r}")
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    dlat = cell_km / KM_PER_DEGREE
    row = np.floor(la / dlat)
    c_lat = (row + 0.5) * dlat
    dlon = dlat / np.maximum(np.cos(np.radians(c_lat)), 1e-6)
    col = np.floor(lo / dlon)
    c_lon = (col + 0.5) * dlon
    if la.size == 0:
        return np.zeros(0, dtype=object), c_lat, c_lon
    keys = np.stack([row, col], axis=1)
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    names = np.array([_cell_label(float(c_lat[i]), float(c_lon[i])) for i in first], dtype=object)
    assert len(names) == len(uniq)
    return names[inverse.ravel()], c_lat, c_lon


def _cell_label(lat: float, lon: float) -> str:
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"{abs(lat):.2f}{ns} {abs(lon):.2f}{ew}"


def area_labels(frame: pd.DataFrame, *, area: AreaMode = "auto", cell_km: float = 10.0) -> ObjArray:
    """The area of each row: its ``place`` (municipality) or a grid cell from lat/lon.

    ``auto`` uses ``place`` where the column exists and the cell is filled, the grid cell
    elsewhere; ``place`` requires the column (empty cells still fall back to the grid).
    """
    if area not in AREA_MODES:
        raise ArgumentError(f"area must be one of {AREA_MODES}, got {area!r}")
    if area == "place" and "place" not in frame.columns:
        raise ArgumentError("area='place' needs a 'place' column in the input tables")
    cells, _, _ = grid_cells(frame["lat"], frame["lon"], cell_km)
    if area == "grid" or "place" not in frame.columns:
        return cells
    text = frame["place"].astype(object).where(frame["place"].notna(), "").astype(str)
    place = text.str.strip().to_numpy(dtype=object)
    return np.where(place != "", place, cells).astype(object)


def primary_language(languages: pd.Series) -> ObjArray:
    """The first code of each canonical ``code:level;...`` list: the strongest language.

    Validated lists are sorted by level (strongest first), so this is the language a person is
    most at home in; analyses group people by it.
    """
    codes, uniques = pd.factorize(languages.astype(object).fillna(""), use_na_sentinel=False)
    firsts = np.array([str(u).partition(":")[0].partition(";")[0] for u in uniques], dtype=object)
    out: ObjArray = firsts[codes] if len(firsts) else np.zeros(0, dtype=object)
    return out


def spoken_languages(frame: pd.DataFrame, id_column: str, min_level: str) -> pd.DataFrame:
    """One row per (id, language) spoken at ``min_level`` or better: columns ``id``, ``language``.

    ``frame`` holds canonical ``languages`` lists; this is the long form analyses join on.
    """
    entries = (
        frame[[id_column, "languages"]]
        .astype({"languages": object})
        .assign(languages=lambda f: f["languages"].fillna("").astype(str).str.split(";"))
        .explode("languages", ignore_index=True)
    )
    if entries.empty:
        return pd.DataFrame(
            {"id": pd.Series([], dtype=object), "language": pd.Series([], dtype=object)}
        )
    parts = entries["languages"].astype(str).str.partition(":")
    level = parts[2].map(LEVEL_CODE).fillna(0).to_numpy(dtype=np.int64)
    keep = (parts[0] != "").to_numpy() & (level >= LEVEL_CODE[min_level])
    return pd.DataFrame(
        {
            "id": entries[id_column].to_numpy(dtype=object)[keep],
            "language": parts[0].to_numpy(dtype=object)[keep],
        }
    )


def household_keys(requests: pd.DataFrame) -> ObjArray:
    """Household of each request; an empty ``household_id`` is the request's own household."""
    hh = requests["household_id"].astype(object).fillna("").astype(str).to_numpy(dtype=object)
    rid = requests["request_id"].astype(str).to_numpy(dtype=object)
    return np.where(hh != "", "H:" + hh, "R:" + rid).astype(object)


@functools.cache
def _place_tree() -> tuple[KDTree, npt.NDArray[np.int64]]:
    """KD-tree over the places' unit vectors: the nearest chord is the nearest great circle."""
    from sklearn.neighbors import KDTree

    places = load_places()
    tree = KDTree(unit_vectors(places["lat"], places["lon"]))
    return tree, places["population"].to_numpy(dtype=np.int64)


def settlement_class(lat: npt.ArrayLike, lon: npt.ArrayLike) -> ObjArray:
    """Size class of the nearest GeoNames place of Lower Saxony (see ``SETTLEMENT_CLASSES``).

    A proxy for "rural or urban" that needs no place names: people live near the place they
    belong to. Outside Lower Saxony the nearest bundled place may be far away.
    """
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    if la.size == 0:
        return np.zeros(0, dtype=object)
    tree, population = _place_tree()
    _, idx = tree.query(unit_vectors(la, lo), k=1)
    pop = population[idx[:, 0]]
    bounds = np.array([b for _, b in SETTLEMENT_CLASSES[1:]], dtype=np.int64)
    names = np.array([name for name, _ in SETTLEMENT_CLASSES], dtype=object)
    labels: ObjArray = names[np.searchsorted(bounds, pop, side="right")]
    return labels


def _as_of(result: MatchResult) -> pd.Timestamp:
    return pd.Timestamp(result.config.as_of)


def _min_level(result: MatchResult) -> str:
    return str(result.config.rules.min_language_level)


def request_outcomes(
    result: MatchResult, *, area: AreaMode = "auto", cell_km: float = 10.0
) -> pd.DataFrame:
    """One row per open request of the run (active pairings excluded), in request_id order.

    Columns: ``request_id``, ``household_id`` (as given, "" = own household),
    ``household_requests`` (requests of the household in the caseload, active ones included: a
    proxy for household size), ``household_size`` ("1", "2", "3", "4+"), ``language`` (primary
    language, see :func:`primary_language`), ``languages`` (the full list), ``need_type``,
    ``preferred_gender`` ("" = none), ``involves_minors``, ``area`` (see :func:`area_labels`),
    ``settlement`` (see :func:`settlement_class`), ``lat``, ``lon``, ``waiting_days`` (``as_of``
    minus ``created_on``), ``served``, ``volunteer_id`` ("" if unserved), ``score`` and
    ``distance_km`` (NaN if unserved), ``reason`` ("" if served, else the unmatched reason).
    """
    req = result.requests
    keys = household_keys(req)
    sizes = pd.Series(keys).map(pd.Series(keys).value_counts()).to_numpy(dtype=np.int64)
    active = pd.Index(sorted(result.active_request_ids), dtype=object)
    is_open = ~pd.Index(req["request_id"].astype(object)).isin(active)
    waiting = (_as_of(result) - pd.to_datetime(req["created_on"])).dt.days
    frame = pd.DataFrame(
        {
            "request_id": req["request_id"].astype(str).to_numpy(dtype=object),
            "household_id": req["household_id"].astype(object).fillna("").to_numpy(dtype=object),
            "household_requests": sizes,
            "household_size": np.where(sizes >= 4, "4+", sizes.astype(str)).astype(object),
            "language": primary_language(req["languages"]),
            "languages": req["languages"].astype(object).to_numpy(dtype=object),
            "need_type": req["need_type"].astype(str).to_numpy(dtype=object),
            "preferred_gender": req["preferred_gender"]
            .astype(object)
            .fillna("")
            .to_numpy(dtype=object),
            "involves_minors": req["involves_minors"].to_numpy(dtype=bool),
            "area": area_labels(req, area=area, cell_km=cell_km),
            "settlement": settlement_class(req["lat"], req["lon"]),
            "lat": req["lat"].to_numpy(dtype=np.float64),
            "lon": req["lon"].to_numpy(dtype=np.float64),
            "waiting_days": waiting.to_numpy(dtype=np.int64),
        }
    )[is_open]
    rid = frame["request_id"].to_numpy(dtype=object)
    prop = result.proposals
    pos = _positions(prop["request_id"], rid)
    hit = pos >= 0
    take = np.maximum(pos, 0)
    frame["served"] = hit
    vol = prop["volunteer_id"].to_numpy(dtype=object)
    frame["volunteer_id"] = np.where(hit, vol[take] if len(vol) else "", "").astype(object)
    for col in ("score", "distance_km"):
        values = prop[col].to_numpy(dtype=np.float64)
        frame[col] = np.where(hit, values[take] if len(values) else np.nan, np.nan)
    un = result.unmatched
    upos = _positions(un["request_id"], rid)
    reasons = un["reason"].to_numpy(dtype=object)
    frame["reason"] = np.where(
        upos >= 0, reasons[np.maximum(upos, 0)] if len(reasons) else "", ""
    ).astype(object)
    ordered: pd.DataFrame = frame.sort_values("request_id", kind="stable")
    return ordered.reset_index(drop=True)


def _positions(keys: pd.Series, wanted: ObjArray) -> npt.NDArray[np.intp]:
    """Row of each ``wanted`` id in ``keys`` (unique ids), -1 where absent."""
    index = pd.Index(keys.to_numpy(dtype=object), dtype=object)
    return np.asarray(index.get_indexer(pd.Index(wanted, dtype=object)), dtype=np.intp)


def volunteer_usage(
    result: MatchResult, *, area: AreaMode = "auto", cell_km: float = 10.0
) -> pd.DataFrame:
    """One row per volunteer: who can still take households after this run.

    Columns: ``volunteer_id``, ``languages``, ``need_types``, ``area``, ``capacity``,
    ``available`` (active on ``as_of`` and, if the config requires it, certified),
    ``active_households`` (households of ``active`` pairs), ``proposed_households`` (new
    households proposed in this run; a proposal within a household the volunteer already
    accompanies takes no place), ``free_after`` (places left if every proposal is confirmed;
    0 for unavailable volunteers).
    """
    vol = result.volunteers
    as_of = _as_of(result)
    start = pd.to_datetime(vol["available_from"])
    end = pd.to_datetime(vol["available_until"])
    certified = pd.to_datetime(vol["certified_on"])
    available = (start.isna() | (start <= as_of)) & (end.isna() | (end >= as_of))
    if result.config.rules.require_certification:
        available &= certified.notna() & (certified <= as_of)

    req = result.requests
    hh_of = pd.Series(household_keys(req), index=req["request_id"].astype(str).to_numpy())
    asg = result.assignments
    active = asg.loc[asg["status"] == "active", ["request_id", "volunteer_id"]]
    active_pairs = pd.DataFrame(
        {
            "volunteer_id": active["volunteer_id"].astype(str).to_numpy(dtype=object),
            "hh": active["request_id"].astype(str).map(hh_of).to_numpy(dtype=object),
        }
    ).drop_duplicates()
    prop = result.proposals
    prop_pairs = pd.DataFrame(
        {
            "volunteer_id": prop["volunteer_id"].astype(str).to_numpy(dtype=object),
            "hh": prop["request_id"].astype(str).map(hh_of).to_numpy(dtype=object),
        }
    ).drop_duplicates()
    new_pairs = prop_pairs.merge(active_pairs, how="left", indicator=True)
    new_pairs = new_pairs[new_pairs["_merge"] == "left_only"]

    ids = vol["volunteer_id"].astype(str)
    n_active = ids.map(active_pairs.groupby("volunteer_id").size()).fillna(0).astype(np.int64)
    n_new = ids.map(new_pairs.groupby("volunteer_id").size()).fillna(0).astype(np.int64)
    capacity = vol["capacity"].to_numpy(dtype=np.int64)
    free = np.maximum(capacity - n_active.to_numpy() - n_new.to_numpy(), 0)
    return pd.DataFrame(
        {
            "volunteer_id": ids.to_numpy(dtype=object),
            "languages": vol["languages"].astype(object).to_numpy(dtype=object),
            "need_types": vol["need_types"].astype(object).to_numpy(dtype=object),
            "area": area_labels(vol, area=area, cell_km=cell_km),
            "capacity": capacity,
            "available": available.to_numpy(dtype=bool),
            "active_households": n_active.to_numpy(dtype=np.int64),
            "proposed_households": n_new.to_numpy(dtype=np.int64),
            "free_after": np.where(available.to_numpy(dtype=bool), free, 0).astype(np.int64),
        }
    )
