"""Greedy vs optimal on the same caseload: totals, per-language and per-area differences."""

from __future__ import annotations

import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.analysis import greedy_gap
from lotsen_match.ingest.places import places_within
from tests.sample_run import match_sample


@pytest.fixture(scope="module")
def generated() -> tuple[lm.Caseload, lm.MatchConfig]:
    places = places_within(52.37, 9.73, 30)  # around Hannover
    cl = lm.generate_caseload(150, 700, seed=11, places=places)
    return cl, lm.MatchConfig(as_of="2026-11-02")


def _served_by_first_language(result: lm.MatchResult) -> pd.Series:
    req = result.requests.set_index("request_id")
    first = req.loc[result.proposals["request_id"], "languages"].str.split(":").str[0]
    return first.value_counts()


def test_exact_serves_at_least_as_many_and_the_split_adds_up(
    generated: tuple[lm.Caseload, lm.MatchConfig],
) -> None:
    cl, cfg = generated
    optimal = lm.match(cl.volunteers, cl.requests, cl.assignments, cfg)
    gap = greedy_gap(optimal)
    greedy = lm.match(
        cl.volunteers, cl.requests, cl.assignments, cfg.model_copy(update={"solver": "greedy"})
    )
    pd.testing.assert_frame_equal(gap.greedy.proposals, greedy.proposals)
    assert gap.optimal is optimal
    assert gap.extra_served == len(optimal.proposals) - len(greedy.proposals)
    assert gap.extra_served >= 0
    row = gap.comparison.set_index("metric")
    assert row.at["served", "difference"] == gap.extra_served
    assert row.at["served", "greedy"] == len(greedy.proposals)
    for table in (gap.by_language, gap.by_area):
        assert table["served_optimal"].sum() == len(optimal.proposals)
        assert table["served_greedy"].sum() == len(greedy.proposals)
        assert table["extra_served"].sum() == gap.extra_served
        assert list(table["extra_served"]) == sorted(table["extra_served"], reverse=True)
    by_lang = gap.by_language.set_index("language")
    opt = _served_by_first_language(optimal)
    gr = _served_by_first_language(greedy)
    for lang, row_ in by_lang.iterrows():
        assert row_["served_optimal"] == opt.get(lang, 0)
        assert row_["served_greedy"] == gr.get(lang, 0)


def test_a_greedy_result_is_compared_with_the_exact_solver() -> None:
    greedy = match_sample(solver="greedy")
    gap = greedy_gap(greedy)
    assert gap.greedy is greedy
    assert gap.optimal.summary["solver"]["backend"] == "flow" and gap.optimal.optimal
    assert gap.extra_served == len(gap.optimal.proposals) - len(greedy.proposals) >= 0
