"""Forecasts over time: dates, moves, their drivers and the coalition verdict flips."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from test_sampling import toy_scenario
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.io import builtin_scenarios, load_scenario, save_scenario
from allegiance.models.registry import make_model
from allegiance.scenario.model import Scenario
from allegiance.uncertainty.montecarlo import coalition_verdicts
from allegiance.uncertainty.timeline import parse_date, run_timeline

runner = CliRunner()


def test_points_are_as_of_forecasts():
    scenario = toy_scenario()
    result = run_timeline(scenario, "median")
    assert [p.date for p in result.points] == [dt.date(2020, 1, 1), dt.date(2020, 6, 1)]
    model = make_model("median")
    for point in result.points:
        arrays = scenario.as_of(point.date).to_arrays()
        outcome = model.run(arrays).outcome
        np.testing.assert_allclose(point.outcome, outcome)
        verdict = coalition_verdicts(arrays, outcome, [0, 1, 2])
        assert point.coalitions["left"]["winning"] == bool(verdict["winning"])
        assert point.coalitions["left"]["share"] == pytest.approx(float(verdict["share"]))


def test_move_drivers_are_the_changed_estimates():
    scenario = toy_scenario()
    result = run_timeline(scenario, "mean")
    (move,) = result.moves
    names = {d["parameter"] for d in move.drivers}
    # the two estimates with a history: a3's position on x and a4's capability
    assert names == {"a3.x.position", "a4.capability"}
    position = next(d for d in move.drivers if d["parameter"] == "a3.x.position")
    assert (position["from"], position["to"]) == (20.0, 85.0)
    # a3's position alone: rerun the earlier state with only that change
    before = scenario.as_of("2020-01-01")
    before.actors[3].issues["x"].position.value = 85.0
    alone = make_model("mean").run(before.to_arrays()).outcome
    assert position["effect"]["x"] == pytest.approx(alone[0] - result.points[0].outcome[0])
    assert position["effect"]["y"] == pytest.approx(0.0)  # a3 is not on y
    # the single effects and the interaction add up to the total move
    total = sum(np.array([d["effect"][i] for i in ("x", "y")]) for d in move.drivers)
    np.testing.assert_allclose(total + move.interaction, move.change, atol=1e-9)
    np.testing.assert_allclose(move.change, result.points[1].outcome - result.points[0].outcome)


def _flip_scenario() -> Scenario:
    """b's capability grows from 1 to 5 between the dates: {b} becomes winning."""
    return Scenario.model_validate({
        "id": "flip", "title": "Flip", "issues": [{"id": "x", "name": "X"}],
        "actors": [
            {"id": "a", "name": "A", "capability": 3,
             "issues": {"x": {"position": 10, "salience": 1}}},
            {"id": "b", "name": "B", "capability": {"history": [
                {"date": "2021-01-01", "value": 1}, {"date": "2021-03-01", "value": 5}]},
             "issues": {"x": {"position": 90, "salience": 1}}},
            {"id": "c", "name": "C", "capability": 1,
             "issues": {"x": {"position": {"history": [
                 {"date": "2021-01-01", "value": 50}, {"date": "2021-03-01", "value": 52}]},
                 "salience": 0.5}}},
        ],
        "coalitions": {"b-alone": {"members": ["b"]}, "ac": {"members": ["a", "c"]}},
    })


def test_verdict_flip_is_attributed():
    result = run_timeline(_flip_scenario(), "mean")
    (move,) = result.moves
    verdicts = {v["coalition"]: v for v in move.verdicts}
    flip = verdicts["b-alone"]["flips"][0]
    assert flip["what"] == "winning" and (flip["from"], flip["to"]) == (False, True)
    assert flip["flipped_alone_by"] == ["b.capability"]
    assert verdicts["ac"]["flips"][0]["to"] is False
    assert move.drivers[0]["parameter"] == "b.capability"


def test_extra_dates_and_errors():
    scenario = toy_scenario()
    result = run_timeline(scenario, "mean", dates=["2019-06-01", "2020-03-01"])
    assert [p.date.isoformat() for p in result.points] == [
        "2019-06-01", "2020-01-01", "2020-03-01", "2020-06-01"]
    # before the first entry the earliest judgement holds; nothing changes to 2020-01-01
    assert result.moves[0].drivers == []
    np.testing.assert_allclose(result.points[0].outcome, result.points[1].outcome)
    undated = toy_scenario(dated=False)
    undated.actors[4].capability = undated.actors[4].capability.at(dt.date(2020, 6, 1))
    with pytest.raises(ValueError, match="no dated"):
        run_timeline(undated, "mean")
    with pytest.raises(ValueError, match="not a date"):
        parse_date("June")


def test_montecarlo_per_date_and_json():
    result = run_timeline(toy_scenario(), "mean", runs=300, seed=5)
    data = result.to_dict()
    json.dumps(data)
    for point in data["dates"]:
        assert point["montecarlo"]["runs"] == 300
        assert 0 <= point["montecarlo"]["coalitions"]["right"]["p_winning"] <= 1
    assert data["moves"][0]["from"] == "2020-01-01"
    again = run_timeline(toy_scenario(), "mean", runs=300, seed=5).to_dict()
    assert again["dates"] == data["dates"]


def test_cli(tmp_path):
    path = tmp_path / "flip.yaml"
    save_scenario(_flip_scenario(), path)
    result = runner.invoke(app, ["timeline", str(path), "--dates", "2021-02-01"])
    assert result.exit_code == 0, result.output
    assert "2021-02-01" in result.stdout and "b.capability" in result.stdout
    assert "winning" in result.stdout
    result = runner.invoke(app, ["timeline", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["dates"]) == 2
    bad = runner.invoke(app, ["timeline", str(path), "--dates", "soon"])
    assert bad.exit_code == 2


@pytest.mark.skipif("syria-2014" not in builtin_scenarios(), reason="syria-2014 absent")
def test_syria_before_and_after_tabqa():
    scenario = load_scenario("syria-2014")
    result = run_timeline(scenario, "median")
    dates = [p.date.isoformat() for p in result.points]
    assert "2014-08-01" in dates and "2014-09-08" in dates
    assert any(move.drivers for move in result.moves)
    assert {"regional", "local"} <= set(result.points[0].coalitions)
