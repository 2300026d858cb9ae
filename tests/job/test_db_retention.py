"""``run --db`` retention: expired result rows go in the run's own transaction; match_runs stays.

Real SQLite files and the real PostgreSQL server of :func:`tests.cli_support.postgres_server`.
Older runs are stored with the library's own writer (``write_sql_run``) with start times in the
past, because a test cannot wait 90 days; everything else goes through the real CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lotsen_match.io import write_sql_input_tables, write_sql_run
from lotsen_match.job.runner import SQL_RESULT_TABLES, SQL_RUNS_TABLE
from tests.cli_support import AS_OF, caseload_tables, invoke, postgres_server, small_caseload

RESULTS = SQL_RESULT_TABLES  # proposals, unmatched


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return caseload_tables(small_caseload(seed=41, n_volunteers=40, n_requests=120))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def _read(url: str, query: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(sa.text(query), connection)
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _rows_per_run(url: str, table: str) -> dict[str, int]:
    counts = _read(url, f"SELECT run_id, COUNT(*) AS n FROM {table} GROUP BY run_id")
    return {str(r): int(n) for r, n in zip(counts["run_id"], counts["n"], strict=True)}


def _runs(url: str) -> pd.DataFrame:
    return _read(url, f"SELECT * FROM {SQL_RUNS_TABLE} ORDER BY run_id")


def _run(url: str, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    code, _, err = invoke(["run", "--db", url, "--as-of", AS_OF, "-o", out, "-q", *extra], capsys)
    assert code == 0, err
    summary: dict[str, object] = json.loads((out / "summary.json").read_text())
    return summary


def _store_old_run(url: str, template_run: str, run_id: str, days_ago: float) -> dict[str, int]:
    """Store a copy of ``template_run``'s results as a run that started ``days_ago`` days ago."""
    results = {
        name: _read(url, f"SELECT * FROM {name} WHERE run_id = '{template_run}'").drop(
            columns="run_id"
        )
        for name in RESULTS
    }
    log = _read(url, f"SELECT * FROM {SQL_RUNS_TABLE} WHERE run_id = '{template_run}'")
    row = {
        str(k): v.item() if hasattr(v, "item") else v
        for k, v in log.iloc[0].items()
        if k != "run_id" and not str(k).startswith("deleted_")
    }
    started = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    row["started_at"] = started.isoformat(timespec="seconds")
    write_sql_run(url, results, row, run_id=run_id, runs_table=SQL_RUNS_TABLE)
    return {name: len(frame) for name, frame in results.items()}


