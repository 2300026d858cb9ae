"""Benchmarks: ``match()`` from a town to a whole federal state, stage by stage, with baselines.

    python benchmarks/run.py              # town .. statewide, dense-statewide (make bench)
    python benchmarks/run.py --national   # ... plus national and dense-national (50k x 250k)
    python benchmarks/run.py --sizes town,city --repeat 3 --no-readme
    python benchmarks/run.py --readme-only            # README table from benchmarks/results

Method (written into every result file as well):

* Instances: ``generate_caseload(volunteers, requests, seed=7, as_of=2026-11-02)`` written to
  Parquet in a temporary directory; the ``dense-*`` sizes are as dense as each other: about
  150 admissible pairs per open request instead of about 33. ``dense-statewide`` passes
  ``density=DENSE`` (15 towns, travel radii 8-30 km); ``dense-national`` spreads its 2.5x as
  many people over the 60 largest towns with radii of 5-20 km (``DENSE`` itself would put them
  into the same 15 towns, about 375 pairs per request: a denser caseload, not a larger one).
  ``match()`` reads them from there (stage ``read``) and the result tables are written back
  as Parquet with the library's atomic writer (stage ``write``),
  so a size's stages are one full round trip in one process.
* Each size runs in a fresh Python subprocess, so memory left behind by a smaller size never
  counts for a larger one. An untimed town-sized run first warms up imports and first-call
  costs; start-up is what the ``lotsen-match run`` column measures.
* Wall seconds per stage come from ``match()``'s own ``StageTimer``; CPU seconds (all threads) are
  recorded alongside, which shows where the two cores work in parallel. The ``solve`` stage
  includes the explanation work that runs while the solver searches.
* Peak resident memory per stage: the kernel's high-water mark ``VmHWM`` is reset at the start
  of every stage (``echo 5 > /proc/self/clear_refs``) and read at its end, which gives the exact
  peak RSS of the process during that stage. Where the reset is not permitted, a thread samples
  ``VmRSS`` every 2 ms instead (the result file says which method ran).
* Small sizes repeat the whole run ``--repeat`` times: every stage reports its median wall time,
  and the largest peak memory of all runs.
* The bare pipeline (``benchmarks/bare.py``: BallTree per language and one OR-Tools min cost
  flow on the request-volunteer pairs, nothing else) runs on the same Parquet files in the same
  process just before ``match()``, as often, with the same memory probe; ``match()``'s time is
  reported as a ratio to it.
* Baselines solve the very household model that ``match()`` solved (same arcs, same integer
  values, same convex slot costs): dense ``scipy.optimize.linear_sum_assignment`` over the full
  slot-expanded matrix where it fits the memory budget, OR-Tools ``LinearSumAssignment`` on the
  sparse expansion, CP-SAT on small sizes, and greedy by score. Exact methods must reach the
  same objective as the flow (the harness fails otherwise); each baseline's time, peak memory,
  objective, served requests and time ratio to lotsen_match are reported, and the greedy
  shortfall in served requests, overall and by the requests' first language.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

ROOT: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = ROOT / "benchmarks" / "results"
README: Final = ROOT / "README.md"
START_MARK: Final = "<!-- bench:start -->"
END_MARK: Final = "<!-- bench:end -->"

#: name -> (volunteers, requests)
SIZES: Final[dict[str, tuple[int, int]]] = {
    "town": (200, 1_000),
    "city": (2_000, 10_000),
    "state": (5_000, 25_000),
    "statewide": (20_000, 100_000),
    "national": (50_000, 250_000),
    "dense-statewide": (20_000, 100_000),
    "dense-national": (50_000, 250_000),
}
#: Sizes generated with a dense ``Density`` (about 150 admissible pairs per open request).
DENSE_SIZES: Final = frozenset({"dense-statewide", "dense-national"})
DEFAULT_SIZES: Final = ("town", "city", "state", "statewide", "dense-statewide")
NATIONAL_SIZES: Final = ("national", "dense-national")
DEFAULT_REPEAT: Final[dict[str, int]] = {
    "town": 7,
    "city": 9,
    "state": 5,
    "statewide": 1,
    "national": 1,
    "dense-statewide": 1,
    "dense-national": 1,
}
SEED: Final = 7
#: Sizes whose result is also checked against shuffled input rows (small: a second match()).
SHUFFLE_SIZES: Final = frozenset({"town", "city", "state"})
AS_OF: Final = dt.date(2026, 11, 2)
STAGES: Final = (
    "read",
    "validate",
    "encode",
    "candidates",
    "score",
    "model",
    "solve",
    "explain",
    "write",
)
#: CP-SAT on small sizes, with a time limit (it proves the town optimal in well under a
#: second; on the city it is still searching when the limit strikes).
CPSAT_TIME_LIMIT_S: Final[dict[str, float]] = {"town": 60.0, "city": 30.0}
#: OR-Tools' assignment on the slot expansion: cost scaling on millions of pairs takes minutes.
ORTOOLS_MAX_PAIRS: Final = 6_000_000
#: Targets of the issue: (size, stage or "total", seconds) and (size, GB).
TIME_TARGETS: Final = {
    "city": 0.5,
    "statewide": 12.0,
    "national": 60.0,
    "dense-national": 90.0,
}
MEMORY_TARGETS_GB: Final = {
    "statewide": 2.5,
    "national": 8.0,
    "dense-statewide": 2.5,
    "dense-national": 8.0,
}
CLI_TARGET_S: Final = {"statewide": 20.0, "dense-statewide": 20.0}
#: match() time over the bare pipeline's, in the same process run.
BARE_RATIO_TARGETS: Final = {"dense-statewide": 1.0}


# --- memory ----------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


class PeakMemory:
    """Peak resident memory of this process between :meth:`reset` and :meth:`peak_bytes`."""

    def __init__(self) -> None:
        self.method = "VmHWM reset via /proc/self/clear_refs"
        try:
            self._clear()
        except OSError:
            self.method = "VmRSS sampled every 2 ms"
            self._sampled = _status_kb("VmRSS")
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    @staticmethod
    def _clear() -> None:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._sampled = max(self._sampled, _status_kb("VmRSS"))

    def reset(self) -> None:
        if self.method.startswith("VmHWM"):
            self._clear()
        else:
            self._sampled = _status_kb("VmRSS")

    def peak_bytes(self) -> int:
        if self.method.startswith("VmHWM"):
            return _status_kb("VmHWM") * 1024
        return max(self._sampled, _status_kb("VmRSS")) * 1024

    @contextmanager
    def measure(self, into: dict[str, Any]) -> Iterator[None]:
        """Record ``seconds``, ``cpu_seconds``, ``peak_bytes`` and ``rss_before_bytes``."""
        into["rss_before_bytes"] = _status_kb("VmRSS") * 1024
        self.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            into["seconds"] = round(time.perf_counter() - wall, 6)
            into["cpu_seconds"] = round(time.process_time() - cpu, 6)
            into["peak_bytes"] = self.peak_bytes()


def _probe_timer(memory: PeakMemory) -> Any:
    """A ``StageTimer`` that also records CPU time and peak memory of every stage."""
    from lotsen_match.pipeline import StageTimer

    class ProbeTimer(StageTimer):
        def __init__(self) -> None:
            super().__init__()
            self.cpu: dict[str, float] = {}
            self.peak: dict[str, int] = {}
            self._cpu_start = 0.0

        def started(self, name: str) -> None:
            memory.reset()
            self._cpu_start = time.process_time()

        def finished(self, name: str, seconds: float) -> None:
            self.cpu[name] = round(time.process_time() - self._cpu_start, 6)
            self.peak[name] = memory.peak_bytes()

    return ProbeTimer()


# --- one size, in its own process -------------------------------------------------------------


def _write_inputs(caseload: Any, directory: Path) -> dict[str, Path]:
    paths = {}
    for name in ("volunteers", "requests", "assignments"):
        frame = getattr(caseload, name)
        paths[name] = directory / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    return paths


def _write_outputs(result: Any, directory: Path) -> None:
    """The result tables as the nightly job writes them: sorted, atomic, Parquet."""
    from lotsen_match.io.atomic import atomic_directory
    from lotsen_match.io.writers import write_table

    try:
        from lotsen_match.job.runner import prepare_outputs

        tables = prepare_outputs(result)
    except ImportError:  # the runner is optional for the harness
        tables = {
            "proposals": result.proposals,
            "unmatched": result.unmatched,
            "rejected": result.rejected,
            "alternatives": result.alternatives,
        }
    with atomic_directory(directory) as staging:
        for name, frame in tables.items():
            write_table(frame, staging / f"{name}.parquet", fmt="parquet")
        summary = json.dumps(result.summary, indent=2, sort_keys=True, default=str)
        (staging / "summary.json").write_text(summary, encoding="utf-8")


def _one_run(paths: dict[str, Path], out: Path, memory: PeakMemory) -> dict[str, Any]:
    from lotsen_match import MatchConfig, match

    config = MatchConfig(as_of=AS_OF)
    timer = _probe_timer(memory)
    start = time.perf_counter()
    result = match(
        paths["volunteers"], paths["requests"], paths["assignments"], config, timer=timer
    )
    total = time.perf_counter() - start
    with timer.stage("write"):
        _write_outputs(result, out)
    return {
        "seconds": dict(timer.seconds),
        "cpu_seconds": dict(timer.cpu),
        "peak_bytes": dict(timer.peak),
        "match_seconds": round(total, 6),
        "solver_seconds": result.summary["solver"]["wall_seconds"],
        "result": result,
    }


def run_size(name: str, repeat: int, baselines: bool, dense_limit_gb: float) -> dict[str, Any]:
    """Everything measured for one size (call in a fresh process)."""
    from lotsen_match.generate import generate_caseload

    memory = PeakMemory()
    _warm_up()
    n_vol, n_req = SIZES[name]
    density = _density(name)
    caseload: Any = generate_caseload(n_vol, n_req, seed=SEED, as_of=AS_OF, density=density)
    shuffle = name in SHUFFLE_SIZES
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"lotsen-bench-{name}-") as tmp:
        directory = Path(tmp)
        paths = _write_inputs(caseload, directory)
        if not shuffle:
            # The timed runs read the Parquet files, as a nightly job does; the generated
            # frames held meanwhile would add the harness's memory to every stage's peak.
            caseload = None
        bare = _bare_runs(paths, repeat, memory)
        for i in range(repeat):
            if runs:  # keep only the last result alive, as a nightly job would
                runs[-1].pop("result")
            runs.append(_one_run(paths, directory / f"out{i}", memory))
        cli = _cli_run(paths, directory / "cli")
        if caseload is None and baselines:
            caseload = _read_back(paths)
    result = runs[-1].pop("result")
    summary = result.summary
    stages = {
        stage: {
            "seconds": statistics.median(r["seconds"][stage] for r in runs),
            "cpu_seconds": statistics.median(r["cpu_seconds"][stage] for r in runs),
            "peak_bytes": max(r["peak_bytes"][stage] for r in runs),
        }
        for stage in STAGES
    }
    report: dict[str, Any] = {
        "size": name,
        "volunteers": n_vol,
        "requests": n_req,
        "seed": SEED,
        "as_of": AS_OF.isoformat(),
        "repeat": repeat,
        "admissible_pairs": summary["counts"]["admissible_pairs"],
        "counts": summary["counts"],
        "objective": summary["solver"]["objective"],
        "optimal": summary["solver"]["optimal"],
        "stages": stages,
        "match_seconds": statistics.median(r["match_seconds"] for r in runs),
        "match_seconds_all": [round(r["match_seconds"], 4) for r in runs],
        "end_to_end_seconds": statistics.median(
            r["match_seconds"] + r["seconds"]["write"] for r in runs
        ),
        "solver_seconds": statistics.median(r["solver_seconds"] for r in runs),
        "peak_bytes": max(max(r["peak_bytes"].values()) for r in runs),
        "cli_run": cli,
        "bare_pipeline": bare,
        "memory_method": memory.method,
        "machine": machine(),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    runs.clear()
    bare["match_ratio"] = round(report["match_seconds"] / max(bare["seconds"], 1e-9), 3)
    report["density"] = "dense" if name in DENSE_SIZES else "sparse"
    if shuffle:
        report["identical_for_shuffled_rows"] = _shuffle_check(caseload, result)
    if baselines:
        report["baselines"] = run_baselines(
            name, caseload, memory, dense_limit_gb, report["solver_seconds"]
        )
    return report


def _density(name: str) -> Any:
    """The size's ``Density``. dense-statewide is the library's ``DENSE`` (15 towns, radii
    8-30 km); at the national size those 15 towns would hold 2.5x as many people (about 375
    pairs per request, a denser caseload rather than a larger one), so dense-national spreads
    them over the 60 largest towns with radii of 5-20 km (measured: 162 pairs per open request,
    against 154 for dense-statewide)."""
    from lotsen_match.generate import DENSE, SPARSE, Density

    if name == "dense-national":
        return Density(towns=60, radius_km=(5.0, 20.0))
    return DENSE if name in DENSE_SIZES else SPARSE


def _read_back(paths: dict[str, Path]) -> Any:
    """The inputs as the timed runs saw them, for the baselines (read after those runs)."""
    from types import SimpleNamespace

    return SimpleNamespace(**{name: pd.read_parquet(path) for name, path in paths.items()})


def _release_freed_memory() -> None:
    """Hand memory freed by the bare pipeline back to the OS before match() is measured.

    glibc keeps freed blocks of its per-thread arenas (the BallTree queries ran on threads), so
    without this the resident set match() starts from carries the bare pipeline's leftovers
    (about 0.15 GB dense statewide), which a nightly job in its own process would not have.
    """
    import gc

    from lotsen_match._parallel import release_freed_memory

    gc.collect()
    release_freed_memory()


def _bare_runs(paths: dict[str, Path], repeat: int, memory: PeakMemory) -> dict[str, Any]:
    """The bare pipeline ``repeat`` times: median seconds per step, largest peak."""
    from bare import run_bare

    runs = []
    for _ in range(repeat):
        row: dict[str, Any] = {}
        with memory.measure(row):
            row.update(run_bare(paths, AS_OF))
        runs.append(row)
    _release_freed_memory()
    steps = runs[0]["seconds_by_step"]
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "seconds_all": [round(r["seconds"], 4) for r in runs],
        "seconds_by_step": {
            k: statistics.median(r["seconds_by_step"][k] for r in runs) for k in steps
        },
        "peak_bytes": max(r["peak_bytes"] for r in runs),
        "rss_before_bytes": runs[0]["rss_before_bytes"],
        "pairs": runs[0]["pairs"],
        "served_requests": runs[0]["served_requests"],
        "what": "BallTree (haversine) per language on 2 threads + one SimpleMinCostFlow on the "
        "request-volunteer pairs; no validation, households, load pricing or explanations",
    }


def _warm_up() -> None:
    """One untimed town-sized match: imports (scikit-learn, OR-Tools, ...) and first-call costs
    land here, not in the first timed run. Start-up is what the CLI column measures."""
    from lotsen_match import MatchConfig, match
    from lotsen_match.generate import generate_caseload

    small = generate_caseload(*SIZES["town"], seed=SEED + 1, as_of=AS_OF)
    match(small.volunteers, small.requests, small.assignments, MatchConfig(as_of=AS_OF))


def _cli_run(paths: dict[str, Path], out: Path) -> dict[str, Any]:
    """``lotsen-match run`` from the Parquet inputs, wall time including interpreter start-up."""
    exe = Path(sys.executable).with_name("lotsen-match")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "lotsen_match"]
    command += [
        "run",
        "-V",
        str(paths["volunteers"]),
        "-R",
        str(paths["requests"]),
        "-A",
        str(paths["assignments"]),
        "--out",
        str(out),
        "--format",
        "parquet",
        "--as-of",
        AS_OF.isoformat(),
        "--quiet",
    ]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "seconds": round(seconds, 3),
        "exit_code": child.returncode,
        "peak_bytes": usage.ru_maxrss * 1024,  # the child's own high-water mark (Linux: KiB)
        "command": "lotsen-match " + " ".join(command[1:]).replace(str(out.parent), "$TMP"),
        "stderr_tail": stderr[-500:] if child.returncode else "",
    }


def _shuffle_check(caseload: Any, result: Any) -> bool:
    """Same proposals and unmatched rows whatever the order of the input rows."""
    from lotsen_match import MatchConfig, match

    shuffled = match(
        caseload.volunteers.sample(frac=1, random_state=1),
        caseload.requests.sample(frac=1, random_state=2),
        caseload.assignments.sample(frac=1, random_state=3),
        MatchConfig(as_of=AS_OF),
    )
    same = bool(
        result.proposals.equals(shuffled.proposals) and result.unmatched.equals(shuffled.unmatched)
    )
    if not same:
        raise AssertionError("proposals differ for shuffled input rows")
    return same


# --- baselines --------------------------------------------------------------------------------


def _instance(caseload: Any) -> dict[str, Any]:
    """The problem, candidates and household model exactly as match() builds them."""
    from lotsen_match import MatchConfig
    from lotsen_match.pipeline import build_instance
    from lotsen_match.validation import validate_caseload

    config = MatchConfig(as_of=AS_OF)
    case = validate_caseload(
        caseload.volunteers, caseload.requests, caseload.assignments, config=config
    )
    inst = build_instance(case, config)
    problem, cand, hm = inst.problem, inst.cand, inst.household
    return {"problem": problem, "cand": cand, "hm": hm}


def _served_requests(inst: dict[str, Any], selected: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
    """Indices of the requests a selection of arcs serves (plus the active households' ones)."""
    hm, cand = inst["hm"], inst["cand"]
    in_flow = hm.edge_arc >= 0
    edge_sel = hm.direct.copy()
    edge_sel[in_flow] = selected[hm.edge_arc[in_flow]]
    return np.unique(cand.req[edge_sel])


def run_baselines(
    name: str, caseload: Any, memory: PeakMemory, dense_limit_gb: float, lotsen_solver_s: float
) -> dict[str, Any]:
    from lotsen_match.solve import (
        CpSatSolver,
        GreedySolver,
        MinCostFlowSolver,
        OrToolsAssignmentSolver,
    )
    from lotsen_match.solve.lsa import _expand

    inst = _instance(caseload)
    model = inst["hm"].model
    dense_cells = model.n_households * model.n_slot_total
    pairs = int(_expand(model).cost.size)  # what OR-Tools' assignment is given
    reference_seconds = 0.0
    methods: list[tuple[str, Callable[[], Any], str | None, bool]] = [
        ("lotsen_match flow", lambda: MinCostFlowSolver().solve(model), None, True),
        (
            "scipy dense LSA",
            lambda: DenseSlotAssignment().solve(model),
            None
            if dense_cells * 8 <= dense_limit_gb * 1e9
            else f"a {model.n_households:,} × {model.n_slot_total:,} matrix needs "
            f"{dense_cells * 8 / 1e9:.0f} GB (budget {dense_limit_gb:g} GB)",
            True,
        ),
        (
            "OR-Tools LinearSumAssignment",
            lambda: OrToolsAssignmentSolver().solve(model),
            None
            if pairs <= ORTOOLS_MAX_PAIRS
            else f"{pairs:,} household-slot pairs; skipped above {ORTOOLS_MAX_PAIRS:,}",
            True,
        ),
        (
            "CP-SAT",
            lambda: CpSatSolver(
                time_limit_s=CPSAT_TIME_LIMIT_S.get(name, 1.0), num_workers=2
            ).solve(model),
            None if name in CPSAT_TIME_LIMIT_S else "small sizes only",
            True,
        ),
        ("greedy by score", lambda: GreedySolver().solve(model), None, False),
    ]
    out: dict[str, Any] = {"dense_cells": dense_cells, "household_slot_pairs": pairs}
    rows: list[dict[str, Any]] = []
    reference: Any = None
    for label, solve, skipped, exact in methods:
        row: dict[str, Any] = {"method": label, "exact": exact}
        if skipped:
            row["skipped"] = skipped
            rows.append(row)
            continue
        try:
            with memory.measure(row):
                solved = solve()
        except (RuntimeError, ValueError, MemoryError) as exc:  # a baseline's own limits
            row["failed"] = str(exc).split(";")[0]
            rows.append(row)
            continue
        served = _served_requests(inst, solved.selected)
        row.update(
            objective=int(solved.objective),
            optimal=bool(solved.optimal),
            status=solved.status,
            served_requests=int(served.size),
        )
        if reference is None:
            reference = (solved, served)
            reference_seconds = row["seconds"]
            row["ratio_to_lotsen"] = 1.0
            row["same_objective_as_lotsen"] = True
        else:
            row["ratio_to_lotsen"] = round(row["seconds"] / max(reference_seconds, 1e-9), 2)
            if exact and solved.optimal and solved.objective != reference[0].objective:
                raise AssertionError(
                    f"{label} objective {solved.objective} != flow {reference[0].objective}"
                )
            row["same_objective_as_lotsen"] = bool(solved.objective == reference[0].objective)
        rows.append(row)
        if label == "greedy by score":
            out["greedy_shortfall"] = _shortfall(inst, reference[1], served)
    out["methods"] = rows
    out["lotsen_match_solver_seconds_in_match"] = lotsen_solver_s
    return out


class DenseSlotAssignment:
    """The textbook approach: one dense matrix of every household against every volunteer slot.

    Cell (h, slot j of v) holds ``min(0, slot_cost - value[h, v])``; zero means "leave it". A
    rectangular ``linear_sum_assignment`` then gives every row or column (whichever side is
    smaller) a partner, and the pairs with negative cost are the proposals. Slot costs rise per
    volunteer, so an optimal assignment fills a volunteer's cheapest slots first, and its cost
    is minus the model's optimum. Values stay below 2**53, so float64 is exact.
    """

    name = "scipy-dense"

    def solve(self, model: Any) -> Any:
        from scipy.optimize import linear_sum_assignment

        from lotsen_match.solve import SolveResult

        start = time.perf_counter()
        n_slots = model.n_slots
        per_arc = n_slots[model.arc_volunteer]
        arc = np.repeat(np.arange(model.n_arcs), per_arc)
        first = model.slot_offsets[model.arc_volunteer]
        slot = np.repeat(first - np.cumsum(per_arc) + per_arc, per_arc) + np.arange(arc.size)
        cost = np.minimum(model.slot_cost[slot] - model.arc_value[arc], 0).astype(np.float64)
        matrix = np.zeros((model.n_households, model.n_slot_total))
        matrix[model.arc_household[arc], slot] = cost
        rows, cols = linear_sum_assignment(matrix)
        chosen_cost = matrix[rows, cols]
        taken = chosen_cost < 0
        del matrix
        # Back from (household, slot) to the arc (household, volunteer of the slot).
        slot_volunteer = np.repeat(np.arange(model.n_volunteers), n_slots)
        width = max(model.n_volunteers, 1)
        arc_key = model.arc_household.astype(np.int64) * width + model.arc_volunteer
        order = np.argsort(arc_key)
        wanted = rows[taken].astype(np.int64) * width + slot_volunteer[cols[taken]]
        found = order[np.searchsorted(arc_key, wanted, sorter=order)]
        selected = np.zeros(model.n_arcs, dtype=np.bool_)
        selected[found] = True
        objective = model.objective_of(selected)
        if objective != -int(chosen_cost[taken].sum()):
            raise AssertionError("dense assignment cost disagrees with the recomputed objective")
        return SolveResult(
            self.name, "optimal", True, objective, selected, time.perf_counter() - start
        )


def _shortfall(
    inst: dict[str, Any], optimal: npt.NDArray[Any], greedy: npt.NDArray[Any]
) -> dict[str, Any]:
    """Requests the optimum serves and greedy does not, in all and by first language."""
    problem = inst["problem"]
    first = problem.r_lang[:, 0]
    names = np.asarray([*problem.languages, "?"], dtype=object)
    lang = names[np.where(first >= 0, first, len(problem.languages))]
    by_lang = (
        pd.DataFrame(
            {
                "language": np.concatenate([lang[optimal], lang[greedy]]),
                "who": ["optimal"] * optimal.size + ["greedy"] * greedy.size,
            }
        )
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=["optimal", "greedy"], fill_value=0)
    )
    by_lang["shortfall"] = by_lang["optimal"] - by_lang["greedy"]
    by_lang = by_lang.sort_values(["shortfall", "optimal"], ascending=False)
    missing = int(optimal.size - greedy.size)
    return {
        "optimal_served": int(optimal.size),
        "greedy_served": int(greedy.size),
        "shortfall": missing,
        "shortfall_percent": round(100 * missing / max(int(optimal.size), 1), 2),
        "by_first_language": {
            str(k): {c: int(v[c]) for c in ("optimal", "greedy", "shortfall")}
            for k, v in by_lang.iterrows()
        },
    }


