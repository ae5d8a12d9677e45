"""The scenario: the one data structure of Allegiance (pydantic v2).

A scenario states a contested decision explicitly: the *issues* (each on an explicit scale with
labelled ends), the *actors* (capability, and per issue a position and a salience), the *sources*
the estimates rest on (graded on the Admiralty scale), named candidate *coalitions* and what-if
*variants*. Every estimate is a number or an :class:`Estimate` with a plausible range, sources, a
note and a dated history, so the scenario can be evaluated *as of* a date.

Semantic checks (unknown ids, values outside scales, ranges out of order...) run when a scenario
is built and report every problem at once as a :class:`ScenarioInvalid` whose problems carry the
path of the offending field; :mod:`allegiance.io` maps those paths to file lines and columns.

Example
-------
>>> s = Scenario.model_validate({
...     "id": "toy", "title": "Toy",
...     "issues": [{"id": "tax", "name": "Tax rate"}],
...     "actors": [
...         {"id": "a", "name": "A", "capability": 1,
...          "issues": {"tax": {"position": 20, "salience": 0.5}}},
...         {"id": "b", "name": "B", "capability": 2,
...          "issues": {"tax": {"position": 80, "salience": 1}}},
...     ],
... })
>>> s.to_arrays().position.tolist()
[[20.0], [80.0]]
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from allegiance.scenario import limits
from allegiance.scenario.arrays import ScenarioArrays

Path = tuple[str | int, ...]

RELIABILITY = {
    "A": "Completely reliable: no doubt of authenticity, trustworthiness or competence; a history "
    "of complete reliability",
    "B": "Usually reliable: minor doubt; a history of valid information most of the time",
    "C": "Fairly reliable: doubt; provided valid information in the past",
    "D": "Not usually reliable: significant doubt; provided valid information in the past",
    "E": "Unreliable: lacking in authenticity, trustworthiness and competency; a history of "
    "invalid information",
    "F": "Reliability cannot be judged: no basis for evaluating the source",
}
CREDIBILITY = {
    1: "Confirmed by other sources: logical in itself, consistent with other information",
    2: "Probably true: not confirmed; logical in itself; consistent with other information",
    3: "Possibly true: not confirmed; reasonably logical; agrees with some other information",
    4: "Doubtful: not confirmed; possible but not logical; no other information on the subject",
    5: "Improbable: not confirmed; not logical; contradicted by other information",
    6: "Truth cannot be judged: no basis for evaluating the validity of the information",
}


class Problem(BaseModel):
    """One thing wrong (or worth a warning) in a scenario, located by its path."""

    path: Path
    message: str
    severity: Literal["error", "warning"] = "error"
    # filled in by the file readers
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def field(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text or "(top level)"

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.field()}: {self.message}"


class ScenarioInvalid(Exception):
    """Every problem found in a scenario (not a ValueError, so pydantic lets it through)."""

    def __init__(self, problems: list[Problem], source: str | None = None):
        self.problems = problems
        self.source = source
        errors = [p for p in problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in {source or 'scenario'}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in errors))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _bounded(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number, not inf or nan")
    if abs(value) > limits.MAX_MAGNITUDE:
        raise ValueError(f"{value:g} is too large: numbers are limited to magnitude "
                         f"{limits.MAX_MAGNITUDE:g} (limit max-magnitude)")
    return value


#: a finite number of bounded magnitude: every number a scenario holds
Number = Annotated[float, AfterValidator(_bounded)]
Id = Annotated[str, StringConstraints(max_length=limits.MAX_ID_CHARS)]
Name = Annotated[str, StringConstraints(max_length=limits.MAX_NAME_CHARS)]
Text = Annotated[str, StringConstraints(max_length=limits.MAX_TEXT_CHARS)]


def _many(maximum: int = limits.MAX_ITEMS):
    """A list field holding at most ``maximum`` items."""
    return Field(default_factory=list, max_length=maximum)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class HistoryEntry(_Strict):
    """A dated estimate: the value believed from ``date`` on."""

    date: dt.date
    value: Number
    low: Number | None = None
    high: Number | None = None
    sources: list[Id] = _many()
    note: Text = ""


class Estimate(_Strict):
    """A judgement: a value, an optional plausible range, its sources, a note and dated history.

    ``value`` is the current estimate (the one used when no date is asked for); it defaults to the
    latest history entry's value. :meth:`at` gives the estimate as of a date: the latest history
    entry dated on or before it; before the first dated entry, the first entry holds (the earliest
    dated judgement is carried back).
    """

    value: Number
    low: Number | None = None
    high: Number | None = None
    sources: list[Id] = _many()
    note: Text = ""
    history: list[HistoryEntry] = _many(limits.MAX_HISTORY)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a mapping with 'value'")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, dict) and "value" not in data and data.get("history"):
            history = data["history"]
            if isinstance(history, list) and history and isinstance(history[-1], dict):
                dated = [h for h in history if isinstance(h, dict) and "value" in h]
                if dated:
                    data = {**data, "value": dated[-1]["value"]}
        return data

    def at(self, date: dt.date) -> Estimate:
        """The estimate as of ``date`` (without history: itself)."""
        if not self.history:
            return self
        chosen = self.history[0]
        for entry in self.history:
            if entry.date <= date:
                chosen = entry
        return Estimate(
            value=chosen.value,
            low=chosen.low,
            high=chosen.high,
            sources=chosen.sources or self.sources,
            note=chosen.note or self.note,
        )

    def all_sources(self) -> list[str]:
        found = list(self.sources)
        for entry in self.history:
            found.extend(entry.sources)
        return found


class ScalePoint(_Strict):
    value: Number
    label: Name


class Issue(_Strict):
    """A question on an explicit scale ``[low, high]`` whose ends are labelled."""

    id: Id
    name: Name
    description: Text = ""
    scale: tuple[Number, Number] = (0.0, 100.0)
    low_label: Name = ""
    high_label: Name = ""
    points: list[ScalePoint] = _many()
    status_quo: Number | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ActorIssue(_Strict):
    """An actor's stance on one issue."""

    position: Estimate
    salience: Estimate
    capability: Estimate | None = None


