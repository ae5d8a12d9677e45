"""The summary sentences state the numbers of the results they summarise: checked on syria-2014
against the documents, and on small scenarios built to make each sentence true and then false."""

from __future__ import annotations

import re

import pytest

import allegiance
from allegiance.coalitions import WeightedGame
from allegiance.coalitions.report import coalition_report
from allegiance.scenario.model import Scenario
from allegiance.summary import detect_kind, summarize, with_summary
from allegiance.summary.text import number, percent
from allegiance.uncertainty import run_montecarlo, run_sensitivity, run_timeline

NUMBER = r"−?\d[\d,]*(?:\.\d+)?"


def value(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


@pytest.fixture(scope="module")
def syria():
    return allegiance.load_scenario("syria-2014")


def toy(actors, coalitions=None, sources=None, issues=None):
    """A scenario from ``{id: (capability, {issue: (position, salience)})}``."""
    issues = issues or [{"id": "x", "name": "X", "low_label": "none", "high_label": "all"}]
    data = {"id": "toy", "title": "Toy", "issues": issues, "sources": sources or [],
            "coalitions": {n: {"members": m} for n, m in (coalitions or {}).items()},
            "actors": []}
    for actor, (capability, stances) in actors.items():
        data["actors"].append({
            "id": actor, "name": actor.upper(), "capability": capability,
            "issues": {i: {"position": p, "salience": s} for i, (p, s) in stances.items()}})
    return Scenario.model_validate(data)


# ----------------------------------------------------------------------------- syria-2014
def test_forecast_sentence_states_each_outcome(syria):
    doc = allegiance.forecast(syria, "mean").to_dict()
    first = summarize("forecast", doc, syria)[0]
    for issue in syria.issues:
        found = re.search(re.escape(issue.name) + rf" at ({NUMBER})", first)
        assert found, first
        assert value(found.group(1)) == pytest.approx(doc["outcome"][issue.id], abs=0.05)


def test_forecast_warnings_are_carried_as_sentences(syria):
    doc = allegiance.forecast(syria, "bdm").to_dict()
    lines = summarize("forecast", doc)
    assert doc["warnings"]  # bdm cycles on syria-2014
    for warning in doc["warnings"]:
        assert f"Warning (bdm): {warning}." in lines
    assert any("cycle every 2 rounds" in s for s in lines)


def test_coalition_sentences_match_the_report(syria):
    doc = coalition_report(syria, theories=False).to_dict()
    lines = summarize("coalitions", doc, syria)
    for name, items in doc["coalitions"].items():
        last = items[-1]
        verdict = next(s for s in lines if s.startswith(f"Coalition {name} ("))
        assert ("is winning" in verdict) == last["winning"]
        share = re.search(rf"({NUMBER})% of the capability", verdict).group(1)
        assert value(share) == pytest.approx(100 * last["share"], abs=0.5)
        won = re.search(r"winning on (\d+) of (\d+) issues", verdict).groups()
        assert (int(won[0]), int(won[1])) == (last["issues_won"], last["n_issues"])
        detail = next((s for s in lines if s.startswith(f"{name}: ")), "")
        for member in last["stay_out"]:
            assert member in detail.split("would rather stay out:")[1]
    # the article's point: after Tabqa the officers would rather stay out of the regime
    regime = next(s for s in lines if s.startswith("From 2014-08-01 to 2014-09-08, regime"))
    assert "officers now would rather stay out" in regime
    assert "None of the named coalitions is winning." in lines


def test_timeline_sentences_match_moves_and_odds(syria):
    doc = run_timeline(syria, "mean", runs=400, seed=1).to_dict()
    lines = summarize("timeline", doc, syria)
    move = doc["moves"][0]
    head = lines[0]
    for issue, change in move["change"].items():
        stated = re.search(rf"{re.escape(issue)} ([+−]{NUMBER}|±0)", head).group(1)
        assert (0.0 if stated == "±0" else value(stated)) == pytest.approx(change, abs=0.05)
    assert move["drivers"][0]["parameter"] in head
    regime = next(s for s in lines if s.startswith("regime's chance of winning"))
    before, after = (value(x) for x in re.findall(rf"({NUMBER})% as of", regime))
    p0 = doc["dates"][0]["montecarlo"]["coalitions"]["regime"]["p_winning"]
    p1 = doc["dates"][1]["montecarlo"]["coalitions"]["regime"]["p_winning"]
    assert before == pytest.approx(100 * p0, rel=0.05) and after == pytest.approx(100 * p1,
                                                                                   rel=0.05)
    assert p0 > p1  # the regime's chance falls after Tabqa
    assert any(s.startswith("regime: officers would now rather stay out") for s in lines)


def test_sensitivity_names_the_largest_impact_and_its_sources(syria):
    doc = run_sensitivity(syria, "mean", runs=300, seed=1).to_dict()
    lines = summarize("sensitivity", doc, syria)
    best = max(((row["impact"] / 100, issue, row) for issue, rows in doc["issues"].items()
                for row in rows), key=lambda t: t[0])
    _, issue, row = best
    assert lines[0].startswith(f"The judgement that matters most is {row['parameter']}:")
    low, high = re.search(rf"from ({NUMBER}) to ({NUMBER})", lines[0]).groups()
    assert value(low) == pytest.approx(row["outcome_at_low"], abs=0.05)
    assert value(high) == pytest.approx(row["outcome_at_high"], abs=0.05)
    grades = {s.id: s.grade for s in syria.sources}
    actor, *rest = row["parameter"].split(".")
    estimate = (syria.actor(actor).capability if rest == ["capability"]
                else getattr(syria.actor(actor).issues[rest[0]], rest[1]))
    for sid in set(estimate.all_sources()):
        assert f"{sid} ({grades[sid]})" in lines[1]


def test_montecarlo_sentences_match_quantiles_and_odds(syria):
    doc = run_montecarlo(syria, "mean", runs=500, seed=3).to_dict()
    lines = summarize("montecarlo", doc, syria)
    for issue, s in doc["issues"].items():
        low, high = re.search(rf"{re.escape(issue)} {NUMBER} \(90% interval ({NUMBER})–"
                              rf"({NUMBER})", lines[0]).groups()
        assert value(low) == pytest.approx(s["quantiles"]["0.05"], abs=0.05)
        assert value(high) == pytest.approx(s["quantiles"]["0.95"], abs=0.05)
    for name, c in doc["coalitions"].items():
        line = next(s for s in lines if s.startswith(f"Coalition {name} "))
        assert line.split(" wins in ")[1].startswith(percent(c["p_winning"]))


# ----------------------------------------------------------------------------- true and false
def test_winning_pivotal_and_joiners_true_and_false():
    strong = toy({"a": (3, {"x": (20, 1)}), "b": (1, {"x": (80, 1)}), "c": (1, {"x": (60, 1)})},
                 coalitions={"ab": ["a", "b"], "bc": ["b", "c"]})
    lines = summarize("coalitions", coalition_report(strong, theories=False).to_dict())
    assert any(s.startswith("Coalition ab (a and b) is winning") for s in lines)
    assert any(s.startswith("Coalition bc (b and c) is not winning") for s in lines)
    # without a, b has 1 of 5; b (at 80) prefers the forecast (40) to the agreed position (35)
    assert "ab: pivotal (its exit loses an issue): a; would rather stay out: b." in lines
    assert any(s.startswith("bc: ") and "a joining alone would make it win" in s for s in lines)
    assert "None of the named coalitions is winning." not in lines


def test_stay_out_true_and_false():
    # c sits at a's position: the coalition's agreed position pulls it away from the forecast
    far = toy({"a": (1, {"x": (0, 1)}), "b": (4, {"x": (100, 1)}), "c": (1, {"x": (0, 1)})},
              coalitions={"bc": ["b", "c"]})
    lines = summarize("coalitions", coalition_report(far, theories=False).to_dict())
    assert any("would rather stay out: c" in s for s in lines)
    near = toy({"a": (1, {"x": (0, 1)}), "b": (4, {"x": (100, 1)}), "c": (1, {"x": (100, 1)})},
               coalitions={"bc": ["b", "c"]})
    lines = summarize("coalitions", coalition_report(near, theories=False).to_dict())
    assert not any("would rather stay out" in s for s in lines)


def _graded(reliability: str):
    sources = [{"id": "rumour", "title": "a report", "reliability": reliability,
                "credibility": 3}]
    scenario = toy({"a": (1, {"x": (20, 1)}), "b": (1, {"x": (80, 1)})}, sources=sources)
    data = scenario.model_dump()
    data["actors"][0]["issues"]["x"]["position"] = {"value": 20, "low": 0, "high": 60,
                                                    "sources": ["rumour"]}
    return Scenario.model_validate(data)


def test_f_graded_judgement_is_named_as_such_and_only_then():
    weak = _graded("F")
    lines = summarize("sensitivity", run_sensitivity(weak, "mean", runs=200, seed=1).to_dict(),
                      weak)
    assert lines[0].startswith("The judgement that matters most is a.x.position")
    assert lines[1] == ("a.x.position: it rests only on F-graded reports, whose reliability "
                        "cannot be judged: rumour (F3).")
    sound = _graded("B")
    lines = summarize("sensitivity", run_sensitivity(sound, "mean", runs=200, seed=1).to_dict(),
                      sound)
    assert "F-graded" not in " ".join(lines)
    assert lines[1] == "a.x.position: its sources: rumour (B3); best grade B3: usually reliable, " \
                       "possibly true."


def test_degenerate_and_unsettled_true_and_false():
    same = toy({"a": (1, {"x": (40, 1)}), "b": (2, {"x": (40, 0.5)})})
    lines = summarize("forecast", allegiance.forecast(same, "mean").to_dict())
    assert "Degenerate on x: every actor holds the same position, so any model forecasts that " \
           "position." in lines
    apart = toy({"a": (1, {"x": (10, 1)}), "b": (2, {"x": (40, 0.5)})})
    lines = summarize("forecast", allegiance.forecast(apart, "mean").to_dict())
    assert not any(s.startswith(("Degenerate", "Warning")) for s in lines)
    syria = allegiance.load_scenario("syria-2014")
    nash = summarize("forecast", allegiance.forecast(syria, "nash").to_dict())
    assert sum(s.startswith("Warning (nash): no solution on") for s in nash) == 3
    worst = summarize("forecast", allegiance.forecast(syria, "nash",
                                                      disagreement="worst").to_dict())
    assert not any(s.startswith("Warning") for s in worst)


def test_unsettled_sentence_from_the_round_cap():
    syria = allegiance.load_scenario("syria-2014")
    capped = summarize("forecast", allegiance.forecast(syria, "bdm", rounds=3).to_dict())
    assert any("were still moving after 3 rounds" in s for s in capped)
    smp = allegiance.forecast(syria, "smp").to_dict()  # stops on its own criterion
    assert not any(s.startswith("Warning") for s in summarize("forecast", smp))


def test_montecarlo_odds_and_width_true_and_false():
    certain = toy({"a": (9, {"x": ({"value": 50, "low": 45, "high": 55}, 1)}),
                   "b": (1, {"x": (60, 1)})}, coalitions={"a": ["a"], "b": ["b"]})
    lines = summarize("montecarlo", run_montecarlo(certain, "mean", runs=300, seed=1).to_dict())
    assert any(s.startswith("Coalition a (a) wins in 100% (at least 99% at 95% confidence)")
               for s in lines)
    assert any(s.startswith("Coalition b (b) wins in 0% (at most 1% at 95% confidence)")
               for s in lines)
    assert not any("wide open" in s for s in lines)
    wide = toy({"a": (1, {"x": ({"value": 50, "low": 0, "high": 100}, 1)}),
                "b": (1, {"x": ({"value": 50, "low": 0, "high": 100}, 1)})})
    lines = summarize("montecarlo", run_montecarlo(wide, "mean", runs=300, seed=1).to_dict())
    assert "The judgements leave x wide open: the 90% interval spans a quarter of the scale or " \
           "more." in lines


def _dated(later: float) -> Scenario:
    return Scenario.model_validate({
        "id": "dated", "title": "Dated", "issues": [{"id": "x", "name": "X"}],
        "coalitions": {"ab": {"members": ["a", "b"]}},
        "actors": [
            {"id": "a", "name": "A", "capability": 1, "issues": {"x": {"position": {
                "history": [{"date": "2020-01-01", "value": 60},
                            {"date": "2020-02-01", "value": later}]}, "salience": 1}}},
            {"id": "b", "name": "B", "capability": 1, "issues": {"x": {"position": 70,
                                                                        "salience": 1}}},
            {"id": "c", "name": "C", "capability": 3, "issues": {"x": {"position": 0,
                                                                        "salience": 1}}}]})


def test_timeline_flip_and_no_change_true_and_false():
    moved = _dated(10)
    lines = summarize("timeline", run_timeline(moved, "mean").to_dict())
    assert lines[0].startswith("From 2020-01-01 to 2020-02-01 the forecast moved x −10")
    assert "a.x.position 60 → 10" in lines[0]
    assert "ab: a would now rather stay out; a.x.position alone would do it." in lines
    still = _dated(60)
    lines = summarize("timeline", run_timeline(still, "mean").to_dict())
    assert lines[0] == "From 2020-01-01 to 2020-02-01 the forecast moved x ±0; no estimate changed."
    assert not any("rather stay out" in s for s in lines)


def test_power_sentences_name_dummies_only_when_there_are_some():
    eec = WeightedGame([4, 4, 4, 2, 2, 1], quota=12,
                       labels=["FR", "DE", "IT", "BE", "NL", "LU"]).power_indices().to_dict()
    line = summarize("power", eec)[0]
    assert line.startswith("On the game, the most powerful (Shapley–Shubik index): FR 0.23, DE "
                           "0.23 and IT 0.23")
    assert line.endswith("never decisive despite their weight: LU.")
    fair = WeightedGame([1, 1, 1], quota=2, labels=["a", "b", "c"]).power_indices().to_dict()
    assert "never decisive" not in summarize("power", fair)[0]


def test_backtest_sentences_true_and_false():
    def row(model, mae, low=None, high=None, cover=None):
        return {"model": model, "capability": "equal", "n_ok": 10, "n_failed": 0, "mae": mae,
                "median_ae": mae, "within_10": 0.5, "vs_mean": None if low is None else
                (low + high) / 2, "vs_mean_low": low, "vs_mean_high": high,
                "vs_mean_n": 0 if low is None else 10, "coverage_80": cover}
    doc = {"settings": {"scored_issues": 10, "dataset": "d.tsv"}, "failures": [],
           "summaries": [row("mean", 20.0), row("bdm", 25.0, 2.0, 8.0, 0.1),
                         row("smp", 18.0, -4.0, -1.0)]}
    lines = summarize("backtest", doc)
    assert lines[0].startswith("On 10 issues of d.tsv with known outcomes, the compromise model "
                               "(mean, equal capabilities) missed by 20.0 points")
    assert "Better than the compromise model (95% interval below zero): smp (equal) by 2.5 " \
           "points." in lines
    assert "Clearly worse (interval above zero): bdm, by 5.0–5.0 points of mean error." in lines
    assert any(s.startswith("Prediction intervals far too narrow: the 80% intervals of bdm")
               for s in lines)
    doc["summaries"] = doc["summaries"][:2]
    doc["summaries"][1]["coverage_80"] = 0.8
    lines = summarize("backtest", doc)
    assert "No model beats the compromise model with a 95% interval below zero." in lines
    assert not any("too narrow" in s for s in lines)


# ----------------------------------------------------------------------------- plumbing
def test_kinds_are_detected_and_summary_goes_first():
    doc = allegiance.forecast("eu-emissions-1994", "mean").to_dict()
    assert detect_kind(doc) == "forecast"
    carried = with_summary("forecast", doc)
    assert list(carried)[0] == "summary" and carried["summary"] == summarize("forecast", doc)
    with pytest.raises(ValueError, match="cannot tell what kind"):
        detect_kind({"nothing": 1})
    with pytest.raises(ValueError, match="unknown result kind"):
        summarize("bogus", doc)


def test_numbers_are_written_plainly():
    assert [number(x) for x in (62.34, 56.99, 7.0, 3.14159, 1250.4)] == [
        "62.3", "57", "7", "3.14", "1,250"]
    assert [percent(p) for p in (0.153, 0.0225, 0.0004, 0.0)] == ["15%", "2.2%", "0.04%", "0%"]


@pytest.mark.parametrize(("outcome", "words"), [
    (50.0, "about midway"), (54.9, "about midway"), (44.0, "nearer the low end (none)"),
    (56.0, "nearer the high end (all)")])
def test_an_outcome_near_the_middle_of_the_scale_is_said_to_be_midway(outcome, words):
    scenario = toy({"a": (1, {"x": (outcome, 1)})})
    doc = allegiance.forecast(scenario, "mean").to_dict()
    assert f"X at {number(outcome)} ({words})" in summarize("forecast", doc, scenario)[0]


def test_power_sentences_read_the_scenario_power_document():
    # the shape `allegiance power --format json` writes: indices by actor, games by issue
    game = {"weights": {"a": 3.0, "b": 2.0, "c": 1.0}, "shapley_shubik": {"a": 0.5, "b": 0.5,
                                                                          "c": 0.0},
            "banzhaf": {"a": 0.5, "b": 0.5, "c": 0.0}, "exact": True}
    other = {"weights": {"a": 1.0, "b": 1.0, "c": 1.0}, "shapley_shubik": {"a": 1 / 3, "b": 1 / 3,
                                                                           "c": 1 / 3},
             "exact": True}
    doc = {"rule": {"description": "simple"}, "issues": ["x", "y", "z"], "shapley_shubik": None,
           "by_issue": {"x": game, "y": game, "z": other}}
    assert detect_kind(doc) == "power"
    lines = summarize("power", doc)
    assert lines[0].startswith("On x and y, the most powerful (Shapley–Shubik index): a 0.50 and "
                               "b 0.50")
    assert lines[0].endswith("never decisive despite their weight: c.")
    assert lines[1].startswith("On z, the most powerful") and "never decisive" not in lines[1]


# ----------------------------------------------------------------------------- the command line
@pytest.mark.parametrize(("kind", "args"), [
    ("forecast", ["forecast", "syria-2014", "--model", "bdm"]),
    ("coalitions", ["coalitions", "syria-2014", "--no-theories"]),
    ("montecarlo", ["montecarlo", "syria-2014", "--runs", "200", "--seed", "1",
                    "--no-progress"]),
    ("sensitivity", ["sensitivity", "syria-2014", "--runs", "200", "--seed", "1",
                     "--no-progress"]),
    ("timeline", ["timeline", "syria-2014", "--runs", "100", "--seed", "1"]),
])
def test_tables_open_with_the_summary_and_json_carries_it(kind, args):
    import json

    from typer.testing import CliRunner

    from allegiance.cli import app

    runner = CliRunner()
    data = runner.invoke(app, [*args, "--format", "json"], catch_exceptions=False)
    assert data.exit_code == 0, data.output
    document = json.loads(data.stdout)
    assert list(document)[0] == "summary" and document["summary"]
    rest = {k: v for k, v in document.items() if k != "summary"}
    scenario = allegiance.load_scenario("syria-2014")
    assert document["summary"] == summarize(kind, rest, scenario)
    table = runner.invoke(app, args, catch_exceptions=False, env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    first = table.stdout.splitlines()[0]
    assert first.startswith("• ") and first[2:].strip() == document["summary"][0][:len(
        first[2:].strip())]


def test_levers_sentences_from_the_stored_document_true_and_false():
    from allegiance.levers.analysis import levers
    from allegiance.levers.briefing import sentences

    answer = levers("syria-2014", "local", model="mean", levers="capability:rebels")
    document = answer.to_dict()
    assert detect_kind(document) == "levers"
    assert summarize("levers", document) == sentences(answer)  # the document reads the same
    assert summarize("levers", document)[0].startswith("Today local is not winning")
    held = toy({"a": (3, {"x": (50, 1)}), "b": (2, {"x": (50, 1)}), "c": (1, {"x": (40, 1)})},
               coalitions={"ab": ["a", "b"]})
    lines = summarize("levers", levers(held, "ab", model="mean").to_dict())
    assert lines[0].startswith("Today ab is winning") and lines[-1] == "Nothing needs to change."


def test_the_variant_applied_is_said_first_and_only_then(syria):
    varied = coalition_report(syria.variant("us-backs-local"), theories=False).to_dict()
    plain = coalition_report(syria, theories=False).to_dict()
    assert summarize("coalitions", varied)[0] == ("The scenario with variant 'us-backs-local' "
                                                   "applied.")
    assert summarize("coalitions", plain)[0].startswith("Coalition regional")
