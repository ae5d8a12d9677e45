"""The Nash bargaining solution: the outcome that maximises the product of the actors' gains.

Each actor values an outcome ``o`` of issue ``k`` by a salience-weighted loss around its position,
``u_ik(o) = -s_ik * (o - x_ik)**2`` (``utility="quadratic"``, default) or
``u_ik(o) = -s_ik * |o - x_ik|`` (``utility="linear"``). An actor's *gain* is its utility at ``o``
minus its utility at the disagreement point ``d``. The solution maximises the weighted Nash product

    prod_i gain_i(o) ** c_i        (equivalently  sum_i c_i * log gain_i(o))

over the outcomes that every actor prefers to disagreement (Nash 1950, "The bargaining problem",
*Econometrica* 18(2), 155-162). With unequal exponents ``c_i`` this is the asymmetric (generalised)
Nash solution (Kalai 1977; Roth 1979, *Axiomatic Models of Bargaining*, Springer); the usual choice
in stakeholder models, and the default here, is ``c_i`` = the actor's capability.

Disagreement point: the scenario's status quo of an issue where it has one; otherwise (or with
``disagreement="worst"``) each actor's worst outcome on the issue's scale (the scale end farthest
from its position), the standard conflict point of a spatial bargaining problem. If no outcome makes
every actor better off than a status quo, the solution is the status quo itself.

``joint=False`` (default) solves each issue on its own; ``joint=True`` solves all issues at once
with each actor's gain summed over the issues (then salience trades issues off against each other,
and an actor's exponent is its mean capability over the issues it takes part in).

The objective is concave, so the maximiser is unique. ``solver="newton"`` (default) solves every
batch item and issue at once: a safeguarded Newton method (bisection for the linear utility) on the
derivative for single issues, a damped Newton method for the joint problem; ``solver="scipy"``
uses ``scipy.optimize`` (bounded scalar minimisation per
issue, SLSQP with the gain constraints jointly), one problem at a time. Both stop when the outcome
is within ``tolerance`` of the maximiser, in units of the issue's scale span.

Example
-------
>>> import numpy as np
>>> from allegiance.scenario.arrays import ScenarioArrays
>>> arrays = ScenarioArrays(("a", "b"), ("x",), position=[[0.0], [100.0]],
...     salience=[[1.0], [1.0]], capability=[[1.0], [3.0]],
...     scale_low=[0.0], scale_high=[100.0])
>>> round(float(NashBargainingModel(utility="linear").run(arrays).outcome[0]), 6)
75.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from allegiance.models.base import (
    ExplainTable,
    Model,
    ModelResult,
    ParameterError,
    check_choice,
    check_number,
)
from allegiance.models.portable import log
from allegiance.scenario.arrays import ScenarioArrays

UTILITIES = ("quadratic", "linear")
DISAGREEMENTS = ("status-quo", "worst")
WEIGHTINGS = ("capability", "equal")
SOLVERS = ("newton", "scipy")


def _loss(distance: np.ndarray, utility: str) -> np.ndarray:
    return distance**2 if utility == "quadratic" else np.abs(distance)


class NashBargainingModel(Model):
    """Asymmetric Nash bargaining solution over a disagreement point.

    Parameters
    ----------
    joint:
        Solve all issues jointly (gains summed over issues) instead of issue by issue.
    utility:
        ``"quadratic"`` (default) or ``"linear"`` salience-weighted loss around the position.
        The joint problem needs the quadratic utility (the linear one has kinks).
    disagreement:
        ``"status-quo"`` (default): the scenario's status quo where given, else each actor's worst
        scale end; ``"worst"``: always each actor's worst scale end.
    weighting:
        Exponent of each actor's gain: ``"capability"`` (default, asymmetric Nash) or
        ``"equal"`` (the symmetric solution).
    tolerance:
        Distance to the exact maximiser, as a fraction of the scale span (default 1e-9).
    solver:
        ``"newton"`` (default, batched NumPy) or ``"scipy"`` (``scipy.optimize``, one problem at
        a time; a cross-check).

    Example
    -------
    >>> NashBargainingModel(joint=True).get_params()["joint"]
    True
    """

    name = "nash"
    summary = "Nash bargaining solution: the outcome maximising the weighted Nash product."
    stochastic = False
    multi_issue = True

    def __init__(
        self,
        *,
        joint: bool = False,
        utility: str = "quadratic",
        disagreement: str = "status-quo",
        weighting: str = "capability",
        tolerance: float = 1e-9,
        solver: str = "newton",
    ) -> None:
        if isinstance(joint, str):
            if joint.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ParameterError(f"joint must be true or false; got {joint!r}")
            joint = joint.lower() in ("true", "1", "yes")
        if not isinstance(joint, bool | np.bool_):
            raise ParameterError(f"joint must be true or false; got {joint!r}")
        self.joint = bool(joint)
        self.utility = check_choice("utility", utility, UTILITIES)
        self.disagreement = check_choice("disagreement", disagreement, DISAGREEMENTS)
        self.weighting = check_choice("weighting", weighting, WEIGHTINGS)
        self.tolerance = check_number("tolerance", tolerance, low=1e-15, high=1e-2)
        self.solver = check_choice("solver", solver, SOLVERS)
        if self.joint and self.utility != "quadratic":
            raise ParameterError("joint=True needs utility='quadratic'")

    # ------------------------------------------------------------------ set-up
    def _problem(self, arrays: ScenarioArrays):
        """Normalised positions (0-1 per issue), saliences, exponents and disagreement points."""
        low, high = arrays.scale_low, arrays.scale_high
        span = np.where(high > low, high - low, 1.0)
        x = (arrays.position - low) / span
        present = np.broadcast_to(arrays.present, x.shape)
        salience = np.where(present, arrays.salience, 0.0)
        if self.weighting == "capability":
            exponent = np.where(present, arrays.capability, 0.0)
        else:
            exponent = present.astype(float)
        status_quo = (arrays.status_quo - low) / span
        use_sq = np.isfinite(status_quo) & (self.disagreement == "status-quo")
        worst = np.where(x <= 0.5, 1.0, 0.0)  # the farther scale end
        d = np.where(use_sq, np.nan_to_num(status_quo), worst)  # (*batch, n, m)
        return x, salience, exponent, d, use_sq, low, span

    # ------------------------------------------------------------------ per issue
    def _per_issue(self, x, salience, exponent, d):
        """Maximiser per issue and a feasibility flag, batched (bisection on the derivative)."""
        active = (salience > 0) & (exponent > 0)
        reach = np.abs(d - x)  # gain > 0 iff |o - x| < reach
        lo = np.where(active, x - reach, -np.inf).max(axis=-2)
        hi = np.where(active, x + reach, np.inf).min(axis=-2)
        lo, hi = np.maximum(lo, 0.0), np.minimum(hi, 1.0)
        feasible = (hi - lo > 1e-12) & active.any(axis=-2)
        if self.solver == "scipy":
            return self._per_issue_scipy(x, salience, exponent, d, lo, hi, feasible), feasible
        # safeguarded Newton: keep a bracket [a, b] around the root of the (decreasing) slope,
        # take the Newton step when it stays inside, bisect otherwise (always for the linear
        # utility, whose slope jumps at the actors' positions)
        a, b = lo.copy(), hi.copy()
        # start from the weighted mean of positions (close to the answer for most problems)
        weight = np.where(active, exponent, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = (weight * x).sum(axis=-2) / weight.sum(axis=-2)
        o = np.where(np.isfinite(mean) & (mean > a) & (mean < b), mean, 0.5 * (a + b))
        limit = math.ceil(math.log2(1.0 / self.tolerance)) + 60
        for _ in range(limit):
            slope, curvature = self._slope(o, x, salience, exponent, d, active, curvature=True)
            a = np.where(slope > 0, o, a)
            b = np.where(slope > 0, b, o)
            with np.errstate(divide="ignore", invalid="ignore"):
                delta = -slope / curvature
            newton = o + delta
            inside = np.isfinite(newton) & (newton >= a) & (newton <= b)
            if self.utility == "linear":  # kinks: plain bisection
                inside = np.zeros_like(inside)
            converged = inside & (np.abs(delta) <= 0.01 * self.tolerance)
            o = np.where(inside, newton, 0.5 * (a + b))
            if np.all(converged | (b - a <= self.tolerance) | ~feasible):
                break
        outcome = o
        return np.where(feasible, outcome, self._fallback(x, d)), feasible

    @staticmethod
    def _fallback(x, d):
        """Outcome where no agreement improves on disagreement: the status quo (the same for every
        actor), or with nobody taking part the plain mean position."""
        same = np.all(d == d[..., :1, :], axis=-2)
        return np.where(same, d[..., 0, :], x.mean(axis=-2))

    def _slope(self, o, x, salience, exponent, d, active, curvature=False):
        """Derivative (and optionally second derivative) of sum_i c_i log gain_i at o, per issue,
        ignoring inactive actors."""
        distance = o[..., None, :] - x
        gain = salience * (_loss(d - x, self.utility) - _loss(distance, self.utility))
        if self.utility == "quadratic":
            dgain = -2.0 * salience * distance
            second = -2.0 * salience
        else:
            dgain = -salience * np.sign(distance)
            second = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(active, dgain / gain, 0.0)
            slope = (exponent * ratio).sum(axis=-2)
            if not curvature:
                return slope
            bend = np.where(active, exponent * (second / gain - ratio**2), 0.0).sum(axis=-2)
            return slope, bend

    def _per_issue_scipy(self, x, salience, exponent, d, lo, hi, feasible):
        from scipy.optimize import minimize_scalar

        out = np.where(feasible, 0.0, self._fallback(x, d))
        shape = lo.shape
        for index in np.ndindex(shape):
            if not feasible[index]:
                continue
            batch, k = index[:-1], index[-1]
            xs, ss = x[(*batch, slice(None), k)], salience[(*batch, slice(None), k)]
            cs, ds = exponent[(*batch, slice(None), k)], d[(*batch, slice(None), k)]
            keep = (ss > 0) & (cs > 0)
            xs, ss, cs, ds = xs[keep], ss[keep], cs[keep], ds[keep]
            utility = self.utility

            def objective(o, xs=xs, ss=ss, cs=cs, ds=ds, utility=utility):
                gain = ss * (_loss(ds - xs, utility) - _loss(o - xs, utility))
                if np.any(gain <= 0):
                    return np.inf
                return -np.sum(cs * log(gain))

            res = minimize_scalar(
                objective, bounds=(lo[index], hi[index]), method="bounded",
                options={"xatol": self.tolerance * 0.1},
            )
            out[index] = res.x
        return out

    # ------------------------------------------------------------------ joint
    def _joint(self, x, salience, exponent, d, start):
        """Joint maximiser (quadratic utility): damped Newton from the per-issue solution."""
        present = salience > 0
        count = np.maximum(present.sum(axis=-1), 1)
        weight = np.where(present, exponent, 0.0).sum(axis=-1) / count  # (*batch, n)
        base = (salience * (d - x) ** 2).sum(axis=-1)  # utility span at disagreement

        def gains(o):
            return base - (salience * (o[..., None, :] - x) ** 2).sum(axis=-1)

        def objective(o):
            g = gains(o)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(
                    (g > 0).all(axis=-1) | ~(weight > 0).any(axis=-1),
                    (np.where(weight > 0, weight * log(np.where(g > 0, g, 1.0)), 0.0)).sum(-1),
                    -np.inf,
                )

        o = start.copy()
        g0 = gains(o)
        ok = ((g0 > 0) | (weight <= 0)).all(axis=-1)
        if self.solver == "scipy":
            return self._joint_scipy(x, salience, weight, base, o, ok), ok
        m = o.shape[-1]
        eye = np.eye(m)
        value = objective(o)
        for _ in range(100):
            g = gains(o)
            safe = np.where(g > 0, g, 1.0)
            active = (weight > 0) & (g > 0)
            dg = -2.0 * salience * (o[..., None, :] - x)  # (*batch, n, m)
            coef = np.where(active, weight / safe, 0.0)
            grad = (coef[..., None] * dg).sum(axis=-2)
            hess = -2.0 * np.einsum("...i,...ik->...k", coef, salience)[..., None, :] * eye
            outer = np.where(active, weight / safe**2, 0.0)
            hess = hess - np.einsum("...i,...ij,...ik->...jk", outer, dg, dg)
            hess = hess - 1e-12 * eye
            step = -np.linalg.solve(hess, grad[..., None])[..., 0]
            step = np.where(ok[..., None], step, 0.0)
            # backtrack to stay feasible and increase the objective
            t = np.ones(o.shape[:-1])
            for _ in range(60):
                trial = np.clip(o + t[..., None] * step, 0.0, 1.0)
                better = objective(trial) >= value - 1e-15
                if better.all():
                    break
                t = np.where(better, t, t * 0.5)
            o = np.clip(o + t[..., None] * step, 0.0, 1.0)
            value = objective(o)
            if np.all(np.abs(t[..., None] * step) <= self.tolerance * 0.1):
                break
        return o, ok

    def _joint_scipy(self, x, salience, weight, base, start, ok):
        from scipy.optimize import minimize

        out = start.copy()
        for index in np.ndindex(start.shape[:-1]):
            if not ok[index]:
                continue
            xs, ss, ws, bs = x[index], salience[index], weight[index], base[index]
            keep = ws > 0

            def gains(o, xs=xs, ss=ss, bs=bs):
                return bs - (ss * (o[None, :] - xs) ** 2).sum(axis=-1)

            def objective(o, keep=keep, ws=ws):
                g = gains(o)[keep]
                if np.any(g <= 0):
                    return 1e30
                return -np.sum(ws[keep] * log(g))

            res = minimize(
                objective, start[index], method="SLSQP", bounds=[(0.0, 1.0)] * start.shape[-1],
                constraints=[{"type": "ineq", "fun": lambda o, keep=keep: gains(o)[keep] - 1e-12}],
                options={"ftol": 1e-15, "maxiter": 500},
            )
            out[index] = res.x
        return out

    # ------------------------------------------------------------------ public
    def run(self, arrays: ScenarioArrays, random_state=None) -> ModelResult:
        x, salience, exponent, d, use_sq, low, span = self._problem(arrays)
        per_issue, feasible = self._per_issue(x, salience, exponent, d)
        extra: dict[str, Any] = {"feasible": feasible, "per_issue": per_issue * span + low}
        if self.joint:
            outcome, ok = self._joint(x, salience, exponent, d, per_issue)
            extra["joint_feasible"] = ok
        else:
            outcome = per_issue
        outcome = outcome * span + low
        disagreement_text = (
            "status quo where given, else each actor's worst scale end"
            if self.disagreement == "status-quo"
            else "each actor's worst scale end"
        )
        kind = "asymmetric (capability-weighted)" if self.weighting == "capability" else "symmetric"
        statistic = (
            f"{'joint' if self.joint else 'per-issue'} {kind} Nash bargaining solution, "
            f"{self.utility} utilities, disagreement: "
            f"{disagreement_text}"
        )
        explain: list[ExplainTable] = []
        if not arrays.batch_shape:
            explain.append(self._explain(arrays, outcome, feasible, use_sq))
        return ModelResult(
            positions=arrays.position[..., None, :, :].copy(),
            outcome=outcome,
            outcome_statistic=statistic,
            n_rounds=np.zeros(arrays.batch_shape, dtype=int),
            explain=explain,
            extra=extra,
            degenerate=(np.broadcast_to(~np.asarray(ok, dtype=bool)[..., None], outcome.shape)
                        if self.joint else ~np.asarray(feasible, dtype=bool)),
            degenerate_reason="no outcome is better than the disagreement point (the status quo "
            "where the issue has one) for every actor, so that point is returned",
        )

    def _explain(self, arrays, outcome, feasible, use_sq) -> ExplainTable:
        weight = arrays.capability * arrays.salience * arrays.present
        total = weight.sum(axis=0)
        mean = np.where(total > 0, (weight * arrays.position).sum(axis=0) / np.where(
            total > 0, total, 1.0), np.nan)
        rows = []
        for k, issue in enumerate(arrays.issue_ids):
            rows.append(
                [
                    issue,
                    round(float(outcome[k]), 6),
                    "status quo" if use_sq[k] else "worst scale end",
                    float(arrays.status_quo[k]) if use_sq[k] else None,
                    bool(feasible[k]),
                    round(float(mean[k]), 6),
                ]
            )
        return ExplainTable(
            title="Nash bargaining solution per issue",
            columns=["issue", "outcome", "disagreement", "status quo", "agreement possible",
                     "weighted mean"],
            rows=rows,
            note=(
                "The outcome maximises the product of the actors' gains over disagreement, each "
                "raised to the actor's exponent; where no outcome improves on the status quo for "
                "every actor, the status quo stays."
            ),
        )
