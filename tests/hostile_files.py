"""Builders of hostile input files, small on disk, generated inside the tests.

Excel files are written part by part with :mod:`zipfile`, so a workbook with one cell at
XFD1048576 stays a few kilobytes: exactly what a careless or hostile user can send.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "REQUESTS_CSV",
    "VOLUNTEERS_CSV",
    "sheet_xml_xlsx",
    "sparse_xlsx",
    "write_requests",
    "write_volunteers",
    "xlsx_with_big_part",
]

VOLUNTEERS_CSV = (
    "volunteer_id,languages,lat,lon,need_types,capacity,certified_on\n"
    "V1,de:native,52.15,9.95,school,1,2020-01-01\n"
)
REQUESTS_CSV = (
    "request_id,languages,lat,lon,need_type,created_on\nR1,de:native,52.15,9.95,school,2026-10-01\n"
)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _row_number(ref: str) -> int:
    return int("".join(ch for ch in ref if ch.isdigit()))


def _sheet_xml(cells: Mapping[str, str]) -> str:
    rows: dict[int, list[str]] = {}
    for ref, value in cells.items():
        cell = f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        rows.setdefault(_row_number(ref), []).append(cell)
    body = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
    return _SHEET_HEAD + body + _SHEET_TAIL


def _package(sheet: str) -> dict[str, str]:
    return {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK.format(name=escape(sheet)),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
    }


def sparse_xlsx(path: Path, cells: Mapping[str, str], *, sheet: str = "volunteers") -> Path:
    """A workbook whose only sheet holds text ``cells`` (``{"A1": "volunteer_id", ...}``)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _package(sheet).items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", _sheet_xml(cells))
    return path


def xlsx_with_big_part(path: Path, megabytes: int, *, sheet: str = "volunteers") -> Path:
    """A valid one-cell workbook whose sheet part is padded to ``megabytes`` MiB of blanks.

    Whitespace between elements is legal XML; deflate shrinks it about a thousandfold, so the
    file on disk stays tiny while a reader would have to inflate all of it (a zip bomb).
    """
    chunk = " " * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in _package(sheet).items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(_SHEET_HEAD.encode())
            for _ in range(megabytes):
                part.write(chunk.encode())
            part.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>')
            part.write(_SHEET_TAIL.encode())
    return path


def write_volunteers(directory: Path) -> Path:
    """A valid one-row volunteers CSV."""
    path = directory / "volunteers.csv"
    path.write_text(VOLUNTEERS_CSV, encoding="utf-8")
    return path


def write_requests(directory: Path) -> Path:
    """A valid one-row requests CSV."""
    path = directory / "requests.csv"
    path.write_text(REQUESTS_CSV, encoding="utf-8")
    return path


def sheet_xml_xlsx(path: Path, sheet_xml: str, *, sheet: str = "volunteers") -> Path:
    """A workbook whose only sheet is ``sheet_xml`` verbatim (any prefixes, attribute order)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _package(sheet).items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path
