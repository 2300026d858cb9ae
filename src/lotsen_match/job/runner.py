"""The nightly job: read the inputs, match, and publish every output of the run atomically.

The command line only parses arguments and maps errors to exit codes; everything a run does lives
here, so a scheduler written in Python can call :func:`run_job` directly. A run writes its result
tables, ``summary.json`` and ``report.html`` into a fresh directory that replaces the output
directory in one atomic step; with a database, the result tables are written in one transaction
before that step, so a failed database write leaves the previous files untouched too.

Result files are byte-identical for identical inputs and config, whatever the row order of the
inputs: tables are sorted by id, and timings and the run id live in ``summary.json`` only.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
import pandas as pd

from .._types import OutputFormat
from ..config import MatchConfig
from ..errors import ArgumentError, ConfigError, JobInputError, LotsenMatchError
from ..io import (
    InputFormatError,
    MissingTableError,
    atomic_directory,
    read_table,
    write_sql_run,
    write_table,
)
from ..io.atomic import is_mount_point, parse_file_mode
from ..io.inputs import INPUT_TABLES, TableSource, read_database_inputs, read_inputs
from ..io.writers import OUTPUT_EXTENSIONS
from ..printable import printable
from ..results.summary import RunSummary
from ..timing import StageTimer
from ..validation import ValidatedCaseload, validate_caseload

if TYPE_CHECKING:  # the matching core (and scikit-learn) loads only when a job runs
    from ..results.result import MatchResult

__all__ = [
    "INPUT_TABLES",
    "RESULT_TABLES",
    "SQL_RESULT_TABLES",
    "JobInputError",
    "JobResult",
    "StageHook",
    "build_config",
    "check_output_dir",
    "load_inputs",
    "new_run_id",
    "prepare_outputs",
    "read_run_tables",
    "redact_url",
    "run_job",
    "validate_inputs",
    "with_profile",
]

logger = logging.getLogger(__name__)

#: Result tables written as files, in this order.
RESULT_TABLES: Final = ("proposals", "unmatched", "rejected", "alternatives", "reconfirm")
#: Result tables written to the database (each tagged with ``run_id``), plus one ``match_runs`` row.
SQL_RESULT_TABLES: Final = ("proposals", "unmatched")
SQL_RUNS_TABLE: Final = "match_runs"
SUMMARY_FILE: Final = "summary.json"
REPORT_FILE: Final = "report.html"

#: Called with a stage name; the returned context manager spans the stage (progress display).
StageHook = Callable[[str], AbstractContextManager[object]]

# Sort keys that make every result file independent of the input row order.
_SORT_KEYS: Final[dict[str, list[str]]] = {
    "proposals": ["request_id"],
    "unmatched": ["request_id"],
    "alternatives": ["request_id", "rank"],
    "rejected": ["table", "source", "row"],
    "reconfirm": [],  # already in its documented order: longest without contact first
}


@dataclass(frozen=True)
class LoadedInputs:
    """Raw input frames and where each came from (for ``summary.json``)."""

    frames: dict[str, pd.DataFrame]
    sources: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class JobResult:
    """What a finished run produced: its id, output directory, files and summary."""

    run_id: str
    out_dir: Path
    files: dict[str, Path]
    summary: RunSummary
    result: MatchResult = field(repr=False)


def new_run_id(now: dt.datetime | None = None) -> str:
    """``20261102T020000Z-1a2b3c``: sorts by start time, unique across concurrent runs."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def redact_url(url: str) -> str:
    """The database URL with its password masked, fit for logs and ``summary.json``."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported elsewhere; never echo what it may hold
        return "<database url>"


def build_config(
    path: str | os.PathLike[str] | None = None,
    *,
    as_of: dt.date | None = None,
    solver: str | None = None,
    strict: bool | None = None,
    retention_days: int | None = None,
    profile: str | os.PathLike[str] | None = None,
) -> MatchConfig:
    """The settings files (or the defaults) with command-line overrides, validated as a whole.

    ``path`` (``--config``) and ``profile`` (``--profile``) are read in the same format; the
    profile is laid over the config, so its import settings win.
    """
    files = [f for f in (path, profile) if f is not None]
    base = MatchConfig.from_toml(*files) if files else MatchConfig()
    if profile is not None:
        from ..ingest.options import check_ingest_settings

        try:
            check_ingest_settings(base.ingest)
        except ConfigError as exc:
            raise ConfigError(exc.problems, source=Path(profile).name) from None
    overrides: dict[str, Any] = {}
    if retention_days is not None:
        overrides["retention_days"] = retention_days
    if as_of is not None:
        overrides["as_of"] = as_of
    if solver is not None:
        overrides["solver"] = solver
    if strict is not None:
        overrides["strict"] = strict
    if not overrides:
        return base
    try:
        return base.replace(**overrides)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source="command line") from None


def with_profile(config: MatchConfig, profile: str | os.PathLike[str]) -> MatchConfig:
    """``config`` with a profile (a settings file) laid over it: the profile's settings win."""
    return config.with_file(profile)


