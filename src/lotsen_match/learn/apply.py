"""The ``success`` score component of a run: the loaded model's probability per candidate pair.

Features are built for the run date with the same code as for training; what the run knows
better than the history replaces the history-derived value: continuity is the run's own
continuity component (``previous_volunteer_id`` and ended rows of the household), load the
volunteer's active households. Pairs are scored in blocks, so memory stays bounded however
many candidate pairs a statewide run has.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..config import MatchConfig
from ..core.candidates import Candidates
from ..core.problem import MatchProblem
from ..core.scoring import COMPONENTS
from ..errors import ConfigError
from .features import pair_features
from .history import history_events
from .model import SuccessModel, load_success_model

__all__ = ["success_component"]

#: Candidate pairs scored per block (about 60 MB of features).
_BLOCK: Final[int] = 250_000


def success_component(
    problem: MatchProblem,
    cand: Candidates,
    continuity: npt.NDArray[np.floating[Any]],
    assignments: pd.DataFrame | None,
    config: MatchConfig,
    model: SuccessModel | None = None,
    *,
    household_requests: npt.NDArray[np.integer[Any]] | None = None,
) -> tuple[npt.NDArray[np.float64], SuccessModel]:
    """P(completed) per candidate pair under ``config.rules.success_model`` (or ``model``).

    ``continuity`` is the pairs' continuity component (``scoring.continuity_of_edges``, one per
    edge), or the whole component matrix in ``COMPONENTS`` order. ``household_requests`` (one
    per edge) replaces the count of each household's requests in ``problem`` (the desk's).

    Raises:
        ConfigError: no model configured, or the model file is missing or mismatched.
    """
    if model is None:
        if config.rules.success_model is None:
            raise ConfigError([("success_model", "no model configured")], source="config")
        model = load_success_model(config.rules.success_model)
    history = assignments if assignments is not None else pd.DataFrame()
    events = history_events(history, problem)
    if np.ndim(continuity) == 2:
        continuity = continuity[:, COMPONENTS.index("continuity")]
    out = np.empty(cand.n_edges, dtype=np.float64)
    day = np.int64(problem.as_of_day)
    for start in range(0, cand.n_edges, _BLOCK):
        b = slice(start, start + _BLOCK)
        X, _ = pair_features(
            problem,
            cand.req[b],
            cand.vol[b],
            day,
            events,
            config,
            continuity=continuity[b],
            load=problem.v_active_households[cand.vol[b]],
            household_requests=None if household_requests is None else household_requests[b],
        )
        out[b] = model.predict(X)
    return out, model
