"""Charts of a run as matplotlib figures: for a notebook, a council presentation and the report.

Every function returns a :class:`Chart`, a :class:`matplotlib.figure.Figure` drawn by the Agg
canvas. It is made without ``pyplot`` and without choosing a backend, so importing this module
changes no global matplotlib state and works on a server without a display; a notebook shows
the chart as the cell's value, ``chart.savefig("x.pdf")`` writes PNG, PDF or SVG, and
:func:`svg_markup` gives the inline SVG the HTML report embeds (so the report stays one file).

Axes name languages, need types and reasons in words (German or English, by default the run's
``report.language``), never as codes. Colours are Okabe-Ito, distinguishable with colour-vision
deficiencies.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import matplotlib
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..core.vocab import NEED_TYPES, language_label
from ..errors import ArgumentError
from .figure_text import DIMENSION, FIGURE_TEXT, GROUP, NEED, REASON
from .outcomes import request_outcomes
from .supply_gap import recruitment_list

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = [
    "PALETTE",
    "Chart",
    "fairness_figure",
    "reasons_figure",
    "recruitment_figure",
    "served_counts",
    "served_figure",
    "svg_markup",
]

#: Okabe-Ito colours; the first three reach 3:1 contrast against white (WCAG 1.4.11).
PALETTE: Final[tuple[str, ...]] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
#: Width of every chart in inches (a slide column, or half a report page).
WIDTH_IN: Final[float] = 6.4
#: Vertical inches per bar, and for title, axis and legend.
_BAR_IN: Final[float] = 0.27
_FRAME_IN: Final[float] = 1.0
#: Longest bar label in characters; longer ones end in "…".
_LABEL_CHARS: Final[int] = 36
_SVG_METADATA: Final[dict[str, Any]] = {"Date": None, "Creator": None, "Format": None, "Type": None}


class Chart(Figure):
    """A matplotlib figure on the Agg canvas that a notebook shows without ``pyplot``.

    Use it as any :class:`~matplotlib.figure.Figure`: ``chart.savefig("served.pdf")``,
    ``chart.axes[0].set_title(...)``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        FigureCanvasAgg(self)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


# --- formatting ---------------------------------------------------------------------------------


def _lang(result: MatchResult | None, lang: str | None) -> str:
    if lang is None:
        lang = result.config.report.language if result is not None else "de"
    if lang not in FIGURE_TEXT:
        raise ArgumentError(f"lang must be one of {sorted(FIGURE_TEXT)}, got {lang!r}")
    return lang


