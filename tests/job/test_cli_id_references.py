"""Issue 12.1 through the real entry point: an exclusion can never be bypassed by a spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_support import AS_OF, run_cli

VOLUNTEERS = (
    "volunteer_id,languages,lat,lon,need_types,capacity,certified_on\n"
    "V2,de:native,52.15,9.95,school,1,2020-01-01\n"
)
REQUESTS = "request_id,languages,lat,lon,need_type,created_on,excluded_volunteers\n"


def _inputs(tmp_path: Path, excluded: str) -> tuple[Path, Path]:
    v, r = tmp_path / "v.csv", tmp_path / "r.csv"
    v.write_text(VOLUNTEERS, encoding="utf-8")
    r.write_text(REQUESTS + f"R1,de:native,52.15,9.95,school,2026-10-01,{excluded}\n", "utf-8")
    return v, r


@pytest.mark.parametrize("excluded", ["v2", '"V 2"', "V2\u200b", "\u2060V2"])
def test_an_exclusion_spelled_differently_stops_a_strict_run(tmp_path: Path, excluded: str) -> None:
    v, r = _inputs(tmp_path, excluded)
    out = tmp_path / "o"
    done = run_cli("run", "--volunteers", v, "--requests", r, "--as-of", AS_OF, "--out", out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "did you mean 'V2'?" in done.stderr
    assert "r.csv, Zeile 2, Spalte excluded_volunteers" in done.stderr  # the CLI speaks German
    assert not (out / "proposals.csv").exists()


def test_lenient_run_rejects_the_request_and_never_proposes_v2(tmp_path: Path) -> None:
    v, r = _inputs(tmp_path, "v2")
    out = tmp_path / "o"
    args = ("--volunteers", v, "--requests", r, "--as-of", AS_OF, "--out", out, "--lenient")
    done = run_cli("run", *args)
    assert done.returncode == 0, done.stderr
    proposals = pd.read_csv(out / "proposals.csv", encoding="utf-8-sig", dtype=str)
    assert proposals.empty
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str)
    assert list(rejected["id"]) == ["R1"]
    assert "did you mean 'V2'?" in rejected["messages"].iloc[0]


def test_an_exclusion_naming_nobody_is_a_notice_in_summary_and_report(tmp_path: Path) -> None:
    v, r = _inputs(tmp_path, "V7")
    out = tmp_path / "o"
    done = run_cli("run", "--volunteers", v, "--requests", r, "--as-of", AS_OF, "--out", out)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    notices = summary["notices"]
    assert notices["count"] == 1
    (entry,) = notices["unknown_references"]
    assert entry["table"] == "requests" and entry["column"] == "excluded_volunteers"
    assert entry["rows"] == 1 and entry["ids"] == ["V7"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="notices"' in report and "V7" in report
    assert "1 notice(s)" in done.stdout
    checked = run_cli("validate", "--volunteers", v, "--requests", r, "--as-of", AS_OF)
    assert checked.returncode == 0, checked.stderr
    assert "notice: r.csv, row 2, column excluded_volunteers: excluded volunteer 'V7'" in (
        checked.stdout
    )
