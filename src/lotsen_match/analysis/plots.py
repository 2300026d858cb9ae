"""Small, dependency-free SVG charts for the report and the notebooks.

The report must be one self-contained file and the library ships no plotting stack, so the few
charts it needs (bars, stacked bars, lines) are written as SVG text here. Every text is escaped;
each chart carries ``role="img"``, an ``aria-label`` and a ``<title>``, and uses the Okabe-Ito
colours, which stay distinguishable with colour-vision deficiencies. The returned :class:`Svg`
displays itself in Jupyter and is inserted unescaped by Jinja (it is already safe markup).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Final

from ..errors import ArgumentError

__all__ = ["PALETTE", "Svg", "bar_chart", "line_chart", "stacked_bar_chart"]

#: Okabe-Ito colours, ordered so the first three reach 3:1 contrast against white (WCAG 1.4.11);
#: yellow is left out (too light on white).
PALETTE: Final[tuple[str, ...]] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
)
_FONT: Final[str] = "system-ui, -apple-system, 'Segoe UI', sans-serif"
_CHAR_PX: Final[float] = 6.6  # average glyph width at 12 px, for layout only
_MAX_LABEL_CHARS: Final[int] = 36


class Svg(str):
    """SVG markup: a ``str`` that Jupyter renders as an image and Jinja does not escape."""

    __slots__ = ()

    def _repr_svg_(self) -> str:
        return str(self)

    def __html__(self) -> str:
        return str(self)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(label: str) -> str:
    return label if len(label) <= _MAX_LABEL_CHARS else label[: _MAX_LABEL_CHARS - 1] + "…"


def _num(value: float, decimals: int, decimal_comma: bool) -> str:
    text = f"{value:,.{decimals}f}".replace(",", "\u202f")
    return text.replace(".", ",") if decimal_comma else text


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
        f'font-family="{_FONT}" font-size="12" style="max-width:100%;height:auto">',
        f"<title>{_e(title)}</title>",
        f'<text x="0" y="14" font-size="14" font-weight="600" fill="#1d1d1f">{_e(title)}</text>',
    ]


def _label_width(labels: Sequence[str]) -> int:
    longest = max((len(_short(str(x))) for x in labels), default=4)
    return int(min(max(longest * _CHAR_PX + 10, 60), 250))


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    color: str = PALETTE[0],
    width: int = 640,
    bar_height: int = 18,
    decimals: int = 0,
    decimal_comma: bool = False,
    max_value: float | None = None,
) -> Svg:
    """Horizontal bars, one per label, with the value written after each bar."""
    return stacked_bar_chart(
        labels,
        {"": values},
        title=title,
        colors=(color,),
        width=width,
        bar_height=bar_height,
        decimals=decimals,
        decimal_comma=decimal_comma,
        max_value=max_value,
    )


def stacked_bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    colors: Sequence[str] = PALETTE,
    width: int = 640,
    bar_height: int = 18,
    decimals: int = 0,
    decimal_comma: bool = False,
    max_value: float | None = None,
) -> Svg:
    """Horizontal stacked bars (one segment per series), totals after the bars, a legend on top.

    A series named ``""`` gets no legend entry (a plain bar chart).
    """
    names = list(series)
    columns = [[float(v) for v in series[n]] for n in names]
    if any(len(c) != len(labels) for c in columns):
        raise ArgumentError("every series needs one value per label")
    if any(v < 0 or not math.isfinite(v) for c in columns for v in c):
        raise ArgumentError("stacked bars need finite, non-negative values")
    totals = [sum(parts) for parts in zip(*columns, strict=True)] if columns else []
    top = max_value if max_value is not None else max(totals, default=0.0)
    top = top if top > 0 else 1.0
    lw = _label_width([str(x) for x in labels])
    value_w = 70
    plot_w = max(width - lw - value_w, 50)
    legend = [n for n in names if n]
    y0 = 26 + (20 if legend else 0)
    gap = 6
    height = y0 + len(labels) * (bar_height + gap) + 4
    out = _open(width, height, title)
    x = lw
    for k, name in enumerate(names):
        if not name:
            continue
        color = colors[k % len(colors)]
        out.append(f'<rect x="{x}" y="26" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="36" fill="#1d1d1f">{_e(name)}</text>')
        x += int(16 + len(name) * _CHAR_PX + 18)
    for i, label in enumerate(labels):
        y = y0 + i * (bar_height + gap)
        text = str(label)
        out.append(
            f'<text x="{lw - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" '
            f'fill="#1d1d1f">{_e(_short(text))}<title>{_e(text)}</title></text>'
        )
        left = float(lw)
        for k, col in enumerate(columns):
            w = plot_w * col[i] / top
            if w <= 0:
                continue
            tip = f"{text}: {_num(col[i], decimals, decimal_comma)}"
            if names[k]:
                tip = f"{text} · {names[k]}: {_num(col[i], decimals, decimal_comma)}"
            out.append(
                f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                f'fill="{colors[k % len(colors)]}"><title>{_e(tip)}</title></rect>'
            )
            left += w
        out.append(
            f'<text x="{left + 4:.1f}" y="{y + bar_height * 0.7:.1f}" fill="#1d1d1f">'
            f"{_e(_num(totals[i], decimals, decimal_comma))}</text>"
        )
    out.append("</svg>")
    return Svg("".join(out))


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 10))
    return ticks


def line_chart(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    colors: Sequence[str] = PALETTE,
    width: int = 640,
    height: int = 320,
    decimals: int = 2,
    decimal_comma: bool = False,
) -> Svg:
    """Lines with point markers over a shared numeric x axis; NaN values leave gaps."""
    xs = [float(v) for v in x]
    ys = {name: [float(v) for v in vals] for name, vals in series.items()}
    if any(len(v) != len(xs) for v in ys.values()):
        raise ArgumentError("every series needs one value per x")
    finite = [v for vals in ys.values() for v in vals if math.isfinite(v)]
    y_ticks = _nice_ticks(min(finite, default=0.0), max(finite, default=1.0))
    x_ticks = _nice_ticks(min(xs, default=0.0), max(xs, default=1.0))
    left, right, top, bottom = 56, 16, 50, 44
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + pw * (v - x_ticks[0]) / (x_ticks[-1] - x_ticks[0])

    def sy(v: float) -> float:
        return top + ph * (1 - (v - y_ticks[0]) / (y_ticks[-1] - y_ticks[0]))

    out = _open(width, height, title)
    lx = left
    for k, name in enumerate(ys):
        color = colors[k % len(colors)]
        out.append(f'<rect x="{lx}" y="26" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{lx + 16}" y="36" fill="#1d1d1f">{_e(name)}</text>')
        lx += int(16 + len(name) * _CHAR_PX + 18)
    for t in y_ticks:
        y = sy(t)
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{_e(_num(t, decimals, decimal_comma))}</text>"
        )
    for t in x_ticks:
        xx = sx(t)
        out.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top + ph}" y2="{top + ph + 4}" '
            f'stroke="#444"/><text x="{xx:.1f}" y="{top + ph + 17}" text-anchor="middle" '
            f'fill="#444">{_e(_num(t, decimals, decimal_comma))}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#444"/>'
    )
    if x_label:
        out.append(
            f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle" '
            f'fill="#1d1d1f">{_e(x_label)}</text>'
        )
    if y_label:
        out.append(
            f'<text x="12" y="{top + ph / 2:.1f}" text-anchor="middle" fill="#1d1d1f" '
            f'transform="rotate(-90 12 {top + ph / 2:.1f})">{_e(y_label)}</text>'
        )
    for k, (name, vals) in enumerate(ys.items()):
        color = colors[k % len(colors)]
        segments: list[list[tuple[float, float]]] = [[]]
        for xv, yv in zip(xs, vals, strict=True):
            if math.isfinite(yv):
                segments[-1].append((sx(xv), sy(yv)))
            elif segments[-1]:
                segments.append([])
        for seg in segments:
            if len(seg) > 1:
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in seg)
                out.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
        for xv, yv in zip(xs, vals, strict=True):
            if math.isfinite(yv):
                tip = f"{name}: {_num(xv, decimals, decimal_comma)} → "
                tip += _num(yv, decimals, decimal_comma)
                out.append(
                    f'<circle cx="{sx(xv):.1f}" cy="{sy(yv):.1f}" r="3.5" fill="{color}">'
                    f"<title>{_e(tip)}</title></circle>"
                )
    out.append("</svg>")
    return Svg("".join(out))
