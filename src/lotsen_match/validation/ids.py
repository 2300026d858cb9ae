"""Id syntax and id comparison: what an id may hold, and when two spellings are a near miss.

Ids are case-sensitive text (SPEC.md, "Ids and references"). They may not hold the list
separators (a cell of excluded ids is split at them, so such an id could never be excluded),
control characters or invisible ones (zero-width spaces, soft hyphens, byte order marks, bidi
controls): ids that look the same must be the same. References are resolved *exactly*; the
:func:`normalised` form (NFKC, lower case, without whitespace and invisible characters) only
recognises a near miss to report ("did you mean 'V2'?"), it never resolves one. All work runs on
whole pyarrow columns or once per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import parsers as p

__all__ = [
    "LIST_SEPARATORS",
    "NearMatches",
    "char_label",
    "first_forbidden",
    "forbidden_mask",
    "id_list_parser",
    "near_matches",
    "normalised",
    "split_id_list",
    "suggestion_text",
    "visible",
]

#: Separators between ids in a list cell (``excluded_volunteers``), whatever the import profile.
LIST_SEPARATORS: Final[tuple[str, ...]] = (";", ",")
#: Invisible characters outside the control/format categories (combining grapheme joiner,
#: Hangul and Khmer fillers, Mongolian and other variation selectors, the blank braille cell).
_INVISIBLE_RANGES: Final[tuple[tuple[int, int], ...]] = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)
#: Unicode categories that are never part of an id: control, format (zero-width, soft hyphen,
#: BOM, bidi), line and paragraph separators.
_FORBIDDEN_CATEGORIES: Final[frozenset[str]] = frozenset({"Cc", "Cf", "Zl", "Zp"})
_EXTRA_RE2: Final[str] = "".join(
    f"\\x{{{a:04X}}}" if a == b else f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in _INVISIBLE_RANGES
)
#: RE2 class of the characters an id may not contain (separators added per call).
_FORBIDDEN_RE2: Final[str] = r"\p{Cc}\p{Cf}\p{Zl}\p{Zp}" + _EXTRA_RE2
#: RE2 class of what normalisation drops: all whitespace and everything invisible.
_DROPPED_RE2: Final[str] = r"[\p{Z}\s" + _FORBIDDEN_RE2 + "]"
#: How many near ids a message offers.
_MAX_SUGGESTIONS: Final[int] = 3


def _is_invisible(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch) in _FORBIDDEN_CATEGORIES or any(
        a <= code <= b for a, b in _INVISIBLE_RANGES
    )


def _id_separators(separators: Sequence[str]) -> tuple[str, ...]:
    """The contract separators plus an import profile's own ones (line breaks are controls)."""
    return tuple(dict.fromkeys([*LIST_SEPARATORS, *(s for s in separators if s)]))


@lru_cache(maxsize=16)
def _forbidden_re2(separators: tuple[str, ...]) -> str:
    """One RE2 pattern for everything an id may not hold (separators written as code points)."""
    seps = _id_separators(separators)
    single = "".join(f"\\x{{{ord(s):X}}}" for s in seps if len(s) == 1)
    longer = ["".join(f"\\x{{{ord(c):X}}}" for c in s) for s in seps if len(s) > 1]
    return "|".join([f"[{single}{_FORBIDDEN_RE2}]", *longer])


def forbidden_mask(text: p.Text, separators: Sequence[str] = ()) -> p.BoolArray:
    """Cells holding a list separator, a control or an invisible character.

    ASCII cells (nearly all ids) take the fast kernels (printable, substring); only the others
    go through the Unicode regex.
    """
    bad = pc.invert(pc.ascii_is_printable(text))
    for sep in _id_separators(separators):
        bad = pc.or_(bad, pc.match_substring(text, sep))
    mask = np.asarray(bad.to_numpy(zero_copy_only=False), dtype=np.bool_)
    wide = ~np.asarray(pc.string_is_ascii(text).to_numpy(zero_copy_only=False), dtype=np.bool_)
    if wide.any():
        found = pc.match_substring_regex(
            p.select(text, wide), _forbidden_re2(tuple(separators))
        ).to_numpy(zero_copy_only=False)
        mask[wide] = np.asarray(found, dtype=np.bool_)
    return mask


