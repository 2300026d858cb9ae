"""What the desk calls return: ranked suggestions for one request, and the changes of a re-plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from ..arguments import check_choice
from ..core.vocab import language_label
from ..results.explain import STEP_LABELS, reason_text
from ..results.result import MatchResult

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_REASONS",
    "SUGGESTION_COLUMNS",
    "Replan",
    "Suggestions",
    "change_words",
]

#: Columns of :attr:`Suggestions.frame` before and after the score components.
SUGGESTION_COLUMNS: Final[tuple[tuple[str, ...], tuple[str, ...]]] = (
    ("rank", "volunteer_id", "score"),
    (
        "distance_km",
        "shared_language",
        "free_slots",
        "displaced",
        "served_change",
        "quality_change",
    ),
)
#: Columns of :attr:`Replan.changes`.
CHANGE_COLUMNS: Final[tuple[str, ...]] = (
    "request_id",
    "household_id",
    "volunteer_before",
    "volunteer_after",
    "reason",
)

_TEXT: Final[dict[str, dict[str, str]]] = {
    "de": {
        "head": "Anfrage {request}: {n} mögliche Lotsinnen/Lotsen, beste zuerst (exakt bewertet).",
        "none": "Anfrage {request}: niemand kommt in Frage.",
        "active": "Anfrage {request} wird bereits von {volunteer} begleitet.",
        "row": "{rank}. {volunteer} (Eignung {score}; {language}, {km} km; {free})",
        "free_one": "1 freier Platz",
        "free_many": "{n} freie Plätze",
        "free_none": "kein freier Platz",
        "keeps": "niemand verliert seinen Vorschlag",
        "moves": "verschiebt die Vorschläge von {ids}",
        "served": "{n:+d} begleitete Anfrage(n)",
        "quality": "Gesamtbewertung {q:+.2f}",
        "unmatched": "Eine exakte Neuplanung ließe die Anfrage offen: jede Wahl verdrängt "
        "Passenderes.",
        "steps": "Verbleibend nach",
    },
    "en": {
        "head": "Request {request}: {n} possible volunteers, best first (valued exactly).",
        "none": "Request {request}: nobody qualifies.",
        "active": "Request {request} is already accompanied by {volunteer}.",
        "row": "{rank}. {volunteer} (score {score}; {language}, {km} km; {free})",
        "free_one": "1 free place",
        "free_many": "{n} free places",
        "free_none": "no free place",
        "keeps": "nobody loses their proposal",
        "moves": "moves the proposals of {ids}",
        "served": "{n:+d} request(s) served",
        "quality": "total score {q:+.2f}",
        "unmatched": "An exact re-plan would leave the request open: every choice displaces a "
        "better fit.",
        "steps": "Left after",
    },
}


def _number(value: float, digits: int, lang: str) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "de" else text


@dataclass(frozen=True)
class Suggestions:
    """Volunteers for one request, best first, each valued by the exact re-plan it implies.

    A volunteer's own score is not enough: taking her may move other households, so every
    row says what the whole plan gains or loses. The first row is what an exact re-solve
    with the request would choose; rows are ordered by the exact optimum with that pair
    forced. Built by [`Matcher.suggest`][lotsen_match.Matcher.suggest].

    Attributes
    ----------
    request_id
        The request.
    frame
        One row per admissible volunteer (at most ``k``): ``rank``, ``volunteer_id``,
        ``score`` and one column per score component of the pair, ``distance_km``,
        ``shared_language``, ``free_slots`` (places the volunteer has left in the current
        plan), ``displaced`` (ids of requests whose proposal would move or drop),
        ``served_change`` (requests served more than now) and ``quality_change`` (change of
        the plan's total score net of load, in score points).
    status
        ``new`` (not in the caseload), ``open`` or ``active``.
    funnel
        Volunteers left after each hard constraint, in the contract's order.
    reason
        Empty when somebody qualifies; else the funnel step that removed the last
        candidate, or ``household`` (the household's own volunteer cannot take the request).
    left_unmatched
        An exact re-solve would leave the request unmatched (every choice costs more).
    detail
        Facts for the sentence of ``explain`` when nobody qualifies (nearest speaker, ...).
    language
        Language of ``explain`` (the config's ``report.language``).
    level
        The minimum language level of the run, for the sentences.
    """

    request_id: str
    frame: pd.DataFrame
    status: str
    funnel: dict[str, int]
    reason: str
    left_unmatched: bool
    detail: dict[str, Any] = field(default_factory=dict, repr=False)
    language: str = "de"
    level: str = "B1"

    def explain(self, language: str | None = None) -> str:
        """Put the suggestions into words, one line per volunteer.

        Parameters
        ----------
        language
            ``de`` or ``en``; None takes ``self.language``.

        Returns
        -------
        str
            A head line, then per volunteer the score, language, distance, free places and
            what the choice does to the plan.

        Raises
        ------
        ArgumentError
            ``language`` is neither ``de``, ``en`` nor None.
        """
        lang = (
            self.language if language is None else check_choice(language, tuple(_TEXT), "language")
        )
        text = _TEXT[lang]
        if self.status == "active":
            return text["active"].format(
                request=self.request_id, volunteer=self.detail.get("volunteer", "?")
            )
        if self.frame.empty:
            row = {**self.detail, "reason": self.reason}
            row.update({f"after_{step}": n for step, n in self.funnel.items()})
            steps = STEP_LABELS[lang]
            counts = " → ".join(f"{steps.get(s, s)} {n}" for s, n in self.funnel.items())
            lines = [
                text["none"].format(request=self.request_id),
                f"  {reason_text(row, lang, self.level)}",
                f"  ({counts})",
            ]
            return "\n".join(lines)
        lines = [text["head"].format(request=self.request_id, n=len(self.frame))]
        for record in self.frame.to_dict("records"):
            lines.append("  " + self._row_text({str(k): v for k, v in record.items()}, lang))
        if self.left_unmatched:
            lines.append("  " + text["unmatched"])
        return "\n".join(lines)

    def _row_text(self, row: dict[str, Any], lang: str) -> str:
        text = _TEXT[lang]
        free = int(row["free_slots"])
        if free <= 0:
            free_text = text["free_none"]
        elif free == 1:
            free_text = text["free_one"]
        else:
            free_text = text["free_many"].format(n=free)
        head = text["row"].format(
            rank=row["rank"],
            volunteer=row["volunteer_id"],
            score=_number(float(row["score"]), 2, lang),
            language=language_label(str(row["shared_language"]), lang),
            km=_number(float(row["distance_km"]), 1, lang),
            free=free_text,
        )
        displaced = tuple(row["displaced"])
        effect = [text["moves"].format(ids=", ".join(displaced)) if displaced else text["keeps"]]
        served = int(row["served_change"])
        if served:
            effect.append(text["served"].format(n=served))
        change = float(row["quality_change"])
        quality = text["quality"].format(q=change)
        effect.append(quality.replace(".", ",") if lang == "de" else quality)
        return f"{head}: " + "; ".join(effect) + "."


@dataclass(frozen=True)
class Replan:
    """The changes one desk call made to the plan, and the plan after it.

    Returned by the calls of [`Matcher`][lotsen_match.Matcher] that change something, so the
    case software can show at once who moves and why.

    Attributes
    ----------
    changes
        One row per request whose volunteer (active or proposed) changed, or that the call
        was about: ``request_id``, ``household_id``, ``volunteer_before``,
        ``volunteer_after`` ("" = none) and ``reason`` (``volunteer_unavailable``,
        ``confirmed``, ``declined``, ``added``, ``removed``, ``updated``; ``household``:
        moved with its household; ``moved``, ``dropped``, ``newly_served``: re-planned so
        that the plan stays optimal).
    """

    changes: pd.DataFrame
    _plan: Callable[[], MatchResult] = field(repr=False)

    @property
    def plan(self) -> MatchResult:
        """The full result of the state right after the call, built on first access.

        Building it costs about a run (a fresh model, a proof that the held plan is optimal
        in it, the result tables), so it waits until asked; the Matcher itself has moved on
        to this state at once.
        """
        return self._plan()

    def explain(self, language: str = "de") -> str:
        """Put the changes into words, one line per request.

        Parameters
        ----------
        language
            ``de`` or ``en``.

        Returns
        -------
        str
            ``request: before → after (why)`` per change, or a line saying there is none.

        Raises
        ------
        ArgumentError
            ``language`` is neither ``de`` nor ``en``.
        """
        labels = change_words(language)
        if self.changes.empty:
            return "Keine Änderungen." if language == "de" else "No changes."
        lines = []
        for row in self.changes.to_dict("records"):
            before = row["volunteer_before"] or "—"
            after = row["volunteer_after"] or "—"
            why = labels.get(str(row["reason"]), str(row["reason"]))
            lines.append(f"{row['request_id']}: {before} → {after} ({why})")
        return "\n".join(lines)


_CHANGE_WORDS: Final[dict[str, dict[str, str]]] = {
    "de": {
        "volunteer_unavailable": "Lotsin/Lotse nicht verfügbar",
        "confirmed": "bestätigt",
        "declined": "abgelehnt",
        "added": "neu",
        "removed": "entfernt",
        "updated": "geändert",
        "household": "mit dem Haushalt",
        "moved": "umgeplant, damit mehr oder besser begleitet wird",
        "dropped": "Vorschlag entfällt zugunsten anderer",
        "newly_served": "neu vorgeschlagen",
    },
    "en": {
        "volunteer_unavailable": "volunteer unavailable",
        "confirmed": "confirmed by the coordinator",
        "declined": "declined",
        "added": "new at the desk",
        "removed": "removed",
        "updated": "changed",
        "household": "moved with its household",
        "moved": "re-planned so that more or better are served",
        "dropped": "proposal given up for others",
        "newly_served": "newly proposed",
    },
}

CHANGE_REASONS: Final[tuple[str, ...]] = tuple(_CHANGE_WORDS["de"])
"""The codes of ``Replan.changes["reason"]``."""


def change_words(language: str) -> dict[str, str]:
    """Give the words for each change reason in ``de`` or ``en`` (a copy).

    Parameters
    ----------
    language
        ``de`` or ``en``.

    Returns
    -------
    dict of str to str
        Reason code to words, one entry per code of ``CHANGE_REASONS``.

    Raises
    ------
    ArgumentError
        ``language`` is neither ``de`` nor ``en``.
    """
    check_choice(language, tuple(_CHANGE_WORDS), "language")
    return dict(_CHANGE_WORDS[language])
