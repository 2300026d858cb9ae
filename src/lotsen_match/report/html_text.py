"""Words of the HTML report in German and English: headings, labels, sentences.

Kept apart from the layout code so a translator (or a coordination office that prefers other
wording) changes one file; the words the report shares with the charts (need types, reasons,
chart titles) are in :mod:`lotsen_match.analysis.figure_text`. Placeholders in braces are
filled by ``report.html``; a count written ``{n:one|many}`` takes the singular or the plural
form (``#`` is the count, see :mod:`lotsen_match.plural`).
"""

from __future__ import annotations

from typing import Final

from ..analysis.figure_text import NEED, REASON

__all__ = ["NEED", "NEXT_STEPS", "REASON", "REASON_PHRASE", "SOLVER", "STATUS", "TEXT"]

TEXT: Final[dict[str, dict[str, str]]] = {
    "de": {
        "title": "Vorschläge für Integrationslotsinnen und -lotsen",
        "as_of": "Stichtag",
        "solver": "Verfahren:",
        "optimal": "nachweislich optimal",
        "not_optimal": "nicht nachweislich optimal",
        "human_decision": "Dies sind Vorschläge. Über jede Begleitung entscheidet die "
        "Koordinierungsstelle; wie Sie einen Vorschlag bestätigen oder ablehnen, steht unter "
        "„Nächste Schritte“.",
        "next_heading": "Nächste Schritte",
        "contents": "Inhalt",
        "glance": "Auf einen Blick",
        "proposals": "Vorschläge",
        "unmatched": "Anfragen ohne Vorschlag",
        "help": "Was helfen würde",
        "rejected": "Abgewiesene Eingabezeilen",
        "tile_open": "offene Anfragen",
        "tile_served": "mit Vorschlag",
        "tile_unmatched": "ohne Vorschlag",
        "tile_active": "laufende Begleitungen",
        "tile_volunteers": "Lotsinnen und Lotsen verfügbar",
        "tile_volunteers_of": "von {total}",
        "tile_used": "davon mit Vorschlag",
        "tile_free": "freie Plätze danach",
        "tile_rejected": "abgewiesene Zeilen",
        "served": "mit Vorschlag",
        "not_served": "ohne Vorschlag",
        "open": "offen",
        "share": "Anteil",
        "by_need": "Anfragen nach Bereich",
        "by_language": "Anfragen nach Sprache (Erstsprache der Anfragenden)",
        "need": "Bereich",
        "language": "Sprache",
        "request": "Anfrage",
        "household": "Haushalt",
        "area": "Ort",
        "volunteer": "Lotsin/Lotse",
        "shared_language": "gemeinsame Sprache",
        "km": "km",
        "score": "Eignung",
        "status": "Status",
        "alternatives": "Alternativen",
        "languages": "Sprachen",
        "waiting": "Wartezeit (Tage)",
        "detail": "Begründung",
        "requests": "Anfragen",
        "reason": "Grund",
        "filter": "Filtern:",
        "proposals_intro": "Die Eignung ist eine Punktzahl von 0 bis 1: je höher, desto besser "
        "passt das Paar. Sie ist der gewichtete Mittelwert der Bestandteile rechts daneben "
        "(jeweils 0 bis 1; Gewichte: {weights}). Die Spalten lassen sich durch Klick auf die "
        "Überschrift sortieren.",
        "proposals_caption": "Vorschläge mit Aufschlüsselung der Eignung",
        "none_proposed": "Keine Vorschläge in diesem Lauf.",
        "alt_weaker": "schwächer: {lacks}",
        "alt_full": "ausgelastet",
        "unmatched_intro": "{n:# offene Anfrage hat|# offene Anfragen haben} keinen Vorschlag. "
        "Der Grund ist die Bedingung, an der die letzten passenden Personen scheitern.",
        "none_unmatched": "Jede offene Anfrage hat einen Vorschlag.",
        "reasons_caption": "Anfragen ohne Vorschlag nach Grund",
        "gaps_heading": "Die häufigsten Lücken in Worten",
        "gap_sentence": "{language}: {n:# Anfrage|# Anfragen} – {reason}",
        "gap_nearest": " (nächste passende Person im Median {km} km entfernt)",
        "group_caption": "{label}: {n:# Anfrage|# Anfragen}",
        "help_intro": "{n:# Anfrage|# Anfragen} aus {h:# Haushalt|# Haushalten} "
        "{n:blieb|blieben} offen, weil passende Lotsinnen und Lotsen fehlen (Sprache, Umkreis, "
        "Bereich, Zeit, Führungszeugnis, Geschlecht oder Kapazität). Etwa "
        "{v:# zusätzliche Person|# zusätzliche Personen} an diesen Orten {v:würde|würden} sie "
        "abdecken (geschätzt mit {p} {pn:Platz|Plätzen} pro Person; Zeiten und "
        "Wunschgeschlecht sind dabei nicht berücksichtigt).",
        "help_none": "Keine Anfrage blieb aus Mangel an Lotsinnen und Lotsen offen.",
        "recruit_caption": "Gesucht: Lotsinnen und Lotsen nach Ort und Sprache",
        "need_types": "Bereiche",
        "households": "Haushalte",
        "needed": "benötigt (geschätzt)",
        "speakers": "vorhandene Sprecher/innen",
        "free_places": "freie Plätze",
        "free_heading": "Freie Plätze nach der Zuordnung",
        "free_intro": "{p:# Platz|# Plätze} bei {n:# Person|# Personen} {p:bleibt|bleiben} "
        "frei, wenn alle Vorschläge bestätigt werden. Wer mehrere Sprachen spricht, zählt bei "
        "jeder davon.",
        "free_caption": "Freie Plätze nach gesprochener Sprache",
        "people": "Personen",
        "rejected_none": "Alle Eingabezeilen waren gültig.",
        "rejected_intro": "Diese Zeilen wurden nicht berücksichtigt.",
        "rejected_caption": "Probleme in den Eingabedateien",
        "notices": "Hinweise",
        "notices_intro": "Diese Verweise nennen eine ID, die in keiner Eingabetabelle vorkommt "
        "(etwa eine Lotsin oder ein Lotse, die nicht mehr dabei sind). Die Zeilen wurden "
        "berücksichtigt, der Verweis selbst bleibt ohne Wirkung. Bitte prüfen, ob die ID stimmt.",
        "notices_caption": "Verweise auf unbekannte IDs",
        "notices_truncated": "Die ersten {shown} von {total} Hinweisen; die IDs stehen in "
        "summary.json.",
        "id": "ID",
        "file": "Datei",
        "row": "Zeile",
        "column": "Spalte",
        "message": "Meldung",
        "truncated": "{shown:Die erste|Die ersten #} von {total} Zeilen; alle stehen in der "
        "Datei „{file}“.",
        "truncated_call": "{shown:Die erste|Die ersten #} von {total} Zeilen; alle liefert "
        "lotsen_match.analysis.recruitment_list().",
        "footer": "Erstellt mit lotsen_match {version}. Die Vorschläge beruhen allein auf den "
        "übergebenen Daten; Namen kommen in diesem Bericht nicht vor.",
    },
    "en": {
        "title": "Proposals for integration guides",
        "as_of": "Run date",
        "solver": "Solver:",
        "optimal": "proven optimal",
        "not_optimal": "not proven optimal",
        "human_decision": "These are proposals. The coordination office decides on every "
        "pairing; how to confirm or decline a proposal is described under 'Next steps'.",
        "next_heading": "Next steps",
        "contents": "Contents",
        "glance": "At a glance",
        "proposals": "Proposals",
        "unmatched": "Requests without a proposal",
        "help": "What would help",
        "rejected": "Rejected input rows",
        "tile_open": "open requests",
        "tile_served": "with a proposal",
        "tile_unmatched": "without a proposal",
        "tile_active": "ongoing pairings",
        "tile_volunteers": "volunteers available",
        "tile_volunteers_of": "of {total}",
        "tile_used": "of them with a proposal",
        "tile_free": "free places left",
        "tile_rejected": "rejected rows",
        "served": "with a proposal",
        "not_served": "without a proposal",
        "open": "open",
        "share": "share",
        "by_need": "Requests by need type",
        "by_language": "Requests by language (first language of the person asking)",
        "need": "Need",
        "language": "Language",
        "request": "Request",
        "household": "Household",
        "area": "Place",
        "volunteer": "Volunteer",
        "shared_language": "shared language",
        "km": "km",
        "score": "Score",
        "status": "Status",
        "alternatives": "Alternatives",
        "languages": "Languages",
        "waiting": "Waiting (days)",
        "detail": "Reason",
        "requests": "Requests",
        "reason": "Reason",
        "filter": "Filter:",
        "proposals_intro": "The score is the weighted mean of its parts (each 0 to 1; weights: "
        "{weights}). Click a column header to sort.",
        "proposals_caption": "Proposals with their score breakdown",
        "none_proposed": "No proposals in this run.",
        "alt_weaker": "weaker: {lacks}",
        "alt_full": "fully booked",
        "unmatched_intro": "{n:# open request has|# open requests have} no proposal. The "
        "reason is the condition on which the last fitting volunteers fail.",
        "none_unmatched": "Every open request has a proposal.",
        "reasons_caption": "Requests without a proposal by reason",
        "gaps_heading": "The largest gaps in words",
        "gap_sentence": "{language}: {n:# request|# requests} – {reason}",
        "gap_nearest": " (nearest fitting volunteer {km} km away, median)",
        "group_caption": "{label}: {n:# request|# requests}",
        "help_intro": "{n:# request|# requests} of {h:# household|# households} stayed open "
        "for lack of fitting volunteers (language, reach, need type, time, police certificate, "
        "gender or capacity). About {v:# more volunteer|# more volunteers} in these places "
        "would cover them (estimated with {p} {pn:place|places} per person; times and gender "
        "preferences are not taken into account).",
        "help_none": "No request stayed open for lack of volunteers.",
        "recruit_caption": "Wanted: volunteers by place and language",
        "need_types": "Need types",
        "households": "Households",
        "needed": "needed (estimate)",
        "speakers": "speakers there",
        "free_places": "free places",
        "free_heading": "Free places after matching",
        "free_intro": "{p:# place|# places} of {n:# volunteer|# volunteers} {p:stays|stay} "
        "free if every proposal is confirmed. A volunteer counts once for each language they "
        "speak.",
        "free_caption": "Free places by spoken language",
        "people": "Volunteers",
        "rejected_none": "All input rows were valid.",
        "rejected_intro": "These rows were left out.",
        "rejected_caption": "Problems in the input files",
        "notices": "Notices",
        "notices_intro": "These references name an id that no input table holds (e.g. a "
        "volunteer who has left the pool). The rows were used; the reference itself has no "
        "effect. Please check that the id is right.",
        "notices_caption": "References to unknown ids",
        "notices_truncated": "The first {shown} of {total} notices; summary.json lists the ids.",
        "id": "Id",
        "file": "File",
        "row": "Row",
        "column": "Column",
        "message": "Message",
        "truncated": "{shown:The first|The first #} of {total} rows; all of them are in the "
        "file '{file}'.",
        "truncated_call": "{shown:The first|The first #} of {total} rows; "
        "lotsen_match.analysis.recruitment_list() returns all of them.",
        "footer": "Made with lotsen_match {version}. The proposals rest on the data given "
        "only; this report contains no names.",
    },
}

