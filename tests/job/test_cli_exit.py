"""The ``lotsen-match`` process ends without tearing the interpreter down, and loses nothing.

Tearing down the modules of pandas, scikit-learn, SciPy and matplotlib took about half a second
after every command. The entry point now flushes its streams, runs the atexit handlers and ends
the process at once (as mypy does). These tests run the real entry point in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from ..cli_support import (
    AS_OF,
    caseload_tables,
    cli_env,
    input_args,
    run_cli,
    small_caseload,
    write_inputs,
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


ENTRY_WITH_PROBES = """
    import atexit, sys
    from pathlib import Path

    marker = Path(sys.argv[1])

    class TornDown:
        def __del__(self):
            print("module teardown ran", flush=True)

    probe = TornDown()  # a module global: only a full interpreter teardown deletes it
    atexit.register(lambda: marker.write_text("atexit ran"))
    sys.stdout.write("unflushed line")  # no newline, no flush: the exit must flush it
    sys.argv = ["lotsen-match", *sys.argv[2:]]
    from lotsen_match.job.cli import script

    script()
"""


def test_the_entry_point_skips_the_teardown_but_runs_atexit_and_flushes(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    done = _python(ENTRY_WITH_PROBES, str(marker), "--version")
    assert done.returncode == 0, done.stderr
    assert "unflushed line" in done.stdout
    assert "module teardown ran" not in done.stdout
    assert marker.read_text() == "atexit ran"


def test_the_entry_point_keeps_the_exit_code_of_a_failed_run(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    missing = tmp_path / "nowhere.csv"
    done = _python(
        ENTRY_WITH_PROBES,
        str(marker),
        "run",
        "-V",
        str(missing),
        "-R",
        str(missing),
        "--as-of",
        AS_OF,
        "-o",
        str(tmp_path / "out"),
    )
    assert done.returncode == 2
    assert "nowhere.csv" in done.stderr
    assert marker.read_text() == "atexit ran"


def test_a_run_through_the_real_entry_point_writes_and_logs_everything(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "in", caseload_tables(small_caseload()))
    out = tmp_path / "out"
    done = run_cli(
        "run",
        *input_args(paths),
        "--as-of",
        AS_OF,
        "-o",
        out,
        "--log-json",
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert records[-1]["message"] == "run finished"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] == records[-1]["run_id"]
    assert (out / "report.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
