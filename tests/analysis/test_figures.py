"""Charts as matplotlib figures: the bars equal independent counts, axes speak in words (German
or English, never codes), files save in every format, the report's SVG is stable and unique on
the page, and nothing changes matplotlib's global state."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import lotsen_match as lm
from lotsen_match.analysis import (
    Chart,
    fairness_audit,
    fairness_figure,
    reasons_figure,
    recruitment_figure,
    recruitment_list,
    request_outcomes,
    served_figure,
)
from lotsen_match.analysis.figures import PALETTE, svg_markup


def _labels(chart: Figure) -> list[str]:
    return [t.get_text() for t in chart.axes[0].get_yticklabels()]


def _bar_totals(chart: Figure) -> list[float]:
    """Right end of the last bar segment in every row, top row first."""
    ends: dict[float, float] = {}
    for bar in chart.axes[0].patches:
        y = round(bar.get_y() + bar.get_height() / 2, 6)
        ends[y] = max(ends.get(y, 0.0), bar.get_x() + bar.get_width())
    return [ends[y] for y in sorted(ends)]


def test_served_by_language_names_languages_and_counts_right(sample: lm.MatchResult) -> None:
    chart = served_figure(sample, by="language", top=50)
    assert isinstance(chart, Chart) and isinstance(chart.canvas, FigureCanvasAgg)
    req = sample.requests[~sample.requests["request_id"].isin(sample.active_request_ids)]
    first = req["languages"].str.split(":").str[0]
    expected = Counter(first)
    labels = _labels(chart)
    assert labels[:3] == ["Arabisch", "Ukrainisch", "Russisch"]
    assert "ar" not in labels and "Arabic" not in labels
    totals = dict(zip(labels, _bar_totals(chart), strict=True))
    assert totals["Arabisch"] == expected["ar"] and totals["Tigrinya"] == expected["ti"]
    assert sum(totals.values()) == len(req)
    legend = [t.get_text() for t in chart.axes[0].get_legend().get_texts()]
    assert legend == ["mit Vorschlag", "ohne Vorschlag"]
    assert chart.axes[0].get_xlabel() == "Anfragen"
    # Served segments: the first series, one bar per language.
    served = Counter(first[req["request_id"].isin(sample.proposals["request_id"]).to_numpy()])
    blue = [b for b in chart.axes[0].patches if b.get_facecolor() == mcolors.to_rgba(PALETTE[0])]
    assert [b.get_width() for b in blue][:2] == [served["ar"], served["uk"]]


def test_other_languages_are_summed_and_english_words(sample: lm.MatchResult) -> None:
    chart = served_figure(sample, by="language", lang="en", top=5)
    labels = _labels(chart)
    assert labels == ["Arabic", "Ukrainian", "Russian", "Turkish", "other"]
    assert sum(_bar_totals(chart)) == len(request_outcomes(sample))
    need = served_figure(sample, by="need_type", lang="en")
    assert _labels(need)[:3] == ["school/day care", "authorities", "health"]
    assert need.get_suptitle() == "Requests by need type"
    with pytest.raises(ValueError, match="lang"):
        served_figure(sample, lang="fr")
    with pytest.raises(ValueError, match="needs a result"):
        served_figure()


def test_reasons_and_recruitment(sample: lm.MatchResult) -> None:
    chart = reasons_figure(sample)
    counts = sample.unmatched["reason"].value_counts()
    labels = _labels(chart)
    assert labels[0] == "Niemand im Umkreis" and "distance" not in labels
    assert _bar_totals(chart) == sorted(counts.to_list(), reverse=True)
    recruits = recruitment_list(sample)
    chart = recruitment_figure(sample, top=4)
    assert len(_labels(chart)) == 4
    first = recruits.iloc[0]
    assert _labels(chart)[0].endswith(f" · {first['area']}")
    assert _bar_totals(chart)[0] == first["unmet_households"]


def test_fairness_marks_flagged_groups_and_the_overall_rate(sample: lm.MatchResult) -> None:
    audit = fairness_audit(sample)
    chart = fairness_figure(audit, dimension="language", min_requests=10)
    rows = audit[(audit["dimension"] == "language") & (audit["requests"] >= 10)]
    assert len(_labels(chart)) == len(rows) and "Arabisch" in _labels(chart)
    assert _bar_totals(chart) == pytest.approx(rows["served_rate"].to_list())
    overall = rows["served"].sum() / rows["requests"].sum()  # rows cover enough here
    line = chart.axes[0].lines[-1].get_xdata()
    whole = audit[audit["dimension"] == "language"]
    assert line[0] == pytest.approx(whole["served"].sum() / whole["requests"].sum())
    assert 0 < overall < 1
    orange = mcolors.to_rgba(PALETTE[1])
    colours = [b.get_facecolor() == orange for b in chart.axes[0].patches]
    assert colours == rows["flagged"].to_list()
    minors = fairness_figure(audit, dimension="involves_minors", min_requests=1, lang="de")
    assert set(_labels(minors)) <= {"ja", "nein"}
    with pytest.raises(ValueError, match="no dimension"):
        fairness_figure(audit, dimension="shoe_size")


def test_saves_as_png_pdf_svg_and_shows_in_notebooks(sample: lm.MatchResult) -> None:
    chart = served_figure(sample)
    for fmt, magic in (("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<?xml")):
        buffer = io.BytesIO()
        chart.savefig(buffer, format=fmt)
        assert buffer.getvalue().startswith(magic), fmt
    png = chart._repr_png_()
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_svg_markup_is_stable_accessible_and_unique_on_a_page(sample: lm.MatchResult) -> None:
    one = svg_markup(served_figure(sample), title='Anfragen "nach" <Bereich>', id_prefix="a")
    again = svg_markup(served_figure(sample), title='Anfragen "nach" <Bereich>', id_prefix="a")
    assert one == again
    root = ET.fromstring(one)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("aria-label") == 'Anfragen "nach" <Bereich>'
    assert not one.startswith("<?xml") and "<!DOCTYPE" not in one
    assert "Schule/Kita" in one and "mit Vorschlag" in one  # text stays text
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    assert ids and all(i.startswith("a-") for i in ids)
    other = svg_markup(served_figure(sample), title="t", id_prefix="b")
    assert not ids & {e.get("id") for e in ET.fromstring(other).iter() if e.get("id")}


def test_no_global_matplotlib_state_changes() -> None:
    code = """
