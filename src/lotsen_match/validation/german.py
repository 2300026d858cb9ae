"""Cell parsers for the ``de`` vocabulary: German/English words -> codes, per distinct cell.

Each factory returns a ``parse_cell`` for :func:`.parsers.parse_by_unique`, so a column of 100k
rows costs one call per distinct cell. Rejections name what was written, what it could have
meant and the code it would map to ("'Arabish' ist keine bekannte Sprache — meinten Sie
'Arabisch' (ar)?"), in German or English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from ..core.vocab import (
    ASSIGNMENT_STATUSES,
    DECIDERS,
    END_REASONS,
    GENDERS,
    LEVEL_CODE,
    LEVELS,
    MODULES,
    NEED_TYPES,
    VOLUNTEER_STATUSES,
)
from ..ingest.vocabulary_de import (
    ANY_TIME_WORDS,
    GermanVocabulary,
    Kind,
    Lang,
    Resolution,
    label,
    split_cell,
)
from . import parsers as p

__all__ = [
    "bool_parser",
    "choice_cell",
    "languages_cell",
    "list_cell",
    "unknown_message",
]

#: "ist keine bekannte Sprache" / "is not a known language", per vocabulary kind.
_NOUNS: Final[dict[str, dict[Lang, str]]] = {
    "languages": {"de": "keine bekannte Sprache", "en": "not a known language"},
    "levels": {"de": "kein bekanntes Sprachniveau", "en": "not a known language level"},
    "need_types": {"de": "kein bekannter Bedarf", "en": "not a known need type"},
    "modules": {"de": "kein bekanntes Fortbildungsmodul", "en": "not a known training module"},
    "slots": {"de": "kein bekanntes Zeitfenster", "en": "not a known time slot"},
    "genders": {"de": "keine bekannte Geschlechtsangabe", "en": "not a known gender"},
    "statuses": {"de": "kein bekannter Status", "en": "not a known assignment status"},
    "end_reasons": {"de": "kein bekannter Beendigungsgrund", "en": "not a known end reason"},
    "deciders": {"de": "keine bekannte Angabe, wer entschied", "en": "not a known decider"},
    "volunteer_statuses": {"de": "kein bekannter Status", "en": "not a known volunteer status"},
}
_VALID: Final[dict[str, tuple[str, ...]]] = {
    "need_types": NEED_TYPES,
    "modules": MODULES,
    "genders": GENDERS,
    "statuses": ASSIGNMENT_STATUSES,
    "end_reasons": END_REASONS,
    "deciders": DECIDERS,
    "volunteer_statuses": VOLUNTEER_STATUSES,
}
_LEVEL_HELP: Final[dict[Lang, str]] = {
    "de": "gültig: Muttersprache, C2, C1, B2, B1, A2, A1 oder verhandlungssicher (C2), "
    "fließend (C1), sehr gut (B2), gut (B1), Grundkenntnisse (A2)",
    "en": "valid: native, C2, C1, B2, B1, A2, A1 or business fluent (C2), fluent (C1), "
    "very good (B2), good (B1), basic (A2)",
}
_SLOT_HELP: Final[dict[Lang, str]] = {
    "de": "z. B. 'Di abends', 'Mo-Fr vormittags', 'Wochenende' oder tue-eve; jederzeit: "
    + ", ".join(f"'{w}'" for w in ANY_TIME_WORDS[:6])
    + " oder leer",
    "en": "e.g. 'Tue evenings', 'Mon-Fri mornings', 'weekend' or tue-eve; any time: "
    + ", ".join(f"'{w}'" for w in ANY_TIME_WORDS[:6])
    + ", 'any time' or empty",
}


def _choice(spelling: str, code: str) -> str:
    """ "'Arabisch' (ar)": what to write, and the code it maps to (the mapping shown)."""
    shown = p.quote_known(spelling)
    return shown if spelling == code or not code else f"{shown} ({code})"


def _either(items: Sequence[str], lang: Lang) -> str:
    word = "oder" if lang == "de" else "or"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def unknown_message(kind: str, entry: str, res: Resolution, lang: Lang, cell: str = "") -> str:
    """The message for a word that did not resolve (unknown or ambiguous)."""
    shown = p.quote(entry)
    where = f" (in {p.quote(cell)})" if cell and cell.strip() != entry else ""
    choices = list(dict.fromkeys(_choice(s, c) for s, c in _dedupe_codes(res.suggestions)))[:3]
    if res.status == "ambiguous":
        if lang == "de":
            return f"{shown}{where} ist mehrdeutig — meinten Sie {_either(choices, lang)}?"
        return f"{shown}{where} is ambiguous — did you mean {_either(choices, lang)}?"
    noun = _NOUNS[kind][lang]
    text = f"{shown}{where} ist {noun}" if lang == "de" else f"{shown}{where} is {noun}"
    if choices:
        text += (
            (" — meinten Sie " if lang == "de" else " — did you mean ")
            + _either(choices, lang)
            + "?"
        )
    if kind in _VALID:
        valid = ", ".join(_choice(label(_kind(kind), c, lang), c) for c in _VALID[kind])
        text += ("; gültig: " if lang == "de" else "; valid: ") + valid
    elif kind == "levels":
        text += "; " + _LEVEL_HELP[lang]
    elif kind == "slots":
        text += "; " + _SLOT_HELP[lang]
    return text


def _kind(kind: str) -> Kind:
    kinds: dict[str, Kind] = {
        "need_types": "need_types",
        "modules": "modules",
        "genders": "genders",
        "statuses": "statuses",
        "end_reasons": "end_reasons",
        "deciders": "deciders",
        "volunteer_statuses": "volunteer_statuses",
    }
    return kinds[kind]


def _dedupe_codes(suggestions: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first spelling per code ("Arabisch" (ar), not also "Arabic" (ar))."""
    seen: dict[str, tuple[str, str]] = {}
    for spelling, code in suggestions:
        seen.setdefault(code or spelling, (spelling, code))
    return list(seen.values())


