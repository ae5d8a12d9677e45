"""Compiled kernels of the Spatial Model of Politics (Numba): how actors value positions.

The assessment that opens every turn: each actor's distance to every position, the votes
(:class:`~allegiance.models.smp.options.VotingRule`), the probabilistic condorcet election over
the positions (PCE: conditional or Markov), the risk attitudes derived from it (KTAB's "big R")
and each side's estimate of the other's risk. The NumPy counterparts are in
:mod:`allegiance.models.smp.formulas` and :mod:`allegiance.models.smp.pce`; the challenge search
and the bargains that follow are in :mod:`allegiance.models.smp.kernels`.

Reference: KTAB's Spatial Model of Politics (B. Wise, L. Lumley, Y. Mohammed et al., KAPSARC
2015–2017); docs/models/smp.md.

Imported lazily, only when Numba is installed; compiled functions are cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from allegiance.models.smp.options import (
    BigRAdjust,
    BigRRange,
    PCEModel,
    VictoryProbModel,
    VotingRule,
)

MIN_COALITION = 1e-8
#: cap on the Markov PCE iterations (they converge in tens)
MAX_ITERATIONS = 100_000


@njit(cache=True)
def vote(rule, w, du):
    if rule == VotingRule.Prop:
        return w * du
    binary = du / 1e-8
    if binary > 1.0:
        binary = 1.0
    elif binary < -1.0:
        binary = -1.0
    if rule == VotingRule.Binary:
        return w * binary
    if rule == VotingRule.PropBin:
        return w * ((1 - 0.2) * du + 0.2 * binary)
    if rule == VotingRule.PropCbc:
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == VotingRule.Cubic:
        return w * (du * du * du)
    # ASymProsp
    if du < 0.0:
        return w * du
    if du > 0.0:
        return (2.0 * w * du) / 3.0
    return 0.0


@njit(cache=True)
def util(d, r):
    if d <= 1.0:
        return (1.0 - d) * (1.0 + d * r)
    return (1.0 - d) * (1.0 + r)


@njit(cache=True)
def est_risk(own, other, adjust):
    if adjust == BigRAdjust.OneThird:
        return ((2.0 * own) + other) / 3.0
    if adjust == BigRAdjust.NONE:
        return own
    if adjust == BigRAdjust.Half:
        return (own + other) / 2
    if adjust == BigRAdjust.TwoThirds:
        return (own + (2.0 * other)) / 3.0
    return other  # Full


@njit(cache=True)
def pair_probability(vpm, s1, s2):
    if vpm == VictoryProbModel.Linear:
        x1, x2 = s1, s2
    elif vpm == VictoryProbModel.Square:
        x1, x2 = s1 * s1, s2 * s2
    elif vpm == VictoryProbModel.Quartic:
        x1, x2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    elif vpm == VictoryProbModel.Octic:
        q1, q2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
        x1, x2 = q1 * q1, q2 * q2
    else:  # Binary
        if s1 >= 1.10 * s2:
            x1, x2 = 1.0, 1e-6
        elif s2 >= 1.10 * s1:
            x1, x2 = 1e-6, 1.0
        else:
            ratio = s1 / (s1 + s2)
            x1 = (ratio * (1.10 + 1.0) - 1.0) / (1.10 - 1.0)
            x2 = 1 - x1
    total = x1 + x2
    return x1 / total, x2 / total


@njit(cache=True)
def pce(util_t, weight, rule, vpm, pcem):
    """Outcome probabilities of options valued by ``util_t[option, voter]``."""
    m = util_t.shape[0]
    c = np.empty((m, m))
    pce_coalitions(util_t, weight, rule, c, 0, m)
    return pce_from_coalitions(c, vpm, pcem)


@njit(cache=True)
def pce_coalitions(util_t, weight, rule, c, start, stop):
    """Rows ``start:stop`` of the pairwise coalition strengths (row a: every b < a), the
    O(options² × voters) part of :func:`pce`; rows run in any blocks give the same ``c``."""
    nv = util_t.shape[1]
    for a in range(start, stop):
        for b in range(a):
            cab = MIN_COALITION
            cba = MIN_COALITION
            for k in range(nv):
                v = vote(rule, weight[k], util_t[a, k] - util_t[b, k])
                if v > 0:
                    cab += v
                elif v < 0:
                    cba -= v
            c[a, b] = cab
            c[b, a] = cba
        c[a, a] = MIN_COALITION


@njit(cache=True)
def pce_from_coalitions(c, vpm, pcem):
    """The outcome probabilities from the coalition strengths ``c`` (:func:`pce_coalitions`)."""
    m = c.shape[0]
    p_win = np.empty((m, m))
    for a in range(m):
        for b in range(a):
            p1, p2 = pair_probability(vpm, c[a, b], c[b, a])
            p_win[a, b] = p1
            p_win[b, a] = p2
        p_win[a, a] = 0.5
    p = np.empty(m)
    if pcem == PCEModel.Conditional:
        top = -np.inf
        for a in range(m):
            s = 0.0
            for b in range(m):
                s += math.log(p_win[a, b]) if p_win[a, b] > 0 else -np.inf
            p[a] = s
            if s > top:
                top = s
        if not np.isfinite(top):
            top = 0.0
        total = 0.0
        for a in range(m):
            p[a] = math.exp(p[a] - top)
            total += p[a]
        for a in range(m):
            p[a] /= total
        return p
    for a in range(m):
        p[a] = 1.0 / m
    q = np.empty(m)
    if pcem == PCEModel.MarkovUniform:
        for _ in range(MAX_ITERATIONS):
            change = 0.0
            for a in range(m):
                s = 0.0
                for b in range(m):
                    s += p_win[a, b] * (p[a] + p[b])
                q[a] = s / m
                change = max(change, abs(q[a] - p[a]))
            for a in range(m):
                p[a] = (p[a] + q[a]) / 2.0
            if change <= 1e-6:
                break
        return p
    challenge = np.empty((m, m))
    for b in range(m):
        col = 0.0
        for a in range(m):
            inc = c[a, b] * p_win[a, b]
            if a == b:
                inc += 1e-10
            challenge[a, b] = inc
            col += inc
        for a in range(m):
            challenge[a, b] /= col
    ct = np.empty((m, m))
    for _ in range(MAX_ITERATIONS):
        for a in range(m):
            for b in range(m):
                ct[a, b] = p[a] * challenge[b, a]
        change = 0.0
        for a in range(m):
            s = 0.0
            for b in range(m):
                s += p_win[a, b] * (ct[a, b] + ct[b, a])
            q[a] = s
            change = max(change, abs(q[a] - p[a]))
        for a in range(m):
            p[a] = (p[a] + q[a]) / 2.0
        if change <= 1e-8:
            break
    return p


@njit(cache=True)
def big_r(p, r_range):
    lo, hi = p.min(), p.max()
    spread = hi - lo
    out = np.zeros(p.size)
    if spread <= 0:
        return out
    for a in range(p.size):
        if r_range == BigRRange.Min:
            out[a] = (p[a] - lo) / spread
        elif r_range == BigRRange.Mid:
            out[a] = (3 * p[a] - (hi + 2 * lo)) / (2 * spread)
        else:
            out[a] = (2 * p[a] - (hi + lo)) / spread
    return out


@njit(cache=True)
def distance_matrix(ideal, position, salience):
    n, dims = ideal.shape
    m = position.shape[0]
    d = np.empty((n, m))
    for i in range(n):
        ss = 0.0
        for x in range(dims):
            ss += salience[i, x] * salience[i, x]
        for j in range(m):
            acc = 0.0
            for x in range(dims):
                v = (ideal[i, x] - position[j, x]) * salience[i, x]
                acc += v * v
            d[i, j] = math.sqrt(acc / ss) if ss > 0 else 0.0
    return d


@njit(cache=True)
def assess(ideal, position, salience, cap, rule, vpm, pcem, r_range):
    d = distance_matrix(ideal, position, salience)
    p = pce(neutral_values(d), cap, rule, vpm, pcem)
    return d, big_r(p, r_range)


@njit(cache=True)
def neutral_values(d):
    """Every position's risk-neutral value to every actor, ``[option, voter]``."""
    n = d.shape[0]
    value_t = np.empty((n, n))
    for k in range(n):
        for a in range(n):
            value_t[a, k] = util(d[k, a], 0.0)
    return value_t
