"""Writers: formula-safe cells, deterministic bytes, atomic files and directories."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lotsen_match.io import atomic as atomic_module
from lotsen_match.io import (
    atomic_directory,
    atomic_file,
    cleanup_stale_temp,
    neutralize_formulas,
    read_table,
    write_table,
)

FORMATS = ("csv", "parquet", "xlsx")
DANGEROUS = ["=1+1", "+49 511 123", "-5", "@SUM(A1)", "\tx", "\rx"]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below ``directory`` by relative path, with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}."))


def results_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": ["R1", "R2", "R3"],
            "volunteer_id": ["V1", None, "V3"],
            "score": [0.1 + 0.2, 1 / 3, -0.5],
            "distance_km": [1.25, np.nan, 12.0],
            "n": [1, 2, 3],
            "note": ['=HYPERLINK("http://x")', "ok; fine", "Zeile\nzwei"],
            "created_on": pd.to_datetime(pd.Series(["2024-01-02", "2024-02-03", None])),
        }
    )


# --- neutralize_formulas ---------------------------------------------------------------------


def test_neutralize_formulas_prefixes_text_cells_only() -> None:
    df = pd.DataFrame(
        {
            "text": [*DANGEROUS, "normal", "a=b", None],
            "number": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, -9.0],
            "mixed": [1, "=x", None, -2, "y", "-z", 3.5, True, "@"],
            "category": pd.Categorical(["=c", "d", "=c", "d", "d", "d", "d", "d", "+e"]),
        }
    )
    df = df.rename(columns={"mixed": "=mixed"})
    original = df.copy()
    safe = neutralize_formulas(df)
    assert safe["text"].tolist()[:8] == [f"'{v}" for v in DANGEROUS] + ["normal", "a=b"]
    assert pd.isna(safe["text"].iloc[8])
    assert safe["text"].dtype == df["text"].dtype
    assert safe["number"].tolist() == df["number"].tolist()
    assert safe["number"].dtype == np.float64
    assert safe["'=mixed"].tolist() == [1, "'=x", None, -2, "y", "'-z", 3.5, True, "'@"]
    assert safe["category"].tolist() == ["'=c", "d", "'=c", "d", "d", "d", "d", "d", "'+e"]
    pd.testing.assert_frame_equal(df, original)  # input untouched


def test_neutralize_formulas_keeps_index_and_duplicate_labels() -> None:
    df = pd.DataFrame([["=a", "=b"], ["c", "-d"]], columns=["x", "x"], index=[5, 5])
    safe = neutralize_formulas(df)
    assert safe.values.tolist() == [["'=a", "'=b"], ["c", "'-d"]]
    assert safe.index.tolist() == [5, 5]


# --- write_table -----------------------------------------------------------------------------


def test_csv_bytes_are_plain_utf8_comma_lf_and_fixed_float_format(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"id": ["R1", "Ä2"], "score": [0.1 + 0.2, 1 / 3], "n": [1, 2], "x": ["-5", None]}
    )
    path = write_table(df, tmp_path / "out.csv")
    assert path == tmp_path / "out.csv"
    expected = "id,score,n,x\nR1,0.3,1,'-5\nÄ2,0.333333333333333,2,\n"
    assert path.read_bytes() == expected.encode("utf-8-sig")  # BOM: German Excel shows umlauts


def test_csv_round_trips_through_the_reader(tmp_path: Path) -> None:
    df = results_frame()
    path = write_table(df, tmp_path / "proposals.csv")
    back = read_table(path, table="proposals")
    assert back.attrs["delimiter"] == ","
    assert back["note"].tolist() == ['\'=HYPERLINK("http://x")', "ok; fine", "Zeile\nzwei"]
    assert back["score"].tolist() == ["0.3", "0.333333333333333", "-0.5"]
    assert back["_row"].tolist() == [2, 3, 4]


def test_rewrites_are_byte_identical(tmp_path: Path) -> None:
    df = results_frame()

    def write_all(directory: Path) -> dict[str, bytes]:
        return {f: write_table(df, directory / f"proposals.{f}").read_bytes() for f in FORMATS}

    first = write_all(tmp_path / "first")
    time.sleep(2.1)  # zip entries carry 2-second timestamps, xlsx metadata carries seconds
    second = write_all(tmp_path / "second")
    assert first == second
    # Row order is data, not noise: a different frame must give different bytes.
    third = {
        f: write_table(df[::-1], tmp_path / f"third/proposals.{f}").read_bytes() for f in FORMATS
    }
    assert all(third[f] != first[f] for f in FORMATS)


def test_xlsx_cells_are_neutralised_and_values_typed(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "id": DANGEROUS,
            "score": [-0.5, 1.0, 2.0, 3.0, 4.0, 5.0],
            "ctrl": ["a\x07b", "ok", "x", "y", "z", "w"],
        }
    )
    path = write_table(df, tmp_path / "proposals.xlsx")
    workbook = openpyxl.load_workbook(path)  # not data_only: formulas would show as formulas
    assert workbook.sheetnames == ["proposals"]
    sheet = workbook["proposals"]
    ids = [sheet.cell(row=r, column=1) for r in range(2, 8)]
    # XML turns a bare CR into LF on reading; what matters is the leading apostrophe.
    assert [c.value for c in ids[:5]] == [f"'{v}" for v in DANGEROUS[:5]]
    assert ids[5].value in ("'\rx", "'\nx")
    assert all(c.data_type == "s" for c in ids)
    assert sheet.cell(row=2, column=2).value == -0.5  # numbers stay numbers
    assert sheet.cell(row=2, column=3).value == "a\ufffdb"  # XML-illegal control char replaced


def test_xlsx_round_trips_through_the_reader(tmp_path: Path) -> None:
    df = results_frame()
    back = read_table(write_table(df, tmp_path / "p.xlsx"), table="proposals")
    assert back["n"].tolist() == [1, 2, 3]
    assert back["created_on"].iloc[0] == pd.Timestamp("2024-01-02")
    assert back["note"].iloc[0] == '\'=HYPERLINK("http://x")'


def test_parquet_keeps_types_and_values(tmp_path: Path) -> None:
    df = results_frame().set_index("request_id", drop=False)
    path = write_table(df, tmp_path / "p.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, df.reset_index(drop=True))
    assert back["note"].iloc[0] == df["note"].iloc[0]  # parquet is not for spreadsheets: as is


def test_explicit_and_unknown_formats(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1]})
    assert write_table(df, tmp_path / "out.dat", fmt="CSV").read_bytes() == b"\xef\xbb\xbfa\n1\n"
    with pytest.raises(ValueError, match=r"cannot infer the output format.*'\.dat'"):
        write_table(df, tmp_path / "out.dat")
    with pytest.raises(ValueError, match=r"unknown output format 'json'"):
        write_table(df, tmp_path / "out.csv", fmt="json")


def test_write_table_replaces_existing_file_without_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    write_table(pd.DataFrame({"a": [2]}), target)
    assert target.read_text(encoding="utf-8-sig") == "a\n2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_atomic_file_failure_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    with pytest.raises(RuntimeError, match="disk full"), atomic_file(target) as handle:
        handle.write(b"half a fi")
        raise RuntimeError("disk full")
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# --- atomic_directory ------------------------------------------------------------------------


def fill(directory: Path, contents: dict[str, str]) -> None:
    for name, text in contents.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)


def test_atomic_directory_creates_then_replaces_exactly(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    with atomic_directory(dest) as temp:
        assert temp.parent == tmp_path
        assert temp.name.startswith(f".out.tmp-{os.getpid()}-")
        fill(temp, {"a.csv": "1", "old-only.csv": "x", "sub/b.csv": "2"})
        assert not dest.exists()
    assert snapshot(dest) == {"a.csv": b"1", "old-only.csv": b"x", "sub/b.csv": b"2"}
    assert dest.stat().st_mode & 0o777 != 0o700  # umask applies, unlike mkdtemp
    with atomic_directory(dest) as temp:
        fill(temp, {"a.csv": "new"})
        assert snapshot(dest)["a.csv"] == b"1"  # old outputs visible until the block ends
    assert snapshot(dest) == {"a.csv": b"new"}  # exactly the new contents, no stale file
    assert leftovers(dest) == []


def test_atomic_directory_exception_leaves_dest_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    with atomic_directory(dest) as temp:
        fill(temp, {"a.csv": "1"})
    with pytest.raises(KeyError), atomic_directory(dest) as temp:
        fill(temp, {"a.csv": "2", "b.csv": "3"})
        raise KeyError("boom")
    assert snapshot(dest) == {"a.csv": b"1"}
    assert leftovers(dest) == []


def test_atomic_directory_follows_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    fill(real, {"a.csv": "old"})
    link = tmp_path / "link"
    link.symlink_to(real)
    with atomic_directory(link) as temp:
        fill(temp, {"a.csv": "new"})
    assert link.is_symlink()
    assert snapshot(real) == {"a.csv": b"new"}


def test_atomic_directory_refuses_a_file(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.write_text("not a directory")
    with pytest.raises(NotADirectoryError), atomic_directory(dest):
        pass


def fake_renameat2(code: int) -> object:
    def renameat2(*_args: object) -> int:
        ctypes.set_errno(code)
        return -1

    return renameat2


@pytest.mark.parametrize("loader", [lambda: None, lambda: fake_renameat2(errno.EINVAL)])
def test_fallback_swap_without_renameat2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loader: object
) -> None:
    monkeypatch.setattr(atomic_module, "_load_renameat2", loader)
    dest = tmp_path / "out"
    for version in ("1", "2"):
        with atomic_directory(dest) as temp:
            fill(temp, {f"v{version}.csv": version})
    assert snapshot(dest) == {"v2.csv": b"2"}
    assert leftovers(dest) == []


def test_exchange_errors_other_than_unsupported_propagate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic_module, "_load_renameat2", lambda: fake_renameat2(errno.EACCES))
    dest = tmp_path / "out"
    dest.mkdir()
    fill(dest, {"a.csv": "old"})
    with pytest.raises(PermissionError), atomic_directory(dest) as temp:
        fill(temp, {"a.csv": "new"})
    assert snapshot(dest) == {"a.csv": b"old"}


def test_real_renameat2_is_used_on_linux() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux-only")
    assert atomic_module._load_renameat2() is not None


def dead_pid() -> int:
    """A pid that just exited (and was reaped), so it belongs to no running process."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_cleanup_removes_dead_runs_and_keeps_live_ones(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    dead = tmp_path / f".out.tmp-{dead_pid()}-abcd1234"
    live = tmp_path / f".out.tmp-{os.getppid()}-abcd1234"
    for directory in (dead, live):
        directory.mkdir()
        fill(directory, {"x.csv": "x"})
    other = tmp_path / ".other.tmp-1-abcd1234"
    other.mkdir()
    assert cleanup_stale_temp(dest) == [dead]
    assert not dead.exists()
    assert live.exists()
    assert other.exists()


