"""What would it take: scenarios built so that the answer is known, and the answer re-checked."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import allegiance
from allegiance.cli import app
from allegiance.io import save_scenario
from allegiance.levers import apply_changes, levers_briefing
from allegiance.scenario.model import Scenario

runner = CliRunner()


def _actor(ident, capability, position, salience=1.0, sources=None):
    cap = capability if isinstance(capability, dict) else {"value": capability}
    pos = position if isinstance(position, dict) else {"value": position}
    if sources:
        cap = {**cap, "sources": sources}
    return {"id": ident, "name": ident, "capability": cap,
            "issues": {"x": {"position": pos, "salience": salience}}}


def short_of_quota() -> Scenario:
    """A and B hold 40 of 85: one capability short of a simple majority. Only A can reach it
    inside its range: A > 25 wins (range 10-30, so the move costs (25 - 20) / (30 - 20) = 0.5);
    B would need 25 but its range stops at 22; C would need less than 40, its lower edge."""
    same = {"value": 50, "low": 45, "high": 55}
    return Scenario.model_validate({
        "id": "short", "title": "One capability short",
        "issues": [{"id": "x", "name": "X"}],
        "actors": [_actor("A", {"value": 20, "low": 10, "high": 30}, same),
                   _actor("B", {"value": 20, "low": 15, "high": 22}, same),
                   _actor("C", {"value": 45, "low": 40, "high": 50}, same)],
        "coalitions": {"ab": {"members": ["A", "B"]}},
    })


def gains_past_a_position() -> Scenario:
    """A (weight 3 at 0) and B (weight 1 at b) win against C (weight 0.2 at 100). Under the
    compromise model agreed = b/4 and forecast = (b + 20)/4.2; B gains by joining iff
    |forecast - b| >= |agreed - b|, i.e. b <= 400/127 (about 3.15). B stands at 40."""
    return Scenario.model_validate({
        "id": "gains", "title": "Gains only past a position",
        "issues": [{"id": "x", "name": "X"}],
        "actors": [_actor("A", 3, 0), _actor("B", 1, {"value": 40, "low": 0, "high": 50}),
                   _actor("C", 0.2, 100)],
        "coalitions": {"ab": {"members": ["A", "B"]}},
    })


def test_one_capability_short_finds_exactly_that_change_and_its_cost():
    result = allegiance.levers(short_of_quota(), "ab", model="mean")
    assert not result.before["winning"] and result.inside_ranges is True
    best = result.solution
    assert best.count == 1 and best.inside_ranges
    change = best.changes[0]
    assert (change.actor, change.issue, change.field) == ("A", None, "capability")
    assert change.before == 20 and change.after == pytest.approx(25, abs=1e-4)
    assert change.after > 25  # strict majority: exactly 25 would tie
    assert best.cost == pytest.approx(0.5, abs=1e-5)
    assert best.verdict["winning"] and best.verdict["satisfied"]


def test_no_solution_inside_the_ranges_is_reported_and_the_way_beyond_them_costed():
    result = allegiance.levers(short_of_quota(), "ab", model="mean", levers="capability:B")
    assert result.solution is None and result.inside_ranges is False
    assert result.proof.startswith("exact: no change")
    beyond = result.outside
    assert beyond.count == 1 and not beyond.inside_ranges
    change = beyond.changes[0]
    assert change.actor == "B" and change.after == pytest.approx(25, abs=1e-4)
    assert change.cost == pytest.approx(2.5, abs=1e-4)  # 5 points past a 2-point half-range
    assert not change.inside_range and beyond.verdict["winning"]
    assert any("No solution exists inside the plausible ranges" in s
               for s in levers_briefing(result=result)["sentences"])


def test_member_that_gains_only_past_a_known_position():
    result = allegiance.levers(gains_past_a_position(), "ab", model="mean", levers="position:B")
    assert result.before["winning"] and result.before["stay_out"] == ["B"]
    change = result.solution.changes[0]
    assert (change.actor, change.issue, change.field) == ("B", "x", "position")
    assert change.after == pytest.approx(400 / 127, abs=1e-4)
    assert change.after <= 400 / 127
    assert result.solution.cost == pytest.approx((40 - 400 / 127) / 40, abs=1e-5)
    assert result.solution.verdict["satisfied"]


def test_weakly_sourced_estimates_are_cheaper_to_move_with_grades():
    data = short_of_quota().model_dump()
    data["sources"] = [{"id": "rumour", "title": "r", "reliability": "F", "credibility": 6},
                       {"id": "record", "title": "c", "reliability": "A", "credibility": 1}]
    for actor, source in zip(data["actors"][:2], ["record", "rumour"], strict=True):
        actor["capability"] = {"value": 20, "sources": [source]}  # no explicit ranges
    scenario = Scenario.model_validate(data)
    result = allegiance.levers(scenario, "ab", model="mean", within="grades",
                               levers="capability:A,capability:B")
    change = result.solution.changes[0]
    # F6: half-width 0.22 x (2 x 20) = 8.8 capability points; A1 (A) only 1.2
    assert change.actor == "B" and change.grade == "F6"
    assert change.cost == pytest.approx(5 / 8.8, abs=1e-4)


def test_solution_applied_and_rerun_through_the_ordinary_commands(tmp_path):
    scenario = gains_past_a_position()
    result = allegiance.levers(scenario, "ab", model="mean", levers="position:B")
    changed = apply_changes(scenario, result.solution.changes)
    path = tmp_path / "changed.yaml"
    save_scenario(changed, path)
    out = runner.invoke(app, ["coalitions", str(path), "--format", "json", "--no-theories"],
                        catch_exceptions=False)
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)["coalitions"]["ab"][0]
    assert report["winning"] and report["stay_out"] == []
    forecast = runner.invoke(app, ["forecast", str(path), "--format", "json"],
                             catch_exceptions=False)
    outcome = json.loads(forecast.stdout)["outcome"]
    assert outcome["x"] == pytest.approx(result.solution.verdict["forecast"]["x"], abs=1e-6)
    # and the unchanged scenario does not pass
    save_scenario(scenario, tmp_path / "before.yaml")
    before = runner.invoke(app, ["coalitions", str(tmp_path / "before.yaml"), "--format", "json",
                                 "--no-theories"], catch_exceptions=False)
    assert json.loads(before.stdout)["coalitions"]["ab"][0]["stay_out"] == ["B"]


def test_same_seed_same_answer():
    one = allegiance.levers("syria-2014", "local", model="mean", seed=3).to_dict()
    two = allegiance.levers("syria-2014", "local", model="mean", seed=3).to_dict()
    assert one == two
    json.dumps(one)  # JSON-able


def test_syria_local_lever_sets_and_briefing():
    scenario = allegiance.load_scenario("syria-2014")
    assert {"alawi-doubts", "us-train-equip"} <= set(scenario.lever_sets)
    brief = levers_briefing(scenario, "local", model="mean",
                            levers="alawi-doubts,us-train-equip")
    answer = brief["answer"]
    assert answer["coalition"] == "local" and answer["before"]["winning"] is False
    # winning needs capability: the two conditions' capabilities cannot make local a majority
    assert answer["inside_ranges"] is False
    assert all(isinstance(s, str) and s for s in brief["sentences"])
    json.dumps(brief)


def test_bad_levers_are_all_reported_without_a_traceback():
    out = runner.invoke(app, ["levers", "syria-2014", "--levers",
                              "position:bogus,capabilty:rebels,position:isis@assad-future"])
    assert out.exit_code == 2
    text = out.output
    assert "Traceback" not in text
    assert "unknown actor 'bogus'" in text and "did you mean 'capability'" in text
    assert "isis takes no position on 'assad-future'" in text
    assert "FIELD[:ACTOR[@ISSUE]]" in text


def test_unknown_coalition_is_a_clear_error():
    out = runner.invoke(app, ["levers", "syria-2014", "--coalition", "nobody"])
    assert out.exit_code == 2 and "unknown coalition 'nobody'" in out.output


def test_cli_table_json_and_csv(tmp_path):
    path = tmp_path / "short.yaml"
    save_scenario(short_of_quota(), path)
    table = runner.invoke(app, ["levers", str(path), "-c", "ab"], catch_exceptions=False)
    assert table.exit_code == 0 and "A" in table.stdout and "20 → 25" in table.stdout
    data = json.loads(runner.invoke(app, ["levers", str(path), "-c", "ab", "--format", "json"],
                                    catch_exceptions=False).stdout)
    assert data["solution"]["changes"][0]["actor"] == "A"
    csv_text = runner.invoke(app, ["levers", str(path), "-c", "ab", "--format", "csv"],
                             catch_exceptions=False).stdout
    assert csv_text.splitlines()[0].startswith("solution,rank,count")
    assert csv_text.splitlines()[1].startswith("best,0,1,")


TOY = {"id": "toy", "title": "Toy", "issues": [{"id": "x", "name": "X"}],
       "actors": [{"id": "a", "name": "A", "capability": {"value": 2, "low": 1, "high": 3},
                   "issues": {"x": {"position": 20, "salience": 0.5}}}],
       "coalitions": {"solo": {"members": ["a"]}}}


def test_content_hash_unchanged_for_scenarios_without_lever_sets():
    # the hash this scenario had before the format gained lever_sets
    before = "sha256:60e6f4f0645275ae6c5174b02fb7b7d148abe4147b160be6b415edb83e0f1d86"
    assert Scenario.model_validate(TOY).content_hash() == before
    assert Scenario.model_validate({**TOY, "lever_sets": {}}).content_hash() == before
    with_set = Scenario.model_validate({**TOY, "lever_sets": {"s": {"levers": ["capability:a"]}}})
    assert with_set.content_hash() != before


def test_lever_sets_are_validated_with_file_lines(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: toy\ntitle: Toy\nissues:\n  - {id: x, name: X}\nactors:\n  - id: a\n    name: A\n"
        "    capability: 3\n    issues:\n      x: {position: 60, salience: 0.4}\n"
        "lever_sets:\n  good: {levers: [capability:a]}\n  bad:\n    levers:\n"
        "      - position:b\n      - set:good\n      - salary:a\n")
    out = runner.invoke(app, ["validate", str(path)])
    assert out.exit_code == 2
    text = out.output
    assert f"{path}:15:9" in text and "unknown actor 'b'" in text
    assert f"{path}:16:9" in text and "cannot refer to another lever set" in text
    assert f"{path}:17:9" in text and "unknown field 'salary'" in text
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    assert "lever_sets" in schema["properties"] and "LeverSet" in schema["$defs"]


def test_lever_list_expansion():
    from allegiance.scenario.lever_sets import expand_levers

    scenario = allegiance.load_scenario("syria-2014")
    assert expand_levers("position:isis", scenario) == [
        ("position", "isis", "isis-priority"), ("position", "isis", "settlement")]
    keys = expand_levers("*:rebels", scenario)
    assert ("capability", "rebels", None) in keys and len(keys) == 7
    assert expand_levers("us-train-equip", scenario) == expand_levers(
        "set:us-train-equip", scenario)
    assert len(expand_levers("salience", scenario)) == 35


def test_alternatives_are_verified_and_not_supersets_of_the_best():
    result = allegiance.levers(short_of_quota(), "ab", model="mean")
    best = {(c.actor, c.issue, c.field) for c in result.solution.changes}
    assert result.alternatives
    for alternative in result.alternatives:
        assert alternative.verdict["satisfied"]
        assert not best <= {(c.actor, c.issue, c.field) for c in alternative.changes}
        assert (alternative.count, alternative.cost) >= (result.solution.count,
                                                          result.solution.cost)


def test_iterative_model_finds_the_same_capability_change():
    # everyone at the same position: BDM moves nobody, so only winning is at stake
    result = allegiance.levers(short_of_quota(), "ab", model="bdm", levers="capability")
    change = result.solution.changes[0]
    assert (change.actor, change.field) == ("A", "capability")
    assert change.after == pytest.approx(25, abs=1e-4)
    assert result.solution.verdict["satisfied"]


def test_free_costs_are_in_spans(tmp_path):
    result = allegiance.levers(short_of_quota(), "ab", model="mean", within="free")
    best = result.solution
    # any one of the three capabilities moved by 5 points; span = the largest capability, 45
    assert best.count == 1 and best.changes[0].field == "capability"
    assert best.cost == pytest.approx(5 / 45, abs=1e-5)


def test_lever_sets_survive_a_round_trip(tmp_path):
    scenario = allegiance.load_scenario("syria-2014")
    path = tmp_path / "syria.yaml"
    save_scenario(scenario, path)
    again = allegiance.load_scenario(str(path))
    assert again.lever_sets == scenario.lever_sets
    assert again.content_hash() == scenario.content_hash()
