"""Explanations a coordinator can read: why a proposal, which alternatives, why no volunteer.

Everything here works from the result tables (proposals, unmatched, alternatives), so a finished
run explains itself later from its files, without re-running the match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..core.vocab import language_label
from ..ingest.vocabulary_de import NEED_LABELS_DE
from ..plural import PluralFormatter, format_field

__all__ = [
    "COMPONENT_LABELS",
    "NEED_LABELS",
    "REASON_TEXT",
    "STEP_LABELS",
    "Explanation",
    "explain_request",
    "languages_in_words",
    "reason_text",
    "render_detail_column",
    "render_details",
]


COMPONENT_LABELS: dict[str, dict[str, str]] = {
    "de": {
        "language": "Sprache",
        "distance": "Entfernung",
        "time": "Zeit",
        "modules": "Module",
        "continuity": "Kontinuität",
        "urgency": "Dringlichkeit",
        "stability": "Stabilität",
        "success": "Erfolgsaussicht",
    },
    "en": {
        "language": "language",
        "distance": "distance",
        "time": "time",
        "modules": "modules",
        "continuity": "continuity",
        "urgency": "urgency",
        "stability": "stability",
        "success": "success",
    },
}

#: Need types in words: the German ones are the import vocabulary's (one source, so the report,
#: the explanations and the result files name a need as the office's export does).
NEED_LABELS: dict[str, dict[str, str]] = {"de": dict(NEED_LABELS_DE), "en": {}}

STEP_LABELS: dict[str, dict[str, str]] = {
    "de": {
        "language": "Sprache",
        "distance": "Entfernung",
        "need": "Bereich",
        "time": "Zeit",
        "minors": "Führungszeugnis",
        "gender": "Geschlecht",
        "exclusions": "Ausschlüsse",
        "active": "aktiv",
        "capacity": "Kapazität",
    },
    "en": {},
}

#: Funnel reasons in words; placeholders come from the unmatched row (see ``reason_text``).
#: ``{n:one|many}`` picks the form for the count (``#`` is the count; see ``plural``).
REASON_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "language": "Keine Lotsin / kein Lotse spricht {languages} (mindestens {level}).",
        "distance": "{n_language:# Lotsin/Lotse spricht|# Lotsinnen/Lotsen sprechen} "
        "{languages}, aber {n_language:nicht|niemand davon} im eigenen Umkreis{nearest}.",
        "need": "{n_distance:# Lotsin/Lotse spricht|# Lotsinnen/Lotsen sprechen} {languages} "
        "und {n_distance:ist|sind} erreichbar, aber den Bereich „{need}“ übernimmt "
        "{n_distance:sie/er nicht|niemand davon}.",
        "time": "{n_need:# Person käme|# Personen kämen} in Frage, aber zu den gewünschten "
        "Zeiten hat {n_need:sie/er keine|niemand davon} Zeit.",
        "minors": "{n_time:# Person käme|# Personen kämen} in Frage, aber "
        "{n_time:sie/er hat kein|niemand davon hat ein} gültiges erweitertes Führungszeugnis "
        "(Minderjährige beteiligt).",
        "gender": "{n_minors:# Person käme|# Personen kämen} in Frage, aber "
        "{n_minors:sie/er entspricht nicht|niemand davon entspricht} dem Wunschgeschlecht.",
        "exclusions": "{n_gender:Die passende Person ist|Die # passenden Personen sind} "
        "ausgeschlossen oder {n_gender:wurde|wurden} abgelehnt.",
        "active": "{n_exclusions:Die passende Person ist|Die # passenden Personen sind} "
        "derzeit nicht aktiv oder nicht zertifiziert.",
        "capacity": "{n_active:Die passende Person hat|Die # passenden Personen haben} keine "
        "freie Kapazität.",
        "household": "Der Haushalt wird von {household_volunteer} begleitet, die/der diese "
        "Anfrage nicht übernehmen kann.",
        "competition": "{n_capacity:# Person käme in Frage, wird aber|# Personen kämen in "
        "Frage, alle werden} für andere Haushalte gebraucht (beste Option: "
        "{best_volunteer_id}, Eignung {best_score:.2f}).",
        "quality": "{n_capacity:# Person käme|# Personen kämen} in Frage, aber der Vorschlag "
        "würde die Gesamtbewertung senken (reines Qualitätsziel).",
    },
    "en": {
        "language": "No volunteer speaks {languages} (at least {level}).",
        "distance": "{n_language:# volunteer speaks|# volunteers speak} {languages}, but "
        "{n_language:not|none} within their travel radius{nearest}.",
        "need": "{n_distance:# volunteer speaks|# volunteers speak} {languages} and "
        "{n_distance:is|are} within reach, but {n_distance:does not take|none takes} on "
        "'{need}'.",
        "time": "{n_need:# volunteer would fit, but is not|# volunteers would fit, but none "
        "is} available at the requested times.",
        "minors": "{n_time:# volunteer would fit, but has no|# volunteers would fit, but none "
        "has a} valid extended police certificate (minors involved).",
        "gender": "{n_minors:# volunteer would fit, but does not match|# volunteers would fit, "
        "but none matches} the preferred gender.",
        "exclusions": "{n_gender:The fitting volunteer is excluded or was|The # fitting "
        "volunteers are excluded or were} declined.",
        "active": "{n_exclusions:The fitting volunteer is|The # fitting volunteers are} not "
        "active or not certified.",
        "capacity": "{n_active:The fitting volunteer has|The # fitting volunteers have} no "
        "free capacity.",
        "household": "The household is accompanied by {household_volunteer}, who cannot take "
        "this request.",
        "competition": "{n_capacity:# volunteer would fit, but is needed|# volunteers would "
        "fit, all are needed} by other households (best option: {best_volunteer_id}, score "
        "{best_score:.2f}).",
        "quality": "{n_capacity:# volunteer would|# volunteers would} fit, but proposing one "
        "would lower the total score (pure quality objective).",
    },
}

_NEAREST = {
    "de": " (nächste Person {km:.1f} km entfernt, fährt bis {radius:.0f} km)",
    "en": " (nearest is {km:.1f} km away and travels up to {radius:.0f} km)",
}


class _DecimalComma(float):
    """A float that formats with a decimal comma, as German readers expect ("2,1 km")."""

    def __format__(self, spec: str) -> str:
        return format(float(self), spec).replace(".", ",")


def _num(value: Any, lang: str) -> float:
    number = float(value)
    return _DecimalComma(number) if lang == "de" else number


def languages_in_words(codes: str, lang: str) -> str:
    """``"ti;ar"`` -> ``"Tigrinya oder Arabisch"`` for messages."""
    names = [language_label(c, lang) for c in codes.split(";") if c]
    joiner = " oder " if lang == "de" else " or "
    return joiner.join(names) if names else "?"


def render_details(unmatched: pd.DataFrame, lang: str, level: str) -> list[str]:
    """The sentence of every unmatched row, from the row's own columns (so any run re-renders)."""
    return [reason_text(row, lang, level) for row in _records(unmatched)]


