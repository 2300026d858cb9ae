"""The data contract as ``lotsen-match columns`` prints it: tables, columns, vocabularies.

Everything comes from :mod:`lotsen_match.contract` (columns, types, meanings) and the
vocabularies (:mod:`lotsen_match.core.vocab` for the codes,
:mod:`lotsen_match.ingest.vocabulary_de` for the German words), so the listing cannot drift
from what validation accepts and what the office form writes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Final

from ..contract import INPUT_COLUMNS, RESULT_COLUMNS, TABLE_LABELS, TYPE_LABELS, ContractColumn
from ..core import vocab as v
from ..core.scoring import COMPONENTS, SUCCESS
from ..ingest.vocabulary_de import (
    ANY_TIME_WORDS,
    PROPOSAL_STATUS_LABELS_DE,
    REASON_LABELS_DE,
    Kind,
    Lang,
    label,
)
from ..validation.describe import render_table

__all__ = ["CONTRACT_TABLES", "contract_text", "vocabulary_rows"]

#: Tables ``lotsen-match columns`` can list, inputs first.
CONTRACT_TABLES: Final[tuple[str, ...]] = (*INPUT_COLUMNS, *RESULT_COLUMNS)

_TITLES: Final[dict[Lang, tuple[str, ...]]] = {
    "de": ("Spalte", "deutscher Titel", "Pflicht", "Art", "Vokabular", "Bedeutung"),
    "en": ("column", "German title", "required", "type", "vocabulary", "meaning"),
}
_YES_NO: Final[dict[Lang, tuple[str, str]]] = {"de": ("ja", "nein"), "en": ("yes", "no")}
_HEADINGS: Final[dict[Lang, dict[str, str]]] = {
    "de": {
        "inputs": "Eingabetabellen",
        "results": "Ergebnistabellen (die Dateien eines Laufs)",
        "vocabularies": "Vokabulare",
        "values": "Werte",
        "vocabulary": "Vokabular",
        "note": "Spalten dürfen anders heißen: [columns.<Tabelle>] im Importprofil ordnet die "
        "Überschriften des Exports den Spalten zu. Weitere Spalten werden mitgeführt und nicht "
        "ausgewertet.",
    },
    "en": {
        "inputs": "Input tables",
        "results": "Result tables (the files of a run)",
        "vocabularies": "Vocabularies",
        "values": "values",
        "vocabulary": "vocabulary",
        "note": "Columns may be named differently: [columns.<table>] in an import profile maps "
        "the export's headers onto them. Other columns are kept and ignored.",
    },
}


def contract_text(
    lang: Lang = "de", tables: Sequence[str] | None = None, width: int | None = None
) -> str:
    """Every table of the contract with its columns, then the vocabularies, as text.

    Parameters
    ----------
    lang
        ``de`` or ``en``: titles, types, meanings and vocabulary words.
    tables
        Only these tables (default: all, inputs then results); vocabularies come with them.
    width
        Terminal width: long cells wrap inside their column; None never wraps.

    Returns
    -------
    str
    """
    words = _HEADINGS[lang]
    chosen = list(tables) if tables else list(CONTRACT_TABLES)
    parts: list[str] = []
    for group, source in (("inputs", INPUT_COLUMNS), ("results", RESULT_COLUMNS)):
        names = [t for t in chosen if t in source]
        if not names:
            continue
        parts.append(f"{words[group]}\n{'=' * len(words[group])}")
        for table in names:
            title = f"{table} ({TABLE_LABELS[table][lang]})"
            rows = [_column_row(c, lang) for c in source[table]]
            parts.append(f"{title}\n{render_table(list(_TITLES[lang]), rows, width=width)}")
    parts.append(textwrap.fill(words["note"], width) if width else words["note"])
    used = {
        c.words for t in chosen for c in (*INPUT_COLUMNS.get(t, ()), *RESULT_COLUMNS.get(t, ()))
    }
    vocab_rows = [row for row in vocabulary_rows(lang) if row[0] in used]
    if vocab_rows:
        parts.append(f"{words['vocabularies']}\n{'=' * len(words['vocabularies'])}")
        parts.append(render_table([words["vocabulary"], words["values"]], vocab_rows, width=width))
    return "\n\n".join(parts) + "\n"


def _column_row(column: ContractColumn, lang: Lang) -> list[str]:
    yes, no = _YES_NO[lang]
    required = yes if column.required else no
    if column.name in ("lat", "lon") and column.table in ("volunteers", "requests"):
        required += " (oder Ort)" if lang == "de" else " (or place)"
    return [
        column.name,
        column.header_de,
        required,
        TYPE_LABELS[column.type][lang],
        column.words or "",
        column.meaning_de if lang == "de" else column.meaning,
    ]


def vocabulary_rows(lang: Lang) -> list[list[str]]:
    """(vocabulary, its values) rows: codes with their German words for ``de``."""

    def listed(kind: Kind, codes: Sequence[str]) -> str:
        if lang == "en":
            return ", ".join(codes)
        return ", ".join(f"{c} ({label(kind, c, 'de')})" for c in codes)

    slots_first, slots_last = v.SLOTS[0], v.SLOTS[-1]
    if lang == "de":
        languages = (
            'ISO-639-Code mit Niveau (ar:native;de:B1), mit vocabulary = "de" auch Namen '
            "(Arabisch (Muttersprache), Deutsch B1); Niveaus: native (Muttersprache), C2, C1, "
            "B2, B1, A2, A1; Wörter: verhandlungssicher (C2), fließend (C1), sehr gut (B2), gut "
            "(B1), Grundkenntnisse (A2)"
        )
        slots = (
            f"{slots_first} … {slots_last} (7 Tage × vormittags/nachmittags/abends; "
            f"{label('slots', slots_first)} … {label('slots', slots_last)}); leer = jederzeit; "
            "mit vocabulary = \"de\" auch 'Mo-Fr vormittags', 'Wochenende' und für jederzeit: "
            + ", ".join(f"'{w}'" for w in ANY_TIME_WORDS[:6])
        )
        booleans = "ja/nein, x (= ja), leer (= nein); true/false, 1/0"
        reasons = ", ".join(f"{c} ({w})" for c, w in REASON_LABELS_DE.items())
        statuses = ", ".join(f"{c} ({w})" for c, w in PROPOSAL_STATUS_LABELS_DE.items())
        components = ", ".join(
            f"{c.name} ({c.header_de.removeprefix('Bewertung ')})" for c in _component_columns()
        )
        tables = ", ".join(f"{t} ({TABLE_LABELS[t]['de']})" for t in INPUT_COLUMNS)
    else:
        languages = (
            'ISO 639 code with level (ar:native;de:B1), with vocabulary = "de" also names '
            "(Arabic (native), German B1); levels: native, C2, C1, B2, B1, A2, A1"
        )
        slots = (
            f"{slots_first} ... {slots_last} (7 days x am/pm/eve); empty = any time; with "
            "vocabulary = \"de\" also 'Mon-Fri mornings', 'weekend' and for any time: "
            + ", ".join(f"'{w}'" for w in ANY_TIME_WORDS[:6])
        )
        booleans = "true/false, yes/no, 1/0, x (= yes), empty (= no); ja/nein too"
        reasons = ", ".join(REASON_LABELS_DE)
        statuses = ", ".join(PROPOSAL_STATUS_LABELS_DE)
        components = ", ".join(c.name for c in _component_columns())
        tables = ", ".join(INPUT_COLUMNS)
    return [
        ["languages", languages],
        ["need_types", listed("need_types", v.NEED_TYPES)],
        ["slots", slots],
        ["modules", listed("modules", v.MODULES)],
        ["genders", listed("genders", v.GENDERS)],
        ["volunteer_statuses", listed("volunteer_statuses", v.VOLUNTEER_STATUSES)],
        ["statuses", listed("statuses", v.ASSIGNMENT_STATUSES)],
        ["end_reasons", listed("end_reasons", v.END_REASONS)],
        ["deciders", listed("deciders", v.DECIDERS)],
        ["booleans", booleans],
        ["proposal_statuses", statuses],
        ["reasons", reasons],
        ["components", components],
        ["tables", tables],
    ]


def _component_columns() -> list[ContractColumn]:
    """The proposals' score component columns (``success`` last: only with a success model)."""
    names = {*COMPONENTS, SUCCESS}
    return [c for c in RESULT_COLUMNS["proposals"] if c.name in names]
