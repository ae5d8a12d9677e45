"""Search: the fewest and cheapest changes that meet all three conditions, for any model.

Stability and "the forecast moves there" are not linear (absolute distances, and for the
iterative models a simulation), so the full question is answered by a seeded, batched search in
which every step evaluates all its candidates in one call of the model over the batch axis:

1. **Starting points.** The scenario itself and the exact capability plans of
   :mod:`allegiance.levers.exact` (every full solution must make the coalition winning).
2. **Screening.** From each starting point, every allowed estimate is moved alone to ``grid``
   evenly spaced values across its bounds. A feasible candidate is kept; each estimate is scored
   by how much it lowers the violation (:mod:`allegiance.levers.conditions`).
3. **Combinations.** The best-scoring estimates (a shortlist) are combined in sets of up to
   ``budget`` estimates (together with a starting point's changes); each set gets its box's
   corners and seeded uniform random points (``numpy.random.default_rng(seed)``).
4. **Refinement.** Each of the cheapest feasible candidates per set is pulled back towards the
   scenario's values by bisection — first all its moves together, then each move alone, twice
   round — keeping only feasible points; a move that can be undone entirely is dropped (fewer
   changes). Bisection along a move is exact when the conditions change monotonically along it,
   which holds for capability and position moves under the compromise model; otherwise it
   returns a feasible point no dearer than the one it started from.
5. **Local search.** Bisection cannot trade one move against another along the boundary of the
   feasible region (a little more of one, a little less of the other), so each refined point then
   takes Gaussian steps on its own changes (a batched (1 + λ) evolution strategy: Rechenberg,
   *Evolutionsstrategie*, 1973; Beyer & Schwefel, "Evolution strategies", *Natural Computing* 1,
   2002), all of them evaluated in one call per round, and moves to its cheapest feasible step;
   the result is refined by bisection once more.
The result is the set of distinct feasible supports found, each with its cheapest point. The
search is a heuristic (a found answer is verified, a missing one is "none found"), except where
the exact programme proves that no capability change can make the coalition win.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from allegiance.levers.conditions import Evaluator
from allegiance.levers.exact import CapabilityPlan
from allegiance.levers.space import LeverSpace

BISECTION_STEPS = 24


@dataclass
class Candidate:
    values: np.ndarray  # (P,)
    support: tuple[int, ...]
    cost: float


def _support(space: LeverSpace, values: np.ndarray) -> np.ndarray:
    """``(N, P)`` bool: which parameters a candidate changes."""
    tol = 1e-12 * np.maximum(1.0, np.abs(space.value))
    return np.abs(values - space.value) > tol


#: A move smaller than this share of its cost unit is numerical noise: it is undone (when the
#: candidate stays feasible without it).
NEGLIGIBLE = 1e-6


def _collect(space: LeverSpace, values: np.ndarray, feasible: np.ndarray,
             found: dict[tuple[int, ...], Candidate], evaluate: Evaluator | None = None) -> None:
    if not feasible.any():
        return
    chosen = values[feasible]
    if evaluate is not None:
        tiny = _support(space, chosen) & (space.cost(chosen) < NEGLIGIBLE)
        if tiny.any():
            rows = tiny.any(axis=1)
            snapped = np.where(tiny[rows], space.value, chosen[rows])
            keep = evaluate(snapped).satisfied
            chosen[np.flatnonzero(rows)[keep]] = snapped[keep]
    costs = space.cost(chosen)
    changed = _support(space, chosen)
    total = np.where(changed, costs, 0.0).sum(axis=1)
    for row, cost, mask in zip(chosen, total, changed, strict=True):
        support = tuple(int(j) for j in np.flatnonzero(mask))
        best = found.get(support)
        if best is None or cost < best.cost - 1e-12:
            found[support] = Candidate(row.copy(), support, float(cost))


def _refine(space: LeverSpace, evaluate: Evaluator, points: np.ndarray, steps: int
            ) -> np.ndarray:
    """Pull each feasible point of ``points`` ``(N, P)`` towards the scenario's values."""
    value = space.value
    current = points.copy()

    def shrink(directions: list[np.ndarray]) -> None:
        nonlocal current
        for direction in directions:  # (N, P) bool: which coordinates move together
            target = np.where(direction, value, current)
            trial = evaluate(target).satisfied
            current = np.where(trial[:, None], target, current)
            low = np.zeros(len(current))
            high = np.where(trial, 0.0, 1.0)
            start = current.copy()
            for _ in range(steps):
                mid = (low + high) / 2
                moved = np.where(direction, value + mid[:, None] * (start - value), start)
                ok = evaluate(moved).satisfied & (high > 0)
                high = np.where(ok, mid, high)
                low = np.where(ok, low, mid)
            current = np.where(direction, value + high[:, None] * (start - value), start)

    changed = _support(space, current)
    shrink([changed])
    for _ in range(2):
        changed = _support(space, current)
        order = [np.zeros_like(changed) for _ in range(changed.sum(axis=1).max(initial=0))]
        for n, row in enumerate(changed):
            for slot, j in enumerate(np.flatnonzero(row)):
                order[slot][n, j] = True
        shrink(order)
    return current


