"""Admissible pairs and the funnel: one test per hard constraint, plus a brute-force reference."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match import _parallel
from lotsen_match.config import MatchConfig
from lotsen_match.core import candidates as cand_mod
from lotsen_match.core import geo, vocab
from lotsen_match.core.candidates import (
    FUNNEL_STEPS,
    Candidates,
    find_candidates,
    request_candidates_all_steps,
)
from lotsen_match.core.problem import MatchProblem, build_problem
from tests import clean_frames as cf

AS_OF = dt.date(2025, 3, 1)
CONFIG = MatchConfig(as_of=AS_OF)
BRAUNSCHWEIG = (52.2689, 10.5268)


def day(offset: int) -> str:
    return (AS_OF + dt.timedelta(days=offset)).isoformat()


def run(
    vols: pd.DataFrame,
    reqs: pd.DataFrame,
    assigns: pd.DataFrame | None = None,
    config: MatchConfig = CONFIG,
) -> tuple[MatchProblem, Candidates]:
    problem = build_problem(vols, reqs, assigns, config)
    return problem, find_candidates(problem, config)


def pairs(problem: MatchProblem, cand: Candidates) -> set[tuple[str, str]]:
    return {
        (problem.request_ids[r], problem.volunteer_ids[v])
        for r, v in zip(cand.req.tolist(), cand.vol.tolist(), strict=True)
    }


def funnel_of(problem: MatchProblem, cand: Candidates, request_id: str) -> list[int]:
    row = int(np.searchsorted(problem.request_ids, request_id))
    return [int(x) for x in cand.funnel[row]]


ARABIC = "ar:native;de:A2"
REQ = {"request_id": "r", "languages": ARABIC}


def vol(volunteer_id: str, **kw: Any) -> dict[str, Any]:
    return {"volunteer_id": volunteer_id, "languages": "ar:C1;de:native", **kw}


# --- geo --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        (cf.HANNOVER, BRAUNSCHWEIG, 55.3),  # city centres (Kröpcke - Burgplatz)
        ((52.5200, 13.4050), (53.5511, 9.9937), 255.3),  # Berlin - Hamburg
        ((51.5074, -0.1278), (48.8566, 2.3522), 343.6),  # London - Paris
    ],
)
def test_haversine_known_city_distances(
    a: tuple[float, float], b: tuple[float, float], km: float
) -> None:
    assert geo.haversine_km(a[0], a[1], b[0], b[1]) == pytest.approx(km, abs=0.5)
    assert geo.haversine_km(b[0], b[1], a[0], a[1]) == pytest.approx(km, abs=0.5)


def test_chord_radius_matches_unit_vector_distance() -> None:
    rng = np.random.default_rng(1)
    lat1, lon1 = rng.uniform(51, 54, 200), rng.uniform(6, 12, 200)
    lat2, lon2 = rng.uniform(51, 54, 200), rng.uniform(6, 12, 200)
    chord = np.linalg.norm(geo.unit_vectors(lat1, lon1) - geo.unit_vectors(lat2, lon2), axis=1)
    expected = geo.chord_for_km(geo.haversine_km(lat1, lon1, lat2, lon2))
    np.testing.assert_allclose(chord, expected, rtol=1e-12, atol=1e-15)
    assert geo.chord_for_km(1e9) == 2.0
    assert np.all(np.diff(geo.chord_for_km(np.linspace(0, 20_000, 50))) > 0)


# --- one test per funnel step ------------------------------------------------------------------


def test_language_step_needs_a_shared_language_at_min_level() -> None:
    vols = cf.volunteers(
        vol("ok"),
        vol("weak", languages="ar:A2;de:native"),  # below B1
        vol("other", languages="fa:native"),
    )
    problem, cand = run(vols, cf.requests(REQ))
    assert pairs(problem, cand) == {("r", "ok")}
    assert funnel_of(problem, cand, "r") == [1] * 9
    # German A2 on the request side is not enough either, but C1 is.
    reqs = cf.requests({"request_id": "r", "languages": "fa:native;de:C1"})
    problem, cand = run(vols, reqs)
    assert pairs(problem, cand) == {("r", "ok"), ("r", "weak"), ("r", "other")}
    assert funnel_of(problem, cand, "r") == [3] * 9
    # A lower minimum level admits the A2 speaker.
    low = CONFIG.model_copy(update={"min_language_level": "A2"})
    problem, cand = run(vols, cf.requests(REQ), config=low)
    assert pairs(problem, cand) == {("r", "ok"), ("r", "weak")}


def test_distance_step_uses_each_volunteers_radius() -> None:
    vols = cf.volunteers(
        vol("ok"),
        vol("far", lat=BRAUNSCHWEIG[0], lon=BRAUNSCHWEIG[1], max_distance_km=50.0),
        vol("far_ok", lat=BRAUNSCHWEIG[0], lon=BRAUNSCHWEIG[1], max_distance_km=60.0),
    )
    problem, cand = run(vols, cf.requests(REQ))
    assert pairs(problem, cand) == {("r", "ok"), ("r", "far_ok")}
    assert funnel_of(problem, cand, "r") == [3, 2, 2, 2, 2, 2, 2, 2, 2]
    km = dict(zip(problem.volunteer_ids[cand.vol], cand.km, strict=True))
    assert km["ok"] == 0.0
    assert km["far_ok"] == geo.haversine_km(*cf.HANNOVER, *BRAUNSCHWEIG)


def test_distance_step_is_exact_at_the_radius() -> None:
    """A radius equal to the haversine distance admits; the next smaller float does not."""
    lat, lon = 52.41, 9.83
    d = float(geo.haversine_km(lat, lon, *cf.HANNOVER))
    vols = cf.volunteers(
        vol("exact", lat=lat, lon=lon, max_distance_km=d),
        vol("short", lat=lat, lon=lon, max_distance_km=float(np.nextafter(d, 0.0))),
    )
    problem, cand = run(vols, cf.requests(REQ))
    assert pairs(problem, cand) == {("r", "exact")}
    assert cand.km.tolist() == [d]


def test_need_step() -> None:
    vols = cf.volunteers(vol("ok", need_types="everyday;school"), vol("no", need_types="school"))
    problem, cand = run(vols, cf.requests({**REQ, "need_type": "everyday"}))
    assert pairs(problem, cand) == {("r", "ok")}
    assert funnel_of(problem, cand, "r") == [2, 2, 1, 1, 1, 1, 1, 1, 1]


def test_time_step_empty_means_any_time() -> None:
    vols = cf.volunteers(
        vol("any"),
        vol("shared", availability="mon-am;tue-pm"),
        vol("no", availability="mon-am"),
    )
    problem, cand = run(vols, cf.requests({**REQ, "availability": "tue-pm;fri-eve"}))
    assert pairs(problem, cand) == {("r", "any"), ("r", "shared")}
    assert funnel_of(problem, cand, "r") == [3, 3, 3, 2, 2, 2, 2, 2, 2]
    problem, cand = run(vols, cf.requests(REQ))  # request "any time"
    assert len(pairs(problem, cand)) == 3


def test_minors_step_needs_police_check_valid_until_due_date() -> None:
    vols = cf.volunteers(
        vol("ok", police_check_until=day(60)),
        vol("expires_before_due", police_check_until=day(10)),
        vol("none"),
    )
    reqs = cf.requests(
        {**REQ, "involves_minors": True, "due_on": day(30)},
        {**REQ, "request_id": "r_nodue", "involves_minors": True},
        {**REQ, "request_id": "r_adults"},
    )
    problem, cand = run(vols, reqs)
    assert pairs(problem, cand) == {
        ("r", "ok"),
        ("r_nodue", "ok"),
        ("r_nodue", "expires_before_due"),  # no due date: valid today is enough
        ("r_adults", "ok"),
        ("r_adults", "expires_before_due"),
        ("r_adults", "none"),
    }
    assert funnel_of(problem, cand, "r") == [3, 3, 3, 3, 1, 1, 1, 1, 1]


def test_gender_step() -> None:
    vols = cf.volunteers(vol("f", gender="f"), vol("m", gender="m"), vol("unstated"))
    problem, cand = run(vols, cf.requests({**REQ, "preferred_gender": "f"}))
    assert pairs(problem, cand) == {("r", "f")}
    assert funnel_of(problem, cand, "r") == [3, 3, 3, 3, 3, 1, 1, 1, 1]


def test_exclusions_step_covers_excluded_and_declined() -> None:
    vols = cf.volunteers(vol("ok"), vol("excluded"), vol("declined"))
    reqs = cf.requests({**REQ, "excluded_volunteers": "excluded;unknown"})
    assigns = cf.assignments(("r", "declined", "declined"))
    problem, cand = run(vols, reqs, assigns)
    assert pairs(problem, cand) == {("r", "ok")}
    assert funnel_of(problem, cand, "r") == [3, 3, 3, 3, 3, 3, 1, 1, 1]


def test_active_step_needs_period_and_certification() -> None:
    vols = cf.volunteers(
        vol("ok", available_from=day(-5), available_until=day(0)),
        vol("uncertified", certified_on=None),
        vol("certified_later", certified_on=day(1)),
        vol("not_yet", available_from=day(1)),
        vol("ended", available_until=day(-1)),
    )
    problem, cand = run(vols, cf.requests(REQ))
    assert pairs(problem, cand) == {("r", "ok")}
    assert funnel_of(problem, cand, "r") == [5, 5, 5, 5, 5, 5, 5, 1, 1]
    lax = CONFIG.model_copy(update={"require_certification": False})
    problem, cand = run(vols, cf.requests(REQ), config=lax)
    assert pairs(problem, cand) == {("r", "ok"), ("r", "uncertified"), ("r", "certified_later")}


def test_capacity_step_counts_households_and_spares_their_own_volunteer() -> None:
    vols = cf.volunteers(
        vol("free", capacity=2),
        vol("full", capacity=1),
        vol("zero", capacity=0),
        vol("same_household", capacity=1),
    )
    reqs = cf.requests(
        {**REQ, "household_id": "h1"},
        {**REQ, "request_id": "r_sibling", "household_id": "h1"},
        {**REQ, "request_id": "r_other", "household_id": "h2"},
        {**REQ, "request_id": "r_other2", "household_id": "h2"},
    )
    assigns = cf.assignments(
        ("r_sibling", "same_household", "active"),
        ("r_other", "full", "active"),
        ("r_other2", "free", "active"),
    )
    problem, cand = run(vols, reqs, assigns)
    assert pairs(problem, cand) == {("r", "free"), ("r", "same_household")}
    assert funnel_of(problem, cand, "r") == [4, 4, 4, 4, 4, 4, 4, 4, 2]
    # Requests with an active assignment are not matched again and have no funnel.
    for done in ("r_sibling", "r_other", "r_other2"):
        assert funnel_of(problem, cand, done) == [0] * 9


def test_pair_sharing_two_languages_appears_once_with_the_best_language() -> None:
    vols = cf.volunteers(
        vol("both", languages="ar:B2;de:native"),
        vol("ar_only", languages="ar:native"),
    )
    reqs = cf.requests({"request_id": "r", "languages": "ar:native;de:C1"})
    problem, cand = run(vols, reqs)
    assert sorted(problem.volunteer_ids[cand.vol].tolist()) == ["ar_only", "both"]
    best = dict(
        zip(problem.volunteer_ids[cand.vol], np.asarray(problem.languages)[cand.lang], strict=True)
    )
    assert best == {"both": "de", "ar_only": "ar"}  # de: min(native, C1) beats ar: min(B2, native)
    assert cand.level.tolist() == [vocab.LEVEL_CODE["native"], vocab.LEVEL_CODE["C1"]]
    assert funnel_of(problem, cand, "r") == [2] * 9


def test_config_must_match_the_problem() -> None:
    problem = build_problem(cf.volunteers(vol("v")), cf.requests(REQ), None, CONFIG)
    with pytest.raises(ValueError, match="as_of"):
        find_candidates(problem, CONFIG.model_copy(update={"as_of": dt.date(2025, 3, 2)}))


def test_empty_inputs() -> None:
    _, cand = run(cf.volunteers(), cf.requests(REQ))
    assert cand.n_edges == 0 and cand.funnel.tolist() == [[0] * 9]
    _, cand = run(cf.volunteers(vol("v")), cf.requests())
    assert cand.n_edges == 0 and cand.funnel.shape == (0, 9)


def test_request_candidates_all_steps_explains_each_constraint() -> None:
    vols = cf.volunteers(
        vol("ok"),
        vol("far", lat=BRAUNSCHWEIG[0], lon=BRAUNSCHWEIG[1]),
        vol("m", gender="m", need_types="school"),
        vol("fa", languages="fa:native"),
    )
    problem = build_problem(vols, cf.requests({**REQ, "preferred_gender": "f"}), None, CONFIG)
    frame = request_candidates_all_steps(problem, CONFIG, 0)
    assert frame["volunteer_id"].tolist() == ["far", "m", "ok"]  # "fa" shares no language
    assert list(frame.columns[4:]) == [*FUNNEL_STEPS, "admissible"]
    by_id = frame.set_index("volunteer_id")
    assert not by_id.loc["far", "distance"] and by_id.loc["far", "need"]
    assert not by_id.loc["m", "need"] and not by_id.loc["m", "gender"]
    assert by_id["admissible"].tolist() == [False, False, False]  # "ok" has no gender either
    assert set(frame["shared_language"]) == {"ar"}


# --- invariants: brute-force reference, row order, blocking ---------------------------------------

LANGS = ("ar", "de", "uk")
LEVELS = ("A2", "B1", "C1", "native")
NEEDS = ("school", "health", "everyday")
SLOTS = ("mon-am", "tue-pm", "sat-eve")


@st.composite
def caseloads(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, MatchConfig]:
    """Small dense clean caseloads in which every constraint bites often."""

    def langs() -> str:
        codes = draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=3, unique=True))
        return ";".join(f"{c}:{draw(st.sampled_from(LEVELS))}" for c in codes)

    def subset(items: tuple[str, ...], min_size: int = 0) -> str:
        chosen = draw(st.lists(st.sampled_from(items), min_size=min_size, unique=True))
        return ";".join(sorted(chosen, key=items.index))

    def date(lo: int, hi: int) -> str | None:
        off = draw(st.one_of(st.none(), st.integers(lo, hi)))
        return None if off is None else day(off)

    n_v = draw(st.integers(0, 7))
    n_r = draw(st.integers(0, 8))
    vols = [
        {
            "volunteer_id": f"v{draw(st.integers(0, 99)):02d}x{i}",
            "languages": langs(),
            "lat": 52.37 + draw(st.floats(-0.05, 0.05)),
            "lon": 9.73 + draw(st.floats(-0.08, 0.08)),
            "max_distance_km": draw(st.sampled_from([2.0, 5.0, 10.0, 100.0])),
            "need_types": subset(NEEDS, 1),
            "availability": subset(SLOTS),
            "capacity": draw(st.integers(0, 2)),
            "gender": draw(st.sampled_from(["", "f", "m"])),
            "certified_on": draw(st.sampled_from([day(-100), None, day(0), day(2)])),
            "police_check_until": date(-5, 40),
            "available_from": draw(st.sampled_from([None, None, day(-3), day(3)])),
            "available_until": draw(st.sampled_from([None, None, day(0), day(-1)])),
        }
        for i in range(n_v)
    ]
    vids = [str(v["volunteer_id"]) for v in vols]
    any_vid = st.sampled_from([*vids, "unknown"]) if vids else st.just("unknown")
    reqs = [
        {
            "request_id": f"r{i}",
            "household_id": draw(st.sampled_from(["", "", "h1", "h2", "r0"])),
            "languages": langs(),
            "lat": 52.37 + draw(st.floats(-0.05, 0.05)),
            "lon": 9.73 + draw(st.floats(-0.08, 0.08)),
            "need_type": draw(st.sampled_from(NEEDS)),
            "availability": subset(SLOTS),
            "due_on": date(-3, 50),
            "involves_minors": draw(st.booleans()),
            "preferred_gender": draw(st.sampled_from(["", "", "f", "m"])),
            "excluded_volunteers": ";".join(sorted(set(draw(st.lists(any_vid, max_size=2))))),
        }
        for i in range(n_r)
    ]
    rids = [r["request_id"] for r in reqs]
    assigns: list[tuple[str, str, str]] = []
    if vids and rids:
        assigns = draw(
            st.lists(
                st.tuples(
                    st.sampled_from([*rids, "r_unknown"]),
                    any_vid,
                    st.sampled_from(vocab.ASSIGNMENT_STATUSES),
                ),
                max_size=4,
                unique_by=lambda a: (a[0], a[1]),
            )
        )
    config = CONFIG.model_copy(
        update={
            "min_language_level": draw(st.sampled_from(["B1", "A2", "native"])),
            "require_certification": draw(st.booleans()),
        }
    )
    vf = cf.volunteers(*vols) if vols else cf.volunteers()
    rf = cf.requests(*reqs) if reqs else cf.requests()
    return vf, rf, cf.assignments(*assigns), config


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2) - math.radians(lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def _rows(frame: pd.DataFrame) -> list[Any]:
    """Rows as plain objects with attribute access (no pandas typing in the reference)."""
    return [
        SimpleNamespace(**{str(k): v for k, v in row.items()}) for row in frame.to_dict("records")
    ]


def _date_or_none(value: Any) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def reference(
    vols: pd.DataFrame, reqs: pd.DataFrame, assigns: pd.DataFrame, config: MatchConfig
) -> tuple[set[tuple[str, str]], dict[str, list[int]]]:
    """SPEC rules 1-9 for every pair, in plain Python straight from the clean frames."""
    as_of, min_level = config.as_of, vocab.LEVEL_CODE[config.rules.min_language_level]

    def levels(text: str) -> dict[str, int]:
        return {e.split(":")[0]: vocab.LEVEL_CODE[e.split(":")[1]] for e in text.split(";")}

    def household(r: Any) -> tuple[str, str]:
        return ("h", r.household_id) if r.household_id else ("own", r.request_id)

    known_r = set(reqs["request_id"])
    known_v = set(vols["volunteer_id"])
    rows = [a for a in _rows(assigns) if a.request_id in known_r and a.volunteer_id in known_v]
    hh_of = {r.request_id: household(r) for r in _rows(reqs)}
    active = {(a.request_id, a.volunteer_id) for a in rows if a.status == "active"}
    declined = {(a.request_id, a.volunteer_id) for a in rows if a.status == "declined"}
    active_hh = {(hh_of[r], v) for r, v in active}
    load = {v: sum(1 for _, w in active_hh if w == v) for v in known_v}

    edges: set[tuple[str, str]] = set()
    funnel: dict[str, list[int]] = {}
    for r in _rows(reqs):
        counts = [0] * 9
        funnel[r.request_id] = counts
        if any(rid == r.request_id for rid, _ in active):
            continue
        r_lang = levels(r.languages)
        r_slots = set(filter(None, r.availability.split(";")))
        due = _date_or_none(r.due_on)
        for v in _rows(vols):
            v_lang = levels(v.languages)
            v_slots = set(filter(None, v.availability.split(";")))
            police = _date_or_none(v.police_check_until)
            cert = _date_or_none(v.certified_on)
            start, end = _date_or_none(v.available_from), _date_or_none(v.available_until)
            checks = [
                any(lv >= min_level and v_lang.get(c, 0) >= min_level for c, lv in r_lang.items()),
                _haversine(v.lat, v.lon, r.lat, r.lon) <= v.max_distance_km,
                r.need_type in v.need_types.split(";"),
                not r_slots or not v_slots or bool(r_slots & v_slots),
                not r.involves_minors
                or (police is not None and police >= max(as_of, due or as_of)),
                not r.preferred_gender or r.preferred_gender == v.gender,
                v.volunteer_id not in r.excluded_volunteers.split(";")
                and (r.request_id, v.volunteer_id) not in declined,
                (start is None or start <= as_of)
                and (end is None or end >= as_of)
                and (
                    not config.rules.require_certification or (cert is not None and cert <= as_of)
                ),
                v.capacity - load[v.volunteer_id] > 0
                or (hh_of[r.request_id], v.volunteer_id) in active_hh,
            ]
            for step in range(9):
                if not all(checks[: step + 1]):
                    break
                counts[step] += 1
            if all(checks):
                edges.add((r.request_id, v.volunteer_id))
    return edges, funnel


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caseloads())
def test_find_candidates_equals_brute_force_reference(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, MatchConfig],
) -> None:
    vols, reqs, assigns, config = case
    problem, cand = run(vols, reqs, assigns, config)
    expected_edges, expected_funnel = reference(vols, reqs, assigns, config)
    assert pairs(problem, cand) == expected_edges
    for rid, counts in expected_funnel.items():
        assert funnel_of(problem, cand, rid) == counts, rid
    # Edges sorted by (req, vol), each pair once, distances exact.
    keys = cand.req.astype(np.int64) * max(problem.n_volunteers, 1) + cand.vol
    assert np.all(np.diff(keys) > 0)
    np.testing.assert_array_equal(
        cand.km,
        geo.haversine_km(
            problem.v_lat[cand.vol], problem.v_lon[cand.vol],
            problem.r_lat[cand.req], problem.r_lon[cand.req],
        ),
    )  # fmt: skip
    # The per-request explanation agrees with the funnel of every open request.
    for i in np.flatnonzero(~problem.r_is_active)[:3]:
        frame = request_candidates_all_steps(problem, config, int(i))
        steps = frame[list(FUNNEL_STEPS)].to_numpy()
        assert np.cumprod(steps, axis=1).sum(axis=0).tolist() == cand.funnel[i].tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caseloads(), st.integers(0, 2**32 - 1))
def test_checks_narrowed_to_alive_edges_agree_where_alive(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, MatchConfig], seed: int
) -> None:
    """The filter passes its running mask to the checks, which skip their lookups for edges
    already out: on every edge still alive they must give the full evaluation's answer."""
    vols, reqs, assigns, config = case
    problem = build_problem(vols, reqs, assigns, config)
    t = cand_mod._prepare(problem)
    req, vol_ = np.divmod(
        np.arange(problem.n_requests * problem.n_volunteers), problem.n_volunteers
    )
    edges = cand_mod._Edges.gather(t, req, vol_)
    rng = np.random.default_rng(seed)
    for _, check in cand_mod._PAIR_STEPS:
        full = check(problem, t, edges, None)
        for alive in (rng.random(req.size) < 0.5, full.copy(), np.ones(req.size, dtype=np.bool_)):
            narrowed = check(problem, t, edges, alive)
            np.testing.assert_array_equal(narrowed[alive], full[alive])


