"""lotsen_match.learn: features, leakage, fitting, fairness, the skops file and its refusal."""

from __future__ import annotations

import datetime as dt
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.core.problem import build_problem
from lotsen_match.errors import ArgumentError, ConfigError
from lotsen_match.learn import (
    FEATURE_VERSION,
    FEATURES,
    SuccessModel,
    fairness_table,
    fit_success_model,
    load_success_model,
    pair_features,
    training_data,
)
from lotsen_match.learn.history import history_events
from lotsen_match.validation import validate_caseload

AS_OF = dt.date(2026, 11, 2)
CFG = lm.MatchConfig(as_of=AS_OF)


@cache
def _caseload(history: int = 2500) -> Any:
    return lm.generate_caseload(250, 400, seed=11, as_of=AS_OF, history=history)


def _tables(history: int = 2500) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    c = _caseload(history)
    requests = pd.concat([c.requests, c.closed_requests], ignore_index=True)
    return c.assignments.copy(), c.volunteers.copy(), requests


@cache
def _model() -> SuccessModel:
    history, volunteers, requests = _tables()
    return fit_success_model(history, volunteers, requests, CFG, n_splits=3)


# --- the generated history --------------------------------------------------------------------


def test_generated_history_is_valid_and_leaves_the_open_caseload_unchanged() -> None:
    plain = lm.generate_caseload(250, 400, seed=11, as_of=AS_OF)
    c = _caseload()
    pd.testing.assert_frame_equal(plain.volunteers, c.volunteers)
    pd.testing.assert_frame_equal(plain.requests, c.requests)
    ended = c.assignments[c.assignments["status"] == "ended"]
    assert 1000 < len(ended) <= 2500
    assert set(ended["request_id"]) == set(c.closed_requests["request_id"])
    assert (ended["started_on"] <= ended["ended_on"]).all()
    assert (ended["ended_on"] < pd.Timestamp(AS_OF)).all()
    history, volunteers, requests = _tables()
    validated = validate_caseload(volunteers, requests, history, config=CFG, strict=True)
    assert len(validated.assignments) == len(history)


# --- features ---------------------------------------------------------------------------------


def _calls_while(fn: Any) -> int:
    """Python-level function calls made while ``fn()`` runs (C calls not counted)."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_feature_building_runs_no_python_code_per_history_row() -> None:
    data = training_data(*_tables(), CFG)
    history, volunteers, requests = _tables()
    validated = validate_caseload(volunteers, requests, history, config=CFG)
    problem = build_problem(validated.volunteers, validated.requests, None, CFG)
    events = history_events(validated.assignments, problem)
    req = problem.request_ids.searchsorted(data.keys["request_id"].to_numpy())
    vol = problem.volunteer_ids.searchsorted(data.keys["volunteer_id"].to_numpy())
    day = data.keys["start_day"].to_numpy()

    def features(n: int) -> Any:
        return lambda: pair_features(problem, req[:n], vol[:n], day[:n], events, CFG)

    small, large = _calls_while(features(50)), _calls_while(features(len(req)))
    assert len(req) > 1000
    assert large <= small + 20, (small, large)  # a loop per row would add >= 950 calls
    X, _ = pair_features(problem, req, vol, day, events, CFG)
    np.testing.assert_array_equal(X, data.X)


def test_features_have_the_documented_columns_and_no_protected_attributes() -> None:
    data = training_data(*_tables(), CFG)
    assert data.X.shape == (len(data.y), len(FEATURES))
    assert not any(word in f for f in FEATURES for word in ("gender", "nationality", "country"))
    assert np.isfinite(data.X).all()
    col = {f: i for i, f in enumerate(FEATURES)}
    assert set(np.unique(data.X[:, col["need_school"]])) <= {0.0, 1.0}
    assert (data.X[:, col["waiting_days"]] >= 0).all()
    assert data.X[:, col["volunteer_experience"]].max() > 0


def test_no_feature_uses_information_from_after_the_start() -> None:
    """Each row's features equal those computed from only what was known on its start day."""
    history, volunteers, requests = _tables()
    # Offices fill in previous_volunteer_id after an accompaniment: it must not leak.
    ended = history[history["status"] == "ended"]
    requests = requests.merge(
        ended[["request_id", "volunteer_id"]].rename(columns={"volunteer_id": "_v"}),
        on="request_id",
        how="left",
    )
    requests["previous_volunteer_id"] = requests["_v"].fillna("").astype(str)
    requests = requests.drop(columns="_v")
    full = training_data(history, volunteers, requests, CFG)
    starts = pd.to_datetime(history["started_on"])
    ends = pd.to_datetime(history["ended_on"])
    rng = np.random.default_rng(0)
    checked = 0
    for i in rng.choice(len(full.y), size=6, replace=False):
        key = full.keys.iloc[i]
        start = pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(key["start_day"]))
        own = (history["request_id"] == key["request_id"]) & (
            history["volunteer_id"] == key["volunteer_id"]
        )
        known = history[(starts < start) | own].copy()
        running = (pd.to_datetime(known["ended_on"]) >= start) & ~own[known.index]
        known.loc[running, ["status", "end_reason"]] = ["active", ""]
        known.loc[running, "ended_on"] = pd.NaT
        # What happened later also must not matter: scramble every later outcome.
        known.loc[own[known.index], "end_reason"] = "other"
        past = training_data(known, volunteers, requests, CFG)
        match = past.keys.index[
            (past.keys["request_id"] == key["request_id"])
            & (past.keys["volunteer_id"] == key["volunteer_id"])
        ]
        np.testing.assert_array_equal(past.X[match[0]], full.X[i])
        checked += 1
    assert checked == 6 and (ends.notna().sum() > 0)


