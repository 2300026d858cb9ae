"""Per-table rules of the contract: one column-wise check per rule, each failure one problem record.

Every check works on whole columns (numpy/pandas) and reports failing rows through a
:class:`~.problems.ProblemCollector`; a row with any problem is rejected as a whole, so the clean
frame only holds rows the matching core can trust. Cross-table rules live in :mod:`.caseload`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import IngestSettings, MatchConfig
from ..contract import CLEAN_DTYPES, PLACE_COLUMNS
from ..core.vocab import (
    ALL_SLOTS,
    ASSIGNMENT_STATUSES,
    DECIDERS,
    END_REASONS,
    GENDERS,
    MODULE_BIT,
    MODULES,
    NEED_TYPES,
    SLOT_BIT,
    SLOTS,
    VOLUNTEER_STATUSES,
)
from ..errors import InputValidationError
from ..ingest.options import german_vocabulary
from . import german as g
from . import parsers as p
from .geocoding import coordinates_with_places
from .hints import header_hints
from .id_rules import check_household_spelling, check_id_format
from .ids import id_list_parser
from .problems import (
    HEADER_ROW,
    MAX_VALUE_CHARS,
    ObjArray,
    ProblemCollector,
    as_positions,
    empty_problems,
    label_order,
    row_labels,
    truncate,
)

__all__ = [
    "BOOL_HELP_DE",
    "CHECKS",
    "DATE_HELP_DE",
    "GENDER_NOUN",
    "MAX_NAMED_ROWS",
    "MEANINGS_DE",
    "NEED_BIT",
    "PAIR_SEP",
    "PLACE_COLUMNS",
    "REQUIRED_COLUMNS",
    "BoolArray",
    "IntpArray",
    "TableCheck",
    "ValidatedTable",
    "check_assignments",
    "check_requests",
    "check_volunteers",
    "column_problems",
    "require_columns",
    "validate_assignments",
    "validate_requests",
    "validate_volunteers",
]


BoolArray = npt.NDArray[np.bool_]
IntpArray = npt.NDArray[np.intp]

NEED_BIT: Final[dict[str, int]] = {name: 1 << i for i, name in enumerate(NEED_TYPES)}
#: Joins the two ids of an assignment into one duplicate-detection key (never in real ids).
PAIR_SEP: Final[str] = "\x1f"
#: How many other rows a duplicate-id message names before it only counts them.
MAX_NAMED_ROWS: Final[int] = 10

REQUIRED_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "volunteers": ("volunteer_id", "languages", "lat", "lon", "need_types", "capacity"),
    "requests": ("request_id", "languages", "lat", "lon", "need_type", "created_on"),
    "assignments": ("request_id", "volunteer_id", "status"),
}

_LANGUAGES_HELP = p.LANGUAGE_EXAMPLE
GENDER_NOUN: Final[str] = "gender (f, m, d or empty)"
#: German wording of the meanings and help texts used in messages.
MEANINGS_DE: Final[dict[str, str]] = {
    "latitude in degrees (WGS84)": "Breitengrad in Grad (WGS84)",
    "longitude in degrees": "Längengrad in Grad",
    "a distance in km": "eine Entfernung in km",
    "households accompanied at once": "gleichzeitig begleitete Haushalte",
    "date of the qualification": "Datum der Qualifizierung",
    "police certificate valid until": "Führungszeugnis gültig bis",
    "start of the active period": "Beginn des aktiven Zeitraums",
    "end of the active period": "Ende des aktiven Zeitraums",
    "when the request was opened": "Eingangsdatum der Anfrage",
    "date of the appointment": "Datum des Termins",
    "start of the accompaniment": "Beginn der Begleitung",
    "end of the accompaniment": "Ende der Begleitung",
    "write a unique pseudonymous id": "eine eindeutige pseudonyme ID angeben",
    "write the request_id of the pair": "die Anfrage-ID des Paars angeben",
    "write the volunteer_id of the pair": "die Lotsen-ID des Paars angeben",
    "request id": "Anfrage-ID",
    "volunteer id": "Lotsen-ID",
    "pair (request_id/volunteer_id)": "Paar (Anfrage-ID/Lotsen-ID)",
}
DATE_HELP_DE: Final[str] = (
    "TT.MM.JJJJ (25.11.2026), TT.MM.JJ (25.11.26) oder JJJJ-MM-TT (2026-11-25) angeben"
)
BOOL_HELP_DE: Final[str] = "gültig: ja/nein, x (= ja), leer (= nein)"
_NEEDS_HELP = f"write need types joined by ';', valid: {', '.join(NEED_TYPES)}"


@dataclass(frozen=True)
class ValidatedTable:
    """One table after validation: clean rows (VALIDATED.md format), rejected rows, problems.

    ``rows_read == len(clean) + len(rejected)`` always: no row disappears silently.
    """

    table: str
    clean: pd.DataFrame
    rejected: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int


class TableCheck:
    """The mutable state of one table's validation: raw rows, parsed columns and problems.

    :mod:`.caseload` adds cross-table problems to ``problems`` before :meth:`result` splits the
    rows, which is why this is a builder and not a function result.
    """

    def __init__(
        self, table: str, raw: pd.DataFrame, settings: IngestSettings | None = None
    ) -> None:
        self.table = table
        #: The config's ingest section: vocabulary, separators, date formats, geocoding.
        self.opts = settings or IngestSettings()
        #: The German vocabulary when ``opts.vocabulary == "de"``, else None (contract codes).
        self.vocab = german_vocabulary(self.opts)
        self.lang = self.opts.lang
        self.source = str(raw.attrs.get("source", "<DataFrame>"))
        original = raw.attrs.get("original_columns", {}) or {}
        self.problems = ProblemCollector(table, self.source, row_labels(raw), original)
        self.raw = raw.reset_index(drop=True)
        self.n = len(self.raw)
        self.values: dict[str, npt.NDArray[Any]] = {}
        self.ids: ObjArray = np.full(self.n, "", dtype=object)
        #: The contract column holding the row's id ("" for assignments: a pair has two).
        self.id_column = {"volunteers": "volunteer_id", "requests": "request_id"}.get(table, "")
        self._text: dict[str, p.Text] = {}

    # -- access ------------------------------------------------------------------------------

    def say(self, en: str, de: str) -> str:
        """The message in the caseload's message language (English unless German is asked)."""
        return de if self.lang == "de" else en

    def meaning(self, text: str) -> str:
        """A column's meaning ("latitude in degrees (WGS84)") in the message language."""
        return MEANINGS_DE.get(text, text) if self.lang == "de" else text

    def header(self, column: str) -> str:
        """The user's header of a contract column."""
        return self.problems.header(column)

    def series(self, column: str) -> pd.Series[Any]:
        """The raw column, or an all-missing one when an optional column is absent."""
        if column in self.raw.columns:
            return p.numpy_backed(self.raw[column])
        return pd.Series(np.full(self.n, None, dtype=object), dtype=object)

    def text(self, column: str) -> p.Text:
        """The column as stripped arrow text ("" = missing), computed once."""
        if column not in self._text:
            self._text[column] = p.to_text(self.series(column))
        return self._text[column]

    def list_text(self, column: str) -> p.Text:
        """A list column's text with the profile's separators written as ``;`` (contract form).

        Only for the ``spec`` vocabulary; the ``de`` parsers split at the separators
        themselves (a comma inside parentheses belongs to its entry).
        """
        text = self.text(column)
        if self.vocab is None:
            for sep in self.opts.separators:
                if sep != ";":
                    text = pc.replace_substring(text, sep, ";")
        return text

    def shown(self, column: str, rows: IntpArray | BoolArray) -> ObjArray:
        """Cell text of ``rows`` as the user wrote it, for problem records."""
        return p.take_values(self.text(column), as_positions(rows))

    def add(
        self,
        rows: IntpArray | BoolArray,
        column: str,
        rule: str | ObjArray,
        message: str | ObjArray | Callable[[ObjArray], ObjArray],
    ) -> None:
        """Record a problem for ``rows``; ``message`` may be built from the shown cell texts."""
        pos = as_positions(rows)
        if not len(pos):
            return
        shown = self.shown(column, pos)
        text = message(shown) if callable(message) else message
        self.problems.add(pos, column, rule, text, shown)

    # -- column rules --------------------------------------------------------------------------

    def required_text(self, column: str, help_text: str) -> p.Text:
        """Stripped text; empty cells are a ``required`` problem."""
        text = self.text(column)
        head = self.header(column)
        msg = self.say(
            f"{head} is required; {help_text}",
            f"{head} fehlt (Pflichtangabe); {self.meaning(help_text)}",
        )
        self.add(p.missing(text), column, "required", msg)
        return text

    def optional_text(self, column: str) -> ObjArray:
        """Stripped python strings, "" where empty (for the clean frame)."""
        return p.text_values(self.text(column))

    def number(
        self,
        column: str,
        *,
        required: bool,
        low: float | None = None,
        high: float | None = None,
        low_exclusive: bool = False,
        meaning: str,
        parsed: p.Parsed | None = None,
    ) -> p.Parsed:
        """Float column with optional bounds; decimal comma accepted.

        ``parsed`` replaces the column's own values (coordinates filled in by geocoding).
        """
        parsed = parsed if parsed is not None else p.parse_number(self.series(column))
        head, means = self.header(column), self.meaning(meaning)
        if required:
            msg = self.say(
                f"{head} is required: {meaning}", f"{head} fehlt (Pflichtangabe): {means}"
            )
            self.add(parsed.missing, column, "required", msg)
        self.add(
            parsed.bad,
            column,
            "type",
            _quoted(
                self.say(
                    f" is not a number; write {meaning}, e.g. 52.37 or 52,37",
                    f" ist keine Zahl; {means} angeben, z. B. 52,37",
                )
            ),
        )
        ok = ~parsed.missing & ~parsed.bad
        with np.errstate(invalid="ignore"):
            out = np.zeros(self.n, dtype=np.bool_)
            if low is not None:
                out |= parsed.values <= low if low_exclusive else parsed.values < low
            if high is not None:
                out |= parsed.values > high
        bounds = _bounds_text(low, high, low_exclusive)
        if self.lang == "de":
            bounds = bounds.replace("between", "zwischen").replace(" and ", " und ")
        self.add(
            ok & out,
            column,
            "range",
            _quoted(
                self.say(
                    f" is out of range; {head} must be {bounds}",
                    f" liegt außerhalb des gültigen Bereichs; {head} muss {bounds} sein",
                )
            ),
        )
        return parsed

    def integer(self, column: str, *, required: bool, meaning: str) -> p.Parsed:
        """Whole number >= 0 (2.0 from Excel is 2; 1.5, -1 and words are rejected)."""
        parsed = p.parse_number(self.series(column))
        head, means = self.header(column), self.meaning(meaning)
        if required:
            msg = self.say(
                f"{head} is required: {meaning}", f"{head} fehlt (Pflichtangabe): {means}"
            )
            self.add(parsed.missing, column, "required", msg)
        valid = self.say(
            f"write a whole number >= 0 ({meaning})", f"eine ganze Zahl ≥ 0 angeben ({means})"
        )
        not_number = self.say(" is not a number; ", " ist keine Zahl; ")
        self.add(parsed.bad, column, "type", _quoted(not_number + valid))
        ok = ~parsed.missing & ~parsed.bad
        with np.errstate(invalid="ignore"):
            fractional = ok & (np.floor(parsed.values) != parsed.values)
            negative = ok & ~fractional & (parsed.values < 0)
            huge = ok & ~fractional & (parsed.values > np.iinfo(np.int32).max)
        not_whole = self.say(" is not a whole number; ", " ist keine ganze Zahl; ")
        self.add(fractional, column, "type", _quoted(not_whole + valid))
        outside = self.say(" is out of range; ", " liegt außerhalb des gültigen Bereichs; ")
        self.add(negative | huge, column, "range", _quoted(outside + valid))
        return parsed

    def date(self, column: str, *, required: bool, meaning: str) -> p.Parsed:
        """Date column (ISO, German or datetime values)."""
        parsed = p.parse_date(self.series(column), formats=self.opts.date_formats)
        head, means = self.header(column), self.meaning(meaning)
        if required:
            msg = self.say(
                f"{head} is required: {meaning}; {p.DATE_HELP}",
                f"{head} fehlt (Pflichtangabe): {means}; {DATE_HELP_DE}",
            )
            self.add(parsed.missing, column, "required", msg)
        invalid = self.say(
            f" is not a valid date; {p.DATE_HELP}", f" ist kein gültiges Datum; {DATE_HELP_DE}"
        )
        self.add(parsed.bad, column, "type", _quoted(invalid))
        early = ~parsed.bad & p.too_early(parsed.values)
        typo = self.say(
            f" lies before 1900 (a typo?); {p.DATE_HELP}",
            f" liegt vor 1900 (Tippfehler?); {DATE_HELP_DE}",
        )
        self.add(early, column, "range", _quoted(typo))
        return parsed

    def date_order(self, first: str, first_d: p.Parsed, second: str, second_d: p.Parsed) -> None:
        """``second`` must not lie before ``first`` where both are given."""
        both = ~first_d.missing & ~first_d.bad & ~second_d.missing & ~second_d.bad
        wrong = both & (second_d.values < first_d.values)
        if not wrong.any():
            return
        firsts = self.shown(first, wrong)
        head_1, head_2 = self.header(first), self.header(second)
        self.add(
            wrong,
            second,
            "date_order",
            lambda shown: p.objects(
                self.say(
                    f"{head_2} {p.quote(str(b))} lies before {head_1} {p.quote(str(a))}; "
                    f"{head_2} must be on or after {head_1}",
                    f"{head_2} {p.quote(str(b))} liegt vor {head_1} {p.quote(str(a))}; "
                    f"{head_2} darf nicht vor {head_1} liegen",
                )
                for a, b in zip(firsts, shown, strict=True)
            ),
        )

    def parsed_list(
        self, column: str, parse_cell: Callable[[str], p.CellResult], *, required: str | None
    ) -> p.ColumnResult:
        """A column parsed once per distinct cell; ``required`` is the help text if required."""
        text = self.list_text(column)
        result = p.parse_by_unique(text, parse_cell)
        pos = result.problem_positions
        self.problems.add(
            pos,
            column,
            result.problem_rules,
            result.problem_messages,
            _truncated(p.take_values(text, pos)),
        )
        if required is not None:
            empty = (result.canonical == "") & ~result.bad
            head = self.header(column)
            msg_empty = self.say(
                f"{head} is required; {required}", f"{head} fehlt (Pflichtangabe); {required}"
            )
            self.add(empty, column, "required", msg_empty)
        return result

    def choice(
        self,
        column: str,
        vocabulary: tuple[str, ...],
        noun: str,
        hints: Mapping[str, str] | None = None,
    ) -> p.ColumnResult:
        """Optional single vocabulary word, case-insensitive."""
        cell = partial(p.parse_choice_cell, vocabulary=vocabulary, noun=noun, hints=hints)
        return self.parsed_list(column, cell, required=None)

    def choice_parser(
        self, kind: Any, vocabulary: tuple[str, ...], noun: str, hints: Mapping[str, str] | None
    ) -> Callable[[str], p.CellResult]:
        """One vocabulary word: the German parser for ``de``, else the contract one."""
        if self.vocab is not None:
            return g.choice_cell(kind, self.vocab, vocabulary, self.opts.separators, self.lang)
        return partial(p.parse_choice_cell, vocabulary=vocabulary, noun=noun, hints=hints)

    def list_parser(
        self,
        kind: Any,
        vocabulary: tuple[str, ...],
        bits: Mapping[str, int],
        noun: str,
        hints: Mapping[str, str] | None = None,
    ) -> Callable[[str], p.CellResult]:
        """A list of vocabulary words: the German parser for ``de``, else the contract one."""
        if self.vocab is not None:
            return g.list_cell(kind, self.vocab, vocabulary, bits, self.opts.separators, self.lang)
        return partial(
            p.parse_vocab_list_cell, vocabulary=vocabulary, bits=bits, noun=noun, hints=hints
        )

    def unique_ids(self, column: str, ids: p.Text, noun: str) -> None:
        """Reject every row whose id is shared with another row, naming the other rows."""
        self.add_duplicates(column, ids, "duplicate_id", f"{noun} id")

    def add_duplicates(self, column: str, keys: p.Text, rule: str, what: str) -> None:
        """Reject every row whose non-empty key occurs in more than one row, naming the others."""
        dup = p.duplicated(keys)
        if not dup.any():
            return
        pos = np.flatnonzero(dup)
        labels = self.problems.labels[pos]
        keys_at = p.take_values(keys, pos)
        groups: dict[str, list[Any]] = {}
        for key, label in zip(keys_at, labels, strict=True):
            groups.setdefault(key, []).append(label)
        for group in groups.values():
            group.sort(key=label_order)
        messages = np.empty(len(pos), dtype=object)
        for i, (key, own) in enumerate(zip(keys_at, labels, strict=True)):
            group = groups[key]
            others = [r for r in group[: MAX_NAMED_ROWS + 1] if r != own][:MAX_NAMED_ROWS]
            listed = ", ".join(str(r) for r in others)
            if len(group) - 1 > len(others):
                listed += f", ... ({len(group)} rows in all)"
            shown = str(key).replace(PAIR_SEP, "/")
            messages[i] = self.say(
                f"{what} {p.quote(shown)} also appears in row(s) {listed}; each must be unique, "
                f"so all {len(group)} rows are rejected",
                f"{self.meaning(what)} {p.quote(shown)} kommt auch in Zeile(n) {listed} vor; "
                f"sie muss eindeutig sein, daher werden alle {len(group)} Zeilen abgelehnt",
            )
        self.add(pos, column, rule, messages)

    # -- result --------------------------------------------------------------------------------

    def clean_frame(self, keep: BoolArray) -> pd.DataFrame:
        """Contract columns (typed) then the user's extra columns, for the rows in ``keep``."""
        dtypes = CLEAN_DTYPES[self.table]
        data: dict[str, pd.Series[Any]] = {}
        for column, dtype in dtypes.items():
            values = self.values[column][keep]
            data[column] = pd.Series(values, dtype=dtype)
        frame = pd.DataFrame(data)
        extras = [c for c in self.raw.columns if c not in dtypes]
        if extras:
            rest = self.raw.loc[keep, extras].reset_index(drop=True)
            frame = pd.concat([frame, rest], axis=1)
        return frame

    def result(self) -> ValidatedTable:
        """Split rows into clean and rejected; ``rows_read`` always equals their sum."""
        problems = self.problems.frame()
        rejected = self.problems.rejected(self.ids)
        clean = self.clean_frame(~self.problems.bad)
        if len(clean) + len(rejected) != self.n:  # pragma: no cover - invariant guard
            raise AssertionError(f"{self.table}: rows lost in validation")
        return ValidatedTable(self.table, clean, rejected, problems, self.n)


