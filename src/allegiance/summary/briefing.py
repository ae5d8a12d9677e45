"""The answer of a whole briefing in a few sentences: the forecast before and after each dated
change, every named coalition's verdict and chance of winning, what moved the forecast, the
judgement that matters most, and the models' record — from ``Briefing.to_dict()``
(:mod:`allegiance.report.collect`).

>>> doc = {"settings": {"reference_model": "mean"}, "forecasts": {"mean": {
...     "model": {"name": "mean"}, "outcome": {"x": 40.0}, "rounds": [],
...     "issues": [{"id": "x", "name": "X", "scale": [0, 100]}]}}, "montecarlo": {}}
>>> briefing_sentences(doc)
['The compromise model forecasts X at 40.']
"""

from __future__ import annotations

from typing import Any

from allegiance.summary.drivers import sensitivity_sentences
from allegiance.summary.text import Names, listing, number, percent, signed

__all__ = ["briefing_sentences", "interval"]


def interval(montecarlo: dict[str, Any] | None, issue: str) -> str:
    """``" (90% interval 46–55)"`` for an issue of a Monte Carlo document, or ``""``."""
    if not montecarlo or issue not in (montecarlo.get("issues") or {}):
        return ""
    q = montecarlo["issues"][issue]["quantiles"]
    return f" (90% interval {number(q['0.05'], 0)}–{number(q['0.95'], 0)})"


def briefing_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    settings = document.get("settings") or {}
    reference = settings.get("reference_model", "mean")
    forecast = (document.get("forecasts") or {}).get(reference) or {}
    names = Names(forecast, scenario)
    lines = []
    timeline = document.get("timeline")
    dates = (timeline or {}).get("dates") or []
    if len(dates) >= 2:
        first, last = dates[0], dates[-1]
        parts = []
        for issue, after in last["outcome"].items():
            before = first["outcome"][issue]
            mc = last.get("montecarlo")
            parts.append(f"{issue} {number(before)} → {number(after)} ({signed(after - before)})"
                         + interval(mc, issue))
        lines.append(f"The compromise model's forecast from {first['date']} to {last['date']}: "
                     + "; ".join(parts) + ".")
    elif forecast.get("outcome"):
        mc = (document.get("montecarlo") or {}).get(reference)
        parts = [f"{names.issue(i)} at {number(v)}" + interval(mc, i)
                 for i, v in forecast["outcome"].items() if v is not None]
        lines.append("The compromise model forecasts " + "; ".join(parts) + ".")
    if len(dates) >= 2:
        first, last = dates[0], dates[-1]
        for name, verdict in last["coalitions"].items():
            was = first["coalitions"][name]
            mc0 = (first.get("montecarlo") or {}).get("coalitions", {}).get(name)
            mc1 = (last.get("montecarlo") or {}).get("coalitions", {}).get(name)
            text = (f"{name}: {'winning' if verdict['winning'] else 'not winning'} "
                    f"(share {percent(was['share'])} → {percent(verdict['share'])}")
            if mc0 and mc1:
                text += (f"; wins in {percent(mc0['p_winning'])} → {percent(mc1['p_winning'])} "
                         "of the draws")
            text += ")"
            out = [m for m, gains in verdict["gains"].items() if not gains]
            left = [m for m in out if was["gains"].get(m, True)]
            if out:
                text += f"; would rather stay out: {listing(out)}"
                if left:
                    text += f" — {listing(left)} still gained by joining as of {first['date']}"
            lines.append(text + ".")
        moves = timeline.get("moves") or []
        if moves and moves[-1].get("drivers"):
            top = moves[-1]["drivers"][0]
            effect = max(top["effect"].items(), key=lambda kv: abs(kv[1]) / names.width(kv[0]))
            lines.append(f"The largest single change behind the move: {top['parameter']} "
                         f"{number(top['from'])} → {number(top['to'])} ({effect[0]} "
                         f"{signed(effect[1])}).")
    elif document.get("coalitions"):
        from allegiance.summary.coalitions import coalition_sentences

        lines.extend(s for s in coalition_sentences(document["coalitions"], scenario)
                     if s.startswith("Coalition"))
    for name, answer in (document.get("levers") or {}).items():
        from allegiance.summary.levers import levers_sentences

        said = [s for s in levers_sentences(answer)
                if s.startswith(("It would take", "No solution", "Beyond the ranges"))]
        if said:
            lines.append(f"What it would take for {name}: " + " ".join(said))
    if document.get("sensitivity"):
        found = sensitivity_sentences(document["sensitivity"], scenario)
        lines.extend(found[:2])
    return lines

