"""Read input tables from, and write result tables to, an SQL database via SQLAlchemy.

Only SQLAlchemy Core and pandas are used, so any dialect with transactional DDL works
(SQLite, the embedded default, and PostgreSQL). SQLite's Python driver needs one fix-up to make
``CREATE TABLE`` part of the transaction; see :func:`_engine`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lotsen_match.io.readers import ROW_COLUMN, apply_column_mapping, attach_provenance

from ..errors import ArgumentError, MissingTableError

__all__ = [
    "RUN_ID_COLUMN",
    "MissingTableError",
    "read_sql_table",
    "write_sql_input_tables",
    "write_sql_tables",
]

logger = logging.getLogger(__name__)

#: Column added in front of every result table so that runs can share one database.
RUN_ID_COLUMN: Final = "run_id"

_IF_EXISTS: Final = ("append", "replace", "fail")


def read_sql_table(
    url: str,
    table_name: str,
    *,
    table: str | None = None,
    column_mapping: Mapping[str, str] | None = None,
    schema: str | None = None,
) -> pd.DataFrame:
    """Read ``table_name`` (optionally in ``schema``) as stored, with provenance.

    ``table`` is the logical table name recorded in ``attrs`` (default: ``table_name``).
    ``_row`` is the record number starting at 1. SQL tables have no inherent order, so rows are
    ordered by the primary key where the table has one; otherwise the database's scan order
    (insertion order for SQLite) is used. A stored ``_row`` column is replaced.

    Raises:
        MissingTableError: the table does not exist (the message lists the available ones).
    """
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            stored = _reflect(connection, table_name, schema)
            statement = sa.select(stored).order_by(*stored.primary_key.columns)
            frame = pd.read_sql(statement, connection)
    finally:
        engine.dispose()
    frame = frame.drop(columns=[ROW_COLUMN], errors="ignore")
    frame = apply_column_mapping(frame, column_mapping)
    logical = table or table_name
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    attrs = {"source": f"<sql:{table_name}>", "format": "sql", "table": logical}
    logger.info("read table=%s format=sql rows=%d", logical, len(frame))
    return attach_provenance(frame, rows, attrs)


def write_sql_tables(
    url: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    run_id: str,
    if_exists: Literal["append", "replace", "fail"] = "append",
) -> None:
    """Write result ``tables`` (name -> frame) in one transaction: all of them or none.

    Each table gets ``run_id`` as its first column, so successive runs can append to the same
    tables and still be told apart. Tables are created when missing. On any error the
    transaction is rolled back and the error re-raised: a reader never sees half a run.

    Raises:
        ValueError: ``if_exists`` is not ``"append"``, ``"replace"`` or ``"fail"``, or a frame
            already has a ``run_id`` column.
    """
    prepared: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        if RUN_ID_COLUMN in frame.columns:
            raise ArgumentError(f"table {name!r} already has a {RUN_ID_COLUMN!r} column")
        out = frame.copy()
        out.insert(0, RUN_ID_COLUMN, run_id)
        prepared[name] = out
    _write_all(url, prepared, if_exists=if_exists)
    logger.info("wrote %d result tables run_id=%s", len(prepared), run_id)


def write_sql_input_tables(
    url: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    if_exists: Literal["append", "replace", "fail"] = "replace",
) -> None:
    """Store an input caseload (``{"volunteers": df, ...}``) in a database, in one transaction.

    Meant for tests, demos and the CLI. The ``_row`` provenance column is not stored: row
    numbers are assigned afresh when the table is read back.
    """
    prepared = {
        name: frame.drop(columns=[ROW_COLUMN], errors="ignore") for name, frame in tables.items()
    }
    _write_all(url, prepared, if_exists=if_exists)
    logger.info("wrote %d input tables", len(prepared))


# --- internals -------------------------------------------------------------------------------


def _write_all(
    url: str, tables: Mapping[str, pd.DataFrame], *, if_exists: Literal["append", "replace", "fail"]
) -> None:
    if if_exists not in _IF_EXISTS:
        raise ArgumentError(f"if_exists must be one of {_IF_EXISTS}, got {if_exists!r}")
    engine = _engine(url)
    try:
        with _transaction(engine) as connection:
            for name, frame in tables.items():
                # pandas joins the open transaction instead of committing on its own.
                frame.to_sql(
                    name,
                    connection,
                    if_exists=if_exists,
                    index=False,
                    **_insert_options(engine, frame),
                )
    finally:
        engine.dispose()


def _insert_options(engine: Engine, frame: pd.DataFrame) -> dict[str, Any]:
    """Multi-row INSERTs where the driver's executemany is slow (psycopg2); SQLite's is fast."""
    if engine.dialect.name == "sqlite":
        return {}
    return {"method": "multi", "chunksize": max(1, 20_000 // max(1, frame.shape[1]))}


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection, connection.begin():
        yield connection


def _reflect(connection: Connection, table_name: str, schema: str | None) -> sa.Table:
    inspector = sa.inspect(connection)
    if not inspector.has_table(table_name, schema=schema):
        available = sorted(inspector.get_table_names(schema=schema))
        raise MissingTableError(table_name, available)
    return sa.Table(table_name, sa.MetaData(), schema=schema, autoload_with=connection)


def _engine(url: str) -> Engine:
    """Create an engine; for SQLite make DDL transactional.

    Python's sqlite3 driver only opens a transaction before DML, so a ``CREATE TABLE`` issued
    first would be committed at once and survive a later rollback. The SQLAlchemy-documented
    remedy: switch the driver's own transaction handling off and emit ``BEGIN`` ourselves.
    """
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _explicit_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine
