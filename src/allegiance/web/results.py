"""What a result page shows beside the charts: the headline at the top (the plain-language
summary of :mod:`allegiance.summary`), the compromise forecast drawn as a reference line, and the
numbers of two runs side by side with their difference.
"""

from __future__ import annotations

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
