"""Readers deliver the raw table faithfully, with spreadsheet row numbers and provenance."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotsen_match.errors import InputFormatError
from lotsen_match.io import read_table
from lotsen_match.io.csv_dialect import detect_delimiter


def write_bytes(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def cells(df: pd.DataFrame, column: str) -> list[object]:
    """Column values with missing values as None, for exact comparisons."""
    return [None if pd.isna(v) else v for v in df[column].tolist()]


# --- CSV dialects ----------------------------------------------------------------------------


def test_semicolon_cp1252_german_export(tmp_path: Path) -> None:
    text = (
        "Kennung;Breitengrad;Längengrad;Führungszeugnis bis;Bemerkung\r\n"
        "L-1;52,37;9,73;31.12.2026;Größe ä ö ü ß €\r\n"
        "L-2;53,08;8,80;;\r\n"
    )
    path = write_bytes(tmp_path / "lotsen.csv", text, "cp1252")
    df = read_table(path, table="volunteers")
    assert list(df.columns) == [
        "Kennung",
        "Breitengrad",
        "Längengrad",
        "Führungszeugnis bis",
        "Bemerkung",
        "_row",
    ]
    assert cells(df, "Längengrad") == ["9,73", "8,80"]  # decimal commas stay text
    assert cells(df, "Bemerkung") == ["Größe ä ö ü ß €", None]
    assert cells(df, "Führungszeugnis bis") == ["31.12.2026", None]
    assert df["_row"].tolist() == [2, 3]
    assert df["_row"].dtype == np.int64
    assert df.attrs["encoding"] == "cp1252"
    assert df.attrs["delimiter"] == ";"
    assert df.attrs["source"] == "lotsen.csv"
    assert df.attrs["table"] == "volunteers"


def test_comma_utf8_with_bom(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path / "requests.CSV",
        "\ufeffrequest_id,lat,languages\nR1,52.1,ar:native;de:A2\n",
        "utf-8",
    )
    df = read_table(path, table="requests")
    assert list(df.columns) == ["request_id", "lat", "languages", "_row"]  # BOM not in header
    assert cells(df, "languages") == ["ar:native;de:A2"]
    assert df.attrs["encoding"] == "utf-8-sig"
    assert df.attrs["delimiter"] == ","


def test_plain_utf8_and_every_cell_is_text(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "v.csv", "id;capacity;flag;lat\n007;2;true;52.50\n", "utf-8")
    df = read_table(path, table="volunteers")
    assert df.attrs["encoding"] == "utf-8"
    assert cells(df, "id") == ["007"]  # no numeric conversion: leading zero survives
    assert cells(df, "capacity") == ["2"]
    assert cells(df, "flag") == ["true"]
    assert cells(df, "lat") == ["52.50"]


@pytest.mark.parametrize("suffix", [".tsv", ".txt"])
def test_tab_delimited(tmp_path: Path, suffix: str) -> None:
    path = write_bytes(tmp_path / f"t{suffix}", "a\tb;c\td,e\n1\t2;3\t4,5\n", "utf-8")
    df = read_table(path, table="volunteers")
    assert df.attrs["delimiter"] == "\t"
    assert list(df.columns) == ["a", "b;c", "d,e", "_row"]
    assert cells(df, "b;c") == ["2;3"]


def test_quoted_cells_with_delimiters_and_newlines_count_as_one_row(tmp_path: Path) -> None:
    text = (
        "id;note;lang\r\n"
        'a;"Müller; Hans";de:C1\r\n'
        'b;"zwei\r\nZeilen; und ""Zitat""";ar:native\r\n'
        'c;"drei\nZeilen\nhier";uk:B2\r\n'
        "d;;fa:A1\r\n"
    )
    path = write_bytes(tmp_path / "q.csv", text, "cp1252")
    df = read_table(path, table="requests")
    assert cells(df, "note") == [
        "Müller; Hans",
        'zwei\r\nZeilen; und "Zitat"',
        "drei\nZeilen\nhier",
        None,
    ]
    assert cells(df, "lang") == ["de:C1", "ar:native", "uk:B2", "fa:A1"]
    # Records, not physical lines: the multi-line cells do not shift later row numbers.
    assert df["_row"].tolist() == [2, 3, 4, 5]


