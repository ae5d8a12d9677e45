"""The formulas of the Spatial Model of Politics that every engine shares: salience-weighted
distance, KTAB's risk-adjusted utility, risk estimates (BigRAdjust), bargain interpolation
(InterVecBrgn) and classes of equal positions; NumPy, broadcasting over leading axes.

Reference: B. Wise, L. Lumley, Y. Mohammed et al., "KTAB: an open-source toolkit for building
agent-based models of collective decision-making", KAPSARC (2015–2017), ``examples/smp``;
docs/models/smp.md gives each formula.

Example
-------
>>> import numpy as np
>>> float(utility(np.array(0.5), 0.0))
0.5
"""

from __future__ import annotations

import numpy as np

#: an actor challenges only when the expected gain exceeds this
MIN_SIGNIFICANT_GAIN = 1e-5
#: positions closer than this (Euclidean, on the [0, 1] scale) are the same position
POSITION_TOLERANCE = 1e-3

def utility(d: np.ndarray, risk) -> np.ndarray:
    """KTAB's utility of a salience-weighted distance ``d`` for risk attitude ``risk``."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * risk), (1.0 - d) * (1.0 + risk))


def estimated_risk(own, other, adjust: str):
    """h's estimate of i's risk attitude from its own ``R_h`` and i's ``R_i`` (BigRAdjust)."""
    if adjust == "OneThird":
        return ((2.0 * own) + other) / 3.0
    if adjust == "None":
        return own + 0.0 * other
    if adjust == "Half":
        return (own + other) / 2
    if adjust == "TwoThirds":
        return (own + (2.0 * other)) / 3.0
    return other + 0.0 * own  # Full


def distance(ideal: np.ndarray, position: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """``d[i, j] = sqrt(Σ_d (s_id (ideal_id − x_jd))² / Σ_d s_id²)``; 0 for an actor with no
    salience."""
    ds = (ideal[:, None, :] - position[None, :, :]) * salience[:, None, :]
    ds_sqr = (ds * ds).sum(axis=-1)
    ss_sqr = (salience * salience).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(ds_sqr / ss_sqr[:, None])
    return np.where(ss_sqr[:, None] > 0, d, 0.0)


def interpolate(pos_i, pos_j, sal_i, sal_j, prob_i, prob_j, rule: str):
    """Bargain positions ``(b_i, b_j)`` for initiator i and receiver j (InterVecBrgn).

    All arguments broadcast: positions and saliences ``(..., D)``, probabilities ``(..., 1)``.
    S1P1/S2P2: weighted mean with weights ``s^n p^n`` (1e-6 added to the side that keeps its own
    position when nobody cares), rounded to 4 decimals. S2PMax: the weaker side moves by
    ``Δp·s_other² / (Δp·s_other² + 1e-6 + (1 − Δp)·s_own²)`` of the gap.
    """
    if rule in ("S1P1", "S2P2"):
        power = 1 if rule == "S1P1" else 2
        w_i = sal_i ** power * prob_i ** power
        w_j = sal_j ** power * prob_j ** power
        total = w_i + 1e-6 + w_j
        b_i = ((w_i + 1e-6) * pos_i + w_j * pos_j) / total
        b_j = (w_i * pos_i + (1e-6 + w_j) * pos_j) / total
        return _round4(b_i), _round4(b_j)
    d_i = np.maximum(prob_j - prob_i, 0.0)
    d_j = np.maximum(prob_i - prob_j, 0.0)
    s_i2, s_j2 = sal_i * sal_i, sal_j * sal_j
    m_i = (d_i * s_j2) / ((d_i * s_j2) + 1e-6 + ((1 - d_i) * s_i2))
    m_j = (d_j * s_i2) / ((d_j * s_i2) + 1e-6 + ((1 - d_j) * s_j2))
    return pos_i + m_i * (pos_j - pos_i), pos_j + m_j * (pos_i - pos_j)


def _round4(x: np.ndarray) -> np.ndarray:
    return np.trunc(0.5 + x * 10000.0) / 10000.0


def unique_positions(position: np.ndarray, tol: float = POSITION_TOLERANCE):
    """Greedy classes of equivalent positions: ``(representatives, class_of_each_actor)``.

    Actor i joins the first representative within ``tol`` of it, else becomes one. For the
    probability of an actor's position, the last representative within ``tol`` is used.
    """
    reps: list[int] = []
    for i in range(len(position)):
        if reps:
            near = np.sqrt(((position[reps] - position[i]) ** 2).sum(axis=-1)) < tol
            if near.any():
                continue
        reps.append(i)
    rep = np.array(reps)
    near = np.sqrt(((position[:, None, :] - position[None, rep, :]) ** 2).sum(axis=-1)) < tol
    last = near.shape[1] - 1 - np.argmax(near[:, ::-1], axis=1)
    return rep, last
