"""HTML reports of a run (a plain one now; a richer one builds on the same tables)."""

from .plain import DEFAULT_MAX_ROWS, render_plain_report, render_report_tables

__all__ = ["DEFAULT_MAX_ROWS", "render_plain_report", "render_report_tables"]
