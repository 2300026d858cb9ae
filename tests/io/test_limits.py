"""Readers check their limits before the work: hostile files are refused, quickly and clearly.

Regression tests for issue 12, part 2 (small inputs that exhausted memory or crashed). The
cases that abort or exhaust a whole process (a cell at XFD1048576, a 300 MB zip bomb, 10^6
duplicate headers) run through the real CLI under a memory limit in tests/test_hostile_inputs.py;
here each check runs in-process on a smaller instance of the same shape.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.errors import ConfigError, InputFormatError, InputLimitError
from lotsen_match.io import read_table
from lotsen_match.io.limits import DEFAULT_LIMITS, InputLimits
from lotsen_match.io.xlsx_extent import sheet_extent
from tests.hostile_files import sheet_xml_xlsx, sparse_xlsx, xlsx_with_big_part

HEADER = {"A1": "volunteer_id", "B1": "languages", "C1": "note"}


def _read(path: Path, limits: InputLimits | None = None) -> pd.DataFrame:
    return read_table(path, table="volunteers", limits=limits)


# --- Excel -------------------------------------------------------------------------------------


def test_a_stray_cell_far_below_and_right_of_the_table_is_refused(tmp_path: Path) -> None:
    """One value at ZZ2000 spans 1.4 M cells for 5 values: refused before calamine builds it."""
    path = sparse_xlsx(tmp_path / "lotsen.xlsx", {**HEADER, "A2": "V1", "ZZ2000": "x"})
    start = time.perf_counter()
    with pytest.raises(InputLimitError) as info:
        _read(path)
    message = str(info.value)
    assert "lotsen.xlsx" in message and "'volunteers'" in message
    assert "A1:ZZ2000" in message  # where the stray cell is, so it can be deleted
    assert "5 cells" in message or "5 values" in message
    assert info.value.path == str(path)
    assert time.perf_counter() - start < 5


def test_a_cell_in_column_xfd_is_refused_for_its_width(tmp_path: Path) -> None:
    path = sparse_xlsx(tmp_path / "wide.xlsx", {**HEADER, "A2": "V1", "XFD2": "x"})
    with pytest.raises(InputLimitError, match=r"wide\.xlsx.*16384 columns.*at most 1000"):
        _read(path)


def test_a_small_sparse_sheet_is_still_read_with_its_row_numbers(tmp_path: Path) -> None:
    """Blank rows between values are normal; only an absurd used range is refused."""
    cells = {**HEADER, "A2": "V1", "B2": "de:native", "A5000": "V2", "C5000": "late"}
    frame = _read(sparse_xlsx(tmp_path / "ok.xlsx", cells))
    assert frame["volunteer_id"].tolist() == ["V1", "V2"]
    assert frame["_row"].tolist() == [2, 5000]


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _inline(ref: str, text: str, *, prefix: str = "", ref_last: bool = False) -> str:
    ref_attr = f' r="{ref}"' if ref else ""
    head = (
        f'{prefix}c t="inlineStr"{ref_attr}' if ref_last else f'{prefix}c{ref_attr} t="inlineStr"'
    )
    return f"<{head}><{prefix}is><{prefix}t>{text}</{prefix}t></{prefix}is></{prefix}c>"


def test_prefixed_cells_are_measured_too(tmp_path: Path) -> None:
    """``<x:c r="ZZ2000">`` is a cell as well; the fast pass hands it to the XML parser."""
    x = "x:"
    body = (
        f'<x:row r="1">{_inline("A1", "volunteer_id", prefix=x)}</x:row>'
        f'<x:row r="2000">{_inline("ZZ2000", "far", prefix=x)}</x:row>'
    )
    xml = f'<x:worksheet xmlns:x="{_MAIN}"><x:sheetData>{body}</x:sheetData></x:worksheet>'
    with pytest.raises(InputLimitError, match=r"A1:ZZ2000"):
        _read(sheet_xml_xlsx(tmp_path / "prefixed.xlsx", xml))


def test_cells_without_references_are_counted_by_position(tmp_path: Path) -> None:
    cells = "".join(_inline("", f"h{i}") for i in range(1200))
    xml = f'<worksheet xmlns="{_MAIN}"><sheetData><row>{cells}</row></sheetData></worksheet>'
    with pytest.raises(InputLimitError, match=r"columns up to ATD: 1200 columns"):
        _read(sheet_xml_xlsx(tmp_path / "implicit.xlsx", xml))


def test_fast_and_exact_measures_agree(tmp_path: Path) -> None:
    """The same sheet in the canonical form and with ``r`` last (the XML parser's path)."""
    refs = {"A1": "id", "C1": "x", "A2": "V1", "AB17": "y", "D9": "z"}
    for ref_last, name in ((False, "fast.xlsx"), (True, "exact.xlsx")):
        rows: dict[int, str] = {}
        for ref, text in refs.items():
            row = int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            rows[row] = rows.get(row, "") + _inline(ref, text, ref_last=ref_last)
        body = "".join(f'<row r="{r}">{c}</row>' for r, c in sorted(rows.items()))
        xml = f'<worksheet xmlns="{_MAIN}"><sheetData>{body}</sheetData></worksheet>'
        path = sheet_xml_xlsx(tmp_path / name, xml)
        import zipfile

        with zipfile.ZipFile(path) as archive:
            extent = sheet_extent(archive, "xl/worksheets/sheet1.xml", path)
        assert (extent.last_row, extent.last_column, extent.values) == (17, 28, 5), name
        assert extent.used_range == "A1:AB17"


def test_an_excel_zip_bomb_is_refused_by_its_unpacked_size(tmp_path: Path) -> None:
    path = xlsx_with_big_part(tmp_path / "bomb.xlsx", megabytes=8)
    assert path.stat().st_size < 100_000
    with pytest.raises(InputLimitError, match=r"bomb\.xlsx.*unpacks to 8\.0 MB.*at most 4 MB"):
        _read(path, InputLimits(max_bytes=4 << 20))


def test_an_excel_part_larger_than_declared_is_refused(tmp_path: Path) -> None:
    """A zip entry whose header under-states its size cannot slip past the unpacked-size limit."""
    path = xlsx_with_big_part(tmp_path / "liar.xlsx", megabytes=3)
    data = bytearray(path.read_bytes())
    _understate_sizes(data, "xl/worksheets/sheet1.xml", 1000)
    path.write_bytes(bytes(data))
    with pytest.raises(InputFormatError, match=r"liar\.xlsx"):
        _read(path, InputLimits(max_bytes=2 << 20))


def _understate_sizes(data: bytearray, member: str, size: int) -> None:
    """Patch the uncompressed size of ``member`` in its local and central zip headers."""
    import struct

    name = member.encode()
    patched = 0
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = 0
        while (at := data.find(signature, at)) != -1:
            if data[at + name_at : at + name_at + len(name)] == name:
                struct.pack_into("<I", data, at + size_at, size)
                patched += 1
            at += 4
    assert patched == 2, f"{member}: {patched} headers patched"


# --- CSV -----------------------------------------------------------------------------------------


def test_duplicate_headers_are_refused_before_the_body_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 100_000
    path = tmp_path / "dup.csv"
    path.write_text(",".join(["a"] * n) + "\n" + ",".join(["1"] * n) + "\n", encoding="utf-8")

    def no_parse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the body was parsed before the header was checked")

    monkeypatch.setattr(pd, "read_csv", no_parse)
    with pytest.raises(InputLimitError, match=r"dup\.csv.*100000 columns.*at most 1000"):
        _read(path)


def test_duplicate_headers_within_the_limit_name_both_columns_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id;name;x; name \n1;a;b;c\n", encoding="utf-8")
    monkeypatch.setattr(pd, "read_csv", None)  # calling it would raise TypeError
    with pytest.raises(
        InputFormatError, match=r"duplicate column header 'name' in columns 2 and 4"
    ):
        _read(path)


def test_a_data_row_wider_than_the_column_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("id,x\n1,2\n" + ",".join(["v"] * 5000) + "\n", encoding="utf-8")
    with pytest.raises(InputLimitError, match=r"w\.csv.*row 3.*5000 cells.*at most 1000"):
        _read(path)


def test_an_overlong_cell_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("id,note\nV1,ok\nV2," + "x" * 40_000 + "\n", encoding="utf-8")
    with pytest.raises(
        InputLimitError, match=r"long\.csv.*row 3.*column 'note'.*40000 characters.*32767"
    ):
        _read(path)


def test_an_overlong_cell_in_a_wide_row_is_refused_not_a_crash(tmp_path: Path) -> None:
    """The csv module's own field limit (131072) used to escape as an unexpected csv.Error."""
    path = tmp_path / "huge.csv"
    path.write_text("id,x\n1,2\n3,4," + "y" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(InputLimitError, match=r"huge\.csv.*32767"):
        _read(path)


def test_a_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id\n" + "V1\n" * 1000, encoding="utf-8")
    with pytest.raises(InputLimitError, match=r"big\.csv.*3003 bytes.*max_input_mb"):
        _read(path, InputLimits(max_bytes=2000))
    assert len(_read(path, InputLimits(max_bytes=4000))) == 1000


def test_an_endless_file_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    """A link to a device (or a FIFO) has no size: reading stops at the limit."""
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputLimitError, match=r"zero\.csv.*more than"):
        _read(link, InputLimits(max_bytes=1 << 20))


# --- Parquet -------------------------------------------------------------------------------------


def test_parquet_limits_are_checked_from_its_metadata(tmp_path: Path) -> None:
    wide = pd.DataFrame({f"c{i}": [1] for i in range(1001)})
    wide.to_parquet(tmp_path / "wide.parquet")
    with pytest.raises(InputLimitError, match=r"wide\.parquet.*1001 columns.*at most 1000"):
        _read(tmp_path / "wide.parquet")
    repetitive = pd.DataFrame({"id": np.zeros(2_000_000, dtype=np.int64)})
    repetitive.to_parquet(tmp_path / "rle.parquet")
    assert (tmp_path / "rle.parquet").stat().st_size < 100_000
    with pytest.raises(
        InputLimitError, match=r"rle\.parquet.*2000000 rows.*unpack to about 15 MB.*at most 1 MB"
    ):
        _read(tmp_path / "rle.parquet", InputLimits(max_bytes=1 << 20))


# --- settings ------------------------------------------------------------------------------------


def test_the_size_limit_is_a_config_setting_with_a_generous_default() -> None:
    assert MatchConfig().ingest.max_input_mb == DEFAULT_LIMITS.max_bytes >> 20 == 256
    assert MatchConfig.from_mapping({"max_input_mb": 1}).ingest.max_input_mb == 1
    with pytest.raises(ConfigError, match="max_input_mb"):
        MatchConfig.from_mapping({"max_input_mb": 0})


def test_empty_list_separators_are_refused_by_the_config() -> None:
    """``list_separators = [""]`` used to make validation loop forever."""
    with pytest.raises(ConfigError, match="list_separators"):
        MatchConfig.from_mapping({"list_separators": [";", ""]})