def reason_text(row: dict[str, Any], lang: str, level: str = "B1") -> str:
    """The sentence for one unmatched row (a dict of its columns)."""
    values = {k.removeprefix("after_"): v for k, v in row.items() if k.startswith("after_")}
    values = {f"n_{k}": v for k, v in values.items()}
    values.update(row)
    values["level"] = level
    values["need"] = NEED_LABELS[lang].get(str(row.get("need_type", "")), row.get("need_type", ""))
    values["household_volunteer"] = row.get("household_volunteer_id", "")
    if row.get("reason") == "capacity" and str(row.get("best_volunteer_id") or ""):
        values["reason"] = "competition"
    values["languages"] = languages_in_words(str(row.get("request_languages", "")), lang)
    km = row.get("nearest_km")
    if km is not None and pd.notna(km) and float(km) != float("inf"):
        radius = row.get("nearest_radius_km", 0)
        values["nearest"] = _NEAREST[lang].format(km=_num(km, lang), radius=_num(radius, lang))
    else:
        values["nearest"] = ""
    values.setdefault("best_score", 0.0)
    if values.get("best_score") is None or pd.isna(values["best_score"]):
        values["best_score"] = 0.0
    values["best_score"] = _num(values["best_score"], lang)
    template = REASON_TEXT[lang][str(values["reason"])]
    return PluralFormatter().format(template, **values)


