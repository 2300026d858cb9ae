"""Volunteers table rules: one failing and one passing example per rule, and every input flavour."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.core.vocab import ALL_SLOTS, MODULE_BIT, SLOT_BIT
from lotsen_match.errors import InputValidationError
from lotsen_match.validation import (
    CLEAN_DTYPES,
    PROBLEM_COLUMNS,
    REJECTED_COLUMNS,
    validate_volunteers,
)

CFG = MatchConfig(as_of=dt.date(2026, 11, 2), default_max_distance_km=10.0)

GOOD: dict[str, str] = {
    "volunteer_id": "V1",
    "languages": "ar:native;de:B1",
    "lat": "52,15",
    "lon": "9,95",
    "max_distance_km": "12,5",
    "need_types": "school;health",
    "availability": "mon-am;thu-eve",
    "capacity": "2",
    "gender": "f",
    "certified_on": "09.04.2025",
    "modules": "law;media",
    "police_check_until": "2027-02-19",
    "available_from": "",
    "available_until": "",
}


def text_frame(*rows: dict[str, str], **attrs: Any) -> pd.DataFrame:
    """All-text frame as ``read_table`` gives a CSV: ids V1, V2, ...; ``_row`` counts from 2."""
    records = [{**GOOD, "volunteer_id": f"V{i + 1}", **row} for i, row in enumerate(rows)]
    frame = pd.DataFrame(records, dtype="str")
    frame["_row"] = np.arange(2, len(frame) + 2)
    frame.attrs.update({"source": "lotsen.csv", **attrs})
    return frame


def contract(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(CLEAN_DTYPES["volunteers"])]


def test_valid_rows_become_canonical_typed_columns() -> None:
    res = validate_volunteers(
        text_frame(
            {},
            {
                "languages": "DE:c1; ar:Native;de:B2;",
                "need_types": "Health; school;health",
                "availability": "",
                "max_distance_km": "",
                "capacity": "0",
                "gender": " ",
                "modules": "",
                "certified_on": "2025-04-09",
            },
        ),
        CFG,
    )
    assert res.problems.empty and res.rejected.empty
    assert res.rows_read == 2 and len(res.clean) == 2
    clean = res.clean
    assert {c: str(clean[c].dtype) for c in CLEAN_DTYPES["volunteers"]} == CLEAN_DTYPES[
        "volunteers"
    ]
    assert isinstance(clean.index, pd.RangeIndex)
    assert list(clean["_row"]) == [2, 3]
    assert list(clean["languages"]) == ["ar:native;de:B1", "ar:native;de:C1"]
    assert list(clean["need_types"]) == ["school;health", "school;health"]
    assert list(clean["need_mask"]) == [0b101, 0b101]
    assert clean.loc[0, "slot_mask"] == SLOT_BIT["mon-am"] | SLOT_BIT["thu-eve"]
    assert clean.loc[1, "availability"] == "" and clean.loc[1, "slot_mask"] == ALL_SLOTS
    assert list(clean["lat"]) == [52.15, 52.15]
    assert list(clean["max_distance_km"]) == [12.5, 10.0]
    assert list(clean["capacity"]) == [2, 0]
    assert list(clean["gender"]) == ["f", ""]
    assert list(clean["certified_on"]) == [pd.Timestamp("2025-04-09")] * 2
    assert pd.isna(clean.loc[0, "available_from"])
    assert clean.loc[0, "modules"] == "law;media"
    assert clean.loc[0, "module_mask"] == MODULE_BIT["law"] | MODULE_BIT["media"]
    assert clean.loc[1, "module_mask"] == 0
    assert all(type(v) is str for v in clean["volunteer_id"])


# (column, bad value, rule, message fragments, a good value for the same cell)
CASES: list[tuple[str, str, str, list[str], str]] = [
    ("volunteer_id", "", "required", ["volunteer_id is required"], "V9"),
    ("languages", "", "required", ["languages is required", "ar:native;de:B1"], "ar:native"),
    (
        "languages",
        "xx:native;de:A2",
        "vocabulary",
        ["'xx' is not an ISO 639 language code", "e.g. ar:native;de:B1"],
        "AR:Native;de:a2",
    ),
    (
        "languages",
        "ar:fluent",
        "vocabulary",
        ["'fluent' is not a language level", "native, C2, C1, B2, B1, A2, A1", "'C1'"],
        "ar:c1",
    ),
    ("languages", "ar", "format", ["'ar' has no level", "code:level"], "ar:native"),
    ("languages", "Arabisch:native", "vocabulary", ["did you mean 'ar' (Arabic)"], "ara:native"),
    ("lat", "x", "type", ["'x' is not a number"], "52.1"),
    ("lat", "95,1", "range", ["'95,1' is out of range", "between -90 and 90"], "-90"),
    ("lat", "", "required", ["lat is required", "latitude"], "52,1"),
    ("lon", "180,5", "range", ["between -180 and 180"], "180"),
    ("max_distance_km", "0", "range", ["must be > 0"], "0,5"),
    ("max_distance_km", "weit", "type", ["'weit' is not a number"], ""),
    ("need_types", "", "required", ["valid: school, authority, health"], "leisure"),
    (
        "need_types",
        "school;shopping",
        "vocabulary",
        ["'shopping'", "valid: school, authority", "did you mean 'everyday'"],
        "school;Everyday",
    ),
    (
        "availability",
        "mon-night",
        "vocabulary",
        ["'mon-night' is not a time slot", "valid: mon-am, mon-pm, mon-eve, ..., sun-eve"],
        "MON-EVE",
    ),
    ("availability", "thu-evening", "vocabulary", ["did you mean 'thu-eve'"], ""),
    ("capacity", "1.5", "type", ["'1.5' is not a whole number", ">= 0"], "2.0"),
    ("capacity", "-1", "range", ["'-1' is out of range", ">= 0"], "0"),
    ("capacity", "zwei", "type", ["'zwei' is not a number"], "3"),
    ("capacity", "", "required", ["capacity is required"], "1"),
    ("gender", "x", "vocabulary", ["'x' is not a gender", "valid: f, m, d"], "D"),
    ("gender", "w", "vocabulary", ["did you mean 'f'"], "F"),
    (
        "certified_on",
        "31.02.2026",
        "type",
        ["'31.02.2026' is not a valid date", "YYYY-MM-DD", "DD.MM.YYYY"],
        "28.02.2026",
    ),
    # Two-digit years are read (5.5.22 is 2022-05-05); one digit is ambiguous and refused.
    ("certified_on", "25.11.6", "type", ["is not a valid date"], "25.11.26"),
    ("police_check_until", "morgen", "type", ["is not a valid date"], "31.12.9999"),
    ("available_from", "01.01.0026", "range", ["before 1900"], "01.01.2026"),
    (
        "modules",
        "law;lawx",
        "vocabulary",
        ["'lawx'", "valid: volunteering, tolerance, integration", "did you mean 'law'"],
        "LAW;Media",
    ),
]


@pytest.mark.parametrize(("column", "bad", "rule", "fragments", "good"), CASES)
def test_rule_rejects_bad_cell_and_accepts_good_one(
    column: str, bad: str, rule: str, fragments: list[str], good: str
) -> None:
    res = validate_volunteers(text_frame({}, {column: bad}), CFG)
    assert list(res.problems.columns) == list(PROBLEM_COLUMNS)
    assert len(res.problems) == 1, res.problems.to_dict("records")
    problem = res.problems.iloc[0]
    assert (problem.table, problem.source, problem.row) == ("volunteers", "lotsen.csv", 3)
    assert (problem.column, problem.rule, problem.value) == (column, rule, bad)
    for fragment in fragments:
        assert fragment in problem.message
    assert list(res.clean["volunteer_id"]) == ["V1"]
    assert list(res.rejected["row"]) == [3]

    fixed = validate_volunteers(text_frame({}, {column: good}), CFG)
    assert fixed.problems.empty, fixed.problems.to_dict("records")
    assert len(fixed.clean) == 2


def test_far_future_police_check_is_kept_as_latest_date() -> None:
    res = validate_volunteers(text_frame({"police_check_until": "31.12.9999"}), CFG)
    assert res.clean.loc[0, "police_check_until"] > pd.Timestamp("2262-01-01")


def test_active_period_must_not_end_before_it_starts() -> None:
    bad = validate_volunteers(
        text_frame({"available_from": "2027-01-01", "available_until": "31.12.2026"}), CFG
    )
    [problem] = bad.problems.itertuples()
    assert (problem.column, problem.rule) == ("available_until", "date_order")
    assert "'31.12.2026' lies before available_from '2027-01-01'" in problem.message
    same_day = validate_volunteers(
        text_frame({"available_from": "2027-01-01", "available_until": "01.01.2027"}), CFG
    )
    assert same_day.problems.empty


def test_duplicate_ids_reject_every_row_and_name_the_others() -> None:
    res = validate_volunteers(
        text_frame(
            {"volunteer_id": "V1"},
            {"volunteer_id": "V2"},
            {"volunteer_id": " V1"},
            {"volunteer_id": "V1 "},
        ),
        CFG,
    )
    assert list(res.clean["volunteer_id"]) == ["V2"]
    dup = res.problems[res.problems["rule"] == "duplicate_id"]
    assert list(dup["row"]) == [2, 4, 5]
    assert "also appears in row(s) 4, 5" in dup.iloc[0]["message"]
    assert "also appears in row(s) 2, 5" in dup.iloc[1]["message"]
    assert "all 3 rows are rejected" in dup.iloc[2]["message"]
    assert res.rows_read == 4 == len(res.clean) + len(res.rejected)


def test_ids_are_case_sensitive_pseudonyms() -> None:
    res = validate_volunteers(text_frame({"volunteer_id": "v1"}, {"volunteer_id": "V1"}), CFG)
    assert res.problems.empty


def test_problem_records_use_the_users_headers_and_row_numbers() -> None:
    raw = text_frame(
        {"languages": "xx:native", "lat": ""},
        original_columns={"languages": "Sprachen", "lat": "Breitengrad"},
    )
    raw["_row"] = [7]
    res = validate_volunteers(raw, CFG)
    assert list(res.problems["column"]) == ["Sprachen", "Breitengrad"]
    assert list(res.problems["row"]) == [7, 7]
    assert "Breitengrad is required" in res.problems.iloc[1]["message"]


def test_without_row_column_the_index_labels_are_the_rows() -> None:
    raw = text_frame({}, {"capacity": "-2"}).drop(columns="_row")
    raw.index = pd.Index([10, 11])
    raw.attrs = {}
    res = validate_volunteers(raw, CFG)
    assert list(res.problems["row"]) == [11]
    assert res.problems.iloc[0]["source"] == "<DataFrame>"


def test_rejected_has_one_row_per_input_row_with_all_its_problems() -> None:
    res = validate_volunteers(text_frame({}, {"languages": "ar", "capacity": "zwei"}), CFG)
    assert list(res.rejected.columns) == list(REJECTED_COLUMNS)
    [row] = res.rejected.itertuples()
    assert (row.table, row.source, row.row, row.id) == ("volunteers", "lotsen.csv", 3, "V2")
    assert row.columns == "languages | capacity"
    assert row.values == "ar | zwei"
    assert row.messages.count(" | ") == 1 and "'zwei' is not a number" in row.messages


def test_long_values_are_truncated_in_problem_records() -> None:
    res = validate_volunteers(text_frame({"gender": "x" * 500}), CFG)
    assert len(res.problems.iloc[0]["value"]) == 80
    assert len(res.problems.iloc[0]["message"]) < 300


def test_missing_required_columns_raise_with_found_columns_and_close_matches() -> None:
    raw = text_frame({}).drop(columns="lat").rename(columns={"languages": "Language"})
    with pytest.raises(InputValidationError) as err:
        validate_volunteers(raw, CFG.model_copy(update={"strict": False}))
    problems = err.value.problems
    assert list(problems["column"]) == ["languages", "lat"]
    assert set(problems["rule"]) == {"missing_column"} and set(problems["row"]) == {1}
    assert "did you mean 'Language'?" in problems.iloc[0]["message"]
    assert "found columns: volunteer_id, Language, lon" in problems.iloc[1]["message"]
    assert "_row" not in problems.iloc[1]["message"]


def test_missing_optional_columns_get_defaults() -> None:
    raw = text_frame({})[["volunteer_id", "languages", "lat", "lon", "need_types", "capacity"]]
    res = validate_volunteers(raw, CFG)
    assert res.problems.empty
    row = res.clean.iloc[0]
    assert row["max_distance_km"] == 10.0 and row["slot_mask"] == ALL_SLOTS
    assert row["gender"] == "" and pd.isna(row["certified_on"]) and row["module_mask"] == 0


def test_extra_columns_are_kept_in_clean() -> None:
    raw = text_frame({}, {})
    raw["Ort"] = ["Hildesheim", "Sarstedt"]
    res = validate_volunteers(raw, CFG)
    assert list(res.clean["Ort"]) == ["Hildesheim", "Sarstedt"]


# -------------------------------------------------------------------------------------------------
# input flavours: typed, object dtype, read_csv inference, Excel


def test_typed_frame_gives_the_same_clean_table_as_text() -> None:
    typed = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2"],
            "languages": ["ar:native;de:B1", "ar:native;de:B1"],
            "lat": [52.15, 52.15],
            "lon": [9.95, 9.95],
            "max_distance_km": [12.5, 12.5],
            "need_types": ["school;health"] * 2,
            "availability": ["mon-am;thu-eve"] * 2,
            "capacity": np.array([2, 2], dtype=np.int64),
            "gender": ["f", "f"],
            "certified_on": pd.to_datetime(["2025-04-09"] * 2),
            "modules": ["law;media"] * 2,
            "police_check_until": [dt.date(2027, 2, 19)] * 2,
            "available_from": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[s]"),
            "available_until": [None, None],
        }
    )
    from_text = validate_volunteers(text_frame({}, {}), CFG)
    from_typed = validate_volunteers(typed, CFG)
    assert from_typed.problems.empty
    pd.testing.assert_frame_equal(contract(from_typed.clean), contract(from_text.clean))


def test_object_dtype_and_python_none_are_accepted() -> None:
    raw = text_frame({}, {}).astype(object)
    raw.loc[1, "gender"] = None
    raw.loc[1, "availability"] = np.nan
    res = validate_volunteers(raw, CFG)
    assert res.problems.empty
    assert res.clean.loc[1, "gender"] == "" and res.clean.loc[1, "slot_mask"] == ALL_SLOTS


def test_read_csv_frame_with_nan_and_inferred_numbers() -> None:
    csv = (
        "volunteer_id;languages;lat;lon;need_types;capacity;gender;certified_on;max_distance_km\n"
        "V1;ar:native;52,1;9,9;school;2;;25.11.2025;\n"
        "V2;de:native;52,2;9,8;work;;m;;7,5\n"
        "V3;de:native;52,3;9,7;work;1;f;2025-01-01;3\n"
    )
    raw = pd.read_csv(io.StringIO(csv), sep=";")
    assert raw["capacity"].dtype == np.float64  # inferred, NaN for the empty cell
    res = validate_volunteers(raw, CFG)
    assert list(res.problems["rule"]) == ["required"]
    assert list(res.problems["column"]) == ["capacity"] and list(res.problems["row"]) == [1]
    assert list(res.clean["capacity"]) == [2, 1]
    assert list(res.clean["gender"]) == ["", "f"]
    assert list(res.clean["max_distance_km"]) == [10.0, 3.0]
    assert list(res.clean["certified_on"]) == [
        pd.Timestamp("2025-11-25"),
        pd.Timestamp("2025-01-01"),
    ]

    decimal = pd.read_csv(io.StringIO(csv), sep=";", decimal=",")
    assert decimal["lat"].dtype == np.float64
    again = validate_volunteers(decimal, CFG)
    pd.testing.assert_frame_equal(contract(again.clean), contract(res.clean))


def test_excel_round_trip_keeps_whole_floats_and_rejects_fractions(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2", "V3"],
            "languages": ["ar:native;de:B1"] * 3,
            "lat": [52.15, 52.2, 52.3],
            "lon": [9.95, 9.9, 9.8],
            "need_types": ["school"] * 3,
            "capacity": [2.0, 2.5, 1.0],
            "certified_on": [dt.datetime(2025, 4, 9), dt.datetime(2025, 4, 10), None],
            "available_from": ["01.01.2026", None, dt.datetime(2026, 2, 1, 14, 30)],
        }
    )
    path = tmp_path / "lotsen.xlsx"
    frame.to_excel(path, index=False)
    raw = pd.read_excel(path, engine="openpyxl")
    res = validate_volunteers(raw, CFG)
    assert list(res.problems[["row", "column", "rule"]].itertuples(index=False, name=None)) == [
        (1, "capacity", "type")
    ]
    assert list(res.clean["capacity"]) == [2, 1]
    assert list(res.clean["certified_on"].isna()) == [False, True]
    assert list(res.clean["available_from"]) == [
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-02-01"),
    ]


def test_mixed_type_object_column_from_excel() -> None:
    raw = text_frame({}, {}, {}).astype(object)
    raw["lat"] = [52.15, "52,2", np.nan]
    raw["capacity"] = [2, 3.0, "1"]
    raw["certified_on"] = [dt.datetime(2025, 4, 9), "10.04.2025", pd.Timestamp("2025-04-11")]
    res = validate_volunteers(raw, CFG)
    assert list(res.problems[["row", "column"]].itertuples(index=False, name=None)) == [(4, "lat")]
    assert list(res.clean["lat"]) == [52.15, 52.2]
    assert list(res.clean["capacity"]) == [2, 3]
    assert list(res.clean["certified_on"].dt.day) == [9, 10]


def test_boolean_in_a_number_column_is_a_type_problem() -> None:
    raw = text_frame({}, {}).astype(object)
    raw["lat"] = [True, False]
    res = validate_volunteers(raw, CFG)
    assert list(res.problems["rule"]) == ["type", "type"]


def test_validating_a_clean_table_again_changes_nothing() -> None:
    first = validate_volunteers(text_frame({}, {"languages": "de:b2;AR:native;de:C1"}), CFG)
    second = validate_volunteers(first.clean, CFG)
    assert second.problems.empty
    pd.testing.assert_frame_equal(second.clean, first.clean)


@pytest.mark.parametrize("backend", [None, "numpy_nullable", "pyarrow"])
def test_parquet_round_trip_with_every_dtype_backend(tmp_path: Path, backend: str | None) -> None:
    typed = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2"],
            "languages": ["ar:native", "de:C1"],
            "lat": [52.1, 52.2],
            "lon": [9.1, 9.2],
            "need_types": ["school", "work"],
            "capacity": pd.array([2, None], dtype="Int64"),
            "gender": ["f", None],
            "certified_on": [dt.date(2025, 1, 1), None],
            "available_from": pd.to_datetime(["2026-01-01 08:00", "2026-02-01 00:00"]).tz_localize(
                "Europe/Berlin"
            ),
            "max_distance_km": [5.0, None],
        }
    )
    path = tmp_path / "lotsen.parquet"
    typed.to_parquet(path)
    raw = pd.read_parquet(path, dtype_backend=backend) if backend else pd.read_parquet(path)
    res = validate_volunteers(raw, CFG)
    assert list(res.problems[["row", "column", "rule"]].itertuples(index=False, name=None)) == [
        (1, "capacity", "required")
    ]
    clean = res.clean
    assert {c: str(clean[c].dtype) for c in CLEAN_DTYPES["volunteers"]} == CLEAN_DTYPES[
        "volunteers"
    ]
    assert clean.loc[0, "certified_on"] == pd.Timestamp("2025-01-01")
    assert clean.loc[0, "available_from"] == pd.Timestamp("2026-01-01")
    assert (clean.loc[0, "capacity"], clean.loc[0, "max_distance_km"]) == (2, 5.0)
