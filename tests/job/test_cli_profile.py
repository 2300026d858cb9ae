"""`--profile`: a German export (words, place names) validated and run through the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from lotsen_match.job.runner import read_run_tables
from tests.cli_support import invoke, run_cli

ROOT = Path(__file__).resolve().parents[2]
GERMAN = ROOT / "data" / "deutsch"


def test_validate_with_profile_shows_how_columns_were_understood(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = invoke(["validate", "--profile", GERMAN / "profil.toml"], capsys)
    assert code == 0, err
    assert "Sprachkenntnisse" in out and "languages" in out
    assert "ar:native;de:A1" in out  # "Arabisch: Muttersprache,Deutsch A1" understood
    assert "(berechnet aus Ort)" in out  # coordinates from place names
    assert "anfragen.csv: 360 Zeilen, 360 gültig, 0 abgelehnt" in out  # a German run


def test_validate_with_profile_names_the_bad_german_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(GERMAN, tmp_path / "export")
    path = tmp_path / "export" / "anfragen.csv"
    text = path.read_bytes().decode("cp1252")
    first_language = text.splitlines()[1].split(";")[2]
    path.write_bytes(text.replace(first_language, "Arabish: Muttersprache", 1).encode("cp1252"))
    code, _, err = invoke(["validate", "--profile", tmp_path / "export" / "profil.toml"], capsys)
    assert code == 2
    assert "anfragen.csv" in err and "Zeile 2" in err and "Sprachen" in err
    assert "meinten Sie" in err and "Arabisch" in err


def test_run_with_profile_equals_the_spec_twin(tmp_path: Path) -> None:
    german = run_cli(
        "run",
        "--profile", GERMAN / "profil.toml",
        "--as-of", "2026-11-02",
        "--out", tmp_path / "de",
        "--quiet",
    )  # fmt: skip
    assert german.returncode == 0, german.stderr
    spec = GERMAN / "spec"
    twin = run_cli(
        "run",
        "--volunteers", spec / "volunteers.csv",
        "--requests", spec / "requests.csv",
        "--assignments", spec / "assignments.csv",
        "--as-of", "2026-11-02",
        "--out", tmp_path / "spec",
        "--quiet",
    )  # fmt: skip
    assert twin.returncode == 0, twin.stderr
    # The German run writes the office's form; read back, it is the twin's contract form.
    a = read_run_tables(tmp_path / "de")[0]["proposals"]
    b = read_run_tables(tmp_path / "spec")[0]["proposals"]
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b)
    assert "Anfrage-Nr." in (tmp_path / "de" / "proposals.csv").read_bytes().decode("cp1252")
