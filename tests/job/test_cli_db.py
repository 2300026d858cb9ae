"""``run --db``: SQL tables in, results back in one transaction; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lotsen_match.io import write_sql_input_tables
from tests.cli_support import (
    AS_OF,
    caseload_tables,
    invoke,
    postgres_server,
    run_cli,
    small_caseload,
)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return caseload_tables(small_caseload(seed=31, n_volunteers=60, n_requests=180))


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


def _tables_in(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _check_round_trip(url: str, out: Path, stdout: str) -> str:
    """The database holds exactly the run's proposals and unmatched rows, under its run id."""
    summary = json.loads((out / "summary.json").read_text())
    run_id = summary["run_id"]
    assert run_id in stdout
    assert summary["inputs"]["volunteers"]["format"] == "sql"
    assert summary["database"]["tables_written"] == ["proposals", "unmatched", "match_runs"]
    assert summary["database"]["url"] == url  # no password here; see the redaction test
    assert summary["timings_s"]["database"] > 0
    files = {
        name: pd.read_csv(out / f"{name}.csv", dtype={"request_id": str, "volunteer_id": str})
        for name in ("proposals", "unmatched")
    }
    for name, frame in files.items():
        stored = _read(url, f"SELECT * FROM {name} WHERE run_id = '{run_id}' ORDER BY request_id")
        assert list(stored.columns) == ["run_id", *frame.columns]
        assert stored["request_id"].tolist() == frame["request_id"].tolist()
        if name == "proposals":
            assert stored["volunteer_id"].tolist() == frame["volunteer_id"].tolist()
            assert stored["score"].round(4).tolist() == frame["score"].round(4).tolist()
    runs = _read(url, f"SELECT * FROM match_runs WHERE run_id = '{run_id}'")
    assert len(runs) == 1
    assert int(str(runs.loc[0, "proposals"])) == len(files["proposals"])
    assert str(runs.loc[0, "as_of"]) == AS_OF
    return str(run_id)


def _round_trip(
    url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    write_sql_input_tables(url, tables)
    out = tmp_path / "out"
    proc = run_cli("run", "--db", url, "--as-of", AS_OF, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    first = _check_round_trip(url, out, proc.stdout)
    # A second night appends under a new run id; the first run's rows stay as they were.
    code, stdout, err = invoke(["run", "--db", url, "--as-of", AS_OF, "-o", out], capsys)
    assert code == 0, err
    second = _check_round_trip(url, out, stdout)
    assert second != first
    counts = _read(
        url, "SELECT run_id, COUNT(*) AS n FROM proposals GROUP BY run_id ORDER BY run_id"
    )
    assert counts["run_id"].tolist() == sorted([first, second])
    assert counts["n"].nunique() == 1


def _failed_write_changes_nothing(
    url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    """A result table the job cannot append to: exit 1, no result table changed, no files."""
    write_sql_input_tables(url, tables)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for name in ("proposals", "unmatched", "match_runs"):
                connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
            connection.execute(sa.text("CREATE TABLE unmatched (legacy INTEGER NOT NULL)"))
    finally:
        engine.dispose()
    out = tmp_path / "failed"
    code, _, err = invoke(["run", "--db", url, "--as-of", AS_OF, "-o", out], capsys)
    assert code == 1
    assert err.startswith("error: database: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    # proposals was written first in the same transaction: rolled back with the rest
    assert {"proposals", "match_runs"}.isdisjoint(_tables_in(url))


def test_sqlite_round_trip(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'lotsen.db'}", tmp_path, tables, capsys)


def test_sqlite_failed_write_rolls_back(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _failed_write_changes_nothing(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, tables, capsys)


def test_sqlite_missing_tables_and_bad_urls(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'partial.db'}"
    write_sql_input_tables(url, {"volunteers": tables["volunteers"]})
    code, _, err = invoke(["run", "--db", url, "--as-of", AS_OF, "-o", tmp_path / "o"], capsys)
    assert code == 2
    assert "no table 'requests'" in err and "volunteers" in err
    # No assignments table: a first run without earlier state is fine.
    write_sql_input_tables(url, {"requests": tables["requests"]})
    code, _, err = invoke(
        ["run", "--db", url, "--as-of", AS_OF, "-o", tmp_path / "o", "-q"], capsys
    )
    assert code == 0, err
    assert "assignments" not in json.loads((tmp_path / "o" / "summary.json").read_text())["inputs"]
    # An unknown dialect is a configuration error (2); an unreachable database is an error (1).
    code, _, err = invoke(["run", "--db", "nosuchdb://x", "-o", tmp_path / "p"], capsys)
    assert code == 2 and "invalid database URL" in err
    code, _, err = invoke(
        ["run", "--db", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "-o", tmp_path / "p"],
        capsys,
    )
    assert code == 1 and "database: OperationalError" in err
    assert not (tmp_path / "p").exists()


def test_validate_reads_the_database(
    tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    requests = tables["requests"].copy()
    requests["need_type"] = requests["need_type"].astype(object)
    requests.loc[3, "need_type"] = "shopping"
    write_sql_input_tables(url, {**tables, "requests": requests})
    code, stdout, err = invoke(["validate", "--db", url], capsys)
    assert code == 2
    assert "requests: 180 rows, 179 valid, 1 rejected" in stdout
    assert "<sql:requests>, Zeile 4, Spalte need_type: 'shopping' is not a need type" in err


@pytest.mark.postgres
def test_postgres_round_trip(
    pg_url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _round_trip(pg_url, tmp_path, tables, capsys)


@pytest.mark.postgres
def test_postgres_failed_write_rolls_back(
    pg_url: str, tmp_path: Path, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    _failed_write_changes_nothing(pg_url, tmp_path, tables, capsys)


def test_database_passwords_never_reach_summary_or_messages() -> None:
    from lotsen_match.job.runner import redact_url

    url = "postgresql+psycopg2://lotse:s3cret-pw@db.example:5432/lotsen"
    assert redact_url(url) == "postgresql+psycopg2://lotse:***@db.example:5432/lotsen"
    assert "s3cret" not in redact_url("::not a url s3cret::")
