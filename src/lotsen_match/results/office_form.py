"""The result tables in the office's own form: its export headers and German words.

A coordinator who exports "Anfrage-Nr.;Sprachen;Anliegen" with "Arabisch" and "Behördengang"
should get proposals back in the same words, not ``request_id`` and ``ar``. With the office
form (``[output] form``, the default for settings that read German words) every result table
takes

* the export's own headers: the inverse of the settings' ``[columns.*]`` (proposals use the
  assignments mapping first, so the proposals file reads back as an assignments table), and
  German titles (:data:`~lotsen_match.contract.RESULT_COLUMNS`) for the result-only columns;
* German words for codes, from the one German vocabulary
  (:mod:`lotsen_match.ingest.vocabulary_de`): every word written reads back as its code.

:func:`from_office` is the exact inverse, so a finished run explains itself from office files
as from contract files. File formats (``;``, Windows-1252, decimal commas, typed Excel cells)
are :mod:`lotsen_match.io.office_files`' part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from ..config import MatchConfig
from ..contract import INPUT_COLUMNS, RESULT_COLUMNS, TABLE_LABELS, ContractColumn
from ..core.vocab import LEVELS
from ..ingest.vocabulary_de import (
    BOOLEAN_LABELS_DE,
    PROPOSAL_STATUS_LABELS_DE,
    REASON_LABELS_DE,
    Kind,
    Lang,
    default_vocabulary,
    label,
    split_cell,
)
from .explain import COMPONENT_LABELS

__all__ = ["OfficeForm", "from_office", "office_form", "table_columns", "to_office"]

#: Which export mapping names a result column, tried in order (proposals read back as
#: assignments, so that mapping comes first).
_HEADER_SOURCES: Final[dict[str, dict[str, tuple[tuple[str, str], ...]]]] = {
    "proposals": {
        "request_id": (("assignments", "request_id"), ("requests", "request_id")),
        "volunteer_id": (("assignments", "volunteer_id"), ("volunteers", "volunteer_id")),
        "household_id": (("requests", "household_id"),),
        "status": (("assignments", "status"),),
    },
    "alternatives": {
        "request_id": (("assignments", "request_id"), ("requests", "request_id")),
        "volunteer_id": (("assignments", "volunteer_id"), ("volunteers", "volunteer_id")),
    },
    "reconfirm": {
        "request_id": (("requests", "request_id"),),
        "household_id": (("requests", "household_id"),),
        "need_type": (("requests", "need_type"),),
        "created_on": (("requests", "created_on"),),
    },
    "unmatched": {
        "request_id": (("requests", "request_id"),),
        "household_id": (("requests", "household_id"),),
        "request_languages": (("requests", "languages"),),
        "need_type": (("requests", "need_type"),),
    },
}
_ENGLISH_BOOLEANS: Final[dict[bool, str]] = {True: "yes", False: "no"}


@dataclass(frozen=True)
class OfficeForm:
    """How one office's result files look: headers per table, language, list separator.

    ``headers[table][contract column]`` is the header written; ``lang`` the language of the
    words; ``separator`` joins list entries (the settings' first list separator).
    """

    headers: Mapping[str, Mapping[str, str]]
    lang: Lang
    separator: str


def office_form(config: MatchConfig) -> OfficeForm:
    """The office form the settings describe (headers from ``config.ingest.columns``)."""
    ingest = config.ingest
    lang = ingest.lang
    mappings: dict[str, dict[str, str]] = {
        table: {c: h for h, c in cols.items()} for table, cols in ingest.columns.items()
    }
    headers: dict[str, dict[str, str]] = {}
    for table in (*RESULT_COLUMNS, *INPUT_COLUMNS):
        own = mappings.get(table, {}) if table in INPUT_COLUMNS else {}
        sources = _HEADER_SOURCES.get(table, {})
        chosen: dict[str, str] = {}
        for column in table_columns(table):
            found = own.get(column.name)
            for source_table, source_column in sources.get(column.name, ()):
                found = found or mappings.get(source_table, {}).get(source_column)
            default = column.header_de if lang == "de" else column.name
            chosen[column.name] = found or default
        headers[table] = _unique(chosen)
    first = ingest.separators[0] if ingest.separators else ";"
    separator = "; " if first in (";", "\n") else f"{first} "
    return OfficeForm(headers, lang, separator)


def table_columns(name: str) -> tuple[ContractColumn, ...]:
    """The contract columns of a result or input table (``input_volunteers`` = volunteers)."""
    table = name.removeprefix("input_")
    return RESULT_COLUMNS.get(table) or INPUT_COLUMNS.get(table) or ()


def to_office(name: str, frame: pd.DataFrame, form: OfficeForm) -> pd.DataFrame:
    """``frame`` (a result or input table named ``name``) in the office's headers and words.

    Columns outside the contract keep their names and values; numbers and dates keep their
    types (the file writer formats them).
    """
    table = name.removeprefix("input_")
    columns = {c.name: c for c in table_columns(name)}
    headers = form.headers.get(table, {})
    out = frame.copy()
    for position, column_name in enumerate(out.columns):
        column = columns.get(str(column_name))
        if column is None:
            continue
        series = out.iloc[:, position]
        if column.words is not None:
            out.isetitem(position, _map_distinct(series, _writer(column, form)))
        elif _iso_date_text(name, column, series):
            # ISO text of a result table: a date, so the writer puts it as the office does.
            out.isetitem(position, pd.to_datetime(series, format="%Y-%m-%d").to_numpy())
    out.columns = pd.Index([headers.get(str(c), str(c)) for c in out.columns], dtype=object)
    return out


def _iso_date_text(name: str, column: ContractColumn, series: pd.Series) -> bool:
    """A date column of a result table that holds ISO text (``reconfirm``'s dates)."""
    return (
        name in RESULT_COLUMNS
        and column.type == "date"
        and not pd.api.types.is_datetime64_any_dtype(series)
    )


def from_office(name: str, frame: pd.DataFrame, form: OfficeForm) -> pd.DataFrame:
    """The inverse of :func:`to_office`: contract headers and codes again.

    Numbers written with a decimal comma (text read from CSV) become numbers, ``ja``/``nein``
    booleans; words that are no label of the vocabulary are left as they are.
    """
    table = name.removeprefix("input_")
    columns = {c.name: c for c in table_columns(name)}
    back = {header: column for column, header in form.headers.get(table, {}).items()}
    out = frame.rename(columns={h: back.get(str(h), str(h)) for h in frame.columns})
    for position, column_name in enumerate(out.columns):
        column = columns.get(str(column_name))
        if column is None:
            continue
        series = out.iloc[:, position]
        if column.words is not None:
            out.isetitem(position, _map_distinct(series, _reader(column, form)))
        elif column.type in ("number", "integer") and not pd.api.types.is_numeric_dtype(series):
            text = series.astype("string").str.replace(",", ".", regex=False).astype(object)
            out.isetitem(position, pd.to_numeric(text, errors="coerce").to_numpy())
        elif name in RESULT_COLUMNS and column.type == "date":
            out.isetitem(position, _iso_text(series))
    return out


def _iso_text(series: pd.Series) -> Any:
    """Dates read back from an office file (German text or spreadsheet dates) as ISO text."""
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, format="%d.%m.%Y", errors="coerce")
    return series.dt.strftime("%Y-%m-%d").astype(object).to_numpy()


# ------------------------------------------------------------------------------------------------
# words


def _writer(column: ContractColumn, form: OfficeForm) -> Callable[[Any], Any]:
    """Code -> word(s) for the values of ``column``."""
    lang, sep = form.lang, form.separator
    words = column.words or ""
    if words == "booleans":
        booleans = BOOLEAN_LABELS_DE if lang == "de" else _ENGLISH_BOOLEANS
        return lambda v: booleans.get(bool(v), v) if isinstance(v, bool | np.bool_) else v
    if words == "languages" and column.type == "language_levels":
        return lambda v: sep.join(_language_level(e, lang) for e in str(v).split(";") if e)
    table = _fixed_words(words, lang)
    if table is not None:
        one: Callable[[str], str] = lambda code: table.get(code, code)  # noqa: E731
    else:
        kind: Kind = words  # type: ignore[assignment]
        one = lambda code: label(kind, code, lang)  # noqa: E731
    if column.type == "list":
        joiner = ", " if words == "components" else sep
        split = "," if words == "components" else ";"
        return lambda v: joiner.join(one(e.strip()) for e in str(v).split(split) if e.strip())
    return lambda v: one(str(v)) if str(v) else v


def _reader(column: ContractColumn, form: OfficeForm) -> Callable[[Any], Any]:
    """Word(s) -> code for the values of ``column`` (the inverse of :func:`_writer`)."""
    lang, sep = form.lang, form.separator
    words = column.words or ""
    if words == "booleans":
        booleans = BOOLEAN_LABELS_DE if lang == "de" else _ENGLISH_BOOLEANS
        inverse_bool = {w: flag for flag, w in booleans.items()}
        return lambda v: inverse_bool.get(str(v).strip().lower(), v) if isinstance(v, str) else v
    vocab = default_vocabulary()
    if words == "languages":

        def language(word: str) -> str:
            res = vocab.language(word)
            return res.value if res.ok else word

        if column.type == "language_levels":
            return lambda v: ";".join(
                _language_level_code(e, vocab) for e in split_cell(str(v), [sep.strip()])
            )
        if column.type == "list":
            return lambda v: ";".join(language(e) for e in split_cell(str(v), [sep.strip()]))
        return lambda v: language(str(v)) if str(v) else v
    table = _fixed_words(words, lang)
    if table is not None:
        inverse = {word: code for code, word in table.items()}
    else:
        kind: Kind = words  # type: ignore[assignment]
        inverse = {label(kind, code, lang): code for code in _codes(kind)}
    if column.type == "list":
        joiner = ", " if words == "components" else sep
        glue = ", " if words == "components" else ";"  # the contract form's own joiners
        return lambda v: glue.join(
            inverse.get(e.strip(), e.strip()) for e in str(v).split(joiner.strip()) if e.strip()
        )
    return lambda v: inverse.get(str(v), v) if isinstance(v, str) else v


def _fixed_words(words: str, lang: Lang) -> Mapping[str, str] | None:
    """Word tables of the result-only vocabularies (None for the import vocabularies)."""
    if words == "reasons":
        return REASON_LABELS_DE if lang == "de" else {}
    if words == "proposal_statuses":
        return PROPOSAL_STATUS_LABELS_DE if lang == "de" else {}
    if words == "components":
        return COMPONENT_LABELS.get(lang, {})
    if words == "tables":
        return {table: labels[lang] for table, labels in TABLE_LABELS.items()}
    return None


def _codes(kind: Kind) -> tuple[str, ...]:
    from ..core import vocab as v

    codes: dict[str, tuple[str, ...]] = {
        "need_types": v.NEED_TYPES,
        "modules": v.MODULES,
        "slots": v.SLOTS,
        "genders": v.GENDERS,
        "statuses": v.ASSIGNMENT_STATUSES,
        "end_reasons": v.END_REASONS,
        "deciders": v.DECIDERS,
        "volunteer_statuses": v.VOLUNTEER_STATUSES,
        "levels": v.LEVELS,
    }
    return codes.get(kind, ())


def _language_level(entry: str, lang: Lang) -> str:
    """``ar:native`` -> ``Arabisch (Muttersprache)``; ``de:B1`` -> ``Deutsch (B1)``."""
    code, _, level = entry.partition(":")
    name = label("languages", code, lang)
    return f"{name} ({label('levels', level, lang)})" if level else name


def _language_level_code(entry: str, vocab: Any) -> str:
    language, level, _ = vocab.language_entry(entry)
    if not language.ok:
        return entry
    if level is None or not level.ok or level.value not in LEVELS:
        return str(language.value)
    return f"{language.value}:{level.value}"


def _map_distinct(series: pd.Series[Any], fn: Callable[[Any], Any]) -> np.ndarray[Any, Any]:
    """``fn`` applied once per distinct value (a table has few distinct codes); NA stays NA."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    out = values.copy()
    present = values[~missing]
    if present.size:
        codes, uniques = pd.factorize(present)
        mapped = np.empty(len(uniques), dtype=object)
        mapped[:] = [fn(u) for u in uniques]
        out[~missing] = mapped[codes]
    return out


def _unique(headers: dict[str, str]) -> dict[str, str]:
    """Headers made unique: a second column with the same title gets its contract name added."""
    seen: set[str] = set()
    out: dict[str, str] = {}
    for column, header in headers.items():
        title = header if header not in seen else f"{header} ({column})"
        seen.add(title)
        out[column] = title
    return out