def load_inputs(
    volunteers: TableSource | None = None,
    requests: TableSource | None = None,
    assignments: TableSource | None = None,
    *,
    db_url: str | None = None,
    config: MatchConfig,
    profile: str | os.PathLike[str] | None = None,
) -> LoadedInputs:
    """Read the inputs from files (format by extension), DataFrames, or the database tables.

    Files are read with the settings' column mapping (``config.ingest.columns``); a table not
    given comes from the settings' ``[files]`` (an import profile names its export files
    there). ``profile`` is a settings file laid over ``config`` first (see
    :func:`with_profile`); it is better merged into the config once, with :func:`build_config`.

    With ``db_url`` the tables ``volunteers``, ``requests`` and (if present) ``assignments`` are
    read; a database without an ``assignments`` table simply has no earlier state.
    Raises:
        JobInputError: a file or table cannot be read as a table, or a table is missing.
        FileNotFoundError: an input file does not exist.
    """
    if profile is not None:
        config = with_profile(config, profile)
    try:
        return _load_inputs(volunteers, requests, assignments, db_url=db_url, config=config)
    except (InputFormatError, MissingTableError) as exc:
        raise JobInputError(str(exc)) from exc
    except ValueError as exc:  # e.g. a column mapping that makes two columns collide
        if isinstance(exc, LotsenMatchError):
            raise
        raise JobInputError(str(exc)) from exc


def _source_info(frame: pd.DataFrame) -> dict[str, Any]:
    info: dict[str, Any] = {
        "source": str(frame.attrs.get("source", "<DataFrame>")),
        "format": str(frame.attrs.get("format", "dataframe")),
        "rows": len(frame),
    }
    if "sha256" in frame.attrs:
        info["sha256"] = str(frame.attrs["sha256"])
    return info


def _load_inputs(
    volunteers: TableSource | None,
    requests: TableSource | None,
    assignments: TableSource | None,
    *,
    db_url: str | None,
    config: MatchConfig,
) -> LoadedInputs:
    if db_url is not None:
        if volunteers is not None or requests is not None or assignments is not None:
            raise ArgumentError("give either a database URL or input files, not both")
        frames = read_database_inputs(db_url, config)
        sources = {t: {"source": t, "format": "sql", "rows": len(f)} for t, f in frames.items()}
        return LoadedInputs(frames, sources)
    files = config.ingest.files
    volunteers = volunteers if volunteers is not None else files.get("volunteers")
    requests = requests if requests is not None else files.get("requests")
    assignments = assignments if assignments is not None else files.get("assignments")
    if volunteers is None or requests is None:
        raise JobInputError(
            "volunteers and requests are required: give --volunteers and --requests, "
            "or name the files in the settings' [files]"
        )
    frames = read_inputs(volunteers, requests, assignments, config)
    return LoadedInputs(frames, {t: _source_info(f) for t, f in frames.items()})


def check_output_dir(
    out_dir: str | os.PathLike[str],
    *,
    inputs: Sequence[TableSource | None] = (),
    force: bool = False,
) -> None:
    """Refuse an output directory whose replacement would destroy files that are not outputs.

    The directory is swapped as a whole, so it must be new, empty, or hold only what an
    earlier run wrote (the files its ``summary.json`` lists); ``force`` replaces it anyway. No
    input file may lie inside it, and it cannot be a mount point (which cannot be swapped).

    Raises:
        JobInputError: the directory is unsafe to replace.
    """
    target = Path(os.path.realpath(out_dir))
    if target.exists() and not target.is_dir():
        raise JobInputError(f"{out_dir}: exists and is not a directory")
    if target.is_dir() and is_mount_point(target):
        raise JobInputError(
            f"{out_dir}: is a mount point; the output directory is replaced as a whole, which "
            "a mount point cannot be. Give a directory inside it, e.g. "
            f"{Path(out_dir) / 'latest'}"
        )
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise JobInputError(
            f"{out_dir}: the output directory must not contain the working directory"
        )
    for source in inputs:
        if isinstance(source, str | os.PathLike):
            path = Path(os.path.realpath(source))
            if target == path or target in path.parents:
                raise JobInputError(
                    f"{source}: input file lies inside the output directory {out_dir}"
                )
    if force or not target.is_dir():
        return
    foreign = sorted(set(os.listdir(target)) - _written_by_a_run(target))
    if foreign:
        raise JobInputError(_foreign_files_message(out_dir, target, foreign))


