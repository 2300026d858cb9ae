"""Populated places of Lower Saxony (GeoNames, CC BY 4.0), bundled for offline use.

The table is the base for generated caseloads and for place-name lookups; it ships with the package
(`data/ni_places.csv`, built by `scripts/build_places.py`) so nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import importlib.resources

import numpy as np
import pandas as pd

from ..errors import ArgumentError

__all__ = ["EARTH_RADIUS_KM", "load_place_names", "load_places", "places_within"]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), the one the matching constraints use."""

_DTYPES = {
    "geonameid": "int64",
    "name": "str",
    "ascii_name": "str",
    "lat": "float64",
    "lon": "float64",
    "population": "int64",
}


@functools.cache
def _read_places() -> pd.DataFrame:
    resource = importlib.resources.files("lotsen_match").joinpath("data", "ni_places.csv")
    with resource.open("rb") as f:
        return pd.read_csv(f, encoding="utf-8", dtype=_DTYPES)


@functools.cache
def _read_place_names() -> pd.DataFrame:
    resource = importlib.resources.files("lotsen_match").joinpath("data", "ni_place_names.csv")
    with resource.open("rb") as f:
        return pd.read_csv(
            f, encoding="utf-8", dtype={"geonameid": "int64", "alternate_name": "str"}
        )


def load_place_names() -> pd.DataFrame:
    """Official long forms and abbreviations of the places (GeoNames alternate names).

    Columns: geonameid, alternate_name ("Winsen (Luhe)", "Hann. Münden"); used by the geocoder
    next to each place's own name. A copy per call.
    """
    return _read_place_names().copy()


def load_places() -> pd.DataFrame:
    """Load the GeoNames places of Lower Saxony with 500 or more inhabitants.

    Bundled with the package, so nothing is downloaded at run time; the base of generated
    caseloads and of place-name lookups. The file is parsed once per process, and each call
    returns a copy, so callers may modify it freely.

    Returns
    -------
    pandas.DataFrame
        The 1,153 places sorted by geonameid; columns geonameid, name, ascii_name, lat, lon
        (WGS84) and population.
    """
    return _read_places().copy()


def places_within(
    lat: float, lon: float, radius_km: float, places: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Places whose centre lies within `radius_km` (great circle) of (lat, lon).

    Used to restrict a generated caseload to one office's catchment area.
    """
    if radius_km < 0:
        raise ArgumentError(f"radius_km must be >= 0, got {radius_km}")
    table = load_places() if places is None else places
    lat1, lon1 = np.radians(lat), np.radians(lon)
    lat2 = np.radians(table["lat"].to_numpy(dtype=np.float64))
    lon2 = np.radians(table["lon"].to_numpy(dtype=np.float64))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
    inside: pd.DataFrame = table.loc[km <= radius_km]
    return inside.reset_index(drop=True)
