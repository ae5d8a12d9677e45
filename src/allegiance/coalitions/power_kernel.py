"""The computation behind the power indices of :mod:`allegiance.coalitions.power`.

Algorithm
---------
No enumeration of the ``2**n`` coalitions. Weights are mapped to integers (see *Rounding* below),
and the distribution of the weight of a random coalition is built by dynamic programming over
the generating function ``prod_j (1 - t + t x**w_j)`` (each other actor joins with probability
``t``), truncated at the largest weight any window needs. The generating function *without*
actor ``i`` is recovered by dividing out ``(1 - t + t x**w_i)`` once per distinct weight (a
recurrence that is stable for ``t <= 1/2``). Then:

- absolute Banzhaf = ``P_{t=1/2}(q - w_i <= w(S) < q)`` (Brams & Affuso 1976; Bilbao et al. 2000,
  "Generating functions for computing power indices efficiently", *TOP* 8(2));
- Shapley–Shubik = ``integral_0^1 P_t(q - w_i <= w(S) < q) dt`` (Owen 1972, "Multilinear
  extensions of games", *Management Science* 18(5)). The integrand is a polynomial of degree
  ``n - 1`` in ``t``, so Gauss–Legendre quadrature with ``ceil(n/2)`` nodes is exact; the nodes
  ``t > 1/2`` are evaluated from the node ``1 - t`` on the complementary coalition, so only
  ``t <= 1/2`` is ever computed.

All arithmetic is in probabilities (no factorials, no overflow for thousands of actors); the
floating-point error is of the order of ``1e-12``. Cost: ``O(n (n + D) K / 4)`` for Shapley–Shubik
and ``O((n + D) K)`` for Banzhaf, with ``D`` distinct weights and ``K`` the integer total weight.

Rounding
--------
If the weights are integers after multiplying by ``10**e`` for some ``e <= 6`` (capabilities given
with at most six decimals), they are used *exactly* (divided by their greatest common divisor),
the quota is mapped exactly with rational arithmetic, and the indices are those of the game as
given (``exact=True``, error bounds 0). Otherwise — or when the exact integers would exceed the
work budget — the weights are scaled to a total of ``resolution`` units and rounded to the nearest
integer. Each rounded weight is off by at most 1/2 unit, so any coalition's weight is off by at
most ``E = sum_i |rounding error_i| <= n/2`` units, and only coalitions whose rounded weight lies
within ``E`` of the quota can be classified differently. The result reports, per actor, a
rigorous bound on the index error caused by the rounding: the probability (under the index's own
measure) that ``S`` or ``S + {i}`` falls in that band, computed by the same dynamic programme.

"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce

import numpy as np

from allegiance.coalitions.quota import QuotaRule, as_fraction, parse_quota
from allegiance.models.base import ParameterError

try:  # numba is optional: the same kernel runs (slowly) as plain Python without it
    from numba import njit, prange

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    HAVE_NUMBA = False
    prange = range

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(function):
            return function

        return wrap


#: Largest number of actors the brute-force enumeration accepts.
ENUMERATION_LIMIT = 20


#: Work budget (inner-loop steps) used to choose the integer resolution when it is not given.
DEFAULT_WORK_BUDGET = 1.5e9


#: Integer total that real weights are rounded to (at most; less when the work budget says so).
DEFAULT_ROUNDING_UNITS = 2e5


#: Below this many inner-loop steps the kernel runs on one thread (thread start-up dominates).
PARALLEL_THRESHOLD = 2e7


@dataclass(frozen=True)
class IntegerGame:
    """The integer game the indices are computed on, and how it relates to the given one."""

    weights: np.ndarray  # int64 (n,)
    quota: int  # a coalition wins when its integer weight >= quota
    unit: float  # original weight per integer unit
    exact: bool  # True: same winning coalitions as the given game
    band: tuple[int, int] | None  # integer weights whose classification may differ (inexact only)
    rounding_total: float  # E, the sum of the absolute rounding errors, in units


def _exact_integers(
    weights: np.ndarray, max_units: float
) -> tuple[np.ndarray, Fraction] | None:
    """Integer weights and the factor ``ints = weights * factor`` if the weights allow it."""
    for exponent in range(7):
        scale = 10**exponent
        scaled = weights * scale
        rounded = np.rint(scaled)
        if np.all(np.abs(scaled - rounded) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            ints = rounded.astype(np.int64)
            divisor = max(reduce(math.gcd, ints[ints > 0].tolist(), 0), 1)
            if ints.sum() // divisor > max_units:
                return None
            return ints // divisor, Fraction(scale, divisor)
    return None


def integerise(
    weights: np.ndarray, rule: QuotaRule, *, resolution: int | None = None,
    max_units: float = 2e6, rounding_units: float | None = None,
) -> IntegerGame:
    """Map a game with real weights to an integer game (see the module notes on rounding).

    ``resolution`` forces rounding to that integer total; otherwise exact integers are used when
    the weights have at most six decimals and their reduced total is at most ``max_units``, and
    rounding to ``rounding_units`` (default ``max_units``) units is used when not.
    """
    weights = np.asarray(weights, dtype=float)
    total = float(weights.sum())
    exact = None if resolution is not None else _exact_integers(weights, max_units)
    if exact is not None:
        ints, factor = exact
        int_total = int(ints.sum())
        if rule.fraction is not None:
            threshold = rule.fraction * int_total
        else:
            threshold = rule.absolute * factor
        quota = math.floor(threshold) + 1 if rule.strict else math.ceil(threshold)
        return IntegerGame(ints, int(quota), float(1 / factor), True, None, 0.0)
    if resolution is not None:
        units = int(resolution)
    else:
        units = int(max_units if rounding_units is None else min(max_units, rounding_units))
    if units < 1:
        raise ParameterError(f"resolution must be a positive integer; got {resolution!r}")
    scale = units / total
    scaled = weights * scale
    ints = np.rint(scaled).astype(np.int64)
    rounding_total = float(np.abs(scaled - ints).sum())
    if rule.fraction is not None:
        threshold_units = float(rule.fraction) * float(scaled.sum())
    else:
        threshold_units = float(rule.absolute) * scale
    quota = math.floor(threshold_units) + 1 if rule.strict else math.ceil(threshold_units)
    slack = rounding_total + 1e-9 * (units + 1)
    band = (math.floor(threshold_units - slack), math.ceil(threshold_units + slack))
    return IntegerGame(ints, int(quota), 1.0 / scale, False, band, rounding_total)


def _window_kernel_python(weights, distinct, nodes, kmax, windows, complement_windows):
    """Window sums of the weight distribution of a random coalition without one actor.

    For each node ``t`` (each actor joins with probability ``t <= 1/2``) and each distinct weight
    ``d``: the distribution ``Q`` of ``w(S)``, ``S`` drawn from the actors other than one of weight
    ``d``, truncated to ``[0, kmax)``; returns ``sum Q[lo..hi]`` for each window of ``windows``
    and of ``complement_windows``, shapes ``(n_nodes, n_distinct, n_windows)``.
    """
    n_nodes = nodes.shape[0]
    n_distinct = distinct.shape[0]
    n_windows = windows.shape[1]
    direct = np.zeros((n_nodes, n_distinct, n_windows))
    complement = np.zeros((n_nodes, n_distinct, n_windows))
    for a in prange(n_nodes):
        t = nodes[a]
        stay = 1.0 - t
        dist = np.zeros(kmax)
        dist[0] = 1.0
        for j in range(weights.shape[0]):
            w = weights[j]
            if w == 0:
                continue
            for k in range(kmax - 1, w - 1, -1):
                dist[k] = stay * dist[k] + t * dist[k - w]
            for k in range(min(w, kmax)):
                dist[k] = stay * dist[k]
        without = np.empty(kmax)
        cumulative = np.zeros(kmax + 1)
        for b in range(n_distinct):
            d = distinct[b]
            if d == 0:
                for k in range(kmax):
                    without[k] = dist[k]
            else:
                for k in range(kmax):
                    if k >= d:
                        without[k] = (dist[k] - t * without[k - d]) / stay
                    else:
                        without[k] = dist[k] / stay
            for k in range(kmax):
                cumulative[k + 1] = cumulative[k] + without[k]
            for r in range(n_windows):
                lo = max(windows[b, r, 0], 0)
                hi = min(windows[b, r, 1], kmax - 1)
                if hi >= lo:
                    direct[a, b, r] = cumulative[hi + 1] - cumulative[lo]
                lo = max(complement_windows[b, r, 0], 0)
                hi = min(complement_windows[b, r, 1], kmax - 1)
                if hi >= lo:
                    complement[a, b, r] = cumulative[hi + 1] - cumulative[lo]
    return direct, complement


def _renamed(function, name: str):
    """A copy of ``function`` under another name (numba caches compiled code by name)."""
    clone = types.FunctionType(function.__code__, function.__globals__, name,
                               function.__defaults__, function.__closure__)
    clone.__qualname__ = name
    clone.__doc__ = function.__doc__
    return clone


if HAVE_NUMBA:
    _kernel_parallel = njit(parallel=True, cache=True)(
        _renamed(_window_kernel_python, "_window_kernel_parallel"))
    _kernel_serial = njit(parallel=False, cache=True)(
        _renamed(_window_kernel_python, "_window_kernel_serial"))
else:  # pragma: no cover
    _kernel_parallel = _kernel_serial = _window_kernel_python


def _window_kernel(weights, distinct, nodes, kmax, windows, complement_windows):
    """Dispatch to the threaded kernel only when the work is large enough to pay for it."""
    work = float(nodes.shape[0]) * (weights.shape[0] + distinct.shape[0]) * kmax
    kernel = _kernel_parallel if work > PARALLEL_THRESHOLD and nodes.shape[0] > 1 else (
        _kernel_serial)
    return kernel(weights, distinct, nodes, kmax, windows, complement_windows)


def _windows(game: IntegerGame, distinct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Swing window (and, for a rounded game, the two ambiguity windows) per distinct weight."""
    q = game.quota
    rows = [np.stack([q - distinct, q - 1 + 0 * distinct], axis=-1)]
    if game.band is not None:
        lo, hi = game.band
        rows.append(np.stack([lo + 0 * distinct, hi + 0 * distinct], axis=-1))  # S ambiguous
        rows.append(np.stack([lo - distinct, hi - distinct], axis=-1))  # S + {i} ambiguous
    windows = np.stack(rows, axis=1).astype(np.int64)  # (D, R, 2)
    others = int(game.weights.sum()) - distinct  # total weight of the other actors
    complement = np.stack(
        [others[:, None] - windows[..., 1], others[:, None] - windows[..., 0]], axis=-1
    ).astype(np.int64)
    return windows, complement


