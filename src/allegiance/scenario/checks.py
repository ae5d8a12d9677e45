"""The semantic checks of a scenario: duplicate and unknown ids, values outside scales, ranges
and histories out of order, unknown lever items, and (as warnings) unsourced estimates; every
problem at once, each located by its path.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from allegiance.scenario.lever_sets import lever_problems
from allegiance.scenario.parts import Estimate, ScenarioParts
from allegiance.scenario.problems import Path, Problem

#: the warning given for each estimate that cites no source
UNSOURCED = "no source: this estimate is an analyst assumption"


def _check_estimate(
    path: Path, est: Estimate, bounds: tuple[float | None, float | None], what: str,
    source_ids: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    lo_bound, hi_bound = bounds
    value = est.value
    if (est.low is None and est.high is None and not est.history and math.isfinite(value)
            and (lo_bound is None or value >= lo_bound)
            and (hi_bound is None or value <= hi_bound)):
        # the common case (a bare value), checked without the general machinery below
        for s, sid in enumerate(est.sources):
            if sid not in source_ids:
                problems.append(Problem(path=(*path, "sources", s),
                                        message=f"unknown source {sid!r}"))
        return problems

    hint = (" (saliences are read on 0–1; write `salience_scale: 100` at the top of the file if "
            "they are on 0–100)") if what == "the salience range" else ""

    def check_value(p: Path, value: float | None, label: str) -> None:
        if value is None:
            return
        if not math.isfinite(value):
            problems.append(Problem(path=p, message=f"{label} must be a finite number"))
        elif lo_bound is not None and value < lo_bound or hi_bound is not None and value > hi_bound:
            problems.append(Problem(
                path=p, message=f"{label} {value:g} is outside {what} [{_fmt(lo_bound, '-inf')}, "
                f"{_fmt(hi_bound)}]" + hint))

    def check_range(p: Path, value: float, low: float | None, high: float | None) -> None:
        if low is not None and low > value:
            problems.append(Problem(path=(*p, "low"), message=f"low {low:g} > value {value:g}"))
        if high is not None and high < value:
            problems.append(Problem(path=(*p, "high"), message=f"high {high:g} < value {value:g}"))

    def check_sources(p: Path, ids: list[str]) -> None:
        for s, sid in enumerate(ids):
            if sid not in source_ids:
                problems.append(Problem(path=(*p, "sources", s), message=f"unknown source {sid!r}"))

    check_value((*path, "value"), est.value, "value")
    check_value((*path, "low"), est.low, "low")
    check_value((*path, "high"), est.high, "high")
    check_range(path, est.value, est.low, est.high)
    check_sources(path, est.sources)
    previous: dt.date | None = None
    for h, entry in enumerate(est.history):
        hp = (*path, "history", h)
        check_value((*hp, "value"), entry.value, "value")
        check_value((*hp, "low"), entry.low, "low")
        check_value((*hp, "high"), entry.high, "high")
        check_range(hp, entry.value, entry.low, entry.high)
        check_sources(hp, entry.sources)
        if previous is not None and entry.date < previous:
            problems.append(Problem(path=(*hp, "date"),
                                    message=f"history out of date order: {entry.date} comes after "
                                    f"{previous}"))
        previous = entry.date
    return problems


def _fmt(x: float | None, missing: str = "inf") -> str:
    return missing if x is None else f"{x:g}"


def _duplicates(kind: str, ids: list[str], path: tuple[str, ...]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for index, ident in enumerate(ids):
        if ident in seen:
            problems.append(Problem(path=(*path, index, "id"),
                                    message=f"duplicate {kind} id {ident!r} (first at "
                                    f"{path[-1]}[{seen[ident]}])"))
        else:
            seen[ident] = index
    return problems


def unsourced_warnings(scenario: ScenarioParts) -> list[Problem]:
    """A warning for each estimate that cites no source (in its own entry or its history).

    A constructed :class:`Scenario` has passed :func:`check_scenario`'s errors already, so the
    readers' ``validate`` adds only these.
    """
    problems: list[Problem] = []
    for a, actor in enumerate(scenario.actors):
        estimates = [(("actors", a, "capability"), actor.capability)]
        for issue_id, stance in actor.issues.items():
            ipath = ("actors", a, "issues", issue_id)
            estimates += [((*ipath, "position"), stance.position),
                          ((*ipath, "salience"), stance.salience)]
            if stance.capability is not None:
                estimates.append(((*ipath, "capability"), stance.capability))
        problems += [Problem(path=path, severity="warning", message=UNSOURCED)
                     for path, est in estimates
                     if not est.sources and not (est.history and est.all_sources())]
    return problems


def check_scenario(scenario: ScenarioParts, warnings: bool = True) -> list[Problem]:
    """Every semantic problem of a structurally valid scenario: its errors, then (unless
    ``warnings`` is false) its :func:`unsourced_warnings`."""
    problems: list[Problem] = []
    problems += _duplicates("issue", scenario.issue_ids, ("issues",))
    problems += _duplicates("actor", scenario.actor_ids, ("actors",))
    problems += _duplicates("source", [s.id for s in scenario.sources], ("sources",))
    issues = {i.id: i for i in scenario.issues}
    actor_ids = set(scenario.actor_ids)
    source_ids = {s.id for s in scenario.sources}
    if not scenario.issues:
        problems.append(Problem(path=("issues",), message="a scenario needs at least one issue"))
    if not scenario.actors:
        problems.append(Problem(path=("actors",), message="a scenario needs at least one actor"))
    for k, issue in enumerate(scenario.issues):
        low, high = issue.scale
        if not (np.isfinite(low) and np.isfinite(high)) or low >= high:
            problems.append(Problem(path=("issues", k, "scale"),
                                    message=f"scale must be [low, high] with low < high; got "
                                    f"[{low:g}, {high:g}]"))
        if issue.status_quo is not None and not low <= issue.status_quo <= high:
            problems.append(Problem(path=("issues", k, "status_quo"),
                                    message=f"status quo {issue.status_quo:g} is outside the scale "
                                    f"[{low:g}, {high:g}]"))
        for p, point in enumerate(issue.points):
            if not low <= point.value <= high:
                problems.append(Problem(path=("issues", k, "points", p, "value"),
                                        message=f"labelled point {point.value:g} is outside the "
                                        f"scale [{low:g}, {high:g}]"))
    for a, actor in enumerate(scenario.actors):
        base: Path = ("actors", a)
        problems += _check_estimate((*base, "capability"), actor.capability, (0, None),
                                    "the capability range", source_ids)
        if not actor.issues:
            problems.append(Problem(path=(*base, "issues"),
                                    message=f"actor {actor.id!r} has no estimates on any issue"))
        for issue_id, stance in actor.issues.items():
            ipath: Path = (*base, "issues", issue_id)
            issue = issues.get(issue_id)
            if issue is None:
                problems.append(Problem(path=ipath, message=f"unknown issue {issue_id!r}"))
                continue
            problems += _check_estimate((*ipath, "position"), stance.position, issue.scale,
                                        f"the scale of {issue_id!r}", source_ids)
            problems += _check_estimate((*ipath, "salience"), stance.salience, (0, 1),
                                        "the salience range", source_ids)
            if stance.capability is not None:
                problems += _check_estimate((*ipath, "capability"), stance.capability, (0, None),
                                            "the capability range", source_ids)
    for name, coalition in scenario.coalitions.items():
        if not coalition.members:
            problems.append(Problem(path=("coalitions", name, "members"),
                                    message="a coalition needs at least one member"))
        for m, member in enumerate(coalition.members):
            if member not in actor_ids:
                problems.append(Problem(path=("coalitions", name, "members", m),
                                        message=f"unknown actor {member!r}"))
    if scenario.lever_sets:
        for name, lever_set in scenario.lever_sets.items():
            problems += lever_problems(lever_set.levers, scenario, ("lever_sets", name, "levers"))
    for name, variant in scenario.variants.items():
        for c, change in enumerate(variant.changes):
            cpath: Path = ("variants", name, "changes", c)
            if change.actor not in actor_ids:
                problems.append(Problem(path=(*cpath, "actor"),
                                        message=f"unknown actor {change.actor!r}"))
                continue
            actor = scenario.actor(change.actor)
            if change.issue is None:
                if change.field != "capability":
                    problems.append(Problem(path=(*cpath, "issue"),
                                            message=f"changing {change.field} needs an issue"))
                continue
            if change.issue not in issues:
                problems.append(Problem(path=(*cpath, "issue"),
                                        message=f"unknown issue {change.issue!r}"))
            elif change.issue not in actor.issues:
                problems.append(Problem(path=(*cpath, "issue"),
                                        message=f"actor {change.actor!r} has no stance on "
                                        f"{change.issue!r}"))
            elif change.field == "position":
                scale = issues[change.issue].scale
                if not scale[0] <= change.value.value <= scale[1]:
                    problems.append(Problem(path=(*cpath, "value"),
                                            message=f"position {change.value.value:g} outside "
                                            f"the scale [{scale[0]:g}, {scale[1]:g}]"))
            elif change.field == "salience" and not 0 <= change.value.value <= 1:
                problems.append(Problem(path=(*cpath, "value"),
                                        message="salience must lie in [0, 1]"))
    return [*problems, *unsourced_warnings(scenario)] if warnings else problems
