"""Compiled engine of the exchange model: one round, and whole runs of every item of a batch
(Monte Carlo draws) in one call, with the kernels of :mod:`allegiance.models.exchange.kernels`.

:func:`run_batch` runs the items in order and the repetitions of an item in turn, drawing from the
generator as the NumPy engine does item by item, so that a batch gives the same numbers, bit for
bit, as its items run one by one (tests/test_exchange_engines.py). Without Numba the same source
runs as plain Python.

Reference: F. N. Stokman and R. van Oosten, "The exchange of voting positions: an
object-oriented model of policy networks", in B. Bueno de Mesquita and F. N. Stokman (eds.),
*European Community Decision Making*, Yale University Press 1994, 105-127; the reference
implementation decide-exchange-model (release 2025.3.1). See docs/models/exchange.md.
"""

from __future__ import annotations

import numpy as np

from allegiance.models.exchange.kernels import (
    _HNI,
    _HNJ,
    _HSI,
    _HSJ,
    _HXI,
    _HXJ,
    _I,
    _J,
    _KEY,
    _MI,
    _MJ,
    _P,
    _PI,
    _PJ,
    _Q,
    _RATE,
    _SIP,
    _SIQ,
    _SJP,
    _SJQ,
    _YI,
    _YJ,
    HAVE_NUMBA,
    _calculate,
    _list_exchanges,
    _receive,
    _weighted_mean,
    njit,
)

__all__ = ["HAVE_NUMBA", "play_round", "run_batch"]


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
    offset, shift, received = np.zeros(n * m), np.zeros(n * m * n), np.zeros(n * m * n)
    has, valid = np.zeros(n * m * n, dtype=np.bool_), np.zeros(size, dtype=np.bool_)
    index = np.arange(size)
    _calculate(f, g, index, size, valid, equal_gain, p, offset, shift, has, rng)
    alive = valid.copy()
    score = np.empty(size)
    for r in range(size):
        score[r] = f[r, _KEY] if alive[r] else -np.inf
    voting[:, :] = position
    voted = np.zeros((n, m), dtype=np.bool_)
    # the cells each exchange demands and supplies, and the waiting exchanges in list order
    demand_i, demand_j = g[:, _I] * m + g[:, _P], g[:, _J] * m + g[:, _Q]
    supply_i, supply_j = g[:, _I] * m + g[:, _Q], g[:, _J] * m + g[:, _P]
    live = np.empty(size, dtype=np.int64)
    n_live = 0
    for r in range(size):
        if alive[r]:
            live[n_live] = r
            n_live += 1
    ties = realised = 0
    while True:
        # the best gain (the first listed of equal ones) and the best of the others
        top, best, runner_up = -1, -np.inf, -np.inf
        for k in range(n_live):
            s = score[live[k]]
            if s > best:
                top, best, runner_up = live[k], s, best
            elif s > runner_up:
                runner_up = s
        if top < 0:
            break
        chosen = top
        if not runner_up < best - tie_tolerance:  # tied: the first two within the tolerance
            first = second = -1
            for k in range(n_live):
                if score[live[k]] >= best - tie_tolerance:
                    if first < 0:
                        first = live[k]
                    elif second < 0:
                        second = live[k]
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
        for k in range(n_live):
            t = live[k]
            if not alive[t]:
                continue
            touched = (demand_j[t] == took_j or demand_j[t] == took_i or demand_i[t] == took_j
                       or demand_i[t] == took_i)
            # a matched side continues from the realised voting position; its planned move
            # becomes history
            if supply_i[t] == gave_i or supply_i[t] == gave_j:
                move = f[t, _MI]
                f[t, _HSI] += move
                f[t, _HNI] = min(f[t, _HNI], move)
                f[t, _HXI] = max(f[t, _HXI], move)
                f[t, _PI] = y_i if supply_i[t] == gave_i else y_j
                touched = True
            if supply_j[t] == gave_i or supply_j[t] == gave_j:
                move = f[t, _MJ]
                f[t, _HSJ] += move
                f[t, _HNJ] = min(f[t, _HNJ], move)
                f[t, _HXJ] = max(f[t, _HXJ], move)
                f[t, _PJ] = y_i if supply_j[t] == gave_i else y_j
                touched = True
            if touched:
                index[count] = t
                count += 1
        _calculate(f, g, index, count, valid, equal_gain, p, offset, shift, has, rng)
        for k in range(count):
            t = index[k]
            alive[t] = valid[t]
            score[t] = f[t, _KEY] if alive[t] else -np.inf
        kept = 0
        for k in range(n_live):  # drop the realised and the no longer valid exchanges
            if alive[live[k]]:
                live[kept] = live[k]
                kept += 1
        n_live = kept
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
