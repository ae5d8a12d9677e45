"""The lever space: which estimates may move, how far, and what a move costs.

Every estimate of the scenario is one parameter of :class:`~allegiance.uncertainty.sampling.Sampler`
(the Monte Carlo's parameter list, so the ranges are the ones Monte Carlo draws from). A move of
parameter ``j`` from its value ``v_j`` to ``x`` costs ``|x - v_j| / unit_j``, where the unit
depends on the direction of the move and on ``within``:

- ``ranges`` (default): the distance from the value to the edge of the plausible range on that
  side (the scenario's ``low``/``high``, or the range its source grades give when it has none):
  a move to the edge costs 1, so every move inside the ranges costs at most 1;
- ``grades``: the half-width the sources' Admiralty grades justify (the grade-to-width table of
  :class:`~allegiance.uncertainty.sampling.GradeWidths`, explicit ranges ignored): a move of that
  half-width costs 1, so an estimate resting on an F6 report (±22 % of its span) is cheaper to move
  than one resting on a B2 source (±7 %);
- ``free``: the span of the quantity (a position's scale width, 1 for a salience, the largest
  actor capability for a capability), with no plausible range: moves are bounded only by what the
  quantity allows.

Bounds: ``low``/``high`` are the plausible bounds (ranges or grade widths; in ``free`` the hard
limits), ``hard_low``/``hard_high`` what the quantity allows (the issue's scale, [0, 1], and
[0, total capability of all actors]) — the extended search for a solution outside the ranges
moves within those, at a cost above 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allegiance.scenario.lever_sets import expand_levers
from allegiance.scenario.model import Scenario
from allegiance.uncertainty.sampling import DEFAULT_GRADE_WIDTHS, GradeWidths, Sampler

MODES = ("ranges", "grades", "free")


def _without_ranges(scenario: Scenario) -> Scenario:
    """A copy with every explicit range removed (so the sampler derives ranges from grades)."""
    data = scenario.model_copy(deep=True)
    for _, estimate in data.estimates():
        estimate.low = estimate.high = None
        for entry in estimate.history:
            entry.low = entry.high = None
    return data


def best_grade(scenario: Scenario, source_ids, widths: GradeWidths = DEFAULT_GRADE_WIDTHS) -> str:
    """The best (narrowest-width) Admiralty grade among ``source_ids``; "assumption" if none."""
    grades = []
    for sid in source_ids:
        try:
            source = scenario.source(sid)
        except KeyError:
            continue
        grades.append((source.reliability, int(source.credibility)))
    if not grades:
        return "assumption"
    best = min(grades, key=lambda g: widths.width([g]))
    return f"{best[0]}{best[1]}"


@dataclass
class LeverSpace:
    """The parameters of a scenario, the ones that may move, their bounds and cost units."""

    scenario: Scenario
    sampler: Sampler
    within: str
    value: np.ndarray
    low: np.ndarray  # plausible bounds in this mode
    high: np.ndarray
    hard_low: np.ndarray
    hard_high: np.ndarray
    unit_down: np.ndarray
    unit_up: np.ndarray
    range_low: np.ndarray  # the Monte Carlo range (reported for every change)
    range_high: np.ndarray
    movable: np.ndarray  # bool (P,)
    grades: list[str]
    labels: list[str]

    @property
    def n_parameters(self) -> int:
        return self.value.size

    @property
    def movable_index(self) -> np.ndarray:
        return np.flatnonzero(self.movable)

    def cost(self, values: np.ndarray) -> np.ndarray:
        """Per-parameter cost of moving to ``values`` ``(..., P)``."""
        delta = np.asarray(values, dtype=float) - self.value
        return np.where(delta >= 0, delta / self.unit_up, -delta / self.unit_down)

    def inside(self, values: np.ndarray) -> np.ndarray:
        """Whether each parameter of ``values`` ``(..., P)`` lies inside its plausible range (the
        grade-derived one with ``within="grades"``, else the Monte Carlo range)."""
        low, high = ((self.low, self.high) if self.within == "grades"
                     else (self.range_low, self.range_high))
        tol = 1e-9 * np.maximum(1.0, np.abs(self.value))
        return (values >= low - tol) & (values <= high + tol)


def lever_space(scenario: Scenario, *, within: str = "ranges", levers=None,
                grade_widths: GradeWidths | None = None) -> LeverSpace:
    """The :class:`LeverSpace` of ``scenario`` (apply ``as_of``/``variant`` first).

    ``levers``: a lever list (see :mod:`allegiance.scenario.lever_sets`); default every estimate.
    """
    if within not in MODES:
        raise ValueError(f"--within must be one of {', '.join(MODES)}; got {within!r}")
    widths = grade_widths or DEFAULT_GRADE_WIDTHS
    sampler = Sampler(scenario, grade_widths=widths)
    graded = Sampler(_without_ranges(scenario), grade_widths=widths)
    params = sampler.parameters
    value = sampler.value.copy()
    scale_width = np.ones(value.size)
    hard_low = np.zeros(value.size)
    hard_high = np.ones(value.size)
    issues = {i.id: i for i in scenario.issues}
    caps = np.array([a.capability.value for a in scenario.actors], dtype=float)
    cap_span = float(caps.max()) if caps.size and caps.max() > 0 else 1.0
    for j, p in enumerate(params):
        if p.field == "position":
            lo, hi = issues[p.issue].scale
            hard_low[j], hard_high[j], scale_width[j] = lo, hi, hi - lo
        elif p.field == "capability":
            hard_high[j] = max(float(caps.sum()), p.value)
            scale_width[j] = cap_span
    if within == "ranges":
        low, high = sampler.low.copy(), sampler.high.copy()
        fallback = np.maximum(graded.high - graded.low, 1e-9 * scale_width) / 2
        up, down = high - value, value - low
        up = np.where(up > 0, up, np.where(down > 0, down, fallback))
        down = np.where(down > 0, down, up)
    elif within == "grades":
        low, high = graded.low.copy(), graded.high.copy()
        half = np.maximum(np.maximum(high - value, value - low), 1e-9 * scale_width)
        up = down = half
    else:
        low, high = hard_low.copy(), hard_high.copy()
        up = down = scale_width
    movable = np.zeros(value.size, dtype=bool)
    if levers is None:
        movable[:] = True
    else:
        wanted = set(expand_levers(levers, scenario))
        for j, p in enumerate(params):
            movable[j] = (p.field, p.actor, p.issue) in wanted
    # the sampler has one parameter per estimate, in the order of scenario.estimates()
    grades = [best_grade(scenario, raw.sources or raw.all_sources(), widths)
              for _path, raw in scenario.estimates()]
    return LeverSpace(
        scenario=scenario, sampler=sampler, within=within, value=value, low=low, high=high,
        hard_low=hard_low, hard_high=hard_high, unit_down=down, unit_up=up,
        range_low=sampler.low.copy(), range_high=sampler.high.copy(), movable=movable,
        grades=grades, labels=[p.label for p in params],
    )
