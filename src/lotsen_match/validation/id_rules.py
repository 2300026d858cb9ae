"""Per-table id rules: what a row's own ids may hold, and one spelling per household.

A row's id (``volunteer_id``, ``request_id``) and its ``household_id`` may not hold list
separators, control or invisible characters (:mod:`.ids`). Household ids group requests for the
one-contact-person rule, so two spellings of one household ("H1", "h 1") would split it silently:
the rarer spelling is a problem pointing at the common one. Messages are built once per distinct
value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import parsers as p
from .ids import char_label, first_forbidden, forbidden_mask, normalised, visible

if TYPE_CHECKING:
    from .tables import TableCheck

__all__ = ["check_household_spelling", "check_id_format", "format_message", "per_distinct"]


def per_distinct(values: p.ObjArray, message: Callable[[str], str]) -> p.ObjArray:
    """``message(v)`` for every value, computed once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    return np.array([message(str(u)) for u in uniques], dtype=object)[codes]


def format_message(t: TableCheck, column: str, value: str) -> str:
    """Why ``value`` cannot be an id, naming the first character it may not hold."""
    head = t.header(column)
    ch = first_forbidden(value, t.opts.separators)
    what = char_label(ch)
    if len(ch) != 1 or not what.startswith("U+"):
        return t.say(
            f"{head} {visible(value)} contains {what}, which separates ids in lists such as "
            "excluded_volunteers, so this id could never be excluded; write the id without it, "
            "e.g. with '-' or '_'",
            f"{head} {visible(value)} enthält {what}, das Trennzeichen von ID-Listen wie den "
            "ausgeschlossenen Lotsen, so könnte diese ID nie ausgeschlossen werden; die ID ohne "
            "dieses Zeichen schreiben, z. B. mit '-' oder '_'",
        )
    return t.say(
        f"{head} {visible(value)} contains the invisible character {what}; ids may not contain "
        "control or invisible characters (often copied in from another program): retype the id",
        f"{head} {visible(value)} enthält das unsichtbare Zeichen {what}; IDs dürfen keine "
        "Steuer- oder unsichtbaren Zeichen enthalten (oft aus einem anderen Programm "
        "mitkopiert): die ID neu eintippen",
    )


def check_id_format(t: TableCheck, column: str, ids: p.Text) -> None:
    """Reject rows whose id holds a list separator, a control or an invisible character."""
    bad = forbidden_mask(ids, t.opts.separators)
    if bad.any():
        t.add(
            bad,
            column,
            "id_format",
            lambda shown: per_distinct(shown, lambda v: format_message(t, column, v)),
        )


def check_household_spelling(t: TableCheck, column: str, ids: p.Text) -> None:
    """Reject the rarer spellings of a household id that differ only in case, spaces, invisibles.

    The spelling kept is the valid one used in most rows (ties: the smallest text), so the
    choice does not depend on row order.
    """
    encoded = pc.dictionary_encode(ids)
    distinct = encoded.dictionary
    if len(distinct) < 2:
        return
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    keys = pc.dictionary_encode(normalised(distinct)).indices.to_numpy(zero_copy_only=False)
    shared = np.bincount(keys)[keys] > 1  # spellings whose normalised form another one shares
    shared &= ~p.missing(distinct)
    if not shared.any():
        return
    table = pd.DataFrame(
        {
            "spelling": p.text_values(p.select(distinct, shared)),
            "key": keys[shared],
            "rows": np.bincount(codes, minlength=len(distinct))[shared],
            "bad": forbidden_mask(p.select(distinct, shared), t.opts.separators),
        }
    )
    table = table[table.groupby("key")["spelling"].transform("size") > 1]
    if table.empty:
        return
    table = table.assign(neg=-table["rows"]).sort_values(["key", "bad", "neg", "spelling"])
    first = table.groupby("key", sort=False).head(1)
    spellings = zip(first["spelling"], first["rows"].tolist(), strict=True)
    kept = dict(zip(first["key"], spellings, strict=True))
    others = table.drop(index=first.index)
    head = t.header(column)
    messages: dict[str, str] = {}
    for spelling, key in zip(others["spelling"], others["key"], strict=True):
        canon, n = str(kept[key][0]), int(kept[key][1])
        messages[str(spelling)] = t.say(
            f"{head} {visible(str(spelling))} differs from {p.quote(canon)} ({n} row(s)) only "
            f"in case, spaces or invisible characters; did you mean {p.quote(canon)}? "
            "(household ids are compared exactly)",
            f"{head} {visible(str(spelling))} unterscheidet sich von {p.quote(canon)} "
            f"({n} Zeile(n)) nur in Groß-/Kleinschreibung, Leerzeichen oder unsichtbaren "
            f"Zeichen; meinten Sie {p.quote(canon)}? (Haushalts-IDs werden exakt verglichen)",
        )
    spelled = p.is_in(distinct, pa.array(list(messages), type=pa.large_string()))
    t.add(
        spelled[codes],
        column,
        "id_spelling",
        lambda shown: per_distinct(shown, messages.__getitem__),
    )
