"""The exchange model's two engines give the same numbers, bit for bit: the compiled kernel
(allegiance.models.exchange.kernels, a whole batch in one call) and the NumPy engine (the batch
item by item), on syria-2014's Monte Carlo draws, on decide's COP21 and sample inputs
(../shared/reference/decide), and on random scenarios; with every source of randomness (random
tie-breaks, the randomised equal gain, the random rate), so that the batched kernel draws the
generator's numbers in the item-by-item order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from exchange_oracle import read_decide_file
from hypothesis import given, settings
from hypothesis import strategies as st

import allegiance
from allegiance.models.base import ParameterError
from allegiance.models.exchange import ExchangeModel, model
from allegiance.scenario.arrays import ScenarioArrays
from allegiance.uncertainty.sampling import Sampler

SHARED = Path(__file__).parents[2] / "shared" / "reference" / "decide"

#: every source of randomness, and the deterministic model
SETTINGS = [
    {"tie_break": "first"},
    {"tie_break": "random"},
    {"p": 0.5},
    {"variant": "random-rate"},
    {"p": 0.3, "repetitions": 2, "tie_break": "first"},
    {"salience_weight": 0.7, "fixed_weight": 0.3, "rounds": 4},
]


def assert_same(numpy_result, compiled_result) -> None:
    """Every number of the two results is the same (NaN equal to NaN)."""
    np.testing.assert_array_equal(compiled_result.positions, numpy_result.positions)
    np.testing.assert_array_equal(compiled_result.outcome, numpy_result.outcome)
    np.testing.assert_array_equal(compiled_result.n_rounds, numpy_result.n_rounds)
    assert sorted(compiled_result.extra) == sorted(numpy_result.extra)
    for key, value in numpy_result.extra.items():
        np.testing.assert_array_equal(compiled_result.extra[key], value, err_msg=key)


def both(arrays: ScenarioArrays, seed: int, **params):
    results = [ExchangeModel(engine=engine, **params).run(arrays, random_state=seed)
               for engine in ("numpy", "numba")]
    return results


@pytest.fixture(scope="module")
def syria_draws() -> ScenarioArrays:
    sampler = Sampler(allegiance.load_scenario("syria-2014"))
    return sampler.arrays(sampler.sample(1, 0, 24))


@pytest.mark.parametrize("params", SETTINGS, ids=lambda p: ",".join(f"{k}={v}" for k, v in
                                                                     p.items()))
def test_syria_draws_same_numbers(syria_draws, params):
    numpy_result, compiled_result = both(syria_draws, 7, **params)
    assert_same(numpy_result, compiled_result)
    # the draws differ, so the runs do: the comparison is not between constants
    assert np.ptp(numpy_result.outcome, axis=0).max() > 1.0


def tied_batch(arrays: ScenarioArrays, copies: int, seed: int) -> ScenarioArrays:
    """``copies`` items: the scenario itself (decide's inputs have tied gains), a copy with a
    duplicated actor (more ties), and copies with saliences perturbed."""
    rng = np.random.default_rng(seed)
    salience = np.repeat(arrays.salience[None], copies, axis=0)
    salience[2:] = np.clip(salience[2:] + rng.normal(0, 0.02, salience[2:].shape), 0.01, 1.0)
    salience[1, 1] = salience[1, 0]
    position = np.repeat(arrays.position[None], copies, axis=0)
    position[1, 1] = position[1, 0]
    capability = np.repeat(arrays.capability[None], copies, axis=0)
    capability[1, 1] = capability[1, 0]
    return arrays.with_batch(position=position, salience=salience, capability=capability)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"decide's inputs not present at {SHARED}")
@pytest.mark.parametrize("name", ["cop21.csv", "sample_data.txt"])
@pytest.mark.parametrize("params", SETTINGS[:4], ids=lambda p: ",".join(f"{k}={v}" for k, v in
                                                                         p.items()))
def test_decide_inputs_same_numbers(name, params):
    arrays = tied_batch(read_decide_file(SHARED / name), 4, seed=3)
    numpy_result, compiled_result = both(arrays, 20240601, **params)
    assert_same(numpy_result, compiled_result)
    if params.get("tie_break") == "random":  # the coin of tied exchanges is exercised
        assert numpy_result.extra["ties"].sum() > 0


@st.composite
def scenarios(draw):
    """Small batches of random scenarios with coarse values: equal gains, outcomes on an actor's
    position and moves to the scale's ends are common."""
    n = draw(st.integers(2, 7))
    m = draw(st.integers(2, 4))
    items = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    coarse = draw(st.booleans())
    if coarse:
        position = rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], (items, n, m))
        salience = rng.choice([0.0, 0.25, 0.5, 1.0], (items, n, m))
        capability = rng.choice([1.0, 2.0], (items, n, m))
    else:
        position = rng.uniform(0, 100, (items, n, m))
        salience = rng.uniform(0, 1, (items, n, m))
        capability = rng.uniform(0, 3, (items, n, m))
    present = rng.random((n, m)) > draw(st.sampled_from([0.0, 0.2]))
    low = rng.choice([0.0, -10.0], m)
    return ScenarioArrays(
        tuple(f"a{i}" for i in range(n)), tuple(f"k{k}" for k in range(m)),
        position=position * 0.2 + low[None, None, :] if not coarse else position,
        salience=salience, capability=capability,
        scale_low=low if not coarse else np.zeros(m),
        scale_high=low + 20.0 if not coarse else np.full(m, 100.0), present=present)


