"""Problem records: every failed check becomes one row a coordinator can read and act on.

Checks run column-wise over whole tables, so problems arrive in vectorised chunks (positions of the
failing rows plus one message per row or one for all). The collector keeps those chunks and only
builds the final frames once, which keeps the cost proportional to the number of problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ArgumentError

__all__ = [
    "HEADER_ROW",
    "MAX_VALUE_CHARS",
    "PROBLEM_COLUMNS",
    "REJECTED_COLUMNS",
    "IntpArray",
    "ObjArray",
    "ProblemCollector",
    "as_positions",
    "empty_problems",
    "empty_rejected",
    "label_order",
    "row_labels",
    "truncate",
]


#: Columns of every problems frame (also what ``InputValidationError.problems`` carries).
PROBLEM_COLUMNS: Final[tuple[str, ...]] = (
    "table",
    "source",
    "row",
    "column",
    "value",
    "rule",
    "message",
)
#: Columns of every rejected frame: one row per rejected input row.
REJECTED_COLUMNS: Final[tuple[str, ...]] = (
    "table",
    "source",
    "row",
    "id",
    "columns",
    "values",
    "messages",
)
#: Longest value text kept in a problem record (cells may hold whole paragraphs).
MAX_VALUE_CHARS: Final[int] = 80
#: Row number used for problems of the table as a whole (its header line).
HEADER_ROW: Final[int] = 1

ObjArray = npt.NDArray[np.object_]
IntpArray = npt.NDArray[np.intp]


def as_positions(rows: npt.ArrayLike) -> IntpArray:
    """Row positions from either positions or a boolean mask over all rows."""
    arr = np.asarray(rows)
    if arr.dtype == np.bool_:
        return np.flatnonzero(arr)
    return arr.astype(np.intp, copy=False)


def truncate(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Shorten ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_labels(raw: pd.DataFrame) -> npt.NDArray[Any]:
    """Row numbers as the user sees them: the ``_row`` column if present, else the index labels.

    Integral labels become int64 so problem tables sort and compare numerically.
    """
    labels = raw["_row"] if "_row" in raw.columns else raw.index.to_series()
    numeric = pd.to_numeric(labels, errors="coerce")
    as_float = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    if len(as_float) and np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float)):
        return as_float.astype(np.int64)
    if not len(as_float):
        return np.zeros(0, dtype=np.int64)
    return labels.to_numpy(dtype=object)


def label_order(label: Any) -> tuple[int, Any]:
    """Sort key for row labels: numerically when they are numbers, else as text."""
    return (0, label) if isinstance(label, int | np.integer) else (1, str(label))


def empty_problems() -> pd.DataFrame:
    """A problems frame without rows but with the right columns."""
    return _empty(PROBLEM_COLUMNS)


def empty_rejected() -> pd.DataFrame:
    """A rejected frame without rows but with the right columns."""
    return _empty(REJECTED_COLUMNS)


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return _empty_template(columns).copy()


@lru_cache(maxsize=4)
def _empty_template(columns: tuple[str, ...]) -> pd.DataFrame:
    return _frame({c: np.zeros(0, dtype=np.int64 if c == "row" else object) for c in columns})


@dataclass(frozen=True)
class _Chunk:
    positions: IntpArray
    column: str
    rule: ObjArray
    value: ObjArray
    message: ObjArray
    seq: int


class ProblemCollector:
    """Accumulates the problems of one table, addressed by row position (0..n-1) in the raw table.

    ``original_columns`` maps contract column names to the user's own headers, so records show the
    header the user can find in their file.
    """

    def __init__(
        self,
        table: str,
        source: str,
        labels: npt.NDArray[Any],
        original_columns: Mapping[str, str] | None = None,
    ) -> None:
        self.table = table
        self.source = source
        self.labels = labels
        self.original_columns: dict[str, str] = dict(original_columns or {})
        self._chunks: list[_Chunk] = []
        self._bad = np.zeros(len(labels), dtype=np.bool_)

    @property
    def n_rows(self) -> int:
        """Number of input rows of the table."""
        return len(self.labels)

    @property
    def bad(self) -> npt.NDArray[np.bool_]:
        """Boolean mask of rows with at least one problem so far (a copy)."""
        return self._bad.copy()

    def header(self, column: str) -> str:
        """The header the user wrote for contract column ``column``."""
        return self.original_columns.get(column, column)

    def add(
        self,
        positions: IntpArray | npt.NDArray[np.bool_],
        column: str,
        rule: str | ObjArray,
        message: str | ObjArray,
        value: str | ObjArray = "",
    ) -> None:
        """Record one problem per selected row; ``rule``/``message``/``value`` scalar or per row."""
        pos = as_positions(positions)
        if not len(pos):
            return
        self._chunks.append(
            _Chunk(
                positions=pos,
                column=column,
                rule=_broadcast(rule, len(pos)),
                value=_broadcast(value, len(pos)),
                message=_broadcast(message, len(pos)),
                seq=len(self._chunks),
            )
        )
        self._bad[pos] = True

    def _sorted(self) -> tuple[IntpArray, dict[str, ObjArray]]:
        """Positions and text columns of all problems, by input row, then check order."""
        positions = np.concatenate([c.positions for c in self._chunks])
        seq = np.concatenate([np.full(len(c.positions), c.seq) for c in self._chunks])
        order = np.lexsort((seq, positions))
        columns = [_const(self.header(c.column), len(c.positions)) for c in self._chunks]
        texts = {
            "column": np.concatenate(columns)[order],
            "value": _truncate_all(np.concatenate([c.value for c in self._chunks])[order]),
            "rule": np.concatenate([c.rule for c in self._chunks])[order],
            "message": np.concatenate([c.message for c in self._chunks])[order],
        }
        return positions[order], texts

    def frame(self) -> pd.DataFrame:
        """All problems (columns :data:`PROBLEM_COLUMNS`), by input row, then check order."""
        if not self._chunks:
            return empty_problems()
        positions, texts = self._sorted()
        n = len(positions)
        return _frame(
            {
                "table": _const(self.table, n),
                "source": _const(self.source, n),
                "row": self.labels[positions],
                **texts,
            }
        )

    def rejected(self, ids: ObjArray) -> pd.DataFrame:
        """One row per rejected input row, joining that row's problems with `` | ``.

        ``ids`` holds the display id of every input row. The joins loop over rejected rows only.
        """
        if not self._chunks:
            return empty_rejected()
        positions, texts = self._sorted()
        rows, starts = np.unique(positions, return_index=True)
        bounds = [*starts[1:].tolist(), len(positions)]
        spans = list(zip(starts.tolist(), bounds, strict=True))
        column, value, message = texts["column"], texts["value"], texts["message"]
        n = len(rows)
        return _frame(
            {
                "table": _const(self.table, n),
                "source": _const(self.source, n),
                "row": self.labels[rows],
                "id": ids[rows],
                "columns": _objects(" | ".join(dict.fromkeys(column[a:b])) for a, b in spans),
                "values": _objects(" | ".join(value[a:b]) for a, b in spans),
                "messages": _objects(" | ".join(message[a:b]) for a, b in spans),
            }
        )


def _frame(columns: dict[str, npt.NDArray[Any]]) -> pd.DataFrame:
    """A frame keeping object columns as python ``str`` (pandas 3 would infer ``str``)."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object if values.dtype == object else values.dtype)
            for name, values in columns.items()
        }
    )


def _objects(items: Iterable[str]) -> ObjArray:
    return np.array(list(items), dtype=object)


def _const(value: str, n: int) -> ObjArray:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def _broadcast(value: str | ObjArray, n: int) -> ObjArray:
    if isinstance(value, str):
        return _const(value, n)
    arr = np.asarray(value, dtype=object)
    if arr.shape != (n,):
        raise ArgumentError(f"expected {n} per-row values, got shape {arr.shape}")
    return arr


def _truncate_all(values: ObjArray) -> ObjArray:
    lengths = np.fromiter((len(v) for v in values), dtype=np.intp, count=len(values))
    long = np.flatnonzero(lengths > MAX_VALUE_CHARS)
    if len(long):
        values = values.copy()
        for i in long:
            values[i] = truncate(str(values[i]))
    return values
