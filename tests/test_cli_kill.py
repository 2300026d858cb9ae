"""A run killed (SIGKILL) at any moment of writing leaves the previous or the new outputs, whole.

Each scenario runs the real CLI in its own process and kills that process from inside at a
precise point: after some result files are written into the staging directory, and right after
the atomic swap (before the old contents are deleted). A SIGTERM (a scheduler's timeout) instead
unwinds cleanly: exit 1, no staging directory left. The processes run concurrently.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_support import (
    AS_OF,
    caseload_tables,
    cli_env,
    input_args,
    invoke,
    result_bytes,
    small_caseload,
    write_inputs,
)

_AFTER_SECOND_TABLE = """
        import lotsen_match.runner as runner
        real = runner.write_table
        calls = []
        def write_table(*args, **kwargs):
            out = real(*args, **kwargs)
            calls.append(out)
            if len(calls) == 2:
                die()
            return out
        runner.write_table = write_table
"""

_KILLERS = {
    # killed after the second result table landed in the staging directory
    "tables": _AFTER_SECOND_TABLE,
    # killed right after the atomic exchange, before the previous outputs are deleted
    "swap": """
        import lotsen_match.io.atomic as atomic
        real = atomic._exchange
        def _exchange(first, second):
            done = real(first, second)
            die()
        atomic._exchange = _exchange
    """,
}


def _script(killer: str, args: list[str], sig: str = "SIGKILL") -> str:
    body = textwrap.dedent(_KILLERS.get(killer, _AFTER_SECOND_TABLE))
    return "\n".join(
        [
            "import os, signal",
            "def die():",
            f"    os.kill(os.getpid(), signal.{sig})",
            body,
            "from lotsen_match.cli import main",
            f"main({args!r})",
        ]
    )


def _tables(seed: int) -> dict[str, pd.DataFrame]:
    return caseload_tables(small_caseload(seed=seed, n_volunteers=60, n_requests=160))


def test_kill_at_any_point_of_writing_keeps_outputs_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_inputs = write_inputs(tmp_path / "old", _tables(seed=1))
    new_inputs = write_inputs(tmp_path / "new", _tables(seed=2))
    # Reference outputs of both runs, computed normally.
    reference = {}
    fingerprints = {}
    for label, paths in (("old", old_inputs), ("new", new_inputs)):
        out = tmp_path / f"ref-{label}"
        code, _, err = invoke(["run", *input_args(paths), "--as-of", AS_OF, "-o", out], capsys)
        assert code == 0, err
        reference[label] = result_bytes(out)
        fingerprints[label] = json.loads((out / "summary.json").read_text())["fingerprints"]
    assert reference["old"]["proposals.csv"] != reference["new"]["proposals.csv"]

    procs = {}
    for killer in _KILLERS:
        out = tmp_path / f"out-{killer}"
        code, _, _ = invoke(["run", *input_args(old_inputs), "--as-of", AS_OF, "-o", out], capsys)
        assert code == 0
        args = ["run", *input_args(new_inputs), "--as-of", AS_OF, "-o", str(out), "-q"]
        procs[killer] = subprocess.Popen(
            [sys.executable, "-c", _script(killer, args)],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    out = tmp_path / "out-term"
    assert invoke(["run", *input_args(old_inputs), "--as-of", AS_OF, "-o", out], capsys)[0] == 0
    args = ["run", *input_args(new_inputs), "--as-of", AS_OF, "-o", str(out), "-q"]
    term_proc = subprocess.Popen(
        [sys.executable, "-c", _script("term", args, sig="SIGTERM")],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for killer, proc in procs.items():
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL, (killer, err)
        out = tmp_path / f"out-{killer}"
        summary = json.loads((out / "summary.json").read_text())
        got = result_bytes(out)
        if killer == "swap":
            assert got == reference["new"], "the exchange happened: the new outputs, whole"
            assert summary["fingerprints"] == fingerprints["new"]
        else:
            assert got == reference["old"], f"killed during {killer}: previous outputs, whole"
            assert summary["fingerprints"] == fingerprints["old"]
        leftovers = sorted(
            p.name for p in tmp_path.iterdir() if p.name.startswith(f".out-{killer}")
        )
        assert leftovers, "a staging (or old) directory of the killed run is left behind"

    # SIGTERM (a scheduler's timeout) mid-write: exit 1, staging removed, previous outputs kept.
    out_text, err_text = term_proc.communicate(timeout=120)
    term = subprocess.CompletedProcess(term_proc.args, term_proc.returncode, out_text, err_text)
    assert term.returncode == 1, term.stderr
    assert term.stderr.strip() == "error: interrupted; no partial outputs were published."
    out = tmp_path / "out-term"
    assert result_bytes(out) == reference["old"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-term")]

    # The next run removes what the killed run left behind and publishes normally.
    out = tmp_path / "out-tables"
    code, _, err = invoke(["run", *input_args(new_inputs), "--as-of", AS_OF, "-o", out], capsys)
    assert code == 0, err
    assert result_bytes(out) == reference["new"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-tables")]
