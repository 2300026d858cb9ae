"""Text from input files made safe to print: control characters escaped, excerpts kept short.

A cell can hold ``\\x1b]0;...\\x07`` (sets the terminal title), ``\\x1b[2J`` (clears the screen),
a carriage return that overwrites the start of a line, or a right-to-left override that makes a
message read differently than it is. Everything a person sees on a terminal or in a log passes
through :func:`printable`; messages quote a cell only as a short :func:`excerpt`, because a cell
may hold free text about a person.
"""

from __future__ import annotations

from typing import Final

__all__ = ["EXCERPT_CHARS", "excerpt", "printable", "printable_lines"]

#: Longest part of a cell quoted in a message (enough to recognise a value, not a sentence).
EXCERPT_CHARS: Final = 20

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every non-printable character written as an escape (``\\x1b``, ``\\n``).

    Non-printable are Unicode's control, format (bidi overrides, zero-width), surrogate,
    private-use, unassigned and separator characters except the plain space, as
    :meth:`str.isprintable` defines them. Printable text is returned unchanged.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def printable_lines(text: str) -> str:
    """Like :func:`printable`, but the line breaks of a multi-line message are kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A quoted, escaped excerpt of at most ``limit`` characters of ``value`` for a message."""
    text = str(value)
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return "'" + printable(short).replace("'", "’") + "'"


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