def _retention_deletes_only_expired_results(
    url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    write_sql_input_tables(url, tables)
    first = _run(url, tmp_path / "a", capsys)
    run_a = str(first["run_id"])
    old = _store_old_run(url, run_a, "20250101T020000Z-0000aa", days_ago=100)
    recent = _store_old_run(url, run_a, "20250102T020000Z-0000bb", days_ago=30)
    assert old["proposals"] > 0 and old["unmatched"] > 0
    log_before = _runs(url)
    assert len(log_before) == 3

    second = _run(url, tmp_path / "b", capsys)  # default: 90 days
    run_b = str(second["run_id"])
    for name in RESULTS:
        per_run = _rows_per_run(url, name)
        assert "20250101T020000Z-0000aa" not in per_run  # 100 days old: expired
        assert per_run["20250102T020000Z-0000bb"] == recent[name]  # 30 days: kept
        assert per_run[run_a] == recent[name] and per_run[run_b] == per_run[run_a]
    retention = second["database"]["retention"]  # type: ignore[index]
    assert retention["days"] == 90
    assert retention["deleted_rows"] == old
    log = _runs(url)
    # Append-only: every earlier log row is still there, unchanged, including the expired run's.
    pd.testing.assert_frame_equal(
        log[log["run_id"] != run_b].reset_index(drop=True)[list(log_before.columns)],
        log_before,
        check_dtype=False,
    )
    new = log[log["run_id"] == run_b].iloc[0]
    assert int(new["deleted_proposals"]) == old["proposals"]
    assert int(new["deleted_unmatched"]) == old["unmatched"]
    assert int(new["deleted_rows"]) == old["proposals"] + old["unmatched"]
    assert int(new["retention_days"]) == 90 and str(new["retention_cutoff"]) == retention["cutoff"]
    assert str(new["requests_fingerprint"]) == second["fingerprints"]["requests"]  # type: ignore[index]
    assert int(new["requests_rows"]) == len(tables["requests"])
    assert str(new["library_version"]) and str(new["as_of"]) == AS_OF

    # 0 days keeps only the newest run's results; the log keeps all five runs.
    third = _run(url, tmp_path / "c", capsys, "--retention-days", "0")
    for name in RESULTS:
        assert set(_rows_per_run(url, name)) == {third["run_id"]}
    log = _runs(url)
    assert len(log) == 5
    last = log[log["run_id"] == third["run_id"]].iloc[0]
    assert int(last["deleted_proposals"]) == 3 * recent["proposals"]
    assert int(last["retention_days"]) == 0
    # No value in the run log is an id or a cell of the inputs.
    ids = set(tables["volunteers"]["volunteer_id"]) | set(tables["requests"]["request_id"])
    assert not ids & {str(v) for v in log.to_numpy().ravel()}


def _failed_write_keeps_expired_results(
    url: str,
    tmp_path: Path,
    tables: dict[str, pd.DataFrame],
    capsys: pytest.CaptureFixture[str],
    block_log_inserts: str,
) -> None:
    """The deletion is part of the run's transaction: when the log row cannot be written, the
    expired rows are still there (and no new results either)."""
    write_sql_input_tables(url, tables)
    first = _run(url, tmp_path / "a", capsys)
    _store_old_run(url, str(first["run_id"]), "20250101T020000Z-0000cc", days_ago=400)
    before = {name: _rows_per_run(url, name) for name in RESULTS}
    _execute(url, block_log_inserts)
    out = tmp_path / "failed"
    code, _, err = invoke(["run", "--db", url, "--as-of", AS_OF, "-o", out, "-q"], capsys)
    assert code == 1 and err.startswith("error: database: "), err
    assert not out.exists()
    assert {name: _rows_per_run(url, name) for name in RESULTS} == before
    assert len(_runs(url)) == 2


def _old_log_schema_is_extended(
    url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    """A match_runs table written by an earlier version (fewer columns) gets the new columns."""
    write_sql_input_tables(url, tables)
    old_row = pd.DataFrame(
        {
            "run_id": ["20240101T020000Z-0000dd"],
            "started_at": ["2024-01-01T02:00:00+00:00"],
            "as_of": ["2024-01-01"],
            "library_version": ["0.0.9"],
            "solver": ["flow"],
            "optimal": [True],
            "objective": [7],
            "proposals": [3],
            "unmatched": [4],
            "rejected_rows": [0],
        }
    )
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for name in (*RESULTS, SQL_RUNS_TABLE):
                connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        old_row.to_sql(SQL_RUNS_TABLE, engine, index=False)
    finally:
        engine.dispose()
    summary = _run(url, tmp_path / "o", capsys)
    log = _runs(url)
    assert len(log) == 2
    kept = log[log["run_id"] == "20240101T020000Z-0000dd"].iloc[0]
    assert int(kept["proposals"]) == 3 and pd.isna(kept["deleted_rows"])
    new = log[log["run_id"] == summary["run_id"]].iloc[0]
    assert int(new["deleted_rows"]) == 0 and int(new["retention_days"]) == 90


def test_sqlite_retention(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _retention_deletes_only_expired_results(
        f"sqlite:///{tmp_path / 'r.db'}", tmp_path, tables, capsys
    )


def test_sqlite_failed_write_keeps_expired_results(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    trigger = (
        f"CREATE TRIGGER no_more_runs BEFORE INSERT ON {SQL_RUNS_TABLE} "
        "BEGIN SELECT RAISE(ABORT, 'log is closed'); END"
    )
    _failed_write_keeps_expired_results(
        f"sqlite:///{tmp_path / 'f.db'}", tmp_path, tables, capsys, trigger
    )


def test_sqlite_old_log_schema(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _old_log_schema_is_extended(f"sqlite:///{tmp_path / 'o.db'}", tmp_path, tables, capsys)


@pytest.mark.postgres
def test_postgres_retention(
    pg_url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _execute(pg_url, *(f"DROP TABLE IF EXISTS {n}" for n in (*RESULTS, SQL_RUNS_TABLE)))
    _retention_deletes_only_expired_results(pg_url, tmp_path, tables, capsys)


@pytest.mark.postgres
def test_postgres_failed_write_keeps_expired_results(
    pg_url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _execute(pg_url, *(f"DROP TABLE IF EXISTS {n}" for n in (*RESULTS, SQL_RUNS_TABLE)))
    check = (
        f"ALTER TABLE {SQL_RUNS_TABLE} ADD CONSTRAINT log_closed CHECK (proposals < 0) NOT VALID"
    )
    _failed_write_keeps_expired_results(pg_url, tmp_path, tables, capsys, check)


@pytest.mark.postgres
def test_postgres_old_log_schema(
    pg_url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _old_log_schema_is_extended(pg_url, tmp_path, tables, capsys)


def test_retention_days_is_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lotsen_match import MatchConfig

    assert MatchConfig().retention_days == 90
    config = tmp_path / "c.toml"
    config.write_text("retention_days = -1\n")
    code, _, err = invoke(
        ["run", "--db", "sqlite:///x.db", "--config", config, "-o", tmp_path / "o"], capsys
    )
    assert code == 2 and "retention_days" in err
    code, _, err = invoke(
        ["run", "--db", "sqlite:///x.db", "--retention-days", "-3", "-o", tmp_path / "o"], capsys
    )
    assert code == 2 and "--retention-days" in err
    assert not (tmp_path / "o").exists()


def test_zero_days_also_expires_a_run_started_in_the_same_second(tmp_path: Path) -> None:
    """Run ids and cutoffs have second resolution: a run logged in the second a 0-day
    retention starts was kept (``<``), so "keep only the newest run" failed when two runs
    came within one second (seen once on a fast machine)."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    same_second = "2026-11-30T05:26:40+00:00"
    frame = pd.DataFrame({"request_id": ["R1"], "volunteer_id": ["V1"]})
    write_sql_run(
        url, {"proposals": frame}, {"started_at": same_second}, run_id="a", runs_table="runs"
    )
    deleted = write_sql_run(
        url,
        {"proposals": frame},
        {"started_at": same_second},
        run_id="b",
        runs_table="runs",
        expire_before=same_second,
    )
    assert deleted["proposals"] == 1
    kept = _read(url, "SELECT run_id FROM proposals")
    assert kept["run_id"].tolist() == ["b"]