# ------------------------------------------------------------------------------------------------
# column presence


def column_problems(table: str, raw: pd.DataFrame, *, geocode: bool = True) -> pd.DataFrame:
    """Table-level problems: missing required columns and duplicated headers (row 1 = header).

    With ``geocode`` a ``place`` or ``postal_code`` column stands in for absent lat/lon.
    """
    source = str(raw.attrs.get("source", "<DataFrame>"))
    original: Mapping[str, str] = raw.attrs.get("original_columns", {}) or {}
    found = [str(original.get(str(c), c)) for c in raw.columns if c != "_row"]
    records: list[dict[str, Any]] = []
    has_place = geocode and any(c in raw.columns for c in PLACE_COLUMNS)
    missing = [
        c
        for c in REQUIRED_COLUMNS[table]
        if not (c in raw.columns or (has_place and c in ("lat", "lon")))
    ]
    for column, rule, message in header_hints(table, missing, found, geocode=geocode):
        records.append({"column": column, "value": "", "rule": rule, "message": message})
    for column in missing:
        close = _close_headers(column, found)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        listed = ", ".join(found) if found else "(none)"
        records.append(
            {
                "column": column,
                "value": "",
                "rule": "missing_column",
                "message": f"required column {column!r} is missing; found columns: {listed}"
                f"{hint} (rename it, or map it with the config's columns setting)",
            }
        )
    counts = pd.Index(raw.columns).value_counts() if not raw.columns.is_unique else pd.Series()
    for column in counts[counts > 1].index:
        records.append(
            {
                "column": str(original.get(str(column), column)),
                "value": "",
                "rule": "duplicate_column",
                "message": f"column {column!r} appears {counts[column]} times; keep one",
            }
        )
    if not records:
        return empty_problems()
    frame = pd.DataFrame.from_records(records, columns=["column", "value", "rule", "message"])
    frame.insert(0, "table", table)
    frame.insert(1, "source", source)
    frame.insert(2, "row", np.full(len(frame), HEADER_ROW, dtype=np.int64))
    return frame.astype({c: object for c in frame.columns if c != "row"})


