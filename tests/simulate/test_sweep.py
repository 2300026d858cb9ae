"""Sweeps on a real dask.distributed LocalCluster (no mocks): same seed, same rows, any workers;
and the ``lotsen-match simulate`` command end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dask import distributed

from lotsen_match.job.cli import main
from lotsen_match.simulate import TIMING_COLUMNS, Scenario, SimulationSettings
from lotsen_match.simulate.sweep import local_cluster, sweep
from tests.simulate_support import AS_OF, CONFIG, SAMPLE, sample_frames

SETTINGS = SimulationSettings(days=8)
SCENARIOS = [
    Scenario(name="nachts", policy="nightly"),
    Scenario(name="gierig", policy="greedy_on_arrival"),
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with local_cluster(2) as c:
        yield c


def _stable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns=list(TIMING_COLUMNS)).reset_index(drop=True)


def test_rows_are_identical_for_a_seed_on_two_workers_and_on_one(cluster: Any) -> None:
    v, r, a = sample_frames()
    kw: dict[str, Any] = {
        "volunteers": v,
        "requests": r,
        "assignments": a,
        "settings": SETTINGS,
        "config": CONFIG,
        "progress": False,
    }
    with distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with distributed.get_task_stream(client) as stream:
            two = sweep(SCENARIOS, [0, 1, 2], client, **kw)
    # Both worker processes ran simulations: the rows really came from two of them.
    runs_on = {t["worker"] for t in stream.data if str(t["key"]).startswith("simulate-")}
    assert len(runs_on) == 2
    with local_cluster(1) as solo, distributed.Client(solo) as client:
        one = sweep(SCENARIOS, [0, 1, 2], client, **kw)
    pd.testing.assert_frame_equal(_stable(two.runs), _stable(one.runs))
    pd.testing.assert_frame_equal(two.shares, one.shares)
    assert list(two.runs["scenario"]) == ["nachts"] * 3 + ["gierig"] * 3
    assert list(two.runs["seed"]) == [0, 1, 2] * 2
    assert (two.runs["served_requests"] <= two.runs["bound_requests"]).all()
    assert two.runs["served_requests"].nunique() > 1


def test_cli_simulate_writes_results_summary_and_german_page(cluster: Any, tmp_path: Path) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(
        'days = 365\n[[scenario]]\nname = "nachts"\npolicy = "nightly"\n'
        '[[scenario]]\nname = "20 Lotsen Arabisch in Hildesheim"\npolicy = "nightly"\n'
        'add_volunteers = [{ count = 20, languages = "ar:native;de:C1", place = "Hildesheim" }]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = [
        "simulate", "--volunteers", str(SAMPLE / "volunteers.csv"),
        "--requests", str(SAMPLE / "requests.csv"),
        "--assignments", str(SAMPLE / "assignments.csv"),
        "--scenarios", str(scenarios), "--seeds", "2", "--days", "6",
        "--out", str(out), "--scheduler", cluster.scheduler_address,
        "--as-of", AS_OF.isoformat(), "--quiet",
    ]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code in (0, None)
    runs = pd.read_parquet(out / "results.parquet")
    assert len(runs) == 4 and set(runs["days"]) == {6}
    for col in ("scenario", "policy", "seed", "served_requests", "waiting_days_median",
                "waiting_days_p90", "bound_share"):  # fmt: skip
        assert col in runs
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [s["scenario"] for s in summary["scenarios"]] == [
        "nachts",
        "20 Lotsen Arabisch in Hildesheim",
    ]
    assert summary["seeds"] == [0, 1] and summary["days"] == 6
    html = (out / "simulation.html").read_text(encoding="utf-8")
    assert "Wartezeit" in html and "<svg" in html and 'lang="de"' in html
    assert "Arabisch" in html  # the served share by first language, in German
    for name in ("results.parquet", "shares.parquet", "summary.json", "simulation.html"):
        assert (out / name).stat().st_mode & 0o007 == 0, name  # not world-readable


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[[scenario]]\nname = "x"\npolicy = "hourly"\n', "policy"),
        (
            '[[scenario]]\nname = "x"\n'
            'add_volunteers = [{ count = 2, languages = "ar:native", place = "Atlantis" }]\n',
            "Atlantis",
        ),
        ("[[scenario]\n", "scenario"),
        ('days = 3650\n[[scenario]]\nname = "x"\narrival_factor = 1000\n', "arrive"),
        ("# " + "x" * 1_100_000 + "\n", "bytes"),
        ('[[scenario]]\nname = "x"\n' + '[[scenario]]\nname = "y"\n' * 1001, "at most"),
    ],
)
def test_cli_bad_scenario_file_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str, words: str
) -> None:
    scenarios = tmp_path / "s.toml"
    scenarios.write_text(toml, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main([
            "simulate", "--volunteers", str(SAMPLE / "volunteers.csv"),
            "--requests", str(SAMPLE / "requests.csv"),
            "--scenarios", str(scenarios), "--out", str(out), "--quiet",
            "--as-of", AS_OF.isoformat(),
        ])  # fmt: skip
    assert done.value.code == 2
    assert words in capsys.readouterr().err
    assert not out.exists()


def test_cli_invalid_input_rows_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, r, _ = sample_frames()
    r.loc[3, "lat"] = "north"
    r.to_csv(tmp_path / "requests.csv", index=False)
    scenarios = tmp_path / "s.toml"
    scenarios.write_text('[[scenario]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main([
            "simulate", "--volunteers", str(SAMPLE / "volunteers.csv"),
            "--requests", str(tmp_path / "requests.csv"),
            "--scenarios", str(scenarios), "--out", str(tmp_path / "out"), "--quiet",
            "--as-of", AS_OF.isoformat(),
        ])  # fmt: skip
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "requests.csv" in err and "lat" in err
    assert not (tmp_path / "out").exists()
