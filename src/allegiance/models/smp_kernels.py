"""Compiled kernels of the Spatial Model of Politics (Numba): a whole run in one call.

The NumPy implementation in :mod:`allegiance.models.smp` is the readable reference (and the one
that records every matrix); this module computes the same turns with loops compiled by Numba,
which avoids NumPy's per-call overhead for small scenarios and keeps memory at O(n²) for large
ones (the O(n³) challenge search streams over third parties). Options arrive as integer codes
(the index of the option's name in the tuples of :mod:`allegiance.models.smp`).

Imported lazily, only when Numba is installed; compiled functions are cached on disk.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

MIN_COALITION = 1e-8
MIN_SIGNIFICANT_GAIN = 1e-5
#: cap on the Markov PCE iterations (they converge in tens)
MAX_ITERATIONS = 100_000


@njit(cache=True)
def vote(rule, w, du):
    if rule == 2:  # Prop
        return w * du
    binary = du / 1e-8
    if binary > 1.0:
        binary = 1.0
    elif binary < -1.0:
        binary = -1.0
    if rule == 0:
        return w * binary
    if rule == 1:
        return w * ((1 - 0.2) * du + 0.2 * binary)
    if rule == 3:
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == 4:
        return w * (du * du * du)
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
    if adjust == 1:
        return ((2.0 * own) + other) / 3.0
    if adjust == 0:
        return own
    if adjust == 2:
        return (own + other) / 2
    if adjust == 3:
        return (own + (2.0 * other)) / 3.0
    return other


@njit(cache=True)
def pair_probability(vpm, s1, s2):
    if vpm == 0:
        x1, x2 = s1, s2
    elif vpm == 1:
        x1, x2 = s1 * s1, s2 * s2
    elif vpm == 2:
        x1, x2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    elif vpm == 3:
        q1, q2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
        x1, x2 = q1 * q1, q2 * q2
    else:
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
    m, nv = util_t.shape
    c = np.empty((m, m))
    for a in range(m):
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
    p_win = np.empty((m, m))
    for a in range(m):
        for b in range(a):
            p1, p2 = pair_probability(vpm, c[a, b], c[b, a])
            p_win[a, b] = p1
            p_win[b, a] = p2
        p_win[a, a] = 0.5
    p = np.empty(m)
    if pcem == 0:
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
    if pcem == 2:
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
        if r_range == 0:
            out[a] = (p[a] - lo) / spread
        elif r_range == 1:
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
    n = d.shape[0]
    value_t = np.empty((n, n))  # [option, voter]
    for k in range(n):
        for a in range(n):
            value_t[a, k] = util(d[k, a], 0.0)
    p = pce(value_t, cap, rule, vpm, pcem)
    return d, big_r(p, r_range)


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
        if commit == 1:
            a = pin * (un_i + un_i + un_n) + pjn * (un_j + un_j + un_j)
            b = pin * (un_i + un_i + un_i) + pjn * (un_j + un_j + un_n)
        elif commit == 2:
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
def _search_serial(d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain):
    for i in range(d.shape[0]):
        _search_row(i, d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain)


@njit(cache=True, parallel=True)
def _search_parallel(d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain):
    for i in prange(d.shape[0]):
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
    if n >= PARALLEL_FROM:
        _search_parallel(d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain)
    else:
        _search_serial(d, d_t, risk, weight, s_sum, rule, adjust, commit, target, prob, gain)
    return target, prob, gain


@njit(cache=True)
def _round4(x):
    return math.trunc(0.5 + x * 10000.0) / 10000.0


@njit(cache=True)
def interpolate(ti, si, pi, tj, sj, pj, ivb):
    if ivb == 2:
        di = pj - pi if pj > pi else 0.0
        dj = pi - pj if pi > pj else 0.0
        si2, sj2 = si * si, sj * sj
        mi = (di * sj2) / ((di * sj2) + 1e-6 + ((1 - di) * si2))
        mj = (dj * si2) / ((dj * si2) + 1e-6 + ((1 - dj) * sj2))
        return ti + mi * (tj - ti), tj + mj * (ti - tj)
    if ivb == 0:
        wi, wj = si * pi, sj * pj
    else:
        wi, wj = si * si * (pi * pi), sj * sj * (pj * pj)
    total = wi + 1e-6 + wj
    return (_round4(((wi + 1e-6) * ti + wj * tj) / total),
            _round4((wi * ti + (1e-6 + wj) * tj) / total))


@njit(cache=True)
def run(position0, salience, cap, accommodation, has_accommodation, codes, max_turns,
        min_turns, min_ratio, min_sig, uniforms):
    """A whole run. ``codes`` = (rule, vpm, pcem, adjust, r_range, commit, ivb, bmod, stm)."""
    rule, vpm, pcem, adjust, r_range, commit, ivb, bmod, stm = (
        codes[0], codes[1], codes[2], codes[3], codes[4], codes[5], codes[6], codes[7],
        codes[8])
    n, dims = position0.shape
    parts = 2 if bmod == 1 else 1
    nb_max = n * parts
    history = np.empty((max_turns + 1, n, dims))
    risks = np.empty((max_turns + 1, n))
    targets = np.full((max_turns, n), -1)
    estimates = np.full((max_turns, n, 4, 2), np.nan)
    n_bargains = np.zeros(max_turns, dtype=np.int64)
    b_init = np.zeros((max_turns, nb_max), dtype=np.int64)
    b_rcvr = np.zeros((max_turns, nb_max), dtype=np.int64)
    b_kind = np.zeros((max_turns, nb_max), dtype=np.int64)
    b_pos_i = np.zeros((max_turns, nb_max, dims))
    b_pos_j = np.zeros((max_turns, nb_max, dims))
    adopted = np.full((max_turns, n), -1)
    chosen_prob = np.zeros((max_turns, n))
    queue_len = np.zeros((max_turns, n), dtype=np.int64)
    ratios = np.zeros(max_turns)
    s_sum = np.zeros(n)
    for a in range(n):
        for x in range(dims):
            s_sum[a] += salience[a, x]
    weight = s_sum * cap
    position = position0.copy()
    ideal = position0.copy()
    history[0] = position
    first_move = -1.0
    t = 0
    d, risk = assess(ideal, position, salience, cap, rule, vpm, pcem, r_range)
    while True:
        risks[t] = risk
        d_t = d.T.copy()
        target, prob, gain = challenge_search(d, risk, weight, s_sum, rule, adjust, commit)
        nb = 0
        for i in range(n):
            j = target[i]
            if j < 0:
                continue
            estimates[t, i, 0, 0] = prob[i]
            estimates[t, i, 0, 1] = gain[i]
            for r in range(3):
                h = i if r == 0 else j
                k = i if r == 1 else j
                p, g = estimate(h, k, i, j, d, d_t, risk, weight, s_sum, rule, adjust, commit)
                estimates[t, i, r + 1, 0] = p
                estimates[t, i, r + 1, 1] = g
            p_iij = prob[i]
            p_jij = estimates[t, i, 2, 1]  # KTAB weights the receiver's view by a gain
            w_i = cap[i] * s_sum[i]
            w_j = cap[i] * s_sum[j]
            for part in range(parts):
                kind = 0 if bmod == 0 else (2 if bmod == 2 else part)
                b_init[t, nb] = i
                b_rcvr[t, nb] = j
                b_kind[t, nb] = kind
                for x in range(dims):
                    ai, aj = interpolate(position[i, x], salience[i, x], p_iij,
                                         position[j, x], salience[j, x], 1 - p_iij, ivb)
                    if kind == 0:
                        b_pos_i[t, nb, x], b_pos_j[t, nb, x] = ai, aj
                        continue
                    bi, bj = interpolate(position[i, x], salience[i, x], p_jij,
                                         position[j, x], salience[j, x], 1 - p_jij, ivb)
                    if kind == 1:
                        b_pos_i[t, nb, x], b_pos_j[t, nb, x] = bi, bj
                    else:
                        b_pos_i[t, nb, x] = (w_i * ai + w_j * bi) / (w_i + w_j)
                        b_pos_j[t, nb, x] = (w_i * aj + w_j * bj) / (w_i + w_j)
                nb += 1
        n_bargains[t] = nb
        targets[t] = target
        # every actor's value of every bargain
        row_sum = np.zeros(n)
        own = np.empty((n, n))
        for a in range(n):
            r_own = est_risk(risk[a], risk[a], adjust)
            for m in range(n):
                own[a, m] = util(d[a, m], r_own)
            row_sum[a] = own[a].sum()
        u_i = distance_matrix(ideal, b_pos_i[t, :nb], salience)
        u_j = distance_matrix(ideal, b_pos_j[t, :nb], salience)
        u_bargain = np.empty((nb, n))  # [bargain, voter]
        for b in range(nb):
            bi, bj = b_init[t, b], b_rcvr[t, b]
            for a in range(n):
                u_bargain[b, a] = ((row_sum[a] - (own[a, bi] + own[a, bj]))
                                   + (util(u_i[a, b], risk[a]) + util(u_j[a, b], risk[a]))) / n
        # queues: status quo, then the bargains involving the actor (by bargain index)
        count = np.ones(n, dtype=np.int64)
        for b in range(nb):
            count[b_init[t, b]] += 1
            count[b_rcvr[t, b]] += 1
        new_position = position.copy()
        for k in range(n):
            L = count[k]
            options = np.empty(L, dtype=np.int64)
            options[0] = -1
            q = 1
            for b in range(nb):
                if b_init[t, b] == k or b_rcvr[t, b] == k:
                    options[q] = b
                    q += 1
            table = np.empty((L, n))
            for a in range(n):
                table[0, a] = row_sum[a] / n
            for o in range(1, L):
                table[o] = u_bargain[options[o]]
            p = pce(table, cap, rule, vpm, pcem)
            if stm == 0:
                best = 0
                for o in range(1, L):
                    if p[o] > p[best]:
                        best = o
            else:
                best = L - 1
                acc = 0.0
                for o in range(L):
                    acc += p[o]
                    if uniforms[t, k] <= acc:
                        best = o
                        break
            queue_len[t, k] = L
            chosen_prob[t, k] = p[best]
            b = options[best]
            adopted[t, k] = b
            if b >= 0:
                if b_init[t, b] == k:
                    new_position[k] = b_pos_i[t, b]
                else:
                    new_position[k] = b_pos_j[t, b]
        if has_accommodation:
            new_ideal = np.empty_like(ideal)
            for a in range(n):
                total = 0.0
                for m in range(n):
                    total += accommodation[a, m]
                lag = 1.0 - min(total, 1.0)
                for x in range(dims):
                    acc = 0.0
                    for m in range(n):
                        acc += accommodation[a, m] * new_position[m, x]
                    new_ideal[a, x] = acc + lag * ideal[a, x]
            ideal = new_ideal
        else:
            ideal = new_position.copy()
        t += 1
        move = 0.0
        for a in range(n):
            acc = 0.0
            for x in range(dims):
                v = new_position[a, x] - position[a, x]
                acc += v * v
            move += math.sqrt(acc)
        if first_move < 0:
            first_move = move + min_sig
        ratios[t - 1] = move / first_move
        position = new_position
        history[t] = position
        d, risk = assess(ideal, position, salience, cap, rule, vpm, pcem, r_range)
        if t >= max_turns or (t >= min_turns and ratios[t - 1] < min_ratio):
            break
    risks[t] = risk
    return (t, history, risks, targets, estimates, n_bargains, b_init, b_rcvr, b_kind, b_pos_i,
            b_pos_j, adopted, chosen_prob, queue_len, ratios, d)