#: Reasons as the end of a sentence ("Tigrinya: 9 requests – ...").
REASON_PHRASE: Final[dict[str, dict[str, str]]] = {
    "de": {
        "language": "niemand spricht die Sprache",
        "distance": "niemand mit dieser Sprache im Umkreis",
        "need": "niemand übernimmt den Bereich",
        "time": "keine gemeinsame Zeit",
        "minors": "niemand mit gültigem Führungszeugnis",
        "gender": "Wunschgeschlecht nicht verfügbar",
        "exclusions": "passende Personen ausgeschlossen oder abgelehnt",
        "active": "passende Personen nicht aktiv",
        "capacity": "alle passenden Personen ausgelastet",
        "household": "Haushalt wird von anderer Person begleitet",
        "quality": "Vorschlag würde Gesamtbewertung senken",
    },
    "en": {
        "language": "nobody speaks the language",
        "distance": "no speaker within reach",
        "need": "nobody takes on the need type",
        "time": "no shared time",
        "minors": "nobody with a valid police certificate",
        "gender": "preferred gender not available",
        "exclusions": "fitting volunteers excluded or declined",
        "active": "fitting volunteers not active",
        "capacity": "every fitting volunteer fully booked",
        "household": "household accompanied by another volunteer",
        "quality": "a proposal would lower the total score",
    },
}

