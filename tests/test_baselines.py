"""Baselines: the compromise (weighted mean) and Black's weighted median, against plain oracles."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance.models.baselines import CompromiseModel, MedianModel, weighted_median
from allegiance.scenario.arrays import ScenarioArrays


def oracle_median(positions, weights):
    """The weighted median by definition: the point x minimising the weighted sum of |x - p_i|,
    taking the midpoint of the minimising interval when it is not a single point."""
    order = sorted(zip(positions, weights, strict=True))
    total = sum(weights)
    if total == 0:
        return float(np.median(positions))
    running = 0.0
    for i, (p, w) in enumerate(order):
        running += w
        if abs(running - total / 2) <= 1e-12 * max(total, 1):
            later = [q for q, v in order[i + 1:] if v > 0]
            return (p + later[0]) / 2 if later else p
        if running > total / 2:
            return p
    return order[-1][0]


def arrays_for(positions, saliences, capabilities):
    n = len(positions)
    return ScenarioArrays(
        actor_ids=tuple(f"a{i}" for i in range(n)), issue_ids=("x",),
        position=np.array(positions, float)[:, None], salience=np.array(saliences, float)[:, None],
        capability=np.array(capabilities, float)[:, None], scale_low=[0.0], scale_high=[100.0])


actors = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 100).map(float), min_size=n, max_size=n),
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=n, max_size=n),
    st.lists(st.integers(0, 5).map(float), min_size=n, max_size=n),
))


@settings(max_examples=200, deadline=None)
@given(actors)
def test_weighted_median_matches_definition(data):
    positions, saliences, capabilities = data
    weights = [s * c for s, c in zip(saliences, capabilities, strict=True)]
    result = MedianModel().run(arrays_for(positions, saliences, capabilities)).outcome[0]
    assert result == oracle_median(positions, weights)


@settings(max_examples=100, deadline=None)
@given(actors)
def test_weighted_mean_matches_definition(data):
    positions, saliences, capabilities = data
    weights = np.array(saliences) * np.array(capabilities)
    expected = (np.average(positions, weights=weights) if weights.sum() > 0
                else np.mean(positions))
    result = CompromiseModel().run(arrays_for(positions, saliences, capabilities)).outcome[0]
    assert np.isclose(result, expected, rtol=1e-12, atol=1e-12)


def test_batched_equals_single_runs():
    rng = np.random.default_rng(3)
    position = rng.uniform(0, 100, (7, 9, 3))
    salience = rng.uniform(0, 1, (7, 9, 3))
    capability = rng.uniform(0, 10, (7, 9, 3))
    arrays = ScenarioArrays(tuple(map(str, range(9))), ("x", "y", "z"), position, salience,
                            capability, np.zeros(3), np.full(3, 100.0))
    for model in (CompromiseModel(), MedianModel()):
        batched = model.run(arrays).outcome
        assert batched.shape == (7, 3)
        for b in range(7):
            np.testing.assert_array_equal(batched[b], model.run(arrays.take(b)).outcome)


def test_median_of_even_split_is_midpoint():
    assert weighted_median(np.array([[10.0], [30.0]]), np.array([[1.0], [1.0]]))[0] == 20.0


def test_weighting_options():
    arrays = arrays_for([0, 100], [1.0, 0.1], [1, 5])
    assert CompromiseModel(weighting="equal").run(arrays).outcome[0] == 50
    assert np.isclose(CompromiseModel(weighting="capability").run(arrays).outcome[0], 500 / 6)
