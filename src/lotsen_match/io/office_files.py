"""Result files as German Excel expects them: ``;`` CSV in Windows-1252 and typed ``.xlsx``.

German Excel opens a comma-separated UTF-8 file as one column and reads ``0.47`` as a date or
text. The office form of a table is written as German Excel writes its own exports: ``;``
between columns, Windows-1252 (or UTF-8 with BOM, by setting), CRLF line ends, decimal commas,
dates as ``25.11.2026``; an ``.xlsx`` file gets typed number and date cells, a bold frozen
header row, an autofilter and column widths that fit. Every text cell and header passes
:func:`~lotsen_match.io.writers.neutralize_formulas`, and files are written atomically and
deterministically like every other output.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .atomic import atomic_file
from .writers import (
    _csv_column,
    _csv_field,
    _deterministic_zip,
    _excel_compatible,
    _sheet_title,
    neutralize_formulas,
)

__all__ = [
    "OFFICE_DATE_FORMAT",
    "OfficeEncoding",
    "encode_cp1252",
    "office_csv_bytes",
    "office_xlsx_bytes",
    "write_office_table",
]

logger = logging.getLogger(__name__)

OfficeEncoding = Literal["cp1252", "utf-8-sig"]
#: How dates are written in CSV cells (and shown in Excel cells).
OFFICE_DATE_FORMAT: Final[str] = "%d.%m.%Y"
_EXCEL_DATE_FORMAT: Final[str] = "DD.MM.YYYY"
#: ``%.15g`` round-trips every decimal of up to 15 significant digits, as the contract form.
_FLOAT_FORMAT: Final[str] = "%.15g"
_MAX_WIDTH: Final[int] = 60
#: Every character Windows-1252 can hold (the other 5 of 256 byte values are undefined).
_CP1252_CHARS: Final[str] = bytes(range(256)).decode("cp1252", errors="ignore")
_NOT_CP1252: Final[re.Pattern[str]] = re.compile(f"[^{re.escape(_CP1252_CHARS)}]")
#: Replacements where stripping accents does not find a cp1252 character.
_SUBSTITUTES: Final[dict[str, str]] = {
    "\u2212": "-",  # minus sign
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2015": "-",
    "\u2032": "'",
    "\u2033": '"',
    "\u2192": "->",
    "\u2190": "<-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2248": "~",
    "\u202f": " ",
    "\u2009": " ",
    "\u200b": "",
}


def write_office_table(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    encoding: OfficeEncoding = "cp1252",
) -> Path:
    """Write a table in the office form (see the module docstring) atomically; return the path.

    Parameters
    ----------
    df
        The table, already in the office's headers and words
        (:func:`lotsen_match.results.office_form.to_office`).
    path
        Target file; ``fmt`` (``csv`` or ``xlsx``) defaults to its extension.
    encoding
        ``cp1252`` (characters it cannot hold are replaced: accents dropped, else ``?``) or
        ``utf-8-sig`` (UTF-8 with BOM, nothing replaced).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ArgumentError
        The format is neither csv nor xlsx.
    """
    target = Path(path)
    kind = (fmt or target.suffix).lower().lstrip(".")
    if kind == "csv":
        payload = office_csv_bytes(df, encoding=encoding, name=target.name)
    elif kind == "xlsx":
        payload = office_xlsx_bytes(df, sheet_name=target.stem)
    else:
        raise ArgumentError(f"{target}: the office form is written as csv or xlsx, not {kind!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target) as handle:
        handle.write(payload)
    logger.info("wrote office form=%s rows=%d columns=%d", kind, len(df), df.shape[1])
    return target


def office_csv_bytes(
    df: pd.DataFrame, *, encoding: OfficeEncoding = "cp1252", name: str = ""
) -> bytes:
    """``;``-separated CSV with decimal commas and dd.mm.yyyy dates, encoded for German Excel.

    Text holding ``;``, ``,``, quotes or line breaks is quoted, and every part a spreadsheet
    could split off is neutralised (as the contract form's CSV), so the file is safe whichever
    separator the opening program splits at.
    """
    safe = neutralize_formulas(_dates_as_text(df), split_parts=True)
    header = [_csv_field(str(label)) for label in safe.columns]
    columns = [_office_column(safe.iloc[:, i]) for i in range(safe.shape[1])]
    lines = [";".join(header), *(";".join(row) for row in zip(*columns, strict=True))]
    if safe.shape[1] == 1:  # an empty single cell must not read back as a blank line
        lines = [line or '""' for line in lines]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    payload, replaced = encode_cp1252(text)
    if replaced:
        logger.warning(
            "%s: %d character(s) Windows-1252 cannot hold were replaced; "
            'set [output] encoding = "utf-8-sig" to keep them',
            name or "office CSV",
            replaced,
        )
    return payload


def _office_column(column: pd.Series[Any]) -> list[str]:
    """One column's CSV fields: floats with a decimal comma, the rest as the contract form."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        values = column.to_numpy()
        rendered = np.char.replace(np.char.mod(_FLOAT_FORMAT, values), ".", ",").astype(object)
        rendered[np.isnan(values)] = ""
        return list(rendered)
    return _csv_column(column)


def encode_cp1252(text: str) -> tuple[bytes, int]:
    """``text`` in Windows-1252 and how many characters had to be replaced.

    A character outside it loses its accents where that finds one inside ("ș" -> "s",
    "ł" stays "?"), takes a plain substitute (minus sign, arrows, thin spaces) or becomes "?".
    """
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        char = match.group(0)
        if char in _SUBSTITUTES:
            return _SUBSTITUTES[char]
        stripped = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        return stripped if stripped and not _NOT_CP1252.search(stripped) else "?"

    cleaned = _NOT_CP1252.sub(replace, text)
    return cleaned.encode("cp1252"), count


def office_xlsx_bytes(df: pd.DataFrame, *, sheet_name: str) -> bytes:
    """One sheet: bold frozen header, autofilter, fitted widths, typed number and date cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    safe = _excel_compatible(neutralize_formulas(df))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_name))
    headers = [str(c) for c in safe.columns]
    widths = [min(max(len(h), 4) + 2, _MAX_WIDTH) for h in headers]
    columns = [_cell_values(safe.iloc[:, i]) for i in range(safe.shape[1])]
    formats = [_number_format(safe.iloc[:, i]) for i in range(safe.shape[1])]
    for i, values in enumerate(columns):
        longest = max((len(_shown(v)) for v in values), default=0)
        widths[i] = min(max(widths[i], longest + 2), _MAX_WIDTH)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    if headers:
        last = get_column_letter(len(headers))
        sheet.auto_filter.ref = f"A1:{last}{len(safe) + 1}"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in zip(*columns, strict=True) if columns else ():
        cells: list[Any] = []
        for value, number_format in zip(row, formats, strict=True):
            if number_format is None or value is None:
                cells.append(value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _deterministic_zip(buffer.getvalue())


# ------------------------------------------------------------------------------------------------


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Date columns as dd.mm.yyyy text (a time of day is kept where there is one)."""
    out = df.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            stamps = column.dt.tz_localize(None) if column.dt.tz is not None else column
            has_time = bool((stamps.dropna() != stamps.dropna().dt.normalize()).any())
            fmt = f"{OFFICE_DATE_FORMAT} %H:%M" if has_time else OFFICE_DATE_FORMAT
            out.isetitem(position, stamps.dt.strftime(fmt).astype(object))
    return out


def _cell_values(column: pd.Series[Any]) -> list[Any]:
    """Python values openpyxl writes as typed cells: numbers, datetimes, text; None if empty."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        stamps = column.dt.tz_localize(None) if column.dt.tz is not None else column
        return [None if pd.isna(v) else v.to_pydatetime() for v in stamps]
    if pd.api.types.is_bool_dtype(column.dtype):
        return [bool(v) for v in column]
    if pd.api.types.is_integer_dtype(column.dtype):
        return [None if pd.isna(v) else int(v) for v in column]
    if pd.api.types.is_float_dtype(column.dtype):
        return [None if (pd.isna(v) or not math.isfinite(v)) else float(v) for v in column]
    values = column.to_numpy(dtype=object)
    return [None if _missing(v) else _plain(v) for v in values]


def _number_format(column: pd.Series[Any]) -> str | None:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return _EXCEL_DATE_FORMAT
    if pd.api.types.is_float_dtype(column.dtype):
        return "0.0###"
    if pd.api.types.is_integer_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return "0"
    return None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.date | int | float | str | bool):
        return value
    return str(value)


def _shown(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return "00.00.0000"
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
