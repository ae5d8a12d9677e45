"""Compiled kernels of the Spatial Model of Politics (Numba): a whole run in one call.

The NumPy engine (:mod:`allegiance.models.smp.turn`) is the readable reference (and the one
that records every matrix); this module computes the same turns with loops compiled by Numba,
which avoids NumPy's per-call overhead for small scenarios and keeps memory at O(n²) for large
ones (the O(n³) challenge search streams over third parties). Options arrive as integer codes,
compared with the named members of :mod:`allegiance.models.smp.options` (``VotingRule.Prop``).
Whole runs and batches of runs: :mod:`allegiance.models.smp.kernel_run`.

Reference: KTAB's Spatial Model of Politics (B. Wise, L. Lumley, Y. Mohammed et al., KAPSARC
2015–2017); docs/models/smp.md.

Imported lazily, only when Numba is installed; compiled functions are cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from allegiance.models.smp.options import (
    BigRAdjust,
    BigRRange,
    InterVecBrgn,
    PCEModel,
    ThirdPartyCommit,
    VictoryProbModel,
    VotingRule,
)

MIN_COALITION = 1e-8
MIN_SIGNIFICANT_GAIN = 1e-5
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


@njit(cache=True)
def _contest(i, j, uii, uij, uji, ujj, uki, ukj, uni, unn, est_row, d_t, weight, s_sum, rule,
             commit):
    """P(i beats j) and k's expected gain, given h's utilities (``uni[m] = u_h(m, i)``,
    ``unn[m] = u_h(m, m)``; ``u_h(m, j)`` is computed from ``d_t[j, m]`` and ``est_row``)."""
    n = d_t.shape[0]
    ci = vote(rule, weight[i], uii - uij)
    cj = vote(rule, weight[j], uji - ujj)
    c_ij = (1e-10 + (ci if ci > 0.0 else 0.0)) + (cj if cj > 0.0 else 0.0)
    c_ji = (1e-10 - (ci if ci < 0.0 else 0.0)) - (cj if cj < 0.0 else 0.0)
    base_ij, base_ji = c_ij, c_ji
    sum_ij, sum_ji = 0.0, 0.0
    for m in range(n):
        if m == i or m == j:
            continue
        un_i = uni[m]
        un_j = util(d_t[j, m], est_row[m])
        un_n = unn[m]
        cn = vote(rule, weight[m], un_i - un_j)
        cni = base_ij + (cn if cn > 0.0 else 0.0)
        cnj = base_ji - (cn if cn < 0.0 else 0.0)
        pin = cni / (cni + cnj)
        pjn = 1.0 - pin
        if commit == ThirdPartyCommit.SemiCommit:
            a = pin * (un_i + un_i + un_n) + pjn * (un_j + un_j + un_j)
            b = pin * (un_i + un_i + un_i) + pjn * (un_j + un_j + un_n)
        elif commit == ThirdPartyCommit.FullCommit:
            a = pin * (un_i + un_i + un_i) + pjn * (un_j + un_j + un_j)
            b = a
        else:
            a = pin * (un_i + un_i + un_n) + pjn * (un_j + un_j + un_n)
            b = a
        v = vote(rule, weight[m], a - b)
        if v > 0.0:
            sum_ij += v
        elif v < 0.0:
            sum_ji -= v
    c_ij = c_ij + sum_ij
    c_ji = c_ji + sum_ji
    p_ij = c_ij / (c_ij + c_ji)
    p_ji = c_ji / (c_ij + c_ji)
    s_j = s_sum[j]
    victory = uki + uki
    contest = p_ij * victory + p_ji * (ukj + ukj)
    return p_ij, ((1 - s_j) * victory + s_j * contest) - (uki + ukj)


@njit(cache=True)
def _perspective(h, i, d, d_t, risk, adjust, est_row, uni, unn):
    n = d.shape[0]
    for m in range(n):
        est_row[m] = est_risk(risk[h], risk[m], adjust)
        uni[m] = util(d_t[i, m], est_row[m])
        unn[m] = util(d[m, m], est_row[m])


@njit(cache=True)
def estimate(h, k, i, j, d, d_t, risk, weight, s_sum, rule, adjust, commit):
    """h's estimate of P(i beats j) and of k's expected gain from i challenging j."""
    n = d.shape[0]
    est_row, uni, unn = np.empty(n), np.empty(n), np.empty(n)
    _perspective(h, i, d, d_t, risk, adjust, est_row, uni, unn)
    return _contest(i, j, util(d[i, i], est_row[i]), util(d[i, j], est_row[i]),
                    util(d[j, i], est_row[j]), util(d[j, j], est_row[j]),
                    util(d[k, i], est_row[k]), util(d[k, j], est_row[k]),
                    uni, unn, est_row, d_t, weight, s_sum, rule, commit)


@njit(cache=True)
def _search_row(i, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain):
    """Actor i's best target from its own perspective (fills target/prob/gain[i])."""
    n = d.shape[0]
    est_row, uni, unn = np.empty(n), np.empty(n), np.empty(n)
    _perspective(i, i, d, d_t, risk, adjust, est_row, uni, unn)
    uii = util(d[i, i], est_row[i])
    p_best, g_best, j_best = 0.0, -np.inf, -1
    for j in range(n):
        if j == i:
            continue
        uij = util(d[i, j], est_row[i])
        p, g = _contest(i, j, uii, uij, util(d[j, i], est_row[j]), util(d[j, j], est_row[j]),
                        uii, uij, uni, unn, est_row, d_t, weight, s_sum, rule, commit)
        if g > g_best:
            p_best, g_best, j_best = p, g, j
    if g_best > MIN_SIGNIFICANT_GAIN:
        target[i] = j_best
        prob[i] = p_best
        gain[i] = g_best


