"""Encoding and delimiter detection for CSV files as German offices export them.

German Excel writes ``;``-separated Windows-1252 files with decimal commas; other tools write
``,``-separated UTF-8, with or without a byte-order mark, and some export tab-separated text.
This module only decides *how* to split and decode a file; :mod:`lotsen_match.io.readers` does the
reading.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Final

__all__ = [
    "CANDIDATE_DELIMITERS",
    "count_leading_blank_lines",
    "decode_text",
    "detect_delimiter",
    "header_delimiter_counts",
    "header_record",
    "max_record_width",
    "widest_record",
]

#: Delimiters tried, in order of preference on a tie (``;`` first: German Excel's default).
CANDIDATE_DELIMITERS: Final[tuple[str, ...]] = (";", ",", "\t")

_BOM: Final = b"\xef\xbb\xbf"
# UTF-32 first: its little-endian mark begins with the UTF-16 one.
_BYTE_ORDER_MARKS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_SAMPLE_CHARS: Final = 64 * 1024
_HEADER_PROBE_CHARS: Final = 1 << 20
_QUOTE: Final = '"'


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode ``raw``: by its byte-order mark, else as UTF-8, else as Windows-1252.

    A UTF-32 or UTF-16 byte-order mark (Excel's "Unicode text" is UTF-16) decides the codec.
    Without one, UTF-8 is tried strictly first because a valid UTF-8 file is almost never meant
    as cp1252, while every byte sequence is *nearly* valid cp1252. Returns ``(text, encoding)``
    where encoding is ``"utf-32"``, ``"utf-16"``, ``"utf-8-sig"`` (BOM present), ``"utf-8"`` or
    ``"cp1252"``.

    Raises:
        UnicodeDecodeError: the bytes do not fit the byte-order mark, or are neither UTF-8 nor
            Windows-1252 (cp1252 leaves five byte values undefined), or hold NUL bytes without
            a byte-order mark (UTF-16 or UTF-32 without BOM, or not text at all).
    """
    for mark, codec in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            return raw.decode(codec), codec
    nul = raw.find(b"\0", 0, _SAMPLE_CHARS)
    if nul != -1:
        raise UnicodeDecodeError("utf-8", raw, nul, nul + 1, "NUL byte without byte-order mark")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"
    return text, ("utf-8-sig" if raw.startswith(_BOM) else "utf-8")


def header_delimiter_counts(text: str) -> dict[str, int]:
    """Count each candidate delimiter in the header record, ignoring quoted parts.

    The header is the first record with anything but whitespace in it. It is the most reliable
    witness: column names rarely contain delimiters, while data cells often do (decimal
    commas, ``;``-joined language lists).
    """
    counts = dict.fromkeys(CANDIDATE_DELIMITERS, 0)
    in_quotes = False
    has_content = False
    for char in text:
        if char == _QUOTE:
            in_quotes = not in_quotes
            has_content = True
        elif in_quotes:
            continue
        elif char in "\r\n":
            if has_content:
                break
        elif char in counts:
            counts[char] += 1
            has_content = True
        elif not char.isspace():
            has_content = True
    return counts


def _record_widths(sample: str, delimiter: str, *, truncated: bool) -> list[int]:
    """Field counts of the complete, non-blank records of ``sample`` split by ``delimiter``."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=_QUOTE)
    try:
        widths = [len(record) for record in reader if any(cell.strip() for cell in record)]
    except csv.Error:
        return []
    # The last record of a truncated sample may be cut in half.
    return widths[:-1] if truncated and len(widths) > 1 else widths


def _consistency(widths: list[int]) -> float:
    """Share of records as wide as the header (the first record)."""
    if not widths:
        return 0.0
    return sum(width == widths[0] for width in widths) / len(widths)


def detect_delimiter(text: str) -> str:
    """Pick ``;``, ``,`` or tab for ``text`` (already decoded, leading blank lines removed).

    The header decides: only delimiters that occur in the header outside quotes are candidates,
    because column names rarely contain delimiters while data cells often do (decimal commas,
    ``;``-joined language lists). A single candidate wins outright. Several candidates (a header
    like ``Ort, Kreis;PLZ``) are ranked by how consistently they split the sample into records
    as wide as the header, then by their count in the header, then ``;`` > ``,`` > tab.

    :class:`csv.Sniffer` is deliberately not consulted: on such headers it prefers ``,`` even
    when ``;`` splits every record consistently into more columns.

    A header without any delimiter means one column; then the delimiter least frequent in the
    sample is returned, so that data cells are not split.
    """
    sample = text[:_SAMPLE_CHARS]
    truncated = len(text) > len(sample)
    counts = header_delimiter_counts(sample)
    present = [d for d in CANDIDATE_DELIMITERS if counts[d] > 0]
    if not present:
        return min(CANDIDATE_DELIMITERS, key=sample.count)
    if len(present) == 1:
        return present[0]
    consistency = {d: _consistency(_record_widths(sample, d, truncated=truncated)) for d in present}
    rank = {d: i for i, d in enumerate(CANDIDATE_DELIMITERS)}
    return max(present, key=lambda d: (consistency[d], counts[d], -rank[d]))


def count_leading_blank_lines(text: str) -> tuple[int, str]:
    """Split off empty lines before the header; returns ``(count, rest)``.

    Spreadsheets number those lines too, so the row numbers reported to users must count them.
    """
    rest = text.lstrip("\r\n")
    leading = text[: len(text) - len(rest)]
    return len(leading.splitlines()), rest


def max_record_width(text: str, delimiter: str) -> int:
    """Widest record of ``text``; needed when a data row is wider than the header row."""
    return widest_record(text, delimiter)[0]


def widest_record(text: str, delimiter: str) -> tuple[int, int]:
    """``(width, index)`` of the widest record of ``text`` (index 0-based; first one on a tie).

    Raises:
        csv.Error: a cell is longer than the csv module's field limit (131,072 characters);
            its ``line_num`` attribute is the line where that record starts.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=_QUOTE)
    width, index, position = 0, 0, 0
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return width, index
        except csv.Error as exc:
            error = csv.Error(f"line {start}: {exc}")
            error.line_num = start  # type: ignore[attr-defined]
            raise error from exc
        if len(record) > width:
            width, index = len(record), position
        position += 1


def header_record(text: str, delimiter: str) -> tuple[list[str], bool]:
    """The first record with a non-blank cell, parsed from the start of ``text`` only.

    Lets the caller check the header before the whole file is parsed. Returns the cells and
    whether the record is complete (``False`` when it runs past the part looked at, so that
    its last cell may be cut off).

    Raises:
        csv.Error: a cell is longer than the csv module's field limit (131,072 characters).
    """
    probe = text[:_HEADER_PROBE_CHARS]
    truncated = len(text) > len(probe)
    reader = csv.reader(io.StringIO(probe, newline=""), delimiter=delimiter, quotechar=_QUOTE)
    for record in reader:
        if any(cell.strip() for cell in record):
            return record, not truncated or _has_next(reader)
    return [], not truncated


def _has_next(reader: Iterator[list[str]]) -> bool:
    """Whether another record starts after the current one (so the current one is whole)."""
    try:
        next(reader)
    except StopIteration:
        return False
    except csv.Error:
        return True  # a record too long to read, but it is a next record
    return True
