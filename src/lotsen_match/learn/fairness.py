"""Is the learned probability equally right for every group? Predicted vs observed success.

The model never sees first language, need type as a group label for people, or gender as
features of people (gender is not a feature at all); this check looks at them from outside. Per
group it compares the mean out-of-fold prediction with the observed completion rate; a large
gap means the model systematically over- or under-rates pairings of that group, which would
shift proposals towards or away from it. The largest gaps are flagged for the model card.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["FAIRNESS_COLUMNS", "GAP_FLAG", "MIN_GROUP_ROWS", "fairness_table"]

#: Columns of :func:`fairness_table`.
FAIRNESS_COLUMNS: Final[tuple[str, ...]] = (
    "dimension",
    "group",
    "rows",
    "observed",
    "predicted",
    "gap",
    "flagged",
)
#: A group's |predicted - observed| above this is flagged (if the group is large enough).
GAP_FLAG: Final[float] = 0.05
#: Groups smaller than this are shown but never flagged (their rate is too noisy).
MIN_GROUP_ROWS: Final[int] = 30


def fairness_table(audit: pd.DataFrame, y: npt.ArrayLike, predicted: npt.ArrayLike) -> pd.DataFrame:
    """One row per (dimension, group): rows, observed and predicted success, gap, flag.

    ``audit`` holds one column per dimension (e.g. first_language, need_type,
    volunteer_gender), aligned with ``y`` and ``predicted``. Sorted by dimension, then by
    the absolute gap, largest first.
    """
    frame = audit.copy()
    frame["_y"] = np.asarray(y, dtype=np.float64)
    frame["_p"] = np.asarray(predicted, dtype=np.float64)
    parts = []
    for dim in audit.columns:
        g = frame.groupby(dim, sort=True, observed=True).agg(
            rows=("_y", "size"), observed=("_y", "mean"), predicted=("_p", "mean")
        )
        g = g.reset_index().rename(columns={dim: "group"})
        g.insert(0, "dimension", dim)
        parts.append(g)
    table = pd.concat(parts, ignore_index=True)
    table["gap"] = table["predicted"] - table["observed"]
    table["flagged"] = (table["gap"].abs() > GAP_FLAG) & (table["rows"] >= MIN_GROUP_ROWS)
    table["_abs"] = table["gap"].abs()
    table = table.sort_values(["dimension", "_abs", "group"], ascending=[True, False, True])
    for column in ("observed", "predicted", "gap"):
        table[column] = table[column].round(4)
    return table.drop(columns="_abs").reset_index(drop=True)[list(FAIRNESS_COLUMNS)]
