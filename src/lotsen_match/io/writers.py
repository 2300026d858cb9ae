"""Write result tables safely: atomically, deterministically and formula-injection-safe.

Coordinators open results in Excel or LibreOffice, and text cells can carry input from outside
(ids, reasons quoting rejected values). A cell such as ``=HYPERLINK(...)`` would run as a
formula, so CSV and Excel output passes through :func:`neutralize_formulas` (OWASP CSV-injection
guidance). Reruns with the same results give byte-identical files, so a nightly job can diff
or hash them.
"""

from __future__ import annotations

import io
import logging
import os
import re
import zipfile
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_object_dtype,
    is_string_dtype,
    is_timedelta64_dtype,
)

from lotsen_match.io.atomic import atomic_file

from .._types import OUTPUT_FORMATS
from ..errors import ArgumentError

__all__ = [
    "FORMULA_PREFIXES",
    "OUTPUT_EXTENSIONS",
    "WRITE_FORMATS",
    "neutralize_formulas",
    "write_table",
]

logger = logging.getLogger(__name__)

#: Leading characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES: Final[tuple[str, ...]] = ("=", "+", "-", "@", "\t", "\r")

#: Output format -> the file extension a run writes.
OUTPUT_EXTENSIONS: Final[dict[str, str]] = {f: f".{f}" for f in OUTPUT_FORMATS}
#: File extension (lower case) -> output format.
WRITE_FORMATS: Final = {**{ext: f for f, ext in OUTPUT_EXTENSIONS.items()}, ".pq": "parquet"}

#: ``%.15g`` round-trips every decimal of up to 15 significant digits and hides last-bit noise.
_CSV_FLOAT_FORMAT: Final = "%.15g"
# Characters XML 1.0 forbids; openpyxl refuses them (same set as openpyxl's own check).
_XLSX_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_SHEET_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")
# A formula prefix where a cell could start once a spreadsheet splits the text: at the start,
# after a separator or line break, behind quote characters the parser may take as quoting.
_SPLIT_RISK: Final = re.compile(r'((?:^|[;,\r\n])"*)(?=[=+\-@\t\r])')
_SPLIT_RISK_FOUND: Final = re.compile(r'(?:^|[;,\r\n])"*[=+\-@\t\r]')
# Characters that make a CSV cell need quotes: either separator, the quote, line breaks.
_CSV_QUOTE_NEEDED: Final = re.compile(r'[,;"\r\n]')
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_CORE_TIMESTAMP: Final = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
_FIXED_TIMESTAMP: Final = b"2000-01-01T00:00:00Z"


def neutralize_formulas(df: pd.DataFrame, *, split_parts: bool = False) -> pd.DataFrame:
    """Return a copy whose text cells cannot start a spreadsheet formula.

    Text cells (in object, string or categorical columns) starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return get a leading apostrophe, and so do such column headers.
    Numeric columns are untouched, so a score of -0.5 stays a number.

    With ``split_parts`` (for CSV) the same holds for every part a spreadsheet could split off:
    after each ``;``, ``,`` and line break, and after any quote characters there (a parser may
    take them as quoting), so ``R9;=1+1`` becomes ``R9;'=1+1``. German Excel splits a ``.csv``
    at ``;`` whatever separator the file uses.
    """
    out = df.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        risky = _text_mask(column, _SPLIT_RISK_FOUND if split_parts else FORMULA_PREFIXES)
        if risky is not None and risky.any():
            values = column.to_numpy(dtype=object, copy=True)
            values[risky] = [_neutralize(value, split_parts) for value in values[risky]]
            out.isetitem(position, _rebuild(values, column))
    out.columns = pd.Index(
        [
            _neutralize(label, split_parts) if isinstance(label, str) else label
            for label in out.columns
        ],
        dtype=object,
    )
    return out


def _neutralize(text: str, split_parts: bool) -> str:
    if split_parts:
        return _SPLIT_RISK.sub(r"\g<1>'", text)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], *, fmt: str | None = None) -> Path:
    """Write ``df`` to ``path`` atomically and deterministically; return the path.

    ``fmt`` (``"csv"``, ``"parquet"``, ``"xlsx"``) defaults to the one the extension names.
    CSV is UTF-8 without BOM, ``,``-delimited, ``\\n`` line ends, floats as ``%.15g``, missing
    values empty. Excel gets one sheet named after the file. The index is never written.

    Raises:
        ValueError: the format is unknown or cannot be inferred from the extension.
    """
    target = Path(path)
    kind = _resolve_format(target, fmt)
    if kind == "csv":
        payload = _csv_bytes(df)
    elif kind == "parquet":
        payload = _parquet_bytes(df)
    else:
        payload = _xlsx_bytes(df, sheet_name=target.stem)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target) as handle:
        handle.write(payload)
    logger.info("wrote format=%s rows=%d columns=%d", kind, len(df), df.shape[1])
    return target


# --- formats ---------------------------------------------------------------------------------


def _resolve_format(target: Path, fmt: str | None) -> str:
    formats = sorted(set(WRITE_FORMATS.values()))
    if fmt is not None:
        kind = fmt.lower().lstrip(".")
        kind = WRITE_FORMATS.get(f".{kind}", kind)
        if kind not in formats:
            raise ArgumentError(f"unknown output format {fmt!r}; supported: {formats}")
        return kind
    inferred = WRITE_FORMATS.get(target.suffix.lower())
    if inferred is None:
        raise ArgumentError(
            f"{target}: cannot infer the output format from {target.suffix or '(no extension)'!r};"
            f" use one of {sorted(WRITE_FORMATS)} or pass fmt= one of {formats}"
        )
    return inferred


