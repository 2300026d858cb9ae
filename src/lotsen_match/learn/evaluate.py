"""How good is the learned success probability, against the hand-weighted score?

Two honest validations: ``GroupKFold`` by volunteer (the model never sees the volunteer it is
scored on, so it cannot memorise people) and a time-ordered split (train on the earlier 80 %
of start dates, test on the rest: the way the model is used, on pairings after its training).
The baseline is the hand-weighted score the library uses without a model, turned into a
probability by a logistic fit on the same training folds (AUC needs no such fit; Brier does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ..errors import ArgumentError

__all__ = ["Evaluation", "evaluate"]

F64 = npt.NDArray[np.float64]
#: Bins of the calibration curve.
CALIBRATION_BINS: Final[int] = 10


@dataclass(frozen=True)
class Evaluation:
    """Metrics of the model and the baseline, and out-of-fold predictions for plots."""

    metrics: dict[str, dict[str, float]]
    """``{"group_cv": {...}, "time_split": {...}}`` with auc/brier of model and baseline."""
    oof_model: F64
    """Out-of-fold probability of every training row (GroupKFold)."""
    oof_baseline: F64
    calibration: dict[str, list[float]]
    """Mean predicted and observed rate per bin, for the model and the baseline."""


def _scores(y: npt.NDArray[np.int8], p_model: F64, p_base: F64, raw_base: F64) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    if len(np.unique(y)) < 2:
        nan = float("nan")
        return {"auc": nan, "brier": nan, "baseline_auc": nan, "baseline_brier": nan}
    return {
        "auc": round(float(roc_auc_score(y, p_model)), 4),
        "brier": round(float(brier_score_loss(y, p_model)), 4),
        "baseline_auc": round(float(roc_auc_score(y, raw_base)), 4),
        "baseline_brier": round(float(brier_score_loss(y, p_base)), 4),
        "rows": float(len(y)),
        "base_rate": round(float(np.mean(y)), 4),
    }


def _baseline_fit(score: F64, y: npt.NDArray[np.int8]) -> Callable[[F64], F64]:
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression().fit(score[:, None], y)
    return lambda s: np.asarray(fit.predict_proba(s[:, None])[:, 1], dtype=np.float64)


def evaluate(
    make_model: Callable[[], Any],
    X: F64,
    y: npt.NDArray[np.int8],
    hand: F64,
    groups: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    *,
    n_splits: int = 5,
) -> Evaluation:
    """Cross-validate ``make_model()`` (a fresh unfitted estimator per fold) and the baseline."""
    from sklearn.calibration import calibration_curve
    from sklearn.model_selection import GroupKFold

    n_groups = len(np.unique(groups))
    if n_groups < 2 or len(np.unique(y)) < 2:
        raise ArgumentError(
            "learning needs pairings of at least two volunteers and both outcomes "
            f"(completed and not); got {n_groups} volunteer(s), outcomes {sorted(set(y.tolist()))}"
        )
    oof = np.zeros(len(y), dtype=np.float64)
    oof_base = np.zeros(len(y), dtype=np.float64)
    for train, test in GroupKFold(n_splits=min(n_splits, n_groups)).split(X, y, groups):
        model = make_model().fit(X[train], y[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
        oof_base[test] = _baseline_fit(hand[train], y[train])(hand[test])
    metrics = {"group_cv": _scores(y, oof, oof_base, hand)}

    order = np.argsort(day, kind="stable")
    cut = round(0.8 * len(order))
    train, test = order[:cut], order[cut:]
    if len(np.unique(y[train])) == 2 and len(test):
        model = make_model().fit(X[train], y[train])
        p = model.predict_proba(X[test])[:, 1]
        base = _baseline_fit(hand[train], y[train])(hand[test])
        metrics["time_split"] = _scores(y[test], p, base, hand[test])
        metrics["time_split"]["train_until_day"] = float(day[train].max())

    calibration: dict[str, list[float]] = {}
    for name, pred in (("model", oof), ("baseline", oof_base)):
        observed, predicted = calibration_curve(
            y, pred, n_bins=CALIBRATION_BINS, strategy="quantile"
        )
        calibration[f"{name}_predicted"] = [round(float(v), 4) for v in predicted]
        calibration[f"{name}_observed"] = [round(float(v), 4) for v in observed]
    return Evaluation(metrics, oof, oof_base, calibration)
