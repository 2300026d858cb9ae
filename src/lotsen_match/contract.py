"""The data contract's tables as the library holds them after validation: columns and dtypes.

One definition for every layer that needs to know the contract's columns (validation, import
profiles, records, documentation) so that none of them depends on another for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "CLEAN_DTYPES",
    "INPUT_COLUMNS",
    "INPUT_TABLES",
    "MAPPABLE_COLUMNS",
    "PLACE_COLUMNS",
    "RESULT_COLUMNS",
    "RESULT_TABLES",
    "TABLE_LABELS",
    "TYPE_LABELS",
    "VOCABULARY_KINDS",
    "ContractColumn",
    "VocabularyKind",
]

_DATE = "datetime64[ns]"
#: Contract columns of the clean frames and their dtypes, in output order.
CLEAN_DTYPES: Final[dict[str, dict[str, str]]] = {
    "volunteers": {
        "volunteer_id": "object",
        "languages": "object",
        "lat": "float64",
        "lon": "float64",
        "max_distance_km": "float64",
        "need_types": "object",
        "need_mask": "int32",
        "availability": "object",
        "slot_mask": "int32",
        "capacity": "int32",
        "gender": "object",
        "certified_on": _DATE,
        "police_check_until": _DATE,
        "available_from": _DATE,
        "available_until": _DATE,
        "modules": "object",
        "module_mask": "int32",
        "status": "object",
    },
    "requests": {
        "request_id": "object",
        "household_id": "object",
        "languages": "object",
        "lat": "float64",
        "lon": "float64",
        "need_type": "object",
        "need_code": "int8",
        "availability": "object",
        "slot_mask": "int32",
        "created_on": _DATE,
        "due_on": _DATE,
        "involves_minors": "bool",
        "preferred_gender": "object",
        "excluded_volunteers": "object",
        "previous_volunteer_id": "object",
    },
    "assignments": {
        "request_id": "object",
        "volunteer_id": "object",
        "status": "object",
        "started_on": _DATE,
        "ended_on": _DATE,
        "end_reason": "object",
        "decided_by": "object",
    },
}

#: Columns from which missing coordinates are geocoded (lat/lon then become optional).
PLACE_COLUMNS: Final[tuple[str, ...]] = ("place", "postal_code")

#: Contract columns an export header may be mapped onto, per table (settings ``[columns.*]``):
#: the input columns of the clean frames (not the derived masks) plus the place columns.
MAPPABLE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    table: tuple(
        c
        for c in (*columns, *(PLACE_COLUMNS if table != "assignments" else ()))
        if not c.endswith("_mask") and c != "need_code"
    )
    for table, columns in CLEAN_DTYPES.items()
}

VocabularyKind = Literal[
    "languages",
    "levels",
    "need_types",
    "modules",
    "slots",
    "genders",
    "booleans",
    "statuses",
    "volunteer_statuses",
    "end_reasons",
    "deciders",
]
#: The controlled vocabularies a settings file may extend with its own words (``[synonyms.*]``).
VOCABULARY_KINDS: Final[tuple[VocabularyKind, ...]] = (
    "languages",
    "levels",
    "need_types",
    "modules",
    "slots",
    "genders",
    "booleans",
    "statuses",
    "volunteer_statuses",
    "end_reasons",
    "deciders",
)


# ------------------------------------------------------------------------------------------------
# every column of the contract, described once (``lotsen-match columns``, the office form)

#: How a column's cells are written, in English and German.
TYPE_LABELS: Final[dict[str, dict[str, str]]] = {
    "id": {"en": "text (pseudonymous id)", "de": "Text (pseudonyme ID)"},
    "ids": {"en": "list of ids", "de": "Liste von IDs"},
    "text": {"en": "text", "de": "Text"},
    "number": {"en": "number", "de": "Zahl"},
    "integer": {"en": "whole number", "de": "ganze Zahl"},
    "date": {"en": "date", "de": "Datum"},
    "bool": {"en": "yes/no", "de": "ja/nein"},
    "choice": {"en": "one word of a vocabulary", "de": "ein Wort des Vokabulars"},
    "list": {"en": "list of words of a vocabulary", "de": "Liste von Wörtern des Vokabulars"},
    "language_levels": {"en": "languages with level", "de": "Sprachen mit Niveau"},
}

#: Table names in words.
TABLE_LABELS: Final[dict[str, dict[str, str]]] = {
    "volunteers": {"en": "volunteers", "de": "Lotsinnen und Lotsen"},
    "requests": {"en": "help requests", "de": "Anfragen"},
    "assignments": {"en": "assignments (state before the run)", "de": "Zuordnungen"},
    "proposals": {"en": "proposals", "de": "Vorschläge"},
    "unmatched": {"en": "requests without a proposal", "de": "Anfragen ohne Vorschlag"},
    "alternatives": {"en": "next-best volunteers", "de": "Alternativen"},
    "reconfirm": {"en": "requests to reconfirm", "de": "Bitte nachfragen, ob noch Bedarf besteht"},
    "rejected": {"en": "rejected input rows", "de": "abgelehnte Zeilen"},
}


@dataclass(frozen=True)
class ContractColumn:
    """One column of the data contract: how it is written and what it means.

    ``words`` names the vocabulary of its values (``need_types``, ``languages``, ``reasons``,
    ...): the office form of the result files writes those values as German words.
    ``header_de`` is its German title where an export's own header is not known.
    """

    table: str
    name: str
    type: str
    required: bool
    meaning: str
    meaning_de: str
    header_de: str
    words: str | None = None


def _columns(table: str, rows: tuple[tuple[str, ...], ...]) -> tuple[ContractColumn, ...]:
    out = []
    for name, type_, required, words, header_de, meaning, meaning_de in rows:
        out.append(
            ContractColumn(
                table=table,
                name=name,
                type=type_,
                required=required == "yes",
                meaning=meaning,
                meaning_de=meaning_de,
                header_de=header_de,
                words=words or None,
            )
        )
    return tuple(out)


_VOLUNTEERS: Final = _columns(
    "volunteers",
    (
        (
            "volunteer_id",
            "id",
            "yes",
            "",
            "Lotsen-ID",
            "unique pseudonymous id",
            "eindeutige pseudonyme ID",
        ),
        (
            "languages",
            "language_levels",
            "yes",
            "languages",
            "Sprachen",
            "languages spoken, code:level joined by ';' (ar:native;de:B1)",
            "Sprachen mit Niveau (ar:native;de:B1 oder Arabisch (Muttersprache), Deutsch B1)",
        ),
        (
            "lat",
            "number",
            "yes",
            "",
            "Breitengrad",
            "home latitude, WGS84 (or give place)",
            "Breitengrad des Wohnorts, WGS84 (oder Ort angeben)",
        ),
        (
            "lon",
            "number",
            "yes",
            "",
            "Längengrad",
            "home longitude, WGS84 (or give place)",
            "Längengrad des Wohnorts, WGS84 (oder Ort angeben)",
        ),
        (
            "place",
            "text",
            "no",
            "",
            "Ort",
            "place name, looked up where lat and lon are empty",
            "Ortsname; ergibt die Koordinaten, wo Breiten- und Längengrad fehlen",
        ),
        (
            "postal_code",
            "text",
            "no",
            "",
            "PLZ",
            "postal code, looked up in an own places table",
            "Postleitzahl; über eine eigene Ortstabelle",
        ),
        (
            "max_distance_km",
            "number",
            "no",
            "",
            "max. Entfernung (km)",
            "how far the volunteer travels (default 10 km)",
            "wie weit die Person fährt (sonst 10 km)",
        ),
        (
            "need_types",
            "list",
            "yes",
            "need_types",
            "Bereiche",
            "need types taken on",
            "übernommene Bereiche",
        ),
        (
            "availability",
            "list",
            "no",
            "slots",
            "Zeiten",
            "time slots; empty = any time",
            "Zeitfenster; leer = jederzeit",
        ),
        (
            "capacity",
            "integer",
            "yes",
            "",
            "Kapazität",
            "households accompanied at once",
            "gleichzeitig begleitete Haushalte",
        ),
        (
            "gender",
            "choice",
            "no",
            "genders",
            "Geschlecht",
            "f, m, d or empty",
            "w, m, d oder leer",
        ),
        (
            "certified_on",
            "date",
            "no",
            "",
            "Qualifiziert am",
            "completion of the qualification",
            "Abschluss der Qualifizierung",
        ),
        (
            "modules",
            "list",
            "no",
            "modules",
            "Fortbildungsmodule",
            "training modules completed",
            "abgeschlossene Fortbildungsmodule",
        ),
        (
            "police_check_until",
            "date",
            "no",
            "",
            "Führungszeugnis gültig bis",
            "extended certificate of conduct valid until",
            "erweitertes Führungszeugnis gültig bis",
        ),
        (
            "available_from",
            "date",
            "no",
            "",
            "Aktiv ab",
            "start of the active period",
            "Beginn des aktiven Zeitraums",
        ),
        (
            "available_until",
            "date",
            "no",
            "",
            "Aktiv bis",
            "end of the active period",
            "Ende des aktiven Zeitraums",
        ),
        (
            "status",
            "choice",
            "no",
            "volunteer_statuses",
            "Status",
            "active, inactive or paused; empty = active; only active volunteers are proposed",
            "aktiv, inaktiv oder pausiert; leer = aktiv; nur aktive Personen werden vorgeschlagen",
        ),
    ),
)
_REQUESTS: Final = _columns(
    "requests",
    (
        (
            "request_id",
            "id",
            "yes",
            "",
            "Anfrage-ID",
            "unique pseudonymous id",
            "eindeutige pseudonyme ID",
        ),
        (
            "household_id",
            "id",
            "no",
            "",
            "Haushalt",
            "requests of one household share it",
            "Anfragen eines Haushalts teilen sie",
        ),
        (
            "languages",
            "language_levels",
            "yes",
            "languages",
            "Sprachen",
            "languages of the person(s) seeking help",
            "Sprachen der Hilfesuchenden mit Niveau",
        ),
        (
            "lat",
            "number",
            "yes",
            "",
            "Breitengrad",
            "latitude, WGS84 (or give place)",
            "Breitengrad, WGS84 (oder Ort angeben)",
        ),
        (
            "lon",
            "number",
            "yes",
            "",
            "Längengrad",
            "longitude, WGS84 (or give place)",
            "Längengrad, WGS84 (oder Ort angeben)",
        ),
        (
            "place",
            "text",
            "no",
            "",
            "Ort",
            "place name, looked up where lat and lon are empty",
            "Ortsname; ergibt die Koordinaten, wo Breiten- und Längengrad fehlen",
        ),
        (
            "postal_code",
            "text",
            "no",
            "",
            "PLZ",
            "postal code, looked up in an own places table",
            "Postleitzahl; über eine eigene Ortstabelle",
        ),
        ("need_type", "choice", "yes", "need_types", "Anliegen", "one need type", "ein Anliegen"),
        (
            "availability",
            "list",
            "no",
            "slots",
            "Zeiten",
            "time slots; empty = any time",
            "Zeitfenster; leer = jederzeit",
        ),
        (
            "created_on",
            "date",
            "yes",
            "",
            "Eingang",
            "when the request was opened",
            "Eingangsdatum der Anfrage",
        ),
        (
            "due_on",
            "date",
            "no",
            "",
            "Termin",
            "date of the appointment, if any",
            "Datum des Termins, falls es einen gibt",
        ),
        (
            "involves_minors",
            "bool",
            "no",
            "booleans",
            "Kinder beteiligt",
            "yes requires a valid police check",
            "ja verlangt ein gültiges erweitertes Führungszeugnis",
        ),
        (
            "preferred_gender",
            "choice",
            "no",
            "genders",
            "Wunschgeschlecht",
            "a hard preference (f, m, d) or empty",
            "verbindlicher Wunsch (w, m, d) oder leer",
        ),
        (
            "excluded_volunteers",
            "ids",
            "no",
            "",
            "Nicht vorschlagen",
            "volunteer ids that must not be proposed",
            "Lotsen-IDs, die nicht vorgeschlagen werden dürfen",
        ),
        (
            "previous_volunteer_id",
            "id",
            "no",
            "",
            "Bisherige Lotsin/Lotse",
            "who accompanied the household before",
            "wer den Haushalt bisher begleitet hat",
        ),
    ),
)
_ASSIGNMENTS: Final = _columns(
    "assignments",
    (
        (
            "request_id",
            "id",
            "yes",
            "",
            "Anfrage-ID",
            "the request of the pair",
            "die Anfrage des Paars",
        ),
        (
            "volunteer_id",
            "id",
            "yes",
            "",
            "Lotsen-ID",
            "the volunteer of the pair",
            "die Lotsin/der Lotse des Paars",
        ),
        (
            "status",
            "choice",
            "yes",
            "statuses",
            "Status",
            "active (ongoing, fixed), proposed (last run's open proposal), declined (never "
            "again) or ended (history: no capacity, blocks nothing, counts for continuity and "
            "learning)",
            "aktiv (läuft, bleibt), vorgeschlagen (offener Vorschlag), abgelehnt (nie wieder) "
            "oder beendet (Historie: belegt keine Kapazität, sperrt nichts, zählt für "
            "Kontinuität und Lernen)",
        ),
        (
            "started_on",
            "date",
            "no",
            "",
            "Beginn",
            "history: when the accompaniment began",
            "Historie: Beginn der Begleitung",
        ),
        (
            "ended_on",
            "date",
            "no",
            "",
            "Ende",
            "history: when it ended (not before started_on; on ended or declined rows)",
            "Historie: Ende der Begleitung (nicht vor dem Beginn; bei beendeten oder "
            "abgelehnten Zeilen)",
        ),
        (
            "end_reason",
            "choice",
            "no",
            "end_reasons",
            "Grund des Endes",
            "why it ended (on ended or declined rows): completed, no_longer_needed, "
            "newcomer_moved, volunteer_dropout, language_mismatch, personal_mismatch, "
            "declined_by_coordinator, declined_by_volunteer, declined_by_newcomer or other; "
            "completed counts as success for lotsen-match learn",
            "warum die Begleitung endete (bei beendeten oder abgelehnten Zeilen), z. B. "
            "abgeschlossen, kein Bedarf mehr, verzogen; abgeschlossen gilt für lotsen-match "
            "learn als Erfolg",
        ),
        (
            "decided_by",
            "choice",
            "no",
            "deciders",
            "entschieden von",
            "who made the decision: auto or coordinator",
            "wer entschieden hat: automatisch oder Koordination",
        ),
    ),
)
#: The input tables' columns, in the order ``lotsen-match columns`` lists them.
INPUT_COLUMNS: Final[dict[str, tuple[ContractColumn, ...]]] = {
    "volunteers": _VOLUNTEERS,
    "requests": _REQUESTS,
    "assignments": _ASSIGNMENTS,
}
INPUT_TABLES: Final[tuple[str, ...]] = tuple(INPUT_COLUMNS)

_COMPONENT_WORDS: Final[tuple[tuple[str, str, str, str], ...]] = (
    (
        "language",
        "Sprache",
        "how well they speak the shared language",
        "wie gut beide die gemeinsame Sprache sprechen",
    ),
    ("distance", "Entfernung", "how near (1 = same place)", "wie nah (1 = gleicher Ort)"),
    (
        "time",
        "Zeit",
        "share of the requested times the volunteer covers",
        "Anteil der gewünschten Zeiten, die passen",
    ),
    (
        "modules",
        "Module",
        "training modules relevant to the need",
        "zum Anliegen passende Fortbildungsmodule",
    ),
    (
        "continuity",
        "Kontinuität",
        "the household's previous volunteer",
        "bisherige Lotsin/bisheriger Lotse des Haushalts",
    ),
    (
        "urgency",
        "Dringlichkeit",
        "waiting time and a near appointment",
        "Wartezeit und naher Termin",
    ),
    (
        "stability",
        "Stabilität",
        "last run's proposal, kept",
        "Vorschlag des letzten Laufs, beibehalten",
    ),
)
_STEP_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("language", "Sprache"),
    ("distance", "Entfernung"),
    ("need", "Bereich"),
    ("time", "Zeit"),
    ("minors", "Führungszeugnis"),
    ("gender", "Geschlecht"),
    ("exclusions", "Ausschlüsse"),
    ("active", "aktiv"),
    ("capacity", "Kapazität"),
)
_SCORE = ("0 (poor) to 1 (perfect)", "0 (schlecht) bis 1 (ideal)")

_PROPOSALS: Final = _columns(
    "proposals",
    (
        ("request_id", "id", "yes", "", "Anfrage-ID", "the request", "die Anfrage"),
        (
            "volunteer_id",
            "id",
            "yes",
            "",
            "Lotsen-ID",
            "the proposed volunteer",
            "die vorgeschlagene Person",
        ),
        (
            "household_id",
            "id",
            "no",
            "",
            "Haushalt",
            "the request's household",
            "Haushalt der Anfrage",
        ),
        (
            "score",
            "number",
            "yes",
            "",
            "Bewertung",
            f"weighted mean of the components, {_SCORE[0]}",
            f"gewichtetes Mittel der Teilwerte, {_SCORE[1]}",
        ),
        *(
            (
                name,
                "number",
                "yes",
                "",
                f"Bewertung {de}",
                f"score component: {en}, {_SCORE[0]}",
                f"Teilwert: {mde}, {_SCORE[1]}",
            )
            for name, de, en, mde in _COMPONENT_WORDS
        ),
        (
            "success",
            "number",
            "no",
            "",
            "Bewertung Erfolgsaussicht",
            "score component, only with rules.success_model: the learned probability that the "
            "pairing ends completed, 0 to 1",
            "Teilwert, nur mit rules.success_model: gelernte Wahrscheinlichkeit, dass die "
            "Begleitung abgeschlossen endet, 0 bis 1",
        ),
        (
            "distance_km",
            "number",
            "yes",
            "",
            "Entfernung (km)",
            "great-circle distance in km",
            "Luftlinie in km",
        ),
        (
            "shared_language",
            "choice",
            "yes",
            "languages",
            "gemeinsame Sprache",
            "the language they share",
            "die gemeinsame Sprache",
        ),
        (
            "status",
            "choice",
            "yes",
            "proposal_statuses",
            "Status",
            "proposed (new) or kept (last run's proposal)",
            "vorgeschlagen (neu) oder beibehalten (Vorschlag des letzten Laufs)",
        ),
        (
            "volunteer_load",
            "number",
            "yes",
            "",
            "Auslastung",
            "the volunteer's share of capacity in use after this run",
            "belegter Anteil der Kapazität nach diesem Lauf",
        ),
    ),
)
_UNMATCHED: Final = _columns(
    "unmatched",
    (
        ("request_id", "id", "yes", "", "Anfrage-ID", "the request", "die Anfrage"),
        (
            "household_id",
            "id",
            "no",
            "",
            "Haushalt",
            "the request's household",
            "Haushalt der Anfrage",
        ),
        (
            "reason",
            "choice",
            "yes",
            "reasons",
            "Grund",
            "the rule that removed the last candidates, or capacity / household / quality",
            "die Regel, an der die letzten Kandidaten scheiterten",
        ),
        *(
            (
                f"after_{step}",
                "integer",
                "yes",
                "",
                f"übrig nach „{de}“",
                f"candidates left after the rule '{step}'",
                f"passende Personen nach der Prüfung „{de}“",
            )
            for step, de in _STEP_WORDS
        ),
        (
            "best_volunteer_id",
            "id",
            "no",
            "",
            "beste Option (Lotsen-ID)",
            "the best volunteer, needed by a higher-scoring household",
            "die beste Person, die ein anderer Haushalt braucht",
        ),
        (
            "best_score",
            "number",
            "no",
            "",
            "Bewertung beste Option",
            "that volunteer's score for this request",
            "deren Bewertung für diese Anfrage",
        ),
        (
            "household_volunteer_id",
            "id",
            "no",
            "",
            "Lotsin/Lotse des Haushalts",
            "who accompanies the household and cannot take this request",
            "wer den Haushalt begleitet und diese Anfrage nicht übernehmen kann",
        ),
        (
            "request_languages",
            "list",
            "yes",
            "languages",
            "Sprachen",
            "the request's languages at the minimum level",
            "Sprachen der Anfrage ab Mindestniveau",
        ),
        (
            "need_type",
            "choice",
            "yes",
            "need_types",
            "Anliegen",
            "the request's need",
            "das Anliegen",
        ),
        (
            "nearest_km",
            "number",
            "no",
            "",
            "nächste Person (km)",
            "distance to the nearest volunteer who speaks a language of the request",
            "Entfernung zur nächsten Person, die eine Sprache der Anfrage spricht",
        ),
        (
            "nearest_radius_km",
            "number",
            "no",
            "",
            "deren Umkreis (km)",
            "how far that volunteer travels",
            "wie weit diese Person fährt",
        ),
        (
            "detail",
            "text",
            "yes",
            "",
            "Erläuterung",
            "the reason in a sentence",
            "der Grund in einem Satz",
        ),
    ),
)
_ALTERNATIVES: Final = _columns(
    "alternatives",
    (
        ("request_id", "id", "yes", "", "Anfrage-ID", "the request", "die Anfrage"),
        ("rank", "integer", "yes", "", "Rang", "1 = next best", "1 = nächstbeste"),
        (
            "volunteer_id",
            "id",
            "yes",
            "",
            "Lotsen-ID",
            "an admissible volunteer not proposed",
            "eine passende, nicht vorgeschlagene Person",
        ),
        ("score", "number", "yes", "", "Bewertung", _SCORE[0], _SCORE[1]),
        (
            "distance_km",
            "number",
            "yes",
            "",
            "Entfernung (km)",
            "great-circle distance in km",
            "Luftlinie in km",
        ),
        (
            "shared_language",
            "choice",
            "yes",
            "languages",
            "gemeinsame Sprache",
            "the language they share",
            "die gemeinsame Sprache",
        ),
        (
            "volunteer_full",
            "bool",
            "yes",
            "booleans",
            "ausgelastet",
            "the volunteer has no free place after this run",
            "nach diesem Lauf ohne freien Platz",
        ),
        (
            "lacks",
            "list",
            "no",
            "components",
            "schwächer bei",
            "score components clearly below the proposal's",
            "Teilwerte deutlich unter denen des Vorschlags",
        ),
    ),
)
_RECONFIRM: Final = _columns(
    "reconfirm",
    (
        ("request_id", "id", "yes", "", "Anfrage-ID", "the request", "die Anfrage"),
        (
            "household_id",
            "id",
            "no",
            "",
            "Haushalt",
            "the request's household",
            "Haushalt der Anfrage",
        ),
        (
            "need_type",
            "choice",
            "yes",
            "need_types",
            "Anliegen",
            "the request's need",
            "das Anliegen",
        ),
        (
            "created_on",
            "date",
            "yes",
            "",
            "angelegt am",
            "when the request came in",
            "Eingang der Anfrage",
        ),
        (
            "last_contact_on",
            "date",
            "yes",
            "",
            "letzter Kontakt",
            "the latest of created_on and the dates of the request's assignment rows",
            "das späteste Datum aus Eingang und Begleitungen der Anfrage",
        ),
        (
            "days_without_contact",
            "integer",
            "yes",
            "",
            "Tage ohne Kontakt",
            "days from the last contact to as_of",
            "Tage vom letzten Kontakt bis zum Stichtag",
        ),
        (
            "proposed_volunteer_id",
            "id",
            "no",
            "",
            "vorgeschlagen (Lotsen-ID)",
            "the volunteer this run proposes, empty if none",
            "die in diesem Lauf vorgeschlagene Lotsin/der Lotse, leer wenn keine",
        ),
    ),
)
_REJECTED: Final = _columns(
    "rejected",
    (
        ("table", "choice", "yes", "tables", "Tabelle", "the input table", "die Eingabetabelle"),
        ("source", "text", "yes", "", "Datei", "the file or table read", "die gelesene Datei"),
        (
            "row",
            "integer",
            "yes",
            "",
            "Zeile",
            "row number as the spreadsheet shows it (header = 1)",
            "Zeilennummer wie in der Tabellenkalkulation (Kopfzeile = 1)",
        ),
        ("id", "id", "no", "", "ID", "the row's id", "ID der Zeile"),
        (
            "columns",
            "text",
            "yes",
            "",
            "Spalten",
            "the columns with problems",
            "Spalten mit Problemen",
        ),
        (
            "values",
            "text",
            "yes",
            "",
            "Werte",
            "their values as written",
            "deren Werte, wie geschrieben",
        ),
        (
            "messages",
            "text",
            "yes",
            "",
            "Meldungen",
            "what is wrong and what would be valid",
            "was falsch ist und was gültig wäre",
        ),
    ),
)
#: The result tables' columns (the files a run writes), in file order.
RESULT_COLUMNS: Final[dict[str, tuple[ContractColumn, ...]]] = {
    "proposals": _PROPOSALS,
    "unmatched": _UNMATCHED,
    "alternatives": _ALTERNATIVES,
    "reconfirm": _RECONFIRM,
    "rejected": _REJECTED,
}
RESULT_TABLES: Final[tuple[str, ...]] = tuple(RESULT_COLUMNS)
