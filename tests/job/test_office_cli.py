"""The command line in a German run, one settings format for --config and --profile, and
``lotsen-match columns``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotsen_match.contract import INPUT_COLUMNS, RESULT_COLUMNS
from lotsen_match.core.vocab import NEED_TYPES
from lotsen_match.ingest.vocabulary_de import NEED_LABELS_DE, REASON_LABELS_DE
from tests.cli_support import AS_OF, cli_env, invoke, run_cli

ROOT = Path(__file__).resolve().parents[2]
GERMAN = ROOT / "data" / "deutsch"
SPEC = GERMAN / "spec"


def test_validate_in_a_german_run_speaks_german_and_cuts_nothing_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = invoke(
        ["validate", "--profile", GERMAN / "profil.toml", "--as-of", AS_OF], capsys
    )
    assert code == 0, err
    header = out.splitlines()[0]
    for title in ("Tabelle", "Spalte im Export", "Vertragsspalte", "verstanden als", "gelesen als"):
        assert title in header
    assert "export_column" not in out and "understood_as" not in out
    # Whole values: the longest meaning and a long parsed example, each on one line.
    assert "(GeoNames Niedersachsen, mehrdeutige Orte nahe Hildesheim)" in out
    assert "volunteering;tolerance;integration;law;media;intercultural" in out
    assert "..." not in out.replace("…)", "")  # no pandas ellipsis
    assert "Anfragen " in out and "Lotsinnen und Lotsen " in out
    assert "anfragen.csv: 360 Zeilen, 360 gültig, 0 abgelehnt" in out
    assert out.rstrip().endswith("ok: alle Zeilen sind gültig.")


def test_an_english_run_keeps_its_english_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = invoke(
        [
            "validate",
            "--volunteers", SPEC / "volunteers.csv",
            "--requests", SPEC / "requests.csv",
            "--as-of", AS_OF,
        ],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "requests.csv: 360 rows, 360 valid, 0 rejected" in out


def test_config_and_profile_read_the_same_file(tmp_path: Path) -> None:
    """--config with a profile runs the export like --profile: one settings format."""
    via_config = run_cli(
        "run", "--config", GERMAN / "profil.toml", "--as-of", AS_OF, "-o", tmp_path / "c"
    )
    via_profile = run_cli(
        "run", "--profile", GERMAN / "profil.toml", "--as-of", AS_OF, "-o", tmp_path / "p"
    )
    assert via_config.returncode == 0, via_config.stderr
    assert via_profile.returncode == 0, via_profile.stderr
    for name in ("proposals.csv", "unmatched.csv", "alternatives.csv"):
        assert (tmp_path / "c" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()
    assert "von 349 offenen Anfragen haben einen Vorschlag" in via_config.stdout


def test_a_profile_is_laid_over_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'as_of = 2026-11-02\nmin_language_level = "C2"\n[output]\nform = "contract"\n',
        encoding="utf-8",
    )
    proc = run_cli(
        "run", "--config", config, "--profile", GERMAN / "profil.toml", "-o", tmp_path / "o", "-q"
    )
    assert proc.returncode == 0, proc.stderr
    summary = (tmp_path / "o" / "summary.json").read_text(encoding="utf-8")
    assert '"min_language_level": "C2"' in summary  # from the config
    assert '"vocabulary": "de"' in summary  # from the profile
    assert (
        (tmp_path / "o" / "proposals.csv").read_text(encoding="utf-8-sig").startswith("request_id,")
    )  # the config asked for the contract form


def test_settings_without_files_need_the_tables(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('vocabulary = "de"\n', encoding="utf-8")
    proc = run_cli("run", "--config", config, "-o", tmp_path / "o")
    assert proc.returncode == 2
    assert "volunteers and requests are required" in proc.stderr


def test_a_broken_profile_is_exit_2_naming_the_setting(tmp_path: Path) -> None:
    profile = tmp_path / "profil.toml"
    profile.write_text(
        'vocabulary = "de"\n[geocoding]\nneer = "Hildesheim"\n[synonyms.need_types]\n'
        '"Amt" = "office"\n',
        encoding="utf-8",
    )
    proc = run_cli("validate", "--profile", profile)
    assert proc.returncode == 2
    assert "geocoding.neer: unknown setting; did you mean geocoding.near?" in proc.stderr


@pytest.mark.parametrize("lang", ["de", "en"])
def test_columns_lists_the_contract(lang: str) -> None:
    proc = run_cli("columns", "--language", lang)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for columns in (*INPUT_COLUMNS.values(), *RESULT_COLUMNS.values()):
        for column in columns:
            assert f"\n{column.name} " in out, column.name
    for need in NEED_TYPES:
        assert need in out
    if lang == "de":
        assert "Pflicht" in out and "Vokabulare" in out
        assert f"authority ({NEED_LABELS_DE['authority']})" in out
        assert "inactive (inaktiv)" in out
        assert REASON_LABELS_DE["distance"] in out
        assert "nach Absprache" in out
    else:
        assert "required" in out and "Vocabularies" in out and "empty = any time" in out


def test_columns_of_one_table_and_a_wrong_one() -> None:
    proc = run_cli("columns", "--table", "volunteers", "--lang", "en")
    assert proc.returncode == 0
    assert "\nstatus " in proc.stdout and "proposals" not in proc.stdout
    assert "volunteer_statuses" in proc.stdout
    wrong = run_cli("columns", "--table", "lotsen")
    assert wrong.returncode == 2 and "unknown table 'lotsen'" in wrong.stderr


def test_columns_wraps_in_a_narrow_terminal_without_losing_words() -> None:
    from lotsen_match.job.contract_text import contract_text

    narrow = contract_text("de", ["requests"], width=80)
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "preferred_gender" in narrow
    assert cli_env()["COLUMNS"] == "120"
