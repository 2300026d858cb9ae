"""A volunteer's status (SPEC rule 8): only active or empty volunteers are ever proposed.

The property tests (test_match_properties.py) draw active/inactive/paused/empty statuses for
hundreds of random caseloads and re-check every proposal independently; here the rule is shown
on small hand-made tables, through a German export with its profile, and in the messages.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

import lotsen_match as lm
from lotsen_match.config import MatchConfig
from lotsen_match.ingest.profile import load_profile, load_with_profile
from lotsen_match.job.runner import read_run_tables
from lotsen_match.validation import validate_caseload
from lotsen_match.validation.describe import describe_profile

from .cli_support import AS_OF, run_cli

ROOT = Path(__file__).resolve().parents[1]
GERMAN = ROOT / "data" / "deutsch"
CFG = MatchConfig(as_of=dt.date(2026, 11, 2))


def volunteers(statuses: list[str | None]) -> pd.DataFrame:
    """Equal volunteers at one place; the first speaks Arabic natively (the best match)."""
    n = len(statuses)
    return pd.DataFrame(
        {
            "volunteer_id": [f"V{i}" for i in range(n)],
            "languages": ["ar:native", *["ar:B2"] * (n - 1)],
            "lat": [52.15] * n,
            "lon": [9.95] * n,
            "need_types": ["school"] * n,
            "capacity": [1] * n,
            "certified_on": ["2025-01-01"] * n,
            "status": statuses,
        }
    )


REQUEST = pd.DataFrame(
    {
        "request_id": ["R1"],
        "languages": ["ar:native"],
        "lat": [52.15],
        "lon": [9.95],
        "need_type": ["school"],
        "created_on": ["2026-10-01"],
    }
)


@pytest.mark.parametrize("status", ["inactive", "paused"])
def test_an_inactive_volunteer_is_never_proposed(status: str) -> None:
    result = lm.match(volunteers([status, "active", None]), REQUEST, config=CFG)
    assert result.proposals["volunteer_id"].isin(["V1", "V2"]).all()  # not the better V0
    assert len(result.proposals) == 1
    assert "V0" not in set(result.alternatives["volunteer_id"])
    best = lm.match(volunteers(["active", "active", None]), REQUEST, config=CFG)
    assert best.proposals["volunteer_id"].tolist() == ["V0"]  # the rule, not the score


def test_the_funnel_says_when_only_inactive_volunteers_fit() -> None:
    result = lm.match(volunteers(["inactive", "paused"]), REQUEST, config=CFG)
    assert result.proposals.empty
    row = result.unmatched.iloc[0]
    assert row["reason"] == "active"
    assert (row["after_exclusions"], row["after_active"]) == (2, 0)
    assert "nicht aktiv" in row["detail"]
    explained = result.explain("R1")
    assert "aktiv 0" in explained.text


def test_status_words_and_messages() -> None:
    cfg = CFG.replace(strict=False)
    spec = validate_caseload(volunteers(["aktiv", "Active", " paused "]), REQUEST, config=cfg)
    assert spec.volunteers["status"].tolist() == ["active", "paused"]
    message = spec.problems.loc[spec.problems["column"] == "status", "message"].iloc[0]
    assert "'aktiv' is not a status" in message and "did you mean 'active'?" in message
    german = validate_caseload(
        volunteers(["inaktiv", "pausiert", "", "weg"]), REQUEST, config=cfg.replace(vocabulary="de")
    )
    assert german.volunteers["status"].tolist() == ["inactive", "paused", ""]
    bad = german.problems.loc[german.problems["column"] == "status", "message"].iloc[0]
    assert "'weg' ist kein bekannter Status" in bad
    assert "'aktiv' (active), 'inaktiv' (inactive), 'pausiert' (paused)" in bad


def test_a_profile_maps_the_exports_status_column(tmp_path: Path) -> None:
    """Inactive Lotsen of a German export ("inaktiv") disappear from the proposals."""
    before = run_cli(
        "run", "--profile", GERMAN / "profil.toml", "--as-of", AS_OF, "-o", tmp_path / "a"
    )
    assert before.returncode == 0, before.stderr
    proposed = read_run_tables(tmp_path / "a")[0]["proposals"]["volunteer_id"]
    gone = sorted(set(proposed))[:5]
    export = tmp_path / "export"
    shutil.copytree(GERMAN, export)
    path = export / "ehrenamtliche.csv"
    frame = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    frame["Status"] = ["inaktiv" if v in gone else "aktiv" for v in frame["Lotsen-Nr."]]
    frame.loc[frame["Lotsen-Nr."] == gone[0], "Status"] = "pausiert"
    path.write_bytes(frame.to_csv(sep=";", index=False).encode("cp1252"))
    profile = export / "profil.toml"
    text = profile.read_text(encoding="utf-8")
    profile.write_text(
        text.replace(
            '"Aktiv bis" = "available_until"',
            '"Aktiv bis" = "available_until"\n"Status" = "status"',
        ),
        encoding="utf-8",
    )
    after = run_cli("run", "--profile", profile, "--as-of", AS_OF, "-o", tmp_path / "b")
    assert after.returncode == 0, after.stderr
    tables = read_run_tables(tmp_path / "b")[0]
    assert not set(gone) & set(tables["proposals"]["volunteer_id"])
    assert not set(gone) & set(tables["alternatives"]["volunteer_id"])
    assert (tables["unmatched"]["after_active"] <= tables["unmatched"]["after_exclusions"]).all()
    config = load_profile(profile)
    understood = describe_profile(config, load_with_profile(config))
    row = understood[
        (understood["table"] == "volunteers") & (understood["export_column"] == "Status")
    ]
    assert row["contract_column"].tolist() == ["status"]
    assert "inaktiv" in row["understood_as"].iloc[0]