def gauss_legendre(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [-1, 1], the same bits on every machine.

    Newton's method on the Legendre recurrence from the usual cosine guesses, in plain IEEE
    arithmetic (``numpy.polynomial.legendre.leggauss`` starts from eigenvalues whose last bits
    depend on the processor's linear-algebra routines). Golub & Welsch (1969) give the rule;
    the starting guesses are Tricomi's, ``cos(pi (i - 1/4) / (count + 1/2))``.

    >>> x, w = gauss_legendre(2)
    >>> [round(v, 12) for v in x.tolist()], w.tolist()
    ([-0.57735026919, 0.57735026919], [1.0, 1.0])
    """
    x = -np.array([math.cos(math.pi * (i + 0.75) / (count + 0.5)) for i in range(count)])
    for _ in range(100):
        value, slope = _legendre(count, x)
        step = value / slope
        x = x - step
        if np.all(np.abs(step) <= 1e-16 * np.maximum(1.0, np.abs(x))):
            break
    _, slope = _legendre(count, x)
    weights = 2.0 / ((1.0 - x * x) * slope * slope)
    # the rule is symmetric: mirror the halves into each other, and scale the weights to sum
    # to 2 (math.fsum: an exactly rounded sum, independent of any summation order)
    x = (x - x[::-1]) / 2
    weights = (weights + weights[::-1]) / 2
    return x, weights * (2.0 / math.fsum(weights.tolist()))


def _legendre(degree: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_degree(x) and its derivative, by the three-term recurrence."""
    before, current = np.ones_like(x), x.copy()
    if degree == 0:
        return before, np.zeros_like(x)
    for k in range(2, degree + 1):
        before, current = current, ((2 * k - 1) * x * current - (k - 1) * before) / k
    return current, degree * (x * current - before) / (x * x - 1.0)


def _shapley_nodes(n_players: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes on [0, 1] with t <= 1/2, their weights, and whether t < 1/2."""
    # the swing probabilities are polynomials of degree <= n_players - 1 in t, the rounding-band
    # probabilities of a zero-weight actor of degree n_players: 2 * count - 1 >= n_players
    count = max(1, math.ceil((n_players + 1) / 2))
    x, w = gauss_legendre(count)
    t = (x + 1) / 2
    w = w / 2
    keep = t <= 0.5 + 1e-12
    t, w = t[keep], w[keep]
    mirrored = t < 0.5 - 1e-9
    return np.minimum(t, 0.5), w, mirrored


def compute(game: IntegerGame, shapley: bool, banzhaf: bool) -> dict[str, np.ndarray]:
    ints = game.weights
    distinct, inverse = np.unique(ints, return_inverse=True)
    windows, complement = _windows(game, distinct)
    total = int(ints.sum())
    out: dict[str, np.ndarray] = {}
    upper = int(windows[..., 1].max())
    if shapley:
        upper = max(upper, int(complement[..., 1].max()))
    kmax = max(1, min(total, upper) + 1)
    if shapley:
        nodes, node_weights, mirrored = _shapley_nodes(int((ints > 0).sum()))
        direct, comp = _window_kernel(ints, distinct, nodes, kmax, windows, complement)
        per_node = direct + comp * mirrored[:, None, None]
        integral = np.zeros(per_node.shape[1:])  # (D, R), summed node by node (same bits
        for weight, values in zip(node_weights, per_node, strict=True):  # on every machine)
            integral += weight * values
        out["shapley_shubik"] = integral[inverse, 0]
        if game.band is not None:
            out["shapley_shubik_error"] = integral[inverse, 1] + integral[inverse, 2]
    if banzhaf:
        direct, _ = _window_kernel(ints, distinct, np.array([0.5]), kmax, windows, complement)
        out["banzhaf_absolute"] = direct[0][inverse, 0]
        if game.band is not None:
            out["banzhaf_absolute_error"] = direct[0][inverse, 1] + direct[0][inverse, 2]
    return out


def enumerate_power_indices(weights, rule=None) -> tuple[np.ndarray, np.ndarray]:
    """Shapley–Shubik and absolute Banzhaf indices by brute force over all coalitions.

    Slow and obviously correct: every coalition ``S`` not containing ``i`` is checked for a swing
    (``S`` loses, ``S + {i}`` wins); Banzhaf counts swings / ``2**(n-1)``, Shapley–Shubik weights
    each swing by ``|S|! (n - |S| - 1)! / n!``. Integer weights are compared exactly with the
    rational threshold; real weights with a ``1e-9`` relative tolerance.
    """
    rule = parse_quota(rule) if not isinstance(rule, QuotaRule) else rule
    values = np.asarray(weights, dtype=float)
    n = values.size
    if n > ENUMERATION_LIMIT:
        raise ParameterError(
            f"enumeration of 2**{n} coalitions refused (limit {ENUMERATION_LIMIT} actors)"
        )
    codes = np.arange(2**n, dtype=np.int64)
    masks = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
    integer = bool(np.all(values == np.rint(values)))
    total = as_fraction(int(values.sum()) if integer else float(values.sum()), "total")
    threshold = rule.threshold(total)
    if integer:
        coalition = masks.astype(np.int64) @ np.rint(values).astype(np.int64)
        scaled = coalition * threshold.denominator
        win = scaled > threshold.numerator if rule.strict else scaled >= threshold.numerator
    else:
        coalition = masks @ values
        tolerance = 1e-9 * float(values.sum())
        limit = float(threshold)
        win = coalition > limit + tolerance if rule.strict else coalition >= limit - tolerance
    sizes = masks.sum(axis=1)
    factor = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    shapley = np.zeros(n)
    absolute = np.zeros(n)
    for i in range(n):
        without = codes[~masks[:, i]]
        swing = win[without | (1 << i)] & ~win[without]
        absolute[i] = swing.sum() / 2 ** (n - 1)
        shapley[i] = factor[sizes[without][swing]].sum()
    return shapley, absolute
