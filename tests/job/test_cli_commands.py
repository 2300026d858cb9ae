"""``validate``, ``explain``, ``generate``, ``demo``, help and logging of the CLI."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from lotsen_match import __version__
from tests.cli_support import (
    AS_OF,
    SECRET_COLUMN,
    SECRET_NAME,
    caseload_tables,
    finish,
    input_args,
    invoke,
    small_caseload,
    start_cli,
    write_inputs,
)

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
needs_samples = pytest.mark.skipif(
    not (SAMPLES / "ehrenamt_lotsen.csv").is_file(), reason="data/samples not present"
)

#: Broken rows of data/samples/broken/anfragen_fehlerhaft.csv and their export headers.
BROKEN = {
    3: "Sprachen",
    4: "Sprachen",
    5: "Breitengrad",
    7: "Breitengrad",
    8: "Bedarf",
    9: "Verfügbarkeit",
    10: "Eingang am",
    12: "Anfrage-ID",
    13: "Minderjährige",
    14: "Wunschgeschlecht",
}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (CSV) of a small caseload with a name in an extra column."""
    from lotsen_match.job.cli import main

    base = tmp_path_factory.mktemp("run")
    tables = caseload_tables(small_caseload(seed=41))
    tables["requests"] = tables["requests"].assign(**{SECRET_COLUMN: SECRET_NAME})
    paths = write_inputs(base / "in", tables)
    out = base / "out"
    with pytest.raises(SystemExit) as done:
        main(["run", *input_args(paths), "--as-of", AS_OF, "-o", str(out), "-q"])
    assert done.value.code == 0
    return out


def test_entry_point_commands(tmp_path: Path, finished_run: Path) -> None:
    """Validate, explain and generate through the real entry point (in parallel)."""
    proposals = pd.read_csv(finished_run / "proposals.csv", dtype=str)
    request = proposals["request_id"].iloc[0]
    procs = {
        "explain": start_cli("explain", "--run", finished_run, "--request", request),
        "generate": start_cli(
            "generate",
            "--volunteers",
            "30",
            "--requests",
            "90",
            "--seed",
            "4",
            "--out",
            tmp_path / "gen",
            "--around",
            "Celle",
            "--as-of",
            AS_OF,
        ),
    }
    if (SAMPLES / "broken" / "anfragen_fehlerhaft.csv").is_file():
        broken = SAMPLES / "broken" / "anfragen_fehlerhaft.csv"
        procs["validate"] = start_cli(
            "validate", "-c", SAMPLES / "sample_config.toml",
            "-V", SAMPLES / "ehrenamt_lotsen.csv", "-R", broken,
        )  # fmt: skip
    done = {name: finish(proc) for name, proc in procs.items()}
    for name, proc in done.items():
        assert "Traceback" not in proc.stderr, name

    explained = done["explain"]
    assert explained.returncode == 0, explained.stderr
    volunteer = proposals["volunteer_id"].iloc[0]
    assert explained.stdout.startswith(f"Anfrage {request}: Vorschlag {volunteer}")

    generated = done["generate"]
    assert generated.returncode == 0, generated.stderr
    for name, rows in (("volunteers", 30), ("requests", 90)):
        frame = pd.read_csv(tmp_path / "gen" / f"{name}.csv")
        assert len(frame) == rows
        assert f"{name}.csv ({rows} rows)" in generated.stdout
    assert (tmp_path / "gen" / "assignments.csv").is_file()

    if "validate" in done:
        validated = done["validate"]
        assert validated.returncode == 2
        problems = [line for line in validated.stderr.splitlines() if ", Zeile " in line]
        found = {
            (int(m.group(1)), m.group(2))
            for m in (
                re.match(r"anfragen_fehlerhaft\.csv, Zeile (\d+), Spalte ([^:]+):", p)
                for p in problems
            )
            if m
        }
        assert set(BROKEN.items()) <= found
        assert {row for row, _ in found} <= {*BROKEN, 2}  # row 2: the first of a duplicate id
        assert "anfragen_fehlerhaft.csv: 14 rows, 3 valid, 11 rejected" in validated.stdout


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = invoke(["--help"], capsys)
    assert code == 0
    for command in ("run", "validate", "explain", "generate", "demo"):
        assert re.search(rf"^\W*{command}\b", stdout, re.MULTILINE), command
    code, stdout, _ = invoke(["run", "--help"], capsys)
    assert code == 0
    for option in ("--volunteers", "--db", "--format", "--lenient", "--as-of", "--log-json"):
        assert option in stdout
    code, stdout, _ = invoke(["--version"], capsys)
    assert code == 0 and stdout.strip() == f"lotsen-match {__version__}"