# ------------------------------------------------------------------------------------------------
# cell parsers


def languages_cell(
    vocab: GermanVocabulary, separators: Sequence[str], lang: Lang
) -> Callable[[str], p.CellResult]:
    """ "Arabisch (Muttersprache), Deutsch B1" -> ``ar:native;de:B1`` (strongest level first)."""

    def parse(cell: str) -> p.CellResult:
        best: dict[str, int] = {}
        problems: list[tuple[str, str]] = []
        entries = split_cell(cell, separators)
        context = cell if len(entries) > 1 else ""  # name the cell only when it holds several
        for entry in entries:
            language, level, name = vocab.language_entry(entry)
            if not language.ok:
                rule = "ambiguous" if language.status == "ambiguous" else "vocabulary"
                problems.append((rule, unknown_message("languages", name, language, lang, context)))
            if level is None:
                problems.append(("format", _no_level(entry, name, lang)))
            elif not level.ok:
                problems.append(("vocabulary", _bad_level(entry, name, level, lang)))
            if language.ok and level is not None and level.ok:
                code = LEVEL_CODE[level.value]
                best[language.value] = max(best.get(language.value, 0), code)
        ordered = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        text = ";".join(f"{code}:{LEVELS[lvl - 1]}" for code, lvl in ordered)
        return p.CellResult(text, 0, tuple(problems))

    return parse


def _no_level(entry: str, name: str, lang: Lang) -> str:
    show = p.quote_known if name else p.quote  # a known language name, else the cell's text
    name = name or entry
    if lang == "de":
        return (
            f"{p.quote(entry)}: das Sprachniveau fehlt; z. B. {show(name + ' B1')} oder "
            f"{show(name + ' (Muttersprache)')}"
        )
    example = f"{show(name + ' B1')} or {show(name + ' (native)')}"
    return f"{p.quote(entry)} has no level; write e.g. {example}"


def _bad_level(entry: str, name: str, level: Resolution, lang: Lang) -> str:
    """The level word is what remains of the entry without the language name."""
    words = entry.replace(name, "", 1).strip(" ():-–") if name else entry
    return unknown_message("levels", words or entry, level, lang)


