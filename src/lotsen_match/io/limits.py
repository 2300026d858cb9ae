"""Limits that keep reading an input bounded in time and memory, checked before the work.

A five-kilobyte workbook can claim a used range of 17 billion cells, a four-megabyte CSV can
declare a million columns, a small Parquet file can unpack to gigabytes. Each reader checks
the limits here on what it can learn cheaply (file size, zip directory, header line, Parquet
metadata, the cell references of a sheet) before it parses, so that hostile input ends in
:class:`~lotsen_match.errors.InputLimitError` instead of an exhausted machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_LIMITS", "EXCEL_MAX_CELL_CHARS", "InputLimits"]

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
