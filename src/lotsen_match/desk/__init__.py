"""The desk API: one held plan that answers the case software's questions during the day.

:class:`Matcher` holds a caseload and its exact plan; :class:`Suggestions` and :class:`Replan`
are what its calls return. See :mod:`.matcher` for the calls and :mod:`.incremental` for how
each answer stays exact without re-solving everything.
"""

from __future__ import annotations

from .answers import Replan, Suggestions
from .matcher import Matcher

__all__ = ["Matcher", "Replan", "Suggestions"]
