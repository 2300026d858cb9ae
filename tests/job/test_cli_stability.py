"""Two (three) nightly runs: proposals stay stable, confirmed pairs stay untouched, declines stick.

Night 1 proposes. During the day 10 volunteers and 40 requests arrive; night 2 gets night 1's
proposals back as ``proposed`` assignments and must keep most of them (with the default stability
weight about 89% stay on this caseload, without it about 71%). Before night 3 the coordinator
confirms some (``active``) and declines others (``declined``): confirmed requests are not
matched again and keep using their volunteer's capacity; declined pairs are never proposed again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.cli_support import (
    AS_OF,
    caseload_tables,
    input_args,
    invoke,
    small_caseload,
    write_inputs,
)


def _night(
    tmp_path: Path, label: str, tables: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> dict[str, pd.DataFrame]:
    paths = write_inputs(tmp_path / f"in-{label}", tables)
    out = tmp_path / f"out-{label}"
    code, _, err = invoke(["run", *input_args(paths), "--as-of", AS_OF, "-o", out, "-q"], capsys)
    assert code == 0, err
    return {
        name: pd.read_csv(out / f"{name}.csv", dtype={"request_id": str, "volunteer_id": str})
        for name in ("proposals", "unmatched")
    }


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["request_id"], frame["volunteer_id"], strict=True))


def test_proposals_stay_stable_over_nightly_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = caseload_tables(small_caseload(seed=21, n_volunteers=100, n_requests=300))
    base = tables["assignments"]
    base = base[base["status"] != "proposed"]  # the generator's own open proposals are replaced
    first = {
        "volunteers": tables["volunteers"].iloc[:90],
        "requests": tables["requests"].iloc[:260],
    }
    first["assignments"] = base[
        base["request_id"].isin(first["requests"]["request_id"])
        & base["volunteer_id"].isin(first["volunteers"]["volunteer_id"])
    ]
    night1 = _night(tmp_path, "1", first, capsys)
    proposed1 = night1["proposals"]
    assert len(proposed1) >= 40
    assert (proposed1["status"] == "proposed").all()

    # Night 2: yesterday's proposals come back as `proposed`; newcomers compete with them.
    fed_back = proposed1[["request_id", "volunteer_id"]].assign(status="proposed")
    asg2 = pd.concat([base, fed_back], ignore_index=True)
    night2 = _night(tmp_path, "2", {**tables, "assignments": asg2}, capsys)
    kept = _pairs(night2["proposals"]) & _pairs(proposed1)
    assert len(kept) >= 0.8 * len(proposed1)
    kept_rows = night2["proposals"][night2["proposals"]["request_id"].isin({r for r, _ in kept})]
    assert (kept_rows["status"] == "kept").all()
    assert (night2["proposals"]["status"] == "kept").sum() == len(kept)

    # The coordinator confirms a third, declines a fifth; the rest stays proposed.
    p2 = night2["proposals"].sort_values("request_id").reset_index(drop=True)
    n = len(p2)
    confirm = p2.iloc[: n // 3]
    decline = p2.iloc[n // 3 : n // 3 + n // 5]
    rest = p2.iloc[n // 3 + n // 5 :]
    asg3 = pd.concat(
        [
            base,
            confirm[["request_id", "volunteer_id"]].assign(status="active"),
            decline[["request_id", "volunteer_id"]].assign(status="declined"),
            rest[["request_id", "volunteer_id"]].assign(status="proposed"),
        ],
        ignore_index=True,
    )
    night3 = _night(tmp_path, "3", {**tables, "assignments": asg3}, capsys)
    proposals3, unmatched3 = night3["proposals"], night3["unmatched"]

    active = asg3[asg3["status"] == "active"]
    touched = set(proposals3["request_id"]) | set(unmatched3["request_id"])
    assert not touched & set(active["request_id"]), "active requests are never matched again"
    declined = asg3[asg3["status"] == "declined"]
    assert not _pairs(proposals3) & _pairs(declined), "declined pairs are never proposed again"
    still = _pairs(proposals3) & _pairs(rest)
    assert len(still) >= 0.9 * len(rest)

    # Capacity: a volunteer's active households plus new proposals never exceed capacity.
    requests = tables["requests"].set_index("request_id")
    households = (
        requests["household_id"]
        .astype(object)
        .where(requests["household_id"].notna(), requests.index.to_series())
    )
    load = pd.concat(
        [
            active[["request_id", "volunteer_id"]],
            proposals3[["request_id", "volunteer_id"]],
        ]
    )
    load["household"] = households.reindex(load["request_id"]).to_numpy()
    per_volunteer = (
        load.drop_duplicates(["volunteer_id", "household"]).groupby("volunteer_id").size()
    )
    capacity = tables["volunteers"].set_index("volunteer_id")["capacity"]
    assert (per_volunteer <= capacity.reindex(per_volunteer.index)).all()
