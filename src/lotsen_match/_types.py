"""Small shared type vocabularies, importable without pandas (the CLI's --help stays fast).

One definition each: the command line, the config and the writers all take their choices from
here, so a new output format or backend is added in one place.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "OUTPUT_FORMATS",
    "SOLVER_NAMES",
    "LevelName",
    "OutputFormat",
    "SolverName",
    "TableName",
]

#: Language levels of the contract, lowest first.
LevelName = Literal["A1", "A2", "B1", "B2", "C1", "C2", "native"]
#: The input tables.
TableName = Literal["volunteers", "requests", "assignments"]
#: Backends a run can use (``solve.get_solver`` knows further ones for cross-checks).
SolverName = Literal["flow", "cpsat", "greedy"]
#: The formats result tables are written in.
OutputFormat = Literal["csv", "parquet", "xlsx"]

SOLVER_NAMES: Final[tuple[str, ...]] = get_args(SolverName)
OUTPUT_FORMATS: Final[tuple[str, ...]] = get_args(OutputFormat)
