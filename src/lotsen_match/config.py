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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
from .arguments import describe
from .contract import MAPPABLE_COLUMNS, VOCABULARY_KINDS
from .errors import ArgumentError, ArgumentTypeError, ConfigError

__all__ = [
    "EARLIEST_AS_OF",
    "FLAT_KEYS",
    "LATEST_AS_OF",
    "MAX_WEIGHT",
    "SOLVER_NAMES",
    "IngestSettings",
    "LevelName",
    "MatchConfig",
    "OutputForm",
    "OutputSettings",
    "ReportSettings",
    "RuleSettings",
    "ScoreWeights",
    "SolverName",
    "SolverSettings",
    "TableName",
    "route_flat_keys",
]

OutputForm = Literal["auto", "contract", "office"]

#: A weight above this is a typo, not a preference: it would swamp the integer cost scale.
MAX_WEIGHT: Final[float] = 1_000.0
#: Run dates pandas can hold with every horizon of the rules added (datetime64[ns] ends 2262).
EARLIEST_AS_OF: Final[dt.date] = dt.date(1900, 1, 1)
LATEST_AS_OF: Final[dt.date] = dt.date(2200, 12, 31)
_SAMPLE_DATE: Final[dt.datetime] = dt.datetime(2026, 11, 25)


class _Validated(BaseModel):
    """pydantic's validating class methods, raising ConfigError instead of ValidationError.

    They are public (inherited from ``BaseModel``) and skip ``__init__``, where the
    constructor translates the error.
    """

    @classmethod
    def _config_error(cls, exc: ValidationError) -> ConfigError:
        return ConfigError(_describe(exc))

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Self:
        """Validate a mapping of settings (or an instance) as the constructor does.

        Parameters
        ----------
        obj
            The settings, as keyword arguments of the constructor would give them.
        strict, from_attributes, context, **kwargs
            Passed on to pydantic.

        Returns
        -------
        Self
            The validated settings.

        Raises
        ------
        ConfigError
            Every invalid or unknown setting, or ``obj`` that is no mapping of settings.
        """
        if isinstance(obj, Mapping) and (problems := _name_problems(obj)):
            raise ConfigError(problems)
        try:
            return super().model_validate(
                obj, strict=strict, from_attributes=from_attributes, context=context, **kwargs
            )
        except ValidationError as exc:
            raise cls._config_error(exc) from None

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Self:
        """Validate settings given as one JSON object.

        Parameters
        ----------
        json_data
            A JSON object of settings.
        strict, context, **kwargs
            Passed on to pydantic.

        Returns
        -------
        Self
            The validated settings.

        Raises
        ------
        ConfigError
            Text that is not a JSON object, or invalid or unknown settings in it.
        """
        try:
            return super().model_validate_json(json_data, strict=strict, context=context, **kwargs)
        except ValidationError as exc:
            raise cls._config_error(exc) from None

    @classmethod
    def model_validate_strings(
        cls, obj: Any, *, strict: bool | None = None, context: Any | None = None, **kwargs: Any
    ) -> Self:
        """Validate settings whose values are all text (as environment variables give them).

        Parameters
        ----------
        obj
            A mapping of settings to text.
        strict, context, **kwargs
            Passed on to pydantic.

        Returns
        -------
        Self
            The validated settings.

        Raises
        ------
        ConfigError
            Invalid or unknown settings, or ``obj`` that is no mapping.
        """
        try:
            return super().model_validate_strings(obj, strict=strict, context=context, **kwargs)
        except ValidationError as exc:
            raise cls._config_error(exc) from None


