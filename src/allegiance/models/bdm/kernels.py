"""Compiled kernels of the expected-utility ("BDM") model (Numba): whole runs, item by item.

The NumPy functions in :mod:`allegiance.models.bdm.round` are the readable reference. These kernels
compute the same rounds with loops compiled by Numba, one batch item at a time with O(n²) scratch
arrays reused across items and rounds, which avoids the hundred or so NumPy passes (and their
temporaries) that a round costs at small n. They perform the same floating-point operations in the
same order as the NumPy path, so both engines give identical numbers:

- voters' prefix sums are running sums in the order of ``numpy.cumsum``, as
  ``bdm.voting.voter_prefix_sums`` computes them (:func:`prefix_over_voters`);
- sums that NumPy reduces along a contiguous axis use NumPy's pairwise summation
  (:func:`pairwise_sum`); sums over a non-contiguous axis are sequential;
- every power is the C library's ``pow``, which is what ``models.portable.power`` calls in the
  NumPy engine on every machine (:func:`powers_item`).

A round of one item is :func:`sort_item` (sorting, distances, unit votes), their prefix sums,
:func:`risk_item` (danger levels, risk exponents), :func:`powers_item` (votes and the powers in
the utilities), the votes' prefix sums, then :func:`finish_item` (probabilities, expected
utilities, offers, new positions); :func:`simulate_batch` runs every round of every item.

Imported lazily, only when Numba is installed; compiled functions are cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from allegiance.models.bdm import formulas
from allegiance.models.bdm.summation import pairwise_sum

# The model's pointwise formulas, as the NumPy engine uses them (:mod:`.formulas`), compiled.
_danger_level = njit(cache=True, nogil=True)(formulas.danger_level)
_risk_exponent = njit(cache=True, nogil=True)(formulas.risk_exponent)
_offers = njit(cache=True, nogil=True)(formulas.offers)
_compromise_position = njit(cache=True, nogil=True)(formulas.compromise_position)
_compromise_key = njit(cache=True, nogil=True)(formulas.compromise_key)


@njit(cache=True, nogil=True)
def support_from_prefix(cumulative, counts, below, support):
    """``support[p, q] = sum_k max(0, wd[k, q] - wd[k, p])`` from the voters' prefix sums
    ``cumulative[r, a] = sum_{k < r} wd[k, a]`` (see ``bdm.voting.pair_support``).

    Actors are sorted by position; ``counts[p, q]`` is the number of voters below the midpoint of
    p and q and ``below[p, q]`` says x_p < x_q.
    """
    n = support.shape[0]
    for p in range(n):
        for q in range(n):
            gain = cumulative[counts[p, q], q] - cumulative[counts[q, p], p]
            if below[p, q]:
                value = gain
            else:
                value = (cumulative[n, q] - cumulative[n, p]) - gain
            if value < 0.0:
                value = 0.0
            support[p, q] = value


@njit(cache=True, nogil=True)
def stable_order(values, order):
    """``order`` = the stable argsort of ``values``: insertion sort below 32 values, else NumPy's
    merge sort (both stable, so both give the permutation of ``numpy.argsort(kind="stable")``)."""
    n = values.shape[0]
    if n > 32:
        order[:] = np.argsort(values, kind="mergesort")
        return
    for k in range(n):
        item = values[k]
        place = k
        while place > 0 and values[order[place - 1]] > item:
            order[place] = order[place - 1]
            place -= 1
        order[place] = k


@njit(cache=True, nogil=True)
def sort_item(x, weight, width, order, ordered, rank, counts, below, distance_s, weight_s,
              unit_votes):
    """Stage 1 of a round, for one batch item: ``rank`` (each actor's place in position order),
    the midpoint ``counts`` and ``below`` flags, ``distance_s`` and ``weight_s`` (sorted order),
    and ``unit_votes = weight_s[k] * distance_s[k, a]`` (the votes with every exponent 1)."""
    n = x.shape[0]
    stable_order(x, order)
    for k in range(n):
        a = order[k]
        rank[a] = k
        ordered[k] = x[a]
        weight_s[k] = weight[a]
    for p in range(n):
        c = 0
        for q in range(n):
            midpoint = (ordered[p] + ordered[q]) * 0.5
            while c < n and ordered[c] < midpoint:
                c += 1
            counts[p, q] = c
            step = ordered[q] - ordered[p]
            below[p, q] = step > 0.0
            distance_s[p, q] = abs(step) / width
    for k in range(n):
        for q in range(n):
            unit_votes[k, q] = weight_s[k] * distance_s[k, q]


@njit(cache=True, nogil=True)
def prefix_over_voters(values, cumulative):
    """``cumulative[r, a] = sum_{k < r} values[k, a]``, added in the order of ``numpy.cumsum``
    along the voters (``bdm.voting.voter_prefix_sums``: row 1 is a copy of row 0 of
    ``values``, then a running sum)."""
    n = values.shape[1]
    for a in range(n):
        cumulative[0, a] = 0.0
        cumulative[1, a] = values[0, a]
    for r in range(1, values.shape[0]):
        for a in range(n):
            cumulative[r + 1, a] = cumulative[r, a] + values[r, a]


@njit(cache=True, nogil=True)
def risk_item(x, salience, width, pair_denominator, rank, counts, below, distance_s,
              unit_prefix, support_1, flat, salience_s, danger, pressure, risk_s, risk):
    """Stage 2 of a round, for one item: the danger levels (every exponent 1;
    ``bdm.voting.danger_levels``) from the prefix sums ``unit_prefix`` of the unit votes, and the
    risk exponents ``risk_s`` (sorted order) and ``risk`` (actor order)."""
    n = x.shape[0]
    for a in range(n):
        salience_s[rank[a]] = salience[a]
    support_from_prefix(unit_prefix, counts, below, support_1)
    if pair_denominator:
        for j in range(n):
            for i in range(n):
                denominator = support_1[j, i] + support_1[i, j]
                probability = support_1[j, i] / denominator if denominator > 0 else 0.0
                term = distance_s[j, i] * probability
                pressure[i] = term if j == 0 else pressure[i] + term
    else:
        for p in range(n):
            for q in range(n):
                flat[p * n + q] = support_1[p, q]
        total = 2.0 * pairwise_sum(flat, 0, n * n)
        for j in range(n):
            for i in range(n):
                term = distance_s[j, i] * support_1[j, i]
                pressure[i] = term if j == 0 else pressure[i] + term
        for i in range(n):
            pressure[i] = pressure[i] / total if total > 0 else 0.0
    high = -np.inf
    low = np.inf
    for i in range(n):
        row = pairwise_sum(distance_s[i], 0, n)
        s = salience_s[i]
        danger[i] = _danger_level(s, row, pressure[i])
        high = max(high, danger[i])
        low = min(low, danger[i])
    spread_danger = high - low
    for i in range(n):
        acceptance = 0.0
        if spread_danger > 0:
            acceptance = (2.0 * danger[i] - high - low) / spread_danger
        risk_s[i] = _risk_exponent(acceptance)
    for a in range(n):
        risk[a] = risk_s[rank[a]]


@njit(cache=True, nogil=True)
def powers_item(x, width, distance_s, weight_s, risk_s, risk, votes, toward, spread,
                status_quo, one_half):
    """The powers of a round, for one item, as the NumPy engine takes them from
    ``portable.power`` (the C library's ``pow``): the votes ``weight_s[k] * distance_s[k, a] **
    risk_s[k]`` (sorted order), and in actor order ``toward = max(0, 1/2 - d/2)`` and ``spread =
    1/2 + d/2`` raised to the receiver's exponent, and ``status_quo = 2 - 4 * (1/2) ** r``.

    ``one_half`` is 0.5, given at run time: with a constant base the compiler rewrites
    ``0.5 ** r`` as ``exp2(-r)``, which differs from ``pow`` in the last bit now and then."""
    n = x.shape[0]
    for k in range(n):
        r = risk_s[k]
        for a in range(n):
            votes[k, a] = distance_s[k, a] ** r * weight_s[k]
    for i in range(n):
        r = risk[i]
        for j in range(n):
            d = abs(x[j] - x[i]) / width
            t = d * -0.5 + 0.5
            t = 0.0 if t < 0.0 else t  # NaN stays NaN, as np.maximum
            toward[i, j] = t ** r
            spread[i, j] = (d * 0.5 + 0.5) ** r
        status_quo[i] = 2.0 - 4.0 * one_half ** r


@njit(cache=True, nogil=True)
def finish_item(x, salience, vote_prefix, rank, counts, below, toward, spread, status_quo, q,
                pair_denominator, smallest_move, capitulation, support_s, flat, support,
                probability, eu_challenge, eu_challenged, new_position):
    """Stage 3 of a round, for one item: from the prefix sums ``vote_prefix`` of the votes and
    the powers of :func:`powers_item`, the probabilities, expected utilities and offers; writes
    the new positions."""
    n = x.shape[0]
    support_from_prefix(vote_prefix, counts, below, support_s)
    for i in range(n):
        ri = rank[i]
        for j in range(n):
            support[i, j] = support_s[ri, rank[j]]
    if pair_denominator:
        for i in range(n):
            for j in range(n):
                denominator = support[i, j] + support[j, i]
                if denominator > 0 and x[j] - x[i] != 0.0:
                    probability[i, j] = support[i, j] / denominator
                else:
                    probability[i, j] = 0.0
    else:
        for i in range(n):
            for j in range(n):
                flat[i * n + j] = support[i, j]
        denominator = 2.0 * pairwise_sum(flat, 0, n * n)
        for i in range(n):
            for j in range(n):
                if denominator > 0 and x[j] - x[i] != 0.0:
                    probability[i, j] = support[i, j] / denominator
                else:
                    probability[i, j] = 0.0
    for i in range(n):
        xi = x[i]
        base_shift = 2.0 - q * status_quo[i]
        confront = False
        compromise = False
        capitulate = False
        for j in range(n):
            t = toward[i, j]
            gap = (spread[i, j] - t) * 4.0
            base = t * -4.0 + base_shift
            challenge = base - ((1.0 - probability[i, j]) * gap) * salience[j]
            challenged = base - ((1.0 - probability[j, i]) * gap) * salience[i]
            eu_challenge[j] = challenge
            eu_challenged[j] = challenged
            if xi - x[j] == 0.0:
                continue
            confronts, compromises, capitulates = _offers(challenge, challenged)
            confront |= confronts
            compromise |= compromises
            capitulate |= capitulates
        kind = 0
        if confront:
            kind = 1
        elif compromise:
            kind = 2
        elif capitulation and capitulate:
            kind = 3
        if kind == 0:
            new_position[i] = xi
            continue
        pick = 0
        best = np.inf
        for j in range(n):
            if xi - x[j] == 0.0:
                continue
            challenge = eu_challenge[j]
            challenged = eu_challenged[j]
            confronts, compromises, capitulates = _offers(challenge, challenged)
            if kind == 2:
                if not compromises:
                    continue
                key = _compromise_key(xi, x[j], challenge, challenged, smallest_move)
            else:
                if not (confronts if kind == 1 else capitulates):
                    continue
                key = abs(x[j] - xi)
            if key < best:
                best = key
                pick = j
            elif key != key and best == best:  # NumPy's argmin stops at the first NaN
                best = key
                pick = j
        chosen = x[pick]
        if kind == 2:
            chosen = _compromise_position(xi, chosen, eu_challenge[pick], eu_challenged[pick])
        new_position[i] = chosen


@njit(cache=True, nogil=True)
def simulate_batch(weight, salience, value_range, q, pair_denominator, smallest_move,
                   capitulation, trajectory, risk, one_half):
    """Whole runs of every batch item: ``trajectory[b, t]`` the positions after ``t`` rounds
    (``trajectory[:, 0]`` given), ``risk[b, t]`` the risk exponents of round ``t``;
    ``one_half`` = 0.5 (see :func:`powers_item`).

    Items run one after another with their scratch arrays reused, so that a round's work stays in
    the processor's cache."""
    size, rounds, n = risk.shape
    order = np.empty(n, dtype=np.intp)
    ordered = np.empty(n)
    rank = np.empty(n, dtype=np.intp)
    counts = np.empty((n, n), dtype=np.intp)
    below = np.empty((n, n), dtype=np.bool_)
    distance_s = np.empty((n, n))
    weight_s = np.empty(n)
    votes = np.empty((n, n))
    prefix = np.empty((n + 1, n))
    support_1 = np.empty((n, n))
    support = np.empty((n, n))
    probability = np.empty((n, n))
    flat = np.empty(n * n)
    salience_s = np.empty(n)
    danger = np.empty(n)
    pressure = np.empty(n)
    risk_s = np.empty(n)
    toward = np.empty((n, n))
    spread = np.empty((n, n))
    status_quo = np.empty(n)
    eu_challenge = np.empty(n)
    eu_challenged = np.empty(n)
    for b in range(size):
        width = value_range[b]
        for t in range(rounds):
            x = trajectory[b, t]
            sort_item(x, weight[b], width, order, ordered, rank, counts, below, distance_s,
                      weight_s, votes)
            prefix_over_voters(votes, prefix)
            risk_item(x, salience[b], width, pair_denominator, rank, counts, below, distance_s,
                      prefix, support_1, flat, salience_s, danger, pressure, risk_s, risk[b, t])
            powers_item(x, width, distance_s, weight_s, risk_s, risk[b, t], votes, toward,
                        spread, status_quo, one_half)
            prefix_over_voters(votes, prefix)
            finish_item(x, salience[b], prefix, rank, counts, below, toward, spread, status_quo,
                        q, pair_denominator, smallest_move, capitulation, support_1, flat,
                        support, probability, eu_challenge, eu_challenged, trajectory[b, t + 1])
