"""One self-contained HTML page about a success model: card, metrics, calibration, fairness.

The calibration plot is drawn with matplotlib and inlined as SVG (no files beside the page,
nothing fetched). Every text from outside (group names, warnings) is escaped.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

import pandas as pd

from .model import SuccessModel

__all__ = ["calibration_svg", "learning_page"]


def calibration_svg(calibration: dict[str, list[float]]) -> str:
    """Reliability diagram (predicted vs observed, model and hand-weighted baseline) as SVG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "lotsen_match", "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(5.2, 4.2))
        ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="perfect calibration")
        for name, colour, label in (
            ("model", "#0072B2", "learned model"),
            ("baseline", "#D55E00", "hand-weighted score (calibrated)"),
        ):
            ax.plot(
                calibration.get(f"{name}_predicted", []),
                calibration.get(f"{name}_observed", []),
                marker="o",
                color=colour,
                label=label,
            )
        ax.set_xlabel("predicted probability of completion")
        ax.set_ylabel("observed share completed")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title("Calibration (out-of-fold, GroupKFold by volunteer)", fontsize=10)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def learning_page(model: SuccessModel) -> str:
    """The HTML page of ``lotsen-match learn``: what was learned, how good, for whom."""
    card: dict[str, Any] = model.card
    metrics = pd.DataFrame(
        [
            {
                "validation": name,
                "rows": int(v.get("rows", 0)),
                "AUC": v.get("auc"),
                "baseline AUC": v.get("baseline_auc"),
                "Brier": v.get("brier"),
                "baseline Brier": v.get("baseline_brier"),
            }
            for name, v in card.get("metrics", {}).items()
        ]
    )
    warnings = "".join(f"<li>{escape(str(w))}</li>" for w in card.get("warnings", []))
    rows = card.get("rows", {})
    period = card.get("training_period", {})
    facts = [
        ("Target", card.get("target", "")),
        ("Model", f"{card.get('model', '')}, {card.get('calibration', '')} calibration"),
        ("Training period", f"{period.get('first_start', '')} to {period.get('last_start', '')}"),
        ("Training rows", f"{rows.get('training', '')} ({rows.get('completed', '')} completed)"),
        ("Skipped history rows", str(rows.get("skipped", ""))),
        ("Feature version", card.get("feature_version", "")),
        ("Protected attributes", card.get("protected_attributes", "")),
        ("Fit time", f"{card.get('fit_seconds', '')} s"),
    ]
    fact_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts)
    features = ", ".join(escape(f) for f in card.get("features", []))
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#222}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;"
        "padding:.25rem .5rem;text-align:left}svg{max-width:100%;height:auto}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(model.name)}</title><style>{style}</style></head><body>"
        f"<h1>Success model {escape(model.name)}</h1>"
        "<p>Learned probability that a pairing ends <em>completed</em>. A coordinator still "
        "decides every proposal; keep <code>weights.success</code> at 0 unless the model "
        "beats the hand-weighted score below.</p>"
        f"<table>{fact_rows}</table>"
        "<h2>Metrics against the hand-weighted score</h2>"
        f"{_table(metrics)}"
        f"<figure>{calibration_svg(card.get('calibration_curve', {}))}"
        "<figcaption>Predicted vs observed completion per decile of the prediction."
        "</figcaption></figure>"
        "<h2>Fairness: predicted vs observed success by group</h2>"
        "<p>Groups are looked at from outside; none of them is a feature. Flagged: "
        "|gap| above 0.05 with at least 30 pairings.</p>"
        f"{_table(model.fairness)}"
        f"<h2>Warnings</h2><ul>{warnings or '<li>none</li>'}</ul>"
        f"<h2>Features</h2><p>{features}</p>"
        "</body></html>\n"
    )
