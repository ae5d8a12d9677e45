"""The Spatial Model of Politics: the fast model against the loop oracle, options, results."""

from __future__ import annotations

import json

import numpy as np
import pytest
import smp_oracle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allegiance.models.base import ParameterError
from allegiance.models.smp import KTAB_PARAMETER_NAMES, SpatialModel
from allegiance.models.smp.pce import coalitions, pce, vote
from allegiance.scenario.arrays import ScenarioArrays


def random_arrays(seed: int, n: int, dims: int) -> ScenarioArrays:
    rng = np.random.default_rng(seed)
    position = rng.uniform(0, 100, (n, dims)).round(2)
    salience = rng.uniform(0.1, 1.0, (n, dims))
    salience = salience / salience.sum(axis=1, keepdims=True) * rng.uniform(0.6, 0.99, (n, 1))
    cap = rng.uniform(10, 200, n)
    return ScenarioArrays(
        actor_ids=tuple(f"a{i}" for i in range(n)), issue_ids=tuple(f"x{d}" for d in range(dims)),
        position=position, salience=salience, capability=np.repeat(cap[:, None], dims, axis=1),
        scale_low=np.zeros(dims), scale_high=np.full(dims, 100.0))


OPTIONS = [
    {},
    {"voting_rule": "PropCbc", "pce_model": "MarkovIncentive"},
    {"voting_rule": "ASymProsp", "victory_prob_model": "Square", "big_r_adjust": "Half"},
    {"voting_rule": "Binary", "pce_model": "MarkovUniform", "third_party_commit": "NoCommit"},
    {"voting_rule": "Cubic", "victory_prob_model": "Quartic", "bargn_model": "InitRcvrInterp",
     "big_r_range": "Max"},
    {"voting_rule": "PropBin", "inter_vec_brgn": "S1P1", "bargn_model": "PWCompInterp",
     "third_party_commit": "FullCommit", "big_r_adjust": "Full"},
    {"victory_prob_model": "Binary", "inter_vec_brgn": "S2PMax", "big_r_range": "Min",
     "big_r_adjust": "None"},
    {"victory_prob_model": "Octic", "big_r_adjust": "TwoThirds"},
]
ORACLE_NAMES = {"voting_rule": "rule", "victory_prob_model": "vpm", "pce_model": "pcem",
                "big_r_adjust": "adjust", "big_r_range": "r_range",
                "third_party_commit": "commit", "inter_vec_brgn": "ivb",
                "bargn_model": "bmod"}


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 7), dims=st.integers(1, 3),
       option=st.integers(0, len(OPTIONS) - 1), engine=st.sampled_from(["auto", "numpy"]))
def test_fast_model_equals_loop_oracle(seed, n, dims, option, engine):
    arrays = random_arrays(seed, n, dims)
    params = OPTIONS[option]
    result = SpatialModel(rounds=6, engine=engine, **params).run(arrays)
    history = smp_oracle.run(
        (arrays.position / 100.0).tolist(), arrays.salience.tolist(),
        arrays.capability[:, 0].tolist(), max_turns=6,
        **{ORACLE_NAMES[k]: v for k, v in params.items()})
    assert int(result.n_rounds) == len(history) - 1
    np.testing.assert_allclose(result.positions, np.array(history) * 100.0, atol=1e-7)


@pytest.mark.parametrize("rule", ["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"])
def test_pce_building_blocks_equal_oracle(rule):
    rng = np.random.default_rng(3)
    u = rng.uniform(0, 1, (6, 4))
    w = rng.uniform(1, 5, 6)
    for vpm in ("Linear", "Square", "Quartic", "Octic", "Binary"):
        for pcem in ("Conditional", "MarkovIncentive", "MarkovUniform"):
            fast = pce(coalitions(u, w, rule), vpm, pcem)
            slow = smp_oracle.scalar_pce(u.tolist(), w.tolist(), rule, vpm, pcem)
            np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    du = np.linspace(-0.5, 0.5, 11)
    np.testing.assert_allclose(vote(rule, 2.0, du), [smp_oracle.vote(rule, 2.0, x) for x in du])


