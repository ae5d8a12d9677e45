"""Compiled kernels of the expected-utility ("BDM") model (Numba): one round, item by item.

The NumPy functions in :mod:`allegiance.models.bdm.round` are the readable reference. These kernels
compute the same round with loops compiled by Numba, one batch item at a time with O(n²) scratch
arrays reused across items, which avoids the hundred or so NumPy passes (and their temporaries)
that a round costs at small n. They perform the same floating-point operations in the same order
as the NumPy path, so both engines give identical numbers:

- voters' prefix sums are left to NumPy, computed by the very function the NumPy path uses
  (``bdm.voting.voter_prefix_sums``, a running sum);
- sums that NumPy reduces along a contiguous axis use NumPy's pairwise summation
  (:func:`pairwise_sum`); sums over a non-contiguous axis are sequential;
- every power (risk exponents) is left to ``models.portable.power``, called between the kernels
  of a round, so that both engines use the very same power routine (the C library's, on every
  machine).

A round is :func:`sort_round` (sorting, distances, unit votes), NumPy's prefix sums over voters,
:func:`risk_round` (danger levels, risk exponents, bases of the utilities), ``portable.power`` and
NumPy's prefix sums of the votes, then :func:`finish_round` (probabilities, expected utilities,
offers, new positions).

Imported lazily, only when Numba is installed; compiled functions are cached on disk.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: NumPy's block size for pairwise summation (``PW_BLOCKSIZE`` in its sources).
PAIRWISE_BLOCK = 128


@njit(cache=True, nogil=True)
def pairwise_block(values, start, count):
    """NumPy's pairwise summation of at most ``PAIRWISE_BLOCK`` values (eight accumulators)."""
    if count < 8:
        total = -0.0
        for k in range(start, start + count):
            total += values[k]
        return total
    r0 = values[start]
    r1 = values[start + 1]
    r2 = values[start + 2]
    r3 = values[start + 3]
    r4 = values[start + 4]
    r5 = values[start + 5]
    r6 = values[start + 6]
    r7 = values[start + 7]
    k = 8
    stop = count - count % 8
    while k < stop:
        base = start + k
        r0 += values[base]
        r1 += values[base + 1]
        r2 += values[base + 2]
        r3 += values[base + 3]
        r4 += values[base + 4]
        r5 += values[base + 5]
        r6 += values[base + 6]
        r7 += values[base + 7]
        k += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < count:
        total += values[start + k]
        k += 1
    return total


@njit(cache=True, nogil=True)
def pairwise_sum(values, start, count):
    """Sum ``values[start:start + count]`` (1-D, contiguous) in the order NumPy's ``sum`` uses:
    blocks of ``PAIRWISE_BLOCK`` summed by :func:`pairwise_block`, halves (rounded down to a
    multiple of 8) added recursively. The recursion runs on an explicit stack."""
    if count <= PAIRWISE_BLOCK:
        return pairwise_block(values, start, count)
    starts = np.empty(128, dtype=np.int64)
    counts = np.empty(128, dtype=np.int64)
    stage = np.zeros(128, dtype=np.int8)
    results = np.empty(128)
    top = 0
    held = 0
    starts[0] = start
    counts[0] = count
    while top >= 0:
        first = starts[top]
        length = counts[top]
        if length <= PAIRWISE_BLOCK:
            results[held] = pairwise_block(values, first, length)
            held += 1
            top -= 1
            continue
        half = length // 2
        half -= half % 8
        if stage[top] == 0:  # sum the first half
            stage[top] = 1
            top += 1
            starts[top], counts[top], stage[top] = first, half, 0
        elif stage[top] == 1:  # then the second half
            stage[top] = 2
            top += 1
            starts[top], counts[top], stage[top] = first + half, length - half, 0
        else:  # then add the two
            held -= 1
            results[held - 1] = results[held - 1] + results[held]
            top -= 1
    return results[0]


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
def sort_round(position, weight, value_range, rank, counts, below, distance_s, weight_s,
               unit_votes):
    """Stage 1 of a round, per batch item b: ``rank`` (each actor's place in position order), the
    midpoint ``counts`` and ``below`` flags, ``distance_s`` and ``weight_s`` (sorted order), and
    ``unit_votes = weight_s[k] * distance_s[k, a]`` (the votes with every exponent 1), whose prefix
    sums over voters NumPy then computes (``bdm.voting.voter_prefix_sums``)."""
    size, n = position.shape
    ordered = np.empty(n)
    order = np.empty(n, dtype=np.intp)
    for b in range(size):
        x = position[b]
        width = value_range[b]
        stable_order(x, order)
        for k in range(n):
            a = order[k]
            rank[b, a] = k
            ordered[k] = x[a]
            weight_s[b, k] = weight[b, a]
        for p in range(n):
            c = 0
            for q in range(n):
                midpoint = (ordered[p] + ordered[q]) * 0.5
                while c < n and ordered[c] < midpoint:
                    c += 1
                counts[b, p, q] = c
                step = ordered[q] - ordered[p]
                below[b, p, q] = step > 0.0
                distance_s[b, p, q] = abs(step) / width
        for k in range(n):
            for q in range(n):
                unit_votes[b, k, q] = weight_s[b, k] * distance_s[b, k, q]