# --- machine, driver, README ------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cores": cores,
        "memory_gb": round(mem_kb / 1024**2, 1),
        "cpu": model,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": version("scipy"),
        "scikit_learn": version("scikit-learn"),
        "ortools": version("ortools"),
        "load_average_1min_at_end": None if load is None else round(load, 2),
    }


def _worker(args: argparse.Namespace) -> int:
    size = args.worker
    repeat = args.repeat or DEFAULT_REPEAT[size]
    report = run_size(size, repeat, not args.no_baselines, args.dense_limit_gb)
    args.results.mkdir(parents=True, exist_ok=True)
    target = args.results / f"{size}.json"
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument(
        "--national", action="store_true", help="add the 50k x 250k sizes (sparse and dense)"
    )
    parser.add_argument("--repeat", type=int, help="runs per size (default: 7/9/5/1/1)")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    parser.add_argument(
        "--readme-only", action="store_true", help="rewrite README.md from stored results"
    )
    parser.add_argument("--dense-limit-gb", type=float, default=4.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--worker", choices=tuple(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)
    if args.readme_only:
        write_readme(args.results)
        return 0

    sizes = args.sizes.split(",") if args.sizes else list(DEFAULT_SIZES)
    if args.national:
        sizes += [s for s in NATIONAL_SIZES if s not in sizes]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; valid: {', '.join(SIZES)}")
    started = time.perf_counter()
    for size in sizes:
        command = [sys.executable, __file__, "--worker", size, "--results", str(args.results)]
        command += ["--dense-limit-gb", str(args.dense_limit_gb)]
        if args.repeat:
            command += ["--repeat", str(args.repeat)]
        if args.no_baselines:
            command.append("--no-baselines")
        size_start = time.perf_counter()
        subprocess.run(command, check=True)
        report = json.loads((args.results / f"{size}.json").read_text(encoding="utf-8"))
        print(_one_line(report, time.perf_counter() - size_start), flush=True)
    print(f"all sizes in {time.perf_counter() - started:.0f} s", flush=True)
    if not args.no_readme:
        write_readme(args.results)
    return 0


def _one_line(report: dict[str, Any], wall: float) -> str:
    return (
        f"{report['size']:>9}: {report['admissible_pairs']:>11,} pairs, match() "
        f"{report['match_seconds']:.2f} s, peak {report['peak_bytes'] / 1e9:.2f} GB "
        f"(size done in {wall:.0f} s)"
    )


def _load(results: Path) -> list[dict[str, Any]]:
    found = []
    for size in SIZES:
        path = results / f"{size}.json"
        if path.exists():
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f}"


