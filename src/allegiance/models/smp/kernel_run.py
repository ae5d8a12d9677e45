"""Compiled engine of the Spatial Model of Politics (Numba): a whole run in one call, and a
batch of runs (Monte Carlo draws) in one call with the forecast of each.

:func:`run` plays the turns of one scenario with the kernels of
:mod:`allegiance.models.smp.kernels_assess` and :mod:`allegiance.models.smp.kernels`;
:func:`run_batch` runs every item of a batch (the draws'
positions, saliences, capabilities and uniforms) and computes each item's outcome (the
PCE-weighted mean of its distinct final positions) as :mod:`allegiance.models.smp.turn` does,
so that a batch gives the same numbers as its items run one by one. Options arrive as codes
(:func:`allegiance.models.smp.options.engine_codes`).

Reference: KTAB's Spatial Model of Politics (B. Wise, L. Lumley, Y. Mohammed et al., KAPSARC
2015–2017); docs/models/smp.md. Imported lazily, only when the compiled engine is chosen.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from allegiance.models.smp.formulas import POSITION_TOLERANCE
from allegiance.models.smp.kernels import challenge_search, estimate, interpolate
from allegiance.models.smp.kernels_assess import assess, distance_matrix, est_risk, pce, util
from allegiance.models.smp.options import BargainKind, BargnModel, StateTransitions

__all__ = ["final_outcome", "pce", "run", "run_batch"]


@njit(cache=True)
def allocate(n, dims, max_turns, bmod):
    """The record of a run: history, risks, targets, estimates, then the bargains (count,
    initiator, receiver, kind, both positions), adopted, chosen_prob, queue_len, ratios."""
    nb_max = n * (2 if bmod == BargnModel.InitRcvrInterp else 1)
    return (np.empty((max_turns + 1, n, dims)), np.empty((max_turns + 1, n)),
            np.full((max_turns, n), -1), np.full((max_turns, n, 4, 2), np.nan),
            np.zeros(max_turns, dtype=np.int64), np.zeros((max_turns, nb_max), dtype=np.int64),
            np.zeros((max_turns, nb_max), dtype=np.int64),
            np.zeros((max_turns, nb_max), dtype=np.int64), np.zeros((max_turns, nb_max, dims)),
            np.zeros((max_turns, nb_max, dims)), np.full((max_turns, n), -1),
            np.zeros((max_turns, n)), np.zeros((max_turns, n), dtype=np.int64),
            np.zeros(max_turns))


@njit(cache=True)
def weights(salience, cap):
    """Each actor's salience sum and its weight (salience sum × capability)."""
    n, dims = salience.shape
    s_sum = np.zeros(n)
    for a in range(n):
        for x in range(dims):
            s_sum[a] += salience[a, x]
    return s_sum, s_sum * cap


@njit(cache=True)
def run(position0, salience, cap, accommodation, has_accommodation, codes, max_turns,
        min_turns, min_ratio, min_sig, uniforms, details=True):
    """A whole run. ``codes`` = (rule, vpm, pcem, adjust, r_range, commit, ivb, bmod, stm);
    ``details=False`` skips the estimates only events report (batches). The same turns as
    :func:`allegiance.models.smp.stepwise.run`, which plays them in blocks."""
    rule, vpm, pcem, adjust, r_range, commit = (codes[0], codes[1], codes[2], codes[3],
                                                codes[4], codes[5])
    n, dims = position0.shape
    record = allocate(n, dims, max_turns, codes[7])
    history, risks, ratios = record[0], record[1], record[13]
    s_sum, weight = weights(salience, cap)
    position = position0.copy()
    ideal = position0.copy()
    history[0] = position
    first_move = -1.0
    t = 0
    d, risk = assess(ideal, position, salience, cap, rule, vpm, pcem, r_range)
    while True:
        risks[t] = risk
        target, prob, gain = challenge_search(d, risk, weight, s_sum, rule, adjust, commit)
        new_position, ideal = play_turn(t, position, ideal, d, risk, target, prob, gain,
                                        salience, cap, weight, s_sum, accommodation,
                                        has_accommodation, codes, uniforms, details, record)
        t += 1
        move = movement(new_position, position)
        if first_move < 0:
            first_move = move + min_sig
        ratios[t - 1] = move / first_move
        position = new_position
        history[t] = position
        d, risk = assess(ideal, position, salience, cap, rule, vpm, pcem, r_range)
        if t >= max_turns or (t >= min_turns and ratios[t - 1] < min_ratio):
            break
    risks[t] = risk
    return (t, history, risks, record[2], record[3], record[4], record[5], record[6],
            record[7], record[8], record[9], record[10], record[11], record[12], ratios, d)


@njit(cache=True)
def movement(new_position, position):
    """The total movement of a turn: the sum of the actors' Euclidean moves."""
    n, dims = position.shape
    move = 0.0
    for a in range(n):
        acc = 0.0
        for x in range(dims):
            v = new_position[a, x] - position[a, x]
            acc += v * v
        move += math.sqrt(acc)
    return move


