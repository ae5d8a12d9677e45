"""Power indices of weighted majority games: Shapley–Shubik and Banzhaf.

A *weighted majority game* gives each actor a weight ``w_i >= 0`` (here: its capability on an
issue) and a quota; a coalition ``S`` wins when its weight ``w(S)`` reaches the quota. An actor's
*power* is how often it is decisive:

- **Shapley–Shubik** (Shapley & Shubik 1954, "A method for evaluating the distribution of power in
  a committee system", *APSR* 48(3)): the share of the ``n!`` orders of arrival in which the actor
  turns a losing coalition into a winning one. Sums to 1.
- **Banzhaf, absolute** (Banzhaf 1965, "Weighted voting doesn't work", *Rutgers Law Review* 19;
  Penrose 1946): the probability that the actor is a swing voter when every other actor votes
  yes or no with probability 1/2, i.e. ``swings_i / 2**(n-1)``.
- **Banzhaf, normalised**: the absolute indices divided by their sum (sums to 1).

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

Example
-------
The 1958 Council of the European Economic Community (France, Germany, Italy 4 votes; Belgium,
Netherlands 2; Luxembourg 1; 12 votes needed): Luxembourg is never decisive.

>>> game = WeightedGame([4, 4, 4, 2, 2, 1], quota=12,
...                     labels=["FR", "DE", "IT", "BE", "NL", "LU"])
>>> power = game.power_indices()
>>> [round(float(x) * 60) for x in power.shapley_shubik]
[14, 14, 14, 9, 9, 0]
>>> [float(x) for x in power.banzhaf_absolute * 32]
[10.0, 10.0, 10.0, 6.0, 6.0, 0.0]
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce
from typing import Any

import numpy as np

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


__all__ = [
    "RULES",
    "PowerIndices",
    "QuotaRule",
    "WeightedGame",
    "banzhaf",
    "enumerate_power_indices",
    "parse_quota",
    "power_indices",
    "reaches_quota",
    "shapley_shubik",
]

#: Largest number of actors the brute-force enumeration accepts.
ENUMERATION_LIMIT = 20
#: Work budget (inner-loop steps) used to choose the integer resolution when it is not given.
DEFAULT_WORK_BUDGET = 1.5e9
#: Integer total that real weights are rounded to (at most; less when the work budget says so).
DEFAULT_ROUNDING_UNITS = 2e5
#: Below this many inner-loop steps the kernel runs on one thread (thread start-up dominates).
PARALLEL_THRESHOLD = 2e7


# --------------------------------------------------------------------------------------------
# Quota rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaRule:
    """How much weight a coalition needs to win.

    Exactly one of ``fraction`` (a share of the total weight) and ``absolute`` (a weight) is set.
    With ``strict=False`` a coalition wins when its weight is *at least* the threshold; with
    ``strict=True`` it must *exceed* it (the simple majority: more than half).
    """

    name: str
    fraction: Fraction | None = None
    absolute: Fraction | None = None
    strict: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if (self.fraction is None) == (self.absolute is None):
            raise ParameterError("a quota rule needs exactly one of fraction and absolute")
        if self.fraction is not None and not 0 < self.fraction <= 1:
            raise ParameterError(f"quota fraction must be in (0, 1]; got {self.fraction}")
        if self.absolute is not None and self.absolute <= 0:
            raise ParameterError(f"quota must be a positive weight; got {self.absolute}")
        if self.fraction == 1 and self.strict:
            raise ParameterError("no coalition can exceed 100% of the weight")

    def threshold(self, total: Fraction) -> Fraction:
        """The threshold weight for a game whose total weight is ``total``."""
        return self.fraction * total if self.fraction is not None else self.absolute

    def describe(self) -> str:
        relation = ">" if self.strict else ">="
        if self.fraction is not None:
            value = f"{float(self.fraction) * 100:.4g}% of total weight"
        else:
            value = f"weight {float(self.absolute):g}"
        return f"{self.name}: {relation} {value}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fraction": None if self.fraction is None else float(self.fraction),
            "absolute": None if self.absolute is None else float(self.absolute),
            "strict": self.strict,
            "description": self.describe(),
        }


#: Named quota rules. ``eec-1958`` and ``eu-qmv-nice`` are the vote thresholds of two EU Councils
#: as shares of the total vote; for ``eu-qmv-nice`` only the weighted-vote condition of the Nice
#: triple majority is a weighted game (the member-state and 62 % population conditions are not).
RULES: dict[str, QuotaRule] = {
    "simple": QuotaRule("simple", fraction=Fraction(1, 2), strict=True,
                        note="more than half of the total weight"),
    "three-fifths": QuotaRule("three-fifths", fraction=Fraction(3, 5)),
    "two-thirds": QuotaRule("two-thirds", fraction=Fraction(2, 3)),
    "three-quarters": QuotaRule("three-quarters", fraction=Fraction(3, 4)),
    "unanimity": QuotaRule("unanimity", fraction=Fraction(1),
                           note="every actor with positive weight"),
    "eec-1958": QuotaRule("eec-1958", fraction=Fraction(12, 17),
                          note="Treaty of Rome art. 148(2): 12 of 17 Council votes"),
    "eu-qmv-nice": QuotaRule("eu-qmv-nice", fraction=Fraction(255, 345),
                             note="Treaty of Nice, EU-27: 255 of 345 Council votes "
                                  "(vote condition only)"),
}


def reaches_quota(weight, total, rule: QuotaRule) -> np.ndarray:
    """Whether a coalition of weight ``weight`` wins a game of total weight ``total`` (arrays
    broadcast: one test per batch item and issue).

    The test of :meth:`WeightedGame.winning`: weights are compared with a tolerance of ``1e-9`` of
    the total weight, so a coalition whose weight equals the threshold up to rounding counts as
    reaching it.

    >>> reaches_quota(np.array([50.0, 50.1]), 100.0, RULES["simple"]).tolist()
    [False, True]
    """
    weight = np.asarray(weight, dtype=float)
    total = np.asarray(total, dtype=float)
    if rule.fraction is not None:
        threshold = float(rule.fraction) * total
    else:
        threshold = np.full_like(total, float(rule.absolute))
    tolerance = 1e-9 * total
    if rule.strict:
        return weight > threshold + tolerance
    return weight >= threshold - tolerance


def _as_fraction(value: Any, name: str) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be a number; got {value!r}")
    try:
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                raise ValueError
            return Fraction(repr(float(value)))
        if isinstance(value, (int, np.integer)):
            return Fraction(int(value))
        return Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise ParameterError(f"{name} must be a number or fraction; got {value!r}") from None


def parse_quota(spec: str | float | Fraction | QuotaRule | None = None) -> QuotaRule:
    """Read a quota rule: a name from :data:`RULES`, a share of the total weight, or a rule.

    Shares may be written ``0.6``, ``"60%"``, ``"3/5"``; a leading ``>`` makes the rule strict
    (``">50%"`` is the simple majority). ``None`` means ``"simple"``.

    >>> parse_quota("two-thirds").describe()
    'two-thirds: >= 66.67% of total weight'
    >>> parse_quota(">50%").strict
    True
    """
    if spec is None:
        return RULES["simple"]
    if isinstance(spec, QuotaRule):
        return spec
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in RULES:
            return RULES[text]
        strict = text.startswith(">")
        body = text.lstrip(">=").strip()
        percent = body.endswith("%")
        if percent:
            body = body[:-1].strip()
        try:
            value = _as_fraction(body, "quota")
        except ParameterError:
            raise ParameterError(
                f"unknown quota {spec!r}: use one of {', '.join(RULES)}, a share such as 0.6, "
                "60% or 3/5, or prefix '>' for a strict majority"
            ) from None
        if percent:
            value /= 100
        if not 0 < value <= 1:
            raise ParameterError(f"quota share must be in (0, 1] (or 0-100%); got {spec!r}")
        return QuotaRule(spec.strip(), fraction=value, strict=strict)
    value = _as_fraction(spec, "quota")
    if not 0 < value <= 1:
        raise ParameterError(
            f"quota share must be in (0, 1]; got {spec!r} (use WeightedGame(quota=...) "
            "for an absolute weight)"
        )
    return QuotaRule(f"{float(value):g}", fraction=value)


# --------------------------------------------------------------------------------------------
# Integer representation
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# The dynamic programme
# --------------------------------------------------------------------------------------------


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


def _shapley_nodes(n_players: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes on [0, 1] with t <= 1/2, their weights, and whether t < 1/2."""
    # the swing probabilities are polynomials of degree <= n_players - 1 in t, the rounding-band
    # probabilities of a zero-weight actor of degree n_players: 2 * count - 1 >= n_players
    count = max(1, math.ceil((n_players + 1) / 2))
    x, w = np.polynomial.legendre.leggauss(count)
    t = (x + 1) / 2
    w = w / 2
    keep = t <= 0.5 + 1e-12
    t, w = t[keep], w[keep]
    mirrored = t < 0.5 - 1e-9
    return np.minimum(t, 0.5), w, mirrored