import sys, matplotlib
before = matplotlib.rcParams.copy()  # (reading "backend" by key would import pyplot)
import lotsen_match as lm
from lotsen_match.analysis import served_figure
from lotsen_match.analysis.figures import svg_markup
from tests.sample_run import match_sample
chart = served_figure(match_sample())
svg_markup(chart, title="t", id_prefix="x")
chart.savefig(__import__("io").BytesIO(), format="png")
assert matplotlib.rcParams.copy() == before
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_empty_runs_still_draw() -> None:
    cl = lm.generate_caseload(3, 30, seed=1)
    none = lm.match(
        cl.volunteers.assign(capacity=0), cl.requests, None, lm.MatchConfig(as_of="2026-11-02")
    )
    assert sum(_bar_totals(served_figure(none))) == len(none.unmatched)
    empty = recruitment_figure(
        recruits=pd.DataFrame(
            {"area": [], "language": [], "unmet_households": np.array([], dtype=np.int64)}
        ),
        lang="en",
    )
    assert _labels(empty) == []


def test_long_labels_and_titles_stay_inside_the_figure(sample: lm.MatchResult) -> None:
    recruits = recruitment_list(sample).assign(area="Hildesheim-Drispenstedt-Nord-Ost")
    chart = recruitment_figure(recruits=recruits, lang="de")
    renderer = chart.canvas.get_renderer()  # type: ignore[attr-defined]
    chart.draw(renderer)
    width = chart.bbox.width
    for text in [*chart.axes[0].get_yticklabels(), chart._suptitle]:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width, text.get_text()
