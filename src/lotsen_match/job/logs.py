"""Logging setup of the command line: readable lines for people, JSON lines for schedulers.

The library only logs through ``logging.getLogger(__name__)``; this module is the one place that
decides where records go. Records carry ids and counts only (the library never logs names or free
text); structured fields passed as ``extra={"fields": {...}}`` become top-level JSON keys.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, Final, TextIO

from ..printable import printable, printable_lines

__all__ = ["JsonFormatter", "configure_logging"]

#: Marker attribute on handlers installed here, so reconfiguring replaces only our own.
_OURS: Final = "_lotsen_match_cli"
_HUMAN_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_STANDARD_ATTRS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, extra fields.

    Exceptions are reduced to their type name: a traceback's locals or messages could quote
    input values, and a scheduler only needs to know that (and which kind of) error happened.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": printable(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({str(k): _printable_value(v) for k, v in fields.items() if k not in entry})
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in ("fields", "message", "asctime"):
                entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, default=str, sort_keys=False)


class _HumanFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...`` with structured fields appended.

    Control characters are escaped (a file name or header from an input could hold terminal
    escape sequences); the line breaks of a traceback are kept.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={_flat(v)}" for k, v in fields.items())
        return printable_lines(line)


def _printable_value(value: object) -> object:
    """Strings escaped as :func:`printable`; numbers, flags and containers as they are."""
    return printable(value) if isinstance(value, str) else value


def _flat(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def configure_logging(
    *,
    level: int = logging.WARNING,
    json_lines: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Route every record of the ``lotsen_match`` loggers (and Python warnings) to ``stream``.

    ``stream`` defaults to stderr, keeping stdout free for results. Calling again replaces the
    handler installed before (tests and repeated CLI invocations in one process stay clean).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _OURS, True)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_HumanFormatter(_HUMAN_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    for name in ("lotsen_match", "py.warnings"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    logging.captureWarnings(True)
    return handler
