"""The pointwise formulas of the expected-utility ("BDM") model, written once for both engines:
on arrays by the NumPy engine (:mod:`allegiance.models.bdm.round`, :mod:`.voting`) and compiled,
on numbers, by the Numba kernels (:mod:`allegiance.models.bdm.kernels`).

Each function uses only arithmetic and comparisons that mean the same on a NumPy array and on a
float (``&`` of comparisons, ``np.abs``), so both engines perform the same floating-point
operations in the same order and give the same numbers bit for bit.

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", Journal of Theoretical Politics 23(4), 2011 (risk exponents, eq. 9; offers,
table 1); B. Bueno de Mesquita, "Political forecasting: an expected utility method" (1994).
See docs/models/bdm.md, steps 1 and 4.
"""

from __future__ import annotations

import numpy as np

#: Offer kinds, by the code used in the per-actor ``kind`` arrays (0: no offer taken).
OFFER_KINDS = {1: "confrontation", 2: "compromise", 3: "capitulation"}


def danger_level(salience, distance_total, pressure):
    """An actor's danger level with every risk exponent 1: ``sum_j EU_i(j challenges i) =
    2 (1 - 2 s_i) sum_j d_ij + 4 s_i sum_j d_ij P_ji`` (``distance_total`` the sum of its
    distances, ``pressure`` the probability-weighted sum).

    >>> float(danger_level(0.5, 3.0, 1.0))
    2.0
    """
    return 2.0 * (1.0 - 2.0 * salience) * distance_total + 4.0 * salience * pressure


def risk_exponent(acceptance):
    """The exponent r_i of an actor's utilities from its risk acceptance R_i in [-1, 1]:
    ``r = (1 - R/3) / (1 + R/3)``, from 2 (most risk-averse) to 1/2 (most risk-acceptant).

    >>> [round(float(risk_exponent(acceptance)), 12) for acceptance in (-1.0, 0.0, 1.0)]
    [2.0, 1.0, 0.5]
    """
    return (1.0 - acceptance / 3.0) / (1.0 + acceptance / 3.0)


def offers(challenge, challenged):
    """The offer actor i receives from j, from i's expected utilities ``challenge`` =
    EU_i(i challenges j) and ``challenged`` = EU_i(j challenges i): three flags, at most one set.

    - *confrontation*: both would challenge and j expects more (``challenged > challenge > 0``);
    - *compromise*: i would lose (``challenge < 0``) less than j gains
      (``challenged > |challenge|``);
    - *capitulation*: i would lose at least what j gains (and not exactly as much).

    >>> [bool(flag) for flag in offers(1.0, 2.0)], [bool(flag) for flag in offers(-1.0, 2.0)]
    ([True, False, False], [False, True, False])
    >>> [bool(flag) for flag in offers(-2.0, 1.0)], [bool(flag) for flag in offers(-1.0, 1.0)]
    ([False, False, True], [False, False, False])
    """
    loss = np.abs(challenge)
    loses = (challenged > 0) & (challenge < 0)
    confront = (challenged > challenge) & (challenge > 0)
    compromise = loses & (challenged > loss)
    capitulate = loses & (challenged <= loss) & (challenged != -challenge)
    return confront, compromise, capitulate


def compromise_position(own, other, challenge, challenged):
    """Where i moves in a compromise with j: toward x_j by the share its loss is of j's gain,
    ``x_i + (x_j - x_i) |EU_i(i challenges j) / EU_i(j challenges i)|``.

    >>> float(compromise_position(0.0, 10.0, -1.0, 4.0))
    2.5
    """
    return own + (other - own) * np.abs(challenge / challenged)


def compromise_key(own, other, challenge, challenged, smallest_move):
    """The key by which i ranks its compromise offers, the least first: the length of the move
    (``smallest_move``, Scholz et al.'s paper) or the EU-weighted position of the pair
    (``(|EU_ij| x_i + |EU_ji| x_j) / (|EU_ij| + |EU_ji|)``, their code).

    >>> [float(compromise_key(0.0, 10.0, -1.0, 4.0, rule)) for rule in (True, False)]
    [2.5, 8.0]
    """
    if smallest_move:  # |x_i - compromise_position(...)|, written out so that Numba compiles it
        return np.abs(own - (own + (other - own) * np.abs(challenge / challenged)))
    return (np.abs(challenge) * own + np.abs(challenged) * other) / (
        np.abs(challenge) + np.abs(challenged))


def round_state(position, risk, kind, counterpart, eu_challenge, eu_challenged) -> dict:
    """What a round returns in either arithmetic (``round.play_round``,
    ``code_order.play_round_in_code_order``): the new positions, the risk exponents, each
    actor's offer kind (:data:`OFFER_KINDS`, 0 none) and counterpart, and the expected
    utilities ``eu_challenge[b, i, j]`` = EU_i(i challenges j), ``eu_challenged[b, i, j]`` =
    EU_i(j challenges i)."""
    return {"position": position, "risk": risk, "kind": kind, "counterpart": counterpart,
            "eu_challenge": eu_challenge, "eu_challenged": eu_challenged}
