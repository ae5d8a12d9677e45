"""Kernels of the exchange model's compiled engine (:mod:`.kernel_run`), one exchange at a time,
with the NumPy engine's float arithmetic.

Here: the exchanges of a round in the reference order (:mod:`.candidates`), their equal-gain
terms, the stop at a demander's position and the randomised equal gain (:mod:`.terms`), what a
demander receives when an exchange is realised (:mod:`.round`), and the expected outcome. The
round itself (choice, realisation, recalculation, votes) is :func:`.kernel_run.play_round`.
Formulas keep the NumPy engine's order of operations, sums over actors run in input order as
NumPy's do, and random numbers come from the same generator in the same order (``rng.random()``
compiled by Numba draws NumPy's doubles), so the numbers are the NumPy engine's bit for bit
(tests/test_exchange_engines.py). Without Numba the same source runs as plain Python.

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

import numpy as np

from allegiance.models.exchange.candidates import _EDGE, _MIN_GAIN
from allegiance.models.exchange.terms import (
    break_even_gains,
    move_allowed,
    net_gains,
    outcome_seen,
)

try:  # numba is optional: the same kernel runs (slowly) as plain Python without it
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    HAVE_NUMBA = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(function):
            return function

        return wrap


__all__ = ["HAVE_NUMBA", "njit"]

# columns of the float state of an exchange (one row per potential exchange)
(_RATE, _TI, _TJ, _STI, _STJ, _PI, _PJ, _WIQ, _WJP, _DP, _DQ, _SIP, _SIQ, _SJP, _SJQ, _OI, _OJ,
 _MI, _MJ, _YI, _YJ, _GI, _GJ, _KEY, _XP, _XQ, _HSI, _HNI, _HXI, _HSJ, _HNJ, _HXJ) = range(32)
_NF = 32
# columns of the integer state: actors, issues, and the cells and slots of the outcome views
(_I, _J, _P, _Q, _CI, _CJ, _SLI, _SLJ) = range(8)


#: whether a move is allowed: the NumPy engine's formula (:func:`.terms.move_allowed`), compiled
_move_ok = njit(cache=True, nogil=True)(move_allowed)
#: the partners' gains, their break-even gains and the expected outcome, compiled likewise
_net_gains = njit(cache=True, nogil=True)(net_gains)
_break_even_gains = njit(cache=True, nogil=True)(break_even_gains)
_outcome_seen = njit(cache=True, nogil=True)(outcome_seen)


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
    f[r, _MI], f[r, _MJ], f[r, _XP], f[r, _XQ] = move_i, move_j, dp, dq
    f[r, _YI], f[r, _YJ] = f[r, _PI] + move_i, f[r, _PJ] + move_j


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
    nbs0 = _outcome_seen(base, w, pos, d)
    nbs1 = _outcome_seen(base, w, y, d)
    before, after = target - nbs0, target - nbs1
    above, below = before >= 0 and after >= 0, before <= 0 and after <= 0
    if above or below or not (abs(before) > _EDGE and abs(after) > _EDGE):
        return -1
    stale = (shift[slot] - w * (pos - start)) / d if has[slot] else 0.0
    move = abs(target - (nbs0 + stale))
    if side_i:
        dq, dp = move, move / f[r, _RATE]
    else:
        dp, dq = move, move * f[r, _RATE]
    _set_moves(f, r, dp, dq)
    gain_i, gain_j = _net_gains(dp, dq, f[r, _SIP], f[r, _SIQ], f[r, _SJP], f[r, _SJQ])
    gain_i, gain_j = abs(gain_i), abs(gain_j)
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
    move_i, move_j = dq * d_q / w_iq, dist_j
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
    gain_i, gain_j = _net_gains(dp, dq, f[r, _SIP], f[r, _SIQ], f[r, _SJP], f[r, _SJQ])
    gain_i, gain_j = abs(gain_i), abs(gain_j)
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
    max_i, max_j = _break_even_gains(dp, dq, s_ip, s_iq, s_jp, s_jq)
    max_i, max_j = max(max_i, gain), max(max_j, gain)
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
    gain_i, gain_j = _net_gains(new_dp, new_dq, s_ip, s_iq, s_jp, s_jq)
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
    for k in range(3 * n_valid):
        draws[k // n_valid, k % n_valid] = rng.random()
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