@dataclass(frozen=True)
class Explanation:
    """Why a request got its proposal, or why it got none.

    ``str(explanation)`` is the text. Built by
    [`MatchResult.explain`][lotsen_match.MatchResult.explain].

    Attributes
    ----------
    request_id
        The request explained.
    status
        ``proposed``, ``kept``, ``unmatched``, ``active`` (accompanied already) or
        ``unknown`` (not part of the run).
    text
        The explanation in words, in German or English.
    proposal
        The proposal's row of ``proposals`` (score and components); None without one.
    funnel
        Volunteers left after each hard constraint, for an unmatched request; else None.
    alternatives
        The request's rows of ``alternatives`` (next-best volunteers).
    """

    request_id: str
    status: str  # "proposed", "kept", "unmatched", "active", "unknown"
    text: str
    proposal: dict[str, Any] | None = None
    funnel: dict[str, int] | None = None
    alternatives: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __str__(self) -> str:
        return self.text


def explain_request(
    request_id: str,
    *,
    proposals: pd.DataFrame,
    unmatched: pd.DataFrame,
    alternatives: pd.DataFrame,
    components: tuple[str, ...],
    funnel_steps: tuple[str, ...],
    lang: str = "de",
    level: str = "B1",
    active_request_ids: frozenset[str] = frozenset(),
) -> Explanation:
    """Build the explanation of one request from the result tables."""
    labels = COMPONENT_LABELS[lang]
    alts = alternatives[alternatives["request_id"] == request_id].reset_index(drop=True)
    prop = proposals[proposals["request_id"] == request_id]
    if len(prop):
        p = {str(k): v for k, v in prop.iloc[0].to_dict().items()}
        parts = ", ".join(f"{labels[c]} {_num(p[c], lang):.2f}" for c in components)
        lang_name = language_label(str(p["shared_language"]), lang)
        if lang == "de":
            head = (
                f"Anfrage {request_id}: Vorschlag {p['volunteer_id']} "
                f"(Eignung {_num(p['score'], lang):.2f}; "
                f"{lang_name}, {_num(p['distance_km'], lang):.1f} km)."
            )
            alt_head = "Alternativen"
        else:
            head = (
                f"Request {request_id}: proposed {p['volunteer_id']} (score {p['score']:.2f}; "
                f"{lang_name}, {p['distance_km']:.1f} km)."
            )
            alt_head = "Alternatives"
        lines = [head, f"  {parts}"]
        if len(alts):
            lines.append(f"  {alt_head}:")
            lines.extend(f"  - {_alternative_line(a, lang)}" for a in _records(alts))
        return Explanation(request_id, str(p["status"]), "\n".join(lines), p, None, alts)
    un = unmatched[unmatched["request_id"] == request_id]
    if len(un):
        u = {str(k): v for k, v in un.iloc[0].to_dict().items()}
        funnel = {s: int(u[f"after_{s}"]) for s in funnel_steps}
        steps = STEP_LABELS[lang]
        counts = " → ".join(f"{steps.get(s, s)} {n}" for s, n in funnel.items())
        head = (
            f"Anfrage {request_id}: kein Vorschlag."
            if lang == "de"
            else (f"Request {request_id}: no proposal.")
        )
        lines = [head, f"  {reason_text(u, lang, level)}", f"  ({counts})"]
        if len(alts):
            lines.extend(f"  - {_alternative_line(a, lang)}" for a in _records(alts))
        return Explanation(request_id, "unmatched", "\n".join(lines), None, funnel, alts)
    if request_id in active_request_ids:
        text = (
            f"Anfrage {request_id} ist bereits aktiv begleitet."
            if lang == "de"
            else f"Request {request_id} is already actively accompanied."
        )
        return Explanation(request_id, "active", text)
    text = (
        f"Anfrage {request_id} ist in diesem Lauf unbekannt."
        if lang == "de"
        else f"Request {request_id} is not part of this run."
    )
    return Explanation(request_id, "unknown", text)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _alternative_line(a: dict[str, Any], lang: str) -> str:
    full = bool(a.get("volunteer_full", False))
    labels = COMPONENT_LABELS[lang]
    lacks = ", ".join(
        labels.get(c.strip(), c.strip()) for c in str(a.get("lacks") or "").split(",") if c.strip()
    )
    if lang == "de":
        extra = "; ausgelastet" if full else ""
        weaker = f"; schwächer bei: {lacks}" if lacks else ""
        return (
            f"{a['volunteer_id']} (Eignung {_num(a['score'], lang):.2f}, "
            f"{_num(a['distance_km'], lang):.1f} km"
            f"{weaker}{extra})"
        )
    extra = "; fully booked" if full else ""
    weaker = f"; weaker on: {lacks}" if lacks else ""
    return f"{a['volunteer_id']} (score {a['score']:.2f}, {a['distance_km']:.1f} km{weaker}{extra})"


