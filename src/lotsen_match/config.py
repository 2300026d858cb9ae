"""Run configuration: one validated pydantic model in sections, loadable from TOML.

Every setting of the data contract lives here so that a run is fully described by (inputs,
config) and ``summary.json`` can record it for audit. The settings are grouped as PyVRP groups
its solver parameters apart from the problem data: ``rules`` (what is admissible and how pairs
are valued), ``weights`` (the score components), ``solver`` (which backend and its limits),
``ingest`` (how an office's export is read) and ``report`` (what the report shows).

Flat keys as older files and keyword arguments use them (``min_language_level = "B2"``,
``MatchConfig(solver="cpsat")``) are routed to their section, so old TOML files still load.
Every way of building or deriving a config validates: the constructor, :meth:`from_toml`,
:meth:`from_mapping` and :meth:`replace` (``model_copy(update=...)`` is routed through it),
and a bad value is always a :class:`~lotsen_match.errors.ConfigError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ._types import SOLVER_NAMES, LevelName, SolverName, TableName
from .errors import ConfigError

__all__ = [
    "EARLIEST_AS_OF",
    "FLAT_KEYS",
    "LATEST_AS_OF",
    "MAX_WEIGHT",
    "SOLVER_NAMES",
    "IngestSettings",
    "LevelName",
    "MatchConfig",
    "ReportSettings",
    "RuleSettings",
    "ScoreWeights",
    "SolverName",
    "SolverSettings",
    "TableName",
    "route_flat_keys",
]


#: A weight above this is a typo, not a preference: it would swamp the integer cost scale.
MAX_WEIGHT: Final[float] = 1_000.0
#: Run dates pandas can hold with every horizon of the rules added (datetime64[ns] ends 2262).
EARLIEST_AS_OF: Final[dt.date] = dt.date(1900, 1, 1)
LATEST_AS_OF: Final[dt.date] = dt.date(2200, 12, 31)
_SAMPLE_DATE: Final[dt.datetime] = dt.datetime(2026, 11, 25)


class _Section(BaseModel):
    """A frozen settings group whose constructor raises ConfigError, never pydantic's error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(
                _describe(exc, prefix=_SECTION_OF.get(type(self).__name__, ""))
            ) from None


