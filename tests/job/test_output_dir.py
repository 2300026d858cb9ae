"""Replacing the output directory respects the office's directory (issue 12, part 3).

Real directories, real modes and groups (the tests run as root, so ``chown`` to another group
works; elsewhere they need a second group of the user), a real bind mount where the system
allows one.
"""

from __future__ import annotations

import errno
import grp
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lotsen_match.io import atomic
from lotsen_match.io.atomic import atomic_directory
from tests.cli_support import AS_OF, invoke
from tests.hostile_files import write_requests, write_volunteers

OUTPUTS = {
    "proposals.csv",
    "unmatched.csv",
    "rejected.csv",
    "alternatives.csv",
    "reconfirm.csv",
    "summary.json",
    "report.html",
}


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    folder = tmp_path / "in"
    folder.mkdir()
    return ["-V", str(write_volunteers(folder)), "-R", str(write_requests(folder))]


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files come out world-readable unless the job says else."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _other_group() -> int:
    """A group the process may give its files and that is not its own primary group."""
    own = os.getegid()
    candidates = [g.gr_gid for g in grp.getgrall() if g.gr_name in ("nogroup", "users", "daemon")]
    candidates += os.getgroups() if os.geteuid() != 0 else []
    for gid in candidates:
        if gid != own:
            return gid
    pytest.skip("OUTPUT GROUP TEST SKIPPED: no second group to give the output directory")


def _run(
    capsys: pytest.CaptureFixture[str], inputs: list[str], out: Path, *extra: str
) -> tuple[int, str]:
    code, _, err = invoke(["run", *inputs, "--as-of", AS_OF, "-o", str(out), "-q", *extra], capsys)
    return code, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _staging_leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_replacing_the_output_directory_keeps_its_mode_and_group(
    tmp_path: Path, inputs: list[str], capsys: pytest.CaptureFixture[str], umask_022: None
) -> None:
    """700 root:nogroup stays 700 root:nogroup, run after run; the files get its group."""
    gid = _other_group()
    out = tmp_path / "out"
    out.mkdir()
    os.chown(out, -1, gid)
    os.chmod(out, 0o2710)  # setgid too: the office wants new files in its group
    for _ in range(2):
        code, err = _run(capsys, inputs, out)
        assert code == 0, err
        assert _mode(out) == 0o2710
        assert out.stat().st_gid == gid
        assert {p.name for p in out.iterdir()} == OUTPUTS
        for file in out.iterdir():
            assert file.stat().st_gid == gid, file.name
    assert _staging_leftovers(out) == []


def test_result_files_are_0640_whatever_the_umask_and_the_mode_is_configurable(
    tmp_path: Path, inputs: list[str], capsys: pytest.CaptureFixture[str], umask_022: None
) -> None:
    out = tmp_path / "out"
    assert _run(capsys, inputs, out)[0] == 0
    assert {f.name: _mode(f) for f in out.iterdir()} == dict.fromkeys(OUTPUTS, 0o640)
    assert _mode(out) == 0o750  # a new directory: readable by the group at most

    assert _run(capsys, inputs, out, "--file-mode", "0600")[0] == 0
    assert {_mode(f) for f in out.iterdir()} == {0o600}
    assert _mode(out) == 0o750  # an existing directory keeps its mode

    config = tmp_path / "job.toml"
    config.write_text('output_file_mode = "0660"\n')
    assert _run(capsys, inputs, out, "-c", str(config))[0] == 0
    assert {_mode(f) for f in out.iterdir()} == {0o660}

    code, err = _run(capsys, inputs, out, "--file-mode", "0644x")
    assert code == 2 and "--file-mode" in err
    config.write_text('output_file_mode = "0066"\n')  # the owner could not read the results
    code, err = _run(capsys, inputs, out, "-c", str(config))
    assert code == 2 and "output_file_mode" in err


def test_files_no_run_wrote_refuse_the_run_unless_force(
    tmp_path: Path, inputs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert _run(capsys, inputs, out)[0] == 0
    decisions = out / "Entscheidungen.txt"
    decisions.write_text("V1 -> R1 bestätigt\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    code, err = _run(capsys, inputs, out)
    assert code == 2
    assert "Entscheidungen.txt" in err and "--force" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing touched

    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["outputs"].values()) | {"summary.json"} == OUTPUTS  # the run's record

    code, err = _run(capsys, inputs, out, "--force")
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == OUTPUTS


def test_a_foreign_directory_is_refused_naming_its_files(
    tmp_path: Path, inputs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "Ablage"
    out.mkdir()
    for i in range(8):
        (out / f"Brief {i}.docx").write_text("x")
    code, err = _run(capsys, inputs, out)
    assert code == 2 and "not the output of an earlier run" in err
    assert "Brief 0.docx" in err and "and 3 more" in err
    assert len(list(out.iterdir())) == 8


def test_the_staging_directory_is_removed_when_the_swap_fails(
    tmp_path: Path,
    inputs: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The exchange fails (EBUSY, as on a mount point): no copy of the outputs stays behind."""
    out = tmp_path / "out"
    assert _run(capsys, inputs, out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def busy(first: Path, second: Path) -> bool:
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(first), None, str(second))

    monkeypatch.setattr(atomic, "_exchange", busy)
    code, err = _run(capsys, inputs, out)
    assert code != 0 and "busy" in err.lower()
    assert _staging_leftovers(out) == []
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    with pytest.raises(OSError, match="busy"), atomic_directory(out) as staging:
        (staging / "a.csv").write_text("new")
    assert _staging_leftovers(out) == []


def test_the_fallback_swap_cleans_up_when_the_second_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with atomic_directory(out) as staging:
        (staging / "a.csv").write_text("old")
    monkeypatch.setattr(atomic, "_exchange", lambda _first, _second: False)
    real_rename = os.rename
    calls: list[str] = []

    def rename(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        calls.append(Path(source).name)
        if Path(source).name.startswith(".out.tmp-"):
            raise OSError(errno.EXDEV, "cross-device link", str(source))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="cross-device"), atomic_directory(out) as staging:
        (staging / "a.csv").write_text("new")
    assert (out / "a.csv").read_text() == "old"
    assert _staging_leftovers(out) == []


def test_a_mount_point_as_output_is_refused_up_front(
    tmp_path: Path, inputs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    mount = shutil.which("mount")
    out = tmp_path / "mnt"
    out.mkdir()
    if mount is None or os.geteuid() != 0:
        pytest.skip("MOUNT TEST SKIPPED: needs root and mount(8) for a bind mount")
    bound = subprocess.run([mount, "--bind", str(out), str(out)], capture_output=True, check=False)
    if bound.returncode != 0:
        pytest.skip(f"MOUNT TEST SKIPPED: bind mount refused: {bound.stderr.decode()[:200]}")
    try:
        code, err = _run(capsys, inputs, out)
        assert code == 2 and "mount point" in err
        assert _staging_leftovers(out) == []
    finally:
        subprocess.run(["umount", str(out)], check=False)
