"""What a coalition's members share, over a scenario's arrays: each actor's utility for an
outcome (salience-weighted closeness), the weighted game's weights, whether a coalition wins on
each issue, the members' agreed position (the compromise model of Achen 2006 applied to them)
and the arrays with the members acting as one.

Pure functions of :class:`~allegiance.scenario.arrays.ScenarioArrays`, batched where noted; the
coalition report (:mod:`allegiance.coalitions.report`) and the lever analyses use them.
"""

from __future__ import annotations

import numpy as np

from allegiance.coalitions.quota import QuotaRule, reaches_quota
from allegiance.scenario.arrays import ScenarioArrays


def utility(arrays: ScenarioArrays, outcome) -> np.ndarray:
    """Every actor's utility for ``outcome`` ``(n_issues,)``: salience-weighted closeness.

    ``U_i(x) = sum_k s_ik (1 - |x_k - p_ik| / width_k) / sum_k s_ik`` over the issues the actor
    is present on; an actor with no salience anywhere gets 1 (indifferent). Unbatched arrays.

    >>> arrays = ScenarioArrays(("a", "b"), ("x", "y"), position=[[0, 0], [100, 100]],
    ...     salience=[[1, 0.5], [1, 1]], capability=[[1, 1], [1, 1]],
    ...     scale_low=[0, 0], scale_high=[100, 100])
    >>> [round(float(u), 3) for u in utility(arrays, [0, 50])]
    [0.833, 0.25]
    """
    outcome = np.asarray(outcome, dtype=float)
    width = arrays.scale_high - arrays.scale_low
    width = np.where(width > 0, width, 1.0)
    closeness = 1.0 - np.abs(outcome - arrays.position) / width
    weight = arrays.salience * arrays.present
    total = weight.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (weight * closeness).sum(axis=-1) / total
    return np.where(total > 0, value, 1.0)


def game_weights(arrays: ScenarioArrays, weighting: str) -> np.ndarray:
    """The weighted game's weights ``(*batch, n_actors, n_issues)``: capability (or capability
    × salience) where the actor is present, 0 elsewhere."""
    base = arrays.capability if weighting == "capability" else arrays.capability * arrays.salience
    return np.where(arrays.present, base, 0.0)


def wins_on_issues(weights: np.ndarray, mask: np.ndarray, rule: QuotaRule) -> np.ndarray:
    """Whether coalition ``mask`` ``(n_actors,)`` wins on each issue: weights
    ``(*batch, n_actors, n_issues)`` -> ``(*batch, n_issues)``; an issue nobody weighs is lost.

    The quota test is :func:`~allegiance.coalitions.quota.reaches_quota` (the one of
    :meth:`~allegiance.coalitions.power.WeightedGame.winning`).
    """
    weights = np.asarray(weights, dtype=float)
    total = weights.sum(axis=-2)
    member = (weights * np.asarray(mask, dtype=bool)[:, None]).sum(axis=-2)
    return (total > 0) & reaches_quota(member, total, rule)


def agreed_position(arrays: ScenarioArrays, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The members' agreed position ``(*batch, n_issues)`` (their capability × salience weighted
    mean; NaN where no member cares) and ``member_present`` ``(n_actors, n_issues)``."""
    member_present = arrays.present & np.asarray(mask, dtype=bool)[:, None]
    pull = arrays.capability * arrays.salience * member_present
    pull_total = pull.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreed = np.where(pull_total > 0, (pull * arrays.position).sum(axis=-2) / pull_total,
                          np.nan)
    return agreed, member_present


def acting_as_one(arrays: ScenarioArrays, mask: np.ndarray, agreed: np.ndarray) -> ScenarioArrays:
    """The arrays with the members' positions moved to the agreed position (they act as one)."""
    member_present = arrays.present & np.asarray(mask, dtype=bool)[:, None]
    agreed = np.asarray(agreed, dtype=float)
    where = member_present & np.isfinite(agreed)[..., None, :]
    moved = np.where(where, np.nan_to_num(agreed)[..., None, :], arrays.position)
    return arrays.with_batch(position=moved)
