"""SQL input and output against a real SQLite file: faithful reads, all-or-nothing writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lotsen_match.io import (
    MissingTableError,
    read_sql_table,
    read_table,
    write_sql_input_tables,
    write_sql_tables,
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'caseload.db'}"


def table_names(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def volunteers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "volunteer_id": ["V1", "V2", "V3"],
            "languages": ["ar:native;de:B2", "uk:C1", None],
            "lat": [52.37, 53.08, 52.26],
            "capacity": [2, 0, 1],
            "certified_on": ["2024-01-15", None, "2023-06-30"],
        }
    )


def test_input_tables_round_trip_with_provenance(url: str) -> None:
    requests = pd.DataFrame({"request_id": ["R1"], "need_type": ["school"]})
    write_sql_input_tables(url, {"volunteers": volunteers(), "requests": requests})
    df = read_sql_table(url, "volunteers")
    assert list(df.columns) == [*volunteers().columns, "_row"]
    assert df["volunteer_id"].tolist() == ["V1", "V2", "V3"]
    assert df["capacity"].tolist() == [2, 0, 1]
    assert df["lat"].tolist() == [52.37, 53.08, 52.26]
    assert pd.isna(df["languages"].iloc[2])
    assert df["_row"].tolist() == [1, 2, 3]
    assert df.attrs["source"] == "<sql:volunteers>"
    assert df.attrs["table"] == "volunteers"
    assert "caseload.db" not in repr(df.attrs)  # the URL (and any password) stays out


def test_logical_table_name_and_column_mapping(url: str) -> None:
    export = pd.DataFrame({" Kennung ": ["V1"], "SPRACHEN": ["de:native"]})
    write_sql_input_tables(url, {"lotsen_export": export})
    df = read_sql_table(
        url,
        "lotsen_export",
        table="volunteers",
        column_mapping={"kennung": "volunteer_id", "Sprachen": "languages"},
    )
    assert list(df.columns) == ["volunteer_id", "languages", "_row"]
    original = df.attrs.pop("original_columns")  # the user's headers, for messages
    assert original == {"languages": "SPRACHEN", "volunteer_id": " Kennung "}
    assert df.attrs == {"source": "<sql:lotsen_export>", "format": "sql", "table": "volunteers"}


def test_replace_and_provenance_column_not_stored(url: str, tmp_path: Path) -> None:
    csv = tmp_path / "v.csv"
    csv.write_text("volunteer_id;capacity\nV1;1\n\nV2;2\n")
    read = read_table(csv, table="volunteers")
    assert read["_row"].tolist() == [2, 4]
    write_sql_input_tables(url, {"volunteers": volunteers()})
    write_sql_input_tables(url, {"volunteers": read})  # replaces the earlier table
    df = read_sql_table(url, "volunteers")
    assert list(df.columns) == ["volunteer_id", "capacity", "_row"]
    assert df["_row"].tolist() == [1, 2]


def test_rows_ordered_by_primary_key(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE v (volunteer_id TEXT PRIMARY KEY, capacity INT)")
        connection.exec_driver_sql("INSERT INTO v VALUES ('V3', 3), ('V1', 1), ('V2', 2)")
    engine.dispose()
    assert read_sql_table(url, "v")["volunteer_id"].tolist() == ["V1", "V2", "V3"]


def test_missing_table_names_available_ones(url: str) -> None:
    write_sql_input_tables(url, {"volunteers": volunteers()})
    with pytest.raises(MissingTableError, match=r"no table 'requests'.*\['volunteers'\]") as info:
        read_sql_table(url, "requests")
    assert info.value.available == ["volunteers"]
    assert isinstance(info.value, ValueError)


def test_result_tables_get_run_id_first_and_append(url: str) -> None:
    proposals = pd.DataFrame({"request_id": ["R1", "R2"], "volunteer_id": ["V1", "V2"]})
    unmatched = pd.DataFrame({"request_id": ["R3"], "reason": ["distance"]})
    write_sql_tables(url, {"proposals": proposals, "unmatched": unmatched}, run_id="run-1")
    write_sql_tables(url, {"proposals": proposals.iloc[:1]}, run_id="run-2")
    assert query(url, "SELECT * FROM proposals ORDER BY run_id, request_id") == [
        ("run-1", "R1", "V1"),
        ("run-1", "R2", "V2"),
        ("run-2", "R1", "V1"),
    ]
    assert query(url, "SELECT * FROM unmatched") == [("run-1", "R3", "distance")]
    assert "run_id" not in proposals.columns  # inputs untouched


def test_failed_write_commits_nothing(url: str) -> None:
    good = pd.DataFrame({"request_id": ["R1"], "volunteer_id": ["V1"]})
    write_sql_tables(
        url,
        {"proposals": good, "unmatched": pd.DataFrame({"request_id": ["R0"], "reason": ["x"]})},
        run_id="run-1",
    )
    before = {name: query(url, f"SELECT * FROM {name}") for name in table_names(url)}

    incompatible = pd.DataFrame({"request_id": ["R9"], "no_such_column": ["boom"]})
    with pytest.raises(pd.errors.DatabaseError, match="no_such_column"):
        write_sql_tables(
            url,
            {
                "summary": pd.DataFrame({"objective": [1.5]}),  # new table, created first
                "proposals": good,  # rows appended second
                "unmatched": incompatible,  # fails third
            },
            run_id="run-2",
        )
    assert table_names(url) == ["proposals", "unmatched"]  # the CREATE TABLE was rolled back
    assert {name: query(url, f"SELECT * FROM {name}") for name in table_names(url)} == before


def test_failed_replace_keeps_previous_input_tables(url: str) -> None:
    write_sql_input_tables(url, {"volunteers": volunteers()})
    unstorable = pd.DataFrame({"request_id": ["R1"], "payload": [{"not": "storable"}]})
    with pytest.raises(pd.errors.DatabaseError, match="not supported"):
        write_sql_input_tables(url, {"volunteers": volunteers().iloc[:1], "requests": unstorable})
    assert read_sql_table(url, "volunteers")["volunteer_id"].tolist() == ["V1", "V2", "V3"]
    assert table_names(url) == ["volunteers"]


def test_argument_errors(url: str) -> None:
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match=r"if_exists must be one of"):
        write_sql_tables(url, {"t": frame}, run_id="r", if_exists="truncate")
    with pytest.raises(ValueError, match=r"already has a 'run_id' column"):
        write_sql_tables(url, {"t": frame.assign(run_id="x")}, run_id="r")
    with pytest.raises(ValueError, match=r"if_exists must be one of"):
        write_sql_input_tables(url, {"t": frame}, if_exists="merge")
    assert table_names(url) == []


def test_sql_mapping_remembers_the_users_headers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    write_sql_input_tables(url, {"volunteers": pd.DataFrame({"Sprachen": ["ar:native"]})})
    df = read_sql_table(url, "volunteers", column_mapping={"Sprachen": "languages"})
    assert df.attrs["original_columns"] == {"languages": "Sprachen"}
