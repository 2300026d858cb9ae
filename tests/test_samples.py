"""The bundled sample files in data/samples: dialect, reproducibility, twins, broken rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lotsen_match.config import MatchConfig
from lotsen_match.core.vocab import LEVELS, MODULES, NEED_TYPES, SLOTS, canonical_language

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
GERMAN_HEADERS = {
    "ehrenamt_lotsen.csv": "Lotsen-ID;Sprachen;Breitengrad;Längengrad;Max. Entfernung (km);"
    "Bereiche;Verfügbarkeit;Kapazität;Geschlecht;Zertifiziert am;Module;Führungszeugnis bis;"
    "Aktiv ab;Aktiv bis;Ort",
    "anfragen.csv": "Anfrage-ID;Haushalt;Sprachen;Breitengrad;Längengrad;Bedarf;Verfügbarkeit;"
    "Eingang am;Termin am;Minderjährige;Wunschgeschlecht;Ausgeschlossene Lotsen;"
    "Bisherige Lotsin/Lotse;Ort",
    "zuordnungen.csv": "Anfrage-ID;Lotsen-ID;Status",
}
SPEC_TWIN = {
    "ehrenamt_lotsen.csv": "volunteers",
    "anfragen.csv": "requests",
    "zuordnungen.csv": "assignments",
}
HILDESHEIM = (52.15077, 9.95112)


def read_table(path: Path, encoding: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)  # strict: any invalid byte fails
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows[0], rows[1:]


def read_german(name: str) -> tuple[list[str], list[list[str]]]:
    return read_table(SAMPLES / name, "cp1252", ";")


def read_spec(table: str) -> tuple[list[str], list[list[str]]]:
    return read_table(SAMPLES / "spec" / f"{table}.csv", "utf-8", ",")


def german_to_spec(value: str) -> str:
    """The plain contract spelling of one German export cell."""
    if value in ("ja", "nein"):
        return "true" if value == "ja" else "false"
    if m := re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", value):
        return f"{m[3]}-{m[2]}-{m[1]}"
    if re.fullmatch(r"-?\d+,\d+", value):
        return value.replace(",", ".")
    return value


def languages_ok(value: str) -> bool:
    for item in value.split(";"):
        code, _, level = item.partition(":")
        if canonical_language(code) != code or level not in LEVELS:
            return False
    return bool(value)


def items_ok(value: str, vocabulary: tuple[str, ...], *, required: bool = False) -> bool:
    if not value:
        return not required
    return all(item in vocabulary for item in value.split(";"))


def german_date_ok(value: str, *, required: bool) -> bool:
    if not value:
        return not required
    try:
        dt.datetime.strptime(value, "%d.%m.%Y")
    except ValueError:
        return False
    return True


def coordinate_ok(value: str, bound: float) -> bool:
    if not re.fullmatch(r"-?\d+(,\d+)?", value):
        return False
    return abs(float(value.replace(",", "."))) <= bound


def request_problems(header: list[str], rows: list[list[str]]) -> set[tuple[int, str]]:
    """(file row, column) of every invalid cell of a German requests export; header = row 1."""
    problems: set[tuple[int, str]] = set()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        cell = dict(zip(header, row, strict=True))
        checks = {
            "Anfrage-ID": bool(re.fullmatch(r"R\d{7}", cell["Anfrage-ID"]))
            and cell["Anfrage-ID"] not in seen,
            "Haushalt": bool(re.fullmatch(r"(H\d{7})?", cell["Haushalt"])),
            "Sprachen": languages_ok(cell["Sprachen"]),
            "Breitengrad": coordinate_ok(cell["Breitengrad"], 90),
            "Längengrad": coordinate_ok(cell["Längengrad"], 180),
            "Bedarf": cell["Bedarf"] in NEED_TYPES,
            "Verfügbarkeit": items_ok(cell["Verfügbarkeit"], SLOTS),
            "Eingang am": german_date_ok(cell["Eingang am"], required=True),
            "Termin am": german_date_ok(cell["Termin am"], required=False),
            "Minderjährige": cell["Minderjährige"] in ("ja", "nein", ""),
            "Wunschgeschlecht": cell["Wunschgeschlecht"] in ("f", "m", "d", ""),
            "Ausgeschlossene Lotsen": bool(
                re.fullmatch(r"(V\d{6}(;V\d{6})*)?", cell["Ausgeschlossene Lotsen"])
            ),
            "Bisherige Lotsin/Lotse": bool(
                re.fullmatch(r"(V\d{6})?", cell["Bisherige Lotsin/Lotse"])
            ),
        }
        problems |= {(number, column) for column, ok in checks.items() if not ok}
        seen.add(cell["Anfrage-ID"])
    return problems


def test_all_sample_files_exist() -> None:
    expected = [
        "README.md",
        "sample_config.toml",
        "caseload.xlsx",
        *GERMAN_HEADERS,
        *(f"spec/{t}.csv" for t in SPEC_TWIN.values()),
        "broken/anfragen_fehlerhaft.csv",
        "broken/README.md",
    ]
    for name in expected:
        assert (SAMPLES / name).is_file(), name
    assert "GeoNames" in (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in (SAMPLES / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [*GERMAN_HEADERS, "broken/anfragen_fehlerhaft.csv"])
def test_german_exports_use_the_excel_dialect(name: str) -> None:
    raw = (SAMPLES / name).read_bytes()
    header = raw.split(b"\r\n", 1)[0].decode("cp1252")
    assert header == GERMAN_HEADERS[Path(name).name.replace("_fehlerhaft", "")]
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout
    if not header.isascii():
        assert "ä".encode("cp1252") in raw  # umlauts are single cp1252 bytes, not UTF-8
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    _, rows = read_table(SAMPLES / name, "cp1252", ";")
    assert all(len(row) == header.count(";") + 1 for row in rows)


def test_german_values_use_decimal_comma_german_dates_and_ja_nein() -> None:
    header, rows = read_german("anfragen.csv")
    column = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert all(re.fullmatch(r"\d+,\d{5}", v) for v in column["Breitengrad"])
    assert all(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", v) for v in column["Eingang am"])
    assert set(column["Minderjährige"]) == {"ja", "nein"}
    assert any(";" in v for v in column["Sprachen"])  # lists are quoted, not split


def test_rerunning_the_script_reproduces_every_file(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_samples.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    produced = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(SAMPLES)
        for p in SAMPLES.rglob("*")
        if p.is_file() and p.name != ".gitattributes"
    }
    assert produced == committed
    for rel in sorted(produced):
        assert (tmp_path / rel).read_bytes() == (SAMPLES / rel).read_bytes(), rel


@pytest.mark.parametrize(("name", "table"), SPEC_TWIN.items())
def test_spec_twin_holds_the_same_caseload(name: str, table: str) -> None:
    _, german_rows = read_german(name)
    spec_header, spec_rows = read_spec(table)
    assert spec_header[0] == {"volunteers": "volunteer_id"}.get(table, "request_id")
    assert [r[0] for r in german_rows] == [r[0] for r in spec_rows]  # same ids, same order
    converted = [[german_to_spec(v) for v in row] for row in german_rows]
    assert converted == spec_rows


def test_sizes_region_and_validity_of_the_sample() -> None:
    volunteers = pd.read_csv(SAMPLES / "spec" / "volunteers.csv")
    requests = pd.read_csv(SAMPLES / "spec" / "requests.csv")
    assignments = pd.read_csv(SAMPLES / "spec" / "assignments.csv")
    assert 60 <= len(volunteers) <= 80 and 300 <= len(requests) <= 400
    for frame in (volunteers, requests):
        assert frame["lat"].sub(HILDESHEIM[0]).abs().max() < 0.3
        assert frame["lon"].sub(HILDESHEIM[1]).abs().max() < 0.45
        assert all(languages_ok(v) for v in frame["languages"])
    assert (requests["place"] == "Hildesheim").mean() > 0.2
    assert all(items_ok(v, NEED_TYPES, required=True) for v in volunteers["need_types"])
    assert all(items_ok(v, MODULES) for v in volunteers["modules"].fillna(""))
    assert all(items_ok(v, SLOTS) for v in volunteers["availability"].fillna(""))
    assert set(assignments["status"]) == {"active", "proposed", "declined"}
    assert set(assignments["request_id"]) <= set(requests["request_id"])
    assert set(assignments["volunteer_id"]) <= set(volunteers["volunteer_id"])

    header, rows = read_german("anfragen.csv")
    assert request_problems(header, rows) == set()


def test_excel_workbook_holds_the_same_caseload_with_native_types() -> None:
    sheets = pd.read_excel(SAMPLES / "caseload.xlsx", sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["volunteers", "requests", "assignments"]
    for table, frame in sheets.items():
        spec = pd.read_csv(SAMPLES / "spec" / f"{table}.csv")
        assert list(frame.columns) == list(spec.columns)
        assert frame.iloc[:, 0].tolist() == spec.iloc[:, 0].tolist()
    v, r = sheets["volunteers"], sheets["requests"]
    for frame, columns in (
        (v, ["certified_on", "police_check_until", "available_from", "available_until"]),
        (r, ["created_on", "due_on"]),
    ):
        for column in columns:
            assert pd.api.types.is_datetime64_dtype(frame[column]), column
    assert r["involves_minors"].dtype == bool
    assert pd.api.types.is_integer_dtype(v["capacity"])
    assert pd.api.types.is_float_dtype(v["lat"])
    spec_created = pd.read_csv(SAMPLES / "spec" / "requests.csv", parse_dates=["created_on"])
    assert (r["created_on"] == spec_created["created_on"]).all()


def test_sample_config_maps_every_export_header() -> None:
    config = MatchConfig.from_toml(SAMPLES / "sample_config.toml")
    assert config.as_of == dt.date(2026, 11, 2)
    for name, table in SPEC_TWIN.items():
        mapping = config.ingest.columns[table]
        assert list(mapping) == GERMAN_HEADERS[name].split(";")
        assert list(mapping.values()) == read_spec(table)[0]
    assert config.ingest.columns["requests"]["Ort"] == "place"


def documented_breakages() -> dict[tuple[int, str], str]:
    """(row, column) -> value, from the table in broken/README.md."""
    text = (SAMPLES / "broken" / "README.md").read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"^\| (\d+) \| ([^|]+?) \| ([^|]+?) \| [^|]+ \|$", text, re.M):
        value = "" if m[3] == "(empty)" else m[3].strip("`")
        found[(int(m[1]), m[2])] = value
    return found


def test_broken_file_has_exactly_the_documented_problems() -> None:
    documented = documented_breakages()
    assert len(documented) >= 8
    assert len({column for _, column in documented}) >= 8  # distinct kinds of damage
    header, rows = read_german("broken/anfragen_fehlerhaft.csv")
    assert 12 <= len(rows) <= 16
    assert request_problems(header, rows) == set(documented)
    for (row, column), value in documented.items():
        assert rows[row - 2][header.index(column)] == value
    # Apart from the damage, the rows are those of anfragen.csv.
    _, originals = read_german("anfragen.csv")
    for number, row in enumerate(rows, start=2):
        damaged = {header.index(c) for r, c in documented if r == number}
        original = originals[number - 2]
        assert [v for i, v in enumerate(row) if i not in damaged] == [
            v for i, v in enumerate(original) if i not in damaged
        ]
