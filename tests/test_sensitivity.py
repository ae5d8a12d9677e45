"""Sensitivity: the tornado against direct runs, Sobol indices on known functions, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from SALib.analyze import delta
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


def _ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def _linear(x: np.ndarray) -> np.ndarray:
    return 3 * x[:, 0] + 2 * x[:, 1] + 1 * x[:, 2]


#: (function, draw range, known first-order indices): Ishigami (a = 7, b = 0.1) and a linear
#: sum of uniforms, S_i = a_i^2 / sum(a^2)
KNOWN = {"ishigami": (_ishigami, np.pi, [0.3139, 0.4424, 0.0]),
         "linear": (_linear, 1.0, [9 / 14, 4 / 14, 1 / 14])}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_first_order_matches_salib_given_data_estimator(name):
    """Ours against SALib's given-data first-order estimator (``SALib.analyze.delta``, the Sobol
    part) on the same sample.

    Exactly first: with the same M equal-count bins, SALib's ``sobol_first`` is the plain
    between-bin variance ratio and ours subtracts its bias (M - 1) / N, so the two must agree to
    rounding (N = 10,560 is a multiple of M = 22, so both put the same ranks in each bin).
    Then SALib's ``analyze`` as users call it, which evaluates the estimator on one bootstrap
    resample of the data and reports its 95 % half-width ``S1_conf``: ours (50 bins) must lie
    within 3 * S1_conf (about six standard errors of that resample) plus 0.005 (the bias
    correction, 49 / N, and the different bin counts), and both near the known indices."""
    function, half_width, known = KNOWN[name]
    n, m = 10_560, 22
    x = np.random.default_rng(7).uniform(-half_width, half_width, size=(n, 3))
    y = function(x)
    ours_same_bins = first_order_indices(x, y[:, None], bins=m)[:, 0]
    edges = np.linspace(0, n, m + 1)
    salib_same_bins = np.array([delta.sobol_first(y, x[:, i], edges) for i in range(3)])
    np.testing.assert_allclose(ours_same_bins, np.maximum(salib_same_bins - (m - 1) / n, 0.0),
                               rtol=0, atol=1e-12)

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"],
               "bounds": [[-half_width, half_width]] * 3}
    salib = delta.analyze(problem, x, y, method="sobol", num_resamples=50, seed=11)
    ours = first_order_indices(x, y[:, None])[:, 0]
    assert np.all(np.abs(ours - salib["S1"]) <= 3 * salib["S1_conf"] + 0.005), (ours, salib)
    np.testing.assert_allclose(ours, known, atol=0.02)
    np.testing.assert_allclose(salib["S1"], known, atol=0.03)
