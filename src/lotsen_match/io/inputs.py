"""The one input loader: the three tables from files, DataFrames or a database.

``match()``, the nightly job and the import profiles all read their inputs here, so a new kind
of source (records from case software, say) is added once.
"""

from __future__ import annotations

import logging

import pandas as pd

from .._types import TableName
from ..arguments import TableSource  # a DataFrame, a path or a list of dicts
from ..config import MatchConfig
from ..errors import MissingTableError
from .limits import limits_for
from .readers import read_table
from .sql import read_sql_table

__all__ = ["INPUT_TABLES", "TableSource", "read_database_inputs", "read_inputs"]

logger = logging.getLogger(__name__)

#: The input tables in reading order; ``assignments`` is optional.
INPUT_TABLES: tuple[TableName, ...] = ("volunteers", "requests", "assignments")


def read_inputs(
    volunteers: TableSource,
    requests: TableSource,
    assignments: TableSource | None,
    config: MatchConfig,
) -> dict[str, pd.DataFrame]:
    """Read each input (a DataFrame or a file path) and apply the config's column mapping.

    Parameters
    ----------
    volunteers, requests, assignments
        DataFrames, file paths (CSV, Parquet, Excel by extension) or lists of dicts;
        ``assignments`` may be None.
    config
        Its ``ingest.columns`` rename an export's headers to the contract's; its
        ``ingest.max_input_mb`` bounds each file (see :mod:`lotsen_match.io.limits`).

    Returns
    -------
    dict
        Table name -> raw frame (with ``_row`` and provenance in ``attrs``).

    Raises
    ------
    InputFormatError
        A file cannot be read as a table (InputLimitError: it exceeds a limit).
    """
    given: dict[TableName, TableSource | None] = {
        "volunteers": volunteers,
        "requests": requests,
        "assignments": assignments,
    }
    raw: dict[str, pd.DataFrame] = {}
    for table in INPUT_TABLES:
        source = given[table]
        if source is None:
            continue
        raw[table] = read_table(
            source,
            table=table,
            column_mapping=config.ingest.columns.get(table),
            limits=limits_for(config.ingest.max_input_mb),
        )
    return raw


def read_database_inputs(url: str, config: MatchConfig) -> dict[str, pd.DataFrame]:
    """The tables ``volunteers``, ``requests`` and (if present) ``assignments`` of a database.

    Parameters
    ----------
    url
        SQLAlchemy URL.
    config
        Its ``ingest.columns`` rename the tables' columns to the contract's.

    Returns
    -------
    dict
        Table name -> raw frame; a database without ``assignments`` has no earlier state.

    Raises
    ------
    MissingTableError
        ``volunteers`` or ``requests`` is missing.
    """
    frames: dict[str, pd.DataFrame] = {}
    for table in INPUT_TABLES:
        try:
            frames[table] = read_sql_table(
                url, table, column_mapping=config.ingest.columns.get(table)
            )
        except MissingTableError:
            if table != "assignments":
                raise
            logger.info("no assignments table; running without earlier state")
    return frames
