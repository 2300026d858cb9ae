"""Supply gap and recruitment list: counts recomputed from the raw result tables, and the
recruitment list actually closes the gap when its recruits are added (what-if)."""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.analysis import (
    RECRUITABLE_REASONS,
    hypothetical_volunteers,
    recruitment_list,
    supply_gap,
    what_if,
)
from lotsen_match.core.vocab import LEVEL_CODE

AS_OF = pd.Timestamp("2026-11-02")


def _unmet_rows(result: lm.MatchResult) -> list[tuple[str, str, str, str, str]]:
    """(area, language, need, household key, reason) per recruitable unmatched request."""
    req = {r["request_id"]: r for r in result.requests.to_dict("records")}
    rows = []
    for u in result.unmatched.to_dict("records"):
        if u["reason"] not in RECRUITABLE_REASONS:
            continue
        r = req[u["request_id"]]
        first = r["languages"].split(";")[0].split(":")[0]
        hh = r["household_id"] or "own:" + r["request_id"]
        rows.append((r["place"], first, r["need_type"], hh, u["reason"]))
    return rows


def _speakers(result: lm.MatchResult) -> dict[tuple[str, str], list[dict[str, object]]]:
    """Available volunteers with capacity per (place, language at >= B1)."""
    out: dict[tuple[str, str], list[dict[str, object]]] = {}
    for v in result.volunteers.to_dict("records"):
        ok = v["capacity"] > 0 and pd.notna(v["certified_on"]) and v["certified_on"] <= AS_OF
        ok = ok and (pd.isna(v["available_from"]) or v["available_from"] <= AS_OF)
        ok = ok and (pd.isna(v["available_until"]) or v["available_until"] >= AS_OF)
        if not ok:
            continue
        for entry in v["languages"].split(";"):
            code, _, level = entry.partition(":")
            if LEVEL_CODE[level] >= LEVEL_CODE["B1"]:
                out.setdefault((v["place"], code), []).append(v)
    return out


def test_supply_gap_counts_match_the_unmatched_table(sample: lm.MatchResult) -> None:
    gap = supply_gap(sample)
    rows = _unmet_rows(sample)
    expected = Counter((a, lang, need) for a, lang, need, _, _ in rows)
    got = {
        (a, lang, n): c
        for a, lang, n, c in gap[["area", "language", "need_type", "unmet_requests"]].itertuples(
            index=False
        )
    }
    assert got == dict(expected)
    households = {k: set() for k in expected}  # type: dict[tuple[str, str, str], set[str]]
    reasons = {k: Counter() for k in expected}  # type: dict[tuple[str, str, str], Counter[str]]
    for a, lang, need, hh, reason in rows:
        households[(a, lang, need)].add(hh)
        reasons[(a, lang, need)][reason] += 1
    for rec in gap.to_dict("records"):
        key = (rec["area"], rec["language"], rec["need_type"])
        assert rec["unmet_households"] == len(households[key])
        mix = dict(item.split(":") for item in rec["reasons"].split(";"))
        assert {k: int(v) for k, v in mix.items()} == dict(reasons[key])
        counts = [int(v) for v in mix.values()]
        assert counts == sorted(counts, reverse=True)
    assert list(gap["unmet_requests"]) == sorted(gap["unmet_requests"], reverse=True)


def test_supply_gap_lists_the_speakers_already_there(sample: lm.MatchResult) -> None:
    gap = supply_gap(sample)
    speakers = _speakers(sample)
    usage_free = lm.analysis.volunteer_usage(sample).set_index("volunteer_id")["free_after"]
    for rec in gap.to_dict("records"):
        there = speakers.get((rec["area"], rec["language"]), [])
        assert rec["speakers"] == len(there)
        taking = [v for v in there if rec["need_type"] in str(v["need_types"]).split(";")]
        assert rec["speakers_taking_need"] == len(taking)
        assert rec["free_places"] == sum(int(usage_free[v["volunteer_id"]]) for v in taking)


def test_recruitment_list_sums_the_gap_over_need_types(sample: lm.MatchResult) -> None:
    gap = supply_gap(sample)
    recruits = recruitment_list(sample, places_per_volunteer=2)
    assert (
        recruits["unmet_requests"].sum() == gap["unmet_requests"].sum() == len(_unmet_rows(sample))
    )
    rows = _unmet_rows(sample)
    for rec in recruits.to_dict("records"):
        mine = [r for r in rows if (r[0], r[1]) == (rec["area"], rec["language"])]
        households = {r[3] for r in mine}
        assert rec["unmet_requests"] == len(mine)
        assert rec["unmet_households"] == len(households)
        assert rec["volunteers_needed"] == math.ceil(len(households) / 2)
        needs = Counter(r[2] for r in mine)
        assert set(rec["need_types"].split(";")) == set(needs)
        first = rec["need_types"].split(";")[0]
        assert needs[first] == max(needs.values())
    assert list(recruits["unmet_households"]) == sorted(recruits["unmet_households"], reverse=True)


def test_reasons_filter_and_unknown_reason(sample: lm.MatchResult) -> None:
    only_language = supply_gap(sample, reasons=["language"])
    n_language = int((sample.unmatched["reason"] == "language").sum())
    assert only_language["unmet_requests"].sum() == n_language
    assert set(only_language["reasons"].str.split(":").str[0]) <= {"language"}
    with pytest.raises(ValueError, match="unknown unmatched reasons"):
        supply_gap(sample, reasons=["weather"])


def test_grid_areas_when_there_is_no_place_column(sample: lm.MatchResult) -> None:
    gap = supply_gap(sample, area="grid", cell_km=10)
    assert gap["area"].str.fullmatch(r"\d+\.\d\dN \d+\.\d\dE").all()
    assert gap["unmet_requests"].sum() == len(_unmet_rows(sample))


def test_recruiting_the_list_serves_more_people(sample: lm.MatchResult) -> None:
    recruits = recruitment_list(sample).head(5)
    new = hypothetical_volunteers(recruits, as_of="2026-11-02")
    assert len(new) == recruits["volunteers_needed"].sum()
    scenario = what_if(sample, add_volunteers=new)
    assert scenario.served_change > 0
    gained = scenario.by_language.set_index("language")["change"]
    for lang in recruits["language"].unique():
        assert gained.get(lang, 0) > 0, lang
    # The recruits' own areas have fewer unmet requests afterwards.
    before = supply_gap(sample).groupby(["area", "language"])["unmet_requests"].sum()
    after = supply_gap(scenario.scenario).groupby(["area", "language"])["unmet_requests"].sum()
    for key in zip(recruits["area"], recruits["language"], strict=True):
        assert after.get(key, 0) < before[key]


def test_everything_served_gives_empty_tables() -> None:
    volunteers = pd.DataFrame(
        {
            "volunteer_id": ["V1"],
            "languages": ["ar:native;de:C1"],
            "lat": [52.15],
            "lon": [9.95],
            "need_types": ["school"],
            "capacity": [2],
            "certified_on": ["2025-01-01"],
        }
    )
    requests = pd.DataFrame(
        {
            "request_id": ["R1"],
            "languages": ["ar:native"],
            "lat": [52.16],
            "lon": [9.95],
            "need_type": ["school"],
            "created_on": ["2026-10-01"],
        }
    )
    result = lm.match(volunteers, requests, None, lm.MatchConfig(as_of="2026-11-02"))
    assert len(result.proposals) == 1
    gap = supply_gap(result)
    recruits = recruitment_list(result)
    assert gap.empty and list(gap.columns)[:3] == ["area", "language", "need_type"]
    assert recruits.empty and "volunteers_needed" in recruits.columns
