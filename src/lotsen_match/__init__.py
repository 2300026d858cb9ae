"""lotsen_match: exact, explainable matching of Integrationslotsen to help requests.

Typical use::

    import lotsen_match as lm
    result = lm.match(volunteers, requests, assignments, lm.MatchConfig(as_of="2026-11-02"))
    result.proposals, result.unmatched, result.explain("R0000042")
"""

import logging

__version__ = "0.1.0"

from .candidates import FUNNEL_STEPS
from .config import MatchConfig, ScoreWeights
from .errors import ConfigError, InputValidationError, LotsenMatchError, SolverError
from .explain import Explanation
from .generate import Caseload, generate_caseload
from .io import read_table
from .match import match, match_validated
from .places import load_places
from .result import MatchResult
from .scoring import COMPONENTS
from .validation import ValidatedCaseload, validate_caseload

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "COMPONENTS",
    "FUNNEL_STEPS",
    "Caseload",
    "ConfigError",
    "Explanation",
    "InputValidationError",
    "LotsenMatchError",
    "MatchConfig",
    "MatchResult",
    "ScoreWeights",
    "SolverError",
    "ValidatedCaseload",
    "__version__",
    "generate_caseload",
    "load_places",
    "match",
    "match_validated",
    "read_table",
    "validate_caseload",
]
