"""One round of the expected-utility ("BDM") model for a batch ``(B, n)``, and whole runs, in
both engines: NumPy (:func:`play_round`, :func:`take_offers`, :func:`simulate`) and the compiled
Numba kernels of :mod:`allegiance.models.bdm.kernels` (:func:`simulate_compiled`, the same
numbers bit for bit).

A round: risk exponents from danger levels, probabilities of success from every actor's vote,
expected utilities of challenging and being challenged, and the offer each actor takes
(confrontation, compromise, capitulation).

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", Journal of Theoretical Politics 23(4), 2011; B. Bueno de Mesquita, "Political
forecasting: an expected utility method" (1994). See docs/models/bdm.md, steps 1–4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allegiance import parallel
from allegiance.models.bdm.code_order import play_round_in_code_order
from allegiance.models.bdm.formulas import (
    compromise_key,
    compromise_position,
    offers,
    risk_exponent,
    round_state,
)
from allegiance.models.bdm.voting import (
    danger_levels,
    danger_over_positions,
    midpoint_index,
    pair_support,
    risk_acceptance,
    unsort_pairs,
)
from allegiance.models.portable import power

# Receiving actors handled together when a single large scenario is split across threads.
ROW_BLOCK = 128


def compiled_kernels():
    """The compiled kernels module, or None when Numba is not installed."""
    try:
        from allegiance.models.bdm import kernels
    except ImportError:  # pragma: no cover - numba missing
        return None
    return kernels




def play_round(
    position: np.ndarray,
    salience: np.ndarray,
    weight: np.ndarray,
    value_range: np.ndarray,
    settings: dict[str, Any],
) -> dict[str, np.ndarray]:
    """One round for a batch ``(B, n)``: risk exponents, expected utilities, offers, new positions.

    Votes are summed with the actors sorted by position (see :func:`pair_support`); expected
    utilities and offers are computed in the actors' own order, so that ties between equally good
    offers go to the first actor, as in the reference implementation.
    """
    q = settings["q"]
    pair = settings["pair_denominator"]
    size, n = position.shape
    order = np.argsort(position, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(n), (size, n)), axis=-1)
    ordered = np.take_along_axis(position, order, axis=-1)
    salience_s = np.take_along_axis(salience, order, axis=-1)
    weight_s = np.take_along_axis(weight, order, axis=-1)
    distance_s = ordered[:, None, :] - ordered[:, :, None]
    below_s = distance_s > 0.0
    np.abs(distance_s, out=distance_s)
    distance_s /= value_range[:, None, None]
    index = midpoint_index(ordered)

    # 1. risk exponents from danger levels computed with every exponent at 1
    support_1 = pair_support(weight_s[:, :, None] * distance_s, index, below_s)
    if settings["risk_over_positions"]:
        over = danger_over_positions(distance_s, support_1, weight_s, salience_s, pair)
        acceptance_s = risk_acceptance(
            np.diagonal(over, axis1=1, axis2=2), over.max(axis=-1), over.min(axis=-1)
        )
    else:
        danger = danger_levels(distance_s, support_1, salience_s, pair)
        acceptance_s = risk_acceptance(
            danger, danger.max(axis=-1, keepdims=True), danger.min(axis=-1, keepdims=True)
        )
    risk_s = risk_exponent(acceptance_s)
    risk = np.take_along_axis(risk_s, rank, axis=-1)

    # 2. probabilities of success: every voter votes with its own exponent
    weighted = power(distance_s, risk_s[:, :, None])
    weighted *= weight_s[:, :, None]
    support = unsort_pairs(pair_support(weighted, index, below_s), rank)
    separation = position[:, None, :] - position[:, :, None]  # [b, i, j] = x_j - x_i
    same = separation == 0.0
    np.abs(separation, out=separation)
    distance = separation / value_range[:, None, None]
    if pair:
        denominator = support + support.swapaxes(1, 2)
    else:
        denominator = np.broadcast_to(2.0 * support.sum(axis=(1, 2))[:, None, None],
                                      support.shape)
    probability = np.zeros_like(support)
    usable = denominator > 0
    usable &= ~same
    np.divide(support, denominator, out=probability, where=usable)

    # 3.-4. expected utilities and offers, by blocks of receiving actors (rows are independent)
    eu_challenge = np.empty((size, n, n))
    eu_challenged = np.empty((size, n, n))
    kind = np.empty((size, n), dtype=np.int8)
    pick = np.empty((size, n), dtype=np.intp)
    new_position = np.empty((size, n))

    def offers(rows: slice) -> None:
        block = take_offers(position, salience, risk, probability, separation, distance, same, rows,
                        q, settings, eu_challenge[:, rows], eu_challenged[:, rows])
        kind[:, rows], pick[:, rows], new_position[:, rows] = block

    if size == 1 and n >= ROW_BLOCK:
        blocks = [slice(start, min(n, start + ROW_BLOCK)) for start in range(0, n, ROW_BLOCK)]
        parallel.thread_map(offers, blocks)
    else:
        offers(slice(0, n))
    return round_state(new_position, risk, kind, pick, eu_challenge, eu_challenged)


def take_offers(
    position: np.ndarray,
    salience: np.ndarray,
    risk: np.ndarray,
    probability: np.ndarray,
    separation: np.ndarray,
    distance: np.ndarray,
    same: np.ndarray,
    rows: slice,
    q: float,
    settings: dict[str, Any],
    eu_challenge: np.ndarray,
    eu_challenged: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected utilities seen by the receiving actors ``rows`` and the offer each one takes.

    Fills ``eu_challenge, eu_challenged`` (``[b, i, j]`` for i in ``rows``: EU_i(i challenges j),
    EU_i(j challenges i)) and returns per receiver the offer kind (0 none), the counterpart and
    the new position.
    """
    size, n = position.shape
    x_i = position[:, rows]
    count = x_i.shape[1]
    separation = separation[:, rows]  # |x_j - x_i|
    distance = distance[:, rows]
    # utilities seen by i with its own exponent (in place: these arrays are the hot path)
    exponent = risk[:, rows, None]
    toward = np.multiply(distance, -0.5)
    toward += 0.5
    np.maximum(toward, 0.0, out=toward)
    power(toward, exponent, out=toward)  # u_success = 2 - 4 toward
    spread = np.multiply(distance, 0.5)
    spread += 0.5
    power(spread, exponent, out=spread)  # u_failure = 2 - 4 spread
    spread -= toward
    spread *= 4.0  # u_success - u_failure
    status_quo = 2.0 - 4.0 * power(0.5, risk[:, rows])
    base = np.multiply(toward, -4.0, out=toward)
    base += (2.0 - q * status_quo)[:, :, None]  # u_success - q u_status_quo
    np.subtract(1.0, probability[:, rows], out=eu_challenge)
    eu_challenge *= spread
    eu_challenge *= salience[:, None, :]
    np.subtract(base, eu_challenge, out=eu_challenge)
    np.subtract(1.0, probability[:, :, rows].swapaxes(1, 2), out=eu_challenged)
    eu_challenged *= spread
    eu_challenged *= salience[:, rows, None]
    np.subtract(base, eu_challenged, out=eu_challenged)

    # offers received by i (rows) from j (columns); the three kinds exclude one another
    valid = ~same[:, rows]
    confront, compromise, capitulate = offers(eu_challenge, eu_challenged)
    confront &= valid
    compromise &= valid
    # a receiver takes the first kind it is offered (confrontation, compromise, capitulation)
    has_confront = confront.any(axis=-1)
    has_compromise = compromise.any(axis=-1)
    kind = np.where(has_confront, 1, np.where(has_compromise, 2, 0)).astype(np.int8)
    eligible = np.where(has_confront[:, :, None], confront, compromise)
    if settings["capitulation"]:
        capitulate &= valid
        has_capitulate = capitulate.any(axis=-1) & (kind == 0)
        kind[has_capitulate] = 3
        eligible |= capitulate & has_capitulate[:, :, None]
    # ranking keys: the move for confrontations and capitulations; compromises get theirs below
    key = np.where(eligible, separation, np.inf)
    where = np.flatnonzero(compromise & eligible)
    if where.size:
        mine = x_i.reshape(-1)[where // n]  # row b * count + i
        theirs = position.reshape(-1)[(where // (count * n)) * n + where % n]
        lose = eu_challenge.reshape(-1)[where]
        gain = eu_challenged.reshape(-1)[where]
        key.reshape(-1)[where] = compromise_key(mine, theirs, lose, gain,
                                                settings["compromise_smallest_move"])
    pick = np.argmin(key, axis=-1)
    moved = kind > 0
    flat = np.arange(size * count) * n + pick.reshape(-1)
    chosen = position.reshape(-1)[(flat // (count * n)) * n + pick.reshape(-1)].reshape(size, count)
    conceding = kind == 2  # compromise: move part of the way toward the chosen actor
    if conceding.any():
        lose = eu_challenge.reshape(-1)[flat].reshape(size, count)
        gain = eu_challenged.reshape(-1)[flat].reshape(size, count)
        with np.errstate(divide="ignore", invalid="ignore"):
            partial = compromise_position(x_i, chosen, lose, gain)
        chosen = np.where(conceding, partial, chosen)
    new_position = np.where(moved, chosen, x_i)
    pick[~moved] = 0
    return kind, pick, new_position


def simulate(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    value_range: np.ndarray,
    rounds: int,
    settings: dict[str, Any],
    keep_details: bool,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any] | None]:
    """Play ``rounds`` rounds for a batch ``(B, n)``; details are kept for a single run. With
    ``settings["code_order"]`` each round is :func:`play_round_in_code_order`."""
    step = play_round_in_code_order if settings.get("code_order") else play_round
    size, n = position.shape
    trajectory = np.empty((size, rounds + 1, n))
    trajectory[:, 0] = position
    risk = np.ones((size, rounds, n))
    weight = capability * salience
    details: dict[str, Any] | None = None
    if keep_details:
        details = {key: np.zeros((rounds, n), dtype=dtype) for key, dtype in (
            ("kind", np.int8), ("counterpart", np.intp), ("eu_challenge", float),
            ("eu_challenged", float), ("risk", float))}
    x = position.copy()
    state: dict[str, np.ndarray] | None = None
    for t in range(rounds):
        if n < 2:
            trajectory[:, t + 1] = x
            continue
        state = step(x, salience, weight, value_range, settings)
        x = state["position"]
        trajectory[:, t + 1] = x
        risk[:, t] = state["risk"]
        if details is not None:
            rows = np.arange(n)
            details["kind"][t] = state["kind"][0]
            details["counterpart"][t] = state["counterpart"][0]
            details["eu_challenge"][t] = state["eu_challenge"][0, rows, state["counterpart"][0]]
            details["eu_challenged"][t] = state["eu_challenged"][0, rows, state["counterpart"][0]]
            details["risk"][t] = state["risk"][0]
            details["view_position"] = trajectory[0, t]
            details["view_eu_challenge"] = state["eu_challenge"][0]
            details["view_eu_challenged"] = state["eu_challenged"][0]
    if details is not None and "view_position" not in details:
        if n >= 2:
            state = step(position, salience, weight, value_range, settings)
            details["view_eu_challenge"] = state["eu_challenge"][0]
            details["view_eu_challenged"] = state["eu_challenged"][0]
        else:
            details["view_eu_challenge"] = np.zeros((n, n))
            details["view_eu_challenged"] = np.zeros((n, n))
        details["view_position"] = position[0]
    return trajectory, risk, details


def simulate_compiled(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    value_range: np.ndarray,
    rounds: int,
    settings: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray, None]:
    """:func:`simulate` with the Numba kernels (same numbers; no details, no positions-risk):
    every round of every item in one compiled call (``kernels.simulate_batch``)."""
    kernels = compiled_kernels()
    size, n = position.shape
    trajectory = np.empty((size, rounds + 1, n))
    trajectory[:, 0] = position
    risk = np.ones((size, rounds, n))
    if n < 2:
        trajectory[:, 1:] = position[:, None, :]
        return trajectory, risk, None
    kernels.simulate_batch(
        np.ascontiguousarray(capability * salience, dtype=float),
        np.ascontiguousarray(salience, dtype=float), np.ascontiguousarray(value_range, dtype=float),
        float(settings["q"]), bool(settings["pair_denominator"]),
        bool(settings["compromise_smallest_move"]), bool(settings["capitulation"]), trajectory,
        risk, 0.5)
    return trajectory, risk, None
