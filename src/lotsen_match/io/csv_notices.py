"""Notices about CSV files that parse but were probably not meant that way.

A quote character that is opened and closed several lines later makes every line in between
part of one cell: four volunteers vanish into somebody's note and the run still succeeds. Line
breaks inside cells are legal, so this is a warning, not an error: it is raised when some rows
hold a cell spanning lines while most rows do not. The warning names file, rows and columns,
never the cells' text (it goes to the log).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import is_object_dtype, is_string_dtype

from lotsen_match.printable import excerpt

__all__ = ["MAX_ROWS_KEPT", "report_multiline_cells"]

logger = logging.getLogger(__name__)

#: Rows listed in ``attrs["multiline_rows"]`` (the first ones; the log names five).
MAX_ROWS_KEPT: Final = 100
_NAMED_IN_LOG: Final = 5
_LINE_BREAK: Final = r"\r\n|\r|\n"


def report_multiline_cells(
    frame: pd.DataFrame, rows: npt.NDArray[np.int64], path: Path
) -> list[int]:
    """Warn about rows whose cells span lines when most rows' cells do not; return those rows.

    ``rows`` holds the row number of every frame row as the user sees it. Returns the first
    :data:`MAX_ROWS_KEPT` suspicious row numbers (empty when nothing is suspicious).
    """
    if not len(frame):
        return []
    breaks = np.zeros(len(frame), dtype=np.int64)
    widest = np.zeros(len(frame), dtype=np.intp)
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not (is_object_dtype(column.dtype) or is_string_dtype(column.dtype)):
            continue
        counts = column.str.count(_LINE_BREAK).to_numpy(dtype=np.float64, na_value=0.0)
        longer = counts > breaks
        breaks[longer] = counts[longer].astype(np.int64)
        widest[longer] = position
    spanning = np.flatnonzero(breaks > 0)
    if not len(spanning) or 2 * len(spanning) > len(frame):
        return []  # no cell spans lines, or most rows do: line breaks are meant
    names = [str(c) for c in frame.columns]
    shown = ", ".join(
        f"row {rows[i]} (column {excerpt(names[widest[i]], 40)}, {breaks[i] + 1} lines)"
        for i in spanning[:_NAMED_IN_LOG]
    )
    more = f" and {len(spanning) - _NAMED_IN_LOG} more" if len(spanning) > _NAMED_IN_LOG else ""
    logger.warning(
        "%s: %d of %d rows hold a cell that spans several lines while the other rows do not: "
        "%s%s. A quote character that is not closed on its line makes the following lines "
        "part of one cell, so rows may be missing; check the quotes in these rows (if the line "
        "breaks are meant, ignore this)",
        path,
        len(spanning),
        len(frame),
        shown,
        more,
    )
    return [int(rows[i]) for i in spanning[:MAX_ROWS_KEPT]]
