"""Output that means what it says: --output writes every format, CSV where it is offered,
warnings for cycling, non-converged and degenerate results, fallbacks when no one cares, short
reprs, export losses named, validation messages that say what to write."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import allegiance
from allegiance.cli import app
from allegiance.io import load_scenario
from allegiance.io.losses import export_losses
from allegiance.models.registry import MODELS

runner = CliRunner()

NOBODY_CARES = """\
id: zero
title: Nobody cares
issues:
  - {id: tax, name: Tax, scale: [0, 100]}
actors:
  - {id: a, name: A, capability: 3, issues: {tax: {position: 20, salience: 0}}}
  - {id: b, name: B, capability: 2, issues: {tax: {position: 90, salience: 0}}}
  - {id: c, name: C, capability: 1, issues: {tax: {position: 40, salience: 0}}}
"""


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


# ------------------------------------------------------------------ --output and --format csv
@pytest.mark.parametrize("command", [
    ["forecast", "syria-2014", "-m", "bdm"],
    ["coalitions", "syria-2014"],
    ["montecarlo", "syria-2014", "--runs", "64", "--seed", "1", "--no-progress"],
    ["sensitivity", "syria-2014", "--runs", "64", "--seed", "1", "--no-progress"],
    ["timeline", "syria-2014"],
    ["power", "syria-2014"],
])
def test_output_file_gets_the_table_as_plain_text(command, tmp_path):
    printed = invoke(*command)
    target = tmp_path / "out.txt"
    written = invoke(*command, "--output", str(target))
    assert written.exit_code == 0, written.output
    assert written.stdout == ""  # nothing on standard output: it all went to the file
    text = target.read_text()
    assert "\x1b[" not in text  # no terminal codes
    first_line = printed.stdout.splitlines()[0].strip()
    assert first_line and first_line in text


@pytest.mark.parametrize(("command", "header"), [
    (["coalitions", "syria-2014"], "coalition,state,issue,actor,measure,value"),
    (["montecarlo", "syria-2014", "--runs", "64", "--seed", "1", "--no-progress"],
     "table,issue,actor,coalition,statistic,value"),
    (["sensitivity", "syria-2014", "--runs", "64", "--seed", "1", "--no-progress"],
     "kind,target,baseline,parameter,value,low,high,origin,outcome_at_low,outcome_at_high,"
     "impact,sobol"),
    (["timeline", "syria-2014"], "date,from_date,issue,coalition,actor,parameter,statistic,value"),
])
def test_csv_is_offered_and_written(command, header, tmp_path):
    result = invoke(*command, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == header
    as_json = json.loads(invoke(*command, "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(len(row) == len(header.split(",")) for row in rows)
    target = tmp_path / "out.csv"
    assert invoke(*command, "--format", "csv", "-o", str(target)).exit_code == 0
    assert target.read_text() == result.stdout
    # the numbers are the JSON's
    if command[0] == "montecarlo":
        mean = next(r for r in rows if r["table"] == "issue" and r["statistic"] == "mean"
                    and r["issue"] == "settlement")
        assert float(mean["value"]) == as_json["issues"]["settlement"]["mean"]
    if command[0] == "timeline":
        first = as_json["dates"][0]
        row = next(r for r in rows if r["date"] == first["date"] and r["statistic"] == "outcome"
                   and r["issue"] == "settlement")
        assert float(row["value"]) == first["outcome"]["settlement"]
    if command[0] == "coalitions":
        share = next(r for r in rows if r["coalition"] == "regional" and r["measure"] == "share"
                     and r["issue"] == "")
        assert float(share["value"]) == as_json["coalitions"]["regional"][0]["share"]


def test_coalitions_variant_changes_the_report():
    plain = json.loads(invoke("coalitions", "syria-2014", "-f", "json").stdout)
    varied = invoke("coalitions", "syria-2014", "--variant", "us-backs-local", "-f", "json")
    assert varied.exit_code == 0, varied.output
    document = json.loads(varied.stdout)
    assert "variant 'us-backs-local' applied" in document["notes"]
    assert document["coalitions"] != plain["coalitions"]
    table = invoke("coalitions", "syria-2014", "--variant", "us-backs-local").stdout
    assert "variant 'us-backs-local' applied" in table.splitlines()[0]
    assert invoke("coalitions", "syria-2014", "--variant", "nope").exit_code == 2


# ------------------------------------------------------------------ warnings
def _gulf_settlement(rounds):
    document = json.loads(invoke("forecast", "syria-2014", "-m", "bdm", "--rounds", str(rounds),
                                 "-f", "json").stdout)
    return document


def test_bdm_cycle_is_flagged_in_json_and_table():
    odd, even = _gulf_settlement(9), _gulf_settlement(10)
    gulf = [r["positions"]["gulf"]["settlement"] for r in even["rounds"]]
    assert gulf[-1] == pytest.approx(40.0) and gulf[-2] == pytest.approx(14.34, abs=0.01)
    assert odd["outcome"]["settlement"] != even["outcome"]["settlement"]
    for document in (odd, even):
        cycle = [w for w in document["warnings"] if "Settlement" in w and "cycle" in w]
        assert cycle and "Qatar, UAE and other Gulf states" in cycle[0]
        assert "depends on the number of rounds" in cycle[0]
    table = invoke("forecast", "syria-2014", "-m", "bdm").stdout
    gulf_rows = [line for line in table.splitlines() if "Qatar, UAE" in line]
    assert any("cycles" in line for line in gulf_rows)  # not "·" although start == end
    assert "warning:" in table


def test_nash_status_quo_is_flagged_without_explain():
    document = json.loads(invoke("forecast", "syria-2014", "-m", "nash", "-f", "json").stdout)
    assert document["outcome"] == {"assad-future": 100.0, "isis-priority": 40.0,
                                   "settlement": 20.0}
    assert len([w for w in document["warnings"] if w.startswith("no solution")]) == 3
    assert "no solution" in invoke("forecast", "syria-2014", "-m", "nash").stdout


def test_a_settled_run_has_no_warnings():
    document = json.loads(invoke("forecast", "syria-2014", "-m", "mean", "-f", "json").stdout)
    assert document["warnings"] == []


def test_non_convergence_is_detected_from_positions():
    from allegiance.models.base import ModelResult
    from allegiance.models.diagnostics import diagnose

    path = np.linspace(0, 50, 6).reshape(6, 1, 1)  # still moving by 10 per round
    result = ModelResult(positions=path, outcome=np.array([50.0]), outcome_statistic="",
                         n_rounds=np.array(5))
    found = diagnose(result, scale=[(0, 100)], issue_names=["tax"], actor_names=["A"])
    assert len(found.warnings) == 1 and "still moving after 5 rounds" in found.warnings[0]
    settled = np.concatenate([path, path[-1:], path[-1:]])
    result.positions = settled
    assert diagnose(result, scale=[(0, 100)], issue_names=["tax"],
                    actor_names=["A"]).warnings == []


# ------------------------------------------------------------------ no one cares
def test_every_model_falls_back_to_the_plain_mean_when_no_one_cares(tmp_path):
    path = tmp_path / "zero.yaml"
    path.write_text(NOBODY_CARES)
    outcomes = {}
    for name in MODELS:
        if name == "median":
            continue  # the median model's fallback is the plain median
        result = allegiance.forecast(str(path), model=name, seed=1)
        outcomes[name] = result.outcome["tax"]
        assert any("no actor attaches any salience" in w for w in result.warnings), name
    assert outcomes["exchange"] == pytest.approx(50.0)
    assert set(np.round(list(outcomes.values()), 9)) == {50.0}, outcomes


# ------------------------------------------------------------------ repr
def test_forecast_repr_is_a_short_summary():
    result = allegiance.forecast("syria-2014", model="smp")
    text = repr(result)
    assert len(text) < 400
    assert text.startswith("Forecast(scenario='syria-2014', model='smp'")
    assert "isis-priority=66.04" in text


# ------------------------------------------------------------------ lossy exports
def test_export_names_what_it_drops(tmp_path):
    result = runner.invoke(app, ["export", "syria-2014", "--to", "ktab-csv", "-o",
                                 str(tmp_path / "s.csv")])
    assert result.exit_code == 0
    for word in ("ranges", "history", "sources", "coalitions", "variants",
                 "KTAB refuses actor names longer than 25", "saliences sum to more than 100"):
        assert word in result.stderr, word
    assert export_losses(load_scenario("syria-2014"), "yaml") == []
    lossless = runner.invoke(app, ["export", "syria-2014", "--to", "yaml", "-o",
                                   str(tmp_path / "s.yaml")])
    assert "warning" not in lossless.stderr


# ------------------------------------------------------------------ validation messages
@pytest.mark.parametrize(("old", "new", "expected"), [
    ("capability: 3", "capability: fifteen",
     "'fifteen' is not an estimate: write a number (e.g. 15) or a mapping"),
    ("title: T", "title: T\ndate: 15/01/2025",
     "'15/01/2025' is not a date: write it as YYYY-MM-DD (did you mean 2025-01-15?)"),
    ("position: 60", "position: high", "'high' is not an estimate: write a number"),
    ("scale: [0, 100]", "scale: 0-100", "is not a list: write a list, [low, high]"),
    ("low: 1", "low: x", "'x' is not a number: write a number"),
    ("title: T", "title: T\nsalience_scale: 10", "10 is not allowed here: write one of 1 or 100"),
    ("members: [a, b]", "members: a", "'a' is not a list"),
])
def test_validation_messages_say_what_to_write(tmp_path, old, new, expected):
    good = ("id: t\ntitle: T\nissues:\n  - {id: tax, name: Tax, scale: [0, 100]}\nactors:\n"
            "  - {id: a, name: A, capability: 3, issues: {tax: {position: 60, salience: 0.4}}}\n"
            "  - {id: b, name: B, capability: {value: 2, low: 1}, issues: {tax: {position: 20, "
            "salience: 0.5}}}\ncoalitions:\n  c: {members: [a, b]}\n")
    assert old in good
    path = tmp_path / "t.yaml"
    path.write_text(good.replace(old, new, 1))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert "Input should be" not in result.stderr


def test_other_result_objects_have_short_reprs():
    from allegiance.coalitions.report import coalition_report
    from allegiance.uncertainty.montecarlo import run_montecarlo
    from allegiance.uncertainty.sensitivity import run_sensitivity
    from allegiance.uncertainty.timeline import run_timeline

    scenario = load_scenario("syria-2014")
    sensitivity = run_sensitivity(scenario, "mean", runs=64, seed=1)
    objects = [scenario, allegiance.forecast(scenario, model="bdm").result,
               run_montecarlo(scenario, "mean", runs=64, seed=1), sensitivity,
               sensitivity.tornado, run_timeline(scenario, "mean"), coalition_report(scenario)]
    for thing in objects:
        text = repr(thing)
        assert len(text) < 300, (type(thing).__name__, len(text))
        assert text.startswith(type(thing).__name__ + "(")