@njit(cache=True)
def play_turn(t, position, ideal, d, risk, target, prob, gain, salience, cap, weight, s_sum,
              accommodation, has_accommodation, codes, uniforms, details, record):
    """Turn ``t`` once the challenges are chosen (``target``, ``prob``, ``gain``): bargains,
    queues and their elections, the adopted positions and the ideals that follow them (written
    into ``record``, :func:`allocate`); returns the new positions and ideals."""
    rule, vpm, pcem, adjust, commit, ivb, bmod, stm = (
        codes[0], codes[1], codes[2], codes[3], codes[5], codes[6], codes[7], codes[8])
    targets, estimates, n_bargains, b_init, b_rcvr, b_kind, b_pos_i, b_pos_j = record[2:10]
    adopted, chosen_prob, queue_len = record[10], record[11], record[12]
    n, dims = position.shape
    parts = 2 if bmod == BargnModel.InitRcvrInterp else 1
    d_t = d.T.copy()
    nb = 0
    for i in range(n):
        j = target[i]
        if j < 0:
            continue
        estimates[t, i, 0, 0] = prob[i]
        estimates[t, i, 0, 1] = gain[i]
        for r in range(3):
            # without details only the receiver's view of i's gain is needed, for bargains
            # that use it (not InitOnlyInterp)
            if not details and (r != 1 or bmod == BargnModel.InitOnlyInterp):
                continue
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
            if bmod == BargnModel.InitOnlyInterp:
                kind = BargainKind.initiator
            elif bmod == BargnModel.PWCompInterp:
                kind = BargainKind.compromise
            else:
                kind = BargainKind.initiator if part == 0 else BargainKind.receiver
            b_init[t, nb] = i
            b_rcvr[t, nb] = j
            b_kind[t, nb] = kind
            for x in range(dims):
                ai, aj = interpolate(position[i, x], salience[i, x], p_iij,
                                     position[j, x], salience[j, x], 1 - p_iij, ivb)
                if kind == BargainKind.initiator:
                    b_pos_i[t, nb, x], b_pos_j[t, nb, x] = ai, aj
                    continue
                bi, bj = interpolate(position[i, x], salience[i, x], p_jij,
                                     position[j, x], salience[j, x], 1 - p_jij, ivb)
                if kind == BargainKind.receiver:
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
        if stm == StateTransitions.Deterministic:
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
    return new_position, ideal


@njit(cache=True)
def final_outcome(position, d, risk, cap, codes):
    """The PCE-probability-weighted mean of the distinct final positions (unit scale): greedy
    classes of positions within ``POSITION_TOLERANCE``, each valued by every actor with its own
    risk attitude, and a PCE among all actors over them."""
    n, dims = position.shape
    reps = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        near = False
        for r in range(count):
            acc = 0.0
            for x in range(dims):
                v = position[reps[r], x] - position[i, x]
                acc += v * v
            if math.sqrt(acc) < POSITION_TOLERANCE:
                near = True
                break
        if not near:
            reps[count] = i
            count += 1
    value = np.empty((count, n))  # [option, voter]
    for a in range(n):
        r_own = est_risk(risk[a], risk[a], codes[3])
        for o in range(count):
            value[o, a] = util(d[a, reps[o]], r_own)
    p = pce(value, cap, codes[0], codes[1], codes[2])
    out = np.zeros(dims)
    for o in range(count):
        for x in range(dims):
            out[x] += p[o] * position[reps[o], x]
    return out


@njit(cache=True, nogil=True)
def run_batch(position, salience, cap, accommodation, has_accommodation, codes, max_turns,
              min_turns, min_ratio, min_sig, uniforms, span, low, turns, history, outcome):
    """Every item of a batch ``(B, n, D)`` (unit scale); fills ``turns (B,)``, ``history (B,
    max_turns + 1, n, D)`` (a run that stops early repeats its last positions) and ``outcome
    (B, D)``, mapped back to the issues' scales (``x * span + low``). ``uniforms`` is ``(B,
    max_turns, n)`` for stochastic transitions. Releases the GIL (chunks run in threads)."""
    size, n, dims = position.shape
    for b in range(size):
        result = run(position[b], salience[b], cap[b], accommodation, has_accommodation, codes,
                     max_turns, min_turns, min_ratio, min_sig, uniforms[b], False)
        t = result[0]
        steps = result[1]
        turns[b] = t
        for s in range(max_turns + 1):
            step = steps[min(s, t)]
            for a in range(n):
                for x in range(dims):
                    history[b, s, a, x] = step[a, x] * span[x] + low[x]
        unit = final_outcome(steps[t], result[15], result[2][t], cap[b], codes)
        for x in range(dims):
            outcome[b, x] = unit[x] * span[x] + low[x]
