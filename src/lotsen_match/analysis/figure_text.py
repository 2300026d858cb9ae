"""Words of the charts, shared with the HTML report: need types, unmatched reasons, titles.

German and English. The report's own sentences are in :mod:`lotsen_match.report.html_text`;
what a chart and a report table both show is named here once.
"""

from __future__ import annotations

from typing import Final

from ..results.explain import NEED_LABELS

__all__ = ["DIMENSION", "FIGURE_TEXT", "GROUP", "NEED", "REASON"]

NEED: Final[dict[str, dict[str, str]]] = {
    "de": dict(NEED_LABELS["de"]),
    "en": {
        "school": "school/day care",
        "authority": "authorities",
        "health": "health",
        "housing": "housing",
        "work": "work/training",
        "everyday": "everyday life",
        "digital": "digital",
        "leisure": "leisure",
    },
}

#: Short reason labels (headings, tables).
REASON: Final[dict[str, dict[str, str]]] = {
    "de": {
        "language": "Keine passende Sprache",
        "distance": "Niemand im Umkreis",
        "need": "Bereich wird nicht übernommen",
        "time": "Keine gemeinsame Zeit",
        "minors": "Kein gültiges Führungszeugnis",
        "gender": "Wunschgeschlecht nicht verfügbar",
        "exclusions": "Ausgeschlossen oder abgelehnt",
        "active": "Nicht aktiv oder nicht zertifiziert",
        "capacity": "Keine freie Kapazität",
        "household": "Haushalt bereits zugeordnet",
        "quality": "Vorschlag würde Gesamtbewertung senken",
    },
    "en": {
        "language": "No shared language",
        "distance": "Nobody within reach",
        "need": "Need type not taken on",
        "time": "No shared time",
        "minors": "No valid police certificate",
        "gender": "Preferred gender not available",
        "exclusions": "Excluded or declined",
        "active": "Not active or not certified",
        "capacity": "No free capacity",
        "household": "Household already accompanied",
        "quality": "A proposal would lower the total score",
    },
}

#: Chart titles, axis labels and legend entries.
FIGURE_TEXT: Final[dict[str, dict[str, str]]] = {
    "de": {
        "served": "mit Vorschlag",
        "not_served": "ohne Vorschlag",
        "other": "weitere",
        "requests": "Anfragen",
        "households": "Haushalte",
        "title_need_type": "Anfragen nach Bereich",
        "title_language": "Anfragen nach Sprache",
        "title_reasons": "Anfragen ohne Vorschlag nach Grund",
        "title_recruits": "Haushalte ohne Vorschlag nach Ort und Sprache",
        "title_fairness": "Anteil mit Vorschlag nach {dimension}",
        "served_rate": "Anteil mit Vorschlag",
        "everyone": "alle offenen Anfragen",
        "flagged": "auffällig seltener",
    },
    "en": {
        "served": "with a proposal",
        "not_served": "without a proposal",
        "other": "other",
        "requests": "requests",
        "households": "households",
        "title_need_type": "Requests by need type",
        "title_language": "Requests by language",
        "title_reasons": "Requests without a proposal by reason",
        "title_recruits": "Households without a proposal by place and language",
        "title_fairness": "Served rate by {dimension}",
        "served_rate": "served rate",
        "everyone": "all open requests",
        "flagged": "served markedly less often",
    },
}

#: The fairness audit's dimensions in words (chart titles).
DIMENSION: Final[dict[str, dict[str, str]]] = {
    "de": {
        "language": "Sprache",
        "preferred_gender": "Wunschgeschlecht",
        "household_size": "Haushaltsgröße",
        "involves_minors": "Minderjährige beteiligt",
        "need_type": "Bereich",
        "settlement": "Ortsgröße",
        "area": "Ort",
    },
    "en": {
        "language": "language",
        "preferred_gender": "preferred gender",
        "household_size": "household size",
        "involves_minors": "minors involved",
        "need_type": "need type",
        "settlement": "settlement size",
        "area": "place",
    },
}

#: Group values of the fairness audit in words, per dimension (languages and need types are
#: named through ``language_label`` and ``NEED``).
GROUP: Final[dict[str, dict[str, dict[str, str]]]] = {
    "de": {
        "preferred_gender": {
            "none": "kein Wunsch",
            "f": "Lotsin gewünscht",
            "m": "Lotse gewünscht",
            "d": "divers gewünscht",
        },
        "involves_minors": {"true": "ja", "false": "nein"},
        "settlement": {
            "village": "Dorf (< 5.000)",
            "small_town": "Kleinstadt (5.000–20.000)",
            "town": "Stadt (20.000–100.000)",
            "city": "Großstadt (≥ 100.000)",
        },
        "household_size": {
            "1": "1 Anfrage",
            "2": "2 Anfragen",
            "3": "3 Anfragen",
            "4+": "4+ Anfragen",
        },
    },
    "en": {
        "preferred_gender": {
            "none": "no preference",
            "f": "female wanted",
            "m": "male wanted",
            "d": "diverse wanted",
        },
        "involves_minors": {"true": "yes", "false": "no"},
        "settlement": {
            "village": "village (< 5,000)",
            "small_town": "small town (5,000–20,000)",
            "town": "town (20,000–100,000)",
            "city": "city (≥ 100,000)",
        },
        "household_size": {
            "1": "1 request",
            "2": "2 requests",
            "3": "3 requests",
            "4+": "4+ requests",
        },
    },
}