def _compute(game: IntegerGame, shapley: bool, banzhaf: bool) -> dict[str, np.ndarray]:
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
        integral = np.tensordot(node_weights, per_node, axes=1)  # (D, R)
        out["shapley_shubik"] = integral[inverse, 0]
        if game.band is not None:
            out["shapley_shubik_error"] = integral[inverse, 1] + integral[inverse, 2]
    if banzhaf:
        direct, _ = _window_kernel(ints, distinct, np.array([0.5]), kmax, windows, complement)
        out["banzhaf_absolute"] = direct[0][inverse, 0]
        if game.band is not None:
            out["banzhaf_absolute_error"] = direct[0][inverse, 1] + direct[0][inverse, 2]
    return out


# --------------------------------------------------------------------------------------------
# Results and the game
# --------------------------------------------------------------------------------------------


@dataclass
class PowerIndices:
    """Power indices of one weighted game (arrays over actors, in input order).

    ``*_error`` are rigorous bounds on the difference between the reported index and the index
    of the game as given, caused by rounding weights to integers; all zero when ``exact``.
    """

    labels: tuple[str, ...]
    weights: np.ndarray
    rule: QuotaRule
    threshold: float
    shapley_shubik: np.ndarray | None = None
    banzhaf: np.ndarray | None = None
    banzhaf_absolute: np.ndarray | None = None
    shapley_shubik_error: np.ndarray | None = None
    banzhaf_error: np.ndarray | None = None
    banzhaf_absolute_error: np.ndarray | None = None
    exact: bool = True
    integer_weights: np.ndarray | None = None
    integer_quota: int | None = None
    unit: float = 1.0
    method: str = "generating-function"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""

        def listed(values):
            return None if values is None else [float(v) for v in values]

        return {
            "labels": list(self.labels),
            "weights": listed(self.weights),
            "rule": self.rule.to_dict(),
            "threshold": self.threshold,
            "shapley_shubik": listed(self.shapley_shubik),
            "banzhaf": listed(self.banzhaf),
            "banzhaf_absolute": listed(self.banzhaf_absolute),
            "shapley_shubik_error": listed(self.shapley_shubik_error),
            "banzhaf_error": listed(self.banzhaf_error),
            "banzhaf_absolute_error": listed(self.banzhaf_absolute_error),
            "exact": self.exact,
            "integer_weights": None if self.integer_weights is None
            else [int(v) for v in self.integer_weights],
            "integer_quota": self.integer_quota,
            "unit": self.unit,
            "method": self.method,
        }


