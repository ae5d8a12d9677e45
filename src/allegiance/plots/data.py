"""What each figure shows, as plain series taken from result documents (the JSON the command
line prints). Both figure back-ends — Matplotlib (:mod:`allegiance.plots.static`) and Plotly
(:mod:`allegiance.plots.interactive`) — draw these series, so that a figure means the same in a
PNG, an SVG, the HTML briefing and the web app.

>>> doc = {"model": {"name": "bdm"}, "issues": [{"id": "x", "name": "X", "scale": [0, 100]}],
...        "rounds": [{"round": 0, "positions": {"a": {"x": 10.0}}},
...                   {"round": 1, "positions": {"a": {"x": 20.0}}}], "outcome": {"x": 20.0}}
>>> positions_series(doc)["x"]["lines"]
{'a': [10.0, 20.0]}
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["coalition_series", "outcome_series", "positions_series", "record_series",
           "tornado_series"]


def positions_series(forecast: dict[str, Any], reference: dict[str, Any] | None = None
                     ) -> dict[str, dict[str, Any]]:
    """Per issue: ``name``, ``scale``, ``rounds`` (0..n), ``lines`` {actor: positions by round},
    ``outcome`` (the model's forecast) and ``reference`` (another forecast's outcome, e.g. the
    compromise model's, or None)."""
    rounds = forecast.get("rounds") or []
    series = {}
    for issue in forecast.get("issues") or []:
        k = issue["id"]
        lines: dict[str, list[float]] = {}
        for r in rounds:
            for actor, stances in r["positions"].items():
                if k in stances:
                    lines.setdefault(actor, []).append(stances[k])
        series[k] = {
            "name": issue.get("name", k), "scale": issue.get("scale", [0, 100]),
            "low_label": issue.get("low_label", ""), "high_label": issue.get("high_label", ""),
            "rounds": [r["round"] for r in rounds], "lines": lines,
            "outcome": (forecast.get("outcome") or {}).get(k),
            "reference": None if reference is None else (reference.get("outcome") or {}).get(k),
            "model": forecast.get("model", {}).get("name", "?"),
            "reference_model": None if reference is None else reference.get("model", {}).get(
                "name"),
        }
    return series


def outcome_series(montecarlo: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per issue, for each model's Monte Carlo document (``{model: document}``): histogram
    ``edges`` and ``counts``, the 5/50/95% quantiles and the value at the stated estimates."""
    series: dict[str, dict[str, Any]] = {}
    for model, doc in montecarlo.items():
        for issue, s in (doc.get("issues") or {}).items():
            entry = series.setdefault(issue, {"name": s.get("name", issue),
                                              "scale": s.get("scale", [0, 100]), "models": {}})
            entry["models"][model] = {
                "edges": s["histogram"]["edges"], "counts": s["histogram"]["counts"],
                "runs": doc.get("runs"), "q05": s["quantiles"]["0.05"],
                "median": s["quantiles"]["0.5"], "q95": s["quantiles"]["0.95"],
                "baseline": s.get("baseline"),
            }
    return series


def coalition_series(document: dict[str, Any]) -> dict[str, Any]:
    """Coalition capability shares (and chance of winning, when there are draws) by date, from a
    timeline document (``dates``) or a coalition report (``coalitions`` by state).

    Returns ``{"dates": [...], "coalitions": {name: {"share": [...], "winning": [...],
    "p_winning": [...] or None}}, "quota": share needed or None}``.
    """
    out: dict[str, Any] = {"dates": [], "coalitions": {}, "quota": None}
    if "dates" in document:
        out["dates"] = [d["date"] for d in document["dates"]]
        for d in document["dates"]:
            for name, v in d["coalitions"].items():
                entry = out["coalitions"].setdefault(name, {"share": [], "winning": [],
                                                             "p_winning": []})
                entry["share"].append(v["share"])
                entry["winning"].append(v["winning"])
                mc = (d.get("montecarlo") or {}).get("coalitions", {}).get(name)
                entry["p_winning"].append(None if mc is None else mc["p_winning"])
    else:
        out["dates"] = list(document.get("states") or [])
        for name, items in (document.get("coalitions") or {}).items():
            out["coalitions"][name] = {"share": [a["share"] for a in items],
                                       "winning": [a["winning"] for a in items],
                                       "p_winning": [None for _ in items]}
        out["quota"] = (document.get("rule") or {}).get("fraction")
    for entry in out["coalitions"].values():
        if all(p is None for p in entry["p_winning"]):
            entry["p_winning"] = None
    if out["quota"] is None:  # the timeline states its rule in words: "... > 50% ..."
        found = re.search(r"(\d+(?:\.\d+)?)\s*%", str(document.get("quota", "")))
        out["quota"] = float(found.group(1)) / 100 if found else None
    return out


def tornado_series(sensitivity: dict[str, Any], top: int = 8) -> dict[str, dict[str, Any]]:
    """Per issue: the ``top`` estimates by impact, each with the outcome at its low and high end,
    and the forecast at the stated values (``baseline``)."""
    series = {}
    for issue, rows in (sensitivity.get("issues") or {}).items():
        rows = sorted(rows, key=lambda r: -r["impact"])[:top]
        series[issue] = {
            "baseline": (sensitivity.get("baseline") or {}).get(issue),
            "bars": [{"parameter": r["parameter"], "low": r["outcome_at_low"],
                      "high": r["outcome_at_high"], "range": (r["low"], r["high"]),
                      "impact": r["impact"]} for r in rows],
        }
    return series


def record_series(backtest: dict[str, Any]) -> dict[str, Any]:
    """A backtest's mean absolute error per model, one group per capability option, with the
    95% interval of the difference from the compromise model (``vs_mean``), from a backtest
    document (``summaries``: ``backtest.json`` or the record read from ``summary.csv``)."""
    options: dict[str, dict[str, dict[str, Any]]] = {}
    for s in backtest.get("summaries") or []:
        if s.get("mae") is None:
            continue
        options.setdefault(str(s["capability"]), {})[str(s["model"])] = {
            "mae": s["mae"], "vs_mean": s.get("vs_mean"), "low": s.get("vs_mean_low"),
            "high": s.get("vs_mean_high"), "n": s.get("n_ok")}
    models = list(dict.fromkeys(m for o in options.values() for m in o))
    settings = backtest.get("settings") or {}
    return {"options": options, "models": models, "dataset": settings.get("dataset", ""),
            "issues": settings.get("scored_issues")}
