"""Fit, save and load the success model: a calibrated scikit-learn pipeline and its card.

``fit_success_model`` learns P(a pairing ends ``completed``) from the history, validates it
(:mod:`.evaluate`), checks it by group (:mod:`.fairness`) and writes a model card. The file is
a skops archive (no pickle: loading runs no code from the file), holding the estimator, the
feature names, the feature version and the card; loading refuses a file whose feature version
differs from this library's, or that contains anything but scikit-learn and numpy types.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import __version__
from ..config import MatchConfig
from ..errors import ConfigError
from ..io.inputs import TableSource as TableLike
from .evaluate import Evaluation, evaluate
from .fairness import FAIRNESS_COLUMNS, fairness_table
from .features import FEATURE_VERSION, FEATURES
from .history import NEUTRAL_REASONS, TrainingData, day_to_date, training_data

__all__ = [
    "ModelKind",
    "SuccessModel",
    "card_markdown",
    "fit_success_model",
    "load_success_model",
]

ModelKind = Literal["hgb", "logistic"]
#: Modules whose types a model file may contain (anything else is refused on load).
_TRUSTED_PREFIXES: Final[tuple[str, ...]] = ("sklearn.", "numpy.", "builtins.", "scipy.")
#: Below this many training rows the card warns that the metrics are shaky.
_FEW_ROWS: Final[int] = 1000


def _make_estimator(kind: ModelKind, n_rows: int, random_state: int) -> Any:
    """A fresh, unfitted calibrated pipeline."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "hgb":
        inner = Pipeline(
            [
                (
                    "classifier",
                    HistGradientBoostingClassifier(
                        max_iter=150,
                        learning_rate=0.08,
                        max_leaf_nodes=31,
                        min_samples_leaf=40,
                        l2_regularization=1.0,
                        early_stopping=False,
                        random_state=random_state,
                    ),
                )
            ]
        )
    else:
        inner = Pipeline(
            [("scale", StandardScaler()), ("classifier", LogisticRegression(max_iter=1000))]
        )
    method = "sigmoid"
    return CalibratedClassifierCV(inner, method=method, cv=3)


@dataclass(frozen=True)
class SuccessModel:
    """A fitted success model with its card; ``predict`` gives calibrated probabilities."""

    estimator: Any
    card: dict[str, Any]
    fairness: pd.DataFrame = field(repr=False)
    evaluation: Evaluation | None = field(default=None, repr=False)
    features: tuple[str, ...] = FEATURES
    feature_version: str = FEATURE_VERSION

    @property
    def name(self) -> str:
        return str(self.card.get("name", "success model"))

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """P(completed) per row of a :data:`FEATURES` matrix, in [0, 1] (one thread)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            p = self.estimator.predict_proba(np.asarray(X, dtype=np.float64))[:, 1]
        return np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)

    def save(self, path: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``path`` (skops), ``<stem>.card.json`` and ``<stem>.card.md`` beside it."""
        import skops.io as sio

        from ..io import atomic_file

        target = Path(path)
        payload = {
            "estimator": self.estimator,
            "features": list(self.features),
            "feature_version": self.feature_version,
            "card": json.dumps(self.card, sort_keys=True),
            "fairness": self.fairness.to_json(orient="records"),
        }
        with atomic_file(target) as fh:
            fh.write(sio.dumps(payload))
        card_json = target.with_name(target.stem + ".card.json")
        card_md = target.with_name(target.stem + ".card.md")
        with atomic_file(card_json) as fh:
            fh.write(json.dumps(self.card, indent=2, sort_keys=True).encode("utf-8"))
        with atomic_file(card_md) as fh:
            fh.write(card_markdown(self.card, self.fairness).encode("utf-8"))
        return {"model": target, "card_json": card_json, "card_markdown": card_md}


