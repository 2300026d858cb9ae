"""Build data/deutsch/: the sample caseload as an office's German export, and its twin.

The caseload of ``scripts/make_samples.py`` (same seed), written the way case software in a
German office exports it: German headers, German words instead of codes ("Arabisch
(Muttersprache), Deutsch B1", "Behördengang", "Di abends", "ja", "w"), mixed spellings of the
same thing, Windows-1252, ``;``, decimal commas, and a place name instead of coordinates. Next
to it, ``spec/`` holds the same caseload in contract form with each person at the coordinates
of their GeoNames place, so that both must give identical match results, and ``profil.toml``
says how to read the export. Deterministic: reruns give identical bytes.

    .venv/bin/python scripts/make_german_samples.py            # writes data/deutsch/
    .venv/bin/python scripts/make_german_samples.py --out DIR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_samples import (
    AS_OF,
    CENTRE,
    GERMAN,
    PLAIN,
    RADIUS_KM,
    SEED,
    TABLES,
    sample_caseload,
    table_rows,
    write_csv,
)

from lotsen_match.core.vocab import DAY_PARTS, DAYS
from lotsen_match.ingest.places import load_places, places_within
from lotsen_match.ingest.vocabulary_de import DAY_LABELS_DE, MODULE_LABELS_DE, PART_LABELS_DE
from lotsen_match.ingest.vocabulary_de import label as vocab_label

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "deutsch"
FILES = {
    "volunteers": "ehrenamtliche.csv",
    "requests": "anfragen.csv",
    "assignments": "zuordnungen.csv",
}
#: Contract column -> header of this export (a different case software than the first sample).
HEADERS: dict[str, dict[str, str]] = {
    "volunteers": {
        "volunteer_id": "Lotsen-Nr.",
        "languages": "Sprachkenntnisse",
        "place": "Wohnort",
        "max_distance_km": "Max. Entfernung (km)",
        "need_types": "Einsatzbereiche",
        "availability": "Zeiten",
        "capacity": "Kapazität (Haushalte)",
        "gender": "Geschlecht",
        "certified_on": "Qualifiziert am",
        "modules": "Fortbildungsmodule",
        "police_check_until": "Führungszeugnis gültig bis",
        "available_from": "Aktiv ab",
        "available_until": "Aktiv bis",
    },
    "requests": {
        "request_id": "Anfrage-Nr.",
        "household_id": "Haushalt",
        "languages": "Sprachen",
        "place": "Wohnort",
        "need_type": "Anliegen",
        "availability": "Zeiten",
        "created_on": "Eingang",
        "due_on": "Termin",
        "involves_minors": "Kinder beteiligt",
        "preferred_gender": "Wunsch Lotsin/Lotse",
        "excluded_volunteers": "Nicht vorschlagen",
        "previous_volunteer_id": "Bisherige Lotsin/Lotse",
    },
    "assignments": {
        "request_id": "Anfrage-Nr.",
        "volunteer_id": "Lotsen-Nr.",
        "status": "Stand",
    },
}
LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "native": ("{} (Muttersprache)", "{}: Muttersprache", "Muttersprache {}", "{} Muttersprache"),
    "C2": ("{} C2", "{} verhandlungssicher"),
    "C1": ("{} C1", "{} fließend", "{} (C1)"),
    "B2": ("{} B2", "{} sehr gut"),
    "B1": ("{} B1", "{} gut", "{} (B1)"),
    "A2": ("{} A2", "{} Grundkenntnisse"),
    "A1": ("{} A1",),
}
NEED_WORDS: dict[str, tuple[str, ...]] = {
    "school": ("Schule", "Elternabend", "Kita"),
    "authority": ("Behördengang", "Jobcenter", "Ausländerbehörde", "Behörde"),
    "health": ("Arzt", "Gesundheit", "Arzttermin"),
    "housing": ("Wohnung", "Wohnungssuche"),
    "work": ("Arbeit", "Ausbildung", "Anerkennung"),
    "everyday": ("Alltag", "Orientierung"),
    "digital": ("Digitales", "Online"),
    "leisure": ("Freizeit", "Verein"),
}
GENDER_WORDS = {"f": ("w", "weiblich", "W"), "m": ("m", "männlich"), "d": ("d", "divers")}
STATUS_WORDS = {"active": "aktiv", "proposed": "vorgeschlagen", "declined": "abgelehnt"}
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


class Speller:
    """Seeded choice among spellings: the same caseload, written as a person types it."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def languages(self, cell: str) -> str:
        entries = []
        for item in cell.split(";"):
            code, level = item.split(":")
            entries.append(self.pick(LEVEL_WORDS[level]).format(vocab_label("languages", code)))
        return self.pick((", ", "; ", ",")).join(entries)

    def needs(self, cell: str) -> str:
        return ", ".join(self.pick(NEED_WORDS[n]) for n in cell.split(";") if n)

    def slots(self, cell: str) -> str:
        if not cell:
            return ""
        chosen = set(cell.split(";"))
        by_day = {d: [p for p in DAY_PARTS if f"{d}-{p}" in chosen] for d in DAYS}
        weekdays = {tuple(by_day[d]) for d in DAYS[:5]}
        if len(weekdays) == 1 and not any(by_day[d] for d in DAYS[5:]):
            parts = " und ".join(PART_LABELS_DE[p] for p in by_day["mon"])
            return self.pick(("werktags ", "Mo-Fr ")) + parts
        entries = []
        for day, parts in by_day.items():
            if not parts:
                continue
            if len(parts) == len(DAY_PARTS):
                entries.append(DAY_LABELS_DE[day])
            else:
                entries.append(
                    f"{DAY_LABELS_DE[day]} {' und '.join(PART_LABELS_DE[p] for p in parts)}"
                )
        return "; ".join(entries)

    def modules(self, cell: str) -> str:
        items = [m for m in cell.split(";") if m]
        if len(items) == len(MODULE_LABELS_DE):
            return self.pick(("alle", "alle Module"))
        return ", ".join(MODULE_LABELS_DE[m] for m in items)

    def gender(self, value: str, *, preference: bool) -> str:
        if not value:
            return self.pick(("", "egal")) if preference else ""
        return self.pick(GENDER_WORDS[value])

    def flag(self, value: bool) -> str:
        return self.pick(("ja", "x", "Ja")) if value else self.pick(("nein", "", "Nein"))

    def place(self, name: str) -> str:
        variants = [name, name, name.upper(), name.lower()]
        if name.translate(_UMLAUTS) != name:
            variants.append(name.translate(_UMLAUTS))
        if name == CENTRE:
            variants += ["Hildesheim-Moritzberg", "Hildesheim OT Itzum", "31134 Hildesheim"]
        return self.pick(tuple(variants))