def _normalised_banzhaf(absolute: np.ndarray, error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = float(absolute.sum())
    if total <= 0:
        return np.zeros_like(absolute), np.where(error > 0, 1.0, 0.0)
    normalised = absolute / total
    error_total = float(error.sum())
    if error_total == 0:
        return normalised, np.zeros_like(absolute)
    if total <= error_total:
        return normalised, np.ones_like(absolute)
    bound = (error + normalised * error_total) / (total - error_total)
    return normalised, np.minimum(bound, 1.0)


INDICES = ("shapley_shubik", "banzhaf")


class WeightedGame:
    """A weighted majority game ``[quota; w_1, ..., w_n]``.

    Parameters
    ----------
    weights:
        Non-negative weights, one per actor (e.g. capabilities on one issue).
    quota:
        An absolute threshold weight (a coalition wins when its weight is at least ``quota``).
        Give either ``quota`` or ``rule``.
    rule:
        A quota rule: a name from :data:`RULES`, a share of the total weight (``0.6``, ``"60%"``,
        ``">50%"``), or a :class:`QuotaRule`. Default ``"simple"``: more than half the weight.
    labels:
        Actor names (default ``"0", "1", ...``).
    resolution:
        Integer total weight to round to; ``None`` uses exact integers when the weights have at
        most six decimals, else a resolution chosen from the work budget.

    Example
    -------
    >>> game = WeightedGame([3, 2, 2], rule="simple")
    >>> game.is_winning([0, 1]), game.is_winning([1, 2])
    (True, True)
    >>> [round(float(x), 4) for x in game.power_indices().shapley_shubik]
    [0.3333, 0.3333, 0.3333]
    """

    def __init__(
        self,
        weights,
        quota: float | None = None,
        *,
        rule: str | float | QuotaRule | None = None,
        labels=None,
        resolution: int | None = None,
    ) -> None:
        values = np.asarray(weights, dtype=float)
        if values.ndim != 1 or values.size == 0:
            raise ParameterError(f"weights must be a non-empty 1-D array; got shape {values.shape}")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ParameterError("weights must be finite and >= 0")
        if values.sum() <= 0:
            raise ParameterError("the total weight is zero: no coalition can win")
        if quota is not None and rule is not None:
            raise ParameterError("give either quota (an absolute weight) or rule, not both")
        if quota is not None:
            self.rule = QuotaRule(f"quota {float(quota):g}", absolute=_as_fraction(quota, "quota"))
        else:
            self.rule = parse_quota(rule)
        if resolution is not None:
            resolution = int(_check_positive_int(resolution, "resolution"))
        self.weights = values
        self.labels = tuple(str(x) for x in (labels if labels is not None
                                             else range(values.size)))
        if len(self.labels) != values.size:
            raise ParameterError(f"{len(self.labels)} labels for {values.size} weights")
        self.resolution = resolution

    @property
    def n_players(self) -> int:
        return self.weights.size

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    @property
    def threshold(self) -> float:
        """The threshold weight (see ``rule.strict`` for >= or >)."""
        return float(self.rule.threshold(_as_fraction(self.total, "total")))

    def _member_mask(self, members) -> np.ndarray:
        members = np.asarray(members)
        if members.dtype == bool and members.shape[-1:] == (self.n_players,):
            return members
        if members.dtype.kind in "UO":
            index = {label: i for i, label in enumerate(self.labels)}
            try:
                members = np.array([index[str(m)] for m in members.ravel()], dtype=int)
            except KeyError as exc:
                raise ParameterError(f"unknown actor {exc.args[0]!r}") from None
        mask = np.zeros(self.n_players, dtype=bool)
        mask[members.astype(int)] = True
        return mask

    def winning(self, masks) -> np.ndarray:
        """Whether each coalition of ``masks`` (``(..., n)`` booleans) wins.

        Weights are compared with a tolerance of ``1e-9`` of the total weight, so a coalition
        whose weight equals the threshold up to rounding counts as reaching it.
        """
        masks = np.asarray(masks, dtype=bool)
        return reaches_quota(masks @ self.weights, self.total, self.rule)

    def is_winning(self, members) -> bool:
        """Whether the coalition (indices, labels or a boolean mask) wins."""
        return bool(self.winning(self._member_mask(members)))

    def integer_game(self, shapley: bool = True) -> IntegerGame:
        n = self.n_players
        distinct = np.unique(self.weights).size
        if shapley:
            cost = max(1.0, math.ceil(n / 4)) * (n + distinct)
        else:
            cost = float(n + distinct)
        max_units = min(2e6, max(1000.0, DEFAULT_WORK_BUDGET / cost))
        return integerise(self.weights, self.rule, resolution=self.resolution,
                          max_units=max_units, rounding_units=DEFAULT_ROUNDING_UNITS)

    def power_indices(self, indices=INDICES) -> PowerIndices:
        """Shapley–Shubik and/or Banzhaf indices by generating functions (no enumeration)."""
        indices = tuple(indices)
        for name in indices:
            if name not in INDICES:
                raise ParameterError(f"unknown index {name!r}; choose from {', '.join(INDICES)}")
        shapley = "shapley_shubik" in indices
        game = self.integer_game(shapley=shapley)
        values = _compute(game, shapley=shapley, banzhaf="banzhaf" in indices)
        zeros = np.zeros(self.n_players)
        result = PowerIndices(
            labels=self.labels, weights=self.weights, rule=self.rule, threshold=self.threshold,
            exact=game.exact, integer_weights=game.weights, integer_quota=game.quota,
            unit=game.unit,
            extra={"rounding_total_units": game.rounding_total, "band": game.band},
        )
        if shapley:
            result.shapley_shubik = np.clip(values["shapley_shubik"], 0.0, 1.0)
            result.shapley_shubik_error = np.minimum(
                values.get("shapley_shubik_error", zeros), 1.0)
        if "banzhaf" in indices:
            result.banzhaf_absolute = np.clip(values["banzhaf_absolute"], 0.0, 1.0)
            result.banzhaf_absolute_error = np.minimum(
                values.get("banzhaf_absolute_error", zeros), 1.0)
            result.banzhaf, result.banzhaf_error = _normalised_banzhaf(
                result.banzhaf_absolute, result.banzhaf_absolute_error
            )
        return result

    def enumerate_power_indices(self) -> PowerIndices:
        """The same indices by enumerating all ``2**n`` coalitions (the test oracle, n <= 20)."""
        shapley, absolute = enumerate_power_indices(self.weights, self.rule)
        normalised, _ = _normalised_banzhaf(absolute, np.zeros_like(absolute))
        zeros = np.zeros(self.n_players)
        return PowerIndices(
            labels=self.labels, weights=self.weights, rule=self.rule, threshold=self.threshold,
            shapley_shubik=shapley, banzhaf=normalised, banzhaf_absolute=absolute,
            shapley_shubik_error=zeros, banzhaf_error=zeros, banzhaf_absolute_error=zeros,
            exact=True, method="enumeration",
        )

    def __repr__(self) -> str:
        return f"WeightedGame(n={self.n_players}, {self.rule.describe()})"


def _check_positive_int(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a positive integer; got {value!r}") from None
    if number != value or number < 1:
        raise ParameterError(f"{name} must be a positive integer; got {value!r}")
    return number


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
    total = _as_fraction(int(values.sum()) if integer else float(values.sum()), "total")
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


# --------------------------------------------------------------------------------------------
# Convenience functions (batched)
# --------------------------------------------------------------------------------------------


def power_indices(
    weights, quota: float | None = None, *, rule=None, labels=None,
    resolution: int | None = None, indices=INDICES,
) -> PowerIndices:
    """Power indices of the game ``WeightedGame(weights, quota, rule=rule)``.

    >>> [round(float(x), 3) for x in power_indices([4, 4, 4, 2, 2, 1], 12).banzhaf]
    [0.238, 0.238, 0.238, 0.143, 0.143, 0.0]
    """
    game = WeightedGame(weights, quota, rule=rule, labels=labels, resolution=resolution)
    return game.power_indices(indices)


def _batched(weights, name: str, **kwargs) -> np.ndarray:
    values = np.asarray(weights, dtype=float)
    if values.ndim == 0:
        raise ParameterError("weights must have an actor axis")
    flat = values.reshape(-1, values.shape[-1])
    rows = [getattr(power_indices(row, indices=(name.split(":")[0],), **kwargs),
                    name.split(":")[-1]) for row in flat]
    return np.asarray(rows).reshape(values.shape)


def shapley_shubik(weights, quota: float | None = None, *, rule=None,
                   resolution: int | None = None) -> np.ndarray:
    """Shapley–Shubik indices, ``weights`` of shape ``(*batch, n)`` -> same shape.

    >>> [float(x) * 6 for x in shapley_shubik([2, 1, 1], rule="simple")]
    [4.0, 1.0, 1.0]
    """
    return _batched(weights, "shapley_shubik", quota=quota, rule=rule, resolution=resolution)


def banzhaf(weights, quota: float | None = None, *, rule=None, normalized: bool = True,
            resolution: int | None = None) -> np.ndarray:
    """Banzhaf indices (normalised, or absolute with ``normalized=False``), batched like
    :func:`shapley_shubik`.

    >>> [float(x) for x in banzhaf([2, 1, 1], rule="simple", normalized=False)]
    [0.75, 0.25, 0.25]
    """
    name = "banzhaf:banzhaf" if normalized else "banzhaf:banzhaf_absolute"
    return _batched(weights, name, quota=quota, rule=rule, resolution=resolution)
