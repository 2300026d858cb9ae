"""The bundled samples' result files, byte for byte: a refactoring may not change what offices get.

When a change is meant to alter the outputs (a bug fix), regenerate with
``python tests/test_golden_outputs.py`` and say why in the commit message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lotsen_match.job.cli import app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = ("proposals.csv", "unmatched.csv", "alternatives.csv", "rejected.csv")
RUNS: dict[str, list[str]] = {
    "samples": [
        "--volunteers",
        str(ROOT / "data/samples/ehrenamt_lotsen.csv"),
        "--requests",
        str(ROOT / "data/samples/anfragen.csv"),
        "--assignments",
        str(ROOT / "data/samples/zuordnungen.csv"),
        "--config",
        str(ROOT / "data/samples/sample_config.toml"),
    ],
    "deutsch": ["--profile", str(ROOT / "data/deutsch/profil.toml"), "--as-of", "2026-11-02"],
}


def run_sample(name: str, out: Path) -> None:
    """Run the nightly job on one bundled sample into ``out``."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["run", *RUNS[name], "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", sorted(RUNS))
def test_sample_outputs_are_byte_identical_to_the_golden_files(name: str, tmp_path: Path) -> None:
    run_sample(name, tmp_path / name)
    for file in FILES:
        got = (tmp_path / name / file).read_bytes()
        want = (GOLDEN / name / file).read_bytes()
        assert got == want, f"{name}/{file} differs from tests/golden/{name}/{file}"


if __name__ == "__main__":  # regenerate after an intended change
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for sample in RUNS:
            run_sample(sample, Path(tmp) / sample)
            for file in FILES:
                (GOLDEN / sample / file).write_bytes((Path(tmp) / sample / file).read_bytes())
    sys.exit(0)
