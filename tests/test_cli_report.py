"""The plain HTML report: escaped, self-contained, deterministic, grouped reasons in words."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from lotsen_match.report import render_report_tables

COMPONENTS = ("language", "distance")
SUMMARY: dict[str, Any] = {
    "run_id": "20261102T020000Z-abcdef",
    "as_of": "2026-11-02",
    "library_version": "0.1.0",
    "timings_s": {"solve": 0.123456},
    "counts": {"requests_open": 4, "proposals": 2, "unmatched": 2, "rejected_rows": 1},
    "solver": {"backend": "flow", "optimal": True, "objective": 1234},
}


def _proposals(n: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": ["<script>alert(1)</script>", *[f"R{i:03d}" for i in range(1, n)]],
            "volunteer_id": ["V1&2", *[f"V{i}" for i in range(1, n)]],
            "household_id": [None, *["H1"] * (n - 1)],
            "score": [0.91234, *[0.5] * (n - 1)],
            "language": [1.0] * n,
            "distance": [0.25] * n,
            "distance_km": [2.14] * n,
            "shared_language": ["prs", *["ar"] * (n - 1)],
            "status": ["kept", *["proposed"] * (n - 1)],
        }
    )


def _unmatched() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": ["R9", "R8"],
            "household_id": ["", "H2"],
            "reason": ["distance", "language"],
            "detail": [
                "3 sprechen Tigrinya, aber niemand davon im Umkreis.",
                "Keine <b>Lotsin</b>.",
            ],
        }
    )


def test_report_is_escaped_self_contained_and_without_run_specifics() -> None:
    html = render_report_tables(
        proposals=_proposals(), unmatched=_unmatched(), summary=SUMMARY, components=COMPONENTS
    )
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "V1&amp;2" in html and "Keine &lt;b&gt;Lotsin&lt;/b&gt;." in html
    assert not re.search(r"<(script|link|img)\b", html), "no scripts or external resources"
    assert "http" not in html
    assert SUMMARY["run_id"] not in html and "0.123456" not in html
    assert '<html lang="de">' in html
    assert "Dari" in html  # the shared language in words
    assert "beibehalten" in html  # status "kept" in German
    assert "0.91" in html and "2.1" in html
    # unmatched grouped by reason (each group titled in words, with its count)
    assert "Niemand im Umkreis: 1" in html and "Keine passende Sprache: 1" in html
    assert "3 sprechen Tigrinya, aber niemand davon im Umkreis." in html
    assert "Abgewiesene Eingabezeilen (1)" in html


def test_report_is_deterministic_whatever_the_row_order() -> None:
    kwargs: dict[str, Any] = {"summary": SUMMARY, "components": COMPONENTS}
    a = render_report_tables(proposals=_proposals(5), unmatched=_unmatched(), **kwargs)
    b = render_report_tables(
        proposals=_proposals(5).iloc[::-1], unmatched=_unmatched().iloc[::-1], **kwargs
    )
    assert a == b


def test_report_in_english_and_truncated_tables() -> None:
    html = render_report_tables(
        proposals=_proposals(12),
        unmatched=_unmatched(),
        summary=SUMMARY,
        components=COMPONENTS,
        lang="en",
        max_rows=5,
        file_names={"proposals": "proposals.parquet"},
    )
    assert '<html lang="en">' in html and "Requests without a proposal (2)" in html
    assert (
        "The first 5 of 12 rows; all of them are in the file &#39;proposals.parquet&#39;." in html
    )
    assert html.count("<tr><td") == 5 + 2
    with pytest.raises(ValueError, match="report language"):
        render_report_tables(
            proposals=_proposals(),
            unmatched=_unmatched(),
            summary=SUMMARY,
            components=(),
            lang="fr",
        )


def test_empty_results_render() -> None:
    html = render_report_tables(
        proposals=_proposals().iloc[:0],
        unmatched=_unmatched().iloc[:0],
        summary={**SUMMARY, "counts": {}},
        components=COMPONENTS,
    )
    assert "Jede offene Anfrage hat einen Vorschlag." in html
    assert "Keine Vorschläge in diesem Lauf." in html
