"""The levers answer for reports: a JSON-able dict and a few plain sentences.

:func:`levers_briefing` runs :func:`~allegiance.levers.analysis.levers` (or takes its result) and
returns ``{"answer": <LeversResult.to_dict()>, "sentences": [...]}``; :func:`sentences` words an
answer for a reader who has not seen the table: whether the coalition already meets the three
conditions, whether any solution exists inside the plausible ranges (and how that is known), the
cheapest changes with their source grades, and how the verdicts read after them.

Example
-------
>>> import allegiance
>>> brief = levers_briefing("syria-2014", coalition="local", model="mean",
...                         levers="capability:rebels")
>>> sorted(brief)
['answer', 'sentences']
>>> brief["sentences"][0].startswith("Today local is not winning")
True
"""

from __future__ import annotations

from typing import Any

from allegiance.levers.analysis import LeverSolution, LeversResult, levers


def _state(verdict: dict[str, Any], name: str, when: str) -> str:
    parts = [("winning" if verdict["winning"] else "not winning")
             + f" ({verdict['issues_won']}/{verdict['n_issues']} issues)"]
    parts.append("every member gains by joining" if verdict["stable"] else
                 f"{', '.join(verdict['stay_out'])} would rather stay out")
    parts.append("the forecast moves to its agreed position" if verdict["moves_there"] else
                 "the forecast stays away from its agreed position")
    return f"{when} {name} is {parts[0]}; {parts[1]}; {parts[2]}."


def _changes(solution: LeverSolution) -> str:
    items = []
    for c in solution.changes:
        where = f" on {c.issue}" if c.issue else ""
        items.append(f"{c.field} of {c.actor}{where} from {c.before:.3g} to {c.after:.3g} "
                     f"(source {c.grade}, cost {c.cost:.2f}"
                     + ("" if c.inside_range else ", outside its range") + ")")
    return "; ".join(items)


def _cheaper(result: LeversResult) -> list[str]:
    c = result.cheapest_by_cost
    if c is None:
        return []
    return [f"Cheaper with more changes ({c.count}, cost {c.cost:.2f}): {_changes(c)}."]


def sentences(result: LeversResult) -> list[str]:
    """Plain sentences stating the answer (numbers rounded for reading)."""
    name = result.coalition
    out = [_state(result.before, name, "Today")]
    if result.before["satisfied"]:
        return out + ["Nothing needs to change."]
    cost_word = {"ranges": "a move to the edge of an estimate's plausible range costs 1",
                 "grades": "a move of the width its sources' grades justify costs 1",
                 "free": "a move across an estimate's whole span costs 1"}[result.within]
    scope = "any estimate" if result.levers is None else "only " + ", ".join(result.levers)
    out.append(f"Allowed to move {scope}, at most {result.budget} at a time, under the "
               f"{result.model} model ({cost_word}).")
    if result.solution is not None:
        s = result.solution
        where = "inside the plausible ranges" if s.inside_ranges else "beyond some ranges"
        out.append(f"It would take {s.count} change(s), {where}, total cost {s.cost:.2f}: "
                   f"{_changes(s)}.")
        out.append(_state(s.verdict, name, "After them"))
        if result.alternatives:
            a = result.alternatives[0]
            out.append(f"Next best ({a.count} change(s), cost {a.cost:.2f}): {_changes(a)}.")
        out += _cheaper(result)
        return out
    if result.inside_ranges is False:
        out.append(f"No solution exists inside the plausible ranges: {result.proof}.")
    else:
        out.append(f"No solution was found inside the plausible ranges ({result.proof}).")
    if result.outside is not None:
        s = result.outside
        out.append(f"Beyond the ranges it would take {s.count} change(s), total cost "
                   f"{s.cost:.2f}: {_changes(s)}.")
        out.append(_state(s.verdict, name, "After them"))
        out += _cheaper(result)
    elif result.within != "free":
        out.append(f"Even beyond the ranges no solution with at most {result.budget} change(s) "
                   "was found.")
    return out


def levers_briefing(scenario=None, coalition: str = "local", *, result: LeversResult | None = None,
                    **options: Any) -> dict[str, Any]:
    """``{"answer": dict, "sentences": [str]}`` for ``coalition`` (or for a given ``result``).

    ``options`` go to :func:`~allegiance.levers.analysis.levers` (model, within, levers...).
    """
    if result is None:
        result = levers(scenario if scenario is not None else "syria-2014", coalition, **options)
    return {"answer": result.to_dict(), "sentences": sentences(result)}
