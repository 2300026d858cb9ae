"""Single records of the three input tables, for case software that works one row at a time.

``Volunteer``, ``HelpRequest`` and ``Assignment`` have one field per contract column
(:data:`~lotsen_match.contract.INPUT_COLUMNS`, the history columns of assignments included), with
the contract's meanings as descriptions and ``None`` for an empty cell; their JSON Schema
(``lotsen-match schema``) is part of the contract for systems not written in Python.

The models check only the shape: types, required fields, unknown field names. What a value
means -- language codes and levels, need types, time slots, genders, statuses, coordinates in
range, German words under ``vocabulary = "de"`` -- is checked by the same vectorised
validation as the tables, so a record and a table row never disagree. Lists of records (or
dicts) are tables: ``match()``, ``read_table`` and ``Matcher`` convert them in bulk.

Invalid records raise :class:`~lotsen_match.errors.InputValidationError` naming field and value;
pydantic's own ``ValidationError`` never reaches the caller.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Final, Self

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .contract import INPUT_COLUMNS
from .errors import InputValidationError
from .validation.problems import PROBLEM_COLUMNS

__all__ = [
    "RECORD_TYPES",
    "Assignment",
    "HelpRequest",
    "Record",
    "Volunteer",
    "record_error",
    "record_json_schemas",
]

#: Source name of problems found in a record's shape.
RECORDS_SOURCE: Final[str] = "<record>"


def _meaning(table: str, column: str) -> str:
    """The contract's meaning of a column (one definition for docs, CLI and records)."""
    meanings = {found.name: found.meaning for found in INPUT_COLUMNS[table]}
    return meanings[column]


def _join_list(value: Any) -> Any:
    """``["ar:native", "de:B1"]`` -> ``"ar:native;de:B1"``: list cells as the contract writes."""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


ListText = Annotated[str, BeforeValidator(_join_list)]
OptionalListText = Annotated[str | None, BeforeValidator(_join_list)]


def _field(table: str, column: str, *, required: bool = False) -> Any:
    description = _meaning(table, column)
    if required:
        return Field(description=description)
    return Field(None, description=description)


