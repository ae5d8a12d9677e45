"""The candidate-coalition report: is this coalition viable, who holds it together, who would
rather stay out, and how did that change between dated states of the scenario?

For each candidate coalition (the scenario's named ones and any set given by the caller), in
each state of the scenario (each date of its history, or one date with ``as_of``):

- **capability share** on each issue: the members' capability over the capability of every actor
  present on the issue; the *combined* share is the mean over issues;
- **winning**: whether the members' capability meets the quota rule
  (:func:`~allegiance.coalitions.quota.parse_quota`, default: more than half) on each issue;
  the coalition is winning when it wins on every issue;
- **spread**: on each issue, the distance between the members' extreme positions;
- **agreed position**: on each issue, the members' capability × salience weighted mean position —
  the compromise they could agree on (the compromise model of Achen 2006 applied to the members);
- **utility and gain**: an actor's utility for an outcome ``x`` is its salience-weighted closeness
  to ``x`` on each issue's scale,

  ``U_i(x) = sum_k s_ik (1 - |x_k - p_ik| / (high_k - low_k)) / sum_k s_ik``

  (in [0, 1]; 1 = every issue settled at the actor's position; issues the actor is absent from
  do not count). A member *gains by joining* when ``U_i(agreed position) >= U_i(forecast
  outcome)``, the forecast being the model's outcome with every actor acting on its own (the
  coalition not formed). Members with a negative gain *would rather stay out*;
- **pivotal members**: members whose exit turns the coalition from winning to losing on an issue
  it wins (its *swing* members; a coalition all of whose members are pivotal is minimal winning);
- **strongest opponents**: non-members ranked by their opposition to the agreed position,
  ``sum_k c_jk s_jk |p_jk - agreed_k| / (high_k - low_k)`` (capability × salience × distance);
- **joiners**: for a losing coalition, the non-members whose joining alone would make it win;
- the **forecast with the coalition**: the same model run with the members' positions moved to the
  agreed position (they act as one), for comparison with the forecast without it.

Everything is returned as dataclasses of plain Python values (``to_dict()`` is JSON-able); the
Rich rendering lives in :mod:`allegiance.cli.render.coalitions`.

Example
-------
>>> import allegiance
>>> report = coalition_report(allegiance.load_scenario("syria-2014"), model="mean")
>>> report.states
['2014-08-01', '2014-09-08']
>>> [a.winning for a in report.coalitions["regional"]]
[False, False]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from allegiance.coalitions.assessment import (
    WEIGHTINGS,
    CoalitionAssessment,
    IssueAssessment,
    MemberAssessment,
    assess_coalition,
    shapley_by_issue,
)
from allegiance.coalitions.blocs import blocs, blocs_across_issues
from allegiance.coalitions.formation import (
    DEFAULT_CAP,
    EnumerationLimitError,
    count_minimal_winning,
    minimal_connected_winning,
    minimal_range_winning,
    minimal_winning_coalitions,
)
from allegiance.coalitions.quota import QuotaRule, parse_quota
from allegiance.coalitions.utility import (
    acting_as_one,
    agreed_position,
    game_weights,
    utility,
    wins_on_issues,
)
from allegiance.models.base import Model, ParameterError
from allegiance.models.registry import make_model
from allegiance.scenario.arrays import ScenarioArrays

__all__ = [
    "CoalitionAssessment",
    "CoalitionReport",
    "IssueAssessment",
    "MemberAssessment",
    "acting_as_one",
    "agreed_position",
    "assess_coalition",
    "candidate_coalitions",
    "coalition_report",
    "game_weights",
    "utility",
    "wins_on_issues",
]


@dataclass
class CoalitionReport:
    scenario: str
    model: str
    rule: dict[str, Any]
    weighting: str
    states: list[str]
    issues: list[str]
    coalitions: dict[str, list[CoalitionAssessment]]  # name -> one assessment per state
    changes: dict[str, list[str]]  # name -> what changed from one state to the next
    power: dict[str, dict[str, dict[str, float]]]  # state -> issue -> actor -> Shapley–Shubik
    #: state -> issue -> theory -> listing (see :func:`candidate_coalitions`)
    candidates: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: state -> {"per_issue": {issue: [bloc]}, "across_issues": [bloc], "tolerance": share}:
    #: actors whose final forecast positions lie within the tolerance of each other
    blocs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"CoalitionReport(scenario={self.scenario!r}, model={self.model!r}, "
                f"states={self.states}, coalitions={list(self.coalitions)})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_frame(self, what: str = "issues"):
        """Long table (pandas): ``what="issues"`` — one row per coalition, state and issue (see
        :meth:`CoalitionAssessment.to_frame`); ``"members"`` — ``coalition, state, actor, gain,
        gains_by_joining, pivotal_on``; ``"coalitions"`` — ``coalition, state, share, winning,
        issues_won, pivotal, stay_out``."""
        from allegiance.frames import frame

        every = [a for items in self.coalitions.values() for a in items]
        if what == "issues":
            import pandas as pd

            return pd.concat([a.to_frame() for a in every], ignore_index=True)
        if what == "members":
            return frame([(a.name, a.state, d.actor, d.gain, d.gains_by_joining,
                           ",".join(d.pivotal_on)) for a in every for d in a.member_details],
                         ["coalition", "state", "actor", "gain", "gains_by_joining",
                          "pivotal_on"])
        if what == "coalitions":
            return frame([(a.name, a.state, a.share, a.winning, a.issues_won, ",".join(a.pivotal),
                           ",".join(a.stay_out)) for a in every],
                         ["coalition", "state", "share", "winning", "issues_won", "pivotal",
                          "stay_out"])
        raise ValueError(f"what must be issues, members or coalitions; got {what!r}")


def candidate_coalitions(
    arrays: ScenarioArrays, rule: QuotaRule, *, weighting: str = "capability", top: int = 5,
    cap: int = DEFAULT_CAP,
) -> dict[str, dict[str, Any]]:
    """Per issue, the best-ranked coalitions of each theory (Riker, Axelrod, Leiserson/de Swaan).

    Each theory's entry has ``count`` (how many coalitions it lists in all), ``coalitions`` (the
    first ``top``, as dicts) and, when the minimal winning coalitions exceed ``cap``, ``error``.
    """
    weights = game_weights(arrays, weighting)
    out: dict[str, dict[str, Any]] = {}
    for k, issue_id in enumerate(arrays.issue_ids):
        present = arrays.present[:, k]
        entry: dict[str, Any] = {}
        if weights[:, k].sum() <= 0:
            out[issue_id] = entry
            continue
        args = dict(rule=rule, labels=arrays.actor_ids)
        try:
            listed = minimal_winning_coalitions(weights[:, k], cap=cap, **args)
            entry["minimal_winning"] = {
                "count": len(listed), "coalitions": [c.to_dict() for c in listed[:top]]}
        except EnumerationLimitError as exc:
            entry["minimal_winning"] = {
                "count": count_minimal_winning(weights[:, k], rule=rule), "coalitions": [],
                "error": str(exc)}
        for key, function in (("minimal_connected", minimal_connected_winning),
                              ("minimal_range", minimal_range_winning)):
            listed = function(weights[:, k], arrays.position[:, k], present=present, **args)
            entry[key] = {"count": len(listed),
                          "coalitions": [c.to_dict() for c in listed[:top]]}
        out[issue_id] = entry
    return out


def _parse_given(given) -> dict[str, list[str]]:
    """``["a,b,c", "name=a,b"]`` or a mapping -> {name: members}."""
    if given is None:
        return {}
    if isinstance(given, dict):
        return {str(k): [str(m) for m in v] for k, v in given.items()}
    out: dict[str, list[str]] = {}
    for item in given:
        if isinstance(item, str):
            name, sep, body = item.partition("=")
            if not sep:
                name, body = "", item
            members = [m.strip() for m in body.split(",") if m.strip()]
        else:
            name, members = "", [str(m) for m in item]
        if not members:
            raise ParameterError(f"coalition {item!r} has no members (write a,b,c or name=a,b,c)")
        out[name.strip() or ",".join(members)] = members
    return out


def _changes(assessments: list[CoalitionAssessment]) -> list[str]:
    lines = []
    for before, after in zip(assessments, assessments[1:], strict=False):
        span = f"{before.state} -> {after.state}"
        if before.winning != after.winning:
            lines.append(f"{span}: {'now winning' if after.winning else 'no longer winning'}")
        if abs(after.share - before.share) >= 0.0005:
            lines.append(f"{span}: capability share {before.share:.1%} -> {after.share:.1%}")
        for label, old, new in (("pivotal", before.pivotal, after.pivotal),
                                ("would rather stay out", before.stay_out, after.stay_out)):
            added = [a for a in new if a not in old]
            removed = [a for a in old if a not in new]
            if added or removed:
                parts = [f"+{a}" for a in added] + [f"-{a}" for a in removed]
                lines.append(f"{span}: {label} {' '.join(parts)}")
        gains = {d.actor: d.gain for d in before.member_details}
        for d in after.member_details:
            if d.actor in gains and abs(d.gain - gains[d.actor]) >= 0.005:
                lines.append(f"{span}: {d.actor} gain {gains[d.actor]:+.3f} -> {d.gain:+.3f}")
    return lines


def coalition_report(
    scenario,
    *,
    model: str | Model = "mean",
    coalitions=None,
    include_named: bool = True,
    as_of: str | dt.date | None = None,
    quota: str | float | QuotaRule | None = None,
    weighting: str = "capability",
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    theories: bool = True,
    top: int = 5,
    cap: int = DEFAULT_CAP,
    bloc_tolerance: float = 0.05,
) -> CoalitionReport:
    """The candidate-coalition report for ``scenario`` (a Scenario or a built-in name / path).

    Parameters
    ----------
    model:
        Name of the forecasting model (or a Model) giving the outcome without the coalition.
    coalitions:
        Extra coalitions: ``["a,b,c", "name=a,b"]`` or ``{name: [members]}``.
    include_named:
        Also assess the scenario's named coalitions.
    as_of:
        One date; default: every date of the scenario's history ("before vs after"), or the
        scenario as given when it has no dated history.
    quota:
        The quota rule (see :func:`~allegiance.coalitions.quota.parse_quota`); default simple.
    weighting:
        Game weights: ``"capability"`` (default) or ``"capability*salience"``.
    seed:
        For stochastic models (default: the scenario's seed, else 0); the same seed is used for
        the runs with and without the coalition.
    params:
        Model parameters (on top of the scenario's ``model_parameters`` for that model).
    theories:
        Also list, per state and issue, the ``top`` best-ranked minimal winning (Riker), minimal
        connected winning (Axelrod) and minimal-range (Leiserson, de Swaan) coalitions; ``cap``
        bounds the enumeration of minimal winning coalitions.
    bloc_tolerance:
        Blocs in the forecast: actors whose final positions lie within this share of each issue's
        scale width (see :func:`~allegiance.coalitions.blocs.blocs`).
    """
    if isinstance(scenario, str):
        from allegiance.io import load_scenario

        scenario = load_scenario(scenario)
    rule = parse_quota(quota)
    if weighting not in WEIGHTINGS:
        raise ParameterError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise ParameterError(f"top must be a non-negative integer; got {top!r}")
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ParameterError(f"cap must be a positive integer; got {cap!r}")
    if isinstance(model, str):
        settings = dict(scenario.model_parameters.get(model.lower(), {}))
        settings.update(params or {})
        model_name = model.lower()
        model = make_model(model_name, **settings)
    else:
        model_name = getattr(model, "name", type(model).__name__)
    if seed is None:
        seed = scenario.seed if scenario.seed is not None else 0

    candidates: dict[str, tuple[list[str], str]] = {}
    if include_named:
        for name, coalition in scenario.coalitions.items():
            candidates[name] = (list(coalition.members), "scenario")
    for name, members in _parse_given(coalitions).items():
        candidates[name] = (members, "given")
    if not candidates:
        raise ParameterError(
            f"scenario {scenario.id!r} names no coalitions; give one (e.g. --coalition a,b,c)"
        )

    if as_of is not None:
        dates = [as_of if isinstance(as_of, str) else as_of.isoformat()]
        states = [(dates[0], scenario.as_of(as_of))]
    elif scenario.history_dates():
        states = [(d.isoformat(), scenario.as_of(d)) for d in scenario.history_dates()]
    else:
        states = [("current", scenario)]

    assessments: dict[str, list[CoalitionAssessment]] = {name: [] for name in candidates}
    power_by_state: dict[str, dict[str, dict[str, float]]] = {}
    candidates_by_state: dict[str, dict[str, dict[str, Any]]] = {}
    blocs_by_state: dict[str, dict[str, Any]] = {}
    issues: list[str] = []
    for label, state in states:
        arrays = state.to_arrays()
        issues = list(arrays.issue_ids)
        weights = game_weights(arrays, weighting)
        power = shapley_by_issue(arrays, weights, rule)
        power_by_state[label] = power
        if theories:
            candidates_by_state[label] = candidate_coalitions(
                arrays, rule, weighting=weighting, top=top, cap=cap)
        result = model.run(arrays, random_state=seed)
        outcome = np.asarray(result.outcome, dtype=float)
        blocs_by_state[label] = {
            "tolerance": bloc_tolerance,
            "per_issue": {issue: [b.to_dict() for b in found] for issue, found in
                          blocs(result, arrays, tolerance=bloc_tolerance).items()},
            "across_issues": [b.to_dict() for b in
                              blocs_across_issues(result, arrays, tolerance=bloc_tolerance)],
        }
        for name, (members, origin) in candidates.items():
            assessments[name].append(assess_coalition(
                arrays, members, model=model, rule=rule, weighting=weighting, name=name,
                origin=origin, state=label, seed=seed, forecast_outcome=outcome, power=power,
            ))
    notes = [
        f"winning: members' {weighting} meets '{rule.describe()}' on every issue",
        "agreed position: members' capability x salience weighted mean position",
        "utility: salience-weighted closeness to an outcome on each issue's scale (0-1); "
        "gain = utility of the agreed position - utility of the forecast without the coalition",
        "pivotal: members whose exit turns a won issue into a lost one",
        f"forecast: model '{model_name}' with every actor acting on its own",
    ]
    if scenario.derived.get("variant"):
        notes.insert(0, f"variant '{scenario.derived['variant']}' applied")
    return CoalitionReport(
        scenario=scenario.id,
        model=model_name,
        rule=rule.to_dict(),
        weighting=weighting,
        states=[label for label, _ in states],
        issues=issues,
        coalitions=assessments,
        changes={name: _changes(items) for name, items in assessments.items()},
        power=power_by_state,
        candidates=candidates_by_state,
        blocs=blocs_by_state,
        notes=notes,
    )
