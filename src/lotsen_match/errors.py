"""One exception hierarchy, carrying data a caller can show (not only a string)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "ConfigError",
    "DeskError",
    "InputFileNotFoundError",
    "InputFormatError",
    "InputLimitError",
    "InputValidationError",
    "JobInputError",
    "LotsenMatchError",
    "MissingTableError",
    "PseudonymisationError",
    "SolverError",
    "UnknownIdError",
]


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


class InputFormatError(LotsenMatchError, ValueError):
    """An input file cannot be read as a table (unknown extension, undecodable, malformed).

    ``path`` names the offending file so callers can report it without parsing the message.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class InputLimitError(InputFormatError):
    """An input file exceeds a limit that keeps reading it bounded in time and memory.

    Raised before the expensive work: file size, unpacked size, columns, cell length, the used
    range of a sheet. The message names the file, what was found and what is accepted.
    """


class MissingTableError(LotsenMatchError, ValueError):
    """The requested table does not exist; ``available`` lists the tables that do."""

    def __init__(self, table_name: str, available: list[str]) -> None:
        super().__init__(
            f"no table {table_name!r} in the database; available tables: {available or 'none'}"
        )
        self.table_name = table_name
        self.available = available


class JobInputError(LotsenMatchError, ValueError):
    """An input or the output directory cannot be used (unreadable file, missing table, ...)."""


class PseudonymisationError(JobInputError):
    """A pseudonymised export cannot be made: the key is missing or too short, or ids collide.

    A ``JobInputError``: the key is an input of the export, and the command exits with 2.
    """


class ArgumentError(LotsenMatchError, ValueError):
    """A function argument is of the wrong kind or out of range; the message says what is valid.

    It subclasses ``ValueError`` (as scikit-learn's parameter errors do), so callers that catch
    ``ValueError`` keep working.
    """


class SolverError(LotsenMatchError, RuntimeError):
    """The optimisation backend failed or returned no usable solution."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of a public entry point has a type or shape the library cannot use.

    ``argument`` names it, ``expected`` says what would be valid. Also a ``TypeError``, so code
    that caught the TypeError Python raised before (MultiIndex columns, say) keeps working.
    """

    def __init__(self, argument: str, expected: str, got: str) -> None:
        self.argument = argument
        self.expected = expected
        super().__init__(f"{argument}: expected {expected}; got {got}")


class InputFileNotFoundError(LotsenMatchError, FileNotFoundError):
    """An input file named by a path does not exist (``filename`` holds the path)."""


class UnknownIdError(LotsenMatchError, KeyError):
    """An id names no volunteer or request the caller's Matcher holds.

    ``id`` is the id as given, ``field`` the argument or column it came in (``request_id``,
    ``volunteer_id``), so a form can show the message next to the right input.
    """

    def __init__(self, id: str, *, field: str, hint: str = "") -> None:
        self.id = id
        self.field = field
        noun = "volunteer" if field.startswith("volunteer") else "request"
        message = f"{field}: {noun} {id!r} is unknown (ids are case-sensitive)"
        super().__init__(message + (f"; {hint}" if hint else ""))

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DeskError(LotsenMatchError, ValueError):
    """A desk call that cannot be carried out as asked (``field`` names the argument at fault).

    Examples: confirming a pair that breaks a hard constraint, declining an active pair,
    adding a request whose id exists already.
    """

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
