"""Assignments table rules (single table; cross-table rules are in test_validation_caseload)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.errors import InputValidationError
from lotsen_match.validation import CLEAN_DTYPES, validate_assignments

CFG = MatchConfig(as_of=dt.date(2026, 11, 2))


def text_frame(*rows: tuple[str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["request_id", "volunteer_id", "status"], dtype="str")
    frame["_row"] = np.arange(2, len(frame) + 2)
    frame.attrs["source"] = "zuordnungen.csv"
    return frame


def test_valid_pairs_are_clean_with_lower_case_status() -> None:
    res = validate_assignments(
        text_frame(("R1", "V1", "active"), ("R2", "V1", " Proposed "), ("R1", "V2", "DECLINED")),
        CFG,
    )
    assert res.problems.empty and res.rows_read == 3
    assert {c: str(res.clean[c].dtype) for c in CLEAN_DTYPES["assignments"]} == CLEAN_DTYPES[
        "assignments"
    ]
    assert list(res.clean["status"]) == ["active", "proposed", "declined"]


@pytest.mark.parametrize(
    ("row", "column", "rule", "fragment"),
    [
        (("", "V1", "active"), "request_id", "required", "request_id is required"),
        (("R1", "", "active"), "volunteer_id", "required", "volunteer_id is required"),
        (("R1", "V1", ""), "status", "required", "write one of active, proposed, declined"),
        (("R1", "V1", "aktiv"), "status", "vocabulary", "did you mean 'active'"),
        (("R1", "V1", "done"), "status", "vocabulary", "valid: active, proposed, declined"),
    ],
)
def test_rule_rejects_bad_cell(
    row: tuple[str, str, str], column: str, rule: str, fragment: str
) -> None:
    res = validate_assignments(text_frame(("R9", "V9", "proposed"), row), CFG)
    [problem] = res.problems.itertuples()
    assert (problem.row, problem.column, problem.rule) == (3, column, rule)
    assert fragment in problem.message
    assert list(res.clean["request_id"]) == ["R9"]
    assert list(res.rejected["row"]) == [3]


def test_duplicate_pairs_are_all_rejected_and_name_each_other() -> None:
    res = validate_assignments(
        text_frame(
            ("R1", "V1", "active"),
            ("R1", "V2", "declined"),
            ("R1", "V1", "proposed"),
            ("R2", "V1", "active"),
        ),
        CFG,
    )
    dup = res.problems
    assert list(dup["row"]) == [2, 4] and set(dup["rule"]) == {"duplicate_pair"}
    assert "'R1/V1' also appears in row(s) 4" in dup.iloc[0]["message"]
    assert list(res.rejected["id"]) == ["R1/V1", "R1/V1"]
    assert list(res.clean["_row"]) == [3, 5]


def test_same_ids_in_different_pairs_are_no_duplicates() -> None:
    res = validate_assignments(
        text_frame(("R1", "V1", "active"), ("R1", "V2", "proposed"), ("R2", "V1", "proposed")),
        CFG,
    )
    assert res.problems.empty


def test_read_csv_numbers_as_ids() -> None:
    raw = pd.DataFrame({"request_id": [1, 2], "volunteer_id": [7.0, 8.0], "status": ["active"] * 2})
    res = validate_assignments(raw, CFG)
    assert res.problems.empty
    assert list(res.clean["volunteer_id"]) == ["7", "8"]


def test_missing_status_column_raises() -> None:
    raw = text_frame(("R1", "V1", "active")).rename(columns={"status": "Status"})
    with pytest.raises(InputValidationError) as err:
        validate_assignments(raw, CFG)
    assert "did you mean 'Status'?" in err.value.problems.iloc[0]["message"]


def test_empty_table_is_valid() -> None:
    res = validate_assignments(text_frame(), CFG)
    assert res.rows_read == 0 and res.clean.empty and res.rejected.empty and res.problems.empty
    assert list(res.clean.columns[:3]) == ["request_id", "volunteer_id", "status"]
