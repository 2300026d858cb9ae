"""Sweep outputs: ``results.parquet``, ``shares.parquet``, ``summary.json`` and a German HTML page.

The page shows, per scenario, the mean over seeds and the range between the 10th and 90th
percentile of the seeds (the uncertainty the seeds carry), as inline SVG bars and a table, and
the served share by first language: no plotting library, no script, nothing fetched. Only
aggregates leave the run (no ids, no cell values).
"""

from __future__ import annotations

import io
import json
import math
import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from ..core.vocab import language_label
from ..io.atomic import atomic_file
from .sweep import SweepResult

if TYPE_CHECKING:
    from ..analysis.figures import Chart

__all__ = ["METRICS", "simulation_figure", "summarise", "write_outputs"]

METRICS: Final[dict[str, str]] = {
    "served_requests": "Begleitete Anfragen",
    "served_households": "Begleitete Haushalte",
    "waiting_days_median": "Wartezeit bis zur Begleitung, Median (Tage)",
    "waiting_days_p90": "Wartezeit bis zur Begleitung, 90. Perzentil (Tage)",
    "new_waiting_days_median": "Wartezeit neuer Anfragen, Median (Tage)",
    "bound_share": "Anteil an der Obergrenze",
    "lotse_utilisation": "Auslastung der Lotsinnen und Lotsen",
}
"""The metrics of the page and of summary.json, with their German titles."""
_SHARES: Final = ("bound_share", "lotse_utilisation")


def summarise(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """Per scenario: number of seeds, and mean, p10 and p90 over seeds of each metric.

    Parameters
    ----------
    runs
        Rows of a sweep (``SweepResult.runs``).

    Returns
    -------
    list of dict
        One entry per scenario, in the order of ``runs``.
    """
    out: list[dict[str, Any]] = []
    for name, group in runs.groupby("scenario", sort=False):
        entry: dict[str, Any] = {
            "scenario": str(name),
            "policy": str(group["policy"].iloc[0]),
            "seeds": len(group),
        }
        for col in METRICS:
            values = group[col].astype(float).dropna()
            entry[col] = {
                "mean": _num(float(values.mean())) if len(values) else None,
                "p10": _num(float(values.quantile(0.1))) if len(values) else None,
                "p90": _num(float(values.quantile(0.9))) if len(values) else None,
            }
        out.append(entry)
    return out


def simulation_figure(runs: pd.DataFrame, *, lang: str = "de") -> Chart:
    """Served requests and median waiting days per scenario: mean over seeds, p10-p90 whiskers.

    Parameters
    ----------
    runs
        Rows of a sweep (``SweepResult.runs``).
    lang
        ``de`` (default) or ``en`` labels.

    Returns
    -------
    Chart
        A matplotlib figure (``lotsen_match.analysis.figures.Chart``): a notebook shows it,
        ``.savefig("x.pdf")`` saves it.
    """
    from ..analysis.figures import PALETTE, WIDTH_IN, Chart

    words = _FIGURE_WORDS[lang]
    names = list(dict.fromkeys(runs["scenario"].astype(str)))
    chart = Chart(figsize=(WIDTH_IN, 0.9 + 0.45 * len(names) * 2), layout="constrained")
    axes = chart.subplots(2, 1)
    for ax, metric, color in zip(
        axes, ("served_requests", "waiting_days_median"), PALETTE, strict=False
    ):
        groups = runs.groupby("scenario", sort=False)[metric]
        mean = groups.mean().reindex(names).to_numpy(dtype=float)
        low = groups.quantile(0.1).reindex(names).to_numpy(dtype=float)
        high = groups.quantile(0.9).reindex(names).to_numpy(dtype=float)
        y = list(range(len(names)))[::-1]
        ax.barh(y, mean, color=color, xerr=[mean - low, high - mean], capsize=3)
        ax.set_yticks(y, [n if len(n) <= 36 else n[:35] + "…" for n in names])
        ax.set_title(words[metric], loc="left", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xlabel(words["axis"])
    return chart


_FIGURE_WORDS: Final[dict[str, dict[str, str]]] = {
    "de": {
        "served_requests": "Begleitete Anfragen (Mittelwert, Strich: 10.–90. Perzentil der Seeds)",
        "waiting_days_median": "Wartezeit bis zur Begleitung, Median in Tagen",
        "axis": "je Szenario über alle Seeds",
    },
    "en": {
        "served_requests": "Requests served (mean; whisker: 10th–90th percentile of the seeds)",
        "waiting_days_median": "Days waited until accompanied, median",
        "axis": "per scenario over all seeds",
    },
}


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)


def _de(x: float | None, metric: str) -> str:
    if x is None:
        return "–"
    if metric in _SHARES:
        return f"{100 * x:.1f} %".replace(".", ",")
    return f"{x:.1f}".replace(".", ",")


def _bars(summary: list[dict[str, Any]], metric: str, title: str) -> str:
    """A horizontal bar per scenario (mean) with a whisker from p10 to p90."""
    rows = [(s["scenario"], s[metric]) for s in summary]
    top = max([r[1]["p90"] or 0.0 for r in rows] + [r[1]["mean"] or 0.0 for r in rows] + [1e-9])
    label_w, bar_w, row_h = 260, 360, 26
    height = row_h * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 90}" '
        f'height="{height}" role="img" aria-label="{escape(title)}">'
    ]
    for i, (name, stats) in enumerate(rows):
        y = 20 + i * row_h
        mean = stats["mean"] or 0.0
        w = bar_w * mean / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(name[:40])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" fill="#4a7ab5"/>'
        )
        if stats["p10"] is not None and stats["p90"] is not None:
            x0 = label_w + bar_w * stats["p10"] / top
            x1 = label_w + bar_w * stats["p90"] / top
            parts.append(
                f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y + 11}" y2="{y + 11}" '
                f'stroke="#222" stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{label_w + w + 8:.1f}" y="{y + 15}" font-size="12">'
            f"{_de(stats['mean'], metric)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(summary: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{escape(t)}</th>" for t in METRICS.values())
    lines = [f"<table><thead><tr><th>Szenario</th><th>Verfahren</th>{head}</tr></thead><tbody>"]
    for s in summary:
        cells = "".join(
            f"<td>{_de(s[m]['mean'], m)} <small>({_de(s[m]['p10'], m)} – "
            f"{_de(s[m]['p90'], m)})</small></td>"
            for m in METRICS
        )
        lines.append(
            f"<tr><td>{escape(s['scenario'])}</td><td>{escape(_POLICY_DE[s['policy']])}</td>"
            f"{cells}</tr>"
        )
    lines.append("</tbody></table>")
    return "".join(lines)


