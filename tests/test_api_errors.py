"""The public API's error contract: every failure a LotsenMatchError naming what was wrong.

match(), match_validated(), validate_caseload() and read_table() with arguments of the wrong
type or shape (issue 12.6): before, None gave a KeyError, MultiIndex columns an AttributeError,
an int path a TypeError from pathlib, a dict config an AttributeError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.errors import (
    ArgumentError,
    ArgumentTypeError,
    InputFileNotFoundError,
    InputFormatError,
    InputValidationError,
    LotsenMatchError,
)
from lotsen_match.io import read_table
from lotsen_match.validation import validate_caseload

CFG = lm.MatchConfig(as_of=dt.date(2026, 11, 2))
CASE = lm.generate_caseload(4, 12, seed=3)
VOL, REQ = CASE.volunteers, CASE.requests


def _multiindex(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = pd.MultiIndex.from_tuples([(c, "x") for c in frame.columns])
    return out


WRONG_TABLES: list[tuple[str, Any]] = [
    ("None", None),
    ("int", 5),
    ("float", 1.5),
    ("bytes path", b"volunteers.csv"),
    ("empty path", ""),
    ("list of ints", [1, 2]),
    ("list of lists", [["V1", "de:native"]]),
    ("dict of lists", {"volunteer_id": ["V1"]}),
    ("Series", VOL["volunteer_id"]),
    ("MultiIndex columns", _multiindex(VOL)),
]


@pytest.mark.parametrize(("label", "bad"), WRONG_TABLES, ids=[w[0] for w in WRONG_TABLES])
@pytest.mark.parametrize("position", ["volunteers", "requests"])
def test_match_refuses_a_wrong_table_naming_the_argument(
    label: str, bad: Any, position: str
) -> None:
    args = {"volunteers": VOL, "requests": REQ, position: bad}
    with pytest.raises(ArgumentTypeError) as err:
        lm.match(args["volunteers"], args["requests"], config=CFG)
    assert err.value.argument == position
    text = str(err.value)
    assert text.startswith(f"{position}: expected ")
    assert ("one level of column names" if "MultiIndex" in label else "a pandas DataFrame") in text
    # Old callers caught TypeError (MultiIndex) or ValueError: both still work.
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)


def test_match_names_the_item_of_a_list_that_is_not_a_dict() -> None:
    rows = VOL.to_dict("records")
    with pytest.raises(ArgumentError, match=r"volunteers: .*item 2 is int 7, not a dict"):
        lm.match([*rows[:2], 7], REQ, config=CFG)


def test_a_list_of_dicts_is_a_table() -> None:
    from_records = lm.match(VOL.to_dict("records"), REQ.to_dict("records"), config=CFG)
    from_frames = lm.match(VOL, REQ, config=CFG)
    pd.testing.assert_frame_equal(from_records.proposals, from_frames.proposals)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"assignments": 5}, "assignments"),
        ({"config": {"as_of": "2026-11-02"}}, "config"),
        ({"config": CFG, "strict": "yes"}, "strict"),
        ({"config": CFG, "strict": 1}, "strict"),
        ({"config": CFG, "timer": object()}, "timer"),
    ],
)
def test_match_refuses_other_wrong_arguments(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        lm.match(VOL, REQ, **kwargs)
    assert err.value.argument == argument


def test_tables_without_columns_or_with_duplicate_ones_are_validation_problems() -> None:
    with pytest.raises(InputValidationError) as err:
        lm.match(pd.DataFrame(), REQ, config=CFG)
    assert set(err.value.problems["rule"]) == {"missing_column"}
    dup = pd.concat([VOL, VOL[["capacity"]]], axis=1)
    with pytest.raises(InputValidationError) as err:
        lm.match(dup, REQ, config=CFG)
    assert list(err.value.problems["rule"]) == ["duplicate_column"]
    assert "column 'capacity' appears 2 times" in str(err.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputFileNotFoundError) as err:
        lm.match(tmp_path / "nowhere.csv", REQ, config=CFG)
    assert isinstance(err.value, FileNotFoundError) and err.value.filename.endswith("nowhere.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InputFormatError, match="is a directory"):
        lm.match(tmp_path / "dir.csv", REQ, config=CFG)


def test_match_validated_refuses_what_validate_caseload_did_not_make() -> None:
    with pytest.raises(ArgumentError, match="caseload: expected what validate_caseload"):
        lm.match_validated(None, CFG)  # type: ignore[arg-type]
    caseload = validate_caseload(VOL, REQ, config=CFG)
    with pytest.raises(ArgumentTypeError) as err:
        lm.match_validated(caseload, None)  # type: ignore[arg-type]
    assert err.value.argument == "config"
    raw = lm.ValidatedCaseload(
        volunteers=VOL,
        requests=REQ,
        assignments=caseload.assignments,
        rejected=caseload.rejected,
        problems=caseload.problems,
        rows_read=caseload.rows_read,
    )
    with pytest.raises(ArgumentError, match=r"volunteers: clean frame lacks column"):
        lm.match_validated(raw, CFG)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: validate_caseload(None, REQ, config=CFG), "volunteers"),
        (lambda: validate_caseload(VOL, "requests.csv", config=CFG), "requests"),
        (lambda: validate_caseload(VOL, REQ, [], config=CFG), "assignments"),
        (lambda: validate_caseload(_multiindex(VOL), REQ, config=CFG), "volunteers"),
        (lambda: validate_caseload(VOL, REQ, config=None), "config"),
        (lambda: validate_caseload(VOL, REQ, config=CFG, strict="no"), "strict"),
    ],
)
def test_validate_caseload_refuses_wrong_arguments(
    call: Callable[[], object], argument: str
) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        call()
    assert err.value.argument == argument


def test_read_table_refuses_wrong_arguments() -> None:
    for bad in (None, 5, [1], _multiindex(VOL)):
        with pytest.raises(ArgumentTypeError) as err:
            read_table(bad, table="volunteers")
        assert err.value.argument == "source"
    with pytest.raises(ArgumentError, match="table: expected"):
        read_table(VOL, table=None)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="column_mapping: expected"):
        read_table(VOL, table="volunteers", column_mapping=5)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="sheet: expected"):
        read_table(VOL, table="volunteers", sheet=1.5)  # type: ignore[arg-type]


def test_read_table_value_problems_are_library_errors() -> None:
    with pytest.raises(ArgumentError, match="maps 'sprachen' to both"):
        read_table(
            VOL, table="volunteers", column_mapping={"Sprachen": "languages", "sprachen": "x"}
        )
    with pytest.raises(ArgumentError, match="would both be named"):
        read_table(VOL, table="volunteers", column_mapping={"capacity": "languages"})
    with pytest.raises(ArgumentError, match="integer row numbers"):
        read_table(VOL.assign(_row="x"), table="volunteers")


SWEEP: list[Any] = [None, 0, -1, 1.5, float("nan"), "", " ", b"x", [], [None], {}, (), object()]


@pytest.mark.parametrize("bad", SWEEP, ids=[repr(b)[:20] for b in SWEEP])
def test_no_argument_of_any_type_escapes_the_error_contract(bad: Any) -> None:
    """Each argument of each entry point in turn: either it works or a LotsenMatchError."""
    calls: list[Callable[[], object]] = [
        lambda: lm.match(bad, REQ, config=CFG),
        lambda: lm.match(VOL, bad, config=CFG),
        lambda: lm.match(VOL, REQ, bad, config=CFG),
        lambda: lm.match(VOL, REQ, config=bad),
        lambda: lm.match(VOL, REQ, config=CFG, strict=bad),
        lambda: lm.match_validated(bad, CFG),
        lambda: validate_caseload(bad, REQ, config=CFG),
        lambda: validate_caseload(VOL, REQ, bad, config=CFG),
        lambda: validate_caseload(VOL, REQ, config=bad),
        lambda: read_table(bad, table="volunteers"),
        lambda: read_table(VOL, table=bad),
        lambda: read_table(VOL, table="volunteers", column_mapping=bad),
        lambda: read_table(VOL, table="volunteers", sheet=bad),
    ]
    for call in calls:
        with contextlib.suppress(LotsenMatchError):
            call()