@settings(max_examples=80, deadline=None)
@given(scenarios(), st.sampled_from(SETTINGS), st.integers(0, 1000))
def test_random_scenarios_same_numbers(arrays, params, seed):
    numpy_result, compiled_result = both(arrays, seed, **params)
    assert_same(numpy_result, compiled_result)


def test_threaded_blocks_same_numbers(syria_draws, monkeypatch):
    """Deterministic runs are spread over threads in blocks; the numbers do not change."""
    monkeypatch.setattr(model, "BATCH_BLOCK", 5)
    numpy_result, compiled_result = both(syria_draws, 1, tie_break="first")
    assert_same(numpy_result, compiled_result)


def test_batch_is_its_items_one_after_another(syria_draws):
    """The compiled batch draws from the generator as the items run one by one do."""
    rng = np.random.default_rng(11)
    single = ExchangeModel(p=0.4, engine="numpy")
    items = np.stack([single.run(syria_draws.take(k), random_state=rng).outcome
                      for k in range(6)])
    batch = ExchangeModel(p=0.4, engine="numba").run(syria_draws.take(slice(0, 6)),
                                                      random_state=11)
    np.testing.assert_array_equal(batch.outcome, items)


def test_auto_engine_choice(syria_draws):
    assert ExchangeModel()._choose_kernels(True, model.COMPILED_RUNS, 3) is not None
    assert ExchangeModel()._choose_kernels(False, 1, 3) is None  # unbatched: events need NumPy
    assert ExchangeModel(engine="numba")._choose_kernels(True, 1, 3) is not None
    assert ExchangeModel(engine="numpy")._choose_kernels(True, 10_000, 3) is None
    assert ExchangeModel(arithmetic="decimal28")._choose_kernels(True, 10_000, 3) is None
    assert ExchangeModel(engine="numba", rounds=0)._choose_kernels(True, 100, 3) is None
    assert ExchangeModel(engine="auto").get_params()["engine"] == "auto"


@pytest.mark.parametrize("params", [{"engine": "fast"},
                                    {"engine": "numba", "arithmetic": "decimal28"}])
def test_engine_parameter_errors(params):
    with pytest.raises(ParameterError, match="engine"):
        ExchangeModel(**params)


def test_kernel_source_runs_as_plain_python():
    """Without compilation (NUMBA_DISABLE_JIT, as without Numba) the kernels' source runs as
    plain Python and gives the same numbers."""
    code = (
        "import numpy as np, allegiance\n"
        "from allegiance.models.exchange import ExchangeModel\n"
        "from allegiance.models.exchange import kernel_run\n"
        "from allegiance.uncertainty.sampling import Sampler\n"
        "assert not hasattr(kernel_run.run_batch, 'signatures')\n"
        "s = Sampler(allegiance.load_scenario('syria-2014'))\n"
        "a = s.arrays(s.sample(1, 0, 3))\n"
        "r = [ExchangeModel(engine=e, p=0.3, rounds=3).run(a, random_state=5) for e in "
        "('numpy', 'numba')]\n"
        "assert np.array_equal(r[0].positions, r[1].positions), 'positions differ'\n"
        "assert np.array_equal(r[0].outcome, r[1].outcome), 'outcomes differ'\n"
        "print('same')\n")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1",
           "PYTHONPATH": os.pathsep.join([str(Path(allegiance.__file__).parents[1]),
                                          os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "same"