def require_columns(table: str, raw: pd.DataFrame, *, geocode: bool = True) -> None:
    """Raise :class:`InputValidationError` when required columns are missing (both modes)."""
    problems = column_problems(table, raw, geocode=geocode)
    if len(problems):
        raise InputValidationError(problems)


def _close_headers(column: str, found: list[str]) -> list[str]:
    by_lower = {f.lower(): f for f in found}
    close = difflib.get_close_matches(column.lower(), list(by_lower), n=3, cutoff=0.6)
    return [by_lower[c] for c in close]


# ------------------------------------------------------------------------------------------------
# the three tables


def _slots(t: TableCheck) -> p.ColumnResult:
    cell = t.list_parser("slots", SLOTS, SLOT_BIT, "time slot (empty = any time)")
    slots = t.parsed_list("availability", cell, required=None)
    t.values["availability"] = slots.canonical
    t.values["slot_mask"] = np.where(slots.canonical == "", ALL_SLOTS, slots.mask)
    return slots


def _languages(t: TableCheck) -> None:
    cell = (
        p.parse_languages_cell
        if t.vocab is None
        else g.languages_cell(t.vocab, t.opts.separators, t.lang)
    )
    help_text = (
        _LANGUAGES_HELP if t.vocab is None else "z. B. 'Arabisch (Muttersprache), Deutsch B1'"
    )
    langs = t.parsed_list("languages", cell, required=help_text)
    t.values["languages"] = langs.canonical


