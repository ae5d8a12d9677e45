"""Backtest metrics, the paired bootstrap, cross-validation, failure handling and the CLI.

The metrics are checked on a tiny hand-made data set whose forecasts and errors are worked out
by hand in the comments; the CLI is run on a tiny DEU-format file and, when present, on the real
development split (../shared/reference/deu/deu3-dev.tsv beside the repository).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.models.base import Model, ModelResult, as_generator
from allegiance.models.baselines import CompromiseModel
from allegiance.scenario.model import Scenario
from allegiance.validation import backtest as bt

DEU = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "deu" / "deu3-dev.tsv"


def _scenario(name: str, proposal: str, outcome: float | None, positions: dict[str, float],
              capability: dict[str, float] | None = None) -> Scenario:
    capability = capability or {}
    return Scenario.model_validate({
        "id": name, "title": name,
        "issues": [{"id": name, "name": name,
                    "metadata": {"outcome": outcome, "proposal": proposal, "procedure": "COD",
                                 "voting_rule": "QMV"}}],
        "actors": [{"id": a, "name": a, "capability": capability.get(a, 1.0),
                    "issues": {name: {"position": x, "salience": 1.0}}}
                   for a, x in positions.items()],
    })


@pytest.fixture
def tiny() -> list[Scenario]:
    # mean forecasts: i1 (0+100)/2 = 50 vs 56 -> |6|; i2 (0+40)/2 = 20 vs 35 -> |15|;
    # i3 (10+20+90)/3 = 40 vs 40 -> 0; i4 has no outcome and is not scored.
    # median forecasts (equal weights): i1 50 (even split: midpoint) -> 6; i2 20 -> 15; i3 20 -> 20
    return [
        _scenario("i1", "p1", 56, {"a": 0, "b": 100}),
        _scenario("i2", "p1", 35, {"a": 0, "b": 40}),
        _scenario("i3", "p2", 40, {"a": 10, "b": 20, "c": 90}),
        _scenario("i4", "p2", None, {"a": 10, "b": 20}),
    ]


def test_metrics_by_hand(tiny):
    result = bt.run_backtest(tiny, models=["mean", "median"], n_boot=200)
    mean, median = result.summaries
    assert (mean.model, median.model) == ("mean", "median")
    assert mean.n_issues == 3 and mean.n_ok == 3 and mean.n_failed == 0
    assert mean.mae == pytest.approx((6 + 15 + 0) / 3)
    assert mean.median_ae == pytest.approx(6)
    assert mean.within_10 == pytest.approx(2 / 3)
    assert median.mae == pytest.approx((6 + 15 + 20) / 3)
    assert median.median_ae == pytest.approx(15)
    assert median.within_10 == pytest.approx(1 / 3)
    # paired with the compromise model: differences 0, 0, +20 -> mean 20/3
    assert median.vs_mean == pytest.approx(20 / 3)
    assert median.vs_mean_n == 3
    assert median.vs_mean_low <= median.vs_mean <= median.vs_mean_high
    assert mean.vs_mean == 0.0 and mean.coverage_50 is None
    breakdown = {(b["model"], b["procedure"]): b for b in result.breakdown()}
    assert breakdown[("mean", "COD")]["n"] == 3
    assert breakdown[("mean", "COD")]["mae"] == pytest.approx(7.0)
    forecasts = {(p.model, p.issue): p.forecast for p in result.predictions}
    assert forecasts[("mean", "i3")] == pytest.approx(40)
    assert forecasts[("median", "i1")] == pytest.approx(50)
    assert result.settings["scored_issues"] == 3 and result.settings["proposals"] == 2


def test_error_metrics_and_coverage_by_hand():
    metrics = bt.error_metrics(np.array([10.0, 20, 30, np.nan]), np.array([0.0, 30, 30, 5]))
    assert metrics == {"mae": pytest.approx(20 / 3), "median_ae": 10.0,
                       "within_10": pytest.approx(1.0)}
    assert bt.coverage(np.array([5.0, 15, 25]), np.array([0.0, 0, 0]),
                       np.array([10.0, 10, 30])) == pytest.approx(2 / 3)


def test_bootstrap_seeded_and_reproducible():
    rng = np.random.default_rng(1)
    diff = rng.normal(2.0, 5.0, size=60)
    groups = [f"p{i // 3}" for i in range(60)]
    first = bt.paired_bootstrap(diff, groups, n_boot=500, seed=7)
    again = bt.paired_bootstrap(diff, groups, n_boot=500, seed=7)
    other = bt.paired_bootstrap(diff, groups, n_boot=500, seed=8)
    assert first == again
    assert first[1:] != other[1:]
    assert first[0] == pytest.approx(diff.mean())
    assert first[1] < first[0] < first[2]
    # resampling whole proposals: a difference constant within and across proposals has no spread
    assert bt.paired_bootstrap(np.full(6, 3.0), ["a", "a", "b", "b", "c", "c"]) == (3.0, 3.0, 3.0)


def test_cluster_bootstrap_is_wider_than_iid_for_clustered_errors():
    # two proposals, each with ten identical differences: only 2 independent units
    diff = np.array([0.0] * 10 + [10.0] * 10)
    groups = ["a"] * 10 + ["b"] * 10
    _, lo_cluster, hi_cluster = bt.paired_bootstrap(diff, groups, n_boot=1000, seed=0)
    _, lo_iid, hi_iid = bt.paired_bootstrap(diff, None, n_boot=1000, seed=0)
    assert hi_cluster - lo_cluster > hi_iid - lo_iid


def test_cross_validation_leaves_each_proposal_out():
    outcome = np.array([0.0, 0.0, 10.0, 10.0])
    groups = ["p", "p", "q", "q"]
    # candidate "a" is perfect on p, "b" on q: holding out p, only q is seen -> b; and vice versa
    candidates = {"a": np.array([0.0, 0.0, 0.0, 0.0]), "b": np.array([10.0, 10.0, 10.0, 10.0])}
    forecast, chosen = bt.cross_validated(candidates, outcome, groups)
    assert chosen == ["b", "b", "a", "a"]
    np.testing.assert_array_equal(forecast, [10.0, 10.0, 0.0, 0.0])


class _Broken(Model):
    name = "broken"
    summary = "fails on issues with three actors"

    def __init__(self) -> None:
        pass

    def run(self, arrays, random_state=None):
        if arrays.n_actors == 3:
            raise RuntimeError("not finished yet")
        return CompromiseModel().run(arrays)


class _Noisy(Model):
    name = "noisy"
    summary = "the compromise forecast plus uniform noise of +-10"
    stochastic = True

    def __init__(self) -> None:
        pass

    def run(self, arrays, random_state=None):
        rng = as_generator(random_state)
        base = CompromiseModel().run(arrays)
        noise = rng.uniform(-10, 10, size=base.outcome.shape)
        return ModelResult(positions=base.positions, outcome=base.outcome + noise,
                           outcome_statistic="noisy mean", n_rounds=base.n_rounds)


class _Joint(Model):
    name = "joint"
    summary = "forecasts, on every issue, how many issues it was given (a multi-issue probe)"
    multi_issue = True

    def __init__(self) -> None:
        pass

    def run(self, arrays, random_state=None):
        outcome = np.full(arrays.n_issues, float(arrays.n_issues))
        return ModelResult(positions=arrays.position[None], outcome=outcome,
                           outcome_statistic="count", n_rounds=np.zeros((), dtype=int))


class _Shifted(Model):
    name = "shifted"
    summary = "the compromise forecast plus a constant shift (a model with one parameter)"

    def __init__(self, *, shift: float = 0.0) -> None:
        self.shift = float(shift)

    def run(self, arrays, random_state=None):
        base = CompromiseModel().run(arrays)
        return ModelResult(positions=base.positions, outcome=base.outcome + self.shift,
                           outcome_statistic="shifted mean", n_rounds=base.n_rounds)


@pytest.fixture
def fake_models(monkeypatch):
    real = bt.get_model_class
    fakes = {"broken": _Broken, "noisy": _Noisy, "joint": _Joint, "shifted": _Shifted}

    def get(name):
        return fakes[name] if name in fakes else real(name)

    monkeypatch.setattr(bt, "get_model_class", get)
    monkeypatch.setattr(bt, "MODELS", {**bt.MODELS, **{k: "x:y" for k in fakes}})


def test_failing_model_is_recorded_not_fatal(tiny, fake_models):
    result = bt.run_backtest(tiny, models=["broken"], n_boot=100)
    [summary] = result.summaries
    assert summary.model == "broken" and summary.n_ok == 2 and summary.n_failed == 1
    assert summary.mae == pytest.approx((6 + 15) / 2)
    assert result.failures == [{"model": "broken", "capability": "", "issue": "i3",
                                "error": "RuntimeError: not finished yet"}]
    assert summary.vs_mean_n == 2  # paired on the issues where both ran


def test_combine_keeps_every_scenario_s_sources():
    # two single-issue scenarios whose estimates cite sources: the combined scenario must carry
    # both sources, or its stances are invalid ("unknown source")
    def cited(name: str, source: str) -> Scenario:
        return Scenario.model_validate({
            "id": name, "title": name,
            "sources": [{"id": source, "title": source}, {"id": "common", "title": "c"}],
            "issues": [{"id": name, "name": name, "metadata": {"outcome": 50, "proposal": "p"}}],
            "actors": [{"id": a, "name": a,
                        "capability": {"value": 1, "sources": ["common"]},
                        "issues": {name: {"position": {"value": x, "sources": [source]},
                                          "salience": {"value": 1, "sources": [source]}}}}
                       for a, x in (("a", 0), ("b", 100))],
        })

    merged = bt.combine([cited("i1", "deu"), cited("i2", "other")])
    assert [s.id for s in merged.sources] == ["deu", "common", "other"]
    assert merged.actor("a").issues["i2"].position.sources == ["other"]


def test_failure_lines_one_per_model():
    failures = [{"model": "smp", "capability": "equal", "issue": f"i{k}", "error": "E: x"}
                for k in range(3)] + [{"model": "nash", "capability": "equal", "issue": "i1",
                                      "error": "F: y"}]
    from allegiance.cli.render.backtest import failure_lines

    assert failure_lines(failures, 10) == ["smp (equal): failed on 3 of 10 issues, e.g. E: x",
                                           "nash (equal): failed on 1 of 10 issues, e.g. F: y"]


def test_multi_issue_models_see_the_whole_proposal(tiny, fake_models):
    result = bt.run_backtest(tiny, models=["joint"], n_boot=100)
    forecasts = {p.issue: p.forecast for p in result.predictions}
    # p1 holds the scored issues i1, i2; p2 holds i3 (i4 has no outcome and is not run)
    assert forecasts == {"i1": 2.0, "i2": 2.0, "i3": 1.0}
    merged = bt.combine(tiny[:2])
    assert merged.issue_ids == ["i1", "i2"] and merged.actor_ids == ["a", "b"]
    arrays = merged.to_arrays()
    assert arrays.position.tolist() == [[0.0, 0.0], [100.0, 40.0]]
    assert arrays.present.all()


def test_tuning_by_leave_one_proposal_out(tiny, fake_models):
    # compromise forecasts: p1 = {i1: 50 (outcome 56), i2: 20 (35)}, p2 = {i3: 40 (40)}.
    # shift 0 errs 6, 15 | 0; shift 10 errs 4, 5 | 10. Holding out p1, p2 alone prefers 0;
    # holding out p2, p1 alone prefers 10 -> i3 is forecast 50. CV MAE = (6 + 15 + 10) / 3.
    result = bt.tune(tiny, "shifted", "shift", [0, 10], n_boot=100)
    rows = {s.model: s for s in result.summaries}
    assert set(rows) == {"shifted[shift=0]", "shifted[shift=10]", "shifted[cv shift]"}
    assert rows["shifted[shift=0]"].mae == pytest.approx(21 / 3)
    assert rows["shifted[shift=10]"].mae == pytest.approx(19 / 3)
    cv = rows["shifted[cv shift]"]
    assert cv.mae == pytest.approx(31 / 3)
    assert cv.note == "shift chosen by leave-one-proposal-out CV: 0 2, 10 1"
    forecasts = {p.issue: p.forecast for p in result.predictions if p.model == "shifted[cv shift]"}
    assert forecasts == {"i1": pytest.approx(50), "i2": pytest.approx(20), "i3": pytest.approx(50)}


def test_unavailable_model_is_recorded(tiny):
    result = bt.run_backtest(tiny, models=["mean", "nash"], n_boot=100)
    nash = result.summaries[1]
    if nash.n_ok:  # the model exists in this build: then it must have run everywhere
        assert nash.n_failed == 0
    else:
        assert nash.n_failed == 3 and "unavailable" in nash.note
    with pytest.raises(KeyError, match="unknown model"):
        bt.resolve_models("no-such-model")


def test_stochastic_model_runs_and_intervals(tiny, fake_models):
    first = bt.run_backtest(tiny, models=["noisy"], runs=41, seed=3, n_boot=100)
    again = bt.run_backtest(tiny, models=["noisy"], runs=41, seed=3, n_boot=100)
    other = bt.run_backtest(tiny, models=["noisy"], runs=41, seed=4, n_boot=100)
    [summary] = first.summaries
    assert summary.stochastic and summary.runs == 41
    assert [p.forecast for p in first.predictions] == [p.forecast for p in again.predictions]
    assert [p.forecast for p in first.predictions] != [p.forecast for p in other.predictions]
    by_issue = {p.issue: p for p in first.predictions}
    # compromise forecasts 50, 20, 40 plus noise in [-10, 10]: the runs' quantiles bracket them
    for issue, centre in (("i1", 50), ("i2", 20), ("i3", 40)):
        p = by_issue[issue]
        assert centre - 10 <= p.lo80 <= p.lo50 <= p.forecast <= p.hi50 <= p.hi80 <= centre + 10
        assert p.hi50 - p.lo50 == pytest.approx(10, abs=4)  # uniform: IQR = half the range
    # outcome 56 is within 10 of 50: inside the 80% interval (about 42-58), not the 50% one
    # (about 45-55); 35 is outside both (20 +- 10); 40 is inside both.
    expected50 = np.mean([by_issue["i1"].lo50 <= 56 <= by_issue["i1"].hi50, False, True])
    assert summary.coverage_50 == pytest.approx(expected50)
    assert summary.coverage_80 == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------ the CLI
TINY_TSV = "\n".join("\t".join(r) for r in [
    ["prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "proc", "counvte", "pcom", "pep", "pde",
     "pfr", "scom", "sep", "sde", "sfr", "rp", "out"],
    ["", "", "", "", "", "", "", "4.1", "4.1", "4.1", "2.8", "", "", "", "", "", ""],
    ["1", "1", "p1", "toy", "p1i1", "COD", "QMV", "100", "100", "0", "20", "50", "50", "50", "50",
     "0", "60"],
    ["1", "2", "p1", "toy", "p1i2", "COD", "QMV", "0", "50", "100", "", "50", "50", "50", "0",
     "", "40"],
    ["3", "1", "p3", "toy3", "p3i1", "CNS", "Unan", "30", "", "60", "90", "50", "0", "50", "50",
     "30", "70"],
]) + "\n"


def test_cli_writes_files(tmp_path):
    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["backtest", str(data), "--model", "mean", "--capability",
                                      "all", "--output-dir", str(out), "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"summary.csv", "summary.md", "predictions.csv",
                                               "backtest.json"}
    assert (out / "summary.md").read_text().count("\n| mean |") == 5
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["capability"] for r in summary] == ["equal", "gdp", "council-votes",
                                                  "shapley-shubik", "cv"]
    # equal weights, salience 0.5 everywhere: p1i1 (100+100+0+20)/4 = 55 vs 60 -> 5;
    # p1i2 (0+50+100)/3 = 50 vs 40 -> 10; p3i1 (30+60+90)/3 = 60 vs 70 -> 10. MAE 25/3.
    assert float(summary[0]["mae"]) == pytest.approx(25 / 3, rel=1e-5)
    assert float(summary[0]["within_10"]) == pytest.approx(1.0)
    predictions = list(csv.DictReader((out / "predictions.csv").open()))
    assert len(predictions) == 3 * 5
    report = json.loads((out / "backtest.json").read_text())
    assert report["settings"]["scored_issues"] == 3
    assert report["summaries"][0]["model"] == "mean"
    assert "MAE" in result.output


def test_cli_single_model_is_paired_with_the_baseline_in_every_row(tmp_path):
    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["backtest", str(data), "--model", "median",
                                      "--capability", "all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["model"] for r in summary] == ["median"] * 5
    assert all(r["vs_mean"] != "" and r["vs_mean_n"] == "3" for r in summary)
    assert summary[-1]["capability"] == "cv" and "leave-one-proposal-out" in summary[-1]["note"]


def test_cli_a_model_failing_on_an_issue_exits_1(tmp_path, fake_models):
    # "broken" fails on the issues with three actors: p1i2 (com, ep, de) and p3i1 (com, de, fr)
    data = tmp_path / "tiny.tsv"
    data.write_text(TINY_TSV)
    out = tmp_path / "results"
    args = ["backtest", str(data), "--model", "broken", "-o", str(out), "--bootstrap", "200"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("broken")]
    assert lines == ["broken (equal): failed on 2 of 3 issues, e.g. RuntimeError: not finished "
                     "yet"]
    assert "--allow-failures" in result.output
    report = json.loads((out / "backtest.json").read_text())  # the details are still written
    assert sorted(f["issue"] for f in report["failures"]) == ["p1i2", "p3i1"]
    result = CliRunner().invoke(app, [*args, "--allow-failures"])
    assert result.exit_code == 0, result.output
    assert "broken (equal): failed on 2 of 3 issues" in result.output
    ok = CliRunner().invoke(app, ["backtest", str(data), "--model", "mean", "-o", str(out)])
    assert ok.exit_code == 0 and "failed" not in ok.output


def test_cli_bad_input_is_a_clear_error(tmp_path):
    data = tmp_path / "bad.tsv"
    data.write_text(TINY_TSV.replace("\t60\n", "\tsixty\n"))
    result = CliRunner().invoke(app, ["backtest", str(data), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "bad.tsv:3:" in result.output and "not a number" in result.output
    result = CliRunner().invoke(app, ["backtest", str(data), "--capability", "votes"])
    assert result.exit_code == 2 and "unknown capability option" in result.output
    good = tmp_path / "good.tsv"
    good.write_text(TINY_TSV)
    result = CliRunner().invoke(app, ["backtest", str(good), "--model", "median", "--tune",
                                      "weighting=equal"])
    assert result.exit_code == 2 and "at least two values" in result.output
    result = CliRunner().invoke(app, ["backtest", str(good), "--model", "median", "--tune",
                                      "weighting=equal,sideways"])
    assert result.exit_code == 2 and "weighting must be one of" in result.output


@pytest.mark.skipif(not DEU.is_file(), reason=f"DEU development split not found at {DEU}")
def test_cli_on_the_development_split(tmp_path):
    out = tmp_path / "deu"
    result = CliRunner().invoke(app, ["backtest", str(DEU), "--model", "median", "--capability",
                                      "equal", "-o", str(out), "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["model"] for r in summary] == ["median"]
    assert summary[0]["n_issues"] == "180"  # 188 issues, 8 without a recorded outcome
    # the backtest's MAE is the mean of the per-issue errors it saved
    rows = list(csv.DictReader((out / "predictions.csv").open()))
    errors = [abs(float(r["forecast"]) - float(r["outcome"])) for r in rows]
    assert float(summary[0]["mae"]) == pytest.approx(sum(errors) / len(errors), rel=1e-5)


@pytest.mark.skipif(not DEU.is_file(), reason=f"DEU development split not found at {DEU}")
def test_every_model_scores_every_issue_of_the_development_split():
    # the multi-issue models run on whole proposals (combine): every stance cites the source
    # "deu", so a combined scenario without the sources was invalid on 164 of 180 issues
    from allegiance.io.deu import read_dataset

    scenarios = read_dataset(DEU)
    result = bt.run_backtest(scenarios, models="all", runs=1, n_boot=100)
    assert result.settings["unavailable_models"] == {}
    assert {s.model for s in result.summaries} >= {"mean", "median", "bdm", "smp", "exchange",
                                                   "nash"}
    assert result.failures == []
    for summary in result.summaries:
        assert (summary.model, summary.n_ok, summary.n_failed) == (summary.model, 180, 0)


def test_combined_proposal_keeps_the_sources_its_estimates_cite():
    from allegiance.validation.backtest import combine

    def issue(i):
        return Scenario.model_validate({
            "id": f"s{i}", "title": "t", "sources": [{"id": "deu", "title": "experts",
                                                      "reliability": "B", "credibility": 2}],
            "issues": [{"id": f"i{i}", "name": "n", "metadata": {"proposal": "p"}}],
            "actors": [{"id": a, "name": a, "capability": 1,
                        "issues": {f"i{i}": {"position": {"value": x, "sources": ["deu"]},
                                             "salience": 1}}}
                       for a, x in (("a", 0), ("b", 100))]})

    combined = combine([issue(0), issue(1)])
    assert [s.id for s in combined.sources] == ["deu"]
    assert combined.issue_ids == ["i0", "i1"]
