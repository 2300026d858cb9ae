"""Vectorised cell parsers: text, numbers, dates, booleans, and ``;``-lists against vocabularies.

Inputs arrive in every shape: all-text CSV cells ("52,37", "25.11.2026", "ja"), ``pd.read_csv``
inference (NaN, floats, bools), Excel values (datetimes, 2.0 for 2) and typed frames. Each parser
returns arrays over the whole column plus boolean masks of missing and invalid cells, so the table
rules never look at a single row in Python. Text is held as pyarrow string arrays (strip, compare,
replace and dictionary-encode run in C). List-valued cells and dates are parsed once per *distinct*
value (real tables repeat a few hundred combinations across 100k rows) and mapped back by code.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gettext
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from ..core.vocab import LEVEL_CODE, LEVELS, canonical_language, language_name
from ..printable import EXCERPT_CHARS, excerpt, printable

__all__ = [
    "BOOL_HELP",
    "BOOL_WORDS",
    "DATE_FORMATS",
    "DATE_HELP",
    "EARLIEST_DATE",
    "GENDER_HINTS",
    "LANGUAGE_EXAMPLE",
    "LATEST_DATE",
    "LEVELS_DESC",
    "NEED_HINTS",
    "BoolArray",
    "CellResult",
    "ColumnResult",
    "FloatArray",
    "IntArray",
    "ObjArray",
    "Parsed",
    "Text",
    "cell_text",
    "did_you_mean",
    "duplicated",
    "factorize",
    "is_in",
    "join_text",
    "missing",
    "numpy_backed",
    "objects",
    "parse_bool",
    "parse_by_unique",
    "parse_choice_cell",
    "parse_date",
    "parse_languages_cell",
    "parse_number",
    "parse_number_text",
    "parse_vocab_list_cell",
    "quote",
    "quote_known",
    "select",
    "split_entries",
    "take_values",
    "text_values",
    "to_text",
    "too_early",
    "valid_list",
]


ObjArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: A pyarrow ``large_string`` array without nulls ("" = missing); pyarrow ships no type stubs.
Text = Any

#: Text accepted as a boolean (after lower-casing); "x" is how paper forms tick a box.
BOOL_WORDS: Final[dict[str, bool]] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "ja": True,
    "nein": False,
    "wahr": True,
    "falsch": False,
    "x": True,
}
BOOL_HELP: Final[str] = (
    "valid: true/false, yes/no, ja/nein, wahr/falsch, 1/0, x (= yes), empty (= no)"
)
DATE_FORMATS: Final[tuple[str, ...]] = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d.%m.%y",  # 5.5.22: exactly two year digits, 00-68 -> 20xx, 69-99 -> 19xx (POSIX)
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)
DATE_HELP: Final[str] = (
    "write YYYY-MM-DD (2026-11-25), DD.MM.YYYY (25.11.2026) or DD.MM.YY (25.11.26)"
)
#: Earlier dates are typos (two-digit years read as year 26) rather than real events.
EARLIEST_DATE: Final[pd.Timestamp] = pd.Timestamp("1900-01-01")
#: Latest date datetime64[ns] holds; later ones ("31.12.9999" = unlimited) are clamped to it.
LATEST_DATE: Final[pd.Timestamp] = pd.Timestamp.max.normalize()
LANGUAGE_EXAMPLE: Final[str] = "write code:level, e.g. ar:native;de:B1"
#: Levels listed the way coordinators rank them, strongest first.
LEVELS_DESC: Final[tuple[str, ...]] = tuple(reversed(LEVELS))
_LEVEL_LOOKUP: Final[dict[str, str]] = {name.lower(): name for name in LEVELS}
#: Everyday words for needs (the contract's descriptions, German and English) -> the need type.
NEED_HINTS: Final[dict[str, str]] = {
    "schule": "school",
    "kita": "school",
    "elternabend": "school",
    "kindergarten": "school",
    "behörde": "authority",
    "behoerde": "authority",
    "amt": "authority",
    "jobcenter": "authority",
    "ausländerbehörde": "authority",
    "authorities": "authority",
    "arzt": "health",
    "gesundheit": "health",
    "krankenhaus": "health",
    "doctor": "health",
    "hospital": "health",
    "wohnung": "housing",
    "wohnen": "housing",
    "arbeit": "work",
    "ausbildung": "work",
    "job": "work",
    "anerkennung": "work",
    "alltag": "everyday",
    "einkaufen": "everyday",
    "shopping": "everyday",
    "bank": "everyday",
    "banking": "everyday",
    "transport": "everyday",
    "orientierung": "everyday",
    "online": "digital",
    "medien": "digital",
    "freizeit": "leisure",
    "verein": "leisure",
    "sport": "leisure",
}
#: Gender words coordinators write in German or English exports, and the contract letter for each.
GENDER_HINTS: Final[dict[str, str]] = {
    "w": "f",
    "weiblich": "f",
    "female": "f",
    "frau": "f",
    "männlich": "m",
    "male": "m",
    "mann": "m",
    "divers": "d",
    "diverse": "d",
}
_LEVEL_HINTS: Final[dict[str, str]] = {
    "muttersprache": "native",
    "muttersprachlich": "native",
    "mother tongue": "native",
    "fluent": "C1",
    "fließend": "C1",
}


# --------------------------------------------------------------------------------------------
# text (held as pyarrow string arrays: strip, compare, replace and encode run in C)


def numpy_backed(values: pd.Series[Any]) -> pd.Series[Any]:
    """Arrow-backed columns (``dtype_backend="pyarrow"``) other than text as numpy-backed ones.

    pyarrow's own conversion gives datetime64 for timestamps, ``datetime.date`` objects for dates
    and float64 for integers with gaps, which the parsers below already understand.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype) and not _is_arrow_text(dtype.pyarrow_dtype):
        converted: pd.Series[Any] = pa.array(values.array).to_pandas()
        return converted
    return values


