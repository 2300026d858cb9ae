"""The bare pipeline: the least a matching job can do, as the yardstick for ``match()``.

What the performance anchors of this field measure: read the two Parquet tables, find the
candidate pairs with a scikit-learn ``BallTree`` (haversine) per language, queried by
batches of volunteers on two threads, drop pairs failing the
cheap per-pair rules (need, time, minors, gender, volunteer active with a free
place), and solve one
OR-Tools ``SimpleMinCostFlow`` on the request-volunteer pairs: requests with unit supply,
volunteers with their free capacity, cost minus a distance score, a free bypass. No validation,
no households, no load pricing, no stability, no certificate, no explanations, nothing written.

``run_bare(paths, as_of)`` returns its seconds per step, the pairs it found and the requests it
served; the harness times and measures it in the same process as ``match()``.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["run_bare"]

EARTH_RADIUS_KM: Final = 6371.0088
SCALE: Final = 10_000
MIN_LEVEL: Final = 3  # B1
LEVEL: Final = {"A1": 1, "A2": 2, "B1": 3, "B2": 4, "C1": 5, "C2": 6, "native": 7}
NEEDS: Final = (
    "school",
    "authority",
    "health",
    "housing",
    "work",
    "everyday",
    "digital",
    "leisure",
)
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOTS: Final = {
    f"{d}-{p}": i for i, (d, p) in enumerate((d, p) for d in DAYS for p in ("am", "pm", "eve"))
}
ALL_SLOTS: Final = (1 << len(SLOTS)) - 1
#: Volunteers per tree query, and threads running the queries (the two cores of the benchmark).
CHUNK: Final = 1024
THREADS: Final = 2


def _masks(column: pd.Series, bit: dict[str, int], empty: int) -> npt.NDArray[np.int64]:
    """``;``-separated labels as bit masks, parsed once per distinct string."""
    codes, uniques = pd.factorize(column.fillna(""))
    table = np.array(
        [sum(1 << bit[x] for x in str(u).split(";") if x in bit) if u else empty for u in uniques]
        + [empty],
        dtype=np.int64,
    )
    return table[codes]


def _speakers(column: pd.Series) -> dict[str, npt.NDArray[np.int64]]:
    """Rows speaking each language at B1 or better."""
    codes, uniques = pd.factorize(column.fillna(""))
    langs_of = [
        [
            c
            for c, _, lvl in (e.partition(":") for e in str(u).split(";"))
            if LEVEL.get(lvl, 0) >= MIN_LEVEL
        ]
        for u in uniques
    ]
    rows: dict[str, list[npt.NDArray[np.int64]]] = {}
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    for u, langs in enumerate(langs_of):
        members = order[bounds[u] : bounds[u + 1]]
        for lang in langs:
            rows.setdefault(lang, []).append(members)
    return {lang: np.sort(np.concatenate(parts)) for lang, parts in rows.items()}


def _day(series: pd.Series) -> npt.NDArray[np.float64]:
    values = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(values), np.nan, values.astype(np.int64).astype(np.float64))


def run_bare(paths: dict[str, Path], as_of: dt.date) -> dict[str, Any]:
    """Run the bare pipeline on the harness's Parquet inputs; seconds per step and counts."""
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow
    from sklearn.neighbors import BallTree

    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 6)
        clock = now

    vol = pd.read_parquet(paths["volunteers"])
    req = pd.read_parquet(paths["requests"])
    asg = pd.read_parquet(paths["assignments"])
    lap("read")

    today = float((as_of - dt.date(1970, 1, 1)).days)
    active = asg[asg["status"] == "active"]
    req_active = req["request_id"].isin(active["request_id"]).to_numpy()
    load = active["volunteer_id"].value_counts().reindex(vol["volunteer_id"], fill_value=0)
    free = vol["capacity"].to_numpy(np.int64) - load.to_numpy(np.int64)
    cert, start, until = (
        _day(vol[c]) for c in ("certified_on", "available_from", "available_until")
    )
    v_ok = (free > 0) & (cert <= today) & ~(start > today) & ~(until < today)
    v_need = _masks(vol["need_types"], {n: i for i, n in enumerate(NEEDS)}, 0)
    v_slot = _masks(vol["availability"], SLOTS, ALL_SLOTS)
    r_need = _masks(req["need_type"], {n: i for i, n in enumerate(NEEDS)}, 0)
    r_slot = _masks(req["availability"], SLOTS, ALL_SLOTS)
    police = np.nan_to_num(_day(vol["police_check_until"]), nan=-np.inf)  # none: fails
    needed = np.fmax(_day(req["due_on"]), today)
    needed[~req["involves_minors"].fillna(False).to_numpy(bool)] = -np.inf
    v_gender = vol["gender"].fillna("").to_numpy(dtype=object)
    r_pref = req["preferred_gender"].fillna("").to_numpy(dtype=object)
    v_rad = np.radians(vol[["lat", "lon"]].to_numpy(np.float64))
    r_rad = np.radians(req[["lat", "lon"]].to_numpy(np.float64))
    radius = vol["max_distance_km"].fillna(10.0).to_numpy(np.float64) / EARTH_RADIUS_KM
    v_speaks = _speakers(vol["languages"])
    r_speaks = _speakers(req["languages"])
    lap("prepare")

    n_vol, n_req = len(vol), len(req)
    tasks = []
    for lang, r_rows in r_speaks.items():
        v_rows = v_speaks.get(lang)
        if v_rows is None:
            continue
        r_rows = r_rows[~req_active[r_rows]]
        v_rows = v_rows[v_ok[v_rows]]
        if r_rows.size == 0 or v_rows.size == 0:
            continue
        tree = BallTree(r_rad[r_rows], metric="haversine")
        tasks += [(tree, r_rows, v_rows[i : i + CHUNK]) for i in range(0, v_rows.size, CHUNK)]

    def query(task: tuple[Any, npt.NDArray[np.int64], npt.NDArray[np.int64]]) -> Any:
        tree, r_rows, chunk = task
        hits, dist = tree.query_radius(v_rad[chunk], r=radius[chunk], return_distance=True)
        counts = np.fromiter((h.size for h in hits), dtype=np.int64, count=len(hits))
        if counts.sum() == 0:
            return None
        r = r_rows[np.concatenate(hits)]
        v = np.repeat(chunk, counts)
        keep = (
            ((v_need[v] & r_need[r]) != 0)
            & ((v_slot[v] & r_slot[r]) != 0)
            & ((r_pref[r] == "") | (r_pref[r] == v_gender[v]))
            & ~(police[v] < needed[r])  # minors: a police check valid until the due day
        )
        return r[keep] * n_vol + v[keep], np.concatenate(dist)[keep]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # the tree queries release the GIL
        found = [part for part in pool.map(query, tasks) if part is not None]
    tasks.clear()
    keys = np.concatenate([k for k, _ in found])
    dist = np.concatenate([d for _, d in found])
    found.clear()
    keys, first = np.unique(keys, return_index=True)  # pairs sharing several languages once
    r, v = np.divmod(keys, n_vol)
    km = dist[first] * EARTH_RADIUS_KM
    del keys, dist, first
    lap("candidates")

    cost = -np.rint(SCALE * np.exp2(-km / 5.0)).astype(np.int64) - SCALE
    n_pairs = int(r.size)
    source, sink = n_req + n_vol, n_req + n_vol + 1
    with_pair = np.unique(r)
    tails = np.concatenate(
        [np.full(with_pair.size, source), r, n_req + np.arange(n_vol), [source]]
    ).astype(np.int32)
    heads = np.concatenate([with_pair, n_req + v, np.full(n_vol, sink), [sink]]).astype(np.int32)
    caps = np.concatenate(
        [np.ones(with_pair.size + n_pairs, np.int64), np.maximum(free, 0), [with_pair.size]]
    ).astype(np.int64)
    costs = np.concatenate(
        [np.zeros(with_pair.size, np.int64), cost, np.zeros(n_vol + 1, np.int64)]
    )
    del r, v, km, cost
    flow = SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([with_pair.size, -with_pair.size])
    )
    status = flow.solve()
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"bare pipeline: min cost flow returned {status}")
    pair_flow = np.asarray(
        flow.flows(np.arange(with_pair.size, with_pair.size + n_pairs, dtype=np.int32))
    )
    served = int(np.count_nonzero(pair_flow))
    lap("solve")
    return {
        "seconds_by_step": seconds,
        "seconds": round(sum(seconds.values()), 6),
        "pairs": n_pairs,
        "served_requests": served,
        "objective": int(-flow.optimal_cost()),
    }
