"""What would it take? The cheapest changes to a scenario's estimates that make a coalition win,
hold together, and draw the forecast to its programme.

:func:`levers` answers, for a named (or given) coalition and a model: which changes to the
estimates — positions, saliences, capabilities, restricted by a lever list — make the coalition
(a) winning on every issue, (b) stable (every member gains by joining) and (c) followed by the
forecast (with the members acting as one, the model's forecast lies within ``tolerance`` of the
agreed position on every issue). It reports the fewest changes (at most ``budget``), cheapest among
those, each as actor · issue · field · from → to with its source grade and cost; whether any
solution exists inside the plausible ranges (proven by a mixed-integer programme when winning
itself is out of reach); second-best alternatives; the cheapest solution regardless of count; and
the verdicts after the change, re-computed by the coalition layer's
:func:`~allegiance.coalitions.assessment.assess_coalition` on the changed scenario. When nothing
inside the ranges works, it also searches beyond them (up to what each quantity allows; cost
above 1). The method is described in ``docs/levers.md``.

Example
-------
>>> import allegiance
>>> answer = allegiance.levers("syria-2014", coalition="local", model="mean",
...                            levers="capability:rebels")
>>> answer.inside_ranges
False
>>> answer.proof
'exact: no change of the allowed capabilities inside the bounds makes local winning'
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from allegiance.coalitions.assessment import WEIGHTINGS, CoalitionAssessment, assess_coalition
from allegiance.coalitions.quota import parse_quota
from allegiance.levers.conditions import Evaluator
from allegiance.levers.exact import winning_plans
from allegiance.levers.search import Candidate, search
from allegiance.levers.space import LeverSpace, lever_space
from allegiance.models.base import Model, ParameterError
from allegiance.models.registry import make_model
from allegiance.scenario.model import Scenario
from allegiance.version import __version__

__all__ = ["LeverChange", "LeverSolution", "LeversResult", "apply_changes", "levers"]

#: Search effort per model (combination-stage evaluations, refined candidates, bisection steps,
#: local-search steps per point and round): static models evaluate about a million candidates a
#: second, the iterative ones a thousand.
EFFORT = {"mean": (40_000, 12, 20, 256), "median": (40_000, 12, 20, 256),
          "nash": (10_000, 8, 20, 64)}
DEFAULT_EFFORT = (2_500, 4, 14, 32)
N_ALTERNATIVES = 4


@dataclass
class LeverChange:
    """One changed estimate."""

    actor: str
    issue: str | None  # None: the actor's capability
    field: str
    before: float
    after: float
    range_low: float  # the plausible range (Monte Carlo's)
    range_high: float
    grade: str  # best Admiralty grade of its sources, or "assumption"
    cost: float
    inside_range: bool

    def describe(self) -> str:
        where = self.issue or "(every issue)"
        inside = "inside" if self.inside_range else "OUTSIDE"
        return (f"{self.actor} · {where} · {self.field} · {self.before:.4g} → {self.after:.4g} "
                f"(range {self.range_low:.4g}–{self.range_high:.4g}, {inside}; source {self.grade};"
                f" cost {self.cost:.3f})")


@dataclass
class LeverSolution:
    """A set of changes and the verdicts after them (re-computed by the coalition layer)."""

    changes: list[LeverChange]
    count: int
    cost: float
    inside_ranges: bool
    verdict: dict[str, Any] = field(default_factory=dict)


@dataclass
class LeversResult:
    scenario: str
    content_hash: str
    state: str
    variant: str | None
    coalition: str
    members: list[str]
    model: str
    model_parameters: dict[str, Any]
    seed: int
    within: str
    levers: list[str] | None
    budget: int
    tolerance: float
    rule: dict[str, Any]
    weighting: str
    before: dict[str, Any]
    inside_ranges: bool | None  # a solution exists inside the plausible bounds (None: unknown)
    proof: str  # how inside_ranges is known
    solution: LeverSolution | None
    alternatives: list[LeverSolution]
    cheapest_by_cost: LeverSolution | None
    outside: LeverSolution | None  # cheapest found beyond the ranges (when none inside)
    outside_alternatives: list[LeverSolution]
    evaluations: int
    seconds: float
    version: str = __version__
    notes: list[str] = field(default_factory=list)

    def to_frame(self):
        """One row per change of every solution found (pandas): ``solution`` (best,
        alternative, beyond-ranges, beyond-ranges-alternative, cheapest-by-cost), ``rank``,
        ``count``, ``total_cost``, ``actor, issue, field, before, after, range_low, range_high,
        grade, cost, inside_range``."""
        from allegiance.frames import frame

        listed = [("best", 0, self.solution), *(("alternative", n, s) for n, s in
                                                 enumerate(self.alternatives, 1)),
                  ("beyond-ranges", 0, self.outside),
                  *(("beyond-ranges-alternative", n, s) for n, s in
                    enumerate(self.outside_alternatives, 1)),
                  ("cheapest-by-cost", 0, self.cheapest_by_cost)]
        rows = [(kind, rank, s.count, s.cost, c.actor, c.issue, c.field, c.before, c.after,
                 c.range_low, c.range_high, c.grade, c.cost, c.inside_range)
                for kind, rank, s in listed if s is not None for c in s.changes]
        return frame(rows, ["solution", "rank", "count", "total_cost", "actor", "issue",
                            "field", "before", "after", "range_low", "range_high", "grade",
                            "cost", "inside_range"])

    def to_dict(self) -> dict[str, Any]:
        from allegiance.forecast import jsonable

        data = asdict(self)
        data.pop("seconds")  # the answer is deterministic for a seed; its timing is not
        return jsonable(data)


# --------------------------------------------------------------------------------------------


def _verdict(assessment: CoalitionAssessment, tolerance: float, scenario: Scenario
             ) -> dict[str, Any]:
    widths = {i.id: i.scale[1] - i.scale[0] for i in scenario.issues}
    deviation = {}
    for issue in assessment.issues:
        if issue.agreed_position is not None:
            deviation[issue.issue] = abs(issue.outcome_with_coalition - issue.agreed_position
                                         ) / (widths[issue.issue] or 1.0)
    moves_there = all(d <= tolerance + 1e-9 for d in deviation.values())
    stable = not assessment.stay_out
    return {
        "winning": assessment.winning,
        "issues_won": assessment.issues_won,
        "n_issues": assessment.n_issues,
        "stable": stable,
        "stay_out": assessment.stay_out,
        "moves_there": moves_there,
        "satisfied": bool(assessment.winning and stable and moves_there),
        "gain": {d.actor: d.gain for d in assessment.member_details},
        "share": {i.issue: i.share for i in assessment.issues},
        "agreed_position": {i.issue: i.agreed_position for i in assessment.issues},
        "forecast": {i.issue: i.forecast_outcome for i in assessment.issues},
        "forecast_with_coalition": {i.issue: i.outcome_with_coalition for i in assessment.issues},
        "deviation": {k: round(v, 6) for k, v in deviation.items()},
    }


def apply_changes(scenario: Scenario, changes: list[LeverChange]) -> Scenario:
    """``scenario`` with each change's estimate set to its new value (range widened to hold it,
    history dropped, a note saying so); validated like any scenario."""
    data = scenario.model_copy(deep=True)
    for change in changes:
        actor = data.actor(change.actor)
        if change.field == "capability" and change.issue is None:
            old = actor.capability
        else:
            old = getattr(actor.issues[change.issue], change.field)
        low = None if old.low is None else min(old.low, change.after)
        high = None if old.high is None else max(old.high, change.after)
        new = old.model_copy(update={
            "value": float(change.after), "low": low, "high": high, "history": [],
            "note": f"set by allegiance levers from {change.before:g} (cost {change.cost:.3f}). "
                    + old.note})
        if change.field == "capability" and change.issue is None:
            actor.capability = new
        else:
            setattr(actor.issues[change.issue], change.field, new)
    checked = Scenario.model_validate(data.model_dump())
    return checked.model_copy(update={"derived": {**scenario.derived, "levers": True}})


def _solution(space: LeverSpace, candidate: Candidate, assess) -> LeverSolution:
    costs = space.cost(candidate.values)
    inside = space.inside(candidate.values)
    changes = []
    for j in candidate.support:
        p = space.sampler.parameters[j]
        changes.append(LeverChange(
            actor=p.actor, issue=p.issue, field=p.field, before=float(space.value[j]),
            after=float(candidate.values[j]), range_low=float(space.range_low[j]),
            range_high=float(space.range_high[j]), grade=space.grades[j],
            cost=float(costs[j]), inside_range=bool(inside[j])))
    changed = apply_changes(space.scenario, changes)
    return LeverSolution(changes=changes, count=len(changes), cost=float(candidate.cost),
                         inside_ranges=all(c.inside_range for c in changes),
                         verdict=assess(changed))


def _pick(found: list[Candidate], budget: int) -> list[Candidate]:
    """Solutions within the budget that no other dominates: a solution whose changes include all
    of a cheaper (or equal) solution's and more is no alternative to it."""
    kept = [c for c in found if len(c.support) <= budget]
    sets = [set(c.support) for c in kept]
    return [c for c, own in zip(kept, sets, strict=True)
            if not any(other < own and d.cost <= c.cost + 1e-12
                       for d, other in zip(kept, sets, strict=True))]


