"""Cross-table rules, the cascade, and strict versus lenient mode of ``validate_caseload``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.errors import InputValidationError
from lotsen_match.validation import CLEAN_DTYPES, PROBLEM_COLUMNS, validate_caseload

STRICT = MatchConfig(as_of=dt.date(2026, 11, 2))
LENIENT = STRICT.model_copy(update={"strict": False})


def frame(records: list[dict[str, str]], source: str) -> pd.DataFrame:
    out = pd.DataFrame(records, dtype="str")
    out["_row"] = np.arange(2, len(out) + 2)
    out.attrs["source"] = source
    return out


def volunteers(*overrides: dict[str, str]) -> pd.DataFrame:
    base = {
        "languages": "de:native",
        "lat": "52,15",
        "lon": "9,95",
        "need_types": "school;health",
        "capacity": "2",
    }
    rows = [{"volunteer_id": f"V{i + 1}", **base, **o} for i, o in enumerate(overrides)]
    return frame(rows, "lotsen.csv")


def requests(*overrides: dict[str, str]) -> pd.DataFrame:
    base = {
        "household_id": "",
        "languages": "ar:native;de:B1",
        "lat": "52,15",
        "lon": "9,95",
        "need_type": "school",
        "created_on": "01.10.2026",
    }
    rows = [{"request_id": f"R{i + 1}", **base, **o} for i, o in enumerate(overrides)]
    return frame(rows, "anfragen.csv")


def assignments(*pairs: tuple[str, str, str]) -> pd.DataFrame:
    rows = [{"request_id": r, "volunteer_id": v, "status": s} for r, v, s in pairs]
    if not rows:
        return frame([], "zuordnungen.csv").reindex(
            columns=["request_id", "volunteer_id", "status", "_row"]
        )
    return frame(rows, "zuordnungen.csv")


def by_rule(problems: pd.DataFrame, rule: str) -> pd.DataFrame:
    return problems[problems["rule"] == rule]


def test_clean_caseload_passes_in_strict_mode() -> None:
    res = validate_caseload(
        volunteers({}, {}),
        requests({"household_id": "H1"}, {"household_id": "H1"}, {}),
        assignments(("R1", "V1", "active"), ("R2", "V1", "active"), ("R3", "V2", "declined")),
        config=STRICT,
    )
    assert res.problems.empty and res.rejected.empty
    assert res.rows_read == {"volunteers": 2, "requests": 3, "assignments": 3}
    assert (len(res.volunteers), len(res.requests), len(res.assignments)) == (2, 3, 3)


def test_without_assignments_the_table_is_empty_with_contract_columns() -> None:
    res = validate_caseload(volunteers({}), requests({}), config=STRICT)
    assert res.rows_read["assignments"] == 0 and res.assignments.empty
    assert {c: str(res.assignments[c].dtype) for c in CLEAN_DTYPES["assignments"]} == CLEAN_DTYPES[
        "assignments"
    ]


def test_strict_raises_once_with_every_problem_of_every_table() -> None:
    vol = volunteers({}, {"capacity": "-1"})
    req = requests({}, {"lat": "x"}, {"languages": "xx:native"})
    asg = assignments(("R1", "V1", "active"), ("r1", "V1", "declined"))
    with pytest.raises(InputValidationError) as err:
        validate_caseload(vol, req, asg, config=STRICT)
    problems = err.value.problems
    assert list(problems.columns) == list(PROBLEM_COLUMNS)
    assert len(problems) == 4
    assert list(problems["table"]) == ["volunteers", "requests", "requests", "assignments"]
    assert list(problems["rule"]) == ["range", "type", "vocabulary", "id_spelling"]
    text = str(err.value)
    assert text.startswith("4 invalid input value(s)")
    assert "lotsen.csv, row 3, column capacity" in text
    assert "anfragen.csv, row 4, column languages" in text


def test_strict_none_follows_the_config_and_an_argument_overrides_it() -> None:
    vol, req = volunteers({"capacity": "zwei"}), requests({})
    with pytest.raises(InputValidationError):
        validate_caseload(vol, req, config=STRICT)
    assert len(validate_caseload(vol, req, config=LENIENT).rejected) == 1
    assert len(validate_caseload(vol, req, config=STRICT, strict=False).rejected) == 1
    with pytest.raises(InputValidationError):
        validate_caseload(vol, req, config=LENIENT, strict=True)


def test_missing_columns_of_several_tables_raise_together_even_when_lenient() -> None:
    vol = volunteers({}).drop(columns="languages")
    asg = assignments(("R1", "V1", "active")).drop(columns="status")
    with pytest.raises(InputValidationError) as err:
        validate_caseload(vol, requests({}), asg, config=LENIENT)
    problems = err.value.problems
    assert list(problems["table"]) == ["volunteers", "assignments"]
    assert list(problems["column"]) == ["languages", "status"]
    assert set(problems["row"]) == {1}


def test_lenient_cascade_rejects_pairs_of_rejected_rows_and_names_them() -> None:
    res = validate_caseload(
        volunteers({}, {"lat": "95"}),
        requests({}, {"created_on": "31.02.2026"}),
        assignments(("R1", "V1", "active"), ("R2", "V1", "proposed"), ("R1", "V2", "declined")),
        config=LENIENT,
    )
    cascade = by_rule(res.problems, "rejected_reference")
    assert list(cascade["row"]) == [3, 4]
    assert list(cascade["column"]) == ["request_id", "volunteer_id"]
    assert "request 'R2' was rejected (anfragen.csv, row(s) 3)" in cascade.iloc[0]["message"]
    assert "volunteer 'V2' was rejected (lotsen.csv, row(s) 3)" in cascade.iloc[1]["message"]
    assert list(res.assignments["_row"]) == [2]
    assert res.rows_read == {"volunteers": 2, "requests": 2, "assignments": 3}
    for table, frame_ in (("volunteers", res.volunteers), ("requests", res.requests)):
        rejected = int((res.rejected["table"] == table).sum())
        assert len(frame_) + rejected == res.rows_read[table]
    assert len(res.assignments) + int((res.rejected["table"] == "assignments").sum()) == 3


def test_misspelt_references_are_rejected_and_unknown_ones_are_notices() -> None:
    """SPEC.md, Ids and references: 'v1' for V1 is a problem; R7 (closed, gone) a notice."""
    res = validate_caseload(
        volunteers({}),
        requests({}),
        assignments(("R1", "V1", "proposed"), ("R7", "V1", "declined"), ("R1", "v1", "declined")),
        config=LENIENT,
    )
    near = by_rule(res.problems, "id_spelling")
    assert list(near["row"]) == [4]
    assert "volunteer 'v1' is not a volunteer id; did you mean 'V1'?" in near.iloc[0]["message"]
    assert list(res.assignments["_row"]) == [2, 3]
    assert list(res.notices["row"]) == [3]
    assert "request 'R7' is not in anfragen.csv" in res.notices.iloc[0]["message"]


def test_a_request_with_two_active_volunteers_is_rejected() -> None:
    res = validate_caseload(
        volunteers({}, {}, {}),
        requests({}, {}),
        assignments(
            ("R1", "V1", "active"),
            ("R1", "V2", "Active"),
            ("R1", "V3", "proposed"),
            ("R2", "V3", "active"),
        ),
        config=LENIENT,
    )
    conflict = by_rule(res.problems, "multiple_active")
    assert list(conflict["row"]) == [2, 3]
    assert (
        "request 'R1' has 2 active assignments (volunteers V1, V2)" in conflict.iloc[0]["message"]
    )
    assert list(res.assignments["_row"]) == [4, 5]


def test_one_active_and_one_proposed_volunteer_is_fine() -> None:
    res = validate_caseload(
        volunteers({}, {}),
        requests({}),
        assignments(("R1", "V1", "active"), ("R1", "V2", "proposed")),
        config=STRICT,
    )
    assert res.problems.empty


def test_a_household_with_two_active_volunteers_is_rejected() -> None:
    res = validate_caseload(
        volunteers({}, {}),
        requests({"household_id": "H1"}, {"household_id": "H1"}, {"household_id": "H2"}, {}),
        assignments(
            ("R1", "V1", "active"),
            ("R2", "V2", "active"),
            ("R3", "V1", "active"),
            ("R4", "V2", "active"),
        ),
        config=LENIENT,
    )
    conflict = by_rule(res.problems, "household_active_conflict")
    assert list(conflict["row"]) == [2, 3]
    assert list(conflict["column"]) == ["volunteer_id", "volunteer_id"]
    assert (
        "household 'H1' has active assignments to 2 volunteers (V1, V2)"
        in (conflict.iloc[0]["message"])
    )
    assert list(res.assignments["_row"]) == [4, 5]


def test_household_rule_ignores_proposals_and_rows_already_rejected() -> None:
    res = validate_caseload(
        volunteers({}, {}),
        requests({"household_id": "H1"}, {"household_id": "H1"}),
        assignments(("R1", "V1", "active"), ("R2", "V2", "proposed"), ("R2", "V2 ", "aktiv")),
        config=LENIENT,
    )
    assert list(res.problems["rule"]) == ["duplicate_pair", "vocabulary", "duplicate_pair"]
    assert by_rule(res.problems, "household_active_conflict").empty


def test_order_of_rows_does_not_change_the_outcome() -> None:
    vol = volunteers({}, {}, {"capacity": "x"})
    req = requests({"household_id": "H1"}, {"household_id": "H1"}, {}, {"need_type": "?"})
    asg = assignments(
        ("R1", "V1", "active"), ("R2", "V2", "active"), ("R3", "V3", "proposed"), ("R9", "V1", "")
    )
    first = validate_caseload(vol, req, asg, config=LENIENT)
    shuffled = [f.iloc[::-1].reset_index(drop=True) for f in (vol, req, asg)]
    for original, new in zip((vol, req, asg), shuffled, strict=True):
        new.attrs = original.attrs
    second = validate_caseload(*shuffled, config=LENIENT)
    keys = ["table", "row", "column", "rule"]
    pd.testing.assert_frame_equal(
        first.problems.sort_values(keys).reset_index(drop=True),
        second.problems.sort_values(keys).reset_index(drop=True),
    )
    for a, b in ((first.requests, second.requests), (first.assignments, second.assignments)):
        pd.testing.assert_frame_equal(
            a.sort_values("_row").reset_index(drop=True),
            b.sort_values("_row").reset_index(drop=True),
        )


def _big_text_caseload(n_req: int, n_vol: int) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(7)
    vol = pd.DataFrame(
        {
            "volunteer_id": np.char.add("V", np.arange(n_vol).astype(str)),
            "languages": rng.choice(["ar:native;de:B1", "uk:native;de:C1", "de:native"], n_vol),
            "lat": np.char.replace(np.round(rng.uniform(51, 54, n_vol), 5).astype(str), ".", ","),
            "lon": np.round(rng.uniform(7, 11, n_vol), 5).astype(str),
            "need_types": rng.choice(["school;health", "work", "everyday;digital"], n_vol),
            "capacity": rng.choice(["1", "2", "zwei"], n_vol, p=[0.5, 0.49, 0.01]),
            "certified_on": rng.choice(["01.02.2025", "2024-05-06", ""], n_vol),
        },
        dtype="str",
    )
    req = pd.DataFrame(
        {
            "request_id": np.char.add("R", np.arange(n_req).astype(str)),
            "languages": rng.choice(["ar:native", "uk:native;ru:C1", "xx:native"], n_req),
            "lat": np.char.replace(np.round(rng.uniform(51, 54, n_req), 5).astype(str), ".", ","),
            "lon": np.round(rng.uniform(7, 11, n_req), 5).astype(str),
            "need_type": rng.choice(["school", "work", "leisure"], n_req),
            "created_on": rng.choice(["01.10.2026", "2026-09-30", "31.02.2026"], n_req),
            "involves_minors": rng.choice(["ja", "nein", ""], n_req),
        },
        dtype="str",
    )
    asg = pd.DataFrame(
        {
            "request_id": req["request_id"].iloc[: n_req // 10].to_numpy(),
            "volunteer_id": rng.choice(vol["volunteer_id"].to_numpy(), n_req // 10),
            "status": rng.choice(["proposed", "declined"], n_req // 10),
        },
        dtype="str",
    )
    return vol, req, asg


def test_large_caseload_is_validated_vectorised_and_loses_no_row() -> None:
    vol, req, asg = _big_text_caseload(30_000, 6_000)
    res = validate_caseload(vol, req, asg, config=LENIENT)
    for table, clean in (
        ("volunteers", res.volunteers),
        ("requests", res.requests),
        ("assignments", res.assignments),
    ):
        rejected = int((res.rejected["table"] == table).sum())
        assert len(clean) + rejected == res.rows_read[table]
    assert 0 < len(res.requests) < 30_000
    assert set(res.problems["rule"]) >= {"vocabulary", "type", "rejected_reference"}
