"""The data contract's tables as the library holds them after validation: columns and dtypes.

One definition for every layer that needs to know the contract's columns (validation, import
profiles, records, documentation) so that none of them depends on another for it.
"""

from __future__ import annotations

from typing import Final

__all__ = ["CLEAN_DTYPES"]

_DATE = "datetime64[ns]"
#: Contract columns of the clean frames and their dtypes, in output order.
CLEAN_DTYPES: Final[dict[str, dict[str, str]]] = {
    "volunteers": {
        "volunteer_id": "object",
        "languages": "object",
        "lat": "float64",
        "lon": "float64",
        "max_distance_km": "float64",
        "need_types": "object",
        "need_mask": "int32",
        "availability": "object",
        "slot_mask": "int32",
        "capacity": "int32",
        "gender": "object",
        "certified_on": _DATE,
        "police_check_until": _DATE,
        "available_from": _DATE,
        "available_until": _DATE,
        "modules": "object",
        "module_mask": "int32",
    },
    "requests": {
        "request_id": "object",
        "household_id": "object",
        "languages": "object",
        "lat": "float64",
        "lon": "float64",
        "need_type": "object",
        "need_code": "int8",
        "availability": "object",
        "slot_mask": "int32",
        "created_on": _DATE,
        "due_on": _DATE,
        "involves_minors": "bool",
        "preferred_gender": "object",
        "excluded_volunteers": "object",
        "previous_volunteer_id": "object",
    },
    "assignments": {
        "request_id": "object",
        "volunteer_id": "object",
        "status": "object",
        "started_on": _DATE,
        "ended_on": _DATE,
        "end_reason": "object",
        "decided_by": "object",
    },
}
