"""The ``lotsen-match`` command: run the nightly job, validate inputs, explain, generate, demo.

A thin layer over :mod:`lotsen_match.job.runner`: parse options, set up logging and progress, and
turn errors into exit codes a scheduler understands. 0 success; 2 invalid input or config
(nothing written); 1 anything else. Expected errors give one readable line per problem on stderr,
never a traceback (``--debug`` shows it). Output on stdout and stderr names ids, files, rows and
columns only, never names or free text from the inputs.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import signal
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, NoReturn

import typer

from .. import __version__
from .._types import OutputFormat, SolverName
from ..errors import ConfigError, InputValidationError, JobInputError, LotsenMatchError
from ..printable import printable_lines
from .logs import configure_logging

if TYPE_CHECKING:  # the heavy modules load only when a command runs, so --help stays fast
    import pandas as pd

    from ..config import MatchConfig
    from ..results.summary import RunSummary
    from .runner import StageHook

__all__ = ["EXIT_ERROR", "EXIT_INVALID", "EXIT_OK", "app", "main", "script"]

logger = logging.getLogger(__name__)

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_INVALID: Final = 2

#: Where ``demo`` looks for the bundled sample (relative to the current directory).
SAMPLE_DIR: Final = Path("data/samples")
DEMO_OUT: Final = Path("demo-output")
_SAMPLE_FILES: Final = {
    "volunteers": "ehrenamt_lotsen.csv",
    "requests": "anfragen.csv",
    "assignments": "zuordnungen.csv",
}
_SAMPLE_CONFIG: Final = "sample_config.toml"
# A town caseload for the demo when no sample is at hand: Hildesheim and its surroundings.
_DEMO_TOWN: Final = ("Hildesheim", 15.0, 150, 600, 2026)

app = typer.Typer(
    name="lotsen-match",
    help="Propose Integrationslotsinnen and -lotsen for open help requests: exact, explained, "
    "auditable. Exit codes: 0 ok, 2 invalid input or config (nothing written), 1 other errors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


class ReportLanguage(StrEnum):
    """Language of explanations."""

    de = "de"
    en = "en"


# --- shared options --------------------------------------------------------------------------

_IO = "Inputs"
_OUT = "Output"
_LOG = "Logging"

VolunteersOpt = Annotated[
    Path | None,
    typer.Option(
        "--volunteers",
        "-V",
        help="Volunteers table: .csv, .parquet or .xlsx (format by extension).",
        rich_help_panel=_IO,
    ),
]
RequestsOpt = Annotated[
    Path | None,
    typer.Option(
        "--requests", "-R", help="Requests table (any supported format).", rich_help_panel=_IO
    ),
]
AssignmentsOpt = Annotated[
    Path | None,
    typer.Option(
        "--assignments",
        "-A",
        help="Optional state before this run: request_id, volunteer_id, status "
        "(active/proposed/declined). Feed yesterday's proposals back here to keep them stable.",
        rich_help_panel=_IO,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (e.g. sqlite:///lotsen.db, postgresql+psycopg2://user@host/db): read "
        "tables volunteers, requests, assignments instead of files.",
        rich_help_panel=_IO,
    ),
]
ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        "-p",
        help="Import profile (TOML) of a German export: column names, vocabulary (Arabisch, "
        "Behördengang, Di abends, ja), separators, date format, place names instead of "
        "coordinates. Tables not given come from the profile's [files].",
        rich_help_panel=_IO,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config (weights, rules, column mapping).", rich_help_panel=_IO
    ),
]
AsOfOpt = Annotated[
    dt.datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Run date for every date rule (default: config, else today).",
        rich_help_panel=_IO,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Only errors; no progress, no result line (for cron).",
        rich_help_panel=_LOG,
    ),
]
LogJsonOpt = Annotated[
    bool,
    typer.Option(
        "--log-json",
        help="Structured JSON log lines on stderr (for job schedulers).",
        rich_help_panel=_LOG,
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Log every stage (ids and counts only).", rich_help_panel=_LOG
    ),
]
DebugOpt = Annotated[
    bool,
    typer.Option(
        "--debug",
        help="Debug logging, and a traceback for unexpected errors.",
        rich_help_panel=_LOG,
    ),
]


@dataclass(frozen=True)
class _Session:
    """Output settings of one command invocation."""

    quiet: bool = False
    log_json: bool = False
    verbose: bool = False
    debug: bool = False

    def start(self) -> None:
        if self.debug:
            level = logging.DEBUG
        elif self.verbose or self.log_json:
            level = logging.INFO
        else:
            level = logging.WARNING
        configure_logging(level=level, json_lines=self.log_json)

    def say(self, text: str) -> None:
        """A result line on stdout (suppressed by ``--quiet``); control characters escaped."""
        if not self.quiet:
            typer.echo(printable_lines(text))

    def progress(self) -> AbstractContextManager[StageHook | None]:
        """Spinner per stage on stderr, only for a person watching a terminal."""
        if self.quiet or self.log_json or not sys.stderr.isatty():
            return nullcontext(None)
        return _rich_progress()


@contextmanager
def _rich_progress() -> Iterator[StageHook]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    labels = {
        "read": "Reading inputs",
        "validate": "Validating",
        "match": "Matching (candidates, scores, optimisation)",
        "write": "Writing outputs",
    }
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:

        @contextmanager
        def stage(name: str) -> Iterator[None]:
            task = progress.add_task(labels.get(name, name), total=None)
            try:
                yield
            finally:
                progress.update(task, total=1, completed=1, visible=False)

        yield stage


# --- error handling --------------------------------------------------------------------------


def _err(text: str) -> None:
    """A line on stderr; text from inputs (names, headers, cells) cannot steer the terminal."""
    typer.echo(printable_lines(text), err=True)


def _problem_lines(problems: pd.DataFrame, lang: str) -> list[str]:
    """``file, Zeile 57, Spalte Sprachen: message`` for each problem (German or English)."""
    row_word, col_word = ("Zeile", "Spalte") if lang == "de" else ("row", "column")
    lines = []
    for p in problems.itertuples(index=False):
        lines.append(f"{p.source}, {row_word} {p.row}, {col_word} {p.column}: {p.message}")
    return lines


def _report_problems(session: _Session, problems: pd.DataFrame, lang: str) -> None:
    if session.log_json:
        # No message: it quotes the cell, and JSON logs carry no cell values at all.
        for p in problems.itertuples(index=False):
            logger.error(
                "invalid input",
                extra={
                    "fields": {
                        "table": p.table,
                        "source": p.source,
                        "row": p.row,
                        "column": p.column,
                        "rule": p.rule,
                    }
                },
            )
        return
    for line in _problem_lines(problems, lang):
        _err(line)


def _exit(code: int) -> NoReturn:
    raise typer.Exit(code)


@contextmanager
def _errors(session: _Session, lang: str = "de") -> Iterator[None]:
    """Map every exception to a message and an exit code; tracebacks only with ``--debug``."""
    try:
        yield
    except typer.Exit:
        raise
    except InputValidationError as exc:
        _report_problems(session, exc.problems, lang)
        n = len(exc.problems)
        _err(f"error: {n} problem(s) in the input; nothing was written (see --lenient).")
        _exit(EXIT_INVALID)
    except ConfigError as exc:
        for field, message in exc.problems:
            _err(f"{exc.source}: {field}: {message}")
        _err("error: invalid configuration; nothing was written.")
        _exit(EXIT_INVALID)
    except KeyboardInterrupt:
        _err("error: interrupted; no partial outputs were published.")
        _exit(EXIT_ERROR)
    except Exception as exc:
        code, message = _classify(exc)
        _err(f"error: {message}")
        if code == EXIT_ERROR:
            _debug_traceback(session)
        _exit(code)


def _classify(exc: Exception) -> tuple[int, str]:
    """Exit code and a one-line message that quotes no input data."""
    import pandas.errors
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, pandas.errors.DatabaseError) and isinstance(exc.__cause__, Exception):
        # pandas wraps driver errors, quoting the statement and its parameters: unwrap.
        return _classify(exc.__cause__)
    if isinstance(exc, JobInputError):
        return EXIT_INVALID, str(exc)
    if isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError):
        return EXIT_INVALID, _describe_os_error(exc)
    if isinstance(exc, sa_exc.ArgumentError):
        return EXIT_INVALID, f"invalid database URL ({type(exc).__name__}); nothing was written"
    if isinstance(exc, sa_exc.SQLAlchemyError):
        # The first line of the driver's message names the problem; later lines (DETAIL) and
        # the statement's parameters may quote row values, so they are left out.
        origin = getattr(exc, "orig", None) or exc
        first = (str(origin).strip().splitlines() or [""])[0]
        if isinstance(exc, sa_exc.StatementError) and origin is exc:
            first = ""
        return EXIT_ERROR, f"database: {type(origin).__name__}{': ' + first if first else ''}"
    if isinstance(exc, LotsenMatchError):
        return EXIT_ERROR, str(exc)
    if isinstance(exc, OSError):
        return EXIT_ERROR, _describe_os_error(exc)
    # The message of an unexpected error could quote input data: show only its type.
    return EXIT_ERROR, f"unexpected {type(exc).__name__}; rerun with --debug for the traceback"


def _describe_os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or type(exc).__name__}"


def _debug_traceback(session: _Session) -> None:
    if session.debug:
        _err(traceback.format_exc().rstrip("\n"))


def _config(
    path: Path | None,
    as_of: dt.datetime | None,
    solver: str | None = None,
    strict: bool | None = None,
    retention_days: int | None = None,
    profile: Path | None = None,
) -> MatchConfig:
    from .runner import build_config

    return build_config(
        path,
        as_of=as_of.date() if as_of is not None else None,
        solver=solver,
        strict=strict,
        retention_days=retention_days,
        profile=profile,
    )


def _run_language(summary: Mapping[str, Any]) -> str:
    """The report language a finished run used (its summary.json holds the config)."""
    from ..config import MatchConfig

    try:
        return MatchConfig.from_mapping(summary.get("config") or {}).report.language
    except ConfigError:
        return "de"


def _config_language(path: Path | None) -> str:
    """The report language of the config, for messages printed before the config is validated."""
    from ..config import MatchConfig

    try:
        return MatchConfig.from_toml(path).report.language if path else "de"
    except ConfigError:
        return "de"


def _check_sources(
    volunteers: Path | None,
    requests: Path | None,
    assignments: Path | None,
    db: str | None,
    profile: Path | None = None,
    config: Path | None = None,
) -> None:
    if db is not None and (volunteers or requests or assignments or profile):
        raise typer.BadParameter(
            "give either --db or input files (and --profile), not both", param_hint="--db"
        )
    settings = profile is not None or config is not None  # their [files] may name the tables
    if db is None and not settings and (volunteers is None or requests is None):
        raise typer.BadParameter(
            "both --volunteers and --requests are required (or --db URL)",
            param_hint="--volunteers/--requests",
        )


# --- commands --------------------------------------------------------------------------------


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"lotsen-match {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Propose Integrationslotsinnen and -lotsen for open help requests."""


