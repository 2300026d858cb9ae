"""Small volunteers/requests/assignments frames as the readers give them (tests of ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["REQUEST", "VOLUNTEER", "assignments", "frame", "requests", "volunteers"]

VOLUNTEER = {
    "languages": "de:native",
    "lat": "52,15",
    "lon": "9,95",
    "need_types": "school",
    "capacity": "2",
    "certified_on": "2020-01-01",
}
REQUEST = {
    "household_id": "",
    "languages": "de:native",
    "lat": "52,15",
    "lon": "9,95",
    "need_type": "school",
    "created_on": "01.10.2026",
    "excluded_volunteers": "",
    "previous_volunteer_id": "",
}


def frame(records: list[dict[str, str]], source: str) -> pd.DataFrame:
    out = pd.DataFrame(records, dtype="str")
    out["_row"] = np.arange(2, len(out) + 2)
    out.attrs["source"] = source
    return out


def volunteers(*ids: str) -> pd.DataFrame:
    return frame([{"volunteer_id": v, **VOLUNTEER} for v in ids], "lotsen.csv")


def requests(*rows: dict[str, str]) -> pd.DataFrame:
    return frame(
        [{"request_id": f"R{i + 1}", **REQUEST, **row} for i, row in enumerate(rows)],
        "anfragen.csv",
    )


def assignments(*pairs: tuple[str, str, str]) -> pd.DataFrame:
    rows = [{"request_id": r, "volunteer_id": v, "status": s} for r, v, s in pairs]
    return frame(rows, "zuordnungen.csv")
