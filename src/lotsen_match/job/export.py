"""``lotsen-match export --pseudonymise``: a finished run's outputs, fit for analysts outside.

The office keeps its run directory; the export is a separate directory holding the same result
tables with ids replaced by keyed pseudonyms, coordinates coarsened to places and free text
dropped (:mod:`lotsen_match.results.pseudonymise`), a ``summary.json`` reduced to settings,
counts, timings and fingerprints, and a ``README.txt`` that says what was removed. The HTML
report is not exported: it is rendered from the inputs and quotes them, and cannot be rebuilt
from pseudonymised tables.

The export is pseudonymised, not anonymous (GDPR Art. 4(5), recital 26): it stays personal
data, so its files are created ``0640`` in a ``0750`` directory, never world-readable.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any, Final

from .. import __version__
from ..errors import JobInputError, PseudonymisationError
from ..io import atomic_directory, write_table
from ..io.writers import OUTPUT_EXTENSIONS
from ..results.pseudonymise import (
    GRID_DEGREES,
    MIN_KEY_BYTES,
    PLACE_MAX_KM,
    PSEUDONYM_DIGITS,
    PseudonymisedTable,
    Pseudonymiser,
    pseudonymise_table,
)
from .runner import REPORT_FILE, SUMMARY_FILE, check_output_dir, read_run_tables

__all__ = [
    "DEFAULT_KEY_ENV",
    "EXPORT_README",
    "ExportResult",
    "export_run",
    "key_from_env",
]

logger = logging.getLogger(__name__)

DEFAULT_KEY_ENV: Final = "LOTSEN_KEY"
EXPORT_README: Final = "README.txt"
FILE_MODE: Final = 0o640
DIR_MODE: Final = 0o750

#: summary.json keys copied as they are: settings, counts, timings, content hashes.
_SUMMARY_KEEP: Final = (
    "run_id",
    "started_at",
    "library_version",
    "as_of",
    "status",
    "solver",
    "quality_total",
    "fingerprints",
    "format",
    "components",
    "funnel_steps",
    "timings_s",
)
#: summary.json keys rewritten by the export (everything else is dropped and listed).
_SUMMARY_REWRITTEN: Final = (
    "counts",
    "config",
    "inputs",
    "outputs",
    "active_request_ids",
    "success_model",
)
#: Keys of summary.json's ``success_model`` that say which model ran (its path is cut to the name).
_MODEL_KEEP: Final = (
    "name",
    "feature_version",
    "training_period",
    "training_rows",
    "weight",
)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its directory, files, the key's id and what was removed."""

    out_dir: Path
    files: dict[str, Path]
    key_id: str
    run_id: str
    removed: dict[str, Any]


