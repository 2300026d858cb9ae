"""Vectorised validation of the input tables (docs/contract.md) into the clean frames.

Each table is checked column by column; every failed rule becomes one problem record naming the
source, the row as the user sees it, the user's own column header, the value and what would be
valid. :func:`validate_caseload` adds the cross-table rules and applies strict or lenient mode.
"""

from __future__ import annotations

from ..contract import CLEAN_DTYPES
from .caseload import ValidatedCaseload, validate_caseload
from .problems import PROBLEM_COLUMNS, REJECTED_COLUMNS
from .tables import (
    REQUIRED_COLUMNS,
    ValidatedTable,
    validate_assignments,
    validate_requests,
    validate_volunteers,
)

__all__ = [
    "CLEAN_DTYPES",
    "PROBLEM_COLUMNS",
    "REJECTED_COLUMNS",
    "REQUIRED_COLUMNS",
    "ValidatedCaseload",
    "ValidatedTable",
    "validate_assignments",
    "validate_caseload",
    "validate_requests",
    "validate_volunteers",
]
