"""Offline geocoding: place names and postal codes of Lower Saxony -> WGS84 coordinates.

Offices know where people live by place name ("Sarstedt", "Hannover-Linden", "31134
Hildesheim"), not by latitude and longitude. The bundled GeoNames table (CC BY 4.0, see
``data/ATTRIBUTION.md``) holds the 1,153 places of Lower Saxony with 500+ inhabitants and
their official long forms ("Winsen (Luhe)", "Hann. Münden"); a user table (postal code, place
or address key -> lat/lon) takes precedence over it. No network is ever used.

A name resolves only when it means one place: spellings differing in case, umlauts ("Goettingen",
"Gottingen"), ß or punctuation meet; district suffixes ("Hannover-Linden", "Linden (Hannover)",
"Hildesheim OT Itzum") resolve to the district if the table has it, else to the town; "X (Y)"
and "X bei Y" pick the X near Y. Everything else is rejected: an unknown name with the closest
spellings, an ambiguous one ("Neuenkirchen": eight places) with a label per candidate that
resolves when written back. An office serving one district can name its centre (``near``) so
that ambiguous names resolve to the one place within reach.

:meth:`Geocoder.geocode` works on whole columns and resolves each distinct (postal code, place)
pair once: tables repeat a few hundred places across 100k rows.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..core.geo import haversine_km
from ..errors import ArgumentError
from .places import load_place_names, load_places
from .vocabulary_de import fold

__all__ = [
    "DISTRICT_KM",
    "Gazetteer",
    "GeocodeResult",
    "Geocoder",
    "PlaceMatch",
    "describe_failure",
    "read_user_places",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
MatchStatus = Literal["ok", "ambiguous", "unknown", "empty"]

#: How far a district or a "bei"-neighbour may lie from the town it is qualified with.
DISTRICT_KM: Final[float] = 20.0
#: Words that only qualify a place name ("OT Itzum", "Stadt Einbeck", "Region Hannover").
FILLER_WORDS: Final[frozenset[str]] = frozenset(
    {
        "ot",
        "ortsteil",
        "stadtteil",
        "stt",
        "bei",
        "b",
        "nahe",
        "in",
        "gemeinde",
        "gem",
        "samtgemeinde",
        "sg",
        "stadt",
        "hansestadt",
        "kreis",
        "landkreis",
        "lk",
        "region",
        "flecken",
    }
)
_POSTAL: Final = re.compile(r"^\s*(?:D\s*-\s*)?(\d{5})\b[\s,]*(.*?)\s*$|^\s*(.*?)[\s,]+(\d{5})\s*$")
_ABBREVIATIONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"\bst\b"), "sankt"),
    (re.compile(r"\bgr\b"), "gross"),
    (re.compile(r"\bkl\b"), "klein"),
    (re.compile(r"\ba\b"), "am"),
    (re.compile(r"\brbge\b"), "ruebenberge"),
)
#: Candidates listed in an ambiguity message before "...".
MAX_LISTED: Final[int] = 4


@dataclass(frozen=True)
class PlaceMatch:
    """The answer for one (postal code, place) text.

    ``status`` is ``ok`` (coordinates set), ``ambiguous`` (``candidates`` hold a label per
    place it could mean), ``unknown`` (``candidates`` hold the closest spellings) or ``empty``.
    ``how`` says which rule resolved it, for the "how each column was understood" table.
    """

    status: MatchStatus
    lat: float = math.nan
    lon: float = math.nan
    name: str = ""
    how: str = ""
    candidates: tuple[str, ...] = ()
    postal_code: str = ""


@dataclass(frozen=True)
class GeocodeResult:
    """A column geocoded: coordinates per row (NaN where unresolved) and the distinct matches.

    ``matches[codes[i]]`` is the :class:`PlaceMatch` of row ``i``.
    """

    lat: FloatArray
    lon: FloatArray
    codes: npt.NDArray[np.intp]
    matches: tuple[PlaceMatch, ...]

    @cached_property
    def status(self) -> npt.NDArray[np.object_]:
        """Per row: ok / ambiguous / unknown / empty."""
        per_match = np.array([m.status for m in self.matches] or ["empty"], dtype=object)
        out: npt.NDArray[np.object_] = per_match[self.codes]
        return out

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        """Rows with coordinates."""
        return np.asarray(self.status == "ok", dtype=np.bool_)

    def counts(self) -> dict[str, int]:
        """Rows per resolution rule ("name", "district", ...) or failure status."""
        keys = np.array([m.how or m.status for m in self.matches] or ["empty"], dtype=object)
        labels, n = np.unique(keys[self.codes], return_counts=True)
        return {str(k): int(c) for k, c in zip(labels, n, strict=True)}


# ------------------------------------------------------------------------------------------------
# the place-name table


class Gazetteer:
    """Place names indexed by folded spelling (both umlaut foldings), with coordinates.

    Built once per process from the bundled GeoNames table; ``places`` may restrict or replace
    it (columns name, lat, lon, population; optional geonameid for ``alternate_names``).
    """

    def __init__(
        self, places: pd.DataFrame | None = None, alternate_names: pd.DataFrame | None = None
    ) -> None:
        table = load_places() if places is None else places.reset_index(drop=True)
        if alternate_names is None and places is None:
            alternate_names = load_place_names()
        self.names: list[str] = [str(n) for n in table["name"]]
        self.lat = table["lat"].to_numpy(dtype=np.float64)
        self.lon = table["lon"].to_numpy(dtype=np.float64)
        self.population = table["population"].to_numpy(dtype=np.int64)
        self._keys: dict[str, list[int]] = {}
        self._keys_a: dict[str, list[int]] = {}
        self.alternates: dict[int, list[str]] = {}
        for i, name in enumerate(self.names):
            self._add(name, i)
        if alternate_names is not None and "geonameid" in table.columns:
            position = {int(g): i for i, g in enumerate(table["geonameid"])}
            for gid, alt in zip(
                alternate_names["geonameid"], alternate_names["alternate_name"], strict=True
            ):
                at = position.get(int(gid))
                if at is not None:
                    self._add(str(alt), at)
                    self.alternates.setdefault(at, []).append(str(alt))
        # Display spelling per key of a place's own name: what suggestions offer.
        self._display = {fold(n): n for n in self.names}

    def _add(self, name: str, i: int) -> None:
        for key, table in ((fold(name), self._keys), (fold(name, umlauts="a"), self._keys_a)):
            if key:
                hits = table.setdefault(key, [])
                if i not in hits:
                    hits.append(i)

    def __len__(self) -> int:
        return len(self.names)

    def lookup(self, text: str) -> list[int]:
        """Places whose name or official form folds like ``text``, largest first."""
        hits = self._keys.get(fold(text)) or self._keys_a.get(fold(text, umlauts="a")) or []
        return sorted(hits, key=lambda i: (-self.population[i], i))

    def lookup_key(self, key: str) -> list[int]:
        """Like :meth:`lookup` for an already folded (hence ASCII) key.

        An ASCII key folds the same either way, so it is looked up in both indexes: "gottingen"
        finds Göttingen through the index that drops the umlaut dots.
        """
        hits = self._keys.get(key) or self._keys_a.get(key) or []
        return sorted(hits, key=lambda i: (-self.population[i], i))

    def km(self, i: int, lat: float, lon: float) -> float:
        """Great-circle distance of place ``i`` to a point."""
        return float(haversine_km(self.lat[i], self.lon[i], lat, lon))

    def close(self, text: str, n: int = 3) -> list[str]:
        """The place names spelled most like ``text`` (for "meinten Sie ...?")."""
        found = difflib.get_close_matches(fold(text), list(self._display), n=n, cutoff=0.75)
        return [self._display[k] for k in found]

    @lru_cache(maxsize=4096)  # noqa: B019 - one gazetteer per process; labels are immutable
    def label(self, i: int) -> str:
        """A name that means place ``i`` alone: its own name if unique, else qualified.

        Qualified by an official long form ("Winsen (Luhe)") or by the nearest town with a
        unique name ("Neuenkirchen (Melle)"); every label resolves back to ``i``.
        """
        name = self.names[i]
        if _distinct(self, self.lookup(name)) == [i]:
            return name
        forms = [a for a in self.alternates.get(i, []) if fold(a).startswith(fold(name) + " ")]
        forms = [a for a in forms if _distinct(self, self.lookup(a)) == [i]]
        # "Lohne (Oldenburg)" (qualifier is a known place) before "Winsen (Luhe)" before
        # "Winsen an der Aller": official forms read best when they name a known place.
        in_parens = [a for a in forms if re.fullmatch(r".+\(.+\)", a)]
        placed = [a for a in in_parens if _lookup_any(self, a[a.index("(") + 1 : -1])]
        for options in (placed, in_parens, forms):
            if options:
                return min(options, key=lambda a: (len(a), a))
        for threshold in (10_000, 2_000, 0):
            town = self._nearest_unique(i, threshold)
            if town is None:
                continue
            candidate = f"{name} ({self.names[town]})"
            if self._resolves_to(candidate, i):
                return candidate
        return f"{name} ({self.lat[i]:.3f}, {self.lon[i]:.3f})"

    def _resolves_to(self, text: str, i: int) -> bool:
        match = _resolve_names(self, text, None, labels=False)
        return match.status == "ok" and self.km(i, match.lat, match.lon) <= SAME_PLACE_KM

    def _nearest_unique(self, i: int, min_population: int) -> int | None:
        km = haversine_km(self.lat, self.lon, self.lat[i], self.lon[i])
        eligible = (self.population >= min_population) & (np.arange(len(self)) != i)
        eligible &= np.array([fold(n) != fold(self.names[i]) for n in self.names])
        for j in np.argsort(np.where(eligible, km, np.inf), kind="stable")[:20]:
            if not eligible[j] or km[j] > DISTRICT_KM:
                return None
            if len(self.lookup(self.names[int(j)])) == 1:
                return int(j)
        return None


@lru_cache(maxsize=1)
def _bundled() -> Gazetteer:
    return Gazetteer()


# ------------------------------------------------------------------------------------------------
# resolution rules


def _place_match(g: Gazetteer, i: int, how: str) -> PlaceMatch:
    return PlaceMatch("ok", float(g.lat[i]), float(g.lon[i]), g.names[i], how)


def _strip_fillers(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end and tokens[start] in FILLER_WORDS:
        start += 1
    while end > start and tokens[end - 1] in FILLER_WORDS:
        end -= 1
    return tokens[start:end]


def _keys_of(text: str) -> list[str]:
    """Folded keys to try: as written, then with abbreviations expanded ("St." -> sankt)."""
    key = fold(text)
    expanded = key
    for pattern, word in _ABBREVIATIONS:
        expanded = pattern.sub(word, expanded)
    return list(dict.fromkeys([key, expanded, " ".join(_strip_fillers(expanded.split()))]))


def _lookup_any(g: Gazetteer, text: str) -> list[int]:
    hits = g.lookup(text)
    if hits:
        return hits
    for key in _keys_of(text):
        hits = g.lookup_key(key) if key else []
        if hits:
            return hits
    return []


def _narrow(
    g: Gazetteer, hits: list[int], near: tuple[float, float] | None, near_km: float
) -> list[int]:
    """Candidates within ``near_km`` of the office's centre (all of them without a centre)."""
    if near is None:
        return hits
    return [i for i in hits if g.km(i, *near) <= near_km]


