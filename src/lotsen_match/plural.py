"""Singular and plural in message templates: ``{n:# Anfrage|# Anfragen}``.

A count needs its own noun and verb forms ("1 Lotsin/Lotse spricht", "13 Lotsinnen/Lotsen
sprechen"). Templates name both forms in the field's format spec, separated by ``|``, with ``#``
standing for the count; so a translator keeps whole phrases in one place, and the per-row and
the vectorised renderers of a sentence produce the same text through :func:`format_field`.
"""

from __future__ import annotations

import math
from string import Formatter
from typing import Any

__all__ = ["PluralFormatter", "format_field", "plural"]


def _count_text(value: Any, thousands: str) -> str:
    number = float(value)
    if not math.isfinite(number) or not number.is_integer():
        return str(value)
    text = f"{int(number):,}"
    return text.replace(",", thousands)


def format_field(value: Any, spec: str, thousands: str = "") -> str:
    """``format(value, spec)``, or the singular/plural form when ``spec`` is ``one|many``.

    The singular is chosen for a count of exactly 1 (also 1.0); every other count, 0 and NaN
    included, takes the plural. ``#`` in the chosen form becomes the count, grouped by
    ``thousands`` (``""``: no grouping).
    """
    if "|" not in spec:
        return format(value, spec)
    one, _, many = spec.partition("|")
    try:
        single = float(value) == 1.0
    except (TypeError, ValueError):
        single = False
    return (one if single else many).replace("#", _count_text(value, thousands))


class PluralFormatter(Formatter):
    """A :class:`string.Formatter` whose fields understand ``{n:one|many}``."""

    def __init__(self, thousands: str = "") -> None:
        super().__init__()
        self.thousands = thousands

    def format_field(self, value: Any, format_spec: str) -> str:
        return format_field(value, format_spec, self.thousands)


def plural(template: str, /, thousands: str = "", **values: Any) -> str:
    """``template.format(**values)`` with ``{n:one|many}`` fields (see :func:`format_field`).

    Examples
    --------
    >>> plural("{n:# Anfrage hat|# Anfragen haben} keinen Vorschlag.", n=1)
    '1 Anfrage hat keinen Vorschlag.'
    >>> plural("{n:# Anfrage hat|# Anfragen haben} keinen Vorschlag.", n=1200, thousands=".")
    '1.200 Anfragen haben keinen Vorschlag.'
    """
    return PluralFormatter(thousands).format(template, **values)
