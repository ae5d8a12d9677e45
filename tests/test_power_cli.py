"""``allegiance power``: power indices of the capability-weighted game from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allegiance.cli import app
from allegiance.coalitions.scenario_power import read_quota, scenario_power
from allegiance.docs_outputs import eec_scenario
from allegiance.io import load_scenario

runner = CliRunner()
EEC = json.loads((Path(__file__).parent / "data" / "power_eec1958.json").read_text())


@pytest.fixture
def eec_file(tmp_path):
    """The 1958 EEC Council as a one-issue scenario whose capabilities are the Council votes."""
    path = tmp_path / "eec.yaml"
    path.write_text(eec_scenario(EEC))
    return path


def test_eec_1958_exact_indices_from_the_command_line(eec_file):
    result = runner.invoke(app, ["power", str(eec_file), "--quota", str(EEC["quota"]),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    ids = [label.lower() for label in EEC["labels"]]
    assert document["quota"] == EEC["quota"]
    assert document["total_weight"] == sum(EEC["weights"])
    for actor, num in zip(ids, EEC["shapley_shubik_numerators"], strict=True):
        assert document["shapley_shubik"][actor] == pytest.approx(
            num / EEC["shapley_shubik_denominator"], abs=1e-12)
    for actor, num in zip(ids, EEC["banzhaf_normalised_numerators"], strict=True):
        assert document["banzhaf"][actor] == pytest.approx(
            num / EEC["banzhaf_normalised_denominator"], abs=1e-12)
    for actor, swings in zip(ids, EEC["banzhaf_swings"], strict=True):
        assert document["banzhaf_absolute"][actor] == pytest.approx(
            swings / 2 ** (len(ids) - 1), abs=1e-12)
    assert document["by_issue"]["vote"]["shapley_shubik"] == document["shapley_shubik"]


def test_quota_spellings():
    assert read_quota("12").absolute == 12 and read_quota("12").fraction is None
    for text in ("60%", "0.6", "3/5"):
        assert float(read_quota(text).fraction) == pytest.approx(0.6)
    assert read_quota("2/3").fraction == read_quota("two-thirds").fraction
    assert read_quota(">50%").strict


def test_table_csv_and_output_file(eec_file, tmp_path):
    table = runner.invoke(app, ["power", str(eec_file), "-q", "12"])
    assert table.exit_code == 0 and "Luxembourg" in table.stdout and "0.2333" in table.stdout
    out = tmp_path / "power.txt"
    written = runner.invoke(app, ["power", str(eec_file), "-q", "12", "-o", str(out)])
    assert written.exit_code == 0 and "Luxembourg" not in written.stdout
    text = out.read_text()
    assert "0.2333" in text and "\x1b[" not in text
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(app, ["power", str(eec_file), "-q", "12", "-f", "csv"]).stdout)))
    assert len(rows) == 6 and float(rows[3]["shapley_shubik"]) == pytest.approx(9 / 60)


def test_per_issue_games_and_one_issue():
    scenario = load_scenario("syria-2014")
    power = scenario_power(scenario, "simple")
    document = power.to_dict()
    assert set(document["by_issue"]) == set(scenario.issue_ids)
    for game in document["by_issue"].values():
        assert sum(game["shapley_shubik"].values()) == pytest.approx(1.0)
        assert sum(game["banzhaf"].values()) == pytest.approx(1.0)
    one = runner.invoke(app, ["power", "syria-2014", "--issue", "settlement", "-f", "json"])
    assert one.exit_code == 0
    assert json.loads(one.stdout)["issues"] == ["settlement"]


def test_bad_quota_and_issue_are_clear_errors(eec_file):
    too_big = runner.invoke(app, ["power", str(eec_file), "-q", "18"])
    assert too_big.exit_code == 2 and "total weight 17" in too_big.output
    unknown = runner.invoke(app, ["power", str(eec_file), "-q", "most"])
    assert unknown.exit_code == 2 and "unknown quota" in unknown.output
    issue = runner.invoke(app, ["power", str(eec_file), "--issue", "nope"])
    assert issue.exit_code == 2 and "no issue 'nope'" in issue.output
