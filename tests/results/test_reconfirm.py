"""Stale requests: no contact for longer than ``reconfirm_after_days`` -> listed, urgency frozen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from lotsen_match.config import MatchConfig
from lotsen_match.core.problem import build_problem
from lotsen_match.core.scoring import urgency_component
from lotsen_match.job.runner import run_job
from lotsen_match.pipeline import match_validated
from lotsen_match.results.reconfirm import RECONFIRM_COLUMNS
from lotsen_match.validation import validate_caseload
from tests import clean_frames as cf

AS_OF = dt.date(2026, 11, 2)
CFG = MatchConfig(as_of=AS_OF)


def _requests() -> pd.DataFrame:
    # R-new: 10 days old; R-old: 200 days, nothing else; R-touched: 200 days, ended 20 days
    # ago; R-proposed: 200 days, an undated open proposal; R-declined: 200 days, an undated
    # declined row (no date: no contact); R-active: accompanied (not open).
    old = "2026-04-16"
    return cf.requests(
        {"request_id": "R-new", "created_on": "2026-10-23"},
        {"request_id": "R-old", "created_on": old},
        {"request_id": "R-touched", "created_on": old},
        {"request_id": "R-proposed", "created_on": old},
        {"request_id": "R-declined", "created_on": old},
        {"request_id": "R-active", "created_on": old},
    )


def _assignments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": ["R-touched", "R-proposed", "R-declined", "R-active"],
            "volunteer_id": ["V1", "V1", "V2", "V3"],
            "status": ["ended", "proposed", "declined", "active"],
            "started_on": pd.to_datetime(["2026-09-01", None, None, None]),
            "ended_on": pd.to_datetime(["2026-10-13", None, None, None]),
        }
    )


def test_contact_days_and_stale_flags_follow_the_documented_rule() -> None:
    vols = cf.volunteers({"volunteer_id": "V1"}, {"volunteer_id": "V2"}, {"volunteer_id": "V3"})
    p = build_problem(vols, _requests(), _assignments(), CFG)
    as_of = p.as_of_day
    contact = dict(zip(p.request_ids, as_of - p.r_contact_day.astype(int), strict=True))
    assert contact == {
        "R-active": 200,
        "R-declined": 200,
        "R-new": 10,
        "R-old": 200,
        "R-proposed": 0,
        "R-touched": 20,
    }
    stale = set(p.request_ids[p.r_stale])
    assert stale == {"R-old", "R-declined"}  # R-active is not open
    tighter = build_problem(
        vols, _requests(), _assignments(), CFG.model_copy(update={"reconfirm_after_days": 15})
    )
    assert set(tighter.request_ids[tighter.r_stale]) == {"R-old", "R-declined", "R-touched"}


def test_urgency_of_stale_requests_stops_rising() -> None:
    created = np.array([0, 0, 0])
    due = np.full(3, np.iinfo(np.int32).min)
    free = urgency_component(created, due, 120, 90, 28)
    capped = urgency_component(created, due, 120, 90, 28, np.array([60.0, np.inf, 60.0]))
    assert list(free) == [1.0, 1.0, 1.0]
    assert list(capped) == [60 / 90, 1.0, 60 / 90]
    # A due date still counts in full: the appointment is a fact, not waiting time.
    soon = np.array([120, 120, 120])
    assert list(urgency_component(created, soon, 120, 90, 28, np.full(3, 60.0))) == [1.0] * 3


def _raw_caseload() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    vols = pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2"],
            "languages": ["de:native"] * 2,
            "lat": [52.37] * 2,
            "lon": [9.73] * 2,
            "need_types": ["everyday"] * 2,
            "capacity": [1, 1],
            "certified_on": ["2024-01-01"] * 2,
        }
    )
    reqs = pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3"],
            "languages": ["de:native"] * 3,
            "lat": [52.37] * 3,
            "lon": [9.73] * 3,
            "need_type": ["everyday"] * 3,
            "created_on": ["2026-10-20", "2026-03-01", "2026-05-01"],
        }
    )
    asg = pd.DataFrame({"request_id": ["R3"], "volunteer_id": ["V2"], "status": ["declined"]})
    return vols, reqs, asg


def test_match_lists_stale_requests_longest_first_with_the_proposal() -> None:
    vols, reqs, asg = _raw_caseload()
    result = match_validated(validate_caseload(vols, reqs, asg, config=CFG), CFG)
    table = result.reconfirm
    assert tuple(table.columns) == RECONFIRM_COLUMNS
    assert list(table["request_id"]) == ["R2", "R3"]
    assert list(table["days_without_contact"]) == [246, 185]
    assert list(table["last_contact_on"]) == ["2026-03-01", "2026-05-01"]
    # Two places, three requests: the stale ones still rank above R1 (10 days) on urgency.
    proposed = dict(
        zip(result.proposals["request_id"], result.proposals["volunteer_id"], strict=True)
    )
    assert proposed == {"R2": "V2", "R3": "V1"}  # V2 was declined for R3
    assert list(table["proposed_volunteer_id"]) == ["V2", "V1"]
    assert result.summary["counts"]["reconfirm"] == 2
    # Frozen urgency: both stale requests stand at 60/90, the fresh one below.
    urgency = result.proposals["urgency"].to_numpy()
    assert np.allclose(urgency, round(60 / 90, 4))


def test_job_writes_reconfirm_file_and_report_section(tmp_path: Path) -> None:
    vols, reqs, asg = _raw_caseload()
    job = run_job(vols, reqs, asg, out_dir=tmp_path / "out", config=CFG)
    written = pd.read_csv(job.files["reconfirm"], dtype=str, keep_default_na=False)
    assert list(written["request_id"]) == ["R2", "R3"]
    report = job.files["report"].read_text(encoding="utf-8")
    assert "Bitte nachfragen, ob noch Bedarf besteht" in report
    assert 'id="t-reconfirm"' in report
    fresh = run_job(
        vols,
        reqs,
        asg,
        out_dir=tmp_path / "fresh",
        config=CFG.model_copy(update={"reconfirm_after_days": 400}),
    )
    assert pd.read_csv(fresh.files["reconfirm"]).empty
    assert "Keine Anfrage wartet länger als 400 Tage" in fresh.files["report"].read_text("utf-8")
