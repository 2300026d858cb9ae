"""German exports read without their profile get one whole-column hint; German time words and
two-digit years are understood."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.errors import InputValidationError
from lotsen_match.ingest.vocabulary_de import ANY_TIME_WORDS, default_vocabulary
from lotsen_match.io import read_table
from lotsen_match.validation import validate_caseload
from tests.cli_support import invoke

ROOT = Path(__file__).resolve().parents[2]
GERMAN = ROOT / "data" / "deutsch"
CFG = MatchConfig(as_of=dt.date(2026, 11, 2), strict=False)
#: The German export's headers mapped, but its words left to the contract vocabulary.
MAPPING = """
[columns.volunteers]
"Lotsen-Nr." = "volunteer_id"
"Sprachkenntnisse" = "languages"
"Wohnort" = "place"
"Einsatzbereiche" = "need_types"
"Zeiten" = "availability"
"Kapazität (Haushalte)" = "capacity"
[columns.requests]
"Anfrage-Nr." = "request_id"
"Sprachen" = "languages"
"Wohnort" = "place"
"Anliegen" = "need_type"
"Eingang" = "created_on"
"""


def test_german_words_under_the_contract_vocabulary_get_one_hint_per_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "spalten.toml"
    config.write_text(MAPPING, encoding="utf-8")
    code, _, err = invoke(
        [
            "validate",
            "--config", config,
            "--volunteers", GERMAN / "ehrenamtliche.csv",
            "--requests", GERMAN / "anfragen.csv",
        ],
        capsys,
    )  # fmt: skip
    assert code == 2
    lines = err.splitlines()
    hints = [line for line in lines if "looks like a German export" in line]
    columns = {line.split("Spalte ", 1)[1].split(":", 1)[0] for line in hints}
    assert {"Sprachkenntnisse", "Einsatzbereiche", "Sprachen", "Anliegen"} <= columns
    assert len(hints) == len(columns)  # one per column, not one per cell
    assert all('vocabulary = "de"' in h and "--profile" in h for h in hints)
    # The hints come first, then every cell as before (nothing is hidden).
    cells = [i for i, line in enumerate(lines) if ", Zeile " in line and ", Zeile 1," not in line]
    assert max(lines.index(h) for h in hints) < min(cells)
    assert len(cells) > 100


def test_place_names_in_a_coordinate_column_get_a_place_hint() -> None:
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3", "R4"],
            "languages": ["ar:native"] * 4,
            "lat": ["Hildesheim", "Sarstedt", "Alfeld (Leine)", "52,1"],
            "lon": [9.95] * 4,
            "need_type": ["school"] * 4,
            "created_on": ["2026-10-01"] * 4,
        }
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.1], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )
    result = validate_caseload(volunteers, requests, config=CFG)
    hints = result.problems[result.problems["rule"] == "looks_like_places"]
    assert hints[["column", "row"]].values.tolist() == [["lat", 1]]
    assert "place names (e.g. 'Alfeld (Leine)')" in hints["message"].iloc[0]
    assert len(result.rejected) == 3  # the per-row problems stay


def test_missing_coordinates_next_to_a_place_column_name_the_mapping(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = invoke(
        [
            "validate",
            "--volunteers", GERMAN / "ehrenamtliche.csv",
            "--requests", GERMAN / "anfragen.csv",
        ],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "lat/lon are missing, but 'Wohnort' looks like place names" in err
    assert 'columns.requests."Wohnort" = "place"' in err
    assert "look like a German export" in err and "--profile" in err


def test_a_contract_export_with_a_few_typos_gets_no_hint() -> None:
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3", "R4", "R5"],
            "languages": ["ar:native", "Arabisch", "ar:nativ", "xx:B1", "de:B9"],
            "lat": [52.1] * 5,
            "lon": [9.9] * 5,
            "need_type": ["school"] * 5,
            "created_on": ["2026-10-01"] * 5,
        }
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.1], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )
    result = validate_caseload(volunteers, requests, config=CFG)
    assert len(result.rejected) == 4
    assert not result.problems["rule"].isin(["looks_german", "looks_like_places"]).any()


def test_contract_words_refused_for_another_reason_get_no_german_hint() -> None:
    """Regression (found by hypothesis on a fresh clone): three requests each naming two
    contract need types ('school;health', refused: one need type per request) got the hint
    "most refused values are German words", as a problem on the header row that no rejected
    row matched. The German vocabulary also knows the contract's words, and switching to it
    would not help: the values are refused for holding two of them."""
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3", "R4"],
            "languages": ["ar:native"] * 4,
            "lat": [52.1] * 4,
            "lon": [9.9] * 4,
            "need_type": ["school;health"] * 3 + ["school"],
            "created_on": ["2026-10-01"] * 4,
        }
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.1], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )
    result = validate_caseload(volunteers, requests, config=CFG)
    assert len(result.rejected) == 3
    assert set(result.problems["row"]) == set(result.rejected["row"])
    assert (result.problems["rule"] == "single_value").all()


def test_german_words_two_to_a_single_value_cell_get_no_german_hint() -> None:
    """'Schule;Gesundheit' is refused for holding two need types; the German vocabulary
    would refuse it for the same reason, so a hint to switch to it would mislead."""
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3"],
            "languages": ["ar:native"] * 3,
            "lat": [52.1] * 3,
            "lon": [9.9] * 3,
            "need_type": ["Schule;Gesundheit"] * 3,
            "created_on": ["2026-10-01"] * 3,
        }
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.1], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )
    result = validate_caseload(volunteers, requests, config=CFG)
    assert not result.problems["rule"].isin(["looks_german"]).any()
    assert len(result.rejected) == 3


@pytest.mark.parametrize(
    "word", ["nach Absprache", "flexibel", "jederzeit", "egal", "Immer", "täglich"]
)
def test_any_time_words_mean_any_time(word: str) -> None:
    assert default_vocabulary().slots(word).value == ""
    requests = pd.DataFrame(
        {
            "request_id": ["R1", "R2"],
            "languages": ["ar:native"] * 2,
            "lat": [52.1] * 2,
            "lon": [9.9] * 2,
            "need_type": ["Schule"] * 2,
            "availability": [word, f"Mo abends; {word}"],
            "created_on": ["5.5.22", "05.05.2022"],
        }
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["Arabisch (Muttersprache)"], "lat": [52.1]}
        | {"lon": [9.9], "need_types": ["Schule"], "capacity": [1]}
    )
    result = validate_caseload(volunteers, requests, config=CFG.replace(vocabulary="de"))
    assert result.problems.empty, result.problems["message"].tolist()
    assert result.requests["availability"].tolist() == ["", ""]  # empty = any time (SPEC)
    assert (result.requests["created_on"] == pd.Timestamp("2022-05-05")).all()


def test_slot_suggestions_list_the_any_time_words() -> None:
    requests = pd.DataFrame(
        {
            "request_id": ["R1"],
            "languages": ["ar:native"],
            "lat": [52.1],
            "lon": [9.9],
            "need_type": ["school"],
            "availability": ["wann immer"],
            "created_on": ["2026-10-01"],
        }
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.1], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )
    with pytest.raises(InputValidationError) as err:
        validate_caseload(volunteers, requests, config=CFG.replace(vocabulary="de", strict=True))
    message = err.value.problems["message"].iloc[0]
    for word in ("nach Absprache", "flexibel", "jederzeit", "immer", "täglich"):
        assert f"'{word}'" in message
    assert ANY_TIME_WORDS[:6] == (
        "nach Absprache",
        "flexibel",
        "jederzeit",
        "egal",
        "immer",
        "täglich",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5.5.22", "2022-05-05"), ("31.12.99", "1999-12-31"), ("01.02.2003", "2003-02-01")],
)
def test_two_digit_years_are_read(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "lotsen.csv"
    path.write_text(
        "volunteer_id;languages;lat;lon;need_types;capacity;certified_on\n"
        f"V1;ar:native;52,1;9,9;school;1;{text}\n",
        encoding="utf-8",
    )
    requests = pd.DataFrame(
        {"request_id": ["R1"], "languages": ["ar:B1"], "lat": [52.1], "lon": [9.9]}
        | {"need_type": ["school"], "created_on": ["2026-10-01"]}
    )
    result = validate_caseload(read_table(path, table="volunteers"), requests, config=CFG)
    assert result.problems.empty
    assert result.volunteers["certified_on"].iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["5.5.2", "5.5.222", "32.1.22"])
def test_ambiguous_or_impossible_short_dates_are_refused(text: str) -> None:
    requests = pd.DataFrame(
        {"request_id": ["R1"], "languages": ["ar:B1"], "lat": [52.1], "lon": [9.9]}
        | {"need_type": ["school"], "created_on": [text]}
    )
    volunteers = pd.DataFrame(
        {"volunteer_id": ["V1"], "languages": ["ar:native"], "lat": [52.1], "lon": [9.9]}
        | {"need_types": ["school"], "capacity": [1]}
    )
    result = validate_caseload(volunteers, requests, config=CFG)
    message = result.problems["message"].iloc[0]
    assert "is not a valid date" in message and "DD.MM.YY (25.11.26)" in message
