"""Calibrating every model's prediction intervals on decided cases, and measuring their coverage.

The interval form is :mod:`allegiance.models.intervals` (normalised split-conformal, scaled by
the spread of the actors' positions). Here:

- :func:`conformal_quantile` — the ⌈(n + 1) L⌉-th smallest of n scores (Vovk et al. 2005);
- :func:`calibrate` — a model's quantiles at 50% and 80% from its residuals on all issues (what
  ships in ``allegiance/data/calibration/intervals.json``);
- :func:`cross_validated_intervals` — the out-of-sample check: the interval of each proposal's
  issues is computed from the *other* proposals' residuals only (leave-one-proposal-out), and
  its coverage is the share of held-out outcomes inside it. For a model that is itself fitted
  (``learned``), the residuals are its cross-validated ones.

Example
-------
>>> rng = np.random.default_rng(0)
>>> forecast = np.full(400, 50.0); spread = np.full(400, 0.2)
>>> outcome = forecast + rng.normal(0, 10, 400)
>>> low, high = cross_validated_intervals(forecast, outcome, spread, np.arange(400),
...     np.zeros(400), np.full(400, 100.0))
>>> 0.45 < coverage(outcome, low["50"], high["50"]) < 0.55
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from allegiance.models.intervals import LEVELS, SPREAD_FLOOR, conformal_interval, position_spread
from allegiance.validation.scores import coverage

METHOD = ("normalised split-conformal: |outcome - forecast| / (width x (spread + floor)), "
          "spread = capability x salience weighted standard deviation of positions / width")


def scores(forecast: np.ndarray, outcome: np.ndarray, spread: np.ndarray, low: np.ndarray,
           high: np.ndarray, *, floor: float = SPREAD_FLOOR) -> np.ndarray:
    """Conformity scores: absolute errors in units of ``width × (spread + floor)``."""
    width = np.asarray(high, dtype=float) - np.asarray(low, dtype=float)
    return (np.abs(np.asarray(outcome, dtype=float) - np.asarray(forecast, dtype=float))
            / (width * (np.asarray(spread, dtype=float) + floor)))


def conformal_quantile(values: np.ndarray, level: float) -> float:
    """The ⌈(n + 1) level⌉-th smallest finite value (the largest when that exceeds n).

    >>> conformal_quantile(np.arange(1.0, 10.0), 0.5)
    5.0
    """
    values = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    if values.size == 0:
        return math.nan
    rank = min(int(math.ceil((values.size + 1) * level)), values.size)
    return float(values[rank - 1])


def calibrate(forecast: np.ndarray, outcome: np.ndarray, spread: np.ndarray, low: np.ndarray,
              high: np.ndarray, *, floor: float = SPREAD_FLOOR) -> dict[str, Any]:
    """A model's calibration entry: the conformal quantile per level and the count of issues."""
    s = scores(forecast, outcome, spread, low, high, floor=floor)
    entry: dict[str, Any] = {level: conformal_quantile(s, int(level) / 100) for level in LEVELS}
    entry["n"] = int(np.isfinite(s).sum())
    return entry


def cross_validated_intervals(
    forecast: np.ndarray, outcome: np.ndarray, spread: np.ndarray, clusters: Sequence[Any],
    low: np.ndarray, high: np.ndarray, *, floor: float = SPREAD_FLOOR,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Leave-one-cluster-out intervals: cluster ``c``'s from the other clusters' scores only.

    Returns ``(low, high)``, each ``{level: array}``; NaN where the forecast is not finite.
    """
    forecast = np.asarray(forecast, dtype=float)
    labels = np.asarray([str(c) for c in clusters])
    s = scores(forecast, outcome, spread, low, high, floor=floor)
    lows = {level: np.full(forecast.shape, np.nan) for level in LEVELS}
    highs = {level: np.full(forecast.shape, np.nan) for level in LEVELS}
    for label in np.unique(labels):
        held = labels == label
        for level in LEVELS:
            q = conformal_quantile(s[~held], int(level) / 100)
            lo, hi = conformal_interval(forecast[held], np.asarray(spread)[held], q,
                                        np.asarray(low)[held], np.asarray(high)[held],
                                        floor=floor)
            ok = np.isfinite(forecast[held])
            lows[level][held] = np.where(ok, lo, np.nan)
            highs[level][held] = np.where(ok, hi, np.nan)
    return lows, highs


def issue_info(scenarios: Sequence[Any]) -> dict[str, tuple[float, float, float]]:
    """Issue id -> (spread, scale low, scale high) for single-issue scenarios (see
    :func:`~allegiance.models.intervals.position_spread`)."""
    info = {}
    for scenario in scenarios:
        arrays = scenario.to_arrays()
        spread = position_spread(arrays.position, arrays.capability * arrays.salience,
                                 arrays.present, arrays.scale_low, arrays.scale_high)
        for k, issue in enumerate(arrays.issue_ids):
            info[issue] = (float(spread[k]), float(arrays.scale_low[k]),
                           float(arrays.scale_high[k]))
    return info


def attach_intervals(predictions: Sequence[Any],
                     issues: dict[str, tuple[float, float, float]]) -> None:
    """Fill each backtest prediction's cross-validated model interval (``pi50_lo`` … ``pi80_hi``).

    ``issues`` maps issue id -> (spread, scale low, scale high). Proposals are the clusters;
    failed forecasts get none.
    """
    if not predictions:
        return
    forecast = np.array([p.forecast if p.ok else np.nan for p in predictions])
    outcome = np.array([p.outcome for p in predictions])
    info = np.array([issues[p.issue] for p in predictions], dtype=float).reshape(-1, 3)
    lows, highs = cross_validated_intervals(forecast, outcome, info[:, 0],
                                            [p.proposal for p in predictions], info[:, 1],
                                            info[:, 2])
    for i, p in enumerate(predictions):
        for level in LEVELS:
            lo, hi = float(lows[level][i]), float(highs[level][i])
            setattr(p, f"pi{level}_lo", lo if math.isfinite(lo) else None)
            setattr(p, f"pi{level}_hi", hi if math.isfinite(hi) else None)


def calibration_markdown(calibration: dict[str, Any]) -> str:
    """The shipped calibration as a Markdown table: per model, the MAE of the residuals it was
    calibrated on and the conformal quantiles (half-widths in units of width × (spread + floor)).
    """
    lines = ["| model | issues | MAE of the residuals | q 50% | q 80% | "
             "80% half-width at the median spread |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    spread = calibration.get("median_spread")
    floor = float(calibration.get("floor", 0.05))
    for name, entry in calibration.get("models", {}).items():
        half = ("—" if spread is None else
                f"{100 * entry['80'] * (float(spread) + floor):.1f} points")
        lines.append(f"| {name} | {entry['n']} | {entry['mae']:.2f} | {entry['50']:.3f} | "
                     f"{entry['80']:.3f} | {half} |")
    return "\n".join(lines) + "\n"


__all__ = ["METHOD", "attach_intervals", "calibrate", "calibration_markdown",
           "conformal_quantile", "coverage", "cross_validated_intervals", "issue_info", "scores"]