def _qualified(g: Gazetteer, targets: list[int], qualifiers: list[int]) -> list[int]:
    """The targets lying within :data:`DISTRICT_KM` of a qualifier, nearest first.

    "Neuenkirchen (Melle)": of eight Neuenkirchen, the one near Melle. When one target is
    clearly the closest (less than half the distance of the next), it alone is returned.
    """
    best: dict[int, float] = {}
    for t in targets:
        for q in qualifiers:
            if t != q:
                km = g.km(t, float(g.lat[q]), float(g.lon[q]))
                if km <= DISTRICT_KM and km < best.get(t, math.inf):
                    best[t] = km
    ranked = sorted(best, key=lambda t: (best[t], t))
    if len(ranked) > 1 and best[ranked[0]] < 0.5 * best[ranked[1]]:
        return ranked[:1]
    return ranked


#: Ways to qualify a name, tried in order: (pattern, which group is the place meant).
#: "Linden (Hannover)" and "Neuenkirchen bei Melle" mean the first part; "Hannover-Linden",
#: "Hannover OT Linden" and "Hannover/Linden" the second; "Itzum, Hildesheim" either.
_FORMS: Final[tuple[tuple[re.Pattern[str], int | None], ...]] = (
    (re.compile(r"^(.+?)\s*\((.+)\)\s*$"), 1),
    (re.compile(r"^(.+?)\s+(?:bei|b\.|nahe|near)\s+(.+)$", re.IGNORECASE), 1),
    (re.compile(r"^(.+?)[\s,-]+(?:OT|Ortsteil|Stadtteil)\.?\s+(.+)$", re.IGNORECASE), 2),
    (re.compile(r"^(.+)\s*,\s*(.+)$"), None),
)
_DISTRICT_SEPARATOR: Final = re.compile(r"\s*[-–/]\s*")


