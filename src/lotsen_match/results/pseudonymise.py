"""Pseudonymise result tables for analysts outside the office (GDPR Art. 4(5), 25, 32).

Ids become keyed hashes: ``R-``/``V-``/``H-`` and the first 12 hex digits of HMAC-SHA256 under the
office's secret key. The same id gets the same pseudonym under the same key, so exports of
different nights can be linked, while nobody without the key can link a pseudonym to the office's
files (a plain hash of a short id could be reversed by trying every id). Coordinates are coarsened
to the nearest bundled Lower Saxony place, free text is dropped, and columns this module does not
know are dropped too: a column added later stays out of exports until someone decides it is safe.

Everything is vectorised: one HMAC per distinct id (cached across tables), never one per row.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ArgumentError, PseudonymisationError

__all__ = [
    "COLUMN_RULES",
    "DROPPED_COLUMNS",
    "GRID_DEGREES",
    "ID_PREFIXES",
    "MIN_KEY_BYTES",
    "PLACE_MAX_KM",
    "PSEUDONYM_DIGITS",
    "IdKind",
    "PseudonymisedTable",
    "Pseudonymiser",
    "coarsen_coordinates",
    "pseudonymise_table",
]

FloatArray = npt.NDArray[np.float64]
IdKind = Literal["request", "volunteer", "household", "other"]
ColumnRule = Literal["request", "volunteer", "household", "volunteer_list", "keep"]

#: Shortest key accepted: 256 bits, the output size of SHA-256.
MIN_KEY_BYTES: Final = 32
#: Hex digits kept of each HMAC (48 bits): readable, and collisions are checked, never silent.
PSEUDONYM_DIGITS: Final = 12
ID_PREFIXES: Final[dict[IdKind, str]] = {
    "request": "R-",
    "volunteer": "V-",
    "household": "H-",
    "other": "X-",
}
#: A point is coarsened to the nearest bundled place if one lies this close (Lower Saxony).
PLACE_MAX_KM: Final = 15.0
#: Elsewhere coordinates are rounded to a grid of this many degrees (about 11 x 7 km).
GRID_DEGREES: Final = 0.1
#: Separator of id lists (``excluded_volunteers``), as in the input contract.
LIST_SEPARATOR: Final = ";"

#: How each known column is exported; columns not named here (and not listed as kept by the
#: caller, e.g. the score components) are dropped.
COLUMN_RULES: Final[dict[str, ColumnRule]] = {
    # ids, wherever they appear
    "request_id": "request",
    "volunteer_id": "volunteer",
    "household_id": "household",
    "best_volunteer_id": "volunteer",
    "household_volunteer_id": "volunteer",
    "previous_volunteer_id": "volunteer",
    "excluded_volunteers": "volunteer_list",
    "proposed_volunteer_id": "volunteer",
    # result columns: codes, numbers and flags the library itself writes
    "score": "keep",
    "distance_km": "keep",
    "shared_language": "keep",
    "status": "keep",
    "volunteer_load": "keep",
    "reason": "keep",
    "best_score": "keep",
    "request_languages": "keep",
    "need_type": "keep",
    "nearest_km": "keep",
    "nearest_radius_km": "keep",
    "rank": "keep",
    "volunteer_full": "keep",
    "lacks": "keep",
    "table": "keep",
    "columns": "keep",
    # reconfirm (stale requests): dates of the same kind as created_on, and a day count
    "last_contact_on": "keep",
    "days_without_contact": "keep",
    # input contract columns (SPEC.md), for input tables a run wrote next to its results
    "languages": "keep",
    "max_distance_km": "keep",
    "need_types": "keep",
    "availability": "keep",
    "capacity": "keep",
    "gender": "keep",
    "certified_on": "keep",
    "modules": "keep",
    "police_check_until": "keep",
    "available_from": "keep",
    "available_until": "keep",
    "created_on": "keep",
    "due_on": "keep",
    "involves_minors": "keep",
    "preferred_gender": "keep",
    "started_on": "keep",
    "ended_on": "keep",
    "end_reason": "keep",
    "decided_by": "keep",
}
#: Known columns that are always dropped, and why: free text that may quote input values, and
#: input row numbers, which follow the office's file (often sorted by id) and so could undo ids.
DROPPED_COLUMNS: Final[dict[str, str]] = {
    "detail": "sentences that may quote input values",
    "values": "the rejected cells' values",
    "messages": "validation messages that quote the rejected values",
    "source": "input file names or paths",
    "place": "the office's place text (replaced by the coarse place)",
    "row": "input row numbers follow the office's file order and could reveal ids",
}
#: Exported rows are sorted by pseudonym: the run's order follows the original ids (often
#: sequential), and keeping it would let anyone line pseudonyms up with them.
_SORT_KEYS: Final = ("table", "request_id", "volunteer_id", "id", "rank")
_COORDINATES: Final = ("lat", "lon")
#: Which id kind the ``id`` column of ``rejected`` holds, by its ``table`` column.
_REJECTED_ID_KIND: Final[dict[str, IdKind]] = {"volunteers": "volunteer", "requests": "request"}


@dataclass(frozen=True)
class PseudonymisedTable:
    """A pseudonymised table and what was done to it (for the export's notice)."""

    frame: pd.DataFrame
    #: column -> why it was dropped
    dropped: dict[str, str]
    #: columns whose ids were replaced by pseudonyms
    pseudonymised: tuple[str, ...]
    #: whether lat/lon were coarsened to places
    coarsened: bool


class Pseudonymiser:
    """Stable keyed pseudonyms for ids: ``R-``/``V-``/``H-`` + 12 hex digits of HMAC-SHA256.

    The id kind is part of the hashed message, so a request and a volunteer that share an id
    text get unrelated pseudonyms. One instance caches every pseudonym it made, so each distinct
    id is hashed once across all tables, and refuses two ids that would share a pseudonym.

    Parameters
    ----------
    key
        The secret key, at least :data:`MIN_KEY_BYTES` bytes.

    Raises
    ------
    PseudonymisationError
        The key is shorter than :data:`MIN_KEY_BYTES` bytes.
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes):
            raise ArgumentError(f"key must be bytes, got {type(key).__name__}")
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymisationError(
                f"the key has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed"
            )
        self._key = key
        self._cache: dict[IdKind, dict[str, str]] = {kind: {} for kind in ID_PREFIXES}
        self._seen: dict[IdKind, dict[str, str]] = {kind: {} for kind in ID_PREFIXES}
        self.key_id = self._digests([b"lotsen-match key id"])[0][:8]
        """Names the key without revealing it: two exports with the same key_id link up."""

    def ids(self, values: pd.Series, kind: IdKind) -> pd.Series:
        """Pseudonyms for a column of ids; missing and empty cells stay missing.

        Raises
        ------
        PseudonymisationError
            Two different ids would get the same pseudonym (about 1 in 10^5 for 10^5 ids).
        """
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = [u if isinstance(u, str) else str(u) for u in np.asarray(uniques, dtype=object)]
        cache = self._cache[kind]
        self._add([t for t in dict.fromkeys(texts) if t and t not in cache], kind)
        # One HMAC per distinct id; the extra None is where the sentinel -1 (missing) points.
        lookup = np.array([cache[t] if t else None for t in texts] + [None], dtype=object)
        return pd.Series(lookup[codes], index=values.index, dtype=object, name=values.name)

    def id_lists(self, values: pd.Series, kind: IdKind) -> pd.Series:
        """Pseudonyms for ``;``-joined id lists (``excluded_volunteers``), element by element."""
        positional = values.astype(object).reset_index(drop=True)  # the index may repeat
        parts = positional.str.split(LIST_SEPARATOR).explode()
        stripped = parts.str.strip()
        mapped = self.ids(stripped.where(stripped != ""), kind).dropna()
        out = np.full(len(values), None, dtype=object)
        # Most lists hold one id: those are copied as they are; only longer ones are joined.
        several = mapped.index.duplicated(keep=False)
        single = mapped[~several]
        out[single.index.to_numpy(dtype=np.intp)] = single.to_numpy(dtype=object)
        joined = mapped[several].groupby(level=0).agg(LIST_SEPARATOR.join)
        out[joined.index.to_numpy(dtype=np.intp)] = joined.to_numpy(dtype=object)
        return pd.Series(out, index=values.index, dtype=object, name=values.name)

    def _add(self, new_ids: list[str], kind: IdKind) -> None:
        """Pseudonyms for ids not seen before (distinct), refusing any collision."""
        if not new_ids:
            return
        tag = kind.encode() + b"\x00"
        digests = self._digests([tag + v.encode("utf-8", "surrogatepass") for v in new_ids])
        prefix = ID_PREFIXES[kind]
        made = [prefix + d[:PSEUDONYM_DIGITS] for d in digests]
        fresh = dict(zip(made, new_ids, strict=True))
        seen = self._seen[kind]
        if len(fresh) < len(made) or not seen.keys().isdisjoint(fresh):
            raise PseudonymisationError(
                f"two {kind} ids share a pseudonym under this key; export again with another key"
            )
        seen.update(fresh)
        self._cache[kind].update(zip(new_ids, made, strict=True))

    def _digests(self, messages: list[bytes]) -> list[str]:
        """HMAC-SHA256 of each message in hex (OpenSSL's one-shot HMAC, one C call each)."""
        key = self._key
        return [hmac.digest(key, message, "sha256").hex() for message in messages]


def pseudonymise_table(
    frame: pd.DataFrame,
    pseudonymiser: Pseudonymiser,
    *,
    keep: Collection[str] = (),
) -> PseudonymisedTable:
    """Pseudonymise one table: ids hashed, coordinates coarsened, free text and unknown dropped.

    Parameters
    ----------
    frame
        A result table (proposals, unmatched, alternatives, rejected, reconfirm) or an input
        table of the contract; column names as the library writes them.
    pseudonymiser
        Holds the key and the pseudonyms made so far.
    keep
        Further columns to keep as they are (the run's score components and funnel counts).

    Returns
    -------
    PseudonymisedTable
        The new frame, sorted by pseudonym, and a record of every column dropped or replaced.
    """
    columns: dict[str, Any] = {}
    dropped: dict[str, str] = {}
    hashed: list[str] = []
    has_coordinates = all(c in frame.columns for c in _COORDINATES)
    for label in frame.columns:
        name = str(label)
        series = frame[label]
        rule = COLUMN_RULES.get(name)
        if name in _COORDINATES and has_coordinates:
            if name == "lat":
                coarse = coarsen_coordinates(frame["lat"], frame["lon"])
                for column in coarse.columns:
                    columns[column] = coarse[column].to_numpy()
            continue
        if name in DROPPED_COLUMNS:
            dropped[name] = DROPPED_COLUMNS[name]
        elif name == "id" and "table" in frame.columns:
            columns[name] = _rejected_ids(frame, pseudonymiser)
            hashed.append(name)
        elif rule in ("request", "volunteer", "household"):
            columns[name] = pseudonymiser.ids(series, rule).to_numpy()
            hashed.append(name)
        elif rule == "volunteer_list":
            columns[name] = pseudonymiser.id_lists(series, "volunteer").to_numpy()
            hashed.append(name)
        elif rule == "keep" or name in keep or _is_funnel_count(name, series):
            columns[name] = series.to_numpy()
        else:
            dropped[name] = "unknown column (may hold names or free text)"
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    keys = [key for key in _SORT_KEYS if key in out.columns]
    if keys and len(out):
        out = out.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    return PseudonymisedTable(out, dropped, tuple(hashed), has_coordinates)


def coarsen_coordinates(lat: Iterable[Any], lon: Iterable[Any]) -> pd.DataFrame:
    """The nearest bundled place within :data:`PLACE_MAX_KM` km, else a 0.1-degree grid point.

    Returns a frame with columns ``place`` (name, empty off the places), ``lat`` and ``lon``
    (the place's centre or the grid point, 4 decimals); missing or invalid coordinates stay
    missing. The bundled places all have 500+ inhabitants (GeoNames), so a home becomes a
    village or town.
    """
    from ..ingest.places import EARTH_RADIUS_KM, load_places

    lat_arr = pd.to_numeric(pd.Series(list(lat)), errors="coerce").to_numpy(dtype=np.float64)
    lon_arr = pd.to_numeric(pd.Series(list(lon)), errors="coerce").to_numpy(dtype=np.float64)
    n = len(lat_arr)
    valid = np.isfinite(lat_arr) & np.isfinite(lon_arr) & (np.abs(lat_arr) <= 90)
    valid &= np.abs(lon_arr) <= 180
    place = np.full(n, "", dtype=object)
    out_lat = np.full(n, np.nan)
    out_lon = np.full(n, np.nan)
    if valid.any():
        places = load_places()
        nearest, angle = _nearest_places(lat_arr[valid], lon_arr[valid])
        near = angle * EARTH_RADIUS_KM <= PLACE_MAX_KM
        rows = np.flatnonzero(valid)
        names = places["name"].to_numpy(dtype=object)
        place[rows[near]] = names[nearest[near]]
        out_lat[rows[near]] = places["lat"].to_numpy()[nearest[near]]
        out_lon[rows[near]] = places["lon"].to_numpy()[nearest[near]]
        far = rows[~near]
        out_lat[far] = np.round(lat_arr[far] / GRID_DEGREES) * GRID_DEGREES
        out_lon[far] = np.round(lon_arr[far] / GRID_DEGREES) * GRID_DEGREES
    return pd.DataFrame({"place": place, "lat": np.round(out_lat, 4), "lon": np.round(out_lon, 4)})


# --- internals -------------------------------------------------------------------------------


#: Points compared with all places at once (x 1,153 places x 8 bytes: about 19 MB).
_CHUNK: Final = 2048


def _unit_vectors(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> FloatArray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


@functools.cache
def _place_vectors() -> FloatArray:
    from ..ingest.places import load_places

    places = load_places()
    return _unit_vectors(places["lat"].to_numpy(np.float64), places["lon"].to_numpy(np.float64))


def _nearest_places(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Index of the nearest place and the central angle to it (radians), in chunks.

    On the unit sphere the nearest place has the largest dot product, so one matrix product
    per chunk finds it (scikit-learn's BallTree would cost seconds of import for this).
    """
    places = _place_vectors().T.copy()
    # Homes geocoded from places or postal codes repeat: each distinct point is searched once.
    distinct, inverse = np.unique(np.column_stack([lat, lon]), axis=0, return_inverse=True)
    points = _unit_vectors(distinct[:, 0], distinct[:, 1])
    index = np.empty(len(points), dtype=np.intp)
    best = np.empty(len(points), dtype=np.float64)
    for start in range(0, len(points), _CHUNK):
        dots = points[start : start + _CHUNK] @ places
        nearest = np.argmax(dots, axis=1)
        index[start : start + _CHUNK] = nearest
        best[start : start + _CHUNK] = np.take_along_axis(dots, nearest[:, None], axis=1)[:, 0]
    inverse = inverse.reshape(-1)
    return index[inverse], np.arccos(np.clip(best[inverse], -1.0, 1.0))


def _rejected_ids(frame: pd.DataFrame, pseudonymiser: Pseudonymiser) -> npt.NDArray[np.object_]:
    """The ``id`` of rejected rows by table: ``R1/V2`` of an assignment becomes ``R-../V-..``."""
    ids = frame["id"]
    tables = frame["table"].astype(str).to_numpy()
    out = np.full(len(frame), None, dtype=object)
    for table in pd.unique(tables):
        mask = tables == table
        part = ids[mask]
        if table == "assignments":
            split = part.astype(object).str.partition("/")
            left = pseudonymiser.ids(split[0], "request")
            right = pseudonymiser.ids(split[2], "volunteer")
            both = left.str.cat(right, sep="/").fillna(left)
            out[mask] = both.to_numpy(dtype=object)
        else:
            kind = _REJECTED_ID_KIND.get(str(table), "other")
            out[mask] = pseudonymiser.ids(part, kind).to_numpy(dtype=object)
    return out


def _is_funnel_count(name: str, series: pd.Series) -> bool:
    """``after_<constraint>`` counts of ``unmatched``: numbers of candidates, no personal data."""
    if not name.startswith("after_"):
        return False
    numeric = pd.to_numeric(series, errors="coerce")
    return bool((numeric.notna() | series.isna()).all())
