"""How each export column was understood: the table ``lotsen-match validate --profile`` shows.

It runs the table checks on the raw frames of :func:`lotsen_match.ingest.profile.load_with_profile`
and reads off, per column, what the library made of it, so a coordinator sees before any run
whether "Sprachkenntnisse" became languages and "Wohnort" coordinates.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from ..config import IngestSettings, MatchConfig
from ..contract import CLEAN_DTYPES, TABLE_LABELS
from ..errors import InputValidationError
from ..ingest.options import geocoder_for
from ..ingest.profile import PROFILE_TABLES, TARGETS, load_profile
from ..ingest.vocabulary_de import Lang
from . import parsers as vp
from .problems import MAX_VALUE_CHARS, truncate
from .tables import CHECKS, TableCheck

__all__ = ["DESCRIBE_HEADERS", "describe_profile", "describe_text", "render_table"]

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
#: Titles of the description's columns as ``lotsen-match validate --profile`` shows them.
DESCRIBE_HEADERS: Final[dict[Lang, dict[str, str]]] = {
    "de": {
        "table": "Tabelle",
        "export_column": "Spalte im Export",
        "contract_column": "Vertragsspalte",
        "understood_as": "verstanden als",
        "example": "Beispiel",
        "example_parsed": "gelesen als",
        "filled": "gefüllt",
        "invalid": "ungültig",
    },
    "en": {
        "table": "table",
        "export_column": "export column",
        "contract_column": "contract column",
        "understood_as": "understood as",
        "example": "example",
        "example_parsed": "read as",
        "filled": "filled",
        "invalid": "invalid",
    },
}
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
_VOLUNTEER_STATUS_MEANING: Final[dict[tuple[str, Lang], str]] = {
    ("de", "de"): "Status: aktiv / inaktiv / pausiert (leer = aktiv; nur aktive werden "
    "vorgeschlagen)",
    ("de", "en"): "status: active / inactive / paused (German words too; empty = active)",
    ("spec", "de"): "Status: active / inactive / paused (leer = aktiv)",
    ("spec", "en"): "status: active / inactive / paused (empty = active)",
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
    profile: str | os.PathLike[str] | MatchConfig, raw_frames: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """How each export column was understood: a short table to show before anything runs.

    One row per column of each raw frame (from :func:`load_with_profile`): the export's header,
    the contract column it feeds, what the library reads in it, one accepted example with what
    it became, and how many cells are filled and invalid. Coordinates computed from place
    names get a row of their own. Columns the library ignores are listed as such, without an
    example (they may hold free text). ``df.attrs["files"]`` names source, encoding and
    delimiter per table.
    """
    config = profile if isinstance(profile, MatchConfig) else load_profile(profile)
    prof = config.ingest
    lang = prof.lang
    records: list[dict[str, Any]] = []
    files: dict[str, dict[str, Any]] = {}
    for table in PROFILE_TABLES:
        raw = raw_frames.get(table)
        if raw is None:
            continue
        files[table] = {k: raw.attrs.get(k) for k in ("source", "encoding", "delimiter")}
        files[table]["rows"] = len(raw)
        try:
            check: TableCheck | None = CHECKS[table](raw, config)
        except InputValidationError:  # missing columns: still describe what is there
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
    prof: IngestSettings,
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
        "understood_as": _meaning(column, prof, lang, table) if known else _IGNORED[lang],
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
        record["example"] = truncate(str(vp.take_values(text, np.array([i]))[0]), MAX_VALUE_CHARS)
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


def _meaning(column: str, prof: IngestSettings, lang: Lang, table: str = "") -> str:
    if column == "status" and table == "volunteers":
        return _VOLUNTEER_STATUS_MEANING[(prof.vocabulary, lang)]
    if column in _MEANING:
        text = _MEANING[column][lang]
        if column in ("lat", "lon", "max_distance_km"):
            text += " (Dezimalkomma erlaubt)" if lang == "de" else " (decimal comma allowed)"
        if column in _DATE_COLUMNS:
            formats = ", ".join(dict.fromkeys([*prof.date_formats, *vp.DATE_FORMATS[:3]]))
            text += f" [{formats}]"
        return text
    if column in _VOCAB_MEANING:
        text = _VOCAB_MEANING[column][(prof.vocabulary, lang)]
        seps = " ".join(repr(s) for s in prof.separators if s != "\n")
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
    result = geocoder_for(check.opts).geocode(vp.text_values(place), vp.text_values(postal))
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


def describe_text(frame: pd.DataFrame, lang: Lang, width: int | None = None) -> str:
    """The description as a text table with titles in ``lang``; no value is cut off.

    ``width`` is the terminal's: long cells wrap inside their column there. Without one (a
    pipe, a log file) the table is as wide as its longest cells, one line per export column.
    """
    titles = DESCRIBE_HEADERS[lang]
    shown = frame.copy()
    if lang == "de":
        shown["table"] = shown["table"].map(lambda t: TABLE_LABELS.get(str(t), {}).get("de", t))
    columns = [c for c in _DESCRIBE_COLUMNS if c in shown.columns]
    rows = [[str(v) for v in row] for row in shown[columns].itertuples(index=False)]
    return render_table(
        [titles[c] for c in columns], rows, width=width, right=("filled", "invalid")
    )


#: The narrowest a column gets when a table wraps in a narrow terminal.
_MIN_COLUMN: Final[int] = 8


def render_table(
    titles: list[str],
    rows: list[list[str]],
    *,
    width: int | None = None,
    right: tuple[str, ...] = (),
) -> str:
    """Plain text table; cells wrap inside their column at ``width``, else nothing wraps.

    ``right`` names the titles whose column is right-aligned (counts).
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    natural = [max([len(t), *(len(r[i]) for r in rows)]) for i, t in enumerate(titles)]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    right_titles = {DESCRIBE_HEADERS[lang][c] for c in right for lang in DESCRIBE_HEADERS}
    total = sum(natural) + 3 * len(titles) + 4
    fits = width is None or total <= width
    for i, (title, size) in enumerate(zip(titles, natural, strict=True)):
        # Too wide for the terminal: the first column (the key) stays whole, the others wrap,
        # each getting room in proportion to its longest cell (long meanings get most).
        whole = fits or i == 0
        table.add_column(
            title,
            justify="right" if title in right_titles or title in right else "left",
            overflow="fold",
            no_wrap=whole,
            min_width=size if whole else min(size, _MIN_COLUMN),
            ratio=None if whole else size,
        )
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=min(width, total) if width else total,
        color_system=None,
        force_terminal=False,
        highlight=False,
        soft_wrap=False,
    )
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
