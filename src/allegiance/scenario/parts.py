"""The pieces a scenario is built from: estimates with their history, issues, actors, sources
graded on the Admiralty scale, coalitions, what-if variants and lever sets (pydantic v2).

:class:`~allegiance.scenario.model.Scenario` assembles them; the semantic checks that relate them
to one another are in :mod:`allegiance.scenario.checks`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal, Protocol

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
    # defer_build: a class's validator is built when first used, not when the class is defined;
    # most processes validate whole scenarios only, so the parts' own validators are never built
    # (about 6% of loading a small scenario in a fresh process, in paired runs)
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True,
                              defer_build=True)


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


def rescale(estimate: Estimate, factor: float) -> Estimate:
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


def as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date (expected YYYY-MM-DD): {value!r}") from None


class ScenarioParts(Protocol):
    """What the scenario's checks and lever lists read of it.

    :class:`allegiance.scenario.model.Scenario` is the one implementation; the modules it calls to
    validate itself (``checks``, ``lever_sets``) take this instead, so that they need not import
    the model that imports them.
    """

    id: str
    issues: list[Issue]
    actors: list[Actor]
    sources: list[Source]
    coalitions: dict[str, Coalition]
    variants: dict[str, Variant]
    lever_sets: dict[str, LeverSet]

    @property
    def actor_ids(self) -> list[str]: ...

    @property
    def issue_ids(self) -> list[str]: ...

    def actor(self, actor_id: str) -> Actor: ...