@needs_samples
def test_validate_sample_ok_and_json_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SAMPLES / "sample_config.toml"
    args = ["-c", config, "-V", SAMPLES / "ehrenamt_lotsen.csv", "-R", SAMPLES / "anfragen.csv"]
    code, stdout, err = invoke(["validate", *args, "-A", SAMPLES / "zuordnungen.csv"], capsys)
    assert code == 0, err
    assert stdout.strip().endswith("ok: all rows are valid.")
    broken = ["-c", config, "-V", SAMPLES / "ehrenamt_lotsen.csv"]
    broken += ["-R", SAMPLES / "broken" / "anfragen_fehlerhaft.csv", "--log-json"]
    code, _, err = invoke(["validate", *broken], capsys)
    assert code == 2
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    invalid = [r for r in records if r["message"] == "invalid input"]
    assert {(r["row"], r["column"]) for r in invalid} >= set(BROKEN.items())
    assert all(r["level"] == "ERROR" and r["source"] == "anfragen_fehlerhaft.csv" for r in invalid)


def test_explain_unmatched_unknown_and_english(
    finished_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unmatched = pd.read_csv(finished_run / "unmatched.csv", dtype=str)
    row = unmatched.iloc[0]
    code, stdout, _ = invoke(
        ["explain", "--run", finished_run, "--request", row["request_id"]], capsys
    )
    assert code == 0
    assert stdout.splitlines()[0] == f"Anfrage {row['request_id']}: kein Vorschlag."
    assert row["detail"] in stdout
    assert "nan" not in stdout
    proposals = pd.read_csv(finished_run / "proposals.csv", dtype=str)
    rid = proposals["request_id"].iloc[-1]
    code, stdout, _ = invoke(["explain", "--run", finished_run, "-r", rid, "--lang", "en"], capsys)
    assert code == 0 and stdout.startswith(f"Request {rid}: proposed ")
    active = json.loads((finished_run / "summary.json").read_text())["active_request_ids"]
    assert active
    code, stdout, _ = invoke(["explain", "--run", finished_run, "-r", active[0]], capsys)
    assert code == 0 and stdout.strip() == f"Anfrage {active[0]} ist bereits aktiv begleitet."
    code, stdout, _ = invoke(["explain", "--run", finished_run, "-r", "R-NOPE"], capsys)
    assert code == 2 and "R-NOPE" in stdout
    code, _, err = invoke(["explain", "--run", tmp_path / "nothing", "-r", rid], capsys)
    assert code == 2 and "summary.json" in err
    assert SECRET_NAME not in stdout + err


def test_generate_is_deterministic_and_feeds_run_and_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["generate", "--volunteers", "25", "--requests", "70", "--seed", "9", "--as-of", AS_OF]
    assert invoke([*base, "-o", tmp_path / "a", "-f", "parquet"], capsys)[0] == 0
    assert invoke([*base, "-o", tmp_path / "b", "-f", "parquet", "-q"], capsys)[0] == 0
    for name in ("volunteers", "requests", "assignments"):
        first = (tmp_path / "a" / f"{name}.parquet").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.parquet").read_bytes()
    db = f"sqlite:///{tmp_path / 'g.db'}"
    code, stdout, _ = invoke([*base, "--db", db], capsys)
    assert code == 0 and "tables volunteers, requests, assignments written" in stdout
    files = ["-V", tmp_path / "a" / "volunteers.parquet", "-R", tmp_path / "a" / "requests.parquet"]
    files += ["-A", tmp_path / "a" / "assignments.parquet"]
    run = ["run", "--as-of", AS_OF, "-q"]
    assert invoke([*run, *files, "-o", tmp_path / "r1"], capsys)[0] == 0
    assert invoke([*run, "--db", db, "-o", tmp_path / "r2"], capsys)[0] == 0
    assert (tmp_path / "r1" / "proposals.csv").read_bytes() == (
        tmp_path / "r2" / "proposals.csv"
    ).read_bytes()
    # usage errors
    assert invoke(["generate", "--volunteers", "5", "--requests", "5"], capsys)[0] == 2
    code, _, err = invoke([*base, "-o", tmp_path / "c", "--around", "Atlantis"], capsys)
    assert code == 2 and "no Lower Saxony place named 'Atlantis'" in err
    assert (
        invoke(["generate", "--volunteers", "-1", "--requests", "5", "-o", tmp_path], capsys)[0]
        == 2
    )


def test_demo_on_a_generated_town_through_entry_point(tmp_path: Path) -> None:
    """No data/samples in the working directory: the demo generates a town caseload."""
    proc = finish(start_cli("demo", cwd=tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "demo-output"
    assert "generated caseload around Hildesheim" in proc.stdout
    assert "Report: demo-output/report.html" in proc.stdout
    for name in ("proposals.csv", "unmatched.csv", "report.html", "summary.json"):
        assert (out / name).is_file(), name
    assert len(pd.read_csv(out / "input_requests.csv")) == 600
    assert "<h1>" in (out / "report.html").read_text()
    hint = re.search(r"lotsen-match (explain --run \S+ --request \S+)", proc.stdout)
    assert hint, proc.stdout


@needs_samples
def test_demo_uses_the_bundled_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SAMPLES, tmp_path / "data" / "samples")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # a second demo replaces the first one's outputs
        code, stdout, err = invoke(["demo"], capsys)
        assert code == 0, err
    assert "Demo on the bundled sample in data/samples." in stdout
    summary = json.loads((tmp_path / "demo-output" / "summary.json").read_text())
    assert summary["inputs"]["volunteers"]["source"] == "ehrenamt_lotsen.csv"
    assert summary["as_of"] == "2026-11-02"
    rid = re.search(r"--request (\S+)", stdout)
    assert rid
    code, stdout, _ = invoke(["explain", "--run", "demo-output", "--request", rid.group(1)], capsys)
    assert code == 0 and rid.group(1) in stdout


def test_logs_carry_ids_and_counts_never_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = caseload_tables(small_caseload(seed=43, n_volunteers=40, n_requests=100))
    for name in tables:
        tables[name] = tables[name].assign(
            **{SECRET_COLUMN: SECRET_NAME, "notes": "Frau " + SECRET_NAME}
        )
    paths = write_inputs(tmp_path / "in", tables)
    base = ["run", *input_args(paths), "--as-of", AS_OF]
    code, stdout, err = invoke([*base, "-o", tmp_path / "a", "--debug"], capsys)
    assert code == 0
    assert "DEBUG" in err and "run finished" in err  # debug logging really was on
    code, stdout2, err2 = invoke([*base, "-o", tmp_path / "b", "-v"], capsys)
    assert code == 0 and "INFO" in err2 and "run_id=" in err2
    for text in (stdout, err, stdout2, err2):
        assert SECRET_NAME not in text
    # quiet: nothing at all on stdout or stderr
    code, stdout3, err3 = invoke([*base, "-o", tmp_path / "c", "-q"], capsys)
    assert code == 0 and stdout3 == "" and err3 == ""


def test_progress_only_for_a_person_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from lotsen_match.job.cli import _Session

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with _Session().progress() as stage:
        assert stage is not None
        with stage("read"):
            pass
    for quiet_session in (_Session(quiet=True), _Session(log_json=True)):
        with quiet_session.progress() as stage:
            assert stage is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with _Session().progress() as stage:
        assert stage is None


def test_json_log_lines() -> None:
    from lotsen_match.job.logs import configure_logging

    stream = io.StringIO()
    handler = configure_logging(level=logging.INFO, json_lines=True, stream=stream)
    try:
        log = logging.getLogger("lotsen_match.test")
        log.info("run finished", extra={"fields": {"run_id": "r1", "proposals": 3}})
        log.debug("hidden")
        try:
            raise ValueError(SECRET_NAME)
        except ValueError:
            log.exception("failed")
    finally:
        for name in ("lotsen_match", "py.warnings"):
            logging.getLogger(name).removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in lines] == ["run finished", "failed"]
    assert lines[0]["run_id"] == "r1" and lines[0]["proposals"] == 3
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "lotsen_match.test"
    assert lines[1]["exc_type"] == "ValueError"
    assert SECRET_NAME not in stream.getvalue()


@needs_samples
def test_same_caseload_from_excel_and_csv_gives_identical_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample as one Excel workbook (a sheet per table) and as German CSVs: same results."""
    xlsx = SAMPLES / "caseload.xlsx"
    excel = ["-V", xlsx, "-R", xlsx, "-A", xlsx]
    german = ["-c", SAMPLES / "sample_config.toml", "-V", SAMPLES / "ehrenamt_lotsen.csv"]
    german += ["-R", SAMPLES / "anfragen.csv", "-A", SAMPLES / "zuordnungen.csv"]
    for label, args in (("excel", excel), ("german", german)):
        code, _, err = invoke(
            ["run", *args, "--as-of", AS_OF, "-o", tmp_path / label, "-q"], capsys
        )
        assert code == 0, err
    for name in ("proposals.csv", "unmatched.csv", "alternatives.csv"):
        assert (tmp_path / "excel" / name).read_bytes() == (tmp_path / "german" / name).read_bytes()
    summary = json.loads((tmp_path / "excel" / "summary.json").read_text())
    assert summary["inputs"]["requests"]["format"] == "excel"
    assert summary["counts"]["proposals"] > 0
