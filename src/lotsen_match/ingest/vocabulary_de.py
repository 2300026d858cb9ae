"""German (and English) words of real exports, mapped onto the codes of docs/contract.md.

Coordination offices write "Arabisch (Muttersprache), Deutsch B1", "Behördengang", "Di abends",
"ja" and "w"; the matching core wants ``ar:native;de:B1``, ``authority``, ``tue-eve``, ``True``
and ``f``. This module holds the synonym tables and resolves one word or phrase at a time; the
validation parsers call it once per *distinct* cell, so its cost does not grow with the table.

Every lookup answers with a :class:`Resolution`: the canonical code, or why there is none
(``unknown`` or ``ambiguous``) together with the closest valid spellings, so that a rejected
cell can say "'Arabish' ist keine bekannte Sprache — meinten Sie 'Arabisch' (ar)?". Nothing is
guessed silently: a word that could mean two codes ("Kurdisch": Kurmanji or Sorani?) is
ambiguous, never the more frequent one.

Language names come from pycountry's ISO 639-3 tables and their German translations, plus the
spellings offices actually use (Kurmandschi, Sorani, Farsi, Dari, Paschtu, Tigrinya, ...).
Descriptive levels map to the CEFR level at the lower end of how German CVs use the word, so a
pair is never admitted on more than the words promise (Grundkenntnisse A2, gut B1, sehr gut
B2, fließend C1, verhandlungssicher C2, Muttersprache native). Profiles may add or override
synonyms (:class:`GermanVocabulary`).
"""

from __future__ import annotations

import difflib
import gettext
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Final, Literal

import pycountry

from ..contract import VOCABULARY_KINDS, VocabularyKind
from ..core.vocab import (
    ASSIGNMENT_STATUSES,
    DAY_PARTS,
    DAYS,
    DECIDERS,
    END_REASONS,
    GENDERS,
    LEVELS,
    MODULES,
    NEED_TYPES,
    VOLUNTEER_STATUSES,
    canonical_language,
    language_label,
)
from ..errors import ArgumentError

__all__ = [
    "ANY_TIME_WORDS",
    "BOOLEAN_LABELS_DE",
    "KINDS",
    "LEVEL_LABELS_DE",
    "MODULE_LABELS_DE",
    "NEED_LABELS_DE",
    "PROPOSAL_STATUS_LABELS_DE",
    "REASON_LABELS_DE",
    "STATUS_LABELS_DE",
    "VOLUNTEER_STATUS_LABELS_DE",
    "GermanVocabulary",
    "Kind",
    "Lang",
    "Resolution",
    "default_vocabulary",
    "fold",
    "label",
    "split_cell",
]

Lang = Literal["en", "de"]
Status = Literal["ok", "ambiguous", "unknown"]
Kind = VocabularyKind
KINDS: Final[tuple[Kind, ...]] = VOCABULARY_KINDS


