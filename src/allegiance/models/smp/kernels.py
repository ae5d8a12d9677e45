"""Compiled kernels of the Spatial Model of Politics (Numba): challenges and bargains.

The NumPy engine (:mod:`allegiance.models.smp.turn`) is the readable reference (and the one
that records every matrix); this module computes the same turns with loops compiled by Numba,
which avoids NumPy's per-call overhead for small scenarios and keeps memory at O(n²) for large
ones (the O(n³) challenge search streams over third parties). Options arrive as integer codes,
compared with the named members of :mod:`allegiance.models.smp.options` (``VotingRule.Prop``).
The assessment that opens each turn (votes, PCE, risk): :mod:`allegiance.models.smp.kernels_assess`;
whole runs and batches of runs: :mod:`allegiance.models.smp.kernel_run`.

Reference: KTAB's Spatial Model of Politics (B. Wise, L. Lumley, Y. Mohammed et al., KAPSARC
2015–2017); docs/models/smp.md.

Imported lazily, only when Numba is installed; compiled functions are cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from allegiance.models.smp.kernels_assess import est_risk, util, vote
from allegiance.models.smp.options import InterVecBrgn, ThirdPartyCommit

MIN_SIGNIFICANT_GAIN = 1e-5


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
