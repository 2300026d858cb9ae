"""Check an Excel workbook before a reader unpacks it: its sizes, its sheets, their used range.

Spreadsheet readers allocate the rectangle from A1 to the farthest cell before they hand out a
single value. A few-kilobyte workbook with one cell at XFD1048576 asks for 17 billion cells (the
Rust reader aborts the process), one at ZZ200000 for 140 million (minutes, gigabytes). A zip
entry can also unpack to a thousand times its stored size. This module learns from the archive's
directory and a streamed pass over the sheet's cell references what reading would cost, so the
reader can refuse absurd files first (:class:`~lotsen_match.errors.InputLimitError`).

The pass over the sheet is vectorised for the form every spreadsheet program writes
(``<c r="B7" ...>``); other forms (namespace prefixes, cells without references) go through an
XML parser, slower but exact.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final
from xml.etree import ElementTree
from xml.parsers import expat

import numpy as np
import numpy.typing as npt

from lotsen_match.errors import InputFormatError, InputLimitError
from lotsen_match.io.limits import InputLimits, check_column_count, megabytes
from lotsen_match.printable import excerpt

__all__ = [
    "SheetExtent",
    "WorkbookIndex",
    "check_extent",
    "column_letters",
    "index_workbook",
    "sheet_extent",
    "verify_declared_sizes",
]

_CHUNK: Final = 16 << 20
_PAD: Final = 32  # reads past a chunk's end stay inside the array
_ROOT_RELS: Final = "_rels/.rels"
_DEFAULT_WORKBOOK: Final = "xl/workbook.xml"
_LT, _C, _V, _I, _S, _R, _EQ, _QUOTE, _COLON = (ord(c) for c in '<cvisr=":')
_NAME_ENDS: Final = np.zeros(256, dtype=np.bool_)
_NAME_ENDS[[ord(c) for c in " \t\r\n/>"]] = True
_IS_LETTER: Final = np.zeros(256, dtype=np.bool_)
_IS_LETTER[ord("A") : ord("Z") + 1] = True
_IS_DIGIT: Final = np.zeros(256, dtype=np.bool_)
_IS_DIGIT[ord("0") : ord("9") + 1] = True
_MAX_DIGITS: Final = 7  # rows go up to 1,048,576
_A1: Final = ord("A") - 1
_ZERO: Final = ord("0")


@dataclass(frozen=True)
class WorkbookIndex:
    """The sheets of a workbook in order, with the zip entry that holds each one."""

    names: tuple[str, ...]
    parts: tuple[str, ...]


@dataclass(frozen=True)
class SheetExtent:
    """How far a sheet's cells reach (1-based, from A1) and how many cells hold a value."""

    last_row: int = 0
    last_column: int = 0
    values: int = 0

    @property
    def cells(self) -> int:
        """Cells of the used range A1 to the farthest cell: what a reader materialises."""
        return self.last_row * self.last_column

    @property
    def used_range(self) -> str:
        """The used range in A1 notation, e.g. ``A1:ZZ200000``."""
        if not self.cells:
            return "(empty)"
        return f"A1:{column_letters(self.last_column)}{self.last_row}"


