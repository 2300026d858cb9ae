"""Hypothesis strategies that build small, dense random caseloads in SPEC.md form.

Small area, few languages and slots, so that admissible pairs, scarce capacity, households and
every hard constraint occur often in a few hundred examples.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import strategies as st

AS_OF = dt.date(2026, 11, 2)
LANGS = ["ar", "uk", "ti", "de", "fa"]
LEVELS = ["A2", "B1", "B2", "C1", "native"]
NEEDS = ["school", "authority", "health", "work"]
SLOTS = ["mon-am", "tue-eve", "thu-eve", "sat-pm"]


def _lang_list(draw: st.DrawFn, max_n: int) -> str:
    codes = draw(st.lists(st.sampled_from(LANGS), min_size=1, max_size=max_n, unique=True))
    return ";".join(f"{c}:{draw(st.sampled_from(LEVELS))}" for c in codes)


def _date(draw: st.DrawFn, lo: int, hi: int) -> dt.date | None:
    off = draw(st.one_of(st.none(), st.integers(lo, hi)))
    return None if off is None else AS_OF + dt.timedelta(days=off)


@st.composite
def caseloads(
    draw: st.DrawFn, max_volunteers: int = 7, max_requests: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(volunteers, requests, assignments) frames, typed as a user would pass them."""
    n_v = draw(st.integers(1, max_volunteers))
    n_r = draw(st.integers(1, max_requests))
    vols = []
    for i in range(n_v):
        vols.append(
            {
                "volunteer_id": f"V{i:02d}",
                "languages": _lang_list(draw, 3),
                "lat": 52.15 + draw(st.floats(-0.06, 0.06)),
                "lon": 9.95 + draw(st.floats(-0.09, 0.09)),
                "max_distance_km": draw(st.sampled_from([None, 3.0, 6.0, 12.0])),
                "need_types": ";".join(
                    draw(st.lists(st.sampled_from(NEEDS), min_size=1, max_size=3, unique=True))
                ),
                "availability": ";".join(
                    draw(st.lists(st.sampled_from(SLOTS), min_size=0, max_size=3, unique=True))
                ),
                "capacity": draw(st.integers(0, 3)),
                "gender": draw(st.sampled_from([None, "f", "m", "d"])),
                "certified_on": draw(
                    st.sampled_from([AS_OF - dt.timedelta(days=300), None, AS_OF])
                ),
                "modules": draw(st.sampled_from(["", "law", "intercultural;media", "law;media"])),
                "police_check_until": _date(draw, -30, 60),
                "available_from": draw(st.sampled_from([None, None, AS_OF + dt.timedelta(3)])),
                "available_until": None,
                "status": draw(st.sampled_from([None, None, "active", "inactive", "paused"])),
            }
        )
    reqs = []
    n_households = draw(st.integers(1, n_r))
    for j in range(n_r):
        hh = draw(st.integers(0, n_households - 1))
        reqs.append(
            {
                "request_id": f"R{j:03d}",
                "household_id": draw(st.sampled_from([None, f"H{hh}"])),
                "languages": _lang_list(draw, 2),
                "lat": 52.15 + draw(st.floats(-0.06, 0.06)),
                "lon": 9.95 + draw(st.floats(-0.09, 0.09)),
                "need_type": draw(st.sampled_from(NEEDS)),
                "availability": ";".join(
                    draw(st.lists(st.sampled_from(SLOTS), min_size=0, max_size=2, unique=True))
                ),
                "created_on": AS_OF - dt.timedelta(days=draw(st.integers(0, 200))),
                "due_on": _date(draw, 0, 40),
                "involves_minors": draw(st.booleans()),
                "preferred_gender": draw(st.sampled_from([None, None, None, "f", "m"])),
                "excluded_volunteers": draw(
                    st.sampled_from(["", "", f"V{draw(st.integers(0, n_v - 1)):02d}"])
                ),
                "previous_volunteer_id": draw(
                    st.sampled_from(["", "", f"V{draw(st.integers(0, n_v - 1)):02d}"])
                ),
            }
        )
    requests = pd.DataFrame(reqs)
    # Households share location and language so that units are plausible.
    for col in ("lat", "lon", "languages"):
        first = requests.groupby(requests["household_id"].fillna(requests["request_id"]))[
            col
        ].transform("first")
        requests[col] = first
    rows = []
    used_pairs: set[tuple[str, str]] = set()
    active_households: dict[str, str] = {}
    active_requests: set[str] = set()
    for _ in range(draw(st.integers(0, 4))):
        r = draw(st.sampled_from(reqs))["request_id"]
        v = f"V{draw(st.integers(0, n_v - 1)):02d}"
        status = draw(st.sampled_from(["active", "proposed", "declined"]))
        if (r, v) in used_pairs:
            continue
        hh_raw = requests.loc[requests["request_id"] == r, "household_id"].iloc[0]
        hh = r if pd.isna(hh_raw) else str(hh_raw)
        if status == "active":
            if r in active_requests or active_households.get(hh, v) != v:
                continue
            active_households[hh] = v
            active_requests.add(r)
        used_pairs.add((r, v))
        rows.append({"request_id": r, "volunteer_id": v, "status": status})
    assignments = pd.DataFrame(rows, columns=["request_id", "volunteer_id", "status"])
    volunteers = pd.DataFrame(vols)
    for c in ("certified_on", "police_check_until", "available_from", "available_until"):
        volunteers[c] = pd.to_datetime(volunteers[c])
    for c in ("created_on", "due_on"):
        requests[c] = pd.to_datetime(requests[c])
    return volunteers, requests, assignments


