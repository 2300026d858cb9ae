"""Import profiles: how one office's export is to be read, written down once in a TOML file.

An export is described by its column headers, the separator between entries of a list cell
("," or ";"), its vocabulary (contract codes or German words), its date format, and where
place names are geocoded. A profile says all of that, so that a coordinator's Monday-morning
export loads without editing it::

    name = "Fallverwaltung Hildesheim"
    vocabulary = "de"                 # spec (contract codes) | de (also German/English words)
    date_format = "%d.%m.%Y"
    list_separators = [";", ","]

    [geocoding]
    near = "Hildesheim"               # ambiguous place names: the one within near_km
    places = "orte.csv"               # optional own table: postal code / place -> lat, lon

    [columns.requests]
    "Anfrage-ID" = "request_id"
    "Wohnort" = "place"

    [synonyms.need_types]
    "Begleitung Amt" = "authority"

:func:`lotsen_match.validation.describe.describe_profile` shows, before anything runs, how
each column was understood.
"""

from __future__ import annotations

import difflib
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from ..contract import CLEAN_DTYPES
from ..errors import ConfigError
from ..io import read_table
from ..io.inputs import TableSource
from ..io.limits import InputLimits
from .options import ATTRS_KEY, ImportOptions
from .vocabulary_de import KINDS, Lang

__all__ = [
    "PROFILE_TABLES",
    "Profile",
    "load_profile",
    "load_with_profile",
]

logger = logging.getLogger(__name__)

PROFILE_TABLES: Final[tuple[str, ...]] = ("volunteers", "requests", "assignments")
_TOP_KEYS: Final[frozenset[str]] = frozenset(
    {
        "name",
        "vocabulary",
        "messages",
        "date_format",
        "date_formats",
        "list_separators",
        "geocoding",
        "columns",
        "synonyms",
        "files",
    }
)
_GEOCODING_KEYS: Final[frozenset[str]] = frozenset({"places", "near", "near_km", "enabled"})
#: Contract columns a profile may map onto, per table (the contract columns plus place columns).
TARGETS: Final[dict[str, tuple[str, ...]]] = {
    table: tuple(
        c
        for c in (
            *CLEAN_DTYPES[table],
            *(("place", "postal_code") if table != "assignments" else ()),
        )
        if not c.endswith("_mask") and c != "need_code"
    )
    for table in PROFILE_TABLES
}


@dataclass(frozen=True)
class Profile:
    """An import profile (see the module docstring); paths are resolved against its file."""

    name: str = ""
    vocabulary: Literal["spec", "de"] = "spec"
    messages: Literal["en", "de"] | None = None
    date_formats: tuple[str, ...] = ()
    list_separators: tuple[str, ...] | None = None
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    synonyms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    places: Path | None = None
    near: str | None = None
    near_km: float = 30.0
    geocode: bool = True
    files: Mapping[str, Path] = field(default_factory=dict)
    source: str = "<profile>"

    def options(self) -> ImportOptions:
        """The validation options this profile stands for."""
        return ImportOptions(
            vocabulary=self.vocabulary,
            messages=self.messages,
            list_separators=self.list_separators,
            date_formats=self.date_formats,
            synonyms=self.synonyms,
            places=os.fspath(self.places) if self.places is not None else None,
            near=self.near,
            near_km=self.near_km,
            geocode=self.geocode,
        )

    @property
    def lang(self) -> Lang:
        """Language of messages and of the description table."""
        return self.options().lang


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and check a profile; every problem is reported at once as a :class:`ConfigError`."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([("file", "does not exist")], source=str(p)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("syntax", str(exc))], source=str(p)) from None
    return profile_from_mapping(data, base=p.parent, source=p.name)


