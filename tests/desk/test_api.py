"""The desk API's records, errors and words: what case software sees at its boundary."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from tests.cli_support import run_cli
from tests.desk_reference import row_dict
from tests.strategies import AS_OF, caseloads, dense_caseloads

CONFIG = lm.MatchConfig(as_of=AS_OF)
FEWER = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _records(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    return [row_dict(frame, key, str(x)) for x in frame[key]]


@pytest.fixture(scope="module")
def city() -> tuple[lm.Caseload, lm.MatchConfig]:
    return lm.generate_caseload(120, 600, seed=5), lm.MatchConfig(as_of=dt.date(2026, 11, 2))


# -- records and tables -------------------------------------------------------------------------


@FEWER
@given(st.one_of(dense_caseloads(), caseloads()))
def test_records_dicts_and_frames_give_identical_plans(
    case: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    v, r, a = case
    frames = lm.match(v, r, a, CONFIG)
    dicts = lm.match(
        _records(v, "volunteer_id"), _records(r, "request_id"), a.to_dict("records"), CONFIG
    )
    models = lm.match(
        [lm.Volunteer(**x) for x in _records(v, "volunteer_id")],
        [lm.HelpRequest(**x) for x in _records(r, "request_id")],
        [lm.Assignment(**x) for x in a.to_dict("records")],
        CONFIG,
    )
    for other in (dicts, models):
        pd.testing.assert_frame_equal(frames.proposals, other.proposals)
        pd.testing.assert_frame_equal(frames.unmatched, other.unmatched)
    # The Matcher from records holds exactly match()'s plan.
    m = lm.Matcher(
        [lm.Volunteer(**x) for x in _records(v, "volunteer_id")],
        _records(r, "request_id"),
        a,
        CONFIG,
    )
    pd.testing.assert_frame_equal(m.plan.proposals, frames.proposals)
    pd.testing.assert_frame_equal(m.plan.unmatched, frames.unmatched)
    pd.testing.assert_frame_equal(m.plan.alternatives, frames.alternatives)


def test_record_errors_name_field_and_value_never_pydantic() -> None:
    with pytest.raises(lm.InputValidationError) as err:
        lm.HelpRequest(
            request_id="R1", languages="ar:B1", lat="north", lon=9.9, need_type="school",
            created_on="2026-01-01", langauges="x",
        )  # fmt: skip
    problems = err.value.problems
    assert set(problems["column"]) == {"lat", "langauges"}
    assert "north" in set(problems["value"])
    assert "did you mean 'languages'" in str(err.value)
    with pytest.raises(lm.InputValidationError, match="created_on is required"):
        lm.HelpRequest.model_validate({"request_id": "R1", "languages": "ar:B1"})
    with pytest.raises(lm.InputValidationError, match="request_id"):
        lm.HelpRequest.model_validate_json('{"request_id": 5}')
    with pytest.raises(lm.InputValidationError, match="request_id"):
        lm.match(
            [{"volunteer_id": "V1"}],
            [lm.Volunteer(volunteer_id="V1", languages="de:native", lat=1, lon=1,
                          need_types="school", capacity=1)],
        )  # fmt: skip
    with pytest.raises(lm.ConfigError, match="min_language_level"):
        lm.MatchConfig(min_language_level="X")  # type: ignore[arg-type]
    with pytest.raises(lm.ConfigError, match="unknown setting"):
        lm.Matcher([], [], config={"min_langauge_level": "B1"})


def test_lists_become_contract_cells_and_schema_is_printed() -> None:
    v = lm.Volunteer(
        volunteer_id="V1",
        languages=["ar:native", "de:B2"],
        lat=52.1,
        lon=9.9,
        need_types=["school", "health"],
        capacity=2,
    )
    assert v.languages == "ar:native;de:B2" and v.need_types == "school;health"
    done = run_cli("schema")
    assert done.returncode == 0, done.stderr
    schemas = json.loads(done.stdout)
    assert set(schemas) == {"Volunteer", "HelpRequest", "Assignment"}
    # lat/lon or a place (postal code) locate a request, so neither is required by the schema;
    # the table validation asks for one of them, as for file rows.
    assert set(schemas["HelpRequest"]["required"]) == {
        "request_id", "languages", "need_type", "created_on",
    }  # fmt: skip
    assert "place" in schemas["HelpRequest"]["properties"]["lat"]["description"]
    assert "status" in schemas["Volunteer"]["properties"]
    assert {"started_on", "ended_on", "end_reason", "decided_by"} <= set(
        schemas["Assignment"]["properties"]
    )


def test_german_words_in_records_under_the_german_vocabulary(
    city: tuple[lm.Caseload, lm.MatchConfig],
) -> None:
    caseload, config = city
    german = config.replace(vocabulary="de")
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, german)
    spec = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    base = row_dict(caseload.requests, "request_id", "R0000007")
    base.update(request_id="NEW", household_id=None, languages="ar:native", need_type="authority")
    words = {**base, "languages": "Arabisch (Muttersprache)", "need_type": "Behördengang"}
    pd.testing.assert_frame_equal(m.suggest(words).frame, spec.suggest(base).frame)
    with pytest.raises(lm.InputValidationError) as err:
        m.suggest({**base, "languages": "Arabish"})
    assert set(err.value.problems["column"]) == {"languages"}
    assert "meinten Sie 'Arabisch'" in " ".join(err.value.problems["message"])


# -- errors of the desk calls -------------------------------------------------------------------


def test_desk_errors_carry_the_id_and_the_field(city: tuple[lm.Caseload, lm.MatchConfig]) -> None:
    caseload, config = city
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    with pytest.raises(lm.UnknownIdError) as unknown:
        m.suggest("R9999999")
    assert unknown.value.id == "R9999999" and unknown.value.field == "request_id"
    assert isinstance(unknown.value, KeyError) and "R9999999" in str(unknown.value)
    with pytest.raises(lm.UnknownIdError) as unknown:
        m.replace("V-nobody")
    assert unknown.value.field == "volunteer_id"
    proposal = m.plan.proposals.iloc[0]
    with pytest.raises(lm.DeskError) as bad:
        m.decide(proposal["request_id"], proposal["volunteer_id"], "maybe")  # type: ignore[arg-type]
    assert bad.value.field == "decision"
    with pytest.raises(lm.DeskError, match="end_reason"):
        m.decide(proposal["request_id"], proposal["volunteer_id"], "declined", reason="bored")
    with pytest.raises(lm.DeskError) as bad:
        m.suggest(proposal["request_id"], k=0)
    assert bad.value.field == "k"
    with pytest.raises(lm.DeskError) as bad:
        m.replace(proposal["volunteer_id"], unavailable_from=config.as_of + dt.timedelta(days=3))
    assert bad.value.field == "unavailable_from"
    existing = row_dict(caseload.requests, "request_id", proposal["request_id"])
    with pytest.raises(lm.DeskError, match="exists already"):
        m.add(
            lm.HelpRequest(
                **{k: v for k, v in existing.items() if k in lm.HelpRequest.model_fields}
            )
        )
    far = m.plan.unmatched.loc[m.plan.unmatched["reason"] == "distance", "request_id"]
    if len(far):
        with pytest.raises(lm.DeskError, match="distance"):
            m.decide(far.iloc[0], proposal["volunteer_id"], "confirmed")
    assert m.repairs == 0


# -- words ---------------------------------------------------------------------------------------


def test_nobody_admissible_says_the_funnel_reason_as_for_unmatched(
    city: tuple[lm.Caseload, lm.MatchConfig],
) -> None:
    caseload, config = city
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    unmatched = m.plan.unmatched
    funnel_reasons = unmatched[~unmatched["reason"].isin(["capacity", "household", "quality"])]
    assert len(funnel_reasons) >= 3
    for row in funnel_reasons.head(10).to_dict("records"):
        s = m.suggest(str(row["request_id"]))
        assert s.frame.empty and s.reason == row["reason"]
        assert s.funnel == {step: row[f"after_{step}"] for step in lm.FUNNEL_STEPS}
        assert row["detail"] in s.explain("de")
        assert s.explain("en").startswith(f"Request {row['request_id']}: nobody qualifies.")


def test_explanations_in_german_and_english(city: tuple[lm.Caseload, lm.MatchConfig]) -> None:
    caseload, config = city
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    rid = str(m.plan.proposals["request_id"].iloc[0])
    s = m.suggest(rid, k=3)
    de, en = s.explain(), s.explain(language="en")
    assert de.startswith(f"Anfrage {rid}:") and "beste zuerst" in de
    assert en.startswith(f"Request {rid}:") and "best first" in en
    assert s.frame["volunteer_id"].iloc[0] in de
    assert "niemand verliert seinen Vorschlag" in de  # the current proposal moves nobody
    active = caseload.assignments.loc[caseload.assignments["status"] == "active", "request_id"]
    s = m.suggest(str(active.iloc[0]))
    assert s.status == "active" and "begleitet" in s.explain()


def test_decisions_reach_the_assignments_table(city: tuple[lm.Caseload, lm.MatchConfig]) -> None:
    caseload, config = city
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    first, second = m.plan.proposals.iloc[0], m.plan.proposals.iloc[1]
    done = m.decide(first["request_id"], first["volunteer_id"], "confirmed")
    assert done.changes.loc[0, "reason"] == "confirmed"
    assert "bestätigt" in done.explain()
    m.decide(second["request_id"], second["volunteer_id"], "declined", decided_by="coordinator")
    table = m.assignments().set_index(["request_id", "volunteer_id"])
    row = table.loc[(first["request_id"], first["volunteer_id"])]
    assert row["status"] == "active" and row["started_on"] == pd.Timestamp(config.as_of)
    assert row["decided_by"] == "coordinator"
    row = table.loc[(second["request_id"], second["volunteer_id"])]
    assert row["status"] == "declined" and row["end_reason"] == "declined_by_coordinator"
    proposed = table[table["status"] == "proposed"]
    assert set(proposed.index) == set(
        zip(m.plan.proposals["request_id"], m.plan.proposals["volunteer_id"], strict=True)
    )
    assert (proposed["decided_by"] == "auto").all()
    assert list(m.assignments().columns) == [
        "request_id", "volunteer_id", "status", "started_on", "ended_on", "end_reason",
        "decided_by",
    ]  # fmt: skip


@pytest.mark.parametrize("value", ["no", 0, 1, None, [], "False"])
def test_assignments_history_takes_only_true_or_false(
    city: tuple[lm.Caseload, lm.MatchConfig], value: Any
) -> None:
    """``history="no"`` used to be truthy and silently kept the history rows."""
    caseload, config = city
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    with pytest.raises(lm.ArgumentTypeError, match="history"):
        m.assignments(history=value)


def test_every_change_reason_has_german_and_english_words() -> None:
    """An English explanation of a confirmation said the raw code ``confirmed``."""
    from lotsen_match.desk.answers import CHANGE_REASONS, change_words

    for language in ("de", "en"):
        words = change_words(language)
        assert set(words) == set(CHANGE_REASONS), language
        assert all(w and w != code for code, w in words.items() if language == "de")
    en = change_words("en")
    assert en["confirmed"] == "confirmed by the coordinator"
    assert en["added"] == "new at the desk"


def test_a_request_of_an_accompanied_household_goes_to_its_volunteer(
    city: tuple[lm.Caseload, lm.MatchConfig],
) -> None:
    caseload, config = city
    m = lm.Matcher(caseload.volunteers, caseload.requests, caseload.assignments, config)
    a, r = caseload.assignments, caseload.requests
    active = a[a["status"] == "active"].merge(r[["request_id", "household_id"]], on="request_id")
    found = 0
    for row in active.dropna(subset=["household_id"]).to_dict("records"):
        sibling = row_dict(r, "request_id", row["request_id"])
        sibling.update(request_id=f"S{found}", need_type="everyday", due_on=None)
        s = m.suggest(sibling, k=5)
        if s.frame.empty:
            assert s.reason == "household"
            assert row["volunteer_id"] in s.explain()
        else:
            assert s.frame["volunteer_id"].tolist() == [row["volunteer_id"]]
            assert s.frame["served_change"].tolist() == [1]
        found += 1
    assert found