@dataclass(frozen=True)
class Resolution:
    """One word looked up: ``value`` is the canonical code ("" when unresolved or empty).

    ``suggestions`` are ``(spelling, code)`` pairs, closest first: what the user could have
    meant (unknown) or must choose between (ambiguous).
    """

    value: str
    status: Status = "ok"
    suggestions: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when the word resolved (possibly to "" for a "no preference" word)."""
        return self.status == "ok"


# ------------------------------------------------------------------------------------------------
# normalisation


_UMLAUTS_AE: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss"})
_UMLAUTS_A: Final = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "ẞ": "ss"})
_NON_WORD: Final = re.compile(r"[^0-9a-z]+")


def fold(text: str, *, umlauts: Literal["ae", "a"] = "ae") -> str:
    """Lookup key of a word: case, umlauts, ß, accents and punctuation folded away.

    ``"Kurdisch (Kurmandschi)"`` and ``"kurdisch-kurmandschi"`` share the key
    ``"kurdisch kurmandschi"``. ``umlauts="ae"`` writes ä as ae (so "Göttingen" and
    "Goettingen" meet); ``"a"`` drops the dots (so "Gottingen", typed on an English keyboard,
    meets them in the second index every lookup keeps).
    """
    lowered = unicodedata.normalize("NFC", text).lower()
    table = _UMLAUTS_AE if umlauts == "ae" else _UMLAUTS_A
    decomposed = unicodedata.normalize("NFKD", lowered.translate(table))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only).strip()


def split_cell(cell: str, separators: Iterable[str]) -> list[str]:
    """Entries of a cell split at ``separators`` outside parentheses, stripped, empties dropped.

    "Kurdisch (Kurmandschi, Sorani), Deutsch B1" splits into two entries at the second comma
    only: a comma inside parentheses belongs to its entry.
    """
    seps = tuple(s for s in separators if s)
    entries: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(cell):
        ch = cell[i]
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif depth == 0:
            sep = next((s for s in seps if cell.startswith(s, i)), None)
            if sep is not None:
                entries.append(cell[start:i])
                i += len(sep)
                start = i
                continue
        i += 1
    entries.append(cell[start:])
    return [e.strip() for e in entries if e.strip()]


# ------------------------------------------------------------------------------------------------
# synonym tables (keys are written naturally and folded when the index is built)

#: Spellings of coordination offices that ISO names miss, or where the ISO name misleads.
OFFICE_LANGUAGES: Final[dict[str, str]] = {
    "Kurmandschi": "kmr",
    "Kurmandschî": "kmr",
    "Kurmanci": "kmr",
    "Kurmancî": "kmr",
    "Kurmanji": "kmr",
    "Kurdisch (Kurmandschi)": "kmr",
    "Kurdisch (Kurmanci)": "kmr",
    "Kurdisch (Kurmanji)": "kmr",
    "Kurdish (Kurmanji)": "kmr",
    "Nordkurdisch": "kmr",
    "Sorani": "ckb",
    "Soranî": "ckb",
    "Kurdisch (Sorani)": "ckb",
    "Kurdish (Sorani)": "ckb",
    "Zentralkurdisch": "ckb",
    "Farsi": "fa",
    "Persisch": "fa",
    "Persian": "fa",
    "Farsi/Persisch": "fa",
    "Persisch (Farsi)": "fa",
    "Iranisch-Persisch": "fa",
    "Dari": "prs",
    "Dari-Persisch": "prs",
    "Dari (Persisch)": "prs",
    "Afghanisch-Persisch": "prs",
    "Paschtu": "ps",
    "Paschto": "ps",
    "Paschtunisch": "ps",
    "Pashto": "ps",
    "Pashtu": "ps",
    "Pushto": "ps",
    "Tigrinya": "ti",
    "Tigrinja": "ti",
    "Tigrigna": "ti",
    "Tigrinisch": "ti",
    "Somalisch": "so",
    "Somali": "so",
    "Hocharabisch": "ar",
    "Arabisch (Hocharabisch)": "ar",
    "Mandarin": "zh",
    "Chinesisch (Mandarin)": "zh",
    "Spanisch": "es",
    "Romanes": "rom",
    "Romani": "rom",
    "Albanisch": "sq",
    "Amharisch": "am",
    "Oromo": "om",
    "Oromisch": "om",
    "Ukrainisch": "uk",
    "Russisch": "ru",
    "Türkisch": "tr",
    "Griechisch": "el",
    "Greek": "el",
}

#: Words that name more than one language: rejected with the candidates, never guessed.
AMBIGUOUS_LANGUAGES: Final[dict[str, tuple[str, ...]]] = {
    "Kurdisch": ("kmr", "ckb"),
    "Kurdish": ("kmr", "ckb"),
    "Afghanisch": ("prs", "ps"),
    "Dari/Farsi": ("prs", "fa"),
    "Farsi/Dari": ("fa", "prs"),
    "Syrisch": ("ar", "syr"),
    "Serbokroatisch": ("sr", "hr", "bs"),
    "Jugoslawisch": ("sr", "hr", "bs"),
}

#: Descriptive levels; CEFR levels (``B1``, ``b1+``, ``B1/B2``) are recognised by pattern.
LEVEL_WORDS: Final[dict[str, str]] = {
    "Muttersprache": "native",
    "Muttersprachlich": "native",
    "Muttersprachler": "native",
    "Muttersprachlerin": "native",
    "Erstsprache": "native",
    "Herkunftssprache": "native",
    "native": "native",
    "native speaker": "native",
    "mother tongue": "native",
    "first language": "native",
    "verhandlungssicher": "C2",
    "business fluent": "C2",
    "fließend": "C1",
    "fluent": "C1",
    "sehr gut": "B2",
    "sehr gute Kenntnisse": "B2",
    "very good": "B2",
    "gut": "B1",
    "gute Kenntnisse": "B1",
    "good": "B1",
    "Grundkenntnisse": "A2",
    "Basiskenntnisse": "A2",
    "einfache Kenntnisse": "A2",
    "basic": "A2",
    "basic knowledge": "A2",
    "Anfänger": "A1",
    "Anfängerin": "A1",
    "Anfangskenntnisse": "A1",
    "beginner": "A1",
}

NEED_WORDS: Final[dict[str, str]] = {
    "Schule": "school",
    "Schulen": "school",
    "Elternabend": "school",
    "Elterngespräch": "school",
    "Elternsprechtag": "school",
    "Kita": "school",
    "Kindergarten": "school",
    "Kindertagesstätte": "school",
    "Schule/Kita": "school",
    "Schule / Elternabend / Kita": "school",
    "parent evening": "school",
    "day care": "school",
    "Behörde": "authority",
    "Behörden": "authority",
    "Behördengang": "authority",
    "Behördengänge": "authority",
    "Amt": "authority",
    "Ämter": "authority",
    "Jobcenter": "authority",
    "Ausländerbehörde": "authority",
    "Bürgeramt": "authority",
    "Sozialamt": "authority",
    "Standesamt": "authority",
    "Agentur für Arbeit": "authority",
    "Arbeitsagentur": "authority",
    "Arbeitsamt": "authority",
    "Schulamt": "authority",
    "Familienkasse": "authority",
    "authorities": "authority",
    "job centre": "authority",
    "job center": "authority",
    "immigration office": "authority",
    "Arzt": "health",
    "Ärztin": "health",
    "Arztbesuch": "health",
    "Arzttermin": "health",
    "Gesundheit": "health",
    "Krankenhaus": "health",
    "Klinik": "health",
    "doctor": "health",
    "doctors": "health",
    "hospital": "health",
    "Wohnung": "housing",
    "Wohnen": "housing",
    "Wohnungssuche": "housing",
    "Mietvertrag": "housing",
    "flat": "housing",
    "apartment": "housing",
    "Arbeit": "work",
    "Ausbildung": "work",
    "Anerkennung": "work",
    "Beruf": "work",
    "Bewerbung": "work",
    "Praktikum": "work",
    "Job": "work",
    "training": "work",
    "recognition": "work",
    "Alltag": "everyday",
    "Orientierung": "everyday",
    "Einkaufen": "everyday",
    "Bank": "everyday",
    "Nahverkehr": "everyday",
    "Mobilität": "everyday",
    "orientation": "everyday",
    "shopping": "everyday",
    "transport": "everyday",
    "banking": "everyday",
    "Digitales": "digital",
    "Digital": "digital",
    "Online": "digital",
    "Onlineportal": "digital",
    "Internet": "digital",
    "Medien": "digital",
    "online portals": "digital",
    "media": "digital",
    "Freizeit": "leisure",
    "Verein": "leisure",
    "Sport": "leisure",
    "soziale Kontakte": "leisure",
    "club": "leisure",
    "clubs": "leisure",
    "social contacts": "leisure",
}

#: Stems found inside compounds ("Arzttermin", "Jobcenterbrief"); used only for unknown words.
NEED_STEMS: Final[dict[str, str]] = {
    "schul": "school",
    "eltern": "school",
    "kita": "school",
    "behoerde": "authority",
    "jobcenter": "authority",
    "amt": "authority",
    "aemter": "authority",
    "arzt": "health",
    "aerzt": "health",
    "kranken": "health",
    "klinik": "health",
    "wohn": "housing",
    "miet": "housing",
    "arbeit": "work",
    "ausbildung": "work",
    "beruf": "work",
    "bewerb": "work",
    "alltag": "everyday",
    "einkauf": "everyday",
    "digital": "digital",
    "online": "digital",
    "freizeit": "leisure",
    "verein": "leisure",
}

MODULE_WORDS: Final[dict[str, str]] = {
    "Ehrenamt und Zusammenarbeit vor Ort": "volunteering",
    "Ehrenamt": "volunteering",
    "Zusammenarbeit vor Ort": "volunteering",
    "Toleranz und Respekt": "tolerance",
    "Toleranz": "tolerance",
    "Wege der Integration": "integration",
    "Integration": "integration",
    "rechtliche Grundlagen": "law",
    "Recht": "law",
    "Rechtliches": "law",
    "Mediennutzung und Kommunikation": "media",
    "Mediennutzung": "media",
    "Medien": "media",
    "Interkulturelle Kommunikation": "intercultural",
    "Interkulturell": "intercultural",
    "Interkulturelles": "intercultural",
}
#: Words meaning "every training module".
ALL_MODULE_WORDS: Final[tuple[str, ...]] = ("alle", "alle Module", "all", "all modules", "komplett")

GENDER_WORDS: Final[dict[str, str]] = {
    "w": "f",
    "weiblich": "f",
    "Frau": "f",
    "Lotsin": "f",
    "female": "f",
    "woman": "f",
    "m": "m",
    "männlich": "m",
    "Mann": "m",
    "Lotse": "m",
    "male": "m",
    "man": "m",
    "d": "d",
    "divers": "d",
    "diverse": "d",
    "non-binary": "d",
}
#: Words meaning "no preference" (a preferred gender that is not set).
NO_PREFERENCE_WORDS: Final[tuple[str, ...]] = (
    "egal",
    "beliebig",
    "keine",
    "keine Präferenz",
    "keine Angabe",
    "k. A.",
    "ka",
    "-",
    "any",
    "none",
    "no preference",
)

BOOLEAN_WORDS: Final[dict[str, bool]] = {
    "ja": True,
    "j": True,
    "x": True,
    "yes": True,
    "y": True,
    "true": True,
    "wahr": True,
    "1": True,
    "nein": False,
    "n": False,
    "no": False,
    "false": False,
    "falsch": False,
    "0": False,
    "keine": False,
    "kein": False,
}

STATUS_WORDS: Final[dict[str, str]] = {
    "aktiv": "active",
    "laufend": "active",
    "bestätigt": "active",
    "vorgeschlagen": "proposed",
    "Vorschlag": "proposed",
    "offen": "proposed",
    "beibehalten": "proposed",  # a kept proposal, as the office form writes it
    "abgelehnt": "declined",
    "beendet": "ended",
    "abgeschlossen": "ended",
    "ehemalig": "ended",
    "vergangen": "ended",
    "Historie": "ended",
}

#: Why an accompaniment ended (assignments ``end_reason``): the words offices write.
END_REASON_WORDS: Final[dict[str, str]] = {
    **{code: code for code in END_REASONS},  # "no_longer_needed" folds to "no longer needed"
    "abgeschlossen": "completed",
    "erfolgreich abgeschlossen": "completed",
    "erfolgreich": "completed",
    "erledigt": "completed",
    "Ziel erreicht": "completed",
    "done": "completed",
    "kein Bedarf mehr": "no_longer_needed",
    "Bedarf entfallen": "no_longer_needed",
    "nicht mehr benötigt": "no_longer_needed",
    "nicht mehr nötig": "no_longer_needed",
    "verzogen": "newcomer_moved",
    "umgezogen": "newcomer_moved",
    "weggezogen": "newcomer_moved",
    "Familie verzogen": "newcomer_moved",
    "moved": "newcomer_moved",
    "Lotse ausgefallen": "volunteer_dropout",
    "Lotsin ausgefallen": "volunteer_dropout",
    "Lotsin/Lotse ausgefallen": "volunteer_dropout",
    "Ehrenamt beendet": "volunteer_dropout",
    "ausgestiegen": "volunteer_dropout",
    "dropout": "volunteer_dropout",
    "Sprachprobleme": "language_mismatch",
    "Verständigungsprobleme": "language_mismatch",
    "Sprache passt nicht": "language_mismatch",
    "passt nicht": "personal_mismatch",
    "persönlich unpassend": "personal_mismatch",
    "Chemie stimmt nicht": "personal_mismatch",
    "zwischenmenschlich": "personal_mismatch",
    "von Koordination abgelehnt": "declined_by_coordinator",
    "von der Koordinierungsstelle abgelehnt": "declined_by_coordinator",
    "Koordination abgelehnt": "declined_by_coordinator",
    "von Lotsin abgelehnt": "declined_by_volunteer",
    "von Lotse abgelehnt": "declined_by_volunteer",
    "vom Lotsen abgelehnt": "declined_by_volunteer",
    "von der Lotsin abgelehnt": "declined_by_volunteer",
    "Lotsin/Lotse abgelehnt": "declined_by_volunteer",
    "von Lotsin/Lotse abgelehnt": "declined_by_volunteer",  # the label the result files write
    "von Familie abgelehnt": "declined_by_newcomer",
    "von der Familie abgelehnt": "declined_by_newcomer",
    "vom Haushalt abgelehnt": "declined_by_newcomer",
    "von Ratsuchenden abgelehnt": "declined_by_newcomer",
    "sonstiges": "other",
    "sonstige": "other",
    "anderer Grund": "other",
}

#: Who decided an assignment (assignments ``decided_by``).
DECIDER_WORDS: Final[dict[str, str]] = {
    "auto": "auto",
    "automatisch": "auto",
    "Vorschlag übernommen": "auto",
    "coordinator": "coordinator",
    "Koordination": "coordinator",
    "Koordinierungsstelle": "coordinator",
    "Koordinatorin": "coordinator",
    "Koordinator": "coordinator",
    "manuell": "coordinator",
    "von Hand": "coordinator",
}

#: A volunteer's status (the volunteers table's ``status`` column).
VOLUNTEER_STATUS_WORDS: Final[dict[str, str]] = {
    "aktiv": "active",
    "verfügbar": "active",
    "einsatzbereit": "active",
    "inaktiv": "inactive",
    "nicht aktiv": "inactive",
    "ausgeschieden": "inactive",
    "beendet": "inactive",
    "pausiert": "paused",
    "Pause": "paused",
    "ruhend": "paused",
    "ruht": "paused",
    "in Pause": "paused",
    "available": "active",
    "on hold": "paused",
}

DAY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    **{
        w: (d,)
        for d, words in {
            "mon": ("mo", "mon", "montag", "montags", "monday", "mondays"),
            "tue": ("di", "die", "tue", "dienstag", "dienstags", "tuesday", "tuesdays"),
            "wed": ("mi", "wed", "mittwoch", "mittwochs", "wednesday", "wednesdays"),
            "thu": ("do", "don", "thu", "donnerstag", "donnerstags", "thursday", "thursdays"),
            "fri": ("fr", "fri", "freitag", "freitags", "friday", "fridays"),
            "sat": ("sa", "sat", "samstag", "samstags", "sonnabend", "sonnabends", "saturday"),
            "sun": ("so", "sun", "sonntag", "sonntags", "sunday", "sundays"),
        }.items()
        for w in words
    },
    **dict.fromkeys(("werktags", "wochentags", "weekdays"), DAYS[:5]),
    **dict.fromkeys(("wochenende", "wochenendes", "weekend", "weekends"), DAYS[5:]),
    **dict.fromkeys(("taeglich", "daily", "jeden tag", "every day", "immer", "always"), DAYS),
}
PART_WORDS: Final[dict[str, tuple[str, ...]]] = {
    **dict.fromkeys(
        ("vormittags", "vormittag", "morgens", "frueh", "morning", "mornings"),
        ("am",),
    ),
    **dict.fromkeys(("nachmittags", "nachmittag", "pm", "afternoon", "afternoons"), ("pm",)),
    **dict.fromkeys(("abends", "abend", "eve", "evening", "evenings"), ("eve",)),
    **dict.fromkeys(("ganztags", "ganztaegig", "all day", "ganzer tag"), DAY_PARTS),
}
#: Whole phrases meaning "any time": the same as an empty availability cell.
ANY_TIME_WORDS: Final[tuple[str, ...]] = (
    "nach Absprache",
    "flexibel",
    "jederzeit",
    "egal",
    "immer",
    "täglich",
    "nach Vereinbarung",
    "beliebig",
    "keine Einschränkung",
    "any time",
    "anytime",
    "flexible",
    "always",
)
#: Filler words in slot phrases ("am Wochenende", "Mo bis Fr", "jeweils abends").
_SLOT_FILLERS: Final[frozenset[str]] = frozenset({"am", "an", "jeweils", "nur", "on", "at"})
_RANGE_WORDS: Final[frozenset[str]] = frozenset({"bis", "to", "until"})
_AND_WORDS: Final[frozenset[str]] = frozenset({"und", "and", "sowie", "oder", "or"})

#: German display labels: messages, profile descriptions, the report, the explanations and
#: the result files in the office's form all name a code with these words, and each of them
#: reads back as its code (tests/test_vocabulary_agreement.py). English uses the codes.
NEED_LABELS_DE: Final[dict[str, str]] = {
    "school": "Schule/Kita",
    "authority": "Behördengang",
    "health": "Gesundheit",
    "housing": "Wohnen",
    "work": "Arbeit/Ausbildung",
    "everyday": "Alltag",
    "digital": "Digitales",
    "leisure": "Freizeit",
}
LEVEL_LABELS_DE: Final[dict[str, str]] = {"native": "Muttersprache"}
MODULE_LABELS_DE: Final[dict[str, str]] = {
    "volunteering": "Ehrenamt und Zusammenarbeit vor Ort",
    "tolerance": "Toleranz und Respekt",
    "integration": "Wege der Integration",
    "law": "rechtliche Grundlagen",
    "media": "Mediennutzung und Kommunikation",
    "intercultural": "Interkulturelle Kommunikation",
}
DAY_LABELS_DE: Final[dict[str, str]] = dict(
    zip(DAYS, ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"), strict=True)
)
PART_LABELS_DE: Final[dict[str, str]] = {"am": "vormittags", "pm": "nachmittags", "eve": "abends"}
GENDER_LABELS_DE: Final[dict[str, str]] = {"f": "weiblich", "m": "männlich", "d": "divers"}
STATUS_LABELS_DE: Final[dict[str, str]] = {
    "active": "aktiv",
    "proposed": "vorgeschlagen",
    "declined": "abgelehnt",
    "ended": "beendet",
}
END_REASON_LABELS_DE: Final[dict[str, str]] = {
    "completed": "abgeschlossen",
    "no_longer_needed": "kein Bedarf mehr",
    "newcomer_moved": "verzogen",
    "volunteer_dropout": "Lotsin/Lotse ausgefallen",
    "language_mismatch": "Sprachprobleme",
    "personal_mismatch": "passt nicht",
    "declined_by_coordinator": "von Koordination abgelehnt",
    "declined_by_volunteer": "von Lotsin/Lotse abgelehnt",
    "declined_by_newcomer": "von Familie abgelehnt",
    "other": "sonstiges",
}
DECIDER_LABELS_DE: Final[dict[str, str]] = {"auto": "automatisch", "coordinator": "Koordination"}
VOLUNTEER_STATUS_LABELS_DE: Final[dict[str, str]] = {
    "active": "aktiv",
    "inactive": "inaktiv",
    "paused": "pausiert",
}
#: A proposal's status in the result files (``kept``: last run's proposal, kept).
PROPOSAL_STATUS_LABELS_DE: Final[dict[str, str]] = {
    "proposed": "vorgeschlagen",
    "kept": "beibehalten",
}
#: Why a request got no proposal (the ``reason`` column of unmatched), in a few words.
REASON_LABELS_DE: Final[dict[str, str]] = {
    "language": "keine Lotsin/kein Lotse mit dieser Sprache",
    "distance": "keine Lotsin/kein Lotse im Umkreis",
    "need": "keine Lotsin/kein Lotse für dieses Anliegen",
    "time": "keine Lotsin/kein Lotse zu diesen Zeiten",
    "minors": "kein gültiges Führungszeugnis (Kinder beteiligt)",
    "gender": "Wunschgeschlecht nicht verfügbar",
    "exclusions": "alle Passenden ausgeschlossen oder abgelehnt",
    "active": "keine aktive Lotsin/kein aktiver Lotse",
    "capacity": "keine freie Kapazität",
    "household": "Haushalt wird anders begleitet",
    "quality": "Vorschlag würde die Gesamtbewertung senken",
}
#: Yes/no cells in the result files (they read back through BOOLEAN_WORDS).
BOOLEAN_LABELS_DE: Final[dict[bool, str]] = {True: "ja", False: "nein"}


def label(kind: Kind, code: str, lang: Lang = "de") -> str:
    """How a coordinator names ``code`` of vocabulary ``kind`` ("tue-eve" -> "Di abends")."""
    if kind == "languages":
        return language_label(code, lang)
    if lang == "en":
        return code
    if kind == "slots" and "-" in code:
        day, part = code.split("-", 1)
        return f"{DAY_LABELS_DE.get(day, day)} {PART_LABELS_DE.get(part, part)}"
    tables: dict[str, Mapping[str, str]] = {
        "need_types": NEED_LABELS_DE,
        "levels": LEVEL_LABELS_DE,
        "modules": MODULE_LABELS_DE,
        "genders": GENDER_LABELS_DE,
        "statuses": STATUS_LABELS_DE,
        "end_reasons": END_REASON_LABELS_DE,
        "deciders": DECIDER_LABELS_DE,
        "volunteer_statuses": VOLUNTEER_STATUS_LABELS_DE,
    }
    return tables.get(kind, {}).get(code, code)


# ------------------------------------------------------------------------------------------------
# indexes


@dataclass
class _Index:
    """Folded spelling -> codes, in both umlaut foldings, and a display spelling per key."""

    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    codes_a: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)

    def add(self, word: str, codes: tuple[str, ...], *, override: bool = False) -> None:
        for key, table in ((fold(word), self.codes), (fold(word, umlauts="a"), self.codes_a)):
            if not key:
                continue
            if override or key not in table:
                table[key] = codes
            elif table[key] != codes:  # two languages share a name: ambiguous
                table[key] = tuple(dict.fromkeys(table[key] + codes))
        if override or fold(word) not in self.spelling:
            self.spelling[fold(word)] = word

    def get(self, text: str) -> tuple[str, ...] | None:
        return self.codes.get(fold(text)) or self.codes_a.get(fold(text, umlauts="a"))

    def close(self, text: str, n: int = 3, cutoff: float = 0.75) -> list[tuple[str, str]]:
        """The closest known spellings (and their single code) to an unknown word."""
        keys = [k for k, v in self.codes.items() if len(v) == 1]
        found = difflib.get_close_matches(fold(text), keys, n=n, cutoff=cutoff)
        return [(self.spelling.get(k, k), self.codes[k][0]) for k in found]


@cache
def _iso_language_names() -> list[tuple[int, str, str]]:
    """(tier, spelling, code) of every ISO 639-3 language name in English and German.

    Tier 0 are languages with a two-letter code (the ones offices meet): their names win over
    the same name of a minor language in tier 1.
    """
    german: Callable[[str], str]
    try:
        german = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["de"]).gettext
    except OSError:  # translations not shipped: English names only
        german = str
    rows: list[tuple[int, str, str]] = []
    for lang in pycountry.languages:
        code = canonical_language(str(lang.alpha_3))
        if code is None:
            continue
        tier = 0 if getattr(lang, "alpha_2", None) else 1
        names = {
            str(lang.name),
            *(str(getattr(lang, a)) for a in ("common_name",) if hasattr(lang, a)),
        }
        for name in list(names):
            names.update(part.strip() for part in german(name).split(";"))
        rows.extend((tier, name, code) for name in names if name)
    return sorted(rows)


@cache
def _language_index(full: bool = False) -> _Index:
    """Language names -> codes: major languages (two-letter code) or, with ``full``, all.

    The major index is small and built in milliseconds; the full one (about 15,000 names) is
    only built when a cell names a language the major index does not know.
    """
    index = _Index()
    seen_tier: dict[str, int] = {}
    for tier, name, code in _iso_language_names():
        if tier and not full:
            break
        key = fold(name)
        if seen_tier.setdefault(key, tier) < tier:
            continue  # a major language already owns this name
        index.add(name, (code,))
    for word, code in OFFICE_LANGUAGES.items():
        index.add(word, (code,), override=True)
    for word, codes in AMBIGUOUS_LANGUAGES.items():
        index.add(word, codes, override=True)
    return index


def _simple_index(table: Mapping[str, str]) -> _Index:
    index = _Index()
    for word, code in table.items():
        index.add(word, (code,), override=True)
    return index


# ------------------------------------------------------------------------------------------------
# the vocabulary


_CEFR: Final = re.compile(
    r"^(?:niveau |level |sprachniveau )?([abc])\s?([12])(?: \d)?(?: niveau| level)?$"
)
_CEFR_RANGE: Final = re.compile(r"^([abc])\s?([12])\s+([abc])\s?([12])$")
_CODE_LEVEL: Final = re.compile(r"^\s*([^:]+?)\s*:\s*(.+?)\s*$")
_CODE: Final = re.compile(r"[A-Za-z]{2,3}")
_SPEC_SLOT: Final = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)-(am|pm|eve)")
_DAY_RANGE: Final = re.compile(r"([^\W\d_]+)\.?\s*[-–]\s*([^\W\d_]+)\.?")


class GermanVocabulary:
    """Resolves words of German and English exports; ``extra`` adds synonyms per kind.

    ``extra`` maps a kind (see :data:`KINDS`) to ``{word: code}`` and wins over the built-in
    tables, so an office can teach the library its own words ("Begleitung Amt" = authority)
    in its import profile. Codes are checked: a synonym for an unknown code raises ValueError.
    """

    def __init__(self, extra: Mapping[str, Mapping[str, str]] | None = None) -> None:
        extra = dict(extra or {})
        unknown_kinds = set(extra) - set(KINDS)
        if unknown_kinds:
            raise ArgumentError(f"unknown vocabulary kinds {sorted(unknown_kinds)}; valid: {KINDS}")
        self.extra: dict[str, dict[str, str]] = {k: dict(v) for k, v in extra.items()}
        for kind, words in self.extra.items():
            for word, code in words.items():
                if not _valid_code(kind, code):
                    raise ArgumentError(
                        f"vocabulary.{kind}: {word!r} maps to unknown code {code!r}"
                    )
        self._languages = _language_index()
        self._language_words = _simple_index(
            {w: str(canonical_language(c)) for w, c in self.extra.get("languages", {}).items()}
        )
        self._levels = self._with_extra(LEVEL_WORDS, "levels")
        self._needs = self._with_extra(NEED_WORDS, "need_types")
        self._modules = self._with_extra(MODULE_WORDS, "modules")
        self._genders = self._with_extra(GENDER_WORDS, "genders")
        self._statuses = self._with_extra(STATUS_WORDS, "statuses")
        self._end_reasons = self._with_extra(END_REASON_WORDS, "end_reasons")
        self._deciders = self._with_extra(DECIDER_WORDS, "deciders")
        self._volunteer_statuses = self._with_extra(VOLUNTEER_STATUS_WORDS, "volunteer_statuses")
        self._booleans = {fold(w): v for w, v in BOOLEAN_WORDS.items()}
        for word, code in self.extra.get("booleans", {}).items():
            self._booleans[fold(word)] = _BOOL_CODES[fold(code)]
        self._slot_extra = {fold(w): c for w, c in self.extra.get("slots", {}).items()}
        self._no_preference = {fold(w) for w in NO_PREFERENCE_WORDS} | {""}

    def _with_extra(self, table: Mapping[str, str], kind: str) -> _Index:
        return _simple_index({**table, **self.extra.get(kind, {})})

    # -- single words ------------------------------------------------------------------------

    def language(self, text: str) -> Resolution:
        """A language name ("Arabisch", "Farsi", "Kurdisch (Sorani)") or an ISO 639 code."""
        codes = self._language_words.get(text)
        plain = text.strip()
        if codes is None and _CODE.fullmatch(plain):
            # An ISO code wins over a name of two or three letters ("en" is English, not the
            # language named "En"); where both exist ("Lao", "Ewe") they agree anyway.
            code = canonical_language(plain)
            if code is not None:
                return Resolution(code)
        codes = codes or self._languages.get(text) or _language_index(full=True).get(text)
        if codes is None:
            return Resolution("", "unknown", tuple(self._languages.close(text)))
        if len(codes) > 1:
            return Resolution("", "ambiguous", tuple((label("languages", c), c) for c in codes))
        return Resolution(codes[0])

    def level(self, text: str) -> Resolution:
        """A CEFR level (``B1``, ``b1+``, ``B1/B2`` -> the lower) or a descriptive word."""
        key = fold(text)
        if m := _CEFR.match(key):
            return Resolution(f"{m[1].upper()}{m[2]}")
        if m := _CEFR_RANGE.match(key):
            low = min(f"{m[1].upper()}{m[2]}", f"{m[3].upper()}{m[4]}", key=LEVELS.index)
            return Resolution(low)
        codes = self._levels.get(text)
        if codes:
            return Resolution(codes[0])
        close = self._levels.close(text, cutoff=0.7)
        return Resolution("", "unknown", tuple(close))

    def need_type(self, text: str) -> Resolution:
        """A need ("Behördengang", "Elternabend", "school"); compounds by their stems."""
        return self._resolve(text, self._needs, NEED_TYPES, stems=NEED_STEMS)

    def module(self, text: str) -> Resolution:
        """A training module by its curriculum title or short name ("Toleranz", "law")."""
        return self._resolve(text, self._modules, MODULES)

    def status(self, text: str) -> Resolution:
        """An assignment status ("aktiv", "abgelehnt", "proposed")."""
        return self._resolve(text, self._statuses, ASSIGNMENT_STATUSES)

    def end_reason(self, text: str) -> Resolution:
        """Why an accompaniment ended ("abgeschlossen", "verzogen", "no_longer_needed")."""
        return self._resolve(text, self._end_reasons, END_REASONS)

    def decider(self, text: str) -> Resolution:
        """Who decided ("automatisch", "Koordination", "coordinator")."""
        return self._resolve(text, self._deciders, DECIDERS)

    def volunteer_status(self, text: str) -> Resolution:
        """A volunteer's status ("aktiv", "inaktiv", "pausiert", "paused")."""
        return self._resolve(text, self._volunteer_statuses, VOLUNTEER_STATUSES)

    def gender(self, text: str) -> Resolution:
        """w/m/d and the words for them; "egal", "-" and the like mean no preference ("")."""
        if fold(text) in self._no_preference:
            return Resolution("")
        return self._resolve(text, self._genders, GENDERS)

    def boolean(self, text: str) -> bool | None:
        """ja/nein, x, j/n, yes/no, true/false, 1/0, wahr/falsch; None when unknown."""
        return self._booleans.get(fold(text))

    def all_modules(self, text: str) -> bool:
        """True for words meaning every module ("alle", "alle Module")."""
        return fold(text) in {fold(w) for w in ALL_MODULE_WORDS}

    def _resolve(
        self,
        text: str,
        index: _Index,
        codes: tuple[str, ...],
        stems: Mapping[str, str] | None = None,
    ) -> Resolution:
        key = fold(text)
        if key in codes:
            return Resolution(key)
        found = index.get(text)
        if found:
            return Resolution(found[0])
        if stems:
            hits = _stem_hits(key, stems)
            if len(hits) == 1:
                return Resolution(hits[0])
            if len(hits) > 1:
                return Resolution("", "ambiguous", tuple((label_word(index, c), c) for c in hits))
        close = index.close(text, cutoff=0.7)
        close += [(c, c) for c in difflib.get_close_matches(key, list(codes), n=1, cutoff=0.6)]
        return Resolution("", "unknown", tuple(dict.fromkeys(close))[:3])

    # -- phrases -----------------------------------------------------------------------------

    def language_entry(self, entry: str) -> tuple[Resolution, Resolution | None, str]:
        """One entry of a languages cell -> (language, level or None if absent, language text).

        Understood forms: ``ar:native``, ``Arabisch: Muttersprache``, ``Arabisch (Muttersprache)``,
        ``Deutsch B1``, ``Deutsch - gut``, ``Muttersprache Arabisch``, ``Englisch (C1)``.
        """
        if m := _CODE_LEVEL.match(entry):
            return self.language(m[1]), self.level(m[2]), m[1]
        words = entry.replace("(", " ( ").replace(")", " ) ").split()
        bare = [w for w in words if fold(w)]
        # A level is a suffix or prefix of 1-3 words ("sehr gute Kenntnisse"), possibly in ().
        for take in (3, 2, 1):
            if len(bare) <= take:
                continue
            for level_words, rest in ((bare[-take:], bare[:-take]), (bare[:take], bare[take:])):
                level = self.level(" ".join(level_words))
                if level.ok:
                    name = _strip_dangling(" ".join(rest))
                    return self.language(name), level, name
        name = _strip_dangling(entry)
        language = self.language(name)
        if language.ok or language.status == "ambiguous":
            return language, None, name
        # "Arabisch (perfekt)", "Deutsch perfekt": a known language with an unknown level word.
        m = re.fullmatch(r"(.+?)\s*\((.+)\)", entry.strip()) or re.fullmatch(
            r"(.+?)[\s:-]+(\S+)", entry.strip()
        )
        if m:
            head = self.language(_strip_dangling(m[1]))
            if head.ok:
                return head, self.level(m[2]), _strip_dangling(m[1])
        return language, None, name

    def slots(self, entry: str) -> Resolution:
        """One availability phrase -> ``;``-joined slots in contract order.

        Understood: ``tue-eve``, ``Di abends``, ``Dienstagabend``, ``Mo-Fr vormittags``,
        ``Mo bis Fr``, ``werktags abends``, ``Wochenende``, ``Sa und So nachmittags``,
        ``abends`` (every evening), ``Mittwoch`` (the whole day). Days gather until times
        follow, so ``Di, Do abends`` is two evenings and ``Mo vormittags, Mi abends`` is one
        morning and one evening (not both times on both days).
        """
        key = fold(entry)
        if key in self._slot_extra:
            return Resolution(self._slot_extra[key])
        if key in _ANY_TIME_KEYS:
            return Resolution("")  # any time, as an empty cell
        spec = entry.strip().lower()
        pieces = [x.strip() for x in re.split(r"[,;]", spec) if x.strip()]
        if pieces and all(_SPEC_SLOT.fullmatch(x) for x in pieces):
            return Resolution(";".join(x for x in _ALL_SLOTS if x in pieces))
        groups = self._slot_groups(_slot_tokens(fold(_DAY_RANGE.sub(_day_range, spec))))
        if not groups:
            return self._bad_slot(entry)
        found: set[str] = set()
        for days, parts in groups:
            found.update(f"{d}-{p}" for d in days or DAYS for p in parts or DAY_PARTS)
        return Resolution(";".join(x for x in _ALL_SLOTS if x in found))

    @staticmethod
    def _slot_groups(tokens: list[str]) -> list[tuple[list[str], list[str]]]:
        """(days, parts) groups of a tokenised phrase; [] when a token is not understood."""
        groups: list[tuple[list[str], list[str]]] = []
        days: list[str] = []
        parts: list[str] = []
        pending_range: str | None = None
        i = 0
        while i < len(tokens):
            two = " ".join(tokens[i : i + 2])
            tok, step = (two, 2) if two in DAY_WORDS or two in PART_WORDS else (tokens[i], 1)
            i += step
            if tok in _SLOT_FILLERS or tok in _AND_WORDS:
                continue
            if tok in _RANGE_WORDS:
                if not days:
                    return []
                pending_range = days[-1]
            elif tok in DAY_WORDS:
                if days and parts and pending_range is None:  # "Mo vormittags, Mi ..."
                    groups.append((days, parts))
                    days, parts = [], []
                found = DAY_WORDS[tok]
                if pending_range is not None:
                    a, b = DAYS.index(pending_range), DAYS.index(found[0])
                    if len(found) != 1 or b < a:
                        return []
                    found = DAYS[a + 1 : b + 1]
                    pending_range = None
                days.extend(found)
            elif tok in PART_WORDS:
                parts.extend(PART_WORDS[tok])
            else:
                return []
        if pending_range is not None or not (days or parts):
            return []
        return [*groups, (days, parts)]

    def _bad_slot(self, entry: str) -> Resolution:
        words = [w for w in (*DAY_WORDS, *PART_WORDS, *_ANY_TIME_KEYS) if len(w) > 3]
        close = difflib.get_close_matches(fold(entry), words, n=1, cutoff=0.7)
        close = [_ANY_TIME_SPELLING.get(w, w) for w in close]
        close += difflib.get_close_matches(entry.strip().lower(), _ALL_SLOTS, n=1, cutoff=0.6)
        return Resolution("", "unknown", tuple((w, "") for w in close))


