"""Prediction intervals for every model: "how wrong has this model been" on decided cases.

A model's interval is a *normalised split-conformal* interval (Vovk, Gammerman & Shafer 2005,
*Algorithmic Learning in a Random World*; Lei, G'Sell, Rinaldo, Tibshirani & Wasserman 2018,
"Distribution-free predictive inference for regression", *JASA* 113(523)). On decisions whose
outcome is known (the DEU development split), each issue's conformity score is

    score = |outcome − forecast| / (scale width × (spread + floor))

where ``spread`` is the capability × salience weighted standard deviation of the actors'
positions as a share of the scale width — known before the outcome — and ``floor`` keeps the
interval open when everybody agrees. The interval at level ``L`` is then

    forecast ± q_L × scale width × (spread + floor), clipped to the scale,

with ``q_L`` the conformal quantile of the scores (the ⌈(n + 1) L⌉-th smallest of n). Wide when
the actors are far apart, narrow when they agree; in scale-normalised units, so the DEU
calibration can be carried to another scenario (where it is the DEU record, not that scenario's).

The quantiles are fitted by :mod:`allegiance.validation.conformal` (leave-one-proposal-out
cross-validated residuals) and ship in ``allegiance/data/calibration/intervals.json``.

This interval is *not* the Monte Carlo spread (``allegiance montecarlo``): that one says how much
the forecast moves when the inputs move within their evidence ranges; this one says how far the
model's forecasts have been from real outcomes.

Example
-------
>>> import numpy as np
>>> spread = position_spread(np.array([[0.0], [100.0]]), np.array([[1.0], [1.0]]),
...                          np.array([[True], [True]]), np.array([0.0]), np.array([100.0]))
>>> float(spread[0])
0.5
>>> lo, hi = conformal_interval(np.array([50.0]), spread, 0.5, np.array([0.0]),
...                             np.array([100.0]), floor=0.0)
>>> float(lo[0]), float(hi[0])
(25.0, 75.0)
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

#: the spread below which an interval would collapse (a share of the scale width)
SPREAD_FLOOR = 0.05
LEVELS = ("50", "80")
CALIBRATION_FILE = "intervals.json"


def position_spread(position: np.ndarray, weight: np.ndarray, present: np.ndarray,
                    low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Weighted standard deviation of the positions per issue, as a share of the scale width.

    ``position``/``weight``/``present`` have shape ``(n_actors, n_issues)`` (weight: capability ×
    salience). Where the weights sum to 0 the unweighted spread of the present actors is used.
    """
    position = np.asarray(position, dtype=float)
    present = np.asarray(present, dtype=bool)
    weight = np.where(present, np.asarray(weight, dtype=float), 0.0)
    plain = present.astype(float)
    total = weight.sum(axis=-2)
    w = np.where(total > 0, weight, plain)
    w_total = np.maximum(w.sum(axis=-2), 1e-300)
    mean = (w * position).sum(axis=-2) / w_total
    var = (w * (position - mean) ** 2).sum(axis=-2) / w_total
    width = np.maximum(np.asarray(high, dtype=float) - np.asarray(low, dtype=float), 1e-300)
    return np.sqrt(np.maximum(var, 0.0)) / width


def conformal_interval(forecast: np.ndarray, spread: np.ndarray, quantile: float,
                       low: np.ndarray, high: np.ndarray, *, floor: float = SPREAD_FLOOR
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``forecast ± quantile × width × (spread + floor)``, clipped to ``[low, high]``."""
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    half = quantile * (high - low) * (np.asarray(spread, dtype=float) + floor)
    forecast = np.asarray(forecast, dtype=float)
    return np.clip(forecast - half, low, high), np.clip(forecast + half, low, high)


@lru_cache(maxsize=1)
def load_calibration() -> dict[str, Any]:
    """The shipped calibration (``allegiance/data/calibration/intervals.json``), or ``{}``."""
    try:
        text = (resources.files("allegiance") / "data" / "calibration" / CALIBRATION_FILE
                ).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def model_intervals(model: str, outcome: np.ndarray, arrays, *, from_dataset: bool = False,
                    default_parameters: bool = True,
                    calibration: dict[str, Any] | None = None) -> list[dict[str, Any] | None]:
    """The calibrated 50% and 80% intervals of ``model``'s forecast of each issue.

    ``arrays`` is the scenario's :class:`~allegiance.scenario.arrays.ScenarioArrays`;
    ``from_dataset`` says that the scenario comes from the calibration's data set (DEU). One dict
    per issue (``None`` where the model has no calibration): ``{"50": [lo, hi], "80": [lo, hi],
    "spread", "method", "calibrated_on", "note"}``.
    """
    calibration = load_calibration() if calibration is None else calibration
    entry = calibration.get("models", {}).get(model)
    outcome = np.asarray(outcome, dtype=float).reshape(-1)
    if not entry:
        return [None] * outcome.size
    floor = float(calibration.get("floor", SPREAD_FLOOR))
    spread = position_spread(arrays.position, arrays.capability * arrays.salience,
                             arrays.present, arrays.scale_low, arrays.scale_high)
    dataset = calibration.get("source", "DEU")
    note = (f"calibrated on {dataset} decisions ({calibration.get('dataset', '')}, "
            f"{entry.get('n', '?')} issues; conformal, cross-validated by proposal)"
            if from_dataset else
            f"calibrated on {dataset} decisions, not on this scenario: the interval is the "
            f"{dataset}-calibrated one, carried over in scale-normalised units (a share of the "
            "scale width times the spread of positions)")
    if not default_parameters:
        note += "; calibrated for the model's default parameters, not the ones used here"
    rows: list[dict[str, Any] | None] = []
    bounds = {level: conformal_interval(outcome, spread, float(entry[level]), arrays.scale_low,
                                        arrays.scale_high, floor=floor)
              for level in LEVELS if level in entry}
    for k in range(outcome.size):
        if not math.isfinite(float(outcome[k])):
            rows.append(None)
            continue
        row: dict[str, Any] = {level: [float(lo[k]), float(hi[k])]
                               for level, (lo, hi) in bounds.items()}
        row.update({"spread": float(spread[k]), "method": calibration.get("method", ""),
                    "calibrated_on": dataset, "note": note})
        rows.append(row)
    return rows


__all__ = ["LEVELS", "SPREAD_FLOOR", "conformal_interval", "load_calibration",
           "model_intervals", "position_spread"]
