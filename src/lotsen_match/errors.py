"""One exception hierarchy, carrying data a caller can show (not only a string)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class LotsenMatchError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(LotsenMatchError, ValueError):
    """A configuration value or file is invalid; ``problems`` lists ``(setting, message)``."""

    def __init__(self, problems: list[tuple[str, str]], source: str = "config") -> None:
        self.problems = problems
        self.source = source
        lines = [f"{source}: {field}: {msg}" for field, msg in problems]
        super().__init__("\n".join(lines) if lines else f"{source}: invalid configuration")


class InputValidationError(LotsenMatchError, ValueError):
    """Strict mode found invalid input rows; ``problems`` is the full table of them.

    Columns of ``problems``: table, source, row, column, value, rule, message.
    """

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems
        n = len(problems)
        head = [
            f"{p.source}, row {p.row}, column {p.column}: {p.message}"
            for p in problems.head(20).itertuples()
        ]
        more = [f"... and {n - 20} more problems"] if n > 20 else []
        super().__init__(f"{n} invalid input value(s):\n" + "\n".join(head + more))


class SolverError(LotsenMatchError, RuntimeError):
    """The optimisation backend failed or returned no usable solution."""
