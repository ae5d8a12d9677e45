"""Turn a scenario's judgements into distributions and draw from them, reproducibly.

Every estimate of a scenario (each actor's capability, and per issue its position, salience and
capability override) becomes one random variable:

- **Range.** An estimate with ``low``/``high`` uses that range. An estimate without one gets a range
  of half-width ``w × span`` around its value, where ``w`` comes from the *grade-to-width table*
  (:class:`GradeWidths`) for the best (narrowest) grade among its sources, or the ``unsourced``
  width when it cites none, and ``span`` is the issue's scale width for a position, 1 for a salience
  and ``capability_factor × value`` for a capability (capability uncertainty is relative). An
  estimate with only one end given is mirrored around its value. Every range is then clipped to
  what the quantity allows: the issue's scale, [0, 1] for a salience, [0, ∞) for a capability.
- **Distribution.** Beta-PERT on [low, high] with its mode at ``value`` (Malcolm et al. 1959;
  Vose, *Risk Analysis*, 2008, ch. 9): ``low + (high - low) × Beta(α, β)`` with
  ``α = 1 + λ (value - low) / (high - low)``, ``β = 1 + λ (high - value) / (high - low)``, λ = 4.
  Its mean is ``(low + λ value + high) / (λ + 2)``. A zero-width range is a constant.
- **Streams.** Draw ``i`` of seed ``s`` comes from block ``i // BLOCK`` whose generator is
  ``default_rng(SeedSequence(s, spawn_key=(0, block)))``: the same seed gives the same draws
  whatever batch size, chunking, executor or number of workers reads them.

An estimate with a dated history and no range of its own uses the range and sources of its latest
history entry (the one its value comes from); evaluate ``scenario.as_of(date)`` first to sample the
judgements of an earlier date.

Example
-------
>>> from allegiance.scenario.model import Scenario
>>> scenario = Scenario.model_validate({
...     "id": "toy", "title": "Toy", "issues": [{"id": "x", "name": "X"}],
...     "actors": [
...         {"id": "a", "name": "A", "capability": 1,
...          "issues": {"x": {"position": {"value": 20, "low": 10, "high": 40},
...                           "salience": 0.5}}},
...         {"id": "b", "name": "B", "capability": 2,
...          "issues": {"x": {"position": 80, "salience": 1}}}]})
>>> sampler = Sampler(scenario)
>>> draws = sampler.sample(seed=7, start=0, stop=1000)
>>> draws.shape == (1000, len(sampler.parameters))
True
>>> bool((draws[:, 1] >= 10).all() and (draws[:, 1] <= 40).all())
True
>>> arrays = sampler.arrays(draws)
>>> arrays.batch_shape
(1000,)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from allegiance.scenario.arrays import ScenarioArrays
from allegiance.scenario.model import Estimate, Scenario

#: Draws per random-number block; the unit of reproducibility (never change it lightly: doing so
#: changes every Monte Carlo result for a given seed).
BLOCK = 256
#: Shape parameter of the beta-PERT distribution.
PERT_LAMBDA = 4.0

RELIABILITIES = ("A", "B", "C", "D", "E", "F")
CREDIBILITIES = (1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class GradeWidths:
    """The grade-to-width table: half-width of a derived range, as a fraction of its span.

    The half-width for a source of grade ``R C`` (reliability ``R`` in A–F, credibility ``C`` in
    1–6) is ``reliability[R] + credibility[C]``; an estimate takes its best (narrowest) source; an
    unsourced estimate takes ``unsourced``. "Cannot be judged" (F, 6) sits between the
    middle and the bottom of each scale. The default table:

    ============  =====  =====  =====  =====  =====  =====
    reliability     A      B      C      D      E      F
    add            0.02   0.04   0.07   0.10   0.14   0.12
    credibility     1      2      3      4      5      6
    add            0.01   0.03   0.06   0.09   0.13   0.10
    ============  =====  =====  =====  =====  =====  =====

    so an A1 source gives ±3 % of the span, B3 ±10 %, F6 ±22 %, E5 ±27 % and no source ±30 %.
    ``capability_factor`` turns the fraction into a relative capability range (default 2: B3 gives
    a capability ±20 % of its value, no source ±60 %).

    Override any entry with :meth:`updated` (``{"B": 0.05, "3": 0.08, "unsourced": 0.4}``).
    """

    reliability: Mapping[str, float] = field(default_factory=lambda: {
        "A": 0.02, "B": 0.04, "C": 0.07, "D": 0.10, "E": 0.14, "F": 0.12})
    credibility: Mapping[int, float] = field(default_factory=lambda: {
        1: 0.01, 2: 0.03, 3: 0.06, 4: 0.09, 5: 0.13, 6: 0.10})
    unsourced: float = 0.30
    capability_factor: float = 2.0

    def __post_init__(self) -> None:
        for key in RELIABILITIES:
            if key not in self.reliability:
                raise ValueError(f"grade widths: reliability {key!r} missing")
        for key in CREDIBILITIES:
            if key not in self.credibility:
                raise ValueError(f"grade widths: credibility {key!r} missing")
        values = [*self.reliability.values(), *self.credibility.values(), self.unsourced,
                  self.capability_factor]
        if any(not np.isfinite(v) or v < 0 for v in values):
            raise ValueError("grade widths must be finite numbers >= 0")

    def width(self, grades: list[tuple[str, int]]) -> float:
        """Half-width fraction for an estimate whose sources have ``grades`` (empty: unsourced)."""
        if not grades:
            return self.unsourced
        return min(self.reliability[r] + self.credibility[c] for r, c in grades)

    def updated(self, overrides: Mapping[str, Any]) -> GradeWidths:
        """A copy with entries replaced: keys A–F, 1–6, ``unsourced``, ``capability_factor``."""
        reliability = dict(self.reliability)
        credibility = dict(self.credibility)
        rest: dict[str, float] = {}
        for key, value in overrides.items():
            name = str(key).strip()
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"grade width {name!r} must be a number; got {value!r}") from None
            if name.upper() in RELIABILITIES:
                reliability[name.upper()] = number
            elif name.isdigit() and int(name) in CREDIBILITIES:
                credibility[int(name)] = number
            elif name in ("unsourced", "capability_factor"):
                rest[name] = number
            else:
                raise ValueError(f"unknown grade width {name!r}: use A–F, 1–6, unsourced or "
                                 "capability_factor")
        return replace(self, reliability=reliability, credibility=credibility, **rest)

    def to_dict(self) -> dict[str, Any]:
        return {"reliability": dict(self.reliability),
                "credibility": {str(k): v for k, v in self.credibility.items()},
                "unsourced": self.unsourced, "capability_factor": self.capability_factor}


DEFAULT_GRADE_WIDTHS = GradeWidths()


@dataclass(frozen=True)
class Parameter:
    """One sampled estimate: where it sits in the scenario and its distribution's support."""

    path: tuple[str | int, ...]
    actor: str
    issue: str | None
    field: str  # "position", "salience" or "capability"
    value: float
    low: float
    high: float
    #: "range" (given in the scenario), or the grade the width was derived from ("B3",
    #: "unsourced")
    origin: str

    @property
    def label(self) -> str:
        where = f"{self.actor}.{self.issue}" if self.issue else self.actor
        return f"{where}.{self.field}"