def _written_by_a_run(target: Path) -> set[str]:
    """The files the run that last wrote ``target`` recorded in its ``summary.json``."""
    try:
        summary = json.loads((target / SUMMARY_FILE).read_text(encoding="utf-8"))
        outputs = summary["outputs"]
        return {SUMMARY_FILE, *(str(name) for name in outputs.values())}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def _foreign_files_message(out_dir: object, target: Path, foreign: list[str]) -> str:
    shown = ", ".join(printable(name) for name in foreign[:5])
    more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
    if (target / SUMMARY_FILE).is_file():
        what = f"holds files that no run wrote ({shown}{more})"
    else:
        what = f"not empty and not the output of an earlier run (no {SUMMARY_FILE}; it holds "
        what += f"{shown}{more})"
    return (
        f"{out_dir}: {what}. The output directory is replaced as a whole: move those files "
        "away, choose a new or empty directory, or pass --force to replace it with everything "
        "in it"
    )


def validate_inputs(inputs: LoadedInputs, config: MatchConfig) -> ValidatedCaseload:
    """Validate the loaded tables; strict mode raises ``InputValidationError`` with all problems."""
    return validate_caseload(
        inputs.frames["volunteers"],
        inputs.frames["requests"],
        inputs.frames.get("assignments"),
        config=config,
    )


def prepare_outputs(result: MatchResult) -> dict[str, pd.DataFrame]:
    """The result tables as written: sorted by id so that row order never depends on the input."""
    tables = {
        "proposals": result.proposals,
        "unmatched": result.unmatched,
        "rejected": result.rejected,
        "alternatives": result.alternatives,
        "reconfirm": result.reconfirm,
    }
    out = {}
    for name, frame in tables.items():
        keys = [k for k in _SORT_KEYS[name] if k in frame.columns]
        sorted_frame = frame.sort_values(keys, kind="stable") if keys and len(frame) else frame
        out[name] = sorted_frame.reset_index(drop=True)
    return out


