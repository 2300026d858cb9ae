"""Learning from outcomes: which pairings last, as one more score component.

``fit_success_model`` turns an office's history (ended accompaniments and why they ended) into
a calibrated probability that a pairing ends ``completed``; ``success_model = "model.skops"``
and ``weights.success`` in the config add it to the score as the component ``success``.
"""

from __future__ import annotations

from .apply import success_component
from .fairness import fairness_table
from .features import FEATURE_VERSION, FEATURES, HistoryEvents, pair_features
from .history import NEUTRAL_REASONS, TrainingData, training_data
from .model import SuccessModel, card_markdown, fit_success_model, load_success_model

__all__ = [
    "FEATURES",
    "FEATURE_VERSION",
    "NEUTRAL_REASONS",
    "HistoryEvents",
    "SuccessModel",
    "TrainingData",
    "card_markdown",
    "fairness_table",
    "fit_success_model",
    "load_success_model",
    "pair_features",
    "success_component",
    "training_data",
]
