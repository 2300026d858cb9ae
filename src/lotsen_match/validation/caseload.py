"""Cross-table rules and the strict/lenient decision for a whole caseload.

Assignments only make sense against the volunteers and requests that survived validation: a pair
naming a rejected row is rejected too (the cascade), so the matching core never sees a reference
it cannot resolve. Strict mode raises one error listing every problem of every table, because a
coordinator fixing a file wants the whole list, not one problem per run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..arguments import CONFIG_HELP, check_flag, check_frames, check_instance
from ..config import MatchConfig
from ..errors import InputValidationError
from ..ingest.options import check_ingest_settings
from . import parsers as p
from .hints import column_hints
from .notices import empty_notices
from .problems import ObjArray, empty_problems, empty_rejected, label_order
from .references import NoticeCollector, check_reference, check_request_references
from .tables import (
    CHECKS,
    MAX_NAMED_ROWS,
    REQUIRED_COLUMNS,
    TableCheck,
    ValidatedTable,
    column_problems,
)

__all__ = [
    "BoolArray",
    "ValidatedCaseload",
    "check_references",
    "validate_caseload",
]


logger = logging.getLogger(__name__)

_NOUNS_DE = {"request": "Anfrage", "volunteer": "Lotsin/Lotse"}

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ValidatedCaseload:
    """Clean volunteers, requests and assignments plus everything that was rejected and why.

    Nothing is lost: for every table ``t``, ``rows_read[t]`` is the clean rows of ``t`` plus
    its rejected rows. Built by [`validate_caseload`][lotsen_match.validate_caseload].

    Attributes
    ----------
    volunteers
        Clean volunteers: typed columns (dates, numbers, codes), one row per valid input row.
    requests
        Clean requests.
    assignments
        Clean assignments (empty, with the contract's columns, when none were given).
    rejected
        One row per rejected input row (lenient mode), with its messages.
    problems
        Every problem found: table, source, row, column, value, rule, message.
    rows_read
        Rows read per table name.
    notices
        References in valid rows that name no row at all (an excluded volunteer who has
        left, say): they stop nothing, and the run says so.
    """

    volunteers: pd.DataFrame
    requests: pd.DataFrame
    assignments: pd.DataFrame
    rejected: pd.DataFrame
    problems: pd.DataFrame
    rows_read: dict[str, int]
    notices: pd.DataFrame = field(default_factory=empty_notices)


def validate_caseload(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None = None,
    *,
    config: MatchConfig,
    strict: bool | None = None,
) -> ValidatedCaseload:
    """Validate all tables, then the references between them.

    Missing required columns raise in both modes, since nothing sensible can follow.
    Otherwise strict mode raises one error with every problem of every table, and lenient
    mode returns the clean rows next to the rejected ones. An assignment naming a rejected
    row is rejected too, so the matching never sees a reference it cannot resolve.

    Parameters
    ----------
    volunteers
        The raw volunteers, as [`read_table`][lotsen_match.read_table] returns them.
    requests
        The raw requests.
    assignments
        The raw assignments; None when there are none.
    config
        Its ``ingest`` section says how cells are read (vocabulary, message language,
        separators, date formats, geocoding) and nothing else does; an import profile is
        such a config (``MatchConfig.from_toml("profil.toml")``).
    strict
        Strict or lenient; None follows ``config.strict``.

    Returns
    -------
    ValidatedCaseload
        The clean tables, the rejected rows with their problems, and the notices.

    Raises
    ------
    InputValidationError
        Missing required columns (both modes) or invalid rows (strict mode); its
        ``problems`` table names file, row, column and value.
    ArgumentTypeError
        A table that is not a DataFrame (or has MultiIndex columns), a config that is not a
        ``MatchConfig``, ``strict`` not a bool.
    ConfigError
        A setting of ``config.ingest`` that fails in use: a synonym for an unknown code, a
        places table that cannot be read, a ``near`` that names no single place.
    """
    check_frames(
        {"volunteers": volunteers, "requests": requests, "assignments": assignments},
        optional=("assignments",),
    )
    check_instance(config, MatchConfig, "config", CONFIG_HELP)
    strict = check_flag(strict, "strict")
    strict = config.strict if strict is None else strict
    raws = {
        "volunteers": volunteers,
        "requests": requests,
        "assignments": assignments if assignments is not None else _no_assignments(),
    }
    opts = config.ingest
    check_ingest_settings(opts)  # synonyms, places table and `near`: refused before any row
    header_problems = [
        column_problems(table, raw, geocode=opts.geocode) for table, raw in raws.items()
    ]
    if any(len(frame) for frame in header_problems):
        raise InputValidationError(_concat([f for f in header_problems if len(f)]))

    checks = {table: CHECKS[table](raw, config) for table, raw in raws.items()}
    notices = check_references(checks["volunteers"], checks["requests"], checks["assignments"])
    results: dict[str, ValidatedTable] = {t: c.result() for t, c in checks.items()}

    problems = _concat([r.problems for r in results.values()])
    problems = _concat([column_hints(problems, raws, opts), problems])
    for table, res in results.items():
        logger.info(
            "%s: %d rows read, %d accepted, %d rejected",
            table,
            res.rows_read,
            len(res.clean),
            len(res.rejected),
        )
    if strict and len(problems):
        raise InputValidationError(problems)
    if len(notices):
        logger.warning("%d reference(s) name an id that no input row has (notices)", len(notices))
    rejected = [r.rejected for r in results.values() if len(r.rejected)]
    return ValidatedCaseload(
        volunteers=results["volunteers"].clean,
        requests=results["requests"].clean,
        assignments=results["assignments"].clean,
        rejected=pd.concat(rejected, ignore_index=True) if rejected else empty_rejected(),
        problems=problems,
        rows_read={t: r.rows_read for t, r in results.items()},
        notices=notices,
    )


def check_references(vol: TableCheck, req: TableCheck, asg: TableCheck) -> pd.DataFrame:
    """Cross-table rules; returns the notices (references in valid rows naming no row).

    Requests' references come first, so pairs naming a request rejected for a misspelt
    reference cascade; the assignment rules then see the rows that passed every earlier rule.

    ``ended`` rows are history: their request is usually closed (no longer in the export of
    open requests) and their volunteer may have left, so the reference rules skip them (no
    problem, no notice). They are kept as they are; the matching core uses the ones it can
    resolve (continuity) and ignores the rest, and :mod:`lotsen_match.learn` reads them with
    the closed requests and former volunteers alongside.
    """
    notices = NoticeCollector()
    check_request_references(vol, req, notices)
    _references(asg, "request_id", req, "request", notices)
    _references(asg, "volunteer_id", vol, "volunteer", notices)
    _multiple_active(asg)
    _household_conflicts(asg, req)
    return notices.frame()


def _references(
    asg: TableCheck, column: str, target: TableCheck, noun: str, notices: NoticeCollector
) -> None:
    """Near misses and unknown ids (:func:`.references.check_reference`), then the cascade:
    reject pairs naming a row that was rejected."""
    ids = asg.values[column]
    ids_text = asg.text(column)
    target_ids = target.text(target.id_column)
    target_bad = target.problems.bad
    present = (ids != "") & (asg.values["status"] != "ended")  # history: see check_references
    alive = ~asg.problems.bad & present
    check_reference(
        asg, column, p.select(ids_text, present), np.flatnonzero(present), target, notices
    )
    if not target_bad.any():
        return
    rejected_ids = target.ids[target_bad]
    # An id of a rejected row is in no clean row (a duplicate id rejects all its rows).
    cascade = alive & p.is_in(ids_text, p.select(target_ids, target_bad))
    if cascade.any():
        wanted = set(ids[cascade])
        rows: dict[str, list[Any]] = {}
        for key, label in zip(rejected_ids, target.problems.labels[target_bad], strict=True):
            if key in wanted:
                rows.setdefault(key, []).append(label)
        noun_de = _NOUNS_DE[noun]
        by_id = {
            key: asg.say(
                f"{noun} {p.quote(key)} was rejected ({target.source}, row(s) "
                f"{_listing(sorted(labels, key=label_order))}); fix that row and this pair is kept",
                f"{noun_de} {p.quote(key)} wurde abgelehnt ({target.source}, Zeile(n) "
                f"{_listing(sorted(labels, key=label_order))}); wird die Zeile korrigiert, "
                "bleibt dieses Paar erhalten",
            )
            for key, labels in rows.items()
        }
        asg.add(cascade, column, "rejected_reference", _map(ids[cascade], by_id))


def _multiple_active(asg: TableCheck) -> None:
    """A request has at most one ``active`` volunteer: reject every active row of a conflict."""
    requests = asg.values["request_id"]
    pos = np.flatnonzero(~asg.problems.bad & (asg.values["status"] == "active"))
    dup = pd.Series(requests[pos], dtype=object).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    bad = pos[dup]
    volunteers = _volunteers_by(requests[bad], asg.values["volunteer_id"][bad])
    by_request = {
        key: asg.say(
            f"request {p.quote(key)} has {len(vols)} active assignments (volunteers "
            f"{_listing(vols)}); a request has at most one active volunteer: keep one row active",
            f"Anfrage {p.quote(key)} hat {len(vols)} aktive Zuordnungen (Lotsen "
            f"{_listing(vols)}); eine Anfrage hat höchstens eine aktive Lotsin oder einen "
            "aktiven Lotsen: nur eine Zeile aktiv lassen",
        )
        for key, vols in volunteers.items()
    }
    asg.add(bad, "status", "multiple_active", _map(requests[bad], by_request))


def _household_conflicts(asg: TableCheck, req: TableCheck) -> None:
    """One contact person per household: active pairs of one household must share the volunteer."""
    pos = np.flatnonzero(~asg.problems.bad & (asg.values["status"] == "active"))
    if not len(pos):
        return
    clean = ~req.problems.bad
    household_of = pd.Series(req.values["household_id"][clean], index=req.ids[clean], dtype=object)
    households = (
        pd.Series(asg.values["request_id"][pos], dtype=object)
        .map(household_of)
        .astype(object)  # all-NaN when no pair names a known request
        .fillna("")
        .to_numpy(dtype=object)
    )
    pos, households = pos[households != ""], households[households != ""]
    volunteers = asg.values["volunteer_id"][pos]
    n_volunteers = (
        pd.DataFrame({"h": households, "v": volunteers}, dtype=object)
        .groupby("h")["v"]
        .transform("nunique")
        .to_numpy()
    )
    conflict = n_volunteers > 1
    if not conflict.any():
        return
    by_household = {
        key: asg.say(
            f"household {p.quote(key)} has active assignments to {len(vols)} volunteers "
            f"({_listing(vols)}); one household has one contact person: keep its requests "
            "with one volunteer",
            f"Haushalt {p.quote(key)} ist {len(vols)} Lotsen aktiv zugeordnet "
            f"({_listing(vols)}); ein Haushalt hat eine Ansprechperson: seine Anfragen bei "
            "einer Lotsin oder einem Lotsen lassen",
        )
        for key, vols in _volunteers_by(households[conflict], volunteers[conflict]).items()
    }
    asg.add(
        pos[conflict],
        "volunteer_id",
        "household_active_conflict",
        _map(households[conflict], by_household),
    )


# ------------------------------------------------------------------------------------------------
# helpers


def _no_assignments() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in REQUIRED_COLUMNS["assignments"]})
    frame.attrs["source"] = "<no assignments>"
    return frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_problems()
    return pd.concat(frames, ignore_index=True)


def _map(keys: ObjArray, messages: dict[str, str]) -> ObjArray:
    return pd.Series(keys, dtype=object).map(messages).to_numpy(dtype=object)


def _volunteers_by(keys: ObjArray, volunteers: ObjArray) -> dict[str, list[str]]:
    frame = pd.DataFrame({"k": keys, "v": volunteers}, dtype=object)
    return {str(k): sorted(set(map(str, v))) for k, v in frame.groupby("k")["v"]}


def _listing(items: list[Any]) -> str:
    shown = ", ".join(str(i) for i in items[:MAX_NAMED_ROWS])
    return shown + (f", ... ({len(items)} in all)" if len(items) > MAX_NAMED_ROWS else "")