# --- fitting, validation and the card ---------------------------------------------------------


def test_fit_beats_the_hand_weighted_score_on_the_known_truth() -> None:
    model = _model()
    cv = model.card["metrics"]["group_cv"]
    assert 0.5 < cv["baseline_auc"] < cv["auc"]
    assert cv["brier"] < cv["baseline_brier"]
    assert "time_split" in model.card["metrics"]
    card = model.card
    assert card["feature_version"] == FEATURE_VERSION and card["features"] == list(FEATURES)
    assert card["rows"]["skipped"]["neutral_reason"] > 0
    assert card["training_period"]["first_start"] < card["training_period"]["last_start"]
    p = model.predict(training_data(*_tables(), CFG).X)
    assert ((p >= 0) & (p <= 1)).all() and 0.3 < p.mean() < 0.9


def test_fit_refuses_a_history_without_usable_rows() -> None:
    history, volunteers, requests = _tables()
    history["end_reason"] = ""
    with pytest.raises(ArgumentError, match="no usable pairing"):
        fit_success_model(history, volunteers, requests, CFG)


def test_fairness_table_compares_predicted_and_observed_by_group() -> None:
    audit = pd.DataFrame({"need_type": ["school"] * 40 + ["work"] * 40 + ["leisure"] * 4})
    y = np.r_[np.ones(20), np.zeros(20), np.ones(30), np.zeros(10), np.zeros(4)]
    p = np.r_[np.full(40, 0.5), np.full(40, 0.6), np.full(4, 0.9)]
    table = fairness_table(audit, y, p).set_index("group")
    assert table.loc["school", ["rows", "observed", "predicted", "gap"]].tolist() == [
        40,
        0.5,
        0.5,
        0.0,
    ]
    assert table.loc["work", "gap"] == pytest.approx(-0.15)
    assert bool(table.loc["work", "flagged"]) and not bool(table.loc["school", "flagged"])
    assert not bool(table.loc["leisure", "flagged"])  # gap 0.9, but only 4 pairings
    assert list(table.index[:1]) == ["leisure"]  # largest gap first


def test_fairness_table_of_a_fit_covers_language_need_and_gender() -> None:
    table = _model().fairness
    assert set(table["dimension"]) == {"first_language", "need_type", "volunteer_gender"}
    assert table["rows"].groupby(table["dimension"]).sum().nunique() == 1


# --- the file ---------------------------------------------------------------------------------


def test_skops_round_trip_gives_the_same_probabilities(tmp_path: Path) -> None:
    model = _model()
    files = model.save(tmp_path / "model.skops")
    assert set(files) == {"model", "card_json", "card_markdown"}
    loaded = load_success_model(files["model"])
    X = training_data(*_tables(), CFG).X[:200]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.card == json.loads(files["card_json"].read_text())
    assert loaded.name == model.name
    pd.testing.assert_frame_equal(loaded.fairness, model.fairness, check_dtype=False)
    assert "| group_cv |" in files["card_markdown"].read_text()


