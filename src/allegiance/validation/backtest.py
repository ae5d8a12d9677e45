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

import csv
import io
import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from allegiance.models.registry import MODELS, UnknownModelError, get_model_class
from allegiance.scenario.model import Scenario

BASELINE = "mean"
#: the forecaster fitted on DEU data: backtested by nested leave-one-proposal-out CV
LEARNED = "learned"
WITHIN = 10.0
INTERVALS = {"50": (0.25, 0.75), "80": (0.10, 0.90)}


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


@dataclass
class BacktestResult:
    settings: dict[str, Any]
    summaries: list[ModelSummary]
    predictions: list[IssuePrediction]
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: the compromise model's predictions (run even when not reported: every model is paired
    #: with them)
    baseline: list[IssuePrediction] = field(default_factory=list)

    def __repr__(self) -> str:
        models = sorted({s.model for s in self.summaries})
        return (f"BacktestResult(models={models!r}, issues={self.settings.get('scored_issues')}, "
                f"predictions={len(self.predictions)}, failures={len(self.failures)})")

    def to_frame(self, what: str = "summaries"):
        """A table (pandas): ``what="summaries"`` — one row per model and capability option;
        ``"predictions"`` — one row per model and issue (``model, capability, issue, outcome,
        forecast, abs_error``...)."""
        from allegiance.frames import frame

        if what == "summaries":
            return frame(self.summary_rows(), list(ModelSummary.__dataclass_fields__))
        if what == "predictions":
            return frame([asdict(p) for p in self.predictions],
                         list(IssuePrediction.__dataclass_fields__))
        raise ValueError(f"what must be summaries or predictions; got {what!r}")

    def summary_rows(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.summaries]

    def breakdown(self) -> list[dict[str, Any]]:
        """MAE per model, capability option, procedure and Council voting rule."""
        cells: dict[tuple[str, str, str, str], list[float]] = {}
        for p in self.predictions:
            if p.ok:
                cells.setdefault((p.model, p.capability, p.procedure, p.voting_rule),
                                 []).append(p.abs_error)
        return [
            {"model": m, "capability": c, "procedure": proc, "voting_rule": rule,
             "n": len(errors), "mae": float(np.mean(errors))}
            for (m, c, proc, rule), errors in cells.items()
        ]

    def to_json(self, summary: list[str] | None = None) -> str:
        """``backtest.json``: settings, summaries, breakdown, failures, predictions (and the
        ``summary`` sentences first when given)."""
        data = {
            **({"summary": summary} if summary is not None else {}),
            "settings": self.settings,
            "summaries": self.summary_rows(),
            "breakdown": self.breakdown(),
            "failures": self.failures,
            "predictions": [asdict(p) for p in self.predictions],
        }
        return json.dumps(_jsonable(data), indent=2) + "\n"

    def summary_csv(self) -> str:
        return _csv(self.summary_rows(), list(ModelSummary.__dataclass_fields__))

    def predictions_csv(self) -> str:
        return _csv([asdict(p) for p in self.predictions],
                    list(IssuePrediction.__dataclass_fields__))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.6g}"
    return value


# ------------------------------------------------------------------------------- metrics
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
    proposal stay together; without groups each item is its own group. Seeded: the same inputs
    and seed give the same interval.

    >>> paired_bootstrap(np.array([1.0, 1.0, 1.0]), n_boot=100)
    (1.0, 1.0, 1.0)
    """
    difference = np.asarray(difference, dtype=float)
    if difference.size == 0:
        return math.nan, math.nan, math.nan
    if groups is None:
        groups = list(range(difference.size))
    labels, index = np.unique(np.asarray([str(g) for g in groups]), return_inverse=True)
    sums = np.bincount(index, weights=difference, minlength=labels.size)
    counts = np.bincount(index, minlength=labels.size).astype(float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, labels.size, size=(n_boot, labels.size))
    stats = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(difference.mean()), float(low), float(high)


def coverage(outcome: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Share of outcomes inside ``[low, high]`` (finite intervals only)."""
    outcome, low, high = (np.asarray(x, dtype=float) for x in (outcome, low, high))
    keep = np.isfinite(outcome) & np.isfinite(low) & np.isfinite(high)
    if not keep.any():
        return math.nan
    inside = (outcome[keep] >= low[keep] - 1e-9) & (outcome[keep] <= high[keep] + 1e-9)
    return float(inside.mean())


# ------------------------------------------------------------------------------- running
def scored(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """The single-issue scenarios whose issue records a finite outcome."""
    keep = []
    for scenario in scenarios:
        outcome = scenario.issues[0].metadata.get("outcome")
        if outcome is not None and math.isfinite(float(outcome)):
            keep.append(scenario)
    return keep


def _blank(name: str, capability: str, scenario: Scenario) -> IssuePrediction:
    issue = scenario.issues[0]
    meta = issue.metadata
    return IssuePrediction(
        model=name,
        capability=capability,
        scenario=scenario.id,
        issue=issue.id,
        proposal=str(meta.get("proposal", scenario.id)),
        procedure=str(meta.get("procedure", "")),
        voting_rule=str(meta.get("voting_rule", "")),
        outcome=float(meta["outcome"]),
        status_quo=issue.status_quo,
    )


def _issue_seed(seed: int, index: int, run: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, run)))