def test_batched_run_equals_individual_runs():
    a, b = random_arrays(1, 5, 2), random_arrays(2, 5, 2)
    batch = a.with_batch(position=np.stack([a.position, b.position]),
                         salience=np.stack([a.salience, b.salience]),
                         capability=np.stack([a.capability, b.capability]))
    model = SpatialModel(rounds=5)
    joint = model.run(batch)
    for index, single in enumerate((a, b)):
        alone = model.run(single)
        rounds = int(alone.n_rounds)
        assert int(joint.n_rounds[index]) == rounds
        np.testing.assert_allclose(joint.positions[index, :rounds + 1], alone.positions)
        np.testing.assert_allclose(joint.outcome[index], alone.outcome)


def test_parameters_validated_and_ktab_names():
    with pytest.raises(ParameterError):
        SpatialModel(voting_rule="Majority")
    with pytest.raises(ParameterError):
        SpatialModel(rounds=0)
    with pytest.raises(ParameterError):
        SpatialModel(accommodation=[[0.5, 0.7], [0.0, 1.0]])
    assert SpatialModel(voting_rule="proportional").voting_rule == "Prop"
    assert SpatialModel(pce_model="markovincentive").pce_model == "MarkovIncentive"
    for ktab, ours in KTAB_PARAMETER_NAMES.items():
        assert ours in SpatialModel.param_names(), ktab
    with pytest.raises(ParameterError, match="YAML or JSON"):  # text is parsed by the CLI
        SpatialModel(accommodation=json.dumps({"a0": {"a1": 0.2}}))
    model = SpatialModel(accommodation={"a0": {"a1": 0.2}})
    with pytest.raises(ParameterError):
        model.run(random_arrays(0, 3, 1).__class__(
            actor_ids=("x", "y", "z"), issue_ids=("i",), position=[[1.0], [2.0], [3.0]],
            salience=[[0.5]] * 3, capability=[[1.0]] * 3, scale_low=[0.0],
            scale_high=[100.0]))


def test_salience_sums_above_one():
    arrays = random_arrays(5, 4, 3)
    heavy = arrays.with_batch(salience=np.full((4, 3), 0.8))
    with pytest.raises(ValueError, match="saliences summing"):
        SpatialModel(salience_scale="error").run(heavy)
    scaled = SpatialModel(rounds=3).run(heavy)
    same = SpatialModel(rounds=3).run(heavy.with_batch(salience=np.full((4, 3), 0.8 / 2.4)))
    np.testing.assert_allclose(scaled.positions, same.positions)
    assert SpatialModel(salience_scale="actor", rounds=2).run(heavy).positions.shape[-2:] \
        == (4, 3)


def _oracle(arrays, max_turns, params=None, **extra):
    return np.array(smp_oracle.run(
        (arrays.position / 100.0).tolist(), arrays.salience.tolist(),
        arrays.capability[:, 0].tolist(), max_turns=max_turns,
        **{ORACLE_NAMES[k]: v for k, v in (params or {}).items()}, **extra)) * 100.0


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_accommodation_lag_equals_the_oracle_beyond_turn_one(engine):
    arrays = random_arrays(7, 5, 2)
    base = SpatialModel(rounds=4, engine=engine).run(arrays)
    ident = SpatialModel(rounds=4, engine=engine, accommodation=np.eye(5).tolist()).run(arrays)
    np.testing.assert_array_equal(base.positions, ident.positions)
    rng = np.random.default_rng(11)
    full = rng.uniform(0, 1, (5, 5))
    full = 0.8 * full / full.sum(axis=1, keepdims=True)  # rows sum to 0.8: a 20% lag
    for matrix in (0.3 * np.eye(5), full):
        lagged = SpatialModel(rounds=8, engine=engine, accommodation=matrix.tolist())
        result = lagged.run(arrays)
        expected = _oracle(arrays, 8, accommodation=matrix.tolist())
        assert int(result.n_rounds) == len(expected) - 1 >= 3
        np.testing.assert_allclose(result.positions, expected, atol=1e-7)
    # the lag matters: without it the same scenario moves differently
    assert not np.allclose(result.positions[:3], base.positions[:3])
    # the mapping form overrides the identity; actor names match ids case-insensitively
    by_name = SpatialModel(rounds=4, accommodation={"A0": {"A0": 0.3}, "a1": {"a0": 0.2,
                                                       "a1": 0.5}}).run(arrays)
    matrix = np.eye(5)
    matrix[0, 0], matrix[1, 0], matrix[1, 1] = 0.3, 0.2, 0.5
    by_matrix = SpatialModel(rounds=4, accommodation=matrix).run(arrays)
    np.testing.assert_array_equal(by_name.positions, by_matrix.positions)


