"""An independent re-check of proposals against SPEC.md's hard constraints.

Written from SPEC.md directly, in plain Python over the raw SPEC-form input rows, sharing no code
with the pipeline (no vocab module, no numpy geometry), so a bug in the pipeline cannot hide here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import pandas as pd

_LEVEL_ORDER = ["A1", "A2", "B1", "B2", "C1", "C2", "native"]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and value.strip() == ""


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value).strip()


def _date(value: Any) -> dt.date | None:
    if _missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _langs(value: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in _text(value).split(";"):
        if not entry.strip():
            continue
        code, level = entry.strip().split(":")
        lv = level.strip()
        rank = _LEVEL_ORDER.index("native" if lv.lower() == "native" else lv.upper())
        out[code.strip().lower()] = max(out.get(code.strip().lower(), -1), rank)
    return out


def _set(value: Any) -> set[str]:
    return {s.strip() for s in _text(value).split(";") if s.strip()}


def _ids(value: Any) -> set[str]:
    """Ids of an id list, compared exactly: ids hold no ';' or ',', so both separate them."""
    return {s.strip() for s in _text(value).replace(",", ";").split(";") if s.strip()}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def pair_violations(
    v: dict[str, Any],
    r: dict[str, Any],
    *,
    as_of: dt.date,
    min_level: str = "B1",
    default_km: float = 10.0,
    require_certification: bool = True,
    declined: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Names of the pairwise hard constraints (1-8) that pair (v, r) violates."""
    bad: list[str] = []
    m = _LEVEL_ORDER.index(min_level)
    vl, rl = _langs(v["languages"]), _langs(r["languages"])
    if not any(c in vl and vl[c] >= m and lv >= m for c, lv in rl.items()):
        bad.append("language")
    radius = default_km if _missing(v.get("max_distance_km")) else float(v["max_distance_km"])
    d = haversine_km(float(r["lat"]), float(r["lon"]), float(v["lat"]), float(v["lon"]))
    if d > radius + 1e-9:
        bad.append("distance")
    if _text(r["need_type"]) not in _set(v["need_types"]):
        bad.append("need")
    va, ra = _set(v.get("availability")), _set(r.get("availability"))
    if va and ra and not (va & ra):
        bad.append("time")
    minors = r.get("involves_minors")
    if not _missing(minors) and bool(minors):
        until = _date(v.get("police_check_until"))
        due = _date(r.get("due_on"))
        need = max(as_of, due) if due else as_of
        if until is None or until < need:
            bad.append("minors")
    pref = _text(r.get("preferred_gender"))
    if pref and _text(v.get("gender")) != pref:
        bad.append("gender")
    vid, rid = _text(v["volunteer_id"]), _text(r["request_id"])
    if vid in _ids(r.get("excluded_volunteers")) or (rid, vid) in declined:
        bad.append("exclusions")
    start, end = _date(v.get("available_from")), _date(v.get("available_until"))
    cert = _date(v.get("certified_on"))
    if (
        (start and as_of < start)
        or (end and as_of > end)
        or (require_certification and (cert is None or cert > as_of))
        or _text(v.get("status")) not in ("", "active")  # inactive and paused: never proposed
    ):
        bad.append("active")
    return bad


def check_proposals(
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None,
    proposals: pd.DataFrame,
    *,
    as_of: dt.date,
    min_level: str = "B1",
    default_km: float = 10.0,
    require_certification: bool = True,
) -> list[str]:
    """Every violated rule of SPEC.md's constraints 1-10 by the proposals, as readable strings."""
    vols = {_text(row["volunteer_id"]): row for row in volunteers.to_dict("records")}
    reqs = {_text(row["request_id"]): row for row in requests.to_dict("records")}
    assigned = assignments.to_dict("records") if assignments is not None else []
    declined = {
        (_text(a["request_id"]), _text(a["volunteer_id"]))
        for a in assigned
        if _text(a["status"]) == "declined"
    }
    active = [a for a in assigned if _text(a["status"]) == "active"]
    active_req = {_text(a["request_id"]) for a in active}

    def household(rid: str) -> str:
        h = _text(reqs[rid].get("household_id"))
        return h if h else f"__own__{rid}"

    errors: list[str] = []
    seen_requests: set[str] = set()
    households_of: dict[str, set[str]] = defaultdict(set)
    volunteer_of_household: dict[str, set[str]] = defaultdict(set)
    for a in active:
        rid, vid = _text(a["request_id"]), _text(a["volunteer_id"])
        households_of[vid].add(household(rid))
        volunteer_of_household[household(rid)].add(vid)
    active_households = {vid: set(h) for vid, h in households_of.items()}
    for p in proposals.to_dict("records"):
        rid, vid = str(p["request_id"]), str(p["volunteer_id"])
        if rid in seen_requests:
            errors.append(f"{rid}: proposed twice")
        seen_requests.add(rid)
        if rid in active_req:
            errors.append(f"{rid}: already active but proposed again")
        bad = pair_violations(
            vols[vid],
            reqs[rid],
            as_of=as_of,
            min_level=min_level,
            default_km=default_km,
            require_certification=require_certification,
            declined=declined,
        )
        errors.extend(f"{rid}->{vid}: {b}" for b in bad)
        households_of[vid].add(household(rid))
        volunteer_of_household[household(rid)].add(vid)
    for vid, hhs in households_of.items():
        new = hhs - active_households.get(vid, set())
        cap = int(float(vols[vid]["capacity"]))
        if len(active_households.get(vid, set())) + len(new) > max(
            cap, len(active_households.get(vid, set()))
        ):
            errors.append(f"{vid}: capacity {cap} exceeded by {len(hhs)} households")
    for hh, vset in volunteer_of_household.items():
        if len(vset) > 1:
            errors.append(f"household {hh}: several volunteers {sorted(vset)}")
    return errors
