"""MatchConfig in sections: flat keys still load, every path validates, errors are ConfigErrors.

Regression tests for issue 12 (5, 6): values that passed validation and then crashed the run,
and the ways a config could be built or derived without validation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import lotsen_match as lm
from lotsen_match.config import route_flat_keys

SPEC = Path(__file__).resolve().parents[1] / "data" / "samples" / "spec"
SPEC_INPUTS = [
    "--volunteers",
    str(SPEC / "volunteers.csv"),
    "--requests",
    str(SPEC / "requests.csv"),
]


def test_flat_keys_land_in_their_sections() -> None:
    cfg = lm.MatchConfig(
        as_of="2026-11-02",
        min_language_level="B2",
        solver="cpsat",
        report_language="en",
        vocabulary="de",
        max_alternatives=5,
    )
    assert cfg.rules.min_language_level == "B2"
    assert cfg.solver.name == "cpsat"
    assert cfg.report.language == "en" and cfg.report.max_alternatives == 5
    assert cfg.ingest.vocabulary == "de"


def test_flat_and_sectioned_toml_give_the_same_config(tmp_path: Path) -> None:
    flat = tmp_path / "flat.toml"
    flat.write_text(
        'as_of = 2026-11-02\nmin_language_level = "B2"\nsolver = "greedy"\n'
        'near = "Hildesheim"\n[weights]\ntime = 0.5\n',
        encoding="utf-8",
    )
    sectioned = tmp_path / "sectioned.toml"
    sectioned.write_text(
        'as_of = 2026-11-02\n[rules]\nmin_language_level = "B2"\n[solver]\nname = "greedy"\n'
        '[ingest]\nnear = "Hildesheim"\n[weights]\ntime = 0.5\n',
        encoding="utf-8",
    )
    assert lm.MatchConfig.from_toml(flat) == lm.MatchConfig.from_toml(sectioned)


def test_a_key_given_flat_and_in_its_section_is_refused() -> None:
    with pytest.raises(lm.ConfigError, match="given both flat and in its section"):
        route_flat_keys({"min_language_level": "B2", "rules": {"min_language_level": "C1"}})


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"min_language_level": "X"}, "rules.min_language_level"),
        ({"weights": {"time": float("inf")}}, "weights.time"),
        ({"weights": {"language": 1e308}}, "weights.language"),
        ({"weights": {"load": 1e300}}, "weights.load"),
        ({"weights": {"time": float("nan")}}, "weights.time"),
        ({"as_of": dt.date(2262, 4, 12)}, "as_of"),
        ({"date_formats": ["%Q"]}, "ingest.date_formats"),
        ({"date_formats": ["%d.%m"]}, "ingest.date_formats"),
        ({"list_separators": [""]}, "ingest.list_separators"),
        ({"list_separators": []}, "ingest.list_separators"),
        ({"distance_half_km": -5}, "rules.distance_half_km"),
        ({"solver": "simplex"}, "solver.name"),
        ({"colums": {}}, "colums"),
    ],
)
def test_bad_values_are_config_errors_naming_the_setting(
    kwargs: dict[str, object], setting: str
) -> None:
    with pytest.raises(lm.ConfigError) as info:
        lm.MatchConfig(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)  # callers catching ValueError keep working
    assert setting in [field for field, _msg in info.value.problems]


def test_unknown_setting_suggests_the_close_name() -> None:
    with pytest.raises(lm.ConfigError, match="did you mean 'min_language_level'"):
        lm.MatchConfig.from_mapping({"min_languag_level": "B2"})


def test_score_weights_alone_raise_config_error() -> None:
    with pytest.raises(lm.ConfigError, match=r"weights\.time"):
        lm.ScoreWeights(time=-1)


def test_model_copy_validates_like_replace() -> None:
    cfg = lm.MatchConfig(as_of="2026-11-02")
    with pytest.raises(lm.ConfigError, match="distance_half_km"):
        cfg.model_copy(update={"distance_half_km": -5})
    with pytest.raises(lm.ConfigError, match="min_language_level"):
        cfg.model_copy(update={"min_language_level": "Z9"})
    changed = cfg.model_copy(update={"min_language_level": "C1", "weights": {"time": 0.0}})
    assert changed.rules.min_language_level == "C1"
    assert changed.weights.time == 0.0 and changed.weights.language == cfg.weights.language
    assert cfg.replace(solver="greedy").solver.name == "greedy"


def test_config_errors_reach_the_cli_as_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lotsen_match.job.cli import app

    bad = tmp_path / "bad.toml"
    bad.write_text('[weights]\ntime = inf\n[ingest]\ndate_formats = ["%Q"]\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", "--config", str(bad), *SPEC_INPUTS, "--out", str(out)])
    assert result.exit_code == 2
    assert "weights.time" in result.output and "ingest.date_formats" in result.output


def test_as_of_far_in_the_future_is_refused_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lotsen_match.job.cli import app

    result = CliRunner().invoke(
        app,
        ["run", "--as-of", "2262-04-12", *SPEC_INPUTS, "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 2
    assert "as_of" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Stadt,Breite,Laenge\nHildesheim,52.15,9.95\n", "needs a key column"),
        ("place,lat,lon\nHildesheim,north,9.95\n", "lat/lon missing"),
    ],
)
def test_a_places_table_with_wrong_headers_is_exit_2_naming_the_setting(
    tmp_path: Path, content: str, expected: str
) -> None:
    from typer.testing import CliRunner

    from lotsen_match.job.cli import app

    places = tmp_path / "orte.csv"
    places.write_text(content, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'vocabulary = "de"\nplaces = "{places}"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", "--config", str(config), *SPEC_INPUTS, "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "ingest.places" in result.output and expected in result.output


def test_a_success_weight_without_a_success_model_is_refused(tmp_path: Path) -> None:
    """``weights.success`` weighs the learned component; without a model it would do nothing.

    Regression: the weight was accepted and silently had no effect on any score.
    """
    with pytest.raises(lm.ConfigError) as info:
        lm.MatchConfig(weights={"success": 4.0})
    [(setting, message)] = info.value.problems
    assert setting == "weights.success"
    assert "rules.success_model" in message and "0" in message and "lotsen-match learn" in message
    base = lm.MatchConfig(as_of="2026-11-02")
    with pytest.raises(lm.ConfigError, match=r"weights\.success"):
        base.replace(weights={"success": 1.0})
    with pytest.raises(lm.ConfigError, match=r"weights\.success"):
        base.model_copy(update={"weights": base.weights.model_copy(update={"success": 1.0})})
    # Valid: weight 0 without a model (the default), a model without weight (shown, not
    # weighted), and both together; the model file is checked when a run loads it.
    model = tmp_path / "model.skops"
    assert base.weights.success == 0.0
    assert base.replace(success_model=model).weights.success == 0.0
    both = base.model_copy(update={"success_model": model, "weights": {"success": 4.0}})
    assert both.weights.success == 4.0 and both.rules.success_model == model
    # A settings file and the command line give exit 2 naming the setting.
    from typer.testing import CliRunner

    from lotsen_match.job.cli import app

    config = tmp_path / "config.toml"
    config.write_text("[weights]\nsuccess = 4\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", "--config", str(config), *SPEC_INPUTS, "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "config.toml" in result.output and "weights.success" in result.output
    assert not out.exists()


def test_a_success_weight_and_its_model_may_come_from_different_layers(tmp_path: Path) -> None:
    """Cross-setting rules hold for the settings as a whole, not for each file on its own.

    Regression: ``[weights] success`` in ``--config`` with ``success_model`` in ``--profile``
    (or the other way round) was refused, because each file was checked alone.
    """
    model = tmp_path / "model.skops"
    weight = tmp_path / "weight.toml"
    weight.write_text("[weights]\nsuccess = 2\n", encoding="utf-8")
    named = tmp_path / "model.toml"
    named.write_text(f"[rules]\nsuccess_model = '{model.name}'\n", encoding="utf-8")
    for files in ((weight, named), (named, weight)):
        both = lm.MatchConfig.from_toml(*files)
        assert both.weights.success == 2.0 and both.rules.success_model == model
    assert lm.MatchConfig.from_toml(named).with_file(weight).rules.success_model == model
    # A file's own problems still name that file; the whole still has to make sense.
    broken = tmp_path / "broken.toml"
    broken.write_text("[weights]\nsuccess = -1\n", encoding="utf-8")
    with pytest.raises(lm.ConfigError, match=r"broken\.toml"):
        lm.MatchConfig.from_toml(named, broken)
    with pytest.raises(lm.ConfigError, match=r"weights\.success"):
        lm.MatchConfig.from_toml(weight, tmp_path / "weight.toml")