def pert_shape(value: np.ndarray, low: np.ndarray, high: np.ndarray,
               lam: float = PERT_LAMBDA) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters ``(α, β)`` of the PERT distribution with mode ``value`` on [low, high]."""
    width = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(width > 0, (value - low) / width, 0.5)
    return 1.0 + lam * rel, 1.0 + lam * (1.0 - rel)


def pert_mean(value, low, high, lam: float = PERT_LAMBDA):
    """Mean of the PERT distribution: ``(low + λ value + high) / (λ + 2)``."""
    return (np.asarray(low) + lam * np.asarray(value) + np.asarray(high)) / (lam + 2.0)


def _current(estimate: Estimate) -> Estimate:
    """The estimate whose range applies: its own, or its latest history entry's."""
    if estimate.low is None and estimate.high is None and estimate.history:
        latest = estimate.history[-1]
        if latest.value == estimate.value:
            return Estimate(value=latest.value, low=latest.low, high=latest.high,
                            sources=latest.sources or estimate.sources)
    return estimate


class Sampler:
    """Random variables for every estimate of ``scenario`` and the arrays they map to.

    Parameters
    ----------
    scenario:
        The scenario (apply ``as_of`` / ``variant`` before).
    grade_widths:
        The grade-to-width table (:class:`GradeWidths`, or a mapping of overrides of the default).
    fields:
        Which kinds of estimate vary (default all three); the others stay at their value.

    Attributes
    ----------
    parameters:
        The :class:`Parameter` list; column ``j`` of every draw matrix is ``parameters[j]``.
    base:
        The scenario's own arrays (every estimate at its value).
    """

    def __init__(
        self,
        scenario: Scenario,
        grade_widths: GradeWidths | Mapping[str, Any] | None = None,
        fields: tuple[str, ...] = ("position", "salience", "capability"),
    ) -> None:
        if grade_widths is None:
            grade_widths = DEFAULT_GRADE_WIDTHS
        elif not isinstance(grade_widths, GradeWidths):
            grade_widths = DEFAULT_GRADE_WIDTHS.updated(grade_widths)
        for name in fields:
            if name not in ("position", "salience", "capability"):
                raise ValueError(f"unknown field {name!r} (position, salience, capability)")
        self.scenario = scenario
        self.grade_widths = grade_widths
        self.fields = tuple(fields)
        self.base = scenario.to_arrays()
        grades = {s.id: (s.reliability, int(s.credibility)) for s in scenario.sources}
        issue_index = {issue_id: k for k, issue_id in enumerate(scenario.issue_ids)}
        n_actors, n_issues = len(scenario.actors), len(scenario.issues)
        #: (field -> (n_actors, n_issues) index of the parameter filling each cell, -1 = fixed)
        self._cells = {name: np.full((n_actors, n_issues), -1) for name in
                       ("position", "salience", "capability")}
        parameters: list[Parameter] = []
        overridden = np.zeros((n_actors, n_issues), dtype=bool)
        for path, _estimate in scenario.estimates():
            if path[-1] == "capability" and len(path) > 3:
                overridden[path[1], issue_index[path[3]]] = True
        for path, raw in scenario.estimates():
            a = int(path[1])
            name = str(path[-1])
            issue = str(path[3]) if len(path) > 3 else None
            if name not in self.fields:
                continue
            estimate = _current(raw)
            sources = estimate.sources or raw.all_sources()
            source_grades = [grades[s] for s in sources if s in grades]
            if name == "position":
                k = issue_index[issue]
                lo_bound, hi_bound = scenario.issues[k].scale
                span = hi_bound - lo_bound
            elif name == "salience":
                lo_bound, hi_bound, span = 0.0, 1.0, 1.0
            else:
                lo_bound, hi_bound = 0.0, np.inf
                span = grade_widths.capability_factor * abs(estimate.value)
            value = float(estimate.value)
            if estimate.low is None and estimate.high is None:
                half = grade_widths.width(source_grades) * span
                low, high = value - half, value + half
                if source_grades:
                    best = min(source_grades, key=lambda g: grade_widths.width([g]))
                    origin = f"{best[0]}{best[1]}"
                else:
                    origin = "unsourced"
            else:
                low = estimate.low if estimate.low is not None else 2 * value - estimate.high
                high = estimate.high if estimate.high is not None else 2 * value - estimate.low
                origin = "range"
            low, high = max(low, lo_bound), min(high, hi_bound)
            j = len(parameters)
            parameters.append(Parameter(path=path, actor=scenario.actors[a].id, issue=issue,
                                        field=name, value=value, low=float(low),
                                        high=float(high), origin=origin))
            if issue is None:  # the actor's capability: every issue it is present on, unless
                cells = self.base.present[a] & ~overridden[a]  # overridden there
                self._cells["capability"][a, cells] = j
            else:
                self._cells[name][a, issue_index[issue]] = j
        self.parameters = parameters
        self.value = np.array([p.value for p in parameters], dtype=float)
        self.low = np.array([p.low for p in parameters], dtype=float)
        self.high = np.array([p.high for p in parameters], dtype=float)
        self.alpha, self.beta = pert_shape(self.value, self.low, self.high)
        self._varies = self.high > self.low

    @property
    def n_parameters(self) -> int:
        return len(self.parameters)

    # ------------------------------------------------------------------ drawing
    def _block(self, seed: int, block: int) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, block)))
        unit = rng.beta(self.alpha, self.beta, size=(BLOCK, self.n_parameters))
        return np.where(self._varies, self.low + (self.high - self.low) * unit, self.value)

    def sample(self, seed: int, start: int, stop: int) -> np.ndarray:
        """Draws ``start`` .. ``stop - 1`` of ``seed``: an array ``(stop - start, n_parameters)``.

        Draw ``i`` is the same whichever range it is requested in.
        """
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"seed must be >= 0; got {seed}")
        if not 0 <= start <= stop:
            raise ValueError(f"need 0 <= start <= stop; got {start}, {stop}")
        if stop == start:
            return np.empty((0, self.n_parameters))
        first, last = start // BLOCK, (stop - 1) // BLOCK
        blocks = [self._block(seed, b) for b in range(first, last + 1)]
        stacked = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
        offset = start - first * BLOCK
        return stacked[offset:offset + (stop - start)]

    # ------------------------------------------------------------------ mapping to arrays
    def arrays(self, values: np.ndarray) -> ScenarioArrays:
        """The scenario's arrays with the estimates set to ``values`` ``(*batch, n_parameters)``."""
        values = np.asarray(values, dtype=float)
        if values.shape[-1] != self.n_parameters:
            raise ValueError(f"values must end in {self.n_parameters} parameters; got "
                             f"{values.shape}")
        batch = values.shape[:-1]
        filled = {}
        for name in ("position", "salience", "capability"):
            cells = self._cells[name]
            base = getattr(self.base, name)
            if (cells < 0).all():
                filled[name] = np.broadcast_to(base, (*batch, *base.shape))
                continue
            picked = np.take(values, np.maximum(cells, 0), axis=-1)  # (*batch, n_a, n_i)
            filled[name] = np.where(cells >= 0, picked, base)
        return self.base.with_batch(**filled)

    def cells(self, field_name: str) -> np.ndarray:
        """``(n_actors, n_issues)`` index of the parameter that fills each cell (-1: fixed)."""
        return self._cells[field_name].copy()

    def describe(self) -> list[dict[str, Any]]:
        """One row per parameter: label, value, low, high, origin (for reports)."""
        return [{"parameter": p.label, "path": list(p.path), "value": p.value, "low": p.low,
                 "high": p.high, "origin": p.origin} for p in self.parameters]