def test_cleanup_restores_backup_of_interrupted_fallback_swap(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    backup = tmp_path / f".out.old-{dead_pid()}-abcd1234"
    backup.mkdir()
    fill(backup, {"a.csv": "previous"})
    cleanup_stale_temp(dest)
    assert snapshot(dest) == {"a.csv": b"previous"}
    assert leftovers(dest) == []


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    from lotsen_match.io import atomic_directory, write_table

    with atomic_directory(Path(sys.argv[1])) as temp:
        write_table(pd.DataFrame({"request_id": ["NEW"]}), temp / "proposals.csv")
        write_table(pd.DataFrame({"request_id": ["NEW"]}), temp / "unmatched.parquet")
        (temp / "summary.json").write_text('{"half":')
        print(temp, flush=True)
        time.sleep(120)
    """
)


def test_sigkill_mid_write_leaves_previous_outputs(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    with atomic_directory(dest) as temp:
        write_table(pd.DataFrame({"request_id": ["OLD"]}), temp / "proposals.csv")
        fill(temp, {"summary.json": '{"complete": true}'})
    previous = snapshot(dest)

    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(dest)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        temp = Path(process.stdout.readline().strip())
        assert temp.parent == tmp_path, "writer did not reach the sleep"
        assert (temp / "summary.json").exists()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(dest) == previous
    assert leftovers(dest) == [temp.name]  # the killed run's debris, until the next run

    with atomic_directory(dest) as temp2:
        write_table(pd.DataFrame({"request_id": ["NEWER"]}), temp2 / "proposals.csv")
    assert snapshot(dest) == {"proposals.csv": b"\xef\xbb\xbfrequest_id\nNEWER\n"}
    assert leftovers(dest) == []
