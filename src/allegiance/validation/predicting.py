"""Running one model on the decided issues of a backtest: each issue alone, or for multi-issue
models all the issues of one proposal together (:func:`combine`); stochastic models run several
seeded times and their runs give the forecast (the median) and the 50% and 80% intervals."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from allegiance.models.registry import get_model_class
from allegiance.scenario.model import Scenario
from allegiance.validation.scores import IssuePrediction

BASELINE = "mean"


INTERVALS = {"50": (0.25, 0.75), "80": (0.10, 0.90)}


def scored(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """The single-issue scenarios whose issue records a finite outcome."""
    keep = []
    for scenario in scenarios:
        outcome = scenario.issues[0].metadata.get("outcome")
        if outcome is not None and math.isfinite(float(outcome)):
            keep.append(scenario)
    return keep


def blank_prediction(name: str, capability: str, scenario: Scenario) -> IssuePrediction:
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
    load: Callable[[str], type] = get_model_class,
) -> tuple[list[IssuePrediction], bool, str]:
    """Run model ``name`` on every scenario; return (predictions, stochastic, note).

    Deterministic models run once per issue; stochastic ones ``runs`` times with seeds derived
    from ``(seed, unit index, run)`` (reproducible for a given seed). Single-issue models run
    on each issue alone; multi-issue models (``model_class.multi_issue``) on all the issues of a
    proposal at once (:func:`combine`). ``load`` finds a model class by its name (the
    registry's, unless the backtest is given another).
    """
    predictions = [blank_prediction(name, capability, s) for s in scenarios]
    try:
        model_class = load(name)
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