_ALL_SLOTS: Final[tuple[str, ...]] = tuple(f"{d}-{p}" for d in DAYS for p in DAY_PARTS)
_ANY_TIME_SPELLING: Final[dict[str, str]] = {fold(w): w for w in ANY_TIME_WORDS}
_ANY_TIME_KEYS: Final[frozenset[str]] = frozenset(_ANY_TIME_SPELLING)
_BOOL_CODES: Final[dict[str, bool]] = {"true": True, "false": False, "ja": True, "nein": False}


def _valid_code(kind: str, code: str) -> bool:
    valid: dict[str, tuple[str, ...]] = {
        "levels": LEVELS,
        "need_types": NEED_TYPES,
        "modules": MODULES,
        "genders": (*GENDERS, ""),
        "statuses": ASSIGNMENT_STATUSES,
        "end_reasons": END_REASONS,
        "deciders": DECIDERS,
        "volunteer_statuses": VOLUNTEER_STATUSES,
    }
    if kind == "languages":
        return canonical_language(code) is not None
    if kind == "booleans":
        return fold(code) in _BOOL_CODES
    if kind == "slots":
        return all(_SPEC_SLOT.fullmatch(s) for s in code.split(";"))
    return code in valid.get(kind, ())


def _stem_hits(key: str, stems: Mapping[str, str]) -> tuple[str, ...]:
    """Codes whose stem starts or ends a word of ``key`` ("Kinderarzt", "Arzttermin").

    Only word edges count: German compounds put their parts there, and "Gesamtschule" must not
    find the "amt" in its middle.
    """
    hits: dict[str, None] = {}
    for word in key.split():
        for stem, code in stems.items():
            if word.startswith(stem) or re.search(f"{stem}(e|en|n|s|er)?$", word):
                hits[code] = None
    return tuple(hits)