def _coordinates(t: TableCheck) -> None:
    """Latitude and longitude, geocoded from place/postal_code where both are empty."""
    lat_in, lon_in = coordinates_with_places(t)
    lat = t.number(
        "lat",
        required=True,
        low=-90,
        high=90,
        meaning="latitude in degrees (WGS84)",
        parsed=lat_in,
    )
    lon = t.number(
        "lon", required=True, low=-180, high=180, meaning="longitude in degrees", parsed=lon_in
    )
    t.values["lat"] = lat.values
    t.values["lon"] = lon.values


def _dates(t: TableCheck, column: str, *, required: bool, meaning: str) -> p.Parsed:
    parsed = t.date(column, required=required, meaning=meaning)
    t.values[column] = parsed.values
    return parsed


def _start(table: str, raw: pd.DataFrame, config: MatchConfig) -> TableCheck:
    """The table's checker, after the required columns (raises when one is missing)."""
    require_columns(table, raw, geocode=config.ingest.geocode)
    return TableCheck(table, raw, config.ingest)


def _unique_id(t: TableCheck, column: str, noun: str) -> None:
    """The row id: required, unique, and what later problems of the row are filed under."""
    ids = t.required_text(column, "write a unique pseudonymous id")
    check_id_format(t, column, ids)
    t.unique_ids(column, ids, noun)
    t.ids = t.values[column] = p.text_values(ids)


