"""Read input tables faithfully, with provenance, from CSV, Excel, Parquet or a DataFrame.

Readers deliver the raw table: they neither validate nor convert values (the validation module
does that, vectorised, and reports problems by file, row and column). What readers add is
provenance: a ``_row`` column with the row number the user sees in their spreadsheet, and
``df.attrs`` naming the source, the logical table and, for CSV, the encoding and delimiter used.
Every frame returned has a fresh ``RangeIndex``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import is_integer_dtype

from lotsen_match.arguments import (
    TableSource,
    check_instance,
    check_table_source,
    describe,
    records_frame,
)
from lotsen_match.io.csv_dialect import (
    count_leading_blank_lines,
    decode_text,
    detect_delimiter,
    header_record,
    widest_record,
)
from lotsen_match.io.csv_notices import report_multiline_cells
from lotsen_match.io.limits import (
    DEFAULT_LIMITS,
    InputLimits,
    check_cell_lengths,
    check_column_count,
    check_parquet_metadata,
    overlong_cell,
    read_within_limit,
)
from lotsen_match.io.xlsx_extent import (
    check_extent,
    index_workbook,
    sheet_extent,
    verify_declared_sizes,
)
from lotsen_match.printable import excerpt

from ..contract import INPUT_COLUMNS
from ..errors import ArgumentError, ArgumentTypeError, InputFileNotFoundError, InputFormatError

__all__ = [
    "ROW_COLUMN",
    "SUPPORTED_EXTENSIONS",
    "InputFormatError",
    "apply_column_mapping",
    "read_table",
]

logger = logging.getLogger(__name__)

#: Provenance column added to every frame read: the row number as the user sees it.
ROW_COLUMN: Final = "_row"

#: File extension (lower case) -> reader format.
SUPPORTED_EXTENSIONS: Final[Mapping[str, str]] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
}

_DATAFRAME_SOURCE: Final = "<DataFrame>"

RowNumbers = npt.NDArray[np.int64]


def read_table(
    source: TableSource,
    *,
    table: str,
    column_mapping: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    limits: InputLimits | None = None,
) -> pd.DataFrame:
    """Read one input table faithfully, with provenance, neither validating nor converting.

    The validation does that, vectorised, and names file, row and column; what reading adds
    is a ``_row`` column with the row number the user sees in their spreadsheet, and
    ``attrs`` naming the source and the table. CSV cells arrive as stripped text with empty
    cells missing; Excel cells keep the types Excel stored; Parquet files and DataFrames
    arrive as they are (a DataFrame is copied, never modified).

    Parameters
    ----------
    source
        A path to a CSV, Parquet or Excel file (the extension decides, ignoring case; see
        ``SUPPORTED_EXTENSIONS``), a DataFrame, or a list of records or dicts, one per row
        (an empty list is an empty table with the contract's required columns).
    table
        The table's logical name, e.g. ``"volunteers"``.
    column_mapping
        Export header to contract column (``{"Sprachen": "languages"}``); headers match
        ignoring case, surrounding blanks and a byte-order mark, and unmentioned columns
        are kept.
    sheet
        The Excel sheet, by name or 0-based position; None takes the sheet named like
        ``table``, else the first one.
    limits
        Bounds on the work (file size, columns, cell length, a sheet's used range), checked
        before the expensive part of reading so that hostile files fail fast; None uses the
        defaults, far above any real caseload.

    Returns
    -------
    pandas.DataFrame
        The raw table with a fresh index, the ``_row`` column and provenance in ``attrs``.

    Raises
    ------
    InputFileNotFoundError
        ``source`` names no existing file (also a ``FileNotFoundError``).
    InputFormatError
        An unsupported extension, an undecodable or malformed file, a directory, a missing
        sheet; ``InputLimitError`` (a subclass) for a file beyond ``limits``.
    ArgumentTypeError
        An argument of the wrong type (``None`` or an int as ``source``, MultiIndex
        columns, a float as ``sheet``).
    ArgumentError
        ``column_mapping`` gives two columns one name or maps onto ``_row``, or a
        DataFrame's ``_row`` column holds no integer row numbers.
    """
    checked = check_table_source(source, "source")
    check_instance(table, str, "table", "the table's name as text, e.g. 'volunteers'")
    if column_mapping is not None and (
        not isinstance(column_mapping, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in column_mapping.items())
    ):
        raise ArgumentTypeError(
            "column_mapping", "a dict of header -> column, both text", describe(column_mapping)
        )
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)):
        raise ArgumentTypeError(
            "sheet", "a sheet name, a 0-based position or None", describe(sheet)
        )
    if isinstance(checked, list | tuple):
        # An empty list is an empty table with the contract's columns (e.g. no assignments).
        known = INPUT_COLUMNS.get(table, ())
        checked = records_frame(checked, columns=[c.name for c in known if c.required])
    if isinstance(checked, pd.DataFrame):
        frame, rows, attrs = _from_dataframe(checked)
    else:
        frame, rows, attrs = _from_file(
            Path(checked), table=table, sheet=sheet, limits=limits or DEFAULT_LIMITS
        )
    frame = apply_column_mapping(frame, column_mapping)
    result = attach_provenance(frame, rows, {**attrs, "table": table})
    logger.info(
        "read table=%s format=%s rows=%d columns=%d",
        table,
        attrs.get("format", "dataframe"),
        len(result),
        result.shape[1] - 1,
    )
    return result


def attach_provenance(
    frame: pd.DataFrame, rows: RowNumbers, attrs: Mapping[str, Any]
) -> pd.DataFrame:
    """Return ``frame`` with a fresh RangeIndex, the ``_row`` column and ``attrs`` set."""
    out = frame.reset_index(drop=True)
    out[ROW_COLUMN] = np.asarray(rows, dtype=np.int64)
    original = frame.attrs.get("original_columns")  # set by apply_column_mapping
    out.attrs.clear()
    out.attrs.update(attrs)
    if original:
        out.attrs["original_columns"] = original
    return out


def apply_column_mapping(
    frame: pd.DataFrame, column_mapping: Mapping[str, str] | None
) -> pd.DataFrame:
    """Rename columns by ``column_mapping`` (source header -> contract name).

    Headers match after stripping whitespace, ignoring case and a UTF-8 BOM, because exports
    differ in exactly these ways ("Sprachen", " sprachen", "\\ufeffSPRACHEN"). Unmentioned
    columns are kept. Two columns ending up with the same name would make one of them silently
    unreachable, so that raises :class:`ValueError` naming both.
    """
    if not column_mapping:
        return frame
    targets: dict[str, str] = {}
    for source_name, target in column_mapping.items():
        if target == ROW_COLUMN:
            raise ArgumentError(f"column_mapping: {ROW_COLUMN!r} is reserved for row numbers")
        key = _normalise_header(source_name)
        if targets.setdefault(key, target) != target:
            raise ArgumentError(
                f"column_mapping maps {source_name!r} to both {targets[key]!r} and {target!r}"
            )
    new_names: list[Any] = []
    origin: dict[Any, Any] = {}
    for column in frame.columns:
        name = targets.get(_normalise_header(str(column)), column)
        if name in origin:
            raise ArgumentError(
                f"columns {origin[name]!r} and {column!r} would both be named {name!r}; "
                "adjust column_mapping"
            )
        origin[name] = column
        new_names.append(name)
    renamed = frame.set_axis(new_names, axis="columns")
    # Messages must name the user's own header ("Sprachen"), not the contract name.
    renamed.attrs["original_columns"] = {
        **frame.attrs.get("original_columns", {}),
        **{str(n): str(o) for n, o in origin.items() if n != o},
    }
    return renamed


def _normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().casefold()


# --- sources -------------------------------------------------------------------------------


def _from_dataframe(source: pd.DataFrame) -> tuple[pd.DataFrame, RowNumbers, dict[str, Any]]:
    """Copy a DataFrame; row numbers from ``_row``, else integer index labels, else position."""
    frame = source.copy(deep=True)
    attrs: dict[str, Any] = {"source": _DATAFRAME_SOURCE}
    if ROW_COLUMN in frame.columns:
        given = frame.pop(ROW_COLUMN)
        try:
            rows = given.to_numpy(dtype=np.int64)
            exact = bool((rows == given.to_numpy(dtype=np.float64)).all())
        except (TypeError, ValueError):
            exact = False
        if not exact:
            raise ArgumentError(f"column {ROW_COLUMN!r} must hold integer row numbers")
        # A frame that came out of read_table keeps its provenance (read_table is idempotent).
        if isinstance(source.attrs.get("source"), str):
            attrs = {str(key): value for key, value in source.attrs.items()}
    elif is_integer_dtype(frame.index.dtype):
        rows = frame.index.to_numpy(dtype=np.int64)
    else:
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    named_levels = [n for n in frame.index.names if n is not None and n not in frame.columns]
    if named_levels:
        # A named index (e.g. volunteer_id set as index) is data, not position: keep it.
        frame = frame.reset_index(level=named_levels)
    return frame, rows, attrs


def _from_file(
    path: Path, *, table: str, sheet: str | int | None, limits: InputLimits
) -> tuple[pd.DataFrame, RowNumbers, dict[str, Any]]:
    fmt = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise InputFormatError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; supported: {supported}",
            path=str(path),
        )
    try:
        raw = read_within_limit(path, limits)
    except FileNotFoundError as exc:
        raise InputFileNotFoundError(exc.errno, "input file not found", str(path)) from exc
    except IsADirectoryError as exc:
        raise InputFormatError(f"{path}: is a directory, not a file", path=str(path)) from exc
    attrs: dict[str, Any] = {
        "source": path.name,
        "path": str(path),
        "format": fmt,
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    if fmt == "csv":
        frame, rows, extra = _read_csv(raw, path, limits)
    elif fmt == "excel":
        frame, rows, extra = _read_excel(raw, path, table=table, sheet=sheet, limits=limits)
    else:
        frame, rows, extra = _read_parquet(raw, path, limits)
    return frame, rows, {**attrs, **extra}


def _read_parquet(
    raw: bytes, path: Path, limits: InputLimits
) -> tuple[pd.DataFrame, RowNumbers, dict[str, Any]]:
    check_parquet_metadata(raw, path, limits)
    try:
        frame = pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises its own hierarchy; name the file for the user
        raise InputFormatError(
            f"{path}: not a readable Parquet file ({exc})", path=str(path)
        ) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    check_cell_lengths(frame, rows, [str(c) for c in frame.columns], path, limits)
    return frame, rows, {}


# --- CSV -------------------------------------------------------------------------------------


def _read_csv(
    raw: bytes, path: Path, limits: InputLimits
) -> tuple[pd.DataFrame, RowNumbers, dict[str, Any]]:
    """Every cell as stripped text; empty and whitespace-only cells become missing.

    The header line is checked (column count, duplicates) before the body is parsed, and every
    record's width before the grid is built, so a hostile header cannot exhaust memory.
    """
    try:
        text, encoding = decode_text(raw)
    except UnicodeDecodeError as exc:
        raise InputFormatError(_undecodable(path, exc), path=str(path)) from exc
    blank_lines, text = count_leading_blank_lines(text)
    if not text.strip():
        return pd.DataFrame(), np.empty(0, np.int64), {"encoding": encoding, "delimiter": ","}
    delimiter = detect_delimiter(text)
    header = _checked_header(text, delimiter, path, limits)
    grid = _parse_grid(text, delimiter, path, limits, blank_lines)
    del text  # the grid holds every cell now; keep the peak memory low
    record_rows = np.arange(1, len(grid) + 1, dtype=np.int64) + blank_lines
    check_column_count(grid.shape[1], path, limits, "the widest row")
    check_cell_lengths(grid, record_rows, header, path, limits)
    cleaned = {
        position: _strip_to_missing(grid[column]) for position, column in enumerate(grid.columns)
    }
    grid = pd.DataFrame(cleaned)
    # The header is the first record with a value (row 1 unless blank rows precede it).
    first = int(grid.notna().any(axis=1).to_numpy(dtype=bool).argmax())
    data = grid.iloc[first + 1 :]
    rows = np.arange(first + 2, first + 2 + len(data), dtype=np.int64) + blank_lines
    frame, rows, extra = _tabulate(grid.iloc[first].tolist(), data, rows, path)
    extra["multiline_rows"] = report_multiline_cells(frame, rows, path)
    return frame, rows, {"encoding": encoding, "delimiter": delimiter, **extra}


def _undecodable(path: Path, exc: UnicodeDecodeError) -> str:
    if exc.encoding in ("utf-16", "utf-32"):
        return (
            f"{path}: starts with a {exc.encoding.upper()} byte-order mark but is not valid "
            f"{exc.encoding.upper()} (at byte {exc.start}); save it again as CSV UTF-8"
        )
    if "NUL" in exc.reason:
        return (
            f"{path}: holds NUL bytes (at byte {exc.start}): UTF-16 or UTF-32 without a "
            "byte-order mark, or not a text file; save it as CSV UTF-8 (or with a BOM)"
        )
    return f"{path}: neither UTF-8 nor Windows-1252 (undecodable byte at offset {exc.start})"


def _checked_header(text: str, delimiter: str, path: Path, limits: InputLimits) -> list[str]:
    """The header record, refused if too wide or with duplicates, before the body is parsed."""
    try:
        header, complete = header_record(text, delimiter)
    except csv.Error as exc:
        raise overlong_cell(path, 1, limits) from exc
    check_column_count(len(header), path, limits, "the header", at_least=not complete)
    names = header if complete else header[:-1]  # the last name may be cut off
    _check_unique([_header_name(name) for name in names], path)
    return header


def _parse_grid(
    text: str, delimiter: str, path: Path, limits: InputLimits, blank_lines: int
) -> pd.DataFrame:
    """All records (header included) as text columns; rows wider than the header survive.

    pandas reads UTF-8 bytes: a quarter of the memory of the ``str`` the C parser would copy.
    """
    options: dict[str, Any] = {
        "sep": delimiter,
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,  # blank lines are spreadsheet rows: keep numbering right
        "quotechar": '"',
        "doublequote": True,
        "engine": "c",
        "encoding": "utf-8",
    }
    payload = text.encode("utf-8")
    try:
        grid: pd.DataFrame = pd.read_csv(io.BytesIO(payload), **options)
        return grid
    except pd.errors.ParserError:
        pass  # a record wider than the header row: size the grid by the widest record
    try:
        width, index = widest_record(text, delimiter)
    except csv.Error as exc:
        raise overlong_cell(path, _error_line(exc), limits) from exc
    check_column_count(width, path, limits, f"row {index + 1 + blank_lines}", noun="cells")
    try:
        grid = pd.read_csv(io.BytesIO(payload), names=list(range(width)), **options)
    except pd.errors.ParserError as exc:
        raise InputFormatError(f"{path}: malformed CSV ({exc})", path=str(path)) from exc
    return grid


def _error_line(exc: csv.Error) -> int:
    line = getattr(exc, "line_num", None)
    return int(line) if isinstance(line, int) else 0


def _strip_to_missing(column: pd.Series) -> pd.Series:
    stripped = column.str.strip()
    return stripped.mask(stripped == "")


# --- Excel -----------------------------------------------------------------------------------


def _read_excel(
    raw: bytes, path: Path, *, table: str, sheet: str | int | None, limits: InputLimits
) -> tuple[pd.DataFrame, RowNumbers, dict[str, Any]]:
    """Cells as Excel typed them; text stripped; the first non-empty row is the header.

    Formula cells give the value Excel cached when it last saved the file (None for workbooks
    that no spreadsheet program has calculated). The workbook's sizes and the sheet's used
    range are checked first (:mod:`lotsen_match.io.xlsx_extent`).
    """
    sheet_name = _checked_sheet(raw, path, table=table, sheet=sheet, limits=limits)
    try:
        records = _excel_records_calamine(raw, path, sheet_name)
    except ImportError:
        records = _excel_records_openpyxl(raw, path, sheet_name)
    first = next((i for i, r in enumerate(records) if any(v is not None for v in r)), None)
    if first is None:
        return pd.DataFrame(), np.empty(0, np.int64), {"sheet": sheet_name}
    width = max(len(r) for r in records)
    padded = [r + (None,) * (width - len(r)) for r in records[first:]]
    grid = pd.DataFrame(padded, columns=list(range(width)), dtype=object)
    header = ["" if v is None else str(v) for v in padded[0]]
    check_cell_lengths(grid, np.arange(first + 1, first + 1 + len(grid)), header, path, limits)
    rows = np.arange(first + 2, first + 1 + len(grid), dtype=np.int64)
    frame, rows, extra = _tabulate(grid.iloc[0].tolist(), grid.iloc[1:], rows, path)
    return frame, rows, {"sheet": sheet_name, **extra}


class _Named:
    """A sheet name (and its zip entry) in the shape ``_select_sheet`` expects."""

    def __init__(self, title: str, part: str = "") -> None:
        self.title = title
        self.part = part


def _checked_sheet(
    raw: bytes, path: Path, *, table: str, sheet: str | int | None, limits: InputLimits
) -> str:
    """Pick the sheet and refuse the workbook if unpacking or reading it would be absurd."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputFormatError(
            f"{path}: not a readable Excel file ({exc})", path=str(path)
        ) from exc
    with archive:
        index = index_workbook(archive, path, limits)
        named = [_Named(n, p) for n, p in zip(index.names, index.parts, strict=True)]
        chosen = _select_sheet(named, sheet, table, path)
        check_extent(sheet_extent(archive, chosen.part, path), chosen.title, path, limits)
        verify_declared_sizes(archive, chosen.part, path)
    return str(chosen.title)


def _excel_records_calamine(raw: bytes, path: Path, sheet_name: str) -> list[tuple[object, ...]]:
    """All rows of the sheet from row 1 via calamine (Rust): ~20x faster than openpyxl."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        worksheet = workbook.get_sheet_by_name(sheet_name)
    except Exception as exc:  # corrupt zip / not a workbook
        raise InputFormatError(
            f"{path}: not a readable Excel file ({exc})", path=str(path)
        ) from exc
    values = worksheet.to_python(skip_empty_area=False)
    return [tuple(_clean_calamine_cell(v) for v in r) for r in values]


def _clean_calamine_cell(value: object) -> object:
    """Calamine gives "" for empty cells, floats for integers and dates for date-only cells;
    return what openpyxl gives (ints, datetimes) so both readers yield the same values."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return _clean_excel_cell(value)


def _excel_records_openpyxl(raw: bytes, path: Path, sheet_name: str) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # zipfile / openpyxl errors: name the file for the user
        raise InputFormatError(
            f"{path}: not a readable Excel file ({exc})", path=str(path)
        ) from exc
    try:
        worksheet = workbook[sheet_name]
        worksheet.reset_dimensions()  # some writers store wrong dimensions; read all cells
        # openpyxl yields Python values cell by cell anyway; cleaning them here costs nothing.
        return [tuple(map(_clean_excel_cell, r)) for r in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _select_sheet(
    worksheets: Sequence[Any], sheet: str | int | None, table: str, path: Path
) -> Any:
    titles = [str(ws.title) for ws in worksheets]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(worksheets):
            raise InputFormatError(
                f"{path}: no sheet number {sheet} (0-based); sheets: {titles}", path=str(path)
            )
        return worksheets[sheet]
    wanted = table if sheet is None else sheet
    for exact in (True, False):
        for worksheet, title in zip(worksheets, titles, strict=True):
            if title == wanted if exact else title.strip().casefold() == wanted.strip().casefold():
                return worksheet
    if sheet is None and worksheets:
        return worksheets[0]
    raise InputFormatError(f"{path}: no sheet named {wanted!r}; sheets: {titles}", path=str(path))


def _clean_excel_cell(value: object) -> object:
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return value


# --- shared header handling ---------------------------------------------------------------------


def _tabulate(
    header: list[object], data: pd.DataFrame, rows: RowNumbers, path: Path
) -> tuple[pd.DataFrame, RowNumbers, dict[str, Any]]:
    """Name the columns from ``header`` and drop what is only an export artefact.

    Columns without a header and without data (trailing delimiters) and rows without any value
    (blank lines) are dropped; blank rows are recorded in ``attrs["skipped_blank_rows"]`` so that
    nothing disappears silently. Headerless columns with data are kept as ``"Unnamed: i"``.
    Duplicate headers raise: one of the two would be unreachable by name.
    """
    has_data = data.notna().any(axis=0).to_numpy(dtype=bool)
    names: list[str] = []
    keep: list[int] = []
    given = [_header_name(value) for value in header]
    _check_unique(given, path)
    for position, name in enumerate(given):
        if not name:
            if not has_data[position]:
                continue
            name = f"Unnamed: {position}"
        names.append(name)
        keep.append(position)
    frame = data.iloc[:, keep].set_axis(names, axis="columns")
    blank = frame.isna().all(axis=1).to_numpy(dtype=bool) if names else np.ones(len(frame), bool)
    extra: dict[str, Any] = {}
    if blank.any():
        extra["skipped_blank_rows"] = rows[blank].tolist()
        logger.info("skipped %d blank rows", int(blank.sum()))
        frame = frame.loc[~blank]
        rows = rows[~blank]
    return frame, rows, extra


def _header_name(value: object) -> str:
    """A header cell as a column name: text without BOM and surrounding whitespace."""
    return "" if _is_missing(value) else str(value).replace("\ufeff", "").strip()


def _check_unique(names: Sequence[str], path: Path) -> None:
    """Refuse a repeated header: one of the two columns would be unreachable by name."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            continue
        if name in seen:
            raise InputFormatError(
                f"{path}: duplicate column header {excerpt(name, 40)} in columns "
                f"{seen[name] + 1} and {position + 1}; rename or delete one of them",
                path=str(path),
            )
        seen[name] = position


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