def predict(
    name: str,
    scenarios: Sequence[Scenario],
    *,
    capability: str = "",
    runs: int = 20,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    on_issue: Callable[[], None] | None = None,
) -> tuple[list[IssuePrediction], bool, str]:
    """Run model ``name`` on every scenario; return (predictions, stochastic, note).

    Deterministic models run once per issue; stochastic ones ``runs`` times with seeds derived
    from ``(seed, unit index, run)`` (reproducible for a given seed). Single-issue models run
    on each issue alone; multi-issue models (``model_class.multi_issue``) on all the issues of a
    proposal at once (:func:`combine`).
    """
    predictions = [_blank(name, capability, s) for s in scenarios]
    try:
        model_class = get_model_class(name)
        model = model_class(**(params or {}))
    except Exception as exc:  # the model cannot even be built: every issue fails
        note = f"model unavailable: {type(exc).__name__}: {exc}"
        for prediction in predictions:
            prediction.error = note
            if on_issue:
                on_issue()
        return predictions, False, note
    stochastic = bool(getattr(model, "stochastic", getattr(model_class, "stochastic", False)))
    n_runs = max(1, int(runs)) if stochastic else 1
    units = _units(scenarios, bool(getattr(model_class, "multi_issue", False)))
    for unit_index, members in enumerate(units):
        try:
            scenario = (scenarios[members[0]] if len(members) == 1
                        else combine([scenarios[i] for i in members]))
            arrays = scenario.to_arrays()
            # a model's numerical warnings would flood the progress display; a non-finite
            # forecast is recorded as a failure below instead
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                outcomes = np.array([
                    np.asarray(model.run(arrays, _issue_seed(seed, unit_index, run)).outcome,
                               dtype=float).reshape(-1)[: len(members)]
                    for run in range(n_runs)
                ])  # (runs, issues of the unit)
            if outcomes.shape[1] != len(members):
                raise ValueError(f"the model returned {outcomes.shape[1]} forecasts for "
                                 f"{len(members)} issues")
        except Exception as exc:  # recorded, never fatal: one issue's failure is one data point
            for i in members:
                predictions[i].error = f"{type(exc).__name__}: {exc}"
        else:
            for column, i in enumerate(members):
                _fill(predictions[i], outcomes[:, column], stochastic)
        if on_issue:
            for _ in members:
                on_issue()
    return predictions, stochastic, ""


def _fill(prediction: IssuePrediction, outcomes: np.ndarray, stochastic: bool) -> None:
    if not np.all(np.isfinite(outcomes)):
        prediction.error = "FloatingPointError: the model returned a non-finite forecast"
        return
    prediction.forecast = float(np.median(outcomes))
    prediction.abs_error = abs(prediction.forecast - prediction.outcome)
    if stochastic:
        prediction.lo50, prediction.hi50 = (float(q) for q in np.quantile(outcomes,
                                                                           INTERVALS["50"]))
        prediction.lo80, prediction.hi80 = (float(q) for q in np.quantile(outcomes,
                                                                           INTERVALS["80"]))


def _units(scenarios: Sequence[Scenario], multi_issue: bool) -> list[list[int]]:
    """Indices run together: each issue alone, or for multi-issue models all the issues of one
    proposal (so that a model that trades across issues sees the proposal's other issues)."""
    if not multi_issue:
        return [[i] for i in range(len(scenarios))]
    groups: dict[str, list[int]] = {}
    for i, scenario in enumerate(scenarios):
        key = str(scenario.issues[0].metadata.get("proposal", scenario.id))
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def combine(scenarios: Sequence[Scenario]) -> Scenario:
    """One multi-issue scenario from single-issue ones (e.g. the issues of one proposal).

    Each actor keeps its stance on the issues where it took a position (and is absent from the
    others); its capability on each issue is the one it had in that issue's scenario. The
    sources of all the scenarios are kept (once per id), so every estimate's citations resolve.
    """
    first = scenarios[0]
    actors: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        issue_id = scenario.issues[0].id
        for actor in scenario.actors:
            entry = actors.setdefault(actor.id, {
                "id": actor.id, "name": actor.name, "groups": list(actor.groups),
                "capability": actor.capability.model_dump(), "issues": {}})
            stance = actor.issues[issue_id]
            entry["issues"][issue_id] = {
                "position": stance.position.model_dump(),
                "salience": stance.salience.model_dump(),
                "capability": (stance.capability or actor.capability).model_dump(),
            }
    # the union of the scenarios' sources, first occurrence of each id kept: every stance and
    # capability copied above cites them
    sources: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        for source in scenario.sources:
            sources.setdefault(source.id, source.model_dump())
    proposal = str(first.issues[0].metadata.get("proposal", first.id))
    return Scenario.model_validate({
        "id": proposal,
        "title": f"{proposal} ({len(scenarios)} issues)",
        "metadata": dict(first.metadata),
        "sources": list(sources.values()),
        "issues": [s.issues[0].model_dump() for s in scenarios],
        "actors": list(actors.values()),
    })


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
    from allegiance.validation.conformal import attach_intervals, issue_info

    spreads = issue_info(issues)
    for name in run_names:
        if name == LEARNED:  # fitted on these data: only its cross-validated forecasts count
            from allegiance.validation.fit import learned_predictions

            stochastic = False
            try:
                preds, note = learned_predictions(issues, capability=capability, seed=seed,
                                                  on_issue=on_issue)
            except Exception as exc:  # a candidate failed: recorded for every issue, not fatal
                preds = [_blank(name, capability, s) for s in issues]
                note = f"{type(exc).__name__}: {exc}"
                for p in preds:
                    p.error = note
        else:
            preds, stochastic, note = predict(name, issues, capability=capability, runs=runs,
                                              seed=seed, params=params.get(name),
                                              on_issue=on_issue)
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


# ------------------------------------------------------------------------------- tuning
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
                             on_issue=on_issue)
    per_value: dict[str, list[IssuePrediction]] = {}
    summaries: list[ModelSummary] = []
    stochastic = False
    for value in values:
        label = f"{model}[{param}={value}]"
        preds, stochastic, note = predict(model, issues, capability=capability, runs=runs,
                                          seed=seed, params={**(params or {}), param: value},
                                          on_issue=on_issue)
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