def test_events_explain_and_outcome():
    arrays = random_arrays(11, 6, 2)
    result = SpatialModel().run(arrays)
    challenges = [e for e in result.events if e["kind"] == "challenge"]
    moves = [e for e in result.events if e["kind"] == "move"]
    assert challenges and moves
    first = challenges[0]
    assert set(first["detail"]) >= {"probability", "expected_gain", "bargain", "adopted_by"}
    assert 0 <= first["detail"]["probability"] <= 1
    # every move is explained by an adopted bargain of the same round
    for move in moves:
        assert any(c["round"] == move["round"] and move["actor"] in c["detail"]["adopted_by"]
                   for c in challenges)
    table = result.explain[0]
    assert len(table.rows) == arrays.n_actors
    # the outcome is a convex combination of the final positions
    final = result.positions[-1]
    assert (result.outcome >= final.min(axis=0) - 1e-9).all()
    assert (result.outcome <= final.max(axis=0) + 1e-9).all()
    p = result.extra["win_probability_final"]
    assert p.min() >= 0 and p.max() <= 1
    json.dumps(result.events)  # JSON-able


@pytest.mark.parametrize("option", [0, 1, 3])
def test_stochastic_transitions_equal_the_oracle_with_the_same_draws(option):
    """Stochastic transitions: actor k adopts the first option of its queue whose cumulative
    probability reaches its uniform draw; the model draws ``rng.random((max_turns, n))`` from the
    seed. Given those draws the loop oracle must give the same positions, turn by turn."""
    params = OPTIONS[option]
    model = SpatialModel(state_transitions="Stochastic", rounds=6, engine="numpy", **params)
    assert model.stochastic
    differ = 0
    for seed in range(6):
        arrays = random_arrays(100 + seed, 6, 2)
        result = model.run(arrays, random_state=seed)
        draws = np.random.default_rng(seed).random((6, arrays.n_actors)).tolist()
        expected = _oracle(arrays, 6, params, uniforms=draws)
        assert int(result.n_rounds) == len(expected) - 1
        np.testing.assert_allclose(result.positions, expected, atol=1e-7)
        deterministic = SpatialModel(rounds=6, **params).run(arrays)
        differ += not np.allclose(deterministic.positions[-1], result.positions[-1])
        again = model.run(arrays, random_state=seed)
        np.testing.assert_array_equal(result.positions, again.positions)
    assert differ > 0  # the draws are used: some runs leave the deterministic path


def test_stochastic_choice_frequencies_follow_the_queue_probabilities():
    """Over many seeds, the share of first-turn runs in which an actor adopts each option of its
    queue matches the probabilities the model computed for that queue (a chi-square check)."""
    from scipy.stats import chisquare

    arrays = random_arrays(3, 5, 2)
    recorded = SpatialModel(rounds=1, record=True).run(arrays).extra["turns"][0]
    probs = [np.asarray(p) for p in recorded["queue_probability"]]
    k = max(range(len(probs)), key=lambda a: (len(probs[a]) > 1) * probs[a].min())
    assert len(probs[k]) > 1 and probs[k].min() > 0.05
    model = SpatialModel(state_transitions="Stochastic", rounds=1, record=True)
    counts = np.zeros(len(probs[k]))
    n_runs = 400
    for seed in range(n_runs):
        chosen = model.run(arrays, random_state=seed).extra["turns"][0]["chosen"][k]
        counts[int(chosen)] += 1
    assert chisquare(counts, probs[k] * n_runs).pvalue > 0.001


def test_forecast_api_runs_smp_on_syria():
    import allegiance

    forecast = allegiance.forecast("syria-2014", model="smp")
    direct = SpatialModel().run(forecast.scenario.to_arrays())
    np.testing.assert_array_equal(forecast.result.outcome, direct.outcome)
    np.testing.assert_array_equal(forecast.result.positions, direct.positions)
    arrays = forecast.scenario.to_arrays()
    assert ((forecast.result.outcome >= arrays.scale_low)
            & (forecast.result.outcome <= arrays.scale_high)).all()
    assert int(forecast.result.n_rounds) >= 1


