"""``lotsen-match run``: outputs, summary, exit codes, strict vs lenient, determinism, formats."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli_support import (
    AS_OF,
    SECRET_COLUMN,
    SECRET_NAME,
    caseload_tables,
    finish,
    input_args,
    invoke,
    result_bytes,
    small_caseload,
    start_cli,
    write_inputs,
)

RESULT_FILES = ("proposals", "unmatched", "rejected", "alternatives", "reconfirm")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """A small town caseload with a name-like extra column on volunteers and requests."""
    t = caseload_tables(small_caseload(seed=11))
    for name in ("volunteers", "requests"):
        t[name] = t[name].assign(**{SECRET_COLUMN: SECRET_NAME})
    return t


def _broken(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Two invalid request rows (unknown language, latitude text); the rest is valid."""
    requests = tables["requests"].copy()
    requests["lat"] = requests["lat"].astype(object)
    requests.loc[2, "languages"] = "Arabish:native"
    requests.loc[5, "lat"] = "north"
    return {**tables, "requests": requests}


def test_run_through_entry_point(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    """Real process: valid files -> exit 0, all outputs, a complete summary, no names in logs.

    A second process on broken inputs (strict, the default) in parallel: exit 2, one line per
    problem naming file, row and column, and the previous outputs stay exactly as they were.
    """
    good = write_inputs(tmp_path / "in", tables)
    bad = write_inputs(tmp_path / "bad", _broken(tables))
    out = tmp_path / "out"
    kept = tmp_path / "kept"
    code, _, _ = invoke(["run", *input_args(good), "--as-of", AS_OF, "-o", kept, "-q"], capsys)
    assert code == 0
    before = {p.name: p.read_bytes() for p in kept.iterdir()}

    ok_proc = start_cli("run", *input_args(good), "--as-of", AS_OF, "--out", out, "--log-json")
    bad_proc = start_cli("run", *input_args(bad), "--as-of", AS_OF, "--out", kept)
    ok, failed = finish(ok_proc), finish(bad_proc)

    assert ok.returncode == 0, ok.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {f"{n}.csv" for n in RESULT_FILES} | {"summary.json", "report.html"}
    summary = json.loads((out / "summary.json").read_text())
    proposals = pd.read_csv(out / "proposals.csv", dtype={"request_id": str})
    unmatched = pd.read_csv(out / "unmatched.csv", dtype={"request_id": str})
    counts = summary["counts"]
    assert counts["proposals"] == len(proposals) > 0
    assert counts["unmatched"] == len(unmatched)
    assert counts["requests_open"] == len(proposals) + len(unmatched)
    assert summary["solver"]["optimal"] is True and summary["solver"]["backend"] == "flow"
    assert isinstance(summary["solver"]["objective"], int)
    assert summary["as_of"] == AS_OF and summary["config"]["as_of"] == AS_OF
    assert summary["library_version"]
    assert {"read", "validate", "solve", "write", "total"} <= set(summary["timings_s"])
    for name, path in good.items():
        assert summary["inputs"][name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert len(summary["fingerprints"][name]) == 64
    # JSON log lines: every stderr line parses; the last one reports the run with its id.
    records = [json.loads(line) for line in ok.stderr.splitlines()]
    finished = [r for r in records if r["message"] == "run finished"]
    assert finished and finished[0]["run_id"] == summary["run_id"]
    assert finished[0]["proposals"] == counts["proposals"]
    assert f"Run {summary['run_id']}" in ok.stdout

    assert failed.returncode == 2
    lines = failed.stderr.splitlines()
    assert "requests.csv, Zeile 4, Spalte languages: 'Arabish'" in failed.stderr
    assert any(line.startswith("requests.csv, Zeile 7, Spalte lat: 'north'") for line in lines)
    assert "nothing was written" in lines[-1]
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == before

    for proc in (ok, failed):
        assert "Traceback" not in proc.stderr
        assert SECRET_NAME not in proc.stderr + proc.stdout
    for path in out.iterdir():
        assert SECRET_NAME.encode() not in path.read_bytes(), path.name


def test_lenient_rejects_rows_and_goes_on(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_inputs(tmp_path / "bad", _broken(tables))
    out = tmp_path / "out"
    code, stdout, stderr = invoke(
        ["run", *input_args(paths), "--as-of", AS_OF, "-o", out, "--lenient"], capsys
    )
    assert code == 0, stderr
    rejected = pd.read_csv(out / "rejected.csv")
    assert rejected[["table", "source", "row"]].values.tolist() == [
        ["requests", "requests.csv", 4],
        ["requests", "requests.csv", 7],
    ]
    assert rejected["columns"].tolist() == ["languages", "lat"]
    counts = json.loads((out / "summary.json").read_text())["counts"]
    assert counts["requests_accepted"] + 2 == counts["requests_read"] == len(tables["requests"])
    assert counts["rejected_rows"] == 2
    assert "2 rows rejected" in stdout
    assert SECRET_NAME not in stderr + stdout


def test_config_file_can_make_the_run_lenient_and_the_flag_wins(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_inputs(tmp_path / "bad", _broken(tables))
    config = tmp_path / "c.toml"
    config.write_text('strict = false\nas_of = 2026-11-02\nreport_language = "en"\n')
    code, _, _ = invoke(["run", *input_args(paths), "-c", config, "-o", tmp_path / "a"], capsys)
    assert code == 0
    code, _, err = invoke(
        ["run", *input_args(paths), "-c", config, "--strict", "-o", tmp_path / "b"], capsys
    )
    assert code == 2
    assert "requests.csv, row 4, column languages:" in err  # English framing from the config
    assert not (tmp_path / "b").exists()


def test_rerun_and_shuffled_inputs_give_byte_identical_results(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_inputs(tmp_path / "in", tables)
    rng = np.random.default_rng(5)
    shuffled = {
        name: frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).pipe(
            lambda f: f[list(rng.permutation(f.columns))]
        )
        for name, frame in tables.items()
    }
    shuffled_paths = write_inputs(tmp_path / "shuffled", shuffled)
    assert shuffled_paths["requests"].read_bytes() != paths["requests"].read_bytes()
    runs = {
        "first": paths,
        "again": paths,
        "shuffled": shuffled_paths,
    }
    outputs = {}
    summaries = {}
    for label, p in runs.items():
        out = tmp_path / "out" / label
        code, _, err = invoke(["run", *input_args(p), "--as-of", AS_OF, "-o", out, "-q"], capsys)
        assert code == 0, err
        outputs[label] = result_bytes(out)
        summaries[label] = json.loads((out / "summary.json").read_text())
    assert outputs["first"] == outputs["again"] == outputs["shuffled"]
    assert len(outputs["first"]) == 6
    first, shuffled_summary = summaries["first"], summaries["shuffled"]
    assert first["run_id"] != summaries["again"]["run_id"]
    assert first["fingerprints"] == shuffled_summary["fingerprints"]
    assert first["inputs"]["requests"]["sha256"] != shuffled_summary["inputs"]["requests"]["sha256"]
    for key in ("counts", "solver", "config", "as_of"):
        if key == "solver":
            strip = {k: v for k, v in first[key].items() if k != "wall_seconds"}
            other = {k: v for k, v in shuffled_summary[key].items() if k != "wall_seconds"}
            assert strip == other
        else:
            assert first[key] == shuffled_summary[key]


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_other_output_formats_hold_the_same_results(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    paths = write_inputs(tmp_path / "in", tables, fmt="parquet")
    csv_out, other = tmp_path / "csv", tmp_path / fmt
    base = ["run", *input_args(paths), "--as-of", AS_OF, "-q"]
    assert invoke([*base, "-o", csv_out], capsys)[0] == 0
    assert invoke([*base, "-o", other, "--format", fmt], capsys)[0] == 0
    summary = json.loads((other / "summary.json").read_text())
    assert summary["format"] == fmt
    assert summary["inputs"]["volunteers"]["format"] == "parquet"
    reference = pd.read_csv(csv_out / "proposals.csv", dtype={"request_id": str})
    if fmt == "parquet":
        table = pd.read_parquet(other / "proposals.parquet")
    else:
        table = pd.read_excel(
            other / "proposals.xlsx", dtype={"request_id": str}, engine="openpyxl"
        )
    assert table["request_id"].astype(str).tolist() == reference["request_id"].tolist()
    assert (
        table["volunteer_id"].astype(str).tolist() == reference["volunteer_id"].astype(str).tolist()
    )
    np.testing.assert_allclose(table["score"].to_numpy(float), reference["score"].to_numpy(float))
    # Rerun into the same directory: byte-identical (xlsx timestamps are fixed too).
    before = result_bytes(other)
    assert invoke([*base, "-o", other, "--format", fmt], capsys)[0] == 0
    assert result_bytes(other) == before


def test_formula_like_cells_are_neutralised_in_csv_and_excel(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    requests = tables["requests"].copy()
    volunteers = tables["volunteers"].copy()
    prop_id = '=HYPERLINK("http://x")'  # ids hold no ';' or ',' (SPEC.md, Ids and references)
    # Give the first request a formula-like id, and its household one too.
    requests["request_id"] = requests["request_id"].astype(object)
    requests.loc[0, "request_id"] = prop_id
    requests["household_id"] = requests["household_id"].astype(object)
    requests.loc[0, "household_id"] = "+4930123"
    assignments = tables["assignments"][
        tables["assignments"]["request_id"] != tables["requests"].loc[0, "request_id"]
    ]
    new_tables = {"volunteers": volunteers, "requests": requests, "assignments": assignments}
    paths = write_inputs(tmp_path / "in", new_tables, fmt="parquet")
    for fmt in ("csv", "xlsx"):
        out = tmp_path / fmt
        code, _, err = invoke(
            ["run", *input_args(paths), "--as-of", AS_OF, "-o", out, "-f", fmt, "-q"], capsys
        )
        assert code == 0, err
        where = "proposals" if _in_proposals(out, fmt, prop_id) else "unmatched"
        if fmt == "csv":
            text = (out / f"{where}.csv").read_text()
            assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
            assert ",'+4930123," in text
        else:
            sheet = load_workbook(out / f"{where}.xlsx").active
            cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
            hit = [c for c in cells if "HYPERLINK" in c.value]
            assert hit and all(c.data_type == "s" and c.value.startswith("'=") for c in hit)
    # explain reads the neutralised id back as the original id
    code, stdout, _ = invoke(["explain", "--run", tmp_path / "csv", "--request", prop_id], capsys)
    assert code == 0 and prop_id in stdout


def _in_proposals(out: Path, fmt: str, request_id: str) -> bool:
    if fmt == "csv":
        frame = pd.read_csv(out / "proposals.csv", dtype=str)
    else:
        frame = pd.read_excel(out / "proposals.xlsx", dtype=str, engine="openpyxl")
    return bool((frame["request_id"] == "'" + request_id).any())


def test_exit_codes_and_messages(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_inputs(tmp_path / "in", tables)
    args = input_args(paths)

    def run(*extra: object) -> tuple[int, str, str]:
        return invoke(["run", *map(str, extra)], capsys)

    # missing input file
    code, _, err = run("-V", tmp_path / "nope.csv", "-R", paths["requests"], "-o", tmp_path / "o1")
    assert code == 2 and "nope.csv" in err and "Traceback" not in err
    # unsupported input type
    odd = tmp_path / "volunteers.json"
    odd.write_text("{}")
    code, _, err = run("-V", odd, "-R", paths["requests"], "-o", tmp_path / "o1")
    assert code == 2 and "unsupported file type" in err
    # config: unknown setting with a suggestion; a syntax error
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("min_languag_level = 'B2'\n")
    code, _, err = run(*args, "-c", bad_config, "-o", tmp_path / "o1")
    assert code == 2 and "did you mean 'min_language_level'" in err
    bad_config.write_text("as_of = [\n")
    code, _, err = run(*args, "-c", bad_config, "-o", tmp_path / "o1")
    assert code == 2 and "bad.toml: syntax" in err
    # usage errors: bad format, bad date, files and --db together, no inputs
    assert run(*args, "-o", tmp_path / "o1", "--format", "json")[0] == 2
    assert run(*args, "-o", tmp_path / "o1", "--as-of", "02.11.2026")[0] == 2
    assert run(*args, "--db", "sqlite://", "-o", tmp_path / "o1")[0] == 2
    assert run("-o", tmp_path / "o1")[0] == 2
    # a directory that is not a run's output is never replaced
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    code, _, err = run(*args, "-o", precious)
    assert code == 2 and "not the output of an earlier run" in err
    assert (precious / "thesis.txt").read_text() == "keep me"
    # an input inside the output directory
    own = tmp_path / "own"
    assert run(*args, "-o", own, "-q", "--as-of", AS_OF)[0] == 0
    moved = own / "requests.csv"
    moved.write_bytes(paths["requests"].read_bytes())
    code, _, err = run("-V", paths["volunteers"], "-R", moved, "-o", own)
    assert code == 2 and "inside the output directory" in err
    assert not (tmp_path / "o1").exists()


def test_unexpected_errors_exit_1_with_traceback_only_with_debug(
    tmp_path: Path,
    tables: dict[str, pd.DataFrame],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lotsen_match.job.runner as runner

    paths = write_inputs(tmp_path / "in", tables)
    args = ["run", *input_args(paths), "--as-of", AS_OF, "-o", tmp_path / "out"]

    def boom(*_a: object, **_k: object) -> str:
        raise KeyError(SECRET_NAME)  # an error message that quotes input data

    monkeypatch.setattr(runner, "_json", boom)
    code, _, err = invoke(args, capsys)
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "error: unexpected KeyError; rerun with --debug for the traceback"
    )
    assert "Traceback" not in err and SECRET_NAME not in err
    code, _, err = invoke([*args, "--debug"], capsys)
    assert code == 1 and "Traceback (most recent call last)" in err
    assert not (tmp_path / "out").exists()  # failed before the swap: nothing published


def test_solver_override_is_recorded(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_inputs(tmp_path / "in", tables, fmt="parquet")
    out = tmp_path / "out"
    code, _, err = invoke(
        ["run", *input_args(paths), "--as-of", AS_OF, "-o", out, "--solver", "greedy", "-q"], capsys
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["solver"]["name"] == "greedy"
    assert summary["solver"]["backend"] == "greedy"