def _csv_bytes(df: pd.DataFrame) -> bytes:
    """The CSV text: numbers as pandas writes them, text quoted when it holds a separator.

    The csv module quotes only cells holding the delimiter, so text cells are encoded here:
    a cell with ``;`` must be quoted too, or German Excel (which splits at ``;``) would cut it.
    """
    safe = neutralize_formulas(df, split_parts=True)
    if safe.shape[1] == 0:
        text = safe.to_csv(index=False, lineterminator="\n")
    else:
        header = [_csv_field(str(label)) for label in safe.columns]
        columns = [_csv_column(safe.iloc[:, i]) for i in range(safe.shape[1])]
        lines = [",".join(header), *(",".join(row) for row in zip(*columns, strict=True))]
        if safe.shape[1] == 1:  # an empty single cell must not read back as a blank line
            lines = [line or '""' for line in lines]
        text = "\n".join(lines) + "\n"
    # With a BOM, German Excel shows umlauts correctly; pandas and csv readers skip it.
    return text.encode("utf-8-sig")


def _csv_column(column: pd.Series) -> list[str]:
    """The cells of one column as CSV fields, as pandas' ``to_csv`` would render them."""
    dtype = column.dtype
    if _is_text(column):
        text = column.astype(object).fillna("").astype(str)
        needs = text.str.contains(_CSV_QUOTE_NEEDED.pattern, regex=True)
        quoted = '"' + text[needs].str.replace('"', '""', regex=False) + '"'
        return text.mask(needs, quoted).tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()
        rendered = np.char.mod(_CSV_FLOAT_FORMAT, values).astype(object)
        rendered[np.isnan(values)] = ""
        return list(rendered)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return list(column.to_numpy().astype(str).astype(object))
    rendered_csv = column.to_frame().to_csv(
        index=False, header=False, lineterminator="\n", float_format=_CSV_FLOAT_FORMAT, na_rep=""
    )
    # A row of one empty field is written as "" by the csv module; here it is one of many.
    return [field if field != '""' else "" for field in rendered_csv.split("\n")[: len(column)]]


def _csv_field(text: str) -> str:
    if _CSV_QUOTE_NEEDED.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _is_text(column: pd.Series) -> bool:
    """Whether pandas could hold text in this column (numbers, dates and flags cannot)."""
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or is_object_dtype(dtype)
        or is_string_dtype(dtype)
        or not (
            is_numeric_dtype(dtype)
            or is_bool_dtype(dtype)
            or is_datetime64_any_dtype(dtype)
            or is_timedelta64_dtype(dtype)
        )
    )


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def _xlsx_bytes(df: pd.DataFrame, *, sheet_name: str) -> bytes:
    safe = _excel_compatible(neutralize_formulas(df))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=_sheet_title(sheet_name))
    return _deterministic_zip(buffer.getvalue())


def _excel_compatible(df: pd.DataFrame) -> pd.DataFrame:
    """Replace characters XML forbids and drop time zones (Excel has none; values become UTC)."""
    out = df.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            out.isetitem(position, column.dt.tz_convert("UTC").dt.tz_localize(None).array)
            continue
        illegal = _text_mask(column, _XLSX_ILLEGAL)
        if illegal is not None and illegal.any():
            values = column.to_numpy(dtype=object, copy=True)
            values[illegal] = [_XLSX_ILLEGAL.sub("\ufffd", value) for value in values[illegal]]
            out.isetitem(position, _rebuild(values, column))
    return out


def _sheet_title(stem: str) -> str:
    title = _XLSX_SHEET_FORBIDDEN.sub("_", stem).strip("'")[:31]
    return title or "Sheet1"


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite an xlsx archive with fixed timestamps so equal tables give equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _CORE_TIMESTAMP.sub(rb"\g<1>" + _FIXED_TIMESTAMP + rb"\g<3>", payload)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, payload)
    return out.getvalue()


# --- helpers ---------------------------------------------------------------------------------


def _text_mask(
    column: pd.Series, pattern: tuple[str, ...] | re.Pattern[str]
) -> npt.NDArray[np.bool_] | None:
    """Boolean mask of text cells starting with ``pattern`` (tuple) or containing it (regex).

    None for columns that cannot hold text (numbers, dates, booleans).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    if not (is_object_dtype(column.dtype) or is_string_dtype(column.dtype)):
        return None
    try:
        if isinstance(pattern, tuple):
            hits = column.str.startswith(pattern, na=False)
        else:
            hits = column.str.contains(pattern, na=False)
    except AttributeError:  # object column without a single string
        return None
    return hits.to_numpy(dtype=bool, na_value=False)


def _rebuild(values: npt.NDArray[np.object_], original: pd.Series) -> ExtensionArray:
    """Column values in the original's dtype where that is a text dtype, else object."""
    dtype = original.dtype if is_string_dtype(original.dtype) else np.dtype(object)
    rebuilt: ExtensionArray = pd.Series(values, dtype=dtype, copy=False).array
    return rebuilt