#: The solver backends in words (the summary's ``solver.backend``).
SOLVER: Final[dict[str, dict[str, str]]] = {
    "de": {
        "flow": "exakt (Min-Cost-Flow)",
        "cpsat": "exakt (CP-SAT)",
        "lsa": "exakt (lineare Zuordnung, SciPy)",
        "linear-assignment": "exakt (lineare Zuordnung, OR-Tools)",
        "greedy": "Faustregel „beste Paare zuerst“ (nicht exakt)",
    },
    "en": {
        "flow": "exact (min-cost flow)",
        "cpsat": "exact (CP-SAT)",
        "lsa": "exact (linear assignment, SciPy)",
        "linear-assignment": "exact (linear assignment, OR-Tools)",
        "greedy": "rule of thumb 'best pair first' (not exact)",
    },
}

#: The "Next steps" box: (what, how) per step. Placeholders: {active}, {declined}, {proposed}
#: (the status words the run reads), {columns} (the assignments table's headers), {as_of}.
NEXT_STEPS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "de": (
        (
            "Prüfen",
            "Sehen Sie sich jeden Vorschlag in der Tabelle „Vorschläge“ an (Eignung, "
            "Entfernung, gemeinsame Sprache, Alternativen) und sprechen Sie mit der Lotsin oder "
            "dem Lotsen.",
        ),
        (
            "Bestätigen",
            "Tragen Sie das Paar in die Zuordnungstabelle ein – in der Fallsoftware oder in der "
            "Datei, die der Lauf als Zuordnungen liest (Spalten {columns}) – mit dem Status "
            "{active}. Die Begleitung ist dann fest: Sie belegt einen Platz und wird nicht neu "
            "vergeben.",
        ),
        (
            "Ablehnen",
            "Tragen Sie das Paar mit dem Status {declined} ein. Es wird nie wieder "
            "vorgeschlagen; die Anfrage bekommt im nächsten Lauf einen anderen Vorschlag, "
            "wenn es einen gibt.",
        ),
        (
            "Noch offen",
            "Ein Vorschlag, über den noch nicht entschieden ist, kann mit dem Status "
            "{proposed} eingetragen werden: Er bleibt dann bestehen, solange sich nichts "
            "deutlich Besseres ergibt. Ohne Eintrag wird die Anfrage im nächsten Lauf neu "
            "vergeben.",
        ),
        (
            "Nächster Lauf",
            "Der nächste Lauf (zum Beispiel der nächtliche) liest die Zuordnungen neu ein und "
            "berücksichtigt alles, was bis zu seinem Start gespeichert ist. Dieser Bericht "
            "bleibt der Stand vom {as_of}.",
        ),
    ),
    "en": (
        (
            "Check",
            "Look at every proposal in the table 'Proposals' (score, distance, shared language, "
            "alternatives) and talk to the volunteer.",
        ),
        (
            "Confirm",
            "Enter the pair in the assignments table – in the case software or in the file "
            "the run reads as assignments (columns {columns}) – with the status {active}. The "
            "pairing is then fixed: it takes a place and is never reassigned.",
        ),
        (
            "Decline",
            "Enter the pair with the status {declined}. It is never proposed again; the next "
            "run proposes someone else for the request if anyone fits.",
        ),
        (
            "Not decided yet",
            "A proposal not decided yet may be entered with the status {proposed}: it stays "
            "unless something clearly better turns up. Without an entry the next run assigns "
            "the request afresh.",
        ),
        (
            "Next run",
            "The next run (the nightly one, for example) reads the assignments again and takes "
            "in everything saved before it starts. This report stays the state of {as_of}.",
        ),
    ),
}

STATUS: Final[dict[str, dict[str, str]]] = {
    "de": {"proposed": "neu", "kept": "beibehalten"},
    "en": {"proposed": "new", "kept": "kept"},
}
