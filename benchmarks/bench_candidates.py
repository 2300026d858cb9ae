"""Benchmark: encoding, candidate generation and scoring on a statewide-sized caseload.

Builds a random clean (validated-format) caseload directly with numpy, clustered around a few
dozen centres in Lower Saxony with skewed languages, then times ``build_problem``,
``find_candidates``, ``score_components`` and ``quality`` and reports each stage's peak traced
memory (numpy reports its buffers to tracemalloc) plus the process's peak RSS.

    .venv/bin/python benchmarks/bench_candidates.py                # 20k x 100k
    .venv/bin/python benchmarks/bench_candidates.py --volunteers 2000 --requests 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from lotsen_match.config import MatchConfig
from lotsen_match.core import vocab
from lotsen_match.core.candidates import find_candidates
from lotsen_match.core.problem import build_problem
from lotsen_match.core.scoring import quality, score_components

T = TypeVar("T")
AS_OF = dt.date(2025, 6, 1)

# Request first languages and their weights (shares of a typical caseload).
REQUEST_LANGS = ("ar", "uk", "ru", "prs", "fa", "kmr", "tr", "ckb", "ti", "ps", "so", "en", "fr")
REQUEST_WEIGHTS = np.array([28, 18, 8, 7, 5, 8, 7, 2, 3, 3, 3, 4, 4], dtype=np.float64)
# Levels a volunteer speaks a further language at (besides German).
EXTRA_LEVELS = ("native", "C1", "B2", "B1", "A2")
EXTRA_LEVEL_WEIGHTS = np.array([35, 20, 20, 15, 10], dtype=np.float64)


def _p(weights: npt.ArrayLike) -> npt.NDArray[np.float64]:
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _canonical(entries: list[tuple[str, str]]) -> str:
    entries = sorted(entries, key=lambda e: (-vocab.LEVEL_CODE[e[1]], e[0]))
    return ";".join(f"{c}:{lv}" for c, lv in entries)


def _labels(masks: npt.NDArray[np.int64], names: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """Canonical ';'-joined labels of bit masks, built once per distinct mask."""
    uniq, inv = np.unique(masks, return_inverse=True)
    table = np.array(
        [";".join(n for i, n in enumerate(names) if m >> i & 1) for m in uniq], dtype=object
    )
    return np.asarray(table[inv.reshape(-1)], dtype=object)


def _ids(prefix: str, n: int) -> npt.NDArray[np.object_]:
    return np.asarray((prefix + pd.Series(np.arange(n)).astype(str).str.zfill(7)), dtype=object)


def _dates(days: npt.NDArray[np.int64], present: npt.NDArray[np.bool_]) -> pd.Series:
    values = (np.datetime64(AS_OF, "D") + days).astype("datetime64[ns]")
    values[~present] = np.datetime64("NaT")
    return pd.Series(values)


def _locations(
    rng: np.random.Generator, centres: npt.NDArray[np.float64], n: int, sigma_km: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    weights = 1.0 / np.arange(1, len(centres) + 1) ** 0.8  # Zipf-like city sizes
    which = rng.choice(len(centres), size=n, p=_p(weights))
    lat = centres[which, 0] + rng.normal(0, sigma_km / 111.2, n)
    lon = centres[which, 1] + rng.normal(0, sigma_km / (111.2 * np.cos(np.radians(52.6))), n)
    return lat, lon


def _slot_masks(rng: np.random.Generator, n: int, any_share: float) -> npt.NDArray[np.int64]:
    pool = np.zeros(48, dtype=np.int64)
    for i in range(48):
        bits = rng.choice(len(vocab.SLOTS), size=rng.integers(3, 12), replace=False)
        pool[i] = int(np.bitwise_or.reduce(1 << bits))
    masks = pool[rng.integers(0, len(pool), n)]
    return np.where(rng.random(n) < any_share, vocab.ALL_SLOTS, masks)


def build_caseload(
    n_vol: int, n_req: int, seed: int = 7, n_centres: int = 36
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A random clean caseload (volunteers, requests, assignments), vectorised."""
    rng = np.random.default_rng(seed)
    centres = np.column_stack(
        [rng.uniform(51.3, 53.9, n_centres), rng.uniform(6.6, 11.6, n_centres)]
    )

    # Volunteers: German native; 45% add a request language; 10% are native speakers of a
    # request language with German C1.
    extra = rng.choice(len(REQUEST_LANGS), size=n_vol, p=_p(REQUEST_WEIGHTS))
    level = rng.choice(len(EXTRA_LEVELS), size=n_vol, p=_p(EXTRA_LEVEL_WEIGHTS))
    kind = rng.choice(3, size=n_vol, p=[0.45, 0.45, 0.10])  # 0 de only, 1 de + extra, 2 migrant
    table = [_canonical([("de", "native")])]
    table += [_canonical([("de", "native"), (c, lv)]) for c in REQUEST_LANGS for lv in EXTRA_LEVELS]
    table += [_canonical([(c, "native"), ("de", "C1")]) for c in REQUEST_LANGS]
    code = np.where(
        kind == 0,
        0,
        np.where(
            kind == 1,
            1 + extra * len(EXTRA_LEVELS) + level,
            1 + len(REQUEST_LANGS) * len(EXTRA_LEVELS) + extra,
        ),
    )
    v_lat, v_lon = _locations(rng, centres, n_vol, sigma_km=8.0)
    need_mask = (rng.random((n_vol, len(vocab.NEED_TYPES))) < 0.55) @ (
        1 << np.arange(len(vocab.NEED_TYPES))
    )
    need_mask = np.where(need_mask == 0, 1 << 5, need_mask)
    slot = _slot_masks(rng, n_vol, any_share=0.35)
    modules = (rng.random((n_vol, len(vocab.MODULES))) < 0.6) @ (1 << np.arange(len(vocab.MODULES)))
    volunteers = pd.DataFrame(
        {
            "volunteer_id": _ids("V", n_vol),
            "languages": np.array(table, dtype=object)[code],
            "lat": v_lat,
            "lon": v_lon,
            "max_distance_km": rng.choice([5.0, 10.0, 15.0, 20.0, 30.0], n_vol),
            "need_types": _labels(need_mask, vocab.NEED_TYPES),
            "need_mask": need_mask.astype(np.int32),
            "availability": _labels(np.where(slot == vocab.ALL_SLOTS, 0, slot), vocab.SLOTS),
            "slot_mask": slot.astype(np.int32),
            "capacity": rng.integers(1, 4, n_vol).astype(np.int32),
            "gender": rng.choice(np.array(["f", "m", "d", ""], dtype=object), n_vol),
            "certified_on": _dates(-rng.integers(-30, 900, n_vol), rng.random(n_vol) < 0.95),
            "police_check_until": _dates(rng.integers(-200, 1000, n_vol), rng.random(n_vol) < 0.6),
            "available_from": _dates(rng.integers(-300, 30, n_vol), rng.random(n_vol) < 0.2),
            "available_until": _dates(rng.integers(-30, 300, n_vol), rng.random(n_vol) < 0.1),
            "modules": _labels(modules, vocab.MODULES),
            "module_mask": modules.astype(np.int32),
        }
    )

    # Requests: one native language; 30% also German at B1+ (then every nearby German speaker
    # qualifies), 40% German A2 (below the default minimum level).
    first = rng.choice(len(REQUEST_LANGS), size=n_req, p=_p(REQUEST_WEIGHTS))
    german = rng.choice(3, size=n_req, p=[0.30, 0.40, 0.30])  # 0 none, 1 A2, 2 B1
    r_table = [
        _canonical([(c, "native"), *([("de", g)] if g else [])])
        for c in REQUEST_LANGS
        for g in ("", "A2", "B1")
    ]
    r_lat, r_lon = _locations(rng, centres, n_req, sigma_km=6.0)
    need = rng.choice(len(vocab.NEED_TYPES), size=n_req).astype(np.int8)
    r_slot = _slot_masks(rng, n_req, any_share=0.45)
    request_ids = _ids("R", n_req)
    household = np.where(rng.random(n_req) < 0.4, np.arange(n_req) // 3, -1)
    hh_ids = np.where(household >= 0, "H" + pd.Series(household).astype(str), "")
    volunteer_ids = np.asarray(volunteers["volunteer_id"])
    some_vol = volunteer_ids[rng.integers(0, n_vol, n_req)]
    requests = pd.DataFrame(
        {
            "request_id": request_ids,
            "household_id": np.asarray(hh_ids, dtype=object),
            "languages": np.array(r_table, dtype=object)[first * 3 + german],
            "lat": r_lat,
            "lon": r_lon,
            "need_type": np.array(vocab.NEED_TYPES, dtype=object)[need],
            "need_code": need,
            "availability": _labels(np.where(r_slot == vocab.ALL_SLOTS, 0, r_slot), vocab.SLOTS),
            "slot_mask": r_slot.astype(np.int32),
            "created_on": _dates(-rng.integers(0, 200, n_req), np.ones(n_req, dtype=np.bool_)),
            "due_on": _dates(rng.integers(-5, 60, n_req), rng.random(n_req) < 0.3),
            "involves_minors": rng.random(n_req) < 0.25,
            "preferred_gender": np.where(rng.random(n_req) < 0.1, "f", "").astype(object),
            "excluded_volunteers": np.where(rng.random(n_req) < 0.02, some_vol, "").astype(object),
            "previous_volunteer_id": np.where(rng.random(n_req) < 0.05, some_vol[::-1], "").astype(
                object
            ),
        }
    )

    n_assign = max(n_req // 20, 1)
    status = rng.choice(
        np.array(["active", "proposed", "declined"], dtype=object), n_assign, p=[0.6, 0.3, 0.1]
    )
    assignments = pd.DataFrame(
        {
            "request_id": request_ids[rng.choice(n_req, n_assign, replace=False)],
            "volunteer_id": volunteer_ids[rng.integers(0, n_vol, n_assign)],
            "status": status,
        }
    ).drop_duplicates(["request_id", "volunteer_id"])
    return volunteers, requests, assignments


def _measure(label: str, fn: Callable[[], T], rows: list[dict[str, Any]]) -> T:
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append({"stage": label, "seconds": round(seconds, 3), "peak_traced_MB": peak / 2**20})
    return out


def _timed(label: str, fn: Callable[[], T], rows: list[dict[str, Any]]) -> T:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    rows.append(
        {
            "stage": label,
            "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0,
        }
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without tracing")
    args = parser.parse_args(argv)

    config = MatchConfig(as_of=AS_OF)
    t0 = time.perf_counter()
    vols, reqs, assigns = build_caseload(args.volunteers, args.requests, args.seed)
    print(
        f"caseload built in {time.perf_counter() - t0:.2f} s: "
        f"{len(vols)} volunteers, {len(reqs)} requests, {len(assigns)} assignments"
    )

    rows: list[dict[str, Any]] = []
    run = _timed if args.no_tracemalloc else _measure
    problem = run("build_problem", lambda: build_problem(vols, reqs, assigns, config), rows)
    cand = run("find_candidates", lambda: find_candidates(problem, config), rows)
    comps = run("score_components", lambda: score_components(problem, cand, config), rows)
    run("quality", lambda: quality(comps, config.weights), rows)

    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    open_req = ~problem.r_is_active
    per_req = np.bincount(cand.req, minlength=problem.n_requests)[open_req]
    funnel = cand.funnel[open_req]
    print(
        f"admissible pairs: {cand.n_edges:,} ({per_req.mean():.1f} per open request, "
        f"median {np.median(per_req):.0f}, {np.count_nonzero(per_req == 0)} with none)"
    )
    print(
        "mean funnel per open request: "
        + ", ".join(f"{s}={m:.1f}" for s, m in zip(cand.steps, funnel.mean(axis=0), strict=True))
    )
    print(f"component matrix: {comps.dtype}, {comps.nbytes / 2**20:.0f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
