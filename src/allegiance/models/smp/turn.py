"""One turn of the Spatial Model of Politics and a whole run (NumPy engine, one scenario).

The readable engine, and the one that records every matrix (``record=True``): assessment of the
state (distances, risk-neutral PCE, risk attitudes), the challenge search
(:mod:`allegiance.models.smp.challenge`), bargains, each actor's queue and the PCE over it, and
the stopping rule. ``params`` is a :class:`~allegiance.models.smp.SpatialModel`.

Reference: KTAB's Spatial Model of Politics (Wise et al., KAPSARC 2015–2017), ``SMPState::
doBCN`` and ``SMPModel``; docs/models/smp.md, steps 1–8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allegiance.models.smp.challenge import challenge_matrices
from allegiance.models.smp.challenge import estimates as challenge_estimates
from allegiance.models.smp.formulas import (
    MIN_SIGNIFICANT_GAIN,
    distance,
    estimated_risk,
    interpolate,
    unique_positions,
    utility,
)
from allegiance.models.smp.options import engine_codes
from allegiance.models.smp.pce import big_r, scalar_pce


@dataclass
class Turn:
    """Everything computed in one turn (for events, explanations and records)."""

    target: np.ndarray
    probability: np.ndarray
    gain: np.ndarray
    estimates: np.ndarray  # (n, 4, 2): (i,i,i,j), (i,j,i,j), (j,i,i,j), (j,j,i,j) -> (p, gain)
    bargains: dict[str, np.ndarray]
    queues: list[np.ndarray]
    queue_utility: list[np.ndarray]
    queue_probability: list[np.ndarray]
    chosen: np.ndarray  # index in the queue
    adopted: np.ndarray  # bargain index adopted by each actor, -1 = status quo
    chosen_probability: np.ndarray  # probability of the adopted option
    queue_length: np.ndarray  # options in each actor's queue (status quo included)
    record: dict[str, Any] = field(default_factory=dict)


def stop(params, t: int, ratio: float) -> bool:
    """KTAB's stopping rule after turn ``t`` with change ratio ``ratio``."""
    return t >= params.rounds or (t >= params.min_turns and ratio < params.min_delta_ratio)


