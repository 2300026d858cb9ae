"""Requests table rules: one failing and one passing example per rule, and the input flavours."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.core.vocab import ALL_SLOTS, NEED_CODE, SLOT_BIT
from lotsen_match.errors import InputValidationError
from lotsen_match.io import read_table
from lotsen_match.validation import CLEAN_DTYPES, validate_requests

CFG = MatchConfig(as_of=dt.date(2026, 11, 2))
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

GOOD: dict[str, str] = {
    "request_id": "R1",
    "household_id": "H1",
    "languages": "ar:native;de:A2",
    "lat": "52,15",
    "lon": "9,95",
    "need_type": "school",
    "availability": "thu-eve",
    "created_on": "01.10.2026",
    "due_on": "2026-11-20",
    "involves_minors": "ja",
    "preferred_gender": "f",
    "excluded_volunteers": "V7",
    "previous_volunteer_id": "V3",
}


def text_frame(*rows: dict[str, str], **attrs: Any) -> pd.DataFrame:
    """All-text frame like a CSV read: ids R1, R2, ...; ``_row`` counts from 2."""
    records = [{**GOOD, "request_id": f"R{i + 1}", **row} for i, row in enumerate(rows)]
    frame = pd.DataFrame(records, dtype="str")
    frame["_row"] = np.arange(2, len(frame) + 2)
    frame.attrs.update({"source": "anfragen.csv", **attrs})
    return frame


def contract(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(CLEAN_DTYPES["requests"])]


def test_valid_rows_become_canonical_typed_columns() -> None:
    res = validate_requests(
        text_frame(
            {},
            {
                "household_id": "",
                "need_type": " Health ",
                "availability": "",
                "due_on": "",
                "involves_minors": "",
                "preferred_gender": "",
                "excluded_volunteers": "V3; V1;V1;",
                "previous_volunteer_id": "",
            },
        ),
        CFG,
    )
    assert res.problems.empty and res.rows_read == 2
    clean = res.clean
    assert {c: str(clean[c].dtype) for c in CLEAN_DTYPES["requests"]} == CLEAN_DTYPES["requests"]
    assert list(clean["household_id"]) == ["H1", ""]
    assert list(clean["need_type"]) == ["school", "health"]
    assert list(clean["need_code"]) == [NEED_CODE["school"], NEED_CODE["health"]]
    assert list(clean["slot_mask"]) == [SLOT_BIT["thu-eve"], ALL_SLOTS]
    assert list(clean["created_on"]) == [pd.Timestamp("2026-10-01")] * 2
    assert clean.loc[0, "due_on"] == pd.Timestamp("2026-11-20") and pd.isna(clean.loc[1, "due_on"])
    assert list(clean["involves_minors"]) == [True, False]
    assert list(clean["preferred_gender"]) == ["f", ""]
    assert list(clean["excluded_volunteers"]) == ["V7", "V1;V3"]
    assert list(clean["previous_volunteer_id"]) == ["V3", ""]


CASES: list[tuple[str, str, str, list[str], str]] = [
    ("request_id", "", "required", ["request_id is required"], "R9"),
    ("languages", "", "required", ["languages is required"], "uk:native"),
    ("languages", "xx:native;de:A2", "vocabulary", ["'xx' is not an ISO 639"], "prs:native"),
    ("languages", "ar:native, de:A2", "format", ["separate languages with ';'"], "ar:native;de:A2"),
    ("lat", "", "required", ["lat is required"], "52.1"),
    ("lon", "neun", "type", ["'neun' is not a number"], "9,9"),
    (
        "need_type",
        "school;health",
        "single_value",
        ["holds 2 values", "exactly one need type"],
        "school;",
    ),
    ("need_type", "schol", "vocabulary", ["valid: school, authority", "'school'"], "SCHOOL"),
    ("need_type", "Arzt", "vocabulary", ["did you mean 'health'"], "health"),
    ("need_type", "", "required", ["write one of school, authority"], "digital"),
    ("availability", "mon-night", "vocabulary", ["mon-am, mon-pm, mon-eve, ..., sun-eve"], ""),
    ("created_on", "", "required", ["created_on is required"], "2026-10-01"),
    ("created_on", "31.02.2026", "type", ["'31.02.2026' is not a valid date"], "28.02.2026"),
    ("due_on", "nächste Woche", "type", ["is not a valid date"], ""),
    (
        "involves_minors",
        "vielleicht",
        "type",
        ["'vielleicht' is not a yes/no value", "ja/nein", "x (= yes)"],
        "Nein",
    ),
    ("preferred_gender", "x", "vocabulary", ["valid: f, m, d"], "M"),
    ("preferred_gender", "weiblich", "vocabulary", ["did you mean 'f'"], ""),
]


@pytest.mark.parametrize(("column", "bad", "rule", "fragments", "good"), CASES)
def test_rule_rejects_bad_cell_and_accepts_good_one(
    column: str, bad: str, rule: str, fragments: list[str], good: str
) -> None:
    res = validate_requests(text_frame({}, {column: bad}), CFG)
    assert len(res.problems) == 1, res.problems.to_dict("records")
    problem = res.problems.iloc[0]
    assert (problem.table, problem.source, problem.row) == ("requests", "anfragen.csv", 3)
    assert (problem.column, problem.rule, problem.value) == (column, rule, bad)
    for fragment in fragments:
        assert fragment in problem.message
    assert list(res.clean["request_id"]) == ["R1"]

    fixed = validate_requests(text_frame({}, {column: good}), CFG)
    assert fixed.problems.empty, fixed.problems.to_dict("records")


@pytest.mark.parametrize(
    ("word", "flag"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("No", False),
        ("ja", True),
        ("nein", False),
        ("Wahr", True),
        ("falsch", False),
        ("x", True),
        ("X", True),
        ("", False),
        (" ", False),
    ],
)
def test_involves_minors_words(word: str, flag: bool) -> None:
    res = validate_requests(text_frame({"involves_minors": word}), CFG)
    assert res.problems.empty
    assert bool(res.clean.loc[0, "involves_minors"]) is flag


def test_involves_minors_typed_values() -> None:
    for values in ([True, False], [1.0, np.nan], pd.array([True, None], dtype="boolean")):
        raw = text_frame({}, {})
        raw["involves_minors"] = values
        res = validate_requests(raw, CFG)
        assert res.problems.empty
        assert list(res.clean["involves_minors"]) == [True, False]
    raw = text_frame({}, {})
    raw["involves_minors"] = [2, 0]
    assert list(validate_requests(raw, CFG).problems["row"]) == [2]


def test_due_date_must_not_lie_before_created_date() -> None:
    bad = validate_requests(text_frame({"created_on": "01.10.2026", "due_on": "30.09.2026"}), CFG)
    [problem] = bad.problems.itertuples()
    assert (problem.column, problem.rule) == ("due_on", "date_order")
    assert "'30.09.2026' lies before created_on '01.10.2026'" in problem.message
    ok = validate_requests(text_frame({"created_on": "01.10.2026", "due_on": "2026-10-01"}), CFG)
    assert ok.problems.empty


def test_duplicate_request_ids_are_all_rejected() -> None:
    res = validate_requests(text_frame({}, {"request_id": "R1"}, {}), CFG)
    assert list(res.problems["row"]) == [2, 3]
    assert set(res.problems["rule"]) == {"duplicate_id"}
    assert "row(s) 3" in res.problems.iloc[0]["message"]
    assert list(res.clean["request_id"]) == ["R3"]


def test_messages_name_the_users_header() -> None:
    raw = text_frame({"need_type": "", "created_on": ""})
    raw.attrs["original_columns"] = {"need_type": "Bedarf", "created_on": "Eingang am"}
    res = validate_requests(raw, CFG)
    assert list(res.problems["column"]) == ["Bedarf", "Eingang am"]
    assert res.problems.iloc[1]["message"].startswith("Eingang am is required")


def test_missing_created_on_column_raises() -> None:
    raw = text_frame({}).drop(columns="created_on").rename(columns={"due_on": "created"})
    with pytest.raises(InputValidationError) as err:
        validate_requests(raw, CFG)
    [problem] = err.value.problems.itertuples()
    assert (problem.row, problem.column, problem.rule) == (1, "created_on", "missing_column")
    assert "did you mean 'created'?" in problem.message


def test_read_csv_frame_with_inferred_floats_and_bools() -> None:
    csv = (
        "request_id,household_id,languages,lat,lon,need_type,created_on,involves_minors\n"
        "1,10,ar:native,52.1,9.9,school,2026-10-01,True\n"
        "2,,de:native,52.2,9.8,work,01.10.2026,False\n"
    )
    raw = pd.read_csv(io.StringIO(csv))
    assert raw["request_id"].dtype == np.int64 and raw["household_id"].dtype == np.float64
    res = validate_requests(raw, CFG)
    assert res.problems.empty
    assert list(res.clean["request_id"]) == ["1", "2"]
    assert list(res.clean["household_id"]) == ["10", ""]
    assert list(res.clean["involves_minors"]) == [True, False]


def test_text_and_typed_and_german_frames_agree() -> None:
    text = validate_requests(
        text_frame({"created_on": "2026-10-01", "lat": "52.15", "involves_minors": "true"}), CFG
    )
    typed = pd.DataFrame(
        {
            "request_id": ["R1"],
            "household_id": ["H1"],
            "languages": ["de:A2;ar:native"],
            "lat": [52.15],
            "lon": [9.95],
            "need_type": ["school"],
            "availability": ["thu-eve"],
            "created_on": [pd.Timestamp("2026-10-01 09:30")],
            "due_on": [dt.date(2026, 11, 20)],
            "involves_minors": [True],
            "preferred_gender": ["f"],
            "excluded_volunteers": ["V7"],
            "previous_volunteer_id": ["V3"],
        }
    )
    res = validate_requests(typed, CFG)
    assert res.problems.empty
    pd.testing.assert_frame_equal(contract(res.clean), contract(text.clean))


def test_sample_files_in_three_dialects_validate_to_the_same_clean_table() -> None:
    config = MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    german = read_table(
        SAMPLES / "anfragen.csv", table="requests", column_mapping=config.ingest.columns["requests"]
    )
    spec = read_table(SAMPLES / "spec" / "requests.csv", table="requests")
    excel = read_table(SAMPLES / "caseload.xlsx", table="requests")
    results = [validate_requests(raw, config) for raw in (german, spec, excel)]
    for res in results:
        assert res.problems.empty and res.rows_read == 360
    for res in results[1:]:
        pd.testing.assert_frame_equal(contract(res.clean), contract(results[0].clean))


def test_broken_sample_file_rejects_exactly_the_documented_rows() -> None:
    config = MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    mapping = config.ingest.columns["requests"]
    raw = read_table(
        SAMPLES / "broken" / "anfragen_fehlerhaft.csv", table="requests", column_mapping=mapping
    )
    raw.attrs["original_columns"] = {contract: header for header, contract in mapping.items()}
    res = validate_requests(raw, config)
    expected = {
        3: "Sprachen",
        4: "Sprachen",
        5: "Breitengrad",
        7: "Breitengrad",
        8: "Bedarf",
        9: "Verfügbarkeit",
        10: "Eingang am",
        12: "Anfrage-ID",
        13: "Minderjährige",
        14: "Wunschgeschlecht",
    }
    found = res.problems[res.problems["row"] != 2]
    assert dict(zip(found["row"], found["column"], strict=True)) == expected
    # the duplicate's first occurrence (row 2) is rejected as well: which one is right is unknown
    assert sorted(res.rejected["row"]) == [2, *sorted(expected)]
    assert sorted(res.clean["_row"]) == [6, 11, 15]
    assert res.rows_read == 14
