"""One round of the expected-utility ("BDM") model in the order of operations of Scholz et al.'s
public code, so that positions, expected utilities and offers are that program's bit for bit
(``ExpectedUtilityModel(arithmetic="scholz-order")``).

The default arithmetic (:func:`allegiance.models.bdm.round.play_round`) computes the same
quantities in O(n² log n) a round by regrouping them: votes as prefix sums over the actors sorted
by position, the expected utility as ``u_s - q u_sq - s_j (1 - P)(u_s - u_f)``. The numbers agree
to round-off, and round-off matters where it decides a comparison between two equal quantities.
The plainest case: when two actors' saliences add up to 1, their expected utilities of
challenging each other are equal and opposite to first order in their distance, so once they
stand close together whether one offers the other a compromise (``EU_ji > |EU_ij|``) is settled
by the last bits, and the two arithmetics can take different moves from there on.

Here every quantity is formed as the public code forms it, vectorised over the batch and the
pairs of actors; only its sums run in its order (left to right, :func:`numpy.cumsum` along the
summed axis), and every power goes through :func:`allegiance.models.portable.power`, the C
library's ``pow`` that Python's ``**`` also calls:

- a voter's stake ``c_k s_k ((|x_k - x_b| / R)^r_k - (|x_k - x_a| / R)^r_k)`` for a over b;
- ``P(a beats b)``: the sum over voters of their positive stakes, over the sum of the absolute
  stakes of every voter on every ordered pair (zero where a and b coincide);
- ``u_success = 2 - 4 (0.5 - 0.5 |x_a - x_b| / R)^r``, ``u_failure`` with ``+``,
  ``u_sq = 2 - 4 · 0.5^r``, with the exponent of the actor whose view it is;
- ``EU = s_b (P u_success + (1 - P) u_failure) + (1 - s_b) u_success - q u_sq``;
- danger levels summed over the other actors in their order, risk, offers and moves from
  :mod:`allegiance.models.bdm.formulas`, the first best offer winning a tie.

A round costs O(n³) time per scenario (the all-pairs denominator is a triple sum added in
order; memory stays O(n²)), so this arithmetic is for single runs and reference checks of
modest size.
It covers the public code's rules only (all-pairs denominator, EU-weighted compromise, no
capitulation, risk from the actors' current danger levels).

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", Journal of Theoretical Politics 23(4), 2011, and its public implementation
(``bdm_scholz_model.py``). See docs/models/bdm.md, "Reproducing the reference".

>>> import numpy as np
>>> x = np.array([[0.0, 4.0, 10.0]])
>>> state = play_round_in_code_order(x, np.array([[0.9, 0.4, 0.8]]),
...     np.array([[0.9, 0.4, 1.6]]), np.array([10.0]), {"q": 1.0})
>>> state["position"].shape, state["kind"].tolist()
((1, 3), [[0, 2, 0]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allegiance.models.bdm.formulas import (
    compromise_key,
    compromise_position,
    offers,
    risk_exponent,
    round_state,
)
from allegiance.models.bdm.voting import risk_acceptance
from allegiance.models.portable import power


def ordered_sum(values: np.ndarray, axis: int) -> np.ndarray:
    """Sum along ``axis`` left to right, as Python's ``sum`` adds a list (``cumsum``'s last
    element; NumPy's ``sum`` adds long runs pairwise, which rounds differently).

    >>> values = np.array([1e16, 1.0, -1e16, 1.0])
    >>> float(ordered_sum(values, 0)), sum(values.tolist())
    (1.0, 1.0)
    """
    return np.take(np.cumsum(values, axis=axis), -1, axis=axis)


def probabilities(scaled: np.ndarray, exponent: np.ndarray, weight: np.ndarray,
                  same: np.ndarray) -> np.ndarray:
    """``P[b, a, c]``: the probability that a's position beats c's, every voter k voting with its
    stake ``w_k ((|x_k - x_c| / R)^r_k - (|x_k - x_a| / R)^r_k)``; ``scaled[b, k, a]`` is
    ``|x_k - x_a| / R``, ``exponent[b, k]`` the voters' exponents. Voter by voter, so that
    memory stays O(n²) per scenario."""
    size, n = weight.shape
    distance = power(scaled, exponent[:, :, None])  # [b, k, a] = (|x_k - x_a| / R)^r_k
    total = np.zeros(size)  # sum of |stake| over voters, then a, then c, in that order
    support = np.zeros((size, n, n))  # [b, a, c]: sum over voters of their positive stakes
    for k in range(n):
        d = distance[:, k]
        stake = weight[:, k, None, None] * (d[:, None, :] - d[:, :, None])  # [b, a, c]
        total = ordered_sum(np.concatenate([total[:, None], np.abs(stake).reshape(size, -1)],
                                           axis=1), axis=1)
        support += np.where(stake > 0, stake, 0.0)
    probability = np.zeros((size, n, n))
    usable = (total[:, None, None] > 0) & ~same
    np.divide(support, total[:, None, None], out=probability, where=usable)
    return probability


def expected_utility(probability: np.ndarray, gap: np.ndarray, salience_target: np.ndarray,
                     exponent: np.ndarray, value_range: np.ndarray, q: float) -> np.ndarray:
    """``EU`` of a challenge seen by an actor with risk exponent ``exponent``: ``probability``
    that the challenger wins, ``gap`` = |x_challenger - x_target|, the target resisting with
    probability ``salience_target`` (arrays broadcast against one another)."""
    half = 0.5 * gap / value_range
    success = 2.0 - 4.0 * power(0.5 - half, exponent)
    failure = 2.0 - 4.0 * power(0.5 + half, exponent)
    status_quo = 2.0 - 4.0 * power(np.full_like(exponent, 0.5), exponent)
    resist = salience_target * (probability * success + (1.0 - probability) * failure)
    return resist + (1.0 - salience_target) * success - q * status_quo


def play_round_in_code_order(
    position: np.ndarray,
    salience: np.ndarray,
    weight: np.ndarray,
    value_range: np.ndarray,
    settings: dict[str, Any],
) -> dict[str, np.ndarray]:
    """One round for a batch ``(B, n)`` in the public code's order of operations; returns what
    :func:`allegiance.models.bdm.round.play_round` returns (new positions, risk exponents, offer
    kinds and counterparts, ``eu_challenge[b, i, j]`` = EU_i(i challenges j) and
    ``eu_challenged[b, i, j]`` = EU_i(j challenges i))."""
    q = float(settings["q"])
    size, n = position.shape
    span = value_range[:, None, None]
    gap = np.abs(position[:, :, None] - position[:, None, :])  # [b, a, c] = |x_a - x_c|
    scaled = gap / span
    same = position[:, :, None] == position[:, None, :]
    own = np.arange(n)

    # 1. risk: i's danger level with every exponent 1, the sum over the others j (in order) of
    #    EU_i(j challenges i); every exponent then from i's danger among the actors' dangers
    ones = np.ones((size, n))
    first = probabilities(scaled, ones, weight, same)
    # threat[b, i, j] = EU_i(j challenges i): P(x_j beats x_i), i resisting
    threat = expected_utility(first.swapaxes(1, 2), gap, salience[:, :, None], ones[:, :, None],
                              span, q)
    threat[:, own, own] = 0.0  # i does not challenge itself (adding 0.0 changes no sum)
    danger = ordered_sum(threat, axis=2)
    acceptance = risk_acceptance(danger, danger.max(axis=-1, keepdims=True),
                                 danger.min(axis=-1, keepdims=True))
    risk = risk_exponent(acceptance)

    # 2. expected utilities seen by i with its own exponent, every voter voting with its own
    probability = probabilities(scaled, risk, weight, same)
    exponent = risk[:, :, None]
    eu_challenge = expected_utility(probability, gap, salience[:, None, :], exponent, span, q)
    eu_challenged = expected_utility(probability.swapaxes(1, 2), gap, salience[:, :, None],
                                     exponent, span, q)

    # 3. offers received by i from every j elsewhere: the nearest confrontation, else the
    #    compromise of least EU-weighted position (the public code never finds a capitulation)
    confront, compromise, _ = offers(eu_challenge, eu_challenged)
    confront &= ~same
    compromise &= ~same
    has_confront = confront.any(axis=-1)
    has_compromise = compromise.any(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        key = np.where(has_confront[:, :, None],
                       np.where(confront, gap, np.inf),
                       np.where(compromise, compromise_key(position[:, :, None],
                                                           position[:, None, :], eu_challenge,
                                                           eu_challenged, False), np.inf))
    pick = np.argmin(key, axis=-1)
    kind = np.where(has_confront, 1, np.where(has_compromise, 2, 0)).astype(np.int8)
    item = np.arange(size)[:, None]
    chosen = position[item, pick]
    taken = (item, own[None, :], pick)
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = compromise_position(position, chosen, eu_challenge[taken],
                                      eu_challenged[taken])
    new_position = np.where(kind == 1, chosen, np.where(kind == 2, partial, position))
    pick[kind == 0] = 0
    return round_state(new_position, risk, kind, pick, eu_challenge, eu_challenged)
