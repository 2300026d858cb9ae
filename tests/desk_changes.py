"""Desk changes for the property tests: each carried out on a Matcher, and the tables it
should give computed on the test side (plain frames, nothing of the desk's machinery)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pandas as pd

import lotsen_match as lm
from tests.desk_reference import row_dict
from tests.strategies import AS_OF

__all__ = ["CHANGES", "Tables", "pairs", "state", "who", "with_history"]

Tables = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


def with_history(assignments: pd.DataFrame, rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Assignments after decisions: a history row replaces its pair's live row (an ``ended``
    one, dated today, joins the pair's earlier ended rows); proposals of a decided pair, or of
    a request that became active, go."""
    a = assignments[["request_id", "volunteer_id", "status", "started_on", "ended_on"]]
    hist = a[a["status"] != "proposed"]
    new = pd.DataFrame(rows, columns=["request_id", "volunteer_id", "status"])
    new["ended_on"] = pd.Series(
        [pd.Timestamp(AS_OF) if s == "ended" else pd.NaT for s in new["status"]],
        dtype="datetime64[ns]",
    )
    keys = set(zip(new["request_id"], new["volunteer_id"], strict=True))
    pair = list(zip(hist["request_id"], hist["volunteer_id"], strict=True))
    kept = [p not in keys or s == "ended" for p, s in zip(pair, hist["status"], strict=True)]
    hist = pd.concat([hist[kept], new], ignore_index=True)
    live = hist[hist["status"] != "ended"]  # an ended pair may be proposed again
    decided = set(zip(live["request_id"], live["volunteer_id"], strict=True))
    active = set(hist.loc[hist["status"] == "active", "request_id"])
    prop = a[a["status"] == "proposed"]
    keep = [
        (r, v) not in decided and r not in active
        for r, v in zip(prop["request_id"], prop["volunteer_id"], strict=True)
    ]
    return pd.concat([hist, prop[keep]], ignore_index=True)


def pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["request_id"], frame["volunteer_id"], strict=True))


def state(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(frame["request_id"], frame["volunteer_id"], frame["status"], strict=True))


def who(m: lm.Matcher) -> dict[str, str]:
    """Request -> its volunteer (active or proposed) in the Matcher's plan."""
    out = dict(zip(m.plan.proposals["request_id"], m.plan.proposals["volunteer_id"], strict=True))
    a = m.assignments(history=False)
    active = a[a["status"] == "active"]
    out.update(zip(active["request_id"], active["volunteer_id"], strict=True))
    return out


def _open_requests(a: pd.DataFrame, r: pd.DataFrame) -> list[str]:
    return sorted(set(r["request_id"]) - set(a.loc[a["status"] == "active", "request_id"]))


# -- one function per change: carry it out on the Matcher, return the tables it should give ----


