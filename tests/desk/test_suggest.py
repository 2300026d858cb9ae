"""``Matcher.suggest`` against references built from scratch, on random small caseloads.

For a request drawn out of a random caseload: every suggestion is admissible and every
admissible volunteer is suggested; each row's value is the exact optimum of the plan with that
pair forced (solved from scratch by the flow solver, nothing of the desk's machinery); and the
first row is what ``lm.match`` with the request added chooses.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from lotsen_match.core.assignment import SCALE
from tests.desk_reference import admissible_volunteers, lex_optimum, row_dict
from tests.strategies import AS_OF, caseloads_with_history

CONFIG = lm.MatchConfig(as_of=AS_OF)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CASES = caseloads_with_history()


def _without(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], rid: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    v, r, a = case
    return v, r[r["request_id"] != rid], a[a["request_id"] != rid]


def _check_rows(
    s: lm.Suggestions,
    v: pd.DataFrame,
    r_full: pd.DataFrame,
    a: pd.DataFrame,
    request: dict[str, object],
    base: tuple[int, int],
) -> None:
    """Every row admissible, every admissible volunteer listed, each valued exactly."""
    assert set(s.frame["volunteer_id"]) == admissible_volunteers(v, r_full, a, request, CONFIG)
    for row in s.frame.to_dict("records"):
        forced = lex_optimum(
            v, r_full, a, CONFIG, forced=(str(request["request_id"]), row["volunteer_id"])
        )
        if forced is None:  # only the household's own active volunteer takes it (direct)
            continue
        assert row["served_change"] == forced[0] - base[0], row
        assert row["quality_change"] == pytest.approx(round((forced[1] - base[1]) / SCALE, 4))
    ranks = s.frame["rank"].tolist()
    assert ranks == list(range(1, len(ranks) + 1))
    keys = list(zip(-s.frame["served_change"], -s.frame["quality_change"], strict=True))
    assert keys == sorted(keys)


@SETTINGS
@given(CASES, st.data())
def test_new_request_suggestions_are_exact(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], data: st.DataObject
) -> None:
    v, r, _ = case
    rid = data.draw(st.sampled_from(sorted(r["request_id"])))
    request = row_dict(r, "request_id", rid)
    v, r_rest, a_rest = _without(case, rid)
    m = lm.Matcher(v, r_rest, a_rest, CONFIG)
    s = m.suggest(request, k=50)
    held = m.assignments()
    base = lex_optimum(v, r_rest, held, CONFIG)
    assert base is not None
    _check_rows(s, v, r, held, request, base)
    # The exact re-solve with the request added: same optimum as the best option.
    full = lex_optimum(v, r, held, CONFIG)
    resolved = lm.match(v, r, held, CONFIG).proposals
    chosen = resolved.loc[resolved["request_id"] == rid, "volunteer_id"].tolist()
    if s.frame.empty:
        assert chosen == [] and full == base
        assert s.reason and s.explain()
        return
    top = s.frame.iloc[0]
    if lex_optimum(v, r, held, CONFIG, forced=(rid, top["volunteer_id"])) is None:
        # The household is accompanied already: the request goes to its volunteer, outside
        # the flow (a direct proposal), whenever that volunteer may take it.
        assert s.frame["volunteer_id"].tolist() == chosen == [top["volunteer_id"]]
        assert full == base and int(top["served_change"]) == 1
        return
    best = (base[0] + int(top["served_change"]), base[1] + round(top["quality_change"] * SCALE))
    assert full == max(best, base)
    assert s.left_unmatched == (best < base)
    if s.left_unmatched:
        assert chosen == []
    if chosen:
        row = s.frame.set_index("volunteer_id").loc[chosen[0]]
        assert (row["served_change"], row["quality_change"]) == (
            top["served_change"],
            top["quality_change"],
        )
    assert m.repairs == 0


@SETTINGS
@given(CASES, st.data())
def test_open_request_suggestions_value_every_alternative(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], data: st.DataObject
) -> None:
    v, r, a = case
    m = lm.Matcher(v, r, a, CONFIG)
    open_ids = sorted(set(r["request_id"]) - set(a.loc[a["status"] == "active", "request_id"]))
    rid = data.draw(st.sampled_from(open_ids)) if open_ids else None
    if rid is None:
        return
    s = m.suggest(rid, k=50)
    held = m.assignments()
    base = lex_optimum(v, r, held, CONFIG)
    assert base is not None
    _check_rows(s, v, r, held, row_dict(r, "request_id", rid), base)
    proposed = m.plan.proposals.set_index("request_id")["volunteer_id"]
    if rid in proposed.index and not s.frame.empty:
        # The current proposal costs nothing, and nothing is better than the plan.
        top = s.frame.iloc[0]
        assert (top["served_change"], top["quality_change"]) == (0, 0.0)
        assert proposed[rid] in set(s.frame.loc[s.frame["quality_change"] == 0, "volunteer_id"])
    assert (s.frame["served_change"] <= 0).all()


def test_suggest_on_a_generated_city_matches_resolves() -> None:
    """Bigger structures (longer displacement chains): a few new requests on 150 x 900."""
    caseload = lm.generate_caseload(150, 900, seed=11)
    config = lm.MatchConfig(as_of=dt.date(2026, 11, 2))
    v, r, a = caseload.volunteers, caseload.requests, caseload.assignments
    m = lm.Matcher(v, r, a, config)
    held = m.assignments()
    base = lex_optimum(v, r, held, config)
    assert base is not None
    tried = 0
    for i in range(0, 900, 13):
        request = row_dict(r, "request_id", r["request_id"].iloc[i])
        request["request_id"] = f"NEW{i}"
        request["household_id"] = None
        s = m.suggest(request, k=3)
        if s.frame.empty:
            continue
        tried += 1
        grown = pd.concat([r, pd.DataFrame([request])], ignore_index=True)
        for row in s.frame.to_dict("records"):
            forced = lex_optimum(v, grown, held, config, forced=(f"NEW{i}", row["volunteer_id"]))
            assert forced is not None
            assert row["served_change"] == forced[0] - base[0]
            assert row["quality_change"] == pytest.approx(round((forced[1] - base[1]) / SCALE, 4))
        top = s.frame.iloc[0]
        best = (base[0] + int(top["served_change"]), base[1] + round(top["quality_change"] * SCALE))
        assert lex_optimum(v, grown, held, config) == max(best, base)
    assert tried >= 5
    assert m.repairs == 0
