"""How much each judgement moves the forecast: one-at-a-time (tornado) and variance-based indices.

**One at a time.** Every estimate is moved to the low end of its range, then to the high end, the
others staying at their values (ranges as in :mod:`allegiance.uncertainty.sampling`: given, or
derived from the source grades). The model runs once on the whole batch of ``2 P + 1`` scenarios.
Each estimate's *impact* on an issue is the width of its tornado bar, ``max - min`` of the outcome
over {low, value, high}; estimates are ranked by it.

**Variance-based.** The first-order Sobol index of estimate ``j`` on output ``Y`` is
``S_j = Var(E[Y | X_j]) / Var(Y)``, the share of the output's variance that ``X_j`` alone explains
(Sobol 2001; Saltelli et al., *Global Sensitivity Analysis: The Primer*, 2008). It is estimated
from the Monte Carlo draws themselves, with no extra model runs, by the binned conditional-variance
estimator: the ``N`` draws are cut into ``M`` equal-count bins of ``X_j`` (by rank), ``E[Y | X_j]``
is estimated by the bin means, and the between-bin variance ``Σ_b n_b (ȳ_b - ȳ)² / N`` is divided
by ``Var(Y)``. Under no effect that ratio is ``(M - 1) / N`` on average, which is subtracted
(floored at 0). ``M = clip(round(√N / 2), 2, 50)``. The first-order indices of independent inputs
sum to at most 1; the remainder is interaction.

Example
-------
>>> from allegiance.scenario.model import Scenario
>>> scenario = Scenario.model_validate({
...     "id": "toy", "title": "Toy", "issues": [{"id": "x", "name": "X"}],
...     "actors": [
...         {"id": "a", "name": "A", "capability": 1, "issues": {"x": {
...          "position": {"value": 20, "low": 0, "high": 40}, "salience": 0.5}}},
...         {"id": "b", "name": "B", "capability": 2, "issues": {"x": {"position": 80,
...          "salience": 1}}}]})
>>> result = tornado(scenario, "mean")
>>> [row["parameter"] for row in result.ranked("x")][:2]  # b's unsourced position: ±30
['b.x.position', 'b.capability']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from allegiance.models.base import Model
from allegiance.scenario.model import Scenario
from allegiance.uncertainty.montecarlo import MonteCarloResult, resolve_model, run_montecarlo
from allegiance.uncertainty.sampling import GradeWidths, Parameter, Sampler


# ---------------------------------------------------------------------- one at a time
@dataclass
class TornadoResult:
    """Outcomes with each estimate at its low and high end, the others at their values."""

    scenario: Scenario
    parameters: list[Parameter]
    baseline: np.ndarray  # (n_issues,)
    at_low: np.ndarray  # (n_parameters, n_issues)
    at_high: np.ndarray  # (n_parameters, n_issues)

    def __repr__(self) -> str:
        return (f"TornadoResult(scenario={self.scenario.id!r}, "
                f"parameters={len(self.parameters)})")

    @property
    def impact(self) -> np.ndarray:
        """``(n_parameters, n_issues)`` width of each tornado bar."""
        stacked = np.stack([self.at_low, self.at_high,
                            np.broadcast_to(self.baseline, self.at_low.shape)])
        return stacked.max(axis=0) - stacked.min(axis=0)

    def ranked(self, issue: str, top: int | None = None) -> list[dict[str, Any]]:
        """Rows for ``issue``, largest impact first (estimates with no effect left out)."""
        k = self.scenario.issue_ids.index(issue)
        impact = self.impact[:, k]
        order = np.argsort(-impact, kind="stable")
        rows = []
        for j in order:
            if impact[j] <= 1e-12:
                break
            p = self.parameters[j]
            rows.append({"parameter": p.label, "value": p.value, "low": p.low, "high": p.high,
                         "origin": p.origin, "outcome_at_low": float(self.at_low[j, k]),
                         "outcome_at_high": float(self.at_high[j, k]),
                         "impact": float(impact[j])})
        return rows[:top] if top else rows


def tornado(
    scenario: Scenario,
    model: str | Model = "mean",
    *,
    grade_widths: GradeWidths | Mapping[str, Any] | None = None,
    seed: int = 0,
    **params: Any,
) -> TornadoResult:
    """One-at-a-time sensitivity of every issue's outcome to every estimate (one batched run).

    Stochastic models run with one seed for the whole batch; their differences then include the
    model's own randomness.
    """
    model_obj = resolve_model(scenario, model, params)
    sampler = Sampler(scenario, grade_widths)
    n = sampler.n_parameters
    values = np.tile(sampler.value, (2 * n + 1, 1))
    rows = np.arange(n)
    values[1 + rows, rows] = sampler.low
    values[1 + n + rows, rows] = sampler.high
    outcome = np.asarray(model_obj.run(sampler.arrays(values), random_state=seed).outcome)
    return TornadoResult(scenario=scenario, parameters=sampler.parameters, baseline=outcome[0],
                         at_low=outcome[1:1 + n], at_high=outcome[1 + n:])


# ---------------------------------------------------------------------- variance-based
def bins_for(n_draws: int) -> int:
    """Number of equal-count bins used for ``n_draws`` draws."""
    return int(np.clip(round(np.sqrt(n_draws) / 2), 2, 50))


def first_order_indices(draws: np.ndarray, outputs: np.ndarray,
                        bins: int | None = None) -> np.ndarray:
    """First-order Sobol indices ``(n_parameters, n_outputs)`` from ``draws (N, P)`` and
    ``outputs (N, K)`` by the bias-corrected binned conditional-variance estimator.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(size=(20_000, 2))
    >>> y = (x[:, 0] + 0.1 * x[:, 1])[:, None]
    >>> s = first_order_indices(x, y)
    >>> bool(abs(s[0, 0] - 1 / 1.01) < 0.02 and abs(s[1, 0] - 0.01 / 1.01) < 0.02)
    True
    """
    draws = np.asarray(draws, dtype=float)
    outputs = np.asarray(outputs, dtype=float)
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    n, p = draws.shape
    if outputs.shape[0] != n:
        raise ValueError("draws and outputs need the same number of rows")
    result = np.zeros((p, outputs.shape[1]))
    if n < 4:
        return result
    m = bins or bins_for(n)
    ranks = np.argsort(np.argsort(draws, axis=0, kind="stable"), axis=0, kind="stable")
    which = (ranks * m) // n + m * np.arange(p)  # (N, P) flat bin ids
    counts = np.bincount(which.ravel(), minlength=p * m).reshape(p, m)
    varies = np.ptp(draws, axis=0) > 0
    for k in range(outputs.shape[1]):
        y = outputs[:, k]
        variance = y.var()
        if not variance > 0:
            continue
        centred = y - y.mean()
        sums = np.bincount(which.ravel(), weights=np.repeat(centred, p),
                           minlength=p * m).reshape(p, m)
        between = np.divide(sums**2, counts, out=np.zeros_like(sums),
                            where=counts > 0).sum(axis=1) / n
        result[:, k] = np.where(varies, np.maximum(between / variance - (m - 1) / n, 0.0), 0.0)
    return result


# ---------------------------------------------------------------------- both
@dataclass
class SensitivityResult:
    tornado: TornadoResult
    montecarlo: MonteCarloResult
    parameters: list[Parameter]
    sobol: np.ndarray  # (n_parameters, n_issues)
    sobol_winning: np.ndarray  # (n_parameters, n_coalitions)
    bins: int

    def __repr__(self) -> str:
        mc = self.montecarlo
        return (f"SensitivityResult(scenario={mc.scenario.id!r}, model={mc.model.name!r}, "
                f"parameters={len(self.parameters)}, runs={mc.outcomes.shape[0]}, "
                f"seed={mc.seed})")

    def drivers(self, issue: str, top: int = 10) -> list[dict[str, Any]]:
        """The top drivers of ``issue``: tornado rows with their Sobol index, by impact."""
        k = self.tornado.scenario.issue_ids.index(issue)
        index = {p.label: j for j, p in enumerate(self.parameters)}
        rows = self.tornado.ranked(issue)
        for row in rows:
            row["sobol"] = float(self.sobol[index[row["parameter"]], k])
        by_sobol = np.argsort(-self.sobol[:, k], kind="stable")
        listed = {row["parameter"] for row in rows[:top]}
        extra = [j for j in by_sobol[:top] if self.parameters[j].label not in listed
                 and self.sobol[j, k] > 0.01]
        out = rows[:top]
        for j in extra:  # strong in the joint variation though small one at a time
            row = next((r for r in rows if r["parameter"] == self.parameters[j].label), None)
            if row is not None:
                out.append(row)
        return out

    def coalition_drivers(self, top: int = 5) -> dict[str, list[dict[str, Any]]]:
        """Per coalition, the estimates whose variation most explains whether it wins."""
        result = {}
        for c, name in enumerate(self.montecarlo.coalitions):
            order = np.argsort(-self.sobol_winning[:, c], kind="stable")[:top]
            result[name] = [{"parameter": self.parameters[j].label,
                             "sobol": float(self.sobol_winning[j, c])}
                            for j in order if self.sobol_winning[j, c] > 0]
        return result

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        from allegiance.forecast import jsonable

        return jsonable({
            "kind": "sensitivity", **self.montecarlo.provenance(),
            "sobol_estimator": f"binned conditional variance, {self.bins} bins, bias-corrected",
            "baseline": dict(zip(self.tornado.scenario.issue_ids, self.tornado.baseline,
                                 strict=True)),
            "issues": {issue: self.drivers(issue, top)
                       for issue in self.tornado.scenario.issue_ids},
            "sobol_sum": dict(zip(self.tornado.scenario.issue_ids, self.sobol.sum(axis=0),
                                  strict=True)),
            "coalitions": self.coalition_drivers(top),
        })


def run_sensitivity(
    scenario: Scenario,
    model: str | Model = "mean",
    *,
    runs: int = 2000,
    seed: int | None = None,
    grade_widths: GradeWidths | Mapping[str, Any] | None = None,
    executor=None,
    progress=None,
    quota: str | float | None = None,
    **params: Any,
) -> SensitivityResult:
    """Tornado plus first-order indices from ``runs`` Monte Carlo draws (``quota``: the rule
    for the coalitions' winning indicator)."""
    model_obj = resolve_model(scenario, model, params)
    mc = run_montecarlo(scenario, model_obj, runs=runs, seed=seed, grade_widths=grade_widths,
                        executor=executor, progress=progress, quota=quota)
    sampler = Sampler(scenario, mc.grade_widths)
    draws = sampler.sample(mc.seed, 0, mc.runs)
    sobol = first_order_indices(draws, mc.outcomes)
    sobol_winning = (first_order_indices(draws, mc.winning.astype(float))
                     if mc.winning.shape[1] else np.zeros((sampler.n_parameters, 0)))
    oat = tornado(scenario, model_obj, grade_widths=mc.grade_widths, seed=mc.seed)
    return SensitivityResult(tornado=oat, montecarlo=mc, parameters=sampler.parameters,
                             sobol=sobol, sobol_winning=sobol_winning, bins=bins_for(mc.runs))