def run_job(
    volunteers: TableSource | None = None,
    requests: TableSource | None = None,
    assignments: TableSource | None = None,
    *,
    out_dir: str | os.PathLike[str],
    config: MatchConfig | None = None,
    db_url: str | None = None,
    fmt: OutputFormat = "csv",
    run_id: str | None = None,
    stage: StageHook | None = None,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    profile: str | os.PathLike[str] | None = None,
    force: bool = False,
    file_mode: str | None = None,
) -> JobResult:
    """Run the whole job and publish its outputs in ``out_dir`` atomically.

    Inputs are files (CSV, Parquet, Excel by extension), DataFrames, or with ``db_url`` the
    database tables; with ``db_url`` the proposals and unmatched requests are also written back
    to the database in one transaction, tagged with the run id; that transaction also deletes
    the result rows of runs older than ``config.retention_days`` (see :mod:`.run_log`).
    ``extra_tables`` (name -> frame) are written next to the results in the same format (the
    demo uses it for its inputs).

    ``summary.json`` records the wall-clock seconds of every stage (``read``, ``validate``, the
    matching stages, ``write`` for the files, ``database`` for the SQL write) and the ``total``.

    ``out_dir`` keeps its mode, owner and group; the files get ``file_mode`` (octal text,
    default the config's ``output_file_mode``, 0640). A directory holding files that no run
    wrote is refused unless ``force`` (see :func:`check_output_dir`).

    Raises:
        InputValidationError: strict mode and invalid rows (nothing is written).
        JobInputError, FileNotFoundError: an unusable input or output directory.
        ConfigError: invalid configuration.
    """
    if fmt not in OUTPUT_EXTENSIONS:
        raise ArgumentError(
            f"output format must be one of {sorted(OUTPUT_EXTENSIONS)}, got {fmt!r}"
        )
    cfg = config or MatchConfig()
    if profile is not None:
        cfg = with_profile(cfg, profile)
    try:
        mode = parse_file_mode(file_mode or cfg.output_file_mode)
    except ValueError as exc:
        raise JobInputError(f"file mode: {exc}") from exc
    check_output_dir(out_dir, inputs=(volunteers, requests, assignments), force=force)
    rid = run_id or new_run_id()
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    hook = stage or _no_stage
    timer = StageTimer()
    fields = {"run_id": rid, "as_of": cfg.as_of.isoformat(), "solver": cfg.solver.name}
    logger.info("run started", extra={"fields": fields})

    with timer.stage("read"), hook("read"):
        inputs = load_inputs(volunteers, requests, assignments, db_url=db_url, config=cfg)
    with timer.stage("validate"), hook("validate"):
        caseload = validate_inputs(inputs, cfg)
    sources = inputs.sources
    del inputs  # the frames as read: the stages use the validated ones, these would add to the peak
    from ..pipeline import match_validated  # after validation: bad input fails fast
    from ..report import render_report

    with hook("match"):
        result = match_validated(caseload, cfg, timer=timer)
    timings = timer.seconds

    ext = OUTPUT_EXTENSIONS[fmt]
    tables = prepare_outputs(result)
    target = Path(out_dir)
    write = _table_writer(cfg, fmt)
    with hook("write"), atomic_directory(target, file_mode=mode) as staging:
        write_start = time.perf_counter()
        files: dict[str, Path] = {}
        for name, frame in {**tables, **(extra_tables or {})}.items():
            files[name] = write(name, frame, staging / f"{name}{ext}")
        names = {n: p.name for n, p in files.items()}
        report = render_report(result, file_names=names)
        files["report"] = staging / REPORT_FILE
        files["report"].write_text(report, encoding="utf-8")
        timings["write"] = round(time.perf_counter() - write_start, 6)
        retention: dict[str, Any] = {}
        if db_url is not None:
            with timer.stage("database"):
                retention = _write_database(db_url, tables, result, rid, started, cfg)
        timings["total"] = round(time.perf_counter() - clock, 6)
        summary = _summary(result, sources, cfg, rid, started, fmt, names, timings, db_url)
        summary["output_form"] = "office" if _office_form(cfg, fmt) else "contract"
        if retention:
            summary["database"]["retention"] = retention
        files["summary"] = staging / SUMMARY_FILE
        files["summary"].write_text(_json(summary), encoding="utf-8")
    final = {name: target / path.name for name, path in files.items()}
    counts = summary["counts"]
    logger.info(
        "run finished",
        extra={
            "fields": {
                "run_id": rid,
                "proposals": counts["proposals"],
                "unmatched": counts["unmatched"],
                "rejected_rows": counts["rejected_rows"],
                "optimal": summary["solver"]["optimal"],
                "seconds": timings["total"],
                "timings_s": dict(timings),
            }
        },
    )
    return JobResult(rid, target, final, summary, result)


def _office_form(config: MatchConfig, fmt: str) -> bool:
    """Whether the result files take the office's form (Parquet is for programs: contract)."""
    return config.office_output and fmt in ("csv", "xlsx")


def _table_writer(config: MatchConfig, fmt: str) -> Callable[[str, pd.DataFrame, Path], Path]:
    """Writes one named table: in the contract's form, or in the office's (see OutputSettings)."""
    if not _office_form(config, fmt):
        return lambda _name, frame, path: write_table(frame, path, fmt=fmt)
    from ..io.office_files import write_office_table
    from ..results.office_form import office_form, to_office

    form = office_form(config)

    def write(name: str, frame: pd.DataFrame, path: Path) -> Path:
        office = to_office(name, frame, form)
        return write_office_table(office, path, fmt=fmt, encoding=config.output.encoding)

    return write


