"""Checks of the public API's arguments: a wrong type becomes one clear :class:`ArgumentError`.

Without them Python fails somewhere inside, far from the mistake and outside the error contract
(everything the library raises is a :class:`~.errors.LotsenMatchError`): ``match(None, ...)``
gave a KeyError, a config dict an AttributeError, an int path a TypeError from pathlib, and
MultiIndex columns an AttributeError deep in validation. Classes are passed in by the callers,
so this module imports nothing of the library but its errors (no import cycles).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

import pandas as pd
from pydantic import BaseModel

from .errors import ArgumentError, ArgumentTypeError

__all__ = [
    "CONFIG_HELP",
    "FRAME_HELP",
    "TABLE_HELP",
    "TableSource",
    "check_choice",
    "check_flag",
    "check_frame",
    "check_frames",
    "check_instance",
    "check_table_source",
    "describe",
    "records_frame",
]

#: What a table argument may be (match() and read_table()).
TABLE_HELP: Final[str] = (
    "a pandas DataFrame, a path (str or os.PathLike) to a CSV, Parquet or Excel file, or a list "
    "of dicts or records (lm.Volunteer, lm.HelpRequest, lm.Assignment) with one per row"
)
#: What a raw table argument of validate_caseload() may be.
FRAME_HELP: Final[str] = "a pandas DataFrame (read files with lotsen_match.read_table)"
#: What a config argument may be.
CONFIG_HELP: Final[str] = (
    "a lotsen_match.MatchConfig (build one with MatchConfig(...) or MatchConfig.from_toml(path))"
)
_T = TypeVar("_T")
#: A table argument of the public API.
TableSource = pd.DataFrame | str | os.PathLike[str] | Sequence[Mapping[str, Any] | BaseModel]


def describe(value: object) -> str:
    """A short description of ``value`` for a message: its type, and short scalars themselves."""
    if value is None:
        return "None"
    name = type(value).__name__
    if isinstance(value, bool | int | float | str | bytes):
        shown = repr(value)
        return f"{name} {shown if len(shown) <= 40 else shown[:39] + '…'}"
    if isinstance(value, pd.DataFrame | pd.Series | Sequence | Mapping):
        return f"{name} of length {len(value)}"
    return name


def check_instance(
    value: object, cls: type[_T], argument: str, expected: str, *, optional: bool = False
) -> _T | None:
    """``value`` if it is a ``cls`` (or None when ``optional``), else :class:`ArgumentError`."""
    if isinstance(value, cls) or (optional and value is None):
        return value
    raise ArgumentTypeError(argument, expected, describe(value))


def check_choice(value: object, choices: Sequence[str], argument: str) -> str:
    """``value`` if it is one of ``choices``, else :class:`ArgumentError` listing them.

    A lookup table keyed by the choices (texts per language, say) would raise a bare
    KeyError for anything else.
    """
    if isinstance(value, str) and value in choices:
        return value
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    raise ArgumentError(f"{argument}: {shown} is not valid; valid: {', '.join(choices)}")


def check_flag(value: object, argument: str) -> bool | None:
    """``True``, ``False`` or ``None`` (numpy booleans too); anything else is refused."""
    if value is None or isinstance(value, bool):
        return value
    if type(value).__name__ == "bool_":  # numpy.bool_ without importing numpy here
        return bool(value)
    raise ArgumentTypeError(argument, "True, False or None", describe(value))


def check_frame(frame: pd.DataFrame, argument: str) -> pd.DataFrame:
    """A DataFrame the readers and validators can use: one level of column names."""
    if isinstance(frame.columns, pd.MultiIndex):
        raise ArgumentTypeError(
            argument,
            "a DataFrame with one level of column names (flatten the MultiIndex columns, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns])",
            f"DataFrame with {frame.columns.nlevels} levels of column names",
        )
    return frame


def check_table_source(value: object, argument: str, *, optional: bool = False) -> Any:
    """A table argument: a DataFrame, a path, a list of dicts (or None when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, pd.DataFrame):
        return check_frame(value, argument)
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if not isinstance(path, str) or not path.strip():
            raise ArgumentTypeError(argument, TABLE_HELP, f"the empty or non-text path {path!r}")
        return value
    if isinstance(value, list | tuple):
        # One check per row type, not per row (100k dicts cost milliseconds).
        row_types = (Mapping, BaseModel)
        if all(issubclass(kind, row_types) for kind in set(map(type, value))):
            return value
        bad = next(i for i, row in enumerate(value) if not isinstance(row, row_types))
        raise ArgumentTypeError(
            argument,
            TABLE_HELP,
            f"{describe(value)} whose item {bad} is {describe(value[bad])}, not a dict",
        )
    raise ArgumentTypeError(
        argument,
        TABLE_HELP + (" (None only where a table is optional)" if value is None else ""),
        describe(value),
    )


def check_frames(frames: Mapping[str, object], optional: Sequence[str] = ()) -> None:
    """Raw tables given as DataFrames (``optional`` ones may be None), one column level each."""
    for argument, frame in frames.items():
        if frame is None and argument in optional:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise ArgumentTypeError(argument, FRAME_HELP, describe(frame))
        check_frame(frame, argument)


def records_frame(
    rows: Sequence[Mapping[str, Any] | BaseModel], columns: Sequence[str] = ()
) -> pd.DataFrame:
    """A DataFrame from a list of dicts or records (checked by :func:`check_table_source`).

    One row each, converted in bulk: records (``lm.Volunteer``, ...) give their field values,
    and list cells (``["ar:native", "de:B1"]``) become the contract's
    ``;``-joined text. Nothing is checked per row here; the table validation does that.
    An empty list gives an empty table with ``columns``.
    """
    items: list[Any] = list(rows)
    if not items:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    if any(issubclass(kind, BaseModel) for kind in set(map(type, items))):
        # A record's fields are already checked and flat (list cells joined by the models):
        # its attribute dict is the row, which is much cheaper than a model dump per record.
        items = [
            {**item.__dict__, **(item.__pydantic_extra__ or {})}
            if isinstance(item, BaseModel)
            else item
            for item in items
        ]
    frame = pd.DataFrame.from_records(items)
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column].tolist()
            if any(issubclass(kind, list | tuple) for kind in set(map(type, values))):
                frame[column] = [
                    ";".join(map(str, v)) if isinstance(v, list | tuple) else v for v in values
                ]
    return frame
