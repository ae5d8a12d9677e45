"""Baseline models: the compromise model (weighted mean) and Black's weighted median.

Every later model is compared with these. Both are static: a single round 0 with the input
positions, and the outcome computed from them.

- :class:`CompromiseModel` ("mean"): the capability × salience weighted mean of positions
  (Achen 2006, "Institutional realism and bargaining models", in Thomson et al., *The European
  Union Decides*; van den Bos 1991). Known to be hard to beat on the DEU data.
- :class:`MedianModel` ("median"): the weighted median — the position from which no weighted
  majority prefers to move on a single dimension with single-peaked preferences (Black 1948,
  "On the rationale of group decision-making", *J. Political Economy* 56(1)). Weights are
  capability × salience by default.

Example
-------
>>> import numpy as np
>>> from allegiance.scenario.arrays import ScenarioArrays
>>> arrays = ScenarioArrays(("a", "b", "c"), ("x",), position=[[0.0], [50.0], [100.0]],
...     salience=[[1.0], [1.0], [1.0]], capability=[[1.0], [1.0], [3.0]],
...     scale_low=[0.0], scale_high=[100.0])
>>> float(CompromiseModel().run(arrays).outcome[0])
70.0
>>> float(MedianModel().run(arrays).outcome[0])
100.0
"""

from __future__ import annotations

import numpy as np

from allegiance.models.base import Model, ModelResult, check_choice
from allegiance.scenario.arrays import ScenarioArrays

WEIGHTINGS = ("capability*salience", "capability", "equal")


def _weights(arrays: ScenarioArrays, weighting: str) -> np.ndarray:
    present = arrays.present.astype(float)
    if weighting == "capability*salience":
        return arrays.capability * arrays.salience * present
    if weighting == "capability":
        return arrays.capability * present
    return np.broadcast_to(present, arrays.position.shape)


def weighted_mean(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted mean over the actor axis (-2); the plain mean where the weights sum to 0."""
    total = weight.sum(axis=-2)
    plain = position.mean(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weight * position).sum(axis=-2) / total
    return np.where(total > 0, mean, plain)


def weighted_median(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted median over the actor axis (-2), vectorised over leading and trailing axes.

    The median is the smallest position at which the cumulative weight reaches half of the total;
    where the cumulative weight equals exactly half, the midpoint of the two middle positions is
    returned (the usual convention for an even split).
    """
    order = np.argsort(position, axis=-2, kind="stable")
    sorted_pos = np.take_along_axis(position, order, axis=-2)
    sorted_w = np.take_along_axis(weight, order, axis=-2)
    cumulative = np.cumsum(sorted_w, axis=-2)
    total = cumulative[..., -1:, :]
    half = total / 2.0
    tol = 1e-12 * total  # relative: the median does not change when every weight is rescaled
    first = np.argmax(cumulative >= half - tol, axis=-2)  # (..., n_issues)
    lower = np.take_along_axis(sorted_pos, first[..., None, :], axis=-2)[..., 0, :]
    exact = np.abs(np.take_along_axis(cumulative, first[..., None, :], axis=-2)[..., 0, :]
                   - half[..., 0, :]) <= tol[..., 0, :]
    # next position holding positive weight above `first`
    n = position.shape[-2]
    idx = np.arange(n).reshape((1,) * (position.ndim - 2) + (n, 1))
    later = (idx > first[..., None, :]) & (sorted_w > 0)
    nxt = np.where(later.any(axis=-2), np.argmax(later, axis=-2), first)
    upper = np.take_along_axis(sorted_pos, nxt[..., None, :], axis=-2)[..., 0, :]
    median = np.where(exact, (lower + upper) / 2.0, lower)
    return np.where(total[..., 0, :] > 0, median, np.median(position, axis=-2))


class _StaticModel(Model):
    statistic: str

    def __init__(self, *, weighting: str = "capability*salience") -> None:
        self.weighting = check_choice("weighting", weighting, WEIGHTINGS)

    def _outcome(self, position: np.ndarray, weight: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        weight = _weights(arrays, self.weighting)
        outcome = self._outcome(arrays.position, weight)
        return ModelResult(
            positions=arrays.position[..., None, :, :].copy(),
            outcome=outcome,
            outcome_statistic=self.statistic.format(weighting=self.weighting),
            n_rounds=np.zeros(arrays.batch_shape, dtype=int),
        )


class CompromiseModel(_StaticModel):
    name = "mean"
    summary = "Compromise model: capability × salience weighted mean of positions (static)."
    statistic = "{weighting} weighted mean of the actors' positions"

    def _outcome(self, position, weight):
        return weighted_mean(position, weight)


class MedianModel(_StaticModel):
    name = "median"
    summary = "Black's weighted median: the position no weighted majority would leave (static)."
    statistic = "{weighting} weighted median of the actors' positions"

    def _outcome(self, position, weight):
        return weighted_median(position, weight)
