"""The database's run log and retention: what a run leaves in ``match_runs``, and what it deletes.

With ``--db`` every run appends its result rows, so without a limit the database would keep every
proposal ever made (GDPR Art. 5(1)(e), storage limitation). Each run therefore deletes the result
rows of runs that started more than ``retention_days`` before it, in the same transaction that
writes its own results (:func:`lotsen_match.io.sql.write_sql_run`). The run log is the audit
trail that survives: one append-only row per run with its time, library version, input
fingerprints and counts, and how many result rows the retention deleted. It holds no ids, names or
cell values, so keeping it longer than the results discloses nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from .. import __version__
from ..results.summary import rows_read

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = ["FINGERPRINT_TABLES", "expiry_cutoff", "run_log_row"]

#: Input tables whose content fingerprint and row count the log records.
FINGERPRINT_TABLES: Final = ("volunteers", "requests", "assignments")


def expiry_cutoff(started: dt.datetime, retention_days: int) -> str:
    """The start time before which runs expire, as the log stores times (ISO, UTC, seconds).

    With 0 days every earlier run expires and only the current run's results remain.
    """
    cutoff = started.astimezone(dt.UTC) - dt.timedelta(days=retention_days)
    return cutoff.isoformat(timespec="seconds")


def run_log_row(
    result: MatchResult, started: dt.datetime, retention_days: int, cutoff: str
) -> dict[str, Any]:
    """The run's log row: times, version, solver, counts and input fingerprints, no personal data.

    The fingerprints are the order-independent content hashes of ``summary.json``
    (``fingerprints``), so a run in the log can be matched to its summary and its inputs
    without storing either. The deletion counts are added when the row is written.
    """
    summary = result.summary
    counts = summary["counts"]
    solver = summary["solver"]
    fingerprints = summary["fingerprints"]
    read = rows_read(counts)
    row: dict[str, Any] = {
        "started_at": started.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "as_of": str(summary["as_of"]),
        "library_version": __version__,
        "solver": str(solver["backend"]),
        "optimal": bool(solver["optimal"]),
        "objective": int(solver["objective"]),
        "proposals": int(counts["proposals"]),
        "unmatched": int(counts["unmatched"]),
        "rejected_rows": int(counts["rejected_rows"]),
    }
    for table in FINGERPRINT_TABLES:
        row[f"{table}_rows"] = int(read.get(table, 0))
        row[f"{table}_fingerprint"] = str(fingerprints.get(table, ""))
    row["retention_days"] = int(retention_days)
    row["retention_cutoff"] = cutoff
    return row