def search(space: LeverSpace, evaluate: Evaluator, *, low: np.ndarray, high: np.ndarray,
           budget: int, seed: int, plans: list[CapabilityPlan], max_evaluations: int = 200_000,
           grid: int = 9, shortlist: int = 10, refine_top: int = 24,
           steps: int = BISECTION_STEPS, local_samples: int = 0) -> list[Candidate]:
    """Distinct feasible supports found (cheapest point of each), sorted by (count, cost)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(7,)))
    found: dict[tuple[int, ...], Candidate] = {}
    value = space.value
    movable = [int(j) for j in space.movable_index if high[j] > low[j]]
    starts = [value.copy()] + [p.values for p in plans]
    start_supports = [()] + [p.support for p in plans]
    base = evaluate(np.array(starts))
    _collect(space, np.array(starts), base.satisfied, found)
    if () in found:
        return [found[()]]

    # screening: one estimate at a time from every starting point
    fractions = np.linspace(0.0, 1.0, grid)
    rows, owner = [], []
    for s, start in enumerate(starts):
        if len(start_supports[s]) >= budget:
            continue
        for j in movable:
            for t in fractions:
                x = low[j] + t * (high[j] - low[j])
                if abs(x - start[j]) <= 1e-12 * max(1.0, abs(x)):
                    continue
                row = start.copy()
                row[j] = x
                rows.append(row)
                owner.append((s, j))
    score = dict.fromkeys(movable, np.inf)
    if rows:
        screen_values = np.array(rows)
        screened = evaluate(screen_values)
        _collect(space, screen_values, screened.satisfied, found)
        for (s, j), violation in zip(owner, screened.violation, strict=True):
            score[j] = min(score[j], violation - base.violation[s])
    ranked = sorted((j for j in movable if np.isfinite(score[j]) and score[j] < 0),
                    key=lambda j: (score[j], j))
    short = list(dict.fromkeys(ranked[:shortlist] + [j for p in plans for j in p.support
                                                     if j in movable]))

    # combinations of shortlisted estimates on top of each starting point
    jobs = []
    for s in range(len(starts)):
        room = budget - len(start_supports[s])
        pool = [j for j in short if j not in start_supports[s]]
        for size in range(2 if s == 0 else 1, room + 1):
            jobs.extend((s, combo) for combo in combinations(pool, size))
    spent = evaluate.evaluations
    if jobs:
        per_job = max(4, (max_evaluations - spent) // (2 * len(jobs)))
        rows = []
        for s, combo in jobs:
            index = list(combo)
            n_random = max(0, per_job - 2 ** len(index)) if len(index) <= 4 else per_job
            corners = (np.array(np.meshgrid(*[[0.0, 1.0]] * len(index))).reshape(len(index), -1).T
                       if len(index) <= 4 else np.zeros((0, len(index))))
            unit = np.vstack([corners, rng.random((n_random, len(index)))])
            block = np.repeat(starts[s][None, :], len(unit), axis=0)
            block[:, index] = low[index] + unit * (high[index] - low[index])
            rows.append(block)
        combo_values = np.vstack(rows)
        combined = evaluate(combo_values)
        _collect(space, combo_values, combined.satisfied, found)

    # refinement of the cheapest feasible candidate of each support, then a local search along
    # the boundary of the feasible region, then refinement again
    if found:
        best = sorted(found.values(), key=lambda c: (len(c.support), c.cost))[:refine_top]
        refined = _refine(space, evaluate, np.array([c.values for c in best]), steps)
        _collect(space, refined, evaluate(refined).satisfied, found, evaluate)
        if local_samples:
            moved = _local_search(space, evaluate, refined, low, high, rng, local_samples)
            if not np.array_equal(moved, refined):
                again = _refine(space, evaluate, moved, steps)
                _collect(space, again, evaluate(again).satisfied, found, evaluate)
    return sorted(found.values(), key=lambda c: (len(c.support), c.cost, c.support))


def _local_search(space: LeverSpace, evaluate: Evaluator, points: np.ndarray, low: np.ndarray,
                  high: np.ndarray, rng: np.random.Generator, samples: int,
                  rounds: int = 4) -> np.ndarray:
    """A batched (1 + λ) evolution strategy on each point's own changes: ``samples`` Gaussian
    steps (a quarter of a cost unit, halved every round) around each point, all evaluated in one
    call; a point moves to its cheapest feasible step when that is cheaper."""
    current = points.copy()
    satisfied = evaluate(current).satisfied
    changed = _support(space, current) & satisfied[:, None]
    if not changed.any():
        return current
    unit = (space.unit_up + space.unit_down) / 2
    cost = np.where(changed, space.cost(current), 0.0).sum(axis=1)
    n, p = current.shape
    for r in range(rounds):
        radius = 0.25 / 2 ** r
        steps = rng.standard_normal((n, samples, p)) * radius * unit * changed[:, None, :]
        trial = np.clip(current[:, None, :] + steps, low, high).reshape(n * samples, p)
        verdicts = evaluate(trial)
        trial_cost = np.where(changed.repeat(samples, axis=0), space.cost(trial), 0.0).sum(axis=1)
        trial_cost = np.where(verdicts.satisfied, trial_cost, np.inf).reshape(n, samples)
        pick = trial_cost.argmin(axis=1)
        better = trial_cost[np.arange(n), pick] < cost - 1e-12
        chosen = trial.reshape(n, samples, p)[np.arange(n), pick]
        current = np.where(better[:, None], chosen, current)
        cost = np.where(better, trial_cost[np.arange(n), pick], cost)
    return current

