"""lotsen_match: exact, explainable matching of Integrationslotsen to help requests.

Typical use::

    import lotsen_match as lm
    result = lm.match(volunteers, requests, assignments, lm.MatchConfig(as_of="2026-11-02"))
    result.proposals, result.unmatched, result.explain("R0000042")

Names are imported lazily on first use, so ``lotsen-match --version`` or ``validate`` do not pay
for scikit-learn and OR-Tools.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .config import MatchConfig, ScoreWeights
    from .core.candidates import FUNNEL_STEPS
    from .core.scoring import COMPONENTS
    from .desk import Matcher, Replan, Suggestions
    from .errors import (
        ArgumentError,
        ArgumentTypeError,
        ConfigError,
        DeskError,
        InputFileNotFoundError,
        InputValidationError,
        LotsenMatchError,
        SolverError,
        UnknownIdError,
    )
    from .generate import Caseload, generate_caseload
    from .ingest.places import load_places
    from .io import read_table
    from .pipeline import match, match_validated
    from .records import Assignment, HelpRequest, Volunteer
    from .results.explain import Explanation
    from .results.result import MatchResult
    from .validation import ValidatedCaseload, validate_caseload

_LAZY: dict[str, str] = {
    "FUNNEL_STEPS": "core.candidates",
    "MatchConfig": "config",
    "ScoreWeights": "config",
    "ArgumentError": "errors",
    "ArgumentTypeError": "errors",
    "ConfigError": "errors",
    "DeskError": "errors",
    "UnknownIdError": "errors",
    "Matcher": "desk",
    "Replan": "desk",
    "Suggestions": "desk",
    "Assignment": "records",
    "HelpRequest": "records",
    "Volunteer": "records",
    "InputFileNotFoundError": "errors",
    "InputValidationError": "errors",
    "LotsenMatchError": "errors",
    "SolverError": "errors",
    "Explanation": "results.explain",
    "Caseload": "generate",
    "generate_caseload": "generate",
    "read_table": "io",
    "load_places": "ingest.places",
    "MatchResult": "results.result",
    "COMPONENTS": "core.scoring",
    "ValidatedCaseload": "validation",
    "validate_caseload": "validation",
    "match": "pipeline",
    "match_validated": "pipeline",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lotsen_match' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "COMPONENTS",
    "FUNNEL_STEPS",
    "ArgumentError",
    "ArgumentTypeError",
    "Assignment",
    "Caseload",
    "ConfigError",
    "DeskError",
    "Explanation",
    "HelpRequest",
    "InputFileNotFoundError",
    "InputValidationError",
    "LotsenMatchError",
    "MatchConfig",
    "MatchResult",
    "Matcher",
    "Replan",
    "ScoreWeights",
    "SolverError",
    "Suggestions",
    "UnknownIdError",
    "ValidatedCaseload",
    "Volunteer",
    "__version__",
    "generate_caseload",
    "load_places",
    "match",
    "match_validated",
    "read_table",
    "validate_caseload",
]