def german_frame(frame: pd.DataFrame, table: str, speller: Speller) -> pd.DataFrame:
    """The table in German words and headers, without coordinates."""
    convert: dict[str, Callable[[object], str]] = {
        "languages": lambda v: speller.languages(str(v)),
        "need_types": lambda v: speller.needs(str(v)),
        "need_type": lambda v: speller.needs(str(v)),
        "availability": lambda v: speller.slots(str(v)),
        "modules": lambda v: speller.modules(str(v)),
        "gender": lambda v: speller.gender(str(v), preference=False),
        "preferred_gender": lambda v: speller.gender(str(v), preference=True),
        "involves_minors": lambda v: speller.flag(bool(v)),
        "status": lambda v: STATUS_WORDS[str(v)],
        "place": lambda v: speller.place(str(v)),
    }
    out = frame.drop(columns=[c for c in ("lat", "lon") if c in frame.columns]).copy()
    for column in out.columns:
        if column in convert:
            out[column] = [convert[column](v) for v in out[column].fillna("")]
    return out[list(HEADERS[table])]


def twin_frame(frame: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The table in contract form, each person at the coordinates of their GeoNames place."""
    if "place" not in frame.columns:
        return frame
    centre = places.set_index("name")[["lat", "lon"]]
    if not centre.index.is_unique:
        raise ValueError("two places of the region share a name; the twin would be ambiguous")
    out = frame.copy()
    out["lat"] = centre["lat"].reindex(out["place"]).to_numpy()
    out["lon"] = centre["lon"].reindex(out["place"]).to_numpy()
    return out


def profile_text() -> str:
    lines = [
        "# Import-Profil für den deutschen Beispiel-Export in diesem Ordner:",
        "#   lotsen-match validate --profile profil.toml",
        "# Deutsche Wörter statt Codes, Ortsnamen statt Koordinaten, ',' oder ';' in Listen.",
        'name = "Beispiel-Export Hildesheim (deutsche Begriffe, Ortsnamen)"',
        'vocabulary = "de"',
        'messages = "de"',
        'date_format = "%d.%m.%Y"',
        'list_separators = [";", ",", "\\n"]',
        "",
        "[geocoding]",
        "# Mehrdeutige Ortsnamen (Burgdorf, Elze, ...) meinen den Ort im Umkreis der Stelle.",
        f'near = "{CENTRE}"',
        "near_km = 30",
        "",
        "[files]",
        *(f'{table} = "{name}"' for table, name in FILES.items()),
    ]
    for table in TABLES:
        lines += ["", f"[columns.{table}]"]
        lines += [f'"{header}" = "{column}"' for column, header in HEADERS[table].items()]
    return "\n".join(lines) + "\n"


def readme_text(counts: dict[str, int]) -> str:
    return f"""# Deutscher Beispiel-Export: Begriffe statt Codes, Ortsnamen statt Koordinaten

The caseload of `../samples/` ({counts["volunteers"]} volunteers, {counts["requests"]} requests,
{counts["assignments"]} assignments, as of {AS_OF:%d.%m.%Y}, seed {SEED}, places within
{RADIUS_KM:g} km of {CENTRE}) exported the way German case software writes it: German
headers, German words ("Arabisch (Muttersprache), Deutsch B1", "Behördengang", "Di abends",
"werktags abends", "ja"/"x", "w", "alle Module", "aktiv"), mixed spellings of the same value,
Windows-1252, `;`, decimal commas, `dd.mm.yyyy`, and only a place name (`Wohnort`, also
"SARSTEDT", "Soehlde", "Hildesheim OT Itzum", "31134 Hildesheim") instead of coordinates.
Generated by `scripts/make_german_samples.py`; reruns reproduce the bytes.

| file | content |
|---|---|
| `ehrenamtliche.csv`, `anfragen.csv`, `zuordnungen.csv` | the German export |
| `profil.toml` | import profile: headers, vocabulary `de`, separators, date format, `near` |
| `spec/*.csv` | the same caseload in contract form, at the GeoNames coordinates of each place |

Read with the profile, the export and its `spec/` twin give identical match results.
Place coordinates: GeoNames (https://www.geonames.org/), CC BY 4.0, see
`src/lotsen_match/data/ATTRIBUTION.md`.
"""


def write_german_samples(out: Path) -> list[Path]:
    """Write every file below ``out``; returns the paths written."""
    caseload = sample_caseload()
    all_places = load_places()
    centre = all_places.loc[all_places["name"] == CENTRE].iloc[0]
    region = places_within(float(centre["lat"]), float(centre["lon"]), RADIUS_KM, all_places)
    speller = Speller(SEED)
    written: list[Path] = []
    counts: dict[str, int] = {}
    for table in TABLES:
        frame: pd.DataFrame = getattr(caseload, table)
        counts[table] = len(frame)
        german = german_frame(frame, table, speller)
        header = [HEADERS[table][c] for c in german.columns]
        rows = [[str(v) for v in r] for r in table_rows(german, GERMAN)]
        write_csv(out / FILES[table], header, rows, GERMAN)
        twin = twin_frame(frame, region)
        write_csv(out / "spec" / f"{table}.csv", list(twin.columns), table_rows(twin, PLAIN), PLAIN)
        written += [out / FILES[table], out / "spec" / f"{table}.csv"]
    for name, text in (("profil.toml", profile_text()), ("README.md", readme_text(counts))):
        (out / name).write_bytes(text.encode("utf-8"))
        written.append(out / name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()
    for path in write_german_samples(args.out):
        print(path)


if __name__ == "__main__":
    main()