def list_cell(
    kind: Kind,
    vocab: GermanVocabulary,
    vocabulary: Sequence[str],
    bits: Mapping[str, int],
    separators: Sequence[str],
    lang: Lang,
) -> Callable[[str], p.CellResult]:
    """A list of need types, training modules or time slots -> canonical order, bit mask."""
    resolve = _resolver(kind, vocab)
    # A time phrase may hold commas ("Di, Do abends"): slots split at ";" and line breaks only.
    seps = [s for s in separators if s != ","] if kind == "slots" else list(separators)

    def parse(cell: str) -> p.CellResult:
        found: set[str] = set()
        problems: list[tuple[str, str]] = []
        entries = split_cell(cell, seps)
        context = cell if len(entries) > 1 else ""
        any_time = False
        for entry in entries:
            if kind == "modules" and vocab.all_modules(entry):
                found.update(vocabulary)
                continue
            res = resolve(entry)
            if res.ok:
                found.update(v for v in res.value.split(";") if v)
                any_time |= kind == "slots" and not res.value  # "nach Absprache", "jederzeit"
            else:
                rule = "ambiguous" if res.status == "ambiguous" else "vocabulary"
                problems.append((rule, unknown_message(kind, entry, res, lang, context)))
        if any_time:
            return p.CellResult("", 0, tuple(problems))  # empty = any time (SPEC)
        ordered = [w for w in vocabulary if w in found]
        mask = 0
        for w in ordered:
            mask |= bits[w]
        return p.CellResult(";".join(ordered), mask, tuple(problems))

    return parse


def choice_cell(
    kind: Kind,
    vocab: GermanVocabulary,
    vocabulary: Sequence[str],
    separators: Sequence[str],
    lang: Lang,
) -> Callable[[str], p.CellResult]:
    """Exactly one need type, gender or status; the mask is its index in ``vocabulary``."""
    resolve = _resolver(kind, vocab)

    def parse(cell: str) -> p.CellResult:
        entries = split_cell(cell, separators)
        if not entries:
            return p.CellResult("")
        if len(entries) > 1:
            if lang == "de":
                msg = f"{p.quote(cell)} enthält {len(entries)} Werte; bitte genau einen angeben"
            else:
                msg = f"{p.quote(cell)} holds {len(entries)} values; write exactly one"
            return p.CellResult("", 0, (("single_value", msg),))
        res = resolve(entries[0])
        if res.ok:
            index = list(vocabulary).index(res.value) if res.value else 0
            return p.CellResult(res.value, index)
        rule = "ambiguous" if res.status == "ambiguous" else "vocabulary"
        return p.CellResult("", 0, ((rule, unknown_message(kind, entries[0], res, lang)),))

    return parse


def _resolver(kind: Kind, vocab: GermanVocabulary) -> Callable[[str], Resolution]:
    resolvers: dict[str, Callable[[str], Resolution]] = {
        "need_types": vocab.need_type,
        "modules": vocab.module,
        "slots": vocab.slots,
        "genders": vocab.gender,
        "statuses": vocab.status,
        "end_reasons": vocab.end_reason,
        "deciders": vocab.decider,
        "volunteer_statuses": vocab.volunteer_status,
    }
    return resolvers[kind]


def bool_parser(vocab: GermanVocabulary) -> Callable[[pd.Series[Any]], p.Parsed]:
    """Booleans from bools, numbers and German/English words (ja/nein, x, j/n, keine ...)."""

    def parse(values: pd.Series[Any]) -> p.Parsed:
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            return p.parse_bool(values)
        codes, uniques = p.factorize(p.to_text(values))
        flags = [vocab.boolean(u) for u in uniques]
        empty_u = np.array([u == "" for u in uniques], dtype=np.bool_)
        known_u = np.array([f is not None for f in flags], dtype=np.bool_)
        flag_u = np.array([bool(f) for f in flags], dtype=np.bool_)
        return p.Parsed(flag_u[codes], empty_u[codes], ~empty_u[codes] & ~known_u[codes])

    return parse
