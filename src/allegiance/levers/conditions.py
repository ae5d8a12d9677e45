"""The three conditions a coalition must meet, evaluated on thousands of candidate scenarios at
once.

A candidate is a vector of parameter values (one per estimate, see :mod:`allegiance.levers.space`);
a batch of candidates ``(N, P)`` becomes batched arrays ``(N, n_actors, n_issues)`` through the
Monte Carlo sampler's mapping, and the model runs once on the whole batch (twice: without and
with the coalition). The conditions are the coalition layer's, computed by its own functions
(:func:`~allegiance.coalitions.utility.wins_on_issues`,
:func:`~allegiance.coalitions.utility.agreed_position`,
:func:`~allegiance.coalitions.utility.acting_as_one`,
:func:`~allegiance.coalitions.utility.utility`):

- **(a) winning**: the members' weight meets the quota rule on every issue anyone weighs;
- **(b) stable**: every member gains by joining, ``U_i(agreed) - U_i(forecast) >= 0`` (the same
  ``-1e-12`` slack as the coalition report);
- **(c) the forecast moves there**: with the members acting as one at their agreed position, the
  model's forecast on every issue lies within ``tolerance`` × the issue's scale width of the
  agreed position (issues no member cares about are not counted).

``violation`` sums the shortfalls (share of the total weight missing for the quota, utility
missing for each member, scale share beyond the tolerance): 0 exactly when all three hold. The
search minimises cost subject to ``violation == 0`` and uses ``violation`` to rank moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allegiance.coalitions.quota import QuotaRule
from allegiance.coalitions.utility import (
    acting_as_one,
    agreed_position,
    game_weights,
    utility,
    wins_on_issues,
)
from allegiance.levers.space import LeverSpace
from allegiance.models.base import Model

#: Candidates per model call (bounds memory: a batch of arrays is N × actors × issues × rounds).
CHUNK = 4096


@dataclass
class Verdicts:
    """The conditions on a batch of candidates (every array has the batch axis first)."""

    wins: np.ndarray  # (N, n_issues) bool
    quota_gap: np.ndarray  # (N, n_issues) share of total weight missing (0 where won)
    gain: np.ndarray  # (N, n_members)
    deviation: np.ndarray  # (N, n_issues) |outcome with - agreed| / width (0 where no agreed)
    forecast: np.ndarray  # (N, n_issues)
    outcome_with: np.ndarray  # (N, n_issues)
    agreed: np.ndarray  # (N, n_issues), NaN where no member cares
    winning: np.ndarray  # (N,) condition (a)
    stable: np.ndarray  # (N,) condition (b)
    moves_there: np.ndarray  # (N,) condition (c)
    violation: np.ndarray  # (N,)

    @property
    def satisfied(self) -> np.ndarray:
        return self.winning & self.stable & self.moves_there

    def take(self, index) -> Verdicts:
        return Verdicts(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})


class Evaluator:
    """Evaluate the conditions (a)-(c) for the coalition ``mask`` on batches of candidates."""

    def __init__(self, space: LeverSpace, mask: np.ndarray, *, model: Model, rule: QuotaRule,
                 weighting: str, tolerance: float, seed: int) -> None:
        self.space = space
        self.mask = np.asarray(mask, dtype=bool)
        self.model = model
        self.rule = rule
        self.weighting = weighting
        self.tolerance = float(tolerance)
        self.seed = seed
        base = space.sampler.base
        width = base.scale_high - base.scale_low
        self.width = np.where(width > 0, width, 1.0)
        self.evaluations = 0

    def __call__(self, values: np.ndarray) -> Verdicts:
        values = np.atleast_2d(np.asarray(values, dtype=float))
        parts = [self._evaluate(values[i:i + CHUNK]) for i in range(0, len(values), CHUNK)]
        if len(parts) == 1:
            return parts[0]
        return Verdicts(**{name: np.concatenate([getattr(p, name) for p in parts])
                           for name in Verdicts.__dataclass_fields__})

    def _evaluate(self, values: np.ndarray) -> Verdicts:
        self.evaluations += len(values)
        arrays = self.space.sampler.arrays(values)
        weights = game_weights(arrays, self.weighting)
        wins = wins_on_issues(weights, self.mask, self.rule)
        total = weights.sum(axis=-2)
        member = (weights * self.mask[:, None]).sum(axis=-2)
        active = total > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(active, member / total, 0.0)
        if self.rule.fraction is not None:
            need = float(self.rule.fraction)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                need = np.where(active, float(self.rule.absolute) / total, 1.0)
        quota_gap = np.where(wins | ~active, 0.0, np.maximum(need - share, 0.0) + 1e-6)
        forecast = np.asarray(self.model.run(arrays, random_state=self.seed).outcome, dtype=float)
        agreed, _ = agreed_position(arrays, self.mask)
        cares = np.isfinite(agreed)
        agreed_or_forecast = np.where(cares, agreed, forecast)
        outcome_with = np.asarray(
            self.model.run(acting_as_one(arrays, self.mask, agreed), random_state=self.seed
                           ).outcome, dtype=float)
        gain = (utility(arrays, agreed_or_forecast[:, None, :])
                - utility(arrays, forecast[:, None, :]))[:, self.mask]
        deviation = np.where(cares, np.abs(outcome_with - agreed_or_forecast) / self.width, 0.0)
        winning = np.where(active, wins, True).all(axis=-1) & active.any(axis=-1)
        stable = (gain >= -1e-12).all(axis=-1)
        moves_there = (deviation <= self.tolerance + 1e-12).all(axis=-1)
        violation = (quota_gap.sum(axis=-1) + np.maximum(-gain, 0.0).sum(axis=-1)
                     + np.maximum(deviation - self.tolerance, 0.0).sum(axis=-1))
        violation = np.where(winning & stable & moves_there, 0.0, np.maximum(violation, 1e-9))
        return Verdicts(wins=wins, quota_gap=quota_gap, gain=gain, deviation=deviation,
                        forecast=forecast, outcome_with=outcome_with, agreed=agreed,
                        winning=winning, stable=stable, moves_there=moves_there,
                        violation=violation)
