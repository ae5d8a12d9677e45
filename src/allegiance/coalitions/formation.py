"""Which coalitions can form: minimal winning, minimal connected winning, minimal range; blocs.

Coalition theories of the size and policy families, each as a listing of candidate coalitions
ranked by the theory's own criterion:

- **Minimal winning** (Riker 1962, *The Theory of Political Coalitions*; von Neumann & Morgenstern
  1944): winning coalitions that become losing when any member leaves. Riker's *size principle*
  ranks them by total weight, smallest first (ties: fewer members first — Leiserson's bargaining
  proposition).
- **Minimal connected winning** (Axelrod 1970, *Conflict of Interest*): along one issue's ordering,
  a *connected* coalition has no gap — every actor whose position lies between two members is a
  member; it is minimal when dropping either end leaves it losing. Actors sharing a position are
  one place on the ordering and join or leave together. Ranked by weight.
- **Minimal range** (Leiserson 1966, *Coalitions in Politics*; de Swaan 1973, *Coalition
  Theories and Cabinet Formations*): among winning coalitions, those spanning the smallest
  distance between their extreme members on the issue. Every minimal-range winning coalition
  contains a minimal connected winning one of no larger range, so the minimal connected winning
  coalitions ranked by range list them; ``minimal`` marks those at the smallest range.

Minimal winning coalitions can be astronomically many (``C(n, n/2)`` for equal weights), so their
enumeration takes an explicit ``cap`` and raises :class:`EnumerationLimitError` beyond it, saying
how many there are. Connected coalitions are intervals, at most ``n`` of them: no cap needed.

Blocs of actors with close positions are found by :mod:`allegiance.coalitions.blocs`.

Example
-------
>>> mwc = minimal_winning_coalitions([4, 4, 4, 2, 2, 1], quota=12)
>>> [c.members for c in mwc][:2]
[(0, 1, 2), (0, 1, 3, 4)]
>>> [c.members for c in minimal_connected_winning([3, 2, 2, 1], [0, 30, 60, 100], rule="simple")]
[(0, 1), (1, 2, 3)]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from allegiance.coalitions.blocs import Bloc, blocs, blocs_across_issues
from allegiance.coalitions.power import WeightedGame
from allegiance.models.base import ParameterError

__all__ = [
    "Bloc",
    "CandidateCoalition",
    "EnumerationLimitError",
    "blocs",
    "blocs_across_issues",
    "count_minimal_winning",
    "minimal_connected_winning",
    "minimal_range_winning",
    "minimal_winning_coalitions",
]

#: Default cap on the number of coalitions a listing may enumerate.
DEFAULT_CAP = 10_000


class EnumerationLimitError(ParameterError):
    """Listing the coalitions would exceed the cap; the message says how many there are."""


@dataclass
class CandidateCoalition:
    """One candidate coalition: members (actor indices) and the numbers it is ranked by."""

    members: tuple[int, ...]
    labels: tuple[str, ...]
    weight: float
    share: float
    range: float | None = None
    rank: int = 0
    minimal: bool = True
    theory: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["members"] = list(self.members)
        data["labels"] = list(self.labels)
        return data


def _game(weights, quota, rule, labels) -> WeightedGame:
    return WeightedGame(weights, quota, rule=rule, labels=labels)


def _check_cap(cap: int) -> int:
    if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 1:
        raise ParameterError(f"cap must be a positive integer; got {cap!r}")
    return int(cap)


def count_minimal_winning(weights, quota: float | None = None, *, rule=None) -> int | None:
    """The number of minimal winning coalitions, counted without listing them.

    A coalition is minimal winning exactly when, listing its members heaviest first, the last
    member is the first to bring the total to the quota. So the count is, over each actor ``j``
    (in decreasing weight order), the number of subsets of the actors before ``j`` whose weight
    lies in ``[q - w_j, q)`` — a subset-sum count over integer weights (Python integers, exact).
    Returns ``None`` when the weights are not exactly integers after scaling (then only the
    capped listing tells).
    """
    game = WeightedGame(weights, quota, rule=rule)
    integer = game.integer_game(shapley=False)
    if not integer.exact:
        return None
    ints = integer.weights
    order = np.argsort(-ints, kind="stable")
    q = integer.quota
    # counts[k]: subsets of the actors seen so far with weight k < q (exact Python integers)
    counts = np.zeros(q, dtype=object)
    counts[:] = 0
    counts[0] = 1
    total = 0
    for j in order:
        w = int(ints[j])
        if w == 0:
            continue  # a zero-weight actor is never needed: in no minimal winning coalition
        total += int(counts[max(q - w, 0): q].sum())
        if w < q:
            counts[w:] = counts[w:] + counts[: q - w]
    return int(total)


def minimal_winning_coalitions(
    weights, quota: float | None = None, *, rule=None, labels=None, cap: int = DEFAULT_CAP,
) -> list[CandidateCoalition]:
    """All minimal winning coalitions, ranked by Riker's size principle (smallest weight first).

    Depth-first search over actors in decreasing weight order, including or excluding each;
    a branch stops as soon as its weight reaches the quota (the coalition is then minimal winning:
    its lightest member, the last added, was needed) and is pruned when even all remaining actors
    could not reach it, so the work is at most ``n`` steps per coalition listed.

    Raises :class:`EnumerationLimitError` when there are more than ``cap``.

    >>> [c.labels for c in minimal_winning_coalitions([3, 2, 2], rule="simple",
    ...                                                labels=["a", "b", "c"])]
    [('b', 'c'), ('a', 'b'), ('a', 'c')]
    """
    cap = _check_cap(cap)
    game = _game(weights, quota, rule, labels)
    values = game.weights
    order = np.argsort(-values, kind="stable")
    order = order[values[order] > 0]
    sorted_weights = values[order]
    suffix = np.concatenate([np.cumsum(sorted_weights[::-1])[::-1], [0.0]])
    tolerance = 1e-9 * game.total
    threshold = game.threshold

    def reaches(weight: float) -> bool:
        if game.rule.strict:
            return weight > threshold + tolerance
        return weight >= threshold - tolerance

    found: list[tuple[int, ...]] = []
    stack: list[tuple[int, float, tuple[int, ...]]] = [(0, 0.0, ())]
    while stack:
        position, weight, members = stack.pop()
        if position == len(order) or not reaches(weight + suffix[position]):
            continue
        actor = int(order[position])
        with_actor = weight + sorted_weights[position]
        # exclude first on the stack so that the "include" branch is explored first
        stack.append((position + 1, weight, members))
        if reaches(with_actor):
            found.append(members + (actor,))
            if len(found) > cap:
                count = count_minimal_winning(values, quota, rule=rule)
                how_many = f"{count:,}" if count is not None else f"more than {cap:,}"
                raise EnumerationLimitError(
                    f"there are {how_many} minimal winning coalitions, more than the cap of "
                    f"{cap:,}; raise the cap or restrict the analysis to fewer actors"
                )
        else:
            stack.append((position + 1, with_actor, members + (actor,)))
    total = game.total
    coalitions = [
        CandidateCoalition(
            members=tuple(sorted(m)),
            labels=tuple(game.labels[i] for i in sorted(m)),
            weight=float(values[list(m)].sum()),
            share=float(values[list(m)].sum() / total),
            theory="minimal winning (Riker)",
        )
        for m in found
    ]
    coalitions.sort(key=lambda c: (round(c.weight, 9), len(c.members), c.members))
    smallest = coalitions[0].weight if coalitions else math.nan
    for rank, coalition in enumerate(coalitions, start=1):
        coalition.rank = rank
        coalition.minimal = bool(abs(coalition.weight - smallest) <= tolerance)
    return coalitions


def _position_blocks(positions: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, list]:
    """Distinct positions of present actors (sorted) and, for each, the actors there."""
    places = np.unique(positions[present])
    members = [np.flatnonzero(present & (positions == place)) for place in places]
    return places, members


def minimal_connected_winning(
    weights, positions, quota: float | None = None, *, rule=None, labels=None, present=None,
) -> list[CandidateCoalition]:
    """Minimal connected winning coalitions along one issue (Axelrod), ranked by weight.

    ``positions`` orders the actors; actors not ``present`` on the issue are left out (they take
    no place on the ordering and cannot join). Returned coalitions carry their ``range`` (distance
    between extreme members).

    >>> [c.labels for c in minimal_connected_winning([1, 1, 1], [0, 50, 100],
    ...                                              rule="simple", labels="abc")]
    [('a', 'b'), ('b', 'c')]
    """
    game = _game(weights, quota, rule, list(labels) if labels is not None else None)
    positions = np.asarray(positions, dtype=float)
    if positions.shape != game.weights.shape:
        raise ParameterError(
            f"positions must have one value per actor ({game.n_players}); got {positions.shape}"
        )
    if not np.all(np.isfinite(positions)):
        raise ParameterError("positions must be finite")
    keep = np.ones(game.n_players, dtype=bool) if present is None else np.asarray(present, bool)
    places, blocks = _position_blocks(positions, keep)
    block_weight = np.array([game.weights[b].sum() for b in blocks])
    m = len(places)
    cumulative = np.concatenate([[0.0], np.cumsum(block_weight)])
    # interval [a, b] of places: weight cumulative[b + 1] - cumulative[a]
    first, last = np.triu_indices(m)
    interval_weight = cumulative[last + 1] - cumulative[first]
    tolerance = 1e-9 * game.total
    threshold = game.threshold

    def reaches(weight):
        if game.rule.strict:
            return weight > threshold + tolerance
        return weight >= threshold - tolerance

    wins = reaches(interval_weight)
    drop_first = np.where(first < last, cumulative[last + 1] - cumulative[np.minimum(first + 1, m)],
                          0.0)
    drop_last = np.where(first < last, cumulative[last] - cumulative[first], 0.0)
    minimal = wins & ~reaches(drop_first) & ~reaches(drop_last)
    coalitions = []
    for a, b in zip(first[minimal], last[minimal], strict=True):
        members = tuple(sorted(int(i) for block in blocks[a: b + 1] for i in block))
        weight = float(game.weights[list(members)].sum())
        coalitions.append(CandidateCoalition(
            members=members,
            labels=tuple(game.labels[i] for i in members),
            weight=weight,
            share=weight / game.total,
            range=float(places[b] - places[a]),
            theory="minimal connected winning (Axelrod)",
        ))
    coalitions.sort(key=lambda c: (round(c.weight, 9), c.range, c.members))
    for rank, coalition in enumerate(coalitions, start=1):
        coalition.rank = rank
    return coalitions


def minimal_range_winning(
    weights, positions, quota: float | None = None, *, rule=None, labels=None, present=None,
) -> list[CandidateCoalition]:
    """Winning coalitions of smallest range on one issue (Leiserson, de Swaan).

    The minimal connected winning coalitions ranked by range (then weight); ``minimal`` is True
    for those whose range is the smallest any winning coalition has.

    >>> best = minimal_range_winning([1, 1, 1], [0, 40, 100], rule="simple", labels="abc")
    >>> [(c.labels, c.range, c.minimal) for c in best]
    [(('a', 'b'), 40.0, True), (('b', 'c'), 60.0, False)]
    """
    coalitions = minimal_connected_winning(
        weights, positions, quota, rule=rule, labels=labels, present=present
    )
    coalitions.sort(key=lambda c: (c.range, round(c.weight, 9), c.members))
    smallest = coalitions[0].range if coalitions else math.nan
    for rank, coalition in enumerate(coalitions, start=1):
        coalition.rank = rank
        coalition.minimal = bool(math.isclose(coalition.range, smallest, abs_tol=1e-12))
        coalition.theory = "minimal range (Leiserson, de Swaan)"
    return coalitions
