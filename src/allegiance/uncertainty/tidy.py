"""Tidy tables (CSV) of the Monte Carlo, sensitivity and timeline results: one number per row,
every column labelled, made from the same documents as the JSON output (presentation only).

>>> header, rows = montecarlo_rows({"issues": {"tax": {"baseline": 1.0, "mean": 2.0,
...     "quantiles": {"0.5": 2.0}}}, "actors": {}, "coalitions": {}})
>>> header
['table', 'issue', 'actor', 'coalition', 'statistic', 'value']
>>> rows[-1]
['issue', 'tax', '', '', 'quantile 0.5', 2.0]
"""

from __future__ import annotations

from typing import Any

__all__ = ["montecarlo_rows", "sensitivity_rows", "timeline_rows"]

_ISSUE_STATISTICS = ("baseline", "mean", "sd", "se")


def _summary(stats: dict[str, Any]) -> list[tuple[str, Any]]:
    """(statistic, value) pairs of an issue or actor summary: moments, then quantiles."""
    pairs = [(name, stats[name]) for name in _ISSUE_STATISTICS if name in stats]
    pairs += [(f"quantile {q}", v) for q, v in stats.get("quantiles", {}).items()]
    return pairs


def montecarlo_rows(document: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Rows of ``MonteCarloResult.to_dict()``: issue outcomes, actors' final positions, coalition
    odds."""
    header = ["table", "issue", "actor", "coalition", "statistic", "value"]
    rows: list[list[Any]] = []
    for issue, stats in document["issues"].items():
        rows += [["issue", issue, "", "", name, value] for name, value in _summary(stats)]
    for actor, stances in document["actors"].items():
        for issue, stats in stances.items():
            rows += [["actor", issue, actor, "", name, value] for name, value in _summary(stats)]
    for name, stats in document["coalitions"].items():
        for key in ("share_mean", "p_winning", "se_winning"):
            rows.append(["coalition", "", "", name, key, stats[key]])
        for key in ("p_gains", "se_gains"):
            for actor, value in stats.get(key, {}).items():
                rows.append(["coalition", "", actor, name, key, value])
    return header, rows


def sensitivity_rows(document: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Rows of ``SensitivityResult.to_dict(top)``: one per issue (or coalition) and driver."""
    columns = ["parameter", "value", "low", "high", "origin", "outcome_at_low",
               "outcome_at_high", "impact", "sobol"]
    header = ["kind", "target", "baseline", *columns]
    rows: list[list[Any]] = []
    for issue, drivers in document["issues"].items():
        baseline = document["baseline"].get(issue)
        rows += [["issue", issue, baseline, *(d.get(c) for c in columns)] for d in drivers]
    for name, drivers in document.get("coalitions", {}).items():
        rows += [["coalition", name, None, *(d.get(c) for c in columns)] for d in drivers]
    return header, rows


def timeline_rows(document: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Rows of ``TimelineResult.to_dict()``: outcomes and coalition verdicts per date, then each
    move's change per issue and the effect of each changed estimate."""
    header = ["date", "from_date", "issue", "coalition", "actor", "parameter", "statistic",
              "value"]
    rows: list[list[Any]] = []
    for point in document["dates"]:
        date = point["date"]
        for issue, value in point["outcome"].items():
            rows.append([date, "", issue, "", "", "", "outcome", value])
        for issue, stats in (point.get("montecarlo") or {}).get("issues", {}).items():
            rows += [[date, "", issue, "", "", "", f"montecarlo {name}", value]
                     for name, value in _summary(stats)]
        for name, verdict in (point.get("coalitions") or {}).items():
            rows.append([date, "", "", name, "", "", "share", verdict["share"]])
            rows.append([date, "", "", name, "", "", "winning", verdict["winning"]])
            for actor, gains in verdict.get("gains", {}).items():
                rows.append([date, "", "", name, actor, "", "gains by joining", gains])
    for move in document["moves"]:
        end, start = move["to"], move["from"]
        for issue, value in move["change"].items():
            rows.append([end, start, issue, "", "", "", "change", value])
        for issue, value in move.get("interaction", {}).items():
            rows.append([end, start, issue, "", "", "", "interaction", value])
        for driver in move.get("drivers", []):
            for issue, value in driver["effect"].items():
                rows.append([end, start, issue, "", "", driver["parameter"], "effect", value])
    return header, rows