def _splits(text: str) -> list[tuple[str, str, int | None, bool]]:
    """(first, second, which is meant, may fall back to the town) for every way to split."""
    out: list[tuple[str, str, int | None, bool]] = []
    for pattern, meant in _FORMS:
        if m := pattern.match(text):
            out.append((m[1], m[2], meant, True))
    for m in _DISTRICT_SEPARATOR.finditer(text):
        out.append((text[: m.start()], text[m.end() :], 2, True))
    words = text.split()
    for cut in range(1, len(words)):  # "Hannover Linden-Süd": only when both parts are places
        out.append((" ".join(words[:cut]), " ".join(words[cut:]), None, False))
    return out


def _resolve_names(
    g: Gazetteer,
    text: str,
    near: tuple[float, float] | None,
    near_km: float = 30.0,
    *,
    labels: bool = True,
) -> PlaceMatch:
    """Resolve a place name against the gazetteer (no user table, no postal code).

    An exact (folded) name wins. Otherwise the text is split as a qualified name (see
    :data:`_FORMS`): two known parts near each other give the part meant; a known town with an
    unknown district gives the town ("Hannover-Vahrenwald"), but only where punctuation or
    "OT" marks a district, never for plain extra words ("Neustadt a. Rbge." must not become
    another Neustadt). ``labels=False`` lists ambiguous candidates by bare name (labelling
    itself resolves names).
    """
    hits = _lookup_any(g, text)
    if hits:
        how = "name" if g.names[hits[0]] == text else "spelling"
        return _decide(g, hits, near, near_km, how, labels)
    fallback: PlaceMatch | None = None
    for first, second, meant, may_fall_back in _splits(text):
        a, b = _lookup_any(g, first), _lookup_any(g, second)
        if a and b:
            if meant is None:
                near_pairs = _qualified(g, a, b) + _qualified(g, b, a)
                smaller = sorted(set(near_pairs), key=lambda i: (g.population[i], i))[:1]
                picked = smaller
            else:
                picked = _qualified(g, a, b) if meant == 1 else _qualified(g, b, a)
            if picked:
                return _decide(g, picked, near, near_km, "district", labels)
        elif may_fall_back and fallback is None and (a or b):
            # One part is unknown: a district the table lacks ("Hannover-Vahrenwald") or a
            # qualifier it cannot check ("Oldenburg (Oldb)"). The known part is the place.
            known_is_meant = (meant == 1 and bool(a)) or (meant == 2 and bool(b))
            how = "name" if known_is_meant else "town (district not listed)"
            fallback = _decide(g, a or b, near, near_km, how, labels)
    if fallback is not None:
        return fallback
    return PlaceMatch("unknown", candidates=tuple(g.close(text)))


