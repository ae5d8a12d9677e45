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

How they are computed (a dynamic programme over generating functions, exact or with rigorous
rounding bounds) is described in :mod:`allegiance.coalitions.power_kernel`.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allegiance.coalitions.power_kernel import (  # noqa: F401 - kept here for the kernel test
    DEFAULT_ROUNDING_UNITS,
    DEFAULT_WORK_BUDGET,
    IntegerGame,
    _window_kernel,
    _window_kernel_python,
    _windows,
    compute,
    enumerate_power_indices,
    integerise,
)
from allegiance.coalitions.quota import RULES, QuotaRule, as_fraction, parse_quota, reaches_quota
from allegiance.models.base import ParameterError

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

    def __repr__(self) -> str:
        return (f"PowerIndices({len(self.labels)} actors, rule={self.rule.describe()!r}, "
                f"exact={self.exact})")

    def to_frame(self):
        """One row per actor (pandas): ``actor, weight`` and each computed index."""
        from allegiance.frames import frame

        columns = {"actor": list(self.labels), "weight": np.asarray(self.weights, dtype=float)}
        for name in ("shapley_shubik", "banzhaf", "banzhaf_absolute"):
            values = getattr(self, name)
            if values is not None:
                columns[name] = np.asarray(values, dtype=float)
        return frame(columns)

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
            self.rule = QuotaRule(f"quota {float(quota):g}", absolute=as_fraction(quota, "quota"))
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
        return float(self.rule.threshold(as_fraction(self.total, "total")))

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
        values = compute(game, shapley=shapley, banzhaf="banzhaf" in indices)
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
