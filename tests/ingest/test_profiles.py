"""Import profiles: loading and checking the TOML, reading with it, describing each column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.errors import ConfigError
from lotsen_match.ingest.profile import load_profile, load_with_profile
from lotsen_match.validation import validate_caseload
from lotsen_match.validation.describe import describe_profile

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "profiles" / "beispiel_hildesheim.toml"
GERMAN = ROOT / "data" / "deutsch" / "profil.toml"
CFG = MatchConfig(as_of=dt.date(2026, 11, 2), strict=False)


def write(tmp_path: Path, text: str, name: str = "profil.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_profiles_load() -> None:
    profile = load_profile(SHIPPED).ingest
    assert profile.vocabulary == "de" and profile.lang == "de"
    assert profile.columns["requests"]["Sprachen"] == "languages"
    assert profile.files["requests"] == SHIPPED.parent / "../samples/anfragen.csv"
    assert profile.near == "Hildesheim"
    german = load_profile(GERMAN).ingest
    assert german.list_separators == (";", ",", "\n")
    assert german.date_formats == ("%d.%m.%Y",)
    # A profile is a settings file: MatchConfig reads it the same way.
    assert MatchConfig.from_toml(GERMAN).ingest == german


def test_profile_problems_are_all_reported_with_suggestions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
vocabulary = "de"
date_fromat = "%d.%m.%Y"
[geocoding]
neer = "Hildesheim"
[columns.requests]
"Sprachen" = "language"
[columns.lotsen]
"ID" = "volunteer_id"
[synonyms.needs]
"Amt" = "authority"
""",
    )
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    problems = dict(err.value.problems)
    assert "did you mean 'date_format'?" in problems["date_fromat"]
    assert "did you mean geocoding.near?" in problems["geocoding.neer"]
    assert "did you mean 'languages'?" in problems["columns.requests.Sprachen"]
    assert "unknown table" in problems["columns.lotsen"]
    assert "unknown vocabulary" in problems["synonyms.needs"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('vocabulary = "deutsch"', "vocabulary: Input should be 'spec' or 'de'"),
        ('vocabulary = "de"\n[geocoding]\nnear = "Neuenkirchen"', "not exactly one place"),
        ('vocabulary = "de"\n[synonyms.need_types]\n"Amt" = "office"', "unknown code"),
        ("vocabulary = [", "syntax"),
    ],
)
def test_invalid_profiles(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_profile(write(tmp_path, text))
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(tmp_path / "missing.toml")


def test_load_with_profile_maps_the_headers() -> None:
    frames = load_with_profile(GERMAN)
    assert set(frames) == {"volunteers", "requests", "assignments"}
    requests = frames["requests"]
    assert "languages" in requests.columns and "Sprachen" not in requests.columns
    assert requests.attrs["original_columns"]["languages"] == "Sprachen"
    assert requests.attrs["encoding"] == "cp1252" and requests.attrs["delimiter"] == ";"
    # Tables given explicitly win over the profile's [files].
    only = load_with_profile(GERMAN, requests=ROOT / "data/deutsch/anfragen.csv")
    assert len(only["requests"]) == 360


def test_profile_with_contract_codes_and_comma_lists(tmp_path: Path) -> None:
    """vocabulary = spec keeps the contract codes but reads ',' lists and a date format."""
    (tmp_path / "lotsen.csv").write_text(
        "ID|Sprachen|lat|lon|Bereiche|Kapazität|Seit\n".replace("|", ";")
        + 'V1;"ar:native, de:B1";52,15;9,95;"school, health";1;03/02/25\n',
        encoding="utf-8",
    )
    path = write(
        tmp_path,
        """
list_separators = [";", ","]
date_format = "%d/%m/%y"
[files]
volunteers = "lotsen.csv"
[columns.volunteers]
"ID" = "volunteer_id"
"Sprachen" = "languages"
"Bereiche" = "need_types"
"Kapazität" = "capacity"
"Seit" = "certified_on"
""",
    )
    profile = load_profile(path).replace(as_of=CFG.as_of, strict=False)
    frames = load_with_profile(profile)
    volunteers = frames["volunteers"]
    requests = pd.DataFrame(
        {"request_id": ["R1"], "languages": ["ar:B1"], "lat": [52.1], "lon": [9.9]}
        | {"need_type": ["school"], "created_on": ["2026-10-01"]}
    )
    result = validate_caseload(volunteers, requests, config=profile)
    row = result.volunteers.iloc[0]
    assert (row["languages"], row["need_types"]) == ("ar:native;de:B1", "school;health")
    assert row["certified_on"] == pd.Timestamp("2025-02-03")
    # German words stay invalid with the contract vocabulary.
    volunteers.loc[0, "need_types"] = "Schule"
    rejected = validate_caseload(volunteers, requests, config=profile)
    assert rejected.problems["message"].str.contains("did you mean 'school'").any()


def test_describe_profile_lists_every_column() -> None:
    frames = load_with_profile(GERMAN)
    frames["requests"]["Bemerkung"] = "Name: Frau Muster"  # free text must not be shown
    table = describe_profile(GERMAN, frames)
    requests = table[table["table"] == "requests"].set_index("export_column")
    assert requests.loc["Sprachen", "contract_column"] == "languages"
    assert str(requests.loc["Sprachen", "understood_as"]).startswith("Sprachen mit Niveau")
    assert requests.loc["Sprachen", "example_parsed"] == "ar:native;de:A1"
    assert requests.loc["Anliegen", "example"] == "Online"
    assert requests.loc["Anliegen", "example_parsed"] == "digital"
    assert requests.loc["Bemerkung", "understood_as"] == "(nicht verwendet)"
    assert requests.loc["Bemerkung", "example"] == ""
    computed = requests.loc["(berechnet aus Ort)"]
    assert computed["contract_column"] == "lat, lon"
    assert (computed["filled"], computed["invalid"]) == (360, 0)
    assert "Schreibweise" in computed["understood_as"]
    assert (table["invalid"] == 0).all()
    assert table.attrs["files"]["requests"]["encoding"] == "cp1252"


def test_describe_profile_counts_invalid_cells(tmp_path: Path) -> None:
    frames = load_with_profile(GERMAN)
    frames["requests"].loc[[0, 1], "languages"] = "Arabish (Muttersprache)"
    frames["requests"].loc[2, "place"] = "Atlantis"
    table = describe_profile(GERMAN, frames).set_index(["table", "export_column"])
    assert table.loc[("requests", "Sprachen"), "invalid"] == 2
    assert table.loc[("requests", "Wohnort"), "invalid"] == 1
    assert table.loc[("requests", "(berechnet aus Ort)"), "invalid"] == 1


def test_validation_reads_its_settings_from_the_config_alone() -> None:
    """One way in: frames read with a profile carry no settings of their own."""
    frames = load_with_profile(GERMAN)
    assert not any(key.startswith("lotsen") for key in frames["requests"].attrs)
    plain = validate_caseload(frames["volunteers"], frames["requests"], config=CFG)
    assert len(plain.rejected) == len(frames["volunteers"]) + len(frames["requests"])
    german = validate_caseload(
        frames["volunteers"], frames["requests"], config=CFG.with_file(GERMAN)
    )
    assert len(german.rejected) == 0


def test_config_and_profile_layer_in_order(tmp_path: Path) -> None:
    config = write(tmp_path, 'as_of = 2026-11-02\nvocabulary = "spec"\n', "config.toml")
    layered = MatchConfig.from_toml(config, GERMAN)
    assert layered.as_of == dt.date(2026, 11, 2)  # from the config
    assert layered.ingest.vocabulary == "de"  # the profile wins
    assert layered.ingest.files["requests"] == GERMAN.parent / "anfragen.csv"  # its own dir
    assert MatchConfig.from_toml(GERMAN, config).ingest.vocabulary == "spec"
