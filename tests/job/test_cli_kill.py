"""A run stopped at any moment of writing leaves the previous or the new outputs, whole.

- SIGKILL through the real entry point, after two result files landed in the staging directory:
  the previous outputs stay; the next run removes the leftover staging directory.
- A crash right after the atomic exchange, before the previous contents are deleted: the new
  outputs are complete.
- SIGTERM (a scheduler's timeout) mid-write unwinds: exit 1, staging removed, previous outputs kept.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

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

_KILL_AFTER_SECOND_TABLE = textwrap.dedent(
    """
    import os, signal
    import lotsen_match.job.runner as runner
    real = runner.write_table
    calls = []
    def write_table(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return out
    runner.write_table = write_table
    from lotsen_match.job.cli import main
    main(ARGS)
    """
)


class _Crash(BaseException):
    """Stands for a power cut: nothing catches it, no cleanup code runs after it."""


def _tables(seed: int) -> dict[str, pd.DataFrame]:
    return caseload_tables(small_caseload(seed=seed, n_volunteers=60, n_requests=160))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Inputs of yesterday ("old") and today ("new") and the outputs of normal runs of both."""
    from lotsen_match.job.cli import main

    base = tmp_path_factory.mktemp("kill")
    data: dict[str, Any] = {"base": base, "inputs": {}, "bytes": {}, "fingerprints": {}}
    for label, seed in (("old", 1), ("new", 2)):
        paths = write_inputs(base / label, _tables(seed))
        out = base / f"ref-{label}"
        with pytest.raises(SystemExit) as done:
            main(["run", *input_args(paths), "--as-of", AS_OF, "-o", str(out), "-q"])
        assert done.value.code == 0
        data["inputs"][label] = paths
        data["bytes"][label] = result_bytes(out)
        data["fingerprints"][label] = json.loads((out / "summary.json").read_text())["fingerprints"]
    assert data["bytes"]["old"]["proposals.csv"] != data["bytes"]["new"]["proposals.csv"]
    return data


def _yesterday(runs: dict[str, Any], out: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Publish yesterday's outputs in ``out``; return the arguments of today's run."""
    old = ["run", *input_args(runs["inputs"]["old"]), "--as-of", AS_OF, "-o", str(out), "-q"]
    assert invoke(old, capsys)[0] == 0
    return ["run", *input_args(runs["inputs"]["new"]), "--as-of", AS_OF, "-o", str(out), "-q"]


def _staging(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_sigkill_while_writing_keeps_the_previous_outputs(
    runs: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = _yesterday(runs, out, capsys)
    script = _KILL_AFTER_SECOND_TABLE.replace("ARGS", repr(args))
    proc = subprocess.run(
        [sys.executable, "-c", script], env=cli_env(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert result_bytes(out) == runs["bytes"]["old"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fingerprints"] == runs["fingerprints"]["old"]
    assert _staging(out), "the killed run left its staging directory behind"

    # The next run removes the leftover and publishes normally.
    code, _, err = invoke([a for a in args if a != "-q"], capsys)
    assert code == 0, err
    assert result_bytes(out) == runs["bytes"]["new"]
    assert not _staging(out)


def test_crash_right_after_the_exchange_leaves_the_new_outputs(
    runs: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lotsen_match.io.atomic as atomic

    out = tmp_path / "out"
    args = _yesterday(runs, out, capsys)
    real = atomic._exchange

    def exchange_then_crash(first: Path, second: Path) -> bool:
        real(first, second)
        raise _Crash

    monkeypatch.setattr(atomic, "_exchange", exchange_then_crash)
    with pytest.raises(_Crash):
        invoke(args, capsys)
    assert result_bytes(out) == runs["bytes"]["new"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fingerprints"] == runs["fingerprints"]["new"]


def test_sigterm_while_writing_unwinds_cleanly(
    runs: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lotsen_match.job.runner as runner

    out = tmp_path / "out"
    args = _yesterday(runs, out, capsys)
    real = runner.write_table  # type: ignore[attr-defined]
    calls: list[Path] = []

    def write_then_sigterm(*a: Any, **k: Any) -> Path:
        calls.append(real(*a, **k))
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # the CLI turned SIGTERM into an interrupt
        return calls[-1]

    monkeypatch.setattr(runner, "write_table", write_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    code, _, err = invoke(args, capsys)
    assert signal.getsignal(signal.SIGTERM) == before, "the handler is restored"
    assert code == 1
    assert err.strip() == "error: interrupted; no partial outputs were published."
    assert result_bytes(out) == runs["bytes"]["old"]
    assert not _staging(out)
