"""NumPy's pairwise summation, compiled with Numba, so that the compiled BDM kernels add a row in
the same order as ``numpy.sum`` does and both engines give the same bits.

NumPy sums a contiguous run of values in blocks of 128 with eight accumulators, and splits longer
runs in halves (rounded down to a multiple of 8) that it sums recursively (``pairwise_sum`` in
NumPy's ``loops_utils.h``).

>>> import numpy as np
>>> values = np.random.default_rng(0).uniform(size=1000)
>>> float(pairwise_sum(values, 0, 1000)) == float(values.sum())
True
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
