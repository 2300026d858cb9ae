"""match() end to end on hand-made caseloads: reasons, households, assignments, explanations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lotsen_match import InputValidationError, MatchConfig, MatchResult, match

AS_OF = dt.date(2026, 11, 2)
CONFIG = MatchConfig(as_of=AS_OF)
ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"

# Hildesheim centre; 0.01 deg latitude ~ 1.1 km.
LAT, LON = 52.15, 9.95


def vol(vid: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "volunteer_id": vid,
        "languages": "de:native;ar:C1",
        "lat": LAT,
        "lon": LON,
        "max_distance_km": 10.0,
        "need_types": "school;authority;health",
        "availability": "",
        "capacity": 1,
        "gender": "f",
        "certified_on": "2024-01-01",
        "modules": "law;intercultural",
        "police_check_until": "2027-12-31",
    }
    row.update(over)
    return row


def req(rid: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "request_id": rid,
        "household_id": None,
        "languages": "ar:native",
        "lat": LAT + 0.01,
        "lon": LON,
        "need_type": "authority",
        "availability": "",
        "created_on": "2026-10-01",
        "due_on": None,
        "involves_minors": False,
        "preferred_gender": None,
        "excluded_volunteers": None,
        "previous_volunteer_id": None,
    }
    row.update(over)
    return row


def run(
    vols: list[dict[str, Any]],
    reqs: list[dict[str, Any]],
    assigns: list[dict[str, Any]] | None = None,
    **config: Any,
) -> MatchResult:
    a = pd.DataFrame(assigns or [], columns=["request_id", "volunteer_id", "status"])
    return match(pd.DataFrame(vols), pd.DataFrame(reqs), a, CONFIG.model_copy(update=config))


def pairs(result: MatchResult) -> set[tuple[str, str]]:
    p = result.proposals
    return set(zip(p["request_id"], p["volunteer_id"], strict=True))


def reason(result: MatchResult, rid: str) -> str:
    u = result.unmatched.set_index("request_id")
    return str(u.loc[rid, "reason"])


def test_scarce_language_is_not_spent_where_others_could_serve() -> None:
    # V1 speaks Tigrinya and Arabic and lives right next to R1 (Arabic); V2 speaks Arabic only.
    # Greedy gives V1 to R1 (best score) and leaves R2 (Tigrinya) alone; the optimum serves both.
    vols = [
        vol("V1", languages="de:native;ti:native;ar:native", lat=LAT + 0.01),
        vol("V2", languages="de:native;ar:B2", lat=LAT - 0.02),
    ]
    reqs = [req("R1"), req("R2", languages="ti:native", lat=LAT + 0.005)]
    best = run(vols, reqs)
    greedy = run(vols, reqs, solver="greedy")
    assert pairs(best) == {("R1", "V2"), ("R2", "V1")}
    assert len(greedy.proposals) == 1
    assert best.optimal and not greedy.optimal
    assert best.summary["solver"]["backend"] == "flow"


@pytest.mark.parametrize(
    ("volunteer", "help_request", "expected"),
    [
        ({"languages": "de:native;ru:C1"}, {}, "language"),
        ({"languages": "de:native;ar:A2"}, {}, "language"),
        ({"max_distance_km": 0.5}, {}, "distance"),
        ({"need_types": "school"}, {}, "need"),
        ({"availability": "mon-am"}, {"availability": "tue-eve"}, "time"),
        (
            {"police_check_until": "2026-11-10"},
            {"involves_minors": True, "due_on": "2026-11-20"},
            "minors",
        ),
        ({"police_check_until": None}, {"involves_minors": True}, "minors"),
        ({"gender": "m"}, {"preferred_gender": "f"}, "gender"),
        ({}, {"excluded_volunteers": "V1"}, "exclusions"),
        ({"certified_on": None}, {}, "active"),
        ({"available_until": "2026-10-31"}, {}, "active"),
        ({"certified_on": "2026-12-01"}, {}, "active"),
        ({"capacity": 0}, {}, "capacity"),
    ],
)
def test_each_hard_constraint_is_the_reason(
    volunteer: dict[str, Any], help_request: dict[str, Any], expected: str
) -> None:
    result = run([vol("V1", **volunteer)], [req("R1", **help_request)])
    assert result.proposals.empty
    assert reason(result, "R1") == expected
    row = result.unmatched.iloc[0]
    steps = list(result.funnel_steps)
    # The funnel is 1 up to the failing step and 0 from there on.
    for i, step in enumerate(steps):
        assert row[f"after_{step}"] == (1 if i < steps.index(expected) else 0)


def test_passing_pair_is_proposed_with_components() -> None:
    result = run([vol("V1")], [req("R1")])
    p = result.proposals.iloc[0]
    assert (p["request_id"], p["volunteer_id"], p["status"]) == ("R1", "V1", "proposed")
    assert p["shared_language"] == "ar"
    assert p["distance_km"] == pytest.approx(1.112, abs=0.01)
    for c in result.components:
        assert 0.0 <= p[c] <= 1.0
    assert 0 < p["score"] <= 1
    assert result.unmatched.empty


def test_declined_pair_is_never_proposed_again() -> None:
    result = run(
        [vol("V1")], [req("R1")], [{"request_id": "R1", "volunteer_id": "V1", "status": "declined"}]
    )
    assert result.proposals.empty
    assert reason(result, "R1") == "exclusions"


def test_competition_for_capacity_names_the_best_volunteer() -> None:
    # One volunteer, two single-request households: the one with the due date wins.
    result = run([vol("V1")], [req("R1"), req("R2", due_on="2026-11-04")])
    assert pairs(result) == {("R2", "V1")}
    u = result.unmatched.set_index("request_id").loc["R1"]
    assert u["reason"] == "capacity"
    assert u["best_volunteer_id"] == "V1"
    assert "V1" in result.explain("R1", lang="en").text


def test_household_goes_to_one_volunteer_and_counts_once() -> None:
    reqs = [
        req("R1", household_id="H1"),
        req("R2", household_id="H1", need_type="school"),
        req("R3"),
    ]
    result = run([vol("V1", capacity=1), vol("V2", capacity=0)], reqs)
    # The household brings two served requests; the single request R3 loses the only slot.
    assert pairs(result) == {("R1", "V1"), ("R2", "V1")}
    assert reason(result, "R3") == "capacity"
    assert set(result.proposals["household_id"]) == {"H1"}
    assert result.proposals["volunteer_load"].tolist() == [1.0, 1.0]


def test_household_member_the_volunteer_cannot_take_stays_unmatched() -> None:
    reqs = [
        req("R1", household_id="H1"),
        req("R2", household_id="H1"),
        req("R3", household_id="H1", need_type="housing"),
    ]
    vols = [vol("V1", capacity=1), vol("V2", capacity=1, need_types="housing", lat=LAT + 0.05)]
    result = run(vols, reqs)
    # Two requests with V1 beat one with V2; R3 stays open because its family has V1.
    assert pairs(result) == {("R1", "V1"), ("R2", "V1")}
    assert reason(result, "R3") == "household"
    assert result.unmatched.iloc[0]["household_volunteer_id"] == "V1"


def test_active_assignment_is_fixed_uses_capacity_and_serves_its_household() -> None:
    reqs = [req("R1", household_id="H1"), req("R2", household_id="H1"), req("R3")]
    vols = [vol("V1", capacity=1), vol("V2", capacity=1, lat=LAT + 0.2)]
    result = run(vols, reqs, [{"request_id": "R1", "volunteer_id": "V1", "status": "active"}])
    # R1 is active (not matched again); R2 joins V1 without capacity; R3 finds V1 full.
    assert "R1" not in set(result.proposals["request_id"]) | set(result.unmatched["request_id"])
    assert pairs(result) == {("R2", "V1")}
    assert reason(result, "R3") == "capacity"
    assert result.summary["counts"]["requests_active"] == 1
    assert result.explain("R1", lang="en").status == "active"


def test_previous_proposal_is_kept_when_nothing_clearly_better() -> None:
    vols = [vol("V1"), vol("V2")]
    reqs = [req("R1")]
    first = run(vols, reqs)
    (r, v) = next(iter(pairs(first)))
    other = "V2" if v == "V1" else "V1"
    again = run(vols, reqs, [{"request_id": r, "volunteer_id": other, "status": "proposed"}])
    # Equal volunteers: the stability bonus keeps yesterday's proposal.
    assert pairs(again) == {(r, other)}
    assert again.proposals.iloc[0]["status"] == "kept"


def test_max_served_serves_more_than_pure_quality() -> None:
    # One slot: a far household of two weak requests (quality ~0.22 each) against one strong
    # request (~0.65: continuity, due tomorrow). Serving people first takes the household;
    # pure quality takes the strong request.
    vols = [vol("V1", capacity=1, modules="law")]
    reqs = [
        req("R1", household_id="H1", languages="ar:B1", lat=LAT + 0.08),
        req("R2", household_id="H1", languages="ar:B1", lat=LAT + 0.08),
        req("R3", previous_volunteer_id="V1", due_on="2026-11-03"),
    ]
    served_first = run(vols, reqs)
    pure = run(vols, reqs, objective="quality")
    assert pairs(served_first) == {("R1", "V1"), ("R2", "V1")}
    assert pairs(pure) == {("R3", "V1")}
    assert served_first.summary["solver"]["objective_kind"] == "max_served"
    assert pure.summary["quality_total"] > served_first.summary["quality_total"]


def test_cpsat_backend_gives_the_same_objective() -> None:
    vols = [vol(f"V{i}", lat=LAT + 0.01 * i, capacity=1 + i % 2) for i in range(4)]
    reqs = [
        req(f"R{j}", lat=LAT + 0.007 * j, due_on=None if j % 2 else "2026-11-10") for j in range(8)
    ]
    flow = run(vols, reqs)
    cpsat = run(vols, reqs, solver="cpsat")
    assert cpsat.optimal
    assert flow.summary["solver"]["objective"] == cpsat.summary["solver"]["objective"]


def test_explanations_in_german_and_english() -> None:
    vols = [vol("V1"), vol("V2", lat=LAT + 0.03)]
    reqs = [req("R1"), req("R2", languages="ti:native")]
    result = run(vols, reqs)
    de = result.explain("R1")
    assert de.status == "proposed" and de.proposal is not None
    assert "Vorschlag" in de.text and "Alternativen" in de.text
    assert list(de.alternatives["volunteer_id"]) == [
        "V2" if de.proposal["volunteer_id"] == "V1" else "V1"
    ]
    un = result.explain("R2")
    assert un.status == "unmatched" and un.funnel is not None and un.funnel["language"] == 0
    assert "Tigrinya" in un.text
    assert "No volunteer speaks Tigrinya" in result.explain("R2", lang="en").text
    assert result.explain("nope").status == "unknown"


def test_distance_reason_names_the_nearest_speaker() -> None:
    result = run([vol("V1", lat=LAT + 0.3, max_distance_km=5)], [req("R1")], report_language="en")
    u = result.unmatched.iloc[0]
    assert u["reason"] == "distance"
    assert u["nearest_km"] == pytest.approx(32.2, abs=0.5)
    assert "nearest is 32" in u["detail"]


def test_strict_raises_with_every_problem_and_lenient_rejects() -> None:
    vols = [vol("V1"), vol("V2", languages="xx:native"), vol("V3", lat=95)]
    reqs = [req("R1"), req("R2", need_type="party")]
    with pytest.raises(InputValidationError) as err:
        run(vols, reqs)
    assert len(err.value.problems) >= 3
    lenient = run(vols, reqs, strict=False)
    assert set(lenient.rejected["id"]) == {"V2", "V3", "R2"}
    c = lenient.summary["counts"]
    assert c["volunteers_accepted"] + c["requests_accepted"] + c["rejected_rows"] == 5
    assert pairs(lenient) == {("R1", "V1")}


def test_summary_has_counts_solver_timings_and_fingerprints() -> None:
    result = run([vol("V1")], [req("R1"), req("R2", languages="so:native")])
    s = result.summary
    assert s["counts"]["requests_open"] == 2 and s["counts"]["proposals"] == 1
    assert s["counts"]["unmatched_by_reason"] == {"language": 1}
    assert s["solver"]["optimal"] is True and s["solver"]["status"] == "optimal"
    assert {"validate", "candidates", "score", "solve", "explain"} <= set(s["timings_s"])
    assert len(s["fingerprints"]["requests"]) == 64
    assert s["config"]["as_of"] == "2026-11-02"


def test_german_export_xlsx_and_spec_twin_give_identical_results() -> None:
    config = MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    german = match(
        SAMPLES / "ehrenamt_lotsen.csv",
        SAMPLES / "anfragen.csv",
        SAMPLES / "zuordnungen.csv",
        config,
    )
    plain = MatchConfig(as_of=config.as_of)
    spec = match(
        SAMPLES / "spec" / "volunteers.csv",
        SAMPLES / "spec" / "requests.csv",
        SAMPLES / "spec" / "assignments.csv",
        plain,
    )
    xlsx = SAMPLES / "caseload.xlsx"
    excel = match(xlsx, xlsx, xlsx, plain)
    assert german.optimal and len(german.proposals) > 50
    pd.testing.assert_frame_equal(german.proposals, spec.proposals)
    pd.testing.assert_frame_equal(german.proposals, excel.proposals)
    pd.testing.assert_frame_equal(german.unmatched, spec.unmatched)
    assert german.summary["solver"]["objective"] == excel.summary["solver"]["objective"]


# --- fast paths agree with their plain references ------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_vectorised_sentences_equal_the_row_by_row_renderer(lang: str) -> None:
    from lotsen_match.generate import generate_caseload
    from lotsen_match.results.explain import render_detail_column, render_details

    case = generate_caseload(150, 800, seed=1, as_of=AS_OF)
    result = match(case.volunteers, case.requests, case.assignments, CONFIG)
    frame = result.unmatched.copy()
    # Cover what a generated run rarely shows: the quality reason, competition without a named
    # volunteer, no speaker anywhere, and a missing best score.
    n = len(frame)
    frame.loc[frame.index[: n // 10], "reason"] = "quality"
    distance = frame.index[frame["reason"] == "distance"]
    frame.loc[distance[:3], "nearest_km"] = float("inf")
    frame.loc[distance[3:6], "nearest_km"] = float("nan")
    competition = frame.index[frame["best_volunteer_id"] != ""]
    frame.loc[competition[:2], "best_score"] = float("nan")
    assert {"distance", "need", "capacity", "language", "quality"} <= set(frame["reason"])
    assert len(competition) > 2
    for level in ("B1", "C1"):
        fast = render_detail_column(frame, lang, level)
        assert fast.tolist() == render_details(frame, lang, level)
    assert result.unmatched["detail"].tolist() == render_details(
        result.unmatched, "de", CONFIG.rules.min_language_level
    )


@pytest.mark.parametrize("block", [1 << 20, 7])
def test_ranked_edges_equal_a_full_sort(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from lotsen_match.core.assignment import SCALE
    from lotsen_match.results import tables
    from lotsen_match.results.tables import RankedEdges

    monkeypatch.setattr(tables, "_PACK_BLOCK", block)  # keys packed in one or many blocks

    rng = np.random.default_rng(3)
    req = np.sort(rng.integers(0, 50, 2000)).astype(np.int32)
    vol = rng.integers(0, 40, 2000).astype(np.int32)
    key = np.unique(req.astype(np.int64) * 40 + vol)  # (req, vol) order, unique pairs
    req, vol = (key // 40).astype(np.int32), (key % 40).astype(np.int32)
    q = rng.choice([0.25, 0.5, 0.75, 1.0], size=req.size)  # many ties

    class Cand:
        n_edges = req.size

    Cand.req, Cand.vol = req, vol  # type: ignore[attr-defined]
    first = np.flatnonzero(np.r_[True, req[1:] != req[:-1]])
    selected = np.zeros(req.size, dtype=bool)
    selected[first[::3] + 1] = True  # at most one selected edge per request (its second)
    assert np.array_equal(req[first[::3] + 1], req[first[::3]])
    ranked = RankedEdges.build(Cand, q, 3)  # type: ignore[arg-type]
    idx, rank = ranked.without(selected, 2)
    # Reference: stable sort of the unselected edges by (request, -quality), top 2 each.
    keep = np.flatnonzero(~selected)
    order = keep[np.lexsort((keep, SCALE - np.rint(q[keep] * SCALE), req[keep]))]
    expected = [e for r in np.unique(req[order]) for e in order[req[order] == r][:2]]
    assert idx.tolist() == expected
    assert set(rank.tolist()) == {1, 2}


def test_no_volunteers_or_no_requests_still_gives_a_complete_result() -> None:
    nobody = pd.DataFrame([vol("V1")]).iloc[:0]
    result = match(nobody, pd.DataFrame([req("R1"), req("R2")]), None, CONFIG)
    assert result.proposals.empty and result.optimal
    assert list(result.unmatched["reason"]) == ["language", "language"]
    quiet = match(pd.DataFrame([vol("V1")]), pd.DataFrame([req("R1")]).iloc[:0], None, CONFIG)
    assert quiet.proposals.empty and quiet.unmatched.empty
    assert quiet.summary["counts"]["requests_open"] == 0
