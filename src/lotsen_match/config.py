"""Run configuration: one validated pydantic model, loadable from TOML.

Every setting of SPEC.md lives here so that a run is fully described by (inputs, config) and
``summary.json`` can record it for audit.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

__all__ = [
    "LevelName",
    "MatchConfig",
    "ScoreWeights",
    "TableName",
]


LevelName = Literal["A1", "A2", "B1", "B2", "C1", "C2", "native"]
TableName = Literal["volunteers", "requests", "assignments"]


class ScoreWeights(BaseModel):
    """Weights of the score components (any non-negative numbers; they are normalised).

    A pair's quality is the weighted mean of its components, so doubling every weight changes
    nothing. ``load`` is not a pair component: it prices each further household of a volunteer
    (convex) in the same units, which spreads work without a heuristic.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: float = Field(3.0, ge=0)
    distance: float = Field(2.0, ge=0)
    time: float = Field(1.0, ge=0)
    modules: float = Field(1.0, ge=0)
    continuity: float = Field(2.0, ge=0)
    urgency: float = Field(1.5, ge=0)
    stability: float = Field(1.5, ge=0)
    load: float = Field(0.5, ge=0)

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


def _today() -> dt.date:
    return dt.date.today()


class MatchConfig(BaseModel):
    """Everything that shapes a run; immutable (change a copy with ``model_copy(update=...)``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: dt.date = Field(default_factory=_today, description="Run date for every date rule.")
    min_language_level: LevelName = Field(
        "B1", description="Both sides must speak a shared language at least this well."
    )
    default_max_distance_km: float = Field(
        10.0, gt=0, le=500, description="Travel radius of volunteers who did not state one."
    )
    require_certification: bool = Field(
        True, description="Only volunteers with a completed qualification (certified_on <= as_of)."
    )
    weights: ScoreWeights = Field(default_factory=lambda: ScoreWeights())
    objective: Literal["max_served", "quality"] = Field(
        "max_served",
        description="max_served: serve as many requests as possible, then maximise quality; "
        "quality: maximise total quality only.",
    )
    solver: Literal["flow", "cpsat", "greedy"] = Field(
        "flow", description="flow (exact, default), cpsat (exact, cross-check), greedy (baseline)."
    )
    time_limit_s: float = Field(60.0, gt=0, description="Time limit of the cpsat backend.")
    num_workers: int = Field(2, ge=1, le=64, description="Threads of the cpsat backend.")
    strict: bool = Field(
        True, description="Strict: any invalid row stops the run. Lenient: reject the row, go on."
    )
    distance_half_km: float = Field(
        5.0, gt=0, description="Distance at which the distance component has halved."
    )
    waiting_full_days: int = Field(
        90, gt=0, description="Waiting time at which the urgency component reaches 1."
    )
    urgency_horizon_days: int = Field(
        28, gt=0, description="A due date this many days ahead starts to raise urgency."
    )
    max_alternatives: int = Field(3, ge=0, le=50, description="Next-best volunteers explained.")
    report_language: Literal["de", "en"] = Field("de", description="Language of the HTML report.")
    vocabulary: Literal["spec", "de"] = Field(
        "spec",
        description="spec: SPEC.md codes only; de: also German/English words of real exports "
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
    near_km: float = Field(30.0, gt=0, description="How far from `near` such a place may lie.")
    columns: dict[TableName, dict[str, str]] = Field(
        default_factory=dict,
        description="Per table, export header -> contract column (e.g. Sprachen -> languages).",
    )

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

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "config") -> MatchConfig:
        """Validate a plain mapping (e.g. parsed TOML); all problems are reported at once."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ConfigError(_describe(exc), source=source) from None

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> MatchConfig:
        """Load a TOML file; syntax errors and bad values name the file and the setting."""
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError([("file", "does not exist")], source=str(p)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([("syntax", str(exc))], source=str(p)) from None
        return cls.from_mapping(data, source=p.name)

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO text) for summary.json."""
        return self.model_dump(mode="json")


def _describe(exc: ValidationError) -> list[tuple[str, str]]:
    """Turn pydantic errors into (setting, message) pairs with the valid choices spelled out."""
    fields = set(MatchConfig.model_fields) | {f"weights.{w}" for w in ScoreWeights.model_fields}
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(loc, sorted(fields), n=1)
            msg = "unknown setting" + (f"; did you mean {close[0]!r}?" if close else "")
        elif "input" in err and err["type"] not in ("missing",):
            msg = f"{msg} (got {err['input']!r})"
        out.append((loc or "config", msg))
    return out
