"""Backtests: every model's forecasts scored against decisions whose outcome is known.

For each model and each issue with a recorded outcome, the model is run on the issue's scenario
(``model.run(scenario.to_arrays(), random_state)``) and its forecast compared with the outcome.
Multi-issue models (``model_class.multi_issue``) run on all the scored issues of a proposal at once
(:func:`combine`), so that a model that trades across issues sees them.
Per model the backtest reports

- the mean and the median absolute error (points on the 0–100 scale) and the share of issues
  forecast within 10 points of the outcome;
- a paired comparison with the compromise model ("mean", Achen 2006): the mean over issues of
  ``|error of the model| - |error of the compromise model|`` (negative = the model is better) with
  a seeded bootstrap interval. Issues of one proposal are not independent, so the bootstrap
  resamples whole proposals (a cluster bootstrap);
- for stochastic models (``model_class.stochastic``), ``runs`` seeded runs per issue: the forecast
  is the median of the runs' outcomes, and the coverage of the central 50% and 80% prediction
  intervals of the runs is the share of issues whose outcome falls inside them.

A model that fails on an issue (raises, or returns a non-finite forecast) does not stop the
backtest: the failure is recorded for that model and issue, and the model is scored on the issues
where it ran. Nothing is tuned issue by issue; the only tuned choice offered, the capability
option (:func:`cross_validated`), is chosen by leave-one-proposal-out cross-validation and reported
as such.

Example
-------
>>> from allegiance.scenario.model import Scenario
>>> def issue(i, outcome, positions):
...     return Scenario.model_validate({"id": f"s{i}", "title": "t",
...         "issues": [{"id": f"i{i}", "name": "n", "metadata": {"outcome": outcome,
...                     "proposal": f"p{i}"}}],
...         "actors": [{"id": a, "name": a, "capability": 1,
...                     "issues": {f"i{i}": {"position": x, "salience": 1}}}
...                    for a, x in positions.items()]})
>>> result = run_backtest([issue(0, 50, {"a": 0, "b": 100}), issue(1, 10, {"a": 0, "b": 40})],
...                       models=["mean"])
>>> result.summaries[0].mae
5.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from allegiance.models.registry import MODELS, UnknownModelError, get_model_class
from allegiance.scenario.model import Scenario
from allegiance.validation.conformal import attach_intervals, issue_info
from allegiance.validation.cross_validation import cross_validated, cross_validated_summaries
from allegiance.validation.predicting import (
    BASELINE,
    INTERVALS,
    blank_prediction,
    combine,
    predict,
    scored,
)
from allegiance.validation.result import BacktestResult
from allegiance.validation.scores import (
    IssuePrediction,
    ModelSummary,
    coverage,
    error_metrics,
    paired_bootstrap,
    summarise,
)

#: the forecaster fitted on DEU data: backtested by nested leave-one-proposal-out CV
LEARNED = "learned"


def model_availability() -> tuple[list[str], dict[str, str]]:
    """Registered models that load, and those that do not (name -> why)."""
    loaded: list[str] = []
    missing: dict[str, str] = {}
    for name in MODELS:
        try:
            get_model_class(name)
        except Exception as exc:  # a model being written may not import yet
            missing[name] = f"{type(exc).__name__}: {exc}"
        else:
            loaded.append(name)
    return loaded, missing


def resolve_models(model: str | Sequence[str] | None) -> list[str]:
    """``"all"``/None -> every registered model that loads (baseline first); a name or a list ->
    those names (an unknown name raises :class:`UnknownModelError`)."""
    if model is None or (isinstance(model, str) and model.lower() == "all"):
        names = model_availability()[0]
    else:
        names = [model.lower()] if isinstance(model, str) else [m.lower() for m in model]
        for name in names:
            if name not in MODELS:
                raise UnknownModelError(f"unknown model {name!r}; registered: "
                                        f"{', '.join(MODELS)}")
    ordered = [BASELINE] if BASELINE in names else []
    return ordered + [n for n in names if n != BASELINE]


def run_backtest(
    scenarios: Sequence[Scenario],
    *,
    models: str | Sequence[str] | None = "all",
    capability: str = "",
    runs: int = 20,
    seed: int = 0,
    n_boot: int = 2000,
    params: dict[str, dict[str, Any]] | None = None,
    on_issue: Callable[[], None] | None = None,
) -> BacktestResult:
    """Backtest ``models`` on the scenarios with a recorded outcome (one capability option).

    The compromise model ("mean") is always run, since every model is compared with it; it is
    reported only when asked for (or with ``models="all"``).
    """
    names = resolve_models(models)
    issues = scored(scenarios)
    run_names = names if BASELINE in names else [BASELINE, *names]
    params = params or {}
    all_predictions: dict[str, list[IssuePrediction]] = {}
    info: dict[str, tuple[bool, str]] = {}
    spreads = issue_info(issues)
    for name in run_names:
        if name == LEARNED:  # fitted on these data: only its cross-validated forecasts count
            from allegiance.validation.fit import learned_predictions

            stochastic = False
            try:
                preds, note = learned_predictions(issues, capability=capability, seed=seed,
                                                  on_issue=on_issue)
            except Exception as exc:  # a candidate failed: recorded for every issue, not fatal
                preds = [blank_prediction(name, capability, s) for s in issues]
                note = f"{type(exc).__name__}: {exc}"
                for p in preds:
                    p.error = note
        else:
            preds, stochastic, note = predict(name, issues, capability=capability, runs=runs,
                                              seed=seed, params=params.get(name),
                                              on_issue=on_issue, load=get_model_class)
        attach_intervals(preds, spreads)
        all_predictions[name] = preds
        info[name] = (stochastic, note)
    baseline = all_predictions[BASELINE]
    summaries = [
        summarise(all_predictions[name], baseline, stochastic=info[name][0], runs=runs,
                  n_boot=n_boot, seed=seed, note=info[name][1])
        for name in names
    ]
    predictions = [p for name in names for p in all_predictions[name]]
    failures = [
        {"model": p.model, "capability": p.capability, "issue": p.issue, "error": p.error}
        for p in predictions if p.error is not None
    ]
    settings = {
        "models": names,
        "capability": capability,
        "runs": runs,
        "seed": seed,
        "bootstrap": n_boot,
        "issues": len(scenarios),
        "scored_issues": len(issues),
        "proposals": len({p.proposal for p in baseline}),
        "baseline": BASELINE,
        "intervals": {k: list(v) for k, v in INTERVALS.items()},
        "bootstrap_unit": "proposal",
        "unavailable_models": model_availability()[1],
    }
    return BacktestResult(settings=settings, summaries=summaries, predictions=predictions,
                          failures=failures, baseline=baseline)


def backtest_options(
    datasets: dict[str, Sequence[Scenario]],
    *,
    models: str | Sequence[str] | None = "all",
    runs: int = 20,
    seed: int = 0,
    n_boot: int = 2000,
    params: dict[str, dict[str, Any]] | None = None,
    tuned: tuple[str, Sequence[Any]] | None = None,
    on_issue: Callable[[], None] | None = None,
    on_option: Callable[[str], None] | None = None,
) -> BacktestResult:
    """The backtest under each capability option (``datasets``: option -> the scenarios read
    with it), and, with more than one option, each model's option chosen by
    leave-one-proposal-out cross-validation (the ``cv`` rows). With ``tuned = (param, values)``
    the single model's parameter is tuned instead (:func:`tune`). What ``allegiance backtest``
    and the documentation tables run."""
    names = resolve_models(models)
    results: dict[str, BacktestResult] = {}
    for option, scenarios in datasets.items():
        if on_option:
            on_option(option)
        if tuned is not None:
            results[option] = tune(scenarios, names[0], tuned[0], tuned[1], capability=option,
                                   runs=runs, seed=seed, n_boot=n_boot,
                                   params=(params or {}).get(names[0]), on_issue=on_issue)
        else:
            results[option] = run_backtest(scenarios, models=names, capability=option,
                                           runs=runs, seed=seed, n_boot=n_boot, params=params,
                                           on_issue=on_issue)
    summaries = [s for r in results.values() for s in r.summaries]
    predictions = [p for r in results.values() for p in r.predictions]
    failures = [f for r in results.values() for f in r.failures]
    if len(results) > 1 and tuned is None:
        cv_summaries, cv_predictions = cross_validated_summaries(results, n_boot=n_boot,
                                                                 seed=seed)
        summaries += cv_summaries
        predictions += cv_predictions
    first = next(iter(results.values()))
    settings = {**first.settings, "capability": list(results)}
    return BacktestResult(settings=settings, summaries=summaries, predictions=predictions,
                          failures=failures, baseline=first.baseline)


def tune(
    scenarios: Sequence[Scenario],
    model: str,
    param: str,
    values: Sequence[Any],
    *,
    capability: str = "",
    runs: int = 20,
    seed: int = 0,
    n_boot: int = 2000,
    params: dict[str, Any] | None = None,
    on_issue: Callable[[], None] | None = None,
) -> BacktestResult:
    """Choose one model parameter by leave-one-proposal-out cross-validation.

    The model runs once per candidate value (every other parameter as in ``params``); each value
    is reported as its own row (``model[param=value]``), and the row ``model[cv param]`` uses, for
    the issues of each proposal, the value with the lowest MAE on the *other* proposals. The note
    of that row counts how often each value was chosen. Nothing is tuned on the issue scored.
    """
    issues = scored(scenarios)
    baseline, _, _ = predict(BASELINE, issues, capability=capability, runs=runs, seed=seed,
                             on_issue=on_issue, load=get_model_class)
    per_value: dict[str, list[IssuePrediction]] = {}
    summaries: list[ModelSummary] = []
    stochastic = False
    for value in values:
        label = f"{model}[{param}={value}]"
        preds, stochastic, note = predict(model, issues, capability=capability, runs=runs,
                                          seed=seed, params={**(params or {}), param: value},
                                          on_issue=on_issue, load=get_model_class)
        for p in preds:
            p.model = label
        per_value[str(value)] = preds
        summaries.append(summarise(preds, baseline, stochastic=stochastic, runs=runs,
                                   n_boot=n_boot, seed=seed, note=note))
    outcome = np.array([p.outcome for p in baseline])
    candidates = {v: np.array([p.forecast if p.ok else np.nan for p in preds])
                  for v, preds in per_value.items()}
    forecast, chosen = cross_validated(candidates, outcome, [p.proposal for p in baseline])
    rows = []
    for i, value in enumerate(chosen):
        source = per_value[value][i]
        row = IssuePrediction(**{**asdict(source), "model": f"{model}[cv {param}]"})
        row.forecast = float(forecast[i])
        row.abs_error = abs(row.forecast - row.outcome)
        rows.append(row)
    summary = summarise(rows, baseline, stochastic=stochastic, runs=runs, n_boot=n_boot,
                        seed=seed)
    counts: dict[str, int] = {}
    for value in chosen:
        counts[value] = counts.get(value, 0) + 1
    summary.note = f"{param} chosen by leave-one-proposal-out CV: " + ", ".join(
        f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    summaries.append(summary)
    predictions = [p for preds in per_value.values() for p in preds] + rows
    failures = [{"model": p.model, "capability": p.capability, "issue": p.issue, "error": p.error}
                for preds in per_value.values() for p in preds if p.error is not None]
    settings = {
        "models": [model], "tuned": {param: [str(v) for v in values]}, "capability": capability,
        "runs": runs, "seed": seed, "bootstrap": n_boot, "issues": len(scenarios),
        "scored_issues": len(issues), "proposals": len({p.proposal for p in baseline}),
        "baseline": BASELINE, "bootstrap_unit": "proposal", "cross_validation":
        "leave-one-proposal-out",
    }
    return BacktestResult(settings=settings, summaries=summaries, predictions=predictions,
                          failures=failures, baseline=baseline)


__all__ = [
    "BacktestResult",
    "backtest_options",
    "IssuePrediction",
    "combine",
    "ModelSummary",
    "coverage",
    "cross_validated",
    "cross_validated_summaries",
    "error_metrics",
    "model_availability",
    "paired_bootstrap",
    "predict",
    "resolve_models",
    "run_backtest",
    "scored",
    "summarise",
    "tune",
]