_POLICY_DE: Final[dict[str, str]] = {
    "nightly": "nächtlich exakt",
    "weekly": "wöchentlich exakt",
    "greedy_on_arrival": "bei Eingang, beste freie Person",
    "suggest_on_arrival": "bei Eingang, erster Vorschlag",
}


def _language_table(shares: pd.DataFrame, top: int = 12) -> str:
    """Served share by first language (mean over seeds), the most frequent languages."""
    if shares.empty:
        return ""
    lang = shares[shares["dimension"] == "erstsprache"]
    per = lang.groupby(["scenario", "key"], sort=False)[["arrived", "served"]].sum()
    share = (per["served"] / per["arrived"].where(per["arrived"] > 0)).unstack("scenario")
    order = lang.groupby("key")["arrived"].sum().sort_values(ascending=False).index[:top]
    scenarios = list(dict.fromkeys(lang["scenario"]))
    head = "".join(f"<th>{escape(str(s))}</th>" for s in scenarios)
    rows = [f"<table><thead><tr><th>Erstsprache</th>{head}</tr></thead><tbody>"]
    for key in order:
        values: list[Any] = [share.at[key, s] if s in share else None for s in scenarios]
        cells = "".join(
            f"<td>{_de(None if x is None else _num(float(x)), 'bound_share')}</td>" for x in values
        )
        name = language_label(str(key), "de") if key else "–"
        rows.append(f"<tr><td>{escape(name)}</td>{cells}</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _html(summary: list[dict[str, Any]], runs: pd.DataFrame, shares: pd.DataFrame) -> str:
    days = int(runs["days"].iloc[0]) if len(runs) else 0
    seeds = int(runs["seed"].nunique()) if len(runs) else 0
    blocks = [
        f"<h2>{escape(title)}</h2>\n{_bars(summary, metric, title)}"
        for metric, title in METRICS.items()
    ]
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        "<title>Simulation: ein Jahr Lotsen-Vermittlung</title>"
        "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.2em .5em;text-align:right}td:first-child,th:first-child{text-align:left}"
        "</style></head><body>"
        f"<h1>Simulation über {days} Tage</h1>"
        f"<p>{len(summary)} Szenarien mit je {seeds} Zufallsläufen (Seeds). Jeder Tag wird mit "
        "der Vermittlung selbst (lotsen_match, Schreibtisch-Schnittstelle) gerechnet: neue "
        "Anfragen, Entscheidungen der Koordination, Ende von Begleitungen, neue und "
        "ausscheidende Lotsinnen und Lotsen. Balken: Mittelwert über die Seeds; Strich und "
        "Klammern: Spanne vom 10. bis zum 90. Perzentil der Seeds. Die Obergrenze ist das Beste, "
        "was irgendeine Vermittlung mit Kenntnis aller künftigen Anfragen hätte erreichen "
        "können (Zeitregeln gelockert), also eine obere Schranke, kein erreichbarer Wert.</p>"
        + _table(summary)
        + "\n".join(blocks)
        + "<h2>Begleiteter Anteil nach Erstsprache</h2>"
        + "<p>Anteil der eingegangenen Anfragen, die eine Begleitung bekamen (alle Seeds).</p>"
        + _language_table(shares)
        + "</body></html>\n"
    )


def write_outputs(
    result: SweepResult, out_dir: str | Path, *, file_mode: int = 0o600
) -> list[Path]:
    """Write results.parquet, shares.parquet, summary.json and simulation.html into ``out_dir``.

    Parameters
    ----------
    result
        The sweep.
    out_dir
        The directory (made if missing); each file is replaced atomically.
    file_mode
        Mode of the files (default: the owner only).

    Returns
    -------
    list of Path
        The four files, readable by the owner (``file_mode``) only unless told otherwise.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(result.runs)
    runs = result.runs
    document = {
        "days": int(runs["days"].iloc[0]) if len(runs) else 0,
        "seeds": sorted(int(s) for s in runs["seed"].unique()) if len(runs) else [],
        "scenarios": summary,
    }
    paths = [out / n for n in ("results.parquet", "shares.parquet", "summary.json")]
    paths.append(out / "simulation.html")
    payloads = [
        _parquet(result.runs),
        _parquet(result.shares),
        json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"),
        _html(summary, result.runs, result.shares).encode("utf-8"),
    ]
    for path, data in zip(paths, payloads, strict=True):
        with atomic_file(path) as fh:
            os.fchmod(fh.fileno(), file_mode)
            fh.write(data)
    return paths


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()