class ScoreWeights(_Section):
    """Weights of the score components (finite, 0 to 1,000; they are normalised).

    A pair's quality is the weighted mean of its components, so doubling every weight changes
    nothing. ``load`` is not a pair component: it prices each further household of a volunteer
    (convex) in the same units, which spreads work without a heuristic.
    """

    language: float = Field(3.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    distance: float = Field(2.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    time: float = Field(1.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    modules: float = Field(1.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    continuity: float = Field(2.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    urgency: float = Field(1.5, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    stability: float = Field(1.5, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    load: float = Field(0.5, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    #: The learned success probability (only with ``rules.success_model``).
    success: float = Field(0.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)

    def pair_weights(self) -> dict[str, float]:
        """The weights of the per-pair components (everything but ``load``), in output order."""
        return {
            "language": self.language,
            "distance": self.distance,
            "time": self.time,
            "modules": self.modules,
            "continuity": self.continuity,
            "urgency": self.urgency,
            "stability": self.stability,
        }

    def component_weights(self, names: tuple[str, ...]) -> list[float]:
        """The weights of the named pair components, in that order (``success`` included)."""
        return [float(getattr(self, name)) for name in names]


class RuleSettings(_Section):
    """What makes a pair admissible and how its distance and urgency are valued."""

    min_language_level: LevelName = Field(
        "B1", description="Both sides must speak a shared language at least this well."
    )
    default_max_distance_km: float = Field(
        10.0, gt=0, le=500, description="Travel radius of volunteers who did not state one."
    )
    require_certification: bool = Field(
        True, description="Only volunteers with a completed qualification (certified_on <= as_of)."
    )
    objective: Literal["max_served", "quality"] = Field(
        "max_served",
        description="max_served: serve as many requests as possible, then maximise quality; "
        "quality: maximise total quality only.",
    )
    distance_half_km: float = Field(
        5.0, gt=0, le=500, description="Distance at which the distance component has halved."
    )
    waiting_full_days: int = Field(
        90, gt=0, le=3650, description="Waiting time at which the urgency component reaches 1."
    )
    urgency_horizon_days: int = Field(
        28, gt=0, le=3650, description="A due date this many days ahead starts to raise urgency."
    )
    reconfirm_after_days: int = Field(
        60,
        gt=0,
        le=3650,
        description="An open request without a contact for longer is listed for reconfirmation "
        "(reconfirm) and its waiting time stops raising its urgency.",
    )
    success_model: Path | None = Field(
        None,
        description="A success model learned from outcomes (lotsen-match learn, .skops): adds "
        "the score component success, weighted by weights.success.",
    )


class SolverSettings(_Section):
    """Which backend solves the assignment, and the limits of the CP-SAT backend."""

    name: SolverName = Field(
        "flow", description="flow (exact, default), cpsat (exact, cross-check), greedy (baseline)."
    )
    time_limit_s: float = Field(
        60.0, gt=0, le=86_400, allow_inf_nan=False, description="Time limit of the cpsat backend."
    )
    num_workers: int = Field(2, ge=1, le=64, description="Threads of the cpsat backend.")


class IngestSettings(_Section):
    """How an office's export is read: vocabulary, separators, date formats, places."""

    vocabulary: Literal["spec", "de"] = Field(
        "spec",
        description="spec: contract codes only; de: also German/English words of real exports "
        "(Arabisch (Muttersprache), Behördengang, Di abends, ja, w).",
    )
    messages: Literal["en", "de"] | None = Field(
        None, description="Language of validation messages (default: German for vocabulary de)."
    )
    list_separators: tuple[str, ...] | None = Field(
        None, description="Separators between entries of list cells (default ; or ;/,/newline)."
    )
    date_formats: tuple[str, ...] = Field(
        (), description="strptime formats tried before ISO and 25.11.2026 (e.g. %d.%m.%y)."
    )
    places: Path | None = Field(
        None,
        description="Own table (postal code / place / address key -> lat, lon) that takes "
        "precedence over the bundled Lower Saxony places.",
    )
    near: str | None = Field(
        None, description="The office's place: resolves ambiguous place names to the nearby one."
    )
    near_km: float = Field(
        30.0, gt=0, le=1000, description="How far from `near` such a place may lie."
    )
    max_input_mb: float = Field(
        256, gt=0, description="Largest input table read, in MB (unpacked size for Excel)."
    )
    columns: dict[TableName, dict[str, str]] = Field(
        default_factory=dict,
        description="Per table, export header -> contract column (e.g. Sprachen -> languages).",
    )

    @field_validator("list_separators")
    @classmethod
    def _separators_not_empty(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one separator, e.g. [';']")
            if any(not sep for sep in value):
                raise ValueError("a separator cannot be empty; use e.g. ';' or ','")
        return value

    @field_validator("date_formats")
    @classmethod
    def _formats_parse_a_date(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in value:
            try:
                written = _SAMPLE_DATE.strftime(fmt)
                back = dt.datetime.strptime(written, fmt)
            except ValueError as exc:
                raise ValueError(f"{fmt!r} is not a usable date format ({exc})") from None
            if back.date() != _SAMPLE_DATE.date():
                raise ValueError(
                    f"{fmt!r} does not name day, month and year (e.g. '%d.%m.%Y' or '%d.%m.%y')"
                )
        return value

    @field_validator("columns")
    @classmethod
    def _targets_unique(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for table, mapping in value.items():
            seen: dict[str, str] = {}
            for src, dst in mapping.items():
                if dst in seen:
                    raise ValueError(
                        f"{table}: columns {seen[dst]!r} and {src!r} both map to {dst!r}"
                    )
                seen[dst] = src
        return value


class ReportSettings(_Section):
    """What the explanations and the HTML report show, and in which language."""

    language: Literal["de", "en"] = Field("de", description="Language of the HTML report.")
    max_alternatives: int = Field(3, ge=0, le=50, description="Next-best volunteers explained.")


_SECTIONS: Final[dict[str, type[_Section]]] = {
    "rules": RuleSettings,
    "weights": ScoreWeights,
    "solver": SolverSettings,
    "ingest": IngestSettings,
    "report": ReportSettings,
}
_SECTION_OF: Final[dict[str, str]] = {cls.__name__: name for name, cls in _SECTIONS.items()}
#: Flat keys of older files and keyword arguments -> (section, field).
FLAT_KEYS: Final[dict[str, tuple[str, str]]] = {
    **{f: ("rules", f) for f in RuleSettings.model_fields},
    **{f: ("ingest", f) for f in IngestSettings.model_fields},
    "solver": ("solver", "name"),
    "time_limit_s": ("solver", "time_limit_s"),
    "num_workers": ("solver", "num_workers"),
    "report_language": ("report", "language"),
    "max_alternatives": ("report", "max_alternatives"),
}


def _today() -> dt.date:
    return dt.date.today()


class MatchConfig(BaseModel):
    """Everything that shapes a run; immutable and validated however it is built.

    Derive a changed copy with :meth:`replace` (flat or sectioned keys), e.g.
    ``config.replace(min_language_level="B2", solver="cpsat")``.

    Raises
    ------
    ConfigError
        Any invalid value, listing every problem with the setting's name and what is valid.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: dt.date = Field(default_factory=_today, description="Run date for every date rule.")
    strict: bool = Field(
        True, description="Strict: any invalid row stops the run. Lenient: reject the row, go on."
    )
    # section: job
    retention_days: int = Field(
        90,
        ge=0,
        le=3650,
        description="With a database: result rows of runs that started more than this many days "
        "before the current run are deleted in its transaction (0 keeps only the newest run); "
        "the match_runs log is never deleted.",
    )
    # section: job
    output_file_mode: str = Field(
        "0640",
        pattern=r"^0?[67][0-7]{2}$",
        description="Mode of the result files (octal; the owner reads and writes).",
    )
    rules: RuleSettings = Field(default_factory=lambda: RuleSettings())
    weights: ScoreWeights = Field(default_factory=lambda: ScoreWeights())
    solver: SolverSettings = Field(default_factory=lambda: SolverSettings())
    ingest: IngestSettings = Field(default_factory=lambda: IngestSettings())
    report: ReportSettings = Field(default_factory=lambda: ReportSettings())

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    @model_validator(mode="before")
    @classmethod
    def _route_flat_keys(cls, data: Any) -> Any:
        return route_flat_keys(data) if isinstance(data, Mapping) else data

    @field_validator("as_of")
    @classmethod
    def _as_of_in_range(cls, value: dt.date) -> dt.date:
        if not EARLIEST_AS_OF <= value <= LATEST_AS_OF:
            raise ValueError(f"must lie between {EARLIEST_AS_OF} and {LATEST_AS_OF}")
        return value

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "config") -> MatchConfig:
        """Validate a plain mapping (e.g. parsed TOML); all problems are reported at once.

        Parameters
        ----------
        data
            Settings, flat (``min_language_level``) or in sections (``[rules]``).
        source
            Name used in messages (the file name).

        Returns
        -------
        MatchConfig

        Raises
        ------
        ConfigError
            Every invalid or unknown setting, with suggestions for misspelt names.
        """
        try:
            return cls(**dict(data))
        except ConfigError as exc:
            raise ConfigError(exc.problems, source=source) from None

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> MatchConfig:
        """Load a TOML file.

        Parameters
        ----------
        path
            The file; flat keys and ``[rules]``/``[weights]``/... sections both load.

        Returns
        -------
        MatchConfig

        Raises
        ------
        ConfigError
            Missing file, TOML syntax error or invalid values, naming the file and the setting.
        """
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError([("file", "does not exist")], source=str(p)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([("syntax", str(exc))], source=str(p)) from None
        return cls.from_mapping(data, source=p.name)

    def replace(self, **changes: Any) -> MatchConfig:
        """A validated copy with ``changes`` applied (flat keys or whole sections).

        Parameters
        ----------
        **changes
            e.g. ``min_language_level="B2"``, ``solver="cpsat"`` or ``weights={"time": 0}``.

        Returns
        -------
        MatchConfig

        Raises
        ------
        ConfigError
            A changed value is invalid.
        """
        data: dict[str, Any] = self.model_dump(exclude_defaults=False)
        for key, value in route_flat_keys(changes).items():
            if key in _SECTIONS and isinstance(value, Mapping):
                data[key] = {**data[key], **value}
            elif key in _SECTIONS and isinstance(value, BaseModel):
                data[key] = value.model_dump()
            else:
                data[key] = value
        return MatchConfig(**data)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Like :meth:`replace`: an update is validated (pydantic's own copy would not be)."""
        if not update:
            return super().model_copy(deep=deep)
        return self.replace(**update)  # type: ignore[return-value]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO text) for summary.json."""
        return self.model_dump(mode="json")


def route_flat_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """Move flat keys (``min_language_level``, ``solver = "cpsat"``) into their sections.

    A key given both flat and inside its section is a ConfigError: which one counts is not
    obvious, so the user must choose.
    """
    out: dict[str, Any] = {}
    flat: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        target = FLAT_KEYS.get(key)
        if target is None or (key == "solver" and not isinstance(value, str)):
            out[key] = value
            continue
        flat.setdefault(target[0], {})[target[1]] = value
    for section, values in flat.items():
        given = out.get(section)
        if isinstance(given, BaseModel):
            given = given.model_dump()
        if given is None:
            out[section] = values
            continue
        if not isinstance(given, Mapping):
            out[section] = given  # pydantic reports the wrong type
            continue
        twice = sorted(set(values) & set(given))
        if twice:
            raise ConfigError(
                [(f"{section}.{twice[0]}", "given both flat and in its section; keep one")]
            )
        out[section] = {**given, **values}
    return out


def _describe(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Turn pydantic errors into (setting, message) pairs with the valid choices spelled out."""
    fields = {*MatchConfig.model_fields, *FLAT_KEYS}
    for name, section in _SECTIONS.items():
        fields |= {f"{name}.{f}" for f in section.model_fields}
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, ConfigError):  # a section's own constructor already described it
            out.extend(inner.problems)
            continue
        loc = ".".join(str(part) for part in ((prefix,) if prefix else ()) + tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(loc, sorted(fields), n=1)
            msg = "unknown setting" + (f"; did you mean {close[0]!r}?" if close else "")
        elif "input" in err and err["type"] not in ("missing",):
            shown = err["input"]
            if isinstance(shown, float) and not math.isfinite(shown):
                shown = str(shown)
            msg = f"{msg} (got {shown!r})"
        out.append((loc or "config", msg))
    return out
