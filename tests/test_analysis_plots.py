"""SVG charts: well-formed XML, escaped text, one shape per value, accessible names."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from lotsen_match.analysis.plots import Svg, bar_chart, line_chart, stacked_bar_chart

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bar_chart_is_valid_escaped_and_proportional() -> None:
    svg = bar_chart(["<b>&", "Arabisch"], [10, 5], title='Title "x" <y>')
    assert isinstance(svg, Svg) and svg._repr_svg_() == str(svg) and svg.__html__() == str(svg)
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == 'Title "x" <y>'
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    bars = [r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None]
    assert len(bars) == 2
    w = [float(b.get("width", "0")) for b in bars]
    assert w[0] == pytest.approx(2 * w[1], rel=1e-3)


def test_stacked_bars_and_legend() -> None:
    svg = stacked_bar_chart(
        ["a", "b", "c"], {"served": [1, 0, 2], "open": [3, 1, 0]}, title="t", decimal_comma=True
    )
    root = _parse(svg)
    bars = [r for r in root.findall("s:rect", NS) if r.find("s:title", NS) is not None]
    assert len(bars) == 4  # zero-width segments are left out
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "served" in texts and "open" in texts and "4" in texts
    with pytest.raises(ValueError, match="one value per label"):
        stacked_bar_chart(["a"], {"x": [1, 2]}, title="t")
    with pytest.raises(ValueError, match="non-negative"):
        stacked_bar_chart(["a"], {"x": [-1]}, title="t")


def test_line_chart_gaps_and_decimal_comma() -> None:
    svg = line_chart(
        [0.5, 1.0, 2.0, 4.0],
        {"served": [10.0, 12.0, math.nan, 13.0], "mean km": [4.2, 3.9, 3.5, 3.1]},
        title="sweep",
        x_label="weight",
        y_label="value",
        decimal_comma=True,
    )
    root = _parse(svg)
    circles = root.findall("s:circle", NS)
    assert len(circles) == 7  # the NaN point is skipped
    lines = root.findall("s:polyline", NS)
    assert len(lines) == 2  # served: one segment of two points (the lone last point has none)
    assert "0,5" in svg  # German decimal comma on the axis