@njit(cache=True, nogil=True)
def risk_round(position, salience, value_range, pair_denominator, rank, counts, below,
               distance_s, unit_prefix, risk_s, risk, toward, spread):
    """Stage 2 of a round, per batch item: the danger levels (every exponent 1;
    ``bdm.voting.danger_levels``)
    from the prefix sums ``unit_prefix`` of the unit votes, the risk exponents ``risk_s`` (sorted
    order) and ``risk`` (actor order), and in actor order the bases ``toward = max(0, 1/2 - d/2)``
    and ``spread = 1/2 + d/2`` of the utilities (then raised to the exponents by
    ``portable.power``).
    """
    size, n = position.shape
    support_1 = np.empty((n, n))
    flat = np.empty(n * n)
    salience_s = np.empty(n)
    danger = np.empty(n)
    pressure = np.empty(n)
    for b in range(size):
        x = position[b]
        width = value_range[b]
        for a in range(n):
            salience_s[rank[b, a]] = salience[b, a]
        support_from_prefix(unit_prefix[b], counts[b], below[b], support_1)
        if pair_denominator:
            for j in range(n):
                for i in range(n):
                    denominator = support_1[j, i] + support_1[i, j]
                    probability = support_1[j, i] / denominator if denominator > 0 else 0.0
                    term = distance_s[b, j, i] * probability
                    pressure[i] = term if j == 0 else pressure[i] + term
        else:
            for p in range(n):
                for q in range(n):
                    flat[p * n + q] = support_1[p, q]
            total = 2.0 * pairwise_sum(flat, 0, n * n)
            for j in range(n):
                for i in range(n):
                    term = distance_s[b, j, i] * support_1[j, i]
                    pressure[i] = term if j == 0 else pressure[i] + term
            for i in range(n):
                pressure[i] = pressure[i] / total if total > 0 else 0.0
        high = -np.inf
        low = np.inf
        for i in range(n):
            row = pairwise_sum(distance_s[b, i], 0, n)
            s = salience_s[i]
            danger[i] = 2.0 * (1.0 - 2.0 * s) * row + 4.0 * s * pressure[i]
            high = max(high, danger[i])
            low = min(low, danger[i])
        spread_danger = high - low
        for i in range(n):
            acceptance = 0.0
            if spread_danger > 0:
                acceptance = (2.0 * danger[i] - high - low) / spread_danger
            risk_s[b, i] = (1.0 - acceptance / 3.0) / (1.0 + acceptance / 3.0)
        for a in range(n):
            risk[b, a] = risk_s[b, rank[b, a]]
        for i in range(n):
            for j in range(n):
                d = abs(x[j] - x[i]) / width
                t = d * -0.5 + 0.5
                toward[b, i, j] = 0.0 if t < 0.0 else t  # NaN stays NaN, as np.maximum
                spread[b, i, j] = d * 0.5 + 0.5


@njit(cache=True, nogil=True)
def finish_round(position, salience, vote_prefix, rank, counts, below, toward, spread,
                 status_quo, q, pair_denominator, smallest_move, capitulation, new_position):
    """Stage 3 of a round: from the prefix sums ``vote_prefix`` of the votes
    ``weight_s[k] * distance_s[k, a] ** risk_s[k]`` (sorted order), and ``toward``, ``spread``
    raised to the receivers' exponents and ``status_quo = 2 - 4 / 2**r`` (actor order, from
    ``portable.power``): probabilities, expected utilities and offers; writes the new positions."""
    size, n = position.shape
    support_s = np.empty((n, n))
    flat = np.empty(n * n)
    support = np.empty((n, n))
    probability = np.empty((n, n))
    eu_challenge = np.empty(n)
    eu_challenged = np.empty(n)
    for b in range(size):
        x = position[b]
        support_from_prefix(vote_prefix[b], counts[b], below[b], support_s)
        for i in range(n):
            ri = rank[b, i]
            for j in range(n):
                support[i, j] = support_s[ri, rank[b, j]]
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
            base_shift = 2.0 - q * status_quo[b, i]
            confront = False
            compromise = False
            capitulate = False
            for j in range(n):
                t = toward[b, i, j]
                gap = (spread[b, i, j] - t) * 4.0
                base = t * -4.0 + base_shift
                challenge = base - ((1.0 - probability[i, j]) * gap) * salience[b, j]
                challenged = base - ((1.0 - probability[j, i]) * gap) * salience[b, i]
                eu_challenge[j] = challenge
                eu_challenged[j] = challenged
                if xi - x[j] == 0.0:
                    continue
                if challenged > challenge and challenge > 0:
                    confront = True
                elif challenged > 0 and challenge < 0:
                    if challenged > abs(challenge):
                        compromise = True
                    elif challenged != -challenge:
                        capitulate = True
            kind = 0
            if confront:
                kind = 1
            elif compromise:
                kind = 2
            elif capitulation and capitulate:
                kind = 3
            if kind == 0:
                new_position[b, i] = xi
                continue
            pick = 0
            best = np.inf
            for j in range(n):
                if xi - x[j] == 0.0:
                    continue
                challenge = eu_challenge[j]
                challenged = eu_challenged[j]
                if kind == 1:
                    if not (challenged > challenge and challenge > 0):
                        continue
                    key = abs(x[j] - xi)
                elif kind == 2:
                    if not (challenged > 0 and challenge < 0 and challenged > abs(challenge)):
                        continue
                    if smallest_move:
                        offered = xi + (x[j] - xi) * abs(challenge / challenged)
                        key = abs(xi - offered)
                    else:
                        key = (abs(challenge) * xi + abs(challenged) * x[j]) / (
                            abs(challenge) + abs(challenged))
                else:
                    if not (challenged > 0 and challenge < 0 and not challenged > abs(challenge)
                            and challenged != -challenge):
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
                chosen = xi + (chosen - xi) * abs(eu_challenge[pick] / eu_challenged[pick])
            new_position[b, i] = chosen
