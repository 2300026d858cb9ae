"""Scenarios of a simulated year: policy, recruitment, removals, rule changes, arrival rates.

A scenario is a small, validated record so that a sweep can ship it to Dask workers as plain data
and a TOML file names exactly what changes against the caseload as it is.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lotsen_match.errors import ConfigError

__all__ = [
    "MAX_SCENARIOS",
    "MAX_SCENARIO_BYTES",
    "POLICIES",
    "AddVolunteers",
    "ArrivalFactor",
    "RemoveVolunteers",
    "Scenario",
    "SimulationSettings",
    "load_scenarios",
    "parse_scenarios",
]

Policy = Literal["nightly", "weekly", "greedy_on_arrival", "suggest_on_arrival"]
POLICIES: tuple[str, ...] = ("nightly", "weekly", "greedy_on_arrival", "suggest_on_arrival")
MAX_SCENARIO_BYTES = 1_000_000
"""Largest scenario file read (a sweep of a few hundred scenarios is a few dozen kB)."""
MAX_SCENARIOS = 1_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddVolunteers(_Strict):
    """``count`` new Lotsen speaking ``languages`` (SPEC form) in ``place``, joining on ``day``.

    Everything else (need types, times, radius, capacity) is copied from Lotsen already in that
    place, drawn with the run's seed, so the recruits look like the place's current volunteers.

    Attributes
    ----------
    count
        How many (1 to 100,000).
    languages
        Their languages, in the contract's form (``"ar:native;de:C1"``).
    place
        The place they live in; Lotsen of that place are copied.
    day
        The day of the run they can first be proposed (0: from the start).
    """

    count: int = Field(ge=1, le=100_000)
    languages: str = Field(min_length=2)
    place: str = Field(min_length=1)
    day: int = Field(0, ge=0)


class RemoveVolunteers(_Strict):
    """``count`` Lotsen (speaking ``language``, in ``place``, where given) stop on ``day``.

    Attributes
    ----------
    count
        How many; drawn with the run's seed among those that fit.
    language
        Only Lotsen speaking this language code (any level).
    place
        Only Lotsen of this place.
    day
        The day they leave (``Matcher.replace``: their families are planned again).
    """

    count: int = Field(ge=1, le=100_000)
    language: str | None = None
    place: str | None = None
    day: int = Field(0, ge=0)


class ArrivalFactor(_Strict):
    """Multiply the arrival rate of requests matching every given key by ``factor``.

    Attributes
    ----------
    factor
        The multiplier (0 to 1000).
    language
        First language of the request (a code such as ``"uk"``).
    place
        Place of the request.
    need_type
        Need type of the request.
    """

    factor: float = Field(ge=0, le=1000)
    language: str | None = None
    place: str | None = None
    need_type: str | None = None


class Scenario(_Strict):
    """One line of a sweep: a policy and the changes against the caseload.

    Attributes
    ----------
    name
        Shown in every output; unique within a scenario file.
    policy
        ``nightly`` (default), ``weekly``, ``greedy_on_arrival`` or ``suggest_on_arrival``.
    add_volunteers
        Recruits (see `AddVolunteers`).
    remove_volunteers
        Departures (see `RemoveVolunteers`).
    arrival_factor
        Multiplies every arrival rate.
    arrival_factors
        Multiply the rates of some groups (see `ArrivalFactor`).
    radius_factor
        Multiplies every volunteer's radius (the default radius too).
    weights
        Changed score weights (``{"language": 2.0}``).
    min_language_level
        A changed minimum language level.
    """

    name: str = Field(min_length=1, max_length=200)
    policy: Policy = "nightly"
    add_volunteers: tuple[AddVolunteers, ...] = ()
    remove_volunteers: tuple[RemoveVolunteers, ...] = ()
    arrival_factor: float = Field(1.0, ge=0, le=1000)
    arrival_factors: tuple[ArrivalFactor, ...] = ()
    radius_factor: float = Field(1.0, gt=0, le=100)
    weights: dict[str, float] = Field(default_factory=dict)
    min_language_level: str | None = None


class SimulationSettings(_Strict):
    """Dynamics shared by every scenario of a sweep (all rates per day unless named per year).

    Attributes
    ----------
    days
        The horizon (default 365).
    rate_window_days
        Arrival rates are the caseload's requests created in this many days before ``as_of``,
        per day.
    mean_duration_days
        Mean length of an accompaniment once confirmed.
    min_duration_days
        Shortest accompaniment; lengths are this plus a gamma(2) tail.
    confirm_rate
        Share of proposals a coordinator confirms.
    decision_days
        Days from a proposal to the coordinator's answer.
    join_per_year
        Recruits per volunteer and year (copies of current volunteers).
    leave_per_year
        Departures per volunteer and year.
    weekly_day
        Day of the week (0-6, counted from ``as_of``) the weekly policy runs on.
    planner
        How the nightly and weekly policies get each day's exact plan: ``universe`` (default)
        encodes every household of the run and its admissible pairs once and builds each day's
        model from arrays (`lotsen_match.simulate.dayplan`); ``matcher`` builds an
        ``lm.Matcher`` on each day's tables and carries the day's events through the desk
        API. Both plans are exact for the day's tables (same served count and objective).
    """

    days: int = Field(365, ge=1, le=3650)
    rate_window_days: int = Field(
        180,
        ge=7,
        le=3650,
        description="Arrival rates: requests created in this window / its length.",
    )
    mean_duration_days: float = Field(
        180.0, gt=0, le=3650, description="Mean length of an accompaniment once confirmed."
    )
    min_duration_days: int = Field(30, ge=1, le=3650)
    confirm_rate: float = Field(
        0.85, ge=0, le=1, description="Share of proposals a coordinator confirms."
    )
    decision_days: int = Field(
        2, ge=0, le=60, description="Days from a proposal to the coordinator's answer."
    )
    join_per_year: float = Field(0.15, ge=0, le=10, description="Recruits per volunteer and year.")
    leave_per_year: float = Field(
        0.15, ge=0, le=10, description="Departures per volunteer and year."
    )
    weekly_day: int = Field(0, ge=0, le=6, description="Day of the week (0-6) weekly runs on.")
    planner: Literal["universe", "matcher"] = Field(
        "universe",
        description="Nightly and weekly plans: the universe encoded once (exact, fast), or a "
        "Matcher built on each day's tables.",
    )


def load_scenarios(path: str | Path) -> tuple[list[Scenario], SimulationSettings]:
    """Read a scenario TOML file: top-level ``days`` and settings, then ``[[scenario]]`` tables.

    Parameters
    ----------
    path
        The file (at most 1 MB, at most 1,000 scenarios).

    Returns
    -------
    tuple
        The scenarios, and the settings.

    Raises
    ------
    ConfigError
        Unreadable TOML, unknown keys or invalid values, naming the scenario and the key.
    """
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ConfigError(
                [("file", f"{size:,} bytes; a scenario file may hold {MAX_SCENARIO_BYTES:,}")],
                source=source,
            )
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([("file", str(exc))], source=source) from exc
    return parse_scenarios(data, source=source)


def parse_scenarios(
    data: dict[str, Any], *, source: str = "scenarios"
) -> tuple[list[Scenario], SimulationSettings]:
    """Validate the parsed TOML mapping (see ``load_scenarios``).

    Parameters
    ----------
    data
        The mapping: settings at the top, the scenarios as a list under ``scenario``.
    source
        Name used in messages.

    Returns
    -------
    tuple
        The scenarios, and the settings.

    Raises
    ------
    ConfigError
        Unknown keys or invalid values, naming the scenario and the key; a name used twice.
    """
    raw = dict(data)
    tables = raw.pop("scenario", None)
    if not isinstance(tables, list) or not tables:
        raise ConfigError([("scenario", "add at least one [[scenario]] table")], source=source)
    if len(tables) > MAX_SCENARIOS:
        raise ConfigError(
            [("scenario", f"{len(tables)} tables; at most {MAX_SCENARIOS} per file")],
            source=source,
        )
    problems: list[tuple[str, str]] = []
    try:
        settings = SimulationSettings(**raw)
    except ValidationError as exc:
        problems += [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
        settings = SimulationSettings()
    scenarios: list[Scenario] = []
    for i, table in enumerate(tables):
        try:
            scenarios.append(Scenario(**table))
        except (ValidationError, TypeError) as exc:
            errs = (
                exc.errors() if isinstance(exc, ValidationError) else [{"loc": (), "msg": str(exc)}]
            )
            problems += [
                (f"scenario[{i}]." + ".".join(map(str, e["loc"])), str(e["msg"])) for e in errs
            ]
    names = [s.name for s in scenarios]
    problems += [
        (f"scenario name {n!r}", "used twice") for n in sorted(set(names)) if names.count(n) > 1
    ]
    if problems:
        raise ConfigError(problems, source=source)
    return scenarios, settings
