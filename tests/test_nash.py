"""Tests of the Nash bargaining solution: hand-solved cases, invariances, Pareto optimality,
agreement of the two solvers, batching and scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance.models.base import ParameterError
from allegiance.models.nash import NashBargainingModel
from allegiance.scenario.arrays import ScenarioArrays


def make(position, salience=None, capability=None, status_quo=None, low=0.0, high=100.0):
    position = np.asarray(position, dtype=float)
    n, m = position.shape[-2:]
    return ScenarioArrays(
        tuple(f"a{i}" for i in range(n)), tuple(f"k{k}" for k in range(m)),
        position=position,
        salience=np.ones((n, m)) if salience is None else salience,
        capability=np.ones((n, m)) if capability is None else capability,
        scale_low=np.full(m, low), scale_high=np.full(m, high),
        status_quo=status_quo,
    )


def random_scenario(seed, n=12, m=3, status_quo=None):
    rng = np.random.default_rng(seed)
    return make(rng.uniform(0, 100, (n, m)), rng.uniform(0.1, 1, (n, m)),
                rng.uniform(0.5, 3, (n, m)), status_quo=status_quo)


@pytest.mark.parametrize(
    "params",
    [{"utility": "cubic"}, {"disagreement": "nowhere"}, {"tolerance": 0.5},
     {"joint": "perhaps"}, {"joint": True, "utility": "linear"}, {"solver": "magic"}],
)
def test_bad_parameters_raise(params):
    with pytest.raises(ParameterError):
        NashBargainingModel(**params)


def test_two_actors_linear_closed_form():
    # gains c1 log(100 - o) + c2 log(o): maximiser o = 100 c2 / (c1 + c2)
    for c1, c2 in [(1.0, 1.0), (1.0, 3.0), (2.0, 0.5)]:
        arrays = make([[0.0], [100.0]], capability=np.array([[c1], [c2]]))
        for solver in ("newton", "scipy"):
            outcome = NashBargainingModel(utility="linear", solver=solver).run(arrays).outcome
            assert outcome[0] == pytest.approx(100 * c2 / (c1 + c2), abs=1e-6)


def test_two_actors_quadratic_symmetric_is_midpoint():
    arrays = make([[10.0], [90.0]])
    assert NashBargainingModel().run(arrays).outcome[0] == pytest.approx(50.0, abs=1e-6)
    # symmetric solution ignores capability
    arrays = make([[10.0], [90.0]], capability=np.array([[1.0], [5.0]]))
    model = NashBargainingModel(weighting="equal")
    assert model.run(arrays).outcome[0] == pytest.approx(50.0, abs=1e-6)


def test_status_quo_disagreement_closed_form():
    # sq = 0, actors at 20 and 60, linear: feasible (0, 40); on [20, 40) the product is
    # (40 - o)^c1 o^c2 with maximiser 40 c2 / (c1 + c2) (when >= 20)
    arrays = make([[20.0], [60.0]], capability=np.array([[1.0], [3.0]]), status_quo=[0.0])
    result = NashBargainingModel(utility="linear").run(arrays)
    assert result.outcome[0] == pytest.approx(30.0, abs=1e-6)
    assert bool(result.extra["feasible"][0])


def test_no_agreement_keeps_status_quo():
    # actors on both sides of the status quo: nothing improves on it for both
    arrays = make([[20.0], [80.0]], status_quo=[50.0])
    result = NashBargainingModel().run(arrays)
    assert result.outcome[0] == pytest.approx(50.0)
    assert not bool(result.extra["feasible"][0])
    # "worst" ignores the status quo
    worst = NashBargainingModel(disagreement="worst").run(arrays)
    assert worst.outcome[0] == pytest.approx(50.0, abs=1e-6)  # symmetric problem


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), factor=st.floats(0.1, 10.0), joint=st.booleans())
def test_invariant_to_positive_rescaling_of_an_actors_utility(seed, factor, joint):
    """Multiplying one actor's utility (all its saliences) by a positive constant leaves the
    solution unchanged (its gains scale; the argmax of the weighted log-sum does not move)."""
    arrays = random_scenario(seed)
    salience = arrays.salience.copy()
    salience[3] *= factor
    scaled = arrays.with_batch(salience=salience)
    model = NashBargainingModel(joint=joint)
    np.testing.assert_allclose(model.run(arrays).outcome, model.run(scaled).outcome, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.floats(0.5, 4.0), b=st.floats(-50, 50))
def test_equivariant_under_affine_change_of_scale(seed, a, b):
    arrays = random_scenario(seed, status_quo=[np.nan, 30.0, np.nan])
    moved = ScenarioArrays(
        arrays.actor_ids, arrays.issue_ids, position=a * arrays.position + b,
        salience=arrays.salience, capability=arrays.capability,
        scale_low=a * arrays.scale_low + b, scale_high=a * arrays.scale_high + b,
        status_quo=a * arrays.status_quo + b,
    )
    for joint in (False, True):
        model = NashBargainingModel(joint=joint)
        np.testing.assert_allclose(model.run(moved).outcome, a * model.run(arrays).outcome + b,
                                   atol=1e-5 * a)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), joint=st.booleans())
def test_pareto_optimal(seed, joint):
    """No sampled outcome makes every actor at least as well off and one strictly better."""
    arrays = random_scenario(seed)
    outcome = NashBargainingModel(joint=joint).run(arrays).outcome
    rng = np.random.default_rng(seed)
    candidates = np.clip(outcome + rng.normal(0, 5, (2000, outcome.size)), 0, 100)

    def utility(o):
        return -(arrays.salience * (o[..., None, :] - arrays.position) ** 2).sum(axis=-1)

    if not joint:  # per issue: check each issue's own utilities
        for k in range(outcome.size):
            best = -(arrays.salience[:, k] * (outcome[k] - arrays.position[:, k]) ** 2)
            other = -(arrays.salience[:, k] * (candidates[:, k, None]
                                               - arrays.position[:, k]) ** 2)
            dominated = (other >= best - 1e-9).all(axis=1) & (other > best + 1e-6).any(axis=1)
            assert not dominated.any()
        return
    best = utility(outcome)
    other = utility(candidates)
    dominated = (other >= best - 1e-9).all(axis=1) & (other > best + 1e-6).any(axis=1)
    assert not dominated.any()


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), joint=st.booleans(), linear=st.booleans())
def test_solvers_agree(seed, joint, linear):
    if joint and linear:
        linear = False
    arrays = random_scenario(seed, status_quo=[np.nan, 10.0, np.nan])
    utility = "linear" if linear else "quadratic"
    fast = NashBargainingModel(joint=joint, utility=utility).run(arrays).outcome
    slow = NashBargainingModel(joint=joint, utility=utility, solver="scipy").run(arrays).outcome
    np.testing.assert_allclose(fast, slow, atol=1e-4)


def test_batched_equals_items_and_hundreds_of_actors():
    rng = np.random.default_rng(0)
    n, m, batch = 400, 6, 5
    position = rng.uniform(0, 100, (batch, n, m))
    arrays = make(position[0], rng.uniform(0.1, 1, (n, m)), rng.uniform(0.5, 3, (n, m)))
    batched = arrays.with_batch(position=position)
    for joint in (False, True):
        model = NashBargainingModel(joint=joint)
        result = model.run(batched)
        assert result.outcome.shape == (batch, m)
        for b in (0, 3):
            np.testing.assert_allclose(result.outcome[b], model.run(batched.take(b)).outcome,
                                       atol=1e-7)


def test_first_order_condition_at_solution():
    arrays = random_scenario(42, n=50, m=4)
    outcome = NashBargainingModel().run(arrays).outcome
    x, s, c = arrays.position, arrays.salience, arrays.capability
    worst = np.where(x <= 50, 100.0, 0.0)
    gain = s * ((worst - x) ** 2 - (outcome - x) ** 2)
    slope = (c * (-2 * s * (outcome - x)) / gain).sum(axis=0)
    np.testing.assert_allclose(slope, 0.0, atol=1e-5)


def test_explain_and_statistic():
    arrays = random_scenario(1, status_quo=[np.nan, 20.0, np.nan])
    result = NashBargainingModel().run(arrays)
    assert "Nash bargaining" in result.outcome_statistic
    table = result.explain[0]
    assert [row[0] for row in table.rows] == list(arrays.issue_ids)
    assert table.rows[1][2] == "status quo"
