"""Sensitivity: the tornado against direct runs, Sobol indices on known functions, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_sampling import toy_scenario
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.io import builtin_scenarios, load_scenario, save_scenario
from allegiance.models.registry import make_model
from allegiance.uncertainty.sampling import Sampler
from allegiance.uncertainty.sensitivity import (
    bins_for,
    first_order_indices,
    run_sensitivity,
    tornado,
)

runner = CliRunner()


def test_tornado_equals_one_run_per_end():
    scenario = toy_scenario()
    result = tornado(scenario, "median")
    sampler = Sampler(scenario)
    model = make_model("median")
    for j in (0, 3, sampler.n_parameters - 1):
        values = sampler.value.copy()
        values[j] = sampler.low[j]
        low = model.run(sampler.arrays(values)).outcome
        values[j] = sampler.high[j]
        high = model.run(sampler.arrays(values)).outcome
        np.testing.assert_allclose(result.at_low[j], low)
        np.testing.assert_allclose(result.at_high[j], high)
    np.testing.assert_allclose(result.baseline, model.run(scenario.to_arrays()).outcome)


def test_tornado_ranking_by_impact():
    scenario = toy_scenario()
    result = tornado(scenario, "mean")
    rows = result.ranked("x")
    impacts = [row["impact"] for row in rows]
    assert impacts == sorted(impacts, reverse=True) and impacts[0] > 0
    for row in rows:
        ends = [row["outcome_at_low"], row["outcome_at_high"]]
        base = result.baseline[0]
        assert row["impact"] == pytest.approx(max(*ends, base) - min(*ends, base))
    # estimates on issue y only cannot move x
    assert not any(row["parameter"].endswith(".y.position") for row in rows)
    assert len(result.ranked("x", top=3)) == 3


def test_sobol_on_a_linear_function():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(20_000, 3))
    y = np.column_stack([3 * x[:, 0] + x[:, 1], x[:, 2] ** 2])
    s = first_order_indices(x, y)
    # Var(3 U) = 9/12, Var(U) = 1/12: shares 0.9 and 0.1
    assert s[0, 0] == pytest.approx(0.9, abs=0.02)
    assert s[1, 0] == pytest.approx(0.1, abs=0.02)
    assert s[2, 0] == pytest.approx(0.0, abs=0.01)
    assert s[2, 1] == pytest.approx(1.0, abs=0.02)
    assert s[0, 1] == pytest.approx(0.0, abs=0.01)


def test_sobol_interaction_is_not_first_order():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(20_000, 2))
    s = first_order_indices(x, x[:, 0] * x[:, 1])
    assert s.sum() < 0.03


def test_sobol_constant_inputs_and_outputs():
    x = np.column_stack([np.ones(100), np.arange(100.0)])
    s = first_order_indices(x, np.column_stack([np.arange(100.0), np.zeros(100)]))
    assert s[0, 0] == 0 and s[1, 0] > 0.9 and (s[:, 1] == 0).all()
    assert bins_for(100) == 5 and bins_for(10) == 2 and bins_for(10**7) == 50


def test_run_sensitivity_drivers():
    scenario = toy_scenario()
    result = run_sensitivity(scenario, "mean", runs=1500, seed=3)
    assert result.sobol.shape == (len(result.parameters), 2)
    assert (result.sobol >= 0).all() and (result.sobol.sum(axis=0) <= 1.2).all()
    drivers = result.drivers("x", top=4)
    assert len(drivers) >= 4 and all("sobol" in row for row in drivers)
    # the strongest one-at-a-time driver also explains a real share of the variance
    top = max(drivers, key=lambda row: row["sobol"])
    assert top["sobol"] > 0.05
    data = result.to_dict(top=3)
    assert data["kind"] == "sensitivity" and set(data["issues"]) == {"x", "y"}
    json.dumps(data)


def test_cli(tmp_path):
    path = tmp_path / "toy.yaml"
    save_scenario(toy_scenario(), path)
    result = runner.invoke(app, ["sensitivity", str(path), "--runs", "400", "--seed", "1",
                                 "--top", "3", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "top drivers" in result.stdout and "Sobol" in result.stdout
    result = runner.invoke(app, ["sensitivity", str(path), "--runs", "400", "--seed", "1",
                                 "--format", "json", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"] == 400
    bad = runner.invoke(app, ["sensitivity", str(path), "--top", "0"])
    assert bad.exit_code == 2


@pytest.mark.skipif("syria-2014" not in builtin_scenarios(), reason="syria-2014 absent")
def test_syria_tornado_has_drivers_on_every_issue():
    scenario = load_scenario("syria-2014")
    result = tornado(scenario, "median")
    for issue in scenario.issue_ids:
        assert result.ranked(issue, top=5)