def test_empty_and_whitespace_cells_become_missing_and_everything_is_stripped(
    tmp_path: Path,
) -> None:
    text = "  id ; name ;x\n a1 ;  ;\t\n a2 ; Ö z ;\u00a0\n"
    df = read_table(write_bytes(tmp_path / "w.csv", text, "utf-8"), table="volunteers")
    assert list(df.columns) == ["id", "name", "x", "_row"]
    assert cells(df, "id") == ["a1", "a2"]
    assert cells(df, "name") == [None, "Ö z"]
    assert cells(df, "x") == [None, None]


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "\r\nid;v\r\n1;a\r\n\r\n;;\r\n  ;\r\n2;b\r\n"
    df = read_table(write_bytes(tmp_path / "b.csv", text, "utf-8"), table="volunteers")
    assert cells(df, "id") == ["1", "2"]
    # Leading blank line is spreadsheet row 1, header row 2; blank rows 4-6 are recorded.
    assert df["_row"].tolist() == [3, 7]
    assert df.attrs["skipped_blank_rows"] == [4, 5, 6]


def test_blank_looking_lines_before_the_header(tmp_path: Path) -> None:
    text = "   \n;;\nid;v\n1;a\n"
    df = read_table(write_bytes(tmp_path / "b.csv", text, "utf-8"), table="volunteers")
    assert list(df.columns) == ["id", "v", "_row"]
    assert df["_row"].tolist() == [4]


def test_trailing_delimiters_and_wider_rows(tmp_path: Path) -> None:
    text = "id;v;\n1;a;\n2;b;;\n3;c;;extra\n"
    df = read_table(write_bytes(tmp_path / "t.csv", text, "utf-8"), table="volunteers")
    # Empty columns without header vanish; a value beyond the header is kept, not lost.
    assert list(df.columns) == ["id", "v", "Unnamed: 3", "_row"]
    assert cells(df, "Unnamed: 3") == [None, None, "extra"]
    assert df["_row"].tolist() == [2, 3, 4]


def test_duplicate_headers_are_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "d.csv", "id;name; name \n1;a;b\n", "utf-8")
    with pytest.raises(
        InputFormatError, match=r"duplicate column header 'name' in columns 2 and 3"
    ):
        read_table(path, table="volunteers")


def test_undecodable_bytes_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id;x\n1;\x81\x8d\n")  # invalid UTF-8 and undefined in cp1252
    with pytest.raises(InputFormatError, match=r"bad\.csv.*neither UTF-8 nor Windows-1252") as info:
        read_table(path, table="volunteers")
    assert info.value.path == str(path)


