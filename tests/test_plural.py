"""Singular and plural forms: the template mechanism, and every reason sentence for 1 and 13."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotsen_match.core.candidates import FUNNEL_STEPS
from lotsen_match.plural import format_field, plural
from lotsen_match.results.explain import REASON_TEXT, reason_text, render_detail_column

TEMPLATE = "{n:# Anfrage hat|# Anfragen haben} keinen Vorschlag."


def test_one_and_many() -> None:
    assert plural(TEMPLATE, n=1) == "1 Anfrage hat keinen Vorschlag."
    assert plural(TEMPLATE, n=1.0) == "1 Anfrage hat keinen Vorschlag."
    assert plural(TEMPLATE, n=0) == "0 Anfragen haben keinen Vorschlag."
    assert plural(TEMPLATE, n=2) == "2 Anfragen haben keinen Vorschlag."
    assert plural(TEMPLATE, n=12_345, thousands="\u202f") == (
        "12\u202f345 Anfragen haben keinen Vorschlag."
    )
    assert plural(TEMPLATE, n=math.nan) == "nan Anfragen haben keinen Vorschlag."
    # Ordinary format specs still work; a form may leave the count out.
    assert plural("{x:.2f} {n:sie/er nicht|niemand}", x=0.5, n=1) == "0.50 sie/er nicht"
    assert format_field(3, ">3") == "  3"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_only_exactly_one_is_singular(n: int) -> None:
    text = plural(TEMPLATE, n=n)
    assert text.startswith(f"{n} ")
    assert ("Anfrage hat" in text) == (n == 1)


def _rows(n: int) -> pd.DataFrame:
    reasons = [*REASON_TEXT["de"], "capacity"]
    frame = pd.DataFrame(
        {
            "request_id": [f"R{i}" for i in range(len(reasons))],
            "reason": reasons,
            "request_languages": "ti",
            "need_type": "school",
            "nearest_km": 23.1,
            "nearest_radius_km": 10.0,
            "household_volunteer_id": "V9",
            "best_volunteer_id": ["V1" if r == "competition" else "" for r in reasons],
            "best_score": 0.8,
            **{f"after_{s}": n for s in FUNNEL_STEPS},
        }
    )
    # "competition" is capacity with a named best volunteer.
    frame.loc[frame["reason"] == "competition", "reason"] = "capacity"
    return frame


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("n", [1, 13])
def test_reason_sentences_agree_in_both_renderers(lang: str, n: int) -> None:
    frame = _rows(n)
    rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    slow = [reason_text(r, lang) for r in rows]
    assert render_detail_column(frame, lang, "B1").tolist() == slow
    assert not any("{" in s or "|" in s or "#" in s for s in slow)


def test_german_singular_and_plural_sentences() -> None:
    one = " ".join(render_detail_column(_rows(1), "de", "B1").tolist())
    many = " ".join(render_detail_column(_rows(13), "de", "B1").tolist())
    assert "1 Lotsin/Lotse spricht Tigrinya, aber nicht im eigenen Umkreis" in one
    assert "1 Person käme in Frage" in one and "Die passende Person hat keine" in one
    assert "Lotsinnen" not in one and "kämen" not in one and "Personen" not in one
    assert "13 Lotsinnen/Lotsen sprechen Tigrinya, aber niemand davon im eigenen Umkreis" in many
    assert "13 Personen kämen in Frage" in many and "Die 13 passenden Personen haben" in many
    assert "Eignung 0,80" in one and "Score" not in one + many
    english = " ".join(render_detail_column(_rows(1), "en", "B1").tolist())
    assert "1 volunteer speaks Tigrinya, but not within" in english
    assert "The fitting volunteer has no free capacity." in english
