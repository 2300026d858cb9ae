"""Read input tables from, and write result tables to, an SQL database via SQLAlchemy.

Only SQLAlchemy Core and pandas are used, so any dialect with transactional DDL works
(SQLite, the embedded default, and PostgreSQL). SQLite's Python driver needs one fix-up to make
``CREATE TABLE`` part of the transaction; see :func:`_engine`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # SQLAlchemy takes 0.2 s to import: only runs that use a database load it
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection, Engine

from lotsen_match.io.readers import ROW_COLUMN, apply_column_mapping, attach_provenance

from ..errors import ArgumentError, MissingTableError

__all__ = [
    "RUN_ID_COLUMN",
    "MissingTableError",
    "read_sql_table",
    "write_sql_input_tables",
    "write_sql_run",
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
    import sqlalchemy as sa

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


def write_sql_run(
    url: str,
    results: Mapping[str, pd.DataFrame],
    run_log: Mapping[str, object],
    *,
    run_id: str,
    runs_table: str,
    expire_before: str | None = None,
    time_column: str = "started_at",
) -> dict[str, int]:
    """Write one run: delete expired results, append new results and one run-log row, atomically.

    Everything happens in one transaction, so a reader sees either the previous state or the
    new run with its retention applied, never a mix. Retention deletes the rows of each table in
    ``results`` whose ``run_id`` belongs to a run logged in ``runs_table`` with ``time_column``
    at or before ``expire_before`` (ISO text in UTC to the second, compared as stored; a run
    logged in the cutoff's second started before this one); ``None`` deletes nothing.
    The run log itself is append-only: its rows are never updated or deleted. Columns the log
    row has and an existing log table lacks (a database written by an older version) are added
    first. The log row records ``deleted_<table>`` per result table and ``deleted_rows``.

    Parameters
    ----------
    url
        SQLAlchemy URL of the database.
    results
        Result tables (name -> frame) of this run; each gets ``run_id`` as its first column.
    run_log
        The run's log row (column -> scalar); it must hold no personal data.
    run_id, runs_table, expire_before, time_column
        The run's id, the log table, the retention cutoff, and the log column it applies to.

    Returns
    -------
    dict[str, int]
        Rows deleted per result table.

    Raises
    ------
    ArgumentError
        A frame already has a ``run_id`` column.
    """
    prepared: dict[str, pd.DataFrame] = {}
    for name, frame in results.items():
        if RUN_ID_COLUMN in frame.columns:
            raise ArgumentError(f"table {name!r} already has a {RUN_ID_COLUMN!r} column")
        out = frame.copy()
        out.insert(0, RUN_ID_COLUMN, run_id)
        prepared[name] = out
    engine = _engine(url)
    try:
        with _transaction(engine) as connection:
            deleted = {
                name: _delete_expired(connection, name, runs_table, time_column, expire_before)
                for name in prepared
            }
            for name, frame in prepared.items():
                frame.to_sql(
                    name,
                    connection,
                    if_exists="append",
                    index=False,
                    **_insert_options(engine, frame),
                )
            row = {RUN_ID_COLUMN: run_id, **run_log}
            row.update({f"deleted_{name}": n for name, n in deleted.items()})
            row["deleted_rows"] = sum(deleted.values())
            log = pd.DataFrame({column: [value] for column, value in row.items()})
            _add_missing_columns(connection, runs_table, log)
            log.to_sql(runs_table, connection, if_exists="append", index=False)
    finally:
        engine.dispose()
    logger.info(
        "wrote %d result tables run_id=%s deleted_rows=%d",
        len(prepared),
        run_id,
        sum(deleted.values()),
    )
    return deleted


# --- internals -------------------------------------------------------------------------------


def _delete_expired(
    connection: Connection,
    table_name: str,
    runs_table: str,
    time_column: str,
    expire_before: str | None,
) -> int:
    """Delete ``table_name``'s rows of runs logged at or before ``expire_before``; count them."""
    if expire_before is None:
        return 0
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    if not (inspector.has_table(table_name) and inspector.has_table(runs_table)):
        return 0
    # Column names only: reflecting whole tables would also parse constraints and indexes.
    table_columns = {str(c["name"]) for c in inspector.get_columns(table_name)}
    runs_columns = {str(c["name"]) for c in inspector.get_columns(runs_table)}
    if RUN_ID_COLUMN not in table_columns or not {RUN_ID_COLUMN, time_column} <= runs_columns:
        logger.warning(
            "retention skipped for table=%s: no %s column here or no %s in %s",
            table_name,
            RUN_ID_COLUMN,
            time_column,
            runs_table,
        )
        return 0
    table = sa.table(table_name, sa.column(RUN_ID_COLUMN))
    runs = sa.table(runs_table, sa.column(RUN_ID_COLUMN), sa.column(time_column))
    # At or before: times have second resolution, and every logged run started before this one,
    # so a run in the cutoff's own second is older (a 0-day retention keeps only this run).
    expired = sa.select(runs.c[RUN_ID_COLUMN]).where(runs.c[time_column] <= expire_before)
    result = connection.execute(sa.delete(table).where(table.c[RUN_ID_COLUMN].in_(expired)))
    return int(result.rowcount or 0)


def _add_missing_columns(connection: Connection, table_name: str, frame: pd.DataFrame) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for columns of ``frame`` an existing table lacks."""
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    if not inspector.has_table(table_name):
        return
    present = {str(column["name"]) for column in inspector.get_columns(table_name)}
    quote = connection.dialect.identifier_preparer.quote
    for column in frame.columns:
        if str(column) in present:
            continue
        sql_type = _sql_type(frame[column]).compile(dialect=connection.dialect)
        connection.exec_driver_sql(
            f"ALTER TABLE {quote(table_name)} ADD COLUMN {quote(str(column))} {sql_type}"
        )


def _sql_type(series: pd.Series) -> sa.types.TypeEngine[Any]:
    import sqlalchemy as sa

    if pd.api.types.is_bool_dtype(series.dtype):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(series.dtype):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(series.dtype):
        return sa.Float()
    return sa.Text()


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
    import sqlalchemy as sa

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
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _explicit_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine
