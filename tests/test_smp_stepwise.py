"""Long SMP runs played in blocks (allegiance.models.smp.stepwise): the same numbers, bit for bit,
as the one-call compiled run; progress within each turn; Ctrl-C answered inside a turn of 1,000
actors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from allegiance.models.smp import SpatialModel, kernel_run, kernels, kernels_assess, stepwise
from allegiance.models.smp.inputs import accommodation_matrix, prepare
from allegiance.models.smp.options import engine_codes
from allegiance.models.smp.progress import reporting
from allegiance.scenario.arrays import ScenarioArrays

REPO = Path(__file__).resolve().parents[1]


def arrays_of(n: int, dims: int = 3, seed: int = 0) -> ScenarioArrays:
    """Generated like KTAB's dummyData-a040 (bench/bench_smp.py)."""
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0.40, 1.75, n).round(2)
    position = rng.uniform(40, 80, (n, dims)).round(2)
    salience = rng.uniform(25, 78, (n, dims)).round(2) / 100.0 / dims
    return ScenarioArrays(
        actor_ids=tuple(f"Act-{1001 + i}" for i in range(n)),
        issue_ids=tuple(f"dim{d}" for d in range(dims)), position=position, salience=salience,
        capability=np.repeat(cap[:, None], dims, axis=1), scale_low=np.zeros(dims),
        scale_high=np.full(dims, 100.0))


CASES = [
    (40, {}),
    (40, {"voting_rule": "PropCbc", "pce_model": "MarkovIncentive",
          "bargn_model": "InitRcvrInterp"}),
    (40, {"voting_rule": "Binary", "pce_model": "MarkovUniform", "bargn_model": "PWCompInterp",
          "third_party_commit": "FullCommit", "state_transitions": "Stochastic"}),
    (40, {"voting_rule": "ASymProsp", "victory_prob_model": "Square",
          "accommodation": {"Act-1001": {"Act-1001": 0.5, "Act-1002": 0.5}}}),
    (kernels.PARALLEL_FROM + 10, {"rounds": 3}),  # the parallel challenge search
]


def _inputs(model: SpatialModel, arrays: ScenarioArrays, seed: int = 3):
    position, salience, cap, _, _ = prepare(arrays, model.salience_scale)
    accommodation = accommodation_matrix(model.accommodation, arrays.actor_ids)
    n = len(cap)
    uniforms = (np.random.default_rng(seed).random((model.rounds, n))
                if model.state_transitions == "Stochastic" else np.zeros((1, 1)))
    acc = np.zeros((1, 1)) if accommodation is None else np.ascontiguousarray(accommodation)
    return (np.ascontiguousarray(position, dtype=float),
            np.ascontiguousarray(salience, dtype=float), np.ascontiguousarray(cap, dtype=float),
            acc, accommodation is not None, engine_codes(model), int(model.rounds),
            int(model.min_turns), float(model.min_delta_ratio), float(model.min_sig_delta),
            uniforms)


@pytest.mark.parametrize(("n", "options"), CASES)
def test_run_in_blocks_equals_the_one_call_run_bit_for_bit(n, options, monkeypatch):
    model = SpatialModel(**{"rounds": 6, **options})
    inputs = _inputs(model, arrays_of(n, seed=n))
    whole = kernel_run.run(*inputs)
    monkeypatch.setattr(stepwise, "BLOCK_WORK", 5_000)  # many blocks of a few rows each
    blocks = stepwise.run(*inputs)
    assert whole[0] == blocks[0] >= 2
    assert len(whole) == len(blocks) == 16
    for k, (a, b) in enumerate(zip(whole[1:], blocks[1:], strict=True)):
        assert np.array_equal(a, b, equal_nan=True), f"item {k + 1} of the run differs"


def test_pce_in_blocks_equals_the_compiled_pce(monkeypatch):
    rng = np.random.default_rng(5)
    table, weight = rng.random((90, 70)), rng.uniform(1, 5, 70)
    monkeypatch.setattr(stepwise, "BLOCK_WORK", 1_000)
    for pcem in (0, 1, 2):
        assert np.array_equal(stepwise.pce(table, weight, 0, 0, pcem),
                              kernels_assess.pce(table, weight, 0, 0, pcem))


def test_model_results_unchanged_when_played_in_blocks_and_progress_reported(monkeypatch):
    arrays = arrays_of(60, seed=2)
    model = SpatialModel(engine="numba", rounds=8)
    monkeypatch.setattr(stepwise, "STEPWISE_FROM", 10**9)
    whole = model.run(arrays)
    monkeypatch.setattr(stepwise, "STEPWISE_FROM", 60)
    monkeypatch.setattr(stepwise, "BLOCK_WORK", 20_000)
    seen: list[tuple[int, int, float]] = []
    with reporting(lambda *report: seen.append(report)):
        blocks = model.run(arrays)
    assert np.array_equal(whole.positions, blocks.positions)
    assert np.array_equal(whole.outcome, blocks.outcome)
    for key in ("risk_attitude", "target", "expected_gain", "change_ratio",
                "win_probability_final"):
        assert np.array_equal(whole.extra[key], blocks.extra[key], equal_nan=True), key
    # turn by turn, and within each turn from 0 to all of its work
    turns = int(blocks.n_rounds)
    assert {turn for turn, _, _ in seen} == set(range(turns + 1))
    assert all(most == 8 for _, most, _ in seen)
    for turn in range(turns):
        done = [d for t, _, d in seen if t == turn]
        assert len(done) > 3 and done == sorted(done) and done[-1] == pytest.approx(1.0)


def _ktab_csv(arrays: ScenarioArrays, path: Path) -> None:
    n, dims = arrays.n_actors, arrays.n_issues
    lines = [f"XYZ, generated, {n}, {dims},", "Actor, Description, Influence, "
             + ", ".join(f"D{d} Position, D{d} Salience" for d in range(dims))]
    for i, actor in enumerate(arrays.actor_ids):
        cells = [actor, f"Desc-{actor}", f"{arrays.capability[i, 0]:.2f}"]
        for d in range(dims):
            cells += [f"{arrays.position[i, d]:.2f}", f"{arrays.salience[i, d] * 100:.2f}"]
        lines.append(", ".join(cells))
    path.write_text("\n".join(lines) + "\n")


def test_ctrl_c_inside_a_turn_of_1000_actors_exits_130_with_one_line(tmp_path):
    # load (and, on a fresh checkout, compile and cache) every kernel of a blocked run first, so
    # that the signal below lands inside the first turn, not in start-up
    assert stepwise.STEPWISE_FROM <= 200
    SpatialModel(engine="numba", rounds=1).run(arrays_of(200))
    path = tmp_path / "a1000.csv"
    _ktab_csv(arrays_of(1000), path)  # one turn takes over ten seconds
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from allegiance.cli import run; run()", "forecast", str(path),
         "--model", "smp", "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, start_new_session=True)
    try:
        time.sleep(4)
        assert proc.poll() is None, proc.communicate()
        sent = time.perf_counter()
        os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: the whole process group
        out, err = proc.communicate(timeout=30)
        waited = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert waited < 3, f"took {waited:.1f} s to stop"
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert lines == ["allegiance: interrupted"], lines
    assert out == b""
