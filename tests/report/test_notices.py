"""The report's notices section: references to unknown ids are shown, in German and English."""

from __future__ import annotations

import datetime as dt

import lotsen_match as lm
from lotsen_match.report import render_report
from tests.id_tables import requests, volunteers
from tests.report_page import Page

CONFIG = lm.MatchConfig(as_of=dt.date(2026, 11, 2))


def _result_with_notices() -> lm.MatchResult:
    return lm.match(
        volunteers("V1", "<b>V2</b>"),
        requests(
            {"excluded_volunteers": "V7;V1"},
            {"excluded_volunteers": "V7", "previous_volunteer_id": "<i>V8</i>"},
        ),
        config=CONFIG,
    )


def test_notices_are_listed_with_file_row_column_and_id() -> None:
    result = _result_with_notices()
    assert len(result.notices) == 3
    for lang, heading, caption in (
        ("de", "Hinweise (3)", "Verweise auf unbekannte IDs"),
        ("en", "Notices (3)", "References to unknown ids"),
    ):
        html = render_report(result, lang=lang)
        page = Page(html)
        table = page.tables["t-notices"]
        assert table["caption"] == caption and heading in html
        assert [r[:4] for r in table["rows"]] == [
            ["anfragen.csv", "2", "excluded_volunteers", "V7"],
            ["anfragen.csv", "3", "excluded_volunteers", "V7"],
            ["anfragen.csv", "3", "previous_volunteer_id", "<i>V8</i>"],
        ]
        assert "<i>V8</i>" not in html  # escaped like every other cell
        assert 'href="#notices"' in html


def test_long_notice_lists_are_cut_with_a_note() -> None:
    html = render_report(_result_with_notices(), lang="en", max_rows=2)
    assert len(Page(html).tables["t-notices"]["rows"]) == 2
    assert "The first 2 of 3 notices; summary.json lists the ids." in html


def test_no_notices_no_section() -> None:
    result = lm.match(volunteers("V1"), requests({}), config=CONFIG)
    assert result.notices.empty and result.summary["notices"]["count"] == 0
    html = render_report(result)
    assert 'id="notices"' not in html and "t-notices" not in Page(html).tables