@st.composite
def dense_caseloads(
    draw: st.DrawFn, max_volunteers: int = 6, max_requests: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Caseloads where most pairs are admissible and places are scarce: every request has
    several candidates and proposals compete, so re-plans move households along chains."""
    n_v = draw(st.integers(2, max_volunteers))
    n_r = draw(st.integers(2, max_requests))
    vols = [
        {
            "volunteer_id": f"V{i:02d}",
            "languages": draw(st.sampled_from(["de:native", "de:native;ar:C1", "ar:native"])),
            "lat": 52.15 + draw(st.floats(-0.02, 0.02)),
            "lon": 9.95 + draw(st.floats(-0.03, 0.03)),
            "max_distance_km": 12.0,
            "need_types": draw(st.sampled_from(["school;authority;health", "school;health"])),
            "availability": draw(st.sampled_from(["", "", "mon-am;tue-eve"])),
            "capacity": draw(st.integers(0, 2)),
            "gender": draw(st.sampled_from(["f", "m"])),
            "certified_on": AS_OF - dt.timedelta(days=100),
            "modules": draw(st.sampled_from(["", "law", "intercultural;integration"])),
            "police_check_until": AS_OF + dt.timedelta(days=draw(st.sampled_from([-5, 90]))),
        }
        for i in range(n_v)
    ]
    n_households = draw(st.integers(1, n_r))
    reqs = []
    for j in range(n_r):
        hh = draw(st.integers(0, n_households - 1))
        reqs.append(
            {
                "request_id": f"R{j:03d}",
                "household_id": draw(st.sampled_from([None, None, f"H{hh}"])),
                "languages": draw(st.sampled_from(["de:B1", "ar:native", "ar:native;de:A2"])),
                "lat": 52.15 + draw(st.floats(-0.02, 0.02)),
                "lon": 9.95 + draw(st.floats(-0.03, 0.03)),
                "need_type": draw(st.sampled_from(["school", "authority", "health"])),
                "availability": draw(st.sampled_from(["", "", "mon-am"])),
                "created_on": AS_OF - dt.timedelta(days=draw(st.integers(0, 120))),
                "involves_minors": draw(st.sampled_from([False, False, True])),
                "preferred_gender": draw(st.sampled_from([None, None, None, "f"])),
                "excluded_volunteers": draw(
                    st.sampled_from(["", "", "", f"V{draw(st.integers(0, n_v - 1)):02d}"])
                ),
                "previous_volunteer_id": draw(
                    st.sampled_from(["", "", f"V{draw(st.integers(0, n_v - 1)):02d}"])
                ),
            }
        )
    requests = pd.DataFrame(reqs)
    rows = []
    used: set[str] = set()
    active_households: dict[str, str] = {}
    for _ in range(draw(st.integers(0, 5))):
        r = draw(st.sampled_from(reqs))
        v = f"V{draw(st.integers(0, n_v - 1)):02d}"
        status = draw(st.sampled_from(["active", "proposed", "declined"]))
        hh = r["household_id"] or r["request_id"]
        if r["request_id"] in used or (status == "active" and active_households.get(hh, v) != v):
            continue
        if status == "active":
            active_households[hh] = v
        used.add(r["request_id"])
        rows.append({"request_id": r["request_id"], "volunteer_id": v, "status": status})
    assignments = pd.DataFrame(rows, columns=["request_id", "volunteer_id", "status"])
    volunteers = pd.DataFrame(vols)
    for c in ("certified_on", "police_check_until"):
        volunteers[c] = pd.to_datetime(volunteers[c])
    requests["created_on"] = pd.to_datetime(requests["created_on"])
    return volunteers, requests, assignments


@st.composite
def caseloads_with_history(
    draw: st.DrawFn,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A caseload whose assignments may carry history: ``ended`` rows (with their own
    volunteers or one who has left) dated up to 200 days back, so contacts decide which
    requests are stale and former volunteers give continuity."""
    v, r, a = draw(st.one_of(dense_caseloads(), caseloads()))
    rows = []
    for _ in range(draw(st.integers(0, 3))):
        rid = draw(st.sampled_from(sorted(r["request_id"])))
        vid = draw(st.sampled_from([*sorted(v["volunteer_id"]), "VX"]))
        start = AS_OF - dt.timedelta(days=draw(st.integers(1, 200)))
        end = start + dt.timedelta(days=draw(st.integers(0, (AS_OF - start).days)))
        rows.append((rid, vid, "ended", pd.Timestamp(start), pd.Timestamp(end), "other"))
    if not rows:
        return v, r, a
    columns = ["request_id", "volunteer_id", "status", "started_on", "ended_on", "end_reason"]
    ended = pd.DataFrame(rows, columns=columns).drop_duplicates(["request_id", "volunteer_id"])
    return v, r, pd.concat([a, ended], ignore_index=True)