class Record(BaseModel):
    """Common behaviour: immutable, unknown fields refused, pydantic errors translated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The table the record belongs to (``volunteers``, ``requests``, ``assignments``).
    table: ClassVar[str] = ""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise record_error(exc, type(self)) from None

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Self:
        """Validate a dict (or another object) into this record.

        Pydantic's own method would raise its ``ValidationError``; this one keeps the
        library's error contract.

        Parameters
        ----------
        obj
            A dict of fields, a record of this type (returned as is), or an object pydantic
            validates (with ``from_attributes``, say).
        strict, from_attributes, context, **kwargs
            Passed on to pydantic for objects that are not dicts.

        Returns
        -------
        Self
            The record.

        Raises
        ------
        InputValidationError
            A required field missing, an unknown field or a value of the wrong type.
        """
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, Mapping):
            return cls(**{str(k): v for k, v in obj.items()})
        try:
            return super().model_validate(
                obj, strict=strict, from_attributes=from_attributes, context=context, **kwargs
            )
        except ValidationError as exc:
            raise record_error(exc, cls) from None

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Self:
        """Validate a JSON object into this record.

        Parameters
        ----------
        json_data
            One JSON object with the record's fields.
        strict, context, **kwargs
            Accepted for pydantic's signature; the object's fields are validated as
            keyword arguments of the constructor.

        Returns
        -------
        Self
            The record.

        Raises
        ------
        InputValidationError
            Text that is not JSON or not an object, or fields the record refuses.
        """
        try:
            data = json.loads(json_data)
        except ValueError as exc:
            raise _problem(cls, "record", str(json_data)[:80], f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _problem(cls, "record", str(data)[:80], "a JSON object is needed")
        return cls(**data)


class Volunteer(Record):
    """One volunteer (Integrationslotsin / Integrationslotse): a row of ``volunteers``.

    One field per contract column, ``None`` for an empty cell; list cells may be lists
    (``languages=["ar:native", "de:B1"]``). Give ``lat`` and ``lon``, or a ``place`` (or
    ``postal_code``) to look them up. Only the shape is checked here; what a value means is
    checked by the table validation when the record is used, so that a record and a table row
    never disagree.

    Attributes
    ----------
    volunteer_id
        Unique pseudonymous id.
    languages : str | list[str]
        Languages spoken, code:level joined by ';' (ar:native;de:B1).
    lat
        Home latitude, WGS84 (or give place).
    lon
        Home longitude, WGS84 (or give place).
    place
        Place name, looked up where lat and lon are empty.
    postal_code
        Postal code, looked up in an own places table.
    max_distance_km
        How far the volunteer travels (default 10 km).
    need_types : str | list[str]
        Need types taken on.
    availability : str | list[str] | None
        Time slots; empty = any time.
    capacity
        Households accompanied at once.
    gender
        One of f, m, d or empty.
    certified_on
        Completion of the qualification.
    modules : str | list[str] | None
        Training modules completed.
    police_check_until
        Extended certificate of conduct valid until.
    available_from
        Start of the active period.
    available_until
        End of the active period.
    status
        One of active, inactive or paused; empty = active; only active volunteers are
        proposed.

    Raises
    ------
    InputValidationError
        A required field missing, an unknown field (with the nearest name) or a value of
        the wrong type; one problem per field, never pydantic's own error.
    """

    table: ClassVar[str] = "volunteers"

    volunteer_id: str = _field("volunteers", "volunteer_id", required=True)
    languages: ListText = _field("volunteers", "languages", required=True)
    lat: float | None = _field("volunteers", "lat")
    lon: float | None = _field("volunteers", "lon")
    place: str | None = _field("volunteers", "place")
    postal_code: str | None = _field("volunteers", "postal_code")
    max_distance_km: float | None = _field("volunteers", "max_distance_km")
    need_types: ListText = _field("volunteers", "need_types", required=True)
    availability: OptionalListText = _field("volunteers", "availability")
    capacity: int = _field("volunteers", "capacity", required=True)
    gender: str | None = _field("volunteers", "gender")
    certified_on: dt.date | None = _field("volunteers", "certified_on")
    modules: OptionalListText = _field("volunteers", "modules")
    police_check_until: dt.date | None = _field("volunteers", "police_check_until")
    available_from: dt.date | None = _field("volunteers", "available_from")
    available_until: dt.date | None = _field("volunteers", "available_until")
    status: str | None = _field("volunteers", "status")


class HelpRequest(Record):
    """One help request of a person or household: a row of ``requests``.

    One field per contract column, ``None`` for an empty cell; list cells may be lists. Give
    ``lat`` and ``lon``, or a ``place`` (or ``postal_code``) to look them up. As for
    [`Volunteer`][lotsen_match.Volunteer], only the shape is checked here.

    Attributes
    ----------
    request_id
        Unique pseudonymous id.
    household_id
        Requests of one household share it.
    languages : str | list[str]
        Languages of the person(s) seeking help, code:level joined by ';'.
    lat
        Latitude, WGS84 (or give place).
    lon
        Longitude, WGS84 (or give place).
    place
        Place name, looked up where lat and lon are empty.
    postal_code
        Postal code, looked up in an own places table.
    need_type
        One need type.
    availability : str | list[str] | None
        Time slots; empty = any time.
    created_on
        When the request was opened.
    due_on
        Date of the appointment, if any.
    involves_minors
        Minors take part: yes requires a valid police check.
    preferred_gender
        A hard preference (f, m, d) or empty.
    excluded_volunteers : str | list[str] | None
        Volunteer ids that must not be proposed.
    previous_volunteer_id
        Who accompanied the household before.

    Raises
    ------
    InputValidationError
        A required field missing, an unknown field (with the nearest name) or a value of
        the wrong type; one problem per field, never pydantic's own error.
    """

    table: ClassVar[str] = "requests"

    request_id: str = _field("requests", "request_id", required=True)
    household_id: str | None = _field("requests", "household_id")
    languages: ListText = _field("requests", "languages", required=True)
    lat: float | None = _field("requests", "lat")
    lon: float | None = _field("requests", "lon")
    place: str | None = _field("requests", "place")
    postal_code: str | None = _field("requests", "postal_code")
    need_type: str = _field("requests", "need_type", required=True)
    availability: OptionalListText = _field("requests", "availability")
    created_on: dt.date = _field("requests", "created_on", required=True)
    due_on: dt.date | None = _field("requests", "due_on")
    involves_minors: bool | None = _field("requests", "involves_minors")
    preferred_gender: str | None = _field("requests", "preferred_gender")
    excluded_volunteers: OptionalListText = _field("requests", "excluded_volunteers")
    previous_volunteer_id: str | None = _field("requests", "previous_volunteer_id")


class Assignment(Record):
    """One pair of the ``assignments`` table: the state before a run, and its history.

    Attributes
    ----------
    request_id
        The request of the pair.
    volunteer_id
        The volunteer of the pair.
    status
        One of active (ongoing, fixed), proposed (last run's open proposal), declined (never
        again) or ended (history: no capacity, blocks nothing, counts for continuity and
        learning).
    started_on
        History: when the accompaniment began.
    ended_on
        History: when it ended (not before started_on; on ended or declined rows).
    end_reason
        Why it ended (on ended or declined rows): completed, no_longer_needed,
        newcomer_moved, volunteer_dropout, language_mismatch, personal_mismatch,
        declined_by_coordinator, declined_by_volunteer, declined_by_newcomer or other;
        completed counts as success for lotsen-match learn.
    decided_by
        Who made the decision: auto or coordinator.

    Raises
    ------
    InputValidationError
        A required field missing, an unknown field (with the nearest name) or a value of
        the wrong type; one problem per field, never pydantic's own error.
    """

    table: ClassVar[str] = "assignments"

    request_id: str = _field("assignments", "request_id", required=True)
    volunteer_id: str = _field("assignments", "volunteer_id", required=True)
    status: str = _field("assignments", "status", required=True)
    started_on: dt.date | None = _field("assignments", "started_on")
    ended_on: dt.date | None = _field("assignments", "ended_on")
    end_reason: str | None = _field("assignments", "end_reason")
    decided_by: str | None = _field("assignments", "decided_by")


#: Record model per table.
RECORD_TYPES: Final[dict[str, type[Record]]] = {
    "volunteers": Volunteer,
    "requests": HelpRequest,
    "assignments": Assignment,
}


def record_json_schemas() -> dict[str, Any]:
    """JSON Schema of each record model by model name (``lotsen-match schema`` prints it)."""
    return {model.__name__: model.model_json_schema() for model in RECORD_TYPES.values()}


def record_error(exc: ValidationError, model: type[Record]) -> InputValidationError:
    """The library's error for a record pydantic refused: one problem per field, with value."""
    names = sorted(model.model_fields)
    rows = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "record"
        value = err.get("input")
        if err["type"] == "missing":
            message = f"{field} is required ({model.model_fields[field].description})"
            value = None
        elif err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(field, names, n=1)
            message = f"{field!r} is not a field of {model.__name__}" + (
                f"; did you mean {close[0]!r}?" if close else f"; fields: {', '.join(names)}"
            )
        else:
            message = f"{err['msg']} (got {value!r})"
        rows.append(
            {
                "table": model.table,
                "source": RECORDS_SOURCE,
                "row": 0,
                "column": field,
                "value": "" if value is None else str(value)[:80],
                "rule": str(err["type"]),
                "message": f"{model.__name__}: {message}",
            }
        )
    return InputValidationError(pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS)))


def _problem(model: type[Record], field: str, value: str, message: str) -> InputValidationError:
    problem = {
        "table": model.table,
        "source": RECORDS_SOURCE,
        "row": 0,
        "column": field,
        "value": value,
        "rule": "record",
        "message": f"{model.__name__}: {message}",
    }
    return InputValidationError(pd.DataFrame([problem], columns=list(PROBLEM_COLUMNS)))