def check_volunteers(raw: pd.DataFrame, config: MatchConfig) -> TableCheck:
    """Run every volunteers rule of docs/contract.md (raises only for missing columns)."""
    t = _start("volunteers", raw, config)
    _unique_id(t, "volunteer_id", "volunteer")
    _languages(t)
    _coordinates(t)
    dist = t.number(
        "max_distance_km", required=False, low=0, low_exclusive=True, meaning="a distance in km"
    )
    t.values["max_distance_km"] = np.where(
        dist.missing, config.rules.default_max_distance_km, dist.values
    )
    need_cell = t.list_parser("need_types", NEED_TYPES, NEED_BIT, "need type", p.NEED_HINTS)
    needs_help = t.say(_NEEDS_HELP, "Bedarfe angeben, z. B. 'Schule, Behörde'")
    needs = t.parsed_list("need_types", need_cell, required=needs_help)
    t.values["need_types"] = needs.canonical
    t.values["need_mask"] = needs.mask
    _slots(t)
    capacity = t.integer("capacity", required=True, meaning="households accompanied at once")
    t.values["capacity"] = np.where(np.isfinite(capacity.values), capacity.values, 0).clip(
        0, np.iinfo(np.int32).max
    )
    gender_cell = t.choice_parser("genders", GENDERS, GENDER_NOUN, p.GENDER_HINTS)
    t.values["gender"] = t.parsed_list("gender", gender_cell, required=None).canonical
    _dates(t, "certified_on", required=False, meaning="date of the qualification")
    _dates(t, "police_check_until", required=False, meaning="police certificate valid until")
    start = _dates(t, "available_from", required=False, meaning="start of the active period")
    end = _dates(t, "available_until", required=False, meaning="end of the active period")
    t.date_order("available_from", start, "available_until", end)
    module_cell = t.list_parser("modules", MODULES, MODULE_BIT, "training module")
    modules = t.parsed_list("modules", module_cell, required=None)
    t.values["modules"] = modules.canonical
    t.values["module_mask"] = modules.mask
    status_cell = t.choice_parser(
        "volunteer_statuses",
        VOLUNTEER_STATUSES,
        "status (active, inactive, paused or empty)",
        {"aktiv": "active", "inaktiv": "inactive", "pausiert": "paused"},
    )
    t.values["status"] = t.parsed_list("status", status_cell, required=None).canonical
    return t


