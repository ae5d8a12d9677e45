"""What a backtest records and how it scores it: one model's forecast of one issue
(:class:`IssuePrediction`), one model's scores (:class:`ModelSummary`), the error metrics, the
paired cluster bootstrap against the compromise model (Achen 2006) and interval coverage."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

WITHIN = 10.0



@dataclass
class IssuePrediction:
    """One model's forecast of one issue."""

    model: str
    capability: str
    scenario: str
    issue: str
    proposal: str
    procedure: str
    voting_rule: str
    outcome: float
    status_quo: float | None
    forecast: float = math.nan
    abs_error: float = math.nan
    lo50: float | None = None
    hi50: float | None = None
    lo80: float | None = None
    hi80: float | None = None
    #: the model's cross-validated conformal interval (issue's proposal left out of calibration)
    pi50_lo: float | None = None
    pi50_hi: float | None = None
    pi80_lo: float | None = None
    pi80_hi: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and math.isfinite(self.forecast)


@dataclass
class ModelSummary:
    """The scores of one model under one capability option."""

    model: str
    capability: str
    stochastic: bool
    runs: int
    n_issues: int
    n_ok: int
    n_failed: int
    mae: float = math.nan
    median_ae: float = math.nan
    within_10: float = math.nan
    vs_mean: float = math.nan
    vs_mean_low: float = math.nan
    vs_mean_high: float = math.nan
    vs_mean_n: int = 0
    coverage_50: float | None = None
    coverage_80: float | None = None
    #: coverage of the model's cross-validated conformal intervals (every model)
    interval_coverage_50: float | None = None
    interval_coverage_80: float | None = None
    note: str = ""


def error_metrics(forecast: np.ndarray, outcome: np.ndarray) -> dict[str, float]:
    """Mean and median absolute error and the share within 10 points (finite pairs only)."""
    forecast = np.asarray(forecast, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    keep = np.isfinite(forecast) & np.isfinite(outcome)
    errors = np.abs(forecast[keep] - outcome[keep])
    if errors.size == 0:
        return {"mae": math.nan, "median_ae": math.nan, "within_10": math.nan}
    return {
        "mae": float(errors.mean()),
        "median_ae": float(np.median(errors)),
        "within_10": float(np.mean(errors <= WITHIN + 1e-9)),
    }


def paired_bootstrap(
    difference: np.ndarray,
    groups: Sequence[Any] | None = None,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Mean of ``difference`` and a percentile bootstrap interval, resampling whole groups.

    ``groups`` (e.g. the proposal of each issue) are resampled with replacement, so issues of one
    proposal stay together; without groups each item is its own group. This is SciPy's paired
    bootstrap (:func:`scipy.stats.bootstrap`) over the groups' sums and sizes, with the ratio of
    their totals as the statistic: the mean difference of the resampled issues. Seeded: the same
    inputs and seed give the same interval.

    >>> paired_bootstrap(np.array([1.0, 1.0, 1.0]), n_boot=100)
    (1.0, 1.0, 1.0)
    """
    from scipy.stats import bootstrap

    difference = np.asarray(difference, dtype=float)
    if difference.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(difference.mean())
    if groups is None:
        groups = list(range(difference.size))
    labels, index = np.unique(np.asarray([str(g) for g in groups]), return_inverse=True)
    if labels.size < 2:  # one group: resampling it gives only itself
        return mean, mean, mean
    sums = np.bincount(index, weights=difference, minlength=labels.size)
    counts = np.bincount(index, minlength=labels.size).astype(float)
    result = bootstrap((sums, counts), _mean_of_resampled, paired=True, vectorized=True,
                       n_resamples=n_boot, confidence_level=level, method="percentile",
                       random_state=np.random.default_rng(seed))
    interval = result.confidence_interval
    return mean, float(interval.low), float(interval.high)


def _mean_of_resampled(sums: np.ndarray, counts: np.ndarray, axis: int = -1) -> np.ndarray:
    return sums.sum(axis=axis) / counts.sum(axis=axis)


def coverage(outcome: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Share of outcomes inside ``[low, high]`` (finite intervals only)."""
    outcome, low, high = (np.asarray(x, dtype=float) for x in (outcome, low, high))
    keep = np.isfinite(outcome) & np.isfinite(low) & np.isfinite(high)
    if not keep.any():
        return math.nan
    inside = (outcome[keep] >= low[keep] - 1e-9) & (outcome[keep] <= high[keep] + 1e-9)
    return float(inside.mean())


def summarise(
    predictions: Sequence[IssuePrediction],
    baseline: Sequence[IssuePrediction] | None,
    *,
    stochastic: bool = False,
    runs: int = 1,
    n_boot: int = 2000,
    seed: int = 0,
    note: str = "",
) -> ModelSummary:
    """Scores of one model's predictions (paired with the baseline's, issue by issue)."""
    first = predictions[0] if predictions else None
    ok = [p for p in predictions if p.ok]
    summary = ModelSummary(
        model=first.model if first else "",
        capability=first.capability if first else "",
        stochastic=stochastic,
        runs=runs if stochastic else 1,
        n_issues=len(predictions),
        n_ok=len(ok),
        n_failed=len(predictions) - len(ok),
        note=note,
    )
    if not ok:
        return summary
    metrics = error_metrics(np.array([p.forecast for p in ok]), np.array([p.outcome for p in ok]))
    summary.mae, summary.median_ae, summary.within_10 = (metrics["mae"], metrics["median_ae"],
                                                         metrics["within_10"])
    if baseline is not None:
        base = {b.issue: b for b in baseline if b.ok}
        pairs = [(p, base[p.issue]) for p in ok if p.issue in base]
        if pairs:
            # rounded: identical forecasts must compare as exactly 0, not as float noise
            diff = np.round(np.array([p.abs_error - b.abs_error for p, b in pairs]), 9)
            summary.vs_mean, summary.vs_mean_low, summary.vs_mean_high = paired_bootstrap(
                diff, [p.proposal for p, _ in pairs], n_boot=n_boot, seed=seed)
            summary.vs_mean_n = len(pairs)
    if any(p.pi50_lo is not None for p in ok):
        outcome = np.array([p.outcome for p in ok])
        for level in ("50", "80"):
            setattr(summary, f"interval_coverage_{level}", coverage(
                outcome, np.array([getattr(p, f"pi{level}_lo") for p in ok], dtype=float),
                np.array([getattr(p, f"pi{level}_hi") for p in ok], dtype=float)))
    if stochastic:
        outcome = np.array([p.outcome for p in ok])
        summary.coverage_50 = coverage(outcome, np.array([p.lo50 for p in ok], dtype=float),
                                       np.array([p.hi50 for p in ok], dtype=float))
        summary.coverage_80 = coverage(outcome, np.array([p.lo80 for p in ok], dtype=float),
                                       np.array([p.hi80 for p in ok], dtype=float))
    return summary