def test_models_of_another_feature_version_or_missing_are_refused(tmp_path: Path) -> None:
    import skops.io as sio

    model = _model()
    payload = {
        "estimator": model.estimator,
        "features": list(FEATURES),
        "feature_version": "0000000000000000",
        "card": "{}",
        "fairness": "[]",
    }
    old = tmp_path / "old.skops"
    old.write_bytes(sio.dumps(payload))
    with pytest.raises(ConfigError, match="feature version 0000000000000000"):
        load_success_model(old)
    with pytest.raises(ConfigError, match="does not exist"):
        load_success_model(tmp_path / "missing.skops")
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a readable success model"):
        load_success_model(junk)
    c = _caseload()
    cfg = CFG.model_copy(update={"success_model": old})
    with pytest.raises(ConfigError, match="retrain"):
        lm.match(c.volunteers, c.requests, c.assignments, cfg)


# --- use in a run -----------------------------------------------------------------------------


def test_a_run_with_the_model_shows_the_success_component(tmp_path: Path) -> None:
    path = _model().save(tmp_path / "model.skops")["model"]
    c = _caseload()
    weights = CFG.weights.model_copy(update={"success": 5.0})
    cfg = CFG.model_copy(update={"success_model": path, "weights": weights})
    result = lm.match(c.volunteers, c.requests, c.assignments, cfg)
    assert result.components[-1] == "success"
    assert "success" in result.proposals.columns
    assert result.proposals["success"].between(0, 1).all()
    assert result.summary["success_model"]["name"] == _model().name
    some = str(result.proposals["request_id"].iloc[0])
    assert "Erfolgsaussicht" in result.explain(some, lang="de").text
    # Weight 0: the component is shown but changes no decision.
    silent = CFG.model_copy(update={"success_model": path})
    plain = lm.match(c.volunteers, c.requests, c.assignments, CFG)
    shown = lm.match(c.volunteers, c.requests, c.assignments, silent)
    pd.testing.assert_frame_equal(
        shown.proposals.drop(columns="success"), plain.proposals, check_like=False
    )


def test_a_run_with_the_model_and_no_open_request_left_ends_cleanly(tmp_path: Path) -> None:
    """Regression: with history but no request in the caseload (the last one removed at the
    desk), reading the history indexed the empty request table: a raw IndexError."""
    path = _model().save(tmp_path / "model.skops")["model"]
    c = _caseload()
    cfg = CFG.model_copy(update={"success_model": path})
    result = lm.match(c.volunteers, c.requests.iloc[:0], c.assignments, cfg)
    assert result.proposals.empty and result.unmatched.empty


def test_the_success_column_enters_quality_and_explanations_to_the_bit(tmp_path: Path) -> None:
    """Without the full component matrix (fused quality, components of shown edges only) a run
    with a model scores exactly as the matrix with ``success`` as its last column does."""
    from lotsen_match.core.scoring import (
        COMPONENT_DTYPE,
        EdgeComponents,
        continuity_of_edges,
        quality,
        score_components,
        score_quality,
    )
    from lotsen_match.learn.apply import success_component
    from lotsen_match.pipeline import build_instance

    path = _model().save(tmp_path / "model.skops")["model"]
    c = _caseload()
    weights = CFG.weights.model_copy(update={"success": 3.0})
    cfg = CFG.model_copy(update={"success_model": path, "weights": weights})
    case = validate_caseload(c.volunteers, c.requests, c.assignments, config=cfg)
    inst = build_instance(case, cfg)
    assert inst.success is not None and inst.names[-1] == "success"
    full = score_components(inst.problem, inst.cand, cfg)
    # The learned column from the full matrix (as before) and from the continuity column alone.
    from_matrix, _ = success_component(inst.problem, inst.cand, full, case.assignments, cfg)
    alone, _ = success_component(
        inst.problem,
        inst.cand,
        continuity_of_edges(inst.problem, inst.cand),
        case.assignments,
        cfg,
    )
    assert from_matrix.tobytes() == alone.tobytes()
    matrix = np.asfortranarray(
        np.column_stack([full, from_matrix.astype(COMPONENT_DTYPE)]), dtype=COMPONENT_DTYPE
    )
    assert inst.quality.tobytes() == quality(matrix, cfg.weights, inst.names).tobytes()
    assert inst.components(cfg).tobytes() == matrix.tobytes()
    some = np.arange(0, inst.cand.n_edges, 7)
    shown = EdgeComponents(inst.problem, inst.cand, cfg, some, inst.success)
    assert shown.rows(some).tobytes() == np.ascontiguousarray(matrix[some]).tobytes()
    # The learned column is required exactly when the config names a model.
    with pytest.raises(ArgumentError, match="success"):
        score_quality(inst.problem, inst.cand, cfg)
    with pytest.raises(ArgumentError, match="success"):
        score_quality(inst.problem, inst.cand, CFG, inst.success)
