"""The candidate-coalition report vs a plain-loop reference, on a synthetic and the syria-2014
scenario, and the ``coalitions`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from allegiance.cli.coalitions import coalitions_command
from allegiance.coalitions.formation import (
    blocs,
    minimal_connected_winning,
    minimal_winning_coalitions,
)
from allegiance.coalitions.report import assess_coalition, coalition_report, utility
from allegiance.io import load_scenario
from allegiance.models.base import ParameterError
from allegiance.models.registry import make_model
from allegiance.scenario.arrays import ScenarioArrays
from allegiance.scenario.model import Scenario


def _stance(position, salience=1.0):
    return {"position": position, "salience": salience}


@pytest.fixture
def toy() -> Scenario:
    return Scenario.model_validate({
        "id": "toy", "title": "Toy coalition scenario",
        "issues": [{"id": "x", "name": "X"}, {"id": "y", "name": "Y", "scale": [0, 10]}],
        "actors": [
            {"id": "a", "name": "A", "capability": 40,
             "issues": {"x": _stance(10, 1.0), "y": _stance(2, 0.5)}},
            {"id": "b", "name": "B",
             "capability": {"value": 5, "history": [{"date": "2020-01-01", "value": 30},
                                                    {"date": "2020-06-01", "value": 5}]},
             "issues": {"x": _stance(30, 0.8), "y": _stance(8, 1.0)}},
            {"id": "c", "name": "C", "capability": 20,
             "issues": {"x": _stance(80, 0.6), "y": _stance(5, 0.4)}},
            {"id": "d", "name": "D", "capability": 10, "issues": {"x": _stance(100, 1.0)}},
        ],
        "coalitions": {"ab": {"members": ["a", "b"]}, "cd": {"members": ["c", "d"]}},
    })


# ------------------------------------------------------------------ plain-loop reference
def _reference(arrays, members, outcome):
    """Share, winning, agreed position, gains and pivotal members with plain loops."""
    n, m = arrays.n_actors, arrays.n_issues
    ids = list(arrays.actor_ids)
    inside = [ids.index(x) for x in members]
    shares, wins, agreed = [], [], []
    for k in range(m):
        total = sum(arrays.capability[i, k] for i in range(n) if arrays.present[i, k])
        mine = sum(arrays.capability[i, k] for i in inside if arrays.present[i, k])
        shares.append(mine / total)
        wins.append(mine > total / 2)
        num = sum(arrays.capability[i, k] * arrays.salience[i, k] * arrays.position[i, k]
                  for i in inside if arrays.present[i, k])
        den = sum(arrays.capability[i, k] * arrays.salience[i, k]
                  for i in inside if arrays.present[i, k])
        agreed.append(num / den if den > 0 else outcome[k])

    def u(i, x):
        num = den = 0.0
        for k in range(m):
            if arrays.present[i, k]:
                width = arrays.scale_high[k] - arrays.scale_low[k]
                num += arrays.salience[i, k] * (1 - abs(x[k] - arrays.position[i, k]) / width)
                den += arrays.salience[i, k]
        return num / den

    gains = {ids[i]: u(i, agreed) - u(i, outcome) for i in inside}
    pivotal = []
    for i in inside:
        for k in range(m):
            total = sum(arrays.capability[j, k] for j in range(n) if arrays.present[j, k])
            rest = sum(arrays.capability[j, k] for j in inside if j != i and arrays.present[j, k])
            if wins[k] and not rest > total / 2:
                pivotal.append(ids[i])
                break
    return shares, wins, agreed, gains, pivotal


def _check_against_reference(arrays, assessment, outcome):
    shares, wins, agreed, gains, pivotal = _reference(arrays, assessment.members, outcome)
    np.testing.assert_allclose([i.share for i in assessment.issues], shares, atol=1e-6)
    assert [i.winning for i in assessment.issues] == wins
    assert assessment.winning == all(wins)
    for item, value in zip(assessment.issues, agreed, strict=True):
        if item.agreed_position is not None:
            assert item.agreed_position == pytest.approx(value, abs=1e-6)
    clear = {a for a, g in gains.items() if abs(g) > 1e-9}  # sign not decided by rounding
    for detail in assessment.member_details:
        assert detail.gain == pytest.approx(gains[detail.actor], abs=1e-6)
        if detail.actor in clear:
            assert detail.gains_by_joining == (gains[detail.actor] >= 0)
    assert assessment.pivotal == pivotal
    assert [a for a in assessment.stay_out if a in clear] == [
        a for a in assessment.members if a in clear and gains[a] < 0]


def test_toy_report_matches_reference_in_each_state(toy):
    report = coalition_report(toy, model="mean")
    assert report.states == ["2020-01-01", "2020-06-01"]
    model = make_model("mean")
    for n, date in enumerate(report.states):
        arrays = toy.as_of(date).to_arrays()
        outcome = model.run(arrays).outcome
        for name in ("ab", "cd"):
            _check_against_reference(arrays, report.coalitions[name][n], outcome)
    before, after = report.coalitions["ab"]
    # b loses capability: ab still wins but b is no longer pivotal
    assert before.winning and after.winning
    assert before.pivotal == ["a", "b"] and after.pivotal == ["a"]
    assert before.minimal_winning and not after.minimal_winning
    assert any("pivotal -b" in line for line in report.changes["ab"])
    # cd loses; a or b joining alone would make it win before, only a after
    assert report.coalitions["cd"][0].joiners == ["a", "b"]
    assert report.coalitions["cd"][1].joiners == ["a"]
    # d is absent from y: the coalition's spread there is c's alone
    y = next(i for i in report.coalitions["cd"][0].issues if i.issue == "y")
    assert y.spread == 0.0


def test_opponents_are_ranked_by_weighted_distance(toy):
    arrays = toy.as_of("2020-01-01").to_arrays()
    assessment = assess_coalition(arrays, ["c", "d"], model=make_model("mean"))
    agreed = [i.agreed_position for i in assessment.issues]
    width = arrays.scale_high - arrays.scale_low
    expected = {}
    for i, actor in enumerate(arrays.actor_ids):
        if actor in ("c", "d"):
            continue
        expected[actor] = sum(
            arrays.capability[i, k] * arrays.salience[i, k]
            * abs(arrays.position[i, k] - agreed[k]) / width[k]
            for k in range(arrays.n_issues) if arrays.present[i, k]
        )
    ranked = sorted(expected, key=lambda a: -expected[a])
    assert [o["actor"] for o in assessment.opponents] == ranked
    for item in assessment.opponents:
        assert item["opposition"] == pytest.approx(expected[item["actor"]], abs=1e-3)


def test_outcome_with_coalition_moves_members_to_the_agreed_position(toy):
    arrays = toy.to_arrays()
    assessment = assess_coalition(arrays, ["a", "b"], model=make_model("mean"))
    moved = arrays.position.copy()
    for k, item in enumerate(assessment.issues):
        for i in (0, 1):
            if arrays.present[i, k]:
                moved[i, k] = item.agreed_position
    expected = make_model("mean").run(arrays.with_batch(position=moved)).outcome
    np.testing.assert_allclose([i.outcome_with_coalition for i in assessment.issues], expected,
                               atol=1e-5)


def test_utility_is_salience_weighted_closeness(toy):
    arrays = toy.to_arrays()
    values = utility(arrays, [10, 2])
    assert values[0] == pytest.approx(1.0)  # a's own position on both issues
    # d is only on x: closeness (1 - 90/100)
    assert values[3] == pytest.approx(0.1)


def test_quota_and_weighting_options(toy):
    report = coalition_report(toy, model="median", quota="unanimity", as_of="2020-01-01")
    assert report.states == ["2020-01-01"]
    assert not report.coalitions["ab"][0].winning
    effective = coalition_report(toy, weighting="capability*salience", coalitions=["a,c"])
    assert "a,c" in effective.coalitions
    with pytest.raises(ParameterError):
        coalition_report(toy, weighting="votes")


def test_given_coalitions_and_errors(toy):
    report = coalition_report(toy, coalitions=["mine=a,d", "b,c"], include_named=False)
    assert list(report.coalitions) == ["mine", "b,c"]
    assert report.coalitions["mine"][0].origin == "given"
    with pytest.raises(ParameterError, match="unknown actor"):
        coalition_report(toy, coalitions=["a,zz"])
    with pytest.raises(ParameterError, match="no members"):
        coalition_report(toy, coalitions=["empty="])


def test_syria_report_before_and_after_tabqa():
    scenario = load_scenario("syria-2014")
    report = coalition_report(scenario, model="mean")
    assert report.states == ["2014-08-01", "2014-09-08"]
    assert {"regional", "local"} <= set(report.coalitions)
    model = make_model("mean")
    for n, date in enumerate(report.states):
        arrays = scenario.as_of(date).to_arrays()
        outcome = model.run(arrays).outcome
        for name in ("regional", "local"):
            _check_against_reference(arrays, report.coalitions[name][n], outcome)
    # the report is JSON-able
    text = json.dumps(report.to_dict())
    assert json.loads(text)["coalitions"]["local"][1]["state"] == "2014-09-08"
    # power of each actor per issue sums to 1
    for issues in report.power.values():
        for values in issues.values():
            assert sum(values.values()) == pytest.approx(1.0)


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    application.command("coalitions")(coalitions_command)
    application.command("noop")(lambda: None)  # keep "coalitions" a subcommand
    return application


def test_command_table_and_json(app):
    runner = CliRunner()
    result = runner.invoke(app, ["coalitions", "syria-2014", "--coalition", "mine=usa,rebels"],
                           env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    for word in ("regional", "local", "mine", "2014-08-01", "2014-09-08", "pivotal"):
        assert word in result.output
    result = runner.invoke(app, ["coalitions", "syria-2014", "--format", "json",
                                 "--as-of", "2014-08-01", "--quota", "two-thirds"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["states"] == ["2014-08-01"] and data["rule"]["name"] == "two-thirds"


def test_command_reports_bad_input(app):
    runner = CliRunner()
    result = runner.invoke(app, ["coalitions", "syria-2014", "-c", "usa,nobody"])
    assert result.exit_code == 2
    assert "nobody" in result.output
    result = runner.invoke(app, ["coalitions", "syria-2014", "--quota", "most"])
    assert result.exit_code == 2


def test_report_lists_candidates_of_each_theory(toy):
    report = coalition_report(toy, top=2)
    for state in report.states:
        arrays = toy.as_of(state).to_arrays()
        k = arrays.issue_ids.index("x")
        weights = arrays.capability[:, k]
        entry = report.candidates[state]["x"]
        riker = minimal_winning_coalitions(weights, rule="simple", labels=arrays.actor_ids)
        assert entry["minimal_winning"]["count"] == len(riker)
        assert [c["labels"] for c in entry["minimal_winning"]["coalitions"]] == [
            list(c.labels) for c in riker[:2]]
        axelrod = minimal_connected_winning(weights, arrays.position[:, k], rule="simple",
                                            labels=arrays.actor_ids)
        assert entry["minimal_connected"]["count"] == len(axelrod)
        assert len(entry["minimal_range"]["coalitions"]) == min(2, len(axelrod))
    capped = coalition_report(toy, cap=1)
    entry = capped.candidates["2020-01-01"]["x"]["minimal_winning"]
    assert "cap" in entry["error"] and entry["coalitions"] == []
    assert entry["count"] == report.candidates["2020-01-01"]["x"]["minimal_winning"]["count"]
    assert coalition_report(toy, theories=False).candidates == {}
    with pytest.raises(ParameterError):
        coalition_report(toy, top=-1)


def test_report_blocs_come_from_the_forecast_final_positions(toy):
    report = coalition_report(toy, model="median", bloc_tolerance=0.25)
    for state in report.states:
        arrays = toy.as_of(state).to_arrays()
        result = make_model("median").run(arrays)
        expected = blocs(result, arrays, tolerance=0.25)
        got = report.blocs[state]["per_issue"]
        assert {k: [b["labels"] for b in v] for k, v in got.items()} == {
            k: [list(b.labels) for b in v] for k, v in expected.items()}
        assert report.blocs[state]["tolerance"] == 0.25
    # a and b (10 and 30 on x) are within 25 % of the scale; c and d (80, 100) too
    assert [b["labels"] for b in report.blocs["2020-01-01"]["per_issue"]["x"]] == [
        ["a", "b"], ["c", "d"]]


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_assessment_matches_reference_on_random_arrays(data):
    n = data.draw(st.integers(3, 7))
    m = data.draw(st.integers(1, 3))
    floats = st.floats(0, 100, allow_nan=False)
    position = np.array(data.draw(st.lists(floats, min_size=n * m, max_size=n * m))).reshape(n, m)
    salience = np.array(data.draw(st.lists(st.floats(0.05, 1), min_size=n * m,
                                           max_size=n * m))).reshape(n, m)
    capability = np.array(data.draw(st.lists(st.integers(1, 50), min_size=n * m,
                                             max_size=n * m)), dtype=float).reshape(n, m)
    present = np.array(data.draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)))
    present = present.reshape(n, m)
    present[0] = True  # every issue has someone, and actor 0 takes part everywhere
    arrays = ScenarioArrays(
        actor_ids=tuple(f"a{i}" for i in range(n)), issue_ids=tuple(f"i{k}" for k in range(m)),
        position=position, salience=np.where(present, salience, 0.0),
        capability=np.where(present, capability, 0.0), scale_low=np.zeros(m),
        scale_high=np.full(m, 100.0), present=present,
    )
    members = data.draw(st.lists(st.sampled_from(arrays.actor_ids), min_size=1, max_size=n,
                                 unique=True))
    if not present[[arrays.actor_ids.index(a) for a in members]].any(axis=1).all():
        return  # a member absent everywhere has no utility to compare
    model = make_model("median")
    assessment = assess_coalition(arrays, members, model=model)
    _check_against_reference(arrays, assessment, model.run(arrays).outcome)