def _check_file_mode(value: str | None) -> str | None:
    from ..io.atomic import parse_file_mode

    if value is not None:
        try:
            parse_file_mode(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    return value


@app.command()
def run(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output directory; replaced atomically.", rich_help_panel=_OUT
        ),
    ],
    volunteers: VolunteersOpt = None,
    requests: RequestsOpt = None,
    assignments: AssignmentsOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="Format of the result tables.", rich_help_panel=_OUT),
    ] = "csv",
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--lenient",
            help="Strict (default): any invalid row stops the run with exit 2 and writes nothing. "
            "Lenient: invalid rows go to rejected and the run goes on.",
            show_default=False,
            rich_help_panel=_IO,
        ),
    ] = None,
    as_of: AsOfOpt = None,
    solver: Annotated[
        SolverName | None,
        typer.Option("--solver", help="Optimisation backend.", rich_help_panel=_IO),
    ] = None,
    retention_days: Annotated[
        int | None,
        typer.Option(
            "--retention-days",
            min=0,
            help="With --db: delete result rows of runs that started more than this many days "
            "ago (config retention_days, default 90; 0 keeps only this run). match_runs is kept.",
            rich_help_panel=_OUT,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace OUT even if it holds files that no run wrote (they are deleted).",
            rich_help_panel=_OUT,
        ),
    ] = False,
    file_mode: Annotated[
        str | None,
        typer.Option(
            "--file-mode",
            callback=_check_file_mode,
            help="Mode of the result files, octal (default: config output_file_mode, 0640).",
            rich_help_panel=_OUT,
        ),
    ] = None,
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Match and write proposals, unmatched, rejected, alternatives, summary.json, report.html.

    Outputs appear atomically in OUT: a run that fails or is killed leaves the previous outputs
    untouched. OUT keeps its mode, owner and group; files are created 0640 (--file-mode). With
    --db the proposals and unmatched requests are also written to the database (tables
    proposals, unmatched, match_runs) in one transaction, tagged with the run id.

    Nightly, from cron: `lotsen-match run --db postgresql+psycopg2://lotsen@db/lotsen
    --out /srv/lotsen/latest --quiet --log-json`
    """
    from .runner import run_job

    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    _check_sources(volunteers, requests, assignments, db, profile, config)
    lang = _config_language(config)
    with _errors(session, lang):
        cfg = _config(config, as_of, solver, strict, retention_days, profile)
        lang = cfg.report.language
        with session.progress() as stage:
            job = run_job(
                volunteers,
                requests,
                assignments,
                out_dir=out,
                config=cfg,
                db_url=db,
                fmt=fmt,
                stage=stage,
                force=force,
                file_mode=file_mode,
            )
        _say_result(session, job.summary, job.out_dir)


#: What the CLI says after a run or a check, in the run's language (``ingest.lang``).
_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "result": "{proposals} of {requests_open} open requests got a proposal "
        "({proposals_kept} kept), {unmatched} unmatched, {rejected_rows} rows rejected; "
        "{backend}, {optimal}. Run {run_id}.",
        "optimal": "optimal",
        "not_optimal": "not proven optimal ({status})",
        "report": "Report: {path}",
        "counts": "{source}: {rows} rows, {valid} valid, {bad} rejected",
        "problems": "error: {n} problem(s) in the input.",
        "valid": "ok: all rows are valid.",
        "notices": "{n} notice(s): references to ids that no input row has (e.g. a Lotse who "
        "left the pool); listed in summary.json and the report.",
        "notice": "notice: {source}, row {row}, column {column}: {text}",
    },
    "de": {
        "result": "{proposals} von {requests_open} offenen Anfragen haben einen Vorschlag "
        "({proposals_kept} beibehalten), {unmatched} ohne Vorschlag, {rejected_rows} Zeilen "
        "abgelehnt; Verfahren {backend}, {optimal}. Lauf {run_id}.",
        "optimal": "nachweislich optimal",
        "not_optimal": "nicht nachweislich optimal ({status})",
        "report": "Bericht: {path}",
        "counts": "{source}: {rows} Zeilen, {valid} gültig, {bad} abgelehnt",
        "problems": "Fehler: {n} Problem(e) in der Eingabe.",
        "valid": "ok: alle Zeilen sind gültig.",
        "notices": "{n} Hinweis(e): Verweise auf IDs, die keine Eingabezeile hat (z. B. eine "
        "Lotsin, die nicht mehr dabei ist); aufgeführt in summary.json und im Bericht.",
        "notice": "Hinweis: {source}, Zeile {row}, Spalte {column}: {text}",
    },
}


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one (tables wrap there), else None (no wrapping)."""
    import shutil

    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _say_result(session: _Session, summary: RunSummary, out_dir: Path) -> None:
    """The result line in the run's language: German for settings that read a German export."""
    c = summary["counts"]
    s = summary["solver"]
    words = _WORDS[_summary_language(summary)]
    optimal = words["optimal"] if s["optimal"] else words["not_optimal"].format(status=s["status"])
    session.say(
        words["result"].format(
            **{k: c[k] for k in ("proposals", "requests_open", "proposals_kept", "unmatched")},
            rejected_rows=c["rejected_rows"],
            backend=s["backend"],
            optimal=optimal,
            run_id=summary["run_id"],
        )
    )
    notices = summary["notices"].get("count", 0)
    if notices:
        session.say(words["notices"].format(n=notices))
    session.say(words["report"].format(path=out_dir / "report.html"))


