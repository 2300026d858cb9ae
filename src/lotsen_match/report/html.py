"""The explained HTML report of a run: at a glance, proposals, open requests, what would help.

One self-contained file a coordinator opens in any browser, also offline: inline CSS, inline SVG
charts, one small inline script that makes tables sortable and filterable (the report is fully
readable without it). German by default, English on request. Every cell is escaped (ids and
texts come from outside). Long tables are cut at ``max_rows`` rows with a note and the full
count, so a statewide run still gives a file of a few MB. Identical results give identical bytes:
no timings, no run id (those live in ``summary.json``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure as MplFigure

from ..analysis.figure_text import FIGURE_TEXT
from ..analysis.figures import (
    reasons_figure,
    recruitment_figure,
    served_counts,
    served_figure,
    svg_markup,
)
from ..analysis.outcomes import request_outcomes, spoken_languages, volunteer_usage
from ..analysis.supply_gap import recruitment_list, typical_places
from ..core.vocab import language_label
from ..errors import ArgumentError
from ..ingest.vocabulary_de import STATUS_LABELS_DE
from ..io import atomic_file
from ..plural import plural
from ..results.explain import COMPONENT_LABELS, render_details
from .history_text import HISTORY_TEXT
from .html_text import NEED, NEXT_STEPS, REASON, REASON_PHRASE, SOLVER, STATUS, TEXT

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = ["DEFAULT_MAX_ROWS", "LANGUAGES", "render_report", "write_report"]

#: Rows shown per table; the complete tables are the result files next to the report.
DEFAULT_MAX_ROWS: Final[int] = 500
#: Report languages.
LANGUAGES: Final[tuple[str, ...]] = ("de", "en")
#: Languages shown one by one in the chart; the rest are summed as "other".
_CHART_LANGUAGES: Final[int] = 12
#: (language, reason) pairs spelled out as sentences.
_TOP_GAPS: Final[int] = 10
#: Rows of the recruitment chart.
_CHART_RECRUITS: Final[int] = 10

# Cells are (text, kind, value). Kinds: "t" text, "w" long text (wider column, line breaks
# kept), "d" long text folded under a one-line summary (the value), "h" row header, "n" number,
# "b" number in [0, 1] drawn as a bar behind the text (the value is the CSS fraction).
Cell = tuple[str, str, str]


@dataclass(frozen=True)
class Header:
    label: str
    numeric: bool = False
    #: Written upwards, so a column of short numbers stays narrow.
    vertical: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    headers: list[Header]
    rows: list[list[Cell]]
    note: str = ""
    filter: bool = False


@dataclass(frozen=True)
class Figure:
    svg: Markup
    caption: str


def _figure(chart: MplFigure, name: str, lang: str, key: str) -> Figure:
    """A chart of :mod:`lotsen_match.analysis.figures` as inline SVG, with its title."""
    title = FIGURE_TEXT[lang][key]
    return Figure(Markup(svg_markup(chart, title=title, id_prefix=name)), title)


@dataclass
class _Context:
    lang: str
    t: dict[str, str]
    title: str
    meta: list[str]
    next_steps: list[tuple[str, str]] = field(default_factory=list)
    tiles: list[tuple[str, str, str]] = field(default_factory=list)
    glance: list[tuple[Figure, Table]] = field(default_factory=list)
    proposals_intro: str = ""
    proposals: Table | None = None
    unmatched_intro: str = ""
    reason_figure: Figure | None = None
    reasons: Table | None = None
    gap_sentences: list[str] = field(default_factory=list)
    groups: list[tuple[str, Table]] = field(default_factory=list)
    help_intro: str = ""
    recruit_figure: Figure | None = None
    recruits: Table | None = None
    free_intro: str = ""
    free: Table | None = None
    rejected: Table | None = None
    n_rejected: int = 0
    notices: Table | None = None
    notices_intro: str = ""
    n_notices: int = 0
    h: dict[str, str] = field(default_factory=dict)  # wording of history_text
    reconfirm_intro: str = ""
    reconfirm: Table | None = None
    model_note: str = ""
    footer: str = ""


# --- formatting ---------------------------------------------------------------------------------


def _int(n: float) -> str:
    """Whole number with a narrow no-break space between thousands (readable in both languages,
    and unambiguous for the sort script)."""
    return f"{round(n):,}".replace(",", "\u202f")


def _dec(x: float, digits: int, lang: str) -> str:
    if x is None or not np.isfinite(x):
        return ""
    text = f"{x:,.{digits}f}".replace(",", "\u202f")
    return text.replace(".", ",") if lang == "de" else text


def _pct(x: float, lang: str) -> str:
    if not np.isfinite(x):
        return ""
    return f"{_dec(100 * x, 1, lang)}\u202f%" if lang == "de" else f"{_dec(100 * x, 1, lang)}%"


def _date(iso: str, lang: str) -> str:
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return day.strftime("%d.%m.%Y") if lang == "de" else day.isoformat()


def _lang_name(code: str, lang: str) -> str:
    return language_label(code, lang) if code else ""


def _langs(codes: str, lang: str) -> str:
    return ", ".join(_lang_name(c.partition(":")[0], lang) for c in codes.split(";") if c)


def _need(code: str, lang: str) -> str:
    return NEED[lang].get(code, code)


def _text(values: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v) for v in values.to_numpy(dtype=object)]


def _say(template: str, **values: object) -> str:
    """``template`` filled in, counts in the right number (``{n:one|many}``, see ``plural``)."""
    return plural(template, thousands="\u202f", **values)


def _truncated(lang: str, shown: int, total: int, file: str) -> str:
    if total <= shown:
        return ""
    return _say(TEXT[lang]["truncated"], shown=shown, total=_int(total), file=file)


# --- sections -----------------------------------------------------------------------------------


def _served_table(
    out: pd.DataFrame, column: str, labels: Mapping[str, str], t: dict[str, str], lang: str
) -> Table:
    g = served_counts(out, column)
    rows: list[list[Cell]] = [
        [
            (labels.get(str(key), str(key)) or "?", "h", ""),
            (_int(size), "n", ""),
            (_int(hit), "n", ""),
            (_int(size - hit), "n", ""),
            (_pct(hit / size if size else np.nan, lang), "n", ""),
        ]
        for key, size, hit in zip(g.index, g["requests"], g["served"], strict=True)
    ]
    headers = [
        Header(t["need"] if column == "need_type" else t["language"]),
        Header(t["open"], True),
        Header(t["served"], True),
        Header(t["not_served"], True),
        Header(t["share"], True),
    ]
    caption = t["by_need"] if column == "need_type" else t["by_language"]
    return Table(f"t-{column}", caption, headers, rows, filter=len(rows) > 15)


def _glance(ctx: _Context, result: MatchResult, out: pd.DataFrame, usage: pd.DataFrame) -> None:
    t, lang = ctx.t, ctx.lang
    counts = result.summary["counts"]
    n_open = len(out)
    n_served = int(out["served"].sum())
    available = usage[usage["available"]]
    used = int(result.proposals["volunteer_id"].nunique())
    ctx.tiles = [
        (_int(n_open), t["tile_open"], ""),
        (_int(n_served), t["tile_served"], _pct(n_served / n_open if n_open else 0, lang)),
        (_int(n_open - n_served), t["tile_unmatched"], ""),
        (_int(counts["requests_active"]), t["tile_active"], ""),
        (
            _int(len(available)),
            t["tile_volunteers"],
            t["tile_volunteers_of"].format(total=_int(len(usage))),
        ),
        (_int(used), t["tile_used"], ""),
        (_int(int(usage["free_after"].sum())), t["tile_free"], ""),
        (
            _int(counts["rejected_rows"]),
            t["tile_rejected"],
            "",
        ),
    ]
    need_table = _served_table(out, "need_type", NEED[lang], t, lang)
    need_figure = _figure(
        served_figure(by="need_type", lang=lang, outcomes=out), "fig-need", lang, "title_need_type"
    )
    labels = {c: _lang_name(str(c), lang) for c in out["language"].unique()}
    lang_table = _served_table(out, "language", labels, t, lang)
    lang_figure = _figure(
        served_figure(by="language", lang=lang, outcomes=out, top=_CHART_LANGUAGES),
        "fig-language",
        lang,
        "title_language",
    )
    ctx.glance = [(need_figure, need_table), (lang_figure, lang_table)]


def _alternatives_text(
    result: MatchResult, request_ids: Sequence[str], lang: str
) -> dict[str, tuple[str, str]]:
    """Per request: (one line per alternative, the alternatives' ids as a summary)."""
    alts = result.alternatives
    if alts.empty:
        return {}
    part = alts[alts["request_id"].isin(list(request_ids))].sort_values(
        ["request_id", "rank"], kind="stable"
    )
    t = TEXT[lang]
    labels = COMPONENT_LABELS[lang]
    texts: dict[str, list[str]] = {}
    ids: dict[str, list[str]] = {}
    for rid, vid, score, km, lacks, full in zip(
        _text(part["request_id"]),
        _text(part["volunteer_id"]),
        part["score"].to_numpy(dtype=np.float64),
        part["distance_km"].to_numpy(dtype=np.float64),
        _text(part["lacks"]),
        part["volunteer_full"].to_numpy(dtype=bool),
        strict=True,
    ):
        bits = [f"{t['score']} {_dec(score, 2, lang)}", f"{_dec(km, 1, lang)} km"]
        weak = ", ".join(labels.get(c.strip(), c.strip()) for c in lacks.split(",") if c.strip())
        if weak:
            bits.append(t["alt_weaker"].format(lacks=weak))
        if full:
            bits.append(t["alt_full"])
        texts.setdefault(rid, []).append(f"{vid} ({'; '.join(bits)})")
        ids.setdefault(rid, []).append(vid)
    return {k: ("\n".join(v), ", ".join(ids[k])) for k, v in texts.items()}


def _proposals(
    ctx: _Context,
    result: MatchResult,
    out: pd.DataFrame,
    max_rows: int,
    file: str,
) -> None:
    t, lang = ctx.t, ctx.lang
    comps = [c for c in result.components if c in result.proposals.columns]
    labels = COMPONENT_LABELS[lang]
    weights = dict(zip(comps, result.config.weights.component_weights(tuple(comps)), strict=True))
    ctx.proposals_intro = t["proposals_intro"].format(
        weights=", ".join(
            f"{labels.get(c, c)} {_dec(float(weights.get(c, 0)), 1, lang)}" for c in comps
        )
        if weights
        else "–"
    )
    prop = result.proposals
    if prop.empty:
        return
    part = prop.sort_values("request_id", kind="stable").head(max_rows)
    ctx_rows = out.set_index("request_id").reindex(part["request_id"])
    needs = _text(ctx_rows["need_type"])
    areas = _text(ctx_rows["area"])
    alt = _alternatives_text(result, list(part["request_id"]), lang)
    status = STATUS[lang]
    headers = [
        Header(t["request"]),
        Header(t["household"]),
        Header(t["need"]),
        Header(t["area"]),
        Header(t["volunteer"]),
        Header(t["shared_language"]),
        Header(t["km"], True),
        Header(t["score"], True),
        *[Header(labels.get(c, c), True, vertical=True) for c in comps],
        Header(t["status"]),
        Header(t["alternatives"]),
    ]
    comp_values = {c: part[c].to_numpy(dtype=np.float64) for c in comps}
    rows: list[list[Cell]] = []
    for i, (rid, hh, vid, lang_code, km, score, st) in enumerate(
        zip(
            _text(part["request_id"]),
            _text(part["household_id"]),
            _text(part["volunteer_id"]),
            _text(part["shared_language"]),
            part["distance_km"].to_numpy(dtype=np.float64),
            part["score"].to_numpy(dtype=np.float64),
            _text(part["status"]),
            strict=True,
        )
    ):
        row: list[Cell] = [
            (rid, "h", ""),
            (hh, "t", ""),
            (_need(needs[i], lang), "t", ""),
            (areas[i], "t", ""),
            (vid, "t", ""),
            (_lang_name(lang_code, lang), "t", ""),
            (_dec(km, 1, lang), "n", ""),
            (_dec(score, 2, lang), "b", f"{score:.3f}"),
        ]
        for c in comps:
            v = float(comp_values[c][i])
            row.append((_dec(v, 2, lang), "b", f"{v:.3f}"))
        row.append((status.get(st, st), "t", ""))
        lines, summary = alt.get(rid, ("", ""))
        row.append((lines, "d", summary))
        rows.append(row)
    ctx.proposals = Table(
        "t-proposals",
        t["proposals_caption"],
        headers,
        rows,
        note=_truncated(lang, len(rows), len(prop), file),
        filter=True,
    )


def _unmatched(
    ctx: _Context,
    result: MatchResult,
    out: pd.DataFrame,
    max_rows: int,
    file: str,
) -> None:
    t, lang = ctx.t, ctx.lang
    un = result.unmatched
    ctx.unmatched_intro = _say(t["unmatched_intro"], n=len(un))
    if un.empty:
        return
    reasons = REASON[lang]
    sizes = un["reason"].astype(str).value_counts()
    order = sorted(((str(r), int(n)) for r, n in sizes.items()), key=lambda kv: (-kv[1], kv[0]))
    total = len(un)
    ctx.reasons = Table(
        "t-reasons",
        t["reasons_caption"],
        [Header(t["reason"]), Header(t["requests"], True), Header(t["share"], True)],
        [
            [
                (reasons.get(r, r), "h", ""),
                (_int(n), "n", ""),
                (_pct(n / total, lang), "n", ""),
            ]
            for r, n in order
        ],
    )
    ctx.reason_figure = _figure(
        reasons_figure(result, lang=lang), "fig-reasons", lang, "title_reasons"
    )
    # The largest (language, reason) gaps as sentences.
    info = out.set_index("request_id")
    frame = un.assign(
        _lang=un["request_id"].map(info["language"]).fillna("").astype(str),
        _area=un["request_id"].map(info["area"]).fillna("").astype(str),
        _wait=un["request_id"].map(info["waiting_days"]),
    )
    pairs = frame.groupby(["_lang", "reason"]).agg(
        n=("request_id", "size"), km=("nearest_km", "median")
    )
    pairs = pairs.reset_index().sort_values(
        ["n", "_lang", "reason"], ascending=[False, True, True], kind="stable"
    )
    phrases = REASON_PHRASE[lang]
    for code, reason, n, km in pairs.head(_TOP_GAPS).itertuples(index=False):
        sentence = _say(
            t["gap_sentence"],
            language=_lang_name(str(code), lang) or "?",
            n=int(n),
            reason=phrases.get(str(reason), str(reason)),
        )
        if reason == "distance" and pd.notna(km):
            sentence += t["gap_nearest"].format(km=_dec(float(km), 1, lang))
        ctx.gap_sentences.append(sentence)
    # One table per reason, in words.
    level = result.config.rules.min_language_level
    headers = [
        Header(t["request"]),
        Header(t["household"]),
        Header(t["need"]),
        Header(t["languages"]),
        Header(t["area"]),
        Header(t["waiting"], True),
        Header(t["detail"]),
    ]
    frame = frame.sort_values("request_id", kind="stable")
    for reason, size in order:
        part = frame[frame["reason"].astype(str) == reason].head(max_rows)
        details = render_details(part, lang, level)
        rows: list[list[Cell]] = [
            [
                (rid, "h", ""),
                (hh, "t", ""),
                (_need(need, lang), "t", ""),
                (_langs(langs, lang), "t", ""),
                (area, "t", ""),
                (_int(w) if pd.notna(w) else "", "n", ""),
                (detail, "w", ""),
            ]
            for rid, hh, need, langs, area, w, detail in zip(
                _text(part["request_id"]),
                _text(part["household_id"]),
                _text(part["need_type"]),
                _text(part["request_languages"]),
                _text(part["_area"]),
                part["_wait"].to_numpy(dtype=np.float64),
                details,
                strict=True,
            )
        ]
        label = reasons.get(str(reason), str(reason))
        table = Table(
            f"t-unmatched-{reason}",
            _say(t["group_caption"], label=label, n=int(size)),
            headers,
            rows,
            note=_truncated(lang, len(rows), int(size), file),
            filter=len(rows) > 10,
        )
        ctx.groups.append((label, table))


def _help(
    ctx: _Context, result: MatchResult, out: pd.DataFrame, usage: pd.DataFrame, max_rows: int
) -> None:
    t, lang = ctx.t, ctx.lang
    recruits = recruitment_list(result, outcomes=out, usage=usage)
    if len(recruits):
        per = typical_places(usage)
        ctx.help_intro = _say(
            t["help_intro"],
            n=int(recruits["unmet_requests"].sum()),
            h=int(recruits["unmet_households"].sum()),
            v=int(recruits["volunteers_needed"].sum()),
            p=_dec(per, 1, lang).rstrip("0").rstrip(",.") if per % 1 else _int(per),
            pn=per,
        )
        ctx.recruit_figure = _figure(
            recruitment_figure(lang=lang, recruits=recruits, top=_CHART_RECRUITS),
            "fig-recruits",
            lang,
            "title_recruits",
        )
        part = recruits.head(max_rows)
        rows: list[list[Cell]] = [
            [
                (str(area), "h", ""),
                (_lang_name(str(code), lang), "t", ""),
                (", ".join(_need(n, lang) for n in str(needs).split(";") if n), "t", ""),
                (_int(req), "n", ""),
                (_int(hh), "n", ""),
                (_int(need), "n", ""),
                (_int(sp), "n", ""),
                (_int(free), "n", ""),
            ]
            for area, code, needs, req, hh, need, sp, free in zip(
                part["area"],
                part["language"],
                part["need_types"],
                part["unmet_requests"],
                part["unmet_households"],
                part["volunteers_needed"],
                part["speakers"],
                part["free_places"],
                strict=True,
            )
        ]
        ctx.recruits = Table(
            "t-recruits",
            t["recruit_caption"],
            [
                Header(t["area"]),
                Header(t["language"]),
                Header(t["need_types"]),
                Header(t["requests"], True),
                Header(t["households"], True),
                Header(t["needed"], True),
                Header(t["speakers"], True),
                Header(t["free_places"], True),
            ],
            rows,
            note=_say(t["truncated_call"], shown=len(rows), total=_int(len(recruits)))
            if len(recruits) > len(rows)
            else "",
            filter=len(rows) > 15,
        )
    else:
        ctx.help_intro = t["help_none"]
    free = usage[usage["free_after"] > 0]
    level = result.config.rules.min_language_level
    ctx.free_intro = _say(t["free_intro"], p=int(free["free_after"].sum()), n=len(free))
    if len(free):
        spoken = spoken_languages(free.rename(columns={"volunteer_id": "vid"}), "vid", level)
        spoken = spoken.merge(
            free[["volunteer_id", "free_after"]], left_on="id", right_on="volunteer_id"
        )
        by = spoken.groupby("language").agg(
            people=("volunteer_id", "nunique"), places=("free_after", "sum")
        )
        by = by.reset_index().sort_values(
            ["places", "language"], ascending=[False, True], kind="stable"
        )
        ctx.free = Table(
            "t-free",
            t["free_caption"],
            [Header(t["language"]), Header(t["people"], True), Header(t["free_places"], True)],
            [
                [
                    (_lang_name(str(code), lang), "h", ""),
                    (_int(people), "n", ""),
                    (_int(places), "n", ""),
                ]
                for code, people, places in by.itertuples(index=False)
            ],
            filter=len(by) > 15,
        )


def _rejected(ctx: _Context, result: MatchResult, max_rows: int, file: str) -> None:
    t, lang = ctx.t, ctx.lang
    problems = result.problems
    ctx.n_rejected = result.summary["counts"]["rejected_rows"]
    if problems.empty:
        return
    part = problems.sort_values(["source", "row"], kind="stable").head(max_rows)
    rows: list[list[Cell]] = [
        [(src, "t", ""), (row, "n", ""), (col, "t", ""), (msg, "w", "")]
        for src, row, col, msg in zip(
            _text(part["source"]),
            _text(part["row"]),
            _text(part["column"]),
            _text(part["message"]),
            strict=True,
        )
    ]
    ctx.rejected = Table(
        "t-rejected",
        t["rejected_caption"],
        [Header(t["file"]), Header(t["row"], True), Header(t["column"]), Header(t["message"])],
        rows,
        note=_truncated(lang, len(rows), len(problems), file),
        filter=len(rows) > 10,
    )


def _notices(ctx: _Context, result: MatchResult, max_rows: int) -> None:
    """References naming no row (SPEC.md, Ids and references): shown, never silently ignored."""
    notices = result.notices
    if notices.empty:
        return
    t, total = ctx.t, len(notices)
    part = notices.head(max_rows)
    columns = ("source", "row", "column", "id", "message")
    rows: list[list[Cell]] = [
        [(src, "t", ""), (row, "n", ""), (col, "t", ""), (ident, "t", ""), (msg, "w", "")]
        for src, row, col, ident, msg in zip(*(_text(part[c]) for c in columns), strict=True)
    ]
    note = "" if total <= max_rows else t["notices_truncated"]
    ctx.notices_intro = t["notices_intro"]
    ctx.n_notices = total
    ctx.notices = Table(
        "t-notices",
        t["notices_caption"],
        [Header(t[h], h == "row") for h in ("file", "row", "column", "id", "message")],
        rows,
        note=note.format(shown=_int(len(rows)), total=_int(total)),
        filter=len(rows) > 10,
    )


def _reconfirm(ctx: _Context, result: MatchResult, max_rows: int, file: str) -> None:
    """Open requests without a contact for too long (``results.reconfirm``)."""
    h = ctx.h = HISTORY_TEXT[ctx.lang]
    days = result.config.rules.reconfirm_after_days if result.config is not None else 60
    stale = result.reconfirm
    if stale.empty:
        ctx.reconfirm_intro = h["reconfirm_none"].format(days=days)
        return
    ctx.reconfirm_intro = h["reconfirm_intro"].format(n=_int(len(stale)), days=days)
    part = stale.head(max_rows)
    rows: list[list[Cell]] = [
        [
            (rid, "h", ""),
            (hh, "t", ""),
            (_need(need, ctx.lang), "t", ""),
            (_date(created, ctx.lang), "t", created),
            (_date(contact, ctx.lang), "t", contact),
            (_int(int(n)), "n", ""),
            (vol, "t", ""),
        ]
        for rid, hh, need, created, contact, n, vol in zip(
            _text(part["request_id"]),
            _text(part["household_id"]),
            _text(part["need_type"]),
            _text(part["created_on"]),
            _text(part["last_contact_on"]),
            part["days_without_contact"],
            _text(part["proposed_volunteer_id"]),
            strict=True,
        )
    ]
    ctx.reconfirm = Table(
        "t-reconfirm",
        h["reconfirm_caption"],
        [
            Header(h["request"]),
            Header(h["household"]),
            Header(h["need"]),
            Header(h["created"]),
            Header(h["last_contact"]),
            Header(h["days"], True),
            Header(h["proposed"]),
        ],
        rows,
        note=h["more_rows"].format(shown=_int(len(rows)), total=_int(len(stale)), file=file)
        if len(rows) < len(stale)
        else "",
        filter=len(rows) > 10,
    )


def _success_model(ctx: _Context, result: MatchResult) -> None:
    """Which learned success model scored the pairs (its card's name), if any."""
    info = result.summary.get("success_model")
    if not info:
        return
    period = info["training_period"] or {}
    ctx.model_note = ctx.h["model"].format(
        name=info["name"],
        rows=_int(int(info["training_rows"] or 0)),
        start=_date(str(period.get("first_start", "")), ctx.lang),
        end=_date(str(period.get("last_start", "")), ctx.lang),
        weight=_dec(float(info["weight"]), 1, ctx.lang),
    )


# --- entry points -------------------------------------------------------------------------------


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lotsen_match", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def _next_steps(result: MatchResult, lang: str) -> list[tuple[str, str]]:
    """The "Next steps" box, in the words and column headers this run reads its assignments in."""
    german_words = result.config.ingest.vocabulary == "de"
    quote = "„{}“" if lang == "de" else "'{}'"

    def status(code: str) -> str:
        word = quote.format(code)
        if german_words and lang == "de":
            return f"{quote.format(STATUS_LABELS_DE[code])} (oder {word})"
        return word

    mapping = result.config.ingest.columns.get("assignments", {})
    header = {str(contract): str(export) for export, contract in mapping.items()}
    columns = ", ".join(
        quote.format(header.get(c, c)) for c in ("request_id", "volunteer_id", "status")
    )
    values = {
        "active": status("active"),
        "declined": status("declined"),
        "proposed": status("proposed"),
        "columns": columns,
        "as_of": _date(result.config.as_of.isoformat(), lang),
    }
    return [(what, how.format(**values)) for what, how in NEXT_STEPS[lang]]


def _check_inputs(result: MatchResult) -> None:
    needed = {"request_id", "household_id", "languages", "need_type", "lat", "lon", "created_on"}
    missing = needed - set(result.requests.columns)
    if missing or "volunteer_id" not in result.volunteers.columns:
        raise ArgumentError(
            "the report needs the validated inputs of the run (MatchResult.requests and "
            f".volunteers, as lotsen_match.pipeline() returns them); missing: {sorted(missing)}"
        )


def render_report(
    result: MatchResult,
    *,
    lang: str | None = None,
    title: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    file_names: Mapping[str, str] | None = None,
) -> str:
    """The full, self-contained HTML report of ``result``.

    ``lang`` is ``de`` or ``en`` (default: the config's ``report_language``, itself ``de`` by
    default). Tables show at most ``max_rows`` rows each, with a note naming the result file
    that holds all of them (``file_names`` maps ``proposals``/``unmatched``/``rejected`` to the
    file names, as the runner writes them).
    """
    language = lang or result.config.report.language
    if language not in LANGUAGES:
        raise ArgumentError(f"report language must be one of {list(LANGUAGES)}, got {language!r}")
    if max_rows < 1:
        raise ArgumentError(f"max_rows must be >= 1, got {max_rows}")
    _check_inputs(result)
    t = TEXT[language]
    files = {"proposals": "proposals", "unmatched": "unmatched", "rejected": "rejected"}
    files.update(file_names or {})
    solver = result.summary["solver"]
    backend = solver["backend"]
    version = result.summary["library_version"]
    ctx = _Context(
        lang=language,
        t=t,
        title=title or t["title"],
        meta=[
            f"{t['as_of']} {_date(result.config.as_of.isoformat(), language)}",
            f"{t['solver']} {SOLVER[language].get(backend, backend)}",
            t["optimal"] if solver["optimal"] else t["not_optimal"],
            f"lotsen_match {version}",
        ],
        footer=t["footer"].format(version=version),
        next_steps=_next_steps(result, language),
    )
    out = request_outcomes(result)
    usage = volunteer_usage(result)
    _glance(ctx, result, out, usage)
    _proposals(ctx, result, out, max_rows, files["proposals"])
    _unmatched(ctx, result, out, max_rows, files["unmatched"])
    _help(ctx, result, out, usage, max_rows)
    _rejected(ctx, result, max_rows, files["rejected"])
    _notices(ctx, result, max_rows)
    _reconfirm(ctx, result, max_rows, files.get("reconfirm", "reconfirm"))
    _success_model(ctx, result)
    return _template().render(c=ctx)


def write_report(
    result: MatchResult,
    path: str | os.PathLike[str],
    *,
    lang: str | None = None,
    title: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Path:
    """Render the report and write it atomically (UTF-8); returns the path."""
    html = render_report(result, lang=lang, title=title, max_rows=max_rows)
    target = Path(path)
    with atomic_file(target) as fh:
        fh.write(html.encode("utf-8"))
    return target