class _Section(_Validated):
    """A frozen settings group whose constructor raises ConfigError, never pydantic's error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise type(self)._config_error(exc) from None

    @classmethod
    def _config_error(cls, exc: ValidationError) -> ConfigError:
        return ConfigError(_describe(exc, prefix=_SECTION_OF.get(cls.__name__, "")))


class ScoreWeights(_Section):
    """Weights of the score components: finite, 0 to 1,000, and only their ratios matter.

    A pair's score is the weighted mean of its components, so doubling every weight changes
    nothing. ``load`` is not a pair component: it prices each further household of a volunteer
    (convex) in the same units, which spreads work without a heuristic. What each component
    measures is in the contract's [Scores][scores] section.

    Attributes
    ----------
    language
        Level of the best shared language, and the request's first language spoken natively.
    distance
        Nearness: 1 at the door, half at ``rules.distance_half_km``.
    time
        Share of the request's time slots the volunteer covers.
    modules
        Share of the training modules relevant to the need the volunteer completed.
    continuity
        The volunteer accompanied the household before.
    urgency
        Waiting time, and a due date coming close.
    stability
        The pair was the last run's open proposal, so proposals do not churn between runs.
    load
        Price of each further household of a volunteer (convex; not a pair component).
    success
        The learned success probability. Above 0 it needs ``rules.success_model`` (checked
        by [`MatchConfig`][lotsen_match.MatchConfig]): without a model there is nothing to
        weigh.

    Raises
    ------
    ConfigError
        A weight that is negative, above 1,000 or not finite.
    """

    language: float = Field(3.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    distance: float = Field(2.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    time: float = Field(1.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    modules: float = Field(1.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    continuity: float = Field(2.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    urgency: float = Field(1.5, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    stability: float = Field(1.5, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    load: float = Field(0.5, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)
    success: float = Field(0.0, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)

    def pair_weights(self) -> dict[str, float]:
        """Give the weights of the pair components (all but ``load``), in output order.

        Returns
        -------
        dict[str, float]
            Component name to weight, ``language`` to ``stability``.
        """
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
        """Give the weights of the named pair components, in that order.

        Parameters
        ----------
        names
            Component names, ``success`` included where a success model scores.

        Returns
        -------
        list[float]
            One weight per name.

        Raises
        ------
        ArgumentError
            A name that is no pair component nor ``success``, or ``names`` that is no
            sequence of names.
        """
        valid = (*self.pair_weights(), "success")
        if isinstance(names, str) or not isinstance(names, tuple | list):
            raise ArgumentTypeError(
                "names", f"a tuple of score component names ({', '.join(valid)})", describe(names)
            )
        for name in names:
            if not isinstance(name, str) or name not in valid:
                shown = repr(name) if isinstance(name, str) else describe(name)
                raise ArgumentError(
                    f"names: {shown} is not a score component; valid: {', '.join(valid)}"
                )
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
    """How an office's export is read: vocabulary, separators, date formats, places.

    This section is the one home of import settings: an import profile is a settings file
    with only this section (written in the profile's own keys, see :func:`route_flat_keys`),
    and validation reads nothing else.
    """

    name: str = Field("", description="Name of the export these settings describe (profiles).")
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
    geocode: bool = Field(
        True, description="Look up place / postal_code where lat and lon are both empty."
    )
    columns: dict[TableName, dict[str, str]] = Field(
        default_factory=dict,
        description="Per table, export header -> contract column (e.g. Sprachen -> languages).",
    )
    synonyms: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per vocabulary, the office's own words -> code (needs vocabulary de), "
        'e.g. need_types: "Begleitung Amt" = "authority".',
    )
    files: dict[TableName, Path] = Field(
        default_factory=dict,
        description="Per table, the export file read when none is given on the command line.",
    )

    @property
    def lang(self) -> Literal["en", "de"]:
        """Language of validation messages: ``messages``, else German for vocabulary de."""
        if self.messages is not None:
            return self.messages
        return "de" if self.vocabulary == "de" else "en"

    @property
    def separators(self) -> tuple[str, ...]:
        """Separators between list entries: ``;``, for vocabulary de also ``,`` and newline."""
        if self.list_separators is not None:
            return self.list_separators
        return (";", ",", "\n") if self.vocabulary == "de" else (";",)

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

    @field_validator("columns", mode="before")
    @classmethod
    def _targets_valid(cls, value: Any) -> Any:
        problems = column_mapping_problems(value) if isinstance(value, Mapping) else []
        if problems:
            raise ValueError(_join_problems(problems))
        return value

    @field_validator("files", mode="before")
    @classmethod
    def _file_tables_known(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            problems = [
                (f"files.{table}", f"unknown table; valid: {', '.join(MAPPABLE_COLUMNS)}")
                for table in value
                if table not in MAPPABLE_COLUMNS
            ]
            if problems:
                raise ValueError(_join_problems(problems))
        return value

    @field_validator("synonyms")
    @classmethod
    def _kinds_known(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        problems = synonym_problems(value)
        if problems:
            raise ValueError(_join_problems(problems))
        return value

    @model_validator(mode="after")
    def _synonyms_need_german(self) -> Self:
        if self.synonyms and self.vocabulary != "de":
            raise ValueError('synonyms need vocabulary = "de"')
        return self


class ReportSettings(_Section):
    """What the explanations and the HTML report show, and in which language."""

    language: Literal["de", "en"] = Field("de", description="Language of the HTML report.")
    max_alternatives: int = Field(3, ge=0, le=50, description="Next-best volunteers explained.")


class OutputSettings(_Section):
    """The form of the result files: the contract's, or the office's own export form.

    ``office`` writes the export's own headers (the inverse of ``ingest.columns``), German
    words for codes (Arabisch, Behördengang), ``;``-separated Windows-1252 CSV with decimal
    commas and dd.mm.yyyy dates, and Excel files with typed cells, so German Excel opens them
    as columns. ``auto`` (default) means office for settings that read German words
    (``vocabulary = "de"``, as every import profile of a German export does) and contract
    otherwise.
    """

    form: OutputForm = Field(
        "auto", description="contract | office | auto (office for vocabulary de)."
    )
    encoding: Literal["cp1252", "utf-8-sig"] = Field(
        "cp1252",
        description="Encoding of office CSV files: cp1252 (German Excel; characters it cannot "
        "hold are replaced, e.g. ş -> s) or utf-8-sig (UTF-8 with BOM, nothing replaced).",
    )


_SECTIONS: Final[dict[str, type[_Section]]] = {
    "rules": RuleSettings,
    "weights": ScoreWeights,
    "solver": SolverSettings,
    "ingest": IngestSettings,
    "report": ReportSettings,
    "output": OutputSettings,
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
    "output_form": ("output", "form"),
    "output_encoding": ("output", "encoding"),
}
#: Keys of an import profile's ``[geocoding]`` table -> fields of the ingest section.
GEOCODING_KEYS: Final[dict[str, str]] = {
    "places": "places",
    "near": "near",
    "near_km": "near_km",
    "enabled": "geocode",
}
#: Profile spellings that name no field but are accepted (see :func:`route_flat_keys`).
_PROFILE_ONLY_KEYS: Final[tuple[str, ...]] = ("date_format", "geocoding")


def _today() -> dt.date:
    return dt.date.today()


class MatchConfig(_Validated):
    """Everything that shapes a run: immutable, and validated however it is built.

    A run is fully described by its inputs and this config, which ``summary.json`` records for
    audit. Settings are grouped in sections; the flat names of older files and keyword
    arguments (``MatchConfig(min_language_level="B2", solver="cpsat")``) are routed to their
    section. Every setting, its default and its range are listed in the contract's
    [Configuration][configuration] section. Derive a changed copy with
    [`replace`][lotsen_match.MatchConfig.replace]; read through the sections
    (``config.rules.min_language_level``).

    Attributes
    ----------
    as_of
        Run date for every date rule (default: today).
    strict
        Strict validation stops the run at any invalid row; lenient rejects it and goes on.
    retention_days
        With a database: result rows of runs that started more than this many days before
        the current run are deleted (0 keeps only the newest run); ``match_runs`` is kept.
    output_file_mode
        Mode of the result files, in octal; the owner reads and writes (default ``0640``).
    rules
        What makes a pair admissible, and how distance, urgency and the objective count.
    weights
        The weights of the score components ([`ScoreWeights`][lotsen_match.ScoreWeights]).
    solver
        The backend (``flow``, ``cpsat``, ``greedy``) and the limits of ``cpsat``.
    ingest
        How an office's export is read: vocabulary, separators, date formats, places,
        column names. An import profile is this section.
    report
        Language and number of alternatives of the explanations and the HTML report.
    output
        Form of the result files: the contract's, or the office's own export form.

    Raises
    ------
    ConfigError
        Any invalid or unknown setting, every one listed with its name and what is valid.
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
    output: OutputSettings = Field(default_factory=lambda: OutputSettings())

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    @model_validator(mode="before")
    @classmethod
    def _route_flat_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        routed = route_flat_keys(data)
        # A section's constructor takes its settings as keywords: other names are a TypeError.
        problems = [
            problem
            for name in _SECTIONS
            if isinstance(routed.get(name), Mapping)
            for problem in _name_problems(routed[name], f"{name}.")
        ]
        if problems:
            raise ValueError(_join_problems(problems))
        return routed

    @field_validator("as_of")
    @classmethod
    def _as_of_in_range(cls, value: dt.date) -> dt.date:
        if not EARLIEST_AS_OF <= value <= LATEST_AS_OF:
            raise ValueError(f"must lie between {EARLIEST_AS_OF} and {LATEST_AS_OF}")
        return value

    @model_validator(mode="after")
    def _success_weight_needs_a_model(self) -> Self:
        # Without a model there is no success component, so the weight would silently do nothing.
        # A rule across settings holds for the layered whole, not for one file of it.
        if _ONE_LAYER.get():
            return self
        if self.weights.success > 0 and self.rules.success_model is None:
            raise ValueError(
                _join_problems(
                    [
                        (
                            "weights.success",
                            f"is {self.weights.success:g} but rules.success_model names no "
                            "model, so it would have no effect; set rules.success_model to a "
                            "model file of lotsen-match learn (.skops), or set weights.success "
                            "to 0",
                        )
                    ]
                )
            )
        return self

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str = "config", base: Path | None = None
    ) -> MatchConfig:
        """Validate a plain mapping (e.g. parsed TOML); all problems are reported at once.

        Parameters
        ----------
        data
            Settings, flat (``min_language_level``) or in sections (``[rules]``), or in the
            keys of an import profile (``date_format``, ``[geocoding]``, ``[columns.*]``).
        source
            Name used in messages (the file name).
        base
            Directory against which relative paths (``places``, ``[files]``) are resolved;
            None leaves them as given (relative to the working directory).

        Returns
        -------
        MatchConfig
            The validated config.

        Raises
        ------
        ConfigError
            Every invalid or unknown setting, with suggestions for misspelt names.
        ArgumentTypeError
            ``data`` that is no mapping, ``source`` that is no text, or ``base`` no path.
        """
        if not isinstance(data, Mapping):
            raise ArgumentTypeError(
                "data", "a mapping of settings (a dict, e.g. parsed TOML)", describe(data)
            )
        if not isinstance(source, str):
            raise ArgumentTypeError("source", "a name for messages, as text", describe(source))
        if base is not None:
            base = Path(_path(base, "base", "a directory"))
        if problems := _name_problems(data):
            raise ConfigError(problems, source=source)
        values = dict(data)
        early = _geocoding_problems(values.get("geocoding"))
        if early and isinstance(values.get("geocoding"), Mapping):
            values["geocoding"] = {
                k: v for k, v in values["geocoding"].items() if k in GEOCODING_KEYS
            }
        elif early:
            values.pop("geocoding")
        if base is not None:
            values = _resolve_paths(values, base)
        try:
            config = cls(**values)
        except ConfigError as exc:
            raise ConfigError([*early, *exc.problems], source=source) from None
        if early:
            raise ConfigError(early, source=source)
        return config

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], *more: str | os.PathLike[str]) -> MatchConfig:
        """Load a settings file: a config, an import profile, or both in one file.

        Parameters
        ----------
        path
            The file; flat keys, ``[rules]``/``[weights]``/... sections and the keys of an
            import profile (``name``, ``vocabulary``, ``date_format``, ``[geocoding]``,
            ``[files]``, ``[columns.*]``, ``[synonyms.*]``) all load. Relative paths in it
            are taken from the file's directory.
        *more
            Further files laid over the first in order (``--config`` then ``--profile``):
            a later file's setting wins; a table of ``columns``, ``files`` or ``synonyms``
            replaces the same table of an earlier file as a whole.

        Returns
        -------
        MatchConfig
            The validated config of all files together.

        Raises
        ------
        ConfigError
            Missing file, TOML syntax error or invalid values, naming the file and the setting.
        ArgumentTypeError
            A path that is neither text nor a path object.
        """
        p = Path(_path(path, "path"))
        more = tuple(_path(each, "more") for each in more)
        if not more:
            return cls.from_mapping(_read_toml(p), source=p.name, base=p.parent)
        with _one_layer():
            config = cls.from_mapping(_read_toml(p), source=p.name, base=p.parent)
            for each in more:
                config = config.with_file(each)
        return _as_a_whole(config, Path(more[-1]).name)

    def with_file(self, path: str | os.PathLike[str]) -> MatchConfig:
        """Lay a settings file over this config: the file's settings win.

        A table of ``columns``, ``files`` or ``synonyms`` in the file replaces the same table
        here as a whole; every other setting replaces its value. This is how ``--config``
        and ``--profile`` combine.

        Parameters
        ----------
        path
            A TOML settings file; relative paths in it are taken from its directory.

        Returns
        -------
        MatchConfig
            A new config; this one is unchanged.

        Raises
        ------
        ConfigError
            The file is missing, not TOML, invalid on its own or in combination.
        ArgumentTypeError
            A path that is neither text nor a path object.
        """
        p = Path(_path(path, "path"))
        data = _read_toml(p)
        with _one_layer():
            MatchConfig.from_mapping(data, source=p.name, base=p.parent)  # the file's own problems
            layer = route_flat_keys(_resolve_paths(data, p.parent))
            layered = MatchConfig.from_mapping(_overlay(self.model_dump(), layer), source=p.name)
        return _as_a_whole(layered, p.name)

    @property
    def office_output(self) -> bool:
        """Whether result files take the office's form (``output.form``, ``auto`` decides)."""
        if self.output.form == "auto":
            return self.ingest.vocabulary == "de"
        return self.output.form == "office"

    def replace(self, **changes: Any) -> MatchConfig:
        """Derive a validated copy with ``changes`` applied (flat keys or whole sections).

        Parameters
        ----------
        **changes
            Flat settings or sections, e.g. ``min_language_level="B2"``,
            ``solver="cpsat"`` or ``weights={"time": 0}`` (a section given as a dict
            changes only the keys it names).

        Returns
        -------
        MatchConfig
            A new config; this one is unchanged.

        Raises
        ------
        ConfigError
            A changed value is invalid or unknown, or given both flat and in its section.
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
        """Copy the config, validating an ``update`` as ``replace`` does.

        Pydantic's own copy skips validation, so an update could set a value that no
        constructor would accept; here it goes through
        [`replace`][lotsen_match.MatchConfig.replace].

        Parameters
        ----------
        update
            Changes, flat or by section, as for ``replace``; None or empty copies as is.
        deep
            Copy deeply when there is no update (an update builds a new config anyway).

        Returns
        -------
        Self
            The copy.

        Raises
        ------
        ConfigError
            A changed value is invalid or unknown.
        ArgumentTypeError
            ``update`` that is neither a mapping nor None.
        """
        if update is not None and not isinstance(update, Mapping):
            raise ArgumentTypeError(
                "update", "a mapping of changed settings, or None", describe(update)
            )
        if update and (problems := _name_problems(update)):
            raise ConfigError(problems)
        if not update:
            return super().model_copy(deep=deep)
        return self.replace(**update)  # type: ignore[return-value]

    def to_json_dict(self) -> dict[str, Any]:
        """Give the settings as JSON types, as ``summary.json`` records them.

        Returns
        -------
        dict[str, Any]
            Sections as nested dicts; dates as ISO text, paths as text.
        """
        return self.model_dump(mode="json")


def route_flat_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """Move flat keys (``min_language_level``, ``solver = "cpsat"``) into their sections.

    A key given both flat and inside its section is a ConfigError: which one counts is not
    obvious, so the user must choose.
    """
    out: dict[str, Any] = {}
    flat: dict[str, dict[str, Any]] = {}
    for key, value in _route_profile_keys(data).items():
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


def column_mapping_problems(columns: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems of a ``[columns.*]`` mapping: unknown tables, unknown or doubly used targets."""
    problems: list[tuple[str, str]] = []
    for table, mapping in columns.items():
        if table not in MAPPABLE_COLUMNS:
            problems.append(
                (f"columns.{table}", f"unknown table; valid: {', '.join(MAPPABLE_COLUMNS)}")
            )
            continue
        if not isinstance(mapping, Mapping):
            continue  # pydantic reports the wrong type
        seen: dict[str, str] = {}
        for header, target in mapping.items():
            if target not in MAPPABLE_COLUMNS[table]:
                close = difflib.get_close_matches(str(target), MAPPABLE_COLUMNS[table], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    (f"columns.{table}.{header}", f"{target!r} is not a column of {table}{hint}")
                )
            elif target in seen:
                problems.append(
                    (
                        f"columns.{table}",
                        f"columns {seen[target]!r} and {header!r} both map to {target!r}",
                    )
                )
            seen.setdefault(str(target), str(header))
    return problems