class Actor(_Strict):
    id: Id
    name: Name
    description: Text = ""
    groups: list[Id] = _many()
    capability: Estimate
    issues: dict[str, ActorIssue] = Field(default_factory=dict)


class Source(_Strict):
    """A source graded on the Admiralty (NATO) scale: reliability A–F, credibility 1–6."""

    id: Id
    title: Name
    author: Name = ""
    publisher: Name = ""
    date: dt.date | None = None
    url: Text = ""
    reliability: Literal["A", "B", "C", "D", "E", "F"] = "F"
    credibility: Literal[1, 2, 3, 4, 5, 6] = 6
    note: Text = ""

    @field_validator("reliability", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def grade(self) -> str:
        return f"{self.reliability}{self.credibility}"


class Coalition(_Strict):
    members: list[Id] = Field(max_length=limits.MAX_ACTORS)
    description: Text = ""


class Change(_Strict):
    """One change a variant makes: ``field`` of ``actor`` (on ``issue``) becomes ``value``."""

    actor: Id
    issue: Id | None = None
    field: Literal["position", "salience", "capability"]
    value: Estimate


class Variant(_Strict):
    description: Text = ""
    changes: list[Change] = _many()


class LeverSet(_Strict):
    """A named list of estimates an analysis may move (:mod:`allegiance.scenario.lever_sets`)."""

    description: Text = ""
    levers: list[Name] = Field(max_length=limits.MAX_ITEMS)


class Scenario(_Strict):
    """A contested decision stated explicitly (see docs/scenario-format.md)."""

    id: Id
    title: Name
    description: Text = ""
    date: dt.date | None = None
    salience_scale: Literal[1, 100] = Field(
        1, description="1 if saliences are given in 0–1 (stored form); 100 to read them as 0–100"
    )
    issues: list[Issue] = Field(max_length=limits.MAX_ISSUES)
    actors: list[Actor] = Field(max_length=limits.MAX_ACTORS)
    sources: list[Source] = _many()
    coalitions: dict[Id, Coalition] = Field(default_factory=dict, max_length=limits.MAX_ITEMS)
    variants: dict[Id, Variant] = Field(default_factory=dict, max_length=limits.MAX_ITEMS)
    lever_sets: dict[Id, LeverSet] = Field(
        default_factory=dict, max_length=limits.MAX_ITEMS,
        description="named lever lists (FIELD[:ACTOR[@ISSUE]] items) for `allegiance levers`")
    model_parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    seed: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    #: set by as_of() / variant(): what this scenario was derived as (not part of the substance)
    derived: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.salience_scale == 100:
            for actor in self.actors:
                for stance in actor.issues.values():
                    stance.salience = _rescale(stance.salience, 0.01)
            for variant in self.variants.values():
                for change in variant.changes:
                    if change.field == "salience":
                        change.value = _rescale(change.value, 0.01)
            self.salience_scale = 1
        problems = [p for p in check_scenario(self) if p.severity == "error"]
        if problems:
            raise ScenarioInvalid(problems)
        return self

    # ------------------------------------------------------------------ look-ups
    def __repr__(self) -> str:
        derived = "".join(f", {k}={v!r}" for k, v in self.derived.items()) if self.derived else ""
        return (f"Scenario(id={self.id!r}, {len(self.actors)} actors, {len(self.issues)} issues, "
                f"{len(self.sources)} sources{derived})")

    def actor(self, actor_id: str) -> Actor:
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise KeyError(f"no actor {actor_id!r} in scenario {self.id!r}")

    def issue(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(f"no issue {issue_id!r} in scenario {self.id!r}")

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(f"no source {source_id!r} in scenario {self.id!r}")

    @property
    def actor_ids(self) -> list[str]:
        return [a.id for a in self.actors]

    @property
    def issue_ids(self) -> list[str]:
        return [i.id for i in self.issues]

    # ------------------------------------------------------------------ derived scenarios
    def estimates(self):
        """Yield ``(path, estimate)`` for every estimate (capability, position, salience)."""
        for a, actor in enumerate(self.actors):
            yield ("actors", a, "capability"), actor.capability
            for issue_id, stance in actor.issues.items():
                yield ("actors", a, "issues", issue_id, "position"), stance.position
                yield ("actors", a, "issues", issue_id, "salience"), stance.salience
                if stance.capability is not None:
                    yield ("actors", a, "issues", issue_id, "capability"), stance.capability

    def history_dates(self) -> list[dt.date]:
        """Every date that appears in an estimate's history, sorted."""
        return sorted({h.date for _, est in self.estimates() for h in est.history})

    def as_of(self, date: dt.date | str) -> Scenario:
        """This scenario with each estimate's latest value on or before ``date``."""
        date = _as_date(date)
        data = self.model_copy(deep=True)
        for actor in data.actors:
            actor.capability = actor.capability.at(date)
            for stance in actor.issues.values():
                stance.position = stance.position.at(date)
                stance.salience = stance.salience.at(date)
                if stance.capability is not None:
                    stance.capability = stance.capability.at(date)
        data.derived = {**self.derived, "as_of": date.isoformat()}
        return data

    def variant(self, name: str) -> Scenario:
        """This scenario with the named what-if variant's changes applied."""
        if name not in self.variants:
            known = ", ".join(self.variants) or "none"
            raise KeyError(f"no variant {name!r} in scenario {self.id!r} (variants: {known})")
        data = self.model_copy(deep=True)
        for change in self.variants[name].changes:
            actor = data.actor(change.actor)
            if change.issue is None:
                actor.capability = change.value
            else:
                stance = actor.issues[change.issue]
                setattr(stance, change.field, change.value)
        data.derived = {**self.derived, "variant": name}
        checked = Scenario.model_validate(data.model_dump())
        return checked.model_copy(update={"derived": data.derived})

    def content_hash(self) -> str:
        from allegiance.scenario.hashing import content_hash

        return content_hash(self)

    # ------------------------------------------------------------------ arrays
    def to_arrays(self) -> ScenarioArrays:
        """Positions, saliences and capabilities as arrays of shape ``(n_actors, n_issues)``.

        An actor without a stance on an issue is absent from it: ``present`` is False, its salience
        and capability there are 0, and its position is the scale's midpoint (never used).
        """
        n, m = len(self.actors), len(self.issues)
        position = np.zeros((n, m))
        salience = np.zeros((n, m))
        capability = np.zeros((n, m))
        present = np.zeros((n, m), dtype=bool)
        low = np.array([i.scale[0] for i in self.issues], dtype=float)
        high = np.array([i.scale[1] for i in self.issues], dtype=float)
        for a, actor in enumerate(self.actors):
            for k, issue in enumerate(self.issues):
                stance = actor.issues.get(issue.id)
                if stance is None:
                    position[a, k] = (low[k] + high[k]) / 2
                    continue
                present[a, k] = True
                position[a, k] = stance.position.value
                salience[a, k] = stance.salience.value
                cap = stance.capability if stance.capability is not None else actor.capability
                capability[a, k] = cap.value
        status_quo = np.array(
            [np.nan if i.status_quo is None else i.status_quo for i in self.issues], dtype=float
        )
        return ScenarioArrays(
            actor_ids=tuple(self.actor_ids),
            issue_ids=tuple(self.issue_ids),
            position=position,
            salience=salience,
            capability=capability,
            scale_low=low,
            scale_high=high,
            status_quo=status_quo,
            present=present,
            issue_metadata=tuple(dict(i.metadata) for i in self.issues),
        )


def _rescale(estimate: Estimate, factor: float) -> Estimate:
    def scale(x: float | None) -> float | None:
        return None if x is None else x * factor

    return estimate.model_copy(
        update={
            "value": estimate.value * factor,
            "low": scale(estimate.low),
            "high": scale(estimate.high),
            "history": [
                h.model_copy(update={"value": h.value * factor, "low": scale(h.low),
                                     "high": scale(h.high)})
                for h in estimate.history
            ],
        }
    )


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from None


# ---------------------------------------------------------------------- semantic checks
def _check_estimate(
    path: Path, est: Estimate, bounds: tuple[float | None, float | None], what: str,
    source_ids: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    lo_bound, hi_bound = bounds

    hint = (" (saliences are read on 0–1; write `salience_scale: 100` at the top of the file if "
            "they are on 0–100)") if what == "the salience range" else ""

    def check_value(p: Path, value: float | None, label: str) -> None:
        if value is None:
            return
        if not np.isfinite(value):
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
    if not est.all_sources():
        problems.append(Problem(path=path, severity="warning",
                                message="no source: this estimate is an analyst assumption"))
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


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every semantic problem (errors and warnings) of a structurally valid scenario."""
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
        from allegiance.scenario.lever_sets import lever_problems

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
    return problems
