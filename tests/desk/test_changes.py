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

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from tests.checker import check_proposals
from tests.desk_changes import CHANGES, Tables, pairs, state, who
from tests.desk_reference import objective_of
from tests.strategies import AS_OF, caseloads_with_history

CONFIG = lm.MatchConfig(as_of=AS_OF)
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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
