"""Sentences for one forecast and for a Monte Carlo over a scenario's judgements.

Both work on the JSON documents the command line prints (``Forecast.to_dict()``,
``MonteCarloResult.to_dict()``).

>>> import allegiance
>>> doc = allegiance.forecast("eu-emissions-1994", model="median").to_dict()
>>> forecast_sentences(doc)[0].startswith("The median model forecasts")
True
"""

from __future__ import annotations

import math
from typing import Any

from allegiance.summary.text import Names, listing, number, percent, probability

__all__ = ["forecast_sentences", "montecarlo_sentences"]


def _model_words(document: dict[str, Any]) -> str:
    name = document.get("model", {}).get("name", "?")
    return "The compromise model (mean)" if name == "mean" else f"The {name} model"


def _stamp(document: dict[str, Any]) -> str:
    scenario = document.get("scenario", {})
    parts = []
    if scenario.get("as_of"):
        parts.append(f"as of {scenario['as_of']}")
    if scenario.get("variant"):
        parts.append(f"in variant {scenario['variant']}")
    return (" " + ", ".join(parts)) if parts else ""


def forecast_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    """What the forecast is, who moved most, the result's warnings (cycles, no convergence, no
    solution, no salience: :mod:`allegiance.models.diagnostics`) and whether every actor holds
    the same position."""
    names = Names(document, scenario)
    outcome = document.get("outcome", {})
    model = document.get("model", {}).get("name", "?")
    parts, missing = [], []
    for issue, value in outcome.items():
        if value is None or not math.isfinite(value):
            missing.append(issue)
            continue
        where = names.where(issue, value)
        parts.append(f"{names.issue(issue)} at {number(value)}" + (f" ({where})" if where else ""))
    lines = []
    if parts:
        lines.append(f"{_model_words(document)} forecasts{_stamp(document)}: "
                     + "; ".join(parts) + ".")
    if missing:
        lines.append(f"No forecast on {listing(missing)}: the {model} model gave no finite "
                     "value there.")
    rounds = document.get("rounds") or []
    if len(rounds) > 1:
        first, last = rounds[0]["positions"], rounds[-1]["positions"]
        moves = [(abs(last[a][i] - first[a][i]) / names.width(i), a, i)
                 for a in last for i in last[a]
                 if a in first and i in first[a] and last[a][i] is not None]
        moves.sort(reverse=True)
        if moves and moves[0][0] > 1e-9:
            _, actor, issue = moves[0]
            lines.append(f"Over {len(rounds) - 1} round(s) the largest move is {actor}'s on "
                         f"{issue}: {number(first[actor][issue])} → {number(last[actor][issue])}.")
        else:
            lines.append(f"No actor moved in {len(rounds) - 1} round(s).")
    for warning in document.get("warnings") or []:  # cycles, no convergence, no solution...
        text = warning.get("message", str(warning)) if isinstance(warning, dict) else str(warning)
        lines.append(f"Warning ({model}): {text.rstrip('.')}.")
    if rounds:
        same = []
        for issue in outcome:
            values = {round(s[issue], 9) for s in rounds[0]["positions"].values() if issue in s}
            if len(values) == 1:
                same.append(issue)
        if same:
            lines.append(f"Degenerate on {listing(same)}: every actor holds the same position, so "
                         "any model forecasts that position.")
    return lines


def montecarlo_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    """The spread of each issue's forecast over the draws, and each coalition's odds."""
    names = Names(document, scenario)
    runs = int(document.get("runs") or 0)
    model = document.get("model", {}).get("name", "?")
    lines = []
    parts = []
    for issue, s in (document.get("issues") or {}).items():
        q = s.get("quantiles", {})
        names.issues.setdefault(issue, {"name": s.get("name", issue), "scale": s.get("scale"),
                                        "low_label": "", "high_label": "", "points": []})
        parts.append(f"{issue} {number(q.get('0.5'))} (90% interval {number(q.get('0.05'))}–"
                     f"{number(q.get('0.95'))}; {number(s.get('baseline'))} at the stated values)")
    if parts:
        lines.append(f"Over {runs:,} draws of the judgements, the {model} model puts "
                     + "; ".join(parts) + ".")
    wide = [issue for issue, s in (document.get("issues") or {}).items()
            if s.get("quantiles") and (s["quantiles"]["0.95"] - s["quantiles"]["0.05"])
            >= 0.25 * names.width(issue)]
    if wide:
        lines.append(f"The judgements leave {listing(wide)} wide open: the 90% interval spans a "
                     "quarter of the scale or more.")
    for name, c in (document.get("coalitions") or {}).items():
        p = c.get("p_winning")
        if p is None:
            continue
        text = (f"Coalition {name} ({listing(c.get('members', []))}) wins in "
                f"{probability(p, runs)} of the draws, with {percent(c.get('share_mean'))} of "
                "the capability on average")
        doubtful = {m: g for m, g in (c.get("p_gains") or {}).items() if g is not None and g < 0.5}
        if doubtful:
            text += ("; members who gain by joining in fewer than half the draws: "
                     + listing(f"{m} ({percent(g)})" for m, g in doubtful.items()))
        lines.append(text + ".")
    until = document.get("until_se")
    if until is not None:
        worst = max((document.get("headline_se") or {}).values(), default=0.0)
        if runs >= int(document.get("requested_runs") or runs) and worst > until:
            lines.append(f"Not converged: after all {runs:,} draws the largest standard error is "
                         f"{worst:.4f}, above the --until-se target {until:g}.")
    return lines