def test_header_only_and_empty_files(tmp_path: Path) -> None:
    header_only = read_table(write_bytes(tmp_path / "h.csv", "id;lat\n", "utf-8"), table="x")
    assert list(header_only.columns) == ["id", "lat", "_row"]
    assert len(header_only) == 0
    empty = read_table(write_bytes(tmp_path / "e.csv", "\n\n", "utf-8"), table="x")
    assert list(empty.columns) == ["_row"]
    assert len(empty) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id;lat;lon\n1;52,3;9,7\n2;53,1;8,8\n", ";"),  # decimal commas in a ;-file
        ("id,languages\n1,ar:native;de:B1\n2,uk:C1;ru:B2\n", ","),  # ;-lists in a ,-file
        ('"Ort, Kreis";PLZ\n"Celle, Land";29221\n', ";"),  # delimiter inside a quoted header
        ("Ort, Kreis;PLZ;Einwohner\nCelle, Land;29221;70000\n", ";"),  # both unquoted
        ("a,b;c\nx,y;z\n", ";"),  # truly ambiguous: the German default wins
        ("name\nMüller, Hans\nSchmidt, Eva\n", ";"),  # one column: do not split the data
    ],
)
def test_delimiter_detection(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected


def test_single_column_file_keeps_commas(tmp_path: Path) -> None:
    df = read_table(write_bytes(tmp_path / "n.csv", "name\nMüller, Hans\n", "utf-8"), table="x")
    assert cells(df, "name") == ["Müller, Hans"]


# --- hypothesis round trip -------------------------------------------------------------------

_CELL_ALPHABET = st.sampled_from(list("abcXYZ019 ;,\"'äöüÄÖÜß€é-:\n\t."))
_HEADER_ALPHABET = st.sampled_from(list("abcdefghÄÖÜäöüß _-1"))


@st.composite
def text_tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    n_columns = draw(st.integers(min_value=2, max_value=5))
    headers = draw(
        st.lists(
            st.text(_HEADER_ALPHABET, min_size=1, max_size=8).filter(lambda h: h.strip() != ""),
            min_size=n_columns,
            max_size=n_columns,
            unique_by=lambda h: h.strip(),
        )
    )
    rows = draw(
        st.lists(
            st.lists(st.text(_CELL_ALPHABET, max_size=10), min_size=n_columns, max_size=n_columns),
            max_size=8,
        )
    )
    return headers, rows


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=text_tables(),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    line_end=st.sampled_from(["\r\n", "\n"]),
)
def test_csv_round_trip(
    tmp_path: Path,
    table: tuple[list[str], list[list[str]]],
    delimiter: str,
    encoding: str,
    line_end: str,
) -> None:
    headers, rows = table
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path / "roundtrip.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))

    df = read_table(path, table="requests")

    expected_rows = [
        (number, [cell.strip() or None for cell in row])
        for number, row in enumerate(rows, start=2)
        if any(cell.strip() for cell in row)
    ]
    assert list(df.columns) == [h.strip() for h in headers] + ["_row"]
    assert df["_row"].tolist() == [number for number, _ in expected_rows]
    got = [
        [None if pd.isna(v) else v for v in record]
        for record in df[df.columns[:-1]].values.tolist()
    ]
    assert got == [row for _, row in expected_rows]
    assert df.attrs["delimiter"] == delimiter
    if encoding == "utf-8-sig":
        assert df.attrs["encoding"] == "utf-8-sig"


# --- Excel -----------------------------------------------------------------------------------


