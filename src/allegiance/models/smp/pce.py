"""Probabilistic Condorcet Elections (PCE): votes, coalitions, victory odds, outcome odds.

The building blocks of the Spatial Model of Politics (:mod:`allegiance.models.smp`), following
the definitions of KAPSARC's KTAB toolkit (Wise et al. 2015, "KTAB: a toolkit for building
agent-based models of collective decision-making", KAPSARC discussion paper KS-1521-DP017A).
All functions are vectorised with leading batch axes.

- :func:`vote`: how much influence an actor with weight ``w`` exerts for option *a* over *b*
  given the utility difference ``u_a - u_b`` (the ``VotingRule``).
- :func:`coalitions`: strength ``c[a, b]`` of the coalition preferring *a* to *b*: the sum of
  the positive votes, plus a tiny floor (1e-8).
- :func:`victory_probabilities`: ``P[a, b]`` that *a* beats *b* from the two coalitions
  (the ``VictoryProbModel``); ``P[a, a] = 1/2``.
- :func:`pce`: the probability of each option being the outcome (the ``PCEModel``):
  *Conditional* (each option must beat every other: ``p_a ∝ Π_b P[a, b]``), *MarkovIncentive*
  and *MarkovUniform* (stationary distributions of challenge processes).

Example
-------
>>> import numpy as np
>>> utility = np.array([[1.0, 0.2], [0.3, 1.0], [0.9, 0.4]])   # 3 voters, 2 options
>>> weight = np.array([1.0, 1.0, 2.0])
>>> c = coalitions(utility, weight, "Prop")
>>> p = pce(c, "Linear", "Conditional")
>>> bool(p[0] > p[1])
True
"""

from __future__ import annotations

import numpy as np

from allegiance.models.portable import exp, log

#: floor added to every coalition strength so that no contest is 0 : 0
MIN_COALITION = 1e-8
#: block size (elements) for the O(voters × options²) coalition sums (fits a core's cache)
CHUNK = 1 << 16


def vote(rule: str, weight, du):
    """Influence exerted for *a* over *b* by an actor of weight ``weight`` when ``du = u_a − u_b``.

    Binary: ``w·clip(du / 1e-8, −1, 1)``; PropBin: ``w·(0.8·du + 0.2·binary)``; Prop: ``w·du``;
    PropCbc: ``w·(du + du³)/2``; Cubic: ``w·du³``; ASymProsp: ``w·du`` for losses and
    ``2/3·w·du`` for gains (prospect theory; not antisymmetric).
    """
    if rule == "Prop":
        return weight * du
    if rule == "Binary":
        return weight * np.clip(du / 1e-8, -1.0, 1.0)
    if rule == "PropBin":
        return weight * ((1 - 0.2) * du + 0.2 * np.clip(du / 1e-8, -1.0, 1.0))
    if rule == "PropCbc":
        return weight * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "Cubic":
        return weight * (du * du * du)
    if rule == "ASymProsp":
        return np.where(du < 0.0, weight * du, np.where(du > 0.0, (2.0 * weight * du) / 3.0, 0.0))
    raise ValueError(f"unknown voting rule {rule!r}")


def is_antisymmetric(rule: str) -> bool:
    """True when ``vote(w, −du) = −vote(w, du)`` (every rule but ASymProsp)."""
    return rule != "ASymProsp"