def load_success_model(path: str | os.PathLike[str]) -> SuccessModel:
    """Load a model written by :meth:`SuccessModel.save`; refuse anything doubtful.

    Raises:
        ConfigError: the file is missing or unreadable, holds types other than scikit-learn /
            numpy ones, or was trained on another feature version than this library's.
    """
    import skops.io as sio

    p = Path(path)
    source = "success_model"
    if not p.is_file():
        raise ConfigError([(source, f"model file {str(p)!r} does not exist")], source=source)
    try:
        data = p.read_bytes()
        untrusted = sio.get_untrusted_types(data=data)
        foreign = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
        if foreign:
            raise ConfigError(
                [(source, f"{p.name} holds types outside scikit-learn/numpy: {foreign[:5]}")],
                source=source,
            )
        payload = sio.loads(data, trusted=untrusted)
    except ConfigError:
        raise
    except Exception as exc:  # skops raises many kinds for a damaged or foreign file
        raise ConfigError(
            [(source, f"{p.name} is not a readable success model ({type(exc).__name__})")],
            source=source,
        ) from None
    if not isinstance(payload, dict) or "estimator" not in payload:
        raise ConfigError([(source, f"{p.name} is not a lotsen_match success model")], source)
    version = str(payload.get("feature_version", ""))
    if version != FEATURE_VERSION or list(payload.get("features", [])) != list(FEATURES):
        raise ConfigError(
            [
                (
                    source,
                    f"{p.name} was trained on feature version {version or 'unknown'}, this "
                    f"library computes version {FEATURE_VERSION}; retrain it with "
                    "`lotsen-match learn` (a model never scores features it was not trained on)",
                )
            ],
            source=source,
        )
    card = json.loads(str(payload.get("card", "{}")))
    fairness = pd.DataFrame(
        json.loads(str(payload.get("fairness", "[]"))), columns=list(FAIRNESS_COLUMNS)
    )
    return SuccessModel(payload["estimator"], card, fairness)


def fit_success_model(
    history: TableLike,
    volunteers: TableLike,
    requests: TableLike,
    config: MatchConfig | None = None,
    *,
    model: ModelKind = "hgb",
    n_splits: int = 5,
    neutral_reasons: tuple[str, ...] = NEUTRAL_REASONS,
    random_state: int = 0,
) -> SuccessModel:
    """Learn P(a pairing ends ``completed``) from an office's history.

    Parameters
    ----------
    history
        Assignments (SPEC.md) with ``ended`` rows: started_on, end_reason (ended_on helps
        the load and continuity features).
    volunteers, requests
        Every volunteer and request the history names, former and closed ones included.
    config
        Weights of the hand-weighted baseline and the validation settings (as_of: rows ending
        after it are invalid).
    model
        ``hgb`` (gradient boosting, default) or ``logistic``; calibrated either way.

    Returns
    -------
    SuccessModel
        Fitted on all usable rows, with metrics (GroupKFold by volunteer, time split), the
        fairness table and a model card.

    Raises
    ------
    InputValidationError
        Strict config and invalid rows.
    ArgumentError
        No usable rows, or only one outcome / one volunteer.
    """
    # Loads scikit-learn's OpenMP runtime now, so that the thread limit below reaches it.
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: F401
    from threadpoolctl import threadpool_limits

    cfg = config or MatchConfig()
    clock = time.perf_counter()
    data = training_data(history, volunteers, requests, cfg, neutral_reasons=neutral_reasons)

    def make() -> Any:
        return _make_estimator(model, len(data.y), random_state)

    # One OpenMP thread: gradient boosting's threads spin-wait and slow down by 30x and more
    # when the machine is shared (measured), and one thread keeps the fit reproducible.
    with threadpool_limits(limits=1):
        evaluation = evaluate(
            make, data.X, data.y, data.hand_score, data.volunteer, data.start_day, n_splits=n_splits
        )
        estimator = make().fit(data.X, data.y)
    fairness = fairness_table(data.audit, data.y, evaluation.oof_model)
    card = _card(data, evaluation, fairness, model, cfg, time.perf_counter() - clock)
    return SuccessModel(estimator, card, fairness, evaluation)


