"""``lotsen-match export --pseudonymise``: real runs exported through the real CLI.

The expected pseudonyms are computed here independently (HMAC-SHA256 as documented in
docs/personal-data.md), so a test fails if the scheme changes, not only if it is inconsistent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotsen_match.errors import PseudonymisationError
from lotsen_match.ingest.places import EARTH_RADIUS_KM, load_places
from lotsen_match.results.pseudonymise import Pseudonymiser, coarsen_coordinates
from tests.cli_support import (
    AS_OF,
    SECRET_COLUMN,
    SECRET_NAME,
    caseload_tables,
    input_args,
    invoke,
    run_cli,
    small_caseload,
    write_inputs,
)

KEY = "k" * 20 + "-0123456789abcdef-ä"  # 40 bytes in UTF-8
OTHER_KEY = "another secret key of well over 32 bytes"
PREFIX = {"request": "R-", "volunteer": "V-", "household": "H-"}
PSEUDONYM = re.compile(r"^[RVH]-[0-9a-f]{12}$")
RESULT_FILES = ("proposals", "unmatched", "rejected", "alternatives", "reconfirm")


def expected(value: str, kind: str, key: str = KEY) -> str:
    """The documented scheme, written out independently of the library."""
    digest = hmac.new(key.encode(), kind.encode() + b"\x00" + value.encode(), hashlib.sha256)
    return PREFIX[kind] + digest.hexdigest()[:12]


def _hashed(values: pd.Series, kind: str) -> pd.Series:
    return values.map(lambda v: expected(v, kind), na_action="ignore")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _export(
    run: Path,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None = KEY,
    *extra: str,
    capsys: pytest.CaptureFixture[str] | None = None,
) -> tuple[int, str, str]:
    """``export`` through the real entry point (a process), or in-process when given capsys."""
    if key is None:
        monkeypatch.delenv("LOTSEN_KEY", raising=False)
    else:
        monkeypatch.setenv("LOTSEN_KEY", key)
    args: list[str | Path] = ["export", "--pseudonymise", "--run", run, "--out", out, *extra]
    if capsys is not None:
        code, stdout, stderr = invoke(args, capsys)
    else:
        proc = run_cli(*args)
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    assert "Traceback" not in stderr
    return code, stdout, stderr


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    """A finished lenient run: a name-like extra column, two rejected rows quoting values."""
    tables = caseload_tables(small_caseload(seed=23, n_volunteers=50, n_requests=150))
    requests = tables["requests"].assign(**{SECRET_COLUMN: SECRET_NAME})
    requests["need_type"] = requests["need_type"].astype(object)
    requests.loc[4, "need_type"] = f"=HYPERLINK({SECRET_NAME})"
    requests["lat"] = requests["lat"].astype(object)
    requests.loc[9, "lat"] = "near the station"
    tables = {**tables, "requests": requests}
    base = tmp_path_factory.mktemp("run")
    paths = write_inputs(base / "in", tables)
    out = base / "out"
    proc = run_cli("run", *input_args(paths), "--as-of", AS_OF, "--lenient", "-o", out, "-q")
    assert proc.returncode == 0, proc.stderr
    return out, tables


def test_export_pseudonymises_ids_and_drops_free_text(
    run_dir: tuple[Path, dict[str, pd.DataFrame]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, tables = run_dir
    out = tmp_path / "export"
    code, stdout, err = _export(run, out, monkeypatch)
    assert code == 0, err
    assert KEY not in stdout + err
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([*(f"{n}.csv" for n in RESULT_FILES), "summary.json", "README.txt"])
    # Not world-readable: 0750 directory, 0640 files.
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o640}

    # No original id, name or quoted value anywhere in the export.
    ids = {
        *tables["volunteers"]["volunteer_id"],
        *tables["requests"]["request_id"],
        *tables["requests"]["household_id"].dropna(),
    }
    blob = b"".join(p.read_bytes() for p in out.iterdir()).decode("utf-8")
    tokens = set(re.findall(r"[A-Za-z0-9_]+", blob))
    assert not ids & tokens
    assert SECRET_NAME not in blob and "HYPERLINK" not in blob and "station" not in blob
    assert str(run.resolve()) not in blob and "requests.csv" not in blob

    original = {name: _read(run / f"{name}.csv") for name in RESULT_FILES}
    exported = {name: _read(out / f"{name}.csv") for name in RESULT_FILES}
    # Proposals: the same rows, each id replaced by its keyed hash; scores untouched.
    proposals = original["proposals"]
    want = proposals.assign(
        request_id=_hashed(proposals["request_id"], "request"),
        volunteer_id=_hashed(proposals["volunteer_id"], "volunteer"),
        household_id=_hashed(proposals["household_id"], "household"),
    )
    got = exported["proposals"]
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(
        got.sort_values("request_id").reset_index(drop=True),
        want.sort_values("request_id").reset_index(drop=True),
    )
    # Rows are ordered by pseudonym, not by the original (sequential) ids.
    assert got["request_id"].is_monotonic_increasing
    # Unmatched: every id column hashed (also inside best/household volunteer), no sentences.
    unmatched = exported["unmatched"]
    assert "detail" not in unmatched.columns and len(unmatched) == len(original["unmatched"])
    for column in ("request_id", "household_id", "best_volunteer_id", "household_volunteer_id"):
        assert unmatched[column].dropna().str.fullmatch(PSEUDONYM.pattern).all(), column
    best = original["unmatched"].dropna(subset=["best_volunteer_id"])
    assert len(best) > 0
    pairs = set(zip(unmatched["request_id"], unmatched["best_volunteer_id"], strict=True))
    for r, v in zip(best["request_id"], best["best_volunteer_id"], strict=True):
        assert (expected(r, "request"), expected(v, "volunteer")) in pairs
    # Alternatives and rejected.
    alternatives = exported["alternatives"]
    assert alternatives["volunteer_id"].str.fullmatch(PSEUDONYM.pattern).all()
    rejected = exported["rejected"]
    assert list(rejected.columns) == ["table", "id", "columns"]
    want_ids = []
    for table, value in zip(original["rejected"]["table"], original["rejected"]["id"], strict=True):
        if table == "assignments":  # "R/V" of an assignment row
            r, v = value.split("/")
            want_ids.append(f"{expected(r, 'request')}/{expected(v, 'volunteer')}")
        else:
            want_ids.append(expected(value, table.removesuffix("s")))
    assert set(original["rejected"]["table"]) == {"requests", "assignments"}
    assert sorted(rejected["id"]) == sorted(want_ids)
    # Reconfirm (stale requests): the same rows, every id hashed (also the proposed volunteer),
    # dates and days kept, nothing dropped; ordered by pseudonym, not longest-waiting first.
    stale = original["reconfirm"]
    assert len(stale) > 0 and stale["proposed_volunteer_id"].notna().any()
    want = stale.assign(
        request_id=_hashed(stale["request_id"], "request"),
        household_id=_hashed(stale["household_id"], "household"),
        proposed_volunteer_id=_hashed(stale["proposed_volunteer_id"], "volunteer"),
    )
    got = exported["reconfirm"]
    assert list(got.columns) == list(want.columns)
    assert got["request_id"].is_monotonic_increasing
    pd.testing.assert_frame_equal(
        got.sort_values("request_id").reset_index(drop=True),
        want.sort_values("request_id").reset_index(drop=True),
    )

    summary = json.loads((out / "summary.json").read_text())
    source = json.loads((run / "summary.json").read_text())
    assert summary["run_id"] == source["run_id"] and summary["counts"] == source["counts"]
    assert "database" not in summary and "report" not in summary["outputs"]
    assert all("source" not in info for info in summary["inputs"].values())
    assert summary["active_request_ids"] == sorted(
        expected(r, "request") for r in source["active_request_ids"]
    )
    record = summary["export"]
    assert record["pseudonymised"] is True and len(record["key_id"]) == 8
    assert record["key_id"] in stdout
    assert set(record["removed"]["columns"]) == {"unmatched", "rejected"}
    assert set(record["removed"]["columns"]["rejected"]) == {"source", "row", "values", "messages"}
    assert record["pseudonymised_columns"]["reconfirm"] == [
        "request_id",
        "household_id",
        "proposed_volunteer_id",
    ]
    readme = (out / "README.txt").read_text()
    for phrase in ("report.html", "detail", "messages", "HMAC-SHA256", record["key_id"]):
        assert phrase in readme
    assert "Kurzfassung" in readme


def test_export_is_stable_for_one_key_only(
    run_dir: tuple[Path, dict[str, pd.DataFrame]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run, _ = run_dir
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert _export(run, first, monkeypatch, capsys=capsys)[0] == 0
    assert _export(run, again, monkeypatch, capsys=capsys)[0] == 0
    assert _export(run, other, monkeypatch, OTHER_KEY, capsys=capsys)[0] == 0
    for name in [*(f"{n}.csv" for n in RESULT_FILES), "summary.json", "README.txt"]:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    a, c = _read(first / "proposals.csv"), _read(other / "proposals.csv")
    assert a.shape == c.shape
    assert set(a["request_id"]).isdisjoint(c["request_id"])
    # Replacing an earlier export works; the export of an export is refused.
    assert _export(run, first, monkeypatch, capsys=capsys)[0] == 0
    code, _, err = _export(first, tmp_path / "d", monkeypatch, capsys=capsys)
    assert code == 2 and "already a pseudonymised export" in err


def test_export_summary_keeps_only_what_is_known_to_be_safe(
    run_dir: tuple[Path, dict[str, pd.DataFrame]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Paths, the database URL and keys the export does not know never reach the export."""
    run, _ = run_dir
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["config"]["ingest"]["places"] = "/home/office/Müller/orte.csv"
    summary["config"]["ingest"]["files"] = {"requests": "/home/office/Müller/anfragen.csv"}
    summary["config"]["rules"]["success_model"] = "/home/office/Müller/modell.skops"
    summary["success_model"] = {
        "name": "success-2026-11",
        "path": "/home/office/Müller/modell.skops",
        "feature_version": 3,
        "training_period": ["2024-01-01", "2026-10-31"],
        "training_rows": 1200,
        "weight": 4.0,
    }
    summary["database"] = {"url": "postgresql://lotse:***@db.example/lotsen"}
    summary["notices"] = {"unknown_exclusions": ["V-left-the-pool"]}
    summary["counts"]["ids_of_something"] = ["R0000001"]
    (copy / "summary.json").write_text(json.dumps(summary))
    code, _, err = _export(copy, tmp_path / "x", monkeypatch, capsys=capsys)
    assert code == 0, err
    text = (tmp_path / "x" / "summary.json").read_text()
    exported = json.loads(text)
    assert exported["config"]["ingest"]["places"] == "orte.csv"
    # Paths in the settings keep only the file name (the model's name says which model ran);
    # input files are dropped like the inputs' sources.
    assert exported["config"]["rules"]["success_model"] == "modell.skops"
    assert exported["config"]["ingest"]["files"] == {}
    assert exported["success_model"] == {**summary["success_model"], "path": "modell.skops"}
    assert "config.ingest.files" in exported["export"]["removed"]["summary_keys"]
    for secret in (
        "/home/office",
        "Müller",
        "anfragen",
        "db.example",
        "V-left-the-pool",
        "R0000001",
    ):
        assert secret not in text
    assert set(exported["export"]["removed"]["summary_keys"]) >= {"database", "notices"}
    assert "ids_of_something" not in exported["counts"]
    assert "notices" in (tmp_path / "x" / "README.txt").read_text()


