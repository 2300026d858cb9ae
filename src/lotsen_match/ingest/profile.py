"""Import profiles: how one office's export is to be read, written down once in a TOML file.

An export is described by its column headers, the separator between entries of a list cell
("," or ";"), its vocabulary (contract codes or German words), its date format, and where
place names are geocoded. A profile says all of that, so that a coordinator's Monday-morning
export loads without editing it::

    name = "Fallverwaltung Hildesheim"
    vocabulary = "de"                 # spec (SPEC.md codes) | de (also German/English words)
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

:func:`describe_profile` shows, before anything runs, how each column was understood.
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

import numpy as np
import pandas as pd

from ..config import MatchConfig
from ..errors import ConfigError
from ..io import read_table
from ..validation import parsers as vp
from ..validation.problems import truncate
from ..validation.tables import CHECKS, CLEAN_DTYPES, TableCheck
from .options import ATTRS_KEY, ImportOptions
from .vocabulary_de import KINDS, Lang

__all__ = [
    "PROFILE_TABLES",
    "Profile",
    "describe_profile",
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
#: Contract columns a profile may map onto, per table (the SPEC columns plus place columns).
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


TableSource = str | os.PathLike[str] | pd.DataFrame


def load_with_profile(
    profile: str | os.PathLike[str] | Profile,
    *,
    volunteers: TableSource | None = None,
    requests: TableSource | None = None,
    assignments: TableSource | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the tables as the profile says: raw frames ready for ``validate_caseload``.

    Headers are mapped onto contract columns (messages still name the export's headers), and
    every frame carries the profile's reading options in ``attrs`` so that
    ``validate_caseload(frames["volunteers"], frames["requests"], ...)`` uses its vocabulary,
    separators, date formats and geocoding without further arguments. Tables not given are
    taken from the profile's ``[files]``; a table given nowhere is left out.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    options = prof.options().to_attrs()
    given = {"volunteers": volunteers, "requests": requests, "assignments": assignments}
    frames: dict[str, pd.DataFrame] = {}
    for table, source in given.items():
        source = source if source is not None else prof.files.get(table)
        if source is None:
            continue
        frame = read_table(source, table=table, column_mapping=prof.columns.get(table))
        frame.attrs[ATTRS_KEY] = options
        frames[table] = frame
    logger.info("loaded %s with profile %s", ", ".join(frames), prof.source)
    return frames


# ------------------------------------------------------------------------------------------------
# how each column was understood


_DESCRIBE_COLUMNS: Final[tuple[str, ...]] = (
    "table",
    "export_column",
    "contract_column",
    "understood_as",
    "example",
    "example_parsed",
    "filled",
    "invalid",
)
_MEANING: Final[dict[str, dict[Lang, str]]] = {
    "volunteer_id": {"de": "Lotsen-ID (pseudonym, eindeutig)", "en": "volunteer id (unique)"},
    "request_id": {"de": "Anfrage-ID (pseudonym, eindeutig)", "en": "request id (unique)"},
    "household_id": {"de": "Haushalt (ID)", "en": "household id"},
    "lat": {"de": "Breitengrad (WGS84)", "en": "latitude (WGS84)"},
    "lon": {"de": "Längengrad (WGS84)", "en": "longitude (WGS84)"},
    "max_distance_km": {"de": "Entfernung in km", "en": "distance in km"},
    "capacity": {"de": "Haushalte gleichzeitig (ganze Zahl)", "en": "households at once"},
    "excluded_volunteers": {"de": "ausgeschlossene Lotsen-IDs", "en": "excluded volunteer ids"},
    "previous_volunteer_id": {"de": "bisherige Lotsen-ID", "en": "previous volunteer id"},
    "involves_minors": {"de": "ja/nein (x = ja)", "en": "yes/no"},
    "certified_on": {"de": "Datum der Qualifizierung", "en": "qualification date"},
    "police_check_until": {"de": "Führungszeugnis gültig bis", "en": "police check valid until"},
    "available_from": {"de": "aktiv ab (Datum)", "en": "active from (date)"},
    "available_until": {"de": "aktiv bis (Datum)", "en": "active until (date)"},
    "created_on": {"de": "Eingangsdatum", "en": "date opened"},
    "due_on": {"de": "Termin (Datum)", "en": "appointment date"},
}
_VOCAB_MEANING: Final[dict[str, dict[tuple[str, Lang], str]]] = {
    "languages": {
        ("de", "de"): "Sprachen mit Niveau: Namen (Arabisch, Farsi, …) oder ISO-Codes",
        ("de", "en"): "languages with level: names (Arabic, Farsi, ...) or ISO codes",
        ("spec", "de"): "Sprachen als code:Niveau",
        ("spec", "en"): "languages as code:level",
    },
    "need_types": {
        ("de", "de"): "Bedarfe: Schule/Kita, Behörde, Arzt, Wohnen, Arbeit, Alltag, …",
        ("de", "en"): "need types: school, authority, health, ... (German words too)",
        ("spec", "de"): "Bedarfe als Codes (school, authority, …)",
        ("spec", "en"): "need type codes (school, authority, ...)",
    },
    "availability": {
        ("de", "de"): "Zeitfenster (Di abends, Mo-Fr vormittags, …); leer = jederzeit",
        ("de", "en"): "time slots (Tue evening, Mon-Fri mornings, ...); empty = any time",
        ("spec", "de"): "Zeitfenster als Codes (tue-eve, …); leer = jederzeit",
        ("spec", "en"): "time slot codes (tue-eve, ...); empty = any time",
    },
    "gender": {
        ("de", "de"): "w/m/d",
        ("de", "en"): "f/m/d (w, weiblich, ...)",
        ("spec", "de"): "f/m/d",
        ("spec", "en"): "f/m/d",
    },
    "modules": {
        ("de", "de"): "Fortbildungsmodule (Titel oder Kurzname, 'alle')",
        ("de", "en"): "training modules (titles or short names, 'all')",
        ("spec", "de"): "Fortbildungsmodule als Codes",
        ("spec", "en"): "training module codes",
    },
    "status": {
        ("de", "de"): "Status: aktiv / vorgeschlagen / abgelehnt",
        ("de", "en"): "status: active / proposed / declined (German words too)",
        ("spec", "de"): "Status: active / proposed / declined",
        ("spec", "en"): "status: active / proposed / declined",
    },
}
_VOCAB_MEANING["need_type"] = _VOCAB_MEANING["need_types"]
_VOCAB_MEANING["preferred_gender"] = _VOCAB_MEANING["gender"]
_DATE_COLUMNS: Final[frozenset[str]] = frozenset(
    c
    for table in CLEAN_DTYPES.values()
    for c, dtype in table.items()
    if dtype.startswith("datetime")
)
_IGNORED: Final[dict[Lang, str]] = {"de": "(nicht verwendet)", "en": "(ignored)"}


def describe_profile(
    profile: str | os.PathLike[str] | Profile, raw_frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """How each export column was understood: a short table to show before anything runs.

    One row per column of each raw frame (from :func:`load_with_profile`): the export's header,
    the contract column it feeds, what the library reads in it, one accepted example with what
    it became, and how many cells are filled and invalid. Coordinates computed from place
    names get a row of their own. Columns the library ignores are listed as such, without an
    example (they may hold free text). ``df.attrs["files"]`` names source, encoding and
    delimiter per table.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    options = prof.options()
    lang = options.lang
    config = MatchConfig()
    records: list[dict[str, Any]] = []
    files: dict[str, dict[str, Any]] = {}
    for table in PROFILE_TABLES:
        raw = raw_frames.get(table)
        if raw is None:
            continue
        files[table] = {k: raw.attrs.get(k) for k in ("source", "encoding", "delimiter")}
        files[table]["rows"] = len(raw)
        try:
            check: TableCheck | None = CHECKS[table](raw, config, options)
        except Exception:  # missing columns: still describe what is there
            check = None
        original = raw.attrs.get("original_columns", {}) or {}
        for column in [c for c in raw.columns if c != "_row"]:
            records.append(_describe_column(table, str(column), raw, check, original, prof, lang))
        if check is not None and "lat" not in raw.columns and "place" in raw.columns:
            records.append(_geocoded_row(table, check, lang))
    frame = pd.DataFrame.from_records(records, columns=list(_DESCRIBE_COLUMNS))
    frame = frame.astype({c: object for c in _DESCRIBE_COLUMNS if c not in ("filled", "invalid")})
    frame.attrs["files"] = files
    return frame


