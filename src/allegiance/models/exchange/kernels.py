"""Compiled engine of the exchange model: whole runs of a batch of scenarios (Monte Carlo draws)
in one call, one exchange at a time, with the float arithmetic of the NumPy engine.

:func:`run_batch` plays ``rounds`` rounds of every item and repetition of a batch: the potential
exchanges of a round in the reference order (:mod:`allegiance.models.exchange.candidates`), their
equal-gain terms, the stop at a demander's position and the randomised equal gain
(:mod:`allegiance.models.exchange.terms`), the choice of the best exchange with its tie rule, its
realisation and the recalculation of the exchanges it touches
(:mod:`allegiance.models.exchange.round`), and the voting and next positions at the end of the
round. Every formula is written in the same order of operations as the NumPy engine's, the random
numbers are drawn from the same generator in the same order (``rng.random()`` as Numba compiles
it draws the same doubles as NumPy's ``Generator.random``), and sums over actors run in input
order as NumPy's do, so the numbers are the NumPy engine's bit for bit
(tests/test_exchange_engines.py). Without Numba the same source runs as plain Python.

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

import numpy as np

from allegiance.models.exchange.candidates import _EDGE, _MIN_GAIN, _MIN_MOVE

try:  # numba is optional: the same kernel runs (slowly) as plain Python without it
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    HAVE_NUMBA = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(function):
            return function

        return wrap


__all__ = ["HAVE_NUMBA", "run_batch"]

_TOP = 100.0 + _EDGE
# columns of the float state of an exchange (one row per potential exchange)
(_RATE, _TI, _TJ, _STI, _STJ, _PI, _PJ, _WIQ, _WJP, _DP, _DQ, _SIP, _SIQ, _SJP, _SJQ, _OI, _OJ,
 _MI, _MJ, _YI, _YJ, _GI, _GJ, _KEY, _XP, _XQ, _HSI, _HNI, _HXI, _HSJ, _HNJ, _HXJ) = range(32)
_NF = 32
# columns of the integer state: actors, issues, and the cells and slots of the outcome views
(_I, _J, _P, _Q, _CI, _CJ, _SLI, _SLJ) = range(8)


@njit(cache=True, nogil=True)
def _move_ok(total, low, high, pos, move):
    """A move must be real, stay on the scale, and agree in direction with the history."""
    after = pos + move
    return (abs(move) > _MIN_MOVE and after >= -_EDGE and after <= _TOP
            and total + move <= 100.0 and ((move > 0 and low > 0) or (move < 0 and high < 0)))


@njit(cache=True, nogil=True)
def _valid_moves(f, r):
    return (_move_ok(f[r, _HSI], f[r, _HNI], f[r, _HXI], f[r, _PI], f[r, _MI])
            and _move_ok(f[r, _HSJ], f[r, _HNJ], f[r, _HXJ], f[r, _PJ], f[r, _MJ]))


@njit(cache=True, nogil=True)
def _set_moves(f, r, dp, dq):
    """Moves and voting positions from the outcome shifts ``dp``, ``dq``."""
    move_i = dq * f[r, _DQ] / f[r, _WIQ]
    move_j = dp * f[r, _DP] / f[r, _WJP]
    if f[r, _PI] > f[r, _TI]:
        move_i = -move_i
    if f[r, _PJ] > f[r, _TJ]:
        move_j = -move_j
    f[r, _MI], f[r, _MJ] = move_i, move_j
    f[r, _YI], f[r, _YJ] = f[r, _PI] + move_i, f[r, _PJ] + move_j
    f[r, _XP], f[r, _XQ] = dp, dq


@njit(cache=True, nogil=True)
def _stop_at_demander(f, g, r, side_i, equal_gain, offset, shift, has):
    """Shorten a move that would push the outcome past the demander's position; returns -1 when
    the move is left alone, else whether the shortened exchange is valid (1) or not (0)."""
    if side_i:
        pos, y, target, cell, slot = f[r, _PI], f[r, _YI], f[r, _TI], g[r, _CI], g[r, _SLI]
        w, others, d, start = f[r, _WIQ], f[r, _OI], f[r, _DQ], f[r, _STI]
    else:
        pos, y, target, cell, slot = f[r, _PJ], f[r, _YJ], f[r, _TJ], g[r, _CJ], g[r, _SLJ]
        w, others, d, start = f[r, _WJP], f[r, _OJ], f[r, _DP], f[r, _STJ]
    base = others + offset[cell] - shift[slot]
    nbs0 = (base + w * pos) / d
    nbs1 = (base + w * y) / d
    before, after = target - nbs0, target - nbs1
    above = before >= 0 and after >= 0
    below = before <= 0 and after <= 0
    if above or below or not (abs(before) > _EDGE and abs(after) > _EDGE):
        return -1
    stale = (shift[slot] - w * (pos - start)) / d if has[slot] else 0.0
    move = abs(target - (nbs0 + stale))
    if side_i:
        dq, dp = move, move / f[r, _RATE]
    else:
        dp, dq = move, move * f[r, _RATE]
    _set_moves(f, r, dp, dq)
    gain_i = abs(dq * f[r, _SIQ] - dp * f[r, _SIP])
    gain_j = abs(dp * f[r, _SJP] - dq * f[r, _SJQ])
    f[r, _GI], f[r, _GJ] = gain_i, gain_j
    if equal_gain:  # the reference reports the gain of the actor opposite the shortened one
        f[r, _KEY] = gain_j if side_i else gain_i
    else:
        f[r, _KEY] = min(gain_i, gain_j)
    return 1 if _valid_moves(f, r) else 0


@njit(cache=True, nogil=True)
def _terms(f, g, r, equal_gain, offset, shift, has):
    """Terms of exchange ``r`` from its current positions (NumPy engine: ``_calculate_float``);
    returns whether it is valid."""
    rate, t_i, t_j, pos_i, pos_j = f[r, _RATE], f[r, _TI], f[r, _TJ], f[r, _PI], f[r, _PJ]
    w_iq, w_jp, d_p, d_q = f[r, _WIQ], f[r, _WJP], f[r, _DP], f[r, _DQ]
    dist_i, dist_j = abs(t_i - pos_i), abs(t_j - pos_j)
    dp = dist_j * w_jp / d_p  # J moves all the way to I's position on p ...
    dq = dp * rate
    move_i = dq * d_q / w_iq
    move_j = dist_j
    over = move_i > dist_i
    if over:  # ... unless I's matching move would overshoot: then I moves fully
        dq = dist_i * w_iq / d_q
        dp = dq / rate
        move_i = dist_i
        move_j = dp * d_p / w_jp
    if pos_i > t_i:
        move_i = -move_i
    if pos_j > t_j:
        move_j = -move_j
    f[r, _MI], f[r, _MJ] = move_i, move_j
    f[r, _YI] = t_i if over else pos_i + move_i
    f[r, _YJ] = pos_j + move_j if over else t_j
    f[r, _XP], f[r, _XQ] = dp, dq
    gain_i = abs(dq * f[r, _SIQ] - dp * f[r, _SIP])
    gain_j = abs(dp * f[r, _SJP] - dq * f[r, _SJQ])
    f[r, _GI], f[r, _GJ] = gain_i, gain_j
    key = gain_i if equal_gain else min(gain_i, gain_j)
    f[r, _KEY] = key
    if not (_valid_moves(f, r) and key >= _MIN_GAIN):
        return False
    valid = True
    # the second stop sees the first one's moves; a stop that shortens decides validity
    for side_i in (True, False):
        shortened = _stop_at_demander(f, g, r, side_i, equal_gain, offset, shift, has)
        if shortened >= 0:
            valid = shortened == 1
    return valid


@njit(cache=True, nogil=True)
def _randomise(f, r, p, u, v, z):
    """Randomised equal gain (NumPy engine: ``_randomise``); returns whether it is valid."""
    dp, dq, gain = f[r, _XP], f[r, _XQ], f[r, _GI]
    s_ip, s_iq, s_jp, s_jq = f[r, _SIP], f[r, _SIQ], f[r, _SJP], f[r, _SJQ]
    pick_i = u < 0.5
    max_i = max(dp * s_ip - dp * (s_jp / s_jq) * s_iq, gain)
    max_j = max(dq * s_jq - dq * (s_iq / s_ip) * s_jp, gain)
    g_max = max_i if pick_i else max_j
    g_new = gain + p * z * (g_max - gain) if v < 0.5 else gain - p * z * gain
    new_dq = (dp * s_ip - g_new) / s_iq if pick_i else dq
    new_dp = dp if pick_i else (dq * s_jq - g_new) / s_jp
    limit_q = abs(f[r, _TI] - f[r, _PI]) * f[r, _WIQ] / f[r, _DQ]
    limit_p = abs(f[r, _TJ] - f[r, _PJ]) * f[r, _WJP] / f[r, _DP]
    scale = min(limit_q / new_dq if new_dq > limit_q else 1.0,
                limit_p / new_dp if new_dp > limit_p else 1.0)
    new_dq, new_dp = new_dq * scale, new_dp * scale
    _set_moves(f, r, new_dp, new_dq)
    gain_i = new_dp * s_ip - new_dq * s_iq
    gain_j = new_dq * s_jq - new_dp * s_jp
    f[r, _GI], f[r, _GJ] = gain_i, gain_j
    f[r, _KEY] = min(gain_i, gain_j)
    return _valid_moves(f, r) and gain_i >= 0 and gain_j >= 0


@njit(cache=True, nogil=True)
def _calculate(f, g, index, count, valid, equal_gain, p, offset, shift, has, rng):
    """(Re)compute the exchanges ``index[:count]`` (ascending), drawing the randomised equal
    gain's numbers as the NumPy engine does: u for every valid one, then v, then z."""
    n_valid = 0
    for t in range(count):
        r = index[t]
        valid[r] = _terms(f, g, r, equal_gain, offset, shift, has)
        n_valid += valid[r]
    if not (equal_gain and p > 0) or n_valid == 0:
        return
    chosen = np.empty(n_valid, dtype=np.int64)
    k = 0
    for t in range(count):
        if valid[index[t]]:
            chosen[k] = index[t]
            k += 1
    draws = np.empty((3, n_valid))
    for row in range(3):
        for k in range(n_valid):
            draws[row, k] = rng.random()
    for k in range(n_valid):
        r = chosen[k]
        valid[r] = _randomise(f, r, p, draws[0, k], draws[1, k], draws[2, k])


