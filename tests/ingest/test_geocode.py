"""Offline geocoding of Lower Saxony places: spellings, districts, ambiguity, user tables, speed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lotsen_match.ingest.geocode import (
    SAME_PLACE_KM,
    Gazetteer,
    Geocoder,
    describe_failure,
    read_user_places,
)
from lotsen_match.ingest.places import load_place_names, load_places

PLACES = load_places()
GEO = Geocoder()


def coords(name: str) -> tuple[float, float]:
    row = PLACES.loc[PLACES["name"] == name]
    assert len(row) == 1, name
    return float(row["lat"].iloc[0]), float(row["lon"].iloc[0])


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Hildesheim", "Hildesheim"),
        ("HILDESHEIM", "Hildesheim"),
        ("  hildesheim ", "Hildesheim"),
        ("Göttingen", "Göttingen"),
        ("Goettingen", "Göttingen"),
        ("Gottingen", "Göttingen"),
        ("Scheeßel", "Scheeßel"),
        ("Scheessel", "Scheeßel"),
        ("SCHEESSEL", "Scheeßel"),
        ("Bad-Salzdetfurth", "Bad Salzdetfurth"),
        ("Osterholz-Scharmbeck", "Osterholz-Scharmbeck"),
        ("Hann. Münden", "Hannoversch Münden"),
        ("Münden", "Hannoversch Münden"),
        ("St. Andreasberg", "Sankt Andreasberg"),
        ("Neustadt a. Rbge.", "Neustadt am Rübenberge"),
        ("Stadt Einbeck", "Einbeck"),
        ("Region Hannover", "Hannover"),
        ("31134 Hildesheim", "Hildesheim"),
        ("Hildesheim, 31134", "Hildesheim"),
        ("Hannover-Linden", "Linden"),
        ("Linden (Hannover)", "Linden"),
        ("Hannover Linden-Süd", "Linden-Süd"),
        ("Hannover-Südstadt", "Südstadt"),
        ("Winsen (Luhe)", "Winsen"),
        ("Burgdorf (Region Hannover)", "Burgdorf"),
    ],
)
def test_spellings_and_districts_resolve(text: str, place: str) -> None:
    match = GEO.resolve(text)
    assert match.status == "ok", (text, match)
    assert match.name == place
    if place not in ("Winsen", "Burgdorf", "Südstadt"):  # names shared by several places
        assert (match.lat, match.lon) == coords(place)


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("Hannover-Vahrenwald", "Hannover"),
        ("Vahrenwald (Hannover)", "Hannover"),
        ("Hildesheim OT Itzum", "Hildesheim"),
        ("Itzum, Hildesheim", "Hildesheim"),
        ("Bad Salzdetfurth-Wehrstedt", "Bad Salzdetfurth"),
    ],
)
def test_unlisted_district_falls_back_to_its_town(text: str, town: str) -> None:
    match = GEO.resolve(text)
    assert (match.status, match.how) == ("ok", "town (district not listed)")
    assert (match.lat, match.lon) == coords(town)


def test_plain_extra_words_never_fall_back_to_another_place() -> None:
    # "Neustadt" alone would be a district of Braunschweig: extra words must not drop silently.
    assert GEO.resolve("Neustadt am Deister").status == "unknown"
    assert GEO.resolve("Groß Ilsede").status == "unknown"
    assert GEO.resolve("Hannover, Braunschweig").status == "unknown"  # 50 km apart


def test_ambiguous_names_are_rejected_with_labels_that_resolve() -> None:
    match = GEO.resolve("Neuenkirchen")
    assert match.status == "ambiguous" and math.isnan(match.lat)
    assert len(match.candidates) == 8
    resolved = {GEO.resolve(label).lat for label in match.candidates}
    assert len(resolved) == 8  # every label means a different Neuenkirchen
    assert GEO.resolve("Neuenkirchen (Melle)").status == "ok"
    assert GEO.resolve("Neuenkirchen bei Melle") == GEO.resolve("Neuenkirchen (Melle)")


def test_every_label_of_every_ambiguous_place_resolves_back() -> None:
    gaz = Gazetteer()
    shared = [i for i, name in enumerate(gaz.names) if len(gaz.lookup(name)) > 1]
    assert len(shared) > 50
    for i in shared:
        match = GEO.resolve(gaz.label(i))
        assert match.status == "ok", gaz.label(i)
        assert gaz.km(i, match.lat, match.lon) <= SAME_PLACE_KM  # duplicates count as one


def test_duplicate_geonames_entries_count_as_one_place() -> None:
    # GeoNames lists Winsen (Aller) twice: the town and, 100 m away, its municipality.
    match = GEO.resolve("Winsen (Aller)")
    assert (match.status, match.name) == ("ok", "Winsen")
    assert GEO.resolve("Winsen").candidates == ("Winsen (Luhe)", "Winsen (Aller)")


def test_near_picks_the_candidate_of_the_office() -> None:
    assert GEO.resolve("Burgdorf").status == "ambiguous"
    hildesheim = Geocoder(near="Hildesheim", near_km=30)
    hannover = Geocoder(near="Hannover", near_km=30)
    south, north = hildesheim.resolve("Burgdorf"), hannover.resolve("Burgdorf")
    assert south.how == north.how == "near the office"
    assert south.lat < 52.2 < north.lat  # Burgdorf near Lengede vs. Burgdorf (Region Hannover)
    assert Geocoder(near=(52.15, 9.95)).resolve("Burgdorf") == south
    with pytest.raises(ValueError, match="not exactly one place"):
        Geocoder(near="Neuenkirchen")
    with pytest.raises(ValueError, match="near_km"):
        Geocoder(near_km=0)


def test_unknown_places_suggest_close_names() -> None:
    assert GEO.resolve("Hildesheym").candidates == ("Hildesheim",)
    assert GEO.resolve("Atlantis").candidates == ()
    assert GEO.resolve("").status == "empty"


def test_postal_code_needs_a_user_table() -> None:
    only_code = GEO.resolve("", "31134")
    assert only_code.status == "unknown" and only_code.postal_code == "31134"
    user = Geocoder(user_places={"31134": (52.1, 9.9)})
    assert (user.resolve("", "31134").lat, user.resolve("", "31134").how) == (52.1, "user table")
    assert user.resolve("", "31134.0").lat == 52.1  # read as a number by a spreadsheet
    assert Geocoder(user_places={"01067": (51.0, 13.7)}).resolve("", "1067").lat == 51.0


def test_user_table_takes_precedence(tmp_path: Path) -> None:
    table = tmp_path / "orte.csv"
    table.write_bytes(
        "PLZ;Ort;Breitengrad;Längengrad\r\n31134;;52,1500;9,9500\r\n;Hildesheim;52,2;10\r\n"
        ";Musterstraße 1, Sarstedt;52,23;9,86\r\n".encode("cp1252")
    )
    geo = Geocoder.from_settings(places=table)
    assert (geo.resolve("Hildesheim").lat, geo.resolve("Hildesheim").how) == (52.2, "user table")
    assert geo.resolve("HILDESHEIM").lat == 52.2
    assert geo.resolve("Irgendwo", "31134").lat == 52.15  # postal code first
    assert geo.resolve("Musterstrasse 1, Sarstedt").lon == 9.86  # an address key
    assert geo.resolve("Sarstedt").how == "name"  # everything else: GeoNames


def test_bad_user_tables_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a key column"):
        read_user_places(pd.DataFrame({"lat": [1.0], "lon": [2.0]}))
    with pytest.raises(ValueError, match="out of range"):
        read_user_places(pd.DataFrame({"key": ["a"], "lat": ["95"], "lon": ["2"]}))
    with pytest.raises(ValueError, match="different coordinates"):
        read_user_places(pd.DataFrame({"key": ["a", "A"], "lat": [1.0, 2.0], "lon": [2.0, 2.0]}))


def test_messages_in_german_and_english() -> None:
    ambiguous = GEO.resolve("Neuenkirchen")
    de = describe_failure(ambiguous, "Neuenkirchen", "de")
    assert de.startswith("'Neuenkirchen' ist mehrdeutig (8 Orte in Niedersachsen) — meinten Sie")
    assert "near" in de
    en = describe_failure(GEO.resolve("Hildesheym"), "Hildesheym", "en")
    assert en == "'Hildesheym' is not a known place in Lower Saxony — did you mean 'Hildesheim'?"
    postal = describe_failure(GEO.resolve("", "31134"), "", "de")
    assert postal.startswith("Postleitzahl '31134' ist nicht in der Ortstabelle")


def test_geocode_columns_once_per_distinct_pair() -> None:
    geo = Geocoder()
    names = np.array(["Sarstedt", "Hildesheym", "Sarstedt", None, "Neuenkirchen"], dtype=object)
    result = geo.geocode(names, ["", "", "31157", "", ""])
    assert result.status.tolist() == ["ok", "unknown", "ok", "empty", "ambiguous"]
    assert result.ok.tolist() == [True, False, True, False, False]
    assert result.lat[0] == result.lat[2] == coords("Sarstedt")[0]
    assert np.isnan(result.lat[1]) and np.isnan(result.lon[4])
    assert result.counts() == {"name": 2, "unknown": 1, "empty": 1, "ambiguous": 1}


def test_geocoding_100k_rows_is_vectorised_over_distinct_places() -> None:
    rng = np.random.default_rng(7)
    names = PLACES["name"].to_numpy(dtype=object)
    spelled = np.concatenate([names, np.char.upper(names.astype(str)).astype(object)])
    column = spelled[rng.integers(0, len(spelled), size=100_000)]
    geo = Geocoder()
    result = geo.geocode(column)
    assert len(geo._cache) <= len(spelled)  # one resolution per distinct text
    assert result.ok.mean() > 0.85  # names shared by several places stay ambiguous


def test_bundled_alternate_names_are_official_forms_only() -> None:
    names = load_place_names()
    assert {"Winsen (Luhe)", "Hann. Münden", "St. Andreasberg"} <= set(names["alternate_name"])
    assert "Gannover" not in set(names["alternate_name"])  # transliterations are left out
    assert names["geonameid"].isin(PLACES["geonameid"]).all()
