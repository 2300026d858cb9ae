"""Time the pseudonymised export's table transform on result-shaped tables.

Run: ``.venv/bin/python benchmarks/bench_pseudonymise.py [--requests 100000] [--volunteers 20000]``

Two tables like a statewide run's: ``alternatives`` (3 rows per request: request and volunteer
ids, scores) and an input ``requests`` table with coordinates, a household id and a list of
excluded volunteers. The HMAC count is printed next to the time: one per distinct id, so it
stays at requests + volunteers + households however many rows repeat them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from lotsen_match.results.pseudonymise import Pseudonymiser, pseudonymise_table


def _tables(n_requests: int, n_volunteers: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    requests = np.array([f"R{i:07d}" for i in range(n_requests)], dtype=object)
    volunteers = np.array([f"V{i:06d}" for i in range(n_volunteers)], dtype=object)
    alternatives = pd.DataFrame(
        {
            "request_id": np.repeat(requests, 3),
            "rank": np.tile([1, 2, 3], n_requests),
            "volunteer_id": volunteers[rng.integers(0, n_volunteers, 3 * n_requests)],
            "score": rng.random(3 * n_requests).round(4),
            "distance_km": (rng.random(3 * n_requests) * 20).round(3),
        }
    )
    excluded = volunteers[rng.integers(0, n_volunteers, n_requests)]
    excluded[rng.random(n_requests) >= 0.05] = None
    inputs = pd.DataFrame(
        {
            "request_id": requests,
            "household_id": np.array([f"H{i // 2:07d}" for i in range(n_requests)], dtype=object),
            "lat": rng.uniform(51.3, 53.8, n_requests),
            "lon": rng.uniform(6.7, 11.5, n_requests),
            "need_type": "school",
            "excluded_volunteers": excluded,
        }
    )
    return {"alternatives": alternatives, "input_requests": inputs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--volunteers", type=int, default=20_000)
    args = parser.parse_args()
    tables = _tables(args.requests, args.volunteers)
    pseudonymiser = Pseudonymiser(b"benchmark key, 32 bytes or more!")
    calls = 0
    digests = Pseudonymiser._digests

    def counted(self: Pseudonymiser, messages: list[bytes]) -> list[str]:
        nonlocal calls
        calls += len(messages)
        return digests(self, messages)

    Pseudonymiser._digests = counted  # type: ignore[method-assign]
    for name, frame in tables.items():
        start = time.perf_counter()
        out = pseudonymise_table(frame, pseudonymiser)
        seconds = time.perf_counter() - start
        print(
            f"{name}: {len(frame):,} rows in {seconds:.3f} s "
            f"({len(frame) / seconds:,.0f} rows/s); HMACs so far {calls:,}; "
            f"columns {list(out.frame.columns)}"
        )


if __name__ == "__main__":
    main()