@njit(cache=True, nogil=True)
def _list_exchanges(position, salience, weight, denominator, total, outcome):
    """Potential exchanges in the reference order: integer and float state arrays."""
    n, m = position.shape
    quadrant = np.full((n, m * m), -1, dtype=np.int64)
    size = 0
    for p in range(m):
        for q in range(p + 1, m):
            count = np.zeros(4, dtype=np.int64)
            for a in range(n):
                if (weight[a, p] > 0 and salience[a, p] > 0 and weight[a, q] > 0
                        and salience[a, q] > 0):
                    code = int(position[a, p] <= outcome[p]) + 2 * int(position[a, q] <= outcome[q])
                    quadrant[a, p * m + q] = code
                    count[code] += 1
            size += count[0] * count[3] + count[1] * count[2]
    g = np.empty((size, 8), dtype=np.int64)
    f = np.zeros((size, _NF))
    r = 0
    for p in range(m):
        for q in range(p + 1, m):
            for diagonal in range(2):
                for u in range(n):
                    if quadrant[u, p * m + q] != diagonal:
                        continue
                    for v in range(n):
                        if quadrant[v, p * m + q] != 3 - diagonal:
                            continue
                        lhs, rhs = salience[u, p] * salience[v, q], salience[v, p] * salience[u, q]
                        u_larger = not (lhs < rhs - 1e-12 * max(abs(lhs), abs(rhs)))
                        i, j = (u, v) if u_larger else (v, u)
                        g[r, _I], g[r, _J], g[r, _P], g[r, _Q] = i, j, p, q
                        g[r, _CI], g[r, _CJ] = j * m + q, i * m + p
                        g[r, _SLI], g[r, _SLJ] = (j * m + q) * n + i, (i * m + p) * n + j
                        f[r, _TI], f[r, _TJ] = position[j, q], position[i, p]
                        f[r, _STI], f[r, _STJ] = position[i, q], position[j, p]
                        f[r, _PI], f[r, _PJ] = position[i, q], position[j, p]
                        f[r, _WIQ], f[r, _WJP] = weight[i, q], weight[j, p]
                        f[r, _DP], f[r, _DQ] = denominator[p], denominator[q]
                        f[r, _SIP], f[r, _SIQ] = salience[i, p], salience[i, q]
                        f[r, _SJP], f[r, _SJQ] = salience[j, p], salience[j, q]
                        f[r, _OI] = total[q] - weight[i, q] * position[i, q]
                        f[r, _OJ] = total[p] - weight[j, p] * position[j, p]
                        f[r, _HNI] = f[r, _HNJ] = np.inf
                        f[r, _HXI] = f[r, _HXJ] = -np.inf
                        r += 1
    return g, f


