"""The nightly job holds no frame as read while it matches (they would only add to its peak)."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lotsen_match import MatchConfig
from lotsen_match.generate import generate_caseload
from lotsen_match.job import runner

AS_OF = dt.date(2026, 11, 2)


def test_frames_as_read_are_released_before_matching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caseload = generate_caseload(30, 120, seed=5, as_of=AS_OF)
    paths = {}
    for name in ("volunteers", "requests", "assignments"):
        paths[name] = tmp_path / f"{name}.parquet"
        getattr(caseload, name).to_parquet(paths[name], index=False)
    del caseload

    read: list[weakref.ref[pd.DataFrame]] = []
    real_read = runner.read_inputs

    def recording_read(*args: Any, **kwargs: Any) -> dict[str, pd.DataFrame]:
        frames = real_read(*args, **kwargs)
        read.extend(weakref.ref(frame) for frame in frames.values())
        return frames

    monkeypatch.setattr(runner, "read_inputs", recording_read)
    alive_while_matching: list[int] = []

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        if name == "match":
            gc.collect()
            alive_while_matching.append(sum(ref() is not None for ref in read))
        yield

    job = runner.run_job(
        paths["volunteers"],
        paths["requests"],
        paths["assignments"],
        out_dir=tmp_path / "out",
        config=MatchConfig(as_of=AS_OF),
        stage=stage,
    )
    assert len(read) == 3
    assert alive_while_matching == [0]
    # What summary.json says of the inputs is still there.
    assert set(job.summary["inputs"]) == {"volunteers", "requests", "assignments"}
    assert job.summary["inputs"]["requests"]["rows"] == 120
