"""Exact part: the fewest and cheapest capability changes that make a coalition winning.

With game weights equal to capabilities (the coalition layer's default) and a quota that is a
share ``f`` of the total weight, coalition ``M`` wins issue ``k`` when
``sum_a (m_a - f) c_ak > 0`` (``>= 0`` for a non-strict rule; ``m_a`` = 1 for members): a linear
condition on the capabilities. An absolute quota ``q`` gives ``sum_a m_a c_ak >= q``. Minimising
the number of changed capability estimates, then the cost ``sum_j up_j / unit_up_j + down_j /
unit_down_j``, is a mixed-integer linear programme (a binary ``z_j`` per estimate with
``up_j + down_j <= (high_j - low_j) z_j``), solved by SciPy's ``milp`` (HiGHS: Huangfu & Hall,
"Parallelizing the dual revised simplex method", *Math. Prog. Comp.* 10, 2018). Infeasibility of
this programme proves that no change of the allowed estimates within the bounds makes the
coalition winning — whatever the model, since winning does not depend on positions.

Further solutions (second-best supports) come from no-good cuts: ``sum_{j in S} z_j <= |S| - 1``
forbids a support found before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from allegiance.coalitions.quota import QuotaRule
from allegiance.levers.space import LeverSpace

#: Margin asked of a strict quota on top of the coalition layer's 1e-9 tolerance, as a share of
#: the total capability (so that the rounded solution still wins when re-checked).
STRICT_MARGIN = 1e-7


@dataclass
class CapabilityPlan:
    """One solution of the winning programme: new values of the capability parameters."""

    values: np.ndarray  # (P,) full parameter vector
    support: tuple[int, ...]  # changed parameter indices
    cost: float


def winning_rows(space: LeverSpace, mask: np.ndarray, rule: QuotaRule, movable: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(A, lower, columns)``: winning on every weighed issue is ``A @ x[columns] >= lower``.

    ``None`` when a non-capability parameter moves the weights (never here: weights are
    capabilities).
    """
    cells = space.sampler.cells("capability")  # (n_actors, n_issues) -> parameter or -1
    base = space.sampler.base
    present = base.present
    columns = np.flatnonzero(movable & np.array([p.field == "capability"
                                                 for p in space.sampler.parameters]))
    col_of = {j: c for c, j in enumerate(columns)}
    n_issues = present.shape[1]
    rows, lowers = [], []
    for k in range(n_issues):
        coef = np.zeros(columns.size)
        constant = 0.0
        total_fixed = 0.0
        if rule.fraction is not None:
            f = float(rule.fraction) + (1e-9 + STRICT_MARGIN if rule.strict else 0.0)
        for a in np.flatnonzero(present[:, k]):
            j = cells[a, k]
            member = float(mask[a])
            factor = (member - f) if rule.fraction is not None else member
            if j >= 0 and j in col_of:
                coef[col_of[j]] += factor
            else:
                weight = space.value[j] if j >= 0 else base.capability[a, k]
                constant += factor * weight
                total_fixed += weight
        if not coef.any() and total_fixed <= 0:
            continue  # nobody weighs this issue whatever the changes
        if rule.fraction is not None:
            lower = -constant
        else:
            lower = float(rule.absolute) * (1 + (STRICT_MARGIN if rule.strict else 0)) - constant
        rows.append(coef)
        lowers.append(lower)
    return np.array(rows).reshape(len(rows), columns.size), np.array(lowers), columns


def winning_plans(space: LeverSpace, mask: np.ndarray, rule: QuotaRule, *, low: np.ndarray,
                  high: np.ndarray, budget: int, alternatives: int = 3) -> list[CapabilityPlan]:
    """The fewest-then-cheapest capability changes within ``[low, high]`` that make ``mask`` win,
    and up to ``alternatives`` further supports, best first; ``[]`` when none exists (proof)."""
    A, lower, columns = winning_rows(space, mask, rule, space.movable)
    value = space.value
    if A.shape[0] == 0:
        return []
    if columns.size == 0:
        return ([CapabilityPlan(value.copy(), (), 0.0)]
                if (A @ np.zeros(0) >= lower - 1e-12).all() else [])
    v = value[columns]
    up_max = np.maximum(high[columns] - v, 0.0)
    down_max = np.maximum(v - low[columns], 0.0)
    n = columns.size
    big = np.maximum(up_max + down_max, 1e-12)
    # variables: up (n), down (n), z (n)
    cost = np.concatenate([1.0 / space.unit_up[columns], 1.0 / space.unit_down[columns],
                           np.zeros(n)])
    eye = np.eye(n)
    win = LinearConstraint(np.hstack([A, -A, np.zeros((A.shape[0], n))]),
                           lower - A @ v, np.inf)
    link = LinearConstraint(np.hstack([eye, eye, -np.diag(big)]), -np.inf, 0.0)
    count_row = np.concatenate([np.zeros(2 * n), np.ones(n)])
    bounds = Bounds(np.zeros(3 * n), np.concatenate([up_max, down_max, np.ones(n)]))
    integrality = np.concatenate([np.zeros(2 * n), np.ones(n)])
    cuts: list[np.ndarray] = []
    cut_bounds: list[float] = []
    plans: list[CapabilityPlan] = []
    for _ in range(alternatives + 1):
        extra = [LinearConstraint(np.array(cuts), -np.inf, np.array(cut_bounds))] if cuts else []
        budget_row = LinearConstraint(count_row[None, :], 0, budget)
        # stage 1: fewest changes (cost as a tie-break far below one change)
        first = milp(count_row + 1e-6 * cost / max(1.0, cost.max() * n),
                     constraints=[win, link, budget_row, *extra],
                     bounds=bounds, integrality=integrality)
        if first.status != 0 or first.x is None:
            break
        count = int(round(first.x[2 * n:].sum()))
        # stage 2: cheapest with that many changes
        second = milp(cost, constraints=[win, link, LinearConstraint(count_row[None, :], 0, count),
                                         *extra],
                      bounds=bounds, integrality=integrality)
        x = second.x if second.status == 0 and second.x is not None else first.x
        delta = x[:n] - x[n:2 * n]
        changed = np.abs(delta) > 1e-12 * np.maximum(1.0, np.abs(v))
        values = value.copy()
        values[columns] = np.where(changed, v + delta, v)
        support = tuple(int(columns[c]) for c in np.flatnonzero(changed))
        plans.append(CapabilityPlan(values, support, float(space.cost(values)[list(support)].sum())
                                    if support else 0.0))
        if not support:
            break
        cut = np.zeros(3 * n)
        cut[2 * n + np.flatnonzero(changed)] = 1.0
        cuts.append(cut)
        cut_bounds.append(len(support) - 1)
    return plans
