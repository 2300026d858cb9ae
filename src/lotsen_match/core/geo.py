"""Great-circle geometry on the spherical Earth of docs/contract.md (radius 6371.0088 km).

Radius queries run on unit vectors: the chord between two points on the unit sphere,
``2 * sin(d / (2R))``, grows monotonically with the great-circle distance ``d``, so a Euclidean
KD-tree answers exact great-circle radius queries (and is much faster than a haversine BallTree).
The admissibility decision itself is always the haversine distance.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_KM",
    "chord_for_km",
    "haversine_km",
    "haversine_km_rad",
    "unit_vectors",
]

#: Mean Earth radius (IUGG), the radius every distance of the library uses.
EARTH_RADIUS_KM: Final[float] = 6371.0088

FloatArray = npt.NDArray[np.float64]


def haversine_km_rad(
    lat1: FloatArray,
    lon1: FloatArray,
    cos_lat1: FloatArray,
    lat2: FloatArray,
    lon2: FloatArray,
    cos_lat2: FloatArray,
) -> FloatArray:
    """Haversine distance in km from latitudes/longitudes in radians and precomputed cosines.

    Taking ``cos(lat)`` per point instead of per pair saves two of the four trigonometric calls
    per pair; candidate generation evaluates this on tens of millions of pairs.
    """
    s_lat = np.sin((lat2 - lat1) * 0.5)
    s_lon = np.sin((lon2 - lon1) * 0.5)
    h = np.minimum(s_lat * s_lat + cos_lat1 * cos_lat2 * (s_lon * s_lon), 1.0)
    return np.asarray((2.0 * EARTH_RADIUS_KM) * np.arcsin(np.sqrt(h)), dtype=np.float64)


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in degrees (broadcasting, vectorised).

    Bitwise identical to :func:`haversine_km_rad` on the same points, so distances shown in an
    explanation equal the ones that decided admissibility.
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    l1 = np.radians(np.asarray(lon1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    l2 = np.radians(np.asarray(lon2, dtype=np.float64))
    p1, l1, p2, l2 = np.broadcast_arrays(p1, l1, p2, l2)
    return haversine_km_rad(p1, l1, np.cos(p1), p2, l2, np.cos(p2))


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Points in degrees as (n, 3) unit vectors (x towards 0°E on the equator, z to the north)."""
    p = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_p = np.cos(p)
    out = np.empty((p.size, 3), dtype=np.float64)
    out[:, 0] = cos_p.ravel() * np.cos(lam).ravel()
    out[:, 1] = cos_p.ravel() * np.sin(lam).ravel()
    out[:, 2] = np.sin(p).ravel()
    return out


def chord_for_km(km: npt.ArrayLike) -> FloatArray:
    """Chord length on the unit sphere of a great-circle distance in km (capped at the diameter).

    Distances beyond half the circumference map to 2, i.e. "everything".
    """
    angle = np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM
    half = np.minimum(angle * 0.5, np.pi / 2)
    return np.asarray(2.0 * np.sin(half), dtype=np.float64)
