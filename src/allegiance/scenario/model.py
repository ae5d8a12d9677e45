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
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from allegiance.scenario import hashing, limits
from allegiance.scenario.arrays import ScenarioArrays
from allegiance.scenario.checks import check_scenario
from allegiance.scenario.parts import (
    CREDIBILITY,
    RELIABILITY,
    Actor,
    ActorIssue,
    Change,
    Coalition,
    Estimate,
    HistoryEntry,
    Id,
    Issue,
    LeverSet,
    Name,
    ScalePoint,
    Source,
    Text,
    Variant,
    _many,
    _Strict,
    as_date,
    rescale,
)
from allegiance.scenario.problems import Problem, ScenarioInvalid

#: the names this module has always offered, now defined in its neighbours
__all__ = [
    "CREDIBILITY", "RELIABILITY", "Actor", "ActorIssue", "Change", "Coalition", "Estimate",
    "HistoryEntry", "Issue", "LeverSet", "Problem", "ScalePoint", "Scenario", "ScenarioInvalid",
    "Source", "Variant", "check_scenario",
]


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

    @model_validator(mode="before")
    @classmethod
    def _count_stances(cls, data: Any) -> Any:
        """Refuse more than ``max-stances`` actor-issue entries before any is validated."""
        actors = data.get("actors") if isinstance(data, dict) else None
        if isinstance(actors, list):
            stances = (a.get("issues") if isinstance(a, dict) else getattr(a, "issues", None)
                       for a in actors)
            count = sum(len(issues) for issues in stances if isinstance(issues, dict))
            if count > limits.MAX_STANCES:
                raise ValueError(f"the actors have {count:,} stances (an actor's entry on one "
                                 f"issue) in all: write at most {limits.MAX_STANCES:,}, or split "
                                 "the scenario (limit max-stances)")
        return data

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.salience_scale == 100:
            for actor in self.actors:
                for stance in actor.issues.values():
                    stance.salience = rescale(stance.salience, 0.01)
            for variant in self.variants.values():
                for change in variant.changes:
                    if change.field == "salience":
                        change.value = rescale(change.value, 0.01)
            self.salience_scale = 1
        problems = [p for p in check_scenario(self, warnings=False) if p.severity == "error"]
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
        date = as_date(date)
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
        return hashing.content_hash(self)

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
