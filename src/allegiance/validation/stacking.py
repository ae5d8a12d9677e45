"""Fitting the learned forecaster's weights: least-absolute-error stacking, cross-validated.

Given candidate forecasts ``X`` (issues × candidates) and outcomes ``y``, the stacking weights
are the convex combination with the least sum of absolute errors — a linear programme (minimise
``Σ (u_i + v_i)`` subject to ``X w + u − v = y``, ``Σ w = 1``, ``w, u, v ≥ 0``; Breiman 1996,
"Stacked regressions", *Machine Learning* 24, with the absolute loss on which the DEU
literature scores models). Partial pooling by group (legislative procedure × voting rule):
each group's own weights are shrunk towards the pooled ones,
``w_g = (n_g w_g,own + κ w_all) / (n_g + κ)``, so ``κ = 0`` fits each group alone and
``κ = ∞`` ignores the groups.

The hyper-parameters (which candidates, ``κ``) are chosen by cross-validation *inside* the
training proposals (:func:`choose`), and the whole procedure is assessed by leave-one-proposal-out
cross-validation (:func:`cross_validate`): the forecast of a proposal's issues never depends on
that proposal's outcomes.

Example
-------
>>> X = np.array([[0.0, 10.0], [0.0, 20.0], [0.0, 30.0]])
>>> [round(float(w), 6) for w in fit_weights(X, np.array([10.0, 20.0, 30.0]))]
[0.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array, hstack, identity, vstack

#: a group with fewer issues than this uses the pooled weights
MIN_GROUP = 8


@dataclass(frozen=True)
class Hyper:
    """One hyper-parameter setting: the candidates used (by index) and the pooling κ."""

    columns: tuple[int, ...]
    kappa: float

    def label(self, names: Sequence[str]) -> str:
        kappa = "inf" if math.isinf(self.kappa) else f"{self.kappa:g}"
        return f"{'+'.join(names[c] for c in self.columns)}; kappa={kappa}"


def fit_weights(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 that minimise ``Σ |X w − y|`` (a linear programme)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if n == 0:
        return np.full(k, 1.0 / k)
    eye = identity(n, format="csr")
    equality = vstack([hstack([csr_array(X), eye, -eye]),
                       csr_array(np.r_[np.ones(k), np.zeros(2 * n)][None, :])], format="csr")
    cost = np.r_[np.zeros(k), np.ones(2 * n)]
    result = linprog(cost, A_eq=equality, b_eq=np.r_[y, 1.0], bounds=(0, None), method="highs")
    if not result.success:  # cannot happen for finite data (the LP is always feasible)
        raise ValueError(f"stacking weights: {result.message}")
    weights = np.clip(result.x[:k], 0.0, None)
    return weights / weights.sum()


def fit(X: np.ndarray, y: np.ndarray, groups: Sequence[str | None], hyper: Hyper
        ) -> dict[str, Any]:
    """Pooled and per-group weights (over all candidates; unused ones 0) for one setting."""
    X = np.asarray(X, dtype=float)
    cols = list(hyper.columns)
    labels = np.asarray([g or "" for g in groups])

    def full(sub: np.ndarray) -> np.ndarray:
        w = np.zeros(X.shape[1])
        w[cols] = sub
        return w

    pooled = full(fit_weights(X[:, cols], y))
    per_group: dict[str, np.ndarray] = {}
    if not math.isinf(hyper.kappa):
        for group in sorted(set(labels) - {""}):
            rows = labels == group
            n = int(rows.sum())
            if n < MIN_GROUP:
                continue
            own = full(fit_weights(X[rows][:, cols], y[rows]))
            per_group[group] = (n * own + hyper.kappa * pooled) / (n + hyper.kappa)
    return {"all": pooled, "groups": per_group}


def predict(fitted: dict[str, Any], X: np.ndarray, groups: Sequence[str | None]) -> np.ndarray:
    """Forecasts of the stacked model (clipped to 0–100 by the caller's scale if needed)."""
    W = np.stack([fitted["groups"].get(g or "", fitted["all"]) for g in groups])
    return (np.asarray(X, dtype=float) * W).sum(axis=1)


def _folds(clusters: np.ndarray, n_folds: int) -> list[np.ndarray]:
    """Grouped folds: the sorted distinct clusters dealt round-robin into ``n_folds`` folds."""
    labels = np.unique(clusters)
    return [np.isin(clusters, labels[f::n_folds]) for f in range(min(n_folds, labels.size))]


def choose(X: np.ndarray, y: np.ndarray, groups: Sequence[str | None], clusters: Sequence[Any],
           hypers: Sequence[Hyper], *, n_folds: int = 4) -> tuple[Hyper, list[float]]:
    """The setting with the lowest grouped-K-fold MAE (folds of whole proposals), and each
    setting's MAE."""
    clusters = np.asarray([str(c) for c in clusters])
    groups = list(groups)
    scores = []
    for hyper in hypers:
        errors = np.zeros(len(y))
        for held in _folds(clusters, n_folds):
            train = ~held
            fitted = fit(X[train], y[train], [g for g, t in zip(groups, train, strict=True) if t],
                         hyper)
            errors[held] = np.abs(predict(fitted, X[held], [g for g, h in zip(groups, held,
                                                                              strict=True) if h])
                                  - y[held])
        scores.append(float(errors.mean()))
    return hypers[int(np.argmin(scores))], scores


def cross_validate(X: np.ndarray, y: np.ndarray, groups: Sequence[str | None],
                   clusters: Sequence[Any], hypers: Sequence[Hyper], *, n_folds: int = 4
                   ) -> tuple[np.ndarray, list[Hyper]]:
    """Leave-one-proposal-out forecasts, the setting chosen by nested CV on the other proposals.

    Returns the out-of-fold forecasts and the setting chosen for each issue's proposal. The
    forecasts of proposal ``p`` use only the rows of the other proposals: changing ``p``'s
    outcomes cannot change them.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    clusters = np.asarray([str(c) for c in clusters])
    groups = list(groups)
    forecast = np.full(y.shape, np.nan)
    chosen: list[Hyper | None] = [None] * y.size
    for label in np.unique(clusters):
        held = clusters == label
        train = ~held
        train_groups = [g for g, t in zip(groups, train, strict=True) if t]
        hyper = (hypers[0] if len(hypers) == 1 else
                 choose(X[train], y[train], train_groups, clusters[train], hypers,
                        n_folds=n_folds)[0])
        fitted = fit(X[train], y[train], train_groups, hyper)
        forecast[held] = predict(fitted, X[held], [g for g, h in zip(groups, held, strict=True)
                                                   if h])
        for i in np.flatnonzero(held):
            chosen[i] = hyper
    return forecast, chosen  # type: ignore[return-value]


__all__ = ["Hyper", "MIN_GROUP", "choose", "cross_validate", "fit", "fit_weights", "predict"]
