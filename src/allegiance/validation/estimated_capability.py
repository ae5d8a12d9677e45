"""Capabilities estimated from outcomes (after Golub 2020), scored by leave-one-proposal-out CV.

Golub (2020, "Power in the European Union: an evolutionary computing approach", *Journal of
European Integration*) estimates the actors' power from the outcomes rather than from formal
votes. A small version of that idea for the compromise model: the weight of actor ``a`` on an
issue is

    capability_a ** alpha × salience_a ** gamma × m_class,

where ``m_class`` multiplies the Commission (one factor) and the Parliament (one factor under
co-decision, one under consultation), and the five parameters minimise the mean absolute error
on the training proposals (Nelder–Mead from the compromise model's own weights, alpha = gamma =
1, m = 1). :func:`cross_validated_forecasts` fits them without each proposal in turn and
forecasts its issues: an out-of-sample score of "estimated capabilities" as an opening.

Example
-------
>>> theta = np.zeros(5); theta[:2] = 1.0
>>> P = np.array([[0.0, 100.0]]); S = np.ones((1, 2)); C = np.array([[1.0, 3.0]])
>>> float(weighted_forecast(theta, P, S, C, np.ones((1, 2), bool), np.zeros((1, 2), int),
...                         np.array([True]))[0])
75.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

from allegiance.models.portable import exp, power
from allegiance.scenario.model import Scenario

#: actor classes: 0 member state (or any other actor), 1 Commission, 2 Parliament
CLASSES = {"com": 1, "ep": 2}


def padded(issues: Sequence[Scenario]) -> dict[str, np.ndarray]:
    """Positions, saliences, capabilities, presence and actor class, padded to the widest issue."""
    arrays = [s.to_arrays() for s in issues]
    width = max(a.n_actors for a in arrays)
    shape = (len(arrays), width)
    out = {"P": np.zeros(shape), "S": np.zeros(shape), "C": np.zeros(shape),
           "M": np.zeros(shape, bool), "K": np.zeros(shape, int)}
    for i, a in enumerate(arrays):
        n = a.n_actors
        out["P"][i, :n] = a.position[:, 0]
        out["S"][i, :n] = a.salience[:, 0]
        out["C"][i, :n] = a.capability[:, 0]
        out["M"][i, :n] = a.present[:, 0]
        out["K"][i, :n] = [CLASSES.get(actor, 0) for actor in a.actor_ids]
    out["cod"] = np.array([s.issues[0].metadata.get("procedure") == "COD" for s in issues])
    return out


def weighted_forecast(theta: np.ndarray, P: np.ndarray, S: np.ndarray, C: np.ndarray,
                      M: np.ndarray, K: np.ndarray, cod: np.ndarray) -> np.ndarray:
    """The compromise forecast with the weights that ``theta`` = (alpha, gamma, log m_com,
    log m_ep under COD, log m_ep under CNS) gives; the plain mean where the weights sum to 0."""
    alpha, gamma, m_com, m_cod, m_cns = theta
    multiplier = np.where(K == 1, exp(m_com), 1.0)
    multiplier = np.where(K == 2, exp(np.where(cod, m_cod, m_cns))[:, None], multiplier)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(M & (C > 0) & (S > 0),
                          power(np.where(C > 0, C, 1.0), alpha)
                          * power(np.where(S > 0, S, 1.0), gamma) * multiplier, 0.0)
    total = weight.sum(axis=1)
    plain = (P * M).sum(axis=1) / np.maximum(M.sum(axis=1), 1)
    return np.where(total > 0, (weight * P).sum(axis=1) / np.where(total > 0, total, 1.0), plain)


def fit_theta(data: dict[str, np.ndarray], outcome: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The five parameters minimising the MAE on ``rows`` (Nelder–Mead from the compromise)."""
    args = tuple(data[k][rows] for k in ("P", "S", "C", "M", "K", "cod"))

    def loss(theta: np.ndarray) -> float:
        return float(np.mean(np.abs(weighted_forecast(theta, *args) - outcome[rows])))

    start = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    result = minimize(loss, start, method="Nelder-Mead",
                      options={"maxiter": 1500, "xatol": 1e-3, "fatol": 1e-4})
    return result.x


def cross_validated_forecasts(issues: Sequence[Scenario]) -> np.ndarray:
    """Leave-one-proposal-out forecasts of the compromise model with estimated capabilities."""
    data = padded(issues)
    outcome = np.array([float(s.issues[0].metadata["outcome"]) for s in issues])
    clusters = np.array([str(s.issues[0].metadata.get("proposal", s.id)) for s in issues])
    forecast = np.full(outcome.shape, np.nan)
    for label in np.unique(clusters):
        held = clusters == label
        theta = fit_theta(data, outcome, np.flatnonzero(~held))
        forecast[held] = weighted_forecast(theta, *(data[k][held] for k in
                                                    ("P", "S", "C", "M", "K", "cod")))
    return forecast


__all__ = ["cross_validated_forecasts", "fit_theta", "padded", "weighted_forecast"]