def _number(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _percent(value: float, lang: str) -> str:
    return f"{_number(100 * value, lang)} %" if lang == "de" else f"{_number(100 * value, lang)}%"


def _short(label: str) -> str:
    """A bar label cut to ``_LABEL_CHARS`` characters ("…"), so the bars keep their room."""
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _bars(
    labels: Sequence[str],
    series: Mapping[str, npt.ArrayLike],
    *,
    title: str,
    x_label: str,
    lang: str,
    colors: Sequence[str] = PALETTE,
    percent: bool = False,
) -> Chart:
    """Horizontal (stacked) bars, largest first from the top, the total written after each bar.

    A series named ``""`` gets no legend entry.
    """
    n = len(labels)
    values = [np.asarray(v, dtype=np.float64) for v in series.values()]
    if any(v.shape != (n,) for v in values):
        raise ArgumentError("every series needs one value per label")
    legend = any(series)
    chart = Chart(figsize=(WIDTH_IN, _FRAME_IN + _BAR_IN * max(n, 1) + (0.3 if legend else 0.0)))
    ax = chart.add_subplot()
    y = np.arange(n)
    left = np.zeros(n)
    for k, (name, vals) in enumerate(zip(series, values, strict=True)):
        ax.barh(y, vals, left=left, height=0.72, color=colors[k % len(colors)], label=name or None)
        left = left + vals
    for i, total in enumerate(left):
        text = _percent(total, lang) if percent else _number(total, lang)
        ax.annotate(
            text, (total, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9
        )
    ax.set_yticks(y, [_short(str(label)) for label in labels])
    ax.set_ylim(max(n, 1) - 0.5, -0.5)  # first label on top
    ax.margins(x=0.12)
    ax.set_xlim(left=0)
    ax.set_xlabel(x_label)
    # A figure title, left-aligned at the figure's edge, so a long title is never cut.
    chart.suptitle(title, x=0.01, y=0.99, ha="left", va="top", fontweight="bold", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.set_major_formatter(
        FuncFormatter(
            (lambda v, _: _percent(v, lang)) if percent else (lambda v, _: _number(v, lang))
        )
    )
    ax.tick_params(axis="y", length=0)
    if legend:
        ax.legend(loc="lower right", frameon=False, fontsize=9)
    _fit_margins(chart, ax)
    return chart


def _fit_margins(chart: Chart, ax: Axes) -> None:
    """Margins from the measured width of the longest bar label, the rest fixed in inches.

    One text measurement per label instead of a layout engine, which would draw the figure an
    extra time on every save (the report saves four charts per run).
    """
    canvas = chart.canvas if isinstance(chart.canvas, FigureCanvasAgg) else FigureCanvasAgg(chart)
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]  # (untyped upstream)
    label_px = max((t.get_window_extent(renderer).width for t in ax.get_yticklabels()), default=0)
    width_in, height_in = chart.get_size_inches()
    left_in = label_px / chart.dpi + 0.15
    chart.subplots_adjust(
        left=min(left_in / width_in, 0.6),
        right=1 - 0.15 / width_in,
        top=1 - 0.42 / height_in,
        bottom=0.55 / height_in,
    )


# --- charts of a run ----------------------------------------------------------------------------


def served_counts(outcomes: pd.DataFrame, by: str) -> pd.DataFrame:
    """Open requests and served requests per group: the numbers behind :func:`served_figure`.

    Index: the group (need type code, language code, ...); columns ``requests``, ``served``.
    Need types keep the contract's order; other groups come by size, largest first.
    """
    grouped = outcomes.groupby(by)["served"]
    g = pd.DataFrame({"requests": grouped.size(), "served": grouped.sum()})
    g = g.sort_values("requests", ascending=False, kind="stable")
    if by == "need_type":
        g = g.reindex([n for n in NEED_TYPES if n in g.index])
    return g.astype(np.int64)


def _group_name(by: str, key: object, lang: str) -> str:
    code = str(key)
    if by == "language":
        return language_label(code, lang) if code else "?"
    if by == "need_type":
        return NEED[lang].get(code, code)
    return GROUP[lang].get(by, {}).get(code, code)


def served_figure(
    result: MatchResult | None = None,
    *,
    by: Literal["need_type", "language"] = "need_type",
    lang: str | None = None,
    outcomes: pd.DataFrame | None = None,
    top: int = 12,
) -> Chart:
    """Open requests per need type or first language, split into served and not served.

    Parameters
    ----------
    result
        A finished run (needed unless ``outcomes`` is given).
    by
        ``"need_type"`` or ``"language"`` (the requests' first language).
    lang
        ``"de"`` or ``"en"``; default: the run's ``report.language``.
    outcomes
        :func:`~lotsen_match.analysis.request_outcomes` of the run, if already computed.
    top
        Groups shown one by one; the rest are summed as "other".

    Returns
    -------
    Chart
        One horizontal stacked bar per group, largest first.

    Raises
    ------
    ArgumentError
        If neither ``result`` nor ``outcomes`` is given, or ``lang`` is unknown.
    """
    language = _lang(result, lang)
    if outcomes is None:
        if result is None:
            raise ArgumentError("served_figure needs a result or its outcomes")
        outcomes = request_outcomes(result)
    words = FIGURE_TEXT[language]
    counts = served_counts(outcomes, by)
    names = [_group_name(by, k, language) for k in counts.index]
    served = counts["served"].to_numpy(dtype=np.float64)
    unserved = (counts["requests"] - counts["served"]).to_numpy(dtype=np.float64)
    if len(names) > top:
        k = max(top - 1, 1)
        names = [*names[:k], words["other"]]
        served = np.append(served[:k], served[k:].sum())
        unserved = np.append(unserved[:k], unserved[k:].sum())
    return _bars(
        names,
        {words["served"]: served, words["not_served"]: unserved},
        title=words[f"title_{by}"],
        x_label=words["requests"],
        lang=language,
    )


def reasons_figure(result: MatchResult, *, lang: str | None = None) -> Chart:
    """Unmatched requests per reason (the hard constraint or capacity), most frequent first.

    Parameters
    ----------
    result
        A finished run.
    lang
        ``"de"`` or ``"en"``; default: the run's ``report.language``.

    Returns
    -------
    Chart
        One bar per reason, named in words.
    """
    language = _lang(result, lang)
    sizes = result.unmatched["reason"].astype(str).value_counts()
    order = sorted(((str(r), int(n)) for r, n in sizes.items()), key=lambda kv: (-kv[1], kv[0]))
    words = FIGURE_TEXT[language]
    return _bars(
        [REASON[language].get(r, r) for r, _ in order],
        {"": [n for _, n in order]},
        title=words["title_reasons"],
        x_label=words["requests"],
        lang=language,
        colors=(PALETTE[1],),
    )


def recruitment_figure(
    result: MatchResult | None = None,
    *,
    lang: str | None = None,
    recruits: pd.DataFrame | None = None,
    top: int = 10,
) -> Chart:
    """Households without a proposal for lack of volunteers, per place and language.

    Parameters
    ----------
    result
        A finished run (needed unless ``recruits`` is given).
    lang
        ``"de"`` or ``"en"``; default: the run's ``report.language``.
    recruits
        :func:`~lotsen_match.analysis.recruitment_list` of the run, if already computed.
    top
        Rows of the recruitment list shown.

    Returns
    -------
    Chart
        One bar per (language, place), most households first.
    """
    language = _lang(result, lang)
    if recruits is None:
        if result is None:
            raise ArgumentError("recruitment_figure needs a result or its recruitment list")
        recruits = recruitment_list(result)
    part = recruits.head(top)
    words = FIGURE_TEXT[language]
    return _bars(
        [
            f"{language_label(str(code), language)} · {area}"
            for area, code in zip(part["area"], part["language"], strict=True)
        ],
        {"": part["unmet_households"].to_numpy(dtype=np.float64)},
        title=words["title_recruits"],
        x_label=words["households"],
        lang=language,
        colors=(PALETTE[2],),
    )


def fairness_figure(
    audit: pd.DataFrame,
    *,
    dimension: str = "language",
    lang: str = "de",
    min_requests: int = 10,
) -> Chart:
    """Served rate per group of one fairness dimension, the overall rate as a line.

    Parameters
    ----------
    audit
        :func:`~lotsen_match.analysis.fairness_audit` of a run.
    dimension
        One of the audit's dimensions (``language``, ``settlement``, ...).
    lang
        ``"de"`` or ``"en"``.
    min_requests
        Groups with fewer open requests are left out (a rate over three requests says little).

    Returns
    -------
    Chart
        One bar per group; groups the audit flags are drawn in the second colour.

    Raises
    ------
    ArgumentError
        If the audit has no such dimension, or ``lang`` is unknown.
    """
    language = _lang(None, lang)
    rows = audit[audit["dimension"] == dimension]
    if rows.empty:
        known = sorted(set(audit["dimension"]))
        raise ArgumentError(f"the audit has no dimension {dimension!r}; it has {known}")
    overall = float(rows["served"].sum()) / float(rows["requests"].sum())
    shown = rows[rows["requests"] >= min_requests]
    words = FIGURE_TEXT[language]
    names = [_group_name(dimension, g, language) for g in shown["group"]]
    rate = shown["served_rate"].to_numpy(dtype=np.float64)
    flagged = shown["flagged"].to_numpy(dtype=bool)
    title = words["title_fairness"].format(dimension=DIMENSION[language].get(dimension, dimension))
    chart = _bars(
        names, {"": rate}, title=title, x_label=words["served_rate"], lang=language, percent=True
    )
    ax = chart.axes[0]
    for bar, flag in zip(ax.patches, flagged, strict=True):
        if flag:
            bar.set_facecolor(PALETTE[1])
    ax.axvline(overall, color=PALETTE[6], linewidth=1, linestyle="--")
    handles: list[Artist] = [ax.lines[-1]]
    labels = [f"{words['everyone']}: {_percent(overall, language)}"]
    if flagged.any():
        handles.append(next(p for p, f in zip(ax.patches, flagged, strict=True) if f))
        labels.append(words["flagged"])
    ax.legend(handles, labels, loc="lower right", frameon=False, fontsize=9)
    return chart


# --- the report's inline SVG ----------------------------------------------------------------------

_ID = re.compile(r'\sid="([^"]+)"')
_REFERENCE = re.compile(r'url\(#([^)]+)\)|href="#([^"]+)"')


def svg_markup(chart: Figure, *, title: str, id_prefix: str) -> str:
    """``chart`` as an ``<svg>`` element to write inline into an HTML page.

    The XML prolog is dropped, ids are made unique on the page with ``id_prefix`` (ids nothing
    refers to are removed), and the element gets ``role="img"``, an ``aria-label`` and a
    ``<title>``. The same chart gives the same text, byte for byte (no date, fixed id salt).
    """
    buffer = io.StringIO()
    # Reproducible, compact SVG: text stays text (searchable, small), and the ids of clip paths
    # are hashed with a fixed salt instead of a random one. The settings hold for this call only.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lotsen_match"}):
        chart.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    used = {a or b for a, b in _REFERENCE.findall(svg)}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        return f' id="{id_prefix}-{name}"' if name in used else ""

    svg = _ID.sub(rename, svg)
    svg = _REFERENCE.sub(
        lambda m: (
            f"url(#{id_prefix}-{m.group(1)})" if m.group(1) else f'href="#{id_prefix}-{m.group(2)}"'
        ),
        svg,
    )
    label = (
        title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
    head_end = svg.index(">") + 1
    head = svg[: head_end - 1]
    return (
        f'{head} role="img" aria-label="{label}" style="max-width:100%;height:auto">'
        f"<title>{label}</title>{svg[head_end:].strip()}"
    )