@pytest.mark.parametrize("option", range(len(OPTIONS)))
def test_compiled_engine_equals_numpy_engine(option):
    pytest.importorskip("numba")
    params = dict(OPTIONS[option])
    for seed, n, dims in ((option, 8, 3), (100 + option, 12, 1)):
        arrays = random_arrays(seed, n, dims)
        fast = SpatialModel(engine="numba", rounds=8, **params).run(arrays)
        slow = SpatialModel(engine="numpy", rounds=8, **params).run(arrays)
        assert int(fast.n_rounds) == int(slow.n_rounds)
        np.testing.assert_allclose(fast.positions, slow.positions, atol=1e-12)
        np.testing.assert_allclose(fast.outcome, slow.outcome, atol=1e-9)
        assert [e["kind"] for e in fast.events] == [e["kind"] for e in slow.events]
        assert [e["actor"] for e in fast.events] == [e["actor"] for e in slow.events]
    stochastic = SpatialModel(state_transitions="Stochastic", rounds=6, **params)
    arrays = random_arrays(option, 7, 2)
    a = SpatialModel(**stochastic.get_params() | {"engine": "numba"}).run(arrays,
                                                                          random_state=5)
    b = SpatialModel(**stochastic.get_params() | {"engine": "numpy"}).run(arrays,
                                                                          random_state=5)
    np.testing.assert_allclose(a.positions, b.positions, atol=1e-12)


def test_absent_actor_keeps_input_value_and_no_voice_on_that_issue():
    arrays = random_arrays(21, 5, 2)
    present = np.ones((5, 2), dtype=bool)
    present[0, 1] = False
    position = arrays.position.copy()
    position[0, 1] = np.nan
    salience = arrays.salience.copy()
    salience[0, 1] = 0.0
    gapped = ScenarioArrays(arrays.actor_ids, arrays.issue_ids, position=position,
                            salience=salience, capability=arrays.capability,
                            scale_low=arrays.scale_low, scale_high=arrays.scale_high,
                            present=present)
    result = SpatialModel(rounds=5).run(gapped)
    assert np.isnan(result.positions[:, 0, 1]).all()
    assert np.isfinite(result.positions[:, 1:]).all()
    assert np.isfinite(result.outcome).all()


def test_auto_engine_loads_compiled_kernels_only_when_they_pay(monkeypatch):
    pytest.importorskip("numba")
    import sys

    from allegiance.models.smp import model as smp_module

    name = "allegiance.models.smp.kernel_run"
    monkeypatch.delitem(sys.modules, name, raising=False)
    auto = SpatialModel()
    assert auto._choose_kernels(80, 1, record=False) is None  # one small run: NumPy
    assert auto._choose_kernels(300, 1, record=False) is not None  # one large run
    assert auto._choose_kernels(27, 8, record=False) is not None  # a batch
    assert auto._choose_kernels(300, 1, record=True) is None  # recording needs NumPy
    assert SpatialModel(engine="numpy")._choose_kernels(1000, 100, record=False) is None
    assert SpatialModel(engine="numba")._choose_kernels(5, 1, record=False) is not None
    # once loaded and used in this process, they serve small runs too
    SpatialModel(engine="numba").run(random_arrays(1, 5, 2))
    kernels = smp_module._kernels()
    monkeypatch.setitem(sys.modules, name, kernels)
    assert auto._choose_kernels(10, 1, record=False) is kernels


@pytest.mark.parametrize("params", [{}, {"state_transitions": "Stochastic",
                                         "bargn_model": "InitRcvrInterp"}])
def test_compiled_batch_equals_items_run_one_by_one(params):
    pytest.importorskip("numba")
    items = [random_arrays(40 + k, 6, 2) for k in range(9)]
    batch = items[0].with_batch(position=np.stack([a.position for a in items]),
                                salience=np.stack([a.salience for a in items]),
                                capability=np.stack([a.capability for a in items]))
    model = SpatialModel(rounds=12, **params)
    assert model._choose_kernels(6, len(items), record=False) is not None  # one compiled call
    joint = model.run(batch, random_state=7)
    rng = np.random.default_rng(7)  # the items draw from the stream in turn
    for index, single in enumerate(items):
        alone = SpatialModel(rounds=12, engine="numpy", **params).run(single, random_state=rng)
        rounds = int(alone.n_rounds)
        assert int(joint.n_rounds[index]) == rounds
        np.testing.assert_allclose(joint.positions[index, :rounds + 1], alone.positions,
                                   atol=1e-9)
        np.testing.assert_allclose(joint.positions[index, rounds:],
                                   np.broadcast_to(alone.positions[-1],
                                                   joint.positions[index, rounds:].shape))
        np.testing.assert_allclose(joint.outcome[index], alone.outcome, atol=1e-9)