#: GeoNames lists some towns twice (the town and its municipality, "Winsen (Aller)" with
#: population 0 next to "Winsen"): candidates this close are one place.
SAME_PLACE_KM: Final[float] = 2.0


def _distinct(g: Gazetteer, hits: list[int]) -> list[int]:
    """Candidates without near-duplicates (the larger entry of a pair is kept)."""
    kept: list[int] = []
    for i in hits:  # largest first
        if all(g.km(i, float(g.lat[k]), float(g.lon[k])) > SAME_PLACE_KM for k in kept):
            kept.append(i)
    return kept


def _decide(
    g: Gazetteer,
    hits: list[int],
    near: tuple[float, float] | None,
    near_km: float,
    how: str,
    labels: bool = True,
) -> PlaceMatch:
    hits = _distinct(g, hits)
    if len(hits) == 1:
        return _place_match(g, hits[0], how)
    narrowed = _narrow(g, hits, near, near_km)
    if len(narrowed) == 1:
        return _place_match(g, narrowed[0], "near the office")
    shown = narrowed or hits
    named = (g.label(i) if labels else g.names[i] for i in shown)
    return PlaceMatch("ambiguous", candidates=tuple(named))


# ------------------------------------------------------------------------------------------------
# user tables


_KEY_COLUMNS: Final[tuple[str, ...]] = (
    "key",
    "postal_code",
    "plz",
    "postleitzahl",
    "place",
    "ort",
    "address",
    "adresse",
)
_LAT_COLUMNS: Final[tuple[str, ...]] = ("lat", "breitengrad", "latitude")
_LON_COLUMNS: Final[tuple[str, ...]] = ("lon", "laengengrad", "längengrad", "longitude", "lng")


