"""One candidate coalition assessed in one state of a scenario: its capability share, whether
it wins, its spread and agreed position, who gains by joining and who would rather stay out, its
pivotal members, strongest opponents and possible joiners, and the forecast with the members
acting as one (the measures are defined in :mod:`allegiance.coalitions.report`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from allegiance.coalitions.power import WeightedGame
from allegiance.coalitions.quota import QuotaRule, parse_quota
from allegiance.coalitions.utility import (
    acting_as_one,
    agreed_position,
    game_weights,
    utility,
    wins_on_issues,
)
from allegiance.models.base import Model, ParameterError
from allegiance.scenario.arrays import ScenarioArrays

WEIGHTINGS = ("capability", "capability*salience")


#: Number of strongest opponents listed.
N_OPPONENTS = 3


@dataclass
class IssueAssessment:
    issue: str
    share: float  # members' capability / capability of all actors present on the issue
    winning: bool
    spread: float | None  # max - min of members' positions (None: no member on the issue)
    spread_share: float | None  # spread / scale width
    agreed_position: float | None
    forecast_outcome: float  # model outcome without the coalition
    outcome_with_coalition: float  # model outcome with the members acting as one
    pivotal: list[str]


@dataclass
class MemberAssessment:
    actor: str
    utility_agreed: float  # utility of the agreed position
    utility_forecast: float  # utility of the forecast outcome without the coalition
    gain: float  # utility_agreed - utility_forecast
    gains_by_joining: bool
    pivotal_on: list[str]  # issues where its exit makes the coalition lose
    power: dict[str, float]  # Shapley–Shubik index in the whole game, per issue


@dataclass
class CoalitionAssessment:
    name: str
    members: list[str]
    origin: str  # "scenario" or "given"
    state: str  # date (YYYY-MM-DD) or "current"
    share: float  # mean over issues of the capability share
    winning: bool  # winning on every issue
    issues_won: int
    n_issues: int
    minimal_winning: bool  # winning and every member pivotal
    pivotal: list[str]  # pivotal on at least one issue
    stay_out: list[str]  # members that would rather stay out (negative gain)
    opponents: list[dict[str, Any]]  # strongest opponents: actor, opposition
    joiners: list[str]  # non-members whose joining alone makes a losing coalition win
    issues: list[IssueAssessment]
    member_details: list[MemberAssessment]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        return (f"CoalitionAssessment(name={self.name!r}, state={self.state!r}, "
                f"winning={self.winning}, share={self.share:.3f})")

    def to_frame(self):
        """Per issue (pandas): ``coalition, state, issue, share, winning, spread,
        agreed_position, forecast_outcome, outcome_with_coalition``."""
        from allegiance.frames import frame

        return frame([(self.name, self.state, i.issue, i.share, i.winning, i.spread,
                       i.agreed_position, i.forecast_outcome, i.outcome_with_coalition)
                      for i in self.issues],
                     ["coalition", "state", "issue", "share", "winning", "spread",
                      "agreed_position", "forecast_outcome", "outcome_with_coalition"])


def shapley_by_issue(arrays: ScenarioArrays, weights: np.ndarray, rule: QuotaRule
                      ) -> dict[str, dict[str, float]]:
    power: dict[str, dict[str, float]] = {}
    for k, issue_id in enumerate(arrays.issue_ids):
        if weights[:, k].sum() <= 0:
            power[issue_id] = {a: 0.0 for a in arrays.actor_ids}
            continue
        game = WeightedGame(weights[:, k], rule=rule, labels=arrays.actor_ids)
        values = game.power_indices(indices=("shapley_shubik",)).shapley_shubik
        power[issue_id] = {a: float(v) for a, v in zip(arrays.actor_ids, values, strict=True)}
    return power


def run_outcome(model: Model, arrays: ScenarioArrays, seed) -> np.ndarray:
    return np.asarray(model.run(arrays, random_state=seed).outcome, dtype=float)


def _round(value: float, digits: int = 6) -> float:
    return float(round(float(value), digits))


def assess_coalition(
    arrays: ScenarioArrays,
    members,
    *,
    model: Model,
    rule: QuotaRule | str | None = None,
    weighting: str = "capability",
    name: str = "",
    origin: str = "given",
    state: str = "current",
    seed: int | None = 0,
    forecast_outcome: np.ndarray | None = None,
    power: dict[str, dict[str, float]] | None = None,
) -> CoalitionAssessment:
    """Assess one coalition on unbatched ``arrays`` (see the module notes for each quantity).

    ``model`` gives the forecast outcome without the coalition (``forecast_outcome`` may be passed
    to reuse it) and with the members acting as one.
    """
    if arrays.batch_shape:
        raise ParameterError("assess_coalition takes unbatched arrays (select a draw first)")
    rule = parse_quota(rule)
    if weighting not in WEIGHTINGS:
        raise ParameterError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    index = {a: i for i, a in enumerate(arrays.actor_ids)}
    members = list(dict.fromkeys(str(m) for m in members))
    if not members:
        raise ParameterError(f"coalition {name or '(given)'} has no members")
    unknown = [m for m in members if m not in index]
    if unknown:
        raise ParameterError(
            f"coalition {name or '(given)'}: unknown actor(s) {', '.join(unknown)}; "
            f"actors are {', '.join(arrays.actor_ids)}"
        )
    mask = np.zeros(arrays.n_actors, dtype=bool)
    mask[[index[m] for m in members]] = True
    weights = game_weights(arrays, weighting)
    totals = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, weights[mask].sum(axis=0) / totals, 0.0)
    wins = wins_on_issues(weights, mask, rule)
    width = arrays.scale_high - arrays.scale_low
    width = np.where(width > 0, width, 1.0)

    if forecast_outcome is None:
        forecast_outcome = run_outcome(model, arrays, seed)
    forecast_outcome = np.asarray(forecast_outcome, dtype=float)

    # agreed position: capability × salience weighted mean of the members present
    agreed, member_present = agreed_position(arrays, mask)
    # where no member cares, the coalition takes no position: the forecast stands there
    agreed_or_forecast = np.where(np.isfinite(agreed), agreed, forecast_outcome)
    outcome_with = run_outcome(model, acting_as_one(arrays, mask, agreed), seed)

    utility_agreed = utility(arrays, agreed_or_forecast)
    utility_forecast = utility(arrays, forecast_outcome)
    gain = utility_agreed - utility_forecast

    # pivotal: exit turns a won issue into a lost one
    pivotal_on: dict[str, list[str]] = {m: [] for m in members}
    for member in members:
        without = mask.copy()
        without[index[member]] = False
        lost = wins & ~wins_on_issues(weights, without, rule)
        pivotal_on[member] = [arrays.issue_ids[k] for k in np.flatnonzero(lost)]

    # strongest opponents
    opposition = (arrays.capability * arrays.salience * arrays.present
                  * np.abs(arrays.position - agreed_or_forecast) / width).sum(axis=1)
    outsiders = [i for i in range(arrays.n_actors) if not mask[i]]
    outsiders.sort(key=lambda i: (-opposition[i], arrays.actor_ids[i]))
    opponents = [
        {"actor": arrays.actor_ids[i], "opposition": _round(opposition[i])}
        for i in outsiders[:N_OPPONENTS] if opposition[i] > 0
    ]

    joiners: list[str] = []
    if not wins.all():
        for i in outsiders:
            bigger = mask.copy()
            bigger[i] = True
            if wins_on_issues(weights, bigger, rule)[totals > 0].all():
                joiners.append(arrays.actor_ids[i])

    if power is None:
        power = shapley_by_issue(arrays, weights, rule)

    issues = []
    for k, issue_id in enumerate(arrays.issue_ids):
        here = member_present[:, k]
        spread = float(np.ptp(arrays.position[here, k])) if here.any() else None
        issues.append(IssueAssessment(
            issue=issue_id,
            share=_round(shares[k]),
            winning=bool(wins[k]),
            spread=None if spread is None else _round(spread),
            spread_share=None if spread is None else _round(spread / width[k]),
            agreed_position=None if not np.isfinite(agreed[k]) else _round(agreed[k]),
            forecast_outcome=_round(forecast_outcome[k]),
            outcome_with_coalition=_round(outcome_with[k]),
            pivotal=[m for m in members if issue_id in pivotal_on[m]],
        ))
    details = [
        MemberAssessment(
            actor=m,
            utility_agreed=_round(utility_agreed[index[m]]),
            utility_forecast=_round(utility_forecast[index[m]]),
            gain=_round(gain[index[m]]),
            gains_by_joining=bool(gain[index[m]] >= -1e-12),
            pivotal_on=pivotal_on[m],
            power={issue: _round(values[m]) for issue, values in power.items()},
        )
        for m in members
    ]
    active = totals > 0
    pivotal = [m for m in members if pivotal_on[m]]
    winning = bool(wins[active].all()) if active.any() else False
    return CoalitionAssessment(
        name=name or ",".join(members),
        members=members,
        origin=origin,
        state=state,
        share=_round(shares[active].mean() if active.any() else 0.0),
        winning=winning,
        issues_won=int(wins.sum()),
        n_issues=int(active.sum()),
        minimal_winning=bool(winning and len(pivotal) == len(members)),
        pivotal=pivotal,
        stay_out=[d.actor for d in details if not d.gains_by_joining],
        opponents=opponents,
        joiners=joiners,
        issues=issues,
        member_details=details,
    )