def levers(
    scenario,
    coalition: str | list[str],
    *,
    model: str | Model = "mean",
    as_of: str | dt.date | None = None,
    variant: str | None = None,
    within: str = "ranges",
    levers: str | list[str] | None = None,
    budget: int = 3,
    tolerance: float = 0.10,
    quota=None,
    weighting: str = "capability",
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    max_evaluations: int | None = None,
) -> LeversResult:
    """What would it take for ``coalition`` to win, hold together and draw the forecast?

    Parameters
    ----------
    scenario:
        A Scenario, or a built-in name / file path.
    coalition:
        A coalition named in the scenario, or members ``"a,b,c"`` / a list of actor ids.
    model:
        The forecasting model (name or instance) for conditions (b) and (c).
    as_of, variant:
        Evaluate the scenario as of a date / with a what-if variant (variant first).
    within:
        ``ranges`` (cost 1 = a move to the edge of the plausible range), ``grades`` (cost 1 = the
        half-width the sources' Admiralty grades justify) or ``free`` (no ranges; cost in spans).
    levers:
        Which estimates may move (``"capability:rebels,position:officers@settlement"``, lever
        set names; see :mod:`allegiance.scenario.lever_sets`); default all.
    budget:
        At most this many changed estimates.
    tolerance:
        Condition (c): the forecast with the coalition within this share of each issue's scale
        width of the agreed position.
    quota, weighting:
        The coalition layer's quota rule and game weights.
    seed:
        Seed of the search and of stochastic models (default: the scenario's seed, else 0).
    max_evaluations:
        Candidate evaluations of the combination stage (default by model, see ``EFFORT``).
    """
    started = time.perf_counter()
    if isinstance(scenario, str):
        from allegiance.io import load_scenario

        scenario = load_scenario(scenario)
    if variant:
        scenario = scenario.variant(variant)
    state = "current"
    if as_of is not None:
        scenario = scenario.as_of(as_of)
        state = scenario.derived["as_of"]
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ParameterError(f"budget must be a positive integer; got {budget!r}")
    if not 0 <= float(tolerance) < 1:
        raise ParameterError(f"tolerance must be in [0, 1); got {tolerance!r}")
    if weighting not in WEIGHTINGS:
        raise ParameterError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    rule = parse_quota(quota)
    if isinstance(coalition, str) and coalition in scenario.coalitions:
        name, members = coalition, list(scenario.coalitions[coalition].members)
    else:
        members = ([m.strip() for m in coalition.split(",") if m.strip()]
                   if isinstance(coalition, str) else [str(m) for m in coalition])
        name = ",".join(members)
        unknown = [m for m in members if m not in scenario.actor_ids]
        if unknown or not members:
            named = ", ".join(scenario.coalitions) or "none"
            raise ParameterError(
                f"unknown coalition {coalition!r}: not a coalition of {scenario.id} (named: "
                f"{named}) nor a list of its actors (unknown: {', '.join(unknown) or '-'})")
    if isinstance(model, str):
        settings = dict(scenario.model_parameters.get(model.lower(), {}))
        settings.update(params or {})
        model_name, model = model.lower(), make_model(model.lower(), **settings)
    else:
        model_name = getattr(model, "name", type(model).__name__)
    if seed is None:
        seed = scenario.seed if scenario.seed is not None else 0
    space = lever_space(scenario, within=within, levers=levers)
    mask = np.isin(np.array(space.sampler.base.actor_ids), members)
    evaluate = Evaluator(space, mask, model=model, rule=rule, weighting=weighting,
                         tolerance=tolerance, seed=seed)
    evaluations, refine_top, steps, local_samples = EFFORT.get(model_name, DEFAULT_EFFORT)
    if max_evaluations is not None:
        evaluations = int(max_evaluations)

    def assess(changed: Scenario) -> dict[str, Any]:
        found = assess_coalition(changed.to_arrays(), members, model=model, rule=rule,
                                 weighting=weighting, name=name, origin="scenario", seed=seed,
                                 power={})  # power indices are not part of the verdict
        return _verdict(found, tolerance, changed)

    def run(low: np.ndarray, high: np.ndarray) -> tuple[list[Candidate], bool | None]:
        plans = winning_plans(space, mask, rule, low=low, high=high, budget=budget) \
            if weighting == "capability" else []
        if weighting == "capability" and not plans:
            return [], False
        found = search(space, evaluate, low=low, high=high, budget=budget, seed=seed,
                       plans=plans, max_evaluations=evaluations, refine_top=refine_top,
                       steps=steps, local_samples=local_samples)
        return _pick(found, budget), None

    found, proven = run(space.low, space.high)
    notes = []
    if found:
        inside, proof = True, "found: a solution inside the bounds (verified)"
    elif proven is False:
        inside = False
        proof = (f"exact: no change of the allowed capabilities inside the bounds makes {name} "
                 "winning")
    else:
        inside = None
        proof = f"search: no solution found inside the bounds with at most {budget} changes"
    if within == "free":  # the search was not held to the ranges: say only what it found
        proof = proof.replace("inside the bounds", "within what each quantity allows")
        inside = True if any(all(space.inside(c.values)[list(c.support)]) for c in found) \
            else None
    solutions = [_solution(space, c, assess) for c in found[:1 + N_ALTERNATIVES]]
    outside: list[LeverSolution] = []
    beyond: list[Candidate] = []
    if not found and within != "free":
        beyond, _ = run(space.hard_low, space.hard_high)
        outside = [_solution(space, c, assess) for c in beyond[:1 + N_ALTERNATIVES]]
        notes.append("beyond the ranges: moves up to what each quantity allows (position scale, "
                     "salience 0-1, capability up to the total of all actors); cost above 1 "
                     "measures how far beyond")
    cheapest = None
    listed = found or beyond
    if listed:
        by_cost = min(listed, key=lambda c: (c.cost, len(c.support)))
        if by_cost is not listed[0] and by_cost.cost < listed[0].cost - 1e-6:
            cheapest = _solution(space, by_cost, assess)
    for solution in [*solutions, *outside]:
        if not solution.verdict["satisfied"]:
            notes.append("a solution failed the coalition layer's re-check: "
                         + "; ".join(c.describe() for c in solution.changes))
    before = assess(scenario)
    return LeversResult(
        scenario=scenario.id, content_hash=scenario.content_hash(), state=state,
        variant=variant, coalition=name, members=members, model=model_name,
        model_parameters=model.get_params(), seed=int(seed), within=within,
        levers=None if levers is None else
        ([levers] if isinstance(levers, str) else list(levers)),
        budget=budget, tolerance=float(tolerance), rule=rule.to_dict(), weighting=weighting,
        before=before, inside_ranges=inside, proof=proof,
        solution=solutions[0] if solutions else None, alternatives=solutions[1:],
        cheapest_by_cost=cheapest, outside=outside[0] if outside else None,
        outside_alternatives=outside[1:], evaluations=evaluate.evaluations,
        seconds=round(time.perf_counter() - started, 3), notes=notes,
    )
