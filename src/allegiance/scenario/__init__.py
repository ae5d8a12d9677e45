"""The scenario data structure and its numeric view."""

from allegiance.scenario.arrays import ScenarioArrays
from allegiance.scenario.model import (
    CREDIBILITY,
    RELIABILITY,
    Actor,
    ActorIssue,
    Coalition,
    Estimate,
    HistoryEntry,
    Issue,
    LeverSet,
    Problem,
    Scenario,
    ScenarioInvalid,
    Source,
    Variant,
    check_scenario,
)

__all__ = [
    "CREDIBILITY",
    "RELIABILITY",
    "Actor",
    "ActorIssue",
    "Coalition",
    "Estimate",
    "HistoryEntry",
    "Issue",
    "LeverSet",
    "Problem",
    "Scenario",
    "ScenarioArrays",
    "ScenarioInvalid",
    "Source",
    "Variant",
    "check_scenario",
]
