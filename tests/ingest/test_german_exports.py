"""Real German exports end to end: messy files, every rejection path, and the round trip.

The bundled German export (place names only, German words, cp1252) read with its profile must
give exactly the match results of its contract-form twin.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.config import MatchConfig, TableName
from lotsen_match.errors import InputValidationError
from lotsen_match.ingest.profile import load_profile, load_with_profile
from lotsen_match.validation import validate_caseload

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
GERMAN = ROOT / "data" / "deutsch"
CFG = MatchConfig(as_of=dt.date(2026, 11, 2))
LENIENT = CFG.model_copy(update={"strict": False})


def spec_twin() -> dict[str, pd.DataFrame]:
    tables = ("volunteers", "requests", "assignments")
    return {t: pd.read_csv(GERMAN / "spec" / f"{t}.csv") for t in tables}


def test_round_trip_german_export_and_twin_match_identically() -> None:
    profile = load_profile(GERMAN / "profil.toml").replace(as_of=CFG.as_of)
    frames = load_with_profile(profile)
    twin = spec_twin()
    german = lm.match(frames["volunteers"], frames["requests"], frames["assignments"], profile)
    plain = lm.match(twin["volunteers"], twin["requests"], twin["assignments"], CFG)
    assert len(german.rejected) == 0 and len(german.proposals) > 50
    key = ["request_id"]
    pd.testing.assert_frame_equal(
        german.proposals.sort_values(key).reset_index(drop=True),
        plain.proposals.sort_values(key).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        german.unmatched.sort_values(key).reset_index(drop=True),
        plain.unmatched.sort_values(key).reset_index(drop=True),
    )
    assert german.summary["solver"]["objective"] == plain.summary["solver"]["objective"]


def test_shipped_profile_reads_the_first_sample_like_its_config() -> None:
    """The profile for the bundled Excel export gives the clean frames of sample_config.toml."""
    config = MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    profile = load_profile(ROOT / "data" / "profiles" / "beispiel_hildesheim.toml")
    frames = load_with_profile(profile)
    via_profile = validate_caseload(
        frames["volunteers"],
        frames["requests"],
        frames["assignments"],
        config=profile.replace(as_of=config.as_of),
    )
    files: dict[TableName, str] = {
        "volunteers": "ehrenamt_lotsen.csv",
        "requests": "anfragen.csv",
        "assignments": "zuordnungen.csv",
    }
    raw = {
        table: lm.read_table(
            SAMPLES / name, table=table, column_mapping=config.ingest.columns[table]
        )
        for table, name in files.items()
    }
    via_config = validate_caseload(
        raw["volunteers"], raw["requests"], raw["assignments"], config=config
    )
    for table in ("volunteers", "requests", "assignments"):
        pd.testing.assert_frame_equal(getattr(via_profile, table), getattr(via_config, table))


# ------------------------------------------------------------------------------------------------
# a messy export, as a coordinator would hand it over

HEADER = (
    "Anfrage-Nr.;Sprachen;Wohnort;PLZ;Anliegen;Zeiten;Eingang;Kinder beteiligt;Wunsch;Bemerkung"
)
ROWS = [
    # row 2..: every line one realistic spelling; the comment is the expected outcome
    'A1;"Arabisch (Muttersprache), Deutsch B1";Sarstedt;;Behördengang;Di abends;01.10.2026;ja;w;',
    'A2;"Dari fließend; Englisch gut";HILDESHEIM;;Elternabend;"Mo-Fr vormittags";1.10.2026;x;egal;',
    "A3;Kurdisch (Sorani) Muttersprache;Goettingen;;Arzttermin;werktags abends;2026-10-01;nein;;",
    'A4;"Tigrinya (Muttersprache), Deutsch A2";Hannover-Linden;;Jobcenter;Wochenende;'
    "01.10.2026;;m;",
    "A5;Farsi/Persisch: C1;;31134;Wohnungssuche;;01.10.2026;Nein;;Telefon",
    "A6;Arabish (Muttersprache);Sarstedt;;Schule;;01.10.2026;;;",  # unknown language
    "A7;Kurdisch B2;Sarstedt;;Schule;;01.10.2026;;;",  # ambiguous language
    "A8;Deutsch;Sarstedt;;Schule;;01.10.2026;;;",  # no level
    "A9;Arabisch (perfekt);Sarstedt;;Schule;;01.10.2026;;;",  # unknown level
    "A10;Arabisch B1;Hildesheym;;Schule;;01.10.2026;;;",  # unknown place
    "A11;Arabisch B1;Neuenkirchen;;Schule;;01.10.2026;;;",  # ambiguous place
    "A12;Arabisch B1;;99999;Schule;;01.10.2026;;;",  # postal code not in any table
    "A13;Arabisch B1;Sarstedt;;Termin;;01.10.2026;;;",  # unknown need
    "A14;Arabisch B1;Sarstedt;;Elternarbeit;;01.10.2026;;;",  # ambiguous need
    "A15;Arabisch B1;Sarstedt;;Schule;nachts;01.10.2026;;;",  # unknown time
    "A16;Arabisch B1;Sarstedt;;Schule;;01.10.2026;vielleicht;;",  # not a yes/no
    "A17;Arabisch B1;Sarstedt;;Schule;;01.10.2026;;x;",  # unknown gender
    'A18;Arabisch B1;Sarstedt;;"Schule, Arzt";;01.10.2026;;;',  # two needs for one request
    "A19;Arabisch B1;;;Schule;;01.10.2026;;;",  # neither coordinates nor place
]
PROFILE = """
vocabulary = "de"
[geocoding]
places = "plz.csv"
[columns.requests]
"Anfrage-Nr." = "request_id"
"Sprachen" = "languages"
"Wohnort" = "place"
"PLZ" = "postal_code"
"Anliegen" = "need_type"
"Zeiten" = "availability"
"Eingang" = "created_on"
"Kinder beteiligt" = "involves_minors"
"Wunsch" = "preferred_gender"
"""
EXPECTED: dict[str, tuple[str, str, str]] = {
    "A6": (
        "Sprachen",
        "vocabulary",
        "'Arabish' ist keine bekannte Sprache — meinten Sie 'Arabisch' (ar)?",
    ),
    "A7": (
        "Sprachen",
        "ambiguous",
        "'Kurdisch' ist mehrdeutig — meinten Sie 'Kurdisch (Kurmandschi)' (kmr) oder "
        "'Kurdisch (Sorani)' (ckb)?",
    ),
    "A8": (
        "Sprachen",
        "format",
        "'Deutsch': das Sprachniveau fehlt; z. B. 'Deutsch B1' oder 'Deutsch (Muttersprache)'",
    ),
    "A9": ("Sprachen", "vocabulary", "'perfekt' ist kein bekanntes Sprachniveau"),
    "A10": (
        "Wohnort",
        "place_unknown",
        "'Hildesheym' ist kein bekannter Ort in Niedersachsen — meinten Sie 'Hildesheim'?",
    ),
    "A11": (
        "Wohnort",
        "place_ambiguous",
        "'Neuenkirchen' ist mehrdeutig (8 Orte in Niedersachsen)",
    ),
    "A12": ("PLZ", "place_unknown", "Postleitzahl '99999' ist nicht in der Ortstabelle"),
    "A13": ("Anliegen", "vocabulary", "'Termin' ist kein bekannter Bedarf"),
    "A14": ("Anliegen", "ambiguous", "'Elternarbeit' ist mehrdeutig — meinten Sie"),
    "A15": (
        "Zeiten",
        "vocabulary",
        "'nachts' ist kein bekanntes Zeitfenster — meinten Sie 'nachmittags'?",
    ),
    "A16": ("Kinder beteiligt", "type", "'vielleicht' ist kein Ja/Nein-Wert"),
    "A17": ("Wunsch", "vocabulary", "'x' ist keine bekannte Geschlechtsangabe; gültig: 'weiblich'"),
    "A18": ("Anliegen", "single_value", "enthält 2 Werte; bitte genau einen angeben"),
    "A19": ("Wohnort", "required", "Wohnort fehlt: ohne Breiten- und Längengrad wird der Ort"),
}


@pytest.fixture
def messy(tmp_path: Path) -> dict[str, pd.DataFrame]:
    text = "\r\n".join([HEADER, *ROWS]) + "\r\n"
    (tmp_path / "anfragen.csv").write_bytes(text.encode("cp1252"))
    (tmp_path / "plz.csv").write_bytes(
        "PLZ;Breitengrad;Längengrad\r\n31134;52,15;9,95\r\n".encode("cp1252")
    )
    (tmp_path / "profil.toml").write_text(PROFILE, encoding="utf-8")
    return load_with_profile(tmp_path / "profil.toml", requests=tmp_path / "anfragen.csv")


@pytest.fixture
def messy_config(messy: dict[str, pd.DataFrame], tmp_path: Path) -> MatchConfig:
    """The messy export's profile as the (lenient) config of the run."""
    return load_profile(tmp_path / "profil.toml").replace(as_of=CFG.as_of, strict=False)


