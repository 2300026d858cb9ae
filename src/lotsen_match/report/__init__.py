"""The explained, self-contained HTML report of a run (German by default, English on request)."""

from .html import render_report, write_report

__all__ = ["render_report", "write_report"]
