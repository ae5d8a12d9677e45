"""Power indices: generating functions vs the brute-force oracle, published values, powerindex."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance.coalitions.power import (
    RULES,
    WeightedGame,
    banzhaf,
    enumerate_power_indices,
    integerise,
    parse_quota,
    power_indices,
    shapley_shubik,
)
from allegiance.models.base import ParameterError

DATA = Path(__file__).parent / "data"
RULE_NAMES = ["simple", "two-thirds", "unanimity", "0.4", ">30%", "3/5", "eec-1958"]


def _compare(game: WeightedGame, atol: float = 1e-9) -> None:
    fast = game.power_indices()
    oracle = game.enumerate_power_indices()
    assert fast.exact
    np.testing.assert_allclose(fast.shapley_shubik, oracle.shapley_shubik, atol=atol)
    np.testing.assert_allclose(fast.banzhaf_absolute, oracle.banzhaf_absolute, atol=atol)
    np.testing.assert_allclose(fast.banzhaf, oracle.banzhaf, atol=atol)


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.integers(0, 40), min_size=1, max_size=11).filter(lambda w: sum(w) > 0),
    rule=st.sampled_from(RULE_NAMES),
)
def test_exact_indices_match_enumeration_on_random_integer_games(weights, rule):
    _compare(WeightedGame(weights, rule=rule))


@settings(max_examples=40, deadline=None)
@given(
    weights=st.lists(st.integers(1, 25), min_size=1, max_size=10),
    fraction=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(3, 2)),
)
def test_absolute_quota_matches_enumeration(weights, fraction):
    quota = float(max(fraction * sum(weights), Fraction(1, 2)))
    game = WeightedGame(weights, quota=quota)
    fast = game.power_indices()
    shapley, absolute = enumerate_power_indices(weights, game.rule)
    np.testing.assert_allclose(fast.shapley_shubik, shapley, atol=1e-9)
    np.testing.assert_allclose(fast.banzhaf_absolute, absolute, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=2, max_size=9)
    .filter(lambda w: sum(w) > 0.5),
    rule=st.sampled_from(["simple", "two-thirds", "0.55"]),
    resolution=st.sampled_from([7, 20, 100, 1000]),
)
def test_rounded_games_stay_within_their_error_bound(weights, rule, resolution):
    game = WeightedGame(weights, rule=rule, resolution=resolution)
    fast = game.power_indices()
    oracle = game.enumerate_power_indices()
    assert not fast.exact
    for name in ("shapley_shubik", "banzhaf_absolute", "banzhaf"):
        error = np.abs(getattr(fast, name) - getattr(oracle, name))
        assert np.all(error <= getattr(fast, f"{name}_error") + 1e-9), name


def test_decimal_weights_are_used_exactly():
    game = WeightedGame([0.35, 0.25, 0.2, 0.15, 0.05], rule="simple")
    fast = game.power_indices()
    assert fast.exact
    assert fast.integer_weights.tolist() == [7, 5, 4, 3, 1]
    assert np.all(fast.shapley_shubik_error == 0)
    _compare(game)


def test_rounding_bound_is_zero_only_when_no_coalition_is_ambiguous():
    # weights far from any tie: coarse rounding cannot change a single winning coalition
    game = WeightedGame([10.01, 1.0, 1.0], rule="simple", resolution=12)
    fast = game.power_indices()
    np.testing.assert_allclose(fast.shapley_shubik, [1.0, 0.0, 0.0])
    assert fast.shapley_shubik_error.max() == 0.0


def test_eec_1958_published_values():
    data = json.loads((DATA / "power_eec1958.json").read_text())
    game = WeightedGame(data["weights"], quota=data["quota"], labels=data["labels"])
    result = game.power_indices()
    ss = np.array(data["shapley_shubik_numerators"]) / data["shapley_shubik_denominator"]
    np.testing.assert_allclose(result.shapley_shubik, ss, atol=1e-12)
    np.testing.assert_allclose(result.banzhaf_absolute * 2**5, data["banzhaf_swings"], atol=1e-9)
    bz = np.array(data["banzhaf_normalised_numerators"]) / data["banzhaf_normalised_denominator"]
    np.testing.assert_allclose(result.banzhaf, bz, atol=1e-12)
    luxembourg = data["labels"].index("Luxembourg")
    assert result.shapley_shubik[luxembourg] == 0 and result.banzhaf[luxembourg] == 0
    # the same game as a named rule (12/17 of the votes)
    np.testing.assert_allclose(shapley_shubik(data["weights"], rule="eec-1958"), ss, atol=1e-12)


def test_against_powerindex_reference_numbers():
    data = json.loads((DATA / "power_powerindex.json").read_text())
    assert len(data["games"]) >= 10
    for game_data in data["games"]:
        result = power_indices(game_data["weights"], game_data["quota"])
        np.testing.assert_allclose(result.shapley_shubik, game_data["shapley_shubik"], atol=1e-9)
        np.testing.assert_allclose(result.banzhaf, game_data["banzhaf"], atol=1e-9)


def test_shapley_shubik_by_permutations_on_a_small_game():
    weights, quota = [5, 3, 2, 1], 6
    counts = np.zeros(4)
    for order in permutations(range(4)):
        total = 0
        for actor in order:
            total += weights[actor]
            if total >= quota:
                counts[actor] += 1
                break
    expected = counts / math.factorial(4)
    np.testing.assert_allclose(shapley_shubik(weights, quota), expected, atol=1e-12)


def test_large_symmetric_game_gives_equal_power():
    n = 400
    result = power_indices(np.ones(n), rule="simple")
    np.testing.assert_allclose(result.shapley_shubik, 1 / n, rtol=1e-8)
    np.testing.assert_allclose(result.banzhaf, 1 / n, rtol=1e-8)
    # absolute Banzhaf for an odd number of others: C(n-1, (n-1)//2 ...) swing probability
    others = n - 1
    swing = math.comb(others, n // 2) / 2**others
    np.testing.assert_allclose(result.banzhaf_absolute, swing, rtol=1e-8)


def test_thousand_actors_sum_to_one():
    rng = np.random.default_rng(7)
    weights = rng.integers(1, 6, size=1000)
    result = power_indices(weights, rule="two-thirds")
    assert result.exact
    assert abs(result.shapley_shubik.sum() - 1) < 1e-9
    assert np.all(np.diff(result.shapley_shubik[np.argsort(weights)]) >= -1e-12)


def test_unanimity_and_zero_weights():
    result = power_indices([3, 0, 2, 5], rule="unanimity")
    np.testing.assert_allclose(result.shapley_shubik, [1 / 3, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(result.banzhaf, [1 / 3, 0, 1 / 3, 1 / 3])


def test_unreachable_quota_gives_no_power():
    result = power_indices([1, 2, 3], quota=7)
    assert np.all(result.shapley_shubik == 0) and np.all(result.banzhaf == 0)


def test_batched_functions_keep_the_batch_shape():
    weights = np.array([[[4, 4, 4, 2, 2, 1]], [[1, 1, 1, 1, 1, 1]]])
    values = shapley_shubik(weights, rule="eec-1958")
    assert values.shape == (2, 1, 6)
    np.testing.assert_allclose(values[1, 0], 1 / 6)
    absolute = banzhaf(weights, rule="simple", normalized=False)
    assert absolute.shape == (2, 1, 6)


@pytest.mark.parametrize(
    ("spec", "fraction", "strict"),
    [("simple", Fraction(1, 2), True), ("60%", Fraction(3, 5), False), ("2/3", Fraction(2, 3),
     False), (">50%", Fraction(1, 2), True), (0.1, Fraction(1, 10), False),
     ("unanimity", Fraction(1), False)],
)
def test_parse_quota(spec, fraction, strict):
    rule = parse_quota(spec)
    assert rule.fraction == fraction and rule.strict == strict


@pytest.mark.parametrize("spec", ["banana", "0", "150%", 1.5, "-0.2", ">100%"])
def test_parse_quota_rejects_bad_input(spec):
    with pytest.raises(ParameterError):
        parse_quota(spec)


def test_simple_majority_is_strict_and_half_is_not():
    # an exact tie: 2 of 4 wins under ">= 50%" but not under "simple"
    assert WeightedGame([1, 1, 1, 1], rule="0.5").is_winning([0, 1])
    assert not WeightedGame([1, 1, 1, 1], rule="simple").is_winning([0, 1])


def test_fraction_quota_is_mapped_exactly_to_integers():
    game = integerise(np.array([0.1, 0.2, 0.3, 0.4]), parse_quota("0.1"))
    assert game.exact and game.weights.tolist() == [1, 2, 3, 4] and game.quota == 1


@pytest.mark.parametrize(
    "kwargs",
    [dict(weights=[1, -1]), dict(weights=[0, 0]), dict(weights=[]),
     dict(weights=[1, 2], quota=2, rule="simple"), dict(weights=[1, np.nan]),
     dict(weights=[1, 2], resolution=0), dict(weights=[1, 2], labels=["a"])],
)
def test_bad_games_raise_clear_errors(kwargs):
    with pytest.raises(ParameterError):
        WeightedGame(**kwargs)


def test_enumeration_refuses_large_games():
    with pytest.raises(ParameterError, match="enumeration"):
        enumerate_power_indices(np.ones(25))


def test_named_rules_are_valid_shares():
    for name, rule in RULES.items():
        assert rule.name == name
        assert 0 < rule.fraction <= 1


def test_pure_python_kernel_agrees_with_the_compiled_one():
    # the kernel also runs without numba (as plain Python): same numbers
    from allegiance.coalitions import power

    game = power.integerise(np.array([5, 3, 3, 2, 1, 0]), parse_quota("simple"))
    distinct = np.unique(game.weights)
    windows, complement = power._windows(game, distinct)
    nodes = np.array([0.1, 0.3, 0.5])
    kmax = int(game.weights.sum()) + 1
    compiled = power._window_kernel(game.weights, distinct, nodes, kmax, windows, complement)
    plain = power._window_kernel_python(game.weights, distinct, nodes, kmax, windows, complement)
    for a, b in zip(compiled, plain, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)


@pytest.mark.parametrize("rule", ["simple", "eu-qmv-nice"])
def test_fifteen_actors_match_enumeration(rule):
    weights = np.random.default_rng(15).integers(1, 30, size=15)
    _compare(WeightedGame(weights, rule=rule))