def profile_from_mapping(
    data: Mapping[str, Any], *, base: Path | None = None, source: str = "<profile>"
) -> Profile:
    """Build a profile from parsed TOML; relative paths are taken from ``base``."""
    problems: list[tuple[str, str]] = []
    base = base or Path.cwd()
    _unknown_keys(data, _TOP_KEYS, "", problems)
    geo = data.get("geocoding", {})
    if isinstance(geo, Mapping):
        _unknown_keys(geo, _GEOCODING_KEYS, "geocoding.", problems)
    columns = _table_section(data.get("columns", {}), "columns", problems)
    for table, mapping in columns.items():
        for header, target in mapping.items():
            if target not in TARGETS[table]:
                close = difflib.get_close_matches(target, TARGETS[table], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    (f"columns.{table}.{header}", f"{target!r} is not a column of {table}{hint}")
                )
        targets = list(mapping.values())
        for target in {t for t in targets if targets.count(t) > 1}:
            problems.append((f"columns.{table}", f"two headers map to {target!r}"))
    files = {
        table: base / str(value)
        for table, value in _plain_section(data.get("files", {}), "files", problems).items()
        if _check_table(table, "files", problems)
    }
    synonyms = {
        str(kind): {str(k): str(v) for k, v in words.items()}
        for kind, words in _nested(data.get("synonyms", {}), "synonyms", problems).items()
    }
    for kind in synonyms:
        if kind not in KINDS:
            problems.append((f"synonyms.{kind}", f"unknown vocabulary; valid: {', '.join(KINDS)}"))
    date_formats = data.get("date_formats", [])
    if "date_format" in data:
        date_formats = [data["date_format"], *date_formats]
    separators = data.get("list_separators")
    if separators is not None and not all(separators):
        problems.append(("list_separators", "a separator cannot be empty"))
    places = geo.get("places") if isinstance(geo, Mapping) else None
    fields: dict[str, Any] = {
        "name": str(data.get("name", "")),
        "vocabulary": data.get("vocabulary", "spec"),
        "messages": data.get("messages"),
        "date_formats": tuple(str(f) for f in date_formats),
        "list_separators": tuple(str(s) for s in separators) if separators is not None else None,
        "columns": columns,
        "synonyms": {k: v for k, v in synonyms.items() if k in KINDS},
        "places": base / str(places) if places else None,
        "near": geo.get("near") if isinstance(geo, Mapping) else None,
        "near_km": float(geo.get("near_km", 30.0)) if isinstance(geo, Mapping) else 30.0,
        "geocode": bool(geo.get("enabled", True)) if isinstance(geo, Mapping) else True,
        "files": files,
        "source": source,
    }
    if problems:
        raise ConfigError(problems, source=source)
    profile = Profile(**fields)
    try:
        options = profile.options()
        if profile.geocode and (profile.near or profile.places):
            options.geocoder()  # a wrong centre or a broken places table fails here
    except (ValueError, OSError) as exc:
        raise ConfigError([("profile", str(exc))], source=source) from None
    return profile


def _unknown_keys(
    data: Mapping[str, Any], known: frozenset[str], prefix: str, problems: list[tuple[str, str]]
) -> None:
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"; did you mean {prefix}{close[0]}?" if close else ""
            problems.append((f"{prefix}{key}", f"unknown setting{hint}"))


def _check_table(table: str, section: str, problems: list[tuple[str, str]]) -> bool:
    if table in PROFILE_TABLES:
        return True
    problems.append((f"{section}.{table}", f"unknown table; valid: {', '.join(PROFILE_TABLES)}"))
    return False


def _plain_section(value: Any, section: str, problems: list[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        problems.append((section, "must be a table of key = value"))
        return {}
    return {str(k): v for k, v in value.items()}


def _nested(value: Any, section: str, problems: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, inner in _plain_section(value, section, problems).items():
        if isinstance(inner, Mapping):
            out[key] = {str(k): v for k, v in inner.items()}
        else:
            problems.append((f"{section}.{key}", "must be a table of key = value"))
    return out


def _table_section(
    value: Any, section: str, problems: list[tuple[str, str]]
) -> dict[str, dict[str, str]]:
    nested = _nested(value, section, problems)
    return {
        table: {str(k): str(v) for k, v in mapping.items()}
        for table, mapping in nested.items()
        if _check_table(table, section, problems)
    }


# ------------------------------------------------------------------------------------------------
# loading


def load_with_profile(
    profile: str | os.PathLike[str] | Profile,
    *,
    volunteers: TableSource | None = None,
    requests: TableSource | None = None,
    assignments: TableSource | None = None,
    limits: InputLimits | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the tables as the profile says: raw frames ready for ``validate_caseload``.

    Headers are mapped onto contract columns (messages still name the export's headers), and
    every frame carries the profile's reading options in ``attrs`` so that
    ``validate_caseload(frames["volunteers"], frames["requests"], ...)`` uses its vocabulary,
    separators, date formats and geocoding without further arguments. Tables not given are
    taken from the profile's ``[files]``; a table given nowhere is left out. ``limits`` bound
    the reading (see :func:`lotsen_match.io.read_table`).
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    options = prof.options().to_attrs()
    given = {"volunteers": volunteers, "requests": requests, "assignments": assignments}
    frames: dict[str, pd.DataFrame] = {}
    for table, source in given.items():
        source = source if source is not None else prof.files.get(table)
        if source is None:
            continue
        frame = read_table(
            source, table=table, column_mapping=prof.columns.get(table), limits=limits
        )
        frame.attrs[ATTRS_KEY] = options
        frames[table] = frame
    logger.info("loaded %s with profile %s", ", ".join(frames), prof.source)
    return frames


# ------------------------------------------------------------------------------------------------
# how each column was understood
