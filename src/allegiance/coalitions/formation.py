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

**Blocs** are groups of actors whose (final) positions lie within a tolerance of each other: on
one issue, consecutive positions at most ``tolerance × scale width`` apart chain into one bloc
(single linkage); across issues, two actors are linked when they are within the tolerance on
every issue where both are present. Each bloc reports its diameter, so chaining is visible.

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
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

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


# --------------------------------------------------------------------------------------------
# Blocs
# --------------------------------------------------------------------------------------------


@dataclass
class Bloc:
    """Actors whose positions lie within the tolerance of each other (single linkage)."""

    members: tuple[int, ...]
    labels: tuple[str, ...]
    issue: str | None  # None: across all issues
    center: dict[str, float] = field(default_factory=dict)  # mean position per issue
    diameter: dict[str, float] = field(default_factory=dict)  # max - min per issue

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["members"] = list(self.members)
        data["labels"] = list(self.labels)
        return data


def _final_positions(result) -> np.ndarray:
    """Final positions ``(n_actors, n_issues)`` of a ModelResult, Forecast or array."""
    if hasattr(result, "positions"):
        positions = result.positions
        positions = positions() if callable(positions) else positions
        positions = np.asarray(positions, dtype=float)
        if positions.ndim >= 3:
            positions = positions[..., -1, :, :]
        return positions
    return np.asarray(result, dtype=float)


def _check_tolerance(tolerance: float) -> float:
    try:
        value = float(tolerance)
    except (TypeError, ValueError):
        raise ParameterError(f"tolerance must be a number; got {tolerance!r}") from None
    if not 0 <= value <= 1:
        raise ParameterError(f"tolerance is a share of the scale width in [0, 1]; got {value!r}")
    return value


def _bloc_from(members, labels, issue, positions, issue_ids, present) -> Bloc:
    center, diameter = {}, {}
    for k, issue_id in enumerate(issue_ids):
        here = [i for i in members if present[i, k]]
        if here:
            values = positions[here, k]
            center[issue_id] = float(values.mean())
            diameter[issue_id] = float(values.max() - values.min())
    return Bloc(tuple(members), tuple(labels[i] for i in members), issue, center, diameter)


def blocs(
    result, arrays, *, tolerance: float = 0.05, min_size: int = 2,
) -> dict[str, list[Bloc]]:
    """Per issue, the blocs of actors whose final positions chain within ``tolerance``.

    ``result`` is a :class:`~allegiance.models.base.ModelResult` (its last round is used), a
    Forecast, or a ``(n_actors, n_issues)`` array of positions; ``arrays`` the
    :class:`~allegiance.scenario.arrays.ScenarioArrays` it came from (labels, scales, presence).
    ``tolerance`` is a share of each issue's scale width. Blocs smaller than ``min_size`` (lone
    actors) are omitted. Largest blocs first.
    """
    tolerance = _check_tolerance(tolerance)
    positions = _final_positions(result)
    if positions.shape != (arrays.n_actors, arrays.n_issues):
        raise ParameterError(
            f"final positions must be (n_actors, n_issues) = {(arrays.n_actors, arrays.n_issues)};"
            f" got {positions.shape} (select one batch item first)"
        )
    width = arrays.scale_high - arrays.scale_low
    out: dict[str, list[Bloc]] = {}
    for k, issue_id in enumerate(arrays.issue_ids):
        present = np.flatnonzero(arrays.present[:, k])
        order = present[np.argsort(positions[present, k], kind="stable")]
        gaps = np.diff(positions[order, k]) > tolerance * width[k] + 1e-12 * width[k]
        labels_of_group = np.concatenate([[0], np.cumsum(gaps)]) if order.size else np.array([])
        found = []
        for g in np.unique(labels_of_group):
            members = sorted(int(i) for i in order[labels_of_group == g])
            if len(members) >= min_size:
                found.append(_bloc_from(members, arrays.actor_ids, issue_id, positions,
                                        arrays.issue_ids, arrays.present))
        found.sort(key=lambda b: (-len(b.members), b.members))
        out[issue_id] = found
    return out


def blocs_across_issues(
    result, arrays, *, tolerance: float = 0.05, min_size: int = 2,
) -> list[Bloc]:
    """Blocs across all issues: actors linked when within ``tolerance`` on every shared issue.

    Two actors are linked when, on every issue where both are present, their final positions are
    at most ``tolerance × scale width`` apart (and they share at least one issue); blocs are the
    connected components of that graph. Largest first.
    """
    tolerance = _check_tolerance(tolerance)
    positions = _final_positions(result)
    if positions.shape != (arrays.n_actors, arrays.n_issues):
        raise ParameterError(
            f"final positions must be (n_actors, n_issues) = {(arrays.n_actors, arrays.n_issues)};"
            f" got {positions.shape}"
        )
    width = np.where(arrays.scale_high > arrays.scale_low, arrays.scale_high - arrays.scale_low,
                     1.0)
    scaled = positions / width
    both = arrays.present[:, None, :] & arrays.present[None, :, :]
    distance = np.abs(scaled[:, None, :] - scaled[None, :, :])
    close = np.where(both, distance <= tolerance + 1e-12, True).all(axis=-1) & both.any(axis=-1)
    _, component = connected_components(close, directed=False)
    found = []
    for g in np.unique(component):
        members = [int(i) for i in np.flatnonzero(component == g)]
        if len(members) >= min_size:
            found.append(_bloc_from(members, arrays.actor_ids, None, positions,
                                    arrays.issue_ids, arrays.present))
    found.sort(key=lambda b: (-len(b.members), b.members))
    return found
