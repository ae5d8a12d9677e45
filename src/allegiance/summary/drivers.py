"""Sentences for what drives a forecast: the sensitivity ranking (which judgements matter most,
and how well their sources are graded) and the timeline (what changed between dated states and
which estimate changes moved it).

They work on ``SensitivityResult.to_dict()`` and ``TimelineResult.to_dict()``; with the scenario
they also name each judgement's sources and grades (an estimate resting on F-graded reports is
named as such).

>>> doc = {"model": {"name": "mean"}, "runs": 100, "baseline": {"x": 50.0},
...        "issues": {"x": [{"parameter": "a.x.position", "value": 20, "low": 0, "high": 40,
...                          "outcome_at_low": 45.0, "outcome_at_high": 55.0, "impact": 10.0,
...                          "sobol": 0.8}]}, "coalitions": {}}
>>> print(sensitivity_sentences(doc)[0])  # doctest: +NORMALIZE_WHITESPACE
The judgement that matters most is a.x.position: across its range 0–40 it moves x from 45 to
55 (10 points; it alone explains 80% of the variance).
"""

from __future__ import annotations

from typing import Any

from allegiance.summary.text import Names, listing, number, percent, signed

__all__ = ["sensitivity_sentences", "strongest_driver", "timeline_sentences"]


def strongest_driver(document: dict[str, Any], scenario: Any = None
                     ) -> tuple[str, dict[str, Any]] | None:
    """``(issue, row)`` of the estimate with the largest one-at-a-time impact on any issue,
    measured as a share of that issue's scale (None when nothing moves anything)."""
    names = Names(document, scenario)
    best = None
    for issue, rows in (document.get("issues") or {}).items():
        for row in rows:
            share = row["impact"] / names.width(issue)
            if best is None or share > best[0]:
                best = (share, issue, row)
    return None if best is None else (best[1], best[2])


def _driver(row: dict[str, Any], issue: str) -> str:
    return (f"across its range {number(row['low'])}–{number(row['high'])} it moves {issue} "
            f"from {number(row['outcome_at_low'])} to {number(row['outcome_at_high'])} "
            f"({number(row['impact'])} points; it alone explains {percent(row['sobol'])} of the "
            "variance)")


def sensitivity_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    """The strongest judgement overall, the top one per issue, their sourcing, and what decides
    each coalition's winning."""
    names = Names(document, scenario)
    lines = []
    top = strongest_driver(document, scenario)
    if top is None:
        return ["No judgement moves any issue's forecast: every estimate is fixed or has no "
                "effect under this model."]
    issue, row = top
    lines.append(f"The judgement that matters most is {row['parameter']}: {_driver(row, issue)}.")
    grading = names.grading(row["parameter"])
    if grading:
        lines.append(f"{row['parameter']}: {grading}.")
    others = []
    for other, rows in (document.get("issues") or {}).items():
        if other == issue or not rows:
            continue
        first = rows[0]
        others.append(f"{other}: {first['parameter']} ({number(first['impact'])} points)")
    if others:
        lines.append("Top judgement on the other issues — " + "; ".join(others) + ".")
    weak = []
    seen = set()
    for rows in (document.get("issues") or {}).values():
        for r in rows[:3]:
            if r["parameter"] in seen:
                continue
            seen.add(r["parameter"])
            grades = names.sources(r["parameter"])
            if grades and all(g.startswith("F") for _, g in grades):
                weak.append(r["parameter"])
    if weak:
        lines.append(f"Among the top judgements, {listing(weak)} rest only on F-graded reports "
                     "(reliability cannot be judged).")
    for name, rows in (document.get("coalitions") or {}).items():
        if rows and rows[0]["sobol"] >= 0.01:
            lines.append(f"Whether {name} wins depends most on {rows[0]['parameter']} "
                         f"(first-order index {number(rows[0]['sobol'], 2)}).")
    low = {i: s for i, s in (document.get("sobol_sum") or {}).items()
           if s is not None and s < 0.5}
    if low:
        lines.append("Single judgements explain less than half the variance of "
                     + listing(f"{i} ({number(s, 2)})" for i, s in low.items())
                     + ": judgements act together there.")
    return lines


def timeline_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    """Per move between dated states: how each issue's forecast moved, the estimate changes that
    moved it most, and the coalition verdicts that flipped (with the changes that flip them)."""
    names = Names(document, scenario)
    lines = []
    dates = document.get("dates") or []
    for move in document.get("moves") or []:
        changes = move.get("change") or {}
        moved = [f"{issue} {signed(value)}" for issue, value in changes.items()
                 if value is not None]
        text = f"From {move['from']} to {move['to']} the forecast moved {', '.join(moved)}"
        drivers = move.get("drivers") or []
        if drivers:
            parts = []
            for d in drivers[:2]:
                effect = max(d["effect"].items(), key=lambda kv: abs(kv[1]) / names.width(kv[0]))
                parts.append(f"{d['parameter']} {number(d['from'])} → {number(d['to'])} "
                             f"({effect[0]} {signed(effect[1])})")
            text += f"; the largest single changes: {listing(parts)}"
        else:
            text += "; no estimate changed"
        lines.append(text + ".")
        if drivers:
            grading = names.grading(drivers[0]["parameter"])
            if grading:
                lines.append(f"{drivers[0]['parameter']}: {grading}.")
        for v in move.get("verdicts") or []:
            for flip in v.get("flips") or []:
                by = flip.get("flipped_alone_by") or []
                what = flip["what"]
                if what == "winning":
                    said = "became winning" if flip["to"] else "stopped winning"
                else:
                    member = what.replace(" gains by joining", "")
                    said = (f"joining now pays off for {member}" if flip["to"]
                            else f"{member} would now rather stay out")
                cause = (f"{listing(by[:3], 'or')} alone would do it" +
                         (f" (and {len(by) - 3} more)" if len(by) > 3 else "")
                         if by else "no single change does it alone (a joint effect)")
                lines.append(f"{v['coalition']}: {said}; {cause}.")
    mc = [d for d in dates if d.get("montecarlo")]
    if len(mc) >= 2:
        first, last = mc[0], mc[-1]
        never = []
        for name, c in last["montecarlo"]["coalitions"].items():
            before = first["montecarlo"]["coalitions"].get(name)
            if before is None:
                continue
            if before["p_winning"] == 0 and c["p_winning"] == 0:
                never.append(name)
                continue
            lines.append(f"{name}'s chance of winning: {percent(before['p_winning'])} as of "
                         f"{first['date']}, {percent(c['p_winning'])} as of {last['date']} "
                         f"({last['montecarlo']['runs']:,} draws each).")
        if never:
            lines.append(f"{listing(never)} win in none of the {last['montecarlo']['runs']:,} "
                         f"draws, as of {first['date']} or as of {last['date']}.")
    return lines
