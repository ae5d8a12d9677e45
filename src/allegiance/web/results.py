"""What a result page shows beside the charts: the headline at the top (the plain-language
summary of :mod:`allegiance.summary` when it is installed, else the result's own headline
figures), the compromise forecast drawn as a reference line, and the numbers of two runs side by
side with their difference.
"""

from __future__ import annotations

from typing import Any


def _fmt(x: Any) -> str:
    return f"{x:.1f}" if isinstance(x, int | float) else str(x)


def _issue_names(result: dict[str, Any]) -> dict[str, str]:
    issues = result.get("issues")
    if isinstance(issues, list):
        return {i["id"]: i.get("name", i["id"]) for i in issues if isinstance(i, dict)}
    if isinstance(issues, dict):
        return {k: (v.get("name", k) if isinstance(v, dict) else k) for k, v in issues.items()}
    return {}


def headline(result: dict[str, Any], kind: str, scenario: Any = None) -> list[str]:
    """The sentences at the top of a result: those the result carries (``"summary"``), else
    :func:`allegiance.summary.summarize`'s when it is installed, else the headline figures."""
    carried = result.get("summary")
    if isinstance(carried, list) and carried and all(isinstance(s, str) for s in carried):
        return carried
    try:
        from allegiance.summary import summarize
    except ImportError:
        summarize = None
    if summarize is not None:
        try:
            return list(summarize(kind, result, scenario))
        except (ValueError, KeyError, TypeError):  # a kind it does not know: the figures
            pass
    lines = list(_figures(result, kind))
    lines += [f"warning: {w}" for w in result.get("warnings", []) or []]
    return lines


def _figures(result: dict[str, Any], kind: str):
    names = _issue_names(result)
    if kind == "forecast":
        model = result.get("model", {}).get("name", "")
        for issue, value in (result.get("outcome") or {}).items():
            yield f"{names.get(issue, issue)}: {model} forecasts {_fmt(value)}"
    elif kind == "montecarlo":
        for issue, item in (result.get("issues") or {}).items():
            q = item.get("quantiles", {})
            yield (f"{item.get('name', issue)}: mean {_fmt(item.get('mean'))}, 90% of "
                   f"{result.get('runs')} draws in [{_fmt(q.get('0.05'))}, "
                   f"{_fmt(q.get('0.95'))}]")
        for name, item in (result.get("coalitions") or {}).items():
            yield f"coalition {name}: winning in {item.get('p_winning', 0):.0%} of the draws"
    elif kind == "coalitions":
        for name, states in (result.get("coalitions") or {}).items():
            verdicts = ", ".join(f"{s['state']}: {'winning' if s['winning'] else 'not winning'}"
                                 f" ({s['share']:.0%})" for s in states)
            yield f"coalition {name}: {verdicts}"
    elif kind == "sensitivity":
        for issue, drivers in (result.get("issues") or {}).items():
            if drivers:
                top = drivers[0]
                yield (f"{names.get(issue, issue)}: most sensitive to {top['parameter']} "
                       f"(moves the forecast by {_fmt(top.get('impact'))})")
    elif kind == "timeline":
        for move in result.get("moves") or []:
            change = ", ".join(f"{names.get(k, k)} {v:+.1f}" for k, v in move["change"].items())
            yield f"{move['from']} → {move['to']}: {change}"
    elif kind == "power":
        for issue, item in (result.get("by_issue") or {}).items():
            ranked = sorted(item["shapley_shubik"].items(), key=lambda kv: -kv[1])
            yield (f"{issue}: most power {ranked[0][0]} (Shapley–Shubik "
                   f"{ranked[0][1]:.2f}), quota {item['quota']:g} of {item['total_weight']:g}")
    elif kind == "backtest":
        for row in (result.get("summaries") or [])[:8]:
            if isinstance(row, dict):
                yield ", ".join(f"{k} {_fmt(v)}" for k, v in list(row.items())[:5])


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