def _coordinate(values: pd.Series[Any]) -> npt.NDArray[np.float64]:
    """Numbers of a places table column; text may use a decimal comma (``52,37``); NaN if not."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def read_user_places(
    source: str | os.PathLike[str] | pd.DataFrame,
) -> dict[str, tuple[float, float]]:
    """A user's own table: folded key (postal code, place or address key) -> (lat, lon).

    Columns (case-insensitive): one or more key columns (key, postal_code/PLZ, place/Ort,
    address/Adresse) and lat/lon (also Breitengrad/Längengrad, decimal comma allowed). Every
    non-empty key cell of a row becomes a key. Raises ValueError naming the rows that are
    invalid or contradict each other: the table is configuration, not caseload.
    """
    from ..io import read_table

    frame = read_table(source, table="places")
    columns = {fold(str(c)): c for c in frame.columns}
    keys = [columns[c] for c in _KEY_COLUMNS if c in columns]
    lat_col = next((columns[c] for c in map(fold, _LAT_COLUMNS) if c in columns), None)
    lon_col = next((columns[c] for c in map(fold, _LON_COLUMNS) if c in columns), None)
    name = frame.attrs.get("source", "places table")
    if not keys or lat_col is None or lon_col is None:
        raise ArgumentError(
            f"{name}: needs a key column (key, postal_code, place or address) and lat, lon; "
            f"found {', '.join(map(str, frame.columns.drop('_row', errors='ignore')))}"
        )
    lat = _coordinate(frame[lat_col])
    lon = _coordinate(frame[lon_col])
    rows = frame["_row"].to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        listed = ", ".join(str(r) for r in rows[bad][:10])
        raise ArgumentError(f"{name}: rows {listed}: lat/lon missing, not numbers or out of range")
    out: dict[str, tuple[float, float]] = {}
    origin: dict[str, Any] = {}
    for column in keys:
        for value, la, lo, row in zip(frame[column], lat, lon, rows, strict=True):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            key = _user_key(str(value))
            if not key:
                continue
            if key in out and out[key] != (float(la), float(lo)):
                raise ArgumentError(
                    f"{name}: key {str(value)!r} has different coordinates in rows "
                    f"{origin[key]} and {row}"
                )
            out[key] = (float(la), float(lo))
            origin[key] = row
    logger.info("user places table: %d keys", len(out))
    return out


def _user_key(text: str) -> str:
    digits = re.sub(r"\s", "", text)
    return digits if re.fullmatch(r"\d{5}", digits) else fold(text)


# ------------------------------------------------------------------------------------------------
# the geocoder


@dataclass
class Geocoder:
    """Resolves (postal code, place) texts: user table first, then the GeoNames places.

    ``near`` (a place name or ``(lat, lon)``) is the office's centre: an ambiguous name resolves
    to its only candidate within ``near_km`` of it.
    """

    user_places: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    near: str | tuple[float, float] | None = None
    near_km: float = 30.0
    gazetteer: Gazetteer = field(default_factory=_bundled)

    def __post_init__(self) -> None:
        if self.near_km <= 0:
            raise ArgumentError(f"near_km must be > 0, got {self.near_km}")
        self._centre = self._locate_centre(self.near)
        self._cache: dict[tuple[str, str], PlaceMatch] = {}

    def _locate_centre(self, near: str | tuple[float, float] | None) -> tuple[float, float] | None:
        if near is None or isinstance(near, tuple):
            return near
        match = _resolve_names(self.gazetteer, near, None)
        if match.status != "ok":
            hint = f"; one of {', '.join(match.candidates)}" if match.candidates else ""
            raise ArgumentError(f"near: {near!r} is not exactly one place in the table{hint}")
        return (match.lat, match.lon)

    @classmethod
    def from_settings(
        cls,
        places: str | os.PathLike[str] | pd.DataFrame | None = None,
        near: str | tuple[float, float] | None = None,
        near_km: float = 30.0,
    ) -> Geocoder:
        """A geocoder with an optional user table (file or DataFrame) and office centre."""
        user = read_user_places(places) if places is not None else {}
        return cls(user_places=user, near=near, near_km=near_km)

    def resolve(self, place: str = "", postal_code: str = "") -> PlaceMatch:
        """One (place, postal code) pair; results are cached per distinct pair."""
        key = (place.strip(), postal_code.strip())
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._resolve(*key)
        return cached

    def _resolve(self, place: str, postal_code: str) -> PlaceMatch:
        postal, place = _split_postal(place, postal_code)
        if postal and postal in self.user_places:
            return PlaceMatch(
                "ok", *self.user_places[postal], name=postal, how="user table", postal_code=postal
            )
        if place:
            for key in (f"{postal} {fold(place)}".strip(), fold(place)):
                if key in self.user_places:
                    return PlaceMatch(
                        "ok",
                        *self.user_places[key],
                        name=place,
                        how="user table",
                        postal_code=postal,
                    )
        if not place:
            if postal:
                return PlaceMatch("unknown", postal_code=postal)
            return PlaceMatch("empty")
        match = _resolve_names(self.gazetteer, place, self._centre, self.near_km)
        if postal:
            return PlaceMatch(
                match.status, match.lat, match.lon, match.name, match.how, match.candidates, postal
            )
        return match

    def geocode(
        self,
        place: Sequence[Any] | pd.Series[Any] | npt.NDArray[Any],
        postal_code: Sequence[Any] | pd.Series[Any] | npt.NDArray[Any] | None = None,
    ) -> GeocodeResult:
        """Coordinates for whole columns; each distinct (postal code, place) pair resolved once."""
        places = _texts(place)
        postals = (
            _texts(postal_code)
            if postal_code is not None
            else np.full(len(places), "", dtype=object)
        )
        if len(postals) != len(places):
            raise ArgumentError("place and postal_code must have the same length")
        combined = pd.Series(postals, dtype=object) + "\x1f" + pd.Series(places, dtype=object)
        codes, uniques = pd.factorize(combined, sort=False)
        matches = tuple(self.resolve(*reversed(str(u).split("\x1f", 1))) for u in uniques)
        lat_u = np.array([m.lat for m in matches] + [math.nan], dtype=np.float64)
        lon_u = np.array([m.lon for m in matches] + [math.nan], dtype=np.float64)
        codes = codes.astype(np.intp, copy=False)
        return GeocodeResult(lat_u[codes], lon_u[codes], codes, matches)


def _texts(values: Sequence[Any] | pd.Series[Any] | npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    text = series.astype("string").fillna("").str.strip()
    out: npt.NDArray[np.object_] = text.to_numpy(dtype=object)
    return out


def _split_postal(place: str, postal_code: str) -> tuple[str, str]:
    """(postal code, place name): a code written into the place cell ("31134 Hildesheim")."""
    postal = re.sub(r"\s", "", postal_code)
    if postal.endswith(".0"):  # a postal code column read as numbers by Excel
        postal = postal[:-2]
    if re.fullmatch(r"\d{4}", postal):
        postal = "0" + postal  # leading zero lost by a spreadsheet
    if m := _POSTAL.match(place):
        code, rest = (m[1], m[2]) if m[1] else (m[4], m[3])
        return postal or code, rest.strip(" ,")
    return postal, place


# ------------------------------------------------------------------------------------------------
# messages


def describe_failure(match: PlaceMatch, text: str, lang: Literal["en", "de"] = "en") -> str:
    """The message for a place that did not resolve, naming what would (German or English)."""
    shown = "'" + text.replace("'", "’")[:60] + "'"
    listed = [f"'{c}'" for c in match.candidates[:MAX_LISTED]]
    more = len(match.candidates) > MAX_LISTED
    if match.status == "ambiguous":
        n = len(match.candidates)
        if lang == "de":
            choices = _join(listed, "oder") + (" …" if more else "")
            return (
                f"{shown} ist mehrdeutig ({n} Orte in Niedersachsen) — meinten Sie {choices}? "
                "Sonst Koordinaten angeben, oder im Import-Profil near = '<Ort der "
                "Koordinierungsstelle>' setzen"
            )
        choices = _join(listed, "or") + (" ..." if more else "")
        return (
            f"{shown} is ambiguous ({n} places in Lower Saxony) — did you mean {choices}? "
            "Otherwise give coordinates, or set near = '<the office's town>' in the import "
            "profile"
        )
    if not text and match.postal_code:
        if lang == "de":
            return (
                f"Postleitzahl '{match.postal_code}' ist nicht in der Ortstabelle (mitgeliefert "
                "sind nur Ortsnamen); Ort oder Koordinaten angeben oder eine eigene Tabelle "
                "Postleitzahl → Koordinaten mitgeben"
            )
        return (
            f"postal code '{match.postal_code}' is not in the places table (only place names "
            "are bundled); give a place or coordinates, or pass your own table of postal "
            "codes -> coordinates"
        )
    if lang == "de":
        hint = f" — meinten Sie {_join(listed, 'oder')}?" if listed else ""
        return f"{shown} ist kein bekannter Ort in Niedersachsen{hint}"
    hint = f" — did you mean {_join(listed, 'or')}?" if listed else ""
    return f"{shown} is not a known place in Lower Saxony{hint}"


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]
