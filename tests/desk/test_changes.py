"""Every desk change leaves the exact optimum of the changed caseload (hypothesis).

A random sequence of decisions, replacements, additions, updates and removals runs on a
Matcher; after each step the same change is applied to plain tables on the test side, and
``lm.match`` on those tables (nothing of the desk's machinery) must reach the Matcher's
objective, on the very same state. The plan obeys every hard constraint (independent
checker), a declined pair never comes back, other active pairs stay, the changes table names
exactly the requests whose volunteer changed, and the next nightly run on
``m.assignments()`` finds nothing better than the plan. Caseloads may carry history
(``ended`` rows: contacts and continuity), and the tables on the test side keep it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from tests.checker import check_proposals
from tests.desk_reference import objective_of, row_dict
from tests.strategies import AS_OF, caseloads_with_history

CONFIG = lm.MatchConfig(as_of=AS_OF)
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@SETTINGS
@given(
    caseloads_with_history(),
    st.lists(
        st.tuples(st.sampled_from(sorted(CHANGES)), st.integers(0, 2**31)), min_size=1, max_size=4
    ),
)
def test_every_change_keeps_the_plan_exact(case: Tables, steps: list[tuple[str, int]]) -> None:
    m = lm.Matcher(*case, CONFIG)
    declined: set[tuple[str, str]] = set()
    for name, seed in steps:
        tables = (m.volunteers(), m.requests(), m.assignments())
        others_active = state(tables[2][tables[2]["status"] == "active"])
        expected = CHANGES[name](m, tables, random.Random(seed))
        if expected is None:
            continue
        v, r, a = expected
        plan = m.plan
        assert state(plan.assignments) == state(a), name  # the Matcher holds the same state
        reference = lm.match(v, r, a, CONFIG)
        assert plan.optimal
        assert plan.summary["solver"]["objective"] == reference.summary["solver"]["objective"], name
        assert check_proposals(v, r, a, plan.proposals, as_of=AS_OF) == []
        if name.startswith("decline"):
            declined |= pairs(a[a["status"] == "declined"])
        assert not declined & pairs(plan.proposals)
        if name == "replace":  # every other active pair stays
            kept = {x for x in others_active if (x[0], x[1], "active") in state(a)}
            assert kept <= state(m.assignments(history=False))
        # The next nightly run, fed the Matcher's assignments, finds nothing better than the
        # plan (it may only pick another plan of exactly the same value).
        state_next = (m.volunteers(), m.requests(), m.assignments())
        nxt = lm.match(*state_next, CONFIG)
        held_value = objective_of(*state_next, plan.proposals, CONFIG)
        assert held_value == nxt.summary["solver"]["objective"], name
        assert m.repairs == 0
    _check_changes_table(m)


def _check_changes_table(m: lm.Matcher) -> None:
    """The changes of a call name exactly the requests whose volunteer changed."""
    before = who(m)
    props = m.plan.proposals
    if props.empty:
        return
    vid = str(props["volunteer_id"].iloc[0])
    replan = m.replace(vid)
    after = who(m)
    moved = {rid for rid in set(before) | set(after) if before.get(rid) != after.get(rid)}
    assert set(replan.changes["request_id"]) == moved
    for row in replan.changes.to_dict("records"):
        assert row["volunteer_before"] == before.get(row["request_id"], "")
        assert row["volunteer_after"] == after.get(row["request_id"], "")
        if row["volunteer_before"] == vid:
            assert row["reason"] == "volunteer_unavailable"
    assert replan.plan is m.plan
