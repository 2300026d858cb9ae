"""Shared helpers of the CLI tests: the real entry point, small caseloads, a real PostgreSQL.

Not a conftest (the lead owns tests/conftest.py); test modules import what they need.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lotsen_match.generate import generate_caseload
from lotsen_match.io import write_table

AS_OF = "2026-11-02"
AS_OF_DATE = dt.date(2026, 11, 2)
#: A name-like value put into an extra column; it must never reach stderr or a log line.
SECRET_NAME = "Zzyzxa Quuxmann-Wobbelschlag"
SECRET_COLUMN = "contact_name"

_SCRIPT = Path(sys.executable).with_name("lotsen-match")
#: The installed console script if present, else the module entry point.
ENTRY: list[str] = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lotsen_match"]


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for subprocesses: no colour, a fixed width, UTF-8."""
    env = dict(os.environ)
    env.update({"NO_COLOR": "1", "COLUMNS": "120", "PYTHONIOENCODING": "utf-8", "TERM": "dumb"})
    env.update(extra)
    return env


def run_cli(
    *args: str | os.PathLike[str], cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``lotsen-match ARGS`` through the real entry point and capture everything."""
    return subprocess.run(
        [*ENTRY, *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str | os.PathLike[str], cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start ``lotsen-match ARGS`` without waiting (several commands then run concurrently)."""
    return subprocess.Popen(
        [*ENTRY, *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Wait for a process from :func:`start_cli` and return it as a completed process."""
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def invoke(args: Sequence[object], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in this process (fast); returns (exit code, stdout, stderr)."""
    from lotsen_match.job.cli import main

    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def small_caseload(seed: int = 7, n_volunteers: int = 80, n_requests: int = 240) -> Any:
    """A town caseload (Hildesheim, 15 km) where most requests have candidates."""
    from lotsen_match.ingest.places import load_places, places_within

    places = places_within(52.15077, 9.95112, 15.0, load_places())
    return generate_caseload(n_volunteers, n_requests, seed=seed, as_of=AS_OF_DATE, places=places)


def write_inputs(
    directory: Path,
    tables: Mapping[str, pd.DataFrame],
    fmt: str = "csv",
) -> dict[str, Path]:
    """Write ``{"volunteers": df, ...}`` as files; returns name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    return {name: write_table(frame, directory / f"{name}.{fmt}") for name, frame in tables.items()}


def caseload_tables(caseload: Any) -> dict[str, pd.DataFrame]:
    return {
        "volunteers": caseload.volunteers,
        "requests": caseload.requests,
        "assignments": caseload.assignments,
    }


def input_args(paths: Mapping[str, Path]) -> list[str]:
    flags = {"volunteers": "--volunteers", "requests": "--requests", "assignments": "--assignments"}
    args: list[str] = []
    for name, path in paths.items():
        args += [flags[name], str(path)]
    return args


def result_bytes(directory: Path) -> dict[str, bytes]:
    """Every output file except summary.json (which carries timings and the run id)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name != "summary.json"
    }


# --- PostgreSQL ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for candidate in reversed(found):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL on a free localhost port; yields its SQLAlchemy URL.

    As root, initdb and pg_ctl run as the ``postgres`` user (PostgreSQL refuses root) in a data
    directory owned by it. Skips the calling test, loudly, when no server can be started.
    """
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL TEST SKIPPED: no initdb/pg_ctl found (install the postgresql package)"
        )
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="lotsen-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pw = None
        if runuser is None or pw is None:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip(
                "PostgreSQL TEST SKIPPED: running as root without a 'postgres' user/runuser"
            )
        os.chown(base, pw.pw_uid, pw.pw_gid)
        prefix = [runuser, "-u", "postgres", "--"]
    data = base / "data"
    port = _free_port()
    log = base / "server.log"

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *cmd], capture_output=True, text=True, timeout=120, check=False
        )

    init = run(
        str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
        "--locale=C", "--no-sync",
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL TEST SKIPPED: initdb failed: {init.stderr.strip()[:300]}")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = run(
        str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"
    )
    if start.returncode != 0:
        detail = log.read_text(errors="replace")[-300:] if log.exists() else start.stderr[-300:]
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL TEST SKIPPED: server did not start: {detail}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