@njit(cache=True, nogil=True)
def _weighted_mean(position, weight, out):
    """The capability x salience weighted mean per issue, the plain mean where no one attaches
    any salience (sums over actors in input order, as NumPy's)."""
    n, m = position.shape
    for k in range(m):
        total, weighted, plain = 0.0, 0.0, 0.0
        for a in range(n):
            total += weight[a, k]
            plain += position[a, k]
            weighted += weight[a, k] * position[a, k]
        out[k] = weighted / total if total > 0 else plain / n


@njit(cache=True, nogil=True)
def _receive(demander, issue, supplier, y, m, n, x0, weight, received, offset, shift, has):
    """``demander`` received ``supplier``'s vote ``y`` on ``issue``."""
    cell = demander * m + issue
    slot = cell * n + supplier
    start = x0[supplier, issue]
    if has[slot]:  # keep the smaller displacement from the supplier's start
        old = received[slot]
        y = min(old, y) if start <= old else max(old, y)
    received[slot] = y
    value = weight[supplier, issue] * (y - start)
    offset[cell] += value - shift[slot]
    shift[slot] = value
    has[slot] = True


@njit(cache=True, nogil=True)
def play_round(position, salience, weight, random_rate, p, tie_random, tie_tolerance,
               salience_weight, fixed_weight, rng, voting, nxt, voting_outcome):
    """One round: fills the voting and next positions and the voting outcome; returns the
    number of ties broken and of exchanges realised."""
    n, m = position.shape
    denominator, total, outcome = np.zeros(m), np.zeros(m), np.empty(m)
    for a in range(n):
        for k in range(m):
            denominator[k] += weight[a, k]
            total[k] += weight[a, k] * position[a, k]
    _weighted_mean(position, weight, outcome)
    g, f = _list_exchanges(position, salience, weight, denominator, total, outcome)
    size = g.shape[0]
    for r in range(size):
        s_ip, s_iq, s_jp, s_jq = f[r, _SIP], f[r, _SIQ], f[r, _SJP], f[r, _SJQ]
        f[r, _RATE] = (s_ip + s_jp) / (s_iq + s_jq)
    if random_rate:
        for r in range(size):
            low, high = f[r, _SJP] / f[r, _SJQ], f[r, _SIP] / f[r, _SIQ]
            f[r, _RATE] = low + (high - low) * rng.random()
    equal_gain = not random_rate
    offset, shift = np.zeros(n * m), np.zeros(n * m * n)
    received, has = np.zeros(n * m * n), np.zeros(n * m * n, dtype=np.bool_)
    valid = np.zeros(size, dtype=np.bool_)
    index = np.arange(size)
    _calculate(f, g, index, size, valid, equal_gain, p, offset, shift, has, rng)
    alive = valid.copy()
    score = np.empty(size)
    for r in range(size):
        score[r] = f[r, _KEY] if alive[r] else -np.inf
    for a in range(n):
        for k in range(m):
            voting[a, k] = position[a, k]
    voted = np.zeros((n, m), dtype=np.bool_)
    ties = realised = 0
    while True:
        top, best = -1, -np.inf
        for r in range(size):
            if score[r] > best:
                top, best = r, score[r]
        if top < 0:
            break
        runner_up = -np.inf
        for r in range(size):
            if r != top and score[r] > runner_up:
                runner_up = score[r]
        chosen = top
        if not runner_up < best - tie_tolerance:  # tied: the first two within the tolerance
            first = second = -1
            for r in range(size):
                if score[r] >= best - tie_tolerance:
                    if first < 0:
                        first = r
                    elif second < 0:
                        second = r
            ties += 1
            chosen = second if tie_random and rng.random() >= 0.5 else first
        r = chosen
        alive[r] = False
        score[r] = -np.inf
        realised += 1
        ri, rj, rp, rq = g[r, _I], g[r, _J], g[r, _P], g[r, _Q]
        y_i, y_j = f[r, _YI], f[r, _YJ]
        voting[ri, rq], voting[rj, rp] = y_i, y_j
        voted[ri, rq] = voted[rj, rp] = True
        gave_i, gave_j = ri * m + rq, rj * m + rp
        took_j, took_i = rj * m + rq, ri * m + rp
        _receive(rj, rq, ri, y_i, m, n, position, weight, received, offset, shift, has)
        _receive(ri, rp, rj, y_j, m, n, position, weight, received, offset, shift, has)
        count = 0
        for t in range(size):
            if not alive[t]:
                continue
            demand_i, demand_j = g[t, _I] * m + g[t, _P], g[t, _J] * m + g[t, _Q]
            supply_i, supply_j = g[t, _I] * m + g[t, _Q], g[t, _J] * m + g[t, _P]
            touched = (demand_j == took_j or demand_j == took_i or demand_i == took_j
                       or demand_i == took_i)
            # a matched side continues from the realised voting position; its planned move
            # becomes history
            if supply_i == gave_i or supply_i == gave_j:
                move = f[t, _MI]
                f[t, _HSI] += move
                f[t, _HNI] = min(f[t, _HNI], move)
                f[t, _HXI] = max(f[t, _HXI], move)
                f[t, _PI] = y_i if supply_i == gave_i else y_j
                touched = True
            if supply_j == gave_i or supply_j == gave_j:
                move = f[t, _MJ]
                f[t, _HSJ] += move
                f[t, _HNJ] = min(f[t, _HNJ], move)
                f[t, _HXJ] = max(f[t, _HXJ], move)
                f[t, _PJ] = y_i if supply_j == gave_i else y_j
                touched = True
            if touched:
                index[count] = t
                count += 1
        _calculate(f, g, index, count, valid, equal_gain, p, offset, shift, has, rng)
        for t in range(count):
            r = index[t]
            alive[r] = valid[r]
            score[r] = f[r, _KEY] if alive[r] else -np.inf
    for a in range(n):
        for k in range(m):
            nxt[a, k] = position[a, k]
            if voted[a, k]:
                share = (1.0 - salience[a, k]) * salience_weight + fixed_weight
                nxt[a, k] = share * voting[a, k] + (1.0 - share) * position[a, k]
    _weighted_mean(voting, weight, voting_outcome)
    return ties, realised


@njit(cache=True, nogil=True)
def run_batch(position, salience, weight, rounds, repetitions, random_rate, p, tie_random,
              tie_tolerance, salience_weight, fixed_weight, rng, trajectory, voting_outcome,
              ties, realised):
    """Every item (axis 0) and repetition of a batch on the 0-100 scale, items in order and the
    repetitions of an item in turn (the NumPy engine's order of random draws). Fills
    ``trajectory`` (items, repetitions, rounds + 1, n, m), ``voting_outcome`` (items,
    repetitions, rounds, m), ``ties`` (items, repetitions) and ``realised`` (items,
    repetitions, rounds)."""
    n_items, n, m = position.shape
    voting = np.empty((n, m))
    for item in range(n_items):
        for rep in range(repetitions):
            trajectory[item, rep, 0] = position[item]
            ties[item, rep] = 0
            for rnd in range(rounds):
                tie, count = play_round(
                    trajectory[item, rep, rnd], salience[item], weight[item], random_rate, p,
                    tie_random, tie_tolerance, salience_weight, fixed_weight, rng, voting,
                    trajectory[item, rep, rnd + 1], voting_outcome[item, rep, rnd])
                ties[item, rep] += tie
                realised[item, rep, rnd] = count
