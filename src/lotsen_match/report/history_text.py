"""Report wording of the history features: requests to reconfirm and the success model.

Kept apart from :mod:`.html_text` so that the main wording and these sections can change
independently; German first, English alongside, the same keys in both.
"""

from __future__ import annotations

from typing import Final

__all__ = ["HISTORY_TEXT"]

HISTORY_TEXT: Final[dict[str, dict[str, str]]] = {
    "de": {
        "reconfirm": "Bitte nachfragen, ob noch Bedarf besteht",
        "reconfirm_intro": (
            "{n} offene Anfragen hatten seit mehr als {days} Tagen keinen Kontakt (keine "
            "Zuordnung, kein Vorschlag in Bearbeitung). Bitte nachfragen, ob die Hilfe noch "
            "gebraucht wird; bis dahin steigt ihre Dringlichkeit durch Warten nicht weiter."
        ),
        "reconfirm_none": "Keine Anfrage wartet länger als {days} Tage ohne Kontakt.",
        "reconfirm_caption": "Anfragen ohne Kontakt, längste Wartezeit zuerst",
        "request": "Anfrage",
        "household": "Haushalt",
        "need": "Bedarf",
        "created": "Eingang",
        "last_contact": "Letzter Kontakt",
        "days": "Tage ohne Kontakt",
        "proposed": "Vorschlag in diesem Lauf",
        "more_rows": "{shown} von {total} Zeilen gezeigt; alle in der Datei {file}.",
        "model": (
            "Erfolgsmodell: {name} (gelernt aus {rows} beendeten Begleitungen, "
            "{start} bis {end}); Gewicht {weight}."
        ),
    },
    "en": {
        "reconfirm": "Please ask whether help is still needed",
        "reconfirm_intro": (
            "{n} open requests have had no contact for more than {days} days (no assignment, "
            "no proposal being worked on). Please ask whether help is still needed; until then "
            "waiting no longer raises their urgency."
        ),
        "reconfirm_none": "No request has waited more than {days} days without contact.",
        "reconfirm_caption": "Requests without contact, longest first",
        "request": "Request",
        "household": "Household",
        "need": "Need",
        "created": "Opened",
        "last_contact": "Last contact",
        "days": "Days without contact",
        "proposed": "Proposed in this run",
        "more_rows": "{shown} of {total} rows shown; all of them are in {file}.",
        "model": (
            "Success model: {name} (learned from {rows} finished accompaniments, "
            "{start} to {end}); weight {weight}."
        ),
    },
}