def render_detail_column(frame: pd.DataFrame, lang: str, level: str) -> npt.NDArray[np.object_]:
    """``render_details`` of every unmatched row, one template at a time.

    Identical text (the tests compare both), but each placeholder is formatted once per
    distinct value and the pieces are joined column-wise, so 100k rows take milliseconds
    instead of a Python call per row.
    """
    n = len(frame)
    out = np.full(n, "", dtype=object)
    if n == 0:
        return out
    reason = frame["reason"].to_numpy(dtype=object).astype(str)
    best_vol = frame["best_volunteer_id"].fillna("").to_numpy(dtype=object).astype(str)
    template_key = np.where((reason == "capacity") & (best_vol != ""), "competition", reason)
    for key in np.unique(template_key):
        rows = np.flatnonzero(template_key == key)
        text = np.full(rows.size, "", dtype=object)
        for literal, name, spec, conversion in Formatter().parse(REASON_TEXT[lang][str(key)]):
            if literal:
                text = text + literal
            if name is not None:
                values = _placeholder(frame, rows, name, lang, level)
                text = text + _format_each(values, spec or "", conversion)
        out[rows] = text
    return out


def _placeholder(
    frame: pd.DataFrame, rows: npt.NDArray[np.intp], field: str, lang: str, level: str
) -> npt.NDArray[Any]:
    """The values ``reason_text`` substitutes for ``field`` on the given rows."""

    def column(name: str) -> npt.NDArray[Any]:
        return frame[name].to_numpy()[rows]

    if field.startswith("n_"):
        return column(f"after_{field.removeprefix('n_')}")
    if field == "level":
        return np.full(rows.size, level, dtype=object)
    if field == "need":
        labels = NEED_LABELS[lang]
        return _map_unique(column("need_type"), lambda v: labels.get(str(v), v))
    if field == "household_volunteer":
        return column("household_volunteer_id")
    if field == "languages":
        return _map_unique(
            column("request_languages").astype(str), lambda v: languages_in_words(str(v), lang)
        )
    if field == "best_score":
        score = column("best_score").astype(np.float64)
        score = np.where(np.isnan(score), 0.0, score)
        return _map_unique(score, lambda v: _num(v, lang))
    if field == "nearest":
        km = column("nearest_km").astype(np.float64)
        radius = frame["nearest_radius_km"].to_numpy(dtype=np.float64)[rows]
        show = ~np.isnan(km) & (km != np.inf)
        out = np.full(rows.size, "", dtype=object)
        out[show] = [
            _NEAREST[lang].format(km=_num(k, lang), radius=_num(r, lang))
            for k, r in zip(km[show].tolist(), radius[show].tolist(), strict=True)
        ]
        return out
    return column(field)


def _map_unique(values: npt.NDArray[Any], fn: Callable[[Any], Any]) -> npt.NDArray[np.object_]:
    uniq, inverse = np.unique(values, return_inverse=True)
    return np.array([fn(v) for v in uniq.tolist()], dtype=object)[inverse.reshape(-1)]


def _format_each(
    values: npt.NDArray[Any], spec: str, conversion: str | None
) -> npt.NDArray[np.object_]:
    """``format(value, spec)`` for every value, computed once per distinct value."""

    def one(value: Any) -> str:
        if conversion == "r":
            value = repr(value)
        elif conversion == "s":
            value = str(value)
        elif conversion == "a":
            value = ascii(value)
        return format_field(value, spec)

    if values.dtype == object:
        return np.array([one(v) for v in values.tolist()], dtype=object)
    return _map_unique(values, one)
