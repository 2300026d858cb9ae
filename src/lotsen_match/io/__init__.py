"""Input and output: faithful readers with provenance, atomic and injection-safe writers."""

from lotsen_match.io.atomic import atomic_directory, atomic_file, cleanup_stale_temp
from lotsen_match.io.readers import (
    ROW_COLUMN,
    SUPPORTED_EXTENSIONS,
    InputFormatError,
    apply_column_mapping,
    read_table,
)
from lotsen_match.io.sql import (
    MissingTableError,
    read_sql_table,
    write_sql_input_tables,
    write_sql_run,
    write_sql_tables,
)
from lotsen_match.io.writers import neutralize_formulas, write_table

__all__ = [
    "ROW_COLUMN",
    "SUPPORTED_EXTENSIONS",
    "InputFormatError",
    "MissingTableError",
    "apply_column_mapping",
    "atomic_directory",
    "atomic_file",
    "cleanup_stale_temp",
    "neutralize_formulas",
    "read_sql_table",
    "read_table",
    "write_sql_input_tables",
    "write_sql_run",
    "write_sql_tables",
    "write_table",
]