def coalitions(utility: np.ndarray, weight: np.ndarray, rule: str) -> np.ndarray:
    """Coalition strengths ``c[..., a, b]`` for options *a* over *b*.

    ``utility`` is ``(..., n_voters, n_options)`` and ``weight`` ``(..., n_voters)``. For each
    pair *a > b* (by index) the votes ``vote(w_k, u_ka − u_kb)`` are split: positive ones add to
    ``c[a, b]``, negative ones (negated) to ``c[b, a]``; the diagonal holds the floor. (For the
    antisymmetric rules this is simply ``c[a, b] = floor + Σ_k max(vote(w_k, u_ka − u_kb), 0)``.)
    """
    utility = np.asarray(utility, dtype=float)
    weight = np.asarray(weight, dtype=float)
    *batch, n_voters, n_options = utility.shape
    u_t = np.swapaxes(utility, -1, -2)  # (..., option, voter): sums run over the last axis
    w = weight[..., None, None, :]
    positive = np.empty((*batch, n_options, n_options))
    negative = None if is_antisymmetric(rule) else np.empty_like(positive)
    per_option = n_options * n_voters * max(1, int(np.prod(batch, dtype=int)))
    step = max(1, CHUNK // per_option)
    for start in range(0, n_options, step):
        sl = slice(start, start + step)
        votes = u_t[..., sl, None, :] - u_t[..., None, :, :]  # (..., a, b, voter)
        if rule == "Prop":
            votes *= w
        else:
            votes = vote(rule, w, votes)
        if negative is not None:
            negative[..., sl, :] = -np.minimum(votes, 0.0).sum(axis=-1)
        positive[..., sl, :] = np.maximum(votes, 0.0, out=votes).sum(axis=-1)
    idx = np.arange(n_options)
    lower = idx[:, None] > idx[None, :]
    if negative is None:
        c = MIN_COALITION + positive
    else:
        c = MIN_COALITION + np.where(lower, positive, np.swapaxes(negative, -1, -2))
    c[..., idx, idx] = MIN_COALITION
    return c


def _pair_probability(model: str, s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that coalition strengths ``s1`` beat ``s2`` and vice versa."""
    if model == "Linear":
        x1, x2 = s1, s2
    elif model == "Square":
        x1, x2 = s1 * s1, s2 * s2
    elif model == "Quartic":
        x1, x2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    elif model == "Octic":
        q1, q2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
        x1, x2 = q1 * q1, q2 * q2
    elif model == "Binary":
        thresh, min_x = 1.10, 1e-6
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = s1 / (s1 + s2)
            mid = (ratio * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        first = s1 >= thresh * s2
        second = ~first & (s2 >= thresh * s1)
        x1 = np.where(first, 1.0, np.where(second, min_x, mid))
        x2 = np.where(first, min_x, np.where(second, 1.0, 1 - mid))
    else:
        raise ValueError(f"unknown victory probability model {model!r}")
    total = x1 + x2
    return x1 / total, x2 / total


def victory_probabilities(c: np.ndarray, model: str) -> np.ndarray:
    """``P[..., a, b]``: probability that option *a* beats *b* given coalition strengths ``c``."""
    lower_first, lower_second = _pair_probability(model, c, np.swapaxes(c, -1, -2))
    n = c.shape[-1]
    idx = np.arange(n)
    lower = idx[:, None] > idx[None, :]
    upper = idx[:, None] < idx[None, :]
    p = np.where(lower, lower_first, np.where(upper, np.swapaxes(lower_second, -1, -2), 0.5))
    return p


def _conditional(p_win: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        log_p = log(p_win).sum(axis=-1)
    top = log_p.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    p = exp(log_p - top)
    return p / p.sum(axis=-1, keepdims=True)


def _markov(step, p0: np.ndarray, tol: float, max_iter: int = 100_000) -> np.ndarray:
    """Iterate ``p ← (p + q(p))/2`` per batch item until ``max|q − p| ≤ tol`` (then freeze it)."""
    p = p0.copy()
    active = np.ones(p.shape[:-1], dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        q = step(p)
        change = np.abs(q - p).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active &= change > tol
    return p


def pce(c: np.ndarray, victory_model: str, pce_model: str) -> np.ndarray:
    """Outcome probabilities ``(..., n_options)`` of a PCE with coalition strengths ``c``."""
    c = np.asarray(c, dtype=float)
    n = c.shape[-1]
    p_win = victory_probabilities(c, victory_model)
    if pce_model == "Conditional":
        return _conditional(p_win)
    p0 = np.full(c.shape[:-1], 1.0 / n)
    if pce_model == "MarkovUniform":
        def step(p):
            # q_i = Σ_j P[i, j] (p_i + p_j) / n
            return (p_win * (p[..., :, None] + p[..., None, :])).sum(axis=-1) / n
        return _markov(step, p0, 1e-6)
    if pce_model == "MarkovIncentive":
        incentive = c * p_win
        idx = np.arange(n)
        incentive[..., idx, idx] += 1e-10
        # challenge[i, j]: probability that i is the challenger of j
        challenge = incentive / incentive.sum(axis=-2, keepdims=True)

        def step(p):
            ct = p[..., :, None] * np.swapaxes(challenge, -1, -2)  # ct[i, j] = p_i · ch[j, i]
            return (p_win * (ct + np.swapaxes(ct, -1, -2))).sum(axis=-1)
        return _markov(step, p0, 1e-8)
    raise ValueError(f"unknown PCE model {pce_model!r}")


def scalar_pce(utility: np.ndarray, weight: np.ndarray, rule: str, victory_model: str,
               pce_model: str) -> np.ndarray:
    """PCE over options valued by ``utility (..., n_voters, n_options)`` with voter weights."""
    return pce(coalitions(utility, weight, rule), victory_model, pce_model)


def big_r(p: np.ndarray, big_r_range: str) -> np.ndarray:
    """Risk attitudes from outcome probabilities: the likeliest actor is the most risk-acceptant.

    Min: ``(p − p_min)/(p_max − p_min)`` in [0, 1]; Mid: ``(3p − p_max − 2p_min)/(2(p_max −
    p_min))`` in [−½, 1]; Max: ``(2p − p_max − p_min)/(p_max − p_min)`` in [−1, 1]. When all
    probabilities are equal every actor is risk-neutral (0).
    """
    p_min = p.min(axis=-1, keepdims=True)
    p_max = p.max(axis=-1, keepdims=True)
    spread = p_max - p_min
    with np.errstate(invalid="ignore", divide="ignore"):
        if big_r_range == "Min":
            r = (p - p_min) / spread
        elif big_r_range == "Mid":
            r = (3 * p - (p_max + 2 * p_min)) / (2 * spread)
        elif big_r_range == "Max":
            r = (2 * p - (p_max + p_min)) / spread
        else:
            raise ValueError(f"unknown BigRRange {big_r_range!r}")
    return np.where(spread > 0, r, 0.0)
