"""Scenario x seed sweeps as Dask tasks: a LocalCluster by default, or any dask.distributed cluster.

Each task is the pure function [`simulate`][lotsen_match.simulate.simulate] of (caseload, scenario,
seed), so a seed gives the same row on one worker or fifty. What lets two workers run close to
twice as fast as one:

* one task per scenario x seed: a task is a whole run (hundreds of Matcher builds), so the
  scheduler's few milliseconds per task are noise;
* the caseload goes to the workers once (``scatter(..., broadcast=True)``), every task gets a
  reference to it, never a copy of the tables;
* the default cluster has worker *processes* with one thread each (the day loop holds the GIL;
  threads would take turns on one core) and native thread pools pinned to one thread (dask's
  default worker environment does so too; kept explicit), so two workers on two cores do not
  fight over them.

Time a sweep on a running, warmed-up cluster: starting worker processes and their first run
(imports, first-call set-up of the pipeline) cost seconds each, which short sweeps would
otherwise mistake for the speed of the sweep.

Rows come back in (scenario, seed) order whatever order the tasks finish in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from ..config import MatchConfig
from .run import check_simulated_config, simulate
from .scenario import Scenario, SimulationSettings

__all__ = ["ONE_THREAD", "SweepResult", "local_cluster", "sweep"]

ONE_THREAD: Final[dict[str, str]] = {
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    )
}
"""Environment of the default workers: native thread pools of one thread each."""


@dataclass(frozen=True)
class SweepResult:
    """One row per scenario x seed (``runs``); served share per language and place (``shares``).

    Attributes
    ----------
    runs
        One row per scenario x seed, in (scenario, seed) order: the rows of ``simulate``.
    shares
        Per scenario, seed and first language (``erstsprache``) or place (``ort``): arrived
        and served requests and their share.
    """

    runs: pd.DataFrame
    shares: pd.DataFrame

    def to_parquet(self, out_dir: str | Path) -> Path:
        """Write ``results.parquet`` (and ``shares.parquet``) into ``out_dir``.

        Parameters
        ----------
        out_dir
            The directory (made if missing).

        Returns
        -------
        Path
            The path of ``results.parquet``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "results.parquet"
        self.runs.to_parquet(path, index=False)
        self.shares.to_parquet(out / "shares.parquet", index=False)
        return path


def _one(
    frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None],
    scenario: Scenario,
    seed: int,
    settings: SimulationSettings,
    config: MatchConfig,
) -> tuple[dict[str, Any], pd.DataFrame]:
    run = simulate(*frames, scenario, seed=seed, settings=settings, config=config)
    return run.row, run.shares


def local_cluster(workers: int, **kwargs: Any) -> Any:
    """A ``dask.distributed.LocalCluster`` of ``workers`` single-threaded worker processes."""
    from dask.distributed import LocalCluster

    options: dict[str, Any] = {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": ":0",
        "silence_logs": 40,
        "env": dict(ONE_THREAD),
    }
    options.update(kwargs)
    return LocalCluster(**options)  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def _client(client: Any, workers: int) -> Iterator[Any]:
    from dask.distributed import Client

    if client is None:
        with local_cluster(workers) as cluster, Client(cluster) as own:  # type: ignore[no-untyped-call]
            yield own
    elif isinstance(client, str):
        with Client(client) as own:  # type: ignore[no-untyped-call]
            yield own
    else:
        yield client


def sweep(
    scenarios: Sequence[Scenario],
    seeds: int | Iterable[int],
    client: Any = None,
    *,
    volunteers: pd.DataFrame,
    requests: pd.DataFrame,
    assignments: pd.DataFrame | None = None,
    settings: SimulationSettings | None = None,
    config: MatchConfig | None = None,
    workers: int = 2,
    progress: bool = True,
) -> SweepResult:
    """Run every scenario with every seed as Dask tasks and collect a tidy table.

    Parameters
    ----------
    scenarios
        The scenarios (see [`load_scenarios`][lotsen_match.simulate.load_scenarios]).
    seeds
        A count (seeds ``0..n-1``) or the seeds themselves.
    client
        ``None``: a LocalCluster with ``workers`` single-threaded worker processes for this sweep;
        a scheduler address (``"tcp://host:8786"``); or a ``dask.distributed.Client``.
    volunteers, requests, assignments
        Tables in the contract's form.
    settings, config
        Dynamics and matching rules shared by all runs.
    workers
        Worker processes of the default LocalCluster.
    progress
        Show a progress bar (rich) while tasks finish.

    Returns
    -------
    SweepResult
        ``runs`` has one row per scenario x seed in (scenario, seed) order.

    Raises
    ------
    ConfigError, InputValidationError
        A success model in ``config`` (before any task); from a run (the first failing task's
        error, re-raised here).
    """
    from dask.distributed import as_completed

    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    settings = settings or SimulationSettings()
    config = check_simulated_config(config or MatchConfig())
    jobs = [(i, s, seed) for i, s in enumerate(scenarios) for seed in seed_list]
    results: dict[int, tuple[dict[str, Any], pd.DataFrame]] = {}
    with _client(client, workers) as c:
        frames = c.scatter([(volunteers, requests, assignments)], broadcast=True, hash=False)[0]
        futures = [
            c.submit(
                _one, frames, s, seed, settings, config, key=f"simulate-{n}-{i}-{seed}", pure=False
            )
            for n, (i, s, seed) in enumerate(jobs)
        ]
        index = {f.key: n for n, f in enumerate(futures)}
        bar: Any = contextlib.nullcontext()
        if progress:
            from rich.progress import Progress

            bar = Progress(transient=True)
        with bar as shown:
            task = shown.add_task("Simulation", total=len(futures)) if progress else None
            for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                results[index[fut.key]] = fut.result()
                if progress:
                    shown.advance(task)
    rows = [results[n][0] for n in range(len(jobs))]
    shares = [results[n][1] for n in range(len(jobs))]
    runs = pd.DataFrame(rows)
    share_frame = pd.concat(shares, ignore_index=True) if shares else pd.DataFrame()
    return SweepResult(runs, share_frame)
