"""Forecasts over time: evaluate a scenario as of each date of its estimates' histories.

For every date (each date found in a history, plus any asked for) the scenario is taken
``as_of`` that date and the model forecasts it; each named coalition gets its verdicts
(:func:`~allegiance.uncertainty.verdicts.coalition_verdicts`: capability share, winning or not,
which members gain by joining), and with ``runs > 0`` also its Monte Carlo probability of winning.

Between two consecutive dates, every estimate whose value changed is a candidate *driver* of the
move. Its effect is measured one change at a time: the earlier state with only that estimate moved
to its later value, minus the earlier state (all changes in one batched model run). The part of the
total move that the single changes do not add up to is reported as *interaction*. A coalition
verdict that flips is attributed to the single changes that flip it on their own.

Example
-------
>>> from allegiance.scenario.model import Scenario
>>> scenario = Scenario.model_validate({
...     "id": "toy", "title": "Toy", "issues": [{"id": "x", "name": "X"}],
...     "actors": [
...         {"id": "a", "name": "A", "capability": 1, "issues": {"x": {"position": {
...          "history": [{"date": "2020-01-01", "value": 20}, {"date": "2020-02-01",
...                                                          "value": 60}]},
...          "salience": 1}}},
...         {"id": "b", "name": "B", "capability": 1, "issues": {"x": {"position": 80,
...          "salience": 1}}}]})
>>> result = run_timeline(scenario, "mean")
>>> [round(point.outcome[0]) for point in result.points]
[50, 70]
>>> result.moves[0].drivers[0]["parameter"]
'a.x.position'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allegiance.models.base import Model
from allegiance.scenario.model import Scenario
from allegiance.uncertainty.montecarlo import (
    named_coalitions,
    resolve_model,
    resolve_seed,
    run_montecarlo,
)
from allegiance.uncertainty.sampling import Sampler
from allegiance.uncertainty.verdicts import DEFAULT_QUOTA, Quota, coalition_verdicts, parse_quota
from allegiance.version import __version__


@dataclass
class TimePoint:
    """The forecast and the coalition verdicts as of one date."""

    date: dt.date
    outcome: np.ndarray  # (n_issues,)
    coalitions: dict[str, dict[str, Any]]
    montecarlo: dict[str, Any] | None = None


@dataclass
class Move:
    """What changed between two dates and which estimate changes drove it."""

    start: dt.date
    end: dt.date
    change: np.ndarray  # (n_issues,) outcome(end) - outcome(start)
    drivers: list[dict[str, Any]]
    interaction: np.ndarray  # (n_issues,) change not explained by the single changes
    verdicts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TimelineResult:
    scenario: Scenario
    model: Model
    seed: int
    points: list[TimePoint]
    moves: list[Move]
    quota: Quota
    runs: int

    def __repr__(self) -> str:
        dates = ", ".join(p.date.isoformat() for p in self.points[:6])
        more = ", ..." if len(self.points) > 6 else ""
        return (f"TimelineResult(scenario={self.scenario.id!r}, model={self.model.name!r}, "
                f"dates=[{dates}{more}], runs={self.runs}, seed={self.seed})")

    def to_frame(self, what: str = "outcomes"):
        """Long table (pandas): ``what="outcomes"`` — ``date, issue, outcome`` (with ``q05,
        median, q95`` when there are draws); ``"coalitions"`` — ``date, coalition, share,
        winning, p_winning``; ``"drivers"`` — ``start, end, parameter, value_from, value_to,
        issue, effect``."""
        from allegiance.frames import frame

        if what == "outcomes":
            rows = []
            for p in self.points:
                for k, issue in enumerate(self.scenario.issue_ids):
                    q = p.montecarlo["issues"][issue]["quantiles"] if p.montecarlo else {}
                    rows.append((p.date, issue, float(p.outcome[k]), q.get("0.05"),
                                 q.get("0.5"), q.get("0.95")))
            return frame(rows, ["date", "issue", "outcome", "q05", "median", "q95"])
        if what == "coalitions":
            rows = [(p.date, name, v["share"], v["winning"],
                     p.montecarlo["coalitions"][name]["p_winning"] if p.montecarlo else None)
                    for p in self.points for name, v in p.coalitions.items()]
            return frame(rows, ["date", "coalition", "share", "winning", "p_winning"])
        if what == "drivers":
            rows = [(m.start, m.end, d["parameter"], d["from"], d["to"], issue, effect)
                    for m in self.moves for d in m.drivers for issue, effect in d["effect"].items()]
            return frame(rows, ["start", "end", "parameter", "value_from", "value_to", "issue",
                                "effect"])
        raise ValueError(f"what must be outcomes, coalitions or drivers; got {what!r}")

    def to_dict(self) -> dict[str, Any]:
        from allegiance.forecast import jsonable

        issues = self.scenario.issue_ids
        return jsonable({
            "kind": "timeline",
            "allegiance_version": __version__,
            "scenario": {"id": self.scenario.id, "title": self.scenario.title,
                         "content_hash": self.scenario.content_hash(),
                         "variant": self.scenario.derived.get("variant")},
            "model": {"name": self.model.name, "parameters": self.model.get_params()},
            "seed": self.seed, "quota": self.quota.description, "runs_per_date": self.runs,
            "dates": [{"date": p.date.isoformat(),
                       "outcome": dict(zip(issues, p.outcome, strict=True)),
                       "coalitions": p.coalitions, "montecarlo": p.montecarlo}
                      for p in self.points],
            "moves": [{"from": m.start.isoformat(), "to": m.end.isoformat(),
                       "change": dict(zip(issues, m.change, strict=True)),
                       "interaction": dict(zip(issues, m.interaction, strict=True)),
                       "drivers": m.drivers, "verdicts": m.verdicts}
                      for m in self.moves],
        })


def parse_date(value: dt.date | str) -> dt.date:
    """A date from a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string (clear error otherwise)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from None


