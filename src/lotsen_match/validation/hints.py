"""Whole-column hints: one message when a column's refusals share one cause.

A German export read without its profile is refused cell by cell: "'Arabisch' is not an ISO
639 language code" hundreds of times. What the coordinator needs is the one sentence that
explains them all: "this looks like a German export: use vocabulary = "de" or --profile".
These hints are added to the per-cell problems (nothing is hidden), as a record on the
column's header row, first in the list.

They are computed from the problems only (a few hundred distinct refused cells at most), so
they cost nothing on valid input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from ..config import IngestSettings
from ..core.vocab import canonical_language
from ..ingest.options import geocoder_for
from ..ingest.vocabulary_de import (
    GermanVocabulary,
    Resolution,
    default_vocabulary,
    fold,
    split_cell,
)
from .problems import HEADER_ROW, PROBLEM_COLUMNS, empty_problems

__all__ = [
    "GERMAN_HEADER_WORDS",
    "HEADER_COLUMN",
    "MIN_REFUSED_ROWS",
    "PLACE_HEADER_WORDS",
    "column_hints",
    "header_hints",
]

#: The column named by a hint about the header line as a whole.
HEADER_COLUMN: Final[str] = "(header)"
#: A column gets a hint only when at least this many of its rows were refused.
MIN_REFUSED_ROWS: Final[int] = 3
#: Rules of per-cell problems a hint may explain (not duplicates, ranges or missing values).
_EXPLAINED_RULES: Final[frozenset[str]] = frozenset(
    {"vocabulary", "format", "type", "ambiguous", "single_value"}
)
#: Word stems of German export headers ("Lotsen-Nr.", "Sprachkenntnisse", "Wohnort").
GERMAN_HEADER_WORDS: Final[tuple[str, ...]] = (
    "nr",
    "nummer",
    "sprach",
    "wohnort",
    "ort",
    "plz",
    "postleitzahl",
    "anfrage",
    "lotse",
    "lotsin",
    "ehrenamt",
    "haushalt",
    "zeiten",
    "verfuegbar",
    "kapazitaet",
    "geschlecht",
    "termin",
    "eingang",
    "anliegen",
    "bereich",
    "bedarf",
    "modul",
    "fuehrungszeugnis",
    "aktiv",
    "entfernung",
    "breitengrad",
    "laengengrad",
    "kinder",
    "minderjaehrig",
    "wunsch",
    "stand",
    "qualifiziert",
    "zertifiziert",
)
#: Header words of a column that holds place names or postal codes.
PLACE_HEADER_WORDS: Final[tuple[str, ...]] = (
    "ort",
    "wohnort",
    "stadt",
    "gemeinde",
    "plz",
    "postleitzahl",
    "place",
    "city",
    "town",
    "zip",
    "postal",
)

_VOCABULARY_COLUMNS: Final[frozenset[str]] = frozenset(
    {
        "languages",
        "need_types",
        "need_type",
        "availability",
        "gender",
        "preferred_gender",
        "modules",
        "status",
        "involves_minors",
    }
)


def column_hints(
    problems: pd.DataFrame,
    raws: Mapping[str, pd.DataFrame],
    settings: IngestSettings,
) -> pd.DataFrame:
    """One hint per column whose refused cells are mostly German words or place names.

    Parameters
    ----------
    problems
        The per-cell problems of all tables (columns :data:`~.problems.PROBLEM_COLUMNS`).
    raws
        The raw frames by table (for the export's headers of each contract column).
    settings
        The ingest settings in force: German words are only a hint under ``spec``.

    Returns
    -------
    pandas.DataFrame
        Problem records on the header row (rule ``looks_german`` or ``looks_like_places``).
    """
    if not len(problems):
        return empty_problems()
    records: list[dict[str, Any]] = []
    explained = problems[problems["rule"].isin(_EXPLAINED_RULES)]
    for (table, source, header), group in explained.groupby(
        ["table", "source", "column"], sort=False
    ):
        raw = raws.get(str(table))
        if raw is None:
            continue
        column = _contract_column(raw, str(header))
        rows = group.drop_duplicates("row")
        if len(rows) < MIN_REFUSED_ROWS:
            continue
        values = rows["value"].astype(str).to_numpy(dtype=object)
        hint = _hint(str(table), column, str(header), values, settings)
        if hint is not None:
            rule, message = hint
            records.append(
                {
                    "table": table,
                    "source": source,
                    "row": HEADER_ROW,
                    "column": header,
                    "value": "",
                    "rule": rule,
                    "message": message,
                }
            )
    if not records:
        return empty_problems()
    frame = pd.DataFrame.from_records(records, columns=list(PROBLEM_COLUMNS))
    return frame.astype({"row": np.int64})


def header_hints(
    table: str, missing: Sequence[str], found: Sequence[str], *, geocode: bool
) -> list[tuple[str, str, str]]:
    """(column, rule, message) hints when required columns are missing from ``found`` headers.

    A missing ``lat``/``lon`` next to a place-name column says how to use the place names;
    headers that read like a German export say to use an import profile. One record each,
    however many columns are missing.
    """
    hints: list[tuple[str, str, str]] = []
    if {"lat", "lon"} & set(missing):
        places = [h for h in found if _has_word(h, PLACE_HEADER_WORDS)]
        if places and geocode:
            hints.append(
                (
                    places[0],
                    "looks_like_places",
                    f"lat/lon are missing, but {places[0]!r} looks like place names: map it to "
                    f'place (columns.{table}."{places[0]}" = "place") and the coordinates are '
                    "looked up from the place names (Lower Saxony), or use --profile",
                )
            )
        elif places:
            hints.append(
                (
                    places[0],
                    "looks_like_places",
                    f"lat/lon are missing and {places[0]!r} looks like place names, but "
                    "geocoding is off (geocoding.enabled = false): turn it on to use them",
                )
            )
    german = [h for h in found if _has_word(h, GERMAN_HEADER_WORDS)]
    if missing and len(german) >= max(2, len(found) // 3):
        shown = ", ".join(german[:4]) + (", ..." if len(german) > 4 else "")
        hints.append(
            (
                HEADER_COLUMN,
                "looks_german",
                f"the headers ({shown}) look like a German export: read it with an import "
                "profile (--profile profil.toml, see data/deutsch/profil.toml) that maps its "
                f'columns, or map them in the settings ([columns.{table}] "{german[0]}" = '
                '"<contract column>")',
            )
        )
    return hints


# ------------------------------------------------------------------------------------------------


def _contract_column(raw: pd.DataFrame, header: str) -> str:
    original: Mapping[str, str] = raw.attrs.get("original_columns", {}) or {}
    for contract, shown in original.items():
        if str(shown) == header:
            return str(contract)
    return header


def _hint(
    table: str, column: str, header: str, values: np.ndarray[Any, Any], settings: IngestSettings
) -> tuple[str, str] | None:
    de = settings.lang == "de"
    if column in ("lat", "lon"):
        share, example = _share(values, _is_place)
        if share <= 0.5:
            return None
        if de:
            return (
                "looks_like_places",
                f"Die meisten abgelehnten Werte in {header!r} sind Ortsnamen (z. B. {example!r}): "
                f"die Ortsnamen in eine Spalte 'place' legen (columns.{table}.\"…\" = "
                '"place") und Breiten-/Längengrad leer lassen, oder --profile verwenden',
            )
        return (
            "looks_like_places",
            f"most refused values in {header!r} are place names (e.g. {example!r}): put them "
            f'in a place column (columns.{table}."..." = "place") and leave lat/lon empty; '
            "the coordinates are then looked up, or use --profile",
        )
    if settings.vocabulary != "spec" or column not in _VOCABULARY_COLUMNS:
        return None
    vocab = default_vocabulary()
    share, example = _share(values, lambda v: _is_german(vocab, column, v))
    if share <= 0.5:
        return None
    if de:
        return (
            "looks_german",
            f"Die meisten abgelehnten Werte in {header!r} sind deutsche Begriffe (z. B. "
            f'{example!r}): das sieht nach einem deutschen Export aus; vocabulary = "de" in '
            "den Einstellungen setzen oder --profile verwenden",
        )
    return (
        "looks_german",
        f"most refused values in {header!r} are German words (e.g. {example!r}): this looks "
        'like a German export; use vocabulary = "de" in the settings, or --profile',
    )


def _share(values: np.ndarray[Any, Any], test: Callable[[str], bool]) -> tuple[float, str]:
    """Share of ``values`` passing ``test`` (each distinct value tested once) and an example."""
    distinct, counts = np.unique(values.astype(str), return_counts=True)
    hits = np.array([test(str(v)) for v in distinct], dtype=np.bool_)
    share = float(counts[hits].sum() / counts.sum()) if counts.sum() else 0.0
    example = str(distinct[hits][0]) if hits.any() else ""
    return share, example


#: Columns holding one value per cell: a cell with several is refused under either vocabulary.
_SINGLE_VALUE_COLUMNS: Final[frozenset[str]] = frozenset(
    {"need_type", "gender", "preferred_gender", "status", "involves_minors"}
)
#: German words for yes and no (the contract's own spellings are not German).
_GERMAN_BOOLEANS: Final[frozenset[str]] = frozenset({"ja", "nein", "j", "n", "wahr", "falsch"})


def _is_german(vocab: GermanVocabulary, column: str, value: str) -> bool:
    """Whether the German vocabulary would accept the cell where the contract's refused it:
    every entry a German word for the column, at least one of them not the contract's own
    spelling (the German vocabulary knows those too), and one entry where one is allowed."""
    entries = split_cell(value, (";", ",", "\n"))
    if not entries or (column in _SINGLE_VALUE_COLUMNS and len(entries) > 1):
        return False
    if column == "languages":
        return all(_language_name(vocab, e) for e in entries)
    if column not in _RESOLVED:
        return all(vocab.boolean(e) is not None for e in entries) and any(
            fold(e) in _GERMAN_BOOLEANS for e in entries
        )
    lookups = _RESOLVED[column](vocab)
    resolved = [(e, [look(e) for look in lookups]) for e in entries]
    german = False
    for entry, results in resolved:
        found = [r for r in results if r.ok]
        if column == "modules" and not found and vocab.all_modules(entry):
            german = True
            continue
        if not found:
            return False
        german |= all(fold(entry) != fold(r.value) for r in found)
    return german


_Lookup = Callable[[str], Resolution]
#: The German vocabulary's lookups per column (several where a column takes either kind).
_RESOLVED: Final[dict[str, Callable[[GermanVocabulary], list[_Lookup]]]] = {
    "need_types": lambda v: [v.need_type],
    "need_type": lambda v: [v.need_type],
    "availability": lambda v: [v.slots],
    "gender": lambda v: [v.gender],
    "preferred_gender": lambda v: [v.gender],
    "modules": lambda v: [v.module],
    "status": lambda v: [v.status, v.volunteer_status],
}


def _language_name(vocab: GermanVocabulary, entry: str) -> bool:
    """A language written as a name ("Arabisch", "Deutsch B1"), not as a code ("ar:nativ")."""
    language, _, name = vocab.language_entry(entry)
    return language.ok and canonical_language(name) is None


def _is_place(value: str) -> bool:
    text = value.strip()
    if not text or not re.search(r"[^\W\d_]", text):
        return False
    return geocoder_for(IngestSettings()).resolve(text).status in ("ok", "ambiguous")


def _has_word(header: str, words: Sequence[str]) -> bool:
    return any(part.startswith(w) for part in fold(header).split() for w in words)