def column_letters(number: int) -> str:
    """Excel column letters of a 1-based column number (1 -> A, 28 -> AB, 16384 -> XFD)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def index_workbook(archive: zipfile.ZipFile, path: Path, limits: InputLimits) -> WorkbookIndex:
    """Check the archive's sizes and find its sheets, without unpacking any sheet.

    The unpacked size declared in the zip directory is checked against ``limits.max_bytes``;
    the sheet pass and :func:`verify_declared_sizes` make sure no entry holds more.

    Raises:
        InputLimitError: the workbook unpacks to more than the limit.
        InputFormatError: the archive is no workbook (missing or malformed parts).
    """
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.max_bytes:
        raise InputLimitError(
            f"{path}: the workbook unpacks to {megabytes(unpacked)}; at most "
            f"{megabytes(limits.max_bytes)} unpacked are read (raise the config setting "
            "max_input_mb, or save the sheet as CSV)",
            path=str(path),
        )
    workbook = _target(archive, _ROOT_RELS, "", "officeDocument") or _DEFAULT_WORKBOOK
    tree = _small_xml(archive, workbook, path)
    base = posixpath.dirname(workbook)
    rels = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    names: list[str] = []
    parts: list[str] = []
    for element in tree.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        part = _target(archive, rels, base, rel_id=rel_id) if rel_id else None
        if part is None:
            continue  # a chart sheet or a broken link: not a table
        names.append(element.attrib.get("name", ""))
        parts.append(part)
    if not names:
        raise InputFormatError(f"{path}: the workbook has no worksheet", path=str(path))
    return WorkbookIndex(tuple(names), tuple(parts))


def verify_declared_sizes(archive: zipfile.ZipFile, skip: str, path: Path) -> None:
    """Unpack every entry but ``skip`` once, so an entry larger than declared is caught.

    :mod:`zipfile` reads no more than the declared size and checks the CRC at the end, so a
    lying entry fails here, in bounded memory, before a reader trusts the directory.
    """
    for info in archive.infolist():
        if info.filename == skip or info.is_dir():
            continue
        try:
            with archive.open(info) as stream:
                while stream.read(_CHUNK):
                    pass
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputFormatError(
                f"{path}: not a readable Excel file (entry {excerpt(info.filename, 60)}: {exc})",
                path=str(path),
            ) from exc


def sheet_extent(archive: zipfile.ZipFile, part: str, path: Path) -> SheetExtent:
    """Stream the sheet's XML and measure its cells (fast pass; exact XML pass if needed).

    Raises:
        InputFormatError: the entry is missing, corrupt, or not well-formed XML.
    """
    try:
        with archive.open(part) as stream:
            fast = _fast_extent(_chunks(stream))
        if fast is not None:
            return fast
        with archive.open(part) as stream:
            return _xml_extent(_chunks(stream), path)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputFormatError(
            f"{path}: not a readable Excel file (sheet entry {excerpt(part, 60)}: {exc})",
            path=str(path),
        ) from exc


def check_extent(extent: SheetExtent, sheet: str, path: Path, limits: InputLimits) -> None:
    """Refuse a sheet whose used range would cost far more than its values justify.

    Raises:
        InputLimitError: too many columns, or a used range that is both larger than
            ``limits.max_sheet_cells`` and emptier than one value per
            ``limits.sheet_cells_per_value`` cells.
    """
    where = f"sheet {excerpt(sheet, 40)} uses columns up to {column_letters(extent.last_column)}"
    check_column_count(extent.last_column, path, limits, where)
    allowed = max(limits.max_sheet_cells, limits.sheet_cells_per_value * extent.values)
    if extent.cells > allowed:
        raise InputLimitError(
            f"{path}: sheet {excerpt(sheet, 40)}: its used range {extent.used_range} spans "
            f"{extent.cells:,} cells but only {extent.values:,} cells hold a value. A value or a "
            "formatted cell far below or right of the table makes a reader build every empty "
            "cell in between. Delete the rows below and the columns right of the table and save "
            f"again (read are sheets of up to {limits.max_sheet_cells:,} cells, larger ones "
            f"with a value in at least one cell of {limits.sheet_cells_per_value})",
            path=str(path),
        )


# --- workbook structure --------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _small_xml(archive: zipfile.ZipFile, part: str, path: Path) -> ElementTree.Element:
    """Parse a small structural part (workbook, relationships); no DTDs."""
    try:
        data = archive.read(part)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputFormatError(
            f"{path}: not a readable Excel file (no {part})", path=str(path)
        ) from exc
    if b"<!DOCTYPE" in data:
        raise InputFormatError(
            f"{path}: not a readable Excel file ({part} declares a DTD)", path=str(path)
        )
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise InputFormatError(
            f"{path}: not a readable Excel file ({part}: {exc})", path=str(path)
        ) from exc


def _target(
    archive: zipfile.ZipFile,
    rels: str,
    base: str,
    kind: str | None = None,
    *,
    rel_id: str | None = None,
) -> str | None:
    """The zip entry a relationship points to: by id, or the first of a type ending in ``kind``."""
    if rels not in archive.namelist():
        return None
    data = archive.read(rels)
    if b"<!DOCTYPE" in data:
        return None
    try:
        tree = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    for element in tree.iter():
        if _local(element.tag) != "Relationship":
            continue
        if rel_id is not None and element.attrib.get("Id") != rel_id:
            continue
        if kind is not None and not element.attrib.get("Type", "").endswith("/" + kind):
            continue
        if not element.attrib.get("Type", "").endswith(("/worksheet", "/officeDocument")):
            return None
        target = element.attrib.get("Target", "")
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join(base, target))
        return part if part in archive.namelist() else None
    return None


# --- the pass over the cells ---------------------------------------------------------------------


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream in chunks cut just before a ``<``, so that no tag is split between two."""
    tail = b""
    for block in iter(lambda: stream.read(_CHUNK), b""):
        data = tail + block
        cut = data.rfind(b"<")
        if cut <= 0:
            tail = data
            continue
        yield data[:cut]
        tail = data[cut:]
    if tail:
        yield tail


def _fast_extent(chunks: Iterator[bytes]) -> SheetExtent | None:
    """Measure cells written as ``<c r="B7"``; None if any cell has another form."""
    last_row = last_column = values = 0
    for chunk in chunks:
        found = _fast_chunk(chunk)
        if found is None:
            return None
        rows, columns, n_values = found
        last_row = max(last_row, rows)
        last_column = max(last_column, columns)
        values += n_values
    return SheetExtent(last_row, last_column, values)


