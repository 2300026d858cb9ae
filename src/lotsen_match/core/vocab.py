"""Controlled vocabularies of the data contract (docs/contract.md) and their integer encodings.

Every vocabulary has one canonical order; the position in that order is the integer code or bit
used by the vectorised pipeline, so encodings are stable across runs and releases.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import pycountry

__all__ = [
    "ALL_SLOTS",
    "ASSIGNMENT_STATUSES",
    "DAYS",
    "DAY_PARTS",
    "DECIDERS",
    "END_REASONS",
    "GENDERS",
    "GENDER_CODE",
    "LEVELS",
    "LEVEL_CODE",
    "MODULES",
    "MODULE_BIT",
    "NATIVE",
    "NEED_CODE",
    "NEED_TYPES",
    "RELEVANT_MODULES",
    "SLOTS",
    "SLOT_BIT",
    "VOLUNTEER_STATUSES",
    "canonical_language",
    "language_label",
    "language_levels",
    "language_name",
    "slot_mask",
]


#: Language levels from weakest to strongest; code = position + 1 (0 means "does not speak").
LEVELS: Final[tuple[str, ...]] = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
LEVEL_CODE: Final[dict[str, int]] = {name: i + 1 for i, name in enumerate(LEVELS)}
NATIVE: Final[int] = LEVEL_CODE["native"]

NEED_TYPES: Final[tuple[str, ...]] = (
    "school",
    "authority",
    "health",
    "housing",
    "work",
    "everyday",
    "digital",
    "leisure",
)
NEED_CODE: Final[dict[str, int]] = {name: i for i, name in enumerate(NEED_TYPES)}

MODULES: Final[tuple[str, ...]] = (
    "volunteering",
    "tolerance",
    "integration",
    "law",
    "media",
    "intercultural",
)
MODULE_BIT: Final[dict[str, int]] = {name: 1 << i for i, name in enumerate(MODULES)}

#: Which training modules prepare a volunteer for which need (score component "modules").
RELEVANT_MODULES: Final[dict[str, tuple[str, ...]]] = {
    "school": ("intercultural", "integration"),
    "authority": ("law", "integration"),
    "health": ("intercultural", "law"),
    "housing": ("law", "integration"),
    "work": ("law", "integration"),
    "everyday": ("integration", "volunteering"),
    "digital": ("media",),
    "leisure": ("volunteering", "tolerance"),
}

DAYS: Final[tuple[str, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PARTS: Final[tuple[str, ...]] = ("am", "pm", "eve")
SLOTS: Final[tuple[str, ...]] = tuple(f"{d}-{p}" for d in DAYS for p in DAY_PARTS)
SLOT_BIT: Final[dict[str, int]] = {name: 1 << i for i, name in enumerate(SLOTS)}
#: An empty availability means "any time": every slot bit set.
ALL_SLOTS: Final[int] = (1 << len(SLOTS)) - 1

GENDERS: Final[tuple[str, ...]] = ("f", "m", "d")
GENDER_CODE: Final[dict[str, int]] = {name: i + 1 for i, name in enumerate(GENDERS)}

#: ``ended`` is history: a finished accompaniment (no capacity, blocks nothing; it counts for
#: continuity and for learning from outcomes).
ASSIGNMENT_STATUSES: Final[tuple[str, ...]] = ("active", "proposed", "declined", "ended")

#: Why an accompaniment or proposal ended (assignments ``end_reason``); ``completed`` is the
#: outcome :mod:`lotsen_match.learn` predicts.
END_REASONS: Final[tuple[str, ...]] = (
    "completed",
    "no_longer_needed",
    "newcomer_moved",
    "volunteer_dropout",
    "language_mismatch",
    "personal_mismatch",
    "declined_by_coordinator",
    "declined_by_volunteer",
    "declined_by_newcomer",
    "other",
)

#: Who decided an assignment (assignments ``decided_by``).
DECIDERS: Final[tuple[str, ...]] = ("auto", "coordinator")
#: A volunteer's status; empty means active. Only active volunteers are proposed (rule 8).
VOLUNTEER_STATUSES: Final[tuple[str, ...]] = ("active", "inactive", "paused")


@lru_cache(maxsize=4096)
def canonical_language(code: str) -> str | None:
    """Return the canonical ISO 639 code for ``code`` (case-insensitive), or None if unknown.

    Two-letter ISO 639-1 codes stay two-letter; three-letter codes (ISO 639-3 or 639-2/B such as
    ``ger``) map to the two-letter code where one exists, so ``deu``, ``ger`` and ``DE`` all become
    ``de`` and a pair is never missed because two offices spell one language differently.
    """
    key = code.strip().lower()
    if not key.isascii() or not key.isalpha() or len(key) not in (2, 3):
        return None
    lang = None
    if len(key) == 2:
        lang = pycountry.languages.get(alpha_2=key)
    else:
        lang = pycountry.languages.get(alpha_3=key)
        if lang is None:
            lang = pycountry.languages.get(bibliographic=key)
    if lang is None:
        return None
    return str(getattr(lang, "alpha_2", None) or lang.alpha_3)


@lru_cache(maxsize=1024)
def language_name(code: str) -> str:
    """English reference name of a canonical code (for messages and reports)."""
    lang = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    return str(lang.name) if lang is not None else code


def language_levels(text: str) -> list[tuple[str, int]]:
    """A validated ``code:level`` list as pairs: ``"ar:native;de:B1"`` -> ``[("ar", 7), ...]``.

    The one reader of the canonical form (validation writes it); order is kept, so the first
    entry is the first language.
    """
    if not text:
        return []
    out = []
    for entry in text.split(";"):
        code, _, level = entry.partition(":")
        out.append((code, LEVEL_CODE[level]))
    return out


def slot_mask(slots: str) -> int:
    """Bit mask of a canonical ``;``-joined slot list; empty means any time."""
    if not slots:
        return ALL_SLOTS
    mask = 0
    for s in slots.split(";"):
        mask |= SLOT_BIT[s]
    return mask


#: Names coordinators actually use where the ISO reference name is unfamiliar.
_LABEL_OVERRIDES: Final[dict[str, dict[str, str]]] = {
    "de": {
        "kmr": "Kurdisch (Kurmandschi)",
        "ckb": "Kurdisch (Sorani)",
        "ps": "Paschtu",
        "ti": "Tigrinya",
        "fa": "Farsi/Persisch",
    },
    "en": {"kmr": "Kurdish (Kurmanji)", "ckb": "Kurdish (Sorani)", "ps": "Pashto", "fa": "Farsi"},
}


@lru_cache(maxsize=2048)
def language_label(code: str, lang: str = "de") -> str:
    """Human name of a language code in German (``de``) or English (``en``), for reports."""
    override = _LABEL_OVERRIDES.get(lang, {}).get(code)
    if override:
        return override
    name = language_name(code)
    if lang != "de":
        return name
    import gettext

    try:
        tr = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["de"])
    except OSError:
        return name
    return tr.gettext(name)
