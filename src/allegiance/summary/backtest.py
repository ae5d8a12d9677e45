"""Sentences for a backtest: how far each model's forecasts were from the recorded outcomes,
whether any beat the compromise model, how honest the stochastic models' intervals are, and
which runs failed.

They work on the ``backtest.json`` that ``allegiance backtest`` writes
(``BacktestResult.to_json()``).

>>> doc = {"settings": {"scored_issues": 2, "dataset": "toy.tsv"},
...        "summaries": [{"model": "mean", "capability": "equal", "n_ok": 2, "n_failed": 0,
...                       "mae": 5.0, "median_ae": 5.0, "within_10": 1.0, "vs_mean_n": 0}],
...        "failures": []}
>>> print(backtest_sentences(doc)[0])  # doctest: +NORMALIZE_WHITESPACE
On 2 issues of toy.tsv with known outcomes, the compromise model (mean, equal capabilities)
missed by 5.0 points on average (median 5.0; 100% within 10 points).
"""

from __future__ import annotations

import math
from typing import Any

from allegiance.summary.text import listing, number, percent

__all__ = ["backtest_sentences"]


def _ok(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def backtest_sentences(document: dict[str, Any], scenario: Any = None) -> list[str]:
    settings = document.get("settings") or {}
    summaries = document.get("summaries") or []
    lines = []
    baselines = [s for s in summaries if s["model"] == "mean" and _ok(s.get("mae"))]
    where = (f"On {settings.get('scored_issues', '?')} issues of "
             f"{settings.get('dataset', 'the data set')} with known outcomes")
    if baselines:
        best = min(baselines, key=lambda s: s["mae"])
        lines.append(f"{where}, the compromise model (mean, {best['capability']} capabilities) "
                     f"missed by {number(best['mae'], 1)} points on average (median "
                     f"{number(best['median_ae'], 1)}; {percent(best['within_10'])} within 10 "
                     "points).")
    others = [s for s in summaries if s["model"] != "mean" and s.get("vs_mean_n")
              and _ok(s.get("vs_mean"))]
    better = [s for s in others if _ok(s.get("vs_mean_high")) and s["vs_mean_high"] < 0]
    worse = [s for s in others if _ok(s.get("vs_mean_low")) and s["vs_mean_low"] > 0]
    level = [s for s in others if s not in better and s not in worse]
    if others:
        if better:
            lines.append("Better than the compromise model (95% interval below zero): "
                         + listing(f"{s['model']} ({s['capability']}) by "
                                   f"{number(-s['vs_mean'], 1)} points" for s in better) + ".")
        else:
            lines.append("No model beats the compromise model with a 95% interval below zero.")
        if worse:
            names = sorted({s["model"] for s in worse})
            spread = [s["vs_mean"] for s in worse]
            lines.append(f"Clearly worse (interval above zero): {listing(names)}, by "
                         f"{number(min(spread), 1)}–{number(max(spread), 1)} points of mean "
                         "error.")
        if level:
            lines.append("Not distinguishable from it: "
                         + listing(sorted({f"{s['model']} ({s['capability']})" for s in level}))
                         + ".")
    narrow = [s for s in summaries if _ok(s.get("coverage_80")) and s["coverage_80"] < 0.5]
    if narrow:
        lines.append("Prediction intervals far too narrow: the 80% intervals of "
                     + listing(sorted({s["model"] for s in narrow}))
                     + f" hold {percent(min(s['coverage_80'] for s in narrow))}–"
                     f"{percent(max(s['coverage_80'] for s in narrow))} of the outcomes; they "
                     "measure the model's own randomness, not forecast uncertainty.")
    failed = {}
    for f in document.get("failures") or []:
        failed[f.get("model", "?")] = failed.get(f.get("model", "?"), 0) + 1
    for s in summaries:
        if s.get("n_failed") and s["model"] not in failed:
            failed[s["model"]] = s["n_failed"]
    if failed:
        lines.append("Failed runs (scored on the rest): "
                     + listing(f"{m} on {n} issue(s)" for m, n in failed.items()) + ".")
    return lines