def _verdicts(arrays, outcome, coalitions: dict[str, list[int]], names: dict[str, list[str]],
              quota: Quota) -> dict[str, dict[str, Any]]:
    verdicts = {}
    for name, members in coalitions.items():
        v = coalition_verdicts(arrays, outcome, members, quota)
        verdicts[name] = {
            "share": float(v["share"]), "winning": bool(v["winning"]),
            "gains": {m: bool(g) for m, g in zip(names[name], v["gains"], strict=True)},
        }
    return verdicts


def run_timeline(
    scenario: Scenario,
    model: str | Model = "mean",
    *,
    dates: Sequence[dt.date | str] | None = None,
    seed: int | None = None,
    runs: int = 0,
    quota: str | float | Quota | None = DEFAULT_QUOTA,
    coalitions: Mapping[str, Sequence[str]] | None = None,
    executor=None,
    **params: Any,
) -> TimelineResult:
    """Evaluate ``scenario`` as of each history date (and ``dates``) and explain the moves."""
    model_obj = resolve_model(scenario, model, params)
    quota = parse_quota(quota)
    seed = resolve_seed(scenario, seed) if (runs or model_obj.stochastic) else (
        scenario.seed if scenario.seed is not None else 0)
    every = set(scenario.history_dates()) | {parse_date(d) for d in dates or []}
    if not every:
        raise ValueError(f"scenario {scenario.id!r} has no dated estimates; give --dates")
    named, member_index = named_coalitions(scenario, coalitions)

    points: list[TimePoint] = []
    states: list[Sampler] = []
    for date in sorted(every):
        state = scenario.as_of(date)
        sampler = Sampler(state)
        arrays = state.to_arrays()
        outcome = np.asarray(model_obj.run(arrays, random_state=seed).outcome, dtype=float)
        point = TimePoint(date=date, outcome=outcome,
                          coalitions=_verdicts(arrays, outcome, member_index, named, quota))
        if runs:
            mc = run_montecarlo(state, model_obj, runs=runs, seed=seed, quota=quota,
                                coalitions=coalitions, executor=executor)
            point.montecarlo = {
                "runs": mc.runs,
                "issues": {k: {"mean": v["mean"], "se": v["se"], "quantiles": v["quantiles"]}
                           for k, v in mc.issue_summary().items()},
                "coalitions": {k: {"p_winning": v["p_winning"], "se_winning": v["se_winning"],
                                   "p_gains": v["p_gains"]}
                               for k, v in mc.coalition_summary().items()},
            }
        points.append(point)
        states.append(sampler)

    moves = [_explain_move(states[i], states[i + 1], points[i], points[i + 1], model_obj, seed,
                           member_index, named, quota)
             for i in range(len(points) - 1)]
    return TimelineResult(scenario=scenario, model=model_obj, seed=seed, points=points,
                          moves=moves, quota=quota, runs=runs)


def _explain_move(before: Sampler, after: Sampler, start: TimePoint, end: TimePoint,
                  model: Model, seed: int, member_index: dict[str, list[int]],
                  named: dict[str, list[str]], quota: Quota) -> Move:
    changed = np.flatnonzero(before.value != after.value)
    rows = np.tile(before.value, (len(changed), 1))
    rows[np.arange(len(changed)), changed] = after.value[changed]
    span = np.array([i.scale[1] - i.scale[0] for i in before.scenario.issues])
    total = end.outcome - start.outcome
    drivers: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    single_verdicts: dict[str, dict[str, np.ndarray]] = {}
    effects = np.zeros((0, len(span)))
    if len(changed):
        arrays = before.arrays(rows)
        outcome = np.asarray(model.run(arrays, random_state=seed).outcome, dtype=float)
        effects = outcome - start.outcome
        for name, members in member_index.items():
            single_verdicts[name] = coalition_verdicts(arrays, outcome, members, quota)
        order = np.argsort(-(np.abs(effects) / span).sum(axis=1), kind="stable")
        for i in order:
            p = before.parameters[changed[i]]
            drivers.append({
                "parameter": p.label, "from": float(before.value[changed[i]]),
                "to": float(after.value[changed[i]]),
                "effect": {issue: float(e) for issue, e in
                           zip(before.scenario.issue_ids, effects[i], strict=True)},
            })
    for name in member_index:
        was, now = start.coalitions[name], end.coalitions[name]
        flips: list[dict[str, Any]] = []
        if was["winning"] != now["winning"]:
            by = [before.parameters[changed[i]].label for i in range(len(changed))
                  if bool(single_verdicts[name]["winning"][i]) == now["winning"]]
            flips.append({"what": "winning", "from": was["winning"], "to": now["winning"],
                          "flipped_alone_by": by})
        for m, member in enumerate(named[name]):
            if was["gains"][member] != now["gains"][member]:
                by = [before.parameters[changed[i]].label for i in range(len(changed))
                      if bool(single_verdicts[name]["gains"][i, m]) == now["gains"][member]]
                flips.append({"what": f"{member} gains by joining",
                              "from": was["gains"][member], "to": now["gains"][member],
                              "flipped_alone_by": by})
        if flips or abs(now["share"] - was["share"]) > 1e-12:
            verdicts.append({"coalition": name, "share_from": was["share"],
                             "share_to": now["share"], "flips": flips})
    return Move(start=start.date, end=end.date, change=total, drivers=drivers,
                interaction=total - effects.sum(axis=0), verdicts=verdicts)