def _describe_column(
    table: str,
    column: str,
    raw: pd.DataFrame,
    check: TableCheck | None,
    original: Mapping[str, str],
    prof: Profile,
    lang: Lang,
) -> dict[str, Any]:
    header = str(original.get(column, column))
    text = vp.to_text(raw[column])
    filled = ~vp.missing(text)
    known = column in TARGETS[table]
    record: dict[str, Any] = {
        "table": table,
        "export_column": header,
        "contract_column": column if known else "",
        "understood_as": _meaning(column, prof, lang) if known else _IGNORED[lang],
        "example": "",
        "example_parsed": "",
        "filled": int(filled.sum()),
        "invalid": 0,
    }
    if not known or check is None:
        return record
    problems = check.problems.frame()
    bad_rows = problems.loc[problems["column"] == header, "row"]
    record["invalid"] = int(bad_rows.nunique())
    labels = check.problems.labels
    good = filled & ~np.isin(labels, bad_rows.to_numpy())
    if good.any():
        i = int(np.flatnonzero(good)[0])
        record["example"] = truncate(str(vp.take_values(text, np.array([i]))[0]), 60)
        record["example_parsed"] = _parsed_value(check, column, i)
    return record


def _parsed_value(check: TableCheck, column: str, i: int) -> str:
    if column in ("place", "postal_code"):
        if "lat" in check.values:
            return f"{check.values['lat'][i]:.5f}, {check.values['lon'][i]:.5f}"
        return ""
    values = check.values.get(column)
    if values is None:
        return ""
    value = values[i]
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _meaning(column: str, prof: Profile, lang: Lang) -> str:
    if column in _MEANING:
        text = _MEANING[column][lang]
        if column in ("lat", "lon", "max_distance_km"):
            text += " (Dezimalkomma erlaubt)" if lang == "de" else " (decimal comma allowed)"
        if column in _DATE_COLUMNS:
            formats = ", ".join(dict.fromkeys([*prof.date_formats, "%Y-%m-%d", "%d.%m.%Y"]))
            text += f" [{formats}]"
        return text
    if column in _VOCAB_MEANING:
        text = _VOCAB_MEANING[column][(prof.vocabulary, lang)]
        seps = " ".join(repr(s) for s in prof.options().separators if s != "\n")
        if column in ("languages", "need_types", "availability", "modules"):
            text += f"; Trennzeichen {seps}" if lang == "de" else f"; separators {seps}"
        return text
    if column == "place":
        if lang == "de":
            own = " + eigene Tabelle" if prof.places else ""
            near = f", mehrdeutige Orte nahe {prof.near}" if prof.near else ""
            return (
                "Ort → Koordinaten, wo Breiten-/Längengrad fehlen "
                f"(GeoNames Niedersachsen{own}{near})"
            )
        own = " + own table" if prof.places else ""
        near = f", ambiguous names near {prof.near}" if prof.near else ""
        return f"place -> coordinates where lat/lon are empty (GeoNames Lower Saxony{own}{near})"
    if column == "postal_code":
        if lang == "de":
            return "Postleitzahl → Koordinaten (über eine eigene Tabelle)"
        return "postal code -> coordinates (through your own table)"
    return column