def test_export_coarsens_coordinates_to_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo writes its generated inputs next to the results; their homes become places."""
    demo = tmp_path / "demo"
    proc = run_cli("demo", "--out", demo, "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "export"
    code, _, err = _export(demo, out, monkeypatch)
    assert code == 0, err
    places = load_places()
    centres = set(zip(places["lat"].round(4), places["lon"].round(4), strict=True))
    for table, id_column, kind in (
        ("volunteers", "volunteer_id", "volunteer"),
        ("requests", "request_id", "request"),
    ):
        source = _read(demo / f"input_{table}.csv")
        got = _read(out / f"input_{table}.csv").set_index(id_column)
        at = list(got.columns).index("place")
        assert list(got.columns[at : at + 3]) == ["place", "lat", "lon"]
        assert got["place"].isin(places["name"]).all()
        lat, lon = got["lat"].astype(float), got["lon"].astype(float)
        assert set(zip(lat, lon, strict=True)) <= centres
        assert got.index.str.fullmatch(PSEUDONYM.pattern).all()
        aligned = got.loc[[expected(v, kind) for v in source[id_column]]]
        km = _haversine(
            source["lat"].astype(float).to_numpy(),
            source["lon"].astype(float).to_numpy(),
            aligned["lat"].astype(float).to_numpy(),
            aligned["lon"].astype(float).to_numpy(),
        )
        assert km.max() <= 15.0
        # Coarse indeed: far fewer distinct locations than homes.
        assert aligned[["lat", "lon"]].drop_duplicates().shape[0] < len(source) / 3
    requests = _read(demo / "input_requests.csv")
    got = _read(out / "input_requests.csv").set_index("request_id")
    excluded = requests.dropna(subset=["excluded_volunteers"])
    for r, lst in zip(excluded["request_id"], excluded["excluded_volunteers"], strict=True):
        want = ";".join(expected(v, "volunteer") for v in lst.split(";"))
        assert got.loc[expected(r, "request"), "excluded_volunteers"] == want


def _haversine(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)))


def test_export_refuses_bad_keys_runs_and_targets(
    run_dir: tuple[Path, dict[str, pd.DataFrame]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run, _ = run_dir
    out = tmp_path / "x"
    code, _, err = _export(run, out, monkeypatch, None, capsys=capsys)
    assert code == 2 and "LOTSEN_KEY" in err and "32 bytes" in err
    short = "s" * 31
    code, _, err = _export(run, out, monkeypatch, short, capsys=capsys)
    assert code == 2 and "31 bytes" in err and short not in err
    monkeypatch.setenv("OFFICE_KEY", OTHER_KEY)
    args = ["export", "--pseudonymise", "--key-env", "OFFICE_KEY", "--run", run, "-o", out]
    code, _, err = invoke(args, capsys)
    assert code == 0, err
    code, _, err = invoke(["export", "--run", run, "--out", tmp_path / "plain"], capsys)
    assert code == 2 and "--pseudonymise" in err
    assert not (tmp_path / "plain").exists()

    # Not a finished run: missing, empty, unfinished status, a result file missing.
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    summary = json.loads((run / "summary.json").read_text())
    (broken / "summary.json").write_text(json.dumps({**summary, "status": "running"}))
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "summary.json").write_text(json.dumps(summary))
    escape = tmp_path / "escape"
    escape.mkdir()
    (escape / "summary.json").write_text(json.dumps({**summary, "outputs": {"x": "../x.csv"}}))
    for bad, phrase in (
        (tmp_path / "missing", "no such directory"),
        (empty, "not a finished run"),
        (broken, "not a finished run"),
        (partial, "is missing"),
        (escape, "not a file name"),
    ):
        target = tmp_path / f"out-{bad.name}"
        code, _, err = _export(bad, target, monkeypatch, capsys=capsys)
        assert code == 2 and phrase in err, (bad, err)
        assert not target.exists()
    # Targets: inside the run, or a directory of the office's own files.
    code, _, err = _export(run, run / "export", monkeypatch, capsys=capsys)
    assert code == 2 and "outside the run directory" in err
    office = tmp_path / "office"
    office.mkdir()
    (office / "Entscheidungen.txt").write_text("keep me")
    code, _, err = _export(run, office, monkeypatch, capsys=capsys)
    assert code == 2 and (office / "Entscheidungen.txt").read_text() == "keep me"


def test_export_keeps_the_run_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = caseload_tables(small_caseload(seed=5, n_volunteers=20, n_requests=60))
    paths = write_inputs(tmp_path / "in", tables)
    run = tmp_path / "run"
    proc = run_cli("run", *input_args(paths), "--as-of", AS_OF, "-f", "xlsx", "-o", run, "-q")
    assert proc.returncode == 0, proc.stderr
    code, _, err = _export(run, tmp_path / "x", monkeypatch)
    assert code == 0, err
    original = pd.read_excel(run / "proposals.xlsx", dtype=str, engine="openpyxl")
    got = pd.read_excel(tmp_path / "x" / "proposals.xlsx", dtype=str, engine="openpyxl")
    assert sorted(got["volunteer_id"]) == sorted(
        expected(v, "volunteer") for v in original["volunteer_id"]
    )


# --- the pseudonymiser itself ----------------------------------------------------------------

ids = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12).filter(
    lambda s: s != ""
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(ids, min_size=1, max_size=40), missing=st.integers(0, 3))
def test_pseudonyms_are_keyed_injective_and_per_kind(values: list[str], missing: int) -> None:
    series = pd.Series([*values, *([None] * missing)], dtype=object)
    p = Pseudonymiser(KEY.encode())
    got = p.ids(series, "request")
    assert got.iloc[len(values) :].isna().all()
    assert got.iloc[: len(values)].tolist() == [expected(v, "request") for v in values]
    assert got.iloc[: len(values)].nunique() == len(set(values))
    volunteers = Pseudonymiser(KEY.encode()).ids(series, "volunteer").dropna()
    assert set(volunteers).isdisjoint(got.dropna())


def test_one_hmac_per_distinct_id(monkeypatch: pytest.MonkeyPatch) -> None:
    p = Pseudonymiser(KEY.encode())
    calls = 0
    digests = Pseudonymiser._digests

    def counted(self: Pseudonymiser, messages: list[bytes]) -> list[str]:
        nonlocal calls
        calls += len(messages)
        return digests(self, messages)

    monkeypatch.setattr(Pseudonymiser, "_digests", counted)
    series = pd.Series(np.tile([f"R{i}" for i in range(50)], 2_000), dtype=object)
    out = p.ids(series, "request")
    assert calls == 50 and out.nunique() == 50
    p.ids(series.iloc[::-1], "request")  # cached across tables
    assert calls == 50
    lists = pd.Series(["R1;R2", "R2", None, "R3; R1"], dtype=object)
    assert p.id_lists(lists, "request").tolist() == [
        f"{expected('R1', 'request')};{expected('R2', 'request')}",
        expected("R2", "request"),
        None,
        f"{expected('R3', 'request')};{expected('R1', 'request')}",
    ]


def test_short_keys_are_refused() -> None:
    with pytest.raises(PseudonymisationError, match="31 bytes"):
        Pseudonymiser(b"x" * 31)
    Pseudonymiser(b"x" * 32)


def test_coordinates_far_from_lower_saxony_use_the_grid() -> None:
    out = coarsen_coordinates([52.37, 48.137, None, 95.0], [9.735, 11.575, 9.0, 9.0])
    assert out.loc[0, "place"] == "Hannover"
    assert out.loc[1, "place"] == "" and (out.loc[1, "lat"], out.loc[1, "lon"]) == (48.1, 11.6)
    assert out.loc[2:, ["lat", "lon"]].isna().all().all() and (out.loc[2:, "place"] == "").all()


def test_colliding_pseudonyms_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """With one hex digit there are only 16 pseudonyms: the 17th id must stop the export."""
    import lotsen_match.results.pseudonymise as module

    monkeypatch.setattr(module, "PSEUDONYM_DIGITS", 1)
    p = Pseudonymiser(KEY.encode())
    with pytest.raises(PseudonymisationError, match="share a pseudonym"):
        p.ids(pd.Series([f"R{i}" for i in range(17)], dtype=object), "request")
    q = Pseudonymiser(KEY.encode())  # across calls too
    q.ids(pd.Series(["R0"], dtype=object), "request")
    with pytest.raises(PseudonymisationError):
        for i in range(1, 17):
            q.ids(pd.Series([f"R{i}"], dtype=object), "request")


def test_export_log_lines_name_no_ids(
    run_dir: tuple[Path, dict[str, pd.DataFrame]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run, tables = run_dir
    code, _, err = _export(run, tmp_path / "x", monkeypatch, KEY, "--log-json", capsys=capsys)
    assert code == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(line.get("message") == "export finished" for line in lines)
    ids = {*tables["volunteers"]["volunteer_id"], *tables["requests"]["request_id"]}
    assert not ids & set(re.findall(r"[A-Za-z0-9_]+", err))
    assert KEY not in err and SECRET_NAME not in err