def _summary_language(summary: Mapping[str, Any]) -> str:
    """The run's CLI language from its recorded config: ``ingest.lang`` (German export: de)."""
    from ..config import MatchConfig

    try:
        return MatchConfig.from_mapping(summary.get("config") or {}).ingest.lang
    except ConfigError:
        return "en"


@app.command()
def validate(
    volunteers: VolunteersOpt = None,
    requests: RequestsOpt = None,
    assignments: AssignmentsOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    profile: ProfileOpt = None,
    as_of: AsOfOpt = None,
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check the inputs only: every problem on stderr (file, row, column, message); exit 2 if any.

    Nothing is written. Exit 0 when every row is valid. With --profile, first a short table of
    how each export column was understood (contract column, meaning, an example and its value).
    """
    from ..validation import validate_caseload
    from .runner import load_inputs

    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    _check_sources(volunteers, requests, assignments, db, profile, config)
    lang = _config_language(config)
    with _errors(session, lang):
        cfg = _config(config, as_of, profile=profile)
        lang = cfg.report.language
        loaded = load_inputs(volunteers, requests, assignments, db_url=db, config=cfg)
        if profile is not None:
            from ..validation.describe import describe_profile, describe_text

            lang = cfg.ingest.lang
            understood = describe_profile(cfg, loaded.frames)
            session.say(describe_text(understood, cfg.ingest.lang, width=_terminal_width()))
        caseload = validate_caseload(
            loaded.frames["volunteers"],
            loaded.frames["requests"],
            loaded.frames.get("assignments"),
            config=cfg,
            strict=False,
        )
        words = _WORDS[cfg.ingest.lang]
        for table, info in loaded.sources.items():
            rows = caseload.rows_read.get(table, info["rows"])
            bad = int((caseload.rejected["table"] == table).sum()) if len(caseload.rejected) else 0
            session.say(
                words["counts"].format(source=info["source"], rows=rows, valid=rows - bad, bad=bad)
            )
        for n in caseload.notices.itertuples():
            session.say(
                words["notice"].format(source=n.source, row=n.row, column=n.column, text=n.message)
            )
        if len(caseload.problems):
            _report_problems(session, caseload.problems, lang)
            _err(words["problems"].format(n=len(caseload.problems)))
            _exit(EXIT_INVALID)
        session.say(words["valid"])


@app.command()
def columns(
    language: Annotated[
        ReportLanguage,
        typer.Option("--language", "--lang", help="Language of the listing (de or en)."),
    ] = ReportLanguage.de,
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table", "-t", help="Only this table (repeatable), e.g. volunteers, proposals."
        ),
    ] = None,
) -> None:
    """List the data contract: tables, columns, required, type, meaning and vocabularies."""
    from .contract_text import CONTRACT_TABLES, contract_text

    unknown = [t for t in table or () if t not in CONTRACT_TABLES]
    if unknown:
        raise typer.BadParameter(
            f"unknown table {unknown[0]!r}; valid: {', '.join(CONTRACT_TABLES)}",
            param_hint="--table",
        )
    typer.echo(contract_text(language.value, table, width=_terminal_width()), nl=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the records Volunteer, HelpRequest and Assignment."""
    import json

    from ..records import record_json_schemas

    typer.echo(json.dumps(record_json_schemas(), indent=2, ensure_ascii=False))


@app.command()
def explain(
    run_dir: Annotated[
        Path, typer.Option("--run", help="Output directory of a finished run (holds summary.json).")
    ],
    request: Annotated[str, typer.Option("--request", "-r", help="Request id to explain.")],
    lang: Annotated[
        ReportLanguage | None,
        typer.Option("--lang", help="Language of the explanation (default: the run's config)."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Explain one request of a finished run from its files: proposal, alternatives, or why none."""
    from ..results.explain import explain_request
    from .runner import read_run_tables

    session = _Session(debug=debug)
    session.start()
    with _errors(session):
        tables, summary = read_run_tables(run_dir)
        language = lang.value if lang else _run_language(summary)
        explanation = explain_request(
            request,
            proposals=tables["proposals"],
            unmatched=tables["unmatched"],
            alternatives=tables["alternatives"],
            components=tuple(summary.get("components", ())),
            funnel_steps=tuple(summary.get("funnel_steps", ())),
            lang=language,
            active_request_ids=frozenset(summary.get("active_request_ids", ())),
        )
        typer.echo(printable_lines(explanation.text))
        if explanation.status == "unknown":
            _exit(EXIT_INVALID)


@app.command()
def generate(
    n_volunteers: Annotated[int, typer.Option("--volunteers", min=0, help="Number of volunteers.")],
    n_requests: Annotated[int, typer.Option("--requests", min=0, help="Number of requests.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Directory for the three tables.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="File format.")] = "csv",
    db: Annotated[
        str | None, typer.Option("--db", help="Also store the tables in this database (replaced).")
    ] = None,
    as_of: AsOfOpt = None,
    around: Annotated[
        str | None,
        typer.Option(
            "--around", help="Only places near this Lower Saxony place (e.g. Hildesheim)."
        ),
    ] = None,
    radius_km: Annotated[
        float, typer.Option("--radius-km", min=0.0, help="Radius around --around.")
    ] = 15.0,
    history: Annotated[
        int,
        typer.Option(
            "--history",
            min=0,
            help="Also up to N ended accompaniments (outcomes from a hidden ground truth) "
            "and their closed requests (closed_requests file), to learn from.",
        ),
    ] = 0,
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write a synthetic caseload (volunteers, requests, assignments) of Lower Saxony."""
    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    if out is None and db is None:
        raise typer.BadParameter("give --out DIR and/or --db URL", param_hint="--out")
    with _errors(session):
        caseload = _generate(n_volunteers, n_requests, seed, as_of, around, radius_km, history)
        tables = {
            "volunteers": caseload.volunteers,
            "requests": caseload.requests,
            "assignments": caseload.assignments,
        }
        if history:
            tables["closed_requests"] = caseload.closed_requests
        if out is not None:
            from ..io import write_table

            for name, frame in tables.items():
                path = write_table(frame, out / f"{name}.{fmt}", fmt=fmt)
                session.say(f"{path} ({len(frame)} rows)")
        if db is not None:
            from ..io import write_sql_input_tables
            from .runner import redact_url

            write_sql_input_tables(db, tables)
            session.say(f"{redact_url(db)}: tables {', '.join(tables)} written")


def _generate(
    n_volunteers: int,
    n_requests: int,
    seed: int,
    as_of: dt.datetime | None,
    around: str | None,
    radius_km: float,
    history: int = 0,
) -> Any:
    from ..generate import generate_caseload
    from ..ingest.places import load_places, places_within

    kwargs: dict[str, Any] = {"seed": seed, "history": history}
    if as_of is not None:
        kwargs["as_of"] = as_of.date()
    if around is not None:
        places = load_places()
        hit = places[places["name"].str.casefold() == around.casefold()]
        if hit.empty:
            raise JobInputError(f"--around: no Lower Saxony place named {around!r}")
        centre = hit.sort_values("population", ascending=False).iloc[0]
        kwargs["places"] = places_within(
            float(centre["lat"]), float(centre["lon"]), radius_km, places
        )
    return generate_caseload(n_volunteers, n_requests, **kwargs)


@app.command()
def learn(
    history: Annotated[
        list[Path],
        typer.Option(
            "--history",
            "-H",
            help="Assignments with ended rows (started_on, end_reason); repeat for several files.",
        ),
    ],
    volunteers: Annotated[
        Path, typer.Option("--volunteers", "-V", help="Every volunteer the history names.")
    ],
    requests: Annotated[
        list[Path],
        typer.Option(
            "--requests", "-R", help="Every request the history names (open and closed); repeat."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (.skops).")],
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    model: Annotated[str, typer.Option("--model", help="hgb (default) or logistic.")] = "hgb",
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Learn the success probability of pairings from outcomes; write model, card and page.

    Writes OUT (skops), OUT's stem + .card.json and .card.md, and + .html (metrics,
    calibration plot, fairness table). Use it with `success_model = "OUT"` and a
    `[weights] success = ...` in the run config. Exit 2 for invalid input.
    """
    import pandas as pd

    from ..config import TableName
    from ..io import atomic_file, read_table

    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    if model not in ("hgb", "logistic"):
        raise typer.BadParameter("hgb or logistic", param_hint="--model")
    lang = _config_language(config)
    with _errors(session, lang):
        from ..learn import fit_success_model
        from ..learn.page import learning_page

        cfg = _config(config, as_of)

        def read(paths: list[Path], table: TableName) -> pd.DataFrame:
            frames = [
                read_table(p, table=table, column_mapping=cfg.ingest.columns.get(table))
                for p in paths
            ]
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            frame.attrs["source"] = ", ".join(p.name for p in paths)
            return frame

        fitted = fit_success_model(
            read(history, "assignments"),
            read([volunteers], "volunteers"),
            read(requests, "requests"),
            cfg,
            model=model,  # type: ignore[arg-type]
        )
        files = fitted.save(out)
        page = out.with_name(out.stem + ".html")
        with atomic_file(page) as fh:
            fh.write(learning_page(fitted).encode("utf-8"))
        cv = fitted.card["metrics"]["group_cv"]
        session.say(
            f"{fitted.name}: {fitted.card['rows']['training']} pairings, AUC {cv['auc']} "
            f"(hand-weighted {cv['baseline_auc']}), Brier {cv['brier']} "
            f"(hand-weighted {cv['baseline_brier']})"
        )
        for path in (*files.values(), page):
            session.say(f"wrote {path}")
        for warning in fitted.card["warnings"]:
            session.say(f"warning: {warning}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = DEMO_OUT,
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Run the whole job on the bundled sample (./data/samples) or a generated town caseload."""
    import pandas as pd

    from ..config import MatchConfig
    from .runner import SUMMARY_FILE, run_job

    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    with _errors(session):
        sample = [SAMPLE_DIR / name for name in _SAMPLE_FILES.values()]
        with session.progress() as stage:
            if all(p.is_file() for p in sample[:2]):
                config_path = SAMPLE_DIR / _SAMPLE_CONFIG
                cfg = _config(config_path if config_path.is_file() else None, None, strict=False)
                source = f"the bundled sample in {SAMPLE_DIR}"
                job = run_job(
                    sample[0],
                    sample[1],
                    sample[2] if sample[2].is_file() else None,
                    out_dir=out,
                    config=cfg,
                    stage=stage,
                )
            else:
                town, radius, n_vol, n_req, seed = _DEMO_TOWN
                caseload = _generate(n_vol, n_req, seed, None, town, radius)
                as_of = caseload.requests["created_on"].max()
                cfg = MatchConfig(as_of=pd.Timestamp(as_of).date() + dt.timedelta(days=1))
                source = (
                    f"a generated caseload around {town} ({n_vol} volunteers, {n_req} requests, "
                    f"seed {seed}; inputs saved as input_*.csv)"
                )
                job = run_job(
                    caseload.volunteers,
                    caseload.requests,
                    caseload.assignments,
                    out_dir=out,
                    config=cfg,
                    stage=stage,
                    extra_tables={
                        "input_volunteers": caseload.volunteers,
                        "input_requests": caseload.requests,
                        "input_assignments": caseload.assignments,
                    },
                )
        session.say(f"Demo on {source}.")
        _say_result(session, job.summary, job.out_dir)
        session.say(f"Proposals: {job.files['proposals']}")
        session.say(f"Why no proposal: {job.files['unmatched']}")
        session.say(f"Counts, timings, fingerprints: {job.out_dir / SUMMARY_FILE}")
        example = _example_request(job.result.proposals, job.result.unmatched)
        if example:
            session.say(
                f"Explain one: lotsen-match explain --run {job.out_dir} --request {example}"
            )


def _example_request(proposals: pd.DataFrame, unmatched: pd.DataFrame) -> str | None:
    for frame in (proposals, unmatched):
        if len(frame):
            return str(frame["request_id"].sort_values().iloc[0])
    return None


@app.command()
def export(
    run_dir: Annotated[
        Path, typer.Option("--run", help="Output directory of a finished run (holds summary.json).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory of the export; replaced atomically.")
    ],
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            "--pseudonymize",
            help="Required: ids become keyed hashes, coordinates places, free text is dropped.",
        ),
    ] = False,
    key_env: Annotated[
        str,
        typer.Option("--key-env", help="Environment variable holding the secret key (32+ bytes)."),
    ] = "LOTSEN_KEY",
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Copy a finished run for analysts outside the office, pseudonymised (see README.txt in OUT).

    Ids become R-/V-/H- plus an HMAC-SHA256 under the key (the same for every export with the
    same key), coordinates the nearest place, free text and report.html are dropped; files are
    0640. The key is read from the environment, never from the command line:
    `LOTSEN_KEY=... lotsen-match export --pseudonymise --run out --out export`
    """
    from .export import export_run, key_from_env

    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    if not pseudonymise:
        raise typer.BadParameter(
            "only pseudonymised exports exist; add --pseudonymise", param_hint="--pseudonymise"
        )
    with _errors(session):
        done = export_run(run_dir, out, key=key_from_env(key_env))
        session.say(
            f"Exported run {done.run_id} to {done.out_dir}: ids pseudonymised (key id "
            f"{done.key_id}), report.html and free text removed; see {done.files['readme']}."
        )


@app.command()
def simulate(
    scenarios: Annotated[
        Path, typer.Option("--scenarios", "-S", help="Scenario TOML ([[scenario]] tables).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    volunteers: VolunteersOpt = None,
    requests: RequestsOpt = None,
    assignments: AssignmentsOpt = None,
    seeds: Annotated[
        int, typer.Option("--seeds", min=1, max=10_000, help="Seeds per scenario.")
    ] = 5,
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=3650, help="Horizon (overrides the file).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (default: a local cluster)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, max=256, help="Worker processes of the local cluster."),
    ] = 2,
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Simulate scenarios x seeds day by day on Dask (each day on the desk API, `Matcher`).

    Writes results.parquet (one row per scenario x seed), shares.parquet (served share by
    first language and place), summary.json and the German page simulation.html into OUT.
    Exit 2 for invalid input, config or scenario file (nothing written).
    """
    session = _Session(quiet, log_json, verbose, debug)
    session.start()
    with _errors(session, _config_language(config)):
        if volunteers is None or requests is None:
            raise JobInputError("give --volunteers and --requests")
        from ..simulate.job import run_simulation_job

        paths = run_simulation_job(
            volunteers=volunteers,
            requests=requests,
            assignments=assignments,
            scenarios=scenarios,
            seeds=seeds,
            out=out,
            config=_config(config, as_of),
            days=days,
            scheduler=scheduler,
            workers=workers,
            progress=not (quiet or log_json) and sys.stderr.isatty(),
        )
        for path in paths:
            session.say(str(path))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``lotsen-match`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "lotsen-match"
    if prog in ("__main__.py", "cli.py", "-c", "-m"):
        prog = "lotsen-match"
    # SIGTERM (a scheduler's timeout) unwinds like Ctrl-C, so the staging directory is removed.
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        app(args=args, prog_name=prog)
    finally:
        signal.signal(signal.SIGTERM, previous)


def script() -> NoReturn:
    """The ``lotsen-match`` command and ``python -m lotsen_match``: :func:`main`, then a fast exit.

    Tearing down the modules of pandas, scikit-learn, SciPy and matplotlib takes about half a
    second after every command, when the outputs are long written and closed. So, as mypy does,
    the process flushes its streams, runs the atexit handlers (logging, temporary files, worker
    processes) and ends with ``os._exit``, keeping the exit code. ``main`` itself returns
    normally (the tests and callers that embed the CLI use it).
    """
    try:
        main()
    except SystemExit as stop:
        code = stop.code
    else:
        code = EXIT_OK
    if code is None:
        code = EXIT_OK
    elif not isinstance(code, int):  # sys.exit("message"): print it, as the interpreter would
        print(code, file=sys.stderr)
        code = EXIT_ERROR
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe or stream: nothing left to deliver
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    script()
