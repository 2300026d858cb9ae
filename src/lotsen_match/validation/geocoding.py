"""Coordinates from ``place`` / ``postal_code`` where a row has neither latitude nor longitude.

Rows with coordinates keep them (a place column next to them is only information). Rows without
get the coordinates of their place, resolved once per distinct (postal code, place) pair; a
place that is unknown or ambiguous becomes a problem on that row's place cell, with the
closest names or the labelled candidates, instead of a bare "latitude is required".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from ..contract import PLACE_COLUMNS
from ..ingest.geocode import describe_failure
from ..ingest.options import geocoder_for
from . import parsers as p

if TYPE_CHECKING:
    from .tables import TableCheck

__all__ = ["coordinates_with_places"]

logger = logging.getLogger(__name__)


def coordinates_with_places(t: TableCheck) -> tuple[p.Parsed, p.Parsed]:
    """Parsed lat and lon, with geocoded values filled in where both were empty."""
    lat = p.parse_number(t.series("lat"))
    lon = p.parse_number(t.series("lon"))
    if not t.opts.geocode or not any(c in t.raw.columns for c in PLACE_COLUMNS):
        return lat, lon
    place, postal = t.text("place"), t.text("postal_code")
    nowhere = lat.missing & lon.missing
    no_place = p.missing(place) & p.missing(postal)
    wanted = nowhere & ~no_place
    # Neither coordinates nor a place: one problem, on the place the user can fill in.
    lat_missing, lon_missing = lat.missing & ~nowhere, lon.missing & ~nowhere
    column = "place" if "place" in t.raw.columns else "postal_code"
    head = t.header(column)
    t.add(
        nowhere & no_place,
        column,
        "required",
        t.say(
            f"{head} is required where latitude and longitude are empty",
            f"{head} fehlt: ohne Breiten- und Längengrad wird der Ort gebraucht",
        ),
    )
    if not wanted.any():
        return p.Parsed(lat.values, lat_missing, lat.bad), p.Parsed(
            lon.values, lon_missing, lon.bad
        )
    rows = np.flatnonzero(wanted)
    keys = p.join_text(p.select(postal, wanted), p.select(place, wanted), "\x1f")
    codes, uniques = p.factorize(keys)
    geocoder = geocoder_for(t.opts)
    matches = [geocoder.resolve(*reversed(u.split("\x1f", 1))) for u in uniques]
    ok_u = np.array([m.status == "ok" for m in matches], dtype=np.bool_)
    lat_u = np.array([m.lat for m in matches], dtype=np.float64)
    lon_u = np.array([m.lon for m in matches], dtype=np.float64)

    lat_values, lon_values = lat.values.copy(), lon.values.copy()
    lat_values[rows] = lat_u[codes]
    lon_values[rows] = lon_u[codes]

    failed = ~ok_u[codes]
    if failed.any():
        n = len(uniques)
        rule_u, message_u, column_u = (np.full(n, "", dtype=object) for _ in range(3))
        for u in np.flatnonzero(~ok_u):  # one message per distinct failing place
            place_text = uniques[u].split("\x1f", 1)[1]
            rule_u[u] = f"place_{matches[u].status}"
            message_u[u] = describe_failure(matches[u], place_text, t.lang)
            column_u[u] = "place" if place_text else "postal_code"
        for column in PLACE_COLUMNS:
            pick = failed & (column_u[codes] == column)
            if pick.any():
                t.add(rows[pick], column, rule_u[codes[pick]], message_u[codes[pick]])
    logger.info(
        "%s: geocoded %d rows from place/postal code, %d unresolved",
        t.table,
        len(rows),
        int(failed.sum()),
    )
    return (
        p.Parsed(lat_values, lat_missing, lat.bad),
        p.Parsed(lon_values, lon_missing, lon.bad),
    )
