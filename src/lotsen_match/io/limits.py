"""Limits that keep reading an input bounded in time and memory, checked before the work.

A five-kilobyte workbook can claim a used range of 17 billion cells, a four-megabyte CSV can
declare a million columns, a small Parquet file can unpack to gigabytes. Each reader checks
the limits here on what it can learn cheaply (file size, zip directory, header line, Parquet
metadata, the cell references of a sheet) before it parses, so that hostile input ends in
:class:`~lotsen_match.errors.InputLimitError` instead of an exhausted machine.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import is_object_dtype, is_string_dtype

from lotsen_match.errors import InputFormatError, InputLimitError
from lotsen_match.printable import excerpt

__all__ = [
    "DEFAULT_LIMITS",
    "EXCEL_MAX_CELL_CHARS",
    "InputLimits",
    "check_cell_lengths",
    "check_column_count",
    "check_parquet_metadata",
    "limits_for",
    "megabytes",
    "overlong_cell",
    "read_within_limit",
]

#: Excel's own limit on the characters in one cell: no office export holds longer cells.
EXCEL_MAX_CELL_CHARS: Final = 32_767


@dataclass(frozen=True)
class InputLimits:
    """What one input table may be; the defaults are far above any real caseload.

    Attributes:
        max_bytes: size of the file, and for Excel and Parquet the unpacked size of its data
            (config ``max_input_mb``; 256 MB is ten times a national CSV of 250,000 requests
            and above its Excel sheet's 160 MB of XML).
        max_columns: columns of the header and of every row (the contract has 17; exports
            with a few hundred extra columns still pass).
        max_cell_chars: characters in one cell (Excel's own limit).
        max_sheet_cells: a sheet's used range (rows x columns) read without further question.
        sheet_cells_per_value: a larger used range must hold a value in at least one cell out
            of this many; a stray cell far outside the table would otherwise make the reader
            materialise millions of empty cells.
    """

    max_bytes: int = 256 << 20
    max_columns: int = 1000
    max_cell_chars: int = EXCEL_MAX_CELL_CHARS
    max_sheet_cells: int = 1 << 20
    sheet_cells_per_value: int = 20


DEFAULT_LIMITS: Final = InputLimits()


def limits_for(max_input_mb: float) -> InputLimits:
    """The default limits with the size limit of the config setting ``max_input_mb``."""
    return replace(DEFAULT_LIMITS, max_bytes=int(max_input_mb * (1 << 20)))


def megabytes(n_bytes: float) -> str:
    """``n_bytes`` as a short MB figure for messages (1 MB = 2**20 bytes, as the setting)."""
    value = n_bytes / (1 << 20)
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def read_within_limit(path: Path, limits: InputLimits) -> bytes:
    """The bytes of ``path``, refused if there are more than ``limits.max_bytes``.

    The size is checked before reading, and reading stops one byte past the limit, so a device
    or a FIFO behind the name (``/dev/zero``) cannot make the process read forever.

    Raises:
        InputLimitError: the file is larger than the limit.
        FileNotFoundError: there is no such file.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise FileNotFoundError(exc.errno, "input file not found", str(path)) from exc
    if size > limits.max_bytes:
        raise InputLimitError(_too_large(path, f"{size} bytes", limits), path=str(path))
    with path.open("rb") as handle:
        raw = handle.read(limits.max_bytes + 1)
    if len(raw) > limits.max_bytes:
        raise InputLimitError(
            _too_large(path, f"more than {limits.max_bytes} bytes", limits), path=str(path)
        )
    return raw


def _too_large(path: Path, found: str, limits: InputLimits) -> str:
    return (
        f"{path}: the file holds {found}; at most {megabytes(limits.max_bytes)} are read "
        "(raise the config setting max_input_mb for larger tables, or split the file)"
    )


def check_column_count(
    count: int,
    path: Path,
    limits: InputLimits,
    where: str = "",
    *,
    noun: str = "columns",
    at_least: bool = False,
) -> None:
    """Refuse a header or record with more than ``limits.max_columns`` columns.

    ``at_least`` says that ``count`` is a lower bound (only the start of a line was read).
    """
    if count > limits.max_columns:
        place = f"{where}: " if where else ""
        found = f"at least {count}" if at_least else str(count)
        raise InputLimitError(
            f"{path}: {place}{found} {noun}; at most {limits.max_columns} columns are read "
            "(delete the empty or unused columns at the right of the table)",
            path=str(path),
        )


def check_parquet_metadata(raw: bytes, path: Path, limits: InputLimits) -> None:
    """Refuse a Parquet file by its footer: too many columns, or too much data once unpacked.

    Encodings such as run-length and dictionaries let a small file stand for millions of
    values; the footer states rows, columns and sizes before anything is decoded. The unpacked
    size counts at least eight bytes per value (what pandas stores per cell).

    Raises:
        InputLimitError: a limit is exceeded.
        InputFormatError: the footer cannot be read.
    """
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(io.BytesIO(raw)).metadata
    except Exception as exc:  # pyarrow raises its own hierarchy; name the file for the user
        raise InputFormatError(
            f"{path}: not a readable Parquet file ({exc})", path=str(path)
        ) from exc
    check_column_count(meta.num_columns, path, limits)
    encoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    unpacked = max(encoded, meta.num_rows * meta.num_columns * 8)
    if unpacked > limits.max_bytes:
        raise InputLimitError(
            f"{path}: {meta.num_rows} rows x {meta.num_columns} columns unpack to about "
            f"{megabytes(unpacked)}; at most {megabytes(limits.max_bytes)} unpacked are read "
            "(raise the config setting max_input_mb for larger tables)",
            path=str(path),
        )


def check_cell_lengths(
    grid: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    names: Sequence[str],
    path: Path,
    limits: InputLimits,
) -> None:
    """Refuse the first cell (by row, then column) longer than ``limits.max_cell_chars``.

    ``rows`` holds the row number of every grid row as the user sees it and ``names`` the
    header of every grid column, so the message points at the cell.
    """
    first: tuple[int, int, int] | None = None  # (row, column position, length)
    for position in range(grid.shape[1]):
        lengths = _text_lengths(grid.iloc[:, position], limits.max_cell_chars)
        if lengths is None:
            continue
        long = np.flatnonzero(lengths > limits.max_cell_chars)
        if len(long) and (first is None or rows[long[0]] < first[0]):
            first = (int(rows[long[0]]), position, int(lengths[long[0]]))
    if first is None:
        return
    row, position, length = first
    name = names[position] if position < len(names) else f"column {position + 1}"
    raise InputLimitError(
        f"{path}: row {row}, column {excerpt(name)}: a cell of {length} characters; a cell may "
        f"hold at most {limits.max_cell_chars} characters (as in Excel)",
        path=str(path),
    )


def _text_lengths(column: pd.Series, limit: int) -> npt.NDArray[np.float64] | None:
    """Characters per cell where some cell is longer than ``limit``, else None (cheap check).

    Arrow-backed text is measured vectorised; object columns (Excel: mixed types) first by
    their longest string, so the per-cell lengths are only built for a column that fails.
    """
    if is_object_dtype(column.dtype):
        values = column.to_numpy()
        if max((len(v) for v in values if type(v) is str), default=0) <= limit:
            return None
        return np.fromiter(
            (len(v) if type(v) is str else 0 for v in values), dtype=np.float64, count=len(values)
        )
    if not is_string_dtype(column.dtype):
        return None
    lengths = np.asarray(column.str.len().to_numpy(na_value=0), dtype=np.float64)
    return lengths if len(lengths) and lengths.max() > limit else None


def overlong_cell(path: Path, line: int, limits: InputLimits) -> InputLimitError:
    """The error for a cell the csv module refused as too long (near line ``line``)."""
    return InputLimitError(
        f"{path}: line {line}: a cell of more than {limits.max_cell_chars} characters; a cell "
        f"may hold at most {limits.max_cell_chars} characters (as in Excel). A quote "
        "character that is never closed also makes the rest of the file one cell",
        path=str(path),
    )
