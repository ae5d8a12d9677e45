"""Elementwise powers and exponentials that give the same bits on every machine.

NumPy chooses the routine behind ``numpy.power``, ``numpy.exp`` and ``numpy.log`` by the processor
it runs on: machines with AVX-512 use NumPy's own vectorised routines, others the C library's. The
two differ in the last bit now and then, and a last bit can tip a comparison in a model's round
(who makes an offer, which exchange wins) and so change a forecast: the same backtest gave
different errors on two machines. These functions call the C library's ``pow``, ``exp`` and
``log`` on every machine, so a result recorded on one machine is re-run bit for bit on another
(the C library's routines are the same on every processor with FMA, which every x86-64 processor
of the last decade has).

Two routes reach the C library, with the same results: small arrays go element by element
through Python's :mod:`math` (whose ``pow``, ``exp`` and ``log`` are the C library's, with its
errors turned back into the IEEE values the C library returns), so that a single forecast does
not pay the half second it takes to load Numba; arrays of :data:`COMPILED_FROM` elements or more,
and every call once the compiled routines are loaded, go through Numba-compiled ufuncs.

>>> import numpy as np
>>> power(np.array([0.25, 2.0]), np.array([0.5, 3.0])).tolist()
[0.5, 8.0]
>>> float(exp(np.array([0.0]))[0]), float(log(np.array([1.0]))[0])
(1.0, 0.0)
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

#: arrays of at least this many elements use the compiled routines (below, Python's math takes
#: about 0.15 µs an element: 5 ms for the largest, against ~0.5 s to load Numba once)
COMPILED_FROM = 1 << 15


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


def _odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def _pow(x: float, y: float) -> float:
    """The C library's ``pow(x, y)``: :func:`math.pow`, whose errors are the C library's
    infinities and NaNs."""
    try:
        return math.pow(x, y)
    except ValueError:  # zero to a negative power (a pole), or a negative base to a fraction
        if x == 0.0:
            return -math.inf if math.copysign(1.0, x) < 0 and _odd_integer(y) else math.inf
        return math.nan
    except OverflowError:
        return -math.inf if x < 0 and _odd_integer(y) else math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    try:
        return math.log(x)
    except ValueError:  # zero (a pole) or below
        return -math.inf if x == 0.0 else math.nan


_POW, _EXP, _LOG = (np.frompyfunc(f, arity, 1) for f, arity in ((_pow, 2), (_exp, 1), (_log, 1)))


def _compiled(size: int) -> bool:
    """Whether a call over ``size`` elements takes the compiled routines."""
    return size >= COMPILED_FROM or _ufuncs.cache_info().currsize > 0


def _floats(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def power(base, exponent, out: np.ndarray | None = None) -> np.ndarray:
    """``base ** exponent`` elementwise (broadcast like ``numpy.power``), the same on every
    machine; written into ``out`` when given."""
    base, exponent = _floats(base), _floats(exponent)
    shape = np.broadcast_shapes(base.shape, exponent.shape)
    if _compiled(math.prod(shape)):
        ufunc = _ufuncs()[0]
        return ufunc(base, exponent) if out is None else ufunc(base, exponent, out=out)
    result = _floats(_POW(base, exponent))
    if out is None:
        return result
    out[...] = result
    return out


def exp(value) -> np.ndarray:
    """``e ** value`` elementwise, the same on every machine."""
    value = _floats(value)
    return _ufuncs()[1](value) if _compiled(value.size) else _floats(_EXP(value))


def log(value) -> np.ndarray:
    """The natural logarithm elementwise (``-inf`` at 0, NaN below), the same on every machine."""
    value = _floats(value)
    return _ufuncs()[2](value) if _compiled(value.size) else _floats(_LOG(value))
