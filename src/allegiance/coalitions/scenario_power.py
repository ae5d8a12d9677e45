"""Power indices of a scenario's actors: the weighted game whose weights are their capabilities.

No coalitions need to be named: every actor taking part in an issue is a player, its capability
on that issue its weight, and a quota says how much weight wins. Issues on which the actors (or
their capabilities) are the same share one game; the indices are computed once per distinct
game by :class:`~allegiance.coalitions.power.WeightedGame` (exact Shapley–Shubik and Banzhaf
indices by generating functions).

The quota is a rule name (``simple``, ``two-thirds``, ``eec-1958`` ...), a share of the total
weight (``0.6``, ``60%``, ``2/3``, ``>50%``) or an absolute weight: a number greater than 1, such
as ``12`` for the Council of the EEC in 1958 (weights 4, 4, 4, 2, 2, 1).

Example
-------
>>> from fractions import Fraction
>>> rule = read_quota("12")
>>> rule.absolute == Fraction(12), rule.describe()
(True, 'absolute: >= weight 12')
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from allegiance.coalitions.power import PowerIndices, WeightedGame
from allegiance.coalitions.quota import QuotaRule, parse_quota
from allegiance.models.base import ParameterError
from allegiance.scenario.model import Scenario

__all__ = ["IssueGame", "ScenarioPower", "read_quota", "scenario_power"]


def read_quota(spec: str | float | None) -> QuotaRule:
    """A quota rule from the command line: a rule name or share (see
    :func:`~allegiance.coalitions.quota.parse_quota`), or an absolute weight greater than 1.

    >>> read_quota("60%").describe(), read_quota("2/3").strict
    ('60%: >= 60% of total weight', False)
    """
    if spec is None or isinstance(spec, QuotaRule):
        return parse_quota(spec)
    text = str(spec).strip()
    strict = text.startswith(">")
    body = text.lstrip(">=").strip()
    try:
        value = Fraction(body)
    except (ValueError, ZeroDivisionError):
        value = None
    if value is not None and value > 1:
        return QuotaRule("absolute", absolute=value, strict=strict)
    return parse_quota(text)


@dataclass
class IssueGame:
    """One weighted game and the issues it describes."""

    issues: list[str]
    actors: list[str]
    indices: PowerIndices

    @property
    def total_weight(self) -> float:
        return float(self.indices.weights.sum())

    def to_dict(self) -> dict[str, Any]:
        ind = self.indices

        def by_actor(values) -> dict[str, float]:
            return {a: float(v) for a, v in zip(self.actors, values, strict=True)}

        return {
            "issues": list(self.issues),
            "quota": float(ind.threshold),
            "strict": ind.rule.strict,
            "total_weight": self.total_weight,
            "weights": by_actor(ind.weights),
            "shapley_shubik": by_actor(ind.shapley_shubik),
            "banzhaf": by_actor(ind.banzhaf),
            "banzhaf_absolute": by_actor(ind.banzhaf_absolute),
            "exact": bool(ind.exact),
        }


@dataclass
class ScenarioPower:
    """Power indices of a scenario: one :class:`IssueGame` per distinct game."""

    scenario: Scenario
    rule: QuotaRule
    games: list[IssueGame]

    def game_of(self, issue: str) -> IssueGame:
        return next(g for g in self.games if issue in g.issues)

    def to_dict(self) -> dict[str, Any]:
        """The document ``allegiance power --format json`` writes (see docs/coalitions.md)."""
        single = self.games[0].to_dict() if len(self.games) == 1 else None
        keys = ("quota", "strict", "total_weight", "weights", "shapley_shubik", "banzhaf",
                "banzhaf_absolute", "exact")
        document: dict[str, Any] = {
            "scenario": {"id": self.scenario.id, "title": self.scenario.title,
                         "content_hash": self.scenario.content_hash()},
            "rule": self.rule.to_dict(),
            "issues": [i for g in self.games for i in g.issues],
        }
        document.update({k: (single[k] if single else None) for k in keys})
        document["by_issue"] = {issue: {k: v for k, v in g.to_dict().items() if k != "issues"}
                                for g in self.games for issue in g.issues}
        return document

    def __repr__(self) -> str:
        return (f"ScenarioPower({self.scenario.id!r}, {self.rule.describe()!r}, "
                f"{len(self.games)} game(s))")

    def to_frame(self):
        """One row per issue and actor (pandas): ``issue, actor, weight, shapley_shubik,
        banzhaf, banzhaf_absolute``."""
        from allegiance.frames import frame

        rows = [(issue, actor, *(float(getattr(g.indices, name)[a]) for name in (
                    "weights", "shapley_shubik", "banzhaf", "banzhaf_absolute")))
                for g in self.games for issue in g.issues for a, actor in enumerate(g.actors)]
        return frame(rows, ["issue", "actor", "weight", "shapley_shubik", "banzhaf",
                            "banzhaf_absolute"])


def scenario_power(scenario: Scenario, quota: str | float | QuotaRule | None = None,
                   issue: str | None = None) -> ScenarioPower:
    """Shapley–Shubik and Banzhaf indices of the game weighted by the actors' capabilities.

    ``quota``: see :func:`read_quota` (default: simple majority). ``issue``: only that issue.
    Actors absent from an issue are not players in its game.

    >>> from allegiance.io import load_scenario
    >>> power = scenario_power(load_scenario("syria-2014"), "two-thirds")
    >>> round(sum(power.games[0].to_dict()["shapley_shubik"].values()), 9)
    1.0
    """
    rule = read_quota(quota)
    arrays = scenario.to_arrays()
    columns = list(range(arrays.n_issues))
    if issue is not None:
        if issue not in arrays.issue_ids:
            raise KeyError(f"no issue {issue!r} in {scenario.id}; issues: "
                           f"{', '.join(arrays.issue_ids)}")
        columns = [arrays.issue_ids.index(issue)]
    games: list[IssueGame] = []
    seen: dict[tuple, IssueGame] = {}
    for k in columns:
        keep = np.flatnonzero(arrays.present[:, k])
        weights = arrays.capability[keep, k]
        key = (tuple(keep), tuple(weights.tolist()))
        if key in seen:
            seen[key].issues.append(arrays.issue_ids[k])
            continue
        actors = [arrays.actor_ids[a] for a in keep]
        if rule.absolute is not None and rule.absolute > Fraction(float(weights.sum())):
            raise ParameterError(
                f"quota {float(rule.absolute):g} is more than the total weight "
                f"{weights.sum():g} on issue {arrays.issue_ids[k]!r}: no coalition can win")
        game = WeightedGame(weights, rule=rule, labels=actors)
        seen[key] = IssueGame([arrays.issue_ids[k]], actors, game.power_indices())
        games.append(seen[key])
    return ScenarioPower(scenario, rule, games)
