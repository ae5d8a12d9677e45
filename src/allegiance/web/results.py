"""What a result page shows beside the charts: the headline at the top (the plain-language
summary of :mod:`allegiance.summary`), the compromise forecast drawn as a reference line, and the
numbers of two runs side by side with their difference: one number per issue, and for two
forecasts every actor's position by round (two timelines: the forecast by date), with the CSV of
all of it.
"""

from __future__ import annotations

import csv
import io
from typing import Any


def _issue_names(result: dict[str, Any]) -> dict[str, str]:
    issues = result.get("issues")
    if isinstance(issues, list):
        return {i["id"]: i.get("name", i["id"]) for i in issues if isinstance(i, dict)}
    if isinstance(issues, dict):
        return {k: (v.get("name", k) if isinstance(v, dict) else k) for k, v in issues.items()}
    return {}


def headline(result: dict[str, Any], kind: str, scenario: Any = None) -> list[str]:
    """The sentences at the top of a result: those the result carries (``"summary"``, every
    document the service makes has them), else :func:`allegiance.summary.summarize`'s."""
    carried = result.get("summary")
    if isinstance(carried, list) and carried and all(isinstance(s, str) for s in carried):
        return carried
    from allegiance.summary import summarize

    try:
        return list(summarize(kind, result, scenario))
    except (ValueError, KeyError, TypeError):  # a document it cannot read: its warnings
        return [f"warning: {w}" for w in result.get("warnings", []) or []]


def reference_lines(store: Any, run: dict[str, Any]) -> dict[str, float]:
    """The compromise forecast (capability × salience weighted mean of the starting positions)
    of a forecast run's scenario, per issue: the reference line of the positions chart."""
    if run["kind"] != "forecast":
        return {}
    from allegiance.forecast import forecast

    version = store.get_scenario_version(run["scenario_hash"])
    if version is None:
        return {}
    from allegiance.web.library import scenario_of

    scenario = scenario_of(version)
    variant = run["variant"] if run["variant"] in scenario.variants else None
    result = forecast(scenario, "mean", as_of=run["as_of"], scenario_variant=variant)
    return {k: float(v) for k, v in result.outcome.items()}


def outcomes(result: dict[str, Any], kind: str) -> dict[str, float]:
    """One number per issue (or coalition) that two runs of a kind can be compared on."""
    if kind == "forecast":
        return dict(result.get("outcome") or {})
    if kind == "montecarlo":
        return {k: v["mean"] for k, v in (result.get("issues") or {}).items()}
    if kind == "sensitivity":
        return dict(result.get("baseline") or {})
    if kind == "timeline":
        dates = result.get("dates") or []
        return dict(dates[-1]["outcome"]) if dates else {}
    if kind == "coalitions":
        return {f"{name} share ({states[-1]['state']})": states[-1]["share"]
                for name, states in (result.get("coalitions") or {}).items() if states}
    return {}


def comparison(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``{what, a, b, difference}`` (difference = b − a), for the compare page."""
    first = outcomes(a["result"] or {}, a["kind"])
    second = outcomes(b["result"] or {}, b["kind"])
    names = {**_issue_names(a["result"] or {}), **_issue_names(b["result"] or {})}
    rows = []
    for key in list(first) + [k for k in second if k not in first]:
        x, y = first.get(key), second.get(key)
        rows.append({"key": key, "what": names.get(key, key), "a": x, "b": y,
                     "difference": None if x is None or y is None else y - x})
    return rows


def _difference(x: Any, y: Any) -> float | None:
    return None if not isinstance(x, int | float) or not isinstance(y, int | float) else y - x


def _positions(result: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    names = {a["id"]: a.get("name", a["id"]) for a in result.get("actors") or []
             if isinstance(a, dict)}
    return names, [r for r in result.get("rounds") or [] if isinstance(r, dict)]


def trajectories(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``{issue, actor, step, a, b, difference}`` of both runs' paths: for two forecasts
    each actor's position at each round (a run that ended sooner keeps its last positions), for
    two timelines the forecast of each issue at each date; empty for other kinds."""
    ra, rb = a["result"] or {}, b["result"] or {}
    rows: list[dict[str, Any]] = []
    if a["kind"] == b["kind"] == "forecast":
        names_a, rounds_a = _positions(ra)
        names_b, rounds_b = _positions(rb)
        if not rounds_a or not rounds_b:
            return rows
        names = {**names_b, **names_a}
        issues = list(_issue_names(ra)) + [k for k in _issue_names(rb)
                                           if k not in _issue_names(ra)]
        for issue in issues:
            for actor in names:
                for step in range(max(len(rounds_a), len(rounds_b))):
                    x = rounds_a[min(step, len(rounds_a) - 1)]["positions"].get(
                        actor, {}).get(issue)
                    y = rounds_b[min(step, len(rounds_b) - 1)]["positions"].get(
                        actor, {}).get(issue)
                    if x is None and y is None:
                        continue
                    rows.append({"issue": issue, "actor": names[actor], "step": step,
                                 "a": x, "b": y, "difference": _difference(x, y)})
    elif a["kind"] == b["kind"] == "timeline":
        first = {d["date"]: d["outcome"] for d in ra.get("dates") or []}
        second = {d["date"]: d["outcome"] for d in rb.get("dates") or []}
        issues = list(dict.fromkeys([k for o in [*first.values(), *second.values()]
                                     for k in o]))
        for issue in issues:
            for date in sorted(set(first) | set(second)):
                x, y = first.get(date, {}).get(issue), second.get(date, {}).get(issue)
                rows.append({"issue": issue, "actor": "forecast", "step": date, "a": x,
                             "b": y, "difference": _difference(x, y)})
    return rows


def comparison_csv(a: dict[str, Any], b: dict[str, Any]) -> str:
    """The compared data as CSV: the per-issue outcomes, then the trajectories."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "issue", "actor", "step", f"a (run {a['id']})",
                     f"b (run {b['id']})", "difference (b - a)"])
    for row in comparison(a, b):
        writer.writerow(["outcome", row["key"], "", "", _cell(row["a"]), _cell(row["b"]),
                         _cell(row["difference"])])
    section = "position" if a["kind"] == "forecast" else "forecast"
    for row in trajectories(a, b):
        writer.writerow([section, row["issue"], row["actor"], row["step"], _cell(row["a"]),
                         _cell(row["b"]), _cell(row["difference"])])
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else repr(float(value)) if isinstance(value, int | float) \
        else str(value)
