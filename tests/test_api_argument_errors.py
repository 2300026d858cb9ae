"""Arguments the error contract missed: explain languages, the Matcher, configs, the generator.

Each of these raised a bare KeyError, ValueError, TypeError or AttributeError (or the wrong
library error) before; now each is a LotsenMatchError naming the argument and what is valid.
The property at the end feeds every public entry point wrong values from a small pool.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lotsen_match as lm
from lotsen_match import generate
from lotsen_match.desk.answers import CHANGE_COLUMNS
from lotsen_match.errors import (
    ArgumentError,
    ArgumentTypeError,
    ConfigError,
    DeskError,
    LotsenMatchError,
    UnknownIdError,
)

CFG = lm.MatchConfig(as_of=dt.date(2026, 11, 2))
CASE = lm.generate_caseload(4, 12, seed=3)
VOL, REQ = CASE.volunteers, CASE.requests
RID = str(REQ["request_id"].iloc[0])
VID = str(VOL["volunteer_id"].iloc[0])


@pytest.fixture(scope="module")
def result() -> lm.MatchResult:
    return lm.match(VOL, REQ, config=CFG)


@pytest.fixture
def matcher() -> lm.Matcher:
    return lm.Matcher(VOL, REQ, config=CFG)


# -- explanations in a language there is no text for --------------------------------------------


def test_result_explain_refuses_an_unknown_language(result: lm.MatchResult) -> None:
    with pytest.raises(ArgumentError, match=r"^lang: 'fr' is not valid; valid: de, en$"):
        result.explain(RID, lang="fr")
    assert result.explain(RID, lang="en").text.startswith(f"Request {RID}")


def test_suggestions_explain_refuses_an_unknown_language(matcher: lm.Matcher) -> None:
    suggestions = matcher.suggest(RID)
    with pytest.raises(ArgumentError, match=r"^language: 'fr' is not valid; valid: de, en$"):
        suggestions.explain("fr")
    assert suggestions.explain("en").startswith(f"Request {RID}")


def test_replan_explain_refuses_an_unknown_language(
    matcher: lm.Matcher, result: lm.MatchResult
) -> None:
    replan = matcher.remove(str(REQ["request_id"].iloc[1]))
    assert not replan.changes.empty
    nothing = lm.Replan(pd.DataFrame(columns=list(CHANGE_COLUMNS)), lambda: result)
    for each in (replan, nothing):  # also when there is nothing to say
        with pytest.raises(ArgumentError, match=r"^language: 'fr' is not valid; valid: de, en$"):
            each.explain("fr")
    assert nothing.explain("en") == "No changes."


# -- Matcher arguments as match() checks them ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((None, REQ), {}, "volunteers"),
        ((VOL, 5), {}, "requests"),
        ((VOL, REQ, 5), {}, "assignments"),
        ((VOL, REQ), {"strict": "yes"}, "strict"),
    ],
)
def test_matcher_refuses_wrong_tables_as_match_does(
    args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(ArgumentTypeError) as desk:
        lm.Matcher(*args, config=CFG, **kwargs)  # type: ignore[misc]
    with pytest.raises(ArgumentTypeError) as run:
        lm.match(*args, config=CFG, **kwargs)  # type: ignore[misc]
    assert desk.value.argument == run.value.argument == argument
    assert str(desk.value) == str(run.value)


@pytest.mark.parametrize("bad", ["abc", 3, ["a"], b"x"], ids=repr)
def test_matcher_refuses_a_config_that_is_neither_a_config_nor_a_mapping(bad: Any) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        lm.Matcher(VOL, REQ, config=bad)
    assert err.value.argument == "config"
    assert "MatchConfig" in str(err.value) and "mapping" in str(err.value)


def test_matcher_config_mapping_problems_stay_config_errors() -> None:
    with pytest.raises(ConfigError, match="min_language_level"):
        lm.Matcher(VOL, REQ, config={"min_language_level": "Z9"})


@pytest.mark.parametrize("bad", [["a"], "abc", None, 3], ids=repr)
def test_from_mapping_refuses_what_is_not_a_mapping(bad: Any) -> None:
    with pytest.raises(ArgumentTypeError) as err:
        lm.MatchConfig.from_mapping(bad)
    assert err.value.argument == "data"
    assert str(err.value).startswith("data: expected a mapping of settings")


def test_from_mapping_and_from_toml_refuse_wrong_names_and_paths() -> None:
    with pytest.raises(ArgumentTypeError) as err:
        lm.MatchConfig.from_mapping({}, source=3)  # type: ignore[arg-type]
    assert err.value.argument == "source"
    with pytest.raises(ArgumentTypeError) as err:
        lm.MatchConfig.from_mapping({}, base=3)  # type: ignore[arg-type]
    assert err.value.argument == "base"
    for bad in (None, 3, b"settings.toml"):
        with pytest.raises(ArgumentTypeError) as err:
            lm.MatchConfig.from_toml(bad)  # type: ignore[arg-type]
        assert err.value.argument == "path"
        with pytest.raises(ArgumentTypeError) as err:
            CFG.with_file(bad)  # type: ignore[arg-type]
        assert err.value.argument == "path"


@pytest.mark.parametrize(
    ("call", "setting"),
    [
        (lambda: lm.MatchConfig.from_mapping({0: "B2"}), "0"),  # type: ignore[dict-item]
        (lambda: lm.MatchConfig.model_validate({0: None}), "0"),
        (lambda: lm.MatchConfig(rules={0: None}), "rules.0"),
        (lambda: CFG.replace(weights={1: 2.0}), "weights.1"),
        (lambda: CFG.model_copy(update={0: 1}), "0"),  # type: ignore[dict-item]
    ],
)
def test_setting_names_that_are_not_text_are_config_errors(
    call: Callable[[], object], setting: str
) -> None:
    with pytest.raises(ConfigError) as err:  # was TypeError: keywords must be strings
        call()
    assert err.value.problems == [(setting, "is no setting: the names of settings are text")]


def test_pydantic_constructors_raise_config_errors() -> None:
    for call in (
        lambda: lm.MatchConfig.model_validate(None),
        lambda: lm.MatchConfig.model_validate({"solver": "nope"}),
        lambda: lm.MatchConfig.model_validate_json("not json"),
        lambda: lm.MatchConfig.model_validate_strings({"strict": "perhaps"}),
        lambda: lm.ScoreWeights.model_validate({"language": -1}),
    ):
        with pytest.raises(ConfigError):
            call()
    with pytest.raises(ConfigError) as err:
        lm.ScoreWeights.model_validate({"time": 2000})
    assert err.value.problems[0][0] == "weights.time"
    assert lm.MatchConfig.model_validate({"solver": "cpsat"}).solver.name == "cpsat"
    with pytest.raises(ArgumentTypeError) as type_err:
        CFG.model_copy(update=True)  # type: ignore[arg-type]
    assert type_err.value.argument == "update"


def test_settings_files_that_cannot_be_read_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'\\x00': file: cannot be read"):
        lm.MatchConfig.from_toml("\x00")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[report]\nlanguage = "de" # Grüße\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"file: byte 29 is not UTF-8 text"):
        lm.MatchConfig.from_toml(latin1)
    inside_a_file = latin1 / "settings.toml"  # NotADirectoryError, an OSError
    with pytest.raises(ConfigError, match="file: cannot be read: Not a directory"):
        lm.MatchConfig.from_toml(inside_a_file)


def test_read_table_refuses_a_column_mapping_of_non_text() -> None:
    for bad in ({0: "languages"}, {"Sprachen": None}):
        with pytest.raises(ArgumentTypeError) as err:  # was AttributeError
            lm.read_table(VOL, table="volunteers", column_mapping=bad)  # type: ignore[arg-type]
        assert err.value.argument == "column_mapping"


# -- the generator checks every argument before it generates ---------------------------------


@pytest.mark.parametrize(
    ("kwargs", "argument", "valid"),
    [
        ({"places": [1]}, "places", "DataFrame"),
        ({"places": {"name": ["x"]}}, "places", "DataFrame"),
        ({"seed": "a"}, "seed", "non-negative integer"),
        ({"seed": 1.5}, "seed", "non-negative integer"),
        ({"seed": -1}, "seed", "non-negative integer"),
        ({"as_of": "2026-11-02"}, "as_of", "datetime.date"),
        ({"as_of": None}, "as_of", "datetime.date"),
        ({"history": "x"}, "history", "non-negative integer"),
        ({"history": 10**9}, "history", "at most 1,000,000"),
        ({"n_volunteers": 2**70}, "n_volunteers", "at most 1,000,000"),
        ({"n_requests": 10**12}, "n_requests", "at most 1,000,000"),
    ],
)
def test_generate_caseload_checks_its_arguments_before_generating(
    kwargs: dict[str, Any], argument: str, valid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        pytest.fail("tables were generated before the arguments were checked")

    monkeypatch.setattr(generate, "_volunteers", never)
    monkeypatch.setattr(generate, "load_places", never)
    args = {"n_volunteers": 2, "n_requests": 3, **kwargs}
    with pytest.raises(ArgumentError) as err:
        lm.generate_caseload(**args)
    text = str(err.value)
    assert text.startswith(f"{argument}: ") and valid in text


def test_generate_caseload_still_takes_numpy_integers_and_datetimes() -> None:
    counts: dict[str, Any] = {"seed": np.int64(4), "history": np.int32(0)}
    case = lm.generate_caseload(np.int64(2), 3, as_of=dt.datetime(2026, 11, 2), **counts)  # type: ignore[arg-type]
    assert len(case.volunteers) == 2 and len(case.requests) == 3


# -- score weights and desk arguments --------------------------------------------------------


def test_component_weights_refuses_unknown_components() -> None:
    weights = lm.ScoreWeights()
    with pytest.raises(ArgumentError) as err:
        weights.component_weights(("language", "nope"))
    text = str(err.value)
    assert text.startswith("names: 'nope' is not a score component; valid: language, distance")
    assert text.endswith("stability, success")
    assert weights.component_weights(("time", "success")) == [1.0, 0.0]


def test_remove_names_a_bad_kind_not_an_unknown_id(matcher: lm.Matcher) -> None:
    for id_ in (RID, "nobody"):
        with pytest.raises(DeskError) as err:
            matcher.remove(id_, kind="x")  # type: ignore[arg-type]
        assert err.value.field == "kind"
        assert str(err.value) == "kind: 'x' is not valid; valid: request, volunteer"
    with pytest.raises(UnknownIdError):
        matcher.remove("nobody", kind="volunteer")


def test_desk_ids_of_the_wrong_type_name_the_argument(matcher: lm.Matcher) -> None:
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: matcher.remove([]), "id"),  # type: ignore[arg-type]  # was: unhashable list
        (lambda: matcher.decide(1.5, VID, "confirmed"), "request_id"),  # type: ignore[arg-type]
        (lambda: matcher.decide(RID, None, "confirmed"), "volunteer_id"),  # type: ignore[arg-type]
        (lambda: matcher.replace(b"V1"), "volunteer_id"),  # type: ignore[arg-type]
        (lambda: matcher.suggest(None), "request"),  # type: ignore[arg-type]  # was: "source"
    ]
    for call, argument in calls:
        with pytest.raises(ArgumentTypeError) as err:
            call()
        assert err.value.argument == argument
    with pytest.raises(UnknownIdError, match="request '7' is unknown"):
        matcher.decide(7, VID, "confirmed")  # type: ignore[arg-type]  # a number is its digits


# -- the property: wrong arguments anywhere end in a LotsenMatchError ------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([2**70, -(2**70)]),
    st.sampled_from([0.5, -1.0, math.nan, math.inf]),
    st.text(max_size=4),
    st.binary(max_size=4),
)
_KEYS = st.sampled_from(["request_id", "volunteer_id", "as_of", "rules", "solver", "x", ""])
#: None, ints, floats, strings, bytes, and small lists and dicts of them.
WRONG = st.one_of(
    _SCALARS,
    st.lists(st.one_of(_SCALARS, st.dictionaries(_KEYS, _SCALARS, max_size=2)), max_size=2),
    st.dictionaries(
        st.one_of(_KEYS, st.text(max_size=3), st.integers(-1, 1)), _SCALARS, max_size=2
    ),
)
PROPERTY = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_BAD = object()  # marks the argument that gets the drawn value
#: Desk calls that change the plan when they go through.
_CHANGES = ("decide", "replace", "add", "update", "remove")
Call = Callable[[Any], object]


class _Desk:
    """The result and the Matcher the property calls, built on first use."""

    def __init__(self) -> None:
        self._result: lm.MatchResult | None = None
        self._matcher: lm.Matcher | None = None

    def result(self) -> lm.MatchResult:
        if self._result is None:
            self._result = lm.match(VOL, REQ, config=CFG)
        return self._result

    def matcher(self) -> lm.Matcher:
        if self._matcher is None:
            self._matcher = lm.Matcher(VOL, REQ, config=CFG)
        return self._matcher

    def reset(self) -> None:
        self._matcher = None


DESK = _Desk()


def _desk(method: str, *args: Any, **kwargs: Any) -> Call:
    """A Matcher method with the argument marked ``_BAD`` replaced by the drawn value."""

    def call(bad: Any) -> object:
        filled = [bad if a is _BAD else a for a in args]
        named = {k: bad if v is _BAD else v for k, v in kwargs.items()}
        return getattr(DESK.matcher(), method)(*filled, **named)

    return call


#: Each public entry point with one argument replaced by the drawn value.
CALLS: dict[str, Call] = {
    "match.volunteers": lambda b: lm.match(b, REQ, config=CFG),
    "match.requests": lambda b: lm.match(VOL, b, config=CFG),
    "match.assignments": lambda b: lm.match(VOL, REQ, b, config=CFG),
    "match.config": lambda b: lm.match(VOL, REQ, config=b),
    "match.strict": lambda b: lm.match(VOL, REQ, config=CFG, strict=b),
    "match.timer": lambda b: lm.match(VOL, REQ, config=CFG, timer=b),
    "Matcher.volunteers": lambda b: lm.Matcher(b, REQ, config=CFG),
    "Matcher.requests": lambda b: lm.Matcher(VOL, b, config=CFG),
    "Matcher.assignments": lambda b: lm.Matcher(VOL, REQ, b, config=CFG),
    "Matcher.config": lambda b: lm.Matcher(VOL, REQ, config=b),
    "Matcher.strict": lambda b: lm.Matcher(VOL, REQ, config=CFG, strict=b),
    "suggest.request": _desk("suggest", _BAD),
    "suggest.k": _desk("suggest", RID, _BAD),
    "decide.request_id": _desk("decide", _BAD, VID, "confirmed"),
    "decide.volunteer_id": _desk("decide", RID, _BAD, "declined"),
    "decide.decision": _desk("decide", RID, VID, _BAD),
    "decide.reason": _desk("decide", RID, VID, "declined", _BAD),
    "decide.decided_by": _desk("decide", RID, VID, "declined", decided_by=_BAD),
    "replace.volunteer_id": _desk("replace", _BAD),
    "replace.unavailable_from": _desk("replace", VID, _BAD),
    "add.record": _desk("add", _BAD),
    "update.record": _desk("update", _BAD),
    "remove.id": _desk("remove", _BAD),
    "remove.kind": _desk("remove", RID, kind=_BAD),
    "remove.reason": _desk("remove", RID, reason=_BAD),
    "assignments.history": _desk("assignments", history=_BAD),
    "explain.request_id": lambda b: DESK.result().explain(b),
    "explain.lang": lambda b: DESK.result().explain(RID, lang=b),
    "suggestions.explain": lambda b: DESK.matcher().suggest(RID).explain(b),
    "replan.explain": lambda b: lm.Replan(
        pd.DataFrame(columns=list(CHANGE_COLUMNS)), DESK.result
    ).explain(b),
    "read_table.source": lambda b: lm.read_table(b, table="volunteers"),
    "read_table.table": lambda b: lm.read_table(VOL, table=b),
    "read_table.column_mapping": lambda b: lm.read_table(VOL, table="volunteers", column_mapping=b),
    "read_table.sheet": lambda b: lm.read_table(VOL, table="volunteers", sheet=b),
    "read_table.limits": lambda b: lm.read_table(VOL, table="volunteers", limits=b),
    "validate.volunteers": lambda b: lm.validate_caseload(b, REQ, config=CFG),
    "validate.requests": lambda b: lm.validate_caseload(VOL, b, config=CFG),
    "validate.assignments": lambda b: lm.validate_caseload(VOL, REQ, b, config=CFG),
    "validate.config": lambda b: lm.validate_caseload(VOL, REQ, config=b),
    "validate.strict": lambda b: lm.validate_caseload(VOL, REQ, config=CFG, strict=b),
    "generate.n_volunteers": lambda b: lm.generate_caseload(b, 2),
    "generate.n_requests": lambda b: lm.generate_caseload(2, b),
    "generate.seed": lambda b: lm.generate_caseload(2, 2, seed=b),
    "generate.as_of": lambda b: lm.generate_caseload(2, 2, as_of=b),
    "generate.places": lambda b: lm.generate_caseload(2, 2, places=b),
    "generate.history": lambda b: lm.generate_caseload(2, 2, history=b),
    "MatchConfig.as_of": lambda b: lm.MatchConfig(as_of=b),
    "MatchConfig.rules": lambda b: lm.MatchConfig(rules=b),
    "MatchConfig.flat": lambda b: lm.MatchConfig(min_language_level=b),
    "MatchConfig.unknown": lambda b: lm.MatchConfig(**{"x": b}),
    "MatchConfig.model_validate": lambda b: lm.MatchConfig.model_validate(b),
    "MatchConfig.model_validate_json": lambda b: lm.MatchConfig.model_validate_json(b),
    "MatchConfig.from_mapping.data": lambda b: lm.MatchConfig.from_mapping(b),
    "MatchConfig.from_mapping.source": lambda b: lm.MatchConfig.from_mapping({}, source=b),
    "MatchConfig.from_mapping.base": lambda b: lm.MatchConfig.from_mapping(
        {"places": "p.csv"}, base=b
    ),
    "MatchConfig.from_toml": lambda b: lm.MatchConfig.from_toml(b),
    "MatchConfig.with_file": lambda b: CFG.with_file(b),
    "MatchConfig.replace.solver": lambda b: CFG.replace(solver=b),
    "MatchConfig.replace.weights": lambda b: CFG.replace(weights=b),
    "MatchConfig.model_copy": lambda b: CFG.model_copy(update=b),
    "ScoreWeights.language": lambda b: lm.ScoreWeights(language=b),
    "ScoreWeights.component_weights": lambda b: lm.ScoreWeights().component_weights(b),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@PROPERTY
@given(bad=WRONG)
def test_wrong_arguments_anywhere_raise_only_library_errors(name: str, bad: Any) -> None:
    """Whatever an entry point does with a wrong value, it raises no other exception."""
    try:
        CALLS[name](bad)
    except LotsenMatchError:
        return  # refused: the Matcher is unchanged
    if name.split(".")[0] in _CHANGES:
        DESK.reset()  # the call went through: the next example starts from the same state
