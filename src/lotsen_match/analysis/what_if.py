"""What-if: re-run a finished match with other volunteers or weights and compare the outcomes.

The result keeps its validated inputs, so a scenario re-validates only what changes (the added
volunteers) and re-solves; on a district caseload that takes well under a second. The comparison
uses the same per-request table as every other analysis (``outcomes.request_outcomes``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ..config import MatchConfig, ScoreWeights
from ..errors import ArgumentError, ConfigError
from ..io import read_table
from ..results.summary import rows_read
from ..validation import ValidatedCaseload, validate_caseload
from .outcomes import request_outcomes

if TYPE_CHECKING:
    from ..results.result import MatchResult

__all__ = [
    "METRICS",
    "WhatIf",
    "caseload_of",
    "compare_outcomes",
    "hypothetical_volunteers",
    "outcome_metrics",
    "served_by",
    "what_if",
]

#: Rows of :func:`outcome_metrics`, in order.
METRICS: Final[tuple[str, ...]] = (
    "requests_open",
    "served",
    "served_rate",
    "mean_score",
    "mean_distance_km",
    "mean_waiting_days_served",
    "mean_waiting_days_unserved",
    "volunteers_with_proposals",
)


@dataclass(frozen=True)
class WhatIf:
    """A scenario next to its base run.

    ``comparison``: one row per metric (``METRICS``) with columns ``metric``, ``base``,
    ``scenario``, ``change``. ``by_language``: per primary language of the open requests,
    ``requests``, ``served_base``, ``served_scenario``, ``change`` (largest change first).
    """

    base: MatchResult
    scenario: MatchResult
    comparison: pd.DataFrame
    by_language: pd.DataFrame

    @property
    def served_change(self) -> int:
        """Additional requests with a proposal in the scenario (negative: fewer)."""
        served = self.comparison.loc[self.comparison["metric"] == "served", "change"]
        return int(served.iloc[0])


def caseload_of(result: MatchResult) -> ValidatedCaseload:
    """The validated caseload a result was computed from (no re-validation)."""
    return ValidatedCaseload(
        volunteers=result.volunteers,
        requests=result.requests,
        assignments=result.assignments,
        rejected=result.rejected,
        problems=result.problems,
        rows_read=rows_read(result.summary["counts"]),
    )


def outcome_metrics(result: MatchResult) -> dict[str, float]:
    """The headline numbers of a run, computed from its per-request outcomes.

    Means over served requests (score, distance, waiting days) or over unserved ones; NaN when
    the set is empty.
    """
    out = request_outcomes(result)
    served = out[out["served"]]
    unserved = out[~out["served"]]
    n = len(out)
    return {
        "requests_open": float(n),
        "served": float(len(served)),
        "served_rate": len(served) / n if n else float("nan"),
        "mean_score": _mean(served["score"]),
        "mean_distance_km": _mean(served["distance_km"]),
        "mean_waiting_days_served": _mean(served["waiting_days"]),
        "mean_waiting_days_unserved": _mean(unserved["waiting_days"]),
        "volunteers_with_proposals": float(result.proposals["volunteer_id"].nunique()),
    }


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else float("nan")


def compare_outcomes(base: MatchResult, other: MatchResult) -> pd.DataFrame:
    """``metric``, ``base``, ``scenario``, ``change`` for every metric in ``METRICS``."""
    a, b = outcome_metrics(base), outcome_metrics(other)
    frame = pd.DataFrame(
        {
            "metric": list(METRICS),
            "base": [a[m] for m in METRICS],
            "scenario": [b[m] for m in METRICS],
        }
    )
    frame["change"] = frame["scenario"] - frame["base"]
    return frame


def served_by(base: MatchResult, other: MatchResult, by: str = "language") -> pd.DataFrame:
    """Served requests per group (an ``request_outcomes`` column) in two runs of one caseload.

    Columns: ``by``, ``requests``, ``served_base``, ``served_scenario``, ``change``; sorted by
    ``change`` descending, then by the group. Requests open in only one run (e.g. an active pair
    ended by removing its volunteer) count in the run where they are open.
    """
    a = request_outcomes(base).groupby(by)["served"].agg(["size", "sum"])
    b = request_outcomes(other).groupby(by)["served"].agg(["size", "sum"])
    frame = pd.DataFrame(
        {
            "requests": a["size"].combine(b["size"], max, fill_value=0),
            "served_base": a["sum"],
            "served_scenario": b["sum"],
        }
    ).fillna(0)
    frame = frame.astype(np.int64)
    frame["change"] = frame["served_scenario"] - frame["served_base"]
    frame = frame.rename_axis(by).reset_index()
    return frame.sort_values(["change", by], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def _scenario_config(
    config: MatchConfig,
    weights: ScoreWeights | Mapping[str, float] | None,
    config_update: Mapping[str, Any] | None,
) -> MatchConfig:
    changes: dict[str, Any] = {"columns": {}}  # the kept frames carry contract column names
    changes.update(config_update or {})
    if weights is not None:
        changes["weights"] = weights if isinstance(weights, ScoreWeights) else dict(weights)
    try:
        return config.replace(**changes)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source="what_if") from None


def what_if(
    result: MatchResult,
    *,
    add_volunteers: pd.DataFrame | None = None,
    remove_volunteer_ids: Iterable[str] = (),
    weights: ScoreWeights | Mapping[str, float] | None = None,
    config_update: Mapping[str, Any] | None = None,
) -> WhatIf:
    """Re-run ``result``'s caseload with changes and compare served requests, distance, waiting.

    ``add_volunteers``: new volunteer rows in the contract columns (validated strictly; an id
    that already exists is an error). ``remove_volunteer_ids``: volunteers who leave; their
    assignments go with them, so requests they accompanied are open again. ``weights``: new
    score weights, or a mapping that updates some of them. ``config_update``: other settings
    (e.g. ``{"default_max_distance_km": 15}``), validated like the config itself.

    Raises ``ValueError`` for unknown or duplicate volunteer ids and
    ``InputValidationError`` for invalid added rows.
    """
    from ..pipeline import match_validated

    if result.config is None:
        raise ArgumentError("the result carries no config; run it with lotsen_match.pipeline()")
    cfg = _scenario_config(result.config, weights, config_update)
    caseload = caseload_of(result)
    volunteers = caseload.volunteers
    assignments = caseload.assignments

    remove = sorted({str(v) for v in remove_volunteer_ids})
    if remove:
        known = set(volunteers["volunteer_id"].astype(str))
        unknown = [v for v in remove if v not in known]
        if unknown:
            raise ArgumentError(f"remove_volunteer_ids: unknown volunteer ids {unknown[:10]}")
        volunteers = volunteers[~volunteers["volunteer_id"].isin(remove)]
        assignments = assignments[~assignments["volunteer_id"].isin(remove)]

    if add_volunteers is not None and len(add_volunteers):
        raw = read_table(add_volunteers, table="volunteers")
        raw.attrs["source"] = "add_volunteers"
        added = validate_caseload(
            raw, caseload.requests.iloc[:0], None, config=cfg, strict=True
        ).volunteers
        clash = sorted(set(added["volunteer_id"]) & set(volunteers["volunteer_id"]))
        if clash:
            raise ArgumentError(f"add_volunteers: ids already in the caseload {clash[:10]}")
        volunteers = pd.concat([volunteers, added], ignore_index=True)

    changed = ValidatedCaseload(
        volunteers=volunteers.reset_index(drop=True),
        requests=caseload.requests,
        assignments=assignments.reset_index(drop=True),
        rejected=caseload.rejected,
        problems=caseload.problems,
        rows_read={
            **caseload.rows_read,
            "volunteers": len(volunteers),
            "assignments": len(assignments),
        },
    )
    scenario = match_validated(changed, cfg)
    return WhatIf(
        base=result,
        scenario=scenario,
        comparison=compare_outcomes(result, scenario),
        by_language=served_by(result, scenario, "language"),
    )


def hypothetical_volunteers(
    recruits: pd.DataFrame,
    *,
    as_of: dt.date | str,
    prefix: str = "NEW",
    capacity: int = 2,
    max_distance_km: float = 10.0,
    second_language: str = "de:C1",
    gender: str = "f",
) -> pd.DataFrame:
    """Volunteer rows for a recruitment list, ready for ``what_if(add_volunteers=...)``.

    One row per recruit: ``volunteers_needed`` people per row of ``recruits`` (columns
    ``language``, ``need_types``, ``lat``, ``lon``, ``volunteers_needed`` as returned by
    ``recruitment_list``), living at the centroid of the unmet requests, speaking the language
    natively plus ``second_language``, available any time, certified with every training module
    and a police check valid for a year from ``as_of``; ``gender`` defaults to ``f`` because
    most gender preferences of requests ask for a woman. An optimistic recruit: the what-if
    then bounds what recruitment can achieve.
    """
    day = pd.Timestamp(str(as_of)).date()
    n = recruits["volunteers_needed"].to_numpy(dtype=np.int64)
    rows = recruits.loc[recruits.index.repeat(n)].reset_index(drop=True)
    langs = rows["language"].astype(str)
    extra = second_language.partition(":")[0]
    languages = np.where(
        langs == extra, langs + ":native", langs + ":native;" + second_language
    ).astype(object)
    modules = "volunteering;tolerance;integration;law;media;intercultural"
    return pd.DataFrame(
        {
            "volunteer_id": [f"{prefix}{i + 1:05d}" for i in range(len(rows))],
            "languages": languages,
            "lat": rows["lat"].to_numpy(dtype=np.float64),
            "lon": rows["lon"].to_numpy(dtype=np.float64),
            "max_distance_km": np.full(len(rows), float(max_distance_km)),
            "need_types": rows["need_types"].astype(str).to_numpy(dtype=object),
            "availability": np.full(len(rows), "", dtype=object),
            "capacity": np.full(len(rows), int(capacity), dtype=np.int64),
            "gender": np.full(len(rows), gender, dtype=object),
            "certified_on": np.full(len(rows), (day - dt.timedelta(days=1)).isoformat()),
            "modules": np.full(len(rows), modules, dtype=object),
            "police_check_until": np.full(len(rows), (day + dt.timedelta(days=365)).isoformat()),
        }
    )