def key_from_env(name: str = DEFAULT_KEY_ENV) -> bytes:
    """The pseudonymisation key from environment variable ``name`` (UTF-8 bytes).

    A key on the command line would show in the process list and the shell history, so only
    the variable's name is passed.

    Raises
    ------
    PseudonymisationError
        The variable is unset or empty, or its value has fewer than 32 bytes.
    """
    value = os.environ.get(name)
    if not value:
        raise PseudonymisationError(
            f"environment variable {name} holds no key; set it to a secret of at least "
            f"{MIN_KEY_BYTES} bytes (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            " and keep it, so that later exports give the same pseudonyms"
        )
    key = value.encode("utf-8", "surrogateescape")
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymisationError(
            f"the key in {name} has {len(key)} bytes; at least {MIN_KEY_BYTES} are needed "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def export_run(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    key: bytes,
) -> ExportResult:
    """Write a pseudonymised copy of the finished run in ``run_dir`` to ``out_dir``, atomically.

    The same run and key always give byte-identical files. Tables keep the run's file format.

    Parameters
    ----------
    run_dir
        Output directory of a finished run (``summary.json`` with status ok, every output).
    out_dir
        New, empty, or an earlier export; replaced as a whole like a run's output directory.
    key
        Secret key of at least 32 bytes (:func:`key_from_env`).

    Returns
    -------
    ExportResult

    Raises
    ------
    JobInputError
        ``run_dir`` is not a finished run (or is an export), or ``out_dir`` is unsafe to replace.
    PseudonymisationError
        The key is too short, or two ids collide under it.
    """
    pseudonymiser = Pseudonymiser(key)
    source = Path(run_dir)
    summary = _finished_run_summary(source)
    _check_target(source, Path(out_dir))
    names = _table_names(summary, source)
    tables, _ = read_run_tables(source, names)
    keep = {*map(str, summary.get("components", []))}
    done = {
        name: pseudonymise_table(frame, pseudonymiser, keep=keep) for name, frame in tables.items()
    }
    fmt = str(summary.get("format", "csv"))
    ext = OUTPUT_EXTENSIONS.get(fmt, ".csv")
    new_summary, summary_removed = _export_summary(summary, done, pseudonymiser, ext)
    removed: dict[str, Any] = {
        "columns": {name: table.dropped for name, table in done.items() if table.dropped},
        "files": {REPORT_FILE: "rendered from the inputs and quotes them; not exported"},
        "summary_keys": summary_removed,
    }
    new_summary["export"] = _export_record(pseudonymiser.key_id, done, removed)
    target = Path(out_dir)
    files: dict[str, Path] = {}
    with atomic_directory(target) as staging:
        os.chmod(staging, _dir_mode(target))
        for name, table in done.items():
            files[name] = _private(write_table(table.frame, staging / f"{name}{ext}", fmt=fmt))
        files["summary"] = _private_text(staging / SUMMARY_FILE, _json(new_summary))
        readme = _readme(summary, new_summary, done, removed)
        files["readme"] = _private_text(staging / EXPORT_README, readme)
    run_id = str(summary["run_id"])
    logger.info(
        "export finished",
        extra={"fields": {"run_id": run_id, "tables": len(done), "key_id": pseudonymiser.key_id}},
    )
    final = {name: target / path.name for name, path in files.items()}
    return ExportResult(target, final, pseudonymiser.key_id, run_id, removed)


# --- checks ----------------------------------------------------------------------------------


def _finished_run_summary(run_dir: Path) -> dict[str, Any]:
    """The run's summary, after checking that the directory holds a complete, finished run."""
    if not run_dir.is_dir():
        raise JobInputError(f"{run_dir}: no such directory (give the output directory of a run)")
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        raise JobInputError(
            f"{run_dir}: not a finished run (no {SUMMARY_FILE}); give the output directory of a "
            "run that ended with exit code 0"
        )
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise JobInputError(f"{path}: not a finished run ({SUMMARY_FILE} is not JSON)") from None
    if not isinstance(summary, dict) or summary.get("status") != "ok" or "run_id" not in summary:
        raise JobInputError(f"{path}: not a finished run (no run_id or status is not 'ok')")
    if "export" in summary:
        raise JobInputError(f"{run_dir}: already a pseudonymised export; export the run itself")
    outputs = summary.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        raise JobInputError(f"{path}: not a finished run (no outputs listed)")
    for name, file_name in outputs.items():
        if not _plain_file_name(file_name):
            raise JobInputError(f"{path}: output {name!r} is not a file name in the run directory")
        if not (run_dir / file_name).is_file():
            raise JobInputError(f"{run_dir}: not a finished run ({file_name} is missing)")
    return summary


def _plain_file_name(value: object) -> bool:
    return (
        isinstance(value, str)
        and value not in ("", ".", "..")
        and PurePath(value).name == value
        and "\\" not in value
    )


def _check_target(run_dir: Path, out_dir: Path) -> None:
    source = Path(os.path.realpath(run_dir))
    target = Path(os.path.realpath(out_dir))
    if target == source or source in target.parents or target in source.parents:
        raise JobInputError(
            f"{out_dir}: the export must go to a directory outside the run directory {run_dir}"
        )
    check_output_dir(out_dir)


def _table_names(summary: Mapping[str, Any], run_dir: Path) -> list[str]:
    """Every table file the run listed (results and extras), not the report or summary."""
    outputs: dict[str, str] = summary["outputs"]
    suffixes = set(OUTPUT_EXTENSIONS.values())
    names = []
    for name, file_name in outputs.items():
        if name in ("report", "summary") or Path(file_name).suffix not in suffixes:
            continue
        if (run_dir / file_name).is_file():
            names.append(name)
    return names


# --- summary and notice ----------------------------------------------------------------------


def _export_summary(
    summary: Mapping[str, Any],
    tables: Mapping[str, PseudonymisedTable],
    pseudonymiser: Pseudonymiser,
    ext: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The run's summary with ids pseudonymised, paths and unknown keys removed."""
    import pandas as pd

    out: dict[str, Any] = {key: summary[key] for key in _SUMMARY_KEEP if key in summary}
    removed: dict[str, str] = {}
    if "counts" in summary:
        out["counts"] = _numbers_only(summary["counts"])
    if "config" in summary:
        out["config"], config_removed = _export_config(summary["config"])
        removed.update(config_removed)
    if isinstance(summary.get("success_model"), dict):
        model = summary["success_model"]
        out["success_model"] = {key: model[key] for key in _MODEL_KEEP if key in model}
        if model.get("path"):
            out["success_model"]["path"] = _file_name(model["path"])
    if "inputs" in summary:
        out["inputs"] = {
            str(table): {k: v for k, v in dict(info).items() if k in ("format", "rows", "sha256")}
            for table, info in dict(summary["inputs"]).items()
        }
        removed["inputs.*.source"] = "input file names or paths"
    # Every file the export writes, README.txt too: replacing an earlier export checks this list.
    out["outputs"] = {**{name: f"{name}{ext}" for name in tables}, "readme": EXPORT_README}
    if "active_request_ids" in summary:
        ids = pd.Series(list(summary["active_request_ids"]), dtype=object)
        out["active_request_ids"] = sorted(pseudonymiser.ids(ids, "request").dropna())
    for key in summary:
        if key not in _SUMMARY_KEEP and key not in _SUMMARY_REWRITTEN:
            removed[str(key)] = (
                "the database URL" if key == "database" else "not known to be free of personal data"
            )
    return out, removed


def _export_config(config: Any) -> tuple[Any, dict[str, str]]:
    """The run's settings with paths cut to file names and input files dropped.

    Paths can name people (``/home/office/Müller/...``); the file names of the places table
    and the success model say which ones were used. Input files (``ingest.files``) are dropped
    like the inputs' sources.
    """
    out = json.loads(json.dumps(config))  # a deep copy
    if not isinstance(out, dict):
        return out, {}
    removed: dict[str, str] = {}
    # sectioned, or flat as older runs wrote it
    ingest, rules = out.get("ingest", out), out.get("rules", out)
    if isinstance(ingest, dict) and ingest.get("places"):
        ingest["places"] = _file_name(ingest["places"])
    if isinstance(ingest, dict) and ingest.get("files"):
        ingest["files"] = {}
        removed["config.ingest.files"] = "input file names or paths"
    if isinstance(rules, dict) and rules.get("success_model"):
        rules["success_model"] = _file_name(rules["success_model"])
    return out, removed


def _file_name(path: object) -> str:
    """The last part of a path written with ``/`` or ``\\`` (a summary may come from Windows)."""
    return PureWindowsPath(str(path)).name


def _numbers_only(value: Any) -> Any:
    """Counts keep numbers (and nested dicts of numbers); anything else could be an id list."""
    if isinstance(value, dict):
        kept = {str(k): _numbers_only(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None}
    if isinstance(value, bool | int | float):
        return value
    return None


def _export_record(
    key_id: str, tables: Mapping[str, PseudonymisedTable], removed: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "pseudonymised": True,
        "library_version": __version__,
        "ids": f"HMAC-SHA256, first {PSEUDONYM_DIGITS} hex digits, prefixes R-/V-/H-",
        "key_id": key_id,
        "pseudonymised_columns": {
            name: list(table.pseudonymised) for name, table in tables.items()
        },
        "coordinates": _coordinates_rule(tables),
        "removed": dict(removed),
    }


def _coordinates_rule(tables: Mapping[str, PseudonymisedTable]) -> str:
    coarsened = [name for name, table in tables.items() if table.coarsened]
    if not coarsened:
        return "none of the exported tables holds coordinates"
    return (
        f"lat/lon in {', '.join(coarsened)} replaced by the centre of the nearest bundled Lower "
        f"Saxony place within {PLACE_MAX_KM:g} km (column place), else rounded to a "
        f"{GRID_DEGREES:g} degree grid"
    )


def _readme(
    original: Mapping[str, Any],
    summary: Mapping[str, Any],
    tables: Mapping[str, PseudonymisedTable],
    removed: Mapping[str, Any],
) -> str:
    record = summary["export"]
    run = f"{original['run_id']} (as of {original.get('as_of', '?')})"
    lines = [
        f"Pseudonymised export of lotsen-match run {run}",
        "",
        "This directory is a copy of a matching run's results for analysis outside the",
        "coordination office, made by `lotsen-match export --pseudonymise`",
        f"(lotsen-match {__version__}). It is pseudonymised, not anonymous: with the office's",
        "key the pseudonyms lead back to people, and distances and scores describe real",
        "people. Under the GDPR it is still personal data (Art. 4(5), recital 26): keep it",
        "access-restricted, use it only for the agreed analysis, never try to re-identify",
        "anyone, and delete it when the analysis is done.",
        "",
        "What was replaced",
        f"- Ids: R-/V-/H- plus the first {PSEUDONYM_DIGITS} hex digits of HMAC-SHA256 under the",
        f"  office's key (key id {record['key_id']}). The same id gets the same pseudonym in every",
        "  export made with the same key, so exports can be linked with each other.",
    ]
    for name, table in tables.items():
        if table.pseudonymised:
            lines.append(f"  {name}: {', '.join(table.pseudonymised)}")
    if "active_request_ids" in summary:
        lines.append(f"  {SUMMARY_FILE}: active_request_ids")
    lines += [f"- Coordinates: {record['coordinates']}.", "", "What was removed"]
    for file_name, why in removed["files"].items():
        lines.append(f"- {file_name}: {why}")
    for name, columns in removed["columns"].items():
        for column, why in columns.items():
            lines.append(f"- {name}, column {column}: {why}")
    for key, why in removed["summary_keys"].items():
        lines.append(f"- {SUMMARY_FILE}, {key}: {why}")
    lines += [
        "",
        "What was kept: scores and their components, distances in km, language, need and",
        "reason codes, funnel counts, dates, counts, timings, the run's settings and the",
        "content fingerprints (SHA-256) of its inputs.",
        "",
        "Kurzfassung: Pseudonymisierte Kopie der Ergebnisse eines Laufs für Auswertungen",
        "außerhalb der Koordinierungsstelle. Kennungen sind durch schlüsselabhängige Pseudonyme",
        "ersetzt, Koordinaten auf den nächsten Ort vergröbert, Freitext und der Bericht",
        "(report.html) entfernt. Die Daten bleiben personenbezogen (DSGVO Art. 4 Nr. 5):",
        "zugriffsgeschützt aufbewahren, nur für die vereinbarte Auswertung nutzen, keine",
        "Re-Identifizierung versuchen, nach Abschluss löschen.",
    ]
    return "\n".join(lines) + "\n"


# --- files -----------------------------------------------------------------------------------


def _dir_mode(target: Path) -> int:
    """0750, or tighter where an earlier export's directory was tighter."""
    try:
        return DIR_MODE & os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        return DIR_MODE


def _private(path: Path) -> Path:
    os.chmod(path, FILE_MODE)
    return path


def _private_text(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return _private(path)


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