def volunteers() -> pd.DataFrame:
    return pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.2], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )


def test_messy_export_accepts_every_realistic_spelling(
    messy: dict[str, pd.DataFrame], messy_config: MatchConfig
) -> None:
    result = validate_caseload(volunteers(), messy["requests"], config=messy_config)
    clean = result.requests.set_index("request_id")
    assert list(clean.index) == ["A1", "A2", "A3", "A4", "A5"]
    assert clean["languages"].tolist() == [
        "ar:native;de:B1",
        "prs:C1;en:B1",
        "ckb:native",
        "ti:native;de:A2",
        "fa:C1",
    ]
    assert clean["need_type"].tolist() == ["authority", "school", "health", "authority", "housing"]
    assert clean.loc["A1", "availability"] == "tue-eve"
    assert clean.loc["A2", "availability"] == "mon-am;tue-am;wed-am;thu-am;fri-am"
    assert clean.loc["A4", "availability"] == "sat-am;sat-pm;sat-eve;sun-am;sun-pm;sun-eve"
    assert clean["involves_minors"].tolist() == [True, True, False, False, False]
    assert clean["preferred_gender"].tolist() == ["f", "", "", "m", ""]
    assert clean.loc["A5", "lat"] == 52.15 and clean.loc["A5", "lon"] == 9.95  # user table
    assert clean.loc["A4", "lat"] == pytest.approx(52.36449)  # Hannover-Linden -> Linden
    assert clean["created_on"].nunique() == 1
    assert clean.loc["A5", "Bemerkung"] == "Telefon"  # extra columns are kept