def check_requests(raw: pd.DataFrame, config: MatchConfig) -> TableCheck:
    """Run every requests rule of docs/contract.md (raises only for missing columns)."""
    t = _start("requests", raw, config)
    _unique_id(t, "request_id", "request")
    t.values["household_id"] = t.optional_text("household_id")
    check_id_format(t, "household_id", t.text("household_id"))
    check_household_spelling(t, "household_id", t.text("household_id"))
    _languages(t)
    _coordinates(t)
    need_cell = t.choice_parser("need_types", NEED_TYPES, "need type", p.NEED_HINTS)
    need_help = t.say(f"write one of {', '.join(NEED_TYPES)}", "z. B. 'Behördengang' angeben")
    need = t.parsed_list("need_type", need_cell, required=need_help)
    t.values["need_type"] = need.canonical
    t.values["need_code"] = need.mask
    _slots(t)
    created = _dates(t, "created_on", required=True, meaning="when the request was opened")
    due = _dates(t, "due_on", required=False, meaning="date of the appointment")
    t.date_order("created_on", created, "due_on", due)
    parse_bool = p.parse_bool if t.vocab is None else g.bool_parser(t.vocab)
    minors = parse_bool(t.series("involves_minors"))
    t.add(
        minors.bad,
        "involves_minors",
        "type",
        _quoted(
            t.say(
                f" is not a yes/no value; {p.BOOL_HELP}", f" ist kein Ja/Nein-Wert; {BOOL_HELP_DE}"
            )
        ),
    )
    t.values["involves_minors"] = minors.values & ~minors.missing
    gender_cell = t.choice_parser("genders", GENDERS, GENDER_NOUN, p.GENDER_HINTS)
    gender = t.parsed_list("preferred_gender", gender_cell, required=None)
    t.values["preferred_gender"] = gender.canonical
    id_list = id_list_parser(t.opts.separators)
    excluded = t.parsed_list("excluded_volunteers", id_list, required=None)
    t.values["excluded_volunteers"] = excluded.canonical
    t.values["previous_volunteer_id"] = t.optional_text("previous_volunteer_id")
    return t


