"""Hostile inputs end in exit code 2, a clear message, bounded time and bounded memory.

Every case runs the real command (``python -m lotsen_match run ...``) in a child process with
its address space limited to 2 GB (``RLIMIT_AS``) and a timeout, and measures the child's wall
time and peak resident memory (``wait4``). The hostile files are generated here, in tmp_path:
small on disk, absurd once read (issue 12, parts 2 and 7).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli_support import AS_OF, cli_env
from tests.hostile_files import (
    REQUESTS_CSV,
    sparse_xlsx,
    write_requests,
    write_volunteers,
    xlsx_with_big_part,
)

#: Address space of the child: far below what the old readers needed for these files.
MEMORY_LIMIT = 2 << 30
#: Peak resident memory a refused input may cost (the interpreter and libraries take ~300 MB).
PEAK_RSS_LIMIT = 1 << 30
#: Wall time a refusal may take on a busy two-core machine (an idle one needs 3-6 s).
WALL_LIMIT_S = 60.0
TIMEOUT_S = 180.0
HEADER = {"A1": "volunteer_id", "B1": "languages", "C1": "lat"}


@dataclass(frozen=True)
class Outcome:
    """Exit code, output and cost of one child process."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int  # bytes

    def describe(self) -> str:
        return (
            f"exit {self.code} after {self.seconds:.1f} s, peak {self.peak_rss >> 20} MB\n"
            f"stderr: {self.stderr[-2000:]}"
        )


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_bounded(*args: str | os.PathLike[str], cwd: Path) -> Outcome:
    """``python -m lotsen_match ARGS`` under the memory limit; its time and peak memory."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lotsen_match", *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit_memory,
    )
    captured: dict[str, bytes] = {}

    def drain(name: str, stream: object) -> Callable[[], None]:
        def read() -> None:
            captured[name] = stream.read()  # type: ignore[attr-defined]

        return read

    readers = [
        threading.Thread(target=drain("out", proc.stdout)),
        threading.Thread(target=drain("err", proc.stderr)),
    ]
    for reader in readers:
        reader.start()
    timer = threading.Timer(TIMEOUT_S, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for reader in readers:
        reader.join()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return Outcome(
        code=proc.returncode,
        stdout=captured.get("out", b"").decode("utf-8", "replace"),
        stderr=captured.get("err", b"").decode("utf-8", "replace"),
        seconds=time.monotonic() - start,
        peak_rss=usage.ru_maxrss * 1024,
    )


def _run_with(tmp_path: Path, volunteers: Path, *extra: str | os.PathLike[str]) -> Outcome:
    requests = write_requests(tmp_path)
    args: list[str | os.PathLike[str]] = ["run", "--volunteers", volunteers]
    args += ["--requests", requests, "--as-of", AS_OF]
    return run_bounded(*args, "--out", tmp_path / "out", *extra, cwd=tmp_path)


def _assert_refused(outcome: Outcome, *expected: str) -> None:
    assert outcome.code == 2, outcome.describe()
    for text in expected:
        assert text in outcome.stderr, f"{text!r} missing; {outcome.describe()}"
    assert "Traceback" not in outcome.stderr
    assert outcome.seconds < WALL_LIMIT_S, outcome.describe()
    assert outcome.peak_rss < PEAK_RSS_LIMIT, outcome.describe()


def _hostile_file(tmp_path: Path, name: str) -> Path:
    """Each hostile volunteers file by name (built lazily: some take a second to write)."""
    path = tmp_path / name
    if name == "xfd.xlsx":  # one value at the last cell Excel has (aborted the process)
        return sparse_xlsx(path, {**HEADER, "A2": "V1", "XFD1048576": "x"})
    if name == "zz.xlsx":  # 140 million empty cells to build (46 s and 6.7 GB before)
        return sparse_xlsx(path, {**HEADER, "A2": "V1", "ZZ200000": "x"})
    if name == "tall.xlsx":  # a stray value in the last row
        return sparse_xlsx(path, {**HEADER, "A2": "V1", "A1048576": "x"})
    if name == "zipbomb.xlsx":  # 300 MB of XML in a 1.4 MB file
        return xlsx_with_big_part(path, megabytes=300)
    if name == "dup.csv":  # 4 MB: a million duplicate headers (OOM-killed before)
        n = 1_000_000
        path.write_text(",".join(["a"] * n) + "\n" + ",".join(["1"] * n) + "\n")
        return path
    if name == "widerow.csv":  # a data row of two million cells under a small header
        path.write_text("volunteer_id,languages\nV1,de:native\n" + "1," * 2_000_000 + "\n")
        return path
    if name == "longcell.csv":  # one 20 MB cell
        path.write_text("volunteer_id,note\nV1," + "x" * 20_000_000 + "\n")
        return path
    if name == "unclosed.csv":  # a quote opened and never closed: the rest is one cell
        body = "".join(f"V{i},de:native,note\n" for i in range(200_000))
        path.write_text('volunteer_id,languages,note\nV0,de:native,"oops\n' + body)
        return path
    if name == "zero.csv":  # a link to an endless device
        path.symlink_to("/dev/zero")
        return path
    if name == "nul.csv":  # UTF-16 without byte-order mark
        path.write_bytes("volunteer_id;languages\r\nV1;de:native\r\n".encode("utf-16-le"))
        return path
    raise AssertionError(name)


HOSTILE = {
    "xfd.xlsx": ("xfd.xlsx", "16384 columns", "at most 1000"),
    "zz.xlsx": ("zz.xlsx", "A1:ZZ200000", "Delete the rows below"),
    "tall.xlsx": ("tall.xlsx", "A1:C1048576"),
    "zipbomb.xlsx": ("zipbomb.xlsx", "unpacks to 300 MB", "max_input_mb"),
    "dup.csv": ("dup.csv", "the header: at least", "at most 1000"),
    "widerow.csv": ("widerow.csv", "row 3", "2000001 cells"),
    "longcell.csv": ("longcell.csv", "row 2, column 'note'", "32767 characters"),
    "unclosed.csv": ("unclosed.csv", "line 2", "quote"),
    "zero.csv": ("zero.csv", "more than 268435456 bytes", "max_input_mb"),
    "nul.csv": ("nul.csv", "NUL bytes", "byte-order mark"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused_within_bounds(tmp_path: Path, name: str) -> None:
    outcome = _run_with(tmp_path, _hostile_file(tmp_path, name))
    _assert_refused(outcome, *HOSTILE[name])
    assert not (tmp_path / "out").exists()


def test_size_limit_from_the_config(tmp_path: Path) -> None:
    big = tmp_path / "volunteers.csv"
    big.write_text(REQUESTS_CSV.splitlines()[0] + "\n" + "x,y,1,2,z,2026-01-01\n" * 100_000)
    config = tmp_path / "job.toml"
    config.write_text("max_input_mb = 1\n")
    outcome = _run_with(tmp_path, big, "--config", config)
    _assert_refused(outcome, "volunteers.csv", "at most 1 MB", "max_input_mb")


def test_parquet_that_unpacks_beyond_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.parquet"
    pd.DataFrame({"volunteer_id": np.zeros(2_000_000, dtype=np.int64)}).to_parquet(path)
    assert path.stat().st_size < 100_000
    config = tmp_path / "job.toml"
    config.write_text("max_input_mb = 4\n")
    outcome = _run_with(tmp_path, path, "--config", config)
    _assert_refused(outcome, "volunteers.parquet", "unpack to about 15 MB", "at most 4 MB")


def test_empty_list_separator_is_refused_not_an_endless_loop(tmp_path: Path) -> None:
    config = tmp_path / "job.toml"
    config.write_text('list_separators = [";", ""]\n')
    outcome = _run_with(tmp_path, write_volunteers(tmp_path), "--config", config)
    _assert_refused(outcome, "list_separators", "empty")


def test_terminal_escapes_in_cells_reach_stderr_escaped(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    path.write_text(
        "volunteer_id,languages,lat,lon,need_types,capacity,certified_on\n"
        "V1,de:native\x1b]0;owned\x07\x1b[2J,52.15,9.95,school,1,2020-01-01\n",
        encoding="utf-8",
    )
    outcome = _run_with(tmp_path, path)
    _assert_refused(outcome, "volunteers.csv", "\\x1b]0")
    assert "\x1b" not in outcome.stderr + outcome.stdout
    assert "\x07" not in outcome.stderr + outcome.stdout


def test_a_valid_run_passes_under_the_same_limits(tmp_path: Path) -> None:
    """The limits themselves are not what makes the cases above fail."""
    outcome = _run_with(tmp_path, write_volunteers(tmp_path))
    assert outcome.code == 0, outcome.describe()
    assert (tmp_path / "out" / "summary.json").is_file()
    assert outcome.peak_rss < PEAK_RSS_LIMIT, outcome.describe()
