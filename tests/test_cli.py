"""The command line: outputs, the common JSON schema, and clear errors (exit 2, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from allegiance.cli import app

runner = CliRunner()

TOY = textwrap.dedent("""\
    id: toy
    title: Toy
    seed: 7
    issues:
      - {id: tax, name: Tax, low_label: none, high_label: all}
      - {id: war, name: War, scale: [-1, 1]}
    actors:
      - id: a
        name: A
        capability: 3
        issues:
          tax:
            position: 60
            salience:
              value: 0.4
              history: [{date: 2014-01-01, value: 0.9}, {date: 2014-06-01, value: 0.4}]
          war: {position: -1, salience: 1}
      - id: b
        name: B
        capability: 2
        issues:
          tax: {position: 20, salience: 0.5}
    variants:
      softer: {changes: [{actor: a, issue: tax, field: position, value: 40}]}
    """)


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY)
    return str(path)


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_forecast_json_follows_the_common_schema(toy):
    result = invoke("forecast", toy, "--model", "median", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("allegiance_version", "scenario", "model", "seed", "issues", "actors", "rounds",
                "outcome", "events"):
        assert key in data
    assert data["scenario"]["content_hash"].startswith("sha256:")
    assert data["model"] == {"name": "median", "parameters": {"weighting": "capability*salience"},
                             "outcome_statistic": data["model"]["outcome_statistic"]}
    assert data["seed"] == 7
    assert data["rounds"][0]["positions"]["b"] == {"tax": 20.0}  # b is absent from war
    assert data["outcome"] == {"tax": 60.0, "war": -1.0}


def test_as_of_and_variant(toy):
    before = json.loads(invoke("forecast", toy, "--as-of", "2014-02-01", "-f", "json").stdout)
    after = json.loads(invoke("forecast", toy, "--as-of", "2014-07-01", "-f", "json").stdout)
    assert before["scenario"]["as_of"] == "2014-02-01"
    # mean of 60 (w = 3*0.9) and 20 (w = 2*0.5)
    assert before["outcome"]["tax"] == pytest.approx((60 * 2.7 + 20 * 1.0) / 3.7)
    assert after["outcome"]["tax"] == pytest.approx((60 * 1.2 + 20 * 1.0) / 2.2)
    varied = json.loads(invoke("forecast", toy, "--variant", "softer", "-f", "json").stdout)
    assert varied["scenario"]["variant"] == "softer"
    assert varied["outcome"]["tax"] == pytest.approx((40 * 1.2 + 20 * 1.0) / 2.2)


def test_table_and_csv_output(toy):
    table = invoke("forecast", toy, "--model", "mean")
    assert table.exit_code == 0 and "Tax" in table.stdout and "forecast" in table.stdout
    csv = invoke("forecast", toy, "-f", "csv").stdout.splitlines()
    assert csv[0] == "round,actor,issue,position" and "0,OUTCOME,war,-1.0" in csv


def test_show_validate_schema_models(toy):
    assert "capability" in invoke("show", toy).stdout
    valid = invoke("validate", toy)
    assert valid.exit_code == 0 and "valid" in valid.stdout
    schema = json.loads(invoke("schema").stdout)
    assert schema["title"] == "Scenario" and "actors" in schema["properties"]
    assert "median" in invoke("models").stdout


def test_validate_puts_a_readers_note_before_many_alike_warnings(tmp_path):
    rows = "".join(f"Actor{i},{i + 1},{10 * i},{5 * i + 20}\n" for i in range(12))
    peer = tmp_path / "peer.csv"
    peer.write_text("Actor,Capability,Position,Salience\n" + rows + "Last,1,50,0.5\n")
    result = invoke("validate", str(peer))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "saliences are read on 0–100" in lines[0]  # the reader's note, not buried
    unsourced = [line for line in lines if "no source" in line and ": warning:" in line]
    assert len(unsourced) == 3  # MAX_PRINTED_ALIKE
    assert "… and 36 more warning(s): no source" in result.stderr  # 39 numbers in all
    assert "(40 warning(s))" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forecast", "{toy}", "--model", "nope"], "unknown model 'nope'"),
        (["forecast", "{toy}", "--variant", "nope"], "no variant 'nope'"),
        (["forecast", "{toy}", "--as-of", "2014-99-01"], "not a date"),
        (["forecast", "{toy}", "--param", "weighting=bogus"], "weighting must be one of"),
        (["forecast", "{toy}", "--param", "oops"], "NAME=VALUE"),
        (["forecast", "missing.yaml"], "not a built-in scenario"),
        (["validate", "{bad}"], "outside the scale"),
    ],
)
def test_bad_input_exits_2_with_a_message(toy, tmp_path, args, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TOY.replace("position: 60", "position: 160"))
    args = [a.format(toy=toy, bad=bad) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_import_export_round_trip(toy, tmp_path):
    out = tmp_path / "out.yaml"
    assert invoke("import", toy, "-o", str(out)).exit_code == 0
    again = json.loads(invoke("forecast", str(out), "-f", "json").stdout)
    first = json.loads(invoke("forecast", toy, "-f", "json").stdout)
    assert again["scenario"]["content_hash"] == first["scenario"]["content_hash"]


def test_whole_process_has_no_traceback_on_hostile_input(tmp_path):
    bad = tmp_path / "evil.yaml"
    bad.write_text("!!python/object/apply:os.system ['echo hacked']\n")
    proc = subprocess.run([sys.executable, "-m", "allegiance.cli", "validate", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "refused" in proc.stderr and "Traceback" not in proc.stderr
    assert "hacked" not in proc.stdout


def test_import_dataset_writes_one_file_per_issue(reference, tmp_path):
    out = tmp_path / "deu"
    result = invoke("import", str(reference / "deu" / "deu3-dev.tsv"), "-o", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.yaml"))
    assert len(files) > 100
    assert invoke("validate", str(files[0])).exit_code == 0
    refused = runner.invoke(app, ["import", str(reference / "deu" / "deu3-dev.tsv")])
    assert refused.exit_code == 2 and "--output DIR" in refused.stderr


def test_model_variant_and_scenario_variant_do_not_clash(toy):
    data = json.loads(invoke("forecast", "eu-emissions-1994", "--model", "bdm", "--variant",
                             "paper", "-f", "json").stdout)
    assert data["model"]["parameters"]["variant"] == "paper"
    data = json.loads(invoke("forecast", "eu-emissions-1994", "--model", "bdm", "-p",
                             "variant=paper", "--rounds", "2", "-f", "json").stdout)
    assert data["model"]["parameters"]["variant"] == "paper" and len(data["rounds"]) == 3
    varied = json.loads(invoke("forecast", toy, "--variant", "softer", "-f", "json").stdout)
    assert varied["scenario"]["variant"] == "softer"


def test_unknown_model_parameter_is_a_clear_error():
    result = runner.invoke(app, ["forecast", "eu-emissions-1994", "--model", "bdm",
                                 "--param", "round=3", "--param", "nope=1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "'round' (did you mean 'rounds'?)" in result.output
    assert "'nope'" in result.output


def test_the_entry_point_sets_its_defaults_before_numpy_loads():
    # run() chooses one OpenBLAS thread and no pydantic plugins unless the environment says
    # otherwise; the choice only takes effect if NumPy has not been imported by then
    code = ("import os, sys; import allegiance.cli as cli; "
            "cli.app = lambda: print(os.environ.get('OPENBLAS_NUM_THREADS'), "
            "os.environ.get('PYDANTIC_DISABLE_PLUGINS'), 'numpy' in sys.modules); cli.run()")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "PYDANTIC_DISABLE_PLUGINS")}
    default = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True).stdout.split()
    assert default == ["1", "__all__", "False"]
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**env, "OPENBLAS_NUM_THREADS": "4"}, check=True).stdout.split()
    assert chosen[0] == "4"


def test_what_a_reader_had_to_interpret_is_said_on_stderr(tmp_path):
    data = tmp_path / "votes.csv"
    data.write_text("#A;a;A\n#A;idle;Idle\n#A;c;C\n#P;x;X\n#D;a;x;5;0.5;0.5\n#D;c;x;50;1;0.2\n")
    result = invoke("forecast", str(data), "--format", "json")
    assert result.exit_code == 0
    assert "votes.csv:2:1: warning: actor 'idle' has no #D rows: left out" in result.stderr
    assert [a["id"] for a in json.loads(result.stdout)["actors"]] == ["a", "c"]
