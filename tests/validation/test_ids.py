"""Ids and references (SPEC.md): id syntax, near-miss references, and notices for unknown ids."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lotsen_match import match
from lotsen_match.config import MatchConfig
from lotsen_match.errors import InputValidationError
from lotsen_match.validation import validate_caseload
from tests.id_tables import assignments, requests, volunteers

STRICT = MatchConfig(as_of=dt.date(2026, 11, 2))
LENIENT = STRICT.model_copy(update={"strict": False})


def rule(problems: pd.DataFrame, name: str) -> pd.DataFrame:
    return problems[problems["rule"] == name].reset_index(drop=True)


# -- references that differ from an id only by case, spaces or invisible characters ----------------

NEAR_SPELLINGS = ["v2", "V 2", "V2\u200b", "\ufeffV2", "V\u00ad2", "v\u200c 2", "V\u20602", "Ｖ2"]


@pytest.mark.parametrize("spelling", NEAR_SPELLINGS)
def test_an_exclusion_spelled_unlike_the_id_is_a_problem_with_did_you_mean(spelling: str) -> None:
    with pytest.raises(InputValidationError) as err:
        validate_caseload(
            volunteers("V1", "V2"),
            requests({"excluded_volunteers": f"V1;{spelling}"}),
            config=STRICT,
        )
    problems = err.value.problems
    assert list(problems["rule"]) == ["id_spelling"]
    assert list(problems["row"]) == [2] and list(problems["column"]) == ["excluded_volunteers"]
    assert "did you mean 'V2'?" in problems["message"].iloc[0]
    assert "anfragen.csv, row 2, column excluded_volunteers" in str(err.value)


def test_lenient_rejects_the_request_so_it_is_never_proposed_to_that_volunteer() -> None:
    vol, req = volunteers("V2"), requests({"excluded_volunteers": "v2"}, {})
    res = validate_caseload(vol, req, config=LENIENT)
    assert list(res.rejected["id"]) == ["R1"]
    assert list(res.requests["request_id"]) == ["R2"]
    result = match(vol, req, config=LENIENT)
    assert "R1" not in set(result.proposals["request_id"])


def test_an_exact_exclusion_wins_over_a_near_one() -> None:
    """Ids are case-sensitive: with both V2 and v2 in the pool, 'v2' names v2 exactly."""
    result = match(volunteers("V2", "v2"), requests({"excluded_volunteers": "v2"}), config=STRICT)
    assert list(result.proposals["volunteer_id"]) == ["V2"]
    assert result.summary["notices"]["count"] == 0


def test_several_near_ids_are_all_offered() -> None:
    with pytest.raises(InputValidationError) as err:
        validate_caseload(
            volunteers("V2", "v2"), requests({"excluded_volunteers": "V 2"}), config=STRICT
        )
    assert "did you mean 'V2' or 'v2'?" in err.value.problems["message"].iloc[0]


def test_previous_volunteer_and_assignment_references_are_checked_the_same_way() -> None:
    res = validate_caseload(
        volunteers("V1", "V2"),
        requests({"previous_volunteer_id": "v1"}, {}, {}),
        assignments(("R2", "v2 ", "declined"), ("r3", "V1", "active"), ("R3", "V2", "declined")),
        config=LENIENT,
    )
    near = rule(res.problems, "id_spelling")
    assert list(zip(near["table"], near["row"], near["column"], strict=True)) == [
        ("requests", 2, "previous_volunteer_id"),
        ("assignments", 2, "volunteer_id"),
        ("assignments", 3, "request_id"),
    ]
    assert "did you mean 'V1'?" in near["message"].iloc[0]
    assert "did you mean 'V2'?" in near["message"].iloc[1]
    assert "did you mean 'R3'?" in near["message"].iloc[2]
    assert list(res.assignments["_row"]) == [4]


def test_german_messages() -> None:
    german = STRICT.replace(messages="de")
    with pytest.raises(InputValidationError) as err:
        validate_caseload(volunteers("V2"), requests({"excluded_volunteers": "v2"}), config=german)
    message = err.value.problems["message"].iloc[0]
    assert "meinten Sie 'V2'?" in message and "Groß-/Kleinschreibung" in message


# -- references that name nobody: notices -------------------------------------------------------


def test_references_naming_nobody_are_notices_and_the_rows_are_kept() -> None:
    res = validate_caseload(
        volunteers("V1"),
        requests(
            {"excluded_volunteers": "V7;V1"},
            {"excluded_volunteers": "V7", "previous_volunteer_id": "V8"},
        ),
        assignments(("R1", "V9", "declined"), ("R5", "V1", "declined")),
        config=STRICT,
    )
    assert res.problems.empty and res.rejected.empty
    assert len(res.requests) == 2 and len(res.assignments) == 2
    notices = res.notices
    assert list(
        zip(notices["table"], notices["row"], notices["column"], notices["id"], strict=True)
    ) == [
        ("requests", 2, "excluded_volunteers", "V7"),
        ("requests", 3, "excluded_volunteers", "V7"),
        ("requests", 3, "previous_volunteer_id", "V8"),
        ("assignments", 2, "volunteer_id", "V9"),
        ("assignments", 3, "request_id", "R5"),
    ]
    assert set(notices["rule"]) == {"unknown_reference"}
    assert "V7" in notices["message"].iloc[0] and "lotsen.csv" in notices["message"].iloc[0]


def test_notices_reach_the_summary_with_counts_and_ids() -> None:
    result = match(
        volunteers("V1"),
        requests({"excluded_volunteers": "V7;V1"}, {"excluded_volunteers": "V7;V6"}),
        config=STRICT,
    )
    notices = result.summary["notices"]
    assert notices["count"] == 3
    assert notices["unknown_references"] == [
        {
            "table": "requests",
            "column": "excluded_volunteers",
            "target": "volunteers",
            "rows": 2,
            "references": 3,
            "ids": ["V6", "V7"],
        }
    ]
    assert len(result.notices) == 3
    assert list(result.proposals["request_id"]) == ["R2"]


def test_a_reference_to_a_rejected_row_is_no_notice() -> None:
    vol = volunteers("V1", "V2")
    vol.loc[1, "lat"] = "95"
    res = validate_caseload(vol, requests({"excluded_volunteers": "V2"}), config=LENIENT)
    assert res.notices.empty and list(res.requests["request_id"]) == ["R1"]


# -- id syntax -------------------------------------------------------------------------------------

BAD_IDS = [
    "V;2",
    "V,2",
    "V\t2",
    "V\x1b2",
    "V\u200b2",
    "V\u00ad2",
    "V\ufeff2",
    "V\u20282",
    "V\u202e2",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_may_not_hold_separators_control_or_invisible_characters(bad: str) -> None:
    with pytest.raises(InputValidationError) as err:
        validate_caseload(
            volunteers("V1", bad),
            requests({"household_id": bad}),
            config=STRICT,
        )
    problems = rule(err.value.problems, "id_format")
    assert list(zip(problems["table"], problems["row"], problems["column"], strict=True)) == [
        ("volunteers", 3, "volunteer_id"),
        ("requests", 2, "household_id"),
    ]
    _names_the_character(bad, problems["message"])


@pytest.mark.parametrize("bad", BAD_IDS)
def test_references_that_cannot_be_ids_are_problems_too(bad: str) -> None:
    """Assignment ids and previous volunteers naming no id; (';' and ',' split id lists)."""
    with pytest.raises(InputValidationError) as err:
        validate_caseload(
            volunteers("V1"),
            requests({"previous_volunteer_id": bad}),
            assignments((bad, "V1", "declined"), ("R1", bad, "declined")),
            config=STRICT,
        )
    problems = rule(err.value.problems, "id_format")
    assert list(zip(problems["table"], problems["row"], problems["column"], strict=True)) == [
        ("requests", 2, "previous_volunteer_id"),
        ("assignments", 2, "request_id"),
        ("assignments", 3, "volunteer_id"),
    ]
    _names_the_character(bad, problems["message"])


def _names_the_character(bad: str, messages: pd.Series) -> None:
    for message in messages:
        if ";" in bad or "," in bad:
            assert "';'" in message or "','" in message
        else:  # named by its code point, never pasted into the message
            assert "U+" in message and bad not in message


def test_a_request_id_with_a_separator_is_rejected() -> None:
    with pytest.raises(InputValidationError) as err:
        validate_caseload(volunteers("V1"), requests({"request_id": "R;1"}), config=STRICT)
    assert list(err.value.problems["rule"]) == ["id_format"]
    assert "';'" in err.value.problems["message"].iloc[0]


def test_an_id_with_inner_spaces_and_case_is_valid_and_matches_exactly() -> None:
    result = match(
        volunteers("Lotse 7", "lotse 8"),
        requests({"excluded_volunteers": "Lotse 7"}),
        config=STRICT,
    )
    assert list(result.proposals["volunteer_id"]) == ["lotse 8"]


def test_commas_separate_excluded_ids_too() -> None:
    result = match(
        volunteers("V1", "V2"), requests({"excluded_volunteers": "V1, V2"}), config=STRICT
    )
    assert result.proposals.empty
    assert result.requests["excluded_volunteers"].iloc[0] == "V1;V2"


def test_german_profile_separators_split_excluded_ids() -> None:
    res = validate_caseload(
        volunteers("V1", "V2", "V3"),
        requests({"excluded_volunteers": "V1\nV2"}),
        config=STRICT.replace(vocabulary="de"),
    )
    assert res.requests["excluded_volunteers"].iloc[0] == "V1;V2"


# -- household ids --------------------------------------------------------------------------------


def test_household_ids_that_differ_only_in_spelling_are_a_problem() -> None:
    res = validate_caseload(
        volunteers("V1"),
        requests({"household_id": "H1"}, {"household_id": "H1"}, {"household_id": "h 1"}, {}),
        config=LENIENT,
    )
    near = rule(res.problems, "id_spelling")
    assert list(near["row"]) == [4] and list(near["column"]) == ["household_id"]
    assert "did you mean 'H1'?" in near["message"].iloc[0]
    assert list(res.requests["request_id"]) == ["R1", "R2", "R4"]


def test_household_spelling_choice_does_not_depend_on_row_order() -> None:
    rows = [{"household_id": "H1"}, {"household_id": "h1"}]
    first = validate_caseload(volunteers("V1"), requests(*rows), config=LENIENT)
    second = validate_caseload(volunteers("V1"), requests(*reversed(rows)), config=LENIENT)
    assert set(first.rejected["values"]) == set(second.rejected["values"]) == {"h1"}