_HOW_DE: Final[dict[str, str]] = {
    "name": "Name",
    "spelling": "Schreibweise",
    "district": "Ortsteil",
    "town (district not listed)": "Ortsteil → Ort",
    "near the office": "nahe der Stelle",
    "user table": "eigene Tabelle",
}


def _geocoded_row(table: str, check: TableCheck, lang: Lang) -> dict[str, Any]:
    """The coordinates the table lacks, computed from places: how many, and how resolved."""
    lat = check.values.get("lat", np.zeros(0))
    resolved = int(np.isfinite(lat).sum())
    place = check.text("place")
    postal = check.text("postal_code")
    result = check.opts.geocoder().geocode(vp.text_values(place), vp.text_values(postal))
    counts = {k: v for k, v in result.counts().items() if k in _HOW_DE}
    shown = ", ".join(
        f"{n} {_HOW_DE[k] if lang == 'de' else k}"
        for k, n in sorted(counts.items(), key=lambda x: -x[1])
    )
    what = "Koordinaten aus Ortsnamen" if lang == "de" else "coordinates from place names"
    return {
        "table": table,
        "export_column": "(berechnet aus Ort)" if lang == "de" else "(computed from place)",
        "contract_column": "lat, lon",
        "understood_as": f"{what}: {shown}" if shown else what,
        "example": "",
        "example_parsed": "",
        "filled": resolved,
        "invalid": int(check.n - resolved),
    }
