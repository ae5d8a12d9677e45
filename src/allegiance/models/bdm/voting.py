"""Votes and danger levels of the expected-utility ("BDM") model (NumPy, batch ``(B, n)``):
the support every pair of positions gets from all actors, summed with the actors sorted by
position through voters' prefix sums, and the danger levels that set risk attitudes.

Reference: J. B. Scholz, G. J. Calbert and G. A. Smith, "Unravelling Bueno de Mesquita's group
decision model", Journal of Theoretical Politics 23(4), 2011 (the probability of success and the
risk exponent); B. Bueno de Mesquita (1994). See docs/models/bdm.md, steps 1–2.
"""

from __future__ import annotations

import numpy as np

from allegiance import parallel
from allegiance.models.bdm.formulas import danger_level

# Work on at most this many (batch item × actor × actor) elements at once (keeps arrays in cache).
CHUNK_ELEMENTS = 1 << 16
# A batch is split across threads only when each thread gets at least this many items.
MIN_ITEMS_PER_THREAD = 32
# Up to this many actors, the voters left of each midpoint are counted by brute force (n³ booleans);
# above it, by a binary search per batch item.
BRUTE_COUNT_MAX_ACTORS = 48


def batch_chunks(size: int, n: int) -> list[slice]:
    """Equal slices of the batch of at most ``CHUNK_ELEMENTS`` pair elements each, and at least
    one per thread when the batch is large enough (``MIN_ITEMS_PER_THREAD``), so that the
    threads get equal shares of the work."""
    if size == 0:
        return []
    step = max(1, CHUNK_ELEMENTS // max(n * n, 1))
    count = -(-size // step)
    if parallel.THREADS > 1 and size >= parallel.THREADS * MIN_ITEMS_PER_THREAD:
        count = max(count, parallel.THREADS)
    step = -(-size // count)
    return [slice(start, min(size, start + step)) for start in range(0, size, step)]




def weighted_mean(trajectory: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(size, rounds + 1) capability x salience weighted mean (plain mean if all weights are 0)."""
    total = weight.sum(axis=-1)[:, None]
    weighted = np.einsum("btn,bn->bt", trajectory, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = weighted / total
    return np.where(total > 0, mean, trajectory.mean(axis=-1))




def midpoint_index(ordered: np.ndarray) -> np.ndarray:
    """Flat indices into the ``(B, n + 1, n)`` voter prefix sums used by :func:`pair_support`.

    For positions ``ordered`` sorted ascending, ``m[b, p, q] = #{k : x_k < (x_p + x_q) / 2}`` is
    the number of voters below the midpoint of p and q; the index returned points at row ``m``,
    column ``q`` of batch item ``b``.
    """
    size, n = ordered.shape
    midpoint = (ordered[:, :, None] + ordered[:, None, :]) * 0.5
    if n <= BRUTE_COUNT_MAX_ACTORS:  # counts fit in int8
        below = ordered[:, :, None, None] < midpoint[:, None, :, :]
        counts = below.view(np.int8).sum(axis=1, dtype=np.int8).astype(np.intp)
    else:
        counts = np.empty((size, n, n), dtype=np.intp)
        for b in range(size):  # one binary search per batch item (large n, small batch)
            counts[b] = np.searchsorted(ordered[b], midpoint[b], side="left")
    counts *= n
    counts += (np.arange(size) * ((n + 1) * n))[:, None, None] + np.arange(n)
    return counts


def pair_support(weighted_distance: np.ndarray, index: np.ndarray, below: np.ndarray) -> np.ndarray:
    """``S[b, p, q] = sum_k max(0, wd[b, k, q] - wd[b, k, p])``: votes for p's position over q's.

    Actors are sorted by position; ``weighted_distance[b, k, a]`` is voter k's weighted
    (risk-transformed) distance to actor a. A voter prefers p over q exactly when it is nearer to
    x_p than to x_q, i.e. on p's side of their midpoint, so the sum runs over a prefix (x_p < x_q)
    or a suffix (x_p > x_q) of the voters: one cumulative sum over voters answers every pair in
    O(1), O(n²) in all instead of O(n³). ``index`` comes from :func:`midpoint_index`.
    """
    cumulative = voter_prefix_sums(weighted_distance)
    total = cumulative[:, -1, :]
    prefix = cumulative.reshape(-1).take(index)  # [b, p, q] = sum over voters below m_pq of wd_q
    gain = prefix - prefix.swapaxes(1, 2)  # sum over voters below the midpoint of (wd_q - wd_p)
    support = np.subtract(total[:, None, :], total[:, :, None], out=prefix)  # reuse the buffer
    support -= gain  # the suffix sums, right for x_p > x_q ...
    np.copyto(support, gain, where=below)  # ... and the prefix sums for x_p < x_q
    np.maximum(support, 0.0, out=support)
    return support


def voter_prefix_sums(weighted_distance: np.ndarray) -> np.ndarray:
    """``(B, n + 1, n)``: row r sums voters 0 .. r-1 of ``weighted_distance[b, k, a]``."""
    size, n, _ = weighted_distance.shape
    # a running sum (not a product with a triangular matrix: a BLAS library adds in an order of
    # its own, which differs between processors, and so would the forecasts)
    cumulative = np.zeros((size, n + 1, n))
    np.cumsum(weighted_distance, axis=1, out=cumulative[:, 1:])
    return cumulative


def unsort_pairs(values: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``out[b, i, j] = values[b, rank[b, i], rank[b, j]]``: back from sorted to actor order."""
    size, n = rank.shape
    if size == 1:
        return values[0][np.ix_(rank[0], rank[0])][None]
    flat = rank[:, :, None] * n + (rank + (np.arange(size) * (n * n))[:, None])[:, None, :]
    return values.reshape(-1).take(flat)


def risk_acceptance(own: np.ndarray, high: np.ndarray, low: np.ndarray) -> np.ndarray:
    width = high - low
    acceptance = np.zeros_like(own)
    np.divide(2.0 * own - high - low, width, out=acceptance, where=width > 0)
    return acceptance


def danger_over_positions(
    distance: np.ndarray,
    support: np.ndarray,
    weight: np.ndarray,
    salience: np.ndarray,
    pair_denominator: bool,
) -> np.ndarray:
    """``danger[b, i, m]``: i's danger level if i held actor m's position (exponents all 1).

    Moving i changes the votes (i votes from its new place and is compared from it), so every
    probability is corrected for voter i; for the all-pairs denominator the terms of the triple sum
    that involve i are replaced. O(n³) per round, in blocks of actors.
    """
    size, n, _ = distance.shape
    # unit-weight sums of absolute distance differences: spread[b, v, a] = sum_b |d_va - d_vb|
    ordered = np.sort(distance, axis=-1)
    rank_of = np.argsort(np.argsort(distance, axis=-1, kind="stable"), axis=-1, kind="stable")
    cum = np.concatenate([np.zeros((size, n, 1)), np.cumsum(ordered, axis=-1)], axis=-1)
    ranks = np.arange(n)
    spread_sorted = (ranks * ordered - cum[..., :-1]) + (cum[..., -1:] - cum[..., 1:]
                                                         - (n - 1 - ranks) * ordered)
    spread = np.take_along_axis(spread_sorted, rank_of, axis=-1)
    both_ways = support + support.swapaxes(1, 2)  # sum_k w_k |d_k,a - d_k,b|
    total_triples = np.einsum("bk,bk->b", weight, spread.sum(axis=-1))
    weighted_spread = np.einsum("bk,bkm->bm", weight, spread)
    row_sum = distance.sum(axis=-1)
    # touching[b, i, m]: the triple-sum terms involving actor i when i stands at x_m
    w_i = weight[:, :, None]
    alpha = spread.sum(axis=-1)[:, None, :] - 2.0 * spread.swapaxes(1, 2)  # [i, m] = Q_m - 2 U_mi
    beta = row_sum[:, None, :] - distance  # [i, m] = sum_b d_mb - d_mi
    gamma = weighted_spread[:, None, :] - w_i * spread - both_ways + w_i * distance
    touching = w_i * alpha + 2.0 * w_i * beta + 2.0 * gamma
    own_touching = np.diagonal(touching, axis1=1, axis2=2)[:, :, None]
    moved_total = total_triples[:, None, None] - own_touching + touching  # [b, i, m]

    danger = np.empty((size, n, n))
    block = max(1, CHUNK_ELEMENTS // max(size * n * n, 1))
    for start in range(0, n, block):  # blocks of moved actors i, to bound memory
        stop = min(n, start + block)
        idx = np.arange(start, stop)
        w_blk = weight[:, start:stop, None, None]
        d_i = distance[:, start:stop, :]  # [b, i, a] distance of voter i (original place) to a
        # voter i's original vote for a (third axis) over b (fourth axis)
        vote_i = w_blk * np.maximum(d_i[:, :, None, :] - d_i[:, :, :, None], 0.0)
        # for i at x_m (axis 2) challenged by o (axis 3): support for x_o over x_m
        numerator = support.swapaxes(1, 2)[:, None, :, :] - vote_i.swapaxes(2, 3)
        if pair_denominator:
            against = (support[:, None, :, :] - vote_i) + w_blk * distance[:, None, :, :]
            denominator = numerator + against
        else:
            denominator = np.broadcast_to(moved_total[:, start:stop, :, None], numerator.shape)
        same = distance[:, None, :, :] == 0.0
        prob = np.zeros_like(numerator)
        np.divide(numerator, denominator, out=prob, where=(denominator > 0) & ~same)
        s_i = salience[:, start:stop, None, None]
        terms = 2.0 * distance[:, None, :, :] * (1.0 - 2.0 * s_i * (1.0 - prob))
        terms[:, np.arange(stop - start), :, idx] = 0.0  # the moved actor does not challenge itself
        danger[:, start:stop, :] = terms.sum(axis=-1)
    return danger


def danger_levels(
    distance: np.ndarray, support: np.ndarray, salience: np.ndarray, pair: bool
) -> np.ndarray:
    """Danger level of every actor with every exponent 1 (then u_success = 2d, u_failure = -2d and
    u_status_quo = 0): ``sum_j EU_i(j challenges i) = sum_j 2 d_ij (1 - 2 s_i (1 - P_ji))``."""
    if pair:
        probability = np.zeros_like(support)
        denominator = support + support.swapaxes(1, 2)
        np.divide(support, denominator, out=probability, where=denominator > 0)
        pressure = (distance * probability).sum(axis=1)  # [i] = sum_j d_ji P_ji
    else:
        total = 2.0 * support.sum(axis=(1, 2))
        pressure = np.zeros(support.shape[:2])
        np.divide((distance * support).sum(axis=1), total[:, None], out=pressure,
                  where=total[:, None] > 0)
    return danger_level(salience, distance.sum(axis=-1), pressure)
