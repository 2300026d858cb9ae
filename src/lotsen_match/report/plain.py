"""A plain, self-contained HTML report of one run: counts, why requests stayed open, proposals.

The report is what a coordinator opens first in the morning, so it speaks her language (German by
default, ``report_language`` in the config), needs no network (inline CSS, no scripts), escapes
every cell (ids and reasons come from outside) and is byte-identical for identical results: it
shows no timings and no run id, which live in ``summary.json`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import jinja2
import numpy as np
import pandas as pd

from ..explain import COMPONENT_LABELS
from ..vocab import language_label

if TYPE_CHECKING:
    from ..result import MatchResult

__all__ = ["DEFAULT_MAX_ROWS", "render_plain_report", "render_report_tables"]

#: Rows shown per table; the complete tables are the result files next to the report.
DEFAULT_MAX_ROWS: Final = 2000

_TEXT: Final[dict[str, dict[str, str]]] = {
    "de": {
        "title": "Vorschläge für Integrationslotsinnen und -lotsen",
        "as_of": "Stichtag",
        "solver": "Verfahren",
        "optimal": "nachweislich optimal",
        "not_optimal": "nicht nachweislich optimal",
        "objective": "Zielwert",
        "human_decision": "Dies sind Vorschläge. Über jede Begleitung entscheidet die "
        "Koordinierungsstelle.",
        "overview": "Überblick",
        "unmatched": "Anfragen ohne Vorschlag",
        "none_unmatched": "Jede offene Anfrage hat einen Vorschlag.",
        "request": "Anfrage",
        "household": "Haushalt",
        "detail": "Begründung",
        "proposals": "Vorschläge",
        "none_proposed": "Keine Vorschläge in diesem Lauf.",
        "volunteer": "Lotsin/Lotse",
        "score": "Score",
        "distance": "km",
        "language": "Sprache",
        "status": "Status",
        "rejected": "Abgewiesene Eingabezeilen",
        "rejected_some": "Diese Zeilen wurden nicht berücksichtigt; Datei, Zeile, Spalte und "
        "Grund stehen in der Datei „rejected“ neben diesem Bericht.",
        "rejected_none": "Alle Eingabezeilen waren gültig.",
        "truncated": "Die ersten {shown} von {total} Zeilen; alle stehen in der Datei „{file}“.",
    },
    "en": {
        "title": "Proposals for integration guides",
        "as_of": "Run date",
        "solver": "Solver",
        "optimal": "proven optimal",
        "not_optimal": "not proven optimal",
        "objective": "objective",
        "human_decision": "These are proposals. The coordination office decides on every pairing.",
        "overview": "Overview",
        "unmatched": "Requests without a proposal",
        "none_unmatched": "Every open request has a proposal.",
        "request": "Request",
        "household": "Household",
        "detail": "Reason",
        "proposals": "Proposals",
        "none_proposed": "No proposals in this run.",
        "volunteer": "Volunteer",
        "score": "Score",
        "distance": "km",
        "language": "Language",
        "status": "Status",
        "rejected": "Rejected input rows",
        "rejected_some": "These rows were left out; file, row, column and reason are listed in "
        "the 'rejected' file next to this report.",
        "rejected_none": "All input rows were valid.",
        "truncated": "The first {shown} of {total} rows; all of them are in the file '{file}'.",
    },
}

_COUNT_LABELS: Final[dict[str, dict[str, str]]] = {
    "de": {
        "requests_open": "offene Anfragen",
        "proposals": "mit Vorschlag",
        "unmatched": "ohne Vorschlag",
        "proposals_kept": "davon beibehalten",
        "requests_active": "laufende Begleitungen",
        "volunteers_accepted": "Lotsinnen und Lotsen",
        "volunteers_with_proposals": "davon mit Vorschlag",
        "rejected_rows": "abgewiesene Zeilen",
    },
    "en": {
        "requests_open": "open requests",
        "proposals": "with a proposal",
        "unmatched": "without a proposal",
        "proposals_kept": "of them kept",
        "requests_active": "ongoing pairings",
        "volunteers_accepted": "volunteers",
        "volunteers_with_proposals": "of them with a proposal",
        "rejected_rows": "rejected rows",
    },
}

_REASON_LABELS: Final[dict[str, dict[str, str]]] = {
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

_STATUS_LABELS: Final[dict[str, dict[str, str]]] = {
    "de": {"proposed": "neu", "kept": "beibehalten"},
    "en": {"proposed": "new", "kept": "kept"},
}


@dataclass(frozen=True)
class _Group:
    reason: str
    label: str
    count: int
    rows: list[dict[str, str]]
    note: str


def render_plain_report(
    result: MatchResult,
    *,
    lang: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    file_names: Mapping[str, str] | None = None,
) -> str:
    """The HTML report of ``result`` (``lang`` defaults to the config's ``report_language``)."""
    language = lang or str(result.summary.get("config", {}).get("report_language", "de"))
    return render_report_tables(
        proposals=result.proposals,
        unmatched=result.unmatched,
        summary=result.summary,
        components=result.components,
        lang=language,
        max_rows=max_rows,
        file_names=file_names,
    )


def render_report_tables(
    *,
    proposals: pd.DataFrame,
    unmatched: pd.DataFrame,
    summary: Mapping[str, Any],
    components: Sequence[str],
    lang: str = "de",
    max_rows: int = DEFAULT_MAX_ROWS,
    file_names: Mapping[str, str] | None = None,
) -> str:
    """The HTML report from the result tables, so a finished run can be re-rendered from files.

    Tables are shown sorted by request id and cut at ``max_rows`` rows per table (the note names
    the result file holding all of them; ``file_names`` maps ``proposals``/``unmatched`` to it).
    """
    if lang not in _TEXT:
        raise ValueError(f"report language must be one of {sorted(_TEXT)}, got {lang!r}")
    t = _TEXT[lang]
    files = {"proposals": "proposals", "unmatched": "unmatched", **(file_names or {})}
    counts = summary.get("counts", {})
    solver = summary.get("solver", {})
    context: dict[str, Any] = {
        "lang": lang,
        "t": t,
        "as_of": summary.get("as_of", ""),
        "version": summary.get("library_version", ""),
        "solver": solver.get("backend", ""),
        "optimal": bool(solver.get("optimal", False)),
        "objective": solver.get("objective", ""),
        "counts": [
            (label, counts[key]) for key, label in _COUNT_LABELS[lang].items() if key in counts
        ],
        "n_unmatched": len(unmatched),
        "n_proposals": len(proposals),
        "n_rejected": int(counts.get("rejected_rows", 0)),
        "groups": _unmatched_groups(unmatched, lang, max_rows, files["unmatched"]),
    }
    headers, rows = _proposal_rows(proposals, components, lang, max_rows)
    context["proposal_headers"] = headers
    context["proposals"] = rows
    context["proposals_note"] = (
        t["truncated"].format(shown=len(rows), total=len(proposals), file=files["proposals"])
        if len(proposals) > len(rows)
        else ""
    )
    return _template().render(**context)


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lotsen_match", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template("report_plain.html.j2")


def _text(values: pd.Series) -> list[str]:
    """Cells as display text; missing values become empty strings."""
    return ["" if pd.isna(v) else str(v) for v in values.to_numpy(dtype=object)]


def _unmatched_groups(unmatched: pd.DataFrame, lang: str, max_rows: int, file: str) -> list[_Group]:
    if unmatched.empty:
        return []
    frame = unmatched.sort_values("request_id", kind="stable")
    sizes = frame["reason"].astype(str).value_counts()
    # Largest group first; the reason name breaks ties so the order never depends on the data.
    order = sorted(sizes.items(), key=lambda item: (-int(item[1]), str(item[0])))
    labels = _REASON_LABELS[lang]
    groups = []
    for reason, size in order:
        part = frame[frame["reason"].astype(str) == reason].head(max_rows)
        rows = [
            {"request_id": r, "household_id": h, "detail": d}
            for r, h, d in zip(
                _text(part["request_id"]),
                _text(part["household_id"]),
                _text(part["detail"]),
                strict=True,
            )
        ]
        note = (
            _TEXT[lang]["truncated"].format(shown=len(rows), total=int(size), file=file)
            if int(size) > len(rows)
            else ""
        )
        groups.append(
            _Group(str(reason), labels.get(str(reason), str(reason)), int(size), rows, note)
        )
    return groups


def _proposal_rows(
    proposals: pd.DataFrame, components: Sequence[str], lang: str, max_rows: int
) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    t = _TEXT[lang]
    comp_labels = COMPONENT_LABELS.get(lang, COMPONENT_LABELS["en"])
    present = [c for c in components if c in proposals.columns]
    headers = [t["request"], t["volunteer"], t["household"], t["score"]]
    headers += [comp_labels.get(c, c) for c in present]
    headers += [t["distance"], t["language"], t["status"]]
    if proposals.empty:
        return headers, []
    part = proposals.sort_values("request_id", kind="stable").head(max_rows)
    status = _STATUS_LABELS[lang]
    columns: list[list[tuple[str, bool]]] = [
        [(v, False) for v in _text(part["request_id"])],
        [(v, False) for v in _text(part["volunteer_id"])],
        [(v, False) for v in _text(part["household_id"])],
        [(v, True) for v in _fixed(part["score"], 2)],
    ]
    columns += [[(v, True) for v in _fixed(part[c], 2)] for c in present]
    columns.append([(v, True) for v in _fixed(part["distance_km"], 1)])
    columns.append(
        [(language_label(v, lang) if v else "", False) for v in _text(part["shared_language"])]
    )
    columns.append([(status.get(v, v), False) for v in _text(part["status"])])
    return headers, [list(row) for row in zip(*columns, strict=True)]


def _fixed(values: pd.Series, digits: int) -> list[str]:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return ["" if np.isnan(x) else f"{x:.{digits}f}" for x in numbers]
