"""Monte Carlo: reproducibility, summaries, coalition verdicts, --until-se and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_sampling import toy_scenario
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.io import builtin_scenarios, load_scenario
from allegiance.models.base import Model, ModelResult
from allegiance.scenario.arrays import ScenarioArrays
from allegiance.uncertainty.executors import LocalExecutor, ProcessExecutor, make_executor
from allegiance.uncertainty.montecarlo import coalition_verdicts, run_montecarlo
from allegiance.uncertainty.sampling import Sampler

runner = CliRunner()


class PlainModel(Model):
    """Outcome = capability-weighted mean position, computed with a loop over the batch."""

    name = "plain-test"
    summary = "test model"

    def __init__(self) -> None:
        pass

    def run(self, arrays, random_state=None):
        position = arrays.position.reshape(-1, arrays.n_actors, arrays.n_issues)
        weight = (arrays.capability * arrays.salience * arrays.present).reshape(position.shape)
        outcome = np.array([(w * p).sum(axis=0) / w.sum(axis=0)
                            for p, w in zip(position, weight, strict=True)])
        batch = arrays.batch_shape
        return ModelResult(positions=arrays.position[..., None, :, :],
                           outcome=outcome.reshape(*batch, arrays.n_issues),
                           outcome_statistic="mean", n_rounds=np.zeros(batch, dtype=int))


@pytest.mark.parametrize("model", ["mean", "median"])
def test_same_seed_same_numbers_whatever_the_chunk_size(model):
    scenario = toy_scenario()
    first = run_montecarlo(scenario, model, runs=1500, seed=42, chunk_size=1500)
    second = run_montecarlo(scenario, model, runs=1500, seed=42, chunk_size=97)
    np.testing.assert_array_equal(first.outcomes, second.outcomes)
    np.testing.assert_array_equal(first.final_positions, second.final_positions)
    np.testing.assert_array_equal(first.winning, second.winning)
    for a, b in zip(first.gains, second.gains, strict=True):
        np.testing.assert_array_equal(a, b)
    other = run_montecarlo(scenario, model, runs=1500, seed=43)
    assert not np.array_equal(first.outcomes, other.outcomes)


def test_first_draws_do_not_depend_on_the_number_of_runs():
    scenario = toy_scenario()
    short = run_montecarlo(scenario, "mean", runs=300, seed=5, chunk_size=128)
    long = run_montecarlo(scenario, "mean", runs=1000, seed=5, chunk_size=1000)
    np.testing.assert_array_equal(short.outcomes, long.outcomes[:300])


def test_outcomes_match_a_draw_by_draw_reference():
    scenario = toy_scenario()
    result = run_montecarlo(scenario, PlainModel(), runs=400, seed=9, chunk_size=64)
    sampler = Sampler(scenario)
    draws = sampler.sample(9, 0, 400)
    for i in (0, 63, 64, 399):
        arrays = sampler.arrays(draws[i])
        expected = PlainModel().run(arrays).outcome
        np.testing.assert_allclose(result.outcomes[i], expected)
    mean = run_montecarlo(scenario, "mean", runs=400, seed=9)
    np.testing.assert_allclose(mean.outcomes, result.outcomes, rtol=1e-12, atol=1e-9)


def test_summaries_are_consistent_with_the_draws():
    scenario = toy_scenario()
    result = run_montecarlo(scenario, "mean", runs=2000, seed=1)
    summary = result.issue_summary()
    for k, issue in enumerate(scenario.issue_ids):
        values = result.outcomes[:, k]
        s = summary[issue]
        assert s["mean"] == pytest.approx(values.mean())
        assert s["se"] == pytest.approx(values.std(ddof=1) / np.sqrt(2000))
        assert s["quantiles"]["0.5"] == pytest.approx(np.median(values))
        assert sum(s["histogram"]["counts"]) == 2000
        low, high = scenario.issues[k].scale
        assert s["histogram"]["edges"][0] == low and s["histogram"]["edges"][-1] == high
        assert low <= s["quantiles"]["0.05"] <= s["quantiles"]["0.95"] <= high
    actors = result.actor_summary()
    assert "y" not in actors["a1"] and "y" in actors["a0"]
    coalitions = result.coalition_summary()
    p = result.winning[:, 1].mean()
    assert coalitions["right"]["p_winning"] == pytest.approx(p)
    assert coalitions["right"]["se_winning"] == pytest.approx(np.sqrt(p * (1 - p) / 2000))


def test_coalition_verdicts_by_hand():
    arrays = ScenarioArrays(
        ("a", "b", "c"), ("x", "y"),
        position=[[0.0, 0.0], [100.0, 10.0], [40.0, 5.0]],
        salience=[[1.0, 0.5], [1.0, 1.0], [0.5, 1.0]],
        capability=[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]],
        scale_low=[0.0, 0.0], scale_high=[100.0, 10.0],
        present=[[True, True], [True, True], [True, False]],
    )
    outcome = np.array([100.0, 10.0])
    verdict = coalition_verdicts(arrays, outcome, [0, 2])
    # x: (1 + 3) / 6 = 2/3; y (c absent): 1 / 3; the share is their mean
    assert float(verdict["share"]) == pytest.approx(0.5)
    assert not bool(verdict["winning"])  # loses y under the simple majority
    assert bool(coalition_verdicts(arrays, outcome, [0, 2], "1/3")["winning"])  # >= 1/3 on both
    assert not bool(coalition_verdicts(arrays, outcome, [0, 2], ">1/3")["winning"])
    # agreed position: x (1*1*0 + 3*0.5*40) / (1 + 1.5) = 24; y: only a present -> 0
    np.testing.assert_allclose(verdict["position"], [24.0, 0.0])
    # a: U(agreed) = (0.76 + 0.5 * 1) / 1.5 = 0.84 > U(forecast) = 0; c: 0.84 > 0.4
    assert verdict["gains"].tolist() == [True, True]
    verdict = coalition_verdicts(arrays, np.array([0.0, 0.0]), [1])
    assert not bool(verdict["winning"])
    assert verdict["gains"].tolist() == [True]  # b alone agrees on its own position
    verdict = coalition_verdicts(arrays, np.array([24.0, 5.0]), [0, 2])
    assert verdict["gains"].tolist() == [True, True]  # a: y closer (0 vs 5); c: indifferent
    # b and c agree on x at (2*100 + 1.5*40) / 3.5 = 74.3; c prefers a forecast at its own 40
    verdict = coalition_verdicts(arrays, np.array([40.0, 0.0]), [1, 2])
    assert verdict["gains"].tolist() == [True, False]


def test_verdicts_agree_with_the_coalition_report():
    report = pytest.importorskip("allegiance.coalitions.report")
    from allegiance.models.registry import make_model

    scenario = toy_scenario()
    sampler = Sampler(scenario)
    arrays = sampler.arrays(sampler.sample(13, 0, 12))
    model = make_model("median")
    outcome = model.run(arrays).outcome
    for members in ([0, 1, 2], [3, 4, 5], [1, 5]):
        batched = coalition_verdicts(arrays, outcome, members)
        for i in range(12):
            one = report.assess_coalition(arrays.take(i), [scenario.actor_ids[m] for m in members],
                                          model=model, forecast_outcome=outcome[i])
            assert bool(batched["winning"][i]) == one.winning
            assert float(batched["share"][i]) == pytest.approx(one.share, abs=1e-6)
            assert batched["gains"][i].tolist() == [d.gains_by_joining
                                                    for d in one.member_details]


def test_until_se_stops_when_reached_and_is_reproducible():
    scenario = toy_scenario()
    first = run_montecarlo(scenario, "mean", runs=50_000, seed=3, until_se=0.01,
                           chunk_size=256)
    assert first.runs < 50_000
    assert max(first.headline_se().values()) <= 0.01
    shorter = run_montecarlo(scenario, "mean", runs=first.runs - 256, seed=3, chunk_size=256)
    assert max(shorter.headline_se().values()) > 0.01  # the chunk before did not reach it
    again = run_montecarlo(scenario, "mean", runs=50_000, seed=3, until_se=0.01,
                           chunk_size=256, executor=LocalExecutor())
    np.testing.assert_array_equal(first.outcomes, again.outcomes)


def test_provenance_is_recorded():
    scenario = toy_scenario()
    result = run_montecarlo(scenario, "median", runs=100, seed=17, weighting="capability")
    data = result.to_dict()
    assert data["seed"] == 17 and data["runs"] == 100
    assert data["scenario"]["content_hash"] == scenario.content_hash()
    assert data["model"] == {"name": "median", "parameters": {"weighting": "capability"}}
    assert data["allegiance_version"]
    assert data["grade_widths"]["unsourced"] == 0.3
    json.dumps(data)


def test_bad_input_is_refused():
    scenario = toy_scenario()
    with pytest.raises(ValueError):
        run_montecarlo(scenario, "mean", runs=0)
    with pytest.raises(ValueError):
        run_montecarlo(scenario, "mean", runs=10, until_se=0)
    with pytest.raises(KeyError):
        run_montecarlo(scenario, "mean", runs=10, coalitions={"bad": ["nobody"]})
    with pytest.raises(ValueError):
        make_executor("cloud")
    with pytest.raises(ValueError):
        make_executor("local", scheduler="tcp://127.0.0.1:8786")


def test_process_executor_equals_local():
    scenario = toy_scenario()
    local = run_montecarlo(scenario, "median", runs=600, seed=8, chunk_size=150)
    with ProcessExecutor(2) as pool:
        remote = run_montecarlo(scenario, "median", runs=600, seed=8, chunk_size=150,
                                executor=pool)
    np.testing.assert_array_equal(local.outcomes, remote.outcomes)
    np.testing.assert_array_equal(local.winning, remote.winning)


def test_cli_json(tmp_path):
    path = tmp_path / "toy.yaml"
    from allegiance.io import save_scenario

    save_scenario(toy_scenario(), path)
    result = runner.invoke(app, ["montecarlo", str(path), "--model", "median", "--runs", "300",
                                 "--seed", "4", "--format", "json", "--no-progress",
                                 "--coalition", "pair=a0,a5", "--grade-width", "unsourced=0.4"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["runs"] == 300 and data["seed"] == 4
    assert set(data["coalitions"]) == {"left", "right", "pair"}
    assert data["grade_widths"]["unsourced"] == 0.4
    direct = run_montecarlo(load_scenario(str(path)), "median", runs=300, seed=4,
                            grade_widths={"unsourced": 0.4})
    assert data["issues"]["x"]["mean"] == pytest.approx(direct.issue_summary()["x"]["mean"])


def test_cli_table_and_errors(tmp_path):
    path = tmp_path / "toy.yaml"
    from allegiance.io import save_scenario

    save_scenario(toy_scenario(), path)
    result = runner.invoke(app, ["montecarlo", str(path), "--runs", "200", "--seed", "1",
                                 "--until-se", "0.5"])
    assert result.exit_code == 0, result.output
    assert "P(winning)" in result.stdout and "reached" in result.stdout
    bad = runner.invoke(app, ["montecarlo", str(path), "--model", "nope", "--runs", "10"])
    assert bad.exit_code == 2
    bad = runner.invoke(app, ["montecarlo", str(path), "--runs", "10", "--executor", "cloud"])
    assert bad.exit_code == 2
    bad = runner.invoke(app, ["montecarlo", str(path), "--runs", "10", "--grade-width", "Z=1"])
    assert bad.exit_code == 2


needs_syria = pytest.mark.skipif("syria-2014" not in builtin_scenarios(),
                                 reason="syria-2014 not in this build")


@needs_syria
def test_syria_coalitions_and_bounds():
    scenario = load_scenario("syria-2014")
    result = run_montecarlo(scenario, "median", runs=1000, seed=2014)
    summary = result.coalition_summary()
    assert {"regional", "local"} <= set(summary)
    for s in summary.values():
        assert 0 <= s["p_winning"] <= 1
        assert all(0 <= p <= 1 for p in s["p_gains"].values())
    for k, issue in enumerate(scenario.issues):
        assert (result.outcomes[:, k] >= issue.scale[0]).all()
        assert (result.outcomes[:, k] <= issue.scale[1]).all()
    again = run_montecarlo(scenario, "median", runs=1000, seed=2014, chunk_size=300)
    np.testing.assert_array_equal(result.outcomes, again.outcomes)


class FailingModel(PlainModel):
    name = "failing-test"

    def run(self, arrays, random_state=None):
        if (arrays.position[..., 0, 0] > 15).any():
            raise ArithmeticError("position out of reach")
        return super().run(arrays, random_state)


def test_a_model_failure_names_the_draws():
    from allegiance.uncertainty.montecarlo import DrawError

    with pytest.raises(DrawError, match=r"failed on draws 0\.\.99 of seed 3: ArithmeticError"):
        run_montecarlo(toy_scenario(), FailingModel(), runs=300, seed=3, chunk_size=100)