def test_messy_export_rejects_each_bad_row_with_a_german_message(
    messy: dict[str, pd.DataFrame], messy_config: MatchConfig
) -> None:
    result = validate_caseload(volunteers(), messy["requests"], config=messy_config)
    assert result.rows_read["requests"] == len(ROWS)
    assert len(result.requests) + int((result.rejected["table"] == "requests").sum()) == len(ROWS)
    problems = result.problems[result.problems["table"] == "requests"]
    by_id = dict(zip(result.rejected["row"], result.rejected["id"], strict=True))
    seen: dict[str, list[tuple[str, str, str]]] = {}
    for row, column, rule, message in problems[["row", "column", "rule", "message"]].to_numpy():
        seen.setdefault(str(by_id[row]), []).append((str(column), str(rule), str(message)))
    assert set(seen) == set(EXPECTED)
    for request, (column, rule, message) in EXPECTED.items():
        assert any(c == column and r == rule and message in m for c, r, m in seen[request]), (
            request,
            seen[request],
        )


def test_messages_in_english_on_request(
    messy: dict[str, pd.DataFrame], messy_config: MatchConfig
) -> None:
    config = messy_config.replace(messages="en")
    result = validate_caseload(volunteers(), messy["requests"], config=config)
    messages = result.problems["message"]
    assert messages.str.contains(
        "'Arabish' is not a known language — did you mean 'Arabisch' (ar)?", regex=False
    ).any()
    assert messages.str.contains("'Hildesheym' is not a known place in Lower Saxony").any()


