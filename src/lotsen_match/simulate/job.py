"""The ``lotsen-match simulate`` job: read and check everything, sweep on Dask, write outputs.

Inputs, config and scenario file are checked before any worker starts, so invalid input ends in
exit 2 with nothing written, quickly.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config import MatchConfig
from ..desk.tables import contract_frame
from ..io.atomic import parse_file_mode
from ..io.inputs import read_inputs
from ..validation import validate_caseload
from .report import write_outputs
from .scenario import load_scenarios
from .sweep import sweep
from .world import check_scenario

__all__ = ["run_simulation_job"]

logger = logging.getLogger(__name__)


def run_simulation_job(
    *,
    volunteers: Path,
    requests: Path,
    assignments: Path | None,
    scenarios: Path,
    seeds: int,
    out: Path,
    config: MatchConfig,
    days: int | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
) -> list[Path]:
    """Run every scenario of ``scenarios`` with seeds ``0..seeds-1``; return the written paths.

    Raises
    ------
    ConfigError
        Invalid scenario file, or a scenario the caseload cannot carry.
    InputValidationError
        Invalid input rows.
    InputFormatError
        An unreadable input file.
    """
    scenario_list, settings = load_scenarios(scenarios)
    if days is not None:
        settings = settings.model_copy(update={"days": days})
    raw = read_inputs(volunteers, requests, assignments, config)
    case = validate_caseload(
        raw["volunteers"], raw["requests"], raw.get("assignments"), config=config, strict=True
    )
    tables = {
        "volunteers": contract_frame(case.volunteers),
        "requests": contract_frame(case.requests),
        "assignments": contract_frame(case.assignments),
    }
    for scenario in scenario_list:  # a place without Lotsen fails here, before any worker
        check_scenario(tables["volunteers"], tables["requests"], scenario, settings, config)
    logger.info(
        "simulating %d scenario(s) x %d seed(s) over %d days",
        len(scenario_list),
        seeds,
        settings.days,
    )
    client: Any = scheduler
    result = sweep(
        scenario_list,
        seeds,
        client,
        volunteers=tables["volunteers"],
        requests=tables["requests"],
        assignments=tables["assignments"],
        settings=settings,
        config=config,
        workers=workers,
        progress=progress,
    )
    return write_outputs(result, out, file_mode=parse_file_mode(config.output_file_mode))
