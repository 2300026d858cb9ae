"""References between tables: exact, a near miss (a problem), or naming nobody (a notice).

A reference to a volunteer or request (``excluded_volunteers``, ``previous_volunteer_id``,
an assignment's ids) resolves only exactly. One that differs from an id only in case, spaces or
invisible characters is a problem with "did you mean 'V2'?": a hard constraint may never be
bypassed by a spelling, so the row is rejected (strict mode stops). One that names no row at all
(a Lotse who has left the pool) keeps its row valid and becomes a notice. Every reference is
classified by pyarrow set operations; messages are built once per distinct id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import parsers as p
from .id_rules import format_message, per_distinct
from .ids import forbidden_mask, near_matches, suggestion_text, visible
from .notices import NOTICE_COLUMNS, empty_notices

if TYPE_CHECKING:
    from .tables import TableCheck

__all__ = ["NoticeCollector", "check_reference", "check_request_references"]

IntpArray = npt.NDArray[np.intp]

_TABLE_ORDER: Final[dict[str, int]] = {"volunteers": 0, "requests": 1, "assignments": 2}


@dataclass(frozen=True)
class _Kind:
    """How messages name a referencing column and what an unknown id there means."""

    noun: str
    noun_de: str
    id_noun: str
    gone: str
    gone_de: str
    effect: str
    effect_de: str


_VOLUNTEER = ("volunteer id", "no longer in the pool?", "nicht mehr dabei?")
_PAIR_IGNORED = ("this pair is ignored", "dieses Paar bleibt unberücksichtigt")
_KINDS: Final[dict[tuple[str, str], _Kind]] = {
    ("requests", "excluded_volunteers"): _Kind(
        "excluded volunteer",
        "Ausgeschlossene Lotsin/Lotse",
        *_VOLUNTEER,
        "the exclusion has no effect",
        "der Ausschluss bleibt ohne Wirkung",
    ),
    ("requests", "previous_volunteer_id"): _Kind(
        "previous volunteer",
        "Bisherige Lotsin/Lotse",
        *_VOLUNTEER,
        "no continuity bonus",
        "kein Bonus für Kontinuität",
    ),
    ("assignments", "volunteer_id"): _Kind(
        "volunteer", "Lotsin/Lotse", *_VOLUNTEER, *_PAIR_IGNORED
    ),
    ("assignments", "request_id"): _Kind(
        "request", "Anfrage", "request id", "closed?", "abgeschlossen?", *_PAIR_IGNORED
    ),
}


@dataclass(frozen=True)
class _Chunk:
    check: TableCheck
    positions: IntpArray
    column: str
    ids: p.ObjArray
    target: str
    messages: p.ObjArray


class NoticeCollector:
    """Notices of all tables; :meth:`frame` drops those of rows rejected in the end."""

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []

    def add(
        self,
        check: TableCheck,
        positions: IntpArray,
        column: str,
        ids: p.ObjArray,
        target: str,
        messages: p.ObjArray,
    ) -> None:
        """One notice per position: ``ids[i]`` of row ``positions[i]`` is not in ``target``."""
        if len(positions):
            self._chunks.append(_Chunk(check, positions, column, ids, target, messages))

    def frame(self) -> pd.DataFrame:
        """Notices (columns :data:`.notices.NOTICE_COLUMNS`) of the rows that stay valid."""
        parts: list[pd.DataFrame] = []
        for seq, c in enumerate(self._chunks):
            keep = ~c.check.problems.bad[c.positions]
            n = int(keep.sum())
            if not n:
                continue
            pos = c.positions[keep]
            parts.append(
                pd.DataFrame(
                    {
                        "table": pd.Series([c.check.table] * n, dtype=object),
                        "source": pd.Series([c.check.source] * n, dtype=object),
                        "row": c.check.problems.labels[pos],
                        "column": pd.Series([c.check.header(c.column)] * n, dtype=object),
                        "id": pd.Series(c.ids[keep], dtype=object),
                        "target": pd.Series([c.target] * n, dtype=object),
                        "rule": pd.Series(["unknown_reference"] * n, dtype=object),
                        "message": pd.Series(c.messages[keep], dtype=object),
                        "_order": _TABLE_ORDER.get(c.check.table, 3),
                        "_pos": pos,
                        "_seq": seq,
                    }
                )
            )
        if not parts:
            return empty_notices()
        out = pd.concat(parts, ignore_index=True).sort_values(
            ["_order", "_pos", "_seq"], kind="stable"
        )
        return out[list(NOTICE_COLUMNS)].reset_index(drop=True)


def check_reference(
    src: TableCheck,
    column: str,
    refs: p.Text,
    rows: IntpArray,
    target: TableCheck,
    notices: NoticeCollector,
) -> None:
    """Classify references ``refs`` (made in rows ``rows`` of ``src``) against ``target``'s ids.

    Exact matches (also of rows rejected in ``target``) pass; near misses and references that
    cannot be ids are problems of ``src``; the rest become notices.
    """
    exact = p.is_in(refs, target.text(target.id_column))
    other = ~exact & ~p.missing(refs)
    if not other.any():
        return
    refs, rows = p.select(refs, other), rows[other]
    kind = _KINDS[(src.table, column)]
    ids = target.text(target.id_column)
    near = near_matches(refs, p.select(ids, ~forbidden_mask(ids, target.opts.separators)))
    values = p.text_values(refs)
    malformed = ~near.near & forbidden_mask(refs, src.opts.separators)
    unknown = ~near.near & ~malformed
    if near.near.any():
        offers = dict(zip(values[near.near], near.suggestions[near.near], strict=True))
        src.add(
            rows[near.near],
            column,
            "id_spelling",
            per_distinct(values[near.near], lambda v: _near_message(src, kind, v, offers[v])),
        )
    if malformed.any():
        src.add(
            rows[malformed],
            column,
            "id_format",
            per_distinct(values[malformed], lambda v: format_message(src, column, v)),
        )
    if unknown.any():
        notices.add(
            src,
            rows[unknown],
            column,
            values[unknown],
            target.table,
            per_distinct(values[unknown], lambda v: _unknown_message(src, kind, v, target)),
        )


def check_request_references(vol: TableCheck, req: TableCheck, notices: NoticeCollector) -> None:
    """``excluded_volunteers`` (each entry of the list) and ``previous_volunteer_id``."""
    lists = pc.split_pattern(
        pa.array(req.values["excluded_volunteers"], type=pa.large_string()), ";"
    )
    entries = pc.list_flatten(lists)
    parents = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.intp)
    present = ~p.missing(entries)
    check_reference(
        req, "excluded_volunteers", p.select(entries, present), parents[present], vol, notices
    )
    previous = req.text("previous_volunteer_id")
    present = ~p.missing(previous)
    check_reference(
        req,
        "previous_volunteer_id",
        p.select(previous, present),
        np.flatnonzero(present),
        vol,
        notices,
    )


def _near_message(src: TableCheck, kind: _Kind, value: str, offers: tuple[str, ...]) -> str:
    return src.say(
        f"{kind.noun} {visible(value)} is not a {kind.id_noun}; did you mean "
        f"{suggestion_text(offers, 'en')}? (ids are compared exactly: case, spaces and "
        "invisible characters count)",
        f"{kind.noun_de} {visible(value)}: diese ID gibt es nicht; meinten Sie "
        f"{suggestion_text(offers, 'de')}? (IDs werden exakt verglichen: Groß-/Kleinschreibung, "
        "Leerzeichen und unsichtbare Zeichen zählen)",
    )


def _unknown_message(src: TableCheck, kind: _Kind, value: str, target: TableCheck) -> str:
    return src.say(
        f"{kind.noun} {p.quote(value)} is not in {target.source} ({kind.gone}); {kind.effect}",
        f"{kind.noun_de} {p.quote(value)} ist nicht in {target.source} ({kind.gone_de}); "
        f"{kind.effect_de}",
    )