def _row(cells: list[str]) -> str:
    """One Markdown table row; header, separator and body rows all go through it, so their
    cell counts cannot drift apart (a table with one separator cell too many does not render)."""
    return "| " + " | ".join(cells) + " |"


def render_table(reports: list[dict[str, Any]]) -> str:
    """The README section: stage table, baselines, greedy gap, targets."""
    if not reports:
        return "(not yet measured)"
    m = reports[0]["machine"]
    header = [
        "size",
        "volunteers × requests",
        "admissible pairs",
        "runs",
        *STAGES,
        "match()",
        "peak GB",
        "CLI run",
        "bare",
        "ratio",
        "load",
    ]
    lines = [
        f"Measured on {m['cores']} cores, {m['memory_gb']:g} GB ({m['cpu'] or 'unknown CPU'}), "
        f"Python {m['python']}, numpy {m['numpy']}, OR-Tools {m['ortools']}; "
        f"`make bench` (= `python benchmarks/run.py`, add `--national` for the largest sizes). "
        f"Seeded generator, seed {SEED}; each size in a fresh, warmed-up process; wall seconds "
        f"per stage "
        f"(median of the runs shown; `solve` includes the explanation work that runs while "
        f"the solver searches); peak RSS of the process in GB (kernel high-water mark, reset "
        f"at every stage start; the timed runs read Parquet with no generated caseload held, "
        f"after the bare pipeline's freed memory went back to the OS). `read`/`write` are the "
        f"Parquet round trip; `CLI run` is `lotsen-match run` on the same Parquet files, "
        f"start-up included (its own peak in the targets below). "
        f"`dense-*` sizes cluster people into towns with short travel radii (about 150 "
        f"admissible pairs per open request, against about 33 in the other sizes): "
        f"dense-statewide into 15 towns with radii of 8-30 km, dense-national into 60 with "
        f"5-20 km. `bare` is the "
        f"bare pipeline in the same process (`benchmarks/bare.py`: Parquet, a BallTree per "
        f"language on two threads, one min cost flow on the request-volunteer pairs; no "
        f"validation, households, load pricing or explanations) and `ratio` is match() / bare. "
        f"`load` is the 1-minute load average when the size finished: the machine is shared, "
        f"and repeated runs of the larger sizes vary by about ±20 %. "
        f"Full numbers: `benchmarks/results/*.json`; the method: `benchmarks/run.py`.",
        "",
        _row(header),
        _row(["---"] * len(header)),
    ]
    for r in reports:
        cells = [
            r["size"],
            f"{r['volunteers']:,} × {r['requests']:,}",
            f"{r['admissible_pairs']:,}",
            str(r["repeat"]),
            *(f"{r['stages'][s]['seconds']:.3f}" for s in STAGES),
            f"**{r['match_seconds']:.2f}**",
            _gb(r["peak_bytes"]),
            f"{r['cli_run']['seconds']:.1f}" if r["cli_run"]["exit_code"] == 0 else "failed",
            f"{r['bare_pipeline']['seconds']:.2f}" if "bare_pipeline" in r else "—",
            f"{r['bare_pipeline']['match_ratio']:.2f}" if "bare_pipeline" in r else "—",
            str(r["machine"].get("load_average_1min_at_end", "")),
        ]
        lines.append(_row(cells))
    lines += [
        "",
        "Baselines on the same household model (solver time only; ratio = baseline time / "
        "lotsen_match's flow; every exact method reaches the same objective):",
        "",
        "| size | method | seconds | peak GB | served requests | same objective | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        for row in r.get("baselines", {}).get("methods", []):
            if "skipped" in row or "failed" in row:
                why = f"skipped: {row['skipped']}" if "skipped" in row else row["failed"]
                lines.append(f"| {r['size']} | {row['method']} | — | — | — | — | {why} |")
                continue
            same = row.get("same_objective_as_lotsen", True)
            lines.append(
                f"| {r['size']} | {row['method']} | {row['seconds']:.3f} | "
                f"{_gb(row['peak_bytes'])} | {row['served_requests']:,} | "
                f"{'yes' if same else 'no'}{'' if row['optimal'] else ' (' + row['status'] + ')'}"
                f" | {row['ratio_to_lotsen']:g}× |"
            )
    gaps = [r for r in reports if "greedy_shortfall" in r.get("baselines", {})]
    if gaps:
        lines += [
            "",
            "Greedy by score serves fewer people than the optimum "
            "(largest gaps by the request's first language):",
            "",
        ]
        for r in gaps:
            g = r["baselines"]["greedy_shortfall"]
            worst = [
                f"{lang} {v['shortfall']:+d}"
                for lang, v in list(g["by_first_language"].items())[:4]
                if v["shortfall"] > 0
            ]
            lines.append(
                f"- {r['size']}: {g['greedy_served']:,} instead of {g['optimal_served']:,} "
                f"requests ({g['shortfall_percent']:.1f} % fewer); "
                f"{', '.join(worst) if worst else 'no language loses'}"
            )
    lines += ["", *(_targets(reports))]
    return "\n".join(lines)


def _targets(reports: list[dict[str, Any]]) -> list[str]:
    by = {r["size"]: r for r in reports}
    out = ["Targets of the benchmark issue:", ""]
    for size, limit in TIME_TARGETS.items():
        if size in by:
            got = by[size]["match_seconds"]
            out.append(
                f"- {size}: match() ≤ {limit:g} s — {got:.2f} s "
                f"{'met' if got <= limit else 'NOT met'}"
            )
    for size, limit in MEMORY_TARGETS_GB.items():
        if size in by:
            got = by[size]["peak_bytes"] / 1e9
            out.append(
                f"- {size}: ≤ {limit:g} GB — {got:.2f} GB {'met' if got <= limit else 'NOT met'}"
            )
    for size, limit in CLI_TARGET_S.items():
        if size in by:
            got = by[size]["cli_run"]["seconds"]
            ok = by[size]["cli_run"]["exit_code"] == 0 and got <= limit
            peak = by[size]["cli_run"].get("peak_bytes")
            out.append(
                f"- {size}: `lotsen-match run` from Parquet ≤ {limit:g} s — {got:.1f} s "
                f"{'met' if ok else 'NOT met'}"
                + (f" (its peak: {peak / 1e9:.2f} GB)" if peak else "")
            )
    for size, limit in BARE_RATIO_TARGETS.items():
        if size in by and "bare_pipeline" in by[size]:
            bare = by[size]["bare_pipeline"]
            got = bare["match_ratio"]
            out.append(
                f"- {size}: match() ≤ {limit:g}× the bare pipeline in the same run — "
                f"{got:.2f}× ({by[size]['match_seconds']:.1f} s against {bare['seconds']:.1f} s) "
                f"{'met' if got <= limit else 'NOT met'}"
            )
    for r in reports:
        for row in r.get("baselines", {}).get("methods", []):
            if row["method"] == "scipy dense LSA" and "seconds" in row:
                ratio = row["ratio_to_lotsen"]
                why = ""
                if ratio < 10 and row["seconds"] < 0.05:
                    why = " (both solve in milliseconds: fixed per-call costs, not the algorithm)"
                out.append(
                    f"- {r['size']}: ≥ 10× faster than dense scipy, same objective — "
                    f"{ratio:g}× {'met' if ratio >= 10 else 'NOT met'}{why}"
                )
    return out


def write_readme(results: Path, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    if START_MARK not in text or END_MARK not in text:
        raise SystemExit(f"{readme} lacks the {START_MARK} / {END_MARK} markers")
    head, rest = text.split(START_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    table = render_table(_load(results))
    readme.write_text(f"{head}{START_MARK}\n{table}\n{END_MARK}{tail}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