def first_forbidden(value: str, separators: Sequence[str] = ()) -> str:
    """The first character (or multi-character separator) ``value`` may not hold, or ``""``."""
    seps = _id_separators(separators)
    hits = [(value.find(s), s) for s in seps if s in value]
    invisible = next(((i, ch) for i, ch in enumerate(value) if _is_invisible(ch)), None)
    if invisible is not None:
        hits.append(invisible)
    return min(hits)[1] if hits else ""


def char_label(ch: str) -> str:
    """``';'`` for a visible separator, ``U+200B ZERO WIDTH SPACE`` for anything invisible."""
    if len(ch) != 1 or not _is_invisible(ch):
        return p.quote(ch)
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def visible(value: str) -> str:
    """``value`` with invisible characters written as ``\\u200b`` escapes, quoted and shortened."""
    shown = "".join(f"\\u{ord(c):04x}" if _is_invisible(c) else c for c in value)
    return p.quote(shown)


def normalised(text: p.Text) -> p.Text:
    """NFKC, lower case, without whitespace and invisible characters (arrow, whole column).

    Non-ASCII results are case-folded in Python once per distinct value (``ß`` -> ``ss``).
    """
    folded = pc.utf8_lower(
        pc.replace_substring_regex(pc.utf8_normalize(text, form="NFKC"), _DROPPED_RE2, "")
    )
    wide = np.asarray(
        pc.invert(pc.string_is_ascii(folded)).to_numpy(zero_copy_only=False), dtype=np.bool_
    )
    if not wide.any():
        return folded
    values = p.text_values(folded)
    codes, uniques = pd.factorize(values[wide])
    values[wide] = np.array([str(u).casefold() for u in uniques], dtype=object)[codes]
    return pa.array(values, type=pa.large_string())


@lru_cache(maxsize=16)
def _splitter(separators: tuple[str, ...]) -> re.Pattern[str]:
    seps = sorted({*_id_separators(separators), "\r", "\n"}, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in seps))


def split_id_list(cell: str, separators: Sequence[str] = ()) -> list[str]:
    """Stripped, non-empty entries of an id list, split at every separator and line break."""
    return [e.strip() for e in _splitter(tuple(separators)).split(cell) if e.strip()]


def id_list_parser(separators: Sequence[str] = ()) -> Callable[[str], p.CellResult]:
    """Cell parser for id lists: entries sorted, unique, joined by ``;`` (checked later)."""
    seps = tuple(separators)

    def parse(cell: str) -> p.CellResult:
        return p.CellResult(";".join(sorted(set(split_id_list(cell, seps)))))

    return parse


@dataclass(frozen=True)
class NearMatches:
    """References that are not ids but differ from some only by case, spaces or invisibles.

    ``near`` marks them; ``suggestions`` holds a tuple of the ids to offer (sorted) where
    ``near`` holds, ``()`` elsewhere.
    """

    near: p.BoolArray
    suggestions: p.ObjArray


def near_matches(refs: p.Text, ids: p.Text) -> NearMatches:
    """Near misses among ``ids`` of ``refs``, references that match no id exactly.

    Normalises each side once; the Python work is per distinct near miss and per matching id.
    """
    n = len(refs)
    near = np.zeros(n, dtype=np.bool_)
    suggestions = np.empty(n, dtype=object)
    suggestions[:] = [()] * n
    if not n or not len(ids):
        return NearMatches(near, suggestions)
    ref_norm = normalised(refs)
    id_norm = normalised(ids)
    hit = p.is_in(id_norm, ref_norm)
    if not hit.any():
        return NearMatches(near, suggestions)
    offers = (
        pd.DataFrame(
            {"key": p.text_values(id_norm)[hit], "id": p.text_values(ids)[hit]}, dtype=object
        )
        .drop_duplicates()
        .sort_values(["key", "id"], kind="stable")
        .groupby("key", sort=False)["id"]
        .agg(tuple)
    )
    found = pd.Series(p.text_values(ref_norm), dtype=object).map(offers)
    near[:] = found.notna().to_numpy()
    suggestions[near] = found[near].to_numpy(dtype=object)
    return NearMatches(near, suggestions)


def suggestion_text(ids: Sequence[str], lang: str) -> str:
    """``'V2'`` or ``'V2' or 'v2'``: the ids a near miss may have meant."""
    shown = [p.quote(str(i)) for i in ids[:_MAX_SUGGESTIONS]]
    if len(ids) > _MAX_SUGGESTIONS:
        shown.append("…")
    word = " oder " if lang == "de" else " or "
    return ", ".join(shown[:-1]) + (word if len(shown) > 1 else "") + shown[-1]
