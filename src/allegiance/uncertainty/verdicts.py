"""Coalition verdicts over a batch of draws: for each draw, whether a coalition is winning, its
capability share, the position its members could agree on and which members gain by joining.
The definitions are those of the candidate-coalition report (:mod:`allegiance.coalitions.report`),
vectorised over the batch axis of the Monte Carlo and the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from allegiance.coalitions.quota import parse_quota as parse_rule
from allegiance.models.base import ParameterError
from allegiance.scenario.arrays import ScenarioArrays

#: The default quota rule: more than half of the capability on each issue.
DEFAULT_QUOTA = "simple"


#: How coalition verdicts are computed (recorded with every result); the same definitions as the
#: candidate-coalition report of :mod:`allegiance.coalitions.report`, vectorised over draws.
COALITION_RULE = (
    "winning: on every issue with capability present, the members' share of the capability of "
    "the actors present meets the quota rule; share: the mean of those shares; gains by joining: "
    "U(agreed) >= U(forecast), U = salience-weighted closeness to the actor's positions, the "
    "agreed position being the members' capability x salience weighted mean position and the "
    "forecast the model's outcome of the draw"
)


@dataclass(frozen=True)
class Quota:
    """A quota rule in vectorisable form: share ``> fraction`` (strict) or ``>= fraction``."""

    name: str
    fraction: float
    strict: bool
    description: str

    def met(self, share: np.ndarray) -> np.ndarray:
        tolerance = 1e-12
        if self.strict:
            return share > self.fraction + tolerance
        return share >= self.fraction - tolerance


def parse_quota(spec: str | float | Quota | None = None) -> Quota:
    """A quota rule from a name (``simple``, ``two-thirds``...), a share (``0.6``, ``"60%"``,
    ``"3/5"``; a leading ``>`` makes it strict) or None (the simple majority, ``> 1/2``).

    Names and syntax are those of :func:`allegiance.coalitions.quota.parse_quota`; absolute
    (weight) quotas are not accepted here since the draws change the total weight.

    >>> parse_quota(None).met(np.array([0.5, 0.51])).tolist()
    [False, True]
    >>> parse_quota("two-thirds").strict
    False
    """
    if isinstance(spec, Quota):
        return spec
    rule = parse_rule(spec)
    if rule.fraction is None:  # pragma: no cover - parse_rule only gives shares
        raise ParameterError("the Monte Carlo needs a quota as a share of the total weight")
    return Quota(rule.name, float(rule.fraction), bool(rule.strict), rule.describe())


def utility(arrays: ScenarioArrays, outcome: np.ndarray,
            actors: Sequence[int] | None = None) -> np.ndarray:
    """``(*batch, n)`` utility of ``outcome`` ``(*batch, n_issues)`` to each of ``actors`` (default
    all): ``U_i(x) = Σ_k s_ik (1 - |x_k - p_ik| / width_k) / Σ_k s_ik`` over the issues the actor
    is present on (1 for an actor with no salience anywhere)."""
    pick = slice(None) if actors is None else list(actors)
    width = arrays.scale_high - arrays.scale_low
    width = np.where(width > 0, width, 1.0)
    position = arrays.position[..., pick, :]
    closeness = 1.0 - np.abs(np.asarray(outcome)[..., None, :] - position) / width
    weight = arrays.salience[..., pick, :] * arrays.present[pick]
    total = weight.sum(axis=-1)
    value = (weight * closeness).sum(axis=-1) / np.where(total > 0, total, 1.0)
    return np.where(total > 0, value, 1.0)


def coalition_verdicts(arrays: ScenarioArrays, outcome: np.ndarray, members: Sequence[int],
                       quota: str | float | Quota | None = DEFAULT_QUOTA
                       ) -> dict[str, np.ndarray]:
    """Verdicts on one coalition for every item of a batch.

    Parameters
    ----------
    arrays:
        The (drawn) scenario arrays, batch shape ``(*batch,)``.
    outcome:
        ``(*batch, n_issues)`` the model's forecast for each draw (the outcome without the
        coalition).
    members:
        Actor indices of the coalition.
    quota:
        The quota rule (see :func:`parse_quota`).

    Returns
    -------
    ``share`` ``(*batch,)`` mean over issues of the members' capability share; ``winning``
    ``(*batch,)`` True when the quota is met on every issue; ``position`` ``(*batch, n_issues)``
    the position the members could agree on (capability × salience weighted mean of their
    positions; the forecast where no member is present); ``gains`` ``(*batch, n_members)`` True
    where the member's utility of that position is at least its utility of the forecast.
    """
    rule = parse_quota(quota)
    members = list(members)
    capability = np.where(arrays.present, arrays.capability, 0.0)
    total = capability.sum(axis=-2)  # (*batch, n_issues)
    active = total > 0
    shares = np.divide(capability[..., members, :].sum(axis=-2), total,
                       out=np.zeros_like(total), where=active)
    n_active = active.sum(axis=-1)
    share = np.where(n_active > 0, (shares * active).sum(axis=-1) / np.maximum(n_active, 1), 0.0)
    winning = (rule.met(shares) | ~active).all(axis=-1) & (n_active > 0)
    present = arrays.present[members]
    position = arrays.position[..., members, :]
    weight = np.where(present, arrays.capability[..., members, :]
                      * arrays.salience[..., members, :], 0.0)
    weight_sum = weight.sum(axis=-2)
    agreed = np.where(weight_sum > 0,
                      (weight * position).sum(axis=-2) / np.where(weight_sum > 0, weight_sum, 1),
                      outcome)
    gain = utility(arrays, agreed, members) - utility(arrays, outcome, members)
    return {"share": share, "winning": winning, "position": agreed, "gains": gain >= -1e-12}
