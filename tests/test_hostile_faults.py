"""Faults and hostile output targets: writes that cannot happen are refused before anything is
computed, special files are written through and never replaced, an interrupted import leaves no
partial folder, Ctrl-C is one line and exit code 130, and workers die with their parent. Also the
numeric defects once found on hostile input (scale invariance, values just off the scale)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import allegiance
from allegiance.cli import app
from allegiance.io import load_scenario, validate_file
from allegiance.io.filesystem import WriteError, write_atomic
from allegiance.io.yaml_format import dump_yaml, read_yaml
from allegiance.models.baselines import weighted_median

runner = CliRunner()
ALLEGIANCE = [sys.executable, "-c", "from allegiance.cli import run; run()"]


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


# ---------------------------------------------------------------------- output targets
@pytest.mark.parametrize("command", [["forecast"], ["montecarlo", "--runs", "20000"],
                                     ["coalitions"]])
def test_unwritable_output_is_refused_before_computing(tmp_path, command, monkeypatch):
    import allegiance.service as service

    def computed(*args, **kwargs):
        raise AssertionError("the run was computed before its output target was refused")

    for name in ("compute_forecast", "compute_montecarlo", "compute_coalitions"):
        monkeypatch.setattr(service, name, computed)  # the commands look them up when run
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = invoke(*command, "syria-2014", "-o", str(blocker / "out.json"))
    assert result.exit_code == 2
    assert "is a file, not a folder" in result.output
    assert "Traceback" not in result.output


def test_output_onto_a_folder_and_overlong_name(tmp_path):
    result = invoke("forecast", "syria-2014", "-o", str(tmp_path))
    assert result.exit_code == 2 and "is a folder" in result.output
    result = invoke("forecast", "syria-2014", "-o", str(tmp_path / ("x" * 300)))
    assert result.exit_code == 2 and "longer than 255 bytes" in result.output


def test_missing_folder_is_created_and_named(tmp_path):
    target = tmp_path / "new" / "deeper" / "f.json"
    result = invoke("forecast", "syria-2014", "--format", "json", "-o", str(target))
    assert result.exit_code == 0
    assert f"created folder {tmp_path / 'new'}" in result.output
    assert target.is_file()


def test_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_fifo_and_device_are_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    write_atomic(fifo, "through the pipe")
    assert reader.communicate(timeout=10)[0] == b"through the pipe"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    write_atomic("/dev/null", "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_write_failure_is_a_clear_error(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(WriteError, match="the disk is full"):
        write_atomic(tmp_path / "f.txt", "x")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_interrupted_dataset_import_leaves_no_partial_folder(tmp_path, monkeypatch):
    from allegiance.io import deu, yaml_format

    text = (Path(__file__).parent / "data" / "hostile" / "deu-infinite-proposal.tsv").read_text()
    scenarios = deu.read_dataset_text(text, "x.tsv") * 3
    calls = []

    def interrupted(scenario):
        calls.append(scenario)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return dump_yaml(scenario)

    monkeypatch.setattr(yaml_format, "dump_yaml", interrupted)
    with pytest.raises(KeyboardInterrupt):
        deu.write_dataset_yaml(scenarios, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- signals
def _long_montecarlo(*extra):
    return subprocess.Popen(
        [*ALLEGIANCE, "montecarlo", "syria-2014", "--model", "bdm", "--runs", "5000000",
         "--seed", "1", "--format", "json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_ctrl_c_is_one_line_and_exit_code_130():
    proc = _long_montecarlo()
    time.sleep(10)  # past start-up: the run is under way
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert lines == ["allegiance: interrupted"], lines


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_workers_die_with_their_parent():
    proc = _long_montecarlo("--executor", "processes", "--workers", "2")
    deadline = time.time() + 60
    while len(_children(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.5)
    children = _children(proc.pid)
    assert len(children) >= 2
    proc.kill()
    proc.wait()
    deadline = time.time() + 20
    while any(_alive(c) for c in children) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(c) for c in children)


# ---------------------------------------------------------------------- numbers
def test_weighted_median_is_scale_invariant():
    position = np.array([[10.0], [25.0], [40.0], [55.0], [70.0]])
    weight = np.array([[1.0], [3.0], [2.0], [2.0], [1.5]])
    expected = weighted_median(position, weight)
    for factor in (1e-12, 1e-11, 1e-6, 1e6, 1e12):
        assert weighted_median(position, weight * factor) == pytest.approx(expected)


@pytest.mark.parametrize("model", ["mean", "median", "bdm", "exchange", "nash"])
def test_unanimous_actors_forecast_exactly_the_scale_end(model):
    scenario = allegiance.Scenario.model_validate({
        "id": "all-top", "title": "Everyone at 100",
        "issues": [{"id": "x", "name": "X"}],
        "actors": [{"id": k, "name": k, "capability": c,
                    "issues": {"x": {"position": 100, "salience": s}}}
                   for k, c, s in (("a", 0.3, 0.7), ("b", 1.7, 0.9), ("c", 2.9, 0.3))],
    })
    result = allegiance.forecast(scenario, model=model, seed=1)
    assert result.outcome["x"] == 100.0
    assert result.positions.max() <= 100.0


def test_free_form_metadata_survives_a_round_trip(tmp_path):
    scenario = load_scenario("syria-2014")
    scenario.metadata = {"value": 1}
    scenario.issues[0].metadata = {"value": {"value": 2}}
    again = read_yaml(tmp_path / "s.yaml", dump_yaml(scenario))
    assert again.metadata == {"value": 1}
    assert again.issues[0].metadata == {"value": {"value": 2}}


def test_mixed_salience_scales_are_named(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,10,20,0.8\nB,20,40,0.4\nC,30,60,50\n")
    warnings = [p for p in validate_file(path) if "0–100" in p.message]
    assert len(warnings) == 1
    assert "line 2 (0.8)" in warnings[0].message and "line 3 (0.4)" in warnings[0].message
