"""History in the assignments table: status ``ended`` and started_on, ended_on, end_reason,
decided_by (validation, German words, cross-table rules, and what the matching core makes of it)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.core.vocab import END_REASONS
from lotsen_match.pipeline import match_validated
from lotsen_match.validation import CLEAN_DTYPES, validate_assignments, validate_caseload

CFG = MatchConfig(as_of=dt.date(2026, 11, 2))
COLUMNS = ["request_id", "volunteer_id", "status", "started_on", "ended_on", "end_reason"]


def history_frame(*rows: tuple[str, ...], decided_by: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame([r + ("",) * (6 - len(r)) for r in rows], columns=COLUMNS, dtype="str")
    if decided_by is not None:
        frame["decided_by"] = decided_by
    frame["_row"] = np.arange(2, len(frame) + 2)
    frame.attrs["source"] = "zuordnungen.csv"
    return frame


def test_old_files_without_history_columns_load_with_empty_history() -> None:
    raw = history_frame(("R1", "V1", "active"))[["request_id", "volunteer_id", "status"]]
    res = validate_assignments(raw, CFG)
    assert res.problems.empty
    assert {c: str(res.clean[c].dtype) for c in CLEAN_DTYPES["assignments"]} == CLEAN_DTYPES[
        "assignments"
    ]
    assert res.clean["started_on"].isna().all() and list(res.clean["end_reason"]) == [""]


def test_ended_rows_with_history_are_clean_and_typed() -> None:
    res = validate_assignments(
        history_frame(
            ("R1", "V1", "ended", "2026-01-05", "2026-06-30", "completed"),
            ("R2", "V1", "ended", "2026-02-01", "", "Volunteer_Dropout"),
            ("R3", "V2", "declined", "", "2026-03-01", "declined_by_newcomer"),
            ("R4", "V2", "active", "2026-05-01"),
            decided_by=["auto", "coordinator", "", "AUTO"],
        ),
        CFG,
    )
    assert res.problems.empty, res.problems.to_dict("records")
    clean = res.clean
    assert list(clean["status"]) == ["ended", "ended", "declined", "active"]
    assert list(clean["end_reason"]) == [
        "completed",
        "volunteer_dropout",
        "declined_by_newcomer",
        "",
    ]
    assert list(clean["decided_by"]) == ["auto", "coordinator", "", "auto"]
    assert clean["started_on"].iloc[0] == pd.Timestamp("2026-01-05")
    assert pd.isna(clean["ended_on"].iloc[1])


@pytest.mark.parametrize(
    ("row", "column", "rule", "fragment"),
    [
        (
            ("R1", "V1", "ended", "2026-05-01", "2026-04-01", "completed"),
            "ended_on",
            "date_order",
            "ended_on must be on or after started_on",
        ),
        (
            ("R1", "V1", "ended", "2026-05-01", "2026-06-01", "fertig"),
            "end_reason",
            "vocabulary",
            "valid: completed, no_longer_needed",
        ),
        (
            ("R1", "V1", "ended", "2026-05-01", "2027-01-01", "completed"),
            "ended_on",
            "future_end",
            "lies after the run date 2026-11-02",
        ),
        (
            ("R1", "V1", "active", "2026-05-01", "", "completed"),
            "end_reason",
            "end_of_open_assignment",
            "the status is active or proposed",
        ),
        (
            ("R1", "V1", "proposed", "", "2026-06-01"),
            "ended_on",
            "end_of_open_assignment",
            "write status ended",
        ),
        (
            ("R1", "V1", "ended", "31.02.2026", "", "completed"),
            "started_on",
            "type",
            "is not a valid date",
        ),
    ],
)
def test_history_rule_rejects_bad_row(
    row: tuple[str, ...], column: str, rule: str, fragment: str
) -> None:
    res = validate_assignments(history_frame(("R9", "V9", "proposed"), row), CFG)
    [problem] = res.problems.itertuples()
    assert (problem.row, problem.column, problem.rule) == (3, column, rule)
    assert fragment in problem.message
    assert list(res.clean["request_id"]) == ["R9"]


def test_unknown_decider_is_rejected_with_the_valid_words() -> None:
    res = validate_assignments(history_frame(("R1", "V1", "ended"), decided_by=["computer"]), CFG)
    [problem] = res.problems.itertuples()
    assert problem.column == "decided_by" and "valid: auto, coordinator" in problem.message


def test_a_pair_may_end_twice_and_run_again_but_not_end_twice_on_one_start() -> None:
    res = validate_assignments(
        history_frame(
            ("R1", "V1", "ended", "2025-01-01", "2025-03-01", "other"),
            ("R1", "V1", "ended", "2025-06-01", "2025-09-01", "completed"),
            ("R1", "V1", "active", "2026-01-01"),
        ),
        CFG,
    )
    assert res.problems.empty
    res = validate_assignments(
        history_frame(
            ("R1", "V1", "ended", "2025-01-01", "2025-03-01", "other"),
            ("R1", "V1", "ended", "2025-01-01", "2025-04-01", "completed"),
        ),
        CFG,
    )
    assert set(res.problems["rule"]) == {"duplicate_pair"} and len(res.problems) == 2


def test_german_words_for_status_reason_and_decider() -> None:
    raw = history_frame(
        ("R1", "V1", "beendet", "05.01.2026", "30.06.2026", "abgeschlossen"),
        ("R2", "V1", "beendet", "", "", "verzogen"),
        ("R3", "V1", "abgelehnt", "", "", "von der Familie abgelehnt"),
        decided_by=["automatisch", "Koordination", "Koordinierungsstelle"],
    )
    res = validate_assignments(raw, CFG.replace(vocabulary="de", messages="de"))
    assert res.problems.empty, res.problems.to_dict("records")
    assert list(res.clean["status"]) == ["ended", "ended", "declined"]
    assert list(res.clean["end_reason"]) == [
        "completed",
        "newcomer_moved",
        "declined_by_newcomer",
    ]
    assert list(res.clean["decided_by"]) == ["auto", "coordinator", "coordinator"]


def test_german_messages_for_history_rules() -> None:
    raw = history_frame(
        ("R1", "V1", "beendet", "05.05.2026", "01.04.2026", "Quatsch"),
        ("R2", "V1", "aktiv", "", "", "abgeschlossen"),
    )
    res = validate_assignments(raw, CFG.replace(vocabulary="de", messages="de"))
    messages = dict(zip(res.problems["rule"], res.problems["message"], strict=True))
    assert "darf nicht vor" in messages["date_order"]
    assert "kein bekannter Beendigungsgrund" in messages["vocabulary"]
    assert "Status beendet" in messages["end_of_open_assignment"]


def test_every_end_reason_code_is_accepted() -> None:
    rows = [("R1", f"V{i}", "ended", "", "", code) for i, code in enumerate(END_REASONS)]
    res = validate_assignments(history_frame(*rows), CFG)
    assert res.problems.empty and list(res.clean["end_reason"]) == list(END_REASONS)


def _caseload_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    vols = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2"],
            "languages": ["de:native", "de:native"],
            "lat": [52.37, 52.37],
            "lon": [9.73, 9.73],
            "need_types": ["everyday", "everyday"],
            "capacity": [1, 1],
            "certified_on": ["2024-01-01", "2024-01-01"],
        }
    )
    reqs = pd.DataFrame(
        {
            "request_id": ["R1", "R2"],
            "household_id": ["H1", "H2"],
            "languages": ["de:native", "de:native"],
            "lat": [52.37, 52.371],
            "lon": [9.73, 9.731],
            "need_type": ["everyday", "everyday"],
            "created_on": ["2026-10-20", "2026-10-20"],
        }
    )
    return vols, reqs


def test_ended_rows_may_name_closed_requests_and_former_volunteers() -> None:
    vols, reqs = _caseload_frames()
    asg = pd.DataFrame(
        {
            "request_id": ["R0-closed", "R1", "R1"],
            "volunteer_id": ["V-left", "V-left", "V9"],
            "status": ["ended", "ended", "declined"],
        }
    )
    res = validate_caseload(vols, reqs, asg, config=CFG, strict=False)
    # The ended rows are history: kept, no problem and no notice. The declined row naming an
    # unknown volunteer is a notice (the reference rules of the contract).
    assert list(res.assignments["status"]) == ["ended", "ended", "declined"]
    assert res.problems.empty
    assert list(res.notices["id"]) == ["V9"]


def test_ended_rows_use_no_capacity_block_nothing_and_give_continuity() -> None:
    vols, reqs = _caseload_frames()
    asg = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R0-closed"],
            "volunteer_id": ["V1", "V1", "V2"],
            "status": ["ended", "ended", "ended"],
            "ended_on": ["2026-09-01", "2026-09-01", "2026-01-01"],
            "end_reason": ["completed", "language_mismatch", "completed"],
        }
    )
    caseload = validate_caseload(vols, reqs, asg, config=CFG, strict=True)
    result = match_validated(caseload, CFG)
    # Both requests are served although V1 (capacity 1) ended two accompaniments: ended rows
    # take no place and block no pair.
    assert len(result.proposals) == 2
    props = result.proposals.set_index("request_id")
    # V1 accompanied both households before: continuity 1 wherever V1 is proposed.
    assert (props.loc[props["volunteer_id"] == "V1", "continuity"] == 1.0).all()
    assert (props.loc[props["volunteer_id"] == "V2", "continuity"] == 0.0).all()


def test_continuity_from_history_reaches_other_requests_of_the_household() -> None:
    vols, reqs = _caseload_frames()
    reqs["household_id"] = ["H1", "H1"]
    asg = pd.DataFrame({"request_id": ["R2"], "volunteer_id": ["V2"], "status": ["ended"]})
    result = match_validated(validate_caseload(vols, reqs, asg, config=CFG), CFG)
    # One household, one contact person: V2, who accompanied it before, for both requests.
    assert list(result.proposals["volunteer_id"]) == ["V2", "V2"]
    assert (result.proposals["continuity"] == 1.0).all()