def test_strict_mode_raises_with_every_problem(
    messy: dict[str, pd.DataFrame], messy_config: MatchConfig
) -> None:
    with pytest.raises(InputValidationError) as err:
        validate_caseload(volunteers(), messy["requests"], config=messy_config.replace(strict=True))
    assert set(err.value.problems["column"]) >= {"Sprachen", "Wohnort", "PLZ", "Anliegen"}


def test_decimal_commas_and_coordinates_win_over_places() -> None:
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2"],
            "languages": ["Arabisch B1", "Arabisch B1"],
            "lat": ["52,5", ""],
            "lon": ["9,5", ""],
            "place": ["Atlantis", "Sarstedt"],  # R1 has coordinates: its place is not looked up
            "need_type": ["Schule", "Schule"],
            "created_on": ["01.10.2026", "01.10.2026"],
        }
    )
    result = validate_caseload(volunteers(), requests, config=CFG.replace(vocabulary="de"))
    assert result.requests["lat"].tolist()[0] == 52.5
    assert result.requests["lat"].tolist()[1] == pytest.approx(52.23495)


def test_german_vocabulary_on_100k_rows_parses_each_distinct_cell_once() -> None:
    rng = np.random.default_rng(3)
    n = 100_000
    languages = np.array(["Arabisch (Muttersprache), Deutsch B1", "Dari fließend", "Farsi: C1"])
    places = np.array(["Sarstedt", "HILDESHEIM", "Goettingen", "Hannover-Linden", "Soehlde"])
    requests = pd.DataFrame(
        {
            "request_id": [f"R{i}" for i in range(n)],
            "languages": languages[rng.integers(0, 3, n)],
            "place": places[rng.integers(0, 5, n)],
            "need_type": np.array(["Behördengang", "Elternabend", "Arzt"])[rng.integers(0, 3, n)],
            "availability": np.array(["Di abends", "werktags", ""])[rng.integers(0, 3, n)],
            "created_on": "01.10.2026",
            "involves_minors": np.array(["ja", "nein", "x", ""])[rng.integers(0, 4, n)],
        }
    )
    result = validate_caseload(volunteers(), requests, config=CFG.replace(vocabulary="de"))
    assert len(result.requests) == n
    assert result.requests["lat"].notna().all()


def test_german_sample_script_reproduces_every_file(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "make_german_samples.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True)
    produced = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(GERMAN)
        for p in GERMAN.rglob("*")
        if p.is_file() and p.name != ".gitattributes"
    }
    assert produced == committed
    for rel in sorted(produced):
        assert (tmp_path / rel).read_bytes() == (GERMAN / rel).read_bytes(), rel
    raw = (GERMAN / "anfragen.csv").read_bytes()
    raw.decode("cp1252")
    assert b"\r\n" in raw and "Behördengang".encode("cp1252") in raw
    assert b"Breitengrad" not in raw  # place names only


def test_cross_table_messages_in_german() -> None:
    requests = pd.DataFrame(
        {"request_id": ["R1"], "languages": ["Arabisch B1"], "place": ["Sarstedt"]}
        | {"need_type": ["Schule"], "created_on": ["01.10.2026"]}
    )
    assignments = pd.DataFrame(
        {
            "request_id": ["R1", "R1", "R1"],
            "volunteer_id": ["V1", "V9", "v 1"],
            "status": ["aktiv", "abgelehnt", "abgelehnt"],
        }
    )
    result = validate_caseload(
        volunteers(), requests, assignments, config=LENIENT.replace(vocabulary="de")
    )
    assert result.assignments["status"].tolist() == ["active", "declined"]
    (problem,) = result.problems["message"].tolist()
    assert problem.startswith("Lotsin/Lotse 'v 1': diese ID gibt es nicht; meinten Sie 'V1'?")
    (notice,) = result.notices["message"].tolist()
    assert notice.startswith("Lotsin/Lotse 'V9' ist nicht in <DataFrame> (nicht mehr dabei?)")