def check_assignments(raw: pd.DataFrame, config: MatchConfig) -> TableCheck:
    """Run every single-table assignments rule (cross-table rules: :mod:`.caseload`)."""
    t = _start("assignments", raw, config)
    requests = t.required_text("request_id", "write the request_id of the pair")
    volunteers = t.required_text("volunteer_id", "write the volunteer_id of the pair")
    t.values["request_id"] = p.text_values(requests)
    t.values["volunteer_id"] = p.text_values(volunteers)
    status_cell = t.choice_parser("statuses", ASSIGNMENT_STATUSES, "assignment status", None)
    status_help = t.say(
        f"write one of {', '.join(ASSIGNMENT_STATUSES)}",
        "aktiv, vorgeschlagen, abgelehnt oder beendet",
    )
    status = t.parsed_list("status", status_cell, required=status_help)
    t.values["status"] = status.canonical
    t.ids = p.text_values(p.join_text(requests, volunteers, "/"))
    complete = pc.and_(pc.not_equal(requests, ""), pc.not_equal(volunteers, ""))
    keys = pc.if_else(complete, p.join_text(requests, volunteers, PAIR_SEP), "")
    # A pair may have ended several times (and run again): ended rows are told apart by start.
    ended = status.canonical == "ended"
    if ended.any():
        history = p.join_text(keys, t.text("started_on"), f"{PAIR_SEP}ended{PAIR_SEP}")
        keys = pc.if_else(pc.and_(complete, pa.array(ended)), history, keys)
    t.add_duplicates("volunteer_id", keys, "duplicate_pair", "pair (request_id/volunteer_id)")
    _history(t, config)
    return t


