"""Elementwise powers and exponentials that give the same bits on every machine.

NumPy chooses the routine behind ``numpy.power``, ``numpy.exp`` and ``numpy.log`` by the processor
it runs on: machines with AVX-512 use NumPy's own vectorised routines, others the C library's. The
two differ in the last bit now and then, and a last bit can tip a comparison in a model's round
(who makes an offer, which exchange wins) and so change a forecast: the same backtest gave
different errors on two machines. These functions are compiled by Numba and call the C library's
``pow``, ``exp`` and ``log`` on every machine, so a result recorded on one machine is re-run bit for
bit on another (the C library's routines are the same on every processor with FMA, which every
x86-64 processor of the last decade has).

>>> import numpy as np
>>> power(np.array([0.25, 2.0]), np.array([0.5, 3.0])).tolist()
[0.5, 8.0]
>>> float(exp(np.array([0.0]))[0]), float(log(np.array([1.0]))[0])
(1.0, 0.0)
"""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def _ufuncs():
    """The compiled ufuncs (built on first use, so that importing a model costs no compilation;
    cached on disk by Numba)."""
    from numba import vectorize

    @vectorize(["float64(float64, float64)"], nopython=True, cache=True)
    def pow_(base, exponent):
        return base ** exponent

    @vectorize(["float64(float64)"], nopython=True, cache=True)
    def exp_(value):
        return np.exp(value)

    @vectorize(["float64(float64)"], nopython=True, cache=True)
    def log_(value):
        return np.log(value)

    return pow_, exp_, log_


def power(base, exponent, out: np.ndarray | None = None) -> np.ndarray:
    """``base ** exponent`` elementwise (broadcast like ``numpy.power``), the same on every
    machine; written into ``out`` when given."""
    ufunc = _ufuncs()[0]
    base = np.asarray(base, dtype=np.float64)
    exponent = np.asarray(exponent, dtype=np.float64)
    return ufunc(base, exponent) if out is None else ufunc(base, exponent, out=out)


def exp(value) -> np.ndarray:
    """``e ** value`` elementwise, the same on every machine."""
    return _ufuncs()[1](np.asarray(value, dtype=np.float64))


def log(value) -> np.ndarray:
    """The natural logarithm elementwise (``-inf`` at 0, NaN below), the same on every machine."""
    return _ufuncs()[2](np.asarray(value, dtype=np.float64))