def play_turn(params, state, ideal, position, salience, cap, draws, record: bool) -> Turn:
    n = len(cap)
    prob_m, gain_m = challenge_matrices(params, state, salience, cap)
    best = np.argmax(gain_m, axis=1)
    best_gain = gain_m[np.arange(n), best]
    has = best_gain > MIN_SIGNIFICANT_GAIN
    target = np.where(has, best, -1)
    t_prob = np.where(has, prob_m[np.arange(n), best], np.nan)
    t_gain = np.where(has, best_gain, np.nan)
    ci = np.flatnonzero(has)
    cj = best[ci]
    # the other three estimates KTAB reports for each challenge
    hs = np.concatenate([ci, cj, cj])
    ks = np.concatenate([cj, ci, cj])
    p3, g3 = challenge_estimates(params, state, salience, cap, hs, ks,
                                  np.tile(ci, 3), np.tile(cj, 3))
    m = len(ci)
    estimates = np.full((n, 4, 2), np.nan)
    estimates[ci, 0, 0], estimates[ci, 0, 1] = t_prob[ci], t_gain[ci]
    for r in range(3):
        estimates[ci, r + 1, 0] = p3[r * m:(r + 1) * m]
        estimates[ci, r + 1, 1] = g3[r * m:(r + 1) * m]
    # bargains
    p_iij = t_prob[ci][:, None]
    # the receiver's view: KTAB passes j's estimate of i's *expected gain* (not of the
    # probability) as the interpolation weight; kept for identical numbers
    p_jij = estimates[ci, 2, 1][:, None]
    pos_i, pos_j = position[ci], position[cj]
    sal_i, sal_j = salience[ci], salience[cj]
    iij = interpolate(pos_i, pos_j, sal_i, sal_j, p_iij, 1 - p_iij, params.inter_vec_brgn)
    jij = interpolate(pos_i, pos_j, sal_i, sal_j, p_jij, 1 - p_jij, params.inter_vec_brgn)
    s_sum = salience.sum(axis=-1)
    # power weights of the compromise; KTAB uses the initiator's capability for both sides
    w_i = (cap[ci] * s_sum[ci])[:, None]
    w_j = (cap[ci] * s_sum[cj])[:, None]
    comp = ((w_i * iij[0] + w_j * jij[0]) / (w_i + w_j),
            (w_i * iij[1] + w_j * jij[1]) / (w_i + w_j))
    if params.bargn_model == "InitOnlyInterp":
        parts = [(iij, 0)]
    elif params.bargn_model == "PWCompInterp":
        parts = [(comp, 2)]
    else:
        parts = [(iij, 0), (jij, 1)]
    k_parts = len(parts)
    # bargains ordered by initiator, then by kind
    b_init = np.repeat(ci, k_parts)
    b_rcvr = np.repeat(cj, k_parts)
    b_kind = np.tile([kind for _, kind in parts], m)
    dim = position.shape[1]
    b_pos_i = np.stack([p[0] for p, _ in parts], axis=1).reshape(m * k_parts, dim)
    b_pos_j = np.stack([p[1] for p, _ in parts], axis=1).reshape(m * k_parts, dim)
    bargains = {"initiator": b_init, "receiver": b_rcvr, "kind": b_kind,
                "position_initiator": b_pos_i, "position_receiver": b_pos_j}
    # value of each bargain to every actor
    self_u = self_utility(params, state)
    row_sum = self_u.sum(axis=1)
    risk = state["risk"]
    u_init = utility(distance(ideal, b_pos_i, salience), risk[:, None])
    u_rcvr = utility(distance(ideal, b_pos_j, salience), risk[:, None])
    # both sums are symmetric in (initiator, receiver), so that a bargain and its mirror
    # image (i->j and j->i giving the same two positions) tie exactly, as in KTAB
    u_bargain = ((row_sum[:, None] - (self_u[:, b_init] + self_u[:, b_rcvr]))
                 + (u_init + u_rcvr)) / n
    u_sq = row_sum / n
    # queues: status quo first, then the bargains involving the actor
    involved = np.zeros((n, len(b_init)), dtype=bool)
    involved[b_init, np.arange(len(b_init))] = True
    involved[b_rcvr, np.arange(len(b_init))] = True
    queues = [np.flatnonzero(involved[k]) for k in range(n)]
    lengths = np.array([len(q) for q in queues])
    q_prob: list[np.ndarray] = [np.empty(0)] * n
    q_util: list[np.ndarray] = [np.empty((n, 0))] * n
    for length in np.unique(lengths):
        group = np.flatnonzero(lengths == length)
        if length == 0:
            for k in group:
                q_prob[k] = np.ones(1)
                q_util[k] = u_sq[:, None]
            continue
        idx = np.stack([queues[k] for k in group])  # (G, L)
        util = np.concatenate(
            [np.broadcast_to(u_sq[None, :, None], (len(group), n, 1)),
             np.moveaxis(u_bargain[:, idx], 0, 1)], axis=2)  # (G, n, L+1)
        p = scalar_pce(util, np.broadcast_to(cap, (len(group), n)), params.voting_rule,
                       params.victory_prob_model, params.pce_model)
        for g, k in enumerate(group):
            q_prob[k] = p[g]
            if record:
                q_util[k] = util[g]
    chosen = np.zeros(n, dtype=int)
    for k in range(n):
        if params.state_transitions == "Deterministic":
            chosen[k] = int(np.argmax(q_prob[k]))
        else:
            hit = np.flatnonzero(draws[k] <= np.cumsum(q_prob[k]))
            chosen[k] = int(hit[0]) if hit.size else len(q_prob[k]) - 1
    adopted = np.array([queues[k][chosen[k] - 1] if chosen[k] > 0 else -1
                        for k in range(n)], dtype=int)
    turn = Turn(target=target, probability=t_prob, gain=t_gain, estimates=estimates,
                 bargains=bargains, queues=queues, queue_utility=q_util,
                 queue_probability=q_prob, chosen=chosen, adopted=adopted,
                 chosen_probability=np.array([q_prob[k][chosen[k]] for k in range(n)]),
                 queue_length=lengths + 1)
    if record:
        risk = state["risk"]
        est = estimated_risk(risk[:, None], risk[None, :], params.big_r_adjust)  # (h, i)
        perspective = utility(state["distance"][None, :, :], est[:, :, None])
        full = lambda a: np.full((n, 2, position.shape[1]), np.nan)  # noqa: E731
        iij_all, jij_all, comp_all = full(0), full(0), full(0)
        for arr, src in ((iij_all, iij), (jij_all, jij), (comp_all, comp)):
            arr[ci, 0], arr[ci, 1] = src[0], src[1]
        turn.record.update({
            "raw_utility": state["value"],
            "p_neutral": state["p_neutral"],
            "risk": risk,
            "utility": utility(state["distance"], risk[:, None]),
            "perspective_utility": perspective,
            "gain_matrix": gain_m,
            "probability_matrix": prob_m,
            "estimates": estimates,
            "bargain_iij": iij_all,
            "bargain_jij": jij_all,
            "bargain_compromise": comp_all,
            "bargains": bargains,
            "queues": queues,
            "queue_utility": q_util,
            "queue_probability": q_prob,
            "chosen": chosen,
        })
    return turn