def assert_same(a: Candidates, b: Candidates) -> None:
    for name in ("req", "vol", "km", "lang", "level", "funnel"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


@settings(max_examples=30, deadline=None)
@given(caseloads(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, MatchConfig], rnd: Any
) -> None:
    vols, reqs, assigns, config = case

    def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
        order = list(range(len(frame)))
        rnd.shuffle(order)
        return frame.iloc[order].reset_index(drop=True)

    _, a = run(vols, reqs, assigns, config)
    _, b = run(shuffled(vols), shuffled(reqs), shuffled(assigns), config)
    assert_same(a, b)


def test_blocking_and_chunking_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    vols = cf.volunteers(
        *(
            vol(
                f"v{i}",
                languages=rng.choice(["ar:C1;de:native", "de:native", "ar:native;uk:B2"]),
                lat=52.37 + rng.normal(0, 0.03),
                lon=9.73 + rng.normal(0, 0.05),
                need_types=rng.choice(["everyday", "everyday;school", "school"]),
            )
            for i in range(60)
        )
    )
    reqs = cf.requests(
        *(
            {
                "request_id": f"r{i}",
                "languages": rng.choice(["ar:native;de:B1", "ar:native", "uk:native;de:B2"]),
                "lat": 52.37 + rng.normal(0, 0.03),
                "lon": 9.73 + rng.normal(0, 0.05),
            }
            for i in range(80)
        )
    )
    problem, reference_run = run(vols, reqs)
    assert reference_run.n_edges > 500
    monkeypatch.setattr(cand_mod, "_BLOCK", 7)
    monkeypatch.setattr(cand_mod, "_QUERY_CHUNK", 3)
    _, small = run(vols, reqs)
    assert_same(reference_run, small)
    # Many small tasks spread over threads in whatever order they finish: same result.
    for threads in (1, 3):
        assert_same(reference_run, find_candidates(problem, CONFIG, threads=threads))


def test_threads_run_every_task_once_and_reraise_errors() -> None:
    seen: list[tuple[int, int]] = []
    _parallel.for_each_in_threads(50, lambda task, thread: seen.append((task, thread)), 3)
    assert sorted(task for task, _ in seen) == list(range(50))
    assert {thread for _, thread in seen} <= {0, 1, 2}

    def fail(task: int, thread: int) -> None:
        if task == 7:
            raise KeyError("task 7")

    with pytest.raises(KeyError, match="task 7"):
        _parallel.for_each_in_threads(20, fail, 2)
    assert 1 <= _parallel.worker_count() <= 4


def test_candidates_are_read_only() -> None:
    _, cand = run(cf.volunteers(vol("v")), cf.requests(REQ))
    with pytest.raises(ValueError, match="read-only"):
        cand.req[0] = 1
