"""Notices: facts about valid input a coordinator should know, that stop nothing.

Today one kind: a reference (an excluded volunteer, a previous volunteer, an assignment's
request or volunteer) naming an id that no row has, e.g. a Lotse who has left the pool. The row
stays valid, the reference has no effect, and the run says so in ``summary["notices"]`` and in
the report instead of ignoring it silently (SPEC.md, "Ids and references").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = ["MAX_SUMMARY_IDS", "NOTICE_COLUMNS", "empty_notices", "summarise_notices"]

#: Columns of every notices frame: one row per (input row, reference).
NOTICE_COLUMNS: Final[tuple[str, ...]] = (
    "table",
    "source",
    "row",
    "column",
    "id",
    "target",
    "rule",
    "message",
)
#: Ids listed per column in the summary (the notices frame holds all of them).
MAX_SUMMARY_IDS: Final[int] = 1000


def empty_notices() -> pd.DataFrame:
    """A notices frame without rows but with the right columns."""
    return _empty().copy()


@lru_cache(maxsize=1)
def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(np.zeros(0, dtype=np.int64 if c == "row" else object))
            for c in NOTICE_COLUMNS
        }
    )


def summarise_notices(notices: pd.DataFrame) -> dict[str, Any]:
    """``summary["notices"]``: the count, and per referencing column its rows and the ids.

    Each entry of ``unknown_references``: table, column, target (the table the ids are missing
    from), rows (input rows concerned), references (row/id pairs) and ids (sorted, at most
    :data:`MAX_SUMMARY_IDS`; ``distinct_ids`` gives the full count when the list is cut).
    Pseudonymous ids only, no other cell values.
    """
    entries: list[dict[str, Any]] = []
    unknown = notices[notices["rule"] == "unknown_reference"] if len(notices) else notices
    for (table, column, target), part in unknown.groupby(["table", "column", "target"], sort=False):
        ids = sorted({str(i) for i in part["id"]})
        entry: dict[str, Any] = {
            "table": str(table),
            "column": str(column),
            "target": str(target),
            "rows": int(part[["source", "row"]].drop_duplicates().shape[0]),
            "references": len(part),
            "ids": ids[:MAX_SUMMARY_IDS],
        }
        if len(ids) > MAX_SUMMARY_IDS:
            entry["distinct_ids"] = len(ids)
        entries.append(entry)
    return {"count": len(notices), "unknown_references": entries}
