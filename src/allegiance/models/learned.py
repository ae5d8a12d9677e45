"""The learned forecaster: other models' forecasts stacked with weights fitted on decided cases.

Following the evaluation literature on EU decision-making — the compromise model is hard to beat
(Thomson, Stokman, Achen & König, eds., 2006, *The European Union Decides*, ch. 10), bargaining
and procedural models each do better on some kinds of decisions (Schneider, Finke & Bailer 2010,
*Political Studies* 58), outcomes often sit at the status quo or an end of the scale — this model
forecasts each issue as a convex combination of *candidate* forecasts:

- the other models' forecasts (compromise, weighted median, Nash with each actor's worst
  outcome as disagreement point, SMP, BDM; exchange is left out: stochastic and slow);
- two anchors: the status quo (the compromise where the scenario gives none) and the end of the
  scale nearest to the compromise (shrinkage towards the boundary outcomes).

The weights are non-negative and sum to 1; they were fitted to minimise the absolute error
(a linear programme) on the DEU development split, per legislative procedure and Council voting
rule with partial pooling towards the weights of all issues, every choice made by
leave-one-proposal-out cross-validation (:mod:`allegiance.validation.stacking`; command:
``python -m allegiance.validation.fit``). The fitted parameters ship in
``allegiance/data/learned.json``.

On an issue whose metadata names a procedure and voting rule seen in fitting (DEU scenarios), the
weights of that group apply; on any other scenario (e.g. syria-2014) the pooled weights of all
DEU issues apply, and ``extra["notes"]`` says so.

Example
-------
>>> import allegiance
>>> result = allegiance.forecast("syria-2014", model="learned")
>>> sorted(result.outcome) == sorted(result.scenario.issue_ids)
True
>>> any("pooled" in note for note in result.result.extra["notes"])
True
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from allegiance.models.base import Model, ModelResult, ParameterError
from allegiance.scenario.arrays import ScenarioArrays

FITTED_FILE = "learned.json"
ANCHORS = ("status-quo", "nearest-end")


def issue_group(metadata: dict[str, Any]) -> str | None:
    """The fitting group of an issue: ``"PROCEDURE/VOTING_RULE"`` (e.g. ``"COD/QMV"``) or None."""
    procedure, rule = metadata.get("procedure"), metadata.get("voting_rule")
    if not procedure or not rule:
        return None
    return f"{procedure}/{rule}"


def anchor_forecast(kind: str, arrays: ScenarioArrays, compromise: np.ndarray) -> np.ndarray:
    """An anchor candidate: the status quo (the compromise where there is none) or the end of the
    scale nearest to the compromise ``compromise`` (shape ``(*batch, n_issues)``)."""
    compromise = np.asarray(compromise, dtype=float)
    if kind == "status-quo":
        return np.where(np.isfinite(arrays.status_quo), arrays.status_quo, compromise)
    if kind == "nearest-end":
        middle = (arrays.scale_low + arrays.scale_high) / 2
        return np.where(compromise >= middle, arrays.scale_high, arrays.scale_low)
    raise ValueError(f"unknown anchor {kind!r}; known: {', '.join(ANCHORS)}")


def candidate_forecasts(arrays: ScenarioArrays, candidates: list[dict[str, Any]],
                        random_state=None) -> np.ndarray:
    """Each candidate's forecast of each issue: shape ``(*batch, n_issues, n_candidates)``.

    Model candidates run on the whole arrays (multi-issue models see every issue); anchors are
    computed from the compromise model's forecast.
    """
    from allegiance.models.registry import make_model

    columns: dict[str, np.ndarray] = {}
    compromise = make_model("mean").run(arrays).outcome
    for spec in candidates:
        if "anchor" in spec:
            columns[spec["name"]] = anchor_forecast(spec["anchor"], arrays, compromise)
        elif spec["model"] == "mean" and not spec.get("params"):
            columns[spec["name"]] = compromise
        else:
            model = make_model(spec["model"], **spec.get("params", {}))
            columns[spec["name"]] = np.asarray(model.run(arrays, random_state).outcome,
                                               dtype=float)
    return np.stack([np.broadcast_to(columns[s["name"]], compromise.shape)
                     for s in candidates], axis=-1)


@lru_cache(maxsize=4)
def load_fitted(path: str = "") -> dict[str, Any]:
    """The fitted parameters: the shipped file (``path=""``) or a file written by
    ``python -m allegiance.validation.fit``."""
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ParameterError(f"fitted: cannot read {path!r}: {exc.strerror}") from None
    else:
        text = (resources.files("allegiance") / "data" / FITTED_FILE).read_text(encoding="utf-8")
    try:
        fitted = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"fitted: {path or FITTED_FILE} is not JSON ({exc})") from None
    for key in ("candidates", "weights"):
        if key not in fitted:
            raise ParameterError(f"fitted: {path or FITTED_FILE} has no {key!r}; write it with "
                                 "python -m allegiance.validation.fit")
    return fitted


def group_weights(fitted: dict[str, Any], group: str | None) -> tuple[np.ndarray, str]:
    """The weight vector for an issue of ``group`` and which part of the fit it is."""
    names = [c["name"] for c in fitted["candidates"]]
    groups = fitted["weights"].get("groups", {})
    if group is not None and group in groups:
        table, part = groups[group], f"group {group}"
    else:
        table, part = fitted["weights"]["all"], "pooled"
    return np.array([float(table.get(n, 0.0)) for n in names]), part


class LearnedModel(Model):
    name = "learned"
    summary = ("Stacked forecaster: compromise, median, Nash, SMP, BDM and anchors combined with "
               "weights fitted by leave-one-proposal-out CV on the DEU development split.")
    multi_issue = True
    stochastic = False

    def __init__(self, *, fitted: str = "") -> None:
        self.fitted = str(fitted)
        load_fitted(self.fitted)  # a missing or malformed file is a parameter error now

    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        fitted = load_fitted(self.fitted)
        candidates = fitted["candidates"]
        X = candidate_forecasts(arrays, candidates, random_state)
        weights, parts = [], []
        for meta in arrays.issue_metadata:
            w, part = group_weights(fitted, issue_group(meta))
            weights.append(w)
            parts.append(part)
        W = np.stack(weights)  # (n_issues, n_candidates)
        outcome = np.clip((X * W).sum(axis=-1), arrays.scale_low, arrays.scale_high)
        # where no actor attaches any salience there is nothing to weigh: the fallback every
        # model uses (the compromise model's plain average), not a mix of the fallbacks
        nobody = (arrays.salience * arrays.present).sum(axis=-2) <= 0
        if np.any(nobody):
            from allegiance.models.registry import make_model

            outcome = np.where(nobody, make_model("mean").run(arrays).outcome, outcome)
        notes = []
        pooled = [arrays.issue_ids[k] for k, p in enumerate(parts) if p == "pooled"]
        if pooled:
            notes.append(
                f"weights pooled over all {fitted.get('source', 'DEU')} issues for "
                f"{', '.join(pooled)}: no procedure and voting rule seen in fitting")
        grouped = sorted({p for p in parts if p != "pooled"})
        if grouped:
            notes.append("procedure-specific weights applied: " + ", ".join(grouped))
        notes.append(f"weights fitted on {fitted.get('source', 'DEU')} decisions "
                     f"({fitted.get('dataset', '?')}, capability option "
                     f"{fitted.get('capability', '?')}); the candidate models run on this "
                     "scenario's own positions, saliences and capabilities")
        return ModelResult(
            positions=arrays.position[..., None, :, :].copy(),
            outcome=outcome,
            outcome_statistic="convex combination of candidate forecasts with fitted weights",
            n_rounds=np.zeros(arrays.batch_shape, dtype=int),
            extra={
                "candidates": {c["name"]: X[..., k] for k, c in enumerate(candidates)},
                "weights": {issue: dict(zip([c["name"] for c in candidates], W[k].tolist(),
                                            strict=True))
                            for k, issue in enumerate(arrays.issue_ids)},
                "fitted_part": dict(zip(arrays.issue_ids, parts, strict=True)),
                "notes": notes,
            },
        )


__all__ = ["ANCHORS", "LearnedModel", "anchor_forecast", "candidate_forecasts", "group_weights",
           "issue_group", "load_fitted"]