def read_run_tables(
    run_dir: str | os.PathLike[str],
    names: Sequence[str] = ("proposals", "unmatched", "alternatives"),
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a finished run's tables ``names`` and ``summary.json`` back (``explain``, ``export``).

    Numbers come back as numbers whatever the file format, and the apostrophe that neutralised a
    formula-like text cell is removed again, so ids read back equal the ids written. Files in
    the office's form (German headers and words) come back in the contract's.

    Raises:
        FileNotFoundError: ``run_dir`` holds no ``summary.json`` or misses a result file.
    """
    directory = Path(run_dir)
    summary_path = directory / SUMMARY_FILE
    if not summary_path.is_file():
        raise FileNotFoundError(
            2, "no summary.json: not the output directory of a run", str(directory)
        )
    summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    outputs: dict[str, str] = summary.get("outputs", {})
    numeric = frozenset(_NUMERIC_COLUMNS) | frozenset(summary.get("components", []))
    tables: dict[str, pd.DataFrame] = {}
    back = _from_office(summary)
    office = summary.get("output_form") == "office"
    for name in names:
        file_name = outputs.get(name, f"{name}.csv")
        path = directory / file_name
        if not path.is_file():
            raise FileNotFoundError(2, f"result file {file_name} is missing", str(path))
        frame = back(name, _read_result_file(path, office=office))
        tables[name] = _restore_types(frame, numeric)
    return tables, summary


def _from_office(summary: Mapping[str, Any]) -> Callable[[str, pd.DataFrame], pd.DataFrame]:
    """The inverse of the run's office form (identity for contract-form files)."""
    if summary.get("output_form") != "office":
        return lambda _name, frame: frame
    from ..results.office_form import from_office, office_form

    form = office_form(MatchConfig.from_mapping(summary.get("config") or {}, source=SUMMARY_FILE))
    return lambda name, frame: from_office(name, frame, form)


# --- internals -------------------------------------------------------------------------------


@contextmanager
def _no_stage(_name: str) -> Iterator[None]:
    yield


def _write_database(
    url: str,
    tables: Mapping[str, pd.DataFrame],
    result: MatchResult,
    run_id: str,
    started: dt.datetime,
    config: MatchConfig,
) -> dict[str, Any]:
    """Results and one ``match_runs`` row in one transaction that also deletes expired results."""
    from .run_log import expiry_cutoff, run_log_row

    days = config.retention_days
    cutoff = expiry_cutoff(started, days)
    deleted = write_sql_run(
        url,
        {name: tables[name] for name in SQL_RESULT_TABLES},
        run_log_row(result, started, days, cutoff),
        run_id=run_id,
        runs_table=SQL_RUNS_TABLE,
        expire_before=cutoff,
    )
    return {"days": days, "cutoff": cutoff, "deleted_rows": deleted}


def _summary(
    result: MatchResult,
    sources: dict[str, dict[str, Any]],
    config: MatchConfig,
    run_id: str,
    started: dt.datetime,
    fmt: str,
    outputs: Mapping[str, str],
    timings: Mapping[str, float],
    db_url: str | None,
) -> RunSummary:
    head = {
        "run_id": run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "library_version": result.summary["library_version"],
        "as_of": result.summary["as_of"],
        "status": "ok",
    }
    # The rest of match()'s summary in its order (the job's own timings replace its timings).
    rest = {k: v for k, v in result.summary.items() if k not in head and k != "timings_s"}
    summary = cast(RunSummary, {**head, **rest})
    summary["inputs"] = sources
    if db_url is not None:
        summary["database"] = {
            "url": redact_url(db_url),
            "tables_written": [*SQL_RESULT_TABLES, SQL_RUNS_TABLE],
        }
    summary["format"] = fmt
    summary["outputs"] = {**outputs, "report": REPORT_FILE}
    summary["components"] = list(result.components)
    summary["funnel_steps"] = list(result.funnel_steps)
    # Requests already accompanied (not matched again), so `explain` can say so from the files.
    summary["active_request_ids"] = sorted(str(r) for r in result.active_request_ids)
    summary["timings_s"] = dict(timings)
    summary["config"] = config.to_json_dict()
    return summary


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _read_result_file(path: Path, *, office: bool = False) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv" and office:
        raw = path.read_bytes()
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "cp1252"
        return pd.read_csv(
            io.BytesIO(raw),
            sep=";",
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
    if suffix == ".csv":
        # Text as written (ids like "007" stay text); numbers are restored per column below.
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame = read_table(path, table=path.stem)
    return frame.drop(columns=["_row"], errors="ignore")


_NUMERIC_COLUMNS: Final = (
    "score",
    "distance_km",
    "volunteer_load",
    "best_score",
    "nearest_km",
    "nearest_radius_km",
    "rank",
    "days_without_contact",
)


#: Text columns where the run wrote "" (CSV reads it back as missing).
_TEXT_COLUMNS: Final = ("lacks", "detail", "best_volunteer_id")


def _restore_types(frame: pd.DataFrame, numeric: frozenset[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        name = str(column)
        series = out[column]
        if name in numeric or name.startswith("after_"):
            out[column] = pd.to_numeric(series, errors="coerce")
        elif name == "volunteer_full":
            out[column] = series.astype(str).str.lower().isin(["true", "1"])
        elif name in _TEXT_COLUMNS:
            out[column] = series.fillna("").map(_unneutralize).astype(object)
        elif pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(
            series.dtype
        ):
            out[column] = series.map(_unneutralize, na_action="ignore")
    return out


def _unneutralize(value: object) -> object:
    """Undo ``neutralize_formulas``: ``'=x`` was written for ``=x``."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value