def _fast_chunk(chunk: bytes) -> tuple[int, int, int] | None:
    data = np.frombuffer(chunk + b"\0" * _PAD, dtype=np.uint8)
    if _prefixed_cells(data, len(chunk)):
        return None
    opens = np.flatnonzero(data[: len(chunk)] == _LT)
    first, second, third = data[opens + 1], data[opens + 2], data[opens + 3]
    ends2 = _NAME_ENDS[second]
    n_values = int(np.count_nonzero((first == _V) & ends2))
    n_values += int(np.count_nonzero((first == _I) & (second == _S) & _NAME_ENDS[third]))
    cells = opens[(first == _C) & ends2]
    if not len(cells):
        return 0, 0, n_values
    canonical = (
        (data[cells + 2] == ord(" "))
        & (data[cells + 3] == _R)
        & (data[cells + 4] == _EQ)
        & (data[cells + 5] == _QUOTE)
    )
    if not canonical.all():
        return None
    reference = _references(data, cells + 6)
    if reference is None:
        return None
    rows, columns = reference
    return int(rows.max()), int(columns.max()), n_values


def _references(
    data: npt.NDArray[np.uint8], start: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Rows and columns of the references ``B7"`` at ``start``; None if one is malformed.

    Works one character position at a time over all references (1-3 letters, 1-7 digits,
    then the closing quote), so the cost is a few vector operations per position.
    """
    letter = [_IS_LETTER[data[start + k]] for k in range(4)]
    if not letter[0].all() or (letter[0] & letter[1] & letter[2] & letter[3]).any():
        return None
    column = data[start].astype(np.int64) - _A1
    more = letter[0]
    n_letters = np.ones(len(start), dtype=np.intp)
    for k in (1, 2):
        more = more & letter[k]
        column = np.where(more, column * 26 + data[start + k] - _A1, column)
        n_letters += more
    digits_at = start + n_letters
    row = np.zeros(len(start), dtype=np.int64)
    active = np.ones(len(start), dtype=np.bool_)
    for k in range(_MAX_DIGITS + 1):
        byte = data[digits_at + k]
        digit = _IS_DIGIT[byte] & active
        if k == 0 and not digit.all():
            return None
        ended = active & ~digit
        if not (byte[ended] == _QUOTE).all():
            return None
        row = np.where(digit, row * 10 + byte - _ZERO, row)
        active = digit
    if active.any():  # more than seven digits
        return None
    return row, column


def _prefixed_cells(data: npt.NDArray[np.uint8], size: int) -> bool:
    """Whether ``x:c``, ``x:v``, ``x:is`` or ``x:row`` occur: cells the fast pass cannot see.

    Colons are rare in sheet XML (namespace declarations, extension elements, times in text),
    so looking at the bytes after each one is cheap; a false alarm only costs the exact pass.
    """
    colons = np.flatnonzero(data[:size] == _COLON)
    if not len(colons):
        return False
    a, b, c, d = (data[colons + k] for k in range(1, 5))
    local = (
        ((a == _C) | (a == _V)) & _NAME_ENDS[b]
        | (a == _I) & (b == _S) & _NAME_ENDS[c]
        | (a == _R) & (b == ord("o")) & (c == ord("w")) & _NAME_ENDS[d]
    )
    return bool(local.any())


def _xml_extent(chunks: Iterator[bytes], path: Path) -> SheetExtent:
    """Exact measure with an XML parser: prefixes, implicit positions, any attribute order."""
    state = {"row": 0, "column": 0, "last_row": 0, "last_column": 0, "values": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "row":
            ref = attrs.get("r")
            state["row"] = int(ref) if ref and ref.isdigit() else state["row"] + 1
            state["column"] = 0
        elif local == "c":
            row, column = _parse_ref(attrs.get("r"))
            state["column"] = column or state["column"] + 1
            state["row"] = row or state["row"]
            state["last_row"] = max(state["last_row"], state["row"])
            state["last_column"] = max(state["last_column"], state["column"])
        elif local in ("v", "is"):
            state["values"] += 1

    def no_dtd(*_args: object) -> None:
        raise InputFormatError(f"{path}: not a readable Excel file (a DTD)", path=str(path))

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = no_dtd
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise InputFormatError(
            f"{path}: not a readable Excel file (sheet XML: {exc})", path=str(path)
        ) from exc
    return SheetExtent(state["last_row"], state["last_column"], state["values"])


def _parse_ref(ref: str | None) -> tuple[int, int]:
    """``(row, column)`` of an A1 reference; zeros where the reference gives none."""
    if not ref:
        return 0, 0
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    column = 0
    for char in letters.upper():
        if not "A" <= char <= "Z":
            return 0, 0
        column = column * 26 + ord(char) - ord("A") + 1
    return (int(digits) if digits else 0), column