@njit(cache=True)
def _search_serial(start, stop, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob,
                   gain):
    for i in range(start, stop):
        _search_row(i, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain)


@njit(cache=True, parallel=True)
def _search_parallel(start, stop, d, d_t, risk, weight, s_sum, rule, adjust, commit, target,
                     prob, gain):
    for i in prange(start, stop):
        _search_row(i, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain)


#: below this many actors the thread start-up costs more than it saves
PARALLEL_FROM = 160


@njit(cache=True)
def challenge_search(d, risk, weight, s_sum, rule, adjust, commit):
    """Every actor's best target (from its own perspective): target, P(win), expected gain."""
    n = d.shape[0]
    d_t = d.T.copy()
    target = np.full(n, -1)
    prob = np.full(n, np.nan)
    gain = np.full(n, np.nan)
    search_rows(0, n, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain)
    return target, prob, gain


@njit(cache=True)
def search_rows(start, stop, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob,
                gain):
    """The best targets of actors ``start:stop`` (rows are independent: any blocks of rows
    give the same numbers as :func:`challenge_search`)."""
    if d.shape[0] >= PARALLEL_FROM:
        _search_parallel(start, stop, d, d_t, risk, weight, s_sum, rule, adjust, commit, target,
                         prob, gain)
    else:
        _search_serial(start, stop, d, d_t, risk, weight, s_sum, rule, adjust, commit, target,
                       prob, gain)


@njit(cache=True)
def _round4(x):
    return math.trunc(0.5 + x * 10000.0) / 10000.0


@njit(cache=True)
def interpolate(ti, si, pi, tj, sj, pj, ivb):
    if ivb == InterVecBrgn.S2PMax:
        di = pj - pi if pj > pi else 0.0
        dj = pi - pj if pi > pj else 0.0
        si2, sj2 = si * si, sj * sj
        mi = (di * sj2) / ((di * sj2) + 1e-6 + ((1 - di) * si2))
        mj = (dj * si2) / ((dj * si2) + 1e-6 + ((1 - dj) * sj2))
        return ti + mi * (tj - ti), tj + mj * (ti - tj)
    if ivb == InterVecBrgn.S1P1:
        wi, wj = si * pi, sj * pj
    else:
        wi, wj = si * si * (pi * pi), sj * sj * (pj * pj)
    total = wi + 1e-6 + wj
    return (_round4(((wi + 1e-6) * ti + wj * tj) / total),
            _round4((wi * ti + (1e-6 + wj) * tj) / total))
