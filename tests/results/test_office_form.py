"""Write-back in the office's form: the German export's headers and words, ';' cp1252, typed xlsx.

The bundled German export (data/deutsch) is read with its profile through the real CLI; what
comes back must open in pandas with the export's own headers and German words, read back with
the profile (proposals as an assignments table) give the same ids, and explain itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.contract import RESULT_COLUMNS
from lotsen_match.core.vocab import language_label
from lotsen_match.ingest.profile import load_profile, load_with_profile
from lotsen_match.ingest.vocabulary_de import NEED_LABELS_DE, REASON_LABELS_DE
from lotsen_match.io.office_files import encode_cp1252, office_csv_bytes
from lotsen_match.job.runner import read_run_tables, run_job
from lotsen_match.results.office_form import from_office, office_form, to_office
from lotsen_match.validation import validate_caseload
from tests.cli_support import AS_OF, invoke, run_cli

ROOT = Path(__file__).resolve().parents[2]
GERMAN = ROOT / "data" / "deutsch"
PROFILE = GERMAN / "profil.toml"
SPEC = GERMAN / "spec"


@pytest.fixture(scope="module")
def german_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("office") / "csv"
    proc = run_cli("run", "--profile", PROFILE, "--as-of", AS_OF, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "offenen Anfragen haben einen Vorschlag" in proc.stdout  # German summary line
    assert "Bericht:" in proc.stdout
    return out


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same caseload in the contract's form (no profile): what the office run must equal."""
    out = tmp_path_factory.mktemp("twin") / "out"
    proc = run_cli(
        "run",
        "--volunteers", SPEC / "volunteers.csv",
        "--requests", SPEC / "requests.csv",
        "--assignments", SPEC / "assignments.csv",
        "--as-of", AS_OF,
        "--out", out,
        "-q",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


def read_office_csv(path: Path) -> pd.DataFrame:
    """How an analyst opens the file: pandas with German Excel's separator and encoding."""
    return pd.read_csv(path, sep=";", encoding="cp1252", decimal=",", dtype={0: str})


def test_results_open_with_the_exports_headers_and_words(german_run: Path) -> None:
    export = pd.read_csv(GERMAN / "anfragen.csv", sep=";", encoding="cp1252", nrows=1)
    proposals = read_office_csv(german_run / "proposals.csv")
    unmatched = read_office_csv(german_run / "unmatched.csv")
    alternatives = read_office_csv(german_run / "alternatives.csv")
    # The export's own headers for the columns it has ...
    assert list(proposals.columns[:3]) == ["Anfrage-Nr.", "Lotsen-Nr.", "Haushalt"]
    assert proposals.columns[:3].isin([*export.columns, "Lotsen-Nr."]).all()
    assert "Stand" in proposals.columns  # the assignments table's status header
    assert {"Anfrage-Nr.", "Sprachen", "Anliegen", "Grund", "Erläuterung"} <= set(unmatched)
    # ... German titles for the result-only ones, and no contract name is left.
    titles = {c.header_de for c in RESULT_COLUMNS["proposals"]}
    assert set(proposals.columns) - titles <= {"Anfrage-Nr.", "Lotsen-Nr.", "Stand"}
    for frame in (proposals, unmatched, alternatives):
        assert not {"request_id", "volunteer_id", "score", "reason"} & set(frame.columns)
    # German words, not codes.
    assert "Arabisch" in set(proposals["gemeinsame Sprache"]) | set(unmatched["Sprachen"])
    assert not set(proposals["gemeinsame Sprache"]) & {"ar", "en", "fr", "de", "uk"}
    assert set(proposals["Stand"]) <= {"vorgeschlagen", "beibehalten"}
    assert "Behördengang" in set(unmatched["Anliegen"])
    assert REASON_LABELS_DE["distance"] == "keine Lotsin/kein Lotse im Umkreis"
    assert "keine Lotsin/kein Lotse im Umkreis" in set(unmatched["Grund"])
    assert set(unmatched["Grund"]) <= set(REASON_LABELS_DE.values())
    assert set(alternatives["ausgelastet"]) <= {"ja", "nein"}
    # Numbers are numbers (decimal comma), ids stay text.
    assert proposals["Bewertung"].dtype == float and proposals["Bewertung"].between(0, 1).all()
    assert proposals["Anfrage-Nr."].str.fullmatch(r"R\d{7}").all()


def test_csv_is_semicolon_cp1252_with_decimal_commas(german_run: Path) -> None:
    raw = (german_run / "unmatched.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("cp1252")  # German Excel's encoding: umlauts as single bytes
    assert "Erläuterung".encode("cp1252") in raw
    header, first = text.split("\r\n")[:2]  # CRLF as Excel writes
    assert header.startswith("Anfrage-Nr.;Haushalt;Grund;")
    assert first.count(";") >= header.count(";")  # one cell per column (quoted ';' aside)
    assert "," not in header.replace("Lotsin/kein Lotse", "")  # no comma-separated columns
    proposals = (german_run / "proposals.csv").read_bytes().decode("cp1252")
    assert ";0," in proposals  # a score such as 0,4743
    assert ";0." not in proposals


def test_written_proposals_read_back_with_the_profile_give_the_same_ids(german_run: Path) -> None:
    profile = load_profile(PROFILE).replace(as_of=dt.date(2026, 11, 2))
    frames = load_with_profile(profile, assignments=german_run / "proposals.csv")
    fed_back = frames["assignments"]
    assert {"request_id", "volunteer_id", "status"} <= set(fed_back.columns)
    written = read_run_tables(german_run)[0]["proposals"]
    assert fed_back["request_id"].tolist() == written["request_id"].tolist()
    assert fed_back["volunteer_id"].tolist() == written["volunteer_id"].tolist()
    # ... and validate as yesterday's proposals: the office's feedback loop.
    checked = validate_caseload(frames["volunteers"], frames["requests"], fed_back, config=profile)
    assert set(checked.assignments["status"]) == {"proposed"}
    assert len(checked.assignments) == len(written)


def test_office_files_read_back_equal_the_contract_twin(german_run: Path, twin: Path) -> None:
    # Without a profile the contract form stays the default.
    assert (
        (twin / "proposals.csv")
        .read_text(encoding="utf-8-sig")
        .startswith("request_id,volunteer_id,household_id,score")
    )
    office, summary = read_run_tables(german_run)
    contract, _ = read_run_tables(twin)
    assert summary["output_form"] == "office"
    for name in ("proposals", "unmatched", "alternatives"):
        pd.testing.assert_frame_equal(office[name], contract[name], check_dtype=False)


def test_reconfirm_is_in_the_office_form_too(german_run: Path, twin: Path) -> None:
    """``reconfirm.csv`` kept the contract's English headers and codes in an office run."""
    reconfirm = read_office_csv(german_run / "reconfirm.csv")
    assert len(reconfirm) > 0
    assert list(reconfirm.columns[:3]) == ["Anfrage-Nr.", "Haushalt", "Anliegen"]
    titles = {c.header_de for c in RESULT_COLUMNS["reconfirm"]}
    assert set(reconfirm.columns) - titles <= {"Anfrage-Nr.", "Eingang"}  # the export's own
    assert not {"request_id", "need_type", "days_without_contact"} & set(reconfirm.columns)
    assert set(reconfirm["Anliegen"]) <= set(NEED_LABELS_DE.values())
    assert reconfirm["Tage ohne Kontakt"].dtype.kind == "i"
    office = read_run_tables(german_run, ("reconfirm",))[0]["reconfirm"]
    assert list(office.columns) == [c.name for c in RESULT_COLUMNS["reconfirm"]]
    assert office["need_type"].isin(list(NEED_LABELS_DE)).all()
    assert office["created_on"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert office["days_without_contact"].dtype.kind in "if"
    contract = read_run_tables(twin, ("reconfirm",))[0]["reconfirm"]
    pd.testing.assert_frame_equal(office, contract, check_dtype=False)


def test_explain_reads_an_office_run(german_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proposals = read_run_tables(german_run)[0]["proposals"]
    request = str(proposals["request_id"].iloc[0])
    code, out, err = invoke(["explain", "--run", german_run, "--request", request], capsys)
    assert code == 0, err
    assert f"Anfrage {request}: Vorschlag {proposals['volunteer_id'].iloc[0]}" in out


def test_xlsx_has_typed_cells_frozen_filtered_header_and_widths(tmp_path: Path) -> None:
    out = tmp_path / "xlsx"
    proc = run_cli("run", "--profile", PROFILE, "--as-of", AS_OF, "--out", out, "-f", "xlsx")
    assert proc.returncode == 0, proc.stderr
    sheet = openpyxl.load_workbook(out / "proposals.xlsx").active
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Anfrage-Nr.", "Lotsen-Nr.", "Haushalt"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}{sheet.max_row}"
    score = sheet.cell(2, headers.index("Bewertung") + 1)
    assert score.data_type == "n" and isinstance(score.value, float)
    assert sheet.cell(2, 1).data_type == "s"
    assert sheet.cell(2, headers.index("gemeinsame Sprache") + 1).value in {
        language_label(c) for c in ("ar", "en", "fr", "ru", "uk", "fa", "tr", "de")
    }
    assert sheet.column_dimensions["A"].width >= len("Anfrage-Nr.")
    unmatched = openpyxl.load_workbook(out / "unmatched.xlsx").active
    after = [c.value for c in unmatched[1]].index("übrig nach „Sprache“") + 1
    assert unmatched.cell(2, after).data_type == "n"
    assert isinstance(unmatched.cell(2, after).value, int)
    # pandas opens it with the same headers and words as the CSV.
    frame = pd.read_excel(out / "unmatched.xlsx", engine="openpyxl")
    assert "Behördengang" in set(frame["Anliegen"])


def test_dates_are_typed_in_xlsx_and_german_in_csv(tmp_path: Path) -> None:
    """Any table the job writes (here the demo's input tables) takes the same form."""
    profile = MatchConfig.from_toml(PROFILE).replace(as_of=dt.date(2026, 11, 2))
    requests = pd.read_csv(SPEC / "requests.csv")
    extra = {"input_requests": requests.assign(created_on=pd.to_datetime(requests["created_on"]))}
    for fmt in ("csv", "xlsx"):
        job = run_job(
            SPEC / "volunteers.csv",
            SPEC / "requests.csv",
            out_dir=tmp_path / fmt,
            config=profile.replace(vocabulary="spec", output_form="office", columns={}, files={}),
            fmt=fmt,  # type: ignore[arg-type]
            extra_tables=extra,
        )
        assert job.summary["output_form"] == "office"
    first = pd.Timestamp(extra["input_requests"]["created_on"].iloc[0])
    text = (tmp_path / "csv" / "input_requests.csv").read_bytes().decode("cp1252")
    assert f";{first:%d.%m.%Y};" in text.splitlines()[1]
    sheet = openpyxl.load_workbook(tmp_path / "xlsx" / "input_requests.xlsx").active
    headers = [c.value for c in sheet[1]]
    assert "Eingang" in headers and "Anfrage-ID" in headers  # German titles of the contract
    cell = sheet.cell(2, headers.index("Eingang") + 1)
    assert cell.is_date and cell.value == first.to_pydatetime()
    assert cell.number_format == "DD.MM.YYYY"


def test_cp1252_replaces_what_it_cannot_hold_and_utf8_keeps_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = pd.DataFrame({"Werte": ["Şahin −5 → ok", "Ärger", "=HYPERLINK(1)"], "n": [1.5, 2, 3]})
    with caplog.at_level(logging.WARNING):
        payload = office_csv_bytes(frame, name="x.csv")
    text = payload.decode("cp1252")
    assert "Sahin -5 -> ok" in text and "Ärger" in text
    assert "'=HYPERLINK(1)" in text  # formula neutralised
    assert "1,5" in text
    assert "3 character(s)" in caplog.text and "Şahin" not in caplog.text
    kept = office_csv_bytes(frame, encoding="utf-8-sig").decode("utf-8-sig")
    assert "Şahin −5 → ok" in kept
    assert encode_cp1252("ł") == (b"?", 1)


def test_formula_like_cells_are_neutralised_in_both_formats(tmp_path: Path) -> None:
    from lotsen_match.io.office_files import write_office_table

    frame = pd.DataFrame({"=Kopf": ["@SUM(A1)", "+1", "ok"], "Zahl": [-1.5, 2.0, 3.0]})
    write_office_table(frame, tmp_path / "t.csv")
    write_office_table(frame, tmp_path / "t.xlsx")
    csv = (tmp_path / "t.csv").read_bytes().decode("cp1252")
    assert csv.startswith("'=Kopf;Zahl") and "'@SUM(A1)" in csv and "'+1" in csv
    assert ";-1,5" in csv  # numbers stay numbers
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert sheet["A1"].value == "'=Kopf" and sheet["A2"].value == "'@SUM(A1)"
    assert sheet["B2"].value == -1.5 and sheet["B2"].data_type == "n"


def test_output_form_is_a_setting(tmp_path: Path) -> None:
    """A profile can keep the contract form; a plain config can ask for the office's."""
    contract = tmp_path / "contract.toml"
    contract.write_text('[output]\nform = "contract"\n', encoding="utf-8")
    config = MatchConfig.from_toml(PROFILE, contract)
    assert config.ingest.vocabulary == "de" and not config.office_output
    assert MatchConfig.from_toml(PROFILE).office_output
    assert not MatchConfig().office_output
    assert MatchConfig(output_form="office").office_output
    # The inverse is exact on a whole result table, words and headers alike.
    form = office_form(MatchConfig.from_toml(PROFILE))
    unmatched = pd.DataFrame(
        {
            "request_id": ["R1", "R2"],
            "household_id": ["H1", ""],
            "reason": ["distance", "capacity"],
            "request_languages": ["ar;kmr", "fa"],
            "need_type": ["authority", "school"],
            "detail": ["x", "y"],
        }
    )
    office = to_office("unmatched", unmatched, form)
    assert office["Sprachen"].tolist() == ["Arabisch; Kurdisch (Kurmandschi)", "Farsi/Persisch"]
    assert office["Grund"].tolist() == [
        "keine Lotsin/kein Lotse im Umkreis",
        "keine freie Kapazität",
    ]
    pd.testing.assert_frame_equal(from_office("unmatched", office, form), unmatched)


def test_a_shared_header_stays_unique(tmp_path: Path) -> None:
    """An export header equal to a result title does not make two columns of one name."""
    profile = tmp_path / "p.toml"
    shutil.copy(PROFILE, profile)
    text = profile.read_text(encoding="utf-8").replace(
        '"Haushalt" = "household_id"', '"Bewertung" = "household_id"'
    )
    profile.write_text(text, encoding="utf-8")
    headers = office_form(MatchConfig.from_toml(profile)).headers["proposals"]
    assert headers["household_id"] == "Bewertung"
    assert headers["score"] == "Bewertung (score)"
    assert len(set(headers.values())) == len(headers)
