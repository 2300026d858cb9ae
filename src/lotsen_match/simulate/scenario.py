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
    """

    count: int = Field(ge=1, le=100_000)
    languages: str = Field(min_length=2)
    place: str = Field(min_length=1)
    day: int = Field(0, ge=0)


class RemoveVolunteers(_Strict):
    """``count`` Lotsen (speaking ``language``, in ``place``, where given) stop on ``day``."""

    count: int = Field(ge=1, le=100_000)
    language: str | None = None
    place: str | None = None
    day: int = Field(0, ge=0)


class ArrivalFactor(_Strict):
    """Multiply the arrival rate of requests matching every given key by ``factor``."""

    factor: float = Field(ge=0, le=1000)
    language: str | None = None
    place: str | None = None
    need_type: str | None = None


class Scenario(_Strict):
    """One line of a sweep: a policy and the changes against the caseload."""

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
    """Dynamics shared by every scenario of a sweep (all rates per day unless named per year)."""

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


def load_scenarios(path: str | Path) -> tuple[list[Scenario], SimulationSettings]:
    """Read a scenario TOML file: top-level ``days`` and settings, then ``[[scenario]]`` tables.

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
    """Validate the parsed TOML mapping (see :func:`load_scenarios`)."""
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
