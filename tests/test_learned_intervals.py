"""The learned forecaster (stacking, nested leave-one-proposal-out CV) and the model intervals.

Out-of-fold checks perturb a proposal's outcomes and require its own cross-validated forecast
not to move; coverage is checked on synthetic data whose error distribution is known; every
registered model's forecast JSON must carry an interval per issue.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import allegiance
from allegiance.models.intervals import conformal_interval, load_calibration, position_spread
from allegiance.models.learned import group_weights, load_fitted
from allegiance.models.registry import MODELS
from allegiance.scenario.model import Scenario
from allegiance.validation import backtest as bt
from allegiance.validation import conformal, stacking
from allegiance.validation.fit import CANDIDATES, learned_predictions


def _synthetic(n_proposals: int = 10, seed: int = 0) -> list[Scenario]:
    """Two issues per proposal, four actors; outcomes near the compromise with noise."""
    rng = np.random.default_rng(seed)
    scenarios = []
    for p in range(n_proposals):
        for k in range(2):
            name = f"p{p}i{k}"
            positions = rng.choice([0.0, 30.0, 60.0, 100.0], size=4)
            outcome = float(np.clip(positions.mean() + rng.normal(0, 15), 0, 100))
            scenarios.append(Scenario.model_validate({
                "id": name, "title": name,
                "issues": [{"id": name, "name": name, "status_quo": 0.0,
                            "metadata": {"outcome": round(outcome, 1), "proposal": f"p{p}",
                                         "procedure": "COD" if p % 2 else "CNS",
                                         "voting_rule": "QMV"}}],
                "actors": [{"id": a, "name": a, "capability": 1.0 + i,
                            "issues": {name: {"position": float(positions[i]),
                                              "salience": 0.5 + 0.1 * i}}}
                           for i, a in enumerate("abcd")],
            }))
    return scenarios


def _with_outcome(scenario: Scenario, outcome: float) -> Scenario:
    data = scenario.model_dump()
    data["issues"][0]["metadata"]["outcome"] = outcome
    return Scenario.model_validate(data)


# ----------------------------------------------------------------------------- stacking
def test_weights_recover_an_exact_convex_combination():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 100, size=(60, 3))
    y = X @ np.array([0.2, 0.0, 0.8])
    assert stacking.fit_weights(X, y) == pytest.approx([0.2, 0.0, 0.8], abs=1e-6)


def test_pooling_kappa_interpolates_between_group_and_pooled_weights():
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 100, size=(40, 2))
    groups = ["g1"] * 20 + ["g2"] * 20
    y = np.r_[X[:20, 0], X[20:, 1]]  # g1 follows column 0, g2 column 1
    own = stacking.fit(X, y, groups, stacking.Hyper((0, 1), 0.0))
    pooled = stacking.fit(X, y, groups, stacking.Hyper((0, 1), math.inf))
    assert own["groups"]["g1"] == pytest.approx([1, 0], abs=1e-6)
    assert own["groups"]["g2"] == pytest.approx([0, 1], abs=1e-6)
    assert pooled["groups"] == {}
    half = stacking.fit(X, y, groups, stacking.Hyper((0, 1), 20.0))
    assert half["groups"]["g1"] == pytest.approx((own["groups"]["g1"] + pooled["all"]) / 2)


def test_cross_validation_is_out_of_fold_for_the_stacker():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 100, size=(30, 3))
    y = X @ np.array([0.5, 0.3, 0.2]) + rng.normal(0, 5, 30)
    clusters = np.repeat(np.arange(10), 3)
    groups = ["a"] * 15 + ["b"] * 15
    hypers = [stacking.Hyper((0, 1, 2), 5.0), stacking.Hyper((0, 1), math.inf)]
    forecast, _ = stacking.cross_validate(X, y, groups, clusters, hypers, n_folds=3)
    moved = y.copy()
    moved[clusters == 4] += 80.0  # only proposal 4's outcomes change
    again, _ = stacking.cross_validate(X, moved, groups, clusters, hypers, n_folds=3)
    assert again[clusters == 4] == pytest.approx(forecast[clusters == 4], abs=1e-9)
    assert not np.allclose(again[clusters != 4], forecast[clusters != 4])  # the others learn


def test_learned_backtest_forecast_of_a_proposal_ignores_its_own_outcomes():
    issues = _synthetic()
    rows, note = learned_predictions(issues, n_folds=3)
    assert "nested leave-one-proposal-out" in note
    changed = [(_with_outcome(s, 100.0 - float(s.issues[0].metadata["outcome"]))
                if s.issues[0].metadata["proposal"] == "p3" else s) for s in issues]
    again, _ = learned_predictions(changed, n_folds=3)
    for a, b in zip(rows, again, strict=True):
        if a.proposal == "p3":
            assert a.forecast == pytest.approx(b.forecast, abs=1e-9)
            assert a.outcome != b.outcome or a.outcome == 50.0
    assert any(abs(a.forecast - b.forecast) > 1e-6 for a, b in zip(rows, again, strict=True)
               if a.proposal != "p3")


def test_backtest_reports_learned_by_cross_validation_with_interval_coverage():
    issues = _synthetic(8)
    result = bt.run_backtest(issues, models=["mean", "learned"], n_boot=200)
    mean, learned = result.summaries
    assert learned.model == "learned" and learned.n_ok == 16
    assert "nested leave-one-proposal-out" in learned.note
    for summary in (mean, learned):
        assert 0 <= summary.interval_coverage_50 <= summary.interval_coverage_80 <= 1
    rows = [p for p in result.predictions if p.model == "learned"]
    assert all(p.pi50_lo <= p.forecast <= p.pi50_hi for p in rows)
    assert all(p.pi80_lo <= p.pi50_lo and p.pi50_hi <= p.pi80_hi for p in rows)


# ----------------------------------------------------------------------------- intervals
def test_conformal_quantile_by_hand():
    # n = 9 scores 1..9: level 0.5 -> ceil(10 * 0.5) = 5th smallest; 0.8 -> 8th; 0.95 -> 9th
    values = np.arange(1.0, 10.0)
    assert conformal.conformal_quantile(values, 0.5) == 5.0
    assert conformal.conformal_quantile(values, 0.8) == 8.0
    assert conformal.conformal_quantile(values, 0.95) == 9.0


def test_spread_and_interval_by_hand():
    # two actors at 20 and 80 with weights 1 and 3: mean 65, sd sqrt((1*45^2 + 3*15^2)/4) = 25.98
    spread = position_spread(np.array([[20.0], [80.0]]), np.array([[1.0], [3.0]]),
                             np.array([[True], [True]]), np.array([0.0]), np.array([100.0]))
    assert spread[0] == pytest.approx(math.sqrt((45**2 + 3 * 15**2) / 4) / 100)
    lo, hi = conformal_interval(np.array([90.0]), np.array([0.25]), 1.0, np.array([0.0]),
                                np.array([100.0]), floor=0.05)
    assert (lo[0], hi[0]) == pytest.approx((60.0, 100.0))  # 90 ± 30, clipped at 100


@pytest.mark.parametrize("seed", [0, 1])
def test_cross_validated_coverage_on_a_known_distribution(seed):
    # errors are Laplace with scale proportional to (spread + floor): the normalised scores are
    # identically distributed, so the conformal intervals must cover 50% and 80% of held-out
    # outcomes up to sampling error (n = 1500, 300 clusters; sd of a share about 0.013)
    rng = np.random.default_rng(seed)
    n = 1500
    spread = rng.uniform(0.02, 0.45, n)
    forecast = np.full(n, 50.0)
    outcome = forecast + rng.laplace(0, 100 * (spread + 0.05) * 0.3)
    clusters = np.repeat(np.arange(300), 5)
    low, high = conformal.cross_validated_intervals(
        forecast, outcome, spread, clusters, np.full(n, -1e9), np.full(n, 1e9))
    c50 = conformal.coverage(outcome, low["50"], high["50"])
    c80 = conformal.coverage(outcome, low["80"], high["80"])
    assert 0.46 <= c50 <= 0.54 and 0.76 <= c80 <= 0.84
    # and the width follows the spread: wide where positions are far apart
    width = high["80"] - low["80"]
    assert np.corrcoef(width, spread)[0, 1] > 0.99
    # an interval that ignores the spread (constant width) over-covers the agreed issues
    const_lo, const_hi = conformal.cross_validated_intervals(
        forecast, outcome, np.full(n, 0.2), clusters, np.full(n, -1e9), np.full(n, 1e9))
    agreed = spread < 0.1
    assert conformal.coverage(outcome[agreed], const_lo["80"][agreed],
                              const_hi["80"][agreed]) > 0.95


def test_shipped_calibration_covers_every_registered_model():
    calibration = load_calibration()
    assert set(calibration["models"]) == set(MODELS)
    for entry in calibration["models"].values():
        assert 0 < entry["50"] < entry["80"]
    fitted = load_fitted()
    assert [c["name"] for c in fitted["candidates"]] == [c["name"] for c in CANDIDATES]
    assert sum(group_weights(fitted, None)[0]) == pytest.approx(1.0)
    assert "python -m allegiance.validation.fit" in fitted["command"]


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_forecast_json_carries_its_interval(model):
    result = allegiance.forecast("syria-2014", model=model, seed=0)
    document = json.loads(result.to_json())
    for issue in document["issues"]:
        interval = issue["interval"]
        value = document["outcome"][issue["id"]]
        low, high = issue["scale"]
        assert low <= interval["80"][0] <= interval["50"][0] <= value + 1e-9
        assert value - 1e-9 <= interval["50"][1] <= interval["80"][1] <= high
        assert "DEU-calibrated" in interval["note"]  # syria-2014 is not a DEU scenario


def test_learned_runs_on_syria_and_says_which_fitted_parts_apply():
    result = allegiance.forecast("syria-2014", model="learned")
    notes = result.result.extra["notes"]
    assert any("pooled over all DEU issues" in n for n in notes)
    assert set(result.result.extra["fitted_part"].values()) == {"pooled"}
    mean = allegiance.forecast("syria-2014", model="mean").outcome
    assert result.outcome != mean  # the stack is not just the compromise model
    for value in result.outcome.values():
        assert 0 <= value <= 100


def test_learned_uses_group_weights_on_an_issue_of_a_fitted_procedure():
    fitted = load_fitted()
    issue = _synthetic(1)[0]
    result = allegiance.forecast(issue, model="learned")
    part = result.result.extra["fitted_part"][issue.issues[0].id]
    expected = group_weights(fitted, "CNS/QMV")[1]
    assert part == expected  # a fitted group's weights, or pooled when pooling was chosen


def test_montecarlo_keeps_input_spread_and_model_interval_apart():
    from allegiance.uncertainty.montecarlo import run_montecarlo

    result = run_montecarlo(allegiance.io.load_scenario("syria-2014"), "mean", runs=64, seed=3)
    for issue in result.to_dict()["issues"].values():
        interval = issue["model_interval"]
        assert interval["80"][0] <= issue["baseline"] <= interval["80"][1]
        spread = issue["quantiles"]["0.95"] - issue["quantiles"]["0.05"]
        assert interval["80"][1] - interval["80"][0] != pytest.approx(spread)


def test_estimated_capabilities_are_fitted_out_of_fold():
    from allegiance.validation.estimated_capability import cross_validated_forecasts

    issues = _synthetic(6)
    forecast = cross_validated_forecasts(issues)
    changed = [(_with_outcome(s, 0.0) if s.issues[0].metadata["proposal"] == "p2" else s)
               for s in issues]
    again = cross_validated_forecasts(changed)
    held = np.array([s.issues[0].metadata["proposal"] == "p2" for s in issues])
    assert again[held] == pytest.approx(forecast[held], abs=1e-9)
    assert np.all((forecast >= 0) & (forecast <= 100))


def test_a_failing_candidate_is_recorded_not_fatal(monkeypatch):
    from allegiance.validation import fit

    def broken(*args, **kwargs):
        raise RuntimeError("candidate smp failed on 1 issue(s)")

    monkeypatch.setattr(fit, "candidate_matrix", broken)
    result = bt.run_backtest(_synthetic(3), models=["mean", "learned"], n_boot=100)
    learned = result.summaries[1]
    assert learned.n_failed == 6 and learned.n_ok == 0
    assert any("candidate smp failed" in f["error"] for f in result.failures)


def test_cli_backtest_shows_learned_and_interval_coverage(tmp_path):
    import csv

    from test_backtest import TINY_TSV
    from typer.testing import CliRunner

    from allegiance.cli import app

    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["backtest", str(data), "--model", "learned", "-o", str(out),
                                      "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert "PI50 cov" in result.output and "learned" in result.output
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["model"] for r in rows] == ["learned"]
    assert rows[0]["interval_coverage_50"] != "" and rows[0]["interval_coverage_80"] != ""
    assert "PI 80% cover" in (out / "summary.md").read_text()