def _card(
    data: TrainingData,
    evaluation: Evaluation,
    fairness: pd.DataFrame,
    kind: ModelKind,
    config: MatchConfig,
    seconds: float,
) -> dict[str, Any]:
    import sklearn

    first, last = day_to_date(int(data.start_day.min())), day_to_date(int(data.start_day.max()))
    n = len(data.y)
    warnings: list[str] = []
    if n < _FEW_ROWS:
        warnings.append(f"only {n} training rows: metrics and probabilities are uncertain")
    cv = evaluation.metrics["group_cv"]
    if cv["auc"] <= cv["baseline_auc"]:
        warnings.append(
            "the model does not rank outcomes better than the hand-weighted score "
            f"(AUC {cv['auc']} vs {cv['baseline_auc']}): keep weights.success at 0"
        )
    flagged = fairness[fairness["flagged"]]
    for row in flagged.itertuples():
        warnings.append(
            f"{row.dimension} {row.group}: predicted {row.predicted:.2f} vs observed "
            f"{row.observed:.2f} ({row.rows} pairings)"
        )
    unused = {k: v for k, v in data.skipped.items() if v and k != "not_ended"}
    if unused:
        warnings.append(f"history rows not used: {unused}")
    digest = FEATURE_VERSION[:8]
    return {
        "name": f"success-{kind}-{last.isoformat()}-{n}-{digest}",
        "created_on": dt.date.today().isoformat(),
        "library_version": __version__,
        "sklearn_version": sklearn.__version__,
        "model": kind,
        "calibration": "sigmoid",
        "target": "P(pairing ends completed); neutral ends (no_longer_needed, newcomer_moved) "
        "left out",
        "training_period": {"first_start": first.isoformat(), "last_start": last.isoformat()},
        "rows": {
            "history": data.history_rows,
            "training": n,
            "completed": int(data.y.sum()),
            "skipped": dict(data.skipped),
        },
        "features": list(FEATURES),
        "feature_version": FEATURE_VERSION,
        "protected_attributes": "never features: gender, nationality, first language",
        "metrics": evaluation.metrics,
        "calibration_curve": evaluation.calibration,
        "baseline": "hand-weighted score (config weights), calibrated by a logistic fit "
        "on the training folds",
        "largest_gaps": fairness.reindex(fairness["gap"].abs().sort_values(ascending=False).index)
        .head(5)
        .to_dict(orient="records"),
        "warnings": warnings,
        "fit_seconds": round(seconds, 2),
        "weights": config.weights.model_dump(),
    }


def card_markdown(card: dict[str, Any], fairness: pd.DataFrame) -> str:
    """The model card as Markdown (for the office's records)."""
    m = card.get("metrics", {})
    lines = [
        f"# Model card: {card.get('name', '')}",
        "",
        f"- Target: {card.get('target', '')}",
        f"- Model: {card.get('model', '')} ({card.get('calibration', '')} calibration), "
        f"scikit-learn {card.get('sklearn_version', '')}, lotsen_match "
        f"{card.get('library_version', '')}",
        f"- Training period (start dates): {card['training_period']['first_start']} to "
        f"{card['training_period']['last_start']}",
        f"- Rows: {card['rows']['training']} training rows ({card['rows']['completed']} "
        f"completed) of {card['rows']['history']} history rows; skipped: "
        f"{card['rows']['skipped']}",
        f"- Feature version: {card.get('feature_version', '')}",
        f"- Protected attributes: {card.get('protected_attributes', '')}",
        "",
        "## Metrics",
        "",
        "| validation | rows | AUC | baseline AUC | Brier | baseline Brier |",
        "|---|---|---|---|---|---|",
    ]
    for name, vals in m.items():
        lines.append(
            f"| {name} | {int(vals.get('rows', 0))} | {vals.get('auc')} | "
            f"{vals.get('baseline_auc')} | {vals.get('brier')} | {vals.get('baseline_brier')} |"
        )
    lines += ["", f"Baseline: {card.get('baseline', '')}", "", "## Features", ""]
    lines += [f"- {f}" for f in card.get("features", [])]
    lines += [
        "",
        "## Fairness (predicted vs observed success by group)",
        "",
        "| dimension | group | rows | observed | predicted | gap | flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in fairness.itertuples(index=False):
        lines.append(
            f"| {row.dimension} | {row.group} | {row.rows} | {row.observed} | "
            f"{row.predicted} | {row.gap} | {'yes' if row.flagged else ''} |"
        )
    lines += ["", "## Warnings", ""]
    lines += [f"- {w}" for w in card.get("warnings", [])] or ["- none"]
    return "\n".join(lines) + "\n"
