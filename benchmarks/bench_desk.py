"""Benchmark: the desk API (``lm.Matcher``) on a large city and, optionally, statewide.

    python benchmarks/bench_desk.py                      # large city 2,000 x 10,000
    python benchmarks/bench_desk.py --statewide          # ... and 20,000 x 100,000
    python benchmarks/bench_desk.py --records            # 100k request dicts vs a DataFrame
    python benchmarks/bench_desk.py --learned            # with a learned success model
    python benchmarks/bench_desk.py --no-readme          # do not rewrite the README table

Method: ``generate_caseload(volunteers, requests, seed=7)``, as_of 2026-11-02, in one process
after a small warm-up (imports, first calls). ``match()`` and ``Matcher()`` start from the same
in-memory DataFrames and are timed ``--repeat`` times, interleaved (median). The desk calls
are timed one by one with ``time.perf_counter`` on one Matcher that lives through the whole
sequence, the way case software uses it:

* ``suggest`` of an open request's id, and of a new request (a dict, validated like a table
  row, plus its pairs and scores), ``--samples`` each, requests drawn at random (seeded);
  ``suggest`` right after a change also pays for the fresh prices of the plan;
* ``decide`` (confirmations of proposals and declines, alternating), ``add`` and ``remove`` of
  requests, and ``replace`` of volunteers that have proposals or active households;
* ``plan``: building the full MatchResult of a changed state (tables, explanations,
  certificate against a freshly built model) on first access.

``--learned`` times the same Matcher with and without a learned success model (trained on a
generated history of the caseload's size, ``history=`` a fifth of its requests) on a district
(140 Lotsen, 600 requests, as in USERS.md) and the large city: the build, ``suggest`` of new
requests and ``decide``, which with a model re-solves the caseload from its tables.

Percentiles are over the calls, of wall time and of the process's CPU time (all threads):
the machine is shared, and when other jobs hold the cores the wall time grows while the CPU
time still shows the work of the call. The 1-minute load average at the end is printed too.
Results go to ``benchmarks/results/desk.json`` and the README table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

import lotsen_match as lm
from lotsen_match.io.inputs import read_inputs
from lotsen_match.validation import validate_caseload

ROOT: Final = Path(__file__).resolve().parents[1]
RESULTS: Final = ROOT / "benchmarks" / "results" / "desk.json"
README: Final = ROOT / "README.md"
START_MARK: Final = "<!-- desk-bench:start -->"
END_MARK: Final = "<!-- desk-bench:end -->"
AS_OF: Final = dt.date(2026, 11, 2)
SIZES: Final = {"city": (2_000, 10_000), "statewide": (20_000, 100_000)}
TARGETS: Final = {
    "city": {"build_ratio": 1.2, "suggest_p50_ms": 10, "suggest_p95_ms": 25,
             "replace_ms": 150, "decide_ms": 50},
    "statewide": {"suggest_p95_ms": 100},
}  # fmt: skip


Timing = tuple[float, float]
"""(wall seconds, CPU seconds of the process) of one call."""


def _ms(timings: list[Timing]) -> dict[str, float]:
    wall = np.asarray([w for w, _ in timings]) * 1e3
    cpu = np.asarray([c for _, c in timings]) * 1e3
    return {
        "n": int(wall.size),
        "p50_ms": round(float(np.percentile(wall, 50)), 2),
        "p95_ms": round(float(np.percentile(wall, 95)), 2),
        "max_ms": round(float(wall.max()), 2),
        "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 2),
        "cpu_p95_ms": round(float(np.percentile(cpu, 95)), 2),
    }


def _timed(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    """(wall, CPU) seconds of one call, and its result."""
    cpu = time.process_time()
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start, time.process_time() - cpu), out


def _record(frame: pd.DataFrame, i: int, new_id: str) -> dict[str, Any]:
    """Row ``i`` of a requests frame as a form would send it (None, ISO dates), new id."""
    row: dict[str, Any] = {}
    for name in lm.HelpRequest.model_fields:
        value = frame[name].iloc[i] if name in frame.columns else None
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            value = None
        elif isinstance(value, pd.Timestamp):
            value = value.date().isoformat()
        elif isinstance(value, np.generic):
            value = value.item()
        row[name] = value
    row["request_id"] = new_id
    row["household_id"] = None
    return row


def bench_size(name: str, repeat: int, samples: int, seed: int = 7) -> dict[str, Any]:
    n_vol, n_req = SIZES[name]
    case = lm.generate_caseload(n_vol, n_req, seed=seed, as_of=AS_OF)
    config = lm.MatchConfig(as_of=AS_OF)
    inputs = (case.volunteers, case.requests, case.assignments)
    out: dict[str, Any] = {"size": name, "volunteers": n_vol, "requests": n_req}
    match_s: list[float] = []
    build_s: list[float] = []
    for _ in range(repeat):  # interleaved, so both see the same load
        match_s.append(_timed(lambda: lm.match(*inputs, config))[0][0])
        (wall, _), m = _timed(lambda: lm.Matcher(*inputs, config))
        build_s.append(wall)
    out["match_s"] = round(float(np.median(match_s)), 3)
    out["build_s"] = round(float(np.median(build_s)), 3)
    out["build_ratio"] = round(out["build_s"] / out["match_s"], 2)
    out["build_stages_s"] = m.timings
    rng = random.Random(seed)
    proposals = m.plan.proposals
    open_ids = sorted(
        set(case.requests["request_id"])
        - set(case.assignments.loc[case.assignments["status"] == "active", "request_id"])
    )
    by_id = [_timed(lambda rid=rid: m.suggest(rid))[0] for rid in rng.sample(open_ids, samples)]
    out["suggest_id"] = _ms(by_id)
    rows = rng.sample(range(n_req), samples)
    new = [_timed(lambda i=i: m.suggest(_record(case.requests, i, f"NEW{i}")))[0] for i in rows]
    out["suggest_new"] = _ms(new)
    records = [lm.HelpRequest(**_record(case.requests, i, f"REC{i}")) for i in rows[:50]]
    out["suggest_record"] = _ms([_timed(lambda r=r: m.suggest(r))[0] for r in records])
    if name == "statewide":
        out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
        out["load_average"] = round(os.getloadavg()[0], 2)
        out["repairs"] = m.repairs
        return out

    decide_s: list[Timing] = []
    after_change: list[Timing] = []
    for k in range(60):
        proposals = m.plan.proposals if k % 10 == 0 else proposals
        live = proposals[proposals["request_id"].isin(m.plan.proposals["request_id"])]
        row = live.iloc[rng.randrange(len(live))] if k % 10 else m.plan.proposals.iloc[0]
        decision = "confirmed" if k % 2 == 0 else "declined"
        try:
            seconds, _ = _timed(
                lambda row=row, decision=decision: m.decide(
                    row["request_id"], row["volunteer_id"], decision
                )
            )
        except lm.DeskError:
            continue
        decide_s.append(seconds)
        after_change.append(_timed(lambda: m.suggest(rng.choice(open_ids)))[0])
        proposals = proposals[proposals["request_id"] != row["request_id"]]
    out["decide"] = _ms(decide_s)
    out["suggest_after_change"] = _ms(after_change)
    add_s: list[Timing] = []
    remove_s: list[Timing] = []
    for i in rng.sample(range(n_req), 40):
        add_s.append(_timed(lambda i=i: m.add(_record(case.requests, i, f"ADD{i}")))[0])
    for i in rng.sample(range(n_req), 40):
        rid = str(case.requests["request_id"].iloc[i])
        if rid in open_ids:
            with contextlib.suppress(lm.UnknownIdError):
                remove_s.append(_timed(lambda rid=rid: m.remove(rid))[0])
    out["add_request"] = _ms(add_s)
    out["remove_request"] = _ms(remove_s)
    busy = m.assignments()
    busy = busy[busy["status"].isin(["active", "proposed"])]["volunteer_id"].value_counts()
    replace_s: list[Timing] = []
    replanned: list[int] = []
    for vid in busy.index[:: max(1, len(busy) // 20)][:20]:
        seconds, replan = _timed(lambda vid=vid: m.replace(str(vid)))
        replace_s.append(seconds)
        replanned.append(len(replan.changes))
    out["replace"] = _ms(replace_s)
    out["replace_changes_median"] = float(np.median(replanned))
    out["plan_refresh"] = _ms([_timed(lambda: m.plan)[0]])
    out["repairs"] = m.repairs
    out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


LEARNED_SIZES: Final = {"district": (140, 600), "city": (2_000, 10_000)}


def bench_learned(name: str, samples: int, seed: int = 7) -> dict[str, Any]:
    """The desk with and without a learned success model on one caseload (same calls)."""
    from lotsen_match.learn import fit_success_model

    n_vol, n_req = LEARNED_SIZES[name]
    case = lm.generate_caseload(n_vol, n_req, seed=seed, as_of=AS_OF, history=n_req // 5)
    plain = lm.MatchConfig(as_of=AS_OF)
    requests = pd.concat([case.requests, case.closed_requests], ignore_index=True)
    model = fit_success_model(case.assignments, case.volunteers, requests, plain, n_splits=3)
    path = ROOT / "benchmarks" / "results" / f"desk-{name}-model.skops"
    model.save(path)
    learned = plain.replace(success_model=path, weights={"success": 2.0})
    inputs = (case.volunteers, case.requests, case.assignments)
    out: dict[str, Any] = {"size": name, "volunteers": n_vol, "requests": n_req}
    for label, config in (("plain", plain), ("learned", learned)):
        out[label] = _learned_calls(inputs, config, case.requests, samples, seed)
    path.unlink()
    for suffix in (".card.json", ".card.md"):
        path.with_name(path.stem + suffix).unlink(missing_ok=True)
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def _learned_calls(
    inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    config: lm.MatchConfig,
    requests: pd.DataFrame,
    samples: int,
    seed: int,
) -> dict[str, Any]:
    """Build, new-request suggestions and 20 decisions of one Matcher (``bench_learned``)."""
    (build, _), m = _timed(lambda: lm.Matcher(*inputs, config))
    rng = random.Random(seed)
    rows = rng.sample(range(len(requests)), min(samples, len(requests)))
    new = [_timed(lambda i=i: m.suggest(_record(requests, i, f"NEW{i}")))[0] for i in rows]
    decide_s: list[Timing] = []
    for k in range(20):
        props = m.plan.proposals
        if props.empty:
            break
        row = props.iloc[rng.randrange(len(props))]
        decision = "confirmed" if k % 2 == 0 else "declined"
        with contextlib.suppress(lm.DeskError):
            decide_s.append(
                _timed(
                    lambda row=row, decision=decision: m.decide(
                        row["request_id"], row["volunteer_id"], decision
                    )
                )[0]
            )
    return {
        "build_s": round(build, 3),
        "suggest_new": _ms(new),
        "decide": _ms(decide_s),
        "repairs": m.repairs,
    }


def bench_records(n_vol: int = 20_000, n_req: int = 100_000, repeat: int = 3) -> dict[str, Any]:
    """read + validate of 100k requests (and 20k volunteers) from dicts vs from DataFrames."""
    case = lm.generate_caseload(n_vol, n_req, seed=7, as_of=AS_OF)
    config = lm.MatchConfig(as_of=AS_OF)

    def as_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
        # Empty cells as None (what case software sends); pandas' where(..., None) may
        # give NaN back, so each column is converted explicitly.
        out = pd.DataFrame(index=frame.index)
        for column in frame.columns:
            values = frame[column].astype(object)
            missing = frame[column].isna().to_numpy()
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                values = values.map(lambda v: v if v is pd.NaT else v.date().isoformat())
            out[column] = pd.Series(
                [None if gone else v for v, gone in zip(values, missing, strict=True)],
                index=frame.index,
                dtype=object,
            )
        return out.to_dict("records")

    vol_dicts, req_dicts = as_dicts(case.volunteers), as_dicts(case.requests)

    def run(volunteers: Any, requests: Any) -> None:
        raw = read_inputs(volunteers, requests, None, config)
        validate_caseload(raw["volunteers"], raw["requests"], None, config=config)

    frames = [_timed(lambda: run(case.volunteers, case.requests))[0][0] for _ in range(repeat)]
    dicts = [_timed(lambda: run(vol_dicts, req_dicts))[0][0] for _ in range(repeat)]
    records = [lm.HelpRequest(**r) for r in req_dicts]
    models = [_timed(lambda: run(vol_dicts, records))[0][0] for _ in range(repeat)]
    frame_s = float(np.median(frames))
    return {
        "requests": n_req,
        "volunteers": n_vol,
        "dataframe_s": round(frame_s, 3),
        "dicts_s": round(float(np.median(dicts)), 3),
        "records_s": round(float(np.median(models)), 3),
        "dicts_ratio": round(float(np.median(dicts)) / frame_s, 2),
        "records_ratio": round(float(np.median(models)) / frame_s, 2),
        "load_average": round(os.getloadavg()[0], 2),
    }


def _markdown(results: dict[str, Any]) -> str:
    lines = [
        "Measured with `python benchmarks/bench_desk.py` (`--statewide`, `--records` and "
        "`--learned` for those rows; rows may come from different runs: seed 7, one "
        "process, 2 shared cores; load average at the end in the last column). Milliseconds per "
        "call, p50 / p95 over the calls, wall time and, in brackets, CPU time of the process "
        "(the work itself while other jobs share the cores); `build` and `match()` in seconds.",
        "",
        "| size | match() s | Matcher build s (ratio) | suggest id p50/p95 | suggest new p50/p95 "
        "| suggest after a change p50 | decide p50/p95 | replace p50/max | add p50 | remove p50 "
        "| plan refresh | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def pp(entry: dict[str, Any] | None, keys: tuple[str, ...] = ("p50_ms", "p95_ms")) -> str:
        if not entry:
            return "—"
        wall = " / ".join(f"{entry[k]:.1f}" for k in keys)
        cpu = " / ".join(f"{entry['cpu_' + k]:.1f}" for k in keys if "cpu_" + k in entry)
        return f"{wall} ({cpu})" if cpu else wall

    for name in ("city", "statewide"):
        r = results.get(name)
        if not r:
            continue
        lines.append(
            f"| {name} {r['volunteers']:,} × {r['requests']:,} | {r['match_s']:.2f} | "
            f"{r['build_s']:.2f} ({r['build_ratio']:.2f}×) | {pp(r.get('suggest_id'))} | "
            f"{pp(r.get('suggest_new'))} | {pp(r.get('suggest_after_change'), ('p50_ms',))} | "
            f"{pp(r.get('decide'))} | {pp(r.get('replace'), ('p50_ms', 'max_ms'))} | "
            f"{pp(r.get('add_request'), ('p50_ms',))} | "
            f"{pp(r.get('remove_request'), ('p50_ms',))} | "
            f"{pp(r.get('plan_refresh'), ('p50_ms',))} | {r.get('load_average', '')} |"
        )
    for r in results.get("learned", []):
        pl, le = r["plain"], r["learned"]
        lines += [
            "",
            f"With a learned success model, {r['size']} {r['volunteers']:,} × "
            f"{r['requests']:,} (`--learned`; without → with the model): build "
            f"{pl['build_s']:.2f} → {le['build_s']:.2f} s, suggest new p50 "
            f"{pl['suggest_new']['p50_ms']:.1f} → {le['suggest_new']['p50_ms']:.1f} ms, decide "
            f"p50 {pl['decide']['p50_ms']:.1f} → {le['decide']['p50_ms']:.1f} ms (with a model "
            f"every change re-solves the caseload), repairs {le['repairs']}.",
        ]
    rec = results.get("records")
    if rec:
        lines += [
            "",
            f"Records in bulk: reading and validating {rec['requests']:,} requests and "
            f"{rec['volunteers']:,} volunteers takes {rec['dataframe_s']:.2f} s from DataFrames, "
            f"{rec['dicts_s']:.2f} s from dicts ({rec['dicts_ratio']:.2f}×) and "
            f"{rec['records_s']:.2f} s from `HelpRequest` records ({rec['records_ratio']:.2f}×; "
            "target ≤ 3×).",
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
    parser.add_argument("--statewide", action="store_true", help="also 20,000 x 100,000")
    parser.add_argument("--records", action="store_true", help="100k dicts vs a DataFrame")
    parser.add_argument("--repeat", type=int, default=5, help="runs of match() and Matcher()")
    parser.add_argument("--samples", type=int, default=200, help="suggest calls per kind")
    parser.add_argument("--learned", action="store_true", help="with a success model")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    args = parser.parse_args(argv)
    warm = lm.generate_caseload(100, 500, seed=1, as_of=AS_OF)
    warm_m = lm.Matcher(
        warm.volunteers, warm.requests, warm.assignments, lm.MatchConfig(as_of=AS_OF)
    )
    warm_m.suggest(str(warm.requests["request_id"].iloc[0]))
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.learned:
        results["learned"] = [bench_learned(name, min(args.samples, 50)) for name in LEARNED_SIZES]
        print(json.dumps(results["learned"], indent=1), flush=True)
    results["city"] = bench_size("city", args.repeat, args.samples)
    print(json.dumps(results["city"], indent=1), flush=True)
    if args.statewide:
        results["statewide"] = bench_size("statewide", 1, args.samples)
        print(json.dumps(results["statewide"], indent=1), flush=True)
    if args.records:
        results["records"] = bench_records()
        print(json.dumps(results["records"], indent=1), flush=True)
    results["python"] = sys.version.split()[0]
    results["when"] = dt.datetime.now().isoformat(timespec="seconds")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if not args.no_readme:
        write_readme(results)
    print(_markdown(results))


if __name__ == "__main__":
    main()