def synonym_problems(synonyms: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems of ``[synonyms.*]``: vocabularies that do not exist (codes are checked on use)."""
    return [
        (f"synonyms.{kind}", f"unknown vocabulary; valid: {', '.join(VOCABULARY_KINDS)}")
        for kind in synonyms
        if kind not in VOCABULARY_KINDS
    ]


def _geocoding_problems(geocoding: Any) -> list[tuple[str, str]]:
    if geocoding is None:
        return []
    if not isinstance(geocoding, Mapping):
        return [("geocoding", "must be a table of key = value (places, near, near_km, enabled)")]
    problems = []
    for key in geocoding:
        if key not in GEOCODING_KEYS:
            close = difflib.get_close_matches(str(key), sorted(GEOCODING_KEYS), n=1)
            hint = f"; did you mean geocoding.{close[0]}?" if close else ""
            problems.append((f"geocoding.{key}", f"unknown setting{hint}"))
    return problems


def _route_profile_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """Turn an import profile's own spellings into flat keys of the ingest section.

    ``date_format = "%d.%m.%Y"`` is the first of ``date_formats``; ``[geocoding]`` holds
    ``places``, ``near``, ``near_km`` and ``enabled`` (= ``geocode``).
    """
    out = dict(data)
    if "date_format" in out:
        first = out.pop("date_format")
        rest = out.get("date_formats", ())
        out["date_formats"] = [first, *rest] if isinstance(rest, list | tuple) else rest
    if "geocoding" in out:
        geocoding = out.pop("geocoding")
        problems = _geocoding_problems(geocoding)
        if problems:
            raise ConfigError(problems)
        for key, value in geocoding.items():
            field = GEOCODING_KEYS[key]
            if field in out:
                raise ConfigError(
                    [(f"geocoding.{key}", f"also given as {field}; keep one of the two")]
                )
            out[field] = value
    return out


#: Set while one layer of settings (one file) is checked on its own: rules across settings
#: (a weight and the model it weighs) are checked once the layers are combined.
_ONE_LAYER: ContextVar[bool] = ContextVar("lotsen_match_one_settings_layer", default=False)


@contextmanager
def _one_layer() -> Iterator[None]:
    token = _ONE_LAYER.set(True)
    try:
        yield
    finally:
        _ONE_LAYER.reset(token)


def _as_a_whole(config: MatchConfig, source: str) -> MatchConfig:
    """``config`` (combined from layers) checked by the rules across settings."""
    try:
        return MatchConfig(**config.model_dump())
    except ConfigError as exc:
        raise ConfigError(exc.problems, source=source) from None


def _path(value: object, argument: str, what: str = "a TOML file") -> str | os.PathLike[str]:
    """A path argument: text or a path object (``Path(None)`` would raise a TypeError)."""
    if isinstance(value, str | os.PathLike) and isinstance(os.fspath(value), str):
        return value
    raise ArgumentTypeError(argument, f"a path (str or os.PathLike) to {what}", describe(value))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([("file", "does not exist")], source=str(path)) from None
    except IsADirectoryError:
        raise ConfigError([("file", "is a directory, not a TOML file")], source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("syntax", str(exc))], source=str(path)) from None
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start} is not UTF-8 text; save the file as UTF-8"
        raise ConfigError([("file", where)], source=str(path)) from None
    except (OSError, ValueError) as exc:  # no permission, a NUL in the name, ...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        name = str(path) if str(path).isprintable() else repr(str(path))
        raise ConfigError([("file", f"cannot be read: {reason}")], source=name) from None


def _resolve_paths(data: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """Relative ``places``, ``files`` and ``success_model`` paths of a settings file, taken
    from its directory (so a settings file works from any working directory)."""

    def fix(value: Any) -> Any:
        if not isinstance(value, str | os.PathLike):
            return value
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path

    def fix_holder(holder: Any) -> Any:
        if not isinstance(holder, Mapping):
            return holder
        out = dict(holder)
        if "places" in out:
            out["places"] = fix(out["places"])
        if isinstance(out.get("files"), Mapping):
            out["files"] = {table: fix(v) for table, v in out["files"].items()}
        if out.get("success_model") is not None:
            out["success_model"] = fix(out["success_model"])
        return out

    resolved = fix_holder(data)
    for key in ("ingest", "geocoding", "rules"):
        if key in resolved:
            resolved[key] = fix_holder(resolved[key])
    return dict(resolved)


#: Fields of the ingest section whose tables a later settings file replaces one by one.
_TABLE_FIELDS: Final[frozenset[str]] = frozenset({"columns", "files", "synonyms"})


def _overlay(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` laid over ``base`` (both routed): section by section, key by key."""
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if key in _SECTIONS and isinstance(value, Mapping) and isinstance(below, Mapping):
            merged = dict(below)
            for field, inner in value.items():
                if field in _TABLE_FIELDS and isinstance(inner, Mapping):
                    previous = merged.get(field)
                    merged[field] = {**(previous if isinstance(previous, Mapping) else {}), **inner}
                else:
                    merged[field] = inner
            out[key] = merged
        else:
            out[key] = value
    return out


_PROBLEM_SEP: Final[str] = "\x1e"
_KEY_SEP: Final[str] = "\x1f"


def _name_problems(data: Mapping[Any, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Keys of a mapping of settings that are not text (settings are keyword arguments)."""
    return [
        (f"{prefix}{key!r}", "is no setting: the names of settings are text")
        for key in data
        if not isinstance(key, str)
    ]


def _join_problems(problems: list[tuple[str, str]]) -> str:
    """Several keyed problems in one validator message; :func:`_describe` splits them again."""
    return _PROBLEM_SEP.join(f"{key}{_KEY_SEP}{msg}" for key, msg in problems)


def _describe(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Turn pydantic errors into (setting, message) pairs with the valid choices spelled out."""
    fields = {*MatchConfig.model_fields, *FLAT_KEYS, *_PROFILE_ONLY_KEYS}
    fields |= {f"geocoding.{k}" for k in GEOCODING_KEYS}
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
        if _KEY_SEP in msg:  # keyed problems of one validator (column mappings, synonyms)
            out.extend(
                (key, text)
                for key, _, text in (part.partition(_KEY_SEP) for part in msg.split(_PROBLEM_SEP))
            )
            continue
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
