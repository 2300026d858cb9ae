"""Time ``validate_caseload`` on a synthetic caseload shaped like a CSV read (all cells text).

Run: ``.venv/bin/python benchmarks/bench_validation.py [--requests 100000] [--volunteers 20000]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from lotsen_match.config import MatchConfig
from lotsen_match.core.vocab import MODULES, NEED_TYPES, SLOTS
from lotsen_match.validation import validate_caseload, validate_requests, validate_volunteers

LANGUAGE_COMBOS = (
    "ar:native;de:B1",
    "ar:native;de:A2",
    "uk:native;ru:C1;de:B2",
    "fa:native;prs:native;de:A2",
    "tr:native;de:C1",
    "kmr:native;tr:B2;de:B1",
    "ti:native;en:B1",
    "ps:native;fa:C1",
    "so:native;en:A2",
    "ru:native;de:native",
    "de:native;en:C1;fr:B1",
    "ckb:native;ar:B2;de:A1",
)


def _pick(rng: np.random.Generator, options: list[str], n: int) -> npt.NDArray[np.str_]:
    return np.asarray(options)[rng.integers(0, len(options), n)]


def _comma(x: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    return np.char.replace(np.round(x, 5).astype(str), ".", ",")


def _dates(rng: np.random.Generator, start: str, days: int, n: int) -> npt.NDArray[np.str_]:
    stamps = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    iso = stamps.strftime("%Y-%m-%d").to_numpy(dtype=str)
    german = stamps.strftime("%d.%m.%Y").to_numpy(dtype=str)
    return np.where(rng.random(n) < 0.5, iso, german)


def _slot_lists(rng: np.random.Generator, n: int) -> list[str]:
    combos = [""] + [";".join(sorted(rng.choice(SLOTS, 4, replace=False))) for _ in range(60)]
    return list(_pick(rng, combos, n))


def _text_frame(columns: dict[str, object], n: int) -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in columns.items()})
    frame.insert(0, "_row", np.arange(2, n + 2))
    return frame


def build_caseload(
    n_requests: int, n_volunteers: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Volunteers, requests and assignments as text frames (the way ``read_table`` gives CSV)."""
    rng = np.random.default_rng(seed)
    needs = [";".join(sorted(rng.choice(NEED_TYPES, 3, replace=False))) for _ in range(40)]
    modules = [";".join(rng.choice(MODULES, 3, replace=False)) for _ in range(20)]
    vol_ids = np.char.add("V", np.arange(n_volunteers).astype(str))
    volunteers = _text_frame(
        {
            "volunteer_id": vol_ids,
            "languages": _pick(rng, list(LANGUAGE_COMBOS), n_volunteers),
            "lat": _comma(rng.uniform(51.3, 53.8, n_volunteers)),
            "lon": _comma(rng.uniform(6.7, 11.6, n_volunteers)),
            "max_distance_km": _pick(rng, ["", "5", "10", "12,5", "25"], n_volunteers),
            "need_types": _pick(rng, needs, n_volunteers),
            "availability": _slot_lists(rng, n_volunteers),
            "capacity": _pick(rng, ["1", "2", "3"], n_volunteers),
            "gender": _pick(rng, ["f", "m", "d", ""], n_volunteers),
            "certified_on": _dates(rng, "2022-01-01", 1400, n_volunteers),
            "modules": _pick(rng, modules, n_volunteers),
            "police_check_until": _dates(rng, "2026-01-01", 1400, n_volunteers),
            "available_from": _dates(rng, "2023-01-01", 300, n_volunteers),
            "available_until": _dates(rng, "2027-01-01", 300, n_volunteers),
        },
        n_volunteers,
    )
    req_ids = np.char.add("R", np.arange(n_requests).astype(str))
    households = np.char.add("H", rng.integers(0, n_requests // 2 + 1, n_requests).astype(str))
    requests = _text_frame(
        {
            "request_id": req_ids,
            "household_id": np.where(rng.random(n_requests) < 0.3, households, ""),
            "languages": _pick(rng, list(LANGUAGE_COMBOS), n_requests),
            "lat": _comma(rng.uniform(51.3, 53.8, n_requests)),
            "lon": _comma(rng.uniform(6.7, 11.6, n_requests)),
            "need_type": _pick(rng, list(NEED_TYPES), n_requests),
            "availability": _slot_lists(rng, n_requests),
            "created_on": _dates(rng, "2026-01-01", 300, n_requests),
            "due_on": np.where(
                rng.random(n_requests) < 0.3, _dates(rng, "2026-11-01", 60, n_requests), ""
            ),
            "involves_minors": _pick(rng, ["ja", "nein", "", "x", "true"], n_requests),
            "preferred_gender": _pick(rng, ["", "", "", "f", "m"], n_requests),
            "excluded_volunteers": np.where(
                rng.random(n_requests) < 0.05, _pick(rng, list(vol_ids), n_requests), ""
            ),
            "previous_volunteer_id": np.where(
                rng.random(n_requests) < 0.1, _pick(rng, list(vol_ids), n_requests), ""
            ),
        },
        n_requests,
    )
    n_asg = n_requests // 10
    assignments = _text_frame(
        {
            "request_id": req_ids[rng.permutation(n_requests)[:n_asg]],
            "volunteer_id": _pick(rng, list(vol_ids), n_asg),
            "status": _pick(rng, ["active", "proposed", "declined", "Declined"], n_asg),
        },
        n_asg,
    )
    volunteers.attrs["source"] = "volunteers.csv"
    requests.attrs["source"] = "requests.csv"
    assignments.attrs["source"] = "assignments.csv"
    return volunteers, requests, assignments


def _best_of(repeats: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    config = MatchConfig(strict=False)
    vol, req, asg = build_caseload(args.requests, args.volunteers)
    result = validate_caseload(vol, req, asg, config=config)
    print(
        f"rows read {result.rows_read}, rejected {len(result.rejected)}, "
        f"problems {len(result.problems)}"
    )
    t_req = _best_of(args.repeats, lambda: validate_requests(req, config))
    t_vol = _best_of(args.repeats, lambda: validate_volunteers(vol, config))
    t_all = _best_of(args.repeats, lambda: validate_caseload(vol, req, asg, config=config))
    print(f"best of {args.repeats} runs")
    print(f"validate_requests   {len(req):>7} rows: {t_req * 1000:7.1f} ms")
    print(f"validate_volunteers {len(vol):>7} rows: {t_vol * 1000:7.1f} ms")
    print(f"validate_caseload   {len(req)}+{len(vol)}+{len(asg)} rows: {t_all * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