def make_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Hinweise"
    first.append(["nur ein Hinweisblatt"])
    sheet = workbook.create_sheet("Volunteers")
    sheet.append(["volunteer_id", " capacity ", "certified_on", "involves_minors", "note", None])
    sheet.append(["V1", 2, dt.datetime(2024, 3, 1), True, "  Text  ", None])
    sheet.append(["V2", 1.5, None, False, "   ", None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["V3", None, dt.date(2025, 1, 31), None, "ä\nö", None])
    other = workbook.create_sheet("requests")
    other.append(["request_id"])
    other.append(["R1"])
    workbook.save(path)
    return path


def test_excel_values_as_typed_and_default_sheet_by_table_name(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "caseload.xlsx")
    df = read_table(path, table="volunteers")  # matches sheet "Volunteers" ignoring case
    assert df.attrs["sheet"] == "Volunteers"
    assert list(df.columns) == [
        "volunteer_id",
        "capacity",
        "certified_on",
        "involves_minors",
        "note",
        "_row",
    ]
    assert cells(df, "volunteer_id") == ["V1", "V2", "V3"]
    assert cells(df, "capacity") == [2, 1.5, None]
    assert isinstance(df["capacity"].iloc[0], int)
    # openpyxl gives datetime, calamine gives date for date-only cells: both are the same day.
    certified = [None if v is None else pd.Timestamp(v) for v in cells(df, "certified_on")]
    assert certified == [pd.Timestamp(2024, 3, 1), None, pd.Timestamp(2025, 1, 31)]
    assert cells(df, "involves_minors") == [True, False, None]
    assert isinstance(df["involves_minors"].iloc[0], bool)
    assert cells(df, "note") == ["Text", None, "ä\nö"]
    assert df["_row"].tolist() == [2, 3, 5]  # the blank sheet row 4 is skipped, not renumbered
    assert df.attrs["skipped_blank_rows"] == [4]


def test_excel_sheet_selection(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "caseload.XLSM")
    assert read_table(path, table="assignments").attrs["sheet"] == "Hinweise"  # first sheet
    assert cells(read_table(path, table="x", sheet="requests"), "request_id") == ["R1"]
    assert cells(read_table(path, table="x", sheet=2), "request_id") == ["R1"]
    with pytest.raises(InputFormatError, match=r"no sheet named 'nope'.*Hinweise"):
        read_table(path, table="x", sheet="nope")
    with pytest.raises(InputFormatError, match=r"no sheet number 7"):
        read_table(path, table="x", sheet=7)


def test_excel_header_below_title_rows_keeps_sheet_row_numbers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A3"] = "id"
    sheet["B3"] = "lat"
    sheet["A4"] = "V1"
    sheet["B4"] = 52.1
    path = tmp_path / "offset.xlsx"
    workbook.save(path)
    df = read_table(path, table="volunteers")
    assert cells(df, "lat") == [52.1]
    assert df["_row"].tolist() == [4]


# --- Parquet and DataFrame -------------------------------------------------------------------


def test_parquet_as_stored(tmp_path: Path) -> None:
    source = pd.DataFrame(
        {"volunteer_id": ["V1", "V2", None], "capacity": [2, 0, 5], "lat": [52.1, 53.0, np.nan]}
    )
    path = tmp_path / "v.PQ"
    source.to_parquet(path, index=False)
    df = read_table(path, table="volunteers")
    assert df["capacity"].dtype == np.int64
    assert cells(df, "volunteer_id") == ["V1", "V2", None]
    assert df["_row"].tolist() == [1, 2, 3]
    assert df.attrs["source"] == "v.PQ"
    assert "encoding" not in df.attrs


def test_parquet_with_named_index_keeps_it_as_column(tmp_path: Path) -> None:
    source = pd.DataFrame({"capacity": [1, 2]}, index=pd.Index(["V1", "V2"], name="volunteer_id"))
    path = tmp_path / "v.parquet"
    source.to_parquet(path)
    df = read_table(path, table="volunteers")
    assert cells(df, "volunteer_id") == ["V1", "V2"]
    assert isinstance(df.index, pd.RangeIndex)


def test_dataframe_is_copied_and_rows_follow_its_index() -> None:
    source = pd.DataFrame({"id": ["a", "b"], "x": [1, 2]}, index=[10, 20])
    df = read_table(source, table="volunteers")
    assert df["_row"].tolist() == [10, 20]
    assert isinstance(df.index, pd.RangeIndex)
    assert df.attrs == {"source": "<DataFrame>", "table": "volunteers"}
    df.loc[0, "x"] = 99
    assert source["x"].tolist() == [1, 2]
    assert "_row" not in source.columns


def test_dataframe_row_numbers_from_existing_column_or_position() -> None:
    with_rows = pd.DataFrame({"id": ["a"], "_row": [17]})
    assert read_table(with_rows, table="t")["_row"].tolist() == [17]
    for bad in ([2.5], [None], ["x"]):
        with pytest.raises(ValueError, match="integer row numbers"):
            read_table(pd.DataFrame({"id": ["a"], "_row": bad}), table="t")
    by_label = pd.DataFrame({"id": ["a", "b"]}, index=pd.Index(["p", "q"]))
    assert read_table(by_label, table="t")["_row"].tolist() == [1, 2]
    named = pd.DataFrame({"capacity": [3]}, index=pd.Index(["V9"], name="volunteer_id"))
    assert cells(read_table(named, table="t"), "volunteer_id") == ["V9"]


def test_rereading_a_read_frame_keeps_provenance(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "v.csv", "id;x\n1;a\n\n2;b\n", "utf-8")
    first = read_table(path, table="volunteers")
    again = read_table(first, table="volunteers")
    pd.testing.assert_frame_equal(first, again)
    assert again.attrs["source"] == "v.csv"


# --- column mapping --------------------------------------------------------------------------


def test_column_mapping_ignores_case_whitespace_and_bom(tmp_path: Path) -> None:
    text = "\ufeffKENNUNG ; sprachen;Breitengrad;Extra\nV1;de:native;52,1;x\n"
    path = write_bytes(tmp_path / "m.csv", text, "utf-8")
    mapping = {"\ufeffKennung": "volunteer_id", " Sprachen ": "languages", "breitengrad": "lat"}
    df = read_table(path, table="volunteers", column_mapping=mapping)
    assert list(df.columns) == ["volunteer_id", "languages", "lat", "Extra", "_row"]
    assert cells(df, "lat") == ["52,1"]


def test_column_mapping_applies_to_dataframes() -> None:
    source = pd.DataFrame({"Sprachen": ["de:C1"]})
    df = read_table(source, table="volunteers", column_mapping={"sprachen": "languages"})
    assert list(df.columns) == ["languages", "_row"]
    assert list(source.columns) == ["Sprachen"]


def test_column_mapping_duplicate_target_names_both_columns(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "m.csv", "Sprachen;languages\nde:C1;ar:B1\n", "utf-8")
    with pytest.raises(ValueError, match=r"'Sprachen' and 'languages' would both be named"):
        read_table(path, table="volunteers", column_mapping={"Sprachen": "languages"})
    with pytest.raises(ValueError, match=r"'Sprache' and 'Sprachen' would both be named 'lang'"):
        read_table(
            pd.DataFrame({"Sprache": [1], "Sprachen": [2]}),
            table="volunteers",
            column_mapping={"Sprache": "lang", "Sprachen": "lang"},
        )


# --- errors ----------------------------------------------------------------------------------


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text("{}")
    with pytest.raises(InputFormatError, match=r"v\.json.*'\.json'.*\.csv.*\.parquet.*\.xlsx"):
        read_table(path, table="volunteers")
    assert issubclass(InputFormatError, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.csv") as info:
        read_table(path, table="volunteers")
    assert info.value.filename == str(path)


def test_large_csv_reads_fast(tmp_path: Path) -> None:
    """100k rows stay in the vectorised path (a regression guard, generous bound)."""

    n = 100_000
    frame = pd.DataFrame(
        {
            "id": [f"V{i}" for i in range(n)],
            "lat": np.round(np.linspace(51.3, 53.9, n), 5).astype(str),
            "languages": "ar:native;de:B1",
        }
    )
    path = tmp_path / "big.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";").replace(".", ",").encode("cp1252"))
    df = read_table(path, table="volunteers")
    assert len(df) == n
    assert df["_row"].iloc[-1] == n + 1


def test_mapping_remembers_the_users_headers_for_messages(tmp_path: Path) -> None:
    path = tmp_path / "lotsen.csv"
    path.write_bytes("Lotsen-ID;Sprachen\nV1;ar:native\n".encode("cp1252"))
    df = read_table(path, table="volunteers", column_mapping={"Sprachen": "languages"})
    assert df.attrs["original_columns"] == {"languages": "Sprachen"}
    assert "original_columns" not in read_table(path, table="volunteers").attrs


def test_excel_without_calamine_falls_back_to_openpyxl_with_same_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_workbook(tmp_path / "caseload.xlsx")
    fast = read_table(path, table="volunteers")
    import sys

    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import now raises ImportError
    slow = read_table(path, table="volunteers")
    assert list(slow.columns) == list(fast.columns)
    assert slow["_row"].tolist() == fast["_row"].tolist()
    for col in ("volunteer_id", "capacity", "involves_minors", "note"):
        assert cells(slow, col) == cells(fast, col)
    as_days = [None if v is None else pd.Timestamp(v) for v in cells(slow, "certified_on")]
    assert as_days == [None if v is None else pd.Timestamp(v) for v in cells(fast, "certified_on")]