def run_numpy(params, position, salience, cap, accommodation, uniforms, record: bool):
    """A whole run of one scenario (unit scale): ``(history, turns, risks, ratios, final
    distances, win probabilities per turn or None)``."""
    ideal = position.copy()
    history = [position]
    risks: list[np.ndarray] = []
    turns: list[Turn] = []
    ratios: list[float] = []
    wins: list[dict] | None = [] if record else None
    first_move = None
    state = assess(params, ideal, position, salience, cap)
    t = 0
    while True:
        risks.append(state["risk"])
        if wins is not None:
            wins.append(win_probability(params, state, position, cap))
        draws = uniforms[t] if uniforms.size else None
        turn = play_turn(params, state, ideal, position, salience, cap, draws, record=record)
        new_position = position.copy()
        moved = turn.adopted >= 0
        chosen_b = turn.adopted[moved]
        initiators = turn.bargains["initiator"][chosen_b]
        actors = np.flatnonzero(moved)
        is_init = initiators == actors
        new_position[actors] = np.where(is_init[:, None],
                                        turn.bargains["position_initiator"][chosen_b],
                                        turn.bargains["position_receiver"][chosen_b])
        if accommodation is None:
            ideal = new_position.copy()
        else:
            lag = 1.0 - np.minimum(accommodation.sum(axis=1), 1.0)
            ideal = accommodation @ new_position + lag[:, None] * ideal
        t += 1
        move = float(np.sqrt(((new_position - position) ** 2).sum(axis=-1)).sum())
        if first_move is None:
            first_move = move + params.min_sig_delta
        ratio = move / first_move
        ratios.append(ratio)
        if record:
            turn.record["positions"] = new_position
            turn.record["change_ratio"] = ratio
        turns.append(turn)
        position = new_position
        history.append(position)
        state = assess(params, ideal, position, salience, cap)
        if stop(params, t, ratio):
            break
    risks.append(state["risk"])
    return history, turns, risks, ratios, state["distance"], wins

# ------------------------------------------------------------------ per-state assessment
def assess(params, ideal, position, salience, cap) -> dict[str, np.ndarray]:
    d = distance(ideal, position, salience)
    value = utility(d, 0.0)
    p_neutral = scalar_pce(value, cap, params.voting_rule, params.victory_prob_model,
                           params.pce_model)
    risk = big_r(p_neutral, params.big_r_range)
    return {"distance": d, "value": value, "p_neutral": p_neutral, "risk": risk}

def self_utility(params, state) -> np.ndarray:
    """``aUtil[h][h, j]``: each actor's own utility for every position."""
    risk = state["risk"]
    own = estimated_risk(risk, risk, params.big_r_adjust)
    return utility(state["distance"], own[:, None])

def win_probability(params, state, position, cap, return_reps=False, kernels=None):
    reps, klass = unique_positions(position)
    u = self_utility(params, state)[:, reps]
    if kernels is not None:
        codes = engine_codes(params)
        from allegiance.models.smp import stepwise  # in blocks: Ctrl-C heard

        p = stepwise.pce(np.ascontiguousarray(u.T), np.ascontiguousarray(cap, dtype=float),
                         codes[0], codes[1], codes[2])
    else:
        p = scalar_pce(u, cap, params.voting_rule, params.victory_prob_model, params.pce_model)
    out = {"by_representative": p, "by_actor": p[klass]}
    return (out, reps) if return_reps else out
