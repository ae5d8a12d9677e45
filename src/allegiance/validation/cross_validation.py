"""Leave-one-proposal-out choices: among candidate forecasts (one per capability option or
parameter value), each held-out proposal gets the candidate with the lowest error on the others,
so nothing is tuned on the issue it is scored on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from allegiance.validation.predicting import BASELINE
from allegiance.validation.result import BacktestResult
from allegiance.validation.scores import IssuePrediction, ModelSummary, summarise


def cross_validated(
    candidates: dict[str, np.ndarray],
    outcome: np.ndarray,
    groups: Sequence[Any],
) -> tuple[np.ndarray, list[str]]:
    """Leave-one-group-out choice among candidate forecasts (e.g. one per capability option).

    For each group (proposal) held out, the candidate with the lowest mean absolute error on the
    *other* groups is chosen and its forecasts for the held-out group are used. Returns the
    cross-validated forecasts and the candidate chosen for each item. Candidates with non-finite
    forecasts (failed issues) are scored on their finite ones; a held-out issue whose chosen
    candidate failed stays NaN.

    >>> f, chosen = cross_validated({"a": np.array([0.0, 0, 0]), "b": np.array([9.0, 9, 9])},
    ...                             np.array([1.0, 1, 8]), ["p", "q", "r"])
    >>> chosen
    ['a', 'a', 'a']
    """
    names = list(candidates)
    outcome = np.asarray(outcome, dtype=float)
    labels = np.asarray([str(g) for g in groups])
    errors = np.stack([np.abs(np.asarray(candidates[n], dtype=float) - outcome) for n in names])
    forecast = np.full(outcome.shape, np.nan)
    chosen = [""] * outcome.size
    for label in np.unique(labels):
        held = labels == label
        train = ~held
        with np.errstate(invalid="ignore"):
            scores = [np.nanmean(e[train]) if np.isfinite(e[train]).any() else np.inf
                      for e in errors]
        best = int(np.argmin(scores))
        forecast[held] = np.asarray(candidates[names[best]], dtype=float)[held]
        for i in np.flatnonzero(held):
            chosen[i] = names[best]
    return forecast, chosen


def cross_validated_summaries(
    results: dict[str, BacktestResult], *, n_boot: int = 2000, seed: int = 0
) -> tuple[list[ModelSummary], list[IssuePrediction]]:
    """For each model, the capability option chosen by leave-one-proposal-out cross-validation.

    ``results`` maps capability option -> backtest of the same issues under that option.
    """
    options = list(results)
    if not options:
        return [], []
    models = results[options[0]].settings["models"]
    by_option = {
        option: {(p.model, p.issue): p for p in [*result.baseline, *result.predictions]}
        for option, result in results.items()
    }
    first = results[options[0]]
    issues = list(first.baseline) or [p for p in first.predictions if p.model == models[0]]
    groups = [p.proposal for p in issues]
    outcome = np.array([p.outcome for p in issues])
    summaries: list[ModelSummary] = []
    predictions: list[IssuePrediction] = []
    per_model: dict[str, list[IssuePrediction]] = {}
    meta: dict[str, tuple[bool, int]] = {}
    for model in [BASELINE, *[m for m in models if m != BASELINE]]:
        if not all((model, issues[0].issue) in by_option[o] for o in options):
            continue
        candidates = {o: np.array([by_option[o][(model, p.issue)].forecast
                                   if by_option[o][(model, p.issue)].ok else np.nan
                                   for p in issues]) for o in options}
        forecast, chosen = cross_validated(candidates, outcome, groups)
        rows = []
        for i, p in enumerate(issues):
            source = by_option[chosen[i]][(model, p.issue)]
            row = IssuePrediction(**{**asdict(source), "capability": f"cv:{chosen[i]}"})
            row.forecast = float(forecast[i])
            row.abs_error = abs(row.forecast - row.outcome)
            if not source.ok:
                row.error = source.error or "failed"
            rows.append(row)
        per_model[model] = rows
        summ = next(s for s in results[options[0]].summaries if s.model == model) \
            if any(s.model == model for s in results[options[0]].summaries) else None
        meta[model] = (summ.stochastic if summ else False, summ.runs if summ else 1)
    baseline = per_model.get(BASELINE)
    for model in models:
        if model not in per_model:
            continue
        stochastic, runs = meta[model]
        summary = summarise(per_model[model], baseline, stochastic=stochastic, runs=runs,
                            n_boot=n_boot, seed=seed)
        counts: dict[str, int] = {}
        for row in per_model[model]:
            key = row.capability.removeprefix("cv:")
            counts[key] = counts.get(key, 0) + 1
        summary.capability = "cv"
        summary.note = "capability chosen by leave-one-proposal-out CV: " + ", ".join(
            f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        summaries.append(summary)
        predictions.extend(per_model[model])
    return summaries, predictions