def _history(t: TableCheck, config: MatchConfig) -> None:
    """Optional history columns: started_on, ended_on, end_reason, decided_by (SPEC.md).

    An end (ended_on, end_reason) belongs to ``ended`` rows, or to ``declined`` ones (when and
    why a proposal was declined); on an ``active`` or ``proposed`` row it contradicts the
    status. An ``ended`` row without ended_on or end_reason is accepted (older exports recorded
    only the status); learning skips rows it cannot use and says so in its model card.
    """
    status = t.values["status"]
    started = _dates(t, "started_on", required=False, meaning="start of the accompaniment")
    ended_on = _dates(t, "ended_on", required=False, meaning="end of the accompaniment")
    t.date_order("started_on", started, "ended_on", ended_on)
    reason_cell = t.choice_parser("end_reasons", END_REASONS, "end reason", None)
    t.values["end_reason"] = t.parsed_list("end_reason", reason_cell, required=None).canonical
    decider_cell = t.choice_parser("deciders", DECIDERS, "decider (auto or coordinator)", None)
    t.values["decided_by"] = t.parsed_list("decided_by", decider_cell, required=None).canonical
    as_of = np.datetime64(config.as_of, "ns")
    for column, parsed in (("started_on", started), ("ended_on", ended_on)):
        given = ~parsed.missing & ~parsed.bad
        future = given & (status == "ended") & (parsed.values > as_of)
        head = t.header(column)
        t.add(
            future,
            column,
            "future_end",
            _quoted(
                t.say(
                    f" lies after the run date {config.as_of.isoformat()}; an ended "
                    f"accompaniment lies in the past: fix {head} or keep the row active",
                    f" liegt nach dem Stichtag {config.as_of:%d.%m.%Y}; eine beendete "
                    f"Begleitung liegt in der Vergangenheit: {head} korrigieren oder die "
                    "Zeile aktiv lassen",
                )
            ),
        )
    open_row = np.isin(status, ("active", "proposed"))
    for column in ("ended_on", "end_reason"):
        has_end = open_row & (t.text(column).to_numpy(zero_copy_only=False) != "")
        head = t.header(column)
        t.add(
            has_end,
            column,
            "end_of_open_assignment",
            t.say(
                f"{head} is set, but the status is active or proposed; write status ended "
                f"(or declined) for a finished pair, or leave {head} empty",
                f"{head} ist angegeben, der Status ist aber aktiv oder vorgeschlagen; für ein "
                f"beendetes Paar den Status beendet (oder abgelehnt) angeben, sonst {head} "
                "leer lassen",
            ),
        )


def validate_volunteers(raw: pd.DataFrame, config: MatchConfig) -> ValidatedTable:
    """Validate a volunteers table: clean rows, rejected rows and one record per problem.

    Never raises for bad cells (strictness is :func:`validate_caseload`'s decision); raises
    :class:`InputValidationError` when required columns are missing. How cells are read
    (vocabulary, separators, date formats, geocoding) is ``config.ingest``.
    """
    return check_volunteers(raw, config).result()


def validate_requests(raw: pd.DataFrame, config: MatchConfig) -> ValidatedTable:
    """Validate a requests table (see :func:`validate_volunteers`)."""
    return check_requests(raw, config).result()


def validate_assignments(raw: pd.DataFrame, config: MatchConfig) -> ValidatedTable:
    """Validate an assignments table (see :func:`validate_volunteers`)."""
    return check_assignments(raw, config).result()


CHECKS: Final[dict[str, Callable[[pd.DataFrame, MatchConfig], TableCheck]]] = {
    "volunteers": check_volunteers,
    "requests": check_requests,
    "assignments": check_assignments,
}


# ------------------------------------------------------------------------------------------------
# message helpers (vectorised string concatenation over the failing rows only)


def _quoted(suffix: str) -> Callable[[ObjArray], ObjArray]:
    """Message builder: the (shortened) cell text in quotes followed by ``suffix``."""
    return lambda shown: p.objects(p.quote(str(v)) + suffix for v in shown)


def _truncated(values: ObjArray, limit: int = MAX_VALUE_CHARS) -> ObjArray:
    return p.objects(truncate(str(v), limit) for v in values)


def _bounds_text(low: float | None, high: float | None, low_exclusive: bool) -> str:
    def num(x: float) -> str:
        return f"{x:g}"

    if low is not None and high is not None:
        return f"between {num(low)} and {num(high)}"
    if low is not None:
        return f"{'>' if low_exclusive else '>='} {num(low)}"
    if high is not None:
        return f"<= {num(high)}"
    return "a finite number"