def _is_arrow_text(arrow_type: Any) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def to_text(values: pd.Series[Any]) -> Text:
    """Every cell as stripped text in a pyarrow string array; missing cells become ``""``.

    Integral floats lose their ``.0`` (Excel and ``read_csv`` turn ids and counts into floats), and
    datetimes become ISO dates, so later rules see what the user typed.
    """
    values = numpy_backed(values)
    dtype = values.dtype
    arr: Any
    if isinstance(dtype, pd.StringDtype | pd.ArrowDtype):
        arr = pa.array(values.array)
    elif pd.api.types.is_bool_dtype(dtype):
        arr = _from_objects(_text_by_unique(values.astype(object)))
    elif pd.api.types.is_float_dtype(dtype):
        arr = _from_objects(_float_text(values.to_numpy(dtype=np.float64, na_value=np.nan)))
    elif pd.api.types.is_integer_dtype(dtype):
        arr = pa.array(values.astype("string").to_numpy(dtype=object, na_value=""))
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        arr = _from_objects(_datetime_text(values))
    else:
        objects = values.to_numpy(dtype=object)
        try:
            arr = pa.array(objects, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # mixed cell types (Excel): per value
            arr = _from_objects(_text_by_unique(values))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    return pc.utf8_trim_whitespace(pc.fill_null(arr, ""))


def text_values(text: Text) -> ObjArray:
    """A text array as a numpy array of python ``str``."""
    out: ObjArray = text.to_numpy(zero_copy_only=False).astype(object, copy=False)
    return out


def take_values(text: Text, positions: npt.NDArray[np.intp]) -> ObjArray:
    """The python ``str`` values at ``positions`` (for messages: few rows)."""
    return np.array(text.take(pa.array(positions, type=pa.int64())).to_pylist(), dtype=object)


def join_text(left: Text, right: Text, sep: str) -> Text:
    """Element-wise ``left + sep + right``."""
    return pc.binary_join_element_wise(left, right, pa.scalar(sep, pa.large_string()))


def factorize(text: Text) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Codes and distinct values of a text array (``pd.factorize`` semantics, in arrow)."""
    encoded = pc.dictionary_encode(text)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    return codes, [str(u) for u in encoded.dictionary.to_pylist()]


def duplicated(text: Text) -> BoolArray:
    """Mask of non-empty values that occur more than once (every occurrence marked)."""
    codes = pc.dictionary_encode(text).indices.to_numpy(zero_copy_only=False)
    counts = np.bincount(codes)
    return np.asarray((counts[codes] > 1) & ~missing(text), dtype=np.bool_)


def is_in(text: Text, allowed: Text) -> BoolArray:
    """Mask of the cells of ``text`` that occur in ``allowed``."""
    out: BoolArray = pc.is_in(text, value_set=allowed).to_numpy(zero_copy_only=False)
    return out


def select(text: Text, keep: BoolArray) -> Text:
    """The cells of ``text`` where ``keep`` holds."""
    return pc.filter(text, pa.array(keep, type=pa.bool_()))


def cell_text(value: object) -> str:
    """One cell as text (the slow path for mixed-type object columns; called once per value)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return str(_float_text(np.array([float(value)]))[0])
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, dt.datetime | np.datetime64):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return ""
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _from_objects(values: ObjArray) -> Text:
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def _float_text(x: FloatArray) -> ObjArray:
    out = np.full(len(x), "", dtype=object)
    finite = np.isfinite(x)
    integral = finite & (np.floor(x) == x) & (np.abs(x) < 2.0**53)
    if integral.any():
        out[integral] = x[integral].astype(np.int64).astype(str).astype(object)
    other = ~np.isnan(x) & ~integral
    if other.any():
        out[other] = x[other].astype(str).astype(object)
    return out


