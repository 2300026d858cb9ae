"""Score components (one formula each, on hand-computed values) and the weighted quality."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lotsen_match.config import MatchConfig, ScoreWeights
from lotsen_match.core import scoring, vocab
from lotsen_match.core.candidates import Candidates, find_candidates
from lotsen_match.core.problem import MISSING_DAY, MatchProblem, build_problem
from lotsen_match.core.scoring import (
    COMPONENTS,
    continuity_component,
    distance_component,
    language_component,
    modules_component,
    quality,
    score_components,
    stability_component,
    time_component,
    urgency_component,
)
from tests import clean_frames as cf

AS_OF = dt.date(2025, 3, 1)
CONFIG = MatchConfig(as_of=AS_OF)
LV = vocab.LEVEL_CODE
B = vocab.SLOT_BIT


def test_components_follow_the_weights_order() -> None:
    assert tuple(ScoreWeights().pair_weights()) == COMPONENTS


def test_language_component() -> None:
    level = [LV["B1"], LV["C1"], LV["native"], LV["native"]]
    first_native = [False, False, False, True]
    # q = (level - B1) / (native - B1) = 0, 0.5, 1, 1
    np.testing.assert_allclose(
        language_component(level, first_native, LV["B1"]), [0.0, 0.35, 0.7, 1.0]
    )
    assert language_component([LV["native"]], [True], LV["native"]).tolist() == [1.0]


def test_distance_component_halves_every_half_distance() -> None:
    np.testing.assert_allclose(
        distance_component([0.0, 5.0, 10.0, 2.5], 5.0), [1, 0.5, 0.25, 2**-0.5]
    )


def test_time_component_is_the_covered_share_of_the_request_slots() -> None:
    v = [B["mon-am"] | B["tue-am"], vocab.ALL_SLOTS, B["mon-am"], B["sun-eve"]]
    r = [B["mon-am"] | B["wed-pm"], B["mon-am"], vocab.ALL_SLOTS, B["sun-eve"]]
    assert time_component(v, r).tolist() == [0.5, 1.0, 1.0, 1.0]


def test_modules_component_counts_relevant_modules_only() -> None:
    mb = vocab.MODULE_BIT
    need = vocab.NEED_CODE
    v = [mb["media"], 0, mb["integration"] | mb["media"], mb["law"] | mb["integration"]]
    n = [need["digital"], need["digital"], need["school"], need["authority"]]
    assert modules_component(v, n).tolist() == [1.0, 0.0, 0.5, 1.0]


def test_continuity_component() -> None:
    assert continuity_component([3, -1, 2], [3, 0, 1]).tolist() == [1.0, 0.0, 0.0]


def test_urgency_component() -> None:
    as_of = 20_000
    created = [as_of - 45, as_of - 200, as_of - 9, as_of + 5, as_of, as_of]
    due = [MISSING_DAY, MISSING_DAY, as_of + 7, MISSING_DAY, as_of - 3, as_of + 40]
    got = urgency_component(created, due, as_of, waiting_full_days=90, horizon_days=28)
    # waiting 0.5 | capped at 1 | max(0.1, 1 - 7/28) | created in the future: 0 | past due: 1
    # | due beyond the horizon: 0
    np.testing.assert_allclose(got, [0.5, 1.0, 0.75, 0.0, 1.0, 0.0])


def test_stability_component() -> None:
    assert stability_component([5, 7, 9], [9, 1, 5]).tolist() == [1.0, 0.0, 1.0]
    assert stability_component([5], []).tolist() == [0.0]


def _caseload() -> tuple[MatchProblem, Candidates]:
    vols = cf.volunteers(
        {
            "volunteer_id": "v1",
            "languages": "ar:native;de:native",
            "availability": "mon-am;tue-pm",
            "modules": "law",
        },
        {
            "volunteer_id": "v2",
            "languages": "ar:C1;de:native",
            "lat": 52.40,
            "lon": 9.75,
            "modules": "law;integration",
        },
    )
    reqs = cf.requests(
        {
            "request_id": "r1",
            "languages": "ar:native;de:A2",
            "need_type": "authority",
            "availability": "mon-am;wed-pm",
            "created_on": "2025-01-15",  # 45 days before as_of
            "previous_volunteer_id": "v2",
        },
    )
    assigns = cf.assignments(("r1", "v1", "proposed"))
    problem = build_problem(vols, reqs, assigns, CONFIG)
    return problem, find_candidates(problem, CONFIG)


def test_score_components_on_a_small_caseload() -> None:
    problem, cand = _caseload()
    comps = score_components(problem, cand, CONFIG)
    assert comps.shape == (2, len(COMPONENTS))
    assert comps.dtype == scoring.COMPONENT_DTYPE
    assert comps[:, 0].flags.c_contiguous  # column-major: one contiguous column per component
    km = float(cand.km[1])
    expected = np.array(
        [
            # v1: native ar (q = 1, first language native), at the door, 1 of 2 request slots,
            # law but not integration, not the previous volunteer, waiting 45/90, proposed.
            [1.0, 1.0, 0.5, 0.5, 0.0, 0.5, 1.0],
            # v2: ar C1 (q = 0.5), 0.5 ** (km / 5), any time, both modules, previous volunteer.
            [0.35, 0.5 ** (km / 5.0), 1.0, 1.0, 1.0, 0.5, 0.0],
        ]
    )
    np.testing.assert_allclose(comps, expected, rtol=1e-6)
    assert np.all((comps >= 0) & (comps <= 1))


def test_quality_is_the_weighted_mean() -> None:
    comps = np.array([[1.0, 0.5, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1, 1]], dtype=np.float32)
    w = ScoreWeights(
        language=2, distance=2, time=0, modules=0, continuity=0, urgency=0, stability=0
    )
    assert quality(comps, w).tolist() == [0.75, 0.0]
    default = ScoreWeights()
    total = sum(default.pair_weights().values())
    np.testing.assert_allclose(quality(comps, default), [(3 + 1) / total, 7 / total])
    doubled = ScoreWeights(**{k: 2 * v for k, v in default.model_dump().items()})
    np.testing.assert_allclose(quality(comps, doubled), quality(comps, default), rtol=1e-15)
    zero = ScoreWeights(**dict.fromkeys(default.model_dump(), 0.0))
    assert quality(comps, zero).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="shape"):
        quality(comps[:, :3], default)


def test_scores_are_bitwise_deterministic_and_independent_of_blocking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    vols = cf.volunteers(
        *(
            {
                "volunteer_id": f"v{i}",
                "languages": str(rng.choice(["ar:C1;de:native", "ar:native", "ar:B1"])),
                "lat": 52.37 + rng.normal(0, 0.02),
                "lon": 9.73 + rng.normal(0, 0.03),
                "modules": str(rng.choice(["", "law", "law;integration;media"])),
                "availability": str(rng.choice(["", "mon-am", "mon-am;tue-pm"])),
            }
            for i in range(30)
        )
    )
    reqs = cf.requests(
        *(
            {
                "request_id": f"r{i}",
                "languages": "ar:native",
                "lat": 52.37 + rng.normal(0, 0.02),
                "lon": 9.73 + rng.normal(0, 0.03),
                "need_type": str(rng.choice(vocab.NEED_TYPES)),
                "due_on": None if i % 2 else "2025-03-20",
            }
            for i in range(40)
        )
    )
    problem = build_problem(vols, reqs, None, CONFIG)
    cand = find_candidates(problem, CONFIG)
    assert cand.n_edges > 200
    a = score_components(problem, cand, CONFIG)
    b = score_components(problem, cand, CONFIG)
    monkeypatch.setattr(scoring, "_BLOCK", 5)
    c = score_components(problem, cand, CONFIG)
    assert a.tobytes() == b.tobytes() == c.tobytes()
    assert quality(a, CONFIG.weights).tobytes() == quality(c, CONFIG.weights).tobytes()


def test_score_quality_and_edge_components_equal_the_full_matrix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fused quality pass and the per-edge components are the full matrix, to the bit."""
    from lotsen_match.core.scoring import EdgeComponents, score_quality
    from lotsen_match.generate import DENSE, generate_caseload
    from lotsen_match.validation import validate_caseload

    config = CONFIG.model_copy(update={"as_of": dt.date(2026, 11, 2)})
    c = generate_caseload(300, 1_500, seed=3, as_of=config.as_of, density=DENSE)
    case = validate_caseload(c.volunteers, c.requests, c.assignments, config=config)
    problem = build_problem(case.volunteers, case.requests, case.assignments, config)
    cand = find_candidates(problem, config)
    monkeypatch.setattr(scoring, "_BLOCK", 300)  # several blocks on several threads
    full = score_components(problem, cand, config)
    assert cand.n_edges > 5 * 300
    assert score_quality(problem, cand, config).tobytes() == quality(full, config.weights).tobytes()
    some = np.random.default_rng(0).choice(cand.n_edges, 700, replace=False)
    comps = EdgeComponents(problem, cand, config, some)
    assert comps.rows(some).tobytes() == np.ascontiguousarray(full[some]).tobytes()
    with pytest.raises(KeyError):
        comps.rows(np.setdiff1d(np.arange(50), some)[:3])
