"""Markdown tables of backtest results and of the DEU data, as docs/validation.md shows them.

Rendering only: each function takes results computed by :mod:`allegiance.validation.backtest`
(or scenarios read by :mod:`allegiance.io.deu`) and returns a Markdown table. The CLI writes
``summary.md`` with :func:`summary_markdown`; :mod:`allegiance.docs` writes the tables of the
documentation with all of them.

>>> from allegiance.validation.scores import ModelSummary
>>> table = summary_markdown([ModelSummary("mean", "equal", False, 1, 2, 2, 0, mae=1.5)])
>>> table.splitlines()[2]
'| mean | equal | 2 (0) | 1.5 | — | — | (baseline) | — | — | — | — |'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from allegiance.validation.result import BacktestResult
from allegiance.validation.scores import IssuePrediction, ModelSummary


def fmt(value: float | None, digits: int = 1, percent: bool = False) -> str:
    """A number for a table: ``—`` when missing, no ``-0.0``."""
    if value is None or not math.isfinite(value):
        return "—"
    if percent:
        return f"{100 * value:.0f}%"
    text = f"{value:.{digits}f}"
    return "0.0" if text in ("-0.0", "-0.00") else text


def summary_markdown(summaries: Sequence[ModelSummary]) -> str:
    """The backtest summary as a Markdown table (``summary.md``, docs/validation.md)."""
    lines = ["| model | capability | issues (failed) | MAE | median AE | within 10 | "
             "vs mean [95% CI] | PI 50% cover | PI 80% cover | runs 50% cover | runs 80% cover |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summaries:
        versus = ("(baseline)" if s.model == "mean" else "—" if not s.vs_mean_n else
                  f"{fmt(s.vs_mean, 2)} [{fmt(s.vs_mean_low, 2)}, {fmt(s.vs_mean_high, 2)}]")
        lines.append(f"| {s.model} | {s.capability} | {s.n_ok} ({s.n_failed}) | {fmt(s.mae)} | "
                     f"{fmt(s.median_ae)} | {fmt(s.within_10, percent=True)} | {versus} | "
                     f"{fmt(s.interval_coverage_50, percent=True)} | "
                     f"{fmt(s.interval_coverage_80, percent=True)} | "
                     f"{fmt(s.coverage_50, percent=True)} | {fmt(s.coverage_80, percent=True)} |")
    return "\n".join(lines) + "\n"


def breakdown_markdown(result: BacktestResult, models: Sequence[str], capability: str) -> str:
    """MAE (issues) per procedure and Council voting rule, one column per model."""
    cells = {(b["model"], b["procedure"], b["voting_rule"]): b for b in result.breakdown()
             if b["capability"] == capability}
    keys = sorted({(proc, rule) for (_, proc, rule) in cells})
    lines = ["| procedure | voting rule | issues | " + " | ".join(models) + " |",
             "| --- | --- | ---: | " + " | ".join("---:" for _ in models) + " |"]
    for proc, rule in keys:
        n = max(cells[(m, proc, rule)]["n"] for m in models if (m, proc, rule) in cells)
        values = [fmt(cells[(m, proc, rule)]["mae"]) if (m, proc, rule) in cells else "—"
                  for m in models]
        lines.append(f"| {proc} | {rule} | {n} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def reference_point_markdown(result: BacktestResult, models: Sequence[str]) -> str:
    """MAE of each model on the scored issues with and without a reference point."""
    unique: dict[tuple[str, str], IssuePrediction] = {
        (p.model, p.issue): p for p in [*result.baseline, *result.predictions]
        if p.model in models and p.ok}
    by_model: dict[str, list[IssuePrediction]] = {m: [] for m in models}
    for (model, _), p in unique.items():
        by_model[model].append(p)
    lines = ["| issues | n | " + " | ".join(models) + " |",
             "| --- | ---: | " + " | ".join("---:" for _ in models) + " |"]
    for label, has in (("with a reference point", True), ("without one", False)):
        groups = {m: [p.abs_error for p in preds if (p.status_quo is not None) == has]
                  for m, preds in by_model.items()}
        n = max(len(g) for g in groups.values())
        lines.append(f"| {label} | {n} | " + " | ".join(
            fmt(float(np.mean(g))) if g else "—" for g in groups.values()) + " |")
    return "\n".join(lines) + "\n"


def dataset_facts(parsed: Any, scenarios: Sequence[Any]) -> list[tuple[str, str]]:
    """What the DEU file holds, counted from the parsed file and its scenarios."""
    rows = parsed.rows
    actors = parsed.actors
    empty = sum(1 for r in rows for a in actors if a not in r.position)
    imputed = sum(1 for r in rows for s in r.salience.values() if s is None)
    zero = sum(1 for r in rows for s in r.salience.values() if s == 0)
    no_rp = sum(1 for r in rows if r.status_quo is None)
    rp_zero = sum(1 for r in rows if r.status_quo == 0)
    scored = [r for r in rows if r.outcome is not None]
    proposals = {r.meta["prnrnmc"] for r in rows}
    scored_proposals = {r.meta["prnrnmc"] for r in scored}
    with_rp = [r for r in scored if r.status_quo is not None]
    no_change = (float(np.mean([abs(r.status_quo - r.outcome) for r in with_rp]))
                 if with_rp else math.nan)
    del scenarios  # the counts come from the rows; the scenarios are read to check they load
    from allegiance.io.deu_capability import membership

    sizes: dict[int, int] = {}
    for council in membership(parsed).values():
        sizes[len(council)] = sizes.get(len(council), 0) + 1
    councils = ", ".join(f"EU-{size}: {count}" for size, count in sorted(sizes.items()))
    return [
        ("issues (rows) in the file", str(len(rows))),
        ("proposals", str(len(proposals))),
        ("issues with a recorded outcome (scored)", str(len(scored))),
        ("proposals with a scored issue (bootstrap clusters)", str(len(scored_proposals))),
        ("actor columns", str(len(actors))),
        ("proposals by inferred Council membership", councils),
        ("empty position cells (actor absent from the issue)", str(empty)),
        ("positions without a salience (mean salience imputed)", str(imputed)),
        ("positions with salience 0 (kept)", str(zero)),
        ("issues without a reference point", str(no_rp)),
        ("issues whose reference point is 0", str(rp_zero)),
        ("scored issues with outcome 0 / 100",
         f"{sum(r.outcome == 0 for r in scored)} / {sum(r.outcome == 100 for r in scored)}"),
        ("scored issues with a reference point", str(len(with_rp))),
        ("MAE of forecasting the reference point (no change) on those", fmt(no_change)),
    ]


def facts_markdown(facts: Sequence[tuple[str, str]]) -> str:
    lines = ["| quantity | value |", "| --- | ---: |"]
    lines += [f"| {name} | {value} |" for name, value in facts]
    return "\n".join(lines) + "\n"


__all__ = ["breakdown_markdown", "dataset_facts", "facts_markdown", "fmt",
           "reference_point_markdown", "summary_markdown"]