def label_word(index: _Index, code: str) -> str:
    """A spelling of ``code`` from ``index`` for suggestions (the first one registered)."""
    for key, codes in index.codes.items():
        if codes == (code,):
            return index.spelling.get(key, key)
    return code


def _strip_dangling(text: str) -> str:
    """Drop separators and empty parentheses left behind when a level was cut off."""
    cleaned = re.sub(r"\(\s*\)", " ", text)
    return cleaned.strip(" -–—:,/").strip()


def _day_range(m: re.Match[str]) -> str:
    """ "Mo-Fr" -> "Mo bis Fr" (the hyphen is lost when the phrase is folded)."""
    a, b = fold(m[1]), fold(m[2])
    if len(DAY_WORDS.get(a, ())) == 1 and len(DAY_WORDS.get(b, ())) == 1:
        return f"{m[1]} bis {m[2]}"
    return m[0]


def _slot_tokens(key: str) -> list[str]:
    """Split compounds ("dienstagabends" -> dienstag abends) of a folded slot phrase."""
    out: list[str] = []
    for token in key.split():
        m = re.fullmatch(
            r"(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag)"
            r"(vormittags?|nachmittags?|abends?|morgens?)",
            token,
        )
        out.extend([m[1], m[2]] if m else [token])
    return out


@cache
def default_vocabulary() -> GermanVocabulary:
    """The built-in German/English vocabulary (no profile synonyms); built once."""
    return GermanVocabulary()
