"""Challenges in the Spatial Model of Politics (NumPy engine): who challenges whom, with what
chance of winning and what expected gain, once third parties join the side they expect to serve
them best (ThirdPartyCommit).

:func:`challenge_matrices` gives every actor's own estimate of every challenge it could make
(``(n, n)`` matrices; the third parties' ``(i, j, n)`` terms in cache-sized blocks);
:func:`estimates` gives any actor's estimate of any challenge, for the other three views KTAB
reports. ``params`` is a :class:`~allegiance.models.smp.SpatialModel` (its option values).

Reference: KTAB's Spatial Model of Politics (Wise et al., KAPSARC 2015–2017), ``SMPState`` —
``probEduChlg``; docs/models/smp.md, steps 3–4.
"""

from __future__ import annotations

import numpy as np

from allegiance.models.smp.formulas import estimated_risk, utility
from allegiance.models.smp.pce import vote

#: elements per chunk of the O(n³) estimates (keeps memory O(n²))
CHUNK_ELEMENTS = 1 << 19
#: elements per block of the challenge matrices' third-party terms (fits a core's cache)
CACHE_BLOCK = 1 << 16


def estimates(params, state, salience, cap, h, k, i, j):
    """h's estimate of the probability that i beats j, and of k's expected gain from i
    challenging j (vectorised over index arrays ``h, k, i, j``; third parties chunked)."""
    d, risk = state["distance"], state["risk"]
    h, k, i, j = (np.asarray(a, dtype=np.intp) for a in (h, k, i, j))
    n = d.shape[0]
    s_sum = salience.sum(axis=-1)
    weight = s_sum * cap
    prob = np.empty(h.shape)
    gain = np.empty(h.shape)
    step = max(1, CHUNK_ELEMENTS // max(n, 1))
    d_t = d.T
    d_diag = np.diagonal(d)[None, :]
    rule, adjust = params.voting_rule, params.big_r_adjust
    third = np.arange(n)[None, :]
    for start in range(0, h.size, step):
        sl = slice(start, start + step)
        hh, kk, ii, jj = h[sl], k[sl], i[sl], j[sl]
        r_h = risk[hh]

        def u(a, b, r_h=r_h):
            return utility(d[a, b], estimated_risk(r_h, risk[a], adjust))

        uii, uij, uji, ujj = u(ii, ii), u(ii, jj), u(jj, ii), u(jj, jj)
        uki, ukj = u(kk, ii), u(kk, jj)
        contrib_i = vote(rule, weight[ii], uii - uij)
        contrib_j = vote(rule, weight[jj], uji - ujj)
        c_ij = (1e-10 + np.maximum(contrib_i, 0.0)) + np.maximum(contrib_j, 0.0)
        c_ji = (1e-10 - np.minimum(contrib_i, 0.0)) - np.minimum(contrib_j, 0.0)
        r_n = estimated_risk(r_h[:, None], risk[None, :], adjust)
        uni = utility(d_t[ii], r_n)
        unj = utility(d_t[jj], r_n)
        unn = utility(d_diag, r_n)
        w_n = weight[None, :]
        contrib_n = vote(rule, w_n, uni - unj)
        cni = c_ij[:, None] + np.maximum(contrib_n, 0.0)
        cnj = c_ji[:, None] - np.minimum(contrib_n, 0.0)
        pin = cni / (cni + cnj)
        pjn = 1.0 - pin
        commit = params.third_party_commit
        if commit == "SemiCommit":
            u_ik_j = pin * (uni + uni + unn) + pjn * (unj + unj + unj)
            u_i_jk = pin * (uni + uni + uni) + pjn * (unj + unj + unn)
        elif commit == "FullCommit":
            u_ik_j = pin * (uni + uni + uni) + pjn * (unj + unj + unj)
            u_i_jk = u_ik_j
        else:
            u_ik_j = pin * (uni + uni + unn) + pjn * (unj + unj + unn)
            u_i_jk = u_ik_j
        v = vote(rule, w_n, u_ik_j - u_i_jk)
        v = np.where((third == ii[:, None]) | (third == jj[:, None]), 0.0, v)
        c_ij = c_ij + np.maximum(v, 0.0).sum(axis=1)
        c_ji = c_ji - np.minimum(v, 0.0).sum(axis=1)
        p_ij = c_ij / (c_ij + c_ji)
        p_ji = c_ji / (c_ij + c_ji)
        s_j = s_sum[jj]
        victory = uki + uki
        contest = p_ij * victory + p_ji * (ukj + ukj)
        prob[sl] = p_ij
        gain[sl] = ((1 - s_j) * victory + s_j * contest) - (uki + ukj)
    return prob, gain

def challenge_matrices(params, state, salience, cap):
    """Every actor's own estimate of every challenge it could make: ``(prob, gain)``,
    ``prob[i, j]`` the probability that i beats j and ``gain[i, j]`` i's expected gain
    from challenging j, as i sees them (the diagonal holds 0 and −inf).

    The numbers of :meth:`estimates` with ``h = k = i`` (equal to rounding), computed
    faster: whatever depends on one pair only is an ``(n, n)`` matrix computed once, and the
    third parties' ``(i, j, n)`` terms (:meth:`_third_party_votes`) are worked through in
    cache-sized blocks.
    """
    d, risk = state["distance"], state["risk"]
    rule = params.voting_rule
    s_sum = salience.sum(axis=-1)
    weight = s_sum * cap
    est = estimated_risk(risk[:, None], risk[None, :], params.big_r_adjust)  # est[h, a]
    diag = np.diagonal(d)
    u_ii = utility(diag, np.diagonal(est))  # i's utility for its own position
    u_ij = utility(d, np.diagonal(est)[:, None])  # ... and for j's
    # i's estimates of actor n's utility for i's position and for n's own (n = j included)
    u_ni = utility(d.T, est)
    u_nn = utility(diag[None, :], est)
    contrib_i = vote(rule, weight[:, None], u_ii[:, None] - u_ij)
    contrib_j = vote(rule, weight[None, :], u_ni - u_nn)
    c_ij = (1e-10 + np.maximum(contrib_i, 0.0)) + np.maximum(contrib_j, 0.0)
    c_ji = (1e-10 - np.minimum(contrib_i, 0.0)) - np.minimum(contrib_j, 0.0)
    if params.third_party_commit == "SemiCommit":
        third_for, third_against = third_party_votes(params, d, est, weight, u_ni, u_nn,
                                                           c_ij, c_ji)
        c_ij = c_ij + third_for
        c_ji = c_ji - third_against
    # NoCommit and FullCommit: a third party expects the same whichever side it joins, so
    # its vote is zero
    with np.errstate(invalid="ignore", divide="ignore"):
        p_ij = c_ij / (c_ij + c_ji)
        p_ji = c_ji / (c_ij + c_ji)
    s_j = s_sum[None, :]
    victory = u_ii[:, None] + u_ii[:, None]
    contest = p_ij * victory + p_ji * (u_ij + u_ij)
    gain = ((1 - s_j) * victory + s_j * contest) - (u_ii[:, None] + u_ij)
    np.fill_diagonal(gain, -np.inf)
    np.fill_diagonal(p_ij, 0.0)
    return p_ij, gain

def third_party_votes(params, d, est, weight, u_ni, u_nn, c_ij, c_ji):
    """Sums over third parties n (n ≠ i, j) of the positive and negative SemiCommit votes
    in i's challenge of j, as i estimates them: ``(Σ max(v, 0), Σ min(v, 0))``, each
    ``(n, n)``.

    n first sides with i or j by its own utilities (``vote(u_ni − u_nj)``), which gives the
    odds ``p_in`` of i winning with n's help; it then votes by how much better it expects
    to do by committing to i's side than to j's:
    ``p_in (u_nn − u_ni) + (1 − p_in)(u_nj − u_nn)`` (a committed third party keeps its
    own position when its side wins and takes the winner's otherwise).
    """
    n = d.shape[0]
    rule = params.voting_rule
    prop = rule == "Prop"
    d_jn = np.ascontiguousarray(d.T)  # d[n, j] laid out [j, n]
    # u_nj = utility(d[n, j], est[i, n]) = keep[j, n] + slope[j, n] · est[i, n]
    keep = 1.0 - d_jn
    slope = np.where(d_jn <= 1.0, keep * d_jn, keep)
    a_in = u_nn - u_ni  # gain for n when i wins and n keeps its own position
    c_sum = c_ij + c_ji
    w_n = weight[None, None, :]
    block = max(1, CACHE_BLOCK // max(n * n, 1))
    buffers = np.empty((3, min(n, block) * n * n))
    third_for = np.empty((n, n))
    third_against = np.empty((n, n))
    rows = np.arange(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, n, block):
            sl = slice(start, min(n, start + block))
            shape = (sl.stop - start, n, n)
            b_jn, vote_n, p_in = (buf[:np.prod(shape)].reshape(shape) for buf in buffers)
            a = a_in[sl, None, :]
            # b_jn = u_nj − u_nn: gain for n when j wins and n keeps its own position
            np.multiply(slope[None], est[sl, None, :], out=b_jn)
            b_jn += keep[None]
            b_jn -= u_nn[sl, None, :]
            # n's vote between i and j: u_ni − u_nj = −(a + b)
            np.add(a, b_jn, out=vote_n)
            if prop:
                vote_n *= -w_n
            else:
                vote_n = vote(rule, w_n, np.negative(vote_n, out=vote_n))
            np.maximum(vote_n, 0.0, out=p_in)
            p_in += c_ij[sl, :, None]
            np.abs(vote_n, out=vote_n)
            vote_n += c_sum[sl, :, None]
            p_in /= vote_n
            # n's preference for committing to i: b + p_in (a − b)
            commit = np.subtract(a, b_jn, out=vote_n)
            commit *= p_in
            commit += b_jn
            v = np.multiply(w_n, commit, out=commit) if prop else vote(rule, w_n, commit)
            v[rows[sl] - start, :, rows[sl]] = 0.0  # i is no third party
            v[:, rows, rows] = 0.0  # nor is j
            total = v.sum(axis=-1)
            size = np.abs(v, out=v).sum(axis=-1)
            third_for[sl] = (total + size) / 2.0
            third_against[sl] = (total - size) / 2.0
    return third_for, third_against