def _datetime_text(values: pd.Series[Any]) -> ObjArray:
    stamps = values.dt.tz_localize(None) if values.dt.tz is not None else values
    midnight = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
    fmt = "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S"
    text: ObjArray = stamps.dt.strftime(fmt).to_numpy(dtype=object, na_value="")
    return text


def _text_by_unique(values: pd.Series[Any]) -> ObjArray:
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists from a JSON source): rare, convert one by one
        return np.array([cell_text(v) for v in values], dtype=object)
    converted = np.array([cell_text(v) for v in uniques] + [""], dtype=object)
    out: ObjArray = converted[codes]  # code -1 (missing) picks the trailing ""
    return out


def missing(text: Text) -> BoolArray:
    """Mask of empty cells of a :func:`to_text` array."""
    out: BoolArray = pc.equal(text, "").to_numpy(zero_copy_only=False)
    return out


# --------------------------------------------------------------------------------------------
# scalars


@dataclass(frozen=True)
class Parsed:
    """A parsed column: values (meaningless where ``missing`` or ``bad``) and two masks."""

    values: npt.NDArray[Any]
    missing: BoolArray
    bad: BoolArray


_NUMBER_RE: Final[str] = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def parse_number(values: pd.Series[Any]) -> Parsed:
    """Floats; text may use a decimal comma (``52,37``). Non-finite numbers count as invalid."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        gone = values.isna().to_numpy()
        return Parsed(np.full(len(values), np.nan), gone, ~gone)
    if pd.api.types.is_numeric_dtype(dtype):
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        gone = np.isnan(x)
        return Parsed(x, gone, ~gone & ~np.isfinite(x))
    return parse_number_text(to_text(values))


def parse_number_text(text: Text) -> Parsed:
    """Numbers from a text array: one arrow cast when all cells are numbers, a regex otherwise."""
    gone = missing(text)
    dotted = pc.replace_substring(text, ",", ".")
    nulled = pc.if_else(pc.equal(dotted, ""), pa.scalar(None, dotted.type), dotted)
    try:
        cast = pc.cast(nulled, pa.float64())
    except pa.ArrowInvalid:  # some cell is not a number: keep only the ones that look like one
        ok = pc.match_substring_regex(nulled, _NUMBER_RE)
        cast = pc.cast(pc.if_else(ok, nulled, pa.scalar(None, dotted.type)), pa.float64())
    x = np.asarray(cast.to_numpy(zero_copy_only=False), dtype=np.float64)
    return Parsed(x, gone, ~gone & ~np.isfinite(x))


def parse_date(values: pd.Series[Any], formats: Sequence[str] = ()) -> Parsed:
    """Dates (datetime64[ns] at midnight) from datetimes or text in ISO or German notation.

    ``31.02.2026`` is invalid, not rolled over. Text is parsed once per distinct value (a table
    has a few hundred distinct dates). Dates after 2262-04-11 (``31.12.9999`` meaning
    "unlimited") are clamped to it; :func:`too_early` flags typos like year 26. ``formats``
    (an import profile's, e.g. ``%d.%m.%y``) are tried before the built-in ones.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values.dt.tz_localize(None) if values.dt.tz is not None else values
        gone = stamps.isna().to_numpy()
        return Parsed(_to_ns(stamps.dt.normalize()), gone, np.zeros(len(values), dtype=np.bool_))
    text = to_text(values)
    codes, uniques = factorize(text)
    distinct = np.array(uniques, dtype=object)
    empty_u = distinct == ""
    parsed = np.full(len(distinct), np.datetime64("NaT"), dtype="datetime64[us]")
    todo = ~empty_u
    for fmt in (*formats, *DATE_FORMATS):
        if not todo.any():
            break
        stamps = pd.to_datetime(distinct[todo], format=fmt, errors="coerce")
        parsed[todo] = stamps.to_numpy(dtype="datetime64[us]")
        todo &= np.isnat(parsed)
    values_u = _to_ns(parsed.astype("datetime64[D]").astype("datetime64[us]"))
    return Parsed(values_u[codes], empty_u[codes], todo[codes])


def too_early(dates: npt.NDArray[np.datetime64]) -> BoolArray:
    """Dates before :data:`EARLIEST_DATE` (NaT is never too early)."""
    return np.asarray(dates < EARLIEST_DATE.to_datetime64(), dtype=np.bool_)


def _to_ns(stamps: pd.Series[Any] | npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
    """datetime64[ns]; dates beyond its range are clamped (too_early() flags the early ones)."""
    arr = np.asarray(stamps)
    if arr.dtype == np.dtype("datetime64[ns]"):
        return arr
    wide = arr.astype("datetime64[us]")
    latest = LATEST_DATE.to_datetime64().astype("datetime64[us]")
    floor = np.datetime64("1677-09-22", "us")
    clamped = np.where(np.isnat(wide), wide, np.clip(wide, floor, latest))
    return clamped.astype("datetime64[ns]")


def parse_bool(values: pd.Series[Any]) -> Parsed:
    """Booleans from bools, 1/0 and the words of :data:`BOOL_WORDS`; missing means False."""
    dtype = values.dtype
    n = len(values)
    if pd.api.types.is_bool_dtype(dtype):
        gone = values.isna().to_numpy()
        flags = values.to_numpy(dtype=object, na_value=False).astype(np.bool_)
        return Parsed(flags, gone, np.zeros(n, dtype=np.bool_))
    if pd.api.types.is_numeric_dtype(dtype):
        x = values.to_numpy(dtype=np.float64, na_value=np.nan)
        gone = np.isnan(x)
        return Parsed(x == 1.0, gone, ~gone & (x != 0.0) & (x != 1.0))
    codes, uniques = factorize(to_text(values))
    words = [u.lower() for u in uniques]
    empty_u = np.array([w == "" for w in words], dtype=np.bool_)
    known_u = np.array([w in BOOL_WORDS for w in words], dtype=np.bool_)
    flag_u = np.array([BOOL_WORDS.get(w, False) for w in words], dtype=np.bool_)
    return Parsed(flag_u[codes], empty_u[codes], ~empty_u[codes] & ~known_u[codes])


# --------------------------------------------------------------------------------------------
# vocabularies and lists (parsed once per distinct cell)


@dataclass(frozen=True)
class CellResult:
    """One distinct cell parsed: its canonical text, a bit mask, and (rule, message) problems."""

    canonical: str
    mask: int = 0
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ColumnResult:
    """A list column parsed for all rows; problems flattened to one entry per (row, problem)."""

    canonical: ObjArray
    mask: IntArray
    bad: BoolArray
    problem_positions: npt.NDArray[np.intp]
    problem_rules: ObjArray
    problem_messages: ObjArray


def parse_by_unique(text: Text, parse_cell: Callable[[str], CellResult]) -> ColumnResult:
    """Apply ``parse_cell`` to each distinct value of ``text`` and broadcast back to all rows."""
    codes, uniques = factorize(text)
    results = [parse_cell(u) for u in uniques]
    canonical_u = np.array([r.canonical for r in results] + [""], dtype=object)
    mask_u = np.array([r.mask for r in results] + [0], dtype=np.int64)
    count_u = np.array([len(r.problems) for r in results] + [0], dtype=np.intp)
    rules_flat = np.array([q[0] for r in results for q in r.problems] + [""], dtype=object)
    msgs_flat = np.array([q[1] for r in results for q in r.problems] + [""], dtype=object)
    start_u = np.cumsum(count_u) - count_u
    counts = count_u[codes]
    rows = np.flatnonzero(counts)
    k = counts[rows]
    repeated = np.repeat(rows, k)
    within = np.arange(len(repeated)) - np.repeat(np.cumsum(k) - k, k)
    flat = start_u[codes[repeated]] + within
    return ColumnResult(
        canonical=canonical_u[codes],
        mask=mask_u[codes],
        bad=counts > 0,
        problem_positions=repeated.astype(np.intp),
        problem_rules=rules_flat[flat],
        problem_messages=msgs_flat[flat],
    )


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """A ``"; did you mean 'x'?"`` suffix for the closest valid choice, or ``""``."""
    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def valid_list(choices: Sequence[str]) -> str:
    """Spell out valid choices; long vocabularies (time slots) are elided in the middle."""
    if len(choices) <= 10:
        return ", ".join(choices)
    return ", ".join([*choices[:3], "...", choices[-1]])


def split_entries(cell: str) -> list[str]:
    """Entries of a ``;``-joined cell, stripped, empty entries (``a;;b;``) dropped."""
    return [e.strip() for e in cell.split(";") if e.strip()]


def parse_vocab_list_cell(
    cell: str,
    vocabulary: Sequence[str],
    bits: Mapping[str, int],
    noun: str,
    hints: Mapping[str, str] | None = None,
) -> CellResult:
    """A ``;``-list of vocabulary words (case-insensitive) -> canonical order, no duplicates."""
    found: set[str] = set()
    problems: list[tuple[str, str]] = []
    for entry in split_entries(cell):
        word = entry.lower()
        if word in bits:
            found.add(word)
        else:
            hint = (hints or {}).get(word)
            problems.append(("vocabulary", _not_in_vocab(entry, vocabulary, noun, cell, hint)))
    ordered = [w for w in vocabulary if w in found]
    mask = 0
    for w in ordered:
        mask |= bits[w]
    return CellResult(";".join(ordered), mask, tuple(problems))


def parse_choice_cell(
    cell: str, vocabulary: Sequence[str], noun: str, hints: Mapping[str, str] | None = None
) -> CellResult:
    """Exactly one vocabulary word (case-insensitive); the mask is its index in ``vocabulary``.

    ``hints`` maps common wrong words (German forms such as ``w`` for weiblich) to the valid one
    to suggest; they are not accepted silently, the contract stays one vocabulary.
    """
    entries = split_entries(cell)
    if not entries:
        return CellResult("")
    word = entries[0].lower()
    if len(entries) > 1:
        msg = f"{quote(cell)} holds {len(entries)} values; write exactly one {noun}"
        return CellResult("", 0, (("single_value", msg),))
    if word in vocabulary:
        return CellResult(word, list(vocabulary).index(word))
    msg = _not_in_vocab(cell, vocabulary, noun, cell, (hints or {}).get(word))
    return CellResult("", 0, (("vocabulary", msg),))


def parse_languages_cell(cell: str) -> CellResult:
    """``code:level;...`` -> canonical codes and levels, strongest level first, one per code."""
    best: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    for entry in split_entries(cell):
        if ":" not in entry or "," in entry:
            problems.append(("format", _entry_without_level(entry)))
            continue
        raw_code, _, raw_level = (part.strip() for part in entry.partition(":"))
        code = canonical_language(raw_code) if raw_code else None
        level = _LEVEL_LOOKUP.get(raw_level.lower())
        if code is None:
            problems.append(("vocabulary", _bad_language(raw_code)))
        if level is None:
            problems.append(("vocabulary", _bad_level(raw_level)))
        if code is not None and level is not None:
            best[code] = max(best.get(code, 0), LEVEL_CODE[level])
    ordered = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    text = ";".join(f"{code}:{LEVELS[lvl - 1]}" for code, lvl in ordered)
    return CellResult(text, 0, tuple(problems))


def _not_in_vocab(
    entry: str, vocabulary: Sequence[str], noun: str, cell: str, hint_word: str | None = None
) -> str:
    hint = f"; did you mean {hint_word!r}?" if hint_word else did_you_mean(entry, vocabulary)
    article = "an" if noun[0] in "aeiou" else "a"
    where = f" (in {quote(cell)})" if cell.strip() != entry else ""
    return f"{quote(entry)}{where} is not {article} {noun}; valid: {valid_list(vocabulary)}{hint}"


def objects(items: Iterable[str]) -> ObjArray:
    """A numpy object array of python ``str`` (messages built for the failing rows only)."""
    values = list(items)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def quote(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Quote user text for a message: a short excerpt, control characters escaped.

    A cell may hold free text about a person and characters that steer a terminal, so a
    message shows no more than needed to find the cell (see :func:`lotsen_match.printable.excerpt`).
    """
    return excerpt(text, limit)


def quote_known(text: str) -> str:
    """Quote a word of our own vocabulary (a suggestion, an example) in full."""
    return "'" + printable(text).replace("'", "’") + "'"


def _entry_without_level(entry: str) -> str:
    if "," in entry:
        return f"{quote(entry)}: separate languages with ';', not ','; {LANGUAGE_EXAMPLE}"
    code = canonical_language(entry)
    if code is not None:
        return f"{quote(entry)} has no level; write code:level, e.g. {code}:B1"
    return f"{quote(entry)} is not code:level; {LANGUAGE_EXAMPLE}"


def _bad_language(raw_code: str) -> str:
    if not raw_code:
        return f"a language code is missing before ':'; {LANGUAGE_EXAMPLE}"
    msg = f"{quote(raw_code)} is not an ISO 639 language code; {LANGUAGE_EXAMPLE}"
    guess = _language_by_name(raw_code)
    if guess is not None:
        msg += f"; did you mean {guess!r} ({language_name(guess)})?"
    return msg


def _bad_level(raw_level: str) -> str:
    if not raw_level:
        return f"a language level is missing after ':'; valid: {', '.join(LEVELS_DESC)}"
    hint = _LEVEL_HINTS.get(raw_level.lower())
    if hint is None:
        close = difflib.get_close_matches(raw_level.lower(), list(_LEVEL_LOOKUP), n=1)
        hint = _LEVEL_LOOKUP[close[0]] if close else None
    suffix = f"; did you mean {hint!r}?" if hint else ""
    return f"{quote(raw_level)} is not a language level; valid: {', '.join(LEVELS_DESC)}{suffix}"


def _language_by_name(name: str) -> str | None:
    """Code of a language written out ("Arabic", "Arabisch"), to suggest in a message."""
    key = name.strip().lower()
    code = _language_names().get(key)
    if code is None:
        close = difflib.get_close_matches(key, list(_language_names()), n=1, cutoff=0.85)
        code = _language_names()[close[0]] if close else None
    return code


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """English and German names of the ISO 639 languages that have a two-letter code.

    Built on first use only (a bad language cell), from pycountry's own tables and translations.
    """
    try:
        german: Callable[[str], str] = gettext.translation(
            "iso639-3", pycountry.LOCALES_DIR, languages=["de"]
        ).gettext
    except OSError:  # translations not shipped: English names only
        german = str
    names: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if code is None:
            continue
        for name in (lang.name, german(lang.name)):
            names.setdefault(str(name).lower(), str(code))
    return names
