"""Coalition listings vs brute force over all coalitions; blocs on synthetic final positions."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegiance.coalitions.formation import (
    EnumerationLimitError,
    blocs,
    blocs_across_issues,
    count_minimal_winning,
    minimal_connected_winning,
    minimal_range_winning,
    minimal_winning_coalitions,
)
from allegiance.coalitions.power import WeightedGame
from allegiance.models.base import ParameterError
from allegiance.models.baselines import MedianModel
from allegiance.scenario.arrays import ScenarioArrays


def _all_coalitions(n):
    for size in range(1, n + 1):
        yield from combinations(range(n), size)


def _brute_minimal_winning(game: WeightedGame) -> set[tuple[int, ...]]:
    found = set()
    for members in _all_coalitions(game.n_players):
        if game.is_winning(list(members)) and all(
            not game.is_winning([m for m in members if m != drop]) for drop in members
        ):
            found.add(members)
    return found


def _connected(members, positions, present) -> bool:
    inside = positions[list(members)]
    low, high = inside.min(), inside.max()
    # connected: every present actor placed within [low, high] is a member
    within = present & (positions >= low) & (positions <= high)
    return set(np.flatnonzero(within)) == set(members)


def _brute_connected(game, positions, present):
    winning_connected = [
        members for members in _all_coalitions(game.n_players)
        if all(present[list(members)]) and _connected(members, positions, present)
        and game.is_winning(list(members))
    ]
    minimal = set()
    for members in winning_connected:
        if not any(set(other) < set(members) for other in winning_connected):
            minimal.add(members)
    return minimal, winning_connected


@settings(max_examples=50, deadline=None)
@given(
    weights=st.lists(st.integers(0, 20), min_size=1, max_size=9).filter(lambda w: sum(w) > 0),
    rule=st.sampled_from(["simple", "two-thirds", "0.3", "unanimity"]),
)
def test_minimal_winning_matches_brute_force(weights, rule):
    game = WeightedGame(weights, rule=rule)
    listed = minimal_winning_coalitions(weights, rule=rule)
    assert {c.members for c in listed} == _brute_minimal_winning(game)
    assert len(listed) == len({c.members for c in listed})
    assert count_minimal_winning(weights, rule=rule) == len(listed)
    # ranked by Riker's size principle
    assert [c.weight for c in listed] == sorted(c.weight for c in listed)
    assert [c.rank for c in listed] == list(range(1, len(listed) + 1))


@settings(max_examples=50, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 10), st.sampled_from([0, 10, 20, 30, 40, 50]),
                            st.booleans()), min_size=1, max_size=8),
    rule=st.sampled_from(["simple", "two-thirds", "0.25"]),
)
def test_minimal_connected_and_range_match_brute_force(data, rule):
    weights = np.array([d[0] for d in data], dtype=float)
    positions = np.array([d[1] for d in data], dtype=float)
    present = np.array([d[2] for d in data])
    weights = np.where(present, weights, 0.0)
    if weights.sum() == 0:
        return
    game = WeightedGame(weights, rule=rule)
    listed = minimal_connected_winning(weights, positions, rule=rule, present=present)
    minimal, winning_connected = _brute_connected(game, positions, present)
    assert {c.members for c in listed} == minimal
    ranged = minimal_range_winning(weights, positions, rule=rule, present=present)
    assert {c.members for c in ranged} == minimal
    if winning_connected:
        # the smallest range of *any* winning coalition (connected or not)
        best = min(
            np.ptp(positions[list(m)]) for m in _all_coalitions(len(data))
            if all(present[list(m)]) and game.is_winning(list(m))
        )
        assert ranged[0].range == best
        assert all(c.minimal == (c.range == best) for c in ranged)


def test_riker_example_and_labels():
    listed = minimal_winning_coalitions([4, 4, 4, 2, 2, 1], quota=12,
                                        labels=["FR", "DE", "IT", "BE", "NL", "LU"])
    assert [c.labels for c in listed] == [
        ("FR", "DE", "IT"), ("FR", "DE", "BE", "NL"), ("FR", "IT", "BE", "NL"),
        ("DE", "IT", "BE", "NL"),
    ]
    assert all("LU" not in c.labels for c in listed)
    assert [c.minimal for c in listed] == [True, True, True, True]


def test_cap_gives_a_clear_error_with_the_count():
    n = 20
    with pytest.raises(EnumerationLimitError, match=f"{math.comb(n, n // 2 + 1):,}"):
        minimal_winning_coalitions(np.ones(n), rule="simple", cap=1000)
    assert count_minimal_winning(np.ones(n), rule="simple") == math.comb(n, n // 2 + 1)
    with pytest.raises(ParameterError):
        minimal_winning_coalitions([1, 2], cap=0)


def test_count_is_none_for_inexact_weights():
    assert count_minimal_winning([1 / 3, 1 / 7, 0.5]) is None


def test_connected_groups_actors_at_one_position():
    # b and c share a position: a connected coalition takes both or neither
    listed = minimal_connected_winning([3, 1, 1, 3], [0, 50, 50, 100], rule="simple",
                                       labels="abcd")
    assert [c.labels for c in listed] == [("a", "b", "c"), ("b", "c", "d")]


def test_positions_shape_is_checked():
    with pytest.raises(ParameterError):
        minimal_connected_winning([1, 2, 3], [0, 1], rule="simple")


def _arrays(position, present=None):
    position = np.asarray(position, dtype=float)
    n, m = position.shape
    return ScenarioArrays(
        actor_ids=tuple("abcdefgh"[:n]), issue_ids=tuple(f"i{k}" for k in range(m)),
        position=position, salience=np.ones((n, m)), capability=np.ones((n, m)),
        scale_low=np.zeros(m), scale_high=np.full(m, 100.0), present=present,
    )


def test_blocs_per_issue_chain_within_tolerance():
    arrays = _arrays([[0, 0], [4, 50], [8, 53], [50, 100], [51, 99]])
    found = blocs(arrays.position, arrays, tolerance=0.05)
    assert [b.labels for b in found["i0"]] == [("a", "b", "c"), ("d", "e")]
    assert found["i0"][0].diameter["i0"] == 8.0  # chained: a-c are 8 apart
    assert [b.labels for b in found["i1"]] == [("b", "c"), ("d", "e")]
    assert blocs(arrays.position, arrays, tolerance=0.0)["i0"] == []


def test_blocs_across_issues_need_closeness_on_every_issue():
    arrays = _arrays([[0, 0], [4, 50], [8, 53], [50, 100], [51, 99]])
    found = blocs_across_issues(arrays.position, arrays, tolerance=0.05)
    assert [b.labels for b in found] == [("b", "c"), ("d", "e")]
    # an actor absent from an issue is compared on the issues it shares
    present = np.ones((5, 2), dtype=bool)
    present[0, 1] = False
    arrays = _arrays([[0, 0], [4, 50], [8, 53], [50, 100], [51, 99]], present=present)
    found = blocs_across_issues(arrays.position, arrays, tolerance=0.05)
    assert ("a", "b", "c") in [b.labels for b in found]


def test_blocs_from_a_model_result():
    arrays = _arrays([[0.0], [2.0], [90.0], [93.0]])
    result = MedianModel().run(arrays)
    found = blocs(result, arrays, tolerance=0.05)
    assert [b.labels for b in found["i0"]] == [("a", "b"), ("c", "d")]
    with pytest.raises(ParameterError):
        blocs(result, arrays, tolerance=2)
