"""What reaches a terminal or a log is escaped and short; odd encodings and quotes are noticed.

Regression tests for issue 12, part 7: control characters from cells reached stderr raw
(``\\x1b]0;...\\x07`` set the terminal title), UTF-16 files were read as garbage, a stray quote
merged rows silently, and messages and JSON logs quoted up to 40 characters of free text.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from lotsen_match.errors import InputFormatError
from lotsen_match.io import read_table
from lotsen_match.job.logs import configure_logging
from lotsen_match.printable import excerpt, printable
from tests.cli_support import AS_OF, invoke
from tests.hostile_files import REQUESTS_CSV, write_volunteers

TITLE = "\x1b]0;owned\x07"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\r")
SECRET = "Zzyzxa-Quuxmann-Wobbelschlag-lives-at-Hauptstrasse-1"


def _requests(tmp_path: Path, languages: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "requests.csv"
    body = REQUESTS_CSV.replace("R1,de:native,", f'R1,"{languages}",')
    path.write_bytes(body.encode(encoding))
    return path


def _run(
    tmp_path: Path, requests: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    volunteers = write_volunteers(tmp_path)
    args = ["run", "-V", volunteers, "-R", requests, "--as-of", AS_OF, "-o", tmp_path / "out"]
    return invoke([*args, *extra], capsys)


def test_control_characters_in_cells_never_reach_stderr_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = _requests(tmp_path, f"xx{TITLE}\u202e\r\x9b:native")
    code, out, err = _run(tmp_path, requests, capsys)
    assert code == 2
    assert "requests.csv" in err and "languages" in err
    for char in RAW_CONTROLS:
        assert char not in out + err, repr(char)
    # Shown escaped, so the user sees what is there (the cell is split at its ';').
    assert "'xx\\x1b]0'" in err and "owned\\x07\\u202e\\r\\x9b" in err


def test_control_characters_in_log_records_are_escaped() -> None:
    stream = io.StringIO()
    configure_logging(level=logging.INFO, stream=stream)
    try:
        logging.getLogger("lotsen_match.test").warning("file %s", f"evil{TITLE}.csv")
    finally:
        configure_logging(stream=io.StringIO())
    line = stream.getvalue()
    assert "\x1b" not in line and "\x07" not in line
    assert "evil\\x1b]0;owned\\x07.csv" in line


def test_messages_quote_a_short_escaped_excerpt_and_json_logs_no_cell_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = _requests(tmp_path, f"{SECRET}:native")
    code, _, err = _run(tmp_path, requests, capsys)
    assert code == 2
    assert SECRET[:19] in err  # a recognisable excerpt ...
    assert SECRET[:21] not in err  # ... of at most 20 characters
    code, _, err = _run(tmp_path, requests, capsys, "--log-json")
    assert code == 2
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    problems = [r for r in records if r["message"] == "invalid input"]
    assert problems and all(r["row"] == 2 and r["column"] == "languages" for r in problems)
    assert SECRET[:6] not in "\n".join(line for line in err.splitlines() if line.startswith("{"))


def test_printable_and_excerpt() -> None:
    assert printable("Müller\tß") == "Müller\\tß"
    assert printable(TITLE) == "\\x1b]0;owned\\x07"
    assert printable("a\u202eb\u200bc") == "a\\u202eb\\u200bc"
    assert excerpt("x" * 50) == "'" + "x" * 19 + "…'"
    assert excerpt("it's") == "'it’s'"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_with_byte_order_mark_are_read(tmp_path: Path, encoding: str) -> None:
    text = "Kennung;Sprachen;Ort\r\nL-1;Arabisch;Göttingen\r\nL-2;Türkisch;Lüneburg\r\n"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}
    path = tmp_path / "lotsen.csv"
    path.write_bytes(bom.get(encoding, b"") + text.encode(encoding))
    frame = read_table(path, table="volunteers")
    assert list(frame.columns) == ["Kennung", "Sprachen", "Ort", "_row"]
    assert frame["Ort"].tolist() == ["Göttingen", "Lüneburg"]
    assert frame.attrs["encoding"].startswith(encoding[:6])


def test_utf16_without_byte_order_mark_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "lotsen.csv"
    path.write_bytes("Kennung;Ort\r\nL-1;Göttingen\r\n".encode("utf-16-le"))
    with pytest.raises(InputFormatError, match=r"lotsen\.csv.*UTF-16.*byte-order mark"):
        read_table(path, table="volunteers")


def test_a_stray_quote_that_merges_rows_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [f"V{i},de:native,note {i}" for i in range(1, 9)]
    rows[2] = 'V3,de:native,"note 3 with a stray quote'  # swallows the rows below it
    rows[6] = 'V7,de:native,closing quote"'
    path = tmp_path / "lotsen.csv"
    path.write_text("volunteer_id,languages,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="lotsen_match"):
        frame = read_table(path, table="volunteers")
    assert len(frame) == 4  # what the quote did: rows 4-7 went into one cell of row 4
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0]
    assert "lotsen.csv" in message and "row 4" in message and "'note'" in message
    assert "5 lines" in message and "quote" in message
    assert "note 3" not in message  # no cell text in a log line
    assert frame.attrs["multiline_rows"] == [4]


def test_a_table_whose_rows_all_span_lines_is_not_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [f'V{i},de:native,"Hauptstr. {i}\nHannover"' for i in range(1, 6)]
    path = tmp_path / "lotsen.csv"
    path.write_text("volunteer_id,languages,address\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="lotsen_match"):
        frame = read_table(path, table="volunteers")
    assert len(frame) == 5
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_result_lines_on_stdout_are_escaped() -> None:
    import contextlib

    from lotsen_match.job.cli import _Session

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        _Session().say(f"L-1\n{TITLE}")
    assert buffer.getvalue() == "L-1\n\\x1b]0;owned\\x07\n"
