"""Build clean (validated-format) frames by hand for matching-core tests.

Rows are dicts of the contract columns; omitted columns get harmless defaults (German native,
Hannover, every need, any time, certified). Derived columns (masks, codes) are computed here the
way validation does, so tests state only what matters to them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lotsen_match.core import vocab

HANNOVER = (52.3759, 9.7320)

VOLUNTEER_DEFAULTS: dict[str, Any] = {
    "languages": "de:native",
    "lat": HANNOVER[0],
    "lon": HANNOVER[1],
    "max_distance_km": 10.0,
    "need_types": ";".join(vocab.NEED_TYPES),
    "availability": "",
    "capacity": 1,
    "gender": "",
    "certified_on": "2024-01-01",
    "police_check_until": None,
    "available_from": None,
    "available_until": None,
    "modules": "",
}

REQUEST_DEFAULTS: dict[str, Any] = {
    "household_id": "",
    "languages": "de:native",
    "lat": HANNOVER[0],
    "lon": HANNOVER[1],
    "need_type": "everyday",
    "availability": "",
    "created_on": "2025-01-01",
    "due_on": None,
    "involves_minors": False,
    "preferred_gender": "",
    "excluded_volunteers": "",
    "previous_volunteer_id": "",
}

_VOL_DATES = ("certified_on", "police_check_until", "available_from", "available_until")
_REQ_DATES = ("created_on", "due_on")


def canonical_languages(text: str) -> str:
    """Sort ``code:level`` entries by level descending, then code (the validated order)."""
    if not text:
        return ""
    entries = [e.split(":") for e in text.split(";")]
    entries.sort(key=lambda e: (-vocab.LEVEL_CODE[e[1]], e[0]))
    return ";".join(f"{c}:{lv}" for c, lv in entries)


def _mask(text: str, bits: dict[str, int]) -> int:
    mask = 0
    for item in filter(None, text.split(";")):
        mask |= bits[item]
    return mask


def _dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for c in columns:
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")


def volunteers(*rows: dict[str, Any]) -> pd.DataFrame:
    """Clean volunteers frame; each row needs at least ``volunteer_id``."""
    records = [{**VOLUNTEER_DEFAULTS, **row} for row in rows]
    frame = pd.DataFrame(records, columns=["volunteer_id", *VOLUNTEER_DEFAULTS])
    frame = frame.astype({"volunteer_id": object, "languages": object, "gender": object})
    frame["languages"] = [canonical_languages(s) for s in frame["languages"]]
    need_bits = {n: 1 << i for i, n in enumerate(vocab.NEED_TYPES)}
    frame["need_mask"] = [_mask(s, need_bits) for s in frame["need_types"]]
    frame["slot_mask"] = [vocab.slot_mask(s) for s in frame["availability"]]
    frame["module_mask"] = [_mask(s, vocab.MODULE_BIT) for s in frame["modules"]]
    frame = frame.astype(
        {
            "need_mask": "int32",
            "slot_mask": "int32",
            "module_mask": "int32",
            "capacity": "int32",
            "lat": "float64",
            "lon": "float64",
            "max_distance_km": "float64",
        }
    )
    _dates(frame, _VOL_DATES)
    return frame


def requests(*rows: dict[str, Any]) -> pd.DataFrame:
    """Clean requests frame; each row needs at least ``request_id``."""
    records = [{**REQUEST_DEFAULTS, **row} for row in rows]
    frame = pd.DataFrame(records, columns=["request_id", *REQUEST_DEFAULTS])
    frame["languages"] = [canonical_languages(s) for s in frame["languages"]]
    frame["need_code"] = [vocab.NEED_CODE[s] for s in frame["need_type"]]
    frame["slot_mask"] = [vocab.slot_mask(s) for s in frame["availability"]]
    frame = frame.astype(
        {
            "need_code": "int8",
            "slot_mask": "int32",
            "lat": "float64",
            "lon": "float64",
            "involves_minors": "bool",
        }
    )
    _dates(frame, _REQ_DATES)
    return frame


def assignments(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Clean assignments frame from ``(request_id, volunteer_id, status)`` tuples."""
    return pd.DataFrame(list(rows), columns=["request_id", "volunteer_id", "status"], dtype=object)
