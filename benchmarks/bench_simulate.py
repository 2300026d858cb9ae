"""Benchmark: the simulation (``lotsen_match.simulate``), each day's plan exact for its tables.

    python benchmarks/bench_simulate.py --days 30                  # seconds per simulated day
    python benchmarks/bench_simulate.py --year                     # one year, large city
    python benchmarks/bench_simulate.py --sweep 4 --sweep-days 15  # Dask speed-up, 2 vs 1 worker
    python benchmarks/bench_simulate.py --shares 365               # bound share per policy
    python benchmarks/bench_simulate.py --shares 365 --shares-sizes large-city --shares-workers 2

Method: caseloads from ``generate_caseload(volunteers, requests, seed=0)`` (town 200 x 1,000,
large city 2,000 x 10,000) and the bundled sample (``data/samples/spec``), as_of 2026-11-02,
default settings (confirm 85 % after 2 days, accompaniments 30 + gamma days, mean 180),
seed 0. Seconds per simulated day = the run's wall time without building the world (one
relaxed pipeline build) and the bound, divided by the days; it splits into the plan's work and
the desk calls of the day. Nightly and weekly use the default day planner (the run's households
validated, encoded and paired once, included in the plan's work; each plan built from arrays
and solved exactly); the on-arrival policies build a Matcher each day (validation, pairs,
scores, exact solve, result tables) and call the desk. CPU seconds of the process are recorded
beside the wall time, and the 1-minute load average before and after each row: the machine is
shared (2 cores), and under load the wall time grows while the CPU time still shows the work.

Sweep speed-up: the same tasks (scenarios ``nightly`` and ``greedy_on_arrival`` x N seeds on
the town caseload) on a LocalCluster of 1 and of 2 single-threaded worker processes. Each
cluster is started and warmed up (imports, one short run per worker) before the clock starts,
so the speed-up is that of the sweep itself; the start-up is reported apart. The same tasks
also run in a plain ``multiprocessing`` pool of 1 and of 2 processes (no Dask): on shared
cores that is what two processes could get at the time, the yardstick for Dask's part. The
four take turns in each of ``--sweep-repeat`` rounds; medians are reported.

Results go to ``benchmarks/results/simulate.json`` (merged: each mode replaces its own part)
and the README table between the ``sim-bench`` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

import lotsen_match as lm
from lotsen_match.simulate import POLICIES, TIMING_COLUMNS, Scenario, SimulationSettings, simulate
from lotsen_match.simulate.sweep import local_cluster, sweep

__all__ = ["main"]

ROOT: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = ROOT / "benchmarks" / "results" / "simulate.json"
README: Final = ROOT / "README.md"
START_MARK: Final = "<!-- sim-bench:start -->"
END_MARK: Final = "<!-- sim-bench:end -->"
AS_OF: Final = dt.date(2026, 11, 2)
SIZES: Final = {"town": (200, 1_000), "large-city": (2_000, 10_000)}
SAMPLE: Final = ROOT / "data" / "samples" / "spec"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _caseload(size: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    if size == "sample":
        read = lambda name: pd.read_csv(  # noqa: E731
            SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False
        )
        return read("volunteers"), read("requests"), read("assignments")
    n_v, n_r = SIZES[size]
    c = lm.generate_caseload(n_v, n_r, seed=0, as_of=AS_OF)
    return c.volunteers, c.requests, c.assignments


def bench_run(size: str, days: int, policy: str, seed: int = 0) -> dict[str, Any]:
    """One run; its row with the per-day split and the load around it."""
    tables = _caseload(size)
    before = _load()
    run = simulate(
        *tables,
        Scenario(name=policy, policy=policy),  # type: ignore[arg-type]
        seed=seed,
        settings=SimulationSettings(days=days),
        config=lm.MatchConfig(as_of=AS_OF),
    )
    return _bench_row(size, tables, run.row, before)


def _bench_row(
    size: str, tables: tuple[Any, ...], row: dict[str, Any], before: float
) -> dict[str, Any]:
    days = int(row["days"])
    return {
        "size": size,
        "volunteers": len(tables[0]),
        "requests": len(tables[1]),
        "policy": row["policy"],
        "days": days,
        "seconds": round(row["seconds"], 2),
        "cpu_seconds": round(row["cpu_seconds"], 2),
        "world_seconds": round(row["build_seconds"], 2),
        "per_day_s": round(row["seconds_per_day"], 3),
        "matcher_build_per_day_s": round(row["matcher_seconds"] / days, 3),
        "desk_per_day_s": round(row["desk_seconds"] / days, 3),
        "desk_calls_per_day": round(row["desk_calls"] / days, 1),
        "served_requests": row["served_requests"],
        "bound_requests": row["bound_requests"],
        "bound_share": round(row["bound_share"], 4),
        "waiting_days_median": row["waiting_days_median"],
        "arrived_households": row["arrived_households"],
        "load_before": before,
        "load_after": _load(),
    }


def bench_shares_on_dask(size: str, days: int, workers: int) -> list[dict[str, Any]]:
    """Every policy once (seed 0) as a sweep on ``workers`` Dask workers: the bound shares.

    The runs share the cores, so their seconds are those of a busy machine (load noted).
    """
    tables = _caseload(size)
    before = _load()
    result = sweep(
        [Scenario(name=p, policy=p) for p in POLICIES],  # type: ignore[arg-type]
        [0],
        volunteers=tables[0],
        requests=tables[1],
        assignments=tables[2],
        settings=SimulationSettings(days=days),
        config=lm.MatchConfig(as_of=AS_OF),
        workers=workers,
        progress=False,
    )
    return [_bench_row(size, tables, row, before) for row in result.runs.to_dict("records")]


def _warm(client: Any, tables: tuple[Any, ...]) -> None:
    """Imports and first calls in every worker, so the timed sweep measures the sweep."""
    import lotsen_match.simulate  # noqa: F401

    client.run(lambda: __import__("lotsen_match.simulate.run"))
    sweep(
        [Scenario(name="warm")],
        list(range(len(client.scheduler_info()["workers"]))),
        client,
        volunteers=tables[0],
        requests=tables[1],
        assignments=tables[2],
        settings=SimulationSettings(days=2),
        config=lm.MatchConfig(as_of=AS_OF),
        progress=False,
    )


def _plain_task(job: tuple[str, str, str, int, int]) -> float:
    size, name, policy, seed, days = job
    tables = _caseload(size)
    t0 = time.perf_counter()
    simulate(
        *tables,
        Scenario(name=name, policy=policy),  # type: ignore[arg-type]
        seed=seed,
        settings=SimulationSettings(days=days),
        config=lm.MatchConfig(as_of=AS_OF),
    )
    return time.perf_counter() - t0


def bench_sweep(seeds: int, days: int, size: str = "town", repeat: int = 3) -> dict[str, Any]:
    """Dask 1 vs 2 workers and a plain pool of 1 vs 2 processes, interleaved ``repeat`` times.

    The four configurations take turns within each round, so a burst of other jobs on the
    shared cores hits all of them alike; the medians over the rounds are reported.
    """
    from dask.distributed import Client

    tables = _caseload(size)
    scenarios = [Scenario(name=p, policy=p) for p in ("nightly", "greedy_on_arrival")]  # type: ignore[arg-type]
    jobs = [(size, s.name, s.policy, seed, days) for s in scenarios for seed in range(seeds)]
    out: dict[str, Any] = {"size": size, "tasks": len(jobs), "days": days, "repeat": repeat}
    kw: dict[str, Any] = {
        "volunteers": tables[0],
        "requests": tables[1],
        "assignments": tables[2],
        "settings": SimulationSettings(days=days),
        "config": lm.MatchConfig(as_of=AS_OF),
        "progress": False,
    }
    walls: dict[str, list[float]] = {k: [] for k in ("dask1", "dask2", "plain1", "plain2")}
    cpu: dict[str, list[float]] = {"dask1": [], "dask2": []}
    loads: list[float] = []
    rows: dict[int, pd.DataFrame] = {}
    ctx = multiprocessing.get_context("spawn")
    with contextlib.ExitStack() as stack:
        clients = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            cluster = stack.enter_context(local_cluster(workers))
            clients[workers] = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
            _warm(clients[workers], tables)
            out[f"startup_{workers}w_s"] = round(time.perf_counter() - t0, 2)
        pools = {w: stack.enter_context(ctx.Pool(w)) for w in (1, 2)}
        for w, pool in pools.items():
            pool.map(_plain_task, [(size, "warm", "nightly", 0, 2)] * w)
        for _ in range(repeat):
            for workers in (1, 2):
                loads.append(_load())
                t1 = time.perf_counter()
                result = sweep(scenarios, seeds, clients[workers], **kw)
                walls[f"dask{workers}"].append(time.perf_counter() - t1)
                cpu[f"dask{workers}"].append(float(result.runs["cpu_seconds"].sum()))
                rows[workers] = result.runs
                loads.append(_load())
                t1 = time.perf_counter()
                pools[workers].map(_plain_task, jobs, chunksize=1)
                walls[f"plain{workers}"].append(time.perf_counter() - t1)
    med = {k: float(np.median(v)) for k, v in walls.items()}
    for workers in (1, 2):
        out[f"wall_{workers}w_s"] = round(med[f"dask{workers}"], 2)
        out[f"plain_wall_{workers}w_s"] = round(med[f"plain{workers}"], 2)
        out[f"task_cpu_{workers}w_s"] = round(float(np.median(cpu[f"dask{workers}"])), 2)
    out["walls"] = {k: [round(x, 2) for x in v] for k, v in walls.items()}
    out["load"] = [min(loads), max(loads)]
    out["speedup"] = round(med["dask1"] / med["dask2"], 2)
    out["plain_speedup"] = round(med["plain1"] / med["plain2"], 2)
    stable = [c for c in rows[1].columns if c not in TIMING_COLUMNS]
    out["identical_rows"] = bool(rows[1][stable].equals(rows[2][stable]))
    return out


def _markdown(results: dict[str, Any]) -> str:
    lines = [
        "Measured with `python benchmarks/bench_simulate.py` (see its docstring for the method; "
        "2 shared cores, the 1-minute load average before → after each row). Nightly and weekly: "
        "the run's households encoded once, each day's plan built from arrays and solved "
        "exactly (the model `match()` builds on that day's tables); on-arrival policies: one "
        "`lm.Matcher` per day at that day's date plus the day's desk calls.",
        "",
        "| what | size | policy | days | seconds | per day s (plan or Matcher build + desk) | "
        "CPU s | bound share | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in ("days", "year", "shares"):
        for r in results.get(key, []):
            label = {"days": "per day", "year": "one year", "shares": "bound share"}[key]
            lines.append(
                f"| {label} | {r['size']} {r['volunteers']:,} × {r['requests']:,} | "
                f"{r['policy']} | {r['days']} | {r['seconds']} | {r['per_day_s']} "
                f"({r['matcher_build_per_day_s']} + {r['desk_per_day_s']}) | "
                f"{r['cpu_seconds']} | {100 * r['bound_share']:.1f} % | "
                f"{r['load_before']} → {r['load_after']} |"
            )
    s = results.get("sweep")
    if s:
        lines += [
            "",
            f"Sweep on Dask ({s['tasks']} tasks: nightly and greedy_on_arrival × "
            f"{s['tasks'] // 2} seeds, {s['days']} days, {s['size']}; median of {s['repeat']} "
            f"interleaved rounds, load {s['load'][0]} – {s['load'][1]}): 1 worker "
            f"{s['wall_1w_s']} s, 2 workers {s['wall_2w_s']} s, speed-up **{s['speedup']}×** "
            f"(target ≥ 1.7×). The same tasks in a plain pool of processes, no Dask, in the same "
            f"rounds: {s['plain_wall_1w_s']} s and {s['plain_wall_2w_s']} s, "
            f"**{s['plain_speedup']}×** — what the shared cores gave two processes then. CPU "
            f"seconds of all tasks {s['task_cpu_1w_s']} (1 worker) and {s['task_cpu_2w_s']} "
            f"(2 workers); cluster start-up and warm-up {s['startup_1w_s']} s / "
            f"{s['startup_2w_s']} s (not in the speed-up); rows identical on 1 and 2 workers: "
            f"{'yes' if s['identical_rows'] else 'NO'}.",
        ]
    return "\n".join(lines)


def write_readme(results: dict[str, Any]) -> None:
    text = README.read_text(encoding="utf-8")
    if START_MARK not in text:
        return
    head, rest = text.split(START_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    README.write_text(
        head + START_MARK + "\n" + _markdown(results) + "\n" + END_MARK + tail, encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=0, help="per-day rows over this many days")
    parser.add_argument("--sizes", default="town,large-city")
    parser.add_argument("--policies", default="nightly")
    parser.add_argument("--year", action="store_true", help="one year at large-city size")
    parser.add_argument("--shares", type=int, default=0, help="bound share per policy: days")
    parser.add_argument("--shares-sizes", default="sample")
    parser.add_argument(
        "--shares-workers", type=int, default=1, help="run the policies as a Dask sweep"
    )
    parser.add_argument("--sweep", type=int, default=0, help="seeds per scenario of the sweep")
    parser.add_argument("--sweep-days", type=int, default=15)
    parser.add_argument("--sweep-repeat", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    args = parser.parse_args(argv)
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}

    def save(key: str, value: Any) -> None:
        if isinstance(value, list):  # rows of other sizes and policies stay
            new = {(r["size"], r["policy"]) for r in value}
            value = [r for r in results.get(key, []) if (r["size"], r["policy"]) not in new] + value
        results[key] = value
        RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        if not args.no_readme:
            write_readme(results)

    policies = [p for p in args.policies.split(",") if p]
    if args.days:
        rows = []
        for size in [s for s in args.sizes.split(",") if s]:
            for policy in policies:
                rows.append(bench_run(size, args.days, policy))
                print(json.dumps(rows[-1]), flush=True)
        save("days", rows)
    if args.year:
        row = bench_run("large-city", 365, "nightly")
        print(json.dumps(row), flush=True)
        save("year", [row])
    if args.shares:
        rows = []
        for size in [s for s in args.shares_sizes.split(",") if s]:
            if args.shares_workers > 1:
                rows += bench_shares_on_dask(size, args.shares, args.shares_workers)
                print(json.dumps(rows[-len(POLICIES) :]), flush=True)
                continue
            for policy in POLICIES:
                rows.append(bench_run(size, args.shares, policy))
                print(json.dumps(rows[-1]), flush=True)
        save("shares", rows)
    if args.sweep:
        out = bench_sweep(args.sweep, args.sweep_days, repeat=args.sweep_repeat)
        print(json.dumps(out), flush=True)
        save("sweep", out)


if __name__ == "__main__":
    main()