def confirm_proposal(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    props = m.plan.proposals
    if props.empty:
        return None
    row = props.iloc[rnd.randrange(len(props))]
    m.decide(row["request_id"], row["volunteer_id"], "confirmed")
    return v, r, with_history(a, [(row["request_id"], row["volunteer_id"], "active")])


def confirm_suggestion(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    open_ids = _open_requests(a, r)
    if not open_ids:
        return None
    rid = rnd.choice(open_ids)
    s = m.suggest(rid, k=10)
    if s.frame.empty:
        return None
    vid = str(s.frame["volunteer_id"].iloc[rnd.randrange(len(s.frame))])
    m.decide(rid, vid, "confirmed", decided_by="coordinator")
    return v, r, with_history(a, [(rid, vid, "active")])


def decline(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    open_ids = _open_requests(a, r)
    if not open_ids:
        return None
    rid = rnd.choice(open_ids)
    vid = str(v["volunteer_id"].iloc[rnd.randrange(len(v))])
    if (rid, vid, "active") in state(a):
        return None
    m.decide(rid, vid, "declined", reason="declined_by_newcomer")
    return v, r, with_history(a, [(rid, vid, "declined")])


def replace(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    vid = str(v["volunteer_id"].iloc[rnd.randrange(len(v))])
    m.replace(vid)
    until = pd.Timestamp(AS_OF - dt.timedelta(days=1))
    v = v.copy()
    at = v["volunteer_id"] == vid
    old = v.loc[at, "available_until"].iloc[0]
    if pd.isna(old) or pd.Timestamp(old) > until:
        v.loc[at, "available_until"] = until
    begin = v.loc[at, "available_from"].iloc[0]
    if not pd.isna(begin) and pd.Timestamp(begin) > until:
        v.loc[at, "available_from"] = until
    ended = [
        (x, vid, "ended")
        for x in a.loc[(a["volunteer_id"] == vid) & (a["status"] == "active"), "request_id"]
    ]
    return v, r, with_history(a, ended)


def add_request(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    if r.empty:
        return None
    template = row_dict(r, "request_id", str(r["request_id"].iloc[rnd.randrange(len(r))]))
    record = {k: template.get(k) for k in lm.HelpRequest.model_fields}
    record["request_id"] = f"N{rnd.randrange(10**6):06d}"
    if record["request_id"] in set(r["request_id"]):
        return None
    households = [h for h in r["household_id"].dropna().unique().tolist() if h]
    record["household_id"] = rnd.choice([None, *households[:2]])
    record["lat"] = float(record["lat"]) + rnd.uniform(-0.01, 0.01)
    m.add(lm.HelpRequest(**record))
    return v, pd.concat([r, pd.DataFrame([record])], ignore_index=True), a


def remove_request(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    if r.empty:
        return None
    rid = str(r["request_id"].iloc[rnd.randrange(len(r))])
    m.remove(rid, kind="request")
    ended = [
        (rid, x, "ended")
        for x in a.loc[(a["request_id"] == rid) & (a["status"] == "active"), "volunteer_id"]
    ]
    a = with_history(a, ended)
    a = a[(a["request_id"] != rid) | (a["status"] == "ended")]  # its history stays
    return v, r[r["request_id"] != rid], a


def update_request(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    open_ids = _open_requests(a, r)
    if not open_ids:
        return None
    rid = rnd.choice(open_ids)
    record = {k: row_dict(r, "request_id", rid).get(k) for k in lm.HelpRequest.model_fields}
    record["need_type"] = rnd.choice(["school", "authority", "health"])
    record["lat"] = float(record["lat"]) + rnd.uniform(-0.02, 0.02)
    m.update(record)
    r = r.copy()
    at = r.index[r["request_id"] == rid][0]
    r.loc[at, "need_type"] = record["need_type"]
    r.loc[at, "lat"] = record["lat"]
    return v, r, a


def add_volunteer(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    template = row_dict(v, "volunteer_id", str(v["volunteer_id"].iloc[rnd.randrange(len(v))]))
    record = {k: template.get(k) for k in lm.Volunteer.model_fields if k in template}
    record["volunteer_id"] = f"W{rnd.randrange(10**6):06d}"
    if record["volunteer_id"] in set(v["volunteer_id"]):
        return None
    record["capacity"] = rnd.randint(1, 2)
    m.add(lm.Volunteer(**record))
    return pd.concat([v, pd.DataFrame([record])], ignore_index=True), r, a


def remove_volunteer(m: lm.Matcher, t: Tables, rnd: random.Random) -> Tables | None:
    v, r, a = t
    if len(v) < 2:
        return None
    vid = str(v["volunteer_id"].iloc[rnd.randrange(len(v))])
    m.remove(vid, kind="volunteer")
    ended = [
        (x, vid, "ended")
        for x in a.loc[(a["volunteer_id"] == vid) & (a["status"] == "active"), "request_id"]
    ]
    a = with_history(a, ended)
    a = a[(a["volunteer_id"] != vid) | (a["status"] == "ended")]  # her history stays
    return v[v["volunteer_id"] != vid], r, a


CHANGES: dict[str, Callable[[lm.Matcher, Tables, random.Random], Tables | None]] = {
    "confirm_proposal": confirm_proposal,
    "confirm_suggestion": confirm_suggestion,
    "decline": decline,
    "replace": replace,
    "add_request": add_request,
    "remove_request": remove_request,
    "update_request": update_request,
    "add_volunteer": add_volunteer,
    "remove_volunteer": remove_volunteer,
}
